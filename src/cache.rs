//! A disk cache under the user's cache directory, bounded in size:
//!
//! - content addressed by digest (manifests, and blobs up to [`SMALL_BLOB`]): immutable, so a
//!   hit is final, but every read is checked against its digest and a damaged entry is dropped;
//! - snapshots of what changes (tag lists, what a tag points at, referrer lists), keyed by
//!   registry and repository: shown at once when something is opened again, then refreshed.
//!
//! Entries are small files; the least recently used go first when the cache outgrows its limit.
//! The cache (and the log beside it) say which registries and repositories the user looked at:
//! directories refscope creates are 0700 and its files 0600.

use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::SystemTime;

use async_trait::async_trait;
use bytes::Bytes;
use futures_util::StreamExt;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::Result;
use crate::oci::manifest::MAX_MANIFEST_SIZE;
use crate::oci::{Descriptor, Digest, ManifestBlob, TagOrDigest};
use crate::store::{BlobSource, ByteProgress, ByteStream, Mount, Page, PageRequest, PushedManifest, Referrers, ReferrersMode, Target};

/// The cache's size unless `REFSCOPE_CACHE_MIB` says otherwise.
pub const DEFAULT_LIMIT: u64 = 256 * 1024 * 1024;

/// Blobs up to this size (signatures, attestations, small files) are kept like manifests.
pub const SMALL_BLOB: u64 = 1024 * 1024;

/// What a snapshot is of, within one target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Snapshot<'a> {
    /// The first page of the catalog.
    Catalog,
    Tags { repo: &'a str },
    /// What a tag (or digest) pointed at.
    Target { repo: &'a str, reference: &'a TagOrDigest },
    Referrers { repo: &'a str, digest: &'a Digest },
}

/// The key a snapshot is kept under: the target (as [`Target::name`] gives it) and what of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StateKey<'a> {
    pub target: &'a str,
    pub snapshot: Snapshot<'a>,
}

/// The stored form of a key, the one place it is made: entries already on disk are found by
/// it, so it must not change.
impl fmt::Display for StateKey<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let target = self.target;
        match self.snapshot {
            Snapshot::Catalog => write!(f, "{target}|catalog"),
            Snapshot::Tags { repo } => write!(f, "{target}|tags|{repo}"),
            Snapshot::Target { repo, reference } => write!(f, "{target}|ref|{repo}|{reference}"),
            Snapshot::Referrers { repo, digest } => write!(f, "{target}|referrers|{repo}|{digest}"),
        }
    }
}

pub struct DiskCache {
    root: PathBuf,
    limit: u64,
    /// Bytes written since the last size check.
    written: AtomicU64,
}

impl DiskCache {
    /// The cache at `REFSCOPE_CACHE_DIR`, else `<user cache dir>/refscope/store`; `None` when
    /// there is no usable place (the app then works without one).
    pub fn open_default() -> Option<DiskCache> {
        let limit = std::env::var("REFSCOPE_CACHE_MIB")
            .ok()
            .and_then(|v| v.parse::<u64>().ok())
            .map(|m| m.saturating_mul(1024 * 1024))
            .unwrap_or(DEFAULT_LIMIT);
        if let Some(d) = std::env::var_os("REFSCOPE_CACHE_DIR") {
            return DiskCache::open(Path::new(&d), limit);
        }
        let own = directories::ProjectDirs::from("", "", "refscope")?.cache_dir().to_path_buf();
        let cache = DiskCache::open(&own.join("store"), limit)?;
        // The default places are refscope's own: narrowed if something left them wider.
        make_private(&own);
        make_private(&own.join("store"));
        Some(cache)
    }

    /// Opens (creating) the cache at `root`. Directories it creates are 0700; its own
    /// subdirectories are narrowed to 0700 if they exist wider; `root` itself, when it already
    /// exists, keeps its mode (the user chose it).
    pub fn open(root: &Path, limit: u64) -> Option<DiskCache> {
        for sub in ["content", "state"] {
            create_private_dir_all(&root.join(sub)).ok()?;
            make_private(&root.join(sub));
        }
        Some(DiskCache {
            root: root.to_path_buf(),
            limit,
            written: AtomicU64::new(0),
        })
    }

    fn content_path(&self, d: &Digest) -> PathBuf {
        self.root.join("content").join(format!("{}-{}", d.algorithm().name(), d.hex()))
    }

