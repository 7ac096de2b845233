//! Pulls of hostile artifacts, decoded from the input: file and directory layers whose titles
//! and tar entries are built from `..`, `.`, absolute names and the names of links the pull
//! itself makes or finds (chains, links to links, hard links). Each is pulled for real from an
//! OCI layout into a directory that holds a link pointing out of it, next to a sentinel
//! directory, and judged by the filesystem: nothing beside the output directory changes, and
//! every file and resolvable link written lies under it.
#![no_main]

use std::io::Write;
use std::path::{Path, PathBuf};

use libfuzzer_sys::fuzz_target;
use refscope::graph::pull::{PullOptions, pull};
use refscope::oci::Digest;
use refscope::store::layout::Layout;
use serde_json::json;

const NAMES: &[&str] = &["a", "b", "d", "x.txt", "..", ".", "sentinel", "prelink", "preout"];
const TARGETS: &[&str] = &["..", "a", "b", "d", ".", "sentinel", "prelink", "preout"];

struct Input<'a>(&'a [u8]);

impl Input<'_> {
    fn byte(&mut self) -> u8 {
        let (first, rest) = self.0.split_first().unwrap_or((&0, &[]));
        self.0 = rest;
        *first
    }

    fn path(&mut self, pieces: &[&str], most: u8, abs: &Path) -> String {
        let head = self.byte();
        let parts: Vec<&str> = (0..1 + head % most).map(|_| pieces[self.byte() as usize % pieces.len()]).collect();
        let joined = parts.join("/");
        if head >= 240 { format!("{}/{joined}", abs.display()) } else { joined }
    }
}

enum Entry {
    Dir(String),
    File(String),
    Symlink(String, String),
    Hardlink(String, String),
}

fn header(name: &str, kind: u8, link: &str, size: usize) -> Option<[u8; 512]> {
    if name.len() > 100 || link.len() > 100 {
        return None;
    }
    let mut h = [0u8; 512];
    h[..name.len()].copy_from_slice(name.as_bytes());
    h[100..108].copy_from_slice(if kind == b'5' { b"0000755\0" } else { b"0000644\0" });
    h[108..116].copy_from_slice(b"0000000\0");
    h[116..124].copy_from_slice(b"0000000\0");
    h[124..136].copy_from_slice(format!("{size:011o}\0").as_bytes());
    h[136..148].copy_from_slice(b"14000000000\0");
    h[156] = kind;
    h[157..157 + link.len()].copy_from_slice(link.as_bytes());
    h[257..263].copy_from_slice(b"ustar\0");
    h[263..265].copy_from_slice(b"00");
    h[148..156].copy_from_slice(b"        ");
    let sum: u32 = h.iter().map(|b| u32::from(*b)).sum();
    h[148..156].copy_from_slice(format!("{sum:06o}\0 ").as_bytes());
    Some(h)
}

fn tar_gz(entries: &[Entry]) -> Vec<u8> {
    let mut tar = Vec::new();
    for e in entries {
        let (name, kind, link, data): (&str, u8, &str, &[u8]) = match e {
            Entry::Dir(n) => (n, b'5', "", b""),
            Entry::File(n) => (n, b'0', "", b"content"),
            Entry::Symlink(n, t) => (n, b'2', t, b""),
            Entry::Hardlink(n, t) => (n, b'1', t, b""),
        };
        let Some(h) = header(name, kind, link, data.len()) else { continue };
        tar.extend_from_slice(&h);
        tar.extend_from_slice(data);
        tar.resize(tar.len().div_ceil(512) * 512, 0);
    }
    tar.extend_from_slice(&[0u8; 1024]);
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&tar).expect("writing to memory");
    gz.finish().expect("writing to memory")
}

