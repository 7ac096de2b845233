//! Hostile artifacts generated at random (titles and tar entries with `..`, absolute names,
//! symbolic links in chains, hard links, links to links, names through links), pulled for real
//! from an OCI layout into a directory that already holds a few things (among them a link
//! pointing out of it), next to a sentinel directory. What was written is then judged by the
//! filesystem, not by refscope's model of paths: every file's canonical path, and every link's
//! target as the kernel resolves it, lies under the output directory; nothing beside it
//! changed; a refused pull left the directory exactly as it was. `PROPTEST_CASES=N` runs more.

mod common;

use std::collections::{HashSet, VecDeque};
use std::os::unix::fs::MetadataExt;
use std::path::{Component, Path, PathBuf};

use common::artifact::{Entry, snapshot, tar_gz};
use common::seed::{EMPTY_CONFIG, MANIFEST};
use proptest::prelude::*;
use refscope::graph::pull::{PullOptions, pull};
use refscope::oci::Digest;
use refscope::store::layout::Layout;
use serde_json::json;

/// Stands for the absolute path of the test's parent directory.
const ABS: &str = "@ABS@";

#[derive(Debug, Clone)]
enum GenLayer {
    File(String),
    Dir(String, Vec<Entry>),
}

/// A name part: mostly plain, so that pulls get far enough to meet the links.
fn name_piece() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => Just("a".to_string()),
        4 => Just("b".to_string()),
        3 => Just("d".to_string()),
        1 => Just("x.txt".to_string()),
        1 => Just("..".to_string()),
        1 => Just(".".to_string()),
        1 => Just("sentinel".to_string()),
        1 => Just("prelink".to_string()),
        1 => Just("preout".to_string()),
    ]
}

/// A link target part: `..` and the names of sibling links, to make chains.
fn target_piece() -> impl Strategy<Value = String> {
    prop_oneof![
        5 => Just("..".to_string()),
        3 => Just("a".to_string()),
        3 => Just("b".to_string()),
        2 => Just("d".to_string()),
        1 => Just(".".to_string()),
        1 => Just("sentinel".to_string()),
        1 => Just("prelink".to_string()),
        1 => Just("preout".to_string()),
    ]
}

fn joined(piece: BoxedStrategy<String>, max: usize) -> impl Strategy<Value = String> {
    (proptest::collection::vec(piece, 1..max), prop_oneof![12 => Just(""), 1 => Just("./"), 1 => Just("@ABS@/")])
        .prop_map(|(parts, prefix)| format!("{prefix}{}", parts.join("/")))
}

fn name(max: usize) -> impl Strategy<Value = String> {
    joined(name_piece().boxed(), max)
}

fn entry(title: String) -> impl Strategy<Value = Entry> {
    let inside = move |rel: String, p: u8| if p < 9 { format!("{title}/{rel}") } else { rel };
    let inside2 = inside.clone();
    (name(3), 0..10u8, joined(target_piece().boxed(), 6), name(3), 0..10u8, 0..10u8).prop_map(move |(n, kind, target, source, p, q)| {
        let n = inside(n, p);
        match kind {
            0..=1 => Entry::Dir(n),
            2..=3 => Entry::File(n, b"content".to_vec()),
            4..=8 => Entry::Symlink(n, target),
            _ => Entry::Hardlink(n, inside2(source, q)),
        }
    })
}

fn layer() -> impl Strategy<Value = GenLayer> {
    prop_oneof![
        name(4).prop_map(GenLayer::File),
        name(3).prop_flat_map(|title| {
            proptest::collection::vec(entry(title.clone()), 0..10).prop_map(move |entries| GenLayer::Dir(title.clone(), entries))
        }),
    ]
}

fn fill(s: &str, abs: &Path) -> String {
    s.replace(ABS, abs.to_str().unwrap())
}

