//! cosign simple signing: the payload names the signed manifest digest; the signature, the
//! certificate and the transparency-log bundle ride in the layer's annotations.

use serde::Deserialize;

use super::{Context, SignatureFormat, SignatureSummary, TlogEntry, Unreadable};
use crate::oci::Annotations;

pub const SIMPLE_SIGNING: &str = "application/vnd.dev.cosign.simplesigning.v1+json";
pub const SIGNATURE_ANNOTATION: &str = "dev.cosignproject.cosign/signature";
pub const CERTIFICATE_ANNOTATION: &str = "dev.sigstore.cosign/certificate";
pub const BUNDLE_ANNOTATION: &str = "dev.sigstore.cosign/bundle";

/// What a simple-signing payload says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimpleSigning {
    pub signed_digest: String,
    pub identity: Option<String>,
    pub signature_type: Option<String>,
}

#[derive(Deserialize)]
struct Payload {
    critical: Critical,
}

#[derive(Deserialize)]
struct Critical {
    identity: Option<Identity>,
    image: Image,
    #[serde(rename = "type")]
    signature_type: Option<String>,
}

#[derive(Deserialize)]
struct Identity {
    #[serde(rename = "docker-reference")]
    docker_reference: Option<String>,
}

#[derive(Deserialize)]
struct Image {
    #[serde(rename = "docker-manifest-digest")]
    docker_manifest_digest: String,
}

/// Reads a simple-signing payload.
pub fn parse_simple_signing(bytes: &[u8]) -> Result<SimpleSigning, Unreadable> {
    let p: Payload = super::json::parse(bytes).map_err(|e| Unreadable::new("cosign simple signing", e))?;
    Ok(SimpleSigning {
        signed_digest: p.critical.image.docker_manifest_digest,
        identity: p.critical.identity.and_then(|i| i.docker_reference),
        signature_type: p.critical.signature_type,
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RekorBundle {
    payload: RekorPayload,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RekorPayload {
    integrated_time: Option<i64>,
    log_index: Option<i64>,
}

/// The simple-signing payload with what its layer's annotations add.
pub fn summarize(bytes: &[u8], annotations: Option<&Annotations>, ctx: &Context) -> Result<SignatureSummary, Unreadable> {
    let payload = parse_simple_signing(bytes)?;
    let mut s = SignatureSummary::new(SignatureFormat::Cosign);
    s.matches_subject = ctx.matches(&payload.signed_digest);
    s.signed_digest = Some(payload.signed_digest);
    s.identity = payload.identity;
    let get = |k: &str| annotations.and_then(|a| a.get(k));
    if get(SIGNATURE_ANNOTATION).is_none() {
        s.problems.push("no signature annotation".into());
    }
    if let Some(pem) = get(CERTIFICATE_ANNOTATION) {
        match super::cert::parse_pem(pem.as_bytes()) {
            Ok(signer) => s.signer = Some(signer),
            Err(e) => s.problems.push(e.to_string()),
        }
    }
    if let Some(bundle) = get(BUNDLE_ANNOTATION) {
        match super::json::parse::<RekorBundle>(bundle.as_bytes()) {
            Ok(b) => s.tlog_entries.push(TlogEntry {
                log_index: b.payload.log_index.map(|i| i.to_string()),
                integrated_time: b.payload.integrated_time.map(super::cert::time_text),
                kind: None,
            }),
            Err(e) => s.problems.push(format!("not a valid Rekor bundle annotation: {e}")),
        }
    }
    Ok(s)
}