/// Writes an OCI layout with one artifact of the decoded layers, tagged `v1`.
fn layout(root: &Path, input: &mut Input, abs: &Path) {
    let blobs = root.join("blobs/sha256");
    std::fs::create_dir_all(&blobs).expect("a temporary directory");
    let put = |bytes: &[u8]| {
        let d = Digest::sha256_of(bytes);
        std::fs::write(blobs.join(d.hex()), bytes).expect("a temporary directory");
        (d.to_string(), bytes.len())
    };
    let (config, _) = put(b"{}");
    let mut layers = Vec::new();
    for i in 0..1 + input.byte() % 3 {
        let shape = input.byte();
        let title = input.path(NAMES, 3, abs);
        let (bytes, media_type, unpack) = if shape % 4 == 0 {
            (format!("file {i}").into_bytes(), "text/plain", false)
        } else {
            let entries: Vec<Entry> = (0..shape / 4 % 8)
                .map(|_| {
                    let kind = input.byte();
                    let inside = |input: &mut Input| {
                        let rel = input.path(NAMES, 3, abs);
                        if input.byte() % 10 < 9 { format!("{title}/{rel}") } else { rel }
                    };
                    let name = inside(input);
                    match kind % 10 {
                        0..=1 => Entry::Dir(name),
                        2..=3 => Entry::File(name),
                        4..=8 => Entry::Symlink(name, input.path(TARGETS, 5, abs)),
                        _ => Entry::Hardlink(name, inside(input)),
                    }
                })
                .collect();
            (tar_gz(&entries), "application/vnd.oci.image.layer.v1.tar+gzip", true)
        };
        let (digest, size) = put(&bytes);
        let mut annotations = json!({"org.opencontainers.image.title": title});
        if unpack {
            annotations["io.deis.oras.content.unpack"] = json!("true");
        }
        layers.push(json!({"mediaType": media_type, "digest": digest, "size": size, "annotations": annotations}));
    }
    let manifest_type = "application/vnd.oci.image.manifest.v1+json";
    let manifest = json!({"schemaVersion": 2, "mediaType": manifest_type, "artifactType": "fuzz/example",
        "config": {"mediaType": "application/vnd.oci.empty.v1+json", "digest": config, "size": 2}, "layers": layers});
    let (digest, size) = put(&serde_json::to_vec(&manifest).expect("JSON"));
    std::fs::write(root.join("oci-layout"), r#"{"imageLayoutVersion":"1.0.0"}"#).expect("a temporary directory");
    let index = json!({"schemaVersion": 2, "manifests": [{"mediaType": manifest_type, "digest": digest, "size": size,
        "annotations": {"org.opencontainers.image.ref.name": "v1"}}]});
    std::fs::write(root.join("index.json"), index.to_string()).expect("a temporary directory");
}

/// Every path under `root` with what it is (files with their content), sorted.
fn snapshot(root: &Path) -> Vec<(PathBuf, String)> {
    let mut out = Vec::new();
    let mut todo = vec![root.to_path_buf()];
    while let Some(dir) = todo.pop() {
        let Ok(read) = std::fs::read_dir(&dir) else { continue };
        for e in read.flatten() {
            let p = e.path();
            let Ok(m) = std::fs::symlink_metadata(&p) else { continue };
            let what = if m.file_type().is_symlink() {
                format!("link {:?}", std::fs::read_link(&p).ok())
            } else if m.is_dir() {
                todo.push(p.clone());
                "dir".to_string()
            } else {
                format!("file {:?}", std::fs::read(&p).ok())
            };
            out.push((p.strip_prefix(root).expect("under root").to_path_buf(), what));
        }
    }
    out.sort();
    out
}

fuzz_target!(|data: &[u8]| {
    let arena = tempfile::tempdir().expect("a temporary directory");
    let parent = std::fs::canonicalize(arena.path()).expect("a temporary directory");
    let out = parent.join("out");
    std::fs::create_dir_all(parent.join("sentinel/d")).expect("a temporary directory");
    std::fs::write(parent.join("sentinel/x.txt"), "sentinel").expect("a temporary directory");
    std::fs::create_dir_all(out.join("predir")).expect("a temporary directory");
    std::os::unix::fs::symlink("predir", out.join("prelink")).expect("a temporary directory");
    std::os::unix::fs::symlink("../sentinel", out.join("preout")).expect("a temporary directory");
    let store = parent.join("store");
    layout(&store, &mut Input(data), &parent);
    let beside = |p: &Path| -> Vec<(PathBuf, String)> { snapshot(p).into_iter().filter(|(r, _)| !r.starts_with("out")).collect() };
    let before = beside(&parent);

    let target = Layout::open(&store).expect("the layout just written");
    let opts = PullOptions { output: out.clone(), concurrency: 2, progress: Default::default() };
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a runtime");
    let result = rt.block_on(pull(&target, &target.repo_name(), "v1", &opts));

    assert_eq!(beside(&parent), before, "something was written beside the output directory: {result:?}");
    for (rel, what) in snapshot(&out) {
        if rel == Path::new("preout") {
            continue;
        }
        if let Ok(at) = std::fs::canonicalize(out.join(&rel)) {
            assert!(at.starts_with(&out), "{} ({what}) leads to {}: {result:?}", rel.display(), at.display());
        }
    }
});
