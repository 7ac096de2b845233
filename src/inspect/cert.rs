//! X.509 certificates, read for what they say about the signer: subject, issuer, alternative
//! names, and the OIDC issuer Fulcio records. Parsing is `x509-parser`'s; nothing is verified.

use x509_parser::der_parser::der::parse_der_utf8string;
use x509_parser::extensions::GeneralName;
use x509_parser::prelude::{FromDer, X509Certificate};

use super::{Signer, Unreadable};

/// Fulcio's OIDC issuer extension, DER-encoded (current) and as raw text (deprecated).
const FULCIO_ISSUER_V2: &str = "1.3.6.1.4.1.57264.1.8";
const FULCIO_ISSUER_V1: &str = "1.3.6.1.4.1.57264.1.1";

/// Certificates larger than this are not read (real ones are a few KiB).
const MAX_CERT: usize = 64 * 1024;

/// Reads a DER certificate.
pub fn parse_der(der: &[u8]) -> Result<Signer, Unreadable> {
    let invalid = |e: &dyn std::fmt::Display| Unreadable::new("X.509 certificate", e);
    if der.len() > MAX_CERT {
        return Err(invalid(&format!("{} bytes, over the {MAX_CERT}-byte limit", der.len())));
    }
    let (_, cert) = X509Certificate::from_der(der).map_err(|e| invalid(&e))?;
    let mut identities = Vec::new();
    if let Ok(Some(san)) = cert.subject_alternative_name() {
        for name in &san.value.general_names {
            match name {
                GeneralName::RFC822Name(s) | GeneralName::URI(s) | GeneralName::DNSName(s) => identities.push(s.to_string()),
                _ => {}
            }
        }
    }
    let mut oidc_issuer = None;
    for ext in cert.extensions() {
        let oid = ext.oid.to_id_string();
        if oid == FULCIO_ISSUER_V2 {
            if let Ok((_, obj)) = parse_der_utf8string(ext.value)
                && let Ok(s) = obj.as_str()
            {
                oidc_issuer = Some(s.to_string());
            }
        } else if oid == FULCIO_ISSUER_V1 && oidc_issuer.is_none() {
            oidc_issuer = std::str::from_utf8(ext.value).ok().map(str::to_string);
        }
    }
    let validity = cert.validity();
    Ok(Signer {
        subject: cert.subject().to_string(),
        issuer: cert.issuer().to_string(),
        identities,
        oidc_issuer,
        not_before: time_text(validity.not_before.timestamp()),
        not_after: time_text(validity.not_after.timestamp()),
    })
}

/// Reads the first certificate of a PEM text.
pub fn parse_pem(pem: &[u8]) -> Result<Signer, Unreadable> {
    if pem.len() > MAX_CERT * 2 {
        return Err(Unreadable::new("PEM certificate", format!("{} bytes, too long", pem.len())));
    }
    let (_, block) = x509_parser::pem::parse_x509_pem(pem).map_err(|e| Unreadable::new("PEM certificate", e))?;
    parse_der(&block.contents)
}

/// Seconds since the epoch as RFC 3339 (UTC), for any value a certificate can hold.
pub fn time_text(secs: i64) -> String {
    let t = if secs >= 0 {
        std::time::UNIX_EPOCH.checked_add(std::time::Duration::from_secs(secs.unsigned_abs()))
    } else {
        std::time::UNIX_EPOCH.checked_sub(std::time::Duration::from_secs(secs.unsigned_abs()))
    };
    match t {
        Some(t) if t.duration_since(std::time::UNIX_EPOCH).is_ok_and(|d| d.as_secs() < 253_402_300_800) => {
            humantime::format_rfc3339_seconds(t).to_string()
        }
        _ => format!("{secs} seconds since 1970"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn garbage_is_a_clear_error() {
        let e = parse_der(b"not a certificate").unwrap_err();
        assert!(e.to_string().starts_with("not a valid X.509 certificate document: "), "{e}");
        assert!(parse_pem(b"-----BEGIN CERTIFICATE-----\n!!\n-----END CERTIFICATE-----\n").is_err());
        assert_eq!(time_text(0), "1970-01-01T00:00:00Z");
        assert_eq!(time_text(i64::MAX), format!("{} seconds since 1970", i64::MAX));
        assert_eq!(time_text(-1), format!("-1 seconds since 1970"));
    }
}
