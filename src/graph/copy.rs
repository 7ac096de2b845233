//! Copying an artifact and, with `recursive`, its whole referrers graph to another repository,
//! registry or layout.
//!
//! A copy is planned first (what exists at the destination, what must be sent), which the TUI
//! shows as a diff before anything is written. Execution sends blobs concurrently (mounting
//! them when both ends are the same registry), then pushes manifests children-first, then
//! lists referrers in the destination's own referrers mode, and tags the root last, so an
//! interrupted copy never leaves a tag on an incomplete graph. A rerun skips what arrived.

use std::collections::{BTreeMap, HashMap, HashSet};

use futures_util::{StreamExt, TryStreamExt};
use tokio_util::sync::CancellationToken;

use super::fallback;
use super::progress::{Outcome, Progress};
use crate::error::{Error, Result};
use crate::oci::{Descriptor, Digest, Manifest, ManifestBlob};
use crate::store::{BlobSource, Mount, ReferrersMode, Target};

/// One side of a copy.
#[derive(Clone, Copy)]
pub struct Endpoint<'a> {
    pub target: &'a dyn Target,
    pub repo: &'a str,
}

#[derive(Clone)]
pub struct CopyOptions {
    /// Copy every referrer, to any depth.
    pub recursive: bool,
    /// Transfers in flight at once.
    pub concurrency: usize,
    /// Both ends are the same registry: link blobs across repositories instead of sending them.
    pub mount: bool,
    pub progress: Progress,
    pub cancel: CancellationToken,
}

/// Blobs up to this size are sent [`SMALL_CONCURRENCY`] at a time, beside the large ones.
const SMALL_BLOB: u64 = 1024 * 1024;
/// Small blobs, manifests and referrers indexes in flight at once: each is a round trip or two.
const SMALL_CONCURRENCY: usize = 16;

