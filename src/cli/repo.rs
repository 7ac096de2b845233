//! `refscope repo ls` and `refscope repo tags`.

use clap::{Args, Subcommand};
use futures_util::StreamExt;

use super::common::{RemoteOptions, outln};
use super::json::{self, FormatOptions};
use crate::error::{Error, Result};
use crate::oci::parse_registry_and_namespace;
use crate::store::layouts::LayoutDir;
use crate::store::{PageRequest, Pager, Target};
use crate::text::sanitize;

#[derive(Subcommand, Debug)]
pub enum RepoCommand {
    /// List the repositories of a registry
    #[command(visible_alias = "list")]
    Ls(LsArgs),
    /// List the tags of a repository, sorted
    #[command(visible_alias = "show-tags")]
    Tags(TagsArgs),
}

#[derive(Args, Debug)]
pub struct LsArgs {
    /// REGISTRY[/NAMESPACE]; with --oci-layout, a layout or a directory of layouts
    pub registry: String,
    /// Start after this repository name
    #[arg(long)]
    pub last: Option<String>,
    #[command(flatten)]
    pub format: FormatOptions,
    #[command(flatten)]
    pub remote: RemoteOptions,
}

#[derive(Args, Debug)]
pub struct TagsArgs {
    /// REGISTRY/REPO (with @DIGEST: only the tags on that digest)
    pub reference: String,
    /// Start after this tag
    #[arg(long)]
    pub last: Option<String>,
    /// Leave out tags like sha256-<hex> (referrers indexes, signatures)
    #[arg(long)]
    pub exclude_digest_tags: bool,
    #[command(flatten)]
    pub format: FormatOptions,
    #[command(flatten)]
    pub remote: RemoteOptions,
}

pub async fn run(cmd: RepoCommand) -> Result<()> {
    match cmd {
        RepoCommand::Ls(a) => ls(a).await,
        RepoCommand::Tags(a) => tags(a).await,
    }
}

async fn ls(args: LsArgs) -> Result<()> {
    let session = args.remote.session()?;
    // Text is printed page by page as it arrives; JSON is one document, printed at the end.
    let mut names = Lines::new(args.format.json());
    if args.remote.oci_layout {
        let path = std::path::Path::new(&args.registry);
        if LayoutDir::holds_layouts(path) {
            for repo in LayoutDir::open(path)?.repositories()? {
                if args.last.as_ref().is_none_or(|l| &repo > l) {
                    names.push(&repo)?;
                }
            }
            return names.finish("repositories");
        }
        let loc = session.locate(&args.registry, true)?;
        names.push(&loc.repo)?;
        return names.finish("repositories");
    }
    let (host, namespace) = parse_registry_and_namespace(&session.config().expand(&args.registry))?;
    let registry = session.registry(&host)?;
    let prefix = namespace.map(|ns| format!("{ns}/"));
    let start = args.last.clone().or_else(|| prefix.as_ref().map(|p| p.trim_end_matches('/').to_string()));
    let mut pager = Pager::new(PageRequest {
        last: start,
        n: 1000,
        next: None,
    });
    while let Some(req) = pager.request() {
        let page = registry.catalog_page(&req).await.map_err(|e| catalog_hint(e, &host))?;
        pager.advance(&page)?;
        let mut past_namespace = false;
        for name in &page.items {
            if let Some(last) = &args.last
                && name <= last
            {
                continue;
            }
            match &prefix {
                Some(p) if name.starts_with(p.as_str()) => names.push(&name[p.len()..])?,
                Some(p) if name.as_str() > p.as_str() => past_namespace = true,
                Some(_) => {}
                None => names.push(name)?,
            }
        }
        if past_namespace {
            break;
        }
    }
    names.finish("repositories")
}

/// Names printed one a line as they come, or gathered for ORAS 1.3's `{"KEY": [...]}`.
struct Lines {
    gathered: Option<Vec<String>>,
}

impl Lines {
    fn new(json: bool) -> Lines {
        Lines { gathered: json.then(Vec::new) }
    }

    fn push(&mut self, name: &str) -> Result<()> {
        match &mut self.gathered {
            Some(all) => {
                all.push(name.to_string());
                Ok(())
            }
            None => outln(&sanitize(name)),
        }
    }

    fn finish(self, key: &str) -> Result<()> {
        match self.gathered {
            Some(all) => json::print(&serde_json::json!({ key: all })),
            None => Ok(()),
        }
    }
}

fn catalog_hint(e: Error, host: &str) -> Error {
    match e {
        Error::NotFound { .. } | Error::Denied { .. } => Error::usage(format!(
            "{host} does not offer its catalog (many registries refuse `_catalog`); name a repository instead, e.g. `refscope repo tags {host}/REPO`"
        )),
        other => other,
    }
}

async fn tags(args: TagsArgs) -> Result<()> {
    let session = args.remote.session()?;
    let loc = session.locate(&args.reference, args.remote.oci_layout)?;
    let mut tags = crate::graph::list_tags(loc.target.as_ref(), &loc.repo, !args.exclude_digest_tags).await?;
    if let Some(last) = &args.last {
        tags.retain(|t| t > last);
    }
    if let Some(digest) = &loc.digest {
        let target = loc.target.clone();
        let repo = loc.repo.clone();
        let checks: Vec<(String, bool)> = crate::graph::eager(tags.into_iter().map(|t| {
            let target = target.clone();
            let repo = repo.clone();
            async move {
                let on = target.resolve(&repo, &t).await.is_ok_and(|d| d.digest == *digest);
                (t, on)
            }
        }))
        .buffered(8)
        .collect()
        .await;
        tags = checks.into_iter().filter(|(_, on)| *on).map(|(t, _)| t).collect();
    }
    let mut lines = Lines::new(args.format.json());
    for t in &tags {
        lines.push(t)?;
    }
    lines.finish("tags")
}
