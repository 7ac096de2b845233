//! Operations over any [`Target`](crate::store::Target): the graph of artifacts as users
//! think of it. The CLI and the TUI are thin fronts over this module.

pub mod copy;
pub mod delete;
pub mod discover;
pub mod inspect;
pub mod model;
pub mod pack;
pub mod progress;
pub mod pull;
pub mod push;
pub mod safe_path;
pub mod tag_schema;
pub mod walk;

use crate::error::Result;

/// A stream over futures made up front. Streaming straight from `iter.map(|x| async { … })`
/// keeps the closure inside the awaiting future, and rustc then cannot prove that future
/// `Send` when it is spawned ("implementation of FnOnce is not general enough"); collecting
/// first avoids that.
pub(crate) fn eager<I: IntoIterator>(items: I) -> futures_util::stream::Iter<std::vec::IntoIter<I::Item>> {
    futures_util::stream::iter(items.into_iter().collect::<Vec<_>>())
}
use crate::store::{Target, is_digest_tag};

/// Attempts a blob transfer gets when the connection breaks or stalls.
pub const TRANSFER_ATTEMPTS: u32 = 3;

/// Failures worth another attempt with a fresh request: the network, not the content.
pub fn transient(e: &crate::error::Error) -> bool {
    matches!(e, crate::error::Error::Connect { .. } | crate::error::Error::Timeout { .. })
}

/// Runs `attempt` until it succeeds, fails for good, or has failed transiently
/// [`TRANSFER_ATTEMPTS`] times; waits a little longer before each new try.
pub async fn retrying<T, F, Fut>(what: &str, mut attempt: F) -> Result<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T>>,
{
    let mut tries = 0;
    loop {
        tries += 1;
        match attempt().await {
            Err(e) if transient(&e) && tries < TRANSFER_ATTEMPTS => {
                tracing::info!("{what}: {e}; trying again ({tries}/{TRANSFER_ATTEMPTS})");
                tokio::time::sleep(std::time::Duration::from_millis(300 * u64::from(tries))).await;
            }
            other => return other,
        }
    }
}

/// Pushes a manifest; when the registry says one of its blobs is unknown, runs `resend` and
/// pushes once more. A registry may not yet see a blob that a concurrent upload of the same
/// content is committing (distribution does this), or that eventually consistent storage has
/// not shown yet.
pub async fn push_manifest_resending<F, Fut>(
    target: &dyn Target,
    repo: &str,
    reference: &str,
    manifest: &crate::oci::ManifestBlob,
    resend: F,
) -> Result<crate::store::PushedManifest>
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = Result<()>>,
{
    match target.push_manifest(repo, reference, manifest).await {
        Err(e) if blob_unknown(&e) => {
            tracing::info!("{repo}: {e}; sending missing blobs again");
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
            resend().await?;
            target.push_manifest(repo, reference, manifest).await
        }
        other => other,
    }
}

/// A blob's size in `repo`, asked to decide whether to send it. A registry that answers the
/// check with a server error cannot vouch for the blob, so it is sent again: the upload
/// repairs what tripped the check (distribution answers 500 for a layer link left empty by a
/// crash).
pub async fn stat_before_send(target: &dyn Target, repo: &str, digest: &crate::oci::Digest) -> Result<Option<u64>> {
    match target.stat_blob(repo, digest).await {
        Err(e) if e.is_server_error() => {
            tracing::warn!("{repo}: cannot check blob {digest} ({e}); sending it again");
            Ok(None)
        }
        other => other,
    }
}

/// Whether a manifest is in `repo`, asked to decide whether to push it; as for
/// [`stat_before_send`], a server error means push it again.
pub async fn exists_before_push(target: &dyn Target, repo: &str, digest: &crate::oci::Digest) -> Result<bool> {
    match target.manifest_exists(repo, digest).await {
        Err(e) if e.is_server_error() => {
            tracing::warn!("{repo}: cannot check manifest {digest} ({e}); pushing it again");
            Ok(false)
        }
        other => other,
    }
}

pub(crate) fn blob_unknown(e: &crate::error::Error) -> bool {
    matches!(e, crate::error::Error::Status { status: 400 | 404, message, .. } if message.contains("BLOB_UNKNOWN"))
}

/// A repository's tags, sorted; tag-schema indexes (`sha256-…`) only when asked for.
pub async fn list_tags(target: &dyn Target, repo: &str, include_digest_tags: bool) -> Result<Vec<String>> {
    let mut tags = target.list_tags(repo).await?;
    if !include_digest_tags {
        tags.retain(|t| !is_digest_tag(t));
    }
    Ok(tags)
}