    fn state_path(&self, key: &str) -> PathBuf {
        self.root.join("state").join(Digest::sha256_of(key.as_bytes()).hex())
    }

    /// Content for `digest`, if cached and intact.
    pub fn get_content(&self, digest: &Digest) -> Option<Bytes> {
        let path = self.content_path(digest);
        let meta = std::fs::metadata(&path).ok()?;
        if meta.len() > MAX_MANIFEST_SIZE {
            let _ = std::fs::remove_file(&path);
            return None;
        }
        let bytes = std::fs::read(&path).ok()?;
        if !digest.matches(&bytes) {
            tracing::warn!("cache entry {} is damaged; dropped", path.display());
            let _ = std::fs::remove_file(&path);
            return None;
        }
        touch(&path);
        Some(Bytes::from(bytes))
    }

    /// Keeps content; `bytes` must hash to `digest` (it is checked again on every read).
    pub fn put_content(&self, digest: &Digest, bytes: &[u8]) {
        if bytes.len() as u64 <= MAX_MANIFEST_SIZE && digest.matches(bytes) {
            self.write(&self.content_path(digest), bytes);
        }
    }

    /// A snapshot stored under `key` (a [`StateKey`], or its stored text), if any.
    pub fn get_state<T: DeserializeOwned>(&self, key: &(impl fmt::Display + ?Sized)) -> Option<T> {
        let key = key.to_string();
        let path = self.state_path(&key);
        let bytes = std::fs::read(&path).ok()?;
        match serde_json::from_slice::<(String, T)>(&bytes) {
            // The key is stored too: a hash collision or a stray file is a miss, not a wrong answer.
            Ok((stored, value)) if stored == key => {
                touch(&path);
                Some(value)
            }
            _ => {
                let _ = std::fs::remove_file(&path);
                None
            }
        }
    }

    pub fn put_state<T: Serialize>(&self, key: &(impl fmt::Display + ?Sized), value: &T) {
        let key = key.to_string();
        if let Ok(bytes) = serde_json::to_vec(&(&key, value)) {
            self.write(&self.state_path(&key), &bytes);
        }
    }

    fn write(&self, path: &Path, bytes: &[u8]) {
        let Some(dir) = path.parent() else { return };
        let written = tempfile::NamedTempFile::new_in(dir).and_then(|mut tmp| {
            tmp.write_all(bytes)?;
            tmp.persist(path).map_err(|e| e.error)?;
            Ok(())
        });
        if let Err(e) = written {
            tracing::info!("cache write to {} failed: {e}", path.display());
            return;
        }
        let since = self.written.fetch_add(bytes.len() as u64, Ordering::Relaxed) + bytes.len() as u64;
        if since > self.limit / 8 {
            self.written.store(0, Ordering::Relaxed);
            self.evict();
        }
    }

    /// Deletes the least recently used entries until the cache is under 80% of its limit.
    pub fn evict(&self) {
        let mut files: Vec<(SystemTime, u64, PathBuf)> = ["content", "state"]
            .iter()
            .filter_map(|d| std::fs::read_dir(self.root.join(d)).ok())
            .flatten()
            .filter_map(|e| e.ok())
            .filter_map(|e| {
                let m = e.metadata().ok()?;
                Some((m.modified().ok()?, m.len(), e.path()))
            })
            .collect();
        let mut total: u64 = files.iter().map(|f| f.1).sum();
        if total <= self.limit {
            return;
        }
        files.sort_by_key(|f| f.0);
        for (_, size, path) in files {
            if total <= self.limit / 10 * 8 {
                break;
            }
            if std::fs::remove_file(&path).is_ok() {
                total -= size;
            }
        }
    }

    /// Bytes the cache holds now.
    pub fn size(&self) -> u64 {
        ["content", "state"]
            .iter()
            .filter_map(|d| std::fs::read_dir(self.root.join(d)).ok())
            .flatten()
            .filter_map(|e| e.ok()?.metadata().ok())
            .map(|m| m.len())
            .sum()
    }
}

/// Creates `dir` and its missing parents with mode 0700; existing ones keep their mode.
pub fn create_private_dir_all(dir: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

/// Takes group and other permissions off a directory or regular file of refscope's own
/// (symbolic links and anything else, `/dev/null` as a log file say, are left alone).
pub fn make_private(path: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let Ok(meta) = std::fs::symlink_metadata(path) else { return };
        let mode = meta.permissions().mode();
        if (meta.is_dir() || meta.is_file()) && mode & 0o077 != 0 {
            let _ = std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode & !0o077));
        }
    }
    #[cfg(not(unix))]
    let _ = path;
}

