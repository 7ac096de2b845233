//! File operations confined to one directory through a capability handle (cap-std). Every
//! path is resolved beneath the handle's directory: on Linux 5.6 and later by the kernel
//! (`openat2` with `RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS`), elsewhere by cap-std walking
//! one component at a time with `O_NOFOLLOW`. So whatever the names and links, and whatever
//! another process changes in the directory meanwhile, nothing is written outside it, even if
//! the checks made before writing were wrong. The last component of a name is never followed:
//! files are created new, links and renames act on the name itself.

use std::io;
use std::path::{Path, PathBuf};

use cap_fs_ext::DirExt;
use cap_std::ambient_authority;
use cap_std::fs::{Dir, OpenOptions};
#[cfg(unix)]
use cap_std::fs::OpenOptionsExt;

use super::plan::Seen;
use crate::error::{Error, Result};

pub struct Confined {
    dir: Dir,
    /// Where it is, for messages only.
    shown: PathBuf,
}

impl Confined {
    /// Opens a directory the user named.
    pub fn open_ambient(path: &Path) -> Result<Confined> {
        let dir = Dir::open_ambient_dir(path, ambient_authority()).map_err(|e| Error::io(path, e))?;
        Ok(Confined {
            dir,
            shown: path.to_path_buf(),
        })
    }

    fn fail(&self, rel: &Path, e: io::Error) -> Error {
        Error::io(self.shown.join(rel), e)
    }

    /// Opens a directory inside, refusing a link in its place.
    pub fn open_dir(&self, rel: &Path) -> Result<Confined> {
        let dir = self.dir.open_dir_nofollow(rel).map_err(|e| self.fail(rel, e))?;
        Ok(Confined {
            dir,
            shown: self.shown.join(rel),
        })
    }

    /// Creates a directory; false if something of that name exists.
    pub fn create_new_dir(&self, rel: &Path) -> Result<bool> {
        match self.dir.create_dir(rel) {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Ok(false),
            Err(e) => Err(self.fail(rel, e)),
        }
    }

    /// What is at `rel`, the last component not followed.
    pub fn seen(&self, rel: &Path) -> Result<Seen> {
        match self.dir.symlink_metadata(rel) {
            Ok(m) if m.file_type().is_symlink() => {
                let target = self.dir.read_link_contents(rel).map_err(|e| self.fail(rel, e))?;
                Ok(Seen::Link(target))
            }
            Ok(m) if m.is_dir() => Ok(Seen::Dir),
            Ok(_) => Ok(Seen::File),
            Err(e) if matches!(e.kind(), io::ErrorKind::NotFound | io::ErrorKind::NotADirectory) => Ok(Seen::Absent),
            Err(e) => Err(self.fail(rel, e)),
        }
    }

    pub fn make_dirs(&self, rel: &Path) -> Result<()> {
        if rel.as_os_str().is_empty() {
            return Ok(());
        }
        self.dir.create_dir_all(rel).map_err(|e| self.fail(rel, e))
    }

