//! Where artifacts live: the [`Target`] trait, implemented by a live registry, by an OCI
//! image layout on disk and by a directory of such layouts. Everything above this layer
//! (graph operations, CLI, TUI) works on a `dyn Target` and never knows which one it has.

pub mod certs_d;
pub mod layout;
pub mod layouts;
pub mod open;
pub mod registry;
mod verify;

use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};

use async_trait::async_trait;
use bytes::Bytes;
use futures_util::Stream;

use crate::error::Result;
use crate::oci::{Descriptor, Digest, ManifestBlob};

pub use verify::{VerifiedStream, verify_stream};

/// A stream of blob bytes. Streams returned by [`Target::fetch_blob`] end with an error item
/// when the content does not match its descriptor.
pub type ByteStream = Pin<Box<dyn Stream<Item = Result<Bytes>> + Send>>;

/// How a repository's referrers were found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReferrersMode {
    /// The registry's Referrers API (`/v2/<name>/referrers/<digest>`).
    Api,
    /// The Referrers Tag Schema: an index under the tag `sha256-<hex>`.
    TagSchema,
    /// Scanned from the manifests of an OCI layout.
    Layout,
}

impl ReferrersMode {
    pub fn label(self) -> &'static str {
        match self {
            ReferrersMode::Api => "referrers API",
            ReferrersMode::TagSchema => "tag schema",
            ReferrersMode::Layout => "layout scan",
        }
    }
}

/// The referrers of one subject.
#[derive(Debug, Clone)]
pub struct Referrers {
    pub descriptors: Vec<Descriptor>,
    pub mode: ReferrersMode,
    /// In tag-schema mode, the index manifest that the `sha256-<hex>` tag points at.
    pub fallback_index: Option<ManifestBlob>,
}

/// Where a page of a listing starts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PageRequest {
    /// Start after this name (the `last` parameter).
    pub last: Option<String>,
    /// An opaque continuation from a previous [`Page::next`].
    pub next: Option<String>,
    /// How many names to ask for; registries may answer fewer or more.
    pub n: usize,
}

/// One page of a catalog or tag listing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Page {
    pub items: Vec<String>,
    /// Continuation for the following page; `None` on the last one.
    pub next: Option<String>,
    /// Size of the answer this page came in, counted against [`ListingLimits::max_bytes`].
    pub bytes: u64,
}

/// Pages after this many are refused, so a looping `Link` chain cannot run forever.
pub const MAX_PAGES: usize = 100_000;

/// Bounds on one listing (tags, repositories, referrers) summed over all its pages: each page
/// is bounded on its own, but a registry can hand out fresh cursors forever.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ListingLimits {
    pub max_items: u64,
    pub max_bytes: u64,
}

impl ListingLimits {
    /// Far above any real repository, far below what exhausts memory.
    pub const DEFAULT: ListingLimits = ListingLimits {
        max_items: 1_000_000,
        max_bytes: 256 << 20,
    };
}

impl Default for ListingLimits {
    fn default() -> Self {
        ListingLimits::DEFAULT
    }
}

static MAX_LIST_ITEMS: AtomicU64 = AtomicU64::new(ListingLimits::DEFAULT.max_items);
static MAX_LIST_BYTES: AtomicU64 = AtomicU64::new(ListingLimits::DEFAULT.max_bytes);

/// Sets the limits every [`Pager::new`] gets from now on. They are process-wide because they
/// come from the command line, and every listing of any target must obey them.
pub fn set_listing_limits(limits: ListingLimits) {
    MAX_LIST_ITEMS.store(limits.max_items, Ordering::Relaxed);
    MAX_LIST_BYTES.store(limits.max_bytes, Ordering::Relaxed);
}

pub fn listing_limits() -> ListingLimits {
    ListingLimits {
        max_items: MAX_LIST_ITEMS.load(Ordering::Relaxed),
        max_bytes: MAX_LIST_BYTES.load(Ordering::Relaxed),
    }
}

/// The result of pushing a manifest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushedManifest {
    /// The registry answered `OCI-Subject`: it maintains referrers itself (Referrers API).
    pub subject_acknowledged: bool,
}

/// Called with the number of bytes transferred so far.
pub type ByteProgress = std::sync::Arc<dyn Fn(u64) + Send + Sync>;

/// Where blob bytes to push come from.
pub enum BlobSource {
    Bytes(Bytes),
    File(std::path::PathBuf),
    Stream(ByteStream),
}

/// The outcome of a cross-repository mount request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mount {
    Mounted,
    /// The registry did not mount; the blob must be uploaded.
    NotMounted,
}

