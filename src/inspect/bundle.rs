//! Sigstore bundles, v0.1 to v0.3: the certificate (or key hint), the transparency-log
//! entries, and what is signed: a message digest or a DSSE envelope around a statement.

use serde::Deserialize;

use super::{Context, Limits, SignatureFormat, SignatureSummary, TlogEntry, Unreadable};

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawBundle {
    media_type: String,
    verification_material: Option<Material>,
    message_signature: Option<MessageSignature>,
    dsse_envelope: Option<Dsse>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Material {
    x509_certificate_chain: Option<Chain>,
    certificate: Option<Cert>,
    public_key: Option<KeyHint>,
    #[serde(default)]
    tlog_entries: Vec<Tlog>,
}

#[derive(Deserialize)]
struct Chain {
    #[serde(default)]
    certificates: Vec<Cert>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Cert {
    raw_bytes: String,
}

#[derive(Deserialize)]
struct KeyHint {
    hint: Option<String>,
}

/// Protobuf's JSON writes 64-bit integers as strings; some writers use numbers.
#[derive(Deserialize)]
#[serde(untagged)]
enum Int {
    Text(String),
    Number(i64),
}

impl Int {
    fn text(&self) -> String {
        match self {
            Int::Text(s) => s.clone(),
            Int::Number(n) => n.to_string(),
        }
    }

    fn seconds(&self) -> Option<i64> {
        match self {
            Int::Text(s) => s.parse().ok(),
            Int::Number(n) => Some(*n),
        }
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Tlog {
    log_index: Option<Int>,
    integrated_time: Option<Int>,
    kind_version: Option<KindVersion>,
}

#[derive(Deserialize)]
struct KindVersion {
    kind: Option<String>,
    version: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct MessageSignature {
    message_digest: Option<MessageDigest>,
}

#[derive(Deserialize)]
struct MessageDigest {
    algorithm: Option<String>,
    digest: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Dsse {
    payload: String,
    payload_type: String,
}

/// Reads a sigstore bundle.
pub fn parse(bytes: &[u8], ctx: &Context) -> Result<SignatureSummary, Unreadable> {
    let invalid = |e: &dyn std::fmt::Display| Unreadable::new("sigstore bundle", e);
    let raw: RawBundle = super::json::parse(bytes).map_err(|e| invalid(&e))?;
    if !raw.media_type.starts_with("application/vnd.dev.sigstore.bundle") {
        return Err(invalid(&format!("mediaType is `{}`", raw.media_type)));
    }
    let mut s = SignatureSummary::new(SignatureFormat::SigstoreBundle);
    s.bundle_media_type = Some(raw.media_type);
    let material = raw.verification_material.ok_or_else(|| invalid(&"no verificationMaterial"))?;
    let leaf = material.certificate.or_else(|| material.x509_certificate_chain.and_then(|c| c.certificates.into_iter().next()));
    match (leaf, material.public_key) {
        (Some(cert), _) => match super::json::base64(&cert.raw_bytes) {
            Ok(der) => match super::cert::parse_der(&der) {
                Ok(signer) => s.signer = Some(signer),
                Err(e) => s.problems.push(e.to_string()),
            },
            Err(_) => s.problems.push("the certificate is not base64".into()),
        },
        (None, Some(key)) => s.problems.push(format!(
            "signed with a public key ({}), no certificate",
            key.hint.unwrap_or_else(|| "no hint".into())
        )),
        (None, None) => s.problems.push("no certificate or public key".into()),
    }
    s.tlog_entries = material
        .tlog_entries
        .iter()
        .take(Limits::default().max_items)
        .map(|t| TlogEntry {
            log_index: t.log_index.as_ref().map(Int::text),
            integrated_time: t.integrated_time.as_ref().and_then(Int::seconds).map(super::cert::time_text),
            kind: t.kind_version.as_ref().map(|k| match (&k.kind, &k.version) {
                (Some(kind), Some(v)) => format!("{kind} {v}"),
                (Some(kind), None) => kind.clone(),
                (None, _) => "?".into(),
            }),
        })
        .collect();
    match (raw.message_signature, raw.dsse_envelope) {
        (Some(m), _) => {
            s.content = Some("message".into());
            if let Some(d) = m.message_digest {
                let alg = match d.algorithm.as_deref() {
                    Some("SHA2_256") | None => "sha256".to_string(),
                    Some("SHA2_384") => "sha384".to_string(),
                    Some("SHA2_512") => "sha512".to_string(),
                    Some(other) => other.to_lowercase(),
                };
                let hex = super::json::base64(&d.digest).map_err(|_| invalid(&"the message digest is not base64"))?;
                let digest = format!("{alg}:{}", hex::encode(hex));
                s.matches_subject = ctx.matches(&digest);
                s.signed_digest = Some(digest);
            }
        }
        (None, Some(env)) => {
            s.content = Some("dsse".into());
            let payload = super::json::base64(&env.payload).map_err(|_| invalid(&"the DSSE payload is not base64"))?;
            if env.payload_type == super::intoto::INTOTO_PAYLOAD_TYPE {
                match super::intoto::parse_statement(&payload) {
                    Ok(st) => {
                        s.matches_subject = ctx.matches_any(st.subjects.iter().map(|x| x.digest.as_str()));
                        s.signed_digest = st.subjects.first().map(|x| x.digest.clone());
                        s.predicate_type = Some(st.predicate_type);
                    }
                    Err(e) => s.problems.push(e.to_string()),
                }
            } else {
                s.problems.push(format!("DSSE payload of type `{}`", env.payload_type));
            }
        }
        (None, None) => return Err(invalid(&"neither messageSignature nor dsseEnvelope")),
    }
    Ok(s)
}
