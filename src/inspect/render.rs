//! Summaries as lines for a person: what the CLI prints and the TUI will draw. Every string
//! from the content is escaped here, so no line can carry a terminal control.

use super::artifact::{ArtifactSummary, Content, FileView, RAISE_LIMIT};
use super::helm::HelmChart;
use super::image::ImageSummary;
use super::index::IndexSummary;
use super::intoto::AttestationSummary;
use super::listing::Listing;
use super::sbom::SbomSummary;
use super::{FileRef, SignatureSummary, Signer, Summary};
use crate::text::{human_size, sanitize};

/// How a line should stand out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    Plain,
    Heading,
    /// Something that checks out (the signed digest is the subject).
    Good,
    /// Something that does not (another digest, an unreadable document).
    Bad,
    /// Text of the content itself (file contents, raw bytes).
    Quote,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    pub indent: u8,
    pub label: String,
    pub value: String,
    pub tone: Tone,
}

impl std::fmt::Display for Line {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let pad = "  ".repeat(usize::from(self.indent));
        if self.label.is_empty() {
            write!(f, "{pad}{}", self.value)
        } else if self.value.is_empty() {
            write!(f, "{pad}{}", self.label)
        } else {
            write!(f, "{pad}{}: {}", self.label, self.value)
        }
    }
}

#[derive(Default)]
struct Out(Vec<Line>);

impl Out {
    fn push(&mut self, indent: u8, label: &str, value: &str, tone: Tone) {
        self.0.push(Line {
            indent,
            label: sanitize(label),
            value: sanitize(value),
            tone,
        });
    }

    fn kv(&mut self, indent: u8, label: &str, value: &str) {
        self.push(indent, label, value, Tone::Plain);
    }

    fn opt(&mut self, indent: u8, label: &str, value: &Option<String>) {
        if let Some(v) = value {
            self.kv(indent, label, v);
        }
    }

    fn heading(&mut self, text: &str) {
        self.push(0, text, "", Tone::Heading);
    }

    fn bad(&mut self, indent: u8, text: &str) {
        self.push(indent, "", text, Tone::Bad);
    }

    fn quote(&mut self, indent: u8, text: &str) {
        for l in text.lines() {
            self.push(indent, "", l, Tone::Quote);
        }
    }
}

pub fn lines(s: &Summary) -> Vec<Line> {
    let mut o = Out::default();
    match s {
        Summary::Image(i) => image(&mut o, i),
        Summary::Index(i) => index(&mut o, i),
        Summary::Sbom(b) => sbom(&mut o, b),
        Summary::Attestation(a) => attestation(&mut o, a),
        Summary::Signature(g) => signature(&mut o, g),
        Summary::HelmChart(h) => helm(&mut o, h),
        Summary::Artifact(a) => artifact(&mut o, a),
    }
    o.0
}

fn list(v: &[String]) -> String {
    serde_json::to_string(v).unwrap_or_default()
}

fn file_line(o: &mut Out, indent: u8, f: &FileRef) {
    let name = f.title.clone().unwrap_or_else(|| f.digest.to_string());
    o.kv(indent, &name, &format!("{}, {} ({})", f.media_type, human_size(f.size), f.digest));
}

fn image(o: &mut Out, i: &ImageSummary) {
    let c = &i.config;
    o.heading(&format!("Image {}", c.platform.as_deref().unwrap_or("(platform unknown)")));
    if let Some(p) = &i.problem {
        o.bad(0, p);
    }
    o.opt(0, "Created", &c.created);
    o.opt(0, "Author", &c.author);
    o.kv(0, "Entrypoint", &list(&c.entrypoint));
    o.kv(0, "Cmd", &list(&c.cmd));
    o.opt(0, "Working dir", &c.working_dir);
    o.opt(0, "User", &c.user);
    if !c.env.is_empty() {
        o.kv(0, "Env", "");
        for e in &c.env {
            o.kv(1, "", e);
        }
    }
    if !c.exposed_ports.is_empty() {
        o.kv(0, "Exposed ports", &c.exposed_ports.join(", "));
    }
    if !c.labels.is_empty() {
        o.kv(0, "Labels", "");
        for (k, v) in &c.labels {
            o.kv(1, k, v);
        }
    }
    o.kv(0, "History", &format!("{} entries", c.history));
    o.kv(0, "Layers", &format!("{}, {} in all (config included)", i.layers.len(), human_size(i.total_size)));
    for l in &i.layers {
        o.kv(1, &l.digest.to_string(), &format!("{} {}", human_size(l.size), l.media_type));
    }
}

fn index(o: &mut Out, i: &IndexSummary) {
    o.heading(&format!("Index of {} manifest(s)", i.platforms.len()));
    for p in &i.platforms {
        let size = match p.image_size {
            Some(s) => human_size(s),
            None => format!("manifest {}", human_size(p.size)),
        };
        let what = p.platform.clone().or_else(|| p.artifact_type.clone()).unwrap_or_else(|| "(no platform)".into());
        o.kv(1, &what, &format!("{size} ({})", p.digest));
    }
    if !i.annotations.is_empty() {
        o.kv(0, "Annotations", "");
        for (k, v) in &i.annotations {
            o.kv(1, k, v);
        }
    }
}

