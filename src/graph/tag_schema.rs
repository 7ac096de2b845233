//! Upkeep of the Referrers Tag Schema: the OCI index under the tag `sha256-<hex>` that lists
//! a subject's referrers on registries without the Referrers API.
//!
//! # Concurrent writers
//!
//! A registry offers no compare-and-swap on a tag (distribution ignores `If-Match` on a
//! manifest PUT), so two read-modify-writes of one index can interleave, and the later PUT
//! erases what the earlier one added. An update therefore does not stop at its own PUT: it
//! watches the tag until one index, with its change in it, has stayed under the tag for
//! [`SETTLE`], and applies its change again whenever it sees it undone.
//!
//! What that guarantees, under four assumptions:
//! 1. A read of the tag answers the last write that took effect (one registry, or storage
//!    with read-after-write consistency).
//! 2. Every write takes effect less than [`SETTLE`] after the read it was computed from.
//!    refscope times this for its own writes, from sending the read to the answer to the
//!    write (an interval that contains the real one), and reports each write that took longer
//!    in [`Outcome::warnings`].
//! 3. Writers change only what they came to change: an addition keeps every entry it read, a
//!    removal drops only its own entries (and entries whose manifests are gone, which the
//!    registry refuses to list anyway).
//! 4. No two writes carry the same bytes: each index records the time it was written, to the
//!    nanosecond.
//!
//! Claim: when [`update`] returns, its change holds, and keeps holding until a writer undoes
//! it on purpose (a later removal of the entry). Proof: the update returned after seeing the
//! same index `d`, with its change in it, at two reads that the registry answered at least
//! `SETTLE` apart (the first read's answer and the second read's sending bound them). By (1)
//! and (4) no write took effect between the two. Order the writes that take effect after the
//! second read by time: by (2) each was computed from a read made after the first, so from
//! `d` or from an earlier write of this list; by induction each starts from an index with the
//! change in it, and by (3) keeps it.
//!
//! Not guaranteed: a write that breaks (2) can still erase an entry whose writer has already
//! returned, and nothing on the wire lets anyone find that entry again. refscope's own such
//! writes are reported; other tools' (which do not watch at all) are not.
//!
//! A removal that empties the index writes the empty index and watches it like any other
//! before deleting the tag: a missing tag cannot be told apart from one deleted and created
//! again meanwhile, an empty index with its own write time can. Deleting an empty index
//! changes no list, so it cannot undo anyone's change.

use std::time::Duration;

use futures_util::StreamExt;
use tokio::time::Instant;

use crate::error::{Error, Result};
use crate::oci::media_types::{self, annotations};
use crate::oci::{Descriptor, Digest, ImageIndex, Manifest, ManifestBlob, manifest};
use crate::store::Target;

/// How long an index must stay under its tag before an update that changed it is done; also
/// the longest read-modify-write that cannot erase another writer's finished change.
pub const SETTLE: Duration = Duration::from_secs(1);
/// Between two reads of the tag while waiting for it to settle.
const POLL: Duration = Duration::from_millis(200);
/// Writes one update may make before it gives up on a tag that keeps changing.
const MAX_WRITES: usize = 16;
/// How long one update may wait for the tag to settle.
const MAX_WAIT: Duration = Duration::from_secs(300);
/// Extra reads of the tag when distribution answers 500 to a read racing a write.
const READ_ATTEMPTS: u32 = 4;

/// A change to one subject's referrers list.
#[derive(Debug, Clone)]
pub enum Change {
    Add(Vec<Descriptor>),
    Remove(Vec<Digest>),
}

impl Change {
    fn satisfied_by(&self, entries: &[Descriptor]) -> bool {
        match self {
            Change::Add(add) => add.iter().all(|a| entries.iter().any(|e| e.digest == a.digest)),
            Change::Remove(rm) => !entries.iter().any(|e| rm.contains(&e.digest)),
        }
    }

    fn apply(&self, entries: &mut Vec<Descriptor>) {
        match self {
            Change::Add(add) => {
                for a in add {
                    if !entries.iter().any(|e| e.digest == a.digest) {
                        entries.push(a.clone());
                    }
                }
            }
            Change::Remove(rm) => entries.retain(|e| !rm.contains(&e.digest)),
        }
    }

