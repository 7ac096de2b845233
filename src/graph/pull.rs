//! Pulling an artifact into a directory, ORAS style: each titled layer becomes a file named by
//! its title, and layers marked for unpacking are tar+gzip directories extracted in place.
//!
//! Everything is downloaded and verified into a temporary directory inside the output
//! directory first, every name is checked, and only then is anything put in its final place,
//! so a bad artifact leaves nothing behind.

use std::collections::HashSet;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use flate2::read::GzDecoder;
use futures_util::{StreamExt, TryStreamExt};
use tokio::io::AsyncWriteExt;

use super::progress::{Outcome, Progress};
use super::safe_path::{check_no_symlink_on_the_way, link_stays_inside, safe_relative};
use crate::error::{Error, Result};
use crate::oci::media_types::annotations::{ORAS_CONTENT_DIGEST, ORAS_UNPACK};
use crate::oci::{Descriptor, Digest, Manifest};
use crate::store::Target;

#[derive(Clone)]
pub struct PullOptions {
    pub output: PathBuf,
    /// Blobs downloaded at once.
    pub concurrency: usize,
    pub progress: Progress,
}

#[derive(Debug, Clone)]
pub struct PulledFile {
    pub descriptor: Descriptor,
    /// Relative to the output directory.
    pub path: PathBuf,
    pub unpacked: bool,
}

#[derive(Debug, Clone)]
pub struct PullReport {
    pub manifest: Descriptor,
    pub files: Vec<PulledFile>,
    /// Layers without a title, which ORAS does not pull either.
    pub skipped: Vec<Descriptor>,
}

struct Item {
    layer: Descriptor,
    rel: PathBuf,
    unpack: bool,
}

pub async fn pull(target: &dyn Target, repo: &str, reference: &str, opts: &PullOptions) -> Result<PullReport> {
    let blob = target.fetch_manifest(repo, reference).await?;
    let manifest = match blob.parse()? {
        Manifest::Image(m) => m,
        Manifest::Index(_) => {
            return Err(Error::usage(format!(
                "{reference} is an index; pull one of its manifests by digest (list them with `refscope manifest fetch --pretty`)"
            )));
        }
    };
    let mut items = Vec::new();
    let mut skipped = Vec::new();
    let mut names = HashSet::new();
    for layer in manifest.layers {
        let Some(title) = layer.title() else {
            skipped.push(layer);
            continue;
        };
        let rel = safe_relative(title)?;
        if !names.insert(rel.clone()) {
            return Err(Error::UnsafePath {
                path: rel.display().to_string(),
                reason: "two layers have this title".into(),
            });
        }
        let unpack = layer.annotation(ORAS_UNPACK) == Some("true");
        items.push(Item { layer, rel, unpack });
    }
    let report_files: Vec<PulledFile> = items
        .iter()
        .map(|i| PulledFile {
            descriptor: i.layer.clone(),
            path: i.rel.clone(),
            unpacked: i.unpack,
        })
        .collect();
    if items.is_empty() {
        return Ok(PullReport {
            manifest: blob.descriptor(),
            files: report_files,
            skipped,
        });
    }

    let out = opts.output.clone();
    std::fs::create_dir_all(&out).map_err(|e| Error::io(&out, e))?;
    for item in &items {
        check_no_symlink_on_the_way(&out, &item.rel)?;
    }
    let staging = tempfile::Builder::new()
        .prefix(".refscope-pull-")
        .tempdir_in(&out)
        .map_err(|e| Error::io(&out, e))?;

    let staged: Vec<PathBuf> = crate::graph::eager(items.iter().map(|item| {
        let staging = staging.path().to_path_buf();
        async move { download(target, repo, &item.layer, &item.rel, &staging, &opts.progress).await }
    }))
    .buffered(opts.concurrency.max(1))
    .try_collect()
    .await?;

    let plan: Vec<(Item, PathBuf)> = items.into_iter().zip(staged).collect();
    let out_for_task = out.clone();
    tokio::task::spawn_blocking(move || -> Result<()> {
        for (item, path) in &plan {
            if item.unpack {
                check_archive(path, &item.layer, &out_for_task)?;
            }
        }
        for (item, path) in &plan {
            if item.unpack {
                extract_archive(path, &out_for_task)?;
            } else {
                place_file(path, &out_for_task.join(&item.rel))?;
            }
        }
        Ok(())
    })
    .await
    .map_err(|e| Error::usage(format!("pull worker failed: {e}")))??;
    drop(staging);
    Ok(PullReport {
        manifest: blob.descriptor(),
        files: report_files,
        skipped,
    })
}

