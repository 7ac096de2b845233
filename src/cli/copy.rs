//! `refscope copy` (alias `cp`): an artifact and, with -r, its whole graph, elsewhere.

use clap::Args;

use serde_json::{Value, json};

use std::path::PathBuf;
use std::sync::Arc;

use super::common::{CredentialOptions, Kind, ListingOptions, Location, Session, TlsOptions, load_config, outln, split_tag_list, warn_all};
use super::json::{self, FormatOptions};
use super::progress_view::ProgressView;
use crate::config::Config;
use crate::error::Result;
use crate::graph::copy::{BlobResult, CopyOptions, CopyReport, Endpoint, copy};
use crate::graph::model::{DEFAULT_MAX_DEPTH, DEFAULT_MAX_NODES, Limits};
use crate::store::registry::tls::ClientIdentity;
use crate::text::sanitize;

#[derive(Args, Debug)]
pub struct CopyArgs {
    /// Source: REGISTRY/REPO:TAG|@DIGEST (or PATH[:TAG] with --from-oci-layout)
    pub source: String,
    /// Destination: REGISTRY/REPO[:TAG[,TAG…]] (or PATH[:TAG] with --to-oci-layout); without a
    /// tag, the source's tag is used
    pub destination: String,
    /// Copy the whole graph: referrers to any depth and cosign attachments (index children are
    /// always copied)
    #[arg(short = 'r', long)]
    pub recursive: bool,
    /// Stop with an error past this many nodes in the source graph
    #[arg(long, default_value_t = DEFAULT_MAX_NODES)]
    pub max_nodes: usize,
    /// Stop with an error past this many levels in the source graph
    #[arg(long, default_value_t = DEFAULT_MAX_DEPTH)]
    pub max_depth: usize,
    /// Blobs transferred at once (images commonly have a handful of big layers; 4 keeps the
    /// link busy without starving a 2-core box)
    #[arg(long, default_value_t = 4)]
    pub concurrency: usize,
    /// The source is an OCI image layout
    #[arg(long)]
    pub from_oci_layout: bool,
    /// The destination is an OCI image layout (created if missing)
    #[arg(long)]
    pub to_oci_layout: bool,
    /// Use HTTP for the source registry
    #[arg(long)]
    pub from_plain_http: bool,
    /// Use HTTP for the destination registry
    #[arg(long)]
    pub to_plain_http: bool,
    /// Use HTTP for both (automatic for a localhost or 127.0.0.1 registry that speaks no TLS)
    #[arg(long)]
    pub plain_http: bool,
    /// Accept any TLS certificate from either registry
    #[arg(long)]
    pub insecure: bool,
    /// Accept any TLS certificate from the source registry
    #[arg(long)]
    pub from_insecure: bool,
    /// Accept any TLS certificate from the destination registry
    #[arg(long)]
    pub to_insecure: bool,
    /// TLS files for both registries (certs.d and the config file hold them per registry)
    #[command(flatten)]
    pub tls: TlsOptions,
    /// Trust this CA certificate (PEM) for the source registry, besides --ca-file's
    #[arg(long, value_name = "PATH")]
    pub from_ca_file: Option<PathBuf>,
    /// Present this client certificate (PEM) to the source registry, instead of --cert-file's
    #[arg(long, value_name = "PATH", requires = "from_key_file")]
    pub from_cert_file: Option<PathBuf>,
    /// The private key (PEM) of --from-cert-file
    #[arg(long, value_name = "PATH", requires = "from_cert_file")]
    pub from_key_file: Option<PathBuf>,
    /// Trust this CA certificate (PEM) for the destination registry, besides --ca-file's
    #[arg(long, value_name = "PATH")]
    pub to_ca_file: Option<PathBuf>,
    /// Present this client certificate (PEM) to the destination registry, instead of
    /// --cert-file's
    #[arg(long, value_name = "PATH", requires = "to_key_file")]
    pub to_cert_file: Option<PathBuf>,
    /// The private key (PEM) of --to-cert-file
    #[arg(long, value_name = "PATH", requires = "to_cert_file")]
    pub to_key_file: Option<PathBuf>,
    /// Source registry username
    #[arg(long)]
    pub from_username: Option<String>,
    /// Source registry password
    #[arg(long)]
    pub from_password: Option<String>,
    /// Destination registry username
    #[arg(long)]
    pub to_username: Option<String>,
    /// Destination registry password
    #[arg(long)]
    pub to_password: Option<String>,
    #[command(flatten)]
    pub listing: ListingOptions,
    #[command(flatten)]
    pub format: FormatOptions,
    #[command(flatten)]
    pub creds: CredentialOptions,
}

/// The flags of one side of a copy (`--from-…` or `--to-…`), over the shared ones.
struct Side<'a> {
    username: &'a Option<String>,
    password: &'a Option<String>,
    plain_http: bool,
    insecure: bool,
    ca_file: &'a Option<PathBuf>,
    cert_file: &'a Option<PathBuf>,
    key_file: &'a Option<PathBuf>,
}

/// A session for one side: its CA adds to `--ca-file`'s, its client certificate replaces
/// `--cert-file`'s.
fn side(args: &CopyArgs, side: Side, config: &Arc<Config>) -> Result<Session> {
    let mut creds = args.creds.clone();
    if side.username.is_some() || side.password.is_some() {
        creds.username = side.username.clone();
        creds.password = side.password.clone();
        creds.password_stdin = false;
    }
    let mut flags = args.tls.flags(side.plain_http || args.plain_http, side.insecure || args.insecure);
    flags.ca_files.extend(side.ca_file.iter().cloned());
    if let (Some(cert), Some(key)) = (side.cert_file, side.key_file) {
        flags.identity = Some(ClientIdentity { cert: cert.clone(), key: key.clone() });
    }
    Ok(Session::new(creds.chain()?, flags).with_config(config.clone()))
}

