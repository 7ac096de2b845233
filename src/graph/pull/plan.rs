//! The tree a pull is about to create, built from every layer and every tar entry in order
//! before anything is written. Each write is judged against what the earlier ones made: a
//! name may not pass through a link or a file, a directory may not become a file, two layers
//! may not write one name, a hard link may only name a file this pull wrote. Once the tree is
//! complete, every link is resolved through the links in it (and through what the output
//! directory already holds) and must stay inside.

use std::collections::{HashMap, VecDeque};
use std::path::{Component, Path, PathBuf};

use crate::error::{Error, Result};
use crate::graph::safe_path::link_stays_inside;
use crate::text::sanitize;

/// The prefix of the staging directory's name; no name this pull writes may start with it.
pub const STAGING_PREFIX: &str = ".refscope-pull-";

/// Links followed while resolving one link target before it counts as a loop (Linux's limit).
const MAX_LINKS: u32 = 40;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    Dir,
    File,
    Symlink(String),
}

/// One write, as a layer or a tar entry asks for it. Paths are relative to the output
/// directory and already normalized by `safe_relative`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Op {
    Dir,
    File,
    Symlink(String),
    HardLink(PathBuf),
}

/// What the output directory holds at a path before the pull, links not followed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seen {
    Absent,
    Dir,
    File,
    Link(PathBuf),
}

#[derive(Debug)]
struct Node {
    name: String,
    parent: usize,
    kind: Kind,
    layer: usize,
    children: HashMap<String, usize>,
}

#[derive(Debug)]
pub struct Plan {
    nodes: Vec<Node>,
    /// Names that differ only in case are one name (the filesystem said so).
    fold_case: bool,
}

const ROOT: usize = 0;

fn refuse(path: &Path, reason: impl Into<String>) -> Error {
    Error::UnsafePath {
        path: sanitize(&path.display().to_string()),
        reason: reason.into(),
    }
}

fn parts(path: &Path) -> Vec<String> {
    path.components()
        .filter_map(|c| match c {
            Component::Normal(n) => Some(n.to_string_lossy().into_owned()),
            _ => None,
        })
        .collect()
}

impl Plan {
    pub fn new(fold_case: bool) -> Plan {
        Plan {
            nodes: vec![Node {
                name: String::new(),
                parent: ROOT,
                kind: Kind::Dir,
                layer: 0,
                children: HashMap::new(),
            }],
            fold_case,
        }
    }

    fn key(&self, name: &str) -> String {
        if self.fold_case { name.to_lowercase() } else { name.to_string() }
    }

    fn child(&self, at: usize, name: &str) -> Option<usize> {
        self.nodes[at].children.get(&self.key(name)).copied()
    }

    fn insert(&mut self, at: usize, name: &str, kind: Kind, layer: usize) -> usize {
        let id = self.nodes.len();
        self.nodes.push(Node {
            name: name.to_string(),
            parent: at,
            kind,
            layer,
            children: HashMap::new(),
        });
        let key = self.key(name);
        self.nodes[at].children.insert(key, id);
        id
    }

    /// The path of a node, as first written.
    pub fn path_of(&self, mut id: usize) -> PathBuf {
        let mut names = Vec::new();
        while id != ROOT {
            names.push(self.nodes[id].name.as_str());
            id = self.nodes[id].parent;
        }
        names.iter().rev().collect()
    }

    fn shown(&self, id: usize) -> String {
        sanitize(&self.path_of(id).display().to_string())
    }

    /// Walks to the directory that will hold `names`'s last part, creating the missing ones.
    fn parent_for(&mut self, path: &Path, names: &[String], layer: usize) -> Result<usize> {
        let mut at = ROOT;
        for name in &names[..names.len() - 1] {
            at = match self.child(at, name) {
                None => self.insert(at, name, Kind::Dir, layer),
                Some(id) => match &self.nodes[id].kind {
                    Kind::Dir => id,
                    Kind::Symlink(_) => return Err(refuse(path, format!("it goes through the link `{}`", self.shown(id)))),
                    Kind::File => return Err(refuse(path, format!("`{}` is a file, not a directory", self.shown(id)))),
                },
            };
        }
        Ok(at)
    }

    /// The node a hard link names, which must be a file this pull wrote, reached through
    /// directories only.
    fn link_source(&self, path: &Path, source: &Path) -> Result<usize> {
        let not_ours = || {
            refuse(
                path,
                format!("its source `{}` is not a file this pull wrote", sanitize(&source.display().to_string())),
            )
        };
        let mut at = ROOT;
        let names = parts(source);
        for (i, name) in names.iter().enumerate() {
            let id = self.child(at, name).ok_or_else(not_ours)?;
            let last = i + 1 == names.len();
            match &self.nodes[id].kind {
                Kind::Dir if !last => at = id,
                Kind::File if last => return Ok(id),
                Kind::Symlink(_) if last => {
                    return Err(refuse(path, format!("it is a hard link to the link `{}`", self.shown(id))));
                }
                Kind::Symlink(_) => {
                    return Err(refuse(
                        path,
                        format!(
                            "its source `{}` goes through the link `{}`",
                            sanitize(&source.display().to_string()),
                            self.shown(id)
                        ),
                    ));
                }
                _ => return Err(not_ours()),
            }
        }
        Err(not_ours())
    }

