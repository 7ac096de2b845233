//! An OCI image layout directory (`oci-layout`, `index.json`, `blobs/<alg>/<hex>`), as ORAS,
//! skopeo and others read and write it. Tags are `org.opencontainers.image.ref.name`
//! annotations in `index.json`; referrers are found by scanning manifests for a `subject`.

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use bytes::Bytes;
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use tokio::io::AsyncWriteExt;
use tokio_util::io::ReaderStream;

use super::{
    BlobSource, ByteProgress, ByteStream, Mount, Page, PageRequest, PushedManifest, ReferrersMode, Referrers, Target,
    verify_stream,
};
use crate::error::{Error, Result};
use crate::oci::manifest::{self, MAX_MANIFEST_SIZE};
use crate::oci::media_types::annotations::REF_NAME;
use crate::oci::{Descriptor, Digest, ImageIndex, Manifest, ManifestBlob, TagOrDigest, media_types};

/// `index.json` files larger than this are refused.
const MAX_INDEX_SIZE: u64 = 64 * 1024 * 1024;
/// How deep nested indexes are followed when scanning for referrers.
const MAX_SCAN_DEPTH: usize = 8;
/// How long a write waits for another process's update of `index.json` to finish.
const LOCK_WAIT: std::time::Duration = std::time::Duration::from_secs(60);

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct LayoutMarker {
    image_layout_version: String,
}

/// Subject digest → the descriptors of its referrers.
type ReferrerMap = HashMap<Digest, Vec<Descriptor>>;

pub struct Layout {
    root: PathBuf,
    /// Serializes read-modify-write of `index.json` within this process; [`IndexLock`] does
    /// it between processes.
    write_lock: tokio::sync::Mutex<()>,
    /// Rebuilt after any write.
    scan: Mutex<Option<Arc<ReferrerMap>>>,
}

impl Layout {
    /// Opens an existing layout.
    pub fn open(root: &Path) -> Result<Layout> {
        let marker_path = root.join("oci-layout");
        let raw = std::fs::read(&marker_path).map_err(|e| Error::Layout {
            path: root.to_path_buf(),
            reason: if e.kind() == std::io::ErrorKind::NotFound {
                "not an OCI image layout (no `oci-layout` file); check the path".into()
            } else {
                e.to_string()
            },
        })?;
        let marker: LayoutMarker = serde_json::from_slice(&raw).map_err(|e| Error::Layout {
            path: root.to_path_buf(),
            reason: format!("malformed `oci-layout` file ({e})"),
        })?;
        if marker.image_layout_version != "1.0.0" {
            return Err(Error::Layout {
                path: root.to_path_buf(),
                reason: format!("unsupported imageLayoutVersion {}", marker.image_layout_version),
            });
        }
        Ok(Layout::at(root))
    }

    /// Opens a layout, creating an empty one if the directory has none.
    pub fn open_or_create(root: &Path) -> Result<Layout> {
        if root.join("oci-layout").exists() {
            return Layout::open(root);
        }
        std::fs::create_dir_all(root.join("blobs")).map_err(|e| Error::io(root, e))?;
        // Another process may be creating it, or already writing to it, at this moment.
        let _lock = IndexLock::acquire(root)?;
        if root.join("oci-layout").exists() {
            return Layout::open(root);
        }
        let marker = serde_json::to_vec(&LayoutMarker {
            image_layout_version: "1.0.0".into(),
        })
        .expect("marker serializes");
        if !root.join("index.json").exists() {
            write_atomic(&root.join("index.json"), &manifest::to_bytes(&ImageIndex::new(Vec::new())))?;
        }
        // The marker last: a reader that finds it finds a whole layout.
        write_atomic(&root.join("oci-layout"), &marker)?;
        Ok(Layout::at(root))
    }

    fn at(root: &Path) -> Layout {
        Layout {
            root: root.to_path_buf(),
            write_lock: tokio::sync::Mutex::new(()),
            scan: Mutex::new(None),
        }
    }

