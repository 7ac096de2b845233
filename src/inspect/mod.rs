//! Pure summaries of content: bytes in, a [`Summary`] out. No network, no terminal.
//!
//! Each recognised format has a plain entry point, `fn(&[u8]) -> Result<…, Unreadable>`, that
//! is bounded (size, JSON depth, entries kept), tolerant of unknown fields and never panics.
//! [`summarize`] puts them together for one manifest, from the blobs [`needed`] names, which
//! the caller fetches (and may cache) by digest.
//!
//! A summary says what the bytes say. Nothing here verifies a signature, so nothing here
//! claims one is valid.

pub mod artifact;
pub mod bundle;
pub mod cert;
pub mod cosign;
pub mod helm;
pub mod image;
pub mod index;
pub mod intoto;
pub mod json;
pub mod listing;
pub mod notation;
pub mod render;
pub mod sbom;
pub mod sniff;

use std::collections::BTreeMap;

use bytes::Bytes;
use serde::Serialize;

use crate::oci::{Descriptor, Digest, Manifest};

pub use render::{Line, Tone};

/// How much of anything is read, kept or shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Blobs larger than this are not fetched for a summary.
    pub max_blob: u64,
    /// The most bytes fetched for one summary, all blobs together.
    pub max_total: u64,
    /// Packages, subjects, log entries and the like kept in a summary (the count goes on).
    pub max_items: usize,
    /// Tar entries kept in a listing.
    pub max_entries: usize,
    /// Tar entries counted before a listing stops.
    pub max_scan_entries: u64,
    /// Uncompressed tar bytes read before a listing stops.
    pub max_unpacked: u64,
    /// Bytes of text or JSON shown for a generic file.
    pub preview_bytes: usize,
    /// Bytes shown as hex for a binary file.
    pub hex_bytes: usize,
}

/// The default bound on one blob fetched for a summary.
pub const DEFAULT_MAX_BLOB: u64 = 32 * 1024 * 1024;

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_blob: DEFAULT_MAX_BLOB,
            max_total: 4 * DEFAULT_MAX_BLOB,
            max_items: 100_000,
            max_entries: 1000,
            max_scan_entries: 10_000_000,
            max_unpacked: 16 * 1024 * 1024 * 1024,
            preview_bytes: 64 * 1024,
            hex_bytes: 64,
        }
    }
}

/// A document that claims (by media type or shape) to be a format, and is not.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("not a valid {format} document: {reason}")]
pub struct Unreadable {
    pub format: &'static str,
    pub reason: String,
}

impl Unreadable {
    pub fn new(format: &'static str, reason: impl std::fmt::Display) -> Unreadable {
        Unreadable {
            format,
            reason: reason.to_string(),
        }
    }
}

/// What a summary is compared against: the manifest the inspected one refers to.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Context {
    pub subject: Option<Digest>,
}

impl Context {
    /// Whether `digest` (`alg:hex`) names the subject; `None` when there is no subject.
    pub fn matches(&self, digest: &str) -> Option<bool> {
        self.subject.as_ref().map(|s| s.to_string() == digest)
    }

    /// Whether any of `digests` names the subject.
    pub fn matches_any<'a>(&self, digests: impl IntoIterator<Item = &'a str>) -> Option<bool> {
        let s = self.subject.as_ref()?.to_string();
        Some(digests.into_iter().any(|d| d == s))
    }
}

/// Blobs by digest, as fetched (and verified) by the caller.
pub type Contents = BTreeMap<Digest, Bytes>;

/// One layer or config blob as a summary names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FileRef {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    pub media_type: String,
    pub digest: Digest,
    pub size: u64,
}

impl FileRef {
    pub fn of(desc: &Descriptor) -> FileRef {
        FileRef {
            title: desc.title().map(str::to_string),
            media_type: desc.media_type.clone(),
            digest: desc.digest.clone(),
            size: desc.size,
        }
    }
}

/// What a manifest is, summarised. Serialized with a `kind` field naming the variant.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Summary {
    Image(image::ImageSummary),
    Index(index::IndexSummary),
    Sbom(sbom::SbomSummary),
    Attestation(intoto::AttestationSummary),
    Signature(SignatureSummary),
    HelmChart(helm::HelmChart),
    Artifact(artifact::ArtifactSummary),
}

impl Summary {
    pub fn kind(&self) -> &'static str {
        match self {
            Summary::Image(_) => "image",
            Summary::Index(_) => "index",
            Summary::Sbom(_) => "sbom",
            Summary::Attestation(_) => "attestation",
            Summary::Signature(_) => "signature",
            Summary::HelmChart(_) => "helm-chart",
            Summary::Artifact(_) => "artifact",
        }
    }

    /// The summary as lines for a person, control characters escaped.
    pub fn lines(&self) -> Vec<Line> {
        render::lines(self)
    }
}

/// Signature envelopes refscope reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SignatureFormat {
    Cosign,
    SigstoreBundle,
    NotationJws,
    NotationCose,
}

impl SignatureFormat {
    pub fn label(self) -> &'static str {
        match self {
            SignatureFormat::Cosign => "cosign simple signing",
            SignatureFormat::SigstoreBundle => "sigstore bundle",
            SignatureFormat::NotationJws => "notation JWS",
            SignatureFormat::NotationCose => "notation COSE",
        }
    }
}

/// Who a certificate says signed, as the certificate says it (not verified).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct Signer {
    pub subject: String,
    pub issuer: String,
    /// The subject alternative names: e-mail addresses, URIs, DNS names.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub identities: Vec<String>,
    /// The OIDC issuer a Fulcio certificate records.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub oidc_issuer: Option<String>,
    pub not_before: String,
    pub not_after: String,
}

