//! `refscope push`: files and directories as an artifact, ORAS style; the packing and
//! reporting that `attach` shares.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::SystemTime;

use clap::Args;

use serde_json::Value;

use super::common::{Kind, Location, RemoteOptions, Session, outln, parse_annotations, split_tag_list, warn_all};
use super::json::{self, FormatOptions};
use super::progress_view::ProgressView;
use crate::error::{Error, Result};
use crate::graph::pack::FileInput;
use crate::graph::push::{ArtifactSpec, Built, UNKNOWN_ARTIFACT, Uploaded, attach, build, tag, upload};
use crate::oci::{Annotations, Descriptor};
use crate::text::sanitize;

/// Flags shared by push and attach.
#[derive(Args, Debug)]
pub struct ArtifactArgs {
    /// Artifact type of the manifest
    #[arg(long)]
    pub artifact_type: Option<String>,
    /// Manifest annotation KEY=VALUE (repeatable)
    #[arg(short = 'a', long = "annotation", value_name = "KEY=VALUE")]
    pub annotations: Vec<String>,
    /// JSON file of annotations: {"$manifest": {…}, "$config": {…}, "<file title>": {…}}
    #[arg(long, value_name = "PATH")]
    pub annotation_file: Option<PathBuf>,
    /// Also write the manifest to this file
    #[arg(long, value_name = "PATH")]
    pub export_manifest: Option<PathBuf>,
    /// Files and directories, each as PATH[:MEDIATYPE]
    #[arg(value_name = "FILE[:MEDIATYPE]")]
    pub files: Vec<String>,
}

#[derive(Args, Debug)]
pub struct PushArgs {
    /// REGISTRY/REPO[:TAG[,TAG…]] (or PATH[:TAG] with --oci-layout); without a tag the artifact
    /// is pushed by digest
    pub reference: String,
    /// Make the artifact a referrer of this manifest, as `attach` does: REGISTRY/REPO:TAG or
    /// REGISTRY/REPO@DIGEST, in the repository pushed to
    #[arg(long, value_name = "REF")]
    pub subject: Option<String>,
    #[command(flatten)]
    pub artifact: ArtifactArgs,
    #[command(flatten)]
    pub format: FormatOptions,
    #[command(flatten)]
    pub remote: RemoteOptions,
}

impl ArtifactArgs {
    pub(super) fn spec(&self) -> Result<ArtifactSpec> {
        let mut annotations = parse_annotations(&self.annotations)?;
        let mut file_annotations = BTreeMap::new();
        let mut config_annotations = None;
        if let Some(path) = &self.annotation_file {
            let raw = std::fs::read(path).map_err(|e| Error::io(path, e))?;
            let mut parsed: BTreeMap<String, Annotations> = serde_json::from_slice(&raw).map_err(|e| {
                Error::usage(format!("{} is not an annotation file ({e}); expected {{\"$manifest\": {{\"key\": \"value\"}}}}", path.display()))
            })?;
            if let Some(m) = parsed.remove("$manifest") {
                for (k, v) in m {
                    annotations.entry(k).or_insert(v);
                }
            }
            config_annotations = parsed.remove("$config");
            file_annotations = parsed;
        }
        Ok(ArtifactSpec {
            artifact_type: self.artifact_type.clone(),
            files: self.files.iter().map(|f| FileInput::parse(f)).collect(),
            annotations,
            file_annotations,
            config_annotations,
            subject: None,
        })
    }

    pub(super) fn export(&self, built: &Built) -> Result<()> {
        if let Some(path) = &self.export_manifest {
            std::fs::write(path, &built.manifest.bytes).map_err(|e| Error::io(path, e))?;
        }
        Ok(())
    }
}

pub(super) async fn build_off_runtime(spec: ArtifactSpec) -> Result<Built> {
    tokio::task::spawn_blocking(move || build(&spec, SystemTime::now()))
        .await
        .map_err(|e| Error::usage(format!("packing failed: {e}")))?
}

pub(super) fn print_blobs(up: &Uploaded) -> Result<()> {
    for d in &up.sent {
        outln(&format!("Uploaded  {} {}", d.digest.short(), sanitize(d.title().unwrap_or(&d.media_type))))?;
    }
    for d in &up.skipped {
        outln(&format!("Exists    {} {}", d.digest.short(), sanitize(d.title().unwrap_or(&d.media_type))))?;
    }
    Ok(())
}

