//! `refscope discover`: the graph of an artifact (index children, referrers, cosign
//! attachments), as a tree, JSON or a table.

use std::collections::HashSet;

use clap::{Args, ValueEnum};
use serde_json::{Map, Value, json};

use super::common::{Location, RemoteOptions, warn_all};
use crate::error::Result;
use crate::graph::discover::{DEFAULT_CONCURRENCY, DiscoverOptions, Discovery, discover};
use crate::graph::model::{DEFAULT_MAX_DEPTH, DEFAULT_MAX_NODES, Edge, Graph, Limits, Link, Verdict};
use crate::oci::{Descriptor, Digest};
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
    /// `.referrers` and `.references` for scripts written for older ORAS; index children and
    /// cosign attachments come under `.children` and `.attachments`
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
    /// Stop with an error past this many nodes (a registry can serve an endless graph)
    #[arg(long, default_value_t = DEFAULT_MAX_NODES)]
    pub max_nodes: usize,
    /// Stop with an error past this many levels, unless --depth says how far to go
    #[arg(long, default_value_t = DEFAULT_MAX_DEPTH)]
    pub max_depth: usize,
    #[command(flatten)]
    pub remote: RemoteOptions,
}

pub async fn run(args: DiscoverArgs) -> Result<()> {
    let session = args.remote.session()?;
    let loc = session.locate(&args.reference, args.remote.oci_layout)?;
    let reference = loc.reference()?;
    let root = loc.target.fetch_manifest(&loc.repo, &reference).await?;
    let opts = DiscoverOptions {
        artifact_type: args.artifact_type.clone(),
        depth: args.depth.filter(|d| *d > 0),
        concurrency: args.concurrency,
        limits: Limits {
            nodes: args.max_nodes,
            depth: args.max_depth,
        },
    };
    let found = discover(loc.target.as_ref(), &loc.repo, root, &opts).await?;
    warn_all(&found.warnings);
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

/// The tree `oras discover -o tree` prints, with what ORAS does not show beside it (as
/// regctl's artifact tree does): the reference; then an index's children under their platform;
/// then referrers under their artifact type; then cosign attachments under their tag, marked
/// as tag-based. Each digest has its own graph below it. A node reached twice is expanded once.
pub fn render_tree(root_label: &str, found: &Discovery) -> String {
    let g = &found.graph;
    let mut out = format!("{}\n", sanitize(root_label));
    let mut shown = HashSet::from([g.root().clone()]);
    render_below(g, g.root(), "", &mut shown, &mut out);
    out
}

fn render_below(g: &Graph, d: &Digest, prefix: &str, shown: &mut HashSet<Digest>, out: &mut String) {
    let groups = groups(g, d);
    for (gi, (label, members)) in groups.iter().enumerate() {
        let last_group = gi + 1 == groups.len();
        out.push_str(&format!("{prefix}{}{}\n", branch(last_group), sanitize(label)));
        let inner = format!("{prefix}{}", indent(last_group));
        for (mi, (edge, verdict)) in members.iter().enumerate() {
            let last = mi + 1 == members.len();
            let to = edge.to();
            let (note, expand) = match verdict {
                Verdict::Missing => (" (missing)", false),
                _ if !shown.insert(to.clone()) => (" (shown above)", false),
                _ => ("", true),
            };
            out.push_str(&format!("{inner}{}{to}{note}\n", branch(last)));
            if expand {
                render_below(g, to, &format!("{inner}{}", indent(last)), shown, out);
            }
        }
    }
}

type Group<'a> = (String, Vec<(&'a Edge, Verdict)>);

/// What is shown below a node, grouped under one label each: children by platform (a missing
/// child too, marked), referrers that hold by artifact type, attachments by tag.
fn groups<'a>(g: &'a Graph, d: &Digest) -> Vec<Group<'a>> {
    let mut groups: Vec<(u8, Group)> = Vec::new();
    for e in g.edges(d) {
        let verdict = g.verdict(d, e);
        let (rank, label) = match (&e.link, &verdict) {
            (Link::Child, Verdict::Valid | Verdict::Missing) => (0, platform_label(&e.listed)),
            (Link::Referrer, Verdict::Valid) => (1, g.shown(e).kind().to_string()),
            (Link::Attachment { tag, .. }, Verdict::Valid) => (2, format!("{tag} (cosign tag)")),
            _ => continue,
        };
        match groups.iter_mut().find(|(r, (l, _))| *r == rank && *l == label) {
            Some((_, (_, members))) => members.push((e, verdict)),
            None => groups.push((rank, (label, vec![(e, verdict)]))),
        }
    }
    groups.into_iter().map(|(_, g)| g).collect()
}

