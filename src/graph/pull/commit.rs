//! Moving a finished staging tree into the output directory: first checked against what the
//! directory holds (nothing of this pull may go through a link there, replace a directory, or
//! need a directory where a file is), then moved with a journal, so that a move failing half
//! way, or a link found leading outside once in place, puts back what was there.

use std::path::{Path, PathBuf};

use super::confined::Confined;
use super::plan::{Kind, Plan, Seen};
use crate::error::{Error, Result};
use crate::text::sanitize;

fn refuse(path: &Path, reason: impl Into<String>) -> Error {
    Error::UnsafePath {
        path: sanitize(&path.display().to_string()),
        reason: reason.into(),
    }
}

/// Refuses a plan that the output directory's current content is in the way of.
pub fn check_destination(plan: &Plan, out: &Confined) -> Result<()> {
    // Below a directory the output does not have yet there is nothing to look at.
    let mut absent: Option<PathBuf> = None;
    for (path, kind) in plan.walk() {
        if absent.as_ref().is_some_and(|a| path.starts_with(a)) {
            continue;
        }
        absent = None;
        match (kind, out.seen(&path)?) {
            (Kind::Dir, Seen::Absent) => absent = Some(path),
            (_, Seen::Absent) | (Kind::Dir, Seen::Dir) => {}
            (Kind::Dir, Seen::Link(_)) => {
                return Err(refuse(&path, "the output directory has a link of that name, and a pull never writes through links"));
            }
            (Kind::Dir, Seen::File) => return Err(refuse(&path, "the output directory has a file of that name, where this needs a directory")),
            (_, Seen::Dir) => return Err(refuse(&path, "a directory of that name is in the way in the output directory")),
            // A file or link of the output directory is replaced, as ORAS does.
            (_, Seen::File | Seen::Link(_)) => {}
        }
    }
    Ok(())
}

enum Step {
    MadeDir(PathBuf),
    MovedAside(PathBuf, PathBuf),
    Placed(PathBuf),
}

/// What [`commit`] did, to undo it.
pub struct Journal {
    steps: Vec<Step>,
}

impl Journal {
    /// Puts the output directory back as it was, as far as it can.
    pub fn undo(self, out: &Confined, aside: &Confined) {
        for step in self.steps.into_iter().rev() {
            let done = match &step {
                Step::Placed(p) => out.clear(p),
                Step::MovedAside(p, kept) => aside.rename(kept, out, p),
                Step::MadeDir(p) => out.remove_dir(p),
            };
            if let Err(e) = done {
                tracing::warn!("undoing a failed pull: {e}");
            }
        }
    }
}

/// Moves every node of `plan` from `tree` into `out`: directories are made (or kept), files
/// and links renamed into place, what they replace moved into `aside` first.
pub fn commit(plan: &Plan, tree: &Confined, out: &Confined, aside: &Confined) -> Result<Journal> {
    let mut journal = Journal { steps: Vec::new() };
    let mut aside_count = 0usize;
    let mut run = |journal: &mut Journal| -> Result<()> {
        for (path, kind) in plan.walk() {
            match kind {
                Kind::Dir => {
                    if out.create_new_dir(&path)? {
                        journal.steps.push(Step::MadeDir(path));
                    } else if out.seen(&path)? != Seen::Dir {
                        return Err(refuse(&path, "something else appeared in the output directory under that name during the pull"));
                    }
                }
                Kind::File | Kind::Symlink(_) => {
                    match out.seen(&path)? {
                        Seen::Absent => {}
                        Seen::Dir => return Err(refuse(&path, "a directory of that name is in the way in the output directory")),
                        Seen::File | Seen::Link(_) => {
                            aside_count += 1;
                            let kept = PathBuf::from(aside_count.to_string());
                            out.rename(&path, aside, &kept)?;
                            journal.steps.push(Step::MovedAside(path.clone(), kept));
                        }
                    }
                    tree.rename(&path, out, &path)?;
                    journal.steps.push(Step::Placed(path));
                }
            }
        }
        Ok(())
    };
    match run(&mut journal) {
        Ok(()) => Ok(journal),
        Err(e) => {
            journal.undo(out, aside);
            Err(e)
        }
    }
}