    fn adds(&self, digest: &Digest) -> bool {
        matches!(self, Change::Add(add) if add.iter().any(|a| a.digest == *digest))
    }
}

/// What an update did, for plans and output.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Outcome {
    /// The index now under the tag (None when the tag is gone or was never needed).
    pub index: Option<Digest>,
    /// Superseded index manifests deleted.
    pub deleted: Vec<Digest>,
    /// Writes of this update that took longer than [`SETTLE`]: a concurrent writer that
    /// finished meanwhile may have lost its entry.
    pub warnings: Vec<String>,
}

/// The current referrers index of `subject`, if its tag exists.
pub async fn read(target: &dyn Target, repo: &str, subject: &Digest) -> Result<Option<(ManifestBlob, ImageIndex)>> {
    let tag = subject.fallback_tag();
    let blob = match target.fetch_manifest(repo, &tag).await {
        Ok(b) => b,
        Err(e) if e.is_not_found() => return Ok(None),
        Err(e) => return Err(e),
    };
    match blob.parse() {
        Ok(Manifest::Index(index)) if blob.digest != *subject => Ok(Some((blob, index))),
        _ => Err(Error::usage(format!(
            "the tag {tag} in {repo} holds something that is not a referrers index; refusing to overwrite it"
        ))),
    }
}

/// Reads the index, reading again when distribution answers 500: it does so to a read of a
/// tag that is being written at that moment.
async fn read_racing(target: &dyn Target, repo: &str, subject: &Digest) -> Result<Option<(ManifestBlob, ImageIndex)>> {
    let mut attempt = 0;
    loop {
        match read(target, repo, subject).await {
            Err(e) if e.is_server_error() && attempt + 1 < READ_ATTEMPTS => {
                attempt += 1;
                tokio::time::sleep(POLL / 4 + jitter(POLL)).await;
            }
            other => return other,
        }
    }
}

/// The index an update watches: what the tag held, and when it was first known to hold it.
struct Watched {
    index: Option<Digest>,
    since: Instant,
}

/// Applies `change` to `subject`'s referrers index and returns once it has settled (see the
/// module's notes on concurrent writers).
pub async fn update(target: &dyn Target, repo: &str, subject: &Digest, change: &Change) -> Result<Outcome> {
    let tag = subject.fallback_tag();
    let started = Instant::now();
    let mut outcome = Outcome::default();
    // Every index this update read or wrote; those superseded are deleted at the end.
    let mut known: Vec<Digest> = Vec::new();
    // Entries whose manifests the repository no longer has: the registry refuses to list them.
    let mut gone: Vec<Digest> = Vec::new();
    let mut watched: Option<Watched> = None;
    let mut writes = 0;
    let mut slow_reads = 0;
    let mut pause_before_write = false;
    loop {
        if started.elapsed() > MAX_WAIT {
            return Err(unsettled(&tag, repo, writes));
        }
        let asked = Instant::now();
        let current = read_racing(target, repo, subject).await?;
        let answered = Instant::now();
        let index = current.as_ref().map(|(b, _)| b.digest.clone());
        if let Some(d) = &index
            && !known.contains(d)
        {
            known.push(d.clone());
        }
        let mut entries = current.map(|(_, i)| i.manifests).unwrap_or_default();
        if change.satisfied_by(&entries) {
            if writes == 0 {
                // Nothing of this update's to watch: whoever wrote the change watches it.
                outcome.index = index;
                return Ok(outcome);
            }
            let since = match &watched {
                Some(w) if w.index == index => w.since,
                _ => {
                    watched = Some(Watched { index: index.clone(), since: answered });
                    answered
                }
            };
            if asked.duration_since(since) >= SETTLE {
                return finish(target, repo, index, entries.is_empty(), known, outcome).await;
            }
            tokio::time::sleep(POLL.min((since + SETTLE).saturating_duration_since(Instant::now()))).await;
            continue;
        }
        // Writers that see their change undone at the same moment would collide again.
        if pause_before_write {
            tracing::info!("{repo}: referrers index {tag} changed under us; applying the change again");
            pause_before_write = false;
            tokio::time::sleep(jitter(POLL / 2)).await;
            continue;
        }
        // A write computed from a slow read has less of the settle time left: read again.
        if answered - asked > SETTLE / 4 && slow_reads < 2 {
            slow_reads += 1;
            continue;
        }
        if writes == MAX_WRITES {
            return Err(unsettled(&tag, repo, writes));
        }
        entries.retain(|e| !gone.contains(&e.digest));
        change.apply(&mut entries);
        let blob = index_blob(entries.clone())?;
        if let Err(e) = target.push_manifest(repo, &tag, &blob).await {
            if !refused_child(&e) {
                return Err(e);
            }
            let missing = missing_manifests(target, repo, &entries).await?;
            if missing.is_empty() {
                return Err(e);
            }
            if let Some(ours) = missing.iter().find(|d| change.adds(d)) {
                return Err(Error::usage(format!(
                    "{ours} was deleted from {repo} while it was being listed in the referrers index {tag}; push it again"
                )));
            }
            tracing::info!("{repo}: {} entries of {tag} have no manifest any more; leaving them out", missing.len());
            gone.extend(missing);
            writes += 1;
            continue;
        }
        let done = Instant::now();
        writes += 1;
        known.push(blob.digest.clone());
        let took = done - asked;
        if took > SETTLE {
            let w = format!(
                "updating the referrers index {tag} in {repo} took {:.1} s, longer than the {} s other writers wait for it to settle; \
                 a change to it by another writer that finished meanwhile may have been undone: `refscope discover` shows what it lists",
                took.as_secs_f64(),
                SETTLE.as_secs()
            );
            tracing::warn!("{w}");
            outcome.warnings.push(w);
        }
        watched = Some(Watched { index: Some(blob.digest), since: done });
        pause_before_write = true;
        slow_reads = 0;
        tokio::time::sleep(POLL).await;
    }
}

