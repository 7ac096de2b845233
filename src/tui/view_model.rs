//! What the panes and dialogs show, built in one place from what `graph` and the targets
//! return: a manifest for the details pane, a tag's line in the tags pane, the copy and delete
//! reviews. Registry text is stripped of control characters here, before it can reach the
//! terminal.

use std::collections::HashSet;

use crate::error::{Error, Result};
use crate::graph::copy::{CopyPlan, Role};
use crate::graph::delete::DeletePlan;
use crate::oci::{Annotations, Descriptor, Digest, Manifest, ManifestBlob};
use crate::text::sanitize;

/// Something fetched in the background.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Loaded<T> {
    #[default]
    NotRequested,
    Loading,
    Ready(T),
    Failed(String),
}

impl<T> Loaded<T> {
    pub fn ready(&self) -> Option<&T> {
        match self {
            Loaded::Ready(t) => Some(t),
            _ => None,
        }
    }

    pub fn is_loading(&self) -> bool {
        matches!(self, Loaded::Loading)
    }
}

/// A manifest as the details pane shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManifestView {
    pub descriptor: Descriptor,
    pub artifact_type: Option<String>,
    pub config: Option<Descriptor>,
    pub subject: Option<Digest>,
    pub annotations: Annotations,
    pub layers: Vec<Descriptor>,
    /// Platform manifests of an index.
    pub manifests: Vec<Descriptor>,
    /// The manifest pretty-printed, one line per entry.
    pub pretty: Vec<String>,
    /// Manifest, config and layers together.
    pub total_size: u64,
}

impl ManifestView {
    pub fn kind(&self) -> &str {
        self.artifact_type.as_deref().unwrap_or(&self.descriptor.media_type)
    }
}

/// The details pane's view of a manifest.
pub fn manifest_view(blob: &ManifestBlob) -> Result<ManifestView> {
    let parsed = blob.parse()?;
    let value: serde_json::Value = serde_json::from_slice(&blob.bytes).map_err(|e| Error::usage(e.to_string()))?;
    let pretty = serde_json::to_string_pretty(&value)
        .unwrap_or_default()
        .lines()
        .map(sanitize)
        .collect();
    let (config, layers, manifests) = match &parsed {
        Manifest::Image(m) => (Some(m.config.clone()), m.layers.clone(), Vec::new()),
        Manifest::Index(i) => (None, Vec::new(), i.manifests.clone()),
    };
    let total_size = blob.bytes.len() as u64
        + config.as_ref().map(|c| c.size).unwrap_or(0)
        + layers.iter().map(|l| l.size).sum::<u64>()
        + manifests.iter().map(|m| m.size).sum::<u64>();
    Ok(ManifestView {
        descriptor: blob.descriptor(),
        artifact_type: parsed.declared_artifact_type().map(str::to_string),
        config,
        subject: parsed.subject().map(|s| s.digest.clone()),
        annotations: parsed.annotations().cloned().unwrap_or_default(),
        layers,
        manifests,
        pretty,
        total_size,
    })
}

/// What the tags pane shows about one tag, once its manifest is known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TagInfo {
    pub digest: Digest,
    /// Artifact type, or media type for images.
    pub kind: String,
    /// Manifest, config and layers together.
    pub size: u64,
}

/// Tag descriptions as the tags pane shows them.
pub fn tag_info(view: &ManifestView) -> TagInfo {
    TagInfo {
        digest: view.descriptor.digest.clone(),
        kind: view.kind().to_string(),
        size: view.total_size,
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CopyRow {
    pub digest: Digest,
    pub kind: String,
    /// 0 for the artifact itself, then one more per referrer level.
    pub depth: usize,
    pub exists: bool,
    pub bytes: u64,
}

/// A planned copy, shown before anything is written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CopyPreview {
    pub destination: String,
    pub rows: Vec<CopyRow>,
    pub blobs_to_send: usize,
    pub blobs_present: usize,
    pub bytes_to_send: u64,
    pub warnings: Vec<String>,
}

/// The copy review of `plan`, going to `shown`.
pub fn copy_preview(plan: &CopyPlan, shown: &str) -> CopyPreview {
    let depth_of = |m: &crate::graph::copy::PlannedManifest| {
        let mut depth = 0;
        let mut at = m.subject.clone();
        while let Some(s) = at {
            depth += 1;
            at = plan.manifests.iter().find(|x| x.blob.digest == s).and_then(|x| x.subject.clone());
        }
        depth + usize::from(m.role == Role::Child)
    };
    let missing: HashSet<&Digest> = plan.blobs.iter().filter(|b| !b.exists).map(|b| &b.descriptor.digest).collect();
    let rows = plan
        .manifests
        .iter()
        .map(|m| CopyRow {
            digest: m.blob.digest.clone(),
            kind: sanitize(m.descriptor.artifact_type.as_deref().unwrap_or(&m.blob.media_type)),
            depth: depth_of(m),
            exists: m.exists,
            bytes: m.blobs.iter().filter(|b| missing.contains(&b.digest)).map(|b| b.size).sum(),
        })
        .collect();
    CopyPreview {
        destination: sanitize(shown),
        rows,
        blobs_to_send: missing.len(),
        blobs_present: plan.blobs.len() - missing.len(),
        bytes_to_send: plan.bytes_to_send(),
        warnings: plan.warnings.iter().map(|w| sanitize(w)).collect(),
    }
}

/// A planned delete: every step, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeletePreview {
    pub target: String,
    pub lines: Vec<String>,
}

/// The delete review of `plan`, which deletes `shown`.
pub fn delete_preview(plan: &DeletePlan, shown: &str) -> DeletePreview {
    DeletePreview {
        target: shown.to_string(),
        lines: plan.describe(shown).lines().map(str::to_string).collect(),
    }
}