    /// Records that `layer` writes `path` as `op`, or says why it may not.
    pub fn add(&mut self, path: &Path, op: &Op, layer: usize) -> Result<()> {
        let names = parts(path);
        let Some(last) = names.last() else {
            return Err(refuse(path, "the name has no file part"));
        };
        if names[0].starts_with(STAGING_PREFIX) {
            return Err(refuse(path, format!("names starting with `{STAGING_PREFIX}` are reserved for refscope's staging directory")));
        }
        if let Op::Symlink(target) = op
            && !link_stays_inside(path, target)
        {
            return Err(refuse(path, format!("it links to `{}`, outside the output directory", sanitize(target))));
        }
        let source = match op {
            Op::HardLink(source) => Some(self.link_source(path, source)?),
            _ => None,
        };
        let at = self.parent_for(path, &names, layer)?;
        let kind = match op {
            Op::Dir => Kind::Dir,
            Op::File | Op::HardLink(_) => Kind::File,
            Op::Symlink(t) => Kind::Symlink(t.clone()),
        };
        let Some(id) = self.child(at, last) else {
            self.insert(at, last, kind, layer);
            return Ok(());
        };
        if source == Some(id) {
            return Err(refuse(path, "it is a hard link to itself"));
        }
        let node = &mut self.nodes[id];
        match (&node.kind, &kind) {
            (Kind::Dir, Kind::Dir) => Ok(()),
            (Kind::Dir, _) => Err(refuse(path, "a directory of that name is in the way")),
            (_, Kind::Dir) => Err(refuse(path, "a file or link of that name is in the way")),
            _ if node.layer != layer => Err(refuse(path, "two layers write it")),
            // A later entry of the same archive replaces an earlier one, as tar does.
            _ => {
                node.kind = kind;
                Ok(())
            }
        }
    }

    /// Every node but the root, parents before children, with its path and kind.
    pub fn walk(&self) -> Vec<(PathBuf, &Kind)> {
        let mut out = Vec::with_capacity(self.nodes.len());
        let mut stack: Vec<(usize, PathBuf)> = vec![(ROOT, PathBuf::new())];
        while let Some((id, path)) = stack.pop() {
            if id != ROOT {
                out.push((path.clone(), &self.nodes[id].kind));
            }
            let mut kids: Vec<usize> = self.nodes[id].children.values().copied().collect();
            kids.sort_by(|a, b| self.nodes[*b].name.cmp(&self.nodes[*a].name));
            for k in kids {
                stack.push((k, path.join(&self.nodes[k].name)));
            }
        }
        out
    }

    /// What the finished tree holds at `names` (every prefix already known not to be a
    /// link): this pull's own nodes first, then what the output directory has.
    fn lookup(&self, names: &[String], disk: &dyn Fn(&Path) -> Seen) -> Seen {
        let mut at = ROOT;
        for (i, name) in names.iter().enumerate() {
            match self.child(at, name) {
                Some(id) => at = id,
                None if matches!(self.nodes[at].kind, Kind::Dir) => return disk(&names[..=i].iter().collect::<PathBuf>()),
                None => return Seen::Absent,
            }
        }
        match &self.nodes[at].kind {
            Kind::Dir => Seen::Dir,
            Kind::File => Seen::File,
            Kind::Symlink(t) => Seen::Link(PathBuf::from(t)),
        }
    }

    /// Resolves the link at `link` the way the kernel would, through every link on the way;
    /// whether it stays inside the output directory.
    fn stays_inside(&self, link: &Path, target: &str, disk: &dyn Fn(&Path) -> Seen) -> std::result::Result<(), String> {
        let mut at = parts(link);
        at.pop();
        let mut pending: VecDeque<String> = VecDeque::new();
        let mut followed = 0u32;
        let queue = |pending: &mut VecDeque<String>, t: &Path| -> std::result::Result<(), String> {
            let mut front = Vec::new();
            for c in t.components() {
                match c {
                    Component::Normal(n) => front.push(n.to_string_lossy().into_owned()),
                    Component::ParentDir => front.push("..".into()),
                    Component::CurDir => {}
                    Component::RootDir | Component::Prefix(_) => return Err("an absolute path".into()),
                }
            }
            for c in front.into_iter().rev() {
                pending.push_front(c);
            }
            Ok(())
        };
        queue(&mut pending, Path::new(target))?;
        while let Some(c) = pending.pop_front() {
            if c == ".." {
                if at.pop().is_none() {
                    return Err("above the output directory".into());
                }
                continue;
            }
            at.push(c);
            if let Seen::Link(next) = self.lookup(&at, disk) {
                followed += 1;
                if followed > MAX_LINKS {
                    return Err(format!("more than {MAX_LINKS} links deep (a loop?)"));
                }
                at.pop();
                queue(&mut pending, &next)?;
            }
        }
        Ok(())
    }

