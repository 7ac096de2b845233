//! Copying an artifact and, with `recursive`, its whole graph (referrers to any depth, cosign
//! attachments, index children with their own graphs) to another repository, registry or
//! layout.
//!
//! A copy is planned first (what exists at the destination, what must be sent), which the TUI
//! shows as a diff before anything is written. Execution sends blobs concurrently (mounting
//! them when both ends are the same registry), pushes manifests children-first, lists
//! referrers in the destination's own referrers mode once each subject's graph is there, and
//! sets tags last (cosign attachment tags, then the root's), so an interrupted copy never
//! leaves a tag on an incomplete graph. A rerun skips what arrived.

mod execute;
mod plan;

use std::collections::{HashMap, HashSet};

use tokio_util::sync::CancellationToken;

pub use execute::execute;
pub use plan::plan;

use super::model::Limits;
use super::progress::Progress;
use crate::error::{Error, Result};
use crate::oci::{Descriptor, Digest, ManifestBlob};
use crate::store::Target;

/// One side of a copy.
#[derive(Clone, Copy)]
pub struct Endpoint<'a> {
    pub target: &'a dyn Target,
    pub repo: &'a str,
}

#[derive(Clone)]
pub struct CopyOptions {
    /// Copy the whole graph: every referrer to any depth and every cosign attachment.
    pub recursive: bool,
    /// Transfers in flight at once.
    pub concurrency: usize,
    /// Both ends are the same registry: link blobs across repositories instead of sending them.
    pub mount: bool,
    pub progress: Progress,
    pub cancel: CancellationToken,
    /// Bounds on the source graph's walk.
    pub limits: Limits,
}

/// Blobs up to this size are sent [`SMALL_CONCURRENCY`] at a time, beside the large ones.
const SMALL_BLOB: u64 = 1024 * 1024;
/// Small blobs, manifests, checks and referrers indexes in flight at once: each is a round
/// trip or two.
const SMALL_CONCURRENCY: usize = 16;

