//! Discovering an artifact's graph: its index children, referrers to any depth and cosign
//! attachments, each listed referrer checked to really point at its subject.

use std::collections::HashSet;

use futures_util::stream::StreamExt;

pub use super::model::{Rejection, rejection_message, sort_referrers};
use super::model::{Graph, Limits, Root, Scope, check_subject};
use super::walk::{WalkOptions, walk};
pub use super::walk::DEFAULT_CONCURRENCY;
use crate::error::Result;
use crate::oci::{Descriptor, Digest};
use crate::store::Target;

#[derive(Debug, Clone)]
pub struct DiscoverOptions {
    /// Only referrers of this artifact type, at every level (as `oras discover --artifact-type`).
    /// Cosign attachments, which have no artifact type, are then left out.
    pub artifact_type: Option<String>,
    /// Levels below the root to walk; `None` walks the whole graph.
    pub depth: Option<usize>,
    pub concurrency: usize,
    pub limits: Limits,
}

impl Default for DiscoverOptions {
    fn default() -> Self {
        DiscoverOptions {
            artifact_type: None,
            depth: None,
            concurrency: DEFAULT_CONCURRENCY,
            limits: Limits::default(),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Discovery {
    pub graph: Graph,
    /// What was odd, one sentence each: listed referrers left out, missing children…
    pub warnings: Vec<String>,
}

impl Discovery {
    pub fn root(&self) -> &Descriptor {
        &self.graph.root_node().descriptor
    }

    /// Every node shown, the root first.
    pub fn nodes(&self) -> Vec<Digest> {
        self.graph.members()
    }

    /// Nodes below the root.
    pub fn total(&self) -> usize {
        self.nodes().len().saturating_sub(1)
    }
}

/// Walks the graph of `root`.
pub async fn discover(target: &dyn Target, repo: &str, root: impl Into<Root>, opts: &DiscoverOptions) -> Result<Discovery> {
    let scope = Scope {
        referrers: true,
        attachments: opts.artifact_type.is_none(),
        depth: opts.depth,
    };
    let mut graph = Graph::new(root, scope, opts.limits)?;
    let walking = WalkOptions {
        concurrency: opts.concurrency,
        artifact_type: opts.artifact_type.clone(),
    };
    walk(target, repo, &mut graph, &walking, |_| {}).await?;
    let warnings = graph.notes();
    Ok(Discovery { graph, warnings })
}

/// Checks that `candidate`'s manifest exists and names `subject` as its subject. A verified
/// candidate comes back with its artifact type and annotations filled in from the manifest
/// where the listing left them out (tag-schema indexes written by other tools often do).
pub async fn verify_referrer(target: &dyn Target, repo: &str, candidate: &Descriptor, subject: &Digest) -> Result<Result<Descriptor, Rejection>> {
    let blob = match target.fetch_manifest(repo, &candidate.digest.to_string()).await {
        Ok(b) => b,
        Err(e) if e.is_not_found() => return Ok(Err(Rejection::Missing)),
        Err(e) => return Err(e),
    };
    let manifest = blob.parse()?;
    if let Err(r) = check_subject(manifest.subject().map(|s| &s.digest), subject) {
        return Ok(Err(r));
    }
    let mut d = candidate.clone();
    if d.artifact_type.is_none() {
        d.artifact_type = manifest.artifact_type().map(str::to_string);
    }
    if d.annotations.is_none() {
        d.annotations = manifest.annotations().cloned();
    }
    Ok(Ok(d))
}

/// One level of referrers below `subject`, each verified (concurrently), sorted for display.
pub async fn referrers_of(
    target: &dyn Target,
    repo: &str,
    subject: &Digest,
    artifact_type: Option<&str>,
    concurrency: usize,
) -> Result<(Vec<Descriptor>, Vec<String>)> {
    let listed = target.referrers(repo, subject, artifact_type).await?.descriptors;
    let checks = crate::graph::eager(listed.into_iter().map(|d| async move {
        let verdict = verify_referrer(target, repo, &d, subject).await;
        (d, verdict)
    }))
    .buffered(concurrency.max(1))
    .collect::<Vec<_>>()
    .await;
    let mut kept = Vec::new();
    let mut warnings = Vec::new();
    let mut seen = HashSet::new();
    for (d, verdict) in checks {
        match verdict? {
            Ok(checked) if seen.insert(checked.digest.clone()) => kept.push(checked),
            Ok(_) => {}
            Err(r) => warnings.push(rejection_message(&d.digest, subject, &r)),
        }
    }
    sort_referrers(&mut kept, |d| d);
    Ok((kept, warnings))
}
