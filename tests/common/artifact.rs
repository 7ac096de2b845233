//! Hostile artifacts for pull tests: tar archives built entry by entry without the tar crate's
//! name checks, artifacts of arbitrary file and directory layers, gzip bombs, and snapshots of
//! a directory tree that see links as links.

use std::io::Write;
use std::path::Path;

use refscope::oci::Digest;
use serde_json::json;

use super::Seeder;
use super::seed::{EMPTY_CONFIG, MANIFEST};

pub const TAR_GZIP: &str = "application/vnd.oci.image.layer.v1.tar+gzip";

/// One tar entry, with its name and link target written as raw bytes.
#[derive(Clone, Debug)]
pub enum Entry {
    Dir(String),
    File(String, Vec<u8>),
    /// A regular file with an explicit mode.
    FileMode(String, Vec<u8>, u32),
    Symlink(String, String),
    Hardlink(String, String),
    Fifo(String),
    CharDevice(String),
}

pub fn dir(n: &str) -> Entry {
    Entry::Dir(n.into())
}
pub fn file(n: &str, c: &[u8]) -> Entry {
    Entry::File(n.into(), c.to_vec())
}
pub fn symlink(n: &str, t: &str) -> Entry {
    Entry::Symlink(n.into(), t.into())
}
pub fn hardlink(n: &str, t: &str) -> Entry {
    Entry::Hardlink(n.into(), t.into())
}

/// The uncompressed tar of `entries`. Names over 100 bytes get a GNU long-name entry.
pub fn tar(entries: &[Entry]) -> Vec<u8> {
    let mut out = Vec::new();
    for e in entries {
        let (name, kind, data, link, mode): (&str, tar::EntryType, &[u8], &str, u32) = match e {
            Entry::Dir(n) => (n, tar::EntryType::Directory, b"", "", 0o755),
            Entry::File(n, c) => (n, tar::EntryType::Regular, c, "", 0o644),
            Entry::FileMode(n, c, m) => (n, tar::EntryType::Regular, c, "", *m),
            Entry::Symlink(n, t) => (n, tar::EntryType::Symlink, b"", t, 0o777),
            Entry::Hardlink(n, t) => (n, tar::EntryType::Link, b"", t, 0o644),
            Entry::Fifo(n) => (n, tar::EntryType::Fifo, b"", "", 0o644),
            Entry::CharDevice(n) => (n, tar::EntryType::Char, b"", "", 0o644),
        };
        if name.len() > 100 {
            out.extend(long_name_entry(name.as_bytes()));
        }
        let mut h = tar::Header::new_gnu();
        h.set_entry_type(kind);
        h.set_size(data.len() as u64);
        h.set_mode(mode);
        h.set_mtime(1_700_000_000);
        let old = h.as_old_mut();
        let n = name.len().min(100);
        old.name[..n].copy_from_slice(&name.as_bytes()[..n]);
        old.linkname[..link.len()].copy_from_slice(link.as_bytes());
        h.set_cksum();
        out.extend_from_slice(h.as_bytes());
        out.extend_from_slice(data);
        pad(&mut out);
    }
    out.extend_from_slice(&[0u8; 1024]);
    out
}

/// A GNU `L` entry carrying a long name for the entry after it.
pub fn long_name_entry(name: &[u8]) -> Vec<u8> {
    let mut out = long_name_header(name.len() as u64 + 1);
    out.extend_from_slice(name);
    out.push(0);
    pad(&mut out);
    out
}

/// Just the header of a GNU `L` entry claiming `size` bytes of name.
pub fn long_name_header(size: u64) -> Vec<u8> {
    let mut h = tar::Header::new_gnu();
    h.set_entry_type(tar::EntryType::GNULongName);
    h.set_size(size);
    h.as_old_mut().name[..13].copy_from_slice(b"././@LongLink");
    h.set_cksum();
    h.as_bytes().to_vec()
}