    /// The repository name a layout stands for: its directory name.
    pub fn repo_name(&self) -> String {
        self.root
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "layout".into())
    }

    fn blob_path(&self, d: &Digest) -> PathBuf {
        // `Digest` only holds validated lowercase hex, so this cannot leave `blobs/`.
        self.root.join("blobs").join(d.algorithm().name()).join(d.hex())
    }

    fn layout_error(&self, reason: impl Into<String>) -> Error {
        Error::Layout {
            path: self.root.clone(),
            reason: reason.into(),
        }
    }

    fn read_index(&self) -> Result<ImageIndex> {
        let path = self.root.join("index.json");
        let meta = std::fs::metadata(&path).map_err(|e| Error::io(&path, e))?;
        if meta.len() > MAX_INDEX_SIZE {
            return Err(Error::TooLarge {
                what: path.display().to_string(),
                size: meta.len(),
                limit: MAX_INDEX_SIZE,
            });
        }
        let raw = std::fs::read(&path).map_err(|e| Error::io(&path, e))?;
        serde_json::from_slice(&raw).map_err(|e| self.layout_error(format!("malformed index.json ({e})")))
    }

    /// Holds both locks for a read-modify-write of `index.json`.
    async fn lock_index(&self) -> Result<(tokio::sync::MutexGuard<'_, ()>, IndexLock)> {
        let guard = self.write_lock.lock().await;
        let lock = IndexLock::acquire(&self.root)?;
        Ok((guard, lock))
    }

    fn write_index(&self, index: &ImageIndex) -> Result<()> {
        let bytes = serde_json::to_vec_pretty(index).expect("index serializes");
        write_atomic(&self.root.join("index.json"), &bytes)?;
        *self.scan.lock().unwrap_or_else(|p| p.into_inner()) = None;
        Ok(())
    }

    /// Reads a manifest blob, verified and bounded.
    fn read_manifest(&self, desc: &Descriptor) -> Result<ManifestBlob> {
        if desc.size > MAX_MANIFEST_SIZE {
            return Err(Error::TooLarge {
                what: format!("manifest {}", desc.digest),
                size: desc.size,
                limit: MAX_MANIFEST_SIZE,
            });
        }
        let bytes = self.read_small_blob(&desc.digest, MAX_MANIFEST_SIZE)?;
        let blob = ManifestBlob::new(Bytes::from(bytes), Some(&desc.media_type))?;
        Ok(blob)
    }

    fn read_small_blob(&self, digest: &Digest, limit: u64) -> Result<Vec<u8>> {
        let path = self.blob_path(digest);
        let meta = match std::fs::metadata(&path) {
            Ok(m) => m,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(Error::NotFound {
                    what: format!("blob {digest}"),
                    location: self.root.display().to_string(),
                });
            }
            Err(e) => return Err(Error::io(&path, e)),
        };
        if meta.len() > limit {
            return Err(Error::TooLarge {
                what: format!("blob {digest}"),
                size: meta.len(),
                limit,
            });
        }
        let bytes = std::fs::read(&path).map_err(|e| Error::io(&path, e))?;
        if !digest.matches(&bytes) {
            let mut h = digest.hasher();
            h.update(&bytes);
            return Err(Error::DigestMismatch {
                what: path.display().to_string(),
                expected: digest.clone(),
                actual: h.finish(),
            });
        }
        Ok(bytes)
    }

    fn find_tag(&self, tag: &str) -> Result<Descriptor> {
        let index = self.read_index()?;
        index
            .manifests
            .iter()
            .rev()
            .find(|d| d.annotation(REF_NAME) == Some(tag))
            .map(Descriptor::plain)
            .ok_or_else(|| Error::NotFound {
                what: format!("tag {tag}"),
                location: self.root.display().to_string(),
            })
    }

    /// Scans every manifest reachable from `index.json` and maps subjects to referrers.
    fn scan(&self) -> Result<Arc<ReferrerMap>> {
        if let Some(s) = self.scan.lock().unwrap_or_else(|p| p.into_inner()).clone() {
            return Ok(s);
        }
        let index = self.read_index()?;
        let mut map: ReferrerMap = HashMap::new();
        let mut seen = std::collections::HashSet::new();
        let mut queue: Vec<(Descriptor, usize)> = index.manifests.into_iter().map(|d| (d, 0)).collect();
        while let Some((desc, depth)) = queue.pop() {
            if !media_types::is_manifest(&desc.media_type) || !seen.insert(desc.digest.clone()) {
                continue;
            }
            let blob = match self.read_manifest(&desc) {
                Ok(b) => b,
                Err(e) => {
                    tracing::warn!("layout {}: skipping {}: {e}", self.root.display(), desc.digest);
                    continue;
                }
            };
            let Ok(parsed) = blob.parse() else { continue };
            if let Some(subject) = parsed.subject()
                && subject.digest != blob.digest
            {
                let mut d = blob.descriptor();
                d.artifact_type = parsed.artifact_type().map(str::to_string);
                d.annotations = parsed.annotations().cloned();
                map.entry(subject.digest.clone()).or_default().push(d);
            }
            if let Manifest::Index(i) = &parsed
                && depth < MAX_SCAN_DEPTH
            {
                queue.extend(i.manifests.iter().cloned().map(|d| (d, depth + 1)));
            }
        }
        let map = Arc::new(map);
        *self.scan.lock().unwrap_or_else(|p| p.into_inner()) = Some(map.clone());
        Ok(map)
    }

    /// Writes a blob from a stream, verifying it before it gets its final name.
    async fn write_blob(&self, desc: &Descriptor, mut stream: ByteStream, progress: ByteProgress) -> Result<()> {
        let final_path = self.blob_path(&desc.digest);
        let dir = final_path.parent().unwrap_or(&self.root).to_path_buf();
        tokio::fs::create_dir_all(&dir).await.map_err(|e| Error::io(&dir, e))?;
        let tmp = tempfile::NamedTempFile::new_in(&dir).map_err(|e| Error::io(&dir, e))?;
        let (std_file, tmp_path) = tmp.into_parts();
        let mut file = tokio::fs::File::from_std(std_file);
        let mut hasher = desc.digest.hasher();
        let mut written = 0u64;
        while let Some(chunk) = stream.next().await {
            let chunk = chunk?;
            written = written.saturating_add(chunk.len() as u64);
            if written > desc.size {
                return Err(Error::SizeMismatch {
                    what: format!("blob {}", desc.digest),
                    expected: desc.size,
                    actual: written,
                });
            }
            hasher.update(&chunk);
            file.write_all(&chunk).await.map_err(|e| Error::io(&final_path, e))?;
            progress(written);
        }
        file.flush().await.map_err(|e| Error::io(&final_path, e))?;
        if written != desc.size {
            return Err(Error::SizeMismatch {
                what: format!("blob {}", desc.digest),
                expected: desc.size,
                actual: written,
            });
        }
        let actual = hasher.finish();
        if actual != desc.digest {
            return Err(Error::DigestMismatch {
                what: format!("blob written to {}", self.root.display()),
                expected: desc.digest.clone(),
                actual,
            });
        }
        tmp_path.persist(&final_path).map_err(|e| Error::io(&final_path, e.error))?;
        Ok(())
    }
}

