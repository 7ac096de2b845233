//! The non-interactive command line: ORAS-compatible verbs over [`crate::graph`].

pub mod attach;
pub mod blob;
pub mod common;
pub mod completion;
pub mod config;
pub mod copy;
pub mod discover;
pub mod fetch_config;
pub mod inspect;
mod json;
pub mod login;
pub mod logout;
pub mod man;
pub mod manifest;
mod progress_view;
pub mod pull;
pub mod push;
pub mod repo;
pub mod resolve;
pub mod tag;

use clap::{Parser, Subcommand};

use crate::error::Result;

#[derive(Parser, Debug)]
#[command(
    name = "refscope",
    version,
    about = "Browse and act on the artifact graph of OCI registries",
    long_about = "refscope shows an OCI registry as the graph it has become: images, charts and files at the \
roots, with signatures, SBOMs and other artifacts attached through the OCI 1.1 `subject` field.\n\n\
Without a verb it opens the terminal UI: on a start screen of configured registries, recent \
targets and the bundled demo (or on the demo itself when there is nothing else), on a registry \
(`refscope localhost:5000`), on a repository or tag (`refscope localhost:5000/net-monitor:v1`), \
on a layout (`refscope --oci-layout PATH[:TAG]`) or on a directory of layouts, one repository \
each (`refscope --oci-layout DIR`).\n\n\
The verbs take ORAS-style references (REGISTRY/REPO[:TAG][@DIGEST]) and flags.",
    args_conflicts_with_subcommands = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub tui: TuiArgs,
}

/// Arguments of the terminal UI (no verb).
#[derive(clap::Args, Debug)]
pub struct TuiArgs {
    /// REGISTRY, REGISTRY/REPO, REGISTRY/REPO:TAG, or with --oci-layout a layout PATH[:TAG] or
    /// a directory of layouts; nothing opens the start screen (or the bundled demo, when there
    /// is nothing else to offer)
    pub target: Option<String>,
    /// Hide and disable everything that writes to a registry (attach, copy, delete)
    #[arg(long)]
    pub read_only: bool,
    /// Largest blob read to inspect an artifact in the details pane and viewer, in MiB
    #[arg(long, value_name = "MIB", default_value_t = crate::inspect::DEFAULT_MAX_BLOB / (1024 * 1024))]
    pub max_blob_size: u64,
    #[command(flatten)]
    pub remote: common::RemoteOptions,
}

impl TuiArgs {
    pub async fn run(self) -> Result<()> {
        let config_path = self.remote.creds.registry_config.clone().or_else(crate::creds::docker_config_path);
        let layout = self.remote.oci_layout;
        // A bad config file does not keep the TUI from starting: it runs with defaults.
        let mut start = crate::tui::Start {
            target: None,
            layout,
            read_only: self.read_only,
            session: self.remote.bare_session()?,
            config_path,
            cache_dir: None,
            startup_message: None,
            max_blob: self.max_blob_size.saturating_mul(1024 * 1024),
        }
        .with_config(crate::config::Config::load());
        start.target = self.target.map(|t| if layout { t } else { start.session.config().expand(&t) });
        crate::tui::run(start).await
    }
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Show the referrers graph of an artifact (tree, JSON or table)
    Discover(discover::DiscoverArgs),
    /// Summarise what an artifact says: image config, SBOM, attestation, signature, chart, files
    Inspect(inspect::InspectArgs),
    /// Download an artifact's files into a directory
    Pull(pull::PullArgs),
    /// Manifest operations
    #[command(subcommand)]
    Manifest(manifest::ManifestCommand),
    /// Blob operations
    #[command(subcommand)]
    Blob(blob::BlobCommand),
    /// Repository operations: list repositories, list tags
    #[command(subcommand)]
    Repo(repo::RepoCommand),
    /// Print the digest a tag points at
    Resolve(resolve::ResolveArgs),
    /// Push files and directories as an artifact
    Push(push::PushArgs),
    /// Attach files to an artifact as a referrer (signature, SBOM, …)
    Attach(attach::AttachArgs),
    /// Copy an artifact, and with -r its referrers graph, to another repository or registry
    #[command(visible_alias = "cp")]
    Copy(copy::CopyArgs),
    /// Add tags to a manifest
    Tag(tag::TagArgs),
    /// Check credentials against a registry and store them
    Login(login::LoginArgs),
    /// Forget stored credentials for a registry
    Logout(logout::LogoutArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell)
    Completion(completion::CompletionArgs),
    /// Print the manual page (roff), or write one page per verb with --dir
    Man(man::ManArgs),
    /// Print where the config file is and the settings in force (no secrets)
    Config(config::ConfigArgs),
}

pub async fn run(cli: Cli) -> Result<()> {
    let Some(command) = cli.command else {
        return cli.tui.run().await;
    };
    match command {
        Command::Discover(a) => discover::run(a).await,
        Command::Inspect(a) => inspect::run(a).await,
        Command::Pull(a) => pull::run(a).await,
        Command::Manifest(c) => manifest::run(c).await,
        Command::Blob(c) => blob::run(c).await,
        Command::Repo(c) => repo::run(c).await,
        Command::Resolve(a) => resolve::run(a).await,
        Command::Push(a) => push::run(a).await,
        Command::Attach(a) => attach::run(a).await,
        Command::Copy(a) => copy::run(a).await,
        Command::Tag(a) => tag::run(a).await,
        Command::Login(a) => login::run(a).await,
        Command::Logout(a) => logout::run(a).await,
        Command::Completion(a) => completion::run(a),
        Command::Man(a) => man::run(a),
        Command::Config(a) => config::run(a),
    }
}