    /// Removes a file or link at `rel`, if there is one, to make room for a new one.
    pub fn clear(&self, rel: &Path) -> Result<()> {
        match self.dir.remove_file_or_symlink(rel) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => Err(self.fail(rel, e)),
            _ => Ok(()),
        }
    }

    /// Creates a new file (never opening an existing one), with `mode` under the umask.
    pub fn create_file(&self, rel: &Path, mode: u32) -> Result<std::fs::File> {
        let mut o = OpenOptions::new();
        o.write(true).create_new(true);
        #[cfg(unix)]
        o.mode(mode);
        #[cfg(not(unix))]
        let _ = mode;
        let f = self.dir.open_with(rel, &o).map_err(|e| self.fail(rel, e))?;
        Ok(f.into_std())
    }

    pub fn open_file(&self, rel: &Path) -> Result<std::fs::File> {
        Ok(self.dir.open(rel).map_err(|e| self.fail(rel, e))?.into_std())
    }

    pub fn symlink(&self, target: &str, rel: &Path) -> Result<()> {
        DirExt::symlink(&self.dir, target, rel).map_err(|e| self.fail(rel, e))
    }

    pub fn hard_link(&self, source: &Path, rel: &Path) -> Result<()> {
        self.dir.hard_link(source, &self.dir, rel).map_err(|e| self.fail(rel, e))
    }

    /// Moves `from` here to `to` in `other` (same filesystem), replacing a file or link there.
    pub fn rename(&self, from: &Path, other: &Confined, to: &Path) -> Result<()> {
        self.dir.rename(from, &other.dir, to).map_err(|e| other.fail(to, e))
    }

    pub fn copy(&self, from: &Path, other: &Confined, to: &Path) -> Result<()> {
        self.dir.copy(from, &other.dir, to).map(|_| ()).map_err(|e| other.fail(to, e))
    }

    pub fn remove_dir(&self, rel: &Path) -> Result<()> {
        self.dir.remove_dir(rel).map_err(|e| self.fail(rel, e))
    }

    pub fn remove_all(&self, rel: &Path) -> Result<()> {
        self.dir.remove_dir_all(rel).map_err(|e| self.fail(rel, e))
    }

    /// Whether the link at `rel`, followed all the way, stays inside: cap-std resolves it
    /// and fails when a step would leave. A link to nothing yet counts as inside here.
    pub fn resolves_inside(&self, rel: &Path) -> Result<bool> {
        match self.dir.canonicalize(rel) {
            Ok(_) => Ok(true),
            Err(e) if matches!(e.kind(), io::ErrorKind::NotFound | io::ErrorKind::NotADirectory) => Ok(true),
            Err(e) if e.kind() == io::ErrorKind::PermissionDenied => Ok(false),
            Err(e) => Err(self.fail(rel, e)),
        }
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    /// The kernel-level guard alone, with no check in front of it: writes through links
    /// that leave, absolute names and `..` all fail, and nothing appears outside.
    #[test]
    fn nothing_is_written_outside_even_without_checks() {
        let parent = tempfile::tempdir().unwrap();
        let root = parent.path().join("root");
        std::fs::create_dir(&root).unwrap();
        std::os::unix::fs::symlink("..", root.join("up")).unwrap();
        std::os::unix::fs::symlink(parent.path(), root.join("abs")).unwrap();
        std::fs::create_dir(root.join("d")).unwrap();
        std::os::unix::fs::symlink("../..", root.join("d/upup")).unwrap();
        let c = Confined::open_ambient(&root).unwrap();
        for name in ["up/x", "abs/x", "../x", "d/upup/x", "d/../../x"] {
            assert!(c.create_file(Path::new(name), 0o644).is_err(), "{name}");
            assert!(c.make_dirs(Path::new(name)).is_err(), "{name}");
            assert!(c.symlink("y", Path::new(name)).is_err(), "{name}");
        }
        assert!(c.create_file(Path::new("/tmp/refscope-confined-x"), 0o644).is_err());
        std::fs::write(root.join("f"), "f").unwrap();
        assert!(c.hard_link(Path::new("up/root/f"), Path::new("h")).is_err());
        let mut names: Vec<_> = std::fs::read_dir(parent.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
        names.sort();
        assert_eq!(names, ["root"]);
        assert!(!Path::new("/tmp/refscope-confined-x").exists());
        assert!(!c.resolves_inside(Path::new("d/upup")).unwrap());
        assert!(c.resolves_inside(Path::new("d")).unwrap());
    }

    #[test]
    fn the_last_component_is_never_followed() {
        let parent = tempfile::tempdir().unwrap();
        let root = parent.path().join("root");
        std::fs::create_dir_all(root.join("sub")).unwrap();
        std::os::unix::fs::symlink("sub/target", root.join("l")).unwrap();
        std::os::unix::fs::symlink("sub", root.join("ld")).unwrap();
        let c = Confined::open_ambient(&root).unwrap();
        assert!(c.create_file(Path::new("l"), 0o644).is_err(), "an existing link is not opened");
        assert!(!root.join("sub/target").exists());
        assert!(c.open_dir(Path::new("ld")).is_err(), "a link to a directory is not opened as one");
        assert!(c.open_dir(Path::new("sub")).is_ok());
        assert_eq!(c.seen(Path::new("l")).unwrap(), Seen::Link("sub/target".into()));
        assert_eq!(c.seen(Path::new("nothing/here")).unwrap(), Seen::Absent);
    }
}
