//! `refscope attach`: files as an artifact that refers to a subject, ORAS style.

use clap::Args;
use serde_json::Value;

use super::common::{RemoteOptions, outln, warn_all};
use super::json::{self, FormatOptions};
use super::progress_view::ProgressView;
use super::push::{ArtifactArgs, build_off_runtime, print_blobs, print_tag_schema, pushed_descriptor, tag_schema_warnings};
use crate::error::{Error, Result};
use crate::graph::push::attach;

#[derive(Args, Debug)]
pub struct AttachArgs {
    /// The subject: REGISTRY/REPO:TAG or REGISTRY/REPO@DIGEST
    pub subject: String,
    #[command(flatten)]
    pub artifact: ArtifactArgs,
    #[command(flatten)]
    pub format: FormatOptions,
    #[command(flatten)]
    pub remote: RemoteOptions,
}

pub async fn run(args: AttachArgs) -> Result<()> {
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
    warn_all(tag_schema_warnings(&up));
    if args.format.json() {
        let pushed = pushed_descriptor(&built)?;
        return json::print(&Value::Object(json::descriptor(loc.digest_ref(&pushed.digest), &pushed)));
    }
    print_blobs(&up)?;
    print_tag_schema(&up, &subject)?;
    outln(&format!("Attached to [{}] {}", loc.kind_label(), loc.digest_ref(&subject.digest)))?;
    outln(&format!("Digest: {}", up.manifest.digest))
}
