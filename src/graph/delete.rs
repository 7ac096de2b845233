//! Deleting a manifest and, unless told to keep them, its whole referrers graph, leaf first.
//! On a tag-schema registry the referrers indexes go too, and a deleted referrer is taken out
//! of its surviving subject's index, so the registry ends as clean as one with server-side
//! cascade. The plan lists every step before any is taken.

use std::collections::{HashMap, HashSet};

use futures_util::{StreamExt, TryStreamExt};

use super::discover::{DEFAULT_CONCURRENCY, DiscoverOptions, Node, discover};
use super::fallback;
use super::progress::{Outcome, Progress};
use crate::error::{Error, Result};
use crate::oci::{Descriptor, Digest};
use crate::store::{ReferrersMode, Target, is_digest_tag};
use crate::text::sanitize;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Delete a manifest (and with it every tag on it).
    Manifest { descriptor: Descriptor, tags: Vec<String> },
    /// Delete a subject's tag-schema index (and its `sha256-<hex>` tag).
    Index { subject: Digest, index: Digest, tag: String },
    /// Take entries out of a surviving subject's tag-schema index.
    Unlist { subject: Digest, removed: Vec<Digest> },
}

#[derive(Debug, Clone)]
pub struct DeletePlan {
    pub root: Descriptor,
    pub steps: Vec<Step>,
    pub mode: Option<ReferrersMode>,
    pub warnings: Vec<String>,
}

impl DeletePlan {
    /// The plan as people read it: a header, then one line per step in the order they happen.
    pub fn describe(&self, shown: &str) -> String {
        let n = self.manifests().count();
        let mut out = format!(
            "Deleting {} ({}) and {} referrer(s), leaf first:\n",
            sanitize(shown),
            self.root.digest,
            n.saturating_sub(1)
        );
        for step in &self.steps {
            let line = match step {
                Step::Manifest { descriptor, tags } => {
                    let mut l = format!("  manifest  {}  {}", descriptor.digest, sanitize(descriptor.kind()));
                    if !tags.is_empty() {
                        l.push_str(&format!("  tags: {}", sanitize(&tags.join(", "))));
                    }
                    l
                }
                Step::Index { index, tag, .. } => format!("  index     {index}  referrers index, tag {tag}"),
                Step::Unlist { subject, removed } => format!(
                    "  update    referrers index of {subject}: remove {}",
                    removed.iter().map(|d| d.to_string()).collect::<Vec<_>>().join(", ")
                ),
            };
            out.push_str(&line);
            out.push('\n');
        }
        out
    }

    pub fn manifests(&self) -> impl Iterator<Item = &Descriptor> {
        self.steps.iter().filter_map(|s| match s {
            Step::Manifest { descriptor, .. } => Some(descriptor),
            _ => None,
        })
    }
}

