//! Planning a copy in three steps: walk the source graph (expanding each node and fetching
//! its referrers and attachments, through the shared [`model`](crate::graph::model)), check the
//! destination for every manifest as it arrives (and for the blobs of those it lacks), then
//! put the plan in push order.

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};

use futures_util::stream::{FuturesUnordered, StreamExt};
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender, unbounded_channel};

use super::{CopyOptions, CopyPlan, Endpoint, PlannedBlob, PlannedManifest, Role, SMALL_CONCURRENCY, ranks};
use crate::error::{Error, Result};
use crate::graph::model::{Graph, Link, Scope, Verdict};
use crate::graph::walk::{WalkOptions, walk};
use crate::oci::{Descriptor, Digest, Manifest, ManifestBlob};

/// Works out what a copy of `reference` (and, with `recursive`, its graph) needs, without
/// writing anything.
pub async fn plan(src: Endpoint<'_>, dst: Endpoint<'_>, reference: &str, opts: &CopyOptions) -> Result<CopyPlan> {
    let planning = async {
        let root = src.target.fetch_manifest(src.repo, reference).await?;
        // The destination is checked while the source is still being walked: every manifest
        // found goes straight to the checks.
        let (found, arrivals) = unbounded_channel();
        let (graph, destination) = tokio::try_join!(source_graph(src, root, opts, found), check_destination(dst, arrivals))?;
        let mut plan = assemble(&graph, &destination)?;
        plan.warnings.extend(graph.notes());
        plan.warnings.extend(check_attachment_tags(dst, &plan).await);
        Ok(plan)
    };
    tokio::select! {
        r = planning => r,
        _ = opts.cancel.cancelled() => Err(Error::Cancelled),
    }
}

/// Step one: the source graph, as discover shows it (or only the artifact's own graph for a
/// plain copy). Every manifest is handed to `found` as it arrives.
async fn source_graph(src: Endpoint<'_>, root: ManifestBlob, opts: &CopyOptions, found: UnboundedSender<ManifestBlob>) -> Result<Graph> {
    let scope = if opts.recursive { Scope::WHOLE } else { Scope::OWN };
    // A send fails only when the checks stopped, and then their error is the one reported.
    let _ = found.send(root.clone());
    let mut graph = Graph::new(root, scope, opts.limits)?;
    let walking = WalkOptions {
        concurrency: SMALL_CONCURRENCY,
        artifact_type: None,
    };
    walk(src.target, src.repo, &mut graph, &walking, |blob| {
        let _ = found.send(blob.clone());
    })
    .await?;
    Ok(graph)
}

/// What the destination already has.
#[derive(Default)]
struct Destination {
    manifests: HashMap<Digest, bool>,
    blobs: HashMap<Digest, bool>,
}

enum Check {
    Manifest(Digest, Vec<Digest>),
    Blob(Digest),
}

enum Checked {
    Manifest(Digest, bool, Vec<Digest>),
    Blob(Digest, bool),
}

async fn check(dst: Endpoint<'_>, c: Check) -> Result<Checked> {
    Ok(match c {
        Check::Manifest(d, blobs) => Checked::Manifest(d.clone(), crate::graph::exists_before_push(dst.target, dst.repo, &d).await?, blobs),
        Check::Blob(d) => Checked::Blob(d.clone(), crate::graph::stat_before_send(dst.target, dst.repo, &d).await?.is_some()),
    })
}

/// Step two: each manifest that arrives is looked for at the destination; a missing one has
/// its blobs checked, each digest once however many manifests share it. A bounded number of
/// checks are in flight; this loop alone owns what it learned.
async fn check_destination(dst: Endpoint<'_>, mut arrivals: UnboundedReceiver<ManifestBlob>) -> Result<Destination> {
    let mut known = Destination::default();
    let (mut asked, mut claimed) = (HashSet::new(), HashSet::new());
    let mut queue: VecDeque<Check> = VecDeque::new();
    let mut in_flight = FuturesUnordered::new();
    let mut open = true;
    loop {
        while in_flight.len() < SMALL_CONCURRENCY {
            let Some(c) = queue.pop_front() else { break };
            in_flight.push(check(dst, c));
        }
        tokio::select! {
            arrived = arrivals.recv(), if open => match arrived {
                Some(blob) if asked.insert(blob.digest.clone()) => {
                    let blobs = blobs_of(&blob)?.into_iter().map(|b| b.digest).collect();
                    queue.push_back(Check::Manifest(blob.digest, blobs));
                }
                Some(_) => {}
                None => open = false,
            },
            Some(done) = in_flight.next(), if !in_flight.is_empty() => match done? {
                Checked::Manifest(d, exists, blobs) => {
                    if !exists {
                        queue.extend(blobs.into_iter().filter(|b| claimed.insert(b.clone())).map(Check::Blob));
                    }
                    known.manifests.insert(d, exists);
                }
                Checked::Blob(d, present) => {
                    known.blobs.insert(d, present);
                }
            },
            else => break,
        }
    }
    Ok(known)
}