    /// Checks that every link of the finished tree resolves inside the output directory.
    pub fn check_links(&self, disk: &dyn Fn(&Path) -> Seen) -> Result<()> {
        for (path, kind) in self.walk() {
            if let Kind::Symlink(target) = kind
                && let Err(why) = self.stays_inside(&path, target, disk)
            {
                return Err(refuse(
                    &path,
                    format!("it links to `{}`, which resolves outside the output directory ({why})", sanitize(target)),
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn absent(_: &Path) -> Seen {
        Seen::Absent
    }

    fn plan(ops: &[(&str, Op, usize)]) -> Result<Plan> {
        let mut p = Plan::new(false);
        for (path, op, layer) in ops {
            p.add(Path::new(path), op, *layer)?;
        }
        p.check_links(&absent)?;
        Ok(p)
    }

    fn link(t: &str) -> Op {
        Op::Symlink(t.into())
    }

    fn err(r: Result<Plan>) -> String {
        r.expect_err("should be refused").to_string()
    }

    #[test]
    fn a_write_through_an_earlier_link_is_refused() {
        let e = err(plan(&[("d/a", link(".."), 0), ("d/b", link("a/.."), 0), ("d/b/x.txt", Op::File, 1)]));
        assert!(e.contains("goes through the link `d/b`"), "{e}");
    }

    #[test]
    fn links_are_resolved_through_links() {
        let e = err(plan(&[("d/a", link(".."), 0), ("d/b", link("a/.."), 0)]));
        assert!(e.contains("`d/b`") && e.contains("resolves outside"), "{e}");
        // Each of these stays inside.
        plan(&[("d/a", link(".."), 0), ("d/b", link("a/d"), 0), ("d/c", link("b/../x"), 0)]).unwrap();
        let e = err(plan(&[("a", link("b"), 0), ("b", link("a"), 0)]));
        assert!(e.contains("links deep"), "{e}");
    }

    #[test]
    fn links_are_resolved_through_what_the_directory_holds() {
        let mut p = Plan::new(false);
        p.add(Path::new("d/l"), &link("../old/x"), 0).unwrap();
        let disk = |path: &Path| if path == Path::new("old") { Seen::Link("../elsewhere".into()) } else { Seen::Absent };
        assert!(p.check_links(&disk).unwrap_err().to_string().contains("resolves outside"));
        let disk = |path: &Path| if path == Path::new("old") { Seen::Link("d".into()) } else { Seen::Absent };
        p.check_links(&disk).unwrap();
    }

    #[test]
    fn hard_links_name_files_of_this_pull() {
        plan(&[("f", Op::File, 0), ("d/h", Op::HardLink("f".into()), 1)]).unwrap();
        let e = err(plan(&[("d/s/l", link(".."), 0), ("d/h", Op::HardLink("d/s/l".into()), 0)]));
        assert!(e.contains("a hard link to the link `d/s/l`"), "{e}");
        let e = err(plan(&[("d/sub/f", Op::File, 0), ("d/l", link("sub"), 0), ("d/h", Op::HardLink("d/l/f".into()), 0)]));
        assert!(e.contains("goes through the link `d/l`"), "{e}");
        for source in ["missing", "d", "d/h"] {
            let e = err(plan(&[("d/f", Op::File, 0), ("d/h", Op::HardLink(source.into()), 0)]));
            assert!(e.contains("not a file this pull wrote") || e.contains("itself"), "{source}: {e}");
        }
    }

    #[test]
    fn files_and_directories_do_not_replace_each_other() {
        assert!(err(plan(&[("n", Op::File, 0), ("n/x", Op::File, 1)])).contains("`n` is a file"));
        assert!(err(plan(&[("n/x", Op::File, 0), ("n", Op::File, 1)])).contains("a directory of that name"));
        assert!(err(plan(&[("n", link("m"), 0), ("n", Op::Dir, 0)])).contains("in the way"));
        assert!(err(plan(&[("d/a", Op::File, 0), ("d/a", Op::File, 1)])).contains("two layers write it"));
        // Within one archive a later entry wins, as with tar; directories merge.
        let p = plan(&[("d/a", Op::File, 0), ("d/a", link("b"), 0), ("d", Op::Dir, 1), ("d/c", Op::File, 1)]).unwrap();
        let walked: Vec<String> = p.walk().iter().map(|(p, _)| p.display().to_string()).collect();
        assert_eq!(walked, ["d", "d/a", "d/c"]);
    }

    #[test]
    fn names_differing_in_case_are_one_name_where_the_filesystem_says_so() {
        let mut p = Plan::new(true);
        p.add(Path::new("D"), &link("."), 0).unwrap();
        assert!(p.add(Path::new("d/x"), &Op::File, 1).unwrap_err().to_string().contains("goes through the link `D`"));
        let mut p = Plan::new(false);
        p.add(Path::new("D"), &link("."), 0).unwrap();
        p.add(Path::new("d/x"), &Op::File, 1).unwrap();
    }

    #[test]
    fn the_staging_name_is_reserved() {
        assert!(err(plan(&[(".refscope-pull-x/a", Op::File, 0)])).contains("reserved"));
        plan(&[("a/.refscope-pull-x", Op::File, 0)]).unwrap();
    }
}
