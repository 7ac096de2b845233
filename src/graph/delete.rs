//! Deleting a manifest and, unless told to keep them, its whole graph: its referrers and
//! cosign attachments to any depth, and for an index its children with their own graphs.
//! On a tag-schema registry the referrers indexes go too, and a deleted referrer is taken out
//! of its surviving subject's index, so the registry ends as clean as one with server-side
//! cascade. The plan lists every step before any is taken.
//!
//! What a tag that stays still reaches stays: a manifest of the graph with a tag of its own,
//! or a child that another index (one that stays) lists, is kept with its graph, and the plan
//! says why. A tag whose target could not be read is reported, never passed over.

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};

use futures_util::{StreamExt, TryStreamExt};

use super::tag_schema;
use super::model::{Graph, Limits, Link, Scope, TagRole, Verdict, classify_tag};
use super::progress::{Outcome, Progress};
use super::walk::{DEFAULT_CONCURRENCY, WalkOptions, walk};
use crate::error::{Error, Result};
use crate::oci::{Descriptor, Digest, Manifest, media_types};
use crate::store::{ReferrersMode, Target};
use crate::text::sanitize;

#[derive(Debug, Clone)]
pub struct DeleteOptions {
    /// Delete only this manifest: its referrers, attachments and children stay.
    pub keep_referrers: bool,
    pub limits: Limits,
    pub concurrency: usize,
}

impl Default for DeleteOptions {
    fn default() -> Self {
        DeleteOptions {
            keep_referrers: false,
            limits: Limits::default(),
            concurrency: DEFAULT_CONCURRENCY,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Delete a manifest (and with it every tag on it).
    Manifest { descriptor: Descriptor, tags: Vec<String> },
    /// Delete a subject's tag-schema index (and its `sha256-<hex>` tag).
    Index { subject: Digest, index: Digest, tag: String },
    /// Take entries out of a surviving subject's tag-schema index.
    Unlist { subject: Digest, removed: Vec<Digest> },
}

/// Why a manifest of the graph stays.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reason {
    /// A tag that stays points at it.
    Tag(String),
    /// An index that stays (reached from `tag`) lists it.
    Index { index: Digest, tag: String },
}

/// A manifest of the graph that is not deleted, with its own graph.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Kept {
    pub descriptor: Descriptor,
    pub reason: Reason,
}

#[derive(Debug, Clone)]
pub struct DeletePlan {
    pub root: Descriptor,
    pub steps: Vec<Step>,
    /// Manifests of the graph that stay because a tag that stays reaches them, and why.
    pub kept: Vec<Kept>,
    /// What could not be read, and why: a tag whose target is unknown may point into the
    /// graph, and then it goes with the manifest it points at.
    pub unchecked: Vec<(String, String)>,
    pub warnings: Vec<String>,
}

