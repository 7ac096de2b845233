//! Paths named by a registry (layer titles, tar entries, link targets) checked before anything
//! is written: relative, no `..`, no control characters, bounded length.

use std::path::{Component, Path, PathBuf};

use crate::error::{Error, Result};
use crate::text::sanitize;

const MAX_COMPONENT: usize = 255;
const MAX_PATH: usize = 4096;

/// The normalized relative path for a registry-supplied name, or an error saying why not.
pub fn safe_relative(name: &str) -> Result<PathBuf> {
    let refuse = |reason: &str| Error::UnsafePath {
        path: sanitize(name),
        reason: reason.to_string(),
    };
    if name.is_empty() {
        return Err(refuse("the name is empty"));
    }
    if name.len() > MAX_PATH {
        return Err(refuse("the name is too long"));
    }
    if name.chars().any(|c| c.is_control()) {
        return Err(refuse("the name contains control characters"));
    }
    if name.contains('\\') {
        return Err(refuse("the name contains a backslash"));
    }
    let mut out = PathBuf::new();
    for component in Path::new(name).components() {
        match component {
            Component::Normal(c) => {
                if c.len() > MAX_COMPONENT {
                    return Err(refuse("a path component is longer than 255 bytes"));
                }
                out.push(c);
            }
            Component::CurDir => {}
            Component::ParentDir => return Err(refuse("it contains `..` and would leave the output directory")),
            Component::RootDir | Component::Prefix(_) => {
                return Err(refuse("it is absolute and would leave the output directory"));
            }
        }
    }
    if out.as_os_str().is_empty() {
        return Err(refuse("the name has no file part"));
    }
    Ok(out)
}

/// Whether a symlink at `link` (relative to the output root) pointing at `target` stays inside,
/// judged by its text alone: a quick first refusal. Links on the way are resolved later, over
/// the whole tree a pull creates (`graph::pull::plan`).
pub fn link_stays_inside(link: &Path, target: &str) -> bool {
    if target.is_empty() || Path::new(target).is_absolute() || target.chars().any(|c| c.is_control()) {
        return false;
    }
    let mut depth: usize = link.parent().map(|p| p.components().count()).unwrap_or(0);
    for component in Path::new(target).components() {
        match component {
            Component::Normal(_) => depth += 1,
            Component::CurDir => {}
            Component::ParentDir => {
                if depth == 0 {
                    return false;
                }
                depth -= 1;
            }
            Component::RootDir | Component::Prefix(_) => return false,
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_plain_relative_names() {
        assert_eq!(safe_relative("readme.md").unwrap(), PathBuf::from("readme.md"));
        assert_eq!(safe_relative("./a/b.txt").unwrap(), PathBuf::from("a/b.txt"));
        assert_eq!(safe_relative("details/").unwrap(), PathBuf::from("details"));
    }

    #[test]
    fn refuses_escapes() {
        for bad in [
            "", "/etc/passwd", "../x", "a/../../x", "a/..", "a\u{1b}[2Jb", "a\0b", "a\\..\\b", ".", "./",
        ] {
            assert!(safe_relative(bad).is_err(), "{bad:?}");
        }
        assert!(safe_relative(&"x".repeat(256)).is_err());
    }

    #[test]
    fn link_targets() {
        assert!(link_stays_inside(Path::new("d/link"), "file"));
        assert!(link_stays_inside(Path::new("d/link"), "../top"));
        assert!(!link_stays_inside(Path::new("d/link"), "../../out"));
        assert!(!link_stays_inside(Path::new("link"), "/etc/passwd"));
        assert!(!link_stays_inside(Path::new("link"), ".."));
    }
}