/// Marks an entry as just used, for eviction order.
fn touch(path: &Path) {
    if let Ok(f) = std::fs::File::options().append(true).open(path) {
        let _ = f.set_modified(SystemTime::now());
    }
}

/// A target whose manifests, once fetched, come from the disk cache when asked for by digest.
/// A digest names content, not presence: a cached manifest is served even if the registry has
/// deleted it since, so callers that need presence ask `manifest_exists`.
pub struct CachedTarget {
    inner: std::sync::Arc<dyn Target>,
    cache: std::sync::Arc<DiskCache>,
}

impl CachedTarget {
    pub fn new(inner: std::sync::Arc<dyn Target>, cache: std::sync::Arc<DiskCache>) -> CachedTarget {
        CachedTarget { inner, cache }
    }
}

#[async_trait]
impl Target for CachedTarget {
    fn name(&self) -> String {
        self.inner.name()
    }

    fn has_catalog(&self) -> bool {
        self.inner.has_catalog()
    }

    fn needs_referrers_index(&self) -> bool {
        self.inner.needs_referrers_index()
    }

    async fn resolve(&self, repo: &str, reference: &str) -> Result<Descriptor> {
        self.inner.resolve(repo, reference).await
    }

    async fn fetch_manifest(&self, repo: &str, reference: &str) -> Result<ManifestBlob> {
        if let Ok(digest) = reference.parse::<Digest>()
            && let Some(bytes) = self.cache.get_content(&digest)
            && let Ok(blob) = ManifestBlob::new(bytes, None)
        {
            return Ok(blob);
        }
        let blob = self.inner.fetch_manifest(repo, reference).await?;
        self.cache.put_content(&blob.digest, &blob.bytes);
        Ok(blob)
    }

    async fn fetch_blob(&self, repo: &str, desc: &Descriptor) -> Result<ByteStream> {
        if desc.size > SMALL_BLOB {
            return self.inner.fetch_blob(repo, desc).await;
        }
        let cached = self.cache.get_content(&desc.digest).filter(|b| b.len() as u64 == desc.size);
        let bytes = match cached {
            Some(b) => b,
            None => {
                // The inner stream checks size and digest as it goes; a small blob is read
                // whole so that only verified bytes are kept.
                let mut stream = self.inner.fetch_blob(repo, desc).await?;
                let mut buf = Vec::with_capacity(desc.size as usize);
                while let Some(chunk) = stream.next().await {
                    buf.extend_from_slice(&chunk?);
                }
                self.cache.put_content(&desc.digest, &buf);
                Bytes::from(buf)
            }
        };
        Ok(Box::pin(futures_util::stream::once(async move { Ok(bytes) })))
    }

    async fn stat_blob(&self, repo: &str, digest: &Digest) -> Result<Option<u64>> {
        self.inner.stat_blob(repo, digest).await
    }

    async fn manifest_exists(&self, repo: &str, digest: &Digest) -> Result<bool> {
        self.inner.manifest_exists(repo, digest).await
    }

    async fn tags_page(&self, repo: &str, page: &PageRequest) -> Result<Page> {
        self.inner.tags_page(repo, page).await
    }

    async fn catalog_page(&self, page: &PageRequest) -> Result<Page> {
        self.inner.catalog_page(page).await
    }

    async fn referrers(&self, repo: &str, subject: &Digest, artifact_type: Option<&str>) -> Result<Referrers> {
        self.inner.referrers(repo, subject, artifact_type).await
    }

    fn referrers_mode(&self, repo: &str) -> Option<ReferrersMode> {
        self.inner.referrers_mode(repo)
    }

    async fn push_blob(&self, repo: &str, desc: &Descriptor, source: BlobSource, progress: ByteProgress) -> Result<()> {
        self.inner.push_blob(repo, desc, source, progress).await
    }

    async fn prepare_upload(&self, repo: &str, desc: &Descriptor) -> Result<()> {
        self.inner.prepare_upload(repo, desc).await
    }

    async fn mount_blob(&self, repo: &str, desc: &Descriptor, from_repo: &str) -> Result<Mount> {
        self.inner.mount_blob(repo, desc, from_repo).await
    }

    async fn push_manifest(&self, repo: &str, reference: &str, manifest: &ManifestBlob) -> Result<PushedManifest> {
        self.inner.push_manifest(repo, reference, manifest).await
    }

