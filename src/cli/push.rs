//! `refscope push` and `refscope attach`: files and directories as an artifact, ORAS style.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::SystemTime;

use clap::Args;

use super::common::{Location, RemoteOptions, outln, parse_annotations, split_tag_list};
use super::progress_view::ProgressView;
use crate::error::{Error, Result};
use crate::graph::pack::FileInput;
use crate::graph::push::{ArtifactSpec, Built, Uploaded, attach, build, upload};
use crate::oci::Annotations;
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
    /// REGISTRY/REPO[:TAG[,TAG…]] (or PATH[:TAG] with --oci-layout)
    pub reference: String,
    #[command(flatten)]
    pub artifact: ArtifactArgs,
    #[command(flatten)]
    pub remote: RemoteOptions,
}

#[derive(Args, Debug)]
pub struct AttachArgs {
    /// The subject: REGISTRY/REPO:TAG or REGISTRY/REPO@DIGEST
    pub subject: String,
    #[command(flatten)]
    pub artifact: ArtifactArgs,
    #[command(flatten)]
    pub remote: RemoteOptions,
}

impl ArtifactArgs {
    fn spec(&self) -> Result<ArtifactSpec> {
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

    fn export(&self, built: &Built) -> Result<()> {
        if let Some(path) = &self.export_manifest {
            std::fs::write(path, &built.manifest.bytes).map_err(|e| Error::io(path, e))?;
        }
        Ok(())
    }
}

async fn build_off_runtime(spec: ArtifactSpec) -> Result<Built> {
    tokio::task::spawn_blocking(move || build(&spec, SystemTime::now()))
        .await
        .map_err(|e| Error::usage(format!("packing failed: {e}")))?
}

fn print_blobs(up: &Uploaded) -> Result<()> {
    for d in &up.sent {
        outln(&format!("Uploaded  {} {}", d.digest.short(), sanitize(d.title().unwrap_or(&d.media_type))))?;
    }
    for d in &up.skipped {
        outln(&format!("Exists    {} {}", d.digest.short(), sanitize(d.title().unwrap_or(&d.media_type))))?;
    }
    Ok(())
}

pub async fn push(args: PushArgs) -> Result<()> {
    let session = args.remote.session()?;
    let (base, tags) = split_tag_list(&args.reference);
    let loc: Location = session.locate_for_write(&base, args.remote.oci_layout)?;
    let spec = args.artifact.spec()?;
    let artifact_type = spec.artifact_type.clone().unwrap_or_else(|| crate::graph::push::UNKNOWN_ARTIFACT.into());
    let built = build_off_runtime(spec).await?;
    args.artifact.export(&built)?;
    let view = ProgressView::for_stderr();
    let up = upload(loc.target.as_ref(), &loc.repo, &built, &tags, view.progress()).await?;
    view.finish();
    print_blobs(&up)?;
    let shown = if tags.is_empty() { loc.digest_ref(&up.manifest.digest) } else { format!("{base}:{}", tags.join(",")) };
    outln(&format!("Pushed [{}] {}", loc.kind_label(), sanitize(&shown)))?;
    outln(&format!("ArtifactType: {}", sanitize(&artifact_type)))?;
    outln(&format!("Digest: {}", up.manifest.digest))
}

pub async fn attach_cmd(args: AttachArgs) -> Result<()> {
    let session = args.remote.session()?;
    let loc = session.locate(&args.subject, args.remote.oci_layout)?;
    let mut spec = args.artifact.spec()?;
    if spec.artifact_type.is_none() {
        return Err(Error::usage("attach needs --artifact-type, e.g. --artifact-type signature/example"));
    }
    let subject = loc.target.resolve(&loc.repo, &loc.reference()?).await?;
    spec.subject = Some(subject.plain());
    let built = build_off_runtime(spec).await?;
    args.artifact.export(&built)?;
    let view = ProgressView::for_stderr();
    let up = attach(loc.target.as_ref(), &loc.repo, &built, view.progress()).await?;
    view.finish();
    print_blobs(&up)?;
    if let Some(f) = &up.fallback
        && let Some(index) = &f.index
    {
        outln(&format!(
            "Listed in referrers index {} (tag {})",
            index.short(),
            subject.digest.fallback_tag()
        ))?;
    }
    outln(&format!("Attached to [{}] {}", loc.kind_label(), loc.digest_ref(&subject.digest)))?;
    outln(&format!("Digest: {}", up.manifest.digest))
}