/// A transparency-log entry as a bundle or cosign annotation records it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TlogEntry {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log_index: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub integrated_time: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
}

/// A signature of any supported format: what it says it signs, and who it says signed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SignatureSummary {
    pub format: SignatureFormat,
    /// The digest the signed payload names (`alg:hex`).
    pub signed_digest: Option<String>,
    pub matches_subject: Option<bool>,
    pub signer: Option<Signer>,
    /// cosign: the `docker-reference` the payload names.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub identity: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signing_scheme: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signing_time: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expiry: Option<String>,
    /// The signature algorithm the envelope names.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub algorithm: Option<String>,
    /// Sigstore bundles: the bundle's media type (its version).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bundle_media_type: Option<String>,
    /// Sigstore bundles: what is signed, `message` or `dsse`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content: Option<String>,
    /// A DSSE payload's in-toto predicate type.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub predicate_type: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tlog_entries: Vec<TlogEntry>,
    /// Things the document says that do not add up (a certificate that cannot be read…).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub problems: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<FileRef>,
}

impl SignatureSummary {
    pub fn new(format: SignatureFormat) -> SignatureSummary {
        SignatureSummary {
            format,
            signed_digest: None,
            matches_subject: None,
            signer: None,
            identity: None,
            signing_scheme: None,
            signing_time: None,
            expiry: None,
            algorithm: None,
            bundle_media_type: None,
            content: None,
            predicate_type: None,
            tlog_entries: Vec::new(),
            problems: Vec::new(),
            file: None,
        }
    }
}

/// The blobs [`summarize`] reads for this manifest: an image's or chart's config, an
/// artifact's layers (each within `limits.max_blob`, all within `limits.max_total`). An index
/// needs its children's manifests instead ([`index::children`]).
pub fn needed(manifest: &Manifest, limits: &Limits) -> Vec<Descriptor> {
    let Manifest::Image(m) = manifest else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let config_type = m.config.media_type.as_str();
    let chart = config_type == helm::CONFIG_MEDIA_TYPE;
    if (image::is_config(config_type) || chart) && m.config.size <= limits.max_blob {
        out.push(m.config.clone());
    }
    if chart || artifact::looks_like_image(m) {
        return out;
    }
    let mut total = 0u64;
    for layer in m.layers.iter().take(artifact::MAX_LAYERS) {
        if layer.size <= limits.max_blob && total.saturating_add(layer.size) <= limits.max_total {
            total = total.saturating_add(layer.size);
            out.push(layer.clone());
        }
    }
    out
}

/// Summarises one manifest from the blobs [`needed`] named (missing ones are reported, not
/// fatal) and, for an index, its children's manifests.
pub fn summarize(manifest: &Manifest, contents: &Contents, ctx: &Context, limits: &Limits) -> Summary {
    match manifest {
        Manifest::Index(i) => Summary::Index(index::summarize(i, contents)),
        Manifest::Image(m) => {
            if m.config.media_type == helm::CONFIG_MEDIA_TYPE {
                return helm::summarize(m, contents);
            }
            if let Some(s) = artifact::recognised(m, contents, ctx, limits) {
                return s;
            }
            if artifact::looks_like_image(m) {
                return Summary::Image(image::summarize(m, contents));
            }
            Summary::Artifact(artifact::summarize(m, contents, limits))
        }
    }
}

/// The subject a manifest names with its `subject` field, or, for cosign's tag attachments
/// (`sha256-<hex>.sig|.att|.sbom`), the digest in the tag.
pub fn subject_of(manifest: &Manifest, tag: Option<&str>) -> Option<Digest> {
    if let Some(s) = manifest.subject() {
        return Some(s.digest.clone());
    }
    let tag = tag?;
    let (base, suffix) = tag.rsplit_once('.')?;
    if !matches!(suffix, "sig" | "att" | "sbom") {
        return None;
    }
    let (alg, hex) = base.split_once('-')?;
    format!("{alg}:{hex}").parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::oci::ImageManifest;

    #[test]
    fn what_is_fetched_stays_within_the_budget() {
        let layer = |n: u8, size: u64| Descriptor::new("application/json", Digest::sha256_of(&[n]), size);
        let m = Manifest::Image(ImageManifest {
            schema_version: 2,
            media_type: None,
            artifact_type: Some("x/y".into()),
            config: Descriptor::new(crate::oci::media_types::OCI_EMPTY, Digest::sha256_of(b"{}"), 2),
            layers: vec![layer(1, 8), layer(2, 8), layer(3, 4), layer(4, 11)],
            subject: None,
            annotations: None,
        });
        let limits = Limits { max_blob: 10, max_total: 15, ..Limits::default() };
        let sizes: Vec<u64> = needed(&m, &limits).iter().map(|d| d.size).collect();
        assert_eq!(sizes, [8, 4]);
        let Summary::Artifact(a) = summarize(&m, &Contents::new(), &Context::default(), &limits) else { panic!("an artifact") };
        let reasons: Vec<String> = a.files.iter().map(|f| match &f.content {
            artifact::Content::NotFetched { reason, .. } => reason.clone(),
            other => format!("{other:?}"),
        }).collect();
        assert_eq!(reasons, [
            "it could not be fetched (see the warnings)",
            "the files before it fill the 15 B read for one artifact",
            "it could not be fetched (see the warnings)",
            "11 B is over the 10 B limit for inspection",
        ]);
        assert_eq!(subject_of(&m, Some(&format!("{}.sig", Digest::sha256_of(b"x").fallback_tag()))), Some(Digest::sha256_of(b"x")));
        assert_eq!(subject_of(&m, Some("v1")), None);
    }
}