/// Works out what deleting `reference` means, without changing anything.
pub async fn plan(target: &dyn Target, repo: &str, reference: &str, keep_referrers: bool) -> Result<DeletePlan> {
    let blob = target.fetch_manifest(repo, reference).await?;
    let mut root = blob.descriptor();
    let parsed = blob.parse()?;
    root.artifact_type = parsed.declared_artifact_type().map(str::to_string);
    let subject = parsed.subject().map(|s| s.digest.clone());
    let (tree, warnings) = if keep_referrers {
        (Vec::new(), Vec::new())
    } else {
        let d = discover(target, repo, root.clone(), &DiscoverOptions::default()).await?;
        (d.referrers, d.warnings)
    };
    let mut doomed: HashSet<Digest> = HashSet::from([root.digest.clone()]);
    fn collect(nodes: &[Node], out: &mut HashSet<Digest>) {
        for n in nodes {
            out.insert(n.descriptor.digest.clone());
            collect(&n.children, out);
        }
    }
    collect(&tree, &mut doomed);
    let tags = tags_on(target, repo, &doomed).await?;
    let index_aware = target.needs_referrers_index();

    // Each doomed node's own tag-schema index, read all at once rather than node by node.
    let indexes: HashMap<Digest, Digest> = if index_aware && !keep_referrers {
        crate::graph::eager(doomed.iter().map(|d| async move { Ok::<_, Error>(fallback::read(target, repo, d).await?.map(|(i, _)| (d.clone(), i.digest))) }))
            .buffered(DEFAULT_CONCURRENCY)
            .try_collect::<Vec<_>>()
            .await?
            .into_iter()
            .flatten()
            .collect()
    } else {
        HashMap::new()
    };
    let tags_of = |d: &Digest| tags.iter().filter(|(_, t)| t == d).map(|(t, _)| t.clone()).collect();
    let mut steps = Vec::new();
    fn node_steps(desc: &Descriptor, children: &[Node], indexes: &HashMap<Digest, Digest>, tags_of: &dyn Fn(&Digest) -> Vec<String>, steps: &mut Vec<Step>) {
        for c in children {
            node_steps(&c.descriptor, &c.children, indexes, tags_of, steps);
        }
        if let Some(index) = indexes.get(&desc.digest) {
            steps.push(Step::Index {
                subject: desc.digest.clone(),
                index: index.clone(),
                tag: desc.digest.fallback_tag(),
            });
        }
        steps.push(Step::Manifest {
            descriptor: desc.clone(),
            tags: tags_of(&desc.digest),
        });
    }
    if keep_referrers {
        steps.push(Step::Manifest {
            descriptor: root.clone(),
            tags: tags_of(&root.digest),
        });
    } else {
        node_steps(&root, &tree, &indexes, &tags_of, &mut steps);
    }
    if let Some(s) = subject
        && index_aware
        && let Some((_, index)) = fallback::read(target, repo, &s).await?
        && index.manifests.iter().any(|e| e.digest == root.digest)
    {
        steps.push(Step::Unlist {
            subject: s,
            removed: vec![root.digest.clone()],
        });
    }
    Ok(DeletePlan {
        mode: target.referrers_mode(repo),
        root,
        steps,
        warnings,
    })
}

/// The tags (other than referrers indexes) that point at any of `digests`.
async fn tags_on(target: &dyn Target, repo: &str, digests: &HashSet<Digest>) -> Result<Vec<(String, Digest)>> {
    let tags = target.list_tags(repo).await.or_else(|e| if e.is_not_found() { Ok(Vec::new()) } else { Err(e) })?;
    let resolved: Vec<Option<(String, Digest)>> = crate::graph::eager(tags.into_iter().filter(|t| !is_digest_tag(t)).map(|t| async move {
        match target.resolve(repo, &t).await {
            Ok(d) if digests.contains(&d.digest) => Some((t, d.digest)),
            _ => None,
        }
    }))
    .buffered(8)
    .collect()
    .await;
    Ok(resolved.into_iter().flatten().collect())
}

#[derive(Debug, Clone, Default)]
pub struct DeleteReport {
    pub manifests_deleted: usize,
    pub indexes_deleted: usize,
    pub already_gone: usize,
}

/// Carries out a plan in order. The first failure stops it; a registry that refuses deletes
/// refuses the first one, so nothing is half done.
pub async fn apply(target: &dyn Target, repo: &str, plan: &DeletePlan, progress: &Progress) -> Result<DeleteReport> {
    let mut report = DeleteReport::default();
    for step in &plan.steps {
        match step {
            Step::Manifest { descriptor, .. } => {
                let task = progress.start(format!("delete {}", descriptor.digest.short()), 1);
                match target.delete_manifest(repo, &descriptor.digest).await {
                    Ok(()) => report.manifests_deleted += 1,
                    Err(e) if e.is_not_found() => report.already_gone += 1,
                    Err(e) => {
                        task.finish(Outcome::Failed(e.to_string()));
                        return Err(e);
                    }
                }
                task.finish(Outcome::Done);
            }
            Step::Index { index, .. } => match target.delete_manifest(repo, index).await {
                Ok(()) => report.indexes_deleted += 1,
                Err(e) if e.is_not_found() => report.already_gone += 1,
                Err(e) => return Err(e),
            },
            Step::Unlist { subject, removed } => {
                fallback::update(target, repo, subject, &fallback::Change::Remove(removed.clone())).await?;
            }
        }
    }
    Ok(report)
}

/// Refuses to go on without a confirmation, unless forced.
pub fn require_confirmation(force: bool, confirmed: Option<bool>) -> Result<()> {
    match (force, confirmed) {
        (true, _) | (false, Some(true)) => Ok(()),
        (false, Some(false)) => Err(Error::Cancelled),
        (false, None) => Err(Error::usage(
            "refusing to delete without confirmation: stdin is not a terminal; pass -f to delete, or --dry-run to see the plan",
        )),
    }
}
