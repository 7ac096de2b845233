//! `refscope tag`: more tags on an existing manifest.

use clap::Args;

use super::common::{RemoteOptions, outln};
use super::json::{self, FormatOptions};
use crate::error::{Error, Result};
use crate::graph::push::tag;

#[derive(Args, Debug)]
pub struct TagArgs {
    /// The manifest: REGISTRY/REPO:TAG or REGISTRY/REPO@DIGEST
    pub reference: String,
    /// The new tags
    #[arg(required = true)]
    pub tags: Vec<String>,
    #[command(flatten)]
    pub format: FormatOptions,
    #[command(flatten)]
    pub remote: RemoteOptions,
}

pub async fn run(args: TagArgs) -> Result<()> {
    let session = args.remote.session()?;
    let loc = session.locate(&args.reference, args.remote.oci_layout)?;
    for t in &args.tags {
        crate::oci::validate_tag(t).map_err(Error::usage)?;
    }
    let desc = tag(loc.target.as_ref(), &loc.repo, &loc.reference()?, &args.tags).await?;
    if args.format.json() {
        let mut v = json::descriptor(loc.digest_ref(&desc.digest), &desc);
        v.insert("referenceAsTags".into(), json::tag_references(&loc, &args.tags));
        return json::print(&serde_json::Value::Object(v));
    }
    outln(&format!("Tagging [{}] {}", loc.kind_label(), loc.digest_ref(&desc.digest)))?;
    outln(&format!("Tagged {}", args.tags.join(" ")))
}
