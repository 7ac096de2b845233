//! Filling a [`Graph`] from a target: every request the model wants, a bounded number in
//! flight, answers inserted as they arrive. A node's manifest and its referrers are asked for
//! together, so a chain costs one round trip per level, not two.

use std::collections::VecDeque;

use futures_util::stream::{FuturesUnordered, StreamExt};

use super::model::{Graph, Want};
use crate::error::Result;
use crate::oci::{Digest, ManifestBlob};
use crate::store::{ReferrersMode, Referrers, Target};

/// Requests in flight during a walk unless told otherwise.
pub const DEFAULT_CONCURRENCY: usize = 16;

#[derive(Debug, Clone)]
pub struct WalkOptions {
    pub concurrency: usize,
    /// Only referrers of this artifact type, at every level.
    pub artifact_type: Option<String>,
}

impl Default for WalkOptions {
    fn default() -> Self {
        WalkOptions {
            concurrency: DEFAULT_CONCURRENCY,
            artifact_type: None,
        }
    }
}

enum Answer {
    Manifest(ManifestBlob),
    Missing(Digest),
    Referrers(Digest, Referrers),
    Tags(Vec<String>),
    TagsFailed(String),
    Attachment(String, ManifestBlob),
    /// The attachment tag went away between the listing and the fetch.
    Gone,
}

/// Asks `target` for everything `graph` wants until it wants nothing more. `on_manifest` sees
/// every manifest as it arrives (the copy plan checks the destination meanwhile).
pub async fn walk(target: &dyn Target, repo: &str, graph: &mut Graph, opts: &WalkOptions, mut on_manifest: impl FnMut(&ManifestBlob)) -> Result<()> {
    let concurrency = opts.concurrency.max(1);
    let artifact_type = opts.artifact_type.as_deref();
    let mut queue: VecDeque<Want> = VecDeque::new();
    let mut pending = FuturesUnordered::new();
    loop {
        queue.extend(graph.take_wants());
        while pending.len() < concurrency {
            let Some(want) = queue.pop_front() else { break };
            if let Some(none) = known_empty(target, repo, graph, &want) {
                graph.insert_referrers(&none.0, none.1)?;
                queue.extend(graph.take_wants());
                continue;
            }
            pending.push(ask(target, repo, want, artifact_type));
        }
        let Some(answer) = pending.next().await else { break };
        match answer? {
            Answer::Manifest(blob) => {
                on_manifest(&blob);
                graph.insert_manifest(blob)?;
            }
            Answer::Missing(d) => graph.insert_missing(&d),
            Answer::Referrers(d, r) => graph.insert_referrers(&d, r)?,
            Answer::Tags(tags) => graph.insert_tags(tags)?,
            Answer::TagsFailed(m) => graph.insert_failure(&Want::Tags, m),
            Answer::Attachment(tag, blob) => {
                on_manifest(&blob);
                graph.insert_attachment(&tag, blob)?;
            }
            Answer::Gone => {}
        }
    }
    Ok(())
}

/// On a tag-schema repository whose tag list is known, a digest without a `sha256-<hex>` tag
/// has no referrers: no request needed.
fn known_empty(target: &dyn Target, repo: &str, graph: &Graph, want: &Want) -> Option<(Digest, Referrers)> {
    let Want::Referrers(d) = want else { return None };
    let tags = graph.tags()?;
    (target.referrers_mode(repo) == Some(ReferrersMode::TagSchema) && !tags.has_index(d)).then(|| {
        let none = Referrers {
            descriptors: Vec::new(),
            mode: ReferrersMode::TagSchema,
            fallback_index: None,
        };
        (d.clone(), none)
    })
}

async fn ask(target: &dyn Target, repo: &str, want: Want, artifact_type: Option<&str>) -> Result<Answer> {
    Ok(match want {
        Want::Manifest(d) => match target.fetch_manifest(repo, &d.to_string()).await {
            Ok(b) => Answer::Manifest(b),
            Err(e) if e.is_not_found() => Answer::Missing(d),
            Err(e) => return Err(e),
        },
        Want::Referrers(d) => {
            let r = target.referrers(repo, &d, artifact_type).await?;
            Answer::Referrers(d, r)
        }
        Want::Tags => match target.list_tags(repo).await {
            Ok(tags) => Answer::Tags(tags),
            Err(e) if e.is_not_found() => Answer::Tags(Vec::new()),
            Err(e) => Answer::TagsFailed(e.to_string()),
        },
        Want::Attachment(tag) => match target.fetch_manifest(repo, &tag).await {
            Ok(b) => Answer::Attachment(tag, b),
            Err(e) if e.is_not_found() => Answer::Gone,
            Err(e) => return Err(e),
        },
    })
}
