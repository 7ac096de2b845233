//! The TUI model: one plain struct, changed only by [`update`], which returns the work to do
//! as [`Effect`]s. No I/O happens here; answers come back as [`WorkerEvent`]s.
//!
//! Where each part lives: [`update`] (keys, actions, focus), [`answers`] (one function per
//! worker event), [`command`] (the `:` line), [`dialogs`] (state and keys of each dialog),
//! [`requests`] (what to load next), and the panes' own state in [`lists`] and [`tree`].

mod answers;
pub mod command;
pub mod inspect;
pub mod dialogs;
pub mod jobs;
pub mod lists;
mod requests;
pub mod store;
pub mod tag_order;
pub mod tree;
mod update;

use std::collections::HashMap;

use crossterm::event::KeyEvent;

pub use self::update::update;
use self::dialogs::attach::AttachStage;
use self::dialogs::login::LoginForm;
use self::dialogs::{ArtifactRef, Modal};
use self::jobs::{JobKind, Jobs};
use self::lists::{ReposPane, TagsPane};
use self::store::Store;
use self::tree::{RowKind, TreeModel};
use crate::oci::TagOrDigest;
use super::keymap::{Context, Keymap};
use super::ui::palette::Palette;
use super::protocol::{Effect, Failure, JobId, Lease, RequestId, WorkerEvent};
use super::view_model::Loaded;
use crate::oci::Digest;
use crate::store::registry::ratelimit::RateLimit;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Pane {
    Repos,
    Tags,
    Tree,
    Details,
}

impl Pane {
    pub fn context(self) -> Context {
        match self {
            Pane::Repos => Context::Repos,
            Pane::Tags => Context::Tags,
            Pane::Tree => Context::Tree,
            Pane::Details => Context::Details,
        }
    }

    /// The name on the pane's border; every name of a pane is its context's.
    pub fn title(self) -> &'static str {
        self.context().pane_title()
    }

    const ORDER: [Pane; 4] = [Pane::Repos, Pane::Tags, Pane::Tree, Pane::Details];

    fn step(self, by: isize) -> Pane {
        let i = Pane::ORDER.iter().position(|p| *p == self).unwrap_or(0) as isize;
        Pane::ORDER[(i + by).rem_euclid(4) as usize]
    }
}

/// Everything that can change the model.
#[derive(Debug, Clone)]
pub enum Msg {
    Key(KeyEvent),
    Paste(String),
    Resize(u16, u16),
    Tick,
    Worker(WorkerEvent),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Info,
    Error,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub level: Level,
    pub text: String,
}

impl Message {
    pub fn info(text: impl Into<String>) -> Message {
        Message { level: Level::Info, text: text.into() }
    }

    pub fn error(text: impl Into<String>) -> Message {
        Message { level: Level::Error, text: text.into() }
    }
}

/// How the app was started.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// What the status bar calls the target (`localhost:5000`, `layout assets/net-monitor`,
    /// `layout assets` for a directory of layouts).
    pub target_label: String,
    /// The registry host, for login; `None` for a layout or a directory of layouts.
    pub registry: Option<String>,
    pub has_catalog: bool,
    /// The repository to open at start.
    pub repo: Option<String>,
    /// The tag or digest to open at start.
    pub reference: Option<String>,
    pub read_only: bool,
    /// Colours on (off with `NO_COLOR`).
    pub color: bool,
    /// What the status bar says at start: a config file that could not be used, keys in it
    /// that nothing reads.
    pub startup_message: Option<Message>,
    /// The key bindings in force.
    pub keys: Keymap,
    /// The colours, when `color` is on.
    pub palette: Palette,
    /// The config file sets how referrers are listed for this registry (not found out).
    pub referrers_set_in_config: bool,
}

impl Options {
    /// How a reference into `repo` starts: `host/repo`, a directory of layouts' `path/repo`,
    /// or one layout's path.
    pub fn reference_base(&self, repo: &str) -> String {
        let path = self.target_label.trim_start_matches("layout ");
        match &self.registry {
            Some(host) => format!("{host}/{repo}"),
            None if self.has_catalog => format!("{path}/{repo}"),
            None => path.to_string(),
        }
    }
}

