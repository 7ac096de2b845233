//! TLS material for one registry: extra trusted CAs and a client certificate, read from PEM
//! files, and what a failed handshake means for the user.

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// A client certificate and its private key, both PEM files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientIdentity {
    pub cert: PathBuf,
    pub key: PathBuf,
}

/// The files a registry's TLS is set up from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TlsFiles {
    /// Trusted in addition to the system's roots.
    pub ca_files: Vec<PathBuf>,
    /// Presented to the registry's origin only, never to a redirect target or another host.
    pub identity: Option<ClientIdentity>,
}

/// What the files hold, ready for a client builder.
pub(crate) struct TlsMaterial {
    pub roots: Vec<reqwest::Certificate>,
    pub identity: Option<reqwest::Identity>,
}

impl TlsFiles {
    pub(crate) fn load(&self) -> Result<TlsMaterial> {
        let mut roots = Vec::new();
        for path in &self.ca_files {
            roots.extend(read_ca(path)?);
        }
        let identity = self.identity.as_ref().map(read_identity).transpose()?;
        Ok(TlsMaterial { roots, identity })
    }
}

fn read(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|e| Error::Tls {
        path: path.to_path_buf(),
        reason: format!("cannot be read ({e})"),
    })
}

/// Whether a PEM block whose label ends with `label` (`CERTIFICATE`, `PRIVATE KEY`) is in `bytes`.
fn has_pem_block(bytes: &[u8], label: &str) -> bool {
    let text = String::from_utf8_lossy(bytes);
    let end = format!("{label}-----");
    text.lines().any(|l| l.trim().starts_with("-----BEGIN ") && l.trim().ends_with(&end))
}

/// The certificates of a PEM bundle; anything else (DER, a key, junk) is an error naming the file.
fn read_ca(path: &Path) -> Result<Vec<reqwest::Certificate>> {
    let bytes = read(path)?;
    let not_pem = || Error::Tls {
        path: path.to_path_buf(),
        reason: "holds no PEM certificate (-----BEGIN CERTIFICATE-----); a DER file converts with `openssl x509 -inform der -in FILE -out FILE.pem`".into(),
    };
    if !has_pem_block(&bytes, "CERTIFICATE") {
        return Err(not_pem());
    }
    let certs = reqwest::Certificate::from_pem_bundle(&bytes).map_err(|_| Error::Tls {
        path: path.to_path_buf(),
        reason: "has a damaged PEM certificate; check that the file was copied whole".into(),
    })?;
    if certs.is_empty() {
        return Err(not_pem());
    }
    Ok(certs)
}

/// A client identity from a certificate file and a key file. Whether the key belongs to the
/// certificate is checked when the client is built (see [`identity_error`]).
fn read_identity(id: &ClientIdentity) -> Result<reqwest::Identity> {
    let cert = read(&id.cert)?;
    if !has_pem_block(&cert, "CERTIFICATE") {
        return Err(Error::Tls {
            path: id.cert.clone(),
            reason: "holds no PEM certificate (-----BEGIN CERTIFICATE-----); pass the client certificate with --cert-file".into(),
        });
    }
    let key = read(&id.key)?;
    if has_pem_block(&key, "ENCRYPTED PRIVATE KEY") {
        return Err(Error::Tls {
            path: id.key.clone(),
            reason: "is an encrypted key; decrypt it first (`openssl pkey -in KEY -out KEY.plain`)".into(),
        });
    }
    if !has_pem_block(&key, "PRIVATE KEY") {
        return Err(Error::Tls {
            path: id.key.clone(),
            reason: "holds no PEM private key (-----BEGIN PRIVATE KEY-----, RSA or EC); pass the client key with --key-file".into(),
        });
    }
    let mut pem = cert;
    pem.push(b'\n');
    pem.extend_from_slice(&key);
    reqwest::Identity::from_pem(&pem).map_err(|e| Error::Tls {
        path: id.key.clone(),
        reason: format!("cannot be used with {} ({})", id.cert.display(), deepest(&e)),
    })
}

/// The error for a client that could not be built with `identity`: almost always a key that
/// does not belong to the certificate.
pub(crate) fn identity_error(identity: &ClientIdentity, e: &reqwest::Error) -> Error {
    let why = deepest(e);
    let reason = if why.to_ascii_lowercase().contains("key") && why.to_ascii_lowercase().contains("match") {
        format!(
            "does not match the certificate {}; pass the key made with that certificate",
            identity.cert.display()
        )
    } else {
        format!("cannot be used with {} ({why})", identity.cert.display())
    };
    Error::Tls {
        path: identity.key.clone(),
        reason,
    }
}

fn deepest(e: &dyn std::error::Error) -> String {
    let mut d: &dyn std::error::Error = e;
    while let Some(next) = d.source() {
        d = next;
    }
    d.to_string()
}

/// The TLS error inside a failed request, if the failure was one.
fn rustls_error(e: &reqwest::Error) -> Option<&rustls::Error> {
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = cur {
        if let Some(t) = err.downcast_ref::<rustls::Error>() {
            return Some(t);
        }
        // io::Error hides the error it wraps from `source()`; it may wrap another io::Error.
        cur = match err.downcast_ref::<std::io::Error>().and_then(|io| io.get_ref()) {
            Some(inner) => Some(inner as &(dyn std::error::Error + 'static)),
            None => err.source(),
        };
    }
    None
}

/// The server answered a TLS handshake with something that is not TLS: it speaks plain HTTP.
pub(crate) fn speaks_no_tls(e: &reqwest::Error) -> bool {
    matches!(rustls_error(e), Some(rustls::Error::InvalidMessage(_)))
}

/// What to do about a failed TLS handshake, or `None` when the failure was not one.
pub(crate) fn handshake_hint(e: &reqwest::Error, host: &str) -> Option<String> {
    use rustls::AlertDescription as A;
    let wants_cert = || {
        format!(
            "the registry wants a client certificate; pass --cert-file and --key-file, or put NAME.cert and NAME.key in certs.d/{host}/"
        )
    };
    let rejected = || "the registry rejected the client certificate (or wants one); check --cert-file and --key-file, or the NAME.cert in certs.d".to_string();
    let Some(tls) = rustls_error(e) else {
        // A server that refuses the client certificate after the handshake (TLS 1.3) closes
        // a connection hyper was already using; hyper keeps only the text of why.
        let text = deepest(e);
        let alert = text.strip_prefix("received fatal alert: ")?;
        return Some(match alert {
            "CertificateRequired" => wants_cert(),
            "BadCertificate" | "UnknownCA" | "CertificateUnknown" | "AccessDenied" => rejected(),
            other => format!("the registry ended TLS ({other})"),
        });
    };
    let hint = match tls {
        rustls::Error::InvalidCertificate(_) => format!(
            "the registry's certificate is not trusted; pass its CA with --ca-file CA.pem, or put it in certs.d/{host}/ca.crt (under /etc/docker, /etc/containers or ~/.config/containers), or skip verification with --insecure"
        ),
        rustls::Error::InvalidMessage(_) => {
            "the registry does not speak TLS; if it serves plain HTTP, pass --plain-http".to_string()
        }
        rustls::Error::AlertReceived(A::CertificateRequired | A::HandshakeFailure) => wants_cert(),
        rustls::Error::AlertReceived(A::BadCertificate | A::UnknownCA | A::CertificateUnknown | A::AccessDenied) => rejected(),
        other => format!("TLS failed ({other})"),
    };
    Some(hint)
}