    async fn delete_manifest(&self, repo: &str, digest: &Digest) -> Result<()> {
        self.inner.delete_manifest(repo, digest).await
    }

    async fn delete_tag(&self, repo: &str, tag: &str) -> Result<()> {
        self.inner.delete_tag(repo, tag).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn the_cache_is_private() {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("a/store");
        let cache = DiskCache::open(&root, 1 << 20).unwrap();
        for d in [dir.path().join("a"), root.clone(), root.join("content"), root.join("state")] {
            assert_eq!(mode(&d), 0o700, "{}", d.display());
        }
        // Subdirectories left wider (by an older version) are narrowed; the directory the
        // user chose keeps its mode.
        std::fs::set_permissions(&root, std::fs::Permissions::from_mode(0o750)).unwrap();
        std::fs::set_permissions(root.join("content"), std::fs::Permissions::from_mode(0o755)).unwrap();
        drop(cache);
        DiskCache::open(&root, 1 << 20).unwrap();
        assert_eq!(mode(&root.join("content")), 0o700);
        assert_eq!(mode(&root), 0o750);
        let d = Digest::sha256_of(b"m");
        DiskCache::open(&root, 1 << 20).unwrap().put_content(&d, b"m");
        assert_eq!(mode(&root.join("content").join(format!("sha256-{}", d.hex()))), 0o600);
    }

    #[test]
    fn content_is_verified_on_read() {
        let dir = tempfile::tempdir().unwrap();
        let cache = DiskCache::open(dir.path(), 1 << 20).unwrap();
        let d = Digest::sha256_of(b"manifest");
        cache.put_content(&d, b"manifest");
        assert_eq!(cache.get_content(&d).as_deref(), Some(&b"manifest"[..]));
        cache.put_content(&Digest::sha256_of(b"other"), b"not other");
        assert!(cache.get_content(&Digest::sha256_of(b"other")).is_none(), "mismatched content is never stored");
        std::fs::write(cache.content_path(&d), b"tampered").unwrap();
        assert!(cache.get_content(&d).is_none());
        assert!(!cache.content_path(&d).exists(), "a damaged entry is dropped");
    }

    #[tokio::test]
    async fn small_blobs_are_served_from_the_cache_once_seen() {
        use crate::store::{BlobSource, layout::Layout};
        let dir = tempfile::tempdir().unwrap();
        let layout: std::sync::Arc<dyn Target> = std::sync::Arc::new(Layout::open_or_create(&dir.path().join("layout")).unwrap());
        let repo = "layout";
        let small = Descriptor::new("application/json", Digest::sha256_of(b"{\"sig\":1}"), 9);
        let noop: crate::store::ByteProgress = std::sync::Arc::new(|_| {});
        layout.push_blob(repo, &small, BlobSource::Bytes(Bytes::from_static(b"{\"sig\":1}")), noop).await.unwrap();
        let cache = std::sync::Arc::new(DiskCache::open(&dir.path().join("cache"), 1 << 20).unwrap());
        let cached = CachedTarget::new(layout.clone(), cache.clone());
        async fn read(t: &CachedTarget, repo: &str, desc: &Descriptor) -> Result<Vec<u8>> {
            let mut s = t.fetch_blob(repo, desc).await?;
            let mut out = Vec::new();
            while let Some(c) = s.next().await {
                out.extend_from_slice(&c?);
            }
            Ok(out)
        }
        assert_eq!(read(&cached, repo, &small).await.unwrap(), b"{\"sig\":1}");
        // Gone from the target: the second read can only come from the cache.
        std::fs::remove_file(dir.path().join("layout/blobs/sha256").join(small.digest.hex())).unwrap();
        assert_eq!(read(&cached, repo, &small).await.unwrap(), b"{\"sig\":1}");
        // A damaged entry is dropped, and the (now missing) blob is asked for again.
        std::fs::write(cache.content_path(&small.digest), b"tampered!").unwrap();
        assert!(read(&cached, repo, &small).await.is_err());
    }

    #[tokio::test]
    async fn blobs_up_to_one_mib_are_kept_and_larger_ones_are_not() {
        use crate::store::{BlobSource, layout::Layout};
        let dir = tempfile::tempdir().unwrap();
        let layout: std::sync::Arc<dyn Target> = std::sync::Arc::new(Layout::open_or_create(&dir.path().join("layout")).unwrap());
        let cache = std::sync::Arc::new(DiskCache::open(&dir.path().join("cache"), 64 << 20).unwrap());
        let cached = CachedTarget::new(layout.clone(), cache.clone());
        let noop: crate::store::ByteProgress = std::sync::Arc::new(|_| {});
        for (len, kept) in [(SMALL_BLOB, true), (SMALL_BLOB + 1, false)] {
            let bytes = Bytes::from(vec![7u8; len as usize]);
            let desc = Descriptor::new("application/octet-stream", Digest::sha256_of(&bytes), len);
            layout.push_blob("layout", &desc, BlobSource::Bytes(bytes), noop.clone()).await.unwrap();
            let mut s = cached.fetch_blob("layout", &desc).await.unwrap();
            while let Some(c) = s.next().await {
                c.unwrap();
            }
            assert_eq!(cache.get_content(&desc.digest).is_some(), kept, "a blob of {len} bytes");
        }
    }

    #[test]
    fn the_least_recently_used_entries_go_first() {
        let dir = tempfile::tempdir().unwrap();
        let cache = DiskCache::open(dir.path(), 10 * 1024).unwrap();
        let entries: Vec<(Digest, Vec<u8>)> = (0..4u8).map(|i| vec![i; 3 * 1024]).map(|b| (Digest::sha256_of(&b), b)).collect();
        let hour = std::time::Duration::from_secs(3600);
        // Written oldest first: entry i was last used i+1 hours ago, then 0 is read again.
        for (i, (d, b)) in entries.iter().enumerate().take(3) {
            cache.put_content(d, b);
            let f = std::fs::File::options().write(true).open(cache.content_path(d)).unwrap();
            f.set_modified(SystemTime::now() - hour * (10 - i as u32)).unwrap();
        }
        assert!(cache.get_content(&entries[0].0).is_some());
        // A fourth entry takes the cache past its limit: the least recently used go until it
        // is under 80% of it.
        cache.put_content(&entries[3].0, &entries[3].1);
        cache.evict();
        let left: Vec<bool> = entries.iter().map(|(d, _)| cache.content_path(d).exists()).collect();
        assert_eq!(left, [true, false, false, true], "1 and 2 were used least recently");
    }

    #[test]
    fn state_keys_are_stored_as_earlier_versions_stored_them() {
        let d = Digest::sha256_of(b"m");
        let tag = TagOrDigest::Tag("v1".into());
        let by_digest = TagOrDigest::Digest(d.clone());
        let key = |snapshot| StateKey { target: "localhost:5000", snapshot }.to_string();
        assert_eq!(key(Snapshot::Catalog), "localhost:5000|catalog");
        assert_eq!(key(Snapshot::Tags { repo: "a/b" }), "localhost:5000|tags|a/b");
        assert_eq!(key(Snapshot::Target { repo: "a/b", reference: &tag }), "localhost:5000|ref|a/b|v1");
        assert_eq!(key(Snapshot::Target { repo: "a/b", reference: &by_digest }), format!("localhost:5000|ref|a/b|{d}"));
        assert_eq!(key(Snapshot::Referrers { repo: "a/b", digest: &d }), format!("localhost:5000|referrers|a/b|{d}"));
        // An entry written under the text key is read back through the typed one.
        let dir = tempfile::tempdir().unwrap();
        let cache = DiskCache::open(dir.path(), 1 << 20).unwrap();
        cache.put_state("localhost:5000|tags|a/b", &vec!["v1".to_string()]);
        let typed = StateKey { target: "localhost:5000", snapshot: Snapshot::Tags { repo: "a/b" } };
        assert_eq!(cache.get_state::<Vec<String>>(&typed), Some(vec!["v1".to_string()]));
    }

    #[test]
    fn state_round_trips_and_stays_under_its_limit() {
        let dir = tempfile::tempdir().unwrap();
        let cache = DiskCache::open(dir.path(), 64 * 1024).unwrap();
        cache.put_state("tags:r/a", &vec!["v1".to_string()]);
        assert_eq!(cache.get_state::<Vec<String>>("tags:r/a"), Some(vec!["v1".to_string()]));
        assert_eq!(cache.get_state::<Vec<String>>("tags:r/b"), None);
        for i in 0..200 {
            let big = "x".repeat(2000);
            cache.put_state(&format!("k{i}"), &big);
        }
        assert!(cache.size() <= 64 * 1024, "evicted down to the limit: {}", cache.size());
    }
}