/// Downloads one layer to the staging directory, verified.
async fn download(
    target: &dyn Target,
    repo: &str,
    layer: &Descriptor,
    rel: &Path,
    staging: &Path,
    progress: &Progress,
) -> Result<PathBuf> {
    let task = progress.start(rel.display().to_string(), layer.size);
    let path = staging.join(layer.digest.hex());
    let result = super::retrying(&format!("download {}", layer.digest.short()), || async {
        // Each attempt starts the file over: a broken transfer leaves nothing half-written.
        let mut stream = target.fetch_blob(repo, layer).await?;
        let mut file = tokio::fs::File::create(&path).await.map_err(|e| Error::io(&path, e))?;
        let mut done = 0u64;
        while let Some(chunk) = stream.next().await {
            let chunk = chunk?;
            file.write_all(&chunk).await.map_err(|e| Error::io(&path, e))?;
            done += chunk.len() as u64;
            task.advance(done);
        }
        file.flush().await.map_err(|e| Error::io(&path, e))?;
        Ok::<_, Error>(path.clone())
    })
    .await;
    task.finish(match &result {
        Ok(_) => Outcome::Done,
        Err(e) => Outcome::Failed(e.to_string()),
    });
    result
}

fn place_file(from: &Path, to: &Path) -> Result<()> {
    if let Some(parent) = to.parent() {
        std::fs::create_dir_all(parent).map_err(|e| Error::io(parent, e))?;
    }
    if let Ok(m) = std::fs::symlink_metadata(to) {
        if m.is_dir() {
            return Err(Error::UnsafePath {
                path: to.display().to_string(),
                reason: "a directory of that name is in the way".into(),
            });
        }
        std::fs::remove_file(to).map_err(|e| Error::io(to, e))?;
    }
    std::fs::rename(from, to).map_err(|e| Error::io(to, e))
}

/// Reads a gzip stream while hashing the uncompressed bytes.
struct HashingReader<R> {
    inner: R,
    hasher: crate::oci::Hasher,
}

impl<R: Read> Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }
}

fn open_archive(path: &Path) -> Result<GzDecoder<std::fs::File>> {
    let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    Ok(GzDecoder::new(file))
}

fn bad_archive(layer: &Descriptor, why: impl std::fmt::Display) -> Error {
    Error::UnsafePath {
        path: layer.title().map(crate::text::sanitize).unwrap_or_else(|| layer.digest.to_string()),
        reason: format!("the directory archive is unusable: {why}"),
    }
}

