//! Telling what a blob is: by its media type first, by the shape of its JSON otherwise.

use std::borrow::Cow;

use serde::Deserialize;
use serde::de::IgnoredAny;

/// The media types an attestation layer declares: a DSSE envelope, or a bare in-toto statement.
pub const DSSE_MEDIA_TYPE: &str = "application/vnd.dsse.envelope.v1+json";
pub const INTOTO_MEDIA_TYPE: &str = "application/vnd.in-toto+json";

/// The formats a blob can be summarised as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    CycloneDx,
    Spdx,
    Attestation,
    CosignSimpleSigning,
    SigstoreBundle,
    NotationJws,
    NotationCose,
}

/// Which telltale top-level fields a JSON object has.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Probe {
    pub cyclonedx: bool,
    pub spdx: bool,
    pub statement: bool,
    pub payload_type: bool,
    pub sigstore_bundle: bool,
    pub simple_signing: bool,
    pub jws: bool,
}

#[derive(Deserialize)]
struct RawProbe<'a> {
    #[serde(rename = "bomFormat", borrow)]
    bom_format: Option<Cow<'a, str>>,
    #[serde(rename = "spdxVersion")]
    spdx_version: Option<IgnoredAny>,
    #[serde(rename = "_type", borrow)]
    statement_type: Option<Cow<'a, str>>,
    #[serde(rename = "payloadType")]
    payload_type: Option<IgnoredAny>,
    #[serde(rename = "mediaType", borrow)]
    media_type: Option<Cow<'a, str>>,
    critical: Option<IgnoredAny>,
    protected: Option<IgnoredAny>,
    signature: Option<IgnoredAny>,
}

/// The telltale fields of a JSON object; `None` when the bytes are not one.
pub fn probe(bytes: &[u8]) -> Option<Probe> {
    let first = bytes.iter().find(|b| !b.is_ascii_whitespace())?;
    if *first != b'{' {
        return None;
    }
    let raw: RawProbe = serde_json::from_slice(bytes).ok()?;
    Some(Probe {
        cyclonedx: raw.bom_format.as_deref() == Some("CycloneDX"),
        spdx: raw.spdx_version.is_some(),
        statement: raw.statement_type.is_some_and(|t| t.starts_with("https://in-toto.io/Statement/")),
        payload_type: raw.payload_type.is_some(),
        sigstore_bundle: raw.media_type.is_some_and(|m| m.starts_with("application/vnd.dev.sigstore.bundle")),
        simple_signing: raw.critical.is_some(),
        jws: raw.protected.is_some() && raw.signature.is_some(),
    })
}

/// The format a media type declares.
pub fn by_media_type(media_type: &str) -> Option<Format> {
    let base = media_type.split(';').next().unwrap_or("").trim();
    Some(match base {
        super::sbom::CYCLONEDX_JSON => Format::CycloneDx,
        super::sbom::SPDX_JSON | "text/spdx+json" => Format::Spdx,
        DSSE_MEDIA_TYPE | INTOTO_MEDIA_TYPE => Format::Attestation,
        super::cosign::SIMPLE_SIGNING => Format::CosignSimpleSigning,
        super::notation::JWS_MEDIA_TYPE => Format::NotationJws,
        super::notation::COSE_MEDIA_TYPE => Format::NotationCose,
        b if b.starts_with("application/vnd.dev.sigstore.bundle") => Format::SigstoreBundle,
        b if b.starts_with("application/vnd.in-toto.") && b.ends_with("+dsse") => Format::Attestation,
        _ => return None,
    })
}

/// What a blob is: its media type's word, else its JSON's shape.
pub fn detect(media_type: &str, bytes: &[u8]) -> Option<Format> {
    if let Some(f) = by_media_type(media_type) {
        return Some(f);
    }
    let p = probe(bytes)?;
    Some(if p.cyclonedx {
        Format::CycloneDx
    } else if p.spdx {
        Format::Spdx
    } else if p.sigstore_bundle {
        Format::SigstoreBundle
    } else if p.statement || p.payload_type {
        Format::Attestation
    } else if p.simple_signing {
        Format::CosignSimpleSigning
    } else if p.jws {
        Format::NotationJws
    } else {
        return None;
    })
}
