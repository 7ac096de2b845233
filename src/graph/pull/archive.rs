//! Reading a directory layer (tar+gzip) within bounds: the bytes it unpacks to and its entries
//! are counted as they stream, across all the directory layers of one pull, and the tar header
//! extensions before an entry (GNU long names, PAX records) may not exceed 1 MiB, since the
//! tar reader holds those in memory.

use std::cell::RefCell;
use std::io::Read;
use std::path::Path;
use std::rc::Rc;

use flate2::read::MultiGzDecoder;

use super::plan::Op;
use crate::error::{Error, Result};
use crate::graph::safe_path::safe_relative;
use crate::oci::media_types::annotations::ORAS_CONTENT_DIGEST;
use crate::oci::{Descriptor, Digest, Hasher};
use crate::text::sanitize;

/// Bounds on what the directory layers of one pull unpack to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UnpackLimits {
    /// Uncompressed bytes, all directory layers together.
    pub max_bytes: u64,
    /// Tar entries, all directory layers together.
    pub max_entries: u64,
}

impl Default for UnpackLimits {
    /// 8 GiB and a million entries: far beyond the documents, charts, configurations and
    /// small data sets that ORAS directories hold (big payloads such as model weights are
    /// pushed as file layers, which are not unpacked), while a gzip bomb reaches 8 GiB from
    /// about 8 MB.
    fn default() -> Self {
        UnpackLimits {
            max_bytes: 8 << 30,
            max_entries: 1_000_000,
        }
    }
}

/// Header extension bytes one entry may bring (long names are at most 4096 bytes anyway).
const MAX_HEADER_EXTENSION: u64 = 1 << 20;

/// Uncompressed bytes read ahead of the tar reader.
const READ_AHEAD: u64 = 256 * 1024;

/// What is left of a pull's limits while its directory layers are read.
pub struct Budget {
    limits: UnpackLimits,
    bytes: u64,
    entries: u64,
}

impl Budget {
    pub fn new(limits: UnpackLimits) -> Budget {
        Budget {
            limits,
            bytes: 0,
            entries: 0,
        }
    }
}

#[derive(Clone, Copy)]
enum Tripped {
    Bytes,
    Header,
}

struct Meter {
    read: u64,
    limit: u64,
    /// Bytes read while the tar reader looks for the next entry, when it does.
    in_header: Option<u64>,
    tripped: Option<Tripped>,
}

/// Counts the uncompressed bytes and stops the stream at a limit.
struct Metered<R> {
    inner: R,
    meter: Rc<RefCell<Meter>>,
}

impl<R: Read> Read for Metered<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.meter.borrow().tripped.is_some() {
            return Err(std::io::Error::other("unpack limit reached"));
        }
        let n = self.inner.read(buf)?;
        let mut m = self.meter.borrow_mut();
        m.read = m.read.saturating_add(n as u64);
        if m.read > m.limit {
            m.tripped = Some(Tripped::Bytes);
        }
        if let Some(h) = m.in_header.as_mut() {
            *h = h.saturating_add(n as u64);
            // The extension, plus a few headers and padding around it, plus what is read ahead.
            if *h > MAX_HEADER_EXTENSION + READ_AHEAD + 8 * 512 {
                m.tripped = Some(Tripped::Header);
            }
        }
        if m.tripped.is_some() {
            return Err(std::io::Error::other("unpack limit reached"));
        }
        Ok(n)
    }
}

/// Hashes what is read through it, when asked to.
struct Hashing<R> {
    inner: R,
    hasher: Option<Hasher>,
}

impl<R: Read> Read for Hashing<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        if let Some(h) = self.hasher.as_mut() {
            h.update(&buf[..n]);
        }
        Ok(n)
    }
}

