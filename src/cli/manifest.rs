//! `refscope manifest fetch` and `manifest delete` (`fetch-config` has a module of its own).

use clap::{Args, Subcommand};

use serde_json::{Value, json};

use super::common::{Location, RemoteOptions, confirm, out, outln, warn_all};
use super::json::{self, FormatOptions};
use crate::error::{Error, Result};
use crate::graph::delete::{self, DeleteOptions};
use crate::graph::model::{DEFAULT_MAX_DEPTH, DEFAULT_MAX_NODES, Limits};
use crate::graph::progress::Progress;
use crate::text::sanitize;

#[derive(Subcommand, Debug)]
pub enum ManifestCommand {
    /// Print a manifest: the exact bytes, or pretty-printed
    #[command(visible_alias = "get")]
    Fetch(FetchArgs),
    /// Print the config blob of an image, or with --platform of one platform of an index
    #[command(name = "fetch-config")]
    FetchConfig(super::fetch_config::FetchConfigArgs),
    /// Delete a manifest and, unless --keep-referrers, its whole graph
    #[command(visible_alias = "rm")]
    Delete(DeleteArgs),
}

#[derive(Args, Debug)]
pub struct DeleteArgs {
    /// REGISTRY/REPO:TAG or REGISTRY/REPO@DIGEST
    pub reference: String,
    /// Delete without asking
    #[arg(short = 'f', long)]
    pub force: bool,
    /// Print what would be deleted, and stop
    #[arg(long)]
    pub dry_run: bool,
    /// Delete only this manifest; its referrers, attachments and index children stay
    #[arg(long)]
    pub keep_referrers: bool,
    /// Stop with an error past this many nodes in the graph (a registry can serve an endless one)
    #[arg(long, default_value_t = DEFAULT_MAX_NODES)]
    pub max_nodes: usize,
    /// Stop with an error past this many levels in the graph
    #[arg(long, default_value_t = DEFAULT_MAX_DEPTH)]
    pub max_depth: usize,
    #[command(flatten)]
    pub format: FormatOptions,
    #[command(flatten)]
    pub remote: RemoteOptions,
}

#[derive(Args, Debug)]
pub struct FetchArgs {
    /// REGISTRY/REPO:TAG or REGISTRY/REPO@DIGEST
    pub reference: String,
    /// Indent the JSON
    #[arg(long)]
    pub pretty: bool,
    /// Print the manifest's descriptor instead of the manifest
    #[arg(long)]
    pub descriptor: bool,
    /// Write the manifest to this file instead of stdout
    #[arg(long, short = 'o', value_name = "PATH")]
    pub output: Option<std::path::PathBuf>,
    #[command(flatten)]
    pub format: FormatOptions,
    #[command(flatten)]
    pub remote: RemoteOptions,
}

pub async fn run(cmd: ManifestCommand) -> Result<()> {
    match cmd {
        ManifestCommand::Fetch(a) => fetch(a).await,
        ManifestCommand::FetchConfig(a) => super::fetch_config::run(a).await,
        ManifestCommand::Delete(a) => delete(a).await,
    }
}

async fn fetch(args: FetchArgs) -> Result<()> {
    let session = args.remote.session()?;
    let loc = session.locate(&args.reference, args.remote.oci_layout)?;
    let reference = loc.reference()?;
    if args.descriptor {
        let desc = loc.target.resolve(&loc.repo, &reference).await?;
        if args.format.json() {
            return json::print(&Value::Object(json::descriptor(loc.digest_ref(&desc.digest), &desc)));
        }
        let mut line = serde_json::to_vec(&desc).unwrap_or_default();
        line.push(b'\n');
        return out(&line);
    }
    let blob = loc.target.fetch_manifest(&loc.repo, &reference).await?;
    let parse = || -> Result<Value> {
        serde_json::from_slice(&blob.bytes).map_err(|e| Error::usage(format!("the manifest is not JSON: {e}")))
    };
    let bytes = if args.pretty {
        let mut s = serde_json::to_vec_pretty(&parse()?).unwrap_or_default();
        s.push(b'\n');
        s
    } else {
        blob.bytes.to_vec()
    };
    if args.format.json() {
        // As ORAS: the file (if asked for) gets the manifest, stdout the metadata.
        if let Some(path) = &args.output {
            std::fs::write(path, &bytes).map_err(|e| Error::io(path, e))?;
        }
        let content = parse()?;
        let mut desc = blob.descriptor();
        desc.artifact_type = content.get("artifactType").and_then(Value::as_str).map(str::to_string);
        let mut v = json::descriptor(loc.digest_ref(&desc.digest), &desc);
        v.insert("content".into(), content);
        return json::print(&Value::Object(v));
    }
    match &args.output {
        Some(path) => std::fs::write(path, &bytes).map_err(|e| Error::io(path, e)),
        None => out(&bytes),
    }
}