/// The blobs an image manifest needs (an index needs manifests, not blobs).
fn blobs_of(blob: &ManifestBlob) -> Result<Vec<Descriptor>> {
    Ok(match blob.parse()? {
        Manifest::Index(_) => Vec::new(),
        Manifest::Image(m) => std::iter::once(m.config).chain(m.layers).collect(),
    })
}

/// Step three: the graph's members as planned manifests, in push order.
fn assemble(graph: &Graph, destination: &Destination) -> Result<CopyPlan> {
    let members = graph.members();
    let mut role: HashMap<&Digest, Role> = HashMap::from([(graph.root(), Role::Root)]);
    let mut subject: HashMap<&Digest, Digest> = HashMap::new();
    let mut tags: HashMap<&Digest, Vec<String>> = HashMap::new();
    let mut needs: HashMap<&Digest, Vec<Digest>> = HashMap::new();
    for d in &members {
        for e in graph.edges(d) {
            match graph.verdict(d, e) {
                Verdict::Valid => {}
                Verdict::Missing if e.link == Link::Child => {
                    return Err(Error::usage(format!(
                        "cannot copy {}: index {d} lists {}, which is not in the source repository",
                        graph.root(),
                        e.to()
                    )));
                }
                _ => continue,
            }
            let to = e.to();
            match &e.link {
                Link::Child => {
                    needs.entry(d).or_default().push(to.clone());
                    role.entry(to).or_insert(Role::Child);
                }
                Link::Referrer => {
                    subject.entry(to).or_insert_with(|| d.clone());
                    role.entry(to).or_insert(Role::Referrer);
                }
                Link::Attachment { tag, .. } => {
                    tags.entry(to).or_default().push(tag.clone());
                    role.entry(to).or_insert(Role::Attachment);
                }
            }
        }
    }
    let mut manifests = Vec::new();
    for d in &members {
        let node = graph.node(d).ok_or_else(|| Error::usage(format!("{d} is in the graph but has no node")))?;
        let blob = node
            .manifest
            .ready()
            .cloned()
            .ok_or_else(|| Error::usage(format!("the manifest of {d} was not fetched")))?;
        manifests.push(PlannedManifest {
            blobs: blobs_of(&blob)?,
            blob,
            descriptor: node.descriptor.clone(),
            role: role.get(d).copied().unwrap_or(Role::Referrer),
            subject: subject.get(d).cloned(),
            tags: tags.remove(d).unwrap_or_default(),
            exists: destination.manifests.get(d).copied().unwrap_or(false),
            needs: needs.remove(d).unwrap_or_default(),
        });
    }
    // Requests finish in any order; the plan is shown to people, so its order is fixed here.
    let rank: HashMap<Digest, usize> = ranks(&manifests).into_iter().map(|(d, r)| (d.clone(), r)).collect();
    manifests.sort_by(|a, b| {
        let key = |m: &PlannedManifest| (rank.get(&m.blob.digest).copied().unwrap_or(0), m.descriptor.kind().to_string(), m.blob.digest.clone());
        key(a).cmp(&key(b))
    });

    let mut unique: BTreeMap<Digest, Descriptor> = BTreeMap::new();
    for m in manifests.iter().filter(|m| !m.exists) {
        for b in &m.blobs {
            unique.entry(b.digest.clone()).or_insert_with(|| b.clone());
        }
    }
    // Every blob of a missing manifest was checked when that manifest was.
    let blobs = unique
        .into_values()
        .map(|d| PlannedBlob {
            exists: destination.blobs.get(&d.digest).copied().unwrap_or(false),
            descriptor: d,
        })
        .collect();
    Ok(CopyPlan {
        root: graph.root_node().descriptor.clone(),
        manifests,
        blobs,
        warnings: Vec::new(),
    })
}

/// Cosign attachment tags the destination already has for something else: the copy moves
/// them, and the plan says so before anything is written.
async fn check_attachment_tags(dst: Endpoint<'_>, plan: &CopyPlan) -> Vec<String> {
    let tagged = plan.manifests.iter().flat_map(|m| m.tags.iter().map(move |t| (t, &m.blob.digest)));
    let checks = crate::graph::eager(tagged.map(|(tag, digest)| async move { (tag, digest, dst.target.resolve(dst.repo, tag).await) }))
        .buffered(SMALL_CONCURRENCY)
        .collect::<Vec<_>>()
        .await;
    checks
        .into_iter()
        .filter_map(|(tag, digest, there)| match there {
            Ok(d) if d.digest != *digest => Some(format!("the destination's tag {tag} points at {}; the copy moves it to {digest}", d.digest)),
            _ => None,
        })
        .collect()
}
