//! `--format json`: the shapes the verbs print for scripts. Where ORAS 1.2 prints JSON for a
//! verb (push, attach, pull, manifest fetch, discover) the shape is ORAS's; ORAS 1.3's for
//! `repo ls` and `repo tags`; the other verbs reuse the same descriptor shape.

use clap::{Args, ValueEnum};
use serde_json::{Map, Value, json};

use super::common::{Kind, Location, out};
use crate::error::Result;
use crate::oci::Descriptor;
use crate::text::escape_json_for_terminal;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum OutputFormat {
    /// Lines for people
    #[default]
    Text,
    /// One JSON document on stdout, ORAS 1.2's shape where ORAS has one
    Json,
}

/// The `--format` flag of the verbs that print a result.
#[derive(Args, Debug, Clone, Copy, Default)]
pub struct FormatOptions {
    /// Output format; errors stay on stderr either way
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    pub format: OutputFormat,
}

impl FormatOptions {
    pub fn json(&self) -> bool {
        self.format == OutputFormat::Json
    }
}

/// ORAS's descriptor with its digest reference: `reference`, `mediaType`, `digest`, `size`,
/// then `annotations` and `artifactType` when the descriptor has them.
pub fn descriptor(reference: String, d: &Descriptor) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("reference".into(), json!(reference));
    m.insert("mediaType".into(), json!(d.media_type));
    m.insert("digest".into(), json!(d.digest.to_string()));
    m.insert("size".into(), json!(d.size));
    if let Some(a) = &d.annotations {
        m.insert("annotations".into(), json!(a));
    }
    if let Some(t) = &d.artifact_type {
        m.insert("artifactType".into(), json!(t));
    }
    m
}

/// `referenceAsTags`: the full reference of each tag in the location's repository.
pub fn tag_references(loc: &Location, tags: &[String]) -> Value {
    let base = match &loc.kind {
        Kind::Registry(r) => format!("{}/{}", r.registry, r.repository),
        Kind::Layout(p) => p.display().to_string(),
    };
    Value::Array(tags.iter().map(|t| json!(format!("{base}:{t}"))).collect())
}

/// Prints `value` indented on stdout, with anything a terminal would act on escaped.
pub fn print(value: &Value) -> Result<()> {
    let mut text = escape_json_for_terminal(&serde_json::to_string_pretty(value).unwrap_or_default());
    text.push('\n');
    out(text.as_bytes())
}
