//! Turning files and directories into layers the way ORAS does: a file is one layer titled
//! with its name; a directory is one tar+gzip layer whose entries start with the directory's
//! name, annotated for unpacking. Packing is deterministic: entries sorted, owners zeroed,
//! times set to the artifact's creation time, gzip without a timestamp.

use std::collections::HashSet;
use std::io::{Read, Write};
use std::path::{Component, Path, PathBuf};

use flate2::Compression;
use flate2::write::GzEncoder;

use crate::error::{Error, Result};
use crate::oci::media_types::{self, annotations};
use crate::oci::{Annotations, Descriptor, Digest, Hasher};

/// A file argument: `PATH[:MEDIATYPE]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileInput {
    pub path: PathBuf,
    pub media_type: Option<String>,
}

impl FileInput {
    /// Parses `PATH[:MEDIATYPE]`; a path that exists as written is taken whole.
    pub fn parse(arg: &str) -> FileInput {
        if !Path::new(arg).exists()
            && let Some((p, mt)) = arg.rsplit_once(':')
            && !p.is_empty()
            && !mt.is_empty()
        {
            return FileInput {
                path: p.into(),
                media_type: Some(mt.to_string()),
            };
        }
        FileInput {
            path: arg.into(),
            media_type: None,
        }
    }
}

/// Where a layer's bytes are.
#[derive(Debug)]
pub enum LayerData {
    File(PathBuf),
    /// A packed directory in a temporary file, removed when dropped.
    Packed(tempfile::TempPath),
    Bytes(bytes::Bytes),
}

#[derive(Debug)]
pub struct Layer {
    pub descriptor: Descriptor,
    pub data: LayerData,
}

/// The title ORAS gives a path: the cleaned relative path, or the file name for other paths.
pub fn title_for(path: &Path) -> Result<String> {
    let relative_and_clean = path.is_relative() && !path.components().any(|c| matches!(c, Component::ParentDir));
    let title = if relative_and_clean {
        path.components()
            .filter_map(|c| match c {
                Component::Normal(s) => Some(s.to_string_lossy().into_owned()),
                _ => None,
            })
            .collect::<Vec<_>>()
            .join("/")
    } else {
        path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default()
    };
    if title.is_empty() {
        return Err(Error::usage(format!("`{}` names no file", path.display())));
    }
    Ok(title)
}

/// Builds the layers for `inputs`. `mtime` (seconds) stamps every entry of packed directories.
/// `extra` holds per-title annotations (from `--annotation-file`).
pub fn pack(inputs: &[FileInput], mtime: u64, extra: &std::collections::BTreeMap<String, Annotations>) -> Result<Vec<Layer>> {
    let mut titles = HashSet::new();
    let mut layers = Vec::new();
    for input in inputs {
        let meta = std::fs::metadata(&input.path).map_err(|e| {
            Error::usage(format!("cannot read `{}`: {e}", input.path.display()))
        })?;
        let title = title_for(&input.path)?;
        if !titles.insert(title.clone()) {
            return Err(Error::usage(format!("two inputs would both be titled `{title}`; rename one")));
        }
        let mut layer = if meta.is_dir() {
            pack_directory(&input.path, &title, mtime, input.media_type.as_deref())?
        } else {
            let (digest, size) = hash_file(&input.path)?;
            let mt = input.media_type.clone().unwrap_or_else(|| media_types::DEFAULT_FILE.to_string());
            let mut d = Descriptor::new(mt, digest, size);
            d.annotations = Some([(annotations::TITLE.to_string(), title.clone())].into());
            Layer {
                descriptor: d,
                data: LayerData::File(input.path.clone()),
            }
        };
        if let Some(more) = extra.get(&title) {
            layer.descriptor.annotations.get_or_insert_with(Default::default).extend(more.clone());
        }
        layers.push(layer);
    }
    Ok(layers)
}

pub fn hash_file(path: &Path) -> Result<(Digest, u64)> {
    let mut f = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let mut h = Hasher::new(crate::oci::Algorithm::Sha256);
    let mut buf = vec![0u8; 256 * 1024];
    let mut size = 0u64;
    loop {
        let n = f.read(&mut buf).map_err(|e| Error::io(path, e))?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
        size += n as u64;
    }
    Ok((h.finish(), size))
}

/// Writes through to `inner` while hashing and counting.
struct HashingWriter<W> {
    inner: W,
    hasher: Hasher,
    size: u64,
}

impl<W: Write> Write for HashingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.size += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