/// Follows every link this pull placed (whatever the plan took it for), with cap-std refusing
/// any step out of the output directory: a second opinion on the plan's own resolution, from
/// the filesystem itself.
pub fn check_placed_links(plan: &Plan, out: &Confined) -> Result<()> {
    for (path, kind) in plan.walk() {
        if *kind == Kind::Dir {
            continue;
        }
        if let Seen::Link(target) = out.seen(&path)?
            && !out.resolves_inside(&path)?
        {
            return Err(refuse(
                &path,
                format!("it links to `{}`, which resolves outside the output directory", sanitize(&target.display().to_string())),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::pull::plan::Op;

    fn dirs() -> (tempfile::TempDir, Confined, Confined, Confined) {
        let t = tempfile::tempdir().unwrap();
        for d in ["tree", "out", "aside"] {
            std::fs::create_dir(t.path().join(d)).unwrap();
        }
        let open = |d: &str| Confined::open_ambient(&t.path().join(d)).unwrap();
        let (tree, out, aside) = (open("tree"), open("out"), open("aside"));
        (t, tree, out, aside)
    }

    fn read(p: &Path) -> String {
        std::fs::read_to_string(p).unwrap()
    }

    #[test]
    fn a_move_failing_half_way_puts_everything_back() {
        let (t, tree, out, aside) = dirs();
        let mut plan = Plan::new(false);
        for (name, op) in [("a.txt", Op::File), ("new/b.txt", Op::File), ("keep", Op::File)] {
            plan.add(Path::new(name), &op, 0).unwrap();
        }
        std::fs::create_dir(t.path().join("tree/new")).unwrap();
        for f in ["a.txt", "new/b.txt", "keep"] {
            std::fs::write(t.path().join("tree").join(f), "new").unwrap();
        }
        std::fs::write(t.path().join("out/a.txt"), "old").unwrap();
        std::fs::create_dir(t.path().join("out/keep")).unwrap();
        std::fs::write(t.path().join("out/keep/x"), "x").unwrap();
        // `keep` is a directory in the output: the last move fails, after the others.
        let err = match commit(&plan, &tree, &out, &aside) {
            Err(e) => e.to_string(),
            Ok(_) => panic!("the move should fail"),
        };
        assert!(err.contains("a directory of that name is in the way"), "{err}");
        assert_eq!(read(&t.path().join("out/a.txt")), "old");
        assert!(!t.path().join("out/new").exists());
        assert_eq!(read(&t.path().join("out/keep/x")), "x");
        assert_eq!(std::fs::read_dir(t.path().join("aside")).unwrap().count(), 0);
    }

    #[test]
    fn a_finished_move_can_be_undone() {
        let (t, tree, out, aside) = dirs();
        let mut plan = Plan::new(false);
        plan.add(Path::new("a.txt"), &Op::File, 0).unwrap();
        plan.add(Path::new("l"), &Op::Symlink("a.txt".into()), 0).unwrap();
        std::fs::write(t.path().join("tree/a.txt"), "new").unwrap();
        std::os::unix::fs::symlink("a.txt", t.path().join("tree/l")).unwrap();
        std::fs::write(t.path().join("out/a.txt"), "old").unwrap();
        let journal = commit(&plan, &tree, &out, &aside).unwrap();
        assert_eq!(read(&t.path().join("out/a.txt")), "new");
        assert_eq!(read(&t.path().join("out/l")), "new");
        journal.undo(&out, &aside);
        assert_eq!(read(&t.path().join("out/a.txt")), "old");
        assert!(std::fs::symlink_metadata(t.path().join("out/l")).is_err());
    }
}