fn sbom(o: &mut Out, s: &SbomSummary) {
    o.heading(&format!("SBOM: {} {}", s.format.label(), s.spec_version));
    if let Some(f) = &s.file {
        file_line(o, 0, f);
    }
    o.opt(0, "Describes", &s.name);
    if !s.tools.is_empty() {
        o.kv(0, "Created by", &s.tools.join(", "));
    }
    let shown = if s.package_list_truncated { format!(" (first {} listed)", s.package_list.len()) } else { String::new() };
    o.kv(0, "Packages", &format!("{}{shown}", s.packages));
    for p in &s.package_list {
        let name = if p.name.is_empty() { "(unnamed)" } else { p.name.as_str() };
        o.kv(1, "", format!("{name} {}", p.version.as_deref().unwrap_or("")).trim_end());
    }
    if !s.licenses.is_empty() {
        let mut by_count: Vec<_> = s.licenses.iter().collect();
        by_count.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        o.kv(0, "Licenses", "");
        for (l, n) in by_count {
            o.kv(1, l, &n.to_string());
        }
    }
}

fn subject_line(o: &mut Out, digest: &Option<String>, matches: Option<bool>) {
    let Some(d) = digest else {
        o.bad(0, "Signs: no digest named");
        return;
    };
    match matches {
        Some(true) => o.push(0, "Signs", &format!("{d}, which is this subject"), Tone::Good),
        Some(false) => o.push(0, "Signs", &format!("{d}, which is NOT this subject"), Tone::Bad),
        None => o.kv(0, "Signs", &format!("{d} (no subject to compare with)")),
    }
}

fn attestation(o: &mut Out, a: &AttestationSummary) {
    let how = match &a.envelope {
        Some(_) => format!("in a DSSE envelope, {} signature(s), not verified", a.signatures),
        None => "bare statement, unsigned".into(),
    };
    o.heading(&format!("Attestation ({how})"));
    if let Some(f) = &a.file {
        file_line(o, 0, f);
    }
    o.kv(0, "Statement", &a.statement_type);
    o.kv(0, "Predicate type", &a.predicate_type);
    o.opt(0, "Builder", &a.builder_id);
    o.opt(0, "Build type", &a.build_type);
    o.kv(0, "Subjects", &a.subject_count.to_string());
    for s in &a.subjects {
        o.kv(1, if s.name.is_empty() { "(unnamed)" } else { &s.name }, &s.digest);
    }
    match a.matches_subject {
        Some(true) => o.push(0, "Subject", "one of the statement's subjects is this subject", Tone::Good),
        Some(false) => o.push(0, "Subject", "none of the statement's subjects is this subject", Tone::Bad),
        None => o.kv(0, "Subject", "no subject to compare with"),
    }
}

fn signer(o: &mut Out, s: &Signer) {
    o.kv(0, "Signer", "");
    o.kv(1, "Subject", &s.subject);
    o.kv(1, "Issuer", &s.issuer);
    for id in &s.identities {
        o.kv(1, "Identity", id);
    }
    o.opt(1, "OIDC issuer", &s.oidc_issuer);
    o.kv(1, "Valid", &format!("{} to {}", s.not_before, s.not_after));
}

fn signature(o: &mut Out, s: &SignatureSummary) {
    o.heading(&format!("Signature: {} (not verified)", s.format.label()));
    if let Some(f) = &s.file {
        file_line(o, 0, f);
    }
    o.opt(0, "Bundle", &s.bundle_media_type);
    subject_line(o, &s.signed_digest, s.matches_subject);
    o.opt(0, "Content", &s.content);
    o.opt(0, "Predicate type", &s.predicate_type);
    o.opt(0, "Identity", &s.identity);
    o.opt(0, "Algorithm", &s.algorithm);
    o.opt(0, "Signing scheme", &s.signing_scheme);
    o.opt(0, "Signing time", &s.signing_time);
    o.opt(0, "Expiry", &s.expiry);
    if let Some(sg) = &s.signer {
        signer(o, sg);
    }
    if !s.tlog_entries.is_empty() {
        o.kv(0, "Transparency log", &format!("{} entr{}", s.tlog_entries.len(), if s.tlog_entries.len() == 1 { "y" } else { "ies" }));
        for t in &s.tlog_entries {
            let text = [
                t.log_index.as_ref().map(|i| format!("index {i}")),
                t.integrated_time.as_ref().map(|i| format!("integrated {i}")),
                t.kind.clone(),
            ]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(", ");
            o.kv(1, "", &text);
        }
    }
    for p in &s.problems {
        o.bad(0, p);
    }
}