fn pad(out: &mut Vec<u8>) {
    let rem = out.len() % 512;
    if rem != 0 {
        out.resize(out.len() + 512 - rem, 0);
    }
}

pub fn tar_gz(entries: &[Entry]) -> Vec<u8> {
    super::seed::gzip(&tar(entries))
}

/// A valid gzip stream of `head`, then `chunk` repeated `times` times, then `tail`, built
/// without compressing the repeats one by one: the chunk is deflated once and its compressed
/// bytes copied `times` times.
pub fn repeated_gzip(head: &[u8], chunk: &[u8], times: u64, tail: &[u8]) -> Vec<u8> {
    fn deflate(data: &[u8], finish: bool) -> Vec<u8> {
        // A fresh encoder per piece: its back references stay inside the piece. A sync flush
        // ends it on a byte boundary without a final block.
        let mut e = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::best());
        e.write_all(data).unwrap();
        if finish {
            e.finish().unwrap()
        } else {
            e.flush().unwrap();
            e.get_ref().clone()
        }
    }
    let mut crc = crc32fast::Hasher::new();
    crc.update(head);
    let mut chunk_crc = crc32fast::Hasher::new();
    chunk_crc.update(chunk);
    // Combining by doubling keeps this fast for billions of bytes.
    let mut repeat = crc32fast::Hasher::new();
    let mut power = chunk_crc.clone();
    let mut n = times;
    while n > 0 {
        if n & 1 == 1 {
            repeat.combine(&power);
        }
        let p = power.clone();
        power.combine(&p);
        n >>= 1;
    }
    crc.combine(&repeat);
    crc.update(tail);
    let total = head.len() as u64 + chunk.len() as u64 * times + tail.len() as u64;

    let mut out = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff];
    out.extend(deflate(head, false));
    let piece = deflate(chunk, false);
    for _ in 0..times {
        out.extend_from_slice(&piece);
    }
    out.extend(deflate(tail, true));
    out.extend_from_slice(&crc.finalize().to_le_bytes());
    out.extend_from_slice(&(total as u32).to_le_bytes());
    out
}

/// A tar+gzip layer holding one file `name` of `size` zero bytes, as a few kilobytes.
pub fn zero_file_bomb(name: &str, size: u64) -> Vec<u8> {
    const CHUNK: usize = 1 << 20;
    let mut h = tar::Header::new_gnu();
    h.set_entry_type(tar::EntryType::Regular);
    h.set_size(size);
    h.set_mode(0o644);
    h.as_old_mut().name[..name.len()].copy_from_slice(name.as_bytes());
    h.set_cksum();
    let times = size / CHUNK as u64;
    let rest = (size % CHUNK as u64) as usize;
    let mut tail = vec![0u8; rest];
    let rem = (size % 512) as usize;
    if rem != 0 {
        tail.resize(tail.len() + 512 - rem, 0);
    }
    tail.extend_from_slice(&[0u8; 1024]);
    repeated_gzip(h.as_bytes(), &vec![0u8; CHUNK], times, &tail)
}

/// A layer of an artifact pushed by [`push_artifact`].
pub enum Layer {
    /// A file layer: title, content.
    File(String, Vec<u8>),
    /// A directory layer: title, tar+gzip bytes; marked for unpacking.
    Dir(String, Vec<u8>),
}

pub fn file_layer(title: &str, content: &[u8]) -> Layer {
    Layer::File(title.into(), content.to_vec())
}
pub fn dir_layer(title: &str, entries: &[Entry]) -> Layer {
    Layer::Dir(title.into(), tar_gz(entries))
}

