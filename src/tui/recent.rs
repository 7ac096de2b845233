//! The targets the TUI opened last, for the start screen: a small JSON file under the XDG
//! state directory (`$XDG_STATE_HOME/refscope/recent.json`, default
//! `~/.local/state/refscope/recent.json`), newest first, at most [`LIMIT`]. It is replaced
//! whole, through a temporary file in the same directory, so a reader never sees half of
//! one; a file refscope cannot read is reported and left as it is.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// Targets kept.
pub const LIMIT: usize = 20;
/// A state file past this size is not one refscope wrote.
const MAX_BYTES: u64 = 1 << 20;

/// A target as the command line gives it: a registry reference (aliases expanded), or with
/// `layout` a layout path (absolute) with its tag or digest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recent {
    pub target: String,
    #[serde(default)]
    pub layout: bool,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct Shape {
    recent: Vec<Recent>,
}

pub struct RecentFile {
    path: PathBuf,
}

impl RecentFile {
    pub fn at(path: impl Into<PathBuf>) -> RecentFile {
        RecentFile { path: path.into() }
    }

    /// The file under the XDG state directory; `None` without a home directory.
    pub fn default_place() -> Option<RecentFile> {
        let dirs = directories::ProjectDirs::from("", "", "refscope")?;
        Some(RecentFile::at(dirs.state_dir()?.join("recent.json")))
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The targets, newest first; none when the file is not there.
    pub fn load(&self) -> Result<Vec<Recent>> {
        let bad = |reason: String| Error::State { path: self.path.clone(), reason };
        let meta = match std::fs::metadata(&self.path) {
            Ok(m) => m,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(bad(e.to_string())),
        };
        if meta.len() > MAX_BYTES {
            return Err(bad(format!("{} bytes is more than refscope ever writes there", meta.len())));
        }
        let text = std::fs::read(&self.path).map_err(|e| bad(e.to_string()))?;
        let shape: Shape = serde_json::from_slice(&text).map_err(|e| bad(format!("not a list of recent targets ({e})")))?;
        let mut list = shape.recent;
        list.truncate(LIMIT);
        Ok(list)
    }

    /// Puts `target` first, dropping an older copy of it and whatever falls past [`LIMIT`].
    /// A file that cannot be read is not overwritten.
    pub fn record(&self, target: Recent) -> Result<()> {
        let mut list = self.load()?;
        list.retain(|r| *r != target);
        list.insert(0, target);
        list.truncate(LIMIT);
        self.write(&Shape { recent: list })
    }

    fn write(&self, shape: &Shape) -> Result<()> {
        let dir = self.path.parent().ok_or_else(|| Error::State { path: self.path.clone(), reason: "has no directory".into() })?;
        create_private_dir(dir)?;
        let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(|e| Error::io(dir, e))?;
        let body = serde_json::to_vec_pretty(shape).map_err(|e| Error::State { path: self.path.clone(), reason: e.to_string() })?;
        tmp.write_all(&body).and_then(|_| tmp.as_file().sync_all()).map_err(|e| Error::io(tmp.path(), e))?;
        tmp.persist(&self.path).map_err(|e| Error::io(&self.path, e.error))?;
        Ok(())
    }
}

/// The state directory and its parents, made 0700 where refscope creates them (the targets
/// name hosts and paths the user may not want others to read).
fn create_private_dir(dir: &Path) -> Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new().recursive(true).mode(0o700).create(dir).map_err(|e| Error::io(dir, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn registry(n: usize) -> Recent {
        Recent { target: format!("registry.example:5000/app-{n}:v1"), layout: false }
    }

    #[test]
    fn newest_first_without_repeats_and_bounded() {
        let dir = tempfile::tempdir().unwrap();
        let file = RecentFile::at(dir.path().join("state/refscope/recent.json"));
        assert_eq!(file.load().unwrap(), Vec::new(), "no file, no targets");
        for n in 0..30 {
            file.record(registry(n)).unwrap();
        }
        let on_disk: serde_json::Value = serde_json::from_slice(&std::fs::read(file.path()).unwrap()).unwrap();
        assert_eq!(on_disk["recent"].as_array().map(Vec::len), Some(LIMIT), "the file itself stays bounded");
        file.record(registry(25)).unwrap();
        let list = file.load().unwrap();
        assert_eq!(list.len(), LIMIT);
        assert_eq!(list[0], registry(25));
        assert_eq!(list[1], registry(29));
        assert_eq!(list.iter().filter(|r| **r == registry(25)).count(), 1);
        assert_eq!(list[LIMIT - 1], registry(10), "the oldest fell off");
        let names: Vec<_> = std::fs::read_dir(file.path().parent().unwrap()).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names, vec![std::ffi::OsString::from("recent.json")], "no temporary file is left");
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(file.path().parent().unwrap()).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o700);
    }

    #[test]
    fn a_corrupt_file_is_reported_and_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("recent.json");
        std::fs::write(&path, "{\"recent\": [{\"target\": 5}]").unwrap();
        let file = RecentFile::at(&path);
        let err = file.load().unwrap_err().to_string();
        assert!(err.starts_with(&format!("state file {}: not a list of recent targets", path.display())), "{err}");
        assert!(err.ends_with("move it away, and refscope starts a new one"), "{err}");
        assert!(file.record(registry(1)).is_err());
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "{\"recent\": [{\"target\": 5}]", "not overwritten");
    }
}
