//! `refscope resolve`: the digest a tag points at.

use clap::Args;

use super::common::{RemoteOptions, outln};
use super::json::{self, FormatOptions};
use crate::error::Result;

#[derive(Args, Debug)]
pub struct ResolveArgs {
    /// REGISTRY/REPO:TAG (or @DIGEST)
    pub reference: String,
    /// Print REGISTRY/REPO@DIGEST instead of the digest alone
    #[arg(long, short = 'l')]
    pub full_reference: bool,
    #[command(flatten)]
    pub format: FormatOptions,
    #[command(flatten)]
    pub remote: RemoteOptions,
}

pub async fn run(args: ResolveArgs) -> Result<()> {
    let session = args.remote.session()?;
    let loc = session.locate(&args.reference, args.remote.oci_layout)?;
    let desc = loc.target.resolve(&loc.repo, &loc.reference()?).await?;
    if args.format.json() {
        return json::print(&serde_json::Value::Object(json::descriptor(loc.digest_ref(&desc.digest), &desc)));
    }
    if args.full_reference {
        outln(&loc.digest_ref(&desc.digest))
    } else {
        outln(&desc.digest.to_string())
    }
}