/// Reads `r` to its end, in large pieces (the default 8 KiB ones make a bomb slow to refuse).
fn drain(r: &mut dyn Read, buf: &mut [u8]) -> std::io::Result<()> {
    loop {
        match r.read(buf) {
            Ok(0) => return Ok(()),
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
}

pub fn show_size(bytes: u64) -> String {
    for (unit, shift) in [("TiB", 40), ("GiB", 30), ("MiB", 20), ("KiB", 10)] {
        if bytes >= 1 << shift && bytes.is_multiple_of(1 << shift) {
            return format!("{} {unit}", bytes >> shift);
        }
    }
    format!("{bytes} bytes")
}

fn refuse(path: &str, reason: impl Into<String>) -> Error {
    Error::UnsafePath {
        path: sanitize(path),
        reason: reason.into(),
    }
}

/// Receives one entry: its path, what it writes, its permission bits, its data.
pub type OnEntry<'a> = dyn FnMut(&Path, &Op, u32, &mut dyn Read) -> Result<()> + 'a;

/// Reads every entry of the directory layer in `file`, in order, and hands each one (its
/// normalized path, what it asks to write, its permission bits, its data) to `each`. Entries
/// must lie inside the layer's directory `title`; the archive's own root (`./`) and PAX
/// global headers are passed over. Checks the uncompressed digest when the layer names one.
pub fn read_entries(
    file: std::fs::File,
    layer: &Descriptor,
    title: &Path,
    budget: &mut Budget,
    each: &mut OnEntry<'_>,
) -> Result<()> {
    let shown_title = title.display().to_string();
    let bad = |why: &dyn std::fmt::Display| refuse(&shown_title, format!("the directory archive is unusable: {why}"));
    let wanted: Option<Digest> = layer.annotation(ORAS_CONTENT_DIGEST).map(str::parse).transpose()?;
    let meter = Rc::new(RefCell::new(Meter {
        read: 0,
        limit: budget.limits.max_bytes.saturating_sub(budget.bytes),
        in_header: None,
        tripped: None,
    }));
    // Buffered after decompression too, so that the tar reader's many small reads are cheap.
    let mut reader = std::io::BufReader::with_capacity(
        READ_AHEAD as usize,
        Hashing {
            inner: Metered {
                inner: MultiGzDecoder::new(std::io::BufReader::with_capacity(READ_AHEAD as usize, file)),
                meter: meter.clone(),
            },
            hasher: wanted.as_ref().map(Digest::hasher),
        },
    );
    let tripped = |budget: &Budget| -> Option<Error> {
        let reason = match meter.borrow().tripped? {
            Tripped::Bytes => format!(
                "the directory archive unpacks to more than {}; if you trust it, raise --max-unpacked-bytes",
                show_size(budget.limits.max_bytes)
            ),
            Tripped::Header => format!("a tar header extension (long name or PAX record) over {}", show_size(MAX_HEADER_EXTENSION)),
        };
        Some(refuse(&shown_title, reason))
    };
    let mut buf = vec![0u8; 256 * 1024];
    {
        let mut archive = tar::Archive::new(&mut reader);
        let mut entries = archive.entries().map_err(|e| bad(&e))?;
        loop {
            meter.borrow_mut().in_header = Some(0);
            let next = entries.next();
            meter.borrow_mut().in_header = None;
            let mut entry = match next {
                None => break,
                Some(Ok(entry)) => entry,
                Some(Err(e)) => return Err(tripped(budget).unwrap_or_else(|| bad(&e))),
            };
            budget.entries += 1;
            if budget.entries > budget.limits.max_entries {
                return Err(refuse(
                    &shown_title,
                    format!(
                        "the directory archive has more than {} entries; if you trust it, raise --max-unpacked-entries",
                        budget.limits.max_entries
                    ),
                ));
            }
            let raw = entry.path_bytes().into_owned();
            let name = std::str::from_utf8(&raw).map_err(|_| bad(&"an entry name is not UTF-8"))?.to_string();
            let kind = entry.header().entry_type();
            let root = Path::new(&name).components().all(|c| c == std::path::Component::CurDir);
            let op = match kind {
                tar::EntryType::XGlobalHeader => None,
                tar::EntryType::Directory if root => None,
                tar::EntryType::Directory => Some(Op::Dir),
                tar::EntryType::Regular | tar::EntryType::Continuous => Some(Op::File),
                tar::EntryType::Symlink | tar::EntryType::Link => {
                    let target = entry
                        .link_name_bytes()
                        .ok_or_else(|| bad(&"a link without a target"))?
                        .into_owned();
                    let target = String::from_utf8(target).map_err(|_| bad(&"a link target is not UTF-8"))?;
                    if kind == tar::EntryType::Symlink {
                        if target.is_empty() || target.chars().any(char::is_control) {
                            return Err(refuse(&name, "its link target is empty or has control characters"));
                        }
                        Some(Op::Symlink(target))
                    } else {
                        Some(Op::HardLink(safe_relative(&target)?))
                    }
                }
                other => return Err(refuse(&name, format!("entries of type {other:?} are not extracted"))),
            };
            if let Some(op) = op {
                let path = safe_relative(&name)?;
                if !path.starts_with(title) {
                    return Err(refuse(&name, format!("it is not inside the layer's directory `{}`", sanitize(&shown_title))));
                }
                let mode = entry.header().mode().unwrap_or(0o644) & 0o777;
                each(&path, &op, mode, &mut entry).map_err(|e| tripped(budget).unwrap_or(e))?;
            }
            // What `each` left unread is read here, so that the next header's bytes are
            // counted on their own.
            drain(&mut entry, &mut buf).map_err(|e| tripped(budget).unwrap_or_else(|| bad(&e)))?;
        }
    }
    if let Some(wanted) = wanted {
        drain(&mut reader, &mut buf).map_err(|e| tripped(budget).unwrap_or_else(|| bad(&e)))?;
        let actual = reader.get_mut().hasher.take().map(Hasher::finish);
        if let Some(actual) = actual.filter(|a| *a != wanted) {
            return Err(Error::DigestMismatch {
                what: format!("unpacked content of {}", sanitize(&shown_title)),
                expected: wanted,
                actual,
            });
        }
    }
    budget.bytes = budget.bytes.saturating_add(meter.borrow().read);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_plainly() {
        assert_eq!(show_size(8 << 30), "8 GiB");
        assert_eq!(show_size(1 << 20), "1 MiB");
        assert_eq!(show_size(1000), "1000 bytes");
        assert_eq!(show_size((1 << 20) + 1), "1048577 bytes");
    }
}
