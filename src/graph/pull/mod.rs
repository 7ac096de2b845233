//! Pulling an artifact into a directory, ORAS style: each titled layer becomes a file named by
//! its title, and layers marked for unpacking are tar+gzip directories extracted in place.
//!
//! Nothing is written outside the output directory, and a pull that fails leaves it as it was:
//! 1. each distinct blob is downloaded and verified into a hidden staging directory inside it;
//! 2. every layer title and tar entry is checked, in manifest and archive order, against the
//!    tree the pull will create (`plan`), every link in that tree is resolved through it and
//!    through what the directory already holds, and the archives are bounded (`archive`);
//!    nothing is unpacked yet;
//! 3. the tree is built in the staging directory, each write checked again just before it,
//!    through a directory handle that cannot reach outside (`confined`);
//! 4. it is moved into place, only if nothing in the directory is in the way, with a journal
//!    that undoes a move failing half way (`commit`).

mod archive;
mod commit;
mod confined;
mod plan;

use std::collections::{HashMap, HashSet};
use std::hash::BuildHasher;
use std::io::Read;
use std::path::{Path, PathBuf};

use futures_util::{StreamExt, TryStreamExt};
use tokio::io::AsyncWriteExt;

pub use self::archive::UnpackLimits;
use self::archive::{Budget, read_entries};
use self::confined::Confined;
use self::plan::{Op, Plan, STAGING_PREFIX, Seen};
use super::progress::{Outcome, Progress};
use super::safe_path::safe_relative;
use crate::error::{Error, Result};
use crate::oci::media_types::annotations::ORAS_UNPACK;
use crate::oci::{Descriptor, Manifest};
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
    /// Which downloaded blob holds it: layers with one digest share one download.
    blob: usize,
}

/// Pulls with the default [`UnpackLimits`].
pub async fn pull(target: &dyn Target, repo: &str, reference: &str, opts: &PullOptions) -> Result<PullReport> {
    pull_with_limits(target, repo, reference, opts, UnpackLimits::default()).await
}

pub async fn pull_with_limits(
    target: &dyn Target,
    repo: &str,
    reference: &str,
    opts: &PullOptions,
    limits: UnpackLimits,
) -> Result<PullReport> {
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
    let mut blobs: Vec<Descriptor> = Vec::new();
    let mut blob_of = HashMap::new();
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
        let blob = *blob_of.entry(layer.digest.clone()).or_insert_with(|| {
            blobs.push(layer.clone());
            blobs.len() - 1
        });
        items.push(Item { layer, rel, unpack, blob });
    }
    let report = PullReport {
        manifest: blob.descriptor(),
        files: items
            .iter()
            .map(|i| PulledFile {
                descriptor: i.layer.clone(),
                path: i.rel.clone(),
                unpacked: i.unpack,
            })
            .collect(),
        skipped,
    };
    if items.is_empty() {
        return Ok(report);
    }

    let (root, created) = prepare_output(&opts.output)?;
    let staging = match Staging::create(&root) {
        Ok(s) => s,
        Err(e) => {
            created.undo();
            return Err(e);
        }
    };
    let downloaded: Result<Vec<()>> = crate::graph::eager(blobs.iter().enumerate().map(|(i, b)| {
        let label = items.iter().find(|it| it.blob == i).map(|it| it.rel.display().to_string()).unwrap_or_default();
        let staging = &staging;
        async move { download(target, repo, b, &blob_name(i), label, &staging.blobs, &opts.progress).await }
    }))
    .buffered(opts.concurrency.max(1))
    .try_collect()
    .await;
    tokio::task::spawn_blocking(move || {
        let result = downloaded.and_then(|_| place(&items, &staging, &root, limits));
        staging.remove(&root);
        if result.is_err() {
            created.undo();
        }
        result
    })
    .await
    .map_err(|e| Error::usage(format!("pull worker failed: {e}")))??;
    Ok(report)
}

fn blob_name(i: usize) -> PathBuf {
    PathBuf::from(i.to_string())
}

/// The directories of the output path that do not exist yet, deepest first: a failed pull
/// removes them again.
struct Created(Vec<PathBuf>);

impl Created {
    fn undo(&self) {
        for dir in &self.0 {
            if std::fs::remove_dir(dir).is_err() {
                break;
            }
        }
    }
}

fn prepare_output(out: &Path) -> Result<(Confined, Created)> {
    let missing = out
        .ancestors()
        .take_while(|a| !a.as_os_str().is_empty() && std::fs::symlink_metadata(a).is_err())
        .map(Path::to_path_buf)
        .collect();
    std::fs::create_dir_all(out).map_err(|e| Error::io(out, e))?;
    Ok((Confined::open_ambient(out)?, Created(missing)))
}

/// The hidden directory a pull works in, inside the output directory (so that moving out of
/// it is a rename on one filesystem): downloaded blobs, the tree being built, and what the
/// tree replaces, kept until the pull is done.
struct Staging {
    name: PathBuf,
    dir: Confined,
    blobs: Confined,
    tree: Confined,
    aside: Confined,
}