impl DeletePlan {
    /// The plan as people read it: a header, then one line per step in the order they happen,
    /// then what stays and what could not be checked.
    pub fn describe(&self, shown: &str) -> String {
        let n = self.manifests().count();
        let mut out = format!(
            "Deleting {} ({}) and {} more manifest(s) of its graph, leaf first:\n",
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
        for k in &self.kept {
            let why = match &k.reason {
                Reason::Tag(t) => format!("tag {} stays on it", sanitize(t)),
                Reason::Index { index, tag } => format!("index {index} (tag {}) stays and lists it", sanitize(tag)),
            };
            out.push_str(&format!("  keep      {}  {}  {why}\n", k.descriptor.digest, sanitize(k.descriptor.kind())));
        }
        for (what, why) in &self.unchecked {
            out.push_str(&format!("  unchecked {}: {}\n", sanitize(what), sanitize(why)));
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

/// Works out what deleting `reference` means, without changing anything. Each tag of the
/// repository is read at most once.
pub async fn plan(target: &dyn Target, repo: &str, reference: &str, opts: &DeleteOptions) -> Result<DeletePlan> {
    let blob = target.fetch_manifest(repo, reference).await?;
    let all_tags = target.list_tags(repo).await.or_else(|e| if e.is_not_found() { Ok(Vec::new()) } else { Err(e) })?;
    let scope = if opts.keep_referrers {
        Scope { depth: Some(0), ..Scope::OWN }
    } else {
        Scope::WHOLE
    };
    let mut graph = Graph::new(blob, scope, opts.limits)?;
    graph.insert_tags(all_tags.clone())?;
    let walking = WalkOptions {
        concurrency: opts.concurrency,
        artifact_type: None,
    };
    walk(target, repo, &mut graph, &walking, |_| {}).await?;
    let mut warnings = graph.notes();

    let tags = read_tags(target, repo, &graph, reference, &all_tags, opts.concurrency).await;
    let mut unchecked = tags.unchecked.clone();
    let outside = outside_children(target, repo, &graph, &tags, opts, &mut unchecked).await?;
    let fate = decide(&graph, &tags.targets, &outside)?;
    for (what, why) in &unchecked {
        warnings.push(format!("could not check {what}: {why}; the plan does not account for it"));
    }
    for (tag, d) in &tags.targets {
        if let TagRole::Attachment(subject, _) = classify_tag(tag)
            && fate.doomed.contains(&subject)
            && !fate.doomed.contains(d)
        {
            warnings.push(format!("the cosign tag {tag} stays: its manifest {d} is kept for another tag"));
        }
    }

    let indexes = referrers_indexes(target, repo, &graph, &fate.doomed, opts.concurrency).await?;
    let mut steps = Vec::new();
    let mut visited = HashSet::new();
    let tags_on = |d: &Digest| -> Vec<String> { tags.targets.iter().filter(|(_, t)| t == d).map(|(tag, _)| tag.clone()).collect() };
    node_steps(&graph, graph.root(), &fate.doomed, &indexes, &tags_on, &mut visited, &mut steps);
    steps.extend(unlist_steps(target, repo, &graph, &fate.doomed).await?);
    Ok(DeletePlan {
        root: graph.root_node().descriptor.clone(),
        steps,
        kept: fate.kept,
        unchecked,
        warnings,
    })
}

/// The repository's tags and what they point at, each read at most once: what the walk
/// already fetched (the root's tag, cosign attachments) is reused, the rest is resolved.
/// Referrers-index tags are not followed: they belong to their subjects.
struct ReadTags {
    targets: Vec<(String, Digest)>,
    /// Tags that are indexes, with their descriptors, for children they keep.
    indexes: Vec<(String, Descriptor)>,
    unchecked: Vec<(String, String)>,
}

async fn read_tags(target: &dyn Target, repo: &str, graph: &Graph, reference: &str, all: &[String], concurrency: usize) -> ReadTags {
    let mut known: HashMap<String, Digest> = HashMap::new();
    if reference.parse::<Digest>().is_err() {
        known.insert(reference.to_string(), graph.root().clone());
    }
    for d in graph.members() {
        for e in graph.edges(&d) {
            if let Link::Attachment { tag, .. } = &e.link {
                known.insert(tag.clone(), e.to().clone());
            }
        }
    }
    let to_resolve: Vec<&String> = all
        .iter()
        .filter(|t| !known.contains_key(*t) && !matches!(classify_tag(t), TagRole::ReferrersIndex(_)))
        .collect();
    let resolved: Vec<(String, Result<Descriptor>)> = crate::graph::eager(to_resolve.into_iter().map(|t| async move { (t.clone(), target.resolve(repo, t).await) }))
        .buffered(concurrency.max(1))
        .collect()
        .await;
    let mut out = ReadTags {
        targets: known.into_iter().collect(),
        indexes: Vec::new(),
        unchecked: Vec::new(),
    };
    for (tag, r) in resolved {
        match r {
            Ok(d) => {
                if media_types::is_index(&d.media_type) {
                    out.indexes.push((tag.clone(), d.clone()));
                }
                out.targets.push((tag, d.digest));
            }
            // Gone since the listing: nothing points anywhere any more.
            Err(e) if e.is_not_found() => {}
            Err(e) => out.unchecked.push((format!("tag {tag}"), e.to_string())),
        }
    }
    out.targets.sort();
    out
}

/// Children of the indexes outside the graph that tags point at (nested indexes followed),
/// so that a child they share with the graph is kept.
async fn outside_children(
    target: &dyn Target,
    repo: &str,
    graph: &Graph,
    tags: &ReadTags,
    opts: &DeleteOptions,
    unchecked: &mut Vec<(String, String)>,
) -> Result<HashMap<Digest, (String, Vec<Digest>)>> {
    let members: HashSet<Digest> = graph.members().into_iter().collect();
    let mut out: HashMap<Digest, (String, Vec<Digest>)> = HashMap::new();
    let mut queue: VecDeque<(String, Digest)> = tags
        .indexes
        .iter()
        .filter(|(_, d)| !members.contains(&d.digest))
        .map(|(t, d)| (t.clone(), d.digest.clone()))
        .collect();
    while !queue.is_empty() {
        let batch: Vec<(String, Digest)> = queue.drain(..).filter(|(_, d)| !out.contains_key(d)).collect();
        let fetched: Vec<_> = crate::graph::eager(batch.into_iter().map(|(tag, d)| async move {
            let r = target.fetch_manifest(repo, &d.to_string()).await;
            (tag, d, r)
        }))
        .buffered(opts.concurrency.max(1))
        .collect()
        .await;
        for (tag, d, r) in fetched {
            let index = match r.map(|b| b.parse()) {
                Ok(Ok(Manifest::Index(i))) => i,
                Ok(Ok(Manifest::Image(_))) => continue,
                Err(e) if e.is_not_found() => continue,
                Ok(Err(e)) => {
                    unchecked.push((format!("index {d} (tag {tag})"), e.to_string()));
                    continue;
                }
                Err(e) => {
                    unchecked.push((format!("index {d} (tag {tag})"), e.to_string()));
                    continue;
                }
            };
            if out.len() >= opts.limits.nodes {
                return Err(Error::GraphLimit {
                    root: graph.root().clone(),
                    what: "indexes around it",
                    limit: opts.limits.nodes,
                    flag: "--max-nodes",
                });
            }
            for c in index.manifests.iter().filter(|c| media_types::is_index(&c.media_type) && !members.contains(&c.digest)) {
                queue.push_back((tag.clone(), c.digest.clone()));
            }
            out.insert(d, (tag, index.manifests.into_iter().map(|c| c.digest).collect()));
        }
    }
    Ok(out)
}

struct Fate {
    doomed: HashSet<Digest>,
    kept: Vec<Kept>,
}

/// What goes and what stays. Every tag stays except the root's own and the cosign attachment
/// tags of what goes (those belong to their subject). Whatever a staying tag points at stays,
/// with the children of every index it reaches; everything else the root reaches goes. A
/// referrer or attachment can only be reached through its subject, so it goes or stays with
/// it; only index children, which several indexes may share, need the reach of staying tags.
fn decide(graph: &Graph, tags: &[(String, Digest)], outside: &HashMap<Digest, (String, Vec<Digest>)>) -> Result<Fate> {
    let root = graph.root();
    let members = graph.members();
    let member_set: HashSet<&Digest> = members.iter().collect();
    let mut children: HashMap<&Digest, Vec<&Digest>> = HashMap::new();
    for d in &members {
        for e in graph.edges(d) {
            if e.link == Link::Child && graph.verdict(d, e) == Verdict::Valid {
                children.entry(d).or_default().push(e.to());
            }
        }
    }
    for (d, (_, list)) in outside {
        children.entry(d).or_default().extend(list.iter());
    }
    let mut reason: HashMap<&Digest, Reason> = HashMap::new();
    let mut queue: VecDeque<(&Digest, &str)> = VecDeque::new();
    // Names people chose first: they make the clearer reason.
    let mut staying: Vec<(bool, &String, &Digest)> = tags
        .iter()
        .filter_map(|(tag, d)| {
            let plain = match classify_tag(tag) {
                TagRole::Plain => true,
                // Another subject's attachment that happens to share this manifest.
                TagRole::Attachment(subject, _) if !member_set.contains(&subject) => false,
                _ => return None,
            };
            (d != root).then_some((!plain, tag, d))
        })
        .collect();
    staying.sort();
    for (_, tag, d) in staying {
        if !reason.contains_key(d) {
            reason.insert(d, Reason::Tag(tag.clone()));
            queue.push_back((d, tag));
        }
    }
    while let Some((d, tag)) = queue.pop_front() {
        for c in children.get(d).into_iter().flatten() {
            if !reason.contains_key(c) {
                reason.insert(c, Reason::Index { index: d.clone(), tag: tag.to_string() });
                queue.push_back((c, tag));
            }
        }
    }
    if let Some(Reason::Index { index, tag }) = reason.get(root) {
        return Err(Error::usage(format!(
            "refusing to delete {root}: index {index} (tag {tag}) lists it and stays; delete that index first"
        )));
    }
    let mut doomed: HashSet<Digest> = HashSet::from([root.clone()]);
    let mut kept: BTreeMap<Digest, Kept> = BTreeMap::new();
    let mut walk = VecDeque::from([root.clone()]);
    while let Some(d) = walk.pop_front() {
        for e in graph.edges(&d) {
            if graph.verdict(&d, e) != Verdict::Valid {
                continue;
            }
            match reason.get(e.to()) {
                Some(r) => {
                    kept.entry(e.to().clone()).or_insert_with(|| Kept {
                        descriptor: graph.shown(e).clone(),
                        reason: r.clone(),
                    });
                }
                None => {
                    if doomed.insert(e.to().clone()) {
                        walk.push_back(e.to().clone());
                    }
                }
            }
        }
    }
    Ok(Fate {
        doomed,
        kept: kept.into_values().collect(),
    })
}

/// The tag-schema index of each doomed node: the one the walk read, or, where the walk used
/// the Referrers API, one left behind under the node's `sha256-<hex>` tag.
async fn referrers_indexes(target: &dyn Target, repo: &str, graph: &Graph, doomed: &HashSet<Digest>, concurrency: usize) -> Result<HashMap<Digest, Digest>> {
    if !target.needs_referrers_index() {
        return Ok(HashMap::new());
    }
    let mut found = HashMap::new();
    let mut leftover = Vec::new();
    for d in doomed {
        let Some(listed) = graph.node(d).and_then(|n| n.referrers.ready()) else { continue };
        match &listed.index {
            Some(index) => {
                found.insert(d.clone(), index.digest.clone());
            }
            None if listed.mode == ReferrersMode::Api && graph.tags().is_some_and(|t| t.has_index(d)) => leftover.push(d.clone()),
            None => {}
        }
    }
    let read: Vec<Option<(Digest, Digest)>> = crate::graph::eager(leftover.into_iter().map(|d| async move {
        Ok::<_, Error>(tag_schema::read(target, repo, &d).await?.map(|(i, _)| (d, i.digest)))
    }))
    .buffered(concurrency.max(1))
    .try_collect()
    .await?;
    found.extend(read.into_iter().flatten());
    Ok(found)
}

/// Leaf first: a node's referrers and attachments before it, its index before it, and its
/// children after it, so whatever an interrupted delete leaves is still a consistent graph.
fn node_steps(
    graph: &Graph,
    d: &Digest,
    doomed: &HashSet<Digest>,
    indexes: &HashMap<Digest, Digest>,
    tags_on: &dyn Fn(&Digest) -> Vec<String>,
    visited: &mut HashSet<Digest>,
    steps: &mut Vec<Step>,
) {
    if !visited.insert(d.clone()) {
        return;
    }
    let below: Vec<(bool, Digest)> = graph
        .edges(d)
        .into_iter()
        .filter(|e| doomed.contains(e.to()) && graph.verdict(d, e) == Verdict::Valid)
        .map(|e| (e.link == Link::Child, e.to().clone()))
        .collect();
    for (_, r) in below.iter().filter(|(child, _)| !child) {
        node_steps(graph, r, doomed, indexes, tags_on, visited, steps);
    }
    if let Some(index) = indexes.get(d) {
        steps.push(Step::Index {
            subject: d.clone(),
            index: index.clone(),
            tag: d.fallback_tag(),
        });
    }
    if let Some(n) = graph.node(d) {
        steps.push(Step::Manifest {
            descriptor: n.descriptor.clone(),
            tags: tags_on(d),
        });
    }
    for (_, c) in below.iter().filter(|(child, _)| *child) {
        node_steps(graph, c, doomed, indexes, tags_on, visited, steps);
    }
}

/// A deleted referrer whose subject stays is taken out of the subject's tag-schema index.
async fn unlist_steps(target: &dyn Target, repo: &str, graph: &Graph, doomed: &HashSet<Digest>) -> Result<Vec<Step>> {
    if !target.needs_referrers_index() {
        return Ok(Vec::new());
    }
    let mut by_subject: BTreeMap<Digest, Vec<Digest>> = BTreeMap::new();
    for d in doomed {
        if let Some(s) = graph.node(d).and_then(|n| n.subject())
            && !doomed.contains(s)
            && graph.tags().is_some_and(|t| t.has_index(s))
        {
            by_subject.entry(s.clone()).or_default().push(d.clone());
        }
    }
    let mut steps = Vec::new();
    for (subject, mut candidates) in by_subject {
        // A subject in the graph had its index read by the walk; its edges say what it lists.
        let walked = graph.node(&subject).and_then(|n| n.referrers.ready()).is_some_and(|l| l.mode == ReferrersMode::TagSchema);
        let listed: Vec<Digest> = match walked {
            true => graph.edges(&subject).into_iter().filter(|e| e.link == Link::Referrer).map(|e| e.to().clone()).collect(),
            false => match tag_schema::read(target, repo, &subject).await? {
                Some((_, index)) => index.manifests.into_iter().map(|e| e.digest).collect(),
                None => Vec::new(),
            },
        };
        candidates.retain(|c| listed.contains(c));
        candidates.sort();
        if !candidates.is_empty() {
            steps.push(Step::Unlist { subject, removed: candidates });
        }
    }
    Ok(steps)
}

#[derive(Debug, Clone, Default)]
pub struct DeleteReport {
    pub manifests_deleted: usize,
    pub indexes_deleted: usize,
    pub already_gone: usize,
    /// What the referrers index updates could not rule out.
    pub warnings: Vec<String>,
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
                let outcome = tag_schema::update(target, repo, subject, &tag_schema::Change::Remove(removed.clone())).await?;
                report.warnings.extend(outcome.warnings);
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