/// Pushes an artifact of `layers`, in order, to `repo:tag` by raw HTTP.
pub async fn push_artifact(s: &Seeder, repo: &str, tag: &str, layers: &[Layer]) {
    let config = s.ensure_blob(repo, EMPTY_CONFIG, b"{}").await;
    let mut descs = Vec::new();
    for l in layers {
        let (title, bytes, mt, unpack) = match l {
            Layer::File(t, b) => (t, b, "text/plain", false),
            Layer::Dir(t, b) => (t, b, TAR_GZIP, true),
        };
        let d = s.ensure_blob(repo, mt, bytes).await;
        let mut ann = json!({"org.opencontainers.image.title": title});
        if unpack {
            ann["io.deis.oras.content.unpack"] = json!("true");
        }
        descs.push(json!({"mediaType": mt, "digest": d.digest.to_string(), "size": d.size, "annotations": ann}));
    }
    let m = json!({"schemaVersion": 2, "mediaType": MANIFEST, "artifactType": "hostile/example",
        "config": {"mediaType": EMPTY_CONFIG, "digest": config.digest.to_string(), "size": 2},
        "layers": descs});
    s.manifest(repo, tag, MANIFEST, &serde_json::to_vec(&m).unwrap()).await;
}

/// What is under `root`, links not followed: (relative path, what it is), sorted. Files show
/// their content and permission bits, links their target.
pub fn snapshot(root: &Path) -> Vec<(String, String)> {
    use std::os::unix::fs::PermissionsExt;
    let mut out = Vec::new();
    fn walk(root: &Path, dir: &Path, out: &mut Vec<(String, String)>) {
        let mut entries: Vec<_> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
        entries.sort();
        for p in entries {
            let rel = p.strip_prefix(root).unwrap().display().to_string();
            let m = std::fs::symlink_metadata(&p).unwrap();
            let mode = m.permissions().mode() & 0o7777;
            if m.file_type().is_symlink() {
                out.push((rel, format!("link -> {}", std::fs::read_link(&p).unwrap().display())));
            } else if m.is_dir() {
                out.push((rel, format!("dir {mode:o}")));
                walk(root, &p, out);
            } else if m.is_file() {
                out.push((rel, format!("file {mode:o} {:?}", String::from_utf8_lossy(&std::fs::read(&p).unwrap()))));
            } else {
                out.push((rel, "other".into()));
            }
        }
    }
    if root.exists() {
        walk(root, root, &mut out);
    }
    out
}

/// A parent directory holding the pull's output `out` and a `sentinel` directory next to it,
/// to see whether anything lands beside the output.
pub struct Arena {
    pub parent: tempfile::TempDir,
    beside: Vec<(String, String)>,
}

impl Arena {
    pub fn new() -> Arena {
        let parent = tempfile::tempdir().unwrap();
        std::fs::create_dir(parent.path().join("sentinel")).unwrap();
        std::fs::write(parent.path().join("sentinel/keep.txt"), "keep").unwrap();
        let beside = snapshot(parent.path());
        Arena { parent, beside }
    }

    pub fn out(&self) -> std::path::PathBuf {
        self.parent.path().join("out")
    }

    pub fn out_str(&self) -> String {
        self.out().to_str().unwrap().to_string()
    }

    /// Everything outside `out`: must stay the sentinel alone.
    pub fn outside(&self) -> Vec<(String, String)> {
        snapshot(self.parent.path()).into_iter().filter(|(p, _)| p != "out" && !p.starts_with("out/")).collect()
    }

    pub fn assert_nothing_outside(&self, case: &str) {
        assert_eq!(self.outside(), self.beside, "{case}: something was written beside the output directory");
    }
}

impl Default for Arena {
    fn default() -> Self {
        Arena::new()
    }
}

/// The sha256 of the uncompressed content of a gzip stream.
pub fn gunzip_digest(gz: &[u8]) -> Digest {
    let mut raw = Vec::new();
    std::io::copy(&mut flate2::read::GzDecoder::new(gz), &mut raw).unwrap();
    Digest::sha256_of(&raw)
}

/// Writes bytes to a fresh file.
pub fn write_file(path: &Path, bytes: &[u8]) {
    std::fs::File::create(path).unwrap().write_all(bytes).unwrap();
}