fn platform_label(listed: &Descriptor) -> String {
    listed.platform.as_ref().map(|p| p.to_string()).unwrap_or_else(|| "(no platform)".into())
}

fn branch(last: bool) -> &'static str {
    if last { "└── " } else { "├── " }
}

fn indent(last: bool) -> &'static str {
    if last { "    " } else { "│   " }
}

/// The JSON of `oras discover --format json` (ORAS 1.2+), nested to any depth: `manifests`
/// holds referrers, as in ORAS. What ORAS does not know goes under keys its scripts ignore:
/// `children` (an index's manifests, each with its `platform`, `"missing": true` when the
/// registry lacks it) and `attachments` (cosign tag attachments, each with its `tag`). A node
/// reached twice is expanded once and marked `"shownAbove": true` after that.
pub fn to_json(loc: &Location, found: &Discovery) -> Value {
    let g = &found.graph;
    let mut v = descriptor_json(loc, found.root(), false);
    let mut shown = HashSet::from([g.root().clone()]);
    below_json(loc, g, g.root(), &mut v, &mut shown, true);
    Value::Object(v)
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

fn descriptor_json(loc: &Location, d: &Descriptor, with_details: bool) -> Map<String, Value> {
    let mut v = Map::new();
    v.insert("reference".into(), json!(loc.digest_ref(&d.digest)));
    v.insert("mediaType".into(), json!(d.media_type));
    v.insert("digest".into(), json!(d.digest.to_string()));
    v.insert("size".into(), json!(d.size));
    if with_details {
        if let Some(t) = &d.artifact_type {
            v.insert("artifactType".into(), json!(t));
        }
        if let Some(a) = &d.annotations {
            v.insert("annotations".into(), json!(a));
        }
    }
    v
}

fn below_json(loc: &Location, g: &Graph, d: &Digest, v: &mut Map<String, Value>, shown: &mut HashSet<Digest>, root: bool) {
    let (mut referrers, mut children, mut attachments) = (Vec::new(), Vec::new(), Vec::new());
    for e in g.edges(d) {
        match (&e.link, g.verdict(d, e)) {
            (Link::Referrer, Verdict::Valid) => referrers.push(node_json(loc, g, e, shown)),
            (Link::Child, verdict @ (Verdict::Valid | Verdict::Missing)) => {
                let mut c = if verdict == Verdict::Missing {
                    let mut m = descriptor_json(loc, &e.listed, true);
                    m.insert("missing".into(), json!(true));
                    m
                } else {
                    node_json(loc, g, e, shown)
                };
                if let Some(p) = &e.listed.platform {
                    c.insert("platform".into(), json!(p));
                }
                children.push(Value::Object(c));
            }
            (Link::Attachment { tag, .. }, Verdict::Valid) => {
                let mut a = node_json(loc, g, e, shown);
                a.insert("tag".into(), json!(tag));
                attachments.push(Value::Object(a));
            }
            _ => {}
        }
    }
    let referrers: Vec<Value> = referrers.into_iter().map(Value::Object).collect();
    if root || !referrers.is_empty() {
        v.insert("manifests".into(), Value::Array(referrers));
    }
    if !children.is_empty() {
        v.insert("children".into(), Value::Array(children));
    }
    if !attachments.is_empty() {
        v.insert("attachments".into(), Value::Array(attachments));
    }
}

fn node_json(loc: &Location, g: &Graph, e: &Edge, shown: &mut HashSet<Digest>) -> Map<String, Value> {
    let mut v = descriptor_json(loc, g.shown(e), true);
    if shown.insert(e.to().clone()) {
        below_json(loc, g, e.to(), &mut v, shown, false);
    } else {
        v.insert("shownAbove".into(), json!(true));
    }
    v
}

/// The table format: the direct referrers only, as ORAS prints it.
fn render_table(loc: &Location, found: &Discovery) -> String {
    let g = &found.graph;
    let root = g.root();
    let referrers: Vec<&Descriptor> = g
        .edges(root)
        .into_iter()
        .filter(|e| e.link == Link::Referrer && g.verdict(root, e) == Verdict::Valid)
        .map(|e| g.shown(e))
        .collect();
    let label = loc.tag.clone().unwrap_or_else(|| root.to_string());
    let mut out = format!("Discovered {} artifact(s) referencing {}\n", referrers.len(), sanitize(&label));
    let width = 72;
    out.push_str(&format!("{:<width$} Artifact Type\n", "Digest"));
    for d in referrers {
        out.push_str(&format!("{:<width$} {}\n", d.digest.to_string(), sanitize(d.kind())));
    }
    out
}