/// An advisory lock (`flock`) on the layout directory, held while `index.json` is read,
/// changed and replaced, so that processes writing to one layout do not lose each other's
/// tags. The directory is locked rather than a lock file so that a layout holds nothing but
/// what the OCI spec names, and `index.json` itself cannot be: it is replaced by a rename on
/// every write. The kernel drops the lock with the process, so a crash leaves none behind.
/// std's `File::try_lock` is that `flock` on Unix, so no crate is needed for it. Tools that do
/// not take the lock (skopeo, oras) are not kept out.
struct IndexLock {
    _dir: Option<std::fs::File>,
}

impl IndexLock {
    fn acquire(root: &Path) -> Result<IndexLock> {
        let dir = match std::fs::File::open(root) {
            Ok(d) => d,
            Err(e) => return Ok(IndexLock::unavailable(root, &e)),
        };
        let deadline = std::time::Instant::now() + LOCK_WAIT;
        let mut pause = std::time::Duration::from_millis(1);
        loop {
            match dir.try_lock() {
                Ok(()) => return Ok(IndexLock { _dir: Some(dir) }),
                Err(std::fs::TryLockError::WouldBlock) if std::time::Instant::now() < deadline => {
                    // Holders keep it for one small file write; a short sleep is enough.
                    std::thread::sleep(pause);
                    pause = (pause * 2).min(std::time::Duration::from_millis(20));
                }
                Err(std::fs::TryLockError::WouldBlock) => {
                    return Err(Error::Layout {
                        path: root.to_path_buf(),
                        reason: format!(
                            "another process has kept index.json locked for {} s; let it finish (or stop it) and run the command again",
                            LOCK_WAIT.as_secs()
                        ),
                    });
                }
                Err(std::fs::TryLockError::Error(e)) => return Ok(IndexLock::unavailable(root, &e)),
            }
        }
    }

    /// Some systems cannot open a directory as a file (Windows) or refuse an exclusive lock
    /// on one (NFS): writes go on as a single writer's would, and the log says so.
    fn unavailable(root: &Path, e: &std::io::Error) -> IndexLock {
        tracing::warn!("cannot lock {} ({e}); a process writing to it at the same time could lose tags", root.display());
        IndexLock { _dir: None }
    }
}

fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path.parent().unwrap_or_else(|| Path::new("."));
    let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(|e| Error::io(dir, e))?;
    tmp.write_all(bytes).map_err(|e| Error::io(path, e))?;
    tmp.persist(path).map_err(|e| Error::io(path, e.error))?;
    Ok(())
}

#[async_trait]
impl Target for Layout {
    fn name(&self) -> String {
        self.root.display().to_string()
    }

    fn has_catalog(&self) -> bool {
        false
    }

    fn needs_referrers_index(&self) -> bool {
        false
    }

    async fn resolve(&self, _repo: &str, reference: &str) -> Result<Descriptor> {
        match TagOrDigest::parse(reference)? {
            TagOrDigest::Digest(digest) => {
                let bytes = self.read_small_blob(&digest, MAX_MANIFEST_SIZE)?;
                let media_type = manifest::sniff_media_type(&bytes)?;
                Ok(Descriptor::new(media_type, digest, bytes.len() as u64))
            }
            TagOrDigest::Tag(tag) => self.find_tag(&tag),
        }
    }

    async fn fetch_manifest(&self, repo: &str, reference: &str) -> Result<ManifestBlob> {
        let desc = self.resolve(repo, reference).await?;
        self.read_manifest(&desc)
    }

    async fn fetch_blob(&self, _repo: &str, desc: &Descriptor) -> Result<ByteStream> {
        let path = self.blob_path(&desc.digest);
        let file = tokio::fs::File::open(&path).await.map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                Error::NotFound {
                    what: format!("blob {}", desc.digest),
                    location: self.root.display().to_string(),
                }
            } else {
                Error::io(&path, e)
            }
        })?;
        let p = path.clone();
        let stream: ByteStream = Box::pin(
            ReaderStream::with_capacity(file, 256 * 1024).map(move |r| r.map_err(|e| Error::io(p.clone(), e))),
        );
        Ok(verify_stream(stream, desc, format!("blob {}", path.display())))
    }

    async fn stat_blob(&self, _repo: &str, digest: &Digest) -> Result<Option<u64>> {
        match tokio::fs::metadata(self.blob_path(digest)).await {
            Ok(m) => Ok(Some(m.len())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(Error::io(self.blob_path(digest), e)),
        }
    }

    async fn manifest_exists(&self, repo: &str, digest: &Digest) -> Result<bool> {
        Ok(self.stat_blob(repo, digest).await?.is_some())
    }

    async fn tags_page(&self, _repo: &str, page: &PageRequest) -> Result<Page> {
        let index = self.read_index()?;
        let mut tags: Vec<String> = index
            .manifests
            .iter()
            .filter_map(|d| d.annotation(REF_NAME).map(str::to_string))
            .filter(|t| page.last.as_ref().is_none_or(|l| t > l))
            .collect();
        tags.sort();
        tags.dedup();
        Ok(Page { items: tags, ..Page::default() })
    }

    async fn catalog_page(&self, _page: &PageRequest) -> Result<Page> {
        Ok(Page {
            items: vec![self.repo_name()],
            ..Page::default()
        })
    }

    async fn referrers(&self, _repo: &str, subject: &Digest, artifact_type: Option<&str>) -> Result<Referrers> {
        let scan = self.scan()?;
        let descriptors = scan
            .get(subject)
            .map(|list| {
                list.iter()
                    .filter(|d| artifact_type.is_none_or(|t| d.artifact_type.as_deref() == Some(t)))
                    .cloned()
                    .collect()
            })
            .unwrap_or_default();
        Ok(Referrers {
            descriptors,
            mode: ReferrersMode::Layout,
            fallback_index: None,
        })
    }

    fn referrers_mode(&self, _repo: &str) -> Option<ReferrersMode> {
        Some(ReferrersMode::Layout)
    }

    async fn push_blob(&self, repo: &str, desc: &Descriptor, source: BlobSource, progress: ByteProgress) -> Result<()> {
        if self.stat_blob(repo, &desc.digest).await? == Some(desc.size) {
            progress(desc.size);
            return Ok(());
        }
        let stream: ByteStream = match source {
            BlobSource::Bytes(b) => Box::pin(futures_util::stream::once(async move { Ok(b) })),
            BlobSource::File(path) => {
                let file = tokio::fs::File::open(&path).await.map_err(|e| Error::io(&path, e))?;
                Box::pin(ReaderStream::with_capacity(file, 256 * 1024).map(move |r| r.map_err(|e| Error::io(path.clone(), e))))
            }
            BlobSource::Stream(s) => s,
        };
        self.write_blob(desc, stream, progress).await
    }

    async fn mount_blob(&self, repo: &str, desc: &Descriptor, _from_repo: &str) -> Result<Mount> {
        Ok(if self.stat_blob(repo, &desc.digest).await?.is_some() {
            Mount::Mounted
        } else {
            Mount::NotMounted
        })
    }

    async fn push_manifest(&self, _repo: &str, reference: &str, manifest: &ManifestBlob) -> Result<PushedManifest> {
        let _locks = self.lock_index().await?;
        let desc = manifest.descriptor();
        let path = self.blob_path(&desc.digest);
        if !path.exists() {
            let dir = path.parent().unwrap_or(&self.root).to_path_buf();
            std::fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
            write_atomic(&path, &manifest.bytes)?;
        }
        let mut index = self.read_index()?;
        if TagOrDigest::parse(reference)?.is_digest() {
            // Untagged manifests are listed only when they are referrers, so a scan finds them.
            let is_referrer = manifest.parse().ok().and_then(|m| m.subject().cloned()).is_some();
            if is_referrer && !index.manifests.iter().any(|d| d.digest == desc.digest) {
                index.manifests.push(desc);
                self.write_index(&index)?;
            }
        } else {
            index.manifests.retain(|d| d.annotation(REF_NAME) != Some(reference));
            let mut tagged = desc;
            tagged.annotations = Some([(REF_NAME.to_string(), reference.to_string())].into());
            index.manifests.push(tagged);
            self.write_index(&index)?;
        }
        Ok(PushedManifest {
            subject_acknowledged: false,
        })
    }

    async fn delete_manifest(&self, _repo: &str, digest: &Digest) -> Result<()> {
        let _locks = self.lock_index().await?;
        let path = self.blob_path(digest);
        if !path.exists() {
            return Err(Error::NotFound {
                what: format!("manifest {digest}"),
                location: self.root.display().to_string(),
            });
        }
        let mut index = self.read_index()?;
        index.manifests.retain(|d| d.digest != *digest);
        self.write_index(&index)?;
        std::fs::remove_file(&path).map_err(|e| Error::io(&path, e))?;
        Ok(())
    }

    async fn delete_tag(&self, _repo: &str, tag: &str) -> Result<()> {
        let _locks = self.lock_index().await?;
        let mut index = self.read_index()?;
        let before = index.manifests.len();
        index.manifests.retain(|d| d.annotation(REF_NAME) != Some(tag));
        if index.manifests.len() == before {
            return Err(Error::NotFound {
                what: format!("tag {tag}"),
                location: self.root.display().to_string(),
            });
        }
        self.write_index(&index)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layout_with_index(index: &str) -> (tempfile::TempDir, Layout) {
        let dir = tempfile::tempdir().unwrap();
        let layout = Layout::open_or_create(dir.path()).unwrap();
        std::fs::write(dir.path().join("index.json"), index).unwrap();
        (dir, layout)
    }

    #[tokio::test]
    async fn extreme_sizes_in_index_json_are_refused_not_trusted() {
        let digest = Digest::sha256_of(b"{}");
        let entry = |size: &str| {
            format!(
                r#"{{"schemaVersion":2,"manifests":[{{"mediaType":"{}","digest":"{digest}","size":{size},"annotations":{{"{REF_NAME}":"v1"}}}}]}}"#,
                media_types::OCI_MANIFEST
            )
        };
        let (_d, layout) = layout_with_index(&entry(&u64::MAX.to_string()));
        let e = layout.fetch_manifest("x", "v1").await.unwrap_err();
        assert!(matches!(e, Error::TooLarge { size: u64::MAX, .. }), "{e}");
        let (_d, layout) = layout_with_index(&entry("18446744073709551616"));
        let e = layout.fetch_manifest("x", "v1").await.unwrap_err();
        assert!(e.to_string().contains("malformed index.json"), "{e}");
    }

    #[tokio::test]
    async fn a_blob_declared_u64_max_bytes_long_is_refused_when_it_ends() {
        let dir = tempfile::tempdir().unwrap();
        let layout = Layout::open_or_create(dir.path()).unwrap();
        let desc = Descriptor::new("application/octet-stream", Digest::sha256_of(b"abc"), u64::MAX);
        let e = layout
            .push_blob("x", &desc, BlobSource::Bytes(Bytes::from_static(b"abc")), Arc::new(|_| {}))
            .await
            .unwrap_err();
        assert!(matches!(e, Error::SizeMismatch { expected: u64::MAX, actual: 3, .. }), "{e}");
        assert!(!layout.blob_path(&desc.digest).exists());
    }
}