/// A place that holds repositories of manifests and blobs.
#[async_trait]
pub trait Target: Send + Sync {
    /// Short name for messages: the registry host or the layout path.
    fn name(&self) -> String;

    /// Whether referrers must be listed in a tag-schema index when the target does not
    /// acknowledge a subject itself (a layout finds them by scanning instead).
    fn needs_referrers_index(&self) -> bool {
        true
    }

    /// Whether this target can list repositories (a single layout holds exactly one).
    fn has_catalog(&self) -> bool {
        true
    }

    /// The descriptor of the manifest a tag or digest points at.
    async fn resolve(&self, repo: &str, reference: &str) -> Result<Descriptor>;

    /// The exact bytes of a manifest, verified against the digest when `reference` is one.
    async fn fetch_manifest(&self, repo: &str, reference: &str) -> Result<ManifestBlob>;

    /// A blob's bytes, verified against `desc` (digest and size) as they stream.
    async fn fetch_blob(&self, repo: &str, desc: &Descriptor) -> Result<ByteStream>;

    /// The size of a blob, or `None` if the repository does not have it.
    async fn stat_blob(&self, repo: &str, digest: &Digest) -> Result<Option<u64>>;

    /// Whether the repository has this manifest.
    async fn manifest_exists(&self, repo: &str, digest: &Digest) -> Result<bool>;

    async fn tags_page(&self, repo: &str, page: &PageRequest) -> Result<Page>;

    async fn catalog_page(&self, page: &PageRequest) -> Result<Page>;

    /// The referrers of `subject`, optionally only those of one artifact type.
    async fn referrers(
        &self,
        repo: &str,
        subject: &Digest,
        artifact_type: Option<&str>,
    ) -> Result<Referrers>;

    /// How referrers of this repository are found, if known yet.
    fn referrers_mode(&self, repo: &str) -> Option<ReferrersMode>;

    /// Uploads a blob. `progress` gets the bytes sent so far.
    async fn push_blob(
        &self,
        repo: &str,
        desc: &Descriptor,
        source: BlobSource,
        progress: ByteProgress,
    ) -> Result<()>;

    /// Gets ready to receive `desc` (a registry opens its upload session), so that the request
    /// can travel while the bytes are still being fetched from elsewhere. The next
    /// [`push_blob`](Target::push_blob) of the same blob uses what was prepared.
    async fn prepare_upload(&self, _repo: &str, _desc: &Descriptor) -> Result<()> {
        Ok(())
    }

    /// Asks the target to link a blob from another repository of the same target.
    async fn mount_blob(&self, repo: &str, desc: &Descriptor, from_repo: &str) -> Result<Mount>;

    /// Stores a manifest's exact bytes under `reference` (a tag, or its digest).
    async fn push_manifest(
        &self,
        repo: &str,
        reference: &str,
        manifest: &ManifestBlob,
    ) -> Result<PushedManifest>;

    /// Deletes a manifest by digest (with every tag on it).
    async fn delete_manifest(&self, repo: &str, digest: &Digest) -> Result<()>;

    /// Removes one tag, keeping the manifest. Registries without tag deletion answer an error.
    async fn delete_tag(&self, repo: &str, tag: &str) -> Result<()>;

    /// Every tag of a repository, following pagination, sorted.
    async fn list_tags(&self, repo: &str) -> Result<Vec<String>> {
        let mut pager = Pager::new(PageRequest::default()).describing(format!("the tag list of {repo}"));
        while let Some(req) = pager.request() {
            let page = self.tags_page(repo, &req).await?;
            pager.advance(&page)?;
            pager.items.extend(page.items);
        }
        let mut tags = pager.items;
        tags.sort();
        tags.dedup();
        Ok(tags)
    }
}

/// Walks `Link` continuations, refusing a chain that revisits a page, never ends, or adds up
/// to more than its [`ListingLimits`].
pub struct Pager {
    next: Option<PageRequest>,
    seen: std::collections::HashSet<String>,
    pages: usize,
    limits: ListingLimits,
    received_items: u64,
    received_bytes: u64,
    what: String,
    pub items: Vec<String>,
}

impl Pager {
    /// A pager with the process's [`listing_limits`].
    pub fn new(first: PageRequest) -> Pager {
        Pager::with_limits(first, listing_limits())
    }

    pub fn with_limits(first: PageRequest, limits: ListingLimits) -> Pager {
        let n = if first.n == 0 { 1000 } else { first.n };
        Pager {
            next: Some(PageRequest { n, ..first }),
            seen: Default::default(),
            pages: 0,
            limits,
            received_items: 0,
            received_bytes: 0,
            what: "the listing".into(),
            items: Vec::new(),
        }
    }

