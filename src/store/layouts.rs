//! A directory of OCI image layouts, seen as one target: every directory below it that holds
//! an `oci-layout` file is a repository, named by its path below the root (`net-monitor`,
//! `staging/net-monitor`). Reads and writes of a repository go to its layout; a write to a
//! repository that does not exist yet creates its layout. A layout's own directory is never
//! searched for more layouts, so every path names one thing.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;

use super::layout::Layout;
use super::{BlobSource, ByteProgress, ByteStream, Mount, Page, PageRequest, PushedManifest, Referrers, ReferrersMode, Target};
use crate::error::{Error, Result};
use crate::oci::validate_repository;
use crate::oci::{Descriptor, Digest, ManifestBlob};

/// How deep below the root repositories are looked for (distribution names rarely nest more).
const MAX_DEPTH: usize = 8;
/// Directories visited while listing, so a huge tree or a loop of links cannot stall a listing.
const MAX_VISITED: usize = 100_000;

pub struct LayoutDir {
    root: PathBuf,
    /// Opened layouts by repository, so each keeps its referrer scan and write lock.
    open: Mutex<HashMap<String, Arc<Layout>>>,
}

impl LayoutDir {
    /// Opens `root` as a directory of layouts; it must hold at least one and be none itself.
    pub fn open(root: &Path) -> Result<LayoutDir> {
        if root.join("oci-layout").exists() {
            return Err(Error::Layout {
                path: root.to_path_buf(),
                reason: "this is one OCI layout, not a directory of layouts; open it as a layout".into(),
            });
        }
        let dir = LayoutDir::at(root);
        if dir.repositories()?.is_empty() {
            return Err(Error::Layout {
                path: root.to_path_buf(),
                reason: "neither an OCI image layout (no `oci-layout` file) nor a directory of layouts (no subdirectory has one); check the path".into(),
            });
        }
        Ok(dir)
    }

    fn at(root: &Path) -> LayoutDir {
        LayoutDir {
            root: root.to_path_buf(),
            open: Mutex::new(HashMap::new()),
        }
    }

    /// Whether `path` is a directory of layouts rather than a layout or nothing.
    pub fn holds_layouts(path: &Path) -> bool {
        !path.join("oci-layout").exists() && LayoutDir::at(path).repositories().is_ok_and(|r| !r.is_empty())
    }

    /// Every repository, sorted. Directories whose names are not repository names (upper
    /// case, spaces) are skipped: no reference could name them.
    pub fn repositories(&self) -> Result<Vec<String>> {
        let mut found = Vec::new();
        let mut visited = 0usize;
        let mut queue = vec![(self.root.clone(), String::new(), 0usize)];
        while let Some((dir, prefix, depth)) = queue.pop() {
            let entries = std::fs::read_dir(&dir).map_err(|e| Error::io(&dir, e))?;
            for entry in entries {
                let entry = entry.map_err(|e| Error::io(&dir, e))?;
                let path = entry.path();
                if !path.is_dir() {
                    continue;
                }
                visited += 1;
                if visited > MAX_VISITED {
                    return Err(Error::Layout {
                        path: self.root.clone(),
                        reason: format!("more than {MAX_VISITED} directories below it; open one layout instead"),
                    });
                }
                let name = entry.file_name().to_string_lossy().into_owned();
                let repo = if prefix.is_empty() { name } else { format!("{prefix}/{name}") };
                if validate_repository(&repo).is_err() {
                    continue;
                }
                if path.join("oci-layout").exists() {
                    found.push(repo);
                } else if depth + 1 < MAX_DEPTH {
                    queue.push((path, repo, depth + 1));
                }
            }
        }
        found.sort();
        Ok(found)
    }

    fn path_of(&self, repo: &str) -> Result<PathBuf> {
        // Validated names have no `..`, no empty part and no leading `/`: they stay below the root.
        validate_repository(repo).map_err(Error::usage)?;
        Ok(repo.split('/').fold(self.root.clone(), |p, part| p.join(part)))
    }

    fn cached(&self, repo: &str) -> Option<Arc<Layout>> {
        self.open.lock().unwrap_or_else(|p| p.into_inner()).get(repo).cloned()
    }

    fn keep(&self, repo: &str, layout: Layout) -> Arc<Layout> {
        let mut open = self.open.lock().unwrap_or_else(|p| p.into_inner());
        open.entry(repo.to_string()).or_insert_with(|| Arc::new(layout)).clone()
    }

    /// The layout of an existing repository.
    fn layout(&self, repo: &str) -> Result<Arc<Layout>> {
        if let Some(l) = self.cached(repo) {
            return Ok(l);
        }
        let path = self.path_of(repo)?;
        if !path.join("oci-layout").exists() {
            return Err(Error::NotFound {
                what: format!("repository {repo}"),
                location: self.root.display().to_string(),
            });
        }
        Ok(self.keep(repo, Layout::open(&path)?))
    }

    /// The layout of a repository, created when missing.
    fn layout_for_write(&self, repo: &str) -> Result<Arc<Layout>> {
        if let Some(l) = self.cached(repo) {
            return Ok(l);
        }
        let path = self.path_of(repo)?;
        Ok(self.keep(repo, Layout::open_or_create(&path)?))
    }

    /// The layout of a repository if it exists: presence checks on a missing one find nothing.
    fn existing(&self, repo: &str) -> Result<Option<Arc<Layout>>> {
        match self.layout(repo) {
            Ok(l) => Ok(Some(l)),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(e),
        }
    }
}