/// Ends a settled update: deletes the index when it is empty (and with it the tag), and the
/// indexes it saw superseded. None of those can come back under the tag (assumption 4).
async fn finish(target: &dyn Target, repo: &str, index: Option<Digest>, empty: bool, known: Vec<Digest>, mut outcome: Outcome) -> Result<Outcome> {
    outcome.index = index.clone();
    if empty && let Some(d) = &index {
        target.delete_manifest(repo, d).await.or_else(ignore_missing)?;
        outcome.deleted.push(d.clone());
        outcome.index = None;
    }
    for old in known.iter().filter(|d| Some(*d) != index.as_ref()) {
        if clean_up(target, repo, old).await {
            outcome.deleted.push(old.clone());
        }
    }
    Ok(outcome)
}

fn unsettled(tag: &str, repo: &str, writes: usize) -> Error {
    Error::usage(format!(
        "the referrers index {tag} in {repo} kept changing under concurrent writers ({writes} writes of ours); \
         check with `refscope discover` whether the change holds, and run the command again if not"
    ))
}

/// An index of `entries`, stamped with its write time so that no two writes are alike.
fn index_blob(entries: Vec<Descriptor>) -> Result<ManifestBlob> {
    let mut index = ImageIndex::new(entries);
    let now = humantime::format_rfc3339_nanos(write_time()).to_string();
    index.annotations = Some([(annotations::CREATED.to_string(), now)].into());
    Ok(ManifestBlob::new(manifest::to_bytes(&index), Some(media_types::OCI_INDEX))?)
}

/// The time now, to the nanosecond, and later than any earlier answer in this process even
/// where the clock is coarser than that.
fn write_time() -> std::time::SystemTime {
    use std::sync::atomic::{AtomicU64, Ordering};
    static LAST: AtomicU64 = AtomicU64::new(0);
    let epoch = std::time::UNIX_EPOCH;
    let now = std::time::SystemTime::now().duration_since(epoch).unwrap_or_default().as_nanos();
    let now = u64::try_from(now).unwrap_or(u64::MAX);
    let mut last = LAST.load(Ordering::Relaxed);
    loop {
        let next = now.max(last.saturating_add(1));
        match LAST.compare_exchange_weak(last, next, Ordering::Relaxed, Ordering::Relaxed) {
            Ok(_) => return epoch + Duration::from_nanos(next),
            Err(seen) => last = seen,
        }
    }
}

/// The registry refused an index because a manifest it lists is not in the repository
/// (distribution: 400 MANIFEST_BLOB_UNKNOWN): a concurrent delete took it away.
fn refused_child(e: &Error) -> bool {
    e.is_not_found() || super::blob_unknown(e)
}