impl Default for CopyOptions {
    fn default() -> Self {
        CopyOptions {
            recursive: false,
            concurrency: 4,
            mount: false,
            progress: Progress::default(),
            cancel: CancellationToken::new(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Root,
    /// A manifest of an index.
    Child,
    Referrer,
}

/// A manifest in the plan.
#[derive(Debug, Clone)]
pub struct PlannedManifest {
    pub blob: ManifestBlob,
    /// As the source listed it (with artifact type and annotations for referrers).
    pub descriptor: Descriptor,
    pub role: Role,
    pub subject: Option<Digest>,
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
    /// In push order: every manifest after the ones it needs and after its subject.
    pub manifests: Vec<PlannedManifest>,
    /// Blobs of the manifests that are not at the destination yet, each once.
    pub blobs: Vec<PlannedBlob>,
    pub warnings: Vec<String>,
}

impl CopyPlan {
    pub fn bytes_to_send(&self) -> u64 {
        self.blobs.iter().filter(|b| !b.exists).map(|b| b.descriptor.size).sum()
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
    pub bytes_sent: u64,
    /// Tag-schema indexes written at the destination.
    pub indexes_updated: Vec<Digest>,
    pub tags: Vec<String>,
}

fn cancelled(cancel: &CancellationToken) -> Result<()> {
    if cancel.is_cancelled() { Err(Error::Cancelled) } else { Ok(()) }
}

/// Works out what a copy of `reference` (and its referrers) needs, without writing anything.
pub async fn plan(src: Endpoint<'_>, dst: Endpoint<'_>, reference: &str, opts: &CopyOptions) -> Result<CopyPlan> {
    let root_blob = src.target.fetch_manifest(src.repo, reference).await?;
    let root = root_blob.descriptor();
    let mut found: HashMap<Digest, PlannedManifest> = HashMap::new();
    let mut order: Vec<Digest> = Vec::new();
    let mut warnings = Vec::new();
    let mut frontier: Vec<(ManifestBlob, Descriptor, Role, Option<Digest>)> = vec![(root_blob, root.clone(), Role::Root, None)];
    // Planning is all small requests: bound by round trips, so many go at once. Nodes fan out
    // into further requests, so the bound is on requests in flight, not on nodes.
    let concurrency = SMALL_CONCURRENCY;
    let in_flight = tokio::sync::Semaphore::new(SMALL_CONCURRENCY);
    let in_flight = &in_flight;
    let claimed: std::sync::Mutex<HashSet<Digest>> = Default::default();
    let present: std::sync::Mutex<HashMap<Digest, bool>> = Default::default();
    let (claimed, present) = (&claimed, &present);
    let mut queued: HashSet<Digest> = HashSet::from([root.digest.clone()]);

    while !frontier.is_empty() {
        cancelled(&opts.cancel)?;
        let batch = std::mem::take(&mut frontier);
        let expanded: Vec<_> = crate::graph::eager(batch.into_iter().map(|(blob, desc, role, subject)| async move {
            let parsed = blob.parse()?;
            let (needs_desc, blobs): (Vec<Descriptor>, Vec<Descriptor>) = match &parsed {
                Manifest::Index(i) => (i.manifests.clone(), Vec::new()),
                Manifest::Image(m) => (Vec::new(), std::iter::once(m.config.clone()).chain(m.layers.iter().cloned()).collect()),
            };
            // The node's own check, its children and its referrers are independent requests:
            // all of them travel at once. A manifest missing at the destination has its blobs
            // checked right away, each digest once however many manifests share it.
            let exists = async {
                let exists = {
                    let _slot = in_flight.acquire().await;
                    super::exists_before_push(dst.target, dst.repo, &blob.digest).await?
                };
                if !exists {
                    let mine: Vec<&Descriptor> = {
                        let mut claimed = claimed.lock().unwrap_or_else(|p| p.into_inner());
                        blobs.iter().filter(|b| claimed.insert(b.digest.clone())).collect()
                    };
                    let stats: Vec<(Digest, bool)> = crate::graph::eager(mine.into_iter().map(|d| async move {
                        let _slot = in_flight.acquire().await;
                        Ok::<_, Error>((d.digest.clone(), super::stat_before_send(dst.target, dst.repo, &d.digest).await?.is_some()))
                    }))
                    .buffered(concurrency)
                    .try_collect()
                    .await?;
                    present.lock().unwrap_or_else(|p| p.into_inner()).extend(stats);
                }
                Ok::<_, Error>(exists)
            };
            let children = crate::graph::eager(needs_desc.iter().map(|child| async move {
                let _slot = in_flight.acquire().await;
                let b = src.target.fetch_manifest(src.repo, &child.digest.to_string()).await?;
                Ok::<_, Error>((b, child.clone(), Role::Child, None))
            }))
            .buffered(concurrency)
            .try_collect::<Vec<_>>();
            let node = &blob.digest;
            let referrers = async {
                if !opts.recursive {
                    return Ok((Vec::new(), Vec::new()));
                }
                let listed = {
                    let _slot = in_flight.acquire().await;
                    src.target.referrers(src.repo, node, None).await?.descriptors
                };
                let fetched: Vec<_> = crate::graph::eager(listed.into_iter().map(|r| async move {
                    let _slot = in_flight.acquire().await;
                    let b = src.target.fetch_manifest(src.repo, &r.digest.to_string()).await;
                    (r, b)
                }))
                .buffered(concurrency)
                .collect()
                .await;
                let (mut next, mut notes) = (Vec::new(), Vec::new());
                for (r, b) in fetched {
                    let b = match b {
                        Ok(b) => b,
                        Err(e) if e.is_not_found() => {
                            notes.push(format!("{} is listed as a referrer of {node} but does not exist; not copied", r.digest));
                            continue;
                        }
                        Err(e) => return Err(e),
                    };
                    let parsed = b.parse()?;
                    if parsed.subject().map(|s| &s.digest) != Some(node) {
                        notes.push(format!("{} is listed as a referrer of {node} but names another subject; not copied", r.digest));
                        continue;
                    }
                    let mut d = r.clone();
                    if d.artifact_type.is_none() {
                        d.artifact_type = parsed.artifact_type().map(str::to_string);
                    }
                    next.push((b, d, Role::Referrer, Some(node.clone())));
                }
                Ok::<_, Error>((next, notes))
            };
            let (exists, mut next, (referrers, notes)) = tokio::try_join!(exists, children, referrers)?;
            next.extend(referrers);
            let planned = PlannedManifest {
                descriptor: desc,
                role,
                subject,
                exists,
                needs: needs_desc.iter().map(|d| d.digest.clone()).collect(),
                blobs,
                blob,
            };
            Ok::<_, Error>((planned, next, notes))
        }))
        .buffer_unordered(concurrency)
        .try_collect()
        .await?;
        for (planned, next, notes) in expanded {
            warnings.extend(notes);
            let digest = planned.blob.digest.clone();
            order.push(digest.clone());
            found.insert(digest, planned);
            // Each manifest is queued once, however many paths reach it.
            frontier.extend(next.into_iter().filter(|n| queued.insert(n.0.digest.clone())));
        }
    }

    // Push order: a manifest after what it needs and after its subject.
    let mut rank: HashMap<Digest, usize> = HashMap::new();
    fn rank_of(d: &Digest, found: &HashMap<Digest, PlannedManifest>, rank: &mut HashMap<Digest, usize>, guard: &mut HashSet<Digest>) -> usize {
        if let Some(r) = rank.get(d) {
            return *r;
        }
        let Some(m) = found.get(d) else { return 0 };
        if !guard.insert(d.clone()) {
            return 0;
        }
        let mut r = 0;
        for n in m.needs.iter().chain(m.subject.iter()) {
            if found.contains_key(n) {
                r = r.max(1 + rank_of(n, found, rank, guard));
            }
        }
        rank.insert(d.clone(), r);
        r
    }
    for d in &order {
        rank_of(d, &found, &mut rank, &mut HashSet::new());
    }
    // Requests finish in any order; the plan is shown to people, so its order is fixed here.
    order.sort_by(|a, b| {
        let kind = |d: &Digest| found[d].descriptor.kind().to_string();
        rank[a].cmp(&rank[b]).then_with(|| kind(a).cmp(&kind(b))).then_with(|| a.cmp(b))
    });
    let manifests: Vec<PlannedManifest> = order.iter().filter_map(|d| found.remove(d)).collect();

    let mut unique: BTreeMap<Digest, Descriptor> = BTreeMap::new();
    for m in manifests.iter().filter(|m| !m.exists) {
        for b in &m.blobs {
            unique.entry(b.digest.clone()).or_insert_with(|| b.clone());
        }
    }
    // Every blob of a missing manifest was checked while the walk expanded that manifest.
    let present = std::mem::take(&mut *present.lock().unwrap_or_else(|p| p.into_inner()));
    let blobs: Vec<PlannedBlob> = unique
        .into_values()
        .map(|d| PlannedBlob { exists: present.get(&d.digest).copied().unwrap_or(false), descriptor: d })
        .collect();
    Ok(CopyPlan { root, manifests, blobs, warnings })
}

/// Carries out a plan; `tags` are put on the root at the destination, last.
///
/// The artifact's own graph (its manifest, index children and their blobs) and its referrers
/// graph go at the same time: referrers are small, so they and their index are done while the
/// artifact's layers are still on their way.
pub async fn execute(src: Endpoint<'_>, dst: Endpoint<'_>, plan: &CopyPlan, tags: &[String], opts: &CopyOptions) -> Result<CopyReport> {
    let concurrency = opts.concurrency.max(1);
    let mut own: HashSet<&Digest> = HashSet::new();
    let mut stack: Vec<&Digest> = plan.manifests.iter().filter(|m| m.role == Role::Root).map(|m| &m.blob.digest).collect();
    while let Some(d) = stack.pop() {
        if own.insert(d)
            && let Some(m) = plan.manifests.iter().find(|m| m.blob.digest == *d)
        {
            stack.extend(m.needs.iter());
        }
    }
    let (artifact, referrers): (Vec<&PlannedManifest>, Vec<&PlannedManifest>) = plan.manifests.iter().partition(|m| own.contains(&m.blob.digest));
    let blobs_of = |ms: &[&PlannedManifest]| -> HashSet<Digest> { ms.iter().filter(|m| !m.exists).flat_map(|m| m.blobs.iter().map(|b| b.digest.clone())).collect() };
    let (artifact_blobs, referrer_blobs) = (blobs_of(&artifact), blobs_of(&referrers));
    let pick = |f: &dyn Fn(&Digest) -> bool| -> Vec<&PlannedBlob> { plan.blobs.iter().filter(|b| f(&b.descriptor.digest)).collect() };
    // Blobs both graphs need (the empty config, typically) are sent by the artifact's half
    // alongside its layers; the referrers' half waits for them before pushing manifests.
    let shared = pick(&|d| artifact_blobs.contains(d) && referrer_blobs.contains(d));
    let (shared_sent, shared_landed) = tokio::sync::oneshot::channel::<()>();

    let artifact_half = async {
        let own = pick(&|d| artifact_blobs.contains(d) && !referrer_blobs.contains(d));
        let shared = async {
            let sent = send_blobs(src, dst, &shared, opts, concurrency).await?;
            let _ = shared_sent.send(());
            Ok::<_, Error>(sent)
        };
        let (mut sent, own) = tokio::try_join!(shared, send_blobs(src, dst, &own, opts, concurrency))?;
        sent.extend(own);
        let (pushed, _) = push_manifests(src, dst, &artifact, opts).await?;
        Ok::<_, Error>((sent, pushed))
    };
    let referrers_half = async {
        let blobs = pick(&|d| referrer_blobs.contains(d) && !artifact_blobs.contains(d));
        let sent = send_blobs(src, dst, &blobs, opts, concurrency).await?;
        // Only fails when the artifact's half did, and then its error is the one reported.
        shared_landed.await.map_err(|_| Error::Cancelled)?;
        let (pushed, acknowledged) = push_manifests(src, dst, &referrers, opts).await?;
        // Asked once the referrers are there: a Referrers API may answer 404 for a repository
        // that does not exist yet, which would look like a registry without one.
        let indexes = match destination_mode(dst, plan, &referrers).await? {
            Some(ReferrersMode::TagSchema) if !acknowledged => list_referrers(dst, &referrers).await?,
            _ => Vec::new(),
        };
        Ok::<_, Error>((sent, pushed, indexes))
    };
    let ((artifact_sent, artifact_pushed), (referrer_sent, referrer_pushed, indexes_updated)) = tokio::try_join!(artifact_half, referrers_half)?;
    let mut results = artifact_sent;
    results.extend(referrer_sent);

    cancelled(&opts.cancel)?;
    let root = plan.manifests.iter().find(|m| m.role == Role::Root).ok_or_else(|| Error::usage("the plan has no root"))?;
    for t in tags {
        dst.target.push_manifest(dst.repo, t, &root.blob).await?;
    }
    let pushed = artifact_pushed + referrer_pushed;
    let bytes_sent = results.iter().filter(|(_, r)| *r == BlobResult::Copied).map(|(d, _)| d.size).sum();
    Ok(CopyReport {
        root: plan.root.clone(),
        blobs: results,
        manifests_pushed: pushed,
        manifests_skipped: plan.manifests.len() - pushed,
        referrers: plan.manifests.iter().filter(|m| m.subject.is_some()).count(),
        bytes_sent,
        indexes_updated,
        tags: tags.to_vec(),
    })
}

/// Sends blobs, reporting each; present ones are skipped. Large ones go `concurrency` at a
/// time; small ones are bound by round trips, not bandwidth, and go many at a time beside them.
async fn send_blobs(src: Endpoint<'_>, dst: Endpoint<'_>, blobs: &[&PlannedBlob], opts: &CopyOptions, concurrency: usize) -> Result<Vec<(Descriptor, BlobResult)>> {
    // Largest first: the long transfers start early and the short ones fill in around them.
    let mut blobs = blobs.to_vec();
    blobs.sort_by_key(|b| std::cmp::Reverse(b.descriptor.size));
    let (large, small): (Vec<&PlannedBlob>, Vec<&PlannedBlob>) = blobs.into_iter().partition(|b| b.descriptor.size > SMALL_BLOB);
    let large = crate::graph::eager(large.into_iter().map(|b| send_one(src, dst, b, opts)))
        .buffer_unordered(concurrency)
        .try_collect::<Vec<_>>();
    let small = crate::graph::eager(small.into_iter().map(|b| send_one(src, dst, b, opts)))
        .buffer_unordered(SMALL_CONCURRENCY)
        .try_collect::<Vec<_>>();
    let (mut sent, small) = tokio::try_join!(large, small)?;
    sent.extend(small);
    Ok(sent)
}

async fn send_one(src: Endpoint<'_>, dst: Endpoint<'_>, b: &PlannedBlob, opts: &CopyOptions) -> Result<(Descriptor, BlobResult)> {
    let label = b.descriptor.title().map(str::to_string).unwrap_or_else(|| b.descriptor.digest.short().to_string());
    let task = opts.progress.start(label, b.descriptor.size);
    if b.exists {
        task.finish(Outcome::Skipped);
        return Ok((b.descriptor.clone(), BlobResult::Skipped));
    }
    let transfer = transfer_blob(src, dst, &b.descriptor, opts, &task);
    let outcome = tokio::select! {
        r = transfer => r,
        _ = opts.cancel.cancelled() => Err(Error::Cancelled),
    };
    match &outcome {
        Ok(BlobResult::Mounted) => task.finish(Outcome::Mounted),
        Ok(_) => task.finish(Outcome::Done),
        Err(e) => task.finish(Outcome::Failed(e.to_string())),
    }
    outcome.map(|r| (b.descriptor.clone(), r))
}

/// Pushes the manifests that are not there yet, each after the ones it needs and after its
/// subject. Returns how many were pushed and whether the registry acknowledged a subject.
async fn push_manifests(src: Endpoint<'_>, dst: Endpoint<'_>, manifests: &[&PlannedManifest], opts: &CopyOptions) -> Result<(usize, bool)> {
    let mut by_rank: Vec<Vec<&PlannedManifest>> = Vec::new();
    let mut placed: HashMap<&Digest, usize> = HashMap::new();
    for m in manifests {
        let r = m.needs.iter().chain(m.subject.iter()).filter_map(|d| placed.get(d)).map(|r| r + 1).max().unwrap_or(0);
        placed.insert(&m.blob.digest, r);
        if by_rank.len() <= r {
            by_rank.resize_with(r + 1, Vec::new);
        }
        by_rank[r].push(m);
    }
    let (mut pushed, mut acknowledged) = (0, false);
    for level in by_rank {
        cancelled(&opts.cancel)?;
        let acks: Vec<bool> = crate::graph::eager(level.into_iter().filter(|m| !m.exists).map(|m| async move {
            let resend = || async {
                // The blobs the destination says it lacks, sent again.
                for b in &m.blobs {
                    if super::stat_before_send(dst.target, dst.repo, &b.digest).await?.is_none() {
                        let task = opts.progress.start(b.digest.short().to_string(), b.size);
                        transfer_blob(src, dst, b, opts, &task).await?;
                        task.finish(Outcome::Done);
                    }
                }
                Ok(())
            };
            let r = super::push_manifest_resending(dst.target, dst.repo, &m.blob.digest.to_string(), &m.blob, resend).await?;
            Ok::<_, Error>(r.subject_acknowledged)
        }))
        .buffer_unordered(SMALL_CONCURRENCY)
        .try_collect()
        .await?;
        pushed += acks.len();
        acknowledged |= acks.iter().any(|a| *a);
    }
    Ok((pushed, acknowledged))
}

/// How the destination finds referrers, when copied referrers must be listed there at all.
async fn destination_mode(dst: Endpoint<'_>, plan: &CopyPlan, referrers: &[&PlannedManifest]) -> Result<Option<ReferrersMode>> {
    if !referrers.iter().any(|m| m.subject.is_some()) || !dst.target.needs_referrers_index() {
        return Ok(None);
    }
    Ok(Some(match dst.target.referrers_mode(dst.repo) {
        Some(m) => m,
        None => dst.target.referrers(dst.repo, &plan.root.digest, None).await?.mode,
    }))
}

/// Lists copied referrers in tag-schema indexes, whatever the source did.
async fn list_referrers(dst: Endpoint<'_>, referrers: &[&PlannedManifest]) -> Result<Vec<Digest>> {
    let referrers = referrers.iter().filter(|m| m.subject.is_some());
    let mut groups: BTreeMap<Digest, Vec<Descriptor>> = BTreeMap::new();
    for m in referrers {
        if let Some(s) = &m.subject {
            groups.entry(s.clone()).or_default().push(referrer_entry(m)?);
        }
    }
    let outcomes: Vec<fallback::Outcome> = crate::graph::eager(groups.into_iter().map(|(subject, entries)| async move {
        fallback::update(dst.target, dst.repo, &subject, &fallback::Change::Add(entries)).await
    }))
    .buffer_unordered(SMALL_CONCURRENCY)
    .try_collect()
    .await?;
    Ok(outcomes.into_iter().filter_map(|o| o.index).collect())
}

/// The entry a referrers index carries for a planned referrer.
fn referrer_entry(m: &PlannedManifest) -> Result<Descriptor> {
    let parsed = m.blob.parse()?;
    let mut d = m.blob.descriptor();
    d.artifact_type = parsed.artifact_type().map(str::to_string).or_else(|| m.descriptor.artifact_type.clone());
    d.annotations = parsed.annotations().cloned();
    Ok(d)
}

async fn transfer_blob(src: Endpoint<'_>, dst: Endpoint<'_>, desc: &Descriptor, opts: &CopyOptions, task: &super::progress::Task) -> Result<BlobResult> {
    if opts.mount && dst.target.mount_blob(dst.repo, desc, src.repo).await? == Mount::Mounted {
        task.advance(desc.size);
        return Ok(BlobResult::Mounted);
    }
    super::retrying(&format!("copy {}", desc.digest.short()), || async {
        // The source's answer and the destination's upload session are awaited together: one
        // round trip before the bytes flow, not two.
        let (stream, prepared) = tokio::join!(src.target.fetch_blob(src.repo, desc), dst.target.prepare_upload(dst.repo, desc));
        let stream = stream?;
        prepared?;
        dst.target.push_blob(dst.repo, desc, BlobSource::Stream(stream), task.bytes()).await
    })
    .await?;
    Ok(BlobResult::Copied)
}

/// Plans and executes in one go.
pub async fn copy(src: Endpoint<'_>, dst: Endpoint<'_>, reference: &str, tags: &[String], opts: &CopyOptions) -> Result<(CopyPlan, CopyReport)> {
    let plan = plan(src, dst, reference, opts).await?;
    let report = execute(src, dst, &plan, tags, opts).await?;
    Ok((plan, report))
}