fn pack_directory(dir: &Path, title: &str, mtime: u64, media_type: Option<&str>) -> Result<Layer> {
    let tmp = tempfile::NamedTempFile::new().map_err(|e| Error::io(std::env::temp_dir(), e))?;
    let (file, tmp_path) = tmp.into_parts();
    let gz_out = HashingWriter {
        inner: std::io::BufWriter::new(file),
        hasher: Hasher::new(crate::oci::Algorithm::Sha256),
        size: 0,
    };
    let gz = flate2::GzBuilder::new().mtime(0).write(gz_out, Compression::default());
    let tar_out = HashingWriter {
        inner: gz,
        hasher: Hasher::new(crate::oci::Algorithm::Sha256),
        size: 0,
    };
    let mut builder = tar::Builder::new(tar_out);
    builder.follow_symlinks(false);
    append_dir(&mut builder, dir, Path::new(title), mtime)?;
    let tar_out = builder.into_inner().map_err(|e| Error::io(dir, e))?;
    let tar_digest = tar_out.hasher.finish();
    let gz: GzEncoder<_> = tar_out.inner;
    let mut gz_out = gz.finish().map_err(|e| Error::io(dir, e))?;
    gz_out.flush().map_err(|e| Error::io(dir, e))?;
    let mut d = Descriptor::new(
        media_type.unwrap_or(media_types::OCI_LAYER_TAR_GZIP),
        gz_out.hasher.finish(),
        gz_out.size,
    );
    d.annotations = Some(
        [
            (annotations::TITLE.to_string(), title.to_string()),
            (annotations::ORAS_UNPACK.to_string(), "true".to_string()),
            (annotations::ORAS_CONTENT_DIGEST.to_string(), tar_digest.to_string()),
        ]
        .into(),
    );
    Ok(Layer {
        descriptor: d,
        data: LayerData::Packed(tmp_path),
    })
}

fn header_for(kind: tar::EntryType, mode: u32, size: u64, mtime: u64) -> tar::Header {
    let mut h = tar::Header::new_ustar();
    h.set_entry_type(kind);
    h.set_mode(mode);
    h.set_size(size);
    h.set_mtime(mtime);
    h.set_uid(0);
    h.set_gid(0);
    h
}

fn append_dir<W: Write>(b: &mut tar::Builder<W>, dir: &Path, name: &Path, mtime: u64) -> Result<()> {
    let io = |p: &Path, e: std::io::Error| Error::io(p, e);
    let mut h = header_for(tar::EntryType::Directory, 0o755, 0, mtime);
    b.append_data(&mut h, name, std::io::empty()).map_err(|e| io(dir, e))?;
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .map_err(|e| io(dir, e))?
        .collect::<std::io::Result<Vec<_>>>()
        .map_err(|e| io(dir, e))?;
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let path = entry.path();
        let entry_name = name.join(entry.file_name());
        let meta = std::fs::symlink_metadata(&path).map_err(|e| io(&path, e))?;
        let mode = permissions(&meta);
        if meta.file_type().is_symlink() {
            let target = std::fs::read_link(&path).map_err(|e| io(&path, e))?;
            let mut h = header_for(tar::EntryType::Symlink, 0o777, 0, mtime);
            b.append_link(&mut h, &entry_name, &target).map_err(|e| io(&path, e))?;
        } else if meta.is_dir() {
            append_dir(b, &path, &entry_name, mtime)?;
        } else if meta.is_file() {
            let f = std::fs::File::open(&path).map_err(|e| io(&path, e))?;
            let mut h = header_for(tar::EntryType::Regular, mode, meta.len(), mtime);
            b.append_data(&mut h, &entry_name, f).map_err(|e| io(&path, e))?;
        } else {
            tracing::warn!("skipping {}: not a file, directory or link", path.display());
        }
    }
    Ok(())
}

#[cfg(unix)]
fn permissions(meta: &std::fs::Metadata) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    if meta.permissions().mode() & 0o111 != 0 { 0o755 } else { 0o644 }
}

#[cfg(not(unix))]
fn permissions(_meta: &std::fs::Metadata) -> u32 {
    0o644
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_arguments() {
        assert_eq!(
            FileInput::parse("./no-such-file.json:application/json"),
            FileInput {
                path: "./no-such-file.json".into(),
                media_type: Some("application/json".into())
            }
        );
        assert_eq!(FileInput::parse("plain").media_type, None);
    }

    #[test]
    fn titles() {
        assert_eq!(title_for(Path::new("./readme.md")).unwrap(), "readme.md");
        assert_eq!(title_for(Path::new("docs/a.txt")).unwrap(), "docs/a.txt");
        assert_eq!(title_for(Path::new("/tmp/x/sbom.json")).unwrap(), "sbom.json");
        assert_eq!(title_for(Path::new("../up/f")).unwrap(), "f");
    }

    #[test]
    fn directories_pack_deterministically() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().join("details");
        std::fs::create_dir_all(d.join("sub")).unwrap();
        std::fs::write(d.join("a.txt"), "a").unwrap();
        std::fs::write(d.join("sub/b.txt"), "b").unwrap();
        let one = pack_directory(&d, "details", 1_700_000_000, None).unwrap();
        let two = pack_directory(&d, "details", 1_700_000_000, None).unwrap();
        assert_eq!(one.descriptor, two.descriptor);
        assert_eq!(one.descriptor.annotation(annotations::ORAS_UNPACK), Some("true"));
        let LayerData::Packed(p) = &one.data else { panic!("not packed") };
        let mut names = Vec::new();
        let mut ar = tar::Archive::new(flate2::read::GzDecoder::new(std::fs::File::open(p).unwrap()));
        for e in ar.entries().unwrap() {
            names.push(e.unwrap().path().unwrap().display().to_string());
        }
        assert_eq!(names, ["details", "details/a.txt", "details/sub", "details/sub/b.txt"]);
    }
}