/// The entries whose manifests the repository does not have.
async fn missing_manifests(target: &dyn Target, repo: &str, entries: &[Descriptor]) -> Result<Vec<Digest>> {
    let checks: Vec<Result<(Digest, bool)>> = crate::graph::eager(entries.iter().map(|e| async move {
        Ok((e.digest.clone(), target.manifest_exists(repo, &e.digest).await?))
    }))
    .buffered(8)
    .collect()
    .await;
    let mut missing = Vec::new();
    for c in checks {
        let (d, present) = c?;
        if !present {
            missing.push(d);
        }
    }
    Ok(missing)
}

/// Deletes a superseded index. That is tidying, not the change itself: a failure (another
/// writer deleting it at the same moment, say) is logged and the update stands.
async fn clean_up(target: &dyn Target, repo: &str, index: &Digest) -> bool {
    match target.delete_manifest(repo, index).await {
        Ok(()) => true,
        Err(e) if e.is_not_found() => false,
        Err(e) => {
            tracing::warn!("{repo}: could not delete superseded referrers index {index}: {e}");
            false
        }
    }
}

fn ignore_missing(e: Error) -> Result<()> {
    if e.is_not_found() { Ok(()) } else { Err(e) }
}

/// A random duration below `max`; it only has to differ between writers.
fn jitter(max: Duration) -> Duration {
    use std::hash::{BuildHasher, Hasher};
    // The standard library seeds each RandomState from the operating system's randomness.
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default().as_nanos());
    let nanos = u64::try_from(max.as_nanos()).unwrap_or(u64::MAX).max(1);
    Duration::from_nanos(h.finish() % nanos)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::layout::Layout;

    fn referrer(n: u8) -> Descriptor {
        let mut d = Descriptor::new(media_types::OCI_MANIFEST, Digest::sha256_of(&[n]), 1);
        d.artifact_type = Some("signature/example".into());
        d
    }

    #[tokio::test(start_paused = true)]
    async fn an_update_waits_for_its_index_to_settle_and_tidies_up() {
        let dir = tempfile::tempdir().unwrap();
        let layout = Layout::open_or_create(dir.path()).unwrap();
        let subject = Digest::sha256_of(b"subject");
        let started = Instant::now();
        let first = update(&layout, "x", &subject, &Change::Add(vec![referrer(1)])).await.unwrap();
        assert!(started.elapsed() >= SETTLE, "returned before the index settled");
        let both = update(&layout, "x", &subject, &Change::Add(vec![referrer(2)])).await.unwrap();
        assert_eq!(both.deleted, first.index.iter().cloned().collect::<Vec<_>>(), "the superseded index goes");
        let again = update(&layout, "x", &subject, &Change::Add(vec![referrer(2)])).await.unwrap();
        assert_eq!(again.index, both.index, "nothing to change, nothing written");
        let (blob, index) = read(&layout, "x", &subject).await.unwrap().unwrap();
        assert_eq!(Some(blob.digest), both.index);
        assert_eq!(index.manifests.iter().map(|d| d.digest.clone()).collect::<Vec<_>>(), [referrer(1).digest, referrer(2).digest]);
    }

    #[tokio::test(start_paused = true)]
    async fn emptying_an_index_writes_it_empty_then_deletes_the_tag() {
        let dir = tempfile::tempdir().unwrap();
        let layout = Layout::open_or_create(dir.path()).unwrap();
        let subject = Digest::sha256_of(b"subject");
        let added = update(&layout, "x", &subject, &Change::Add(vec![referrer(1)])).await.unwrap();
        let removed = update(&layout, "x", &subject, &Change::Remove(vec![referrer(1).digest])).await.unwrap();
        assert_eq!(removed.index, None);
        assert_eq!(removed.deleted.len(), 2, "the empty index and the one it replaced: {removed:?}");
        assert!(removed.deleted.contains(&added.index.unwrap()));
        assert!(read(&layout, "x", &subject).await.unwrap().is_none(), "the tag is gone");
    }

    #[test]
    fn no_two_index_writes_have_the_same_bytes() {
        let written: std::collections::HashSet<Digest> = (0..1000).map(|_| index_blob(vec![referrer(1)]).unwrap().digest).collect();
        assert_eq!(written.len(), 1000);
    }
}
