//! Operations over any [`Target`](crate::target::Target): the graph of artifacts as users
//! think of it. The CLI and the TUI are thin fronts over this module.

pub mod copy;
pub mod delete;
pub mod discover;
pub mod fallback;
pub mod pack;
pub mod progress;
pub mod pull;
pub mod push;
pub mod safe_path;

use crate::error::Result;

/// A stream over futures made up front. Streaming straight from `iter.map(|x| async { … })`
/// keeps the closure inside the awaiting future, and rustc then cannot prove that future
/// `Send` when it is spawned ("implementation of FnOnce is not general enough"); collecting
/// first avoids that.
pub(crate) fn eager<I: IntoIterator>(items: I) -> futures_util::stream::Iter<std::vec::IntoIter<I::Item>> {
    futures_util::stream::iter(items.into_iter().collect::<Vec<_>>())
}
use crate::target::{Target, is_digest_tag};

/// A repository's tags, sorted; tag-schema indexes (`sha256-…`) only when asked for.
pub async fn list_tags(target: &dyn Target, repo: &str, include_digest_tags: bool) -> Result<Vec<String>> {
    let mut tags = target.list_tags(repo).await?;
    if !include_digest_tags {
        tags.retain(|t| !is_digest_tag(t));
    }
    Ok(tags)
}