#[derive(Debug, Default)]
struct Pending {
    catalog: Option<RequestId>,
    tags: Option<RequestId>,
    subject: Option<RequestId>,
    referrers: HashMap<Digest, RequestId>,
}

/// Nodes opened automatically when a graph is opened, so a small graph shows whole.
const AUTO_EXPAND: usize = 24;

pub struct App {
    pub opts: Options,
    pub size: (u16, u16),
    pub focus: Pane,
    pub repos: ReposPane,
    pub tags: TagsPane,
    pub tree: TreeModel,
    pub details_scroll: u16,
    /// The details pane follows the tags pane (else the tree).
    pub details_from_tags: bool,
    /// What has been fetched; the panes derive from it.
    pub store: Store,
    /// Summaries of what artifacts say, by digest.
    pub inspections: inspect::Inspections,
    /// The full-screen viewer, when open.
    pub viewer: Option<inspect::Viewer>,
    pub modal: Option<Modal>,
    pub jobs: Jobs,
    pub message: Option<Message>,
    /// Who the registry sees (anonymous, a user and where the credential came from).
    pub auth: String,
    /// What the registry's rate-limit headers said last.
    pub rate_limit: Option<RateLimit>,
    pub tick: u64,
    pub quit: bool,
    next_id: u64,
    pending: Pending,
    /// A tag to select in the tags pane once its list arrives.
    select_tag: Option<String>,
    /// A repository to select again once a reloaded catalog has it.
    select_repo_after_reload: Option<String>,
    /// A refresh the user asked for is under way: its end is said in the status bar.
    refresh_announced: bool,
    auto_expand: usize,
}

impl App {
    pub fn new(opts: Options) -> App {
        let message = opts.startup_message.clone();
        App {
            auth: if opts.registry.is_some() { "anonymous".into() } else { "local files".into() },
            opts,
            size: (100, 30),
            focus: Pane::Repos,
            repos: ReposPane::default(),
            tags: TagsPane::default(),
            tree: TreeModel::default(),
            details_scroll: 0,
            details_from_tags: false,
            store: Store::default(),
            inspections: inspect::Inspections::default(),
            viewer: None,
            modal: None,
            jobs: Jobs::default(),
            message,
            rate_limit: None,
            tick: 0,
            quit: false,
            next_id: 1,
            pending: Pending::default(),
            select_tag: None,
            select_repo_after_reload: None,
            refresh_announced: false,
            auto_expand: 0,
        }
    }

    fn id(&mut self) -> RequestId {
        self.next_id += 1;
        self.next_id
    }

    /// The first loads; the screen is drawn before any answer arrives.
    pub fn init(&mut self) -> Vec<Effect> {
        let mut fx = Vec::new();
        if self.opts.has_catalog {
            fx.extend(self.load_catalog(None));
        }
        if let Some(repo) = self.opts.repo.clone() {
            self.repos.add_and_select(&repo);
            // Without a catalog, the repository named is the whole list.
            self.repos.complete = !self.opts.has_catalog;
            fx.extend(self.open_repo(&repo));
            self.focus = Pane::Tags;
            match self.opts.reference.as_deref().map(TagOrDigest::parse) {
                Some(Ok(reference)) => {
                    self.select_tag = reference.tag().map(str::to_string);
                    fx.extend(self.open_subject(&repo, &reference));
                    self.focus = Pane::Tree;
                }
                Some(Err(e)) => self.error(e.to_string()),
                None => {}
            }
        }
        fx
    }

    /// Lines a page key moves.
    pub fn page_size(&self) -> isize {
        (self.size.1 as isize / 2 - 4).max(1)
    }

    pub fn info(&mut self, text: impl Into<String>) {
        self.message = Some(Message::info(text));
    }

    pub fn error(&mut self, text: impl Into<String>) {
        self.message = Some(Message::error(text));
    }

