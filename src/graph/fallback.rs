//! Upkeep of the Referrers Tag Schema: the OCI index under the tag `sha256-<hex>` that lists
//! a subject's referrers on registries without the Referrers API.
//!
//! Registries offer no compare-and-swap on tags, so concurrent writers could overwrite each
//! other. Each update therefore reads, merges, writes, then re-reads after a short random
//! pause and merges again if its change was lost, a bounded number of times.

use std::time::Duration;

use crate::error::{Error, Result};
use crate::oci::{Descriptor, Digest, ImageIndex, Manifest, ManifestBlob, manifest};
use crate::store::Target;

const MAX_ROUNDS: usize = 6;

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
}

/// What an update did, for plans and output.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Outcome {
    /// The index now under the tag (None when the tag is gone or was never needed).
    pub index: Option<Digest>,
    /// Superseded index manifests deleted.
    pub deleted: Vec<Digest>,
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

/// Applies `change` to `subject`'s referrers index, retrying when a concurrent writer won.
pub async fn update(target: &dyn Target, repo: &str, subject: &Digest, change: &Change) -> Result<Outcome> {
    let tag = subject.fallback_tag();
    let mut outcome = Outcome::default();
    // Indexes this update wrote; a concurrent writer may have replaced one before we could.
    let mut written: Vec<Digest> = Vec::new();
    for round in 0..MAX_ROUNDS {
        let started = std::time::Instant::now();
        let current = read(target, repo, subject).await?;
        let mut entries = current.as_ref().map(|(_, i)| i.manifests.clone()).unwrap_or_default();
        if change.satisfied_by(&entries) {
            let now = current.map(|(b, _)| b.digest);
            for old in written.iter().filter(|d| Some(*d) != now.as_ref()) {
                if !outcome.deleted.contains(old) && clean_up(target, repo, old).await {
                    outcome.deleted.push(old.clone());
                }
            }
            outcome.index = now;
            return Ok(outcome);
        }
        if round > 0 {
            tracing::info!("{repo}: referrers index {tag} changed under us; merging again");
        }
        change.apply(&mut entries);
        match (&current, entries.is_empty()) {
            (Some((old, _)), true) => {
                // The index goes, and with it the tag (deleting by digest removes its tags).
                target.delete_manifest(repo, &old.digest).await.or_else(ignore_missing)?;
                outcome.deleted.push(old.digest.clone());
            }
            (None, true) => {}
            (_, false) => {
                let blob = ManifestBlob::new(manifest::to_bytes(&ImageIndex::new(entries)), Some(crate::oci::media_types::OCI_INDEX))?;
                target.push_manifest(repo, &tag, &blob).await?;
                written.push(blob.digest.clone());
                if let Some((old, _)) = &current
                    && old.digest != blob.digest
                    && target.resolve(repo, &tag).await.is_ok_and(|d| d.digest == blob.digest)
                    && clean_up(target, repo, &old.digest).await
                {
                    outcome.deleted.push(old.digest.clone());
                }
            }
        }
        // Another writer's read-modify-write takes about as long as ours did; waiting a little
        // longer than that before checking catches one that overlapped.
        let round_trip = started.elapsed();
        let pause = (round_trip * 2).clamp(Duration::from_millis(10), Duration::from_millis(500)) + Duration::from_millis(rand_below(10));
        tokio::time::sleep(pause).await;
    }
    Err(Error::usage(format!(
        "the referrers index {tag} in {repo} kept changing under concurrent writers; run the command again"
    )))
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

/// A small random number without a dependency: the jitter only has to differ between processes.
fn rand_below(n: u64) -> u64 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos() as u64)
        .unwrap_or(0);
    (nanos ^ (std::process::id() as u64).wrapping_mul(2_654_435_761)) % n
}
