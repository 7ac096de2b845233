//! Indexes: their platforms, with each platform's size (its manifest's config and layers).

use serde::Serialize;

use super::Contents;
use crate::oci::{Annotations, Descriptor, Digest, ImageIndex, Manifest, media_types};

/// Child manifests fetched to size an index's platforms; past this only the descriptors show.
pub const MAX_CHILDREN: usize = 64;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PlatformEntry {
    pub platform: Option<String>,
    pub media_type: String,
    pub digest: Digest,
    /// The child manifest's own size.
    pub size: u64,
    /// Its config and layers, when the manifest was read.
    pub image_size: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub artifact_type: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct IndexSummary {
    pub platforms: Vec<PlatformEntry>,
    pub annotations: Annotations,
}

/// The child manifests [`summarize`] reads (fetched as manifests, by digest).
pub fn children(index: &ImageIndex) -> Vec<Descriptor> {
    index
        .manifests
        .iter()
        .filter(|d| media_types::is_manifest(&d.media_type) && !media_types::is_index(&d.media_type))
        .take(MAX_CHILDREN)
        .cloned()
        .collect()
}

pub fn summarize(index: &ImageIndex, contents: &Contents) -> IndexSummary {
    let platforms = index
        .manifests
        .iter()
        .map(|d| PlatformEntry {
            platform: d.platform.as_ref().map(|p| p.to_string()),
            media_type: d.media_type.clone(),
            digest: d.digest.clone(),
            size: d.size,
            image_size: contents.get(&d.digest).and_then(|b| image_size(b, &d.media_type)),
            artifact_type: d.artifact_type.clone(),
        })
        .collect();
    IndexSummary {
        platforms,
        annotations: index.annotations.clone().unwrap_or_default(),
    }
}

fn image_size(bytes: &[u8], media_type: &str) -> Option<u64> {
    match crate::oci::manifest::parse_manifest(bytes, media_type).ok()? {
        Manifest::Image(m) => Some(m.layers.iter().fold(m.config.size, |acc, l| acc.saturating_add(l.size))),
        Manifest::Index(_) => None,
    }
}