fn helm(o: &mut Out, h: &HelmChart) {
    o.heading(&format!(
        "Helm chart {} {}",
        h.name.as_deref().unwrap_or("(unnamed)"),
        h.version.as_deref().unwrap_or("")
    ));
    if let Some(p) = &h.problem {
        o.bad(0, p);
    }
    o.opt(0, "App version", &h.app_version);
    o.opt(0, "Description", &h.description);
    o.opt(0, "API version", &h.api_version);
    o.opt(0, "Type", &h.chart_type);
    for l in &h.layers {
        file_line(o, 0, l);
    }
}

fn artifact(o: &mut Out, a: &ArtifactSummary) {
    o.heading(&format!("Artifact {}", a.artifact_type.as_deref().unwrap_or(&a.config_media_type)));
    if a.files.is_empty() {
        o.kv(0, "Files", "none");
    }
    for f in &a.files {
        file(o, f);
    }
}

fn file(o: &mut Out, f: &FileView) {
    file_line(o, 0, &f.file);
    match &f.content {
        Content::Text { text, truncated } | Content::Json { text, truncated } => {
            o.quote(1, text);
            if *truncated {
                o.kv(1, "", "… (cut; the whole file is larger)");
            }
        }
        Content::Binary { hex_head } => o.kv(1, "Binary, starts with", hex_head),
        Content::Listing(l) => listing(o, l),
        Content::Unreadable { problem, raw, truncated } => {
            o.bad(1, problem);
            o.quote(1, raw);
            if *truncated {
                o.kv(1, "", "… (cut)");
            }
        }
        Content::NotFetched { reason, over_limit: false } => o.kv(1, "Not shown", reason),
        Content::NotFetched { reason, over_limit: true } => o.kv(1, "Not shown", &format!("{reason}; {RAISE_LIMIT}")),
    }
}

/// A listing as `tar tv` prints it.
pub fn listing_lines(l: &Listing) -> Vec<Line> {
    let mut o = Out::default();
    listing(&mut o, l);
    o.0
}

fn listing(o: &mut Out, l: &Listing) {
    let size_width = l.entries.iter().map(|e| e.size.to_string().len()).max().unwrap_or(1);
    for e in &l.entries {
        let link = match &e.link {
            Some(t) if e.mode.starts_with('h') => format!(" link to {t}"),
            Some(t) => format!(" -> {t}"),
            None => String::new(),
        };
        o.kv(1, "", &format!("{} {} {:>size_width$} {} {}{link}", e.mode, e.owner, e.size, e.modified, e.name));
    }
    if l.more() > 0 {
        o.kv(1, "", &format!("… and {} more entr{}", l.more(), if l.more() == 1 { "y" } else { "ies" }));
    }
    if let Some(s) = &l.stopped {
        o.bad(1, s);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_never_reach_a_line() {
        let b = super::super::sbom::parse_cyclonedx(
            br#"{"bomFormat":"CycloneDX","specVersion":"1.5","components":[{"name":"\u001b[2Jevil\u0007","version":"\u009b1"}]}"#,
        )
        .unwrap();
        let text: Vec<String> = lines(&Summary::Sbom(b)).iter().map(|l| l.to_string()).collect();
        assert!(text.iter().any(|l| l.contains("\\x1b[2Jevil\\x07 \\x9b1")), "{text:?}");
        assert!(text.iter().all(|l| !l.chars().any(char::is_control)));
    }

    #[test]
    fn a_file_over_the_size_bound_says_which_flag_raises_it_to_people_only() {
        use crate::oci::{Descriptor, Digest, ImageManifest};
        let layer = |n: u8, size: u64| Descriptor::new("application/json", Digest::sha256_of(&[n]), size);
        let m = ImageManifest {
            schema_version: 2,
            media_type: None,
            artifact_type: Some("x/y".into()),
            config: Descriptor::new(crate::oci::media_types::OCI_EMPTY, Digest::sha256_of(b"{}"), 2),
            layers: vec![layer(1, 11), layer(2, 8)],
            subject: None,
            annotations: None,
        };
        let limits = super::super::Limits { max_blob: 10, max_total: 8, ..Default::default() };
        let summary = super::super::artifact::summarize(&m, &Default::default(), &limits);
        let text: Vec<String> = lines(&Summary::Artifact(summary.clone())).iter().map(|l| l.to_string()).collect();
        let over = format!("Not shown: 11 B is over the 10 B limit for inspection; {RAISE_LIMIT}");
        assert!(text.iter().any(|l| l.ends_with(&over)), "{text:?}");
        assert!(text.iter().any(|l| l.ends_with("Not shown: it could not be fetched (see the warnings)")), "no hint where the bound is not the cause: {text:?}");
        let json = serde_json::to_value(&summary).unwrap();
        assert_eq!(json["files"][0]["content"], serde_json::json!({"type": "not-fetched", "reason": "11 B is over the 10 B limit for inspection"}));
    }
}
