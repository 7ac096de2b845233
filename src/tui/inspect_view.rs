//! An inspection as the details pane and the viewer show it, built from what
//! [`graph::inspect`](crate::graph::inspect) fetched: the summary's lines, and for the viewer
//! each blob read, whole up to the bound. Every string is escaped here, before it can reach
//! the terminal.

use crate::graph::inspect::Inspection;
use crate::inspect::{self, Limits, Line, Summary, Tone};
use crate::oci::{Descriptor, Manifest};
use crate::text::{human_size, sanitize};

/// Hex shown per line, and lines of it, for a binary blob.
const HEX_ROW: usize = 16;
const HEX_ROWS: usize = 16;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InspectView {
    /// The summary: what the details pane shows above the manifest.
    pub summary: Vec<Line>,
    /// What the viewer shows under the summary: each blob read, JSON indented, text as it is,
    /// binaries as a hex head.
    pub body: Vec<Line>,
    /// An image's filesystem layers, which the viewer can list.
    pub layers: Vec<Descriptor>,
}

impl InspectView {
    /// The viewer's lines: the summary without the content previews it quotes (the body has
    /// the content whole), a blank line, then the body.
    pub fn viewer_lines(&self) -> Vec<&Line> {
        let summary = self.summary.iter().filter(|l| l.tone != Tone::Quote || self.body.is_empty());
        summary.chain(self.body.iter()).collect()
    }

    /// About what the view holds, in bytes: its text.
    pub fn bytes(&self) -> usize {
        let line = |l: &Line| l.label.len() + l.value.len() + size_of::<Line>();
        self.summary.iter().chain(&self.body).map(line).sum::<usize>()
    }
}

fn quote(text: &str) -> Line {
    Line { indent: 1, label: String::new(), value: sanitize(text), tone: Tone::Quote }
}

fn heading(text: String) -> Line {
    Line { indent: 0, label: sanitize(&text), value: String::new(), tone: Tone::Heading }
}

/// The view of `found`; blobs are shown up to `limits.max_blob` bytes each.
pub fn inspect_view(found: &Inspection, limits: &Limits) -> InspectView {
    let mut summary = Vec::new();
    summary.extend(found.warnings.iter().map(|w| Line { indent: 0, label: String::new(), value: sanitize(w), tone: Tone::Bad }));
    summary.extend(found.summary.lines());
    let parsed = found.manifest.parse().ok();
    let mut shown: Vec<Descriptor> = parsed.as_ref().map(|m| inspect::needed(m, limits)).unwrap_or_default();
    if let Some(Manifest::Index(i)) = &parsed {
        shown.extend(inspect::index::children(i));
    }
    let mut body = Vec::new();
    for d in &shown {
        let Some(bytes) = found.contents.get(&d.digest) else { continue };
        let name = d.title().map(str::to_string).unwrap_or_else(|| d.digest.short().to_string());
        body.push(Line { indent: 0, label: String::new(), value: String::new(), tone: Tone::Plain });
        body.push(heading(format!("{name} ({}, {})", d.media_type, human_size(d.size))));
        body.extend(content_lines(&d.media_type, bytes, limits));
    }
    let layers = match (&found.summary, &parsed) {
        (Summary::Image(_), Some(Manifest::Image(m))) => m.layers.clone(),
        _ => Vec::new(),
    };
    InspectView {
        summary,
        body,
        layers,
    }
}

/// One blob as lines: JSON indented, text, a tar archive named as such, else a hex head.
fn content_lines(media_type: &str, bytes: &[u8], limits: &Limits) -> Vec<Line> {
    let max = usize::try_from(limits.max_blob).unwrap_or(usize::MAX);
    let cut_note = |cut: bool| cut.then(|| quote(&format!("… (cut at {})", human_size(limits.max_blob))));
    if let Some((text, cut)) = inspect::json::pretty(bytes, max) {
        return text.lines().map(quote).chain(cut_note(cut)).collect();
    }
    if media_type.contains("tar") {
        return vec![quote("a tar archive: its files are listed above")];
    }
    if inspect::json::is_text(bytes) {
        let (text, cut) = inspect::json::text_head(bytes, max);
        return text.lines().map(quote).chain(cut_note(cut)).collect();
    }
    let head = &bytes[..bytes.len().min(HEX_ROW * HEX_ROWS)];
    let mut out: Vec<Line> = head
        .chunks(HEX_ROW)
        .enumerate()
        .map(|(i, row)| quote(&format!("{:08x}  {}", i * HEX_ROW, hex::encode(row))))
        .collect();
    if bytes.len() > head.len() {
        out.push(quote(&format!("… {} more", human_size((bytes.len() - head.len()) as u64))));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(lines: &[Line]) -> Vec<String> {
        lines.iter().map(|l| l.value.clone()).collect()
    }

    #[test]
    fn content_shows_json_indented_text_escaped_and_binaries_as_hex() {
        let limits = Limits::default();
        assert_eq!(text(&content_lines("application/json", br#"{"a":[1]}"#, &limits)), ["{", "  \"a\": [", "    1", "  ]", "}"]);
        let shown = text(&content_lines("text/plain", b"ok\n\x1b[2Jgone\x07\n", &limits));
        assert_eq!(shown, ["ok", "\\x1b[2Jgone\\x07"]);
        let binary: Vec<u8> = (0..=255u8).cycle().take(300).collect();
        let shown = text(&content_lines("application/octet-stream", &binary, &limits));
        assert_eq!(shown[0], "00000000  000102030405060708090a0b0c0d0e0f");
        assert_eq!(shown.len(), HEX_ROWS + 1);
        assert_eq!(shown[HEX_ROWS], "… 44 B more");
        let small = Limits { max_blob: 4, ..Limits::default() };
        assert_eq!(text(&content_lines("text/plain", b"abcdefgh", &small)), ["abcd", "… (cut at 4 B)"]);
    }
}
