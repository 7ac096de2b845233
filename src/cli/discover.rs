//! `refscope discover`: the referrers graph of an artifact, as a tree, JSON or a table.

use clap::{Args, ValueEnum};
use serde_json::{Value, json};

use super::common::{Location, RemoteOptions};
use crate::error::Result;
use crate::graph::discover::{DEFAULT_CONCURRENCY, DiscoverOptions, Discovery, Node, discover};
use crate::text::sanitize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Tree,
    Json,
    Table,
}

#[derive(Args, Debug)]
pub struct DiscoverArgs {
    /// The artifact: REGISTRY/REPO[:TAG|@DIGEST], or PATH[:TAG|@DIGEST] with --oci-layout
    pub reference: String,
    /// Output format. JSON is ORAS 1.2's (`.manifests`), with the root's referrers also under
    /// `.referrers` and `.references` for scripts written for older ORAS
    #[arg(long, short = 'o', alias = "output", value_enum, default_value = "tree")]
    pub format: Format,
    /// Only referrers of this artifact type
    #[arg(long)]
    pub artifact_type: Option<String>,
    /// Levels of referrers to walk (default: all)
    #[arg(long)]
    pub depth: Option<usize>,
    /// Requests in flight at once
    #[arg(long, default_value_t = DEFAULT_CONCURRENCY)]
    pub concurrency: usize,
    #[command(flatten)]
    pub remote: RemoteOptions,
}

pub async fn run(args: DiscoverArgs) -> Result<()> {
    let session = args.remote.session()?;
    let loc = session.locate(&args.reference, args.remote.oci_layout)?;
    let reference = loc.reference()?;
    let root = loc.target.resolve(&loc.repo, &reference).await?;
    let opts = DiscoverOptions {
        artifact_type: args.artifact_type.clone(),
        depth: args.depth.filter(|d| *d > 0),
        concurrency: args.concurrency,
        ..DiscoverOptions::default()
    };
    let found = discover(loc.target.as_ref(), &loc.repo, root, &opts).await?;
    for w in &found.warnings {
        eprintln!("Warning: {}", sanitize(w));
    }
    let text = match args.format {
        Format::Tree => render_tree(&loc.given, &found),
        Format::Json => {
            let mut v = to_json(&loc, &found);
            add_older_oras_keys(&mut v);
            return super::json::print(&v);
        }
        Format::Table => render_table(&loc, &found),
    };
    super::common::out(text.as_bytes())
}

/// The tree `oras discover -o tree` prints: the reference, then referrers grouped under their
/// artifact type, each digest with its own referrers below it.
pub fn render_tree(root_label: &str, found: &Discovery) -> String {
    let mut out = format!("{}\n", sanitize(root_label));
    render_groups(&found.referrers, "", &mut out);
    out
}

fn render_groups(nodes: &[Node], prefix: &str, out: &mut String) {
    let mut groups: Vec<(&str, Vec<&Node>)> = Vec::new();
    for n in nodes {
        let kind = n.descriptor.kind();
        match groups.iter_mut().find(|(k, _)| *k == kind) {
            Some((_, members)) => members.push(n),
            None => groups.push((kind, vec![n])),
        }
    }
    for (gi, (kind, members)) in groups.iter().enumerate() {
        let last_group = gi + 1 == groups.len();
        out.push_str(&format!("{prefix}{}{}\n", branch(last_group), sanitize(kind)));
        let inner = format!("{prefix}{}", indent(last_group));
        for (mi, node) in members.iter().enumerate() {
            let last = mi + 1 == members.len();
            out.push_str(&format!("{inner}{}{}\n", branch(last), node.descriptor.digest));
            render_groups(&node.children, &format!("{inner}{}", indent(last)), out);
        }
    }
}

fn branch(last: bool) -> &'static str {
    if last { "└── " } else { "├── " }
}

fn indent(last: bool) -> &'static str {
    if last { "    " } else { "│   " }
}

/// The JSON of `oras discover --format json` (ORAS 1.2+), nested to any depth.
pub fn to_json(loc: &Location, found: &Discovery) -> Value {
    json!({
        "reference": loc.digest_ref(&found.root.digest),
        "mediaType": found.root.media_type,
        "digest": found.root.digest.to_string(),
        "size": found.root.size,
        "manifests": found.referrers.iter().map(|n| node_json(loc, n)).collect::<Vec<_>>(),
    })
}

/// Scripts written for ORAS before 1.2 read the root's referrers as `.referrers` or
/// `.references`; both are kept beside `manifests`, with the same entries.
pub fn add_older_oras_keys(v: &mut Value) {
    if let Some(map) = v.as_object_mut()
        && let Some(manifests) = map.get("manifests").cloned()
    {
        map.insert("referrers".into(), manifests.clone());
        map.insert("references".into(), manifests);
    }
}

fn node_json(loc: &Location, node: &Node) -> Value {
    let d = &node.descriptor;
    let mut v = json!({
        "reference": loc.digest_ref(&d.digest),
        "mediaType": d.media_type,
        "digest": d.digest.to_string(),
        "size": d.size,
    });
    if let Some(map) = v.as_object_mut() {
        if let Some(t) = &d.artifact_type {
            map.insert("artifactType".into(), json!(t));
        }
        if let Some(a) = &d.annotations {
            map.insert("annotations".into(), json!(a));
        }
        if !node.children.is_empty() {
            map.insert(
                "manifests".into(),
                Value::Array(node.children.iter().map(|c| node_json(loc, c)).collect()),
            );
        }
    }
    v
}

/// The table format: the direct referrers only, as ORAS prints it.
fn render_table(loc: &Location, found: &Discovery) -> String {
    let label = loc.tag.clone().unwrap_or_else(|| found.root.digest.to_string());
    let mut out = format!(
        "Discovered {} artifact(s) referencing {}\n",
        found.referrers.len(),
        sanitize(&label)
    );
    let width = 72;
    out.push_str(&format!("{:<width$} Artifact Type\n", "Digest"));
    for n in &found.referrers {
        out.push_str(&format!("{:<width$} {}\n", n.descriptor.digest.to_string(), sanitize(n.descriptor.kind())));
    }
    out
}
