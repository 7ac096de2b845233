//! Walking the referrers graph: breadth-first, with a bounded number of requests in flight,
//! each node expanded once, and every listed referrer checked to really point at its subject.

use std::collections::{HashSet, VecDeque};

use futures_util::stream::{FuturesUnordered, StreamExt};

use crate::error::Result;
use crate::oci::media_types::annotations::CREATED;
use crate::oci::{Descriptor, Digest};
use crate::store::{ReferrersMode, Target};

/// Requests in flight during a walk unless told otherwise.
pub const DEFAULT_CONCURRENCY: usize = 16;

#[derive(Debug, Clone)]
pub struct DiscoverOptions {
    /// Only referrers of this artifact type, at every level (as `oras discover --artifact-type`).
    pub artifact_type: Option<String>,
    /// Levels below the subject to walk; `None` walks the whole graph.
    pub depth: Option<usize>,
    pub concurrency: usize,
    /// Fetch each referrer's manifest and drop it unless its `subject` is the node it is
    /// listed under. Tag-schema indexes are written by clients, so they can be wrong.
    pub verify_subjects: bool,
}

impl Default for DiscoverOptions {
    fn default() -> Self {
        DiscoverOptions {
            artifact_type: None,
            depth: None,
            concurrency: DEFAULT_CONCURRENCY,
            verify_subjects: true,
        }
    }
}

/// One referrer and its own referrers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    pub descriptor: Descriptor,
    pub children: Vec<Node>,
}

impl Node {
    /// Every node below this one, depth first.
    pub fn count(&self) -> usize {
        1 + self.children.iter().map(Node::count).sum::<usize>()
    }
}

#[derive(Debug, Clone)]
pub struct Discovery {
    pub root: Descriptor,
    pub referrers: Vec<Node>,
    pub mode: Option<ReferrersMode>,
    /// Entries left out, and why (listed but missing, pointing elsewhere, repeated).
    pub warnings: Vec<String>,
}

impl Discovery {
    pub fn total(&self) -> usize {
        self.referrers.iter().map(Node::count).sum()
    }
}

/// Why a listed referrer is not one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rejection {
    Missing,
    SubjectElsewhere(Option<Digest>),
}