impl Staging {
    fn create(root: &Confined) -> Result<Staging> {
        let random = std::collections::hash_map::RandomState::new();
        let mut attempt = 0u32;
        let name = loop {
            attempt += 1;
            let name = PathBuf::from(format!("{STAGING_PREFIX}{:016x}", random.hash_one((std::process::id(), attempt))));
            if root.create_new_dir(&name)? {
                break name;
            }
            if attempt >= 16 {
                return Err(Error::usage("cannot create a staging directory in the output directory"));
            }
        };
        let dir = root.open_dir(&name)?;
        let sub = |n: &str| -> Result<Confined> {
            dir.create_new_dir(Path::new(n))?;
            dir.open_dir(Path::new(n))
        };
        Ok(Staging {
            blobs: sub("blobs")?,
            tree: sub("tree")?,
            aside: sub("aside")?,
            name,
            dir,
        })
    }

    /// Whether this filesystem takes `A` and `a` for one name.
    fn folds_case(&self) -> Result<bool> {
        let probe = Path::new("case-probe");
        drop(self.dir.create_file(probe, 0o600)?);
        let folds = self.dir.seen(Path::new("CASE-PROBE"))? != Seen::Absent;
        self.dir.clear(probe)?;
        Ok(folds)
    }

    fn remove(&self, root: &Confined) {
        if let Err(e) = root.remove_all(&self.name) {
            tracing::warn!("cannot remove the pull's staging directory: {e}");
        }
    }
}

/// Downloads one blob into the staging directory, verified.
async fn download(
    target: &dyn Target,
    repo: &str,
    blob: &Descriptor,
    name: &Path,
    label: String,
    dir: &Confined,
    progress: &Progress,
) -> Result<()> {
    let task = progress.start(label, blob.size);
    let result = super::retrying(&format!("download {}", blob.digest.short()), || async {
        let mut stream = target.fetch_blob(repo, blob).await?;
        // Each attempt starts the file over: a broken transfer leaves nothing half-written.
        dir.clear(name)?;
        let mut file = tokio::fs::File::from_std(dir.create_file(name, 0o666)?);
        let mut done = 0u64;
        while let Some(chunk) = stream.next().await {
            let chunk = chunk?;
            file.write_all(&chunk).await.map_err(|e| Error::io(name, e))?;
            done += chunk.len() as u64;
            task.advance(done);
        }
        file.flush().await.map_err(|e| Error::io(name, e))?;
        Ok::<_, Error>(())
    })
    .await;
    task.finish(match &result {
        Ok(_) => Outcome::Done,
        Err(e) => Outcome::Failed(e.to_string()),
    });
    result
}

/// Checks everything, builds the tree in the staging directory, and moves it into place.
fn place(items: &[Item], staging: &Staging, root: &Confined, limits: UnpackLimits) -> Result<()> {
    let fold_case = staging.folds_case()?;
    let disk = |p: &Path| root.seen(p).unwrap_or(Seen::File);
    let checked = |plan: &Plan| -> Result<()> {
        plan.check_links(&disk)?;
        commit::check_destination(plan, root)
    };
    // Everything is checked before anything is unpacked: a refused archive, or one over the
    // limits, costs no disk.
    checked(&lay_out(items, staging, fold_case, limits, false)?)?;
    let plan = lay_out(items, staging, fold_case, limits, true)?;
    checked(&plan)?;
    let journal = commit::commit(&plan, &staging.tree, root, &staging.aside)?;
    commit::check_placed_links(&plan, root).inspect_err(|_| journal.undo(root, &staging.aside))
}

/// Goes through every layer and tar entry in order, adding each to a plan; with `write`, also
/// writes each into the staging tree once the plan has accepted it.
fn lay_out(items: &[Item], staging: &Staging, fold_case: bool, limits: UnpackLimits, write: bool) -> Result<Plan> {
    let mut plan = Plan::new(fold_case);
    let mut budget = Budget::new(limits);
    let mut uses_left: HashMap<usize, usize> = HashMap::new();
    for item in items {
        *uses_left.entry(item.blob).or_default() += 1;
    }
    let tree = &staging.tree;
    for (layer, item) in items.iter().enumerate() {
        let blob = blob_name(item.blob);
        let left = uses_left.get_mut(&item.blob).map(|n| {
            *n -= 1;
            *n
        });
        if item.unpack {
            let file = staging.blobs.open_file(&blob)?;
            read_entries(file, &item.layer, &item.rel, &mut budget, &mut |path, op, mode, data| {
                plan.add(path, op, layer)?;
                if write {
                    write_entry(tree, path, op, mode, data)?;
                }
                Ok(())
            })?;
        } else {
            plan.add(&item.rel, &Op::File, layer)?;
            if write {
                tree.make_dirs(item.rel.parent().unwrap_or(Path::new("")))?;
                if left == Some(0) {
                    staging.blobs.rename(&blob, tree, &item.rel)?;
                } else {
                    staging.blobs.copy(&blob, tree, &item.rel)?;
                }
            }
        }
    }
    Ok(plan)
}

fn write_entry(tree: &Confined, path: &Path, op: &Op, mode: u32, data: &mut dyn Read) -> Result<()> {
    if *op == Op::Dir {
        return tree.make_dirs(path);
    }
    tree.make_dirs(path.parent().unwrap_or(Path::new("")))?;
    // A later entry of one archive replaces an earlier one of the same name.
    tree.clear(path)?;
    match op {
        Op::File => {
            let mut file = tree.create_file(path, mode)?;
            std::io::copy(data, &mut file).map_err(|e| Error::io(path, e))?;
            Ok(())
        }
        Op::Symlink(target) => tree.symlink(target, path),
        Op::HardLink(source) => tree.hard_link(source, path),
        Op::Dir => Ok(()),
    }
}