async fn delete(args: DeleteArgs) -> Result<()> {
    let session = args.remote.session()?;
    let loc = session.locate(&args.reference, args.remote.oci_layout)?;
    let opts = DeleteOptions {
        keep_referrers: args.keep_referrers,
        limits: Limits {
            nodes: args.max_nodes,
            depth: args.max_depth,
        },
        ..DeleteOptions::default()
    };
    let plan = delete::plan(loc.target.as_ref(), &loc.repo, &loc.reference()?, &opts).await?;
    warn_all(&plan.warnings);
    let as_json = args.format.json();
    if args.dry_run {
        if as_json {
            return json::print(&delete_json(&loc, &plan, true, 0));
        }
        return out(plan.describe(&loc.given).as_bytes());
    }
    if !args.force {
        // With JSON on stdout, the plan and the question go to the terminal on stderr.
        let described = plan.describe(&loc.given);
        if as_json {
            eprint!("{described}");
        } else {
            out(described.as_bytes())?;
        }
        let answer = confirm(&format!("Delete these {} step(s)?", plan.steps.len()));
        delete::require_confirmation(false, answer)?;
    }
    let report = delete::apply(loc.target.as_ref(), &loc.repo, &plan, &Progress::default()).await?;
    warn_all(&report.warnings);
    if as_json {
        return json::print(&delete_json(&loc, &plan, false, report.already_gone));
    }
    if report.already_gone > 0 {
        outln(&format!("{} item(s) were already gone", report.already_gone))?;
    }
    outln(&format!("Deleted [{}] {}", loc.kind_label(), sanitize(&loc.given)))?;
    outln(&format!("Digest: {}", plan.root.digest))
}

/// The root's descriptor, then every manifest the plan deletes, in the order it does (leaf
/// first: referrers before their subject, an index before its children); then what stays and
/// why, and what could not be checked.
fn delete_json(loc: &Location, plan: &delete::DeletePlan, dry_run: bool, already_gone: usize) -> Value {
    let mut v = json::descriptor(loc.digest_ref(&plan.root.digest), &plan.root);
    let deleted: Vec<Value> = plan.manifests().map(|d| Value::Object(json::descriptor(loc.digest_ref(&d.digest), d))).collect();
    v.insert("deleted".into(), Value::Array(deleted));
    let kept: Vec<Value> = plan
        .kept
        .iter()
        .map(|k| {
            let mut m = json::descriptor(loc.digest_ref(&k.descriptor.digest), &k.descriptor);
            let reason = match &k.reason {
                delete::Reason::Tag(t) => json!({"tag": t}),
                delete::Reason::Index { index, tag } => json!({"index": index.to_string(), "tag": tag}),
            };
            m.insert("keptFor".into(), reason);
            Value::Object(m)
        })
        .collect();
    v.insert("kept".into(), Value::Array(kept));
    let unchecked: Vec<Value> = plan.unchecked.iter().map(|(what, why)| json!({"what": what, "why": why})).collect();
    v.insert("unchecked".into(), Value::Array(unchecked));
    v.insert("dryRun".into(), json!(dry_run));
    v.insert("alreadyGone".into(), json!(already_gone));
    Value::Object(v)
}