    /// Names the listing in errors ("the tag list of net-monitor").
    pub fn describing(mut self, what: impl Into<String>) -> Pager {
        self.what = what.into();
        self
    }

    /// The next page to ask for, or `None` when done.
    pub fn request(&self) -> Option<PageRequest> {
        self.next.clone()
    }

    pub fn advance(&mut self, page: &Page) -> Result<()> {
        let items = u64::try_from(page.items.len()).unwrap_or(u64::MAX);
        self.advance_by(page.next.as_deref(), items, page.bytes)
    }

    /// Counts a page of `items` entries that came in `bytes`, and moves to `next`.
    pub fn advance_by(&mut self, next: Option<&str>, items: u64, bytes: u64) -> Result<()> {
        self.pages = self.pages.saturating_add(1);
        self.received_items = self.received_items.saturating_add(items);
        self.received_bytes = self.received_bytes.saturating_add(bytes);
        if self.received_items > self.limits.max_items {
            return Err(crate::error::Error::ListingTooLong {
                what: self.what.clone(),
                limit: self.limits.max_items,
                unit: "entries",
                flag: "--max-list-items",
            });
        }
        if self.received_bytes > self.limits.max_bytes {
            return Err(crate::error::Error::ListingTooLong {
                what: self.what.clone(),
                limit: self.limits.max_bytes >> 20,
                unit: "MiB",
                flag: "--max-list-mib",
            });
        }
        let Some(cont) = next else {
            self.next = None;
            return Ok(());
        };
        if !self.seen.insert(cont.to_string()) || self.pages >= MAX_PAGES {
            return Err(crate::error::Error::Protocol {
                registry: "registry".into(),
                action: "pagination".into(),
                reason: "the Link chain loops or does not end; stopped".into(),
            });
        }
        if let Some(req) = self.next.as_mut() {
            req.next = Some(cont.to_string());
        }
        Ok(())
    }
}

/// Whether a tag looks like a digest (`sha256-<hex>`, with an optional `.suffix` as cosign
/// writes), i.e. a Referrers Tag Schema index rather than a name a person chose.
pub fn is_digest_tag(tag: &str) -> bool {
    let Some((alg, rest)) = tag.split_once('-') else {
        return false;
    };
    let hex = rest.split('.').next().unwrap_or(rest);
    let len = match alg {
        "sha256" => 64,
        "sha512" => 128,
        _ => return false,
    };
    hex.len() == len && hex.bytes().all(|b| b.is_ascii_hexdigit())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Error;

    #[test]
    fn pager_caps_items_and_bytes_over_all_pages() {
        let limits = ListingLimits { max_items: 10, max_bytes: 1 << 20 };
        let mut p = Pager::with_limits(PageRequest::default(), limits);
        p.advance_by(Some("a"), 6, 100).unwrap();
        p.advance_by(Some("b"), 4, 100).unwrap();
        let e = p.advance_by(Some("c"), 1, 100).unwrap_err();
        assert!(matches!(e, Error::ListingTooLong { limit: 10, unit: "entries", .. }), "{e}");
        let mut p = Pager::with_limits(PageRequest::default(), limits).describing("the tag list of app");
        p.advance_by(Some("a"), 0, 1 << 20).unwrap();
        let e = p.advance_by(None, 0, 1).unwrap_err();
        assert_eq!(
            e.to_string(),
            "the tag list of app runs past 1 MiB over its pages, so it was stopped; if it really is that long, raise the limit with --max-list-mib"
        );
    }

    #[test]
    fn pager_counts_saturate_instead_of_overflowing() {
        let unlimited = ListingLimits { max_items: u64::MAX, max_bytes: u64::MAX };
        let mut p = Pager::with_limits(PageRequest::default(), unlimited);
        p.advance_by(Some("a"), u64::MAX, u64::MAX).unwrap();
        p.advance_by(Some("b"), u64::MAX, u64::MAX).unwrap();
        let mut p = Pager::with_limits(PageRequest::default(), ListingLimits::DEFAULT);
        assert!(matches!(p.advance_by(Some("a"), u64::MAX, u64::MAX), Err(Error::ListingTooLong { .. })));
    }

    #[test]
    fn digest_tags() {
        let hex = "a".repeat(64);
        assert!(is_digest_tag(&format!("sha256-{hex}")));
        assert!(is_digest_tag(&format!("sha256-{hex}.sig")));
        assert!(!is_digest_tag("sha256-abc"));
        assert!(!is_digest_tag("v1"));
        assert!(!is_digest_tag(&format!("md5-{hex}")));
    }
}
