//! Artifacts: each layer by title, recognised formats summarised, text shown (JSON
//! indented), binaries as a hex head, tar layers listed, all within the limits.

use serde::Serialize;

use super::listing::Listing;
use super::sniff::{self, Format};
use super::{Context, Contents, FileRef, Limits, Summary, Unreadable, bundle, cosign, intoto, notation, sbom};
use crate::oci::{Descriptor, ImageManifest};

/// Layers of one artifact read for a summary; the rest are named only.
pub const MAX_LAYERS: usize = 32;

/// An image: an image config and only filesystem layers.
pub fn looks_like_image(m: &ImageManifest) -> bool {
    super::image::is_config(&m.config.media_type)
        && m.artifact_type.is_none()
        && m.layers.iter().all(|l| {
            l.media_type.starts_with("application/vnd.oci.image.layer.")
                || l.media_type.starts_with("application/vnd.docker.image.rootfs.")
        })
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum Content {
    Text { text: String, truncated: bool },
    Json { text: String, truncated: bool },
    Binary {
        #[serde(rename = "hexHead")]
        hex_head: String,
    },
    Listing(Listing),
    /// A document that claims a format it does not follow: why, then its raw bytes.
    Unreadable { problem: String, raw: String, truncated: bool },
    NotFetched {
        reason: String,
        /// Left out by the size bound, which `--max-blob-size` raises. Only the text for
        /// people says so: the JSON reason stays a plain account of what happened.
        #[serde(skip)]
        over_limit: bool,
    },
}

/// What to do about a file the size bound left out.
pub const RAISE_LIMIT: &str = "raise it with --max-blob-size (in MiB)";

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FileView {
    #[serde(flatten)]
    pub file: FileRef,
    pub content: Content,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ArtifactSummary {
    pub artifact_type: Option<String>,
    pub config_media_type: String,
    pub files: Vec<FileView>,
}

/// The summary of the first layer in a recognised format that reads well.
pub fn recognised(m: &ImageManifest, contents: &Contents, ctx: &Context, limits: &Limits) -> Option<Summary> {
    m.layers.iter().take(MAX_LAYERS).find_map(|layer| {
        let bytes = contents.get(&layer.digest)?;
        let format = sniff::detect(&layer.media_type, bytes)?;
        summarize_as(format, bytes, layer, ctx, limits).ok()
    })
}

/// Summarises one blob as the given format.
pub fn summarize_as(format: Format, bytes: &[u8], layer: &Descriptor, ctx: &Context, limits: &Limits) -> Result<Summary, Unreadable> {
    let file = Some(FileRef::of(layer));
    Ok(match format {
        Format::CycloneDx => Summary::Sbom(sbom::SbomSummary { file, ..sbom::parse_cyclonedx_with(bytes, limits)? }),
        Format::Spdx => Summary::Sbom(sbom::SbomSummary { file, ..sbom::parse_spdx_with(bytes, limits)? }),
        Format::Attestation => Summary::Attestation(intoto::AttestationSummary { file, ..intoto::parse_attestation(bytes, ctx, limits)? }),
        Format::CosignSimpleSigning => {
            Summary::Signature(super::SignatureSummary { file, ..cosign::summarize(bytes, layer.annotations.as_ref(), ctx)? })
        }
        Format::SigstoreBundle => Summary::Signature(super::SignatureSummary { file, ..bundle::parse(bytes, ctx)? }),
        Format::NotationJws => Summary::Signature(super::SignatureSummary { file, ..notation::parse_jws(bytes, ctx)? }),
        Format::NotationCose => Summary::Signature(super::SignatureSummary { file, ..notation::parse_cose(bytes, ctx)? }),
    })
}

pub fn summarize(m: &ImageManifest, contents: &Contents, limits: &Limits) -> ArtifactSummary {
    let ctx = Context::default();
    let wanted = super::needed(&crate::oci::Manifest::Image(m.clone()), limits);
    let human = crate::text::human_size;
    let files = m
        .layers
        .iter()
        .enumerate()
        .map(|(i, layer)| FileView {
            file: FileRef::of(layer),
            content: match contents.get(&layer.digest) {
                Some(bytes) => content(layer, bytes, &ctx, limits),
                None => Content::NotFetched {
                    over_limit: layer.size > limits.max_blob,
                    reason: if layer.size > limits.max_blob {
                        format!("{} is over the {} limit for inspection", human(layer.size), human(limits.max_blob))
                    } else if i >= MAX_LAYERS {
                        format!("only the first {MAX_LAYERS} layers are read")
                    } else if wanted.iter().any(|w| w.digest == layer.digest) {
                        "it could not be fetched (see the warnings)".into()
                    } else {
                        format!("the files before it fill the {} read for one artifact", human(limits.max_total))
                    },
                },
            },
        })
        .collect();
    ArtifactSummary {
        artifact_type: m.artifact_type.clone(),
        config_media_type: m.config.media_type.clone(),
        files,
    }
}

/// What one blob shows as.
pub fn content(layer: &Descriptor, bytes: &[u8], ctx: &Context, limits: &Limits) -> Content {
    let unreadable = |e: Unreadable| {
        let (raw, truncated) = raw_preview(bytes, limits);
        Content::Unreadable {
            problem: e.to_string(),
            raw,
            truncated,
        }
    };
    if let Some(format) = sniff::detect(&layer.media_type, bytes)
        && let Err(e) = summarize_as(format, bytes, layer, ctx, limits)
    {
        return unreadable(e);
    }
    let mt = layer.media_type.as_str();
    if mt.contains("tar") {
        return match super::listing::list_bytes_with(bytes, limits) {
            Ok(l) => Content::Listing(l),
            Err(e) => unreadable(e),
        };
    }
    let jsonish = mt.ends_with("json") || mt.contains("+json");
    if jsonish && let Some((text, truncated)) = super::json::pretty(bytes, limits.preview_bytes) {
        return Content::Json { text, truncated };
    }
    if super::json::is_text(bytes) {
        let (text, truncated) = super::json::text_head(bytes, limits.preview_bytes);
        return Content::Text { text, truncated };
    }
    Content::Binary {
        hex_head: super::json::hex_head(bytes, limits.hex_bytes),
    }
}

/// The raw bytes shown under a document that could not be read: text, else hex.
fn raw_preview(bytes: &[u8], limits: &Limits) -> (String, bool) {
    if super::json::is_text(bytes) {
        super::json::text_head(bytes, limits.preview_bytes)
    } else {
        (super::json::hex_head(bytes, limits.hex_bytes), bytes.len() > limits.hex_bytes)
    }
}