impl Default for CopyOptions {
    fn default() -> Self {
        CopyOptions {
            recursive: false,
            concurrency: 4,
            mount: false,
            progress: Progress::default(),
            cancel: CancellationToken::new(),
            limits: Limits::default(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Root,
    /// A manifest of an index.
    Child,
    Referrer,
    /// A cosign attachment, found by its tag.
    Attachment,
}

/// A manifest in the plan.
#[derive(Debug, Clone)]
pub struct PlannedManifest {
    pub blob: ManifestBlob,
    /// As the source listed it (with artifact type and annotations for referrers).
    pub descriptor: Descriptor,
    pub role: Role,
    /// For a referrer, the subject it is listed under at the destination.
    pub subject: Option<Digest>,
    /// Cosign attachment tags it carries at the source, set at the destination too (digests
    /// are kept, so the names still fit).
    pub tags: Vec<String>,
    /// Already at the destination.
    pub exists: bool,
    /// Manifests that must land before this one (index children).
    pub needs: Vec<Digest>,
    pub blobs: Vec<Descriptor>,
}

#[derive(Debug, Clone)]
pub struct PlannedBlob {
    pub descriptor: Descriptor,
    pub exists: bool,
}

#[derive(Debug, Clone)]
pub struct CopyPlan {
    pub root: Descriptor,
    /// In push order (see [`ranks`]), then by type and digest.
    pub manifests: Vec<PlannedManifest>,
    /// Blobs of the manifests that are not at the destination yet, each once.
    pub blobs: Vec<PlannedBlob>,
    pub warnings: Vec<String>,
}

impl CopyPlan {
    pub fn bytes_to_send(&self) -> u64 {
        self.blobs.iter().filter(|b| !b.exists).fold(0u64, |sum, b| sum.saturating_add(b.descriptor.size))
    }
}

/// What happened to each blob.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BlobResult {
    Copied,
    Skipped,
    Mounted,
}

#[derive(Debug, Clone)]
pub struct CopyReport {
    pub root: Descriptor,
    pub blobs: Vec<(Descriptor, BlobResult)>,
    pub manifests_pushed: usize,
    pub manifests_skipped: usize,
    pub referrers: usize,
    /// Cosign attachment tags set at the destination.
    pub attachments: usize,
    pub bytes_sent: u64,
    /// What the destination's referrers index updates could not rule out (see
    /// [`crate::graph::tag_schema::Outcome::warnings`]).
    pub warnings: Vec<String>,
}

fn cancelled(cancel: &CancellationToken) -> Result<()> {
    if cancel.is_cancelled() { Err(Error::Cancelled) } else { Ok(()) }
}

/// The push order, shared by plan and execute: a manifest after those it needs (an index
/// after its children) and after its subject, so its rank is one more than the highest of
/// theirs. Manifests of one rank can be pushed together.
pub fn ranks(manifests: &[PlannedManifest]) -> HashMap<&Digest, usize> {
    fn visit<'a>(
        d: &'a Digest,
        by: &HashMap<&'a Digest, &'a PlannedManifest>,
        rank: &mut HashMap<&'a Digest, usize>,
        open: &mut HashSet<&'a Digest>,
    ) -> usize {
        if let Some(r) = rank.get(d) {
            return *r;
        }
        let Some(m) = by.get(d) else { return 0 };
        // A cycle cannot come from content addresses; a hostile listing is cut here.
        if !open.insert(d) {
            return 0;
        }
        let r = m
            .needs
            .iter()
            .chain(m.subject.iter())
            .filter(|n| by.contains_key(n))
            .map(|n| 1 + visit(n, by, rank, open))
            .max()
            .unwrap_or(0);
        open.remove(d);
        rank.insert(d, r);
        r
    }
    let by: HashMap<&Digest, &PlannedManifest> = manifests.iter().map(|m| (&m.blob.digest, m)).collect();
    let mut rank = HashMap::new();
    for m in manifests {
        visit(&m.blob.digest, &by, &mut rank, &mut HashSet::new());
    }
    rank
}

/// Plans and executes in one go.
pub async fn copy(src: Endpoint<'_>, dst: Endpoint<'_>, reference: &str, tags: &[String], opts: &CopyOptions) -> Result<(CopyPlan, CopyReport)> {
    let plan = plan(src, dst, reference, opts).await?;
    let report = execute(src, dst, &plan, tags, opts).await?;
    Ok((plan, report))
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;

    use super::*;

    fn planned(n: u8, needs: &[&PlannedManifest], subject: Option<&PlannedManifest>) -> PlannedManifest {
        let blob = ManifestBlob::new(Bytes::from(format!(r#"{{"schemaVersion":2,"manifests":[],"n":{n}}}"#)), None).unwrap();
        PlannedManifest {
            descriptor: blob.descriptor(),
            blob,
            role: Role::Referrer,
            subject: subject.map(|s| s.blob.digest.clone()),
            tags: Vec::new(),
            exists: false,
            needs: needs.iter().map(|m| m.blob.digest.clone()).collect(),
            blobs: Vec::new(),
        }
    }

    #[test]
    fn an_index_goes_after_its_children_and_a_referrer_after_its_subject() {
        let (a, b) = (planned(1, &[], None), planned(2, &[], None));
        let index = planned(3, &[&a, &b], None);
        let sig = planned(4, &[], Some(&index));
        let att = planned(5, &[], Some(&a));
        let mut looping = planned(6, &[], None);
        looping.needs.push(looping.blob.digest.clone());
        let all = [sig.clone(), index.clone(), att.clone(), a.clone(), b.clone(), looping.clone()];
        let rank = ranks(&all);
        let r = |m: &PlannedManifest| rank[&m.blob.digest];
        assert_eq!((r(&a), r(&b), r(&att), r(&index), r(&sig)), (0, 0, 1, 1, 2));
        assert_eq!(r(&looping), 1, "a manifest that needs itself is cut, not followed forever");
    }

    #[test]
    fn sizes_a_registry_made_up_do_not_overflow_the_total() {
        let blob = |size: u64| PlannedBlob {
            descriptor: Descriptor::new("application/octet-stream", Digest::sha256_of(&size.to_le_bytes()), size),
            exists: false,
        };
        let root = Descriptor::new("application/octet-stream", Digest::sha256_of(b"root"), 1);
        let plan = CopyPlan { root, manifests: Vec::new(), blobs: vec![blob(u64::MAX), blob(u64::MAX - 1), blob(7)], warnings: Vec::new() };
        assert_eq!(plan.bytes_to_send(), u64::MAX);
    }
}
