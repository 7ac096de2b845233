//! Tar layer listings, like `tar tzv`: mode, owner, size, time, name and link target.
//!
//! The [`Lister`] is fed the layer's bytes as they arrive (gzip is undone on the way) and
//! never holds more than one header and the entries it keeps, so a listing starts showing
//! before the download ends and a layer of any size costs the same memory. Nothing is ever
//! written to disk. Header fields are decoded by the `tar` crate; the walk over blocks is ours
//! because the crate reads GNU long names and PAX headers whole into memory, however large
//! an archive claims them to be, and only reads from a pull-style reader.

use std::io::Write;

use serde::Serialize;

use super::{Limits, Unreadable};

const BLOCK: usize = 512;
/// Long names, long link targets and PAX headers larger than this are refused.
const MAX_EXTENSION: u64 = 1024 * 1024;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TarEntry {
    /// `-rw-r--r--`, `drwxr-xr-x`, `lrwxrwxrwx`…
    pub mode: String,
    /// `user/group`, or `uid/gid` when the names are not recorded.
    pub owner: String,
    pub size: u64,
    pub modified: String,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub link: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct Listing {
    /// The first entries, up to the listing's bound.
    pub entries: Vec<TarEntry>,
    /// Entries seen so far (kept or not).
    pub total: u64,
    /// The archive was read to its end.
    pub complete: bool,
    /// Why the listing stopped before the end, when it did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stopped: Option<String>,
}

impl Listing {
    /// Entries seen but not kept.
    pub fn more(&self) -> u64 {
        self.total.saturating_sub(self.entries.len() as u64)
    }
}

enum Sink {
    Plain(Walker),
    Gzip(Box<flate2::write::MultiGzDecoder<Walker>>),
}

/// A tar listing fed chunk by chunk.
pub struct Lister {
    limits: Limits,
    /// The first bytes, until there are enough to tell gzip from plain tar.
    held: Vec<u8>,
    sink: Option<Sink>,
}

impl Lister {
    pub fn new(limits: &Limits) -> Lister {
        Lister {
            limits: *limits,
            held: Vec::new(),
            sink: None,
        }
    }

    /// What is known so far.
    pub fn listing(&self) -> &Listing {
        match &self.sink {
            Some(Sink::Plain(w)) => &w.listing,
            Some(Sink::Gzip(g)) => &g.get_ref().listing,
            None => &EMPTY,
        }
    }

    /// Whether more bytes would change nothing: the end was reached or a bound stopped it.
    pub fn done(&self) -> bool {
        let l = self.listing();
        l.complete || l.stopped.is_some()
    }

    pub fn feed(&mut self, chunk: &[u8]) -> Result<(), Unreadable> {
        if self.sink.is_none() {
            self.held.extend_from_slice(chunk);
            if self.held.len() < 4 {
                return Ok(());
            }
            self.open()?;
            let held = std::mem::take(&mut self.held);
            return self.write(&held);
        }
        self.write(chunk)
    }

    fn open(&mut self) -> Result<(), Unreadable> {
        let walker = Walker::new(&self.limits);
        self.sink = Some(match self.held.get(..4) {
            Some([0x1f, 0x8b, ..]) => Sink::Gzip(Box::new(flate2::write::MultiGzDecoder::new(walker))),
            Some([0x28, 0xb5, 0x2f, 0xfd]) => {
                return Err(Unreadable::new("tar archive", "zstd-compressed layers cannot be listed yet"));
            }
            _ => Sink::Plain(walker),
        });
        Ok(())
    }

    fn write(&mut self, data: &[u8]) -> Result<(), Unreadable> {
        match &mut self.sink {
            Some(Sink::Plain(w)) => w.consume(data),
            Some(Sink::Gzip(g)) => {
                if g.get_ref().stopped() {
                    return Ok(());
                }
                let r = g.write_all(data);
                gzip_result(g.get_mut(), r)
            }
            None => Ok(()),
        }
    }

    /// The listing once every byte has been fed.
    pub fn finish(mut self) -> Result<Listing, Unreadable> {
        if self.sink.is_none() {
            self.open()?;
            let held = std::mem::take(&mut self.held);
            self.write(&held)?;
        }
        match self.sink {
            Some(Sink::Plain(w)) => w.finish(),
            // Once the walk is over, the rest of the stream (gzip's trailer included) was not
            // fed, so there is nothing left to check.
            Some(Sink::Gzip(g)) if g.get_ref().stopped() => {
                let mut g = g;
                let w = std::mem::replace(g.get_mut(), Walker::new(&self.limits));
                w.finish()
            }
            Some(Sink::Gzip(mut g)) => {
                let r = g.try_finish();
                gzip_result(g.get_mut(), r)?;
                match g.finish() {
                    Ok(w) => w.finish(),
                    Err(e) => Err(Unreadable::new("gzip stream", e)),
                }
            }
            None => Ok(Listing::default()),
        }
    }
}

/// A gzip write's outcome: the walker's own error if it raised one, else gzip's.
fn gzip_result(w: &mut Walker, r: std::io::Result<()>) -> Result<(), Unreadable> {
    match (w.error.take(), r) {
        (Some(e), _) => Err(e),
        (None, Ok(())) => Ok(()),
        (None, Err(e)) => Err(Unreadable::new("gzip stream", e)),
    }
}

/// Lists a whole archive held in memory.
pub fn list_bytes(bytes: &[u8]) -> Result<Listing, Unreadable> {
    list_bytes_with(bytes, &Limits::default())
}

pub fn list_bytes_with(bytes: &[u8], limits: &Limits) -> Result<Listing, Unreadable> {
    let mut lister = Lister::new(limits);
    for chunk in bytes.chunks(64 * 1024) {
        lister.feed(chunk)?;
        if lister.done() {
            break;
        }
    }
    lister.finish()
}

static EMPTY: Listing = Listing {
    entries: Vec::new(),
    total: 0,
    complete: false,
    stopped: None,
};

#[derive(Clone, Copy, PartialEq, Eq)]
enum ExtKind {
    LongName,
    LongLink,
    Pax,
}

struct Extension {
    kind: ExtKind,
    data: Vec<u8>,
    remaining: u64,
    padding: u64,
}

#[derive(Default)]
struct Pending {
    name: Option<Vec<u8>>,
    link: Option<Vec<u8>>,
    size: Option<u64>,
}

/// The walk over 512-byte blocks of an uncompressed tar stream.
struct Walker {
    listing: Listing,
    limits: Limits,
    block: [u8; BLOCK],
    filled: usize,
    skip: u64,
    extension: Option<Extension>,
    pending: Pending,
    zero_blocks: u8,
    unpacked: u64,
    error: Option<Unreadable>,
}

fn invalid(reason: impl std::fmt::Display) -> Unreadable {
    Unreadable::new("tar archive", reason)
}

impl Walker {
    fn new(limits: &Limits) -> Walker {
        Walker {
            listing: Listing::default(),
            limits: *limits,
            block: [0; BLOCK],
            filled: 0,
            skip: 0,
            extension: None,
            pending: Pending::default(),
            zero_blocks: 0,
            unpacked: 0,
            error: None,
        }
    }

    fn stopped(&self) -> bool {
        self.listing.complete || self.listing.stopped.is_some()
    }

    fn consume(&mut self, mut data: &[u8]) -> Result<(), Unreadable> {
        if self.stopped() {
            return Ok(());
        }
        self.unpacked = self.unpacked.saturating_add(data.len() as u64);
        if self.unpacked > self.limits.max_unpacked {
            self.listing.stopped = Some(format!(
                "listing stopped after {} of uncompressed data; the rest was not read",
                crate::text::human_size(self.limits.max_unpacked)
            ));
            return Ok(());
        }
        while !data.is_empty() && !self.stopped() {
            if let Some(ext) = self.extension.as_mut() {
                let n = usize::try_from(ext.remaining).unwrap_or(usize::MAX).min(data.len());
                ext.data.extend_from_slice(&data[..n]);
                ext.remaining -= n as u64;
                data = &data[n..];
                if ext.remaining == 0 {
                    self.end_extension()?;
                }
                continue;
            }
            if self.skip > 0 {
                let n = usize::try_from(self.skip).unwrap_or(usize::MAX).min(data.len());
                self.skip -= n as u64;
                data = &data[n..];
                continue;
            }
            let n = (BLOCK - self.filled).min(data.len());
            self.block[self.filled..self.filled + n].copy_from_slice(&data[..n]);
            self.filled += n;
            data = &data[n..];
            if self.filled == BLOCK {
                self.filled = 0;
                self.header()?;
            }
        }
        Ok(())
    }

    fn header(&mut self) -> Result<(), Unreadable> {
        if self.block.iter().all(|b| *b == 0) {
            self.zero_blocks += 1;
            if self.zero_blocks >= 2 {
                self.listing.complete = true;
            }
            return Ok(());
        }
        self.zero_blocks = 0;
        let at = self.listing.total.saturating_add(1);
        let mut h = tar::Header::new_old();
        h.as_mut_bytes().copy_from_slice(&self.block);
        let stored = h.cksum().ok();
        let computed: u32 = self
            .block
            .iter()
            .enumerate()
            .map(|(i, b)| if (148..156).contains(&i) { u32::from(b' ') } else { u32::from(*b) })
            .sum();
        if stored != Some(computed) {
            return Err(invalid(format!("entry {at}: header checksum mismatch")));
        }
        let size = match self.pending.size.take() {
            Some(s) => s,
            None => h.entry_size().map_err(|_| invalid(format!("entry {at}: unreadable size")))?,
        };
        let padding = (BLOCK as u64 - size % BLOCK as u64) % BLOCK as u64;
        let kind = h.entry_type();
        let ext = if kind.is_gnu_longname() {
            Some(ExtKind::LongName)
        } else if kind.is_gnu_longlink() {
            Some(ExtKind::LongLink)
        } else if kind.is_pax_local_extensions() {
            Some(ExtKind::Pax)
        } else {
            None
        };
        if let Some(kind) = ext {
            if size > MAX_EXTENSION {
                return Err(invalid(format!("entry {at}: an extended header of {size} bytes (over 1 MiB)")));
            }
            self.extension = Some(Extension {
                kind,
                data: Vec::with_capacity(size as usize),
                remaining: size,
                padding,
            });
            if size == 0 {
                self.end_extension()?;
            }
            return Ok(());
        }
        self.skip = size
            .checked_add(padding)
            .ok_or_else(|| invalid(format!("entry {at}: size {size} is out of range")))?;
        if kind.is_pax_global_extensions() {
            return Ok(());
        }
        let pending = std::mem::take(&mut self.pending);
        self.listing.total = at;
        if self.listing.entries.len() < self.limits.max_entries {
            self.listing.entries.push(entry(&h, kind, size, pending));
        }
        if at >= self.limits.max_scan_entries {
            self.listing.stopped = Some(format!("listing stopped after {at} entries; the rest were not counted"));
        }
        Ok(())
    }

    fn end_extension(&mut self) -> Result<(), Unreadable> {
        let Some(ext) = self.extension.take() else {
            return Ok(());
        };
        self.skip = ext.padding;
        let trimmed = |mut v: Vec<u8>| {
            while v.last() == Some(&0) {
                v.pop();
            }
            v
        };
        match ext.kind {
            ExtKind::LongName => self.pending.name = Some(trimmed(ext.data)),
            ExtKind::LongLink => self.pending.link = Some(trimmed(ext.data)),
            ExtKind::Pax => self.pax(&ext.data)?,
        }
        Ok(())
    }

    /// PAX records: `LEN key=value\n`, LEN counting the whole record.
    fn pax(&mut self, mut data: &[u8]) -> Result<(), Unreadable> {
        let bad = || invalid("malformed PAX header");
        while !data.is_empty() {
            let space = data.iter().position(|b| *b == b' ').ok_or_else(bad)?;
            let len: usize = std::str::from_utf8(&data[..space]).ok().and_then(|s| s.parse().ok()).ok_or_else(bad)?;
            if len <= space + 1 || len > data.len() {
                return Err(bad());
            }
            let record = &data[space + 1..len];
            let record = record.strip_suffix(b"\n").unwrap_or(record);
            let eq = record.iter().position(|b| *b == b'=').ok_or_else(bad)?;
            let (key, value) = (&record[..eq], &record[eq + 1..]);
            match key {
                b"path" => self.pending.name = Some(value.to_vec()),
                b"linkpath" => self.pending.link = Some(value.to_vec()),
                b"size" => {
                    self.pending.size = Some(std::str::from_utf8(value).ok().and_then(|s| s.parse().ok()).ok_or_else(bad)?);
                }
                _ => {}
            }
            data = &data[len..];
        }
        Ok(())
    }

    fn finish(self) -> Result<Listing, Unreadable> {
        let mut listing = self.listing;
        if listing.complete || listing.stopped.is_some() {
            return Ok(listing);
        }
        let mid_entry = self.extension.is_some() || self.skip > 0 || self.filled > 0;
        if mid_entry && listing.total == 0 {
            return Err(invalid("too short to be a tar archive"));
        }
        if mid_entry {
            listing.stopped = Some("the archive ends in the middle of an entry".into());
        } else {
            listing.complete = true;
        }
        Ok(listing)
    }
}

impl Write for Walker {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self.consume(buf) {
            Ok(()) => Ok(buf.len()),
            Err(e) => {
                let msg = e.to_string();
                self.error = Some(e);
                Err(std::io::Error::other(msg))
            }
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn entry(h: &tar::Header, kind: tar::EntryType, size: u64, pending: Pending) -> TarEntry {
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    let name = match pending.name {
        Some(n) => text(&n),
        None => text(&h.path_bytes()),
    };
    let link = match pending.link {
        Some(l) => Some(text(&l)),
        None => h.link_name_bytes().map(|l| text(&l)),
    }
    .filter(|l| !l.is_empty());
    let owner = match (h.username_bytes(), h.groupname_bytes()) {
        (Some(u), Some(g)) if !u.is_empty() || !g.is_empty() => format!("{}/{}", text(u), text(g)),
        _ => format!("{}/{}", h.uid().unwrap_or(0), h.gid().unwrap_or(0)),
    };
    let mtime = h.mtime().ok().and_then(|t| i64::try_from(t).ok()).unwrap_or(0);
    TarEntry {
        mode: mode_text(kind, h.mode().unwrap_or(0)),
        owner,
        size,
        modified: super::cert::time_text(mtime),
        name,
        link,
    }
}

fn mode_text(kind: tar::EntryType, mode: u32) -> String {
    let t = match kind {
        tar::EntryType::Directory => 'd',
        tar::EntryType::Symlink => 'l',
        tar::EntryType::Link => 'h',
        tar::EntryType::Char => 'c',
        tar::EntryType::Block => 'b',
        tar::EntryType::Fifo => 'p',
        _ => '-',
    };
    let mut s = String::with_capacity(10);
    s.push(t);
    let bit = |m: u32, c: char| if mode & m != 0 { c } else { '-' };
    let special = |x: u32, s_bit: u32, lower: char, upper: char| match (mode & x != 0, mode & s_bit != 0) {
        (true, true) => lower,
        (false, true) => upper,
        (true, false) => 'x',
        (false, false) => '-',
    };
    s.push(bit(0o400, 'r'));
    s.push(bit(0o200, 'w'));
    s.push(special(0o100, 0o4000, 's', 'S'));
    s.push(bit(0o040, 'r'));
    s.push(bit(0o020, 'w'));
    s.push(special(0o010, 0o2000, 's', 'S'));
    s.push(bit(0o004, 'r'));
    s.push(bit(0o002, 'w'));
    s.push(special(0o001, 0o1000, 't', 'T'));
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn archive(entries: &[(&str, &[u8])], long_link: Option<&str>) -> Vec<u8> {
        let mut b = tar::Builder::new(Vec::new());
        for (name, data) in entries {
            let mut h = tar::Header::new_gnu();
            h.set_size(data.len() as u64);
            h.set_mode(0o644);
            h.set_mtime(0);
            b.append_data(&mut h, name, *data).unwrap();
        }
        if let Some(target) = long_link {
            let mut h = tar::Header::new_gnu();
            h.set_entry_type(tar::EntryType::Symlink);
            h.set_size(0);
            h.set_mode(0o777);
            b.append_link(&mut h, "link", target).unwrap();
        }
        b.into_inner().unwrap()
    }

    #[test]
    fn lists_plain_and_gzip_fed_in_any_chunks() {
        let long = "d/".repeat(120) + "file";
        let target = "t/".repeat(80);
        let tar = archive(&[("a.txt", b"hello"), (&long, b"x")], Some(&target));
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(&tar).unwrap();
        let gz = gz.finish().unwrap();
        for bytes in [&tar, &gz] {
            for chunk in [1, 7, 512, 100_000] {
                let mut l = Lister::new(&Limits::default());
                for c in bytes.chunks(chunk) {
                    l.feed(c).unwrap();
                }
                let listing = l.finish().unwrap();
                assert!(listing.complete);
                assert_eq!(listing.total, 3);
                assert_eq!(listing.entries[0].name, "a.txt");
                assert_eq!(listing.entries[0].size, 5);
                assert_eq!(listing.entries[0].mode, "-rw-r--r--");
                assert_eq!(listing.entries[1].name, long);
                assert_eq!(listing.entries[2].mode, "lrwxrwxrwx");
                assert_eq!(listing.entries[2].link.as_deref(), Some(target.as_str()));
            }
        }
    }

    #[test]
    fn bounds_and_bad_archives() {
        let tar = archive(&[("a", b"1"), ("b", b"2"), ("c", b"3")], None);
        let limits = Limits { max_entries: 1, max_scan_entries: 2, ..Limits::default() };
        let l = list_bytes_with(&tar, &limits).unwrap();
        assert_eq!((l.entries.len(), l.total, l.more()), (1, 2, 1));
        assert_eq!(l.stopped.as_deref(), Some("listing stopped after 2 entries; the rest were not counted"));
        let e = list_bytes(&[7u8; 2000]).unwrap_err();
        assert_eq!(e.to_string(), "not a valid tar archive document: entry 1: header checksum mismatch");
        assert!(list_bytes(b"ab").is_err());
        assert!(list_bytes(&[0x28, 0xb5, 0x2f, 0xfd, 0]).unwrap_err().to_string().contains("zstd"));
        let cut = list_bytes(&tar[..700]).unwrap();
        assert_eq!(cut.stopped.as_deref(), Some("the archive ends in the middle of an entry"));
        assert_eq!(mode_text(tar::EntryType::Directory, 0o4755), "drwsr-xr-x");
    }
}