/// Checks that `candidate`'s manifest exists and names `subject` as its subject. A verified
/// candidate comes back with its artifact type and annotations filled in from the manifest
/// where the listing left them out (tag-schema indexes written by other tools often do).
pub async fn verify_referrer(
    target: &dyn Target,
    repo: &str,
    candidate: &Descriptor,
    subject: &Digest,
) -> Result<Result<Descriptor, Rejection>> {
    let blob = match target.fetch_manifest(repo, &candidate.digest.to_string()).await {
        Ok(b) => b,
        Err(e) if e.is_not_found() => return Ok(Err(Rejection::Missing)),
        Err(e) => return Err(e),
    };
    let manifest = blob.parse()?;
    let named = manifest.subject().map(|s| s.digest.clone());
    if named.as_ref() != Some(subject) {
        return Ok(Err(Rejection::SubjectElsewhere(named)));
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

pub fn rejection_message(candidate: &Descriptor, subject: &Digest, r: &Rejection) -> String {
    match r {
        Rejection::Missing => format!(
            "{} is listed as a referrer of {} but does not exist; left out",
            candidate.digest, subject
        ),
        Rejection::SubjectElsewhere(Some(other)) => format!(
            "{} is listed as a referrer of {} but its subject is {}; left out",
            candidate.digest, subject, other
        ),
        Rejection::SubjectElsewhere(None) => format!(
            "{} is listed as a referrer of {} but has no subject; left out",
            candidate.digest, subject
        ),
    }
}

struct Slot {
    desc: Descriptor,
    depth: usize,
    children: Vec<usize>,
    rejected: bool,
}

enum Outcome {
    /// Verified (possibly with details filled in) and, unless at the depth limit, expanded.
    Checked(Option<Descriptor>, Option<Vec<Descriptor>>),
    Rejected(String),
}

/// Walks the referrers graph below `root`.
pub async fn discover(target: &dyn Target, repo: &str, root: Descriptor, opts: &DiscoverOptions) -> Result<Discovery> {
    let concurrency = opts.concurrency.max(1);
    let mut arena = vec![Slot {
        desc: root.clone(),
        depth: 0,
        children: Vec::new(),
        rejected: false,
    }];
    let mut visited: HashSet<Digest> = HashSet::from([root.digest.clone()]);
    let mut warnings = Vec::new();
    let mut queue: VecDeque<(usize, Option<Digest>)> = VecDeque::from([(0, None)]);
    // Requests in flight are bounded here; twice as many nodes may be waiting for a slot so
    // that one is always ready when a request finishes.
    let slots = tokio::sync::Semaphore::new(concurrency);
    let slots = &slots;
    let mut pending = FuturesUnordered::new();
    let artifact_type = opts.artifact_type.as_deref();

    while !queue.is_empty() || !pending.is_empty() {
        while pending.len() < concurrency * 2 {
            let Some((i, parent)) = queue.pop_front() else { break };
            let desc = arena[i].desc.clone();
            let expand = opts.depth.is_none_or(|d| arena[i].depth < d);
            let verify = opts.verify_subjects && parent.is_some();
            pending.push(async move {
                // The check of a node and the listing of its own referrers are independent
                // requests: sent together, a chain costs one round trip per level, not two.
                let check = async {
                    match &parent {
                        Some(parent) if verify => {
                            let _slot = slots.acquire().await;
                            verify_referrer(target, repo, &desc, parent).await.map(Some)
                        }
                        _ => Ok(None),
                    }
                };
                let list = async {
                    if expand {
                        let _slot = slots.acquire().await;
                        target.referrers(repo, &desc.digest, artifact_type).await.map(|r| Some(r.descriptors))
                    } else {
                        Ok(None)
                    }
                };
                let (checked, listed) = futures_util::join!(check, list);
                let outcome = match checked {
                    Err(e) => Err(e),
                    Ok(Some(Err(r))) => Ok(Outcome::Rejected(rejection_message(&desc, parent.as_ref().unwrap_or(&desc.digest), &r))),
                    Ok(Some(Ok(d))) => listed.map(|l| Outcome::Checked(Some(d), l)),
                    Ok(None) => listed.map(|l| Outcome::Checked(None, l)),
                };
                (i, outcome)
            });
        }
        let Some((i, result)) = pending.next().await else { break };
        match result? {
            Outcome::Rejected(msg) => {
                arena[i].rejected = true;
                warnings.push(msg);
            }
            Outcome::Checked(checked, list) => {
                if let Some(d) = checked {
                    arena[i].desc = d;
                }
                let list = list.unwrap_or_default();
                let depth = arena[i].depth + 1;
                for d in list {
                    if !visited.insert(d.digest.clone()) {
                        warnings.push(format!(
                            "{} is listed again under {} (a cycle or a repeated entry); shown once",
                            d.digest, arena[i].desc.digest
                        ));
                        continue;
                    }
                    let j = arena.len();
                    arena.push(Slot {
                        desc: d,
                        depth,
                        children: Vec::new(),
                        rejected: false,
                    });
                    arena[i].children.push(j);
                    queue.push_back((j, Some(arena[i].desc.digest.clone())));
                }
            }
        }
    }
    let referrers = build(&arena, 0);
    Ok(Discovery {
        root,
        referrers,
        mode: target.referrers_mode(repo),
        warnings,
    })
}

fn build(arena: &[Slot], i: usize) -> Vec<Node> {
    let mut nodes: Vec<Node> = arena[i]
        .children
        .iter()
        .filter(|&&c| !arena[c].rejected)
        .map(|&c| Node {
            descriptor: arena[c].desc.clone(),
            children: build(arena, c),
        })
        .collect();
    sort_referrers(&mut nodes, |n| &n.descriptor);
    nodes
}

/// The order referrers are shown in: by artifact type, then oldest first, then digest.
pub fn sort_referrers<T>(items: &mut [T], desc: impl Fn(&T) -> &Descriptor) {
    items.sort_by(|a, b| {
        let (a, b) = (desc(a), desc(b));
        a.kind()
            .cmp(b.kind())
            .then_with(|| a.annotation(CREATED).cmp(&b.annotation(CREATED)))
            .then_with(|| a.digest.cmp(&b.digest))
    });
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
            Err(r) => warnings.push(rejection_message(&d, subject, &r)),
        }
    }
    sort_referrers(&mut kept, |d| d);
    Ok((kept, warnings))
}