#[async_trait]
impl Target for LayoutDir {
    fn name(&self) -> String {
        self.root.display().to_string()
    }

    fn needs_referrers_index(&self) -> bool {
        false
    }

    async fn resolve(&self, repo: &str, reference: &str) -> Result<Descriptor> {
        self.layout(repo)?.resolve(repo, reference).await
    }

    async fn fetch_manifest(&self, repo: &str, reference: &str) -> Result<ManifestBlob> {
        self.layout(repo)?.fetch_manifest(repo, reference).await
    }

    async fn fetch_blob(&self, repo: &str, desc: &Descriptor) -> Result<ByteStream> {
        self.layout(repo)?.fetch_blob(repo, desc).await
    }

    async fn stat_blob(&self, repo: &str, digest: &Digest) -> Result<Option<u64>> {
        match self.existing(repo)? {
            Some(l) => l.stat_blob(repo, digest).await,
            None => Ok(None),
        }
    }

    async fn manifest_exists(&self, repo: &str, digest: &Digest) -> Result<bool> {
        match self.existing(repo)? {
            Some(l) => l.manifest_exists(repo, digest).await,
            None => Ok(false),
        }
    }

    async fn tags_page(&self, repo: &str, page: &PageRequest) -> Result<Page> {
        self.layout(repo)?.tags_page(repo, page).await
    }

    async fn catalog_page(&self, page: &PageRequest) -> Result<Page> {
        let items = self
            .repositories()?
            .into_iter()
            .filter(|r| page.last.as_ref().is_none_or(|l| r > l))
            .collect();
        Ok(Page { items, ..Page::default() })
    }

    async fn referrers(&self, repo: &str, subject: &Digest, artifact_type: Option<&str>) -> Result<Referrers> {
        self.layout(repo)?.referrers(repo, subject, artifact_type).await
    }

    fn referrers_mode(&self, _repo: &str) -> Option<ReferrersMode> {
        Some(ReferrersMode::Layout)
    }

    async fn push_blob(&self, repo: &str, desc: &Descriptor, source: BlobSource, progress: ByteProgress) -> Result<()> {
        self.layout_for_write(repo)?.push_blob(repo, desc, source, progress).await
    }

    async fn mount_blob(&self, repo: &str, desc: &Descriptor, from_repo: &str) -> Result<Mount> {
        match self.existing(repo)? {
            Some(l) => l.mount_blob(repo, desc, from_repo).await,
            None => Ok(Mount::NotMounted),
        }
    }

    async fn push_manifest(&self, repo: &str, reference: &str, manifest: &ManifestBlob) -> Result<PushedManifest> {
        self.layout_for_write(repo)?.push_manifest(repo, reference, manifest).await
    }

    async fn delete_manifest(&self, repo: &str, digest: &Digest) -> Result<()> {
        self.layout(repo)?.delete_manifest(repo, digest).await
    }

    async fn delete_tag(&self, repo: &str, tag: &str) -> Result<()> {
        self.layout(repo)?.delete_tag(repo, tag).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::oci::{ImageIndex, manifest, media_types};

    fn empty_index() -> ManifestBlob {
        ManifestBlob::new(manifest::to_bytes(&ImageIndex::new(Vec::new())), Some(media_types::OCI_INDEX)).unwrap()
    }

    #[tokio::test]
    async fn repositories_are_the_layouts_below_and_writes_land_in_theirs() {
        let top = tempfile::tempdir().unwrap();
        let dir = top.path().join("store");
        for repo in ["app", "staging/app"] {
            Layout::open_or_create(&dir.join(repo)).unwrap();
        }
        std::fs::create_dir_all(dir.join("Not A Repo")).unwrap();
        Layout::open_or_create(&dir.join("Not A Repo/x")).unwrap();
        // A layout's own directories are not searched.
        Layout::open_or_create(&dir.join("app/blobs/inner")).unwrap();
        let store = LayoutDir::open(&dir).unwrap();
        assert_eq!(store.repositories().unwrap(), ["app", "staging/app"]);
        let page = store.catalog_page(&PageRequest { last: Some("app".into()), ..PageRequest::default() }).await.unwrap();
        assert_eq!(page.items, ["staging/app"]);

        let index = empty_index();
        store.push_manifest("prod/app", "v1", &index).await.unwrap();
        let tagged = Layout::open(&dir.join("prod/app")).unwrap().resolve("x", "v1").await.unwrap();
        assert_eq!(tagged.digest, index.digest);
        assert!(!store.manifest_exists("app", &index.digest).await.unwrap(), "the other layouts are untouched");
        assert!(!store.manifest_exists("nowhere", &index.digest).await.unwrap());
        let e = store.resolve("nowhere", "v1").await.unwrap_err();
        assert_eq!(e.to_string(), format!("repository nowhere not found in {}", dir.display()));
        assert!(store.push_manifest("../escape", "v1", &index).await.is_err());
        assert!(!top.path().join("escape").exists());
    }

    #[test]
    fn a_layout_or_an_empty_directory_is_not_a_directory_of_layouts() {
        let dir = tempfile::tempdir().unwrap();
        let e = LayoutDir::open(dir.path()).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(e.contains("neither an OCI image layout"), "{e}");
        Layout::open_or_create(dir.path()).unwrap();
        assert!(!LayoutDir::holds_layouts(dir.path()));
        assert!(LayoutDir::open(dir.path()).is_err());
    }
}
