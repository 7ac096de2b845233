//! Carrying out a copy plan.

use std::collections::{BTreeMap, HashMap, HashSet};

use futures_util::{StreamExt, TryStreamExt};
use tokio_util::sync::CancellationToken;

use super::{BlobResult, CopyOptions, CopyPlan, CopyReport, Endpoint, PlannedBlob, PlannedManifest, Role, SMALL_BLOB, SMALL_CONCURRENCY, cancelled, ranks};
use crate::error::{Error, Result};
use crate::graph::tag_schema;
use crate::graph::progress::{Outcome, Task};
use crate::oci::{Descriptor, Digest};
use crate::store::{BlobSource, Mount, ReferrersMode};

/// Carries out a plan; `tags` are put on the root at the destination, last.
///
/// The artifact's own graph (its manifest, index children and their blobs) and the rest of
/// the graph (referrers, attachments) go at the same time: referrers are small, so they are
/// pushed while the artifact's layers are still on their way. A subject's tag-schema index at
/// the destination is written only once the subject's own graph is there: a copy that fails
/// or is cancelled before then leaves no `sha256-<hex>` tag naming a subject that never came.
pub async fn execute(src: Endpoint<'_>, dst: Endpoint<'_>, plan: &CopyPlan, tags: &[String], opts: &CopyOptions) -> Result<CopyReport> {
    let concurrency = opts.concurrency.max(1);
    let rank = ranks(&plan.manifests);
    let by_digest: HashMap<&Digest, &PlannedManifest> = plan.manifests.iter().map(|m| (&m.blob.digest, m)).collect();
    let mut own: HashSet<&Digest> = HashSet::new();
    let mut stack: Vec<&Digest> = plan.manifests.iter().filter(|m| m.role == Role::Root).map(|m| &m.blob.digest).collect();
    while let Some(d) = stack.pop() {
        if own.insert(d)
            && let Some(m) = by_digest.get(d)
        {
            stack.extend(m.needs.iter());
        }
    }
    let (artifact, rest): (Vec<&PlannedManifest>, Vec<&PlannedManifest>) = plan.manifests.iter().partition(|m| own.contains(&m.blob.digest));
    let blobs_of = |ms: &[&PlannedManifest]| -> HashSet<Digest> { ms.iter().filter(|m| !m.exists).flat_map(|m| m.blobs.iter().map(|b| b.digest.clone())).collect() };
    let (artifact_blobs, rest_blobs) = (blobs_of(&artifact), blobs_of(&rest));
    let pick = |f: &dyn Fn(&Digest) -> bool| -> Vec<&PlannedBlob> { plan.blobs.iter().filter(|b| f(&b.descriptor.digest)).collect() };
    // Blobs both halves need (the empty config, typically) are sent by the artifact's half
    // alongside its layers; the other half waits for them before pushing manifests.
    let shared = pick(&|d| artifact_blobs.contains(d) && rest_blobs.contains(d));
    let (shared_sent, shared_landed) = tokio::sync::oneshot::channel::<()>();
    let (own_sent, own_landed) = tokio::sync::oneshot::channel::<()>();

    let artifact_half = async {
        let mine = pick(&|d| artifact_blobs.contains(d) && !rest_blobs.contains(d));
        let shared = async {
            let sent = send_blobs(src, dst, &shared, opts, concurrency).await?;
            let _ = shared_sent.send(());
            Ok::<_, Error>(sent)
        };
        let (mut sent, mine) = tokio::try_join!(shared, send_blobs(src, dst, &mine, opts, concurrency))?;
        sent.extend(mine);
        let (pushed, _) = push_manifests(src, dst, &artifact, &rank, opts).await?;
        let _ = own_sent.send(());
        Ok::<_, Error>((sent, pushed))
    };
    let rest_half = async {
        let blobs = pick(&|d| rest_blobs.contains(d) && !artifact_blobs.contains(d));
        let sent = send_blobs(src, dst, &blobs, opts, concurrency).await?;
        // These two only fail when the artifact's half did, and then its error is reported.
        shared_landed.await.map_err(|_| Error::Cancelled)?;
        let (pushed, acknowledged) = push_manifests(src, dst, &rest, &rank, opts).await?;
        let mut warnings = Vec::new();
        // Asked once the referrers are there: a Referrers API may answer 404 for a repository
        // that does not exist yet, which would look like a registry without one.
        if destination_mode(dst, plan, &rest).await? == Some(ReferrersMode::TagSchema) && !acknowledged {
            let (of_own, of_rest): (Vec<_>, Vec<_>) = index_entries(&rest)?.into_iter().partition(|(s, _)| own.contains(s));
            // Subjects in this half have landed with it; the artifact's wait for its half.
            warnings = list_referrers(dst, of_rest, &opts.cancel).await?;
            own_landed.await.map_err(|_| Error::Cancelled)?;
            warnings.extend(list_referrers(dst, of_own, &opts.cancel).await?);
        }
        Ok::<_, Error>((sent, pushed, warnings))
    };
    let ((artifact_sent, artifact_pushed), (rest_sent, rest_pushed, warnings)) = tokio::try_join!(artifact_half, rest_half)?;
    let mut results = artifact_sent;
    results.extend(rest_sent);

    let mut attachments = 0;
    for m in plan.manifests.iter().filter(|m| !m.tags.is_empty()) {
        for t in &m.tags {
            cancelled(&opts.cancel)?;
            dst.target.push_manifest(dst.repo, t, &m.blob).await?;
            attachments += 1;
        }
    }
    cancelled(&opts.cancel)?;
    let root = plan.manifests.iter().find(|m| m.role == Role::Root).ok_or_else(|| Error::usage("the plan has no root"))?;
    for t in tags {
        dst.target.push_manifest(dst.repo, t, &root.blob).await?;
    }
    let pushed = artifact_pushed + rest_pushed;
    let bytes_sent = results
        .iter()
        .filter(|(_, r)| *r == BlobResult::Copied)
        .fold(0u64, |sum, (d, _)| sum.saturating_add(d.size));
    Ok(CopyReport {
        root: plan.root.clone(),
        blobs: results,
        manifests_pushed: pushed,
        manifests_skipped: plan.manifests.len().saturating_sub(pushed),
        referrers: plan.manifests.iter().filter(|m| m.subject.is_some()).count(),
        attachments,
        bytes_sent,
        warnings,
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

/// Pushes the manifests that are not there yet, rank by rank (see [`ranks`]). Returns how
/// many were pushed and whether the registry acknowledged a subject.
async fn push_manifests(src: Endpoint<'_>, dst: Endpoint<'_>, manifests: &[&PlannedManifest], rank: &HashMap<&Digest, usize>, opts: &CopyOptions) -> Result<(usize, bool)> {
    let mut by_rank: BTreeMap<usize, Vec<&PlannedManifest>> = BTreeMap::new();
    for m in manifests.iter().filter(|m| !m.exists) {
        by_rank.entry(rank.get(&m.blob.digest).copied().unwrap_or(0)).or_default().push(m);
    }
    let (mut pushed, mut acknowledged) = (0, false);
    for level in by_rank.into_values() {
        cancelled(&opts.cancel)?;
        let acks: Vec<bool> = crate::graph::eager(level.into_iter().map(|m| async move {
            let resend = || async {
                // The blobs the destination says it lacks, sent again.
                for b in &m.blobs {
                    if crate::graph::stat_before_send(dst.target, dst.repo, &b.digest).await?.is_none() {
                        let task = opts.progress.start(b.digest.short().to_string(), b.size);
                        transfer_blob(src, dst, b, opts, &task).await?;
                        task.finish(Outcome::Done);
                    }
                }
                Ok(())
            };
            let r = crate::graph::push_manifest_resending(dst.target, dst.repo, &m.blob.digest.to_string(), &m.blob, resend).await?;
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
async fn destination_mode(dst: Endpoint<'_>, plan: &CopyPlan, rest: &[&PlannedManifest]) -> Result<Option<ReferrersMode>> {
    if !rest.iter().any(|m| m.subject.is_some()) || !dst.target.needs_referrers_index() {
        return Ok(None);
    }
    Ok(Some(match dst.target.referrers_mode(dst.repo) {
        Some(m) => m,
        None => dst.target.referrers(dst.repo, &plan.root.digest, None).await?.mode,
    }))
}

/// The entries each subject's referrers index gets, subject by subject.
fn index_entries(rest: &[&PlannedManifest]) -> Result<Vec<(Digest, Vec<Descriptor>)>> {
    let mut groups: BTreeMap<Digest, Vec<Descriptor>> = BTreeMap::new();
    for m in rest {
        if let Some(s) = &m.subject {
            groups.entry(s.clone()).or_default().push(referrer_entry(m)?);
        }
    }
    Ok(groups.into_iter().collect())
}

/// Lists copied referrers in tag-schema indexes, whatever the source did. Cancellation is
/// checked before each index is written. Returns the updates' warnings.
async fn list_referrers(dst: Endpoint<'_>, groups: Vec<(Digest, Vec<Descriptor>)>, cancel: &CancellationToken) -> Result<Vec<String>> {
    let outcomes = crate::graph::eager(groups.into_iter().map(|(subject, entries)| async move {
        cancelled(cancel)?;
        tag_schema::update(dst.target, dst.repo, &subject, &tag_schema::Change::Add(entries)).await
    }))
    .buffer_unordered(SMALL_CONCURRENCY)
    .try_collect::<Vec<_>>()
    .await?;
    Ok(outcomes.into_iter().flat_map(|o| o.warnings).collect())
}

/// The entry a referrers index carries for a planned referrer.
fn referrer_entry(m: &PlannedManifest) -> Result<Descriptor> {
    let parsed = m.blob.parse()?;
    let mut d = m.blob.descriptor();
    d.artifact_type = parsed.artifact_type().map(str::to_string).or_else(|| m.descriptor.artifact_type.clone());
    d.annotations = parsed.annotations().cloned();
    Ok(d)
}

async fn transfer_blob(src: Endpoint<'_>, dst: Endpoint<'_>, desc: &Descriptor, opts: &CopyOptions, task: &Task) -> Result<BlobResult> {
    if opts.mount && dst.target.mount_blob(dst.repo, desc, src.repo).await? == Mount::Mounted {
        task.advance(desc.size);
        return Ok(BlobResult::Mounted);
    }
    crate::graph::retrying(&format!("copy {}", desc.digest.short()), || async {
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