/// Checks every entry of a directory archive, and its uncompressed digest when annotated.
fn check_archive(path: &Path, layer: &Descriptor, out: &Path) -> Result<()> {
    let wanted: Option<Digest> = match layer.annotation(ORAS_CONTENT_DIGEST) {
        Some(d) => Some(d.parse()?),
        None => None,
    };
    let hasher = wanted
        .as_ref()
        .map(Digest::hasher)
        .unwrap_or_else(|| crate::oci::Hasher::new(crate::oci::Algorithm::Sha256));
    let mut reader = HashingReader {
        inner: open_archive(path)?,
        hasher,
    };
    let mut links: HashSet<PathBuf> = HashSet::new();
    {
        let mut archive = tar::Archive::new(&mut reader);
        let entries = archive.entries().map_err(|e| bad_archive(layer, e))?;
        for entry in entries {
            let entry = entry.map_err(|e| bad_archive(layer, e))?;
            let raw = entry.path().map_err(|e| bad_archive(layer, e))?;
            let name = raw
                .to_str()
                .ok_or_else(|| bad_archive(layer, "an entry name is not UTF-8"))?
                .to_string();
            let rel = safe_relative(&name)?;
            if rel.ancestors().skip(1).any(|a| links.contains(a)) {
                return Err(Error::UnsafePath {
                    path: name,
                    reason: "it goes through a link in the same archive".into(),
                });
            }
            check_no_symlink_on_the_way(out, &rel)?;
            let kind = entry.header().entry_type();
            match kind {
                tar::EntryType::Regular | tar::EntryType::Continuous | tar::EntryType::Directory => {}
                tar::EntryType::Symlink | tar::EntryType::Link => {
                    let target = entry
                        .link_name()
                        .map_err(|e| bad_archive(layer, e))?
                        .ok_or_else(|| bad_archive(layer, "a link without a target"))?;
                    let target = target
                        .to_str()
                        .ok_or_else(|| bad_archive(layer, "a link target is not UTF-8"))?;
                    let ok = if kind == tar::EntryType::Symlink {
                        link_stays_inside(&rel, target)
                    } else {
                        safe_relative(target).is_ok()
                    };
                    if !ok {
                        return Err(Error::UnsafePath {
                            path: name,
                            reason: format!("it links to `{}`, outside the output directory", crate::text::sanitize(target)),
                        });
                    }
                    links.insert(rel);
                }
                other => {
                    return Err(Error::UnsafePath {
                        path: name,
                        reason: format!("entries of type {other:?} are not extracted"),
                    });
                }
            }
        }
    }
    if let Some(wanted) = wanted {
        std::io::copy(&mut reader, &mut std::io::sink()).map_err(|e| bad_archive(layer, e))?;
        let actual = std::mem::replace(&mut reader.hasher, crate::oci::Hasher::new(wanted.algorithm())).finish();
        if actual != wanted {
            return Err(Error::DigestMismatch {
                what: format!("unpacked content of {}", layer.title().map(crate::text::sanitize).unwrap_or_default()),
                expected: wanted,
                actual,
            });
        }
    }
    Ok(())
}

/// Extracts an archive that [`check_archive`] accepted.
fn extract_archive(path: &Path, out: &Path) -> Result<()> {
    let mut archive = tar::Archive::new(open_archive(path)?);
    let io = |p: &Path, e: std::io::Error| Error::io(p, e);
    for entry in archive.entries().map_err(|e| io(path, e))? {
        let mut entry = entry.map_err(|e| io(path, e))?;
        let name = entry.path().map_err(|e| io(path, e))?.to_string_lossy().into_owned();
        let rel = safe_relative(&name)?;
        let dest = out.join(&rel);
        let kind = entry.header().entry_type();
        if kind == tar::EntryType::Directory {
            std::fs::create_dir_all(&dest).map_err(|e| io(&dest, e))?;
            continue;
        }
        if let Some(parent) = dest.parent() {
            std::fs::create_dir_all(parent).map_err(|e| io(parent, e))?;
        }
        if let Ok(m) = std::fs::symlink_metadata(&dest)
            && !m.is_dir()
        {
            std::fs::remove_file(&dest).map_err(|e| io(&dest, e))?;
        }
        match kind {
            tar::EntryType::Symlink => {
                let target = entry.link_name().map_err(|e| io(path, e))?.unwrap_or_default().into_owned();
                #[cfg(unix)]
                std::os::unix::fs::symlink(&target, &dest).map_err(|e| io(&dest, e))?;
            }
            tar::EntryType::Link => {
                let target = entry.link_name().map_err(|e| io(path, e))?.unwrap_or_default().into_owned();
                let source = out.join(safe_relative(&target.to_string_lossy())?);
                std::fs::hard_link(&source, &dest).map_err(|e| io(&dest, e))?;
            }
            _ => {
                let mut file = std::fs::File::create(&dest).map_err(|e| io(&dest, e))?;
                std::io::copy(&mut entry, &mut file).map_err(|e| io(&dest, e))?;
                file.flush().map_err(|e| io(&dest, e))?;
                #[cfg(unix)]
                if let Ok(mode) = entry.header().mode() {
                    use std::os::unix::fs::PermissionsExt;
                    let _ = std::fs::set_permissions(&dest, std::fs::Permissions::from_mode(mode & 0o777));
                }
            }
        }
    }
    Ok(())
}