    /// Whether the tree shows something from the cache that is still being checked against
    /// the registry.
    pub fn refreshing(&self) -> bool {
        (self.pending.subject.is_some() && self.tree.root().ready().is_some())
            || self
                .pending
                .referrers
                .keys()
                .any(|d| self.tree.referrers_of(d).is_some_and(|l| l.ready().is_some()))
    }

    /// Whether anything is in progress (the view animates a spinner then).
    pub fn busy(&self) -> bool {
        self.repos.loading
            || self.tags.loading
            || self.tree.root().is_loading()
            || !self.pending.referrers.is_empty()
            || !self.jobs.running.is_empty()
            || matches!(&self.modal, Some(Modal::CopyReview { preview: Loaded::Loading, .. }) | Some(Modal::DeleteReview { preview: Loaded::Loading, .. }))
            || matches!(&self.modal, Some(Modal::Attach(f)) if matches!(f.stage, AttachStage::Building(_)))
    }

    /// The artifact the focused selection names.
    pub fn selected_artifact(&self) -> Option<ArtifactRef> {
        let from_tags = self.focus == Pane::Tags || (self.focus != Pane::Tree && self.details_from_tags);
        if from_tags {
            let repo = self.tags.repo.clone()?;
            let tag = self.tags.selected()?.clone();
            return Some(ArtifactRef {
                label: format!("{repo}:{tag}"),
                digest: self.tags.info.get(&tag).and_then(Loaded::ready).map(|i| i.digest.clone()),
                repo,
                reference: TagOrDigest::Tag(tag),
            });
        }
        let subject = self.tree.subject()?;
        let row = self.tree.selected_row(&self.store)?;
        match row.kind {
            RowKind::Root => {
                let reference = subject.reference.clone();
                Some(ArtifactRef {
                    repo: subject.repo.clone(),
                    label: reference.after(&subject.repo),
                    reference,
                    digest: row.digest,
                })
            }
            RowKind::Node | RowKind::Platform => {
                let d = row.digest?;
                Some(ArtifactRef {
                    repo: subject.repo.clone(),
                    reference: TagOrDigest::Digest(d.clone()),
                    label: format!("{}@{}", subject.repo, d.short()),
                    digest: Some(d),
                })
            }
            _ => None,
        }
    }

    /// The full reference of the selection, for the clipboard.
    fn full_reference(&self, a: &ArtifactRef) -> String {
        let base = self.opts.reference_base(&a.repo);
        a.reference.after(&base)
    }

    /// Starts a job; `lease` keeps what the worker parked for it until the job ends.
    fn start_job(&mut self, label: String, kind: JobKind, cancellable: bool, lease: Option<Lease>) -> JobId {
        let job = self.id();
        self.jobs.start(job, label, kind, cancellable, lease);
        job
    }

    /// The one read-only check, for keys and the `:` line alike: what to tell the user when
    /// writes are off.
    fn check_writable(&self) -> Result<(), String> {
        match self.opts.read_only {
            true => Err("read-only mode: nothing can be changed (started with --read-only)".into()),
            false => Ok(()),
        }
    }

    fn writes_allowed(&mut self) -> bool {
        let checked = self.check_writable();
        if let Err(why) = &checked {
            self.error(why.clone());
        }
        checked.is_ok()
    }

    /// Reports a failure in the status bar; one that needs credentials also opens the login
    /// dialog.
    fn report_failure(&mut self, f: &Failure) {
        if let Some(registry) = &f.unauthorized
            && !matches!(self.modal, Some(Modal::Login(_)))
        {
            self.modal = Some(Modal::Login(Box::new(LoginForm::new(registry))));
        }
        self.error(f.message.clone());
    }

    /// Reports a failure only when it needs credentials: for answers whose failure is already
    /// shown where it belongs (a job's labelled message, a review's pane).
    fn report_if_unauthorized(&mut self, f: &Failure) {
        if f.unauthorized.is_some() {
            self.report_failure(f);
        }
    }
}

#[cfg(test)]
mod tests;
