//! Fetching what an inspection needs, through any [`Target`]: the manifest, the blobs its
//! summary reads (each verified against its digest and refused past the size bound), and, on
//! request, a layer's file listing streamed as it downloads. Blobs are fetched by digest, so
//! a cache can stand in front of [`fetch_bytes`] without changing anything else.

use bytes::{Bytes, BytesMut};
use futures_util::StreamExt;

use super::progress::{Outcome, Progress};
use crate::error::{Error, Result};
use crate::inspect::listing::{Lister, Listing};
use crate::inspect::{self, Context, Contents, Limits, Summary};
use crate::oci::{Descriptor, Digest, Manifest, ManifestBlob};
use crate::store::Target;

/// Blobs at least this large report progress while they download.
pub const PROGRESS_FROM: u64 = 1024 * 1024;

/// Blobs fetched at once for one summary.
const CONCURRENCY: usize = 4;

#[derive(Clone, Default)]
pub struct InspectOptions {
    pub limits: Limits,
    pub progress: Progress,
}

/// One manifest, summarised.
#[derive(Debug, Clone)]
pub struct Inspection {
    pub manifest: ManifestBlob,
    /// The manifest this one refers to (its `subject`, or a cosign tag's digest).
    pub subject: Option<Digest>,
    pub summary: Summary,
    /// Blobs that could not be fetched; the summary says what is missing.
    pub warnings: Vec<String>,
    /// The verified blobs the summary was made from, for a viewer to show whole.
    pub contents: Contents,
}

/// Fetches and summarises the manifest `reference` names. `tag` is the tag it was reached
/// by, if any: cosign's `sha256-<hex>.sig` tags name their subject that way.
pub async fn inspect(
    target: &dyn Target,
    repo: &str,
    reference: &str,
    tag: Option<&str>,
    opts: &InspectOptions,
) -> Result<Inspection> {
    let manifest = target.fetch_manifest(repo, reference).await?;
    let parsed = manifest.parse()?;
    let subject = inspect::subject_of(&parsed, tag);
    let (contents, warnings) = fetch_contents(target, repo, &parsed, opts).await;
    let ctx = Context { subject: subject.clone() };
    let summary = inspect::summarize(&parsed, &contents, &ctx, &opts.limits);
    Ok(Inspection {
        manifest,
        subject,
        summary,
        warnings,
        contents,
    })
}

/// The blobs (and, for an index, child manifests) a summary of `manifest` reads, by digest.
/// What cannot be fetched is left out, with a warning saying why.
pub async fn fetch_contents(target: &dyn Target, repo: &str, manifest: &Manifest, opts: &InspectOptions) -> (Contents, Vec<String>) {
    enum Want {
        Blob(Descriptor),
        Manifest(Descriptor),
    }
    let mut wants: Vec<Want> = inspect::needed(manifest, &opts.limits).into_iter().map(Want::Blob).collect();
    if let Manifest::Index(i) = manifest {
        wants.extend(inspect::index::children(i).into_iter().map(Want::Manifest));
    }
    let results: Vec<(Digest, Result<Bytes>)> = super::eager(wants.into_iter().map(|w| async move {
        match w {
            Want::Blob(d) => {
                let r = fetch_bytes(target, repo, &d, opts.limits.max_blob, &opts.progress).await;
                (d.digest, r)
            }
            Want::Manifest(d) => {
                let r = target.fetch_manifest(repo, &d.digest.to_string()).await.map(|m| m.bytes);
                (d.digest, r)
            }
        }
    }))
    .buffered(CONCURRENCY)
    .collect()
    .await;
    let mut contents = Contents::new();
    let mut warnings = Vec::new();
    for (digest, r) in results {
        match r {
            Ok(b) => {
                contents.insert(digest, b);
            }
            Err(e) => warnings.push(format!("{digest}: {e}")),
        }
    }
    (contents, warnings)
}

/// A blob's bytes, verified against `desc`; refused without a request when it is larger than
/// `max`. Large blobs report their progress.
pub async fn fetch_bytes(target: &dyn Target, repo: &str, desc: &Descriptor, max: u64, progress: &Progress) -> Result<Bytes> {
    if desc.size > max {
        return Err(Error::TooLarge {
            what: format!("blob {}", desc.digest),
            size: desc.size,
            limit: max,
        });
    }
    let task = (desc.size >= PROGRESS_FROM).then(|| progress.start(desc.digest.short().to_string(), desc.size));
    let result = super::retrying(&format!("fetch {}", desc.digest.short()), || async {
        let mut stream = target.fetch_blob(repo, desc).await?;
        // The size was checked against the bound above, and the stream fails past it.
        let mut buf = BytesMut::with_capacity(usize::try_from(desc.size).unwrap_or(0));
        while let Some(chunk) = stream.next().await {
            buf.extend_from_slice(&chunk?);
            if let Some(t) = &task {
                t.advance(buf.len() as u64);
            }
        }
        Ok::<_, Error>(buf.freeze())
    })
    .await;
    if let Some(t) = &task {
        t.finish(match &result {
            Ok(_) => Outcome::Done,
            Err(e) => Outcome::Failed(e.to_string()),
        });
    }
    result
}

/// Lists a tar layer as it downloads. `on_update` sees the listing grow (the first screen
/// long before a large layer has arrived); the whole blob is still read to check its digest,
/// so the listing returned is of verified bytes.
pub async fn list_layer(
    target: &dyn Target,
    repo: &str,
    desc: &Descriptor,
    opts: &InspectOptions,
    mut on_update: impl FnMut(&Listing) + Send,
) -> Result<Listing> {
    let task = opts.progress.start(desc.digest.short().to_string(), desc.size);
    let result = async {
        let mut stream = target.fetch_blob(repo, desc).await?;
        let mut lister = Lister::new(&opts.limits);
        let mut done = 0u64;
        let mut seen = 0u64;
        while let Some(chunk) = stream.next().await {
            let chunk = chunk?;
            done += chunk.len() as u64;
            task.advance(done);
            if lister.done() {
                continue;
            }
            lister.feed(&chunk)?;
            if lister.listing().total != seen {
                seen = lister.listing().total;
                on_update(lister.listing());
            }
        }
        let listing = lister.finish()?;
        on_update(&listing);
        Ok::<_, Error>(listing)
    }
    .await;
    task.finish(match &result {
        Ok(_) => Outcome::Done,
        Err(e) => Outcome::Failed(e.to_string()),
    });
    result
}