pub(super) fn tag_schema_warnings(up: &Uploaded) -> &[String] {
    up.tag_schema.as_ref().map_or(&[], |f| &f.warnings)
}

pub(super) fn print_tag_schema(up: &Uploaded, subject: &Descriptor) -> Result<()> {
    if let Some(f) = &up.tag_schema
        && let Some(index) = &f.index
    {
        outln(&format!(
            "Listed in referrers index {} (tag {})",
            index.short(),
            subject.digest.fallback_tag()
        ))?;
    }
    Ok(())
}

/// The pushed manifest's descriptor with its artifact type and annotations, as ORAS reports it.
pub(super) fn pushed_descriptor(built: &Built) -> Result<Descriptor> {
    let parsed = built.manifest.parse()?;
    Ok(built.referrer_descriptor(
        parsed.artifact_type().unwrap_or(UNKNOWN_ARTIFACT),
        parsed.annotations().unwrap_or(&Annotations::new()),
    ))
}

/// True when both name the same repository of the same registry, or the same layout.
fn same_repository(a: &Location, b: &Location) -> bool {
    match (&a.kind, &b.kind) {
        (Kind::Registry(x), Kind::Registry(y)) => x.registry == y.registry && x.repository == y.repository,
        (Kind::Layout(x), Kind::Layout(y)) => x == y || std::fs::canonicalize(x).ok().is_some_and(|p| std::fs::canonicalize(y).ok() == Some(p)),
        _ => false,
    }
}

/// Opens `--subject` and reads its descriptor; it must live where the artifact is pushed, since
/// referrers are listed in their subject's repository.
async fn resolve_subject(session: &Session, given: &str, layout: bool, pushed_to: &Location) -> Result<Descriptor> {
    let loc = session.locate(given, layout)?;
    if !same_repository(&loc, pushed_to) {
        return Err(Error::usage(format!(
            "--subject {given} is in another repository than {}; a referrer is pushed to its subject's repository",
            pushed_to.given
        )));
    }
    Ok(loc.target.resolve(&loc.repo, &loc.reference()?).await?.plain())
}

pub async fn run(args: PushArgs) -> Result<()> {
    let session = args.remote.session()?;
    let (base, tags) = split_tag_list(&args.reference);
    for t in &tags {
        crate::oci::validate_tag(t).map_err(Error::usage)?;
    }
    let loc: Location = session.locate_for_write(&base, args.remote.oci_layout)?;
    let mut spec = args.artifact.spec()?;
    let subject = match &args.subject {
        Some(s) => Some(resolve_subject(&session, s, args.remote.oci_layout, &loc).await?),
        None => None,
    };
    spec.subject = subject.clone();
    let built = build_off_runtime(spec).await?;
    args.artifact.export(&built)?;
    let view = ProgressView::for_stderr();
    let up = match &subject {
        // A referrer goes up by digest with its subject's referrers index kept, as attach does;
        // tags, if any, come after.
        Some(_) => {
            let up = attach(loc.target.as_ref(), &loc.repo, &built, view.progress()).await?;
            if !tags.is_empty() {
                tag(loc.target.as_ref(), &loc.repo, &up.manifest.digest.to_string(), &tags).await?;
            }
            up
        }
        None => upload(loc.target.as_ref(), &loc.repo, &built, &tags, view.progress()).await?,
    };
    view.finish();
    warn_all(tag_schema_warnings(&up));
    let pushed = pushed_descriptor(&built)?;
    if args.format.json() {
        let mut v = json::descriptor(loc.digest_ref(&pushed.digest), &pushed);
        v.insert("referenceAsTags".into(), json::tag_references(&loc, &tags));
        return json::print(&Value::Object(v));
    }
    print_blobs(&up)?;
    if let Some(s) = &subject {
        print_tag_schema(&up, s)?;
    }
    let shown = if tags.is_empty() { loc.digest_ref(&up.manifest.digest) } else { format!("{base}:{}", tags.join(",")) };
    outln(&format!("Pushed [{}] {}", loc.kind_label(), sanitize(&shown)))?;
    outln(&format!("ArtifactType: {}", sanitize(pushed.kind())))?;
    if let Some(s) = &subject {
        outln(&format!("Subject: {}", loc.digest_ref(&s.digest)))?;
    }
    outln(&format!("Digest: {}", up.manifest.digest))
}