/// Writes an OCI layout holding one artifact of `layers`, tagged `v1`.
fn layout(root: &Path, layers: &[GenLayer], abs: &Path) {
    let blobs = root.join("blobs/sha256");
    std::fs::create_dir_all(&blobs).unwrap();
    let put = |bytes: &[u8]| {
        let d = Digest::sha256_of(bytes);
        std::fs::write(blobs.join(d.hex()), bytes).unwrap();
        (d.to_string(), bytes.len())
    };
    let (config, _) = put(b"{}");
    let mut descs = Vec::new();
    for (i, l) in layers.iter().enumerate() {
        let (title, bytes, mt, unpack) = match l {
            GenLayer::File(t) => (fill(t, abs), format!("file {i}").into_bytes(), "text/plain", false),
            GenLayer::Dir(t, entries) => {
                let entries: Vec<Entry> = entries
                    .iter()
                    .map(|e| match e {
                        Entry::Dir(n) => Entry::Dir(fill(n, abs)),
                        Entry::File(n, c) => Entry::File(fill(n, abs), c.clone()),
                        Entry::Symlink(n, t) => Entry::Symlink(fill(n, abs), fill(t, abs)),
                        Entry::Hardlink(n, t) => Entry::Hardlink(fill(n, abs), fill(t, abs)),
                        other => other.clone(),
                    })
                    .collect();
                (fill(t, abs), tar_gz(&entries), "application/vnd.oci.image.layer.v1.tar+gzip", true)
            }
        };
        let (digest, size) = put(&bytes);
        let mut ann = json!({"org.opencontainers.image.title": title});
        if unpack {
            ann["io.deis.oras.content.unpack"] = json!("true");
        }
        descs.push(json!({"mediaType": mt, "digest": digest, "size": size, "annotations": ann}));
    }
    let m = json!({"schemaVersion": 2, "mediaType": MANIFEST, "artifactType": "prop/example",
        "config": {"mediaType": EMPTY_CONFIG, "digest": config, "size": 2}, "layers": descs});
    let (md, msize) = put(&serde_json::to_vec(&m).unwrap());
    std::fs::write(root.join("oci-layout"), r#"{"imageLayoutVersion":"1.0.0"}"#).unwrap();
    let index = json!({"schemaVersion": 2, "manifests": [{"mediaType": MANIFEST, "digest": md, "size": msize,
        "annotations": {"org.opencontainers.image.ref.name": "v1"}}]});
    std::fs::write(root.join("index.json"), index.to_string()).unwrap();
}

/// Where a link leads, as the filesystem has it: the kernel's own resolution when the target
/// exists; when it does not, the existing part resolved on disk and the missing names taken as
/// directories that might be created later.
fn lands_at(link: &Path) -> PathBuf {
    if let Ok(p) = std::fs::canonicalize(link) {
        return p;
    }
    let mut at = std::fs::canonicalize(link.parent().unwrap()).unwrap();
    let mut pending: VecDeque<PathBuf> = VecDeque::from([std::fs::read_link(link).unwrap()]);
    let mut hops = 0;
    while let Some(target) = pending.pop_front() {
        let mut rest: VecDeque<Component> = target.components().collect();
        while let Some(c) = rest.pop_front() {
            match c {
                Component::RootDir => at = PathBuf::from("/"),
                Component::ParentDir => {
                    at.pop();
                }
                Component::Normal(n) => {
                    let next = at.join(n);
                    match std::fs::symlink_metadata(&next) {
                        Ok(m) if m.file_type().is_symlink() && hops < 40 => {
                            hops += 1;
                            let mut again: PathBuf = std::fs::read_link(&next).unwrap();
                            for r in rest.drain(..) {
                                again.push(r);
                            }
                            pending.push_front(again);
                            break;
                        }
                        _ => at = next,
                    }
                }
                _ => {}
            }
        }
    }
    at
}

fn inodes(root: &Path) -> HashSet<(u64, u64)> {
    let mut out = HashSet::new();
    for (rel, kind) in snapshot(root) {
        if kind.starts_with("file") {
            let m = std::fs::symlink_metadata(root.join(rel)).unwrap();
            out.insert((m.dev(), m.ino()));
        }
    }
    out
}

struct Outcome {
    ok: bool,
    before: Vec<(String, String)>,
    after: Vec<(String, String)>,
}

fn pull_into_arena(layers: &[GenLayer], check: impl Fn(&Path, &Path, &Outcome)) {
    let arena = tempfile::tempdir().unwrap();
    let parent = std::fs::canonicalize(arena.path()).unwrap();
    let out = parent.join("out");
    std::fs::create_dir_all(parent.join("sentinel/d")).unwrap();
    std::fs::write(parent.join("sentinel/x.txt"), "sentinel").unwrap();
    std::fs::create_dir_all(out.join("predir")).unwrap();
    std::fs::write(out.join("pre.txt"), "pre").unwrap();
    std::os::unix::fs::symlink("predir", out.join("prelink")).unwrap();
    std::os::unix::fs::symlink("../sentinel", out.join("preout")).unwrap();
    let store = tempfile::tempdir().unwrap();
    layout(store.path(), layers, &parent);

    let beside_before: Vec<_> = snapshot(&parent).into_iter().filter(|(p, _)| !p.starts_with("out")).collect();
    let sentinel_inodes = inodes(&parent.join("sentinel"));
    let before = snapshot(&out);
    let target = Layout::open(store.path()).unwrap();
    let opts = PullOptions { output: out.clone(), concurrency: 2, progress: Default::default() };
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let result = rt.block_on(pull(&target, &target.repo_name(), "v1", &opts));
    let after = snapshot(&out);

    let beside_after: Vec<_> = snapshot(&parent).into_iter().filter(|(p, _)| !p.starts_with("out")).collect();
    assert_eq!(beside_after, beside_before, "something was written beside the output directory: {result:?}");
    assert!(after.iter().all(|(p, _)| !p.starts_with(".refscope-pull-")), "the staging directory was left: {after:?}");
    for (rel, kind) in &after {
        let path = out.join(rel);
        if kind.starts_with("link") {
            let at = lands_at(&path);
            let pre_existing = before.iter().any(|(p, k)| p == rel && k == kind);
            assert!(pre_existing || at.starts_with(&out), "{rel} ({kind}) leads to {}, outside {}: {result:?}", at.display(), out.display());
        } else {
            let canonical = std::fs::canonicalize(&path).unwrap();
            assert!(canonical.starts_with(&out), "{rel} is at {}", canonical.display());
            if kind.starts_with("file") {
                let m = std::fs::symlink_metadata(&path).unwrap();
                assert!(!sentinel_inodes.contains(&(m.dev(), m.ino())), "{rel} is a hard link to a file outside");
            }
        }
    }
    check(&out, &parent, &Outcome { ok: result.is_ok(), before, after });
}

proptest! {
    #[test]
    fn hostile_artifacts_write_nothing_outside(layers in proptest::collection::vec(layer(), 1..4)) {
        pull_into_arena(&layers, |_, _, o| {
            if !o.ok {
                assert_eq!(&o.after, &o.before, "a refused pull left the directory changed");
            }
        });
    }

    #[test]
    fn ordinary_artifacts_arrive_whole(
        files in proptest::collection::btree_set("[a-c]{1,2}(/[a-c]{1,2}){0,2}\\.txt", 1..4),
        dir_files in proptest::collection::btree_set("[a-c]{1,2}(/[a-c]{1,2}){0,2}\\.md", 0..4),
    ) {
        let mut entries = vec![Entry::Dir("tree/".into())];
        for f in &dir_files {
            entries.push(Entry::File(format!("tree/{f}"), b"content".to_vec()));
            let name = f.rsplit('/').next().unwrap();
            entries.push(Entry::Symlink(format!("tree/{f}.link"), name.to_string()));
        }
        let files: Vec<&String> = files.iter().collect();
        let mut layers: Vec<GenLayer> = files.iter().map(|f| GenLayer::File((*f).clone())).collect();
        layers.push(GenLayer::Dir("tree".into(), entries));
        pull_into_arena(&layers, |out, _, o| {
            assert!(o.ok, "an ordinary artifact was refused: {layers:?}");
            assert!(o.before.iter().all(|b| o.after.contains(b)), "what was there before is still there");
            for (i, f) in files.iter().enumerate() {
                assert_eq!(std::fs::read(out.join(f)).unwrap(), format!("file {i}").into_bytes());
            }
            for f in &dir_files {
                assert_eq!(std::fs::read(out.join("tree").join(f)).unwrap(), b"content");
                assert_eq!(std::fs::read(out.join("tree").join(format!("{f}.link"))).unwrap(), b"content");
            }
        });
    }
}