pub async fn run(args: CopyArgs) -> Result<()> {
    args.listing.apply();
    let config = load_config()?;
    let from = Side {
        username: &args.from_username,
        password: &args.from_password,
        plain_http: args.from_plain_http,
        insecure: args.from_insecure,
        ca_file: &args.from_ca_file,
        cert_file: &args.from_cert_file,
        key_file: &args.from_key_file,
    };
    let to = Side {
        username: &args.to_username,
        password: &args.to_password,
        plain_http: args.to_plain_http,
        insecure: args.to_insecure,
        ca_file: &args.to_ca_file,
        cert_file: &args.to_cert_file,
        key_file: &args.to_key_file,
    };
    let from = side(&args, from, &config)?;
    let to = side(&args, to, &config)?;
    let src: Location = from.locate(&args.source, args.from_oci_layout)?;
    let (dst_base, mut tags) = split_tag_list(&args.destination);
    let dst: Location = to.locate_for_write(&dst_base, args.to_oci_layout)?;
    if tags.is_empty()
        && let Some(t) = &src.tag
    {
        tags.push(t.clone());
    }
    let same_registry = matches!((&src.kind, &dst.kind), (Kind::Registry(a), Kind::Registry(b)) if a.registry == b.registry);
    let view = ProgressView::for_stderr();
    let opts = CopyOptions {
        recursive: args.recursive,
        concurrency: args.concurrency,
        mount: same_registry && src.repo != dst.repo,
        progress: view.progress().clone(),
        limits: Limits {
            nodes: args.max_nodes,
            depth: args.max_depth,
        },
        ..CopyOptions::default()
    };
    let (plan, report) = copy(
        Endpoint { target: src.target.as_ref(), repo: &src.repo },
        Endpoint { target: dst.target.as_ref(), repo: &dst.repo },
        &src.reference()?,
        &tags,
        &opts,
    )
    .await?;
    view.finish();
    warn_all(&plan.warnings);
    warn_all(&report.warnings);
    if args.format.json() {
        return print_json(&src, &dst, &tags, &report);
    }
    for (d, r) in &report.blobs {
        let verb = match r {
            BlobResult::Copied => "Copied ",
            BlobResult::Skipped => "Skipped",
            BlobResult::Mounted => "Mounted",
        };
        let label = d.title().map(sanitize).unwrap_or_else(|| sanitize(&d.media_type));
        outln(&format!("{verb} {} {label}", d.digest.short()))?;
    }
    if args.recursive {
        outln(&format!("Referrers: {} (manifests pushed {}, already there {})", report.referrers, report.manifests_pushed, report.manifests_skipped))?;
        if report.attachments > 0 {
            outln(&format!("Attachment tags: {}", report.attachments))?;
        }
    }
    let dst_shown = match (&dst.kind, tags.is_empty()) {
        (_, true) => dst.digest_ref(&report.root.digest),
        (Kind::Registry(r), false) => format!("{}/{}:{}", r.registry, r.repository, tags.join(",")),
        (Kind::Layout(p), false) => format!("{}:{}", p.display(), tags.join(",")),
    };
    outln(&format!(
        "Copied [{}] {} => [{}] {}",
        src.kind_label(),
        sanitize(&src.given),
        dst.kind_label(),
        sanitize(&dst_shown)
    ))?;
    outln(&format!("Digest: {}", report.root.digest))
}

fn blob_result(r: &BlobResult) -> &'static str {
    match r {
        BlobResult::Copied => "copied",
        BlobResult::Skipped => "skipped",
        BlobResult::Mounted => "mounted",
    }
}

/// ORAS prints no JSON for copy: the root at the destination in the descriptor shape of push,
/// with its source and what happened to each blob.
fn print_json(src: &Location, dst: &Location, tags: &[String], report: &CopyReport) -> Result<()> {
    let mut v = json::descriptor(dst.digest_ref(&report.root.digest), &report.root);
    v.insert("referenceAsTags".into(), json::tag_references(dst, tags));
    v.insert("source".into(), json!(src.digest_ref(&report.root.digest)));
    v.insert("referrers".into(), json!(report.referrers));
    v.insert("attachmentTags".into(), json!(report.attachments));
    v.insert("manifestsPushed".into(), json!(report.manifests_pushed));
    v.insert("manifestsSkipped".into(), json!(report.manifests_skipped));
    v.insert("bytesSent".into(), json!(report.bytes_sent));
    let blobs: Vec<Value> = report
        .blobs
        .iter()
        .map(|(d, r)| {
            let mut b = serde_json::Map::new();
            b.insert("mediaType".into(), json!(d.media_type));
            b.insert("digest".into(), json!(d.digest.to_string()));
            b.insert("size".into(), json!(d.size));
            if let Some(t) = d.title() {
                b.insert("title".into(), json!(t));
            }
            b.insert("result".into(), json!(blob_result(r)));
            Value::Object(b)
        })
        .collect();
    v.insert("blobs".into(), Value::Array(blobs));
    json::print(&Value::Object(v))
}
