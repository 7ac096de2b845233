//! The TUI model: one plain struct, changed only by [`update`], which returns the work to do
//! as [`Effect`]s. No I/O happens here; answers come back as [`WorkerEvent`]s.

pub mod jobs;
pub mod lists;
pub mod modal;
pub mod tree;

use std::collections::HashMap;
use std::path::PathBuf;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use tui_input::Input;
use tui_input::backend::crossterm::EventHandler;

use self::jobs::{JobKind, Jobs};
use self::lists::{ReposPane, TagInfo, TagsPane};
use self::modal::{ATTACH_ANNOTATIONS, ATTACH_FILES, ATTACH_TYPE, ArtifactRef, AttachForm, AttachStage, LoginForm, Modal, Prompt, PromptKind};
use self::tree::{Loaded, RowKind, Subject, TreeModel};
use super::keymap::{self, Action, Context};
use super::protocol::{Effect, Failure, JobId, ManifestView, RequestId, WorkerEvent};
use crate::oci::Digest;

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

    pub fn title(self) -> &'static str {
        match self {
            Pane::Repos => "Repositories",
            Pane::Tags => "Tags",
            Pane::Tree => "Referrers",
            Pane::Details => "Details",
        }
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
    pub manifests: HashMap<Digest, Loaded<ManifestView>>,
    pub modal: Option<Modal>,
    pub jobs: Jobs,
    pub message: Option<Message>,
    /// Who the registry sees (anonymous, a user and where the credential came from).
    pub auth: String,
    pub tick: u64,
    pub quit: bool,
    next_id: u64,
    pending: Pending,
    /// A tag to select in the tags pane once its list arrives.
    select_tag: Option<String>,
    /// A repository to select again once a reloaded catalog has it.
    select_repo_after_reload: Option<String>,
    auto_expand: usize,
}

fn key_is(key: &KeyEvent, code: KeyCode) -> bool {
    key.code == code && !key.modifiers.contains(KeyModifiers::CONTROL)
}

impl App {
    pub fn new(opts: Options) -> App {
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
            manifests: HashMap::new(),
            modal: None,
            jobs: Jobs::default(),
            message: None,
            tick: 0,
            quit: false,
            next_id: 1,
            pending: Pending::default(),
            select_tag: None,
            select_repo_after_reload: None,
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
            if let Some(reference) = self.opts.reference.clone() {
                if !reference.contains(':') {
                    self.select_tag = Some(reference.clone());
                }
                fx.extend(self.open_subject(&repo, &reference));
                self.focus = Pane::Tree;
            }
        }
        fx
    }

    /// Lines a page key moves.
    pub fn page_size(&self) -> isize {
        (self.size.1 as isize / 2 - 4).max(1)
    }

    pub fn info(&mut self, text: impl Into<String>) {
        self.message = Some(Message {
            level: Level::Info,
            text: text.into(),
        });
    }

    pub fn error(&mut self, text: impl Into<String>) {
        self.message = Some(Message {
            level: Level::Error,
            text: text.into(),
        });
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

    fn load_catalog(&mut self, next: Option<String>) -> Vec<Effect> {
        let id = self.id();
        self.repos.loading = true;
        self.pending.catalog = Some(id);
        vec![Effect::LoadCatalog { id, next }]
    }

    fn open_repo(&mut self, repo: &str) -> Vec<Effect> {
        let id = self.id();
        self.tags.open(repo);
        self.repos.opened = Some(repo.to_string());
        self.pending.tags = Some(id);
        vec![Effect::LoadTags {
            id,
            repo: repo.to_string(),
        }]
    }

    fn open_subject(&mut self, repo: &str, reference: &str) -> Vec<Effect> {
        let id = self.id();
        self.tree.open(Subject {
            repo: repo.to_string(),
            reference: reference.to_string(),
        });
        self.pending.subject = Some(id);
        self.pending.referrers.clear();
        self.auto_expand = AUTO_EXPAND;
        self.details_from_tags = false;
        self.details_scroll = 0;
        vec![Effect::ResolveSubject {
            id,
            repo: repo.to_string(),
            reference: reference.to_string(),
        }]
    }

    fn ensure_manifest(&mut self, digest: &Digest) -> Vec<Effect> {
        let Some(repo) = self.current_repo() else { return Vec::new() };
        if self.manifests.contains_key(digest) {
            return Vec::new();
        }
        self.manifests.insert(digest.clone(), Loaded::Loading);
        vec![Effect::LoadManifest {
            repo,
            digest: digest.clone(),
        }]
    }

    fn current_repo(&self) -> Option<String> {
        self.tree.subject().map(|s| s.repo.clone()).or_else(|| self.tags.repo.clone())
    }

    /// The digest the details pane shows.
    pub fn details_digest(&self) -> Option<Digest> {
        if self.details_from_tags {
            let tag = self.tags.selected()?;
            return self.tags.info.get(tag)?.ready().map(|i| i.digest.clone());
        }
        self.tree.selected_row()?.digest
    }

    /// Requests what the current selection needs to be described.
    fn follow_selection(&mut self) -> Vec<Effect> {
        let mut fx = Vec::new();
        if self.details_from_tags
            && let Some(repo) = self.tags.repo.clone()
        {
            let tags = self.tags.to_describe(self.size.1 as usize);
            if !tags.is_empty() {
                fx.push(Effect::DescribeTags { repo, tags });
            }
        }
        if let Some(d) = self.details_digest() {
            fx.extend(self.ensure_manifest(&d));
        }
        fx
    }

    /// Asks for the referrers of every opened node that has none loaded, opening a few more
    /// while the auto-expand budget lasts.
    fn fill_tree(&mut self) -> Vec<Effect> {
        let Some(repo) = self.tree.subject().map(|s| s.repo.clone()) else { return Vec::new() };
        let mut fx = Vec::new();
        let mut root_needed = None;
        if let Some(root) = self.tree.root_digest().cloned()
            && self.tree.referrers_of(&root).is_none()
        {
            root_needed = Some(root);
        }
        let mut wanted: Vec<Digest> = root_needed.into_iter().collect();
        for row in self.tree.rows().iter() {
            if !matches!(row.kind, RowKind::Node | RowKind::Platform) {
                continue;
            }
            let Some(d) = row.digest.clone() else { continue };
            let open = self.tree.is_expanded(&row.path);
            if !open && self.auto_expand > 0 && row.expandable {
                self.auto_expand -= 1;
                self.tree.expand_path(row.path.clone());
            } else if !open {
                continue;
            }
            if self.tree.referrers_of(&d).is_none_or(|l| matches!(l, Loaded::NotRequested)) {
                wanted.push(d);
            }
        }
        for d in wanted {
            if self.pending.referrers.contains_key(&d) {
                continue;
            }
            let id = self.id();
            self.pending.referrers.insert(d.clone(), id);
            self.tree.set_loading(d.clone());
            fx.push(Effect::LoadReferrers {
                id,
                repo: repo.clone(),
                digest: d,
            });
        }
        fx
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
                reference: tag.clone(),
                tag: Some(tag),
            });
        }
        let subject = self.tree.subject()?;
        let row = self.tree.selected_row()?;
        match row.kind {
            RowKind::Root => {
                let is_tag = !subject.reference.contains(':');
                Some(ArtifactRef {
                    repo: subject.repo.clone(),
                    reference: subject.reference.clone(),
                    tag: is_tag.then(|| subject.reference.clone()),
                    digest: row.digest,
                    label: format!("{}{}{}", subject.repo, if is_tag { ":" } else { "@" }, subject.reference),
                })
            }
            RowKind::Node | RowKind::Platform => {
                let d = row.digest?;
                Some(ArtifactRef {
                    repo: subject.repo.clone(),
                    reference: d.to_string(),
                    tag: None,
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
        let sep = if a.reference.contains(':') { "@" } else { ":" };
        format!("{base}{sep}{}", a.reference)
    }

    fn start_job(&mut self, label: String, kind: JobKind, cancellable: bool) -> JobId {
        let job = self.id();
        self.jobs.start(job, label, kind, cancellable);
        job
    }

    fn writes_allowed(&mut self) -> bool {
        if self.opts.read_only {
            self.error("read-only mode: nothing can be changed (started with --read-only)");
        }
        !self.opts.read_only
    }

    /// Reloads what is shown; caches of content addressed by digest stay.
    fn refresh(&mut self) -> Vec<Effect> {
        let mut fx = Vec::new();
        if self.opts.has_catalog && self.repos.refused.is_none() {
            let keep = self.repos.selected().cloned();
            self.repos.reset();
            self.select_repo_after_reload = keep;
            fx.extend(self.load_catalog(None));
        }
        if let Some(repo) = self.tags.repo.clone() {
            let keep = self.tags.selected().cloned();
            fx.extend(self.open_repo(&repo));
            self.select_tag = keep;
        }
        if let Some(subject) = self.tree.subject().cloned() {
            let id = self.id();
            self.pending.subject = Some(id);
            self.pending.referrers.clear();
            self.tree.forget_referrers();
            self.tree.set_root(Loaded::Loading);
            fx.push(Effect::ResolveSubject {
                id,
                repo: subject.repo,
                reference: subject.reference,
            });
        }
        fx
    }

    /// Reports a failure; one that needs credentials also opens the login dialog.
    fn unauthorized(&mut self, f: &Failure) {
        if let Some(registry) = &f.unauthorized
            && !matches!(self.modal, Some(Modal::Login(_)))
        {
            self.modal = Some(Modal::Login(Box::new(LoginForm {
                registry: registry.clone(),
                username: Input::default(),
                password: Input::default(),
                save: false,
                focus: 0,
                error: None,
                busy: false,
            })));
        }
        self.error(f.message.clone());
    }
}

/// The reducer.
pub fn update(app: &mut App, msg: Msg) -> Vec<Effect> {
    match msg {
        Msg::Key(key) => on_key(app, key),
        Msg::Paste(text) => {
            if let Some(input) = focused_input(app) {
                for c in text.chars().filter(|c| !c.is_control()) {
                    input.handle(tui_input::InputRequest::InsertChar(c));
                }
            }
            Vec::new()
        }
        Msg::Resize(w, h) => {
            app.size = (w, h);
            Vec::new()
        }
        Msg::Tick => {
            app.tick = app.tick.wrapping_add(1);
            Vec::new()
        }
        Msg::Worker(ev) => on_worker(app, ev),
    }
}

fn focused_input(app: &mut App) -> Option<&mut Input> {
    match app.modal.as_mut()? {
        Modal::Prompt(p) => Some(&mut p.input),
        Modal::Attach(f) if f.stage == AttachStage::Editing => Some(&mut f.fields[f.focus]),
        Modal::Login(f) if f.focus < 2 => Some(if f.focus == 0 { &mut f.username } else { &mut f.password }),
        _ => None,
    }
}

fn on_key(app: &mut App, key: KeyEvent) -> Vec<Effect> {
    // A terminal sends Esc then a quick key as one Alt-key: take it as the two keys.
    if key.modifiers.contains(KeyModifiers::ALT) && matches!(key.code, KeyCode::Char(_)) {
        let mut fx = on_key(app, KeyEvent::new(KeyCode::Esc, KeyModifiers::NONE));
        fx.extend(on_key(app, KeyEvent::new(key.code, key.modifiers - KeyModifiers::ALT)));
        return fx;
    }
    if let Some(modal) = app.modal.take() {
        return on_modal_key(app, modal, key);
    }
    let Some(action) = keymap::lookup(&key, app.focus.context(), app.opts.read_only) else {
        return Vec::new();
    };
    if !matches!(action, Action::Up | Action::Down | Action::PageUp | Action::PageDown) {
        app.message = None;
    }
    on_action(app, action)
}

fn on_action(app: &mut App, action: Action) -> Vec<Effect> {
    let page = app.page_size();
    match action {
        Action::Quit => {
            app.quit = true;
            Vec::new()
        }
        Action::Help => {
            app.modal = Some(Modal::Help { scroll: 0 });
            Vec::new()
        }
        Action::FocusNext => focus(app, app.focus.step(1)),
        Action::FocusPrev => focus(app, app.focus.step(-1)),
        Action::FocusRepos => focus(app, Pane::Repos),
        Action::FocusTags => focus(app, Pane::Tags),
        Action::FocusTree => focus(app, Pane::Tree),
        Action::FocusDetails => focus(app, Pane::Details),
        Action::Up => move_by(app, -1),
        Action::Down => move_by(app, 1),
        Action::PageUp => move_by(app, -page),
        Action::PageDown => move_by(app, page),
        Action::Top => move_by(app, -isize::MAX / 2),
        Action::Bottom => {
            match app.focus {
                Pane::Repos => app.repos.list.bottom(),
                Pane::Tags => app.tags.list.bottom(),
                Pane::Tree => app.tree.select_last(),
                Pane::Details => app.details_scroll = u16::MAX / 2,
            }
            let mut fx = app.follow_selection();
            if app.focus == Pane::Repos && app.repos.wants_more(page as usize * 2) {
                let next = app.repos.next.clone();
                fx.extend(app.load_catalog(next));
            }
            fx
        }
        Action::Open => match app.focus {
            Pane::Repos => {
                let Some(repo) = app.repos.selected().cloned() else { return Vec::new() };
                app.focus = Pane::Tags;
                app.open_repo(&repo)
            }
            Pane::Tags => {
                let (Some(repo), Some(tag)) = (app.tags.repo.clone(), app.tags.selected().cloned()) else {
                    return Vec::new();
                };
                app.focus = Pane::Tree;
                let mut fx = app.open_subject(&repo, &tag);
                fx.extend(app.follow_selection());
                fx
            }
            _ => Vec::new(),
        },
        Action::Expand => {
            if app.focus != Pane::Tree {
                return Vec::new();
            }
            app.tree.toggle();
            let mut fx = app.fill_tree();
            fx.extend(app.follow_selection());
            fx
        }
        Action::Collapse => {
            app.tree.collapse();
            app.follow_selection()
        }
        Action::Filter => {
            match app.focus {
                Pane::Repos | Pane::Tags => {
                    let current = if app.focus == Pane::Repos { &app.repos.list.filter } else { &app.tags.list.filter };
                    app.modal = Some(Modal::Prompt(Prompt::new(PromptKind::Filter(app.focus), &current.clone())));
                }
                Pane::Tree => {
                    let current = app.tree.type_filter().unwrap_or_default().to_string();
                    app.modal = Some(Modal::Prompt(Prompt::new(PromptKind::TypeFilter, &current)));
                }
                Pane::Details => {}
            }
            Vec::new()
        }
        Action::FilterArtifactType => {
            let current = app.tree.type_filter().unwrap_or_default().to_string();
            app.modal = Some(Modal::Prompt(Prompt::new(PromptKind::TypeFilter, &current)));
            Vec::new()
        }
        Action::CommandLine => {
            app.modal = Some(Modal::Prompt(Prompt::new(PromptKind::Command, "")));
            Vec::new()
        }
        Action::Refresh => {
            app.info("refreshing…");
            app.refresh()
        }
        Action::ToggleDigestTags => {
            app.tags.show_digest_tags = !app.tags.show_digest_tags;
            app.tags.reshow();
            app.info(if app.tags.show_digest_tags { "showing sha256-… index tags" } else { "hiding sha256-… index tags" });
            app.follow_selection()
        }
        Action::YankDigest | Action::YankReference => {
            let Some(a) = app.selected_artifact() else { return Vec::new() };
            let text = if action == Action::YankDigest {
                match &a.digest {
                    Some(d) => d.to_string(),
                    None => {
                        app.error("the digest is not known yet; try again in a moment");
                        return Vec::new();
                    }
                }
            } else {
                app.full_reference(&a)
            };
            app.info(format!("copied {text} to the clipboard (OSC 52)"));
            vec![Effect::Clipboard(text)]
        }
        Action::Pull => {
            let Some(a) = app.selected_artifact() else { return no_selection(app) };
            let short = a.reference.trim_start_matches("sha256:").chars().take(12).collect::<String>();
            let name = a.repo.rsplit('/').next().unwrap_or(&a.repo).to_string();
            let default = format!("./{name}-{short}");
            app.modal = Some(Modal::Prompt(Prompt::new(PromptKind::PullDir(a), &default)));
            Vec::new()
        }
        Action::Attach => {
            if !app.writes_allowed() {
                return Vec::new();
            }
            let Some(a) = app.selected_artifact() else { return no_selection(app) };
            app.modal = Some(Modal::Attach(Box::new(AttachForm::new(a))));
            Vec::new()
        }
        Action::Copy => {
            if !app.writes_allowed() {
                return Vec::new();
            }
            let Some(a) = app.selected_artifact() else { return no_selection(app) };
            app.modal = Some(Modal::Prompt(Prompt::new(PromptKind::CopyDest(a), "")));
            Vec::new()
        }
        Action::Delete => {
            if !app.writes_allowed() {
                return Vec::new();
            }
            let Some(a) = app.selected_artifact() else { return no_selection(app) };
            plan_delete(app, a)
        }
        Action::CancelJob => match app.jobs.cancellable() {
            Some(job) => {
                job.cancelling = true;
                let id = job.id;
                app.info("cancelling: nothing will be tagged at the destination");
                vec![Effect::Cancel { job: id }]
            }
            None => {
                app.info("nothing to cancel");
                Vec::new()
            }
        },
    }
}

fn no_selection(app: &mut App) -> Vec<Effect> {
    app.error("select a tag or an artifact in the tree first");
    Vec::new()
}

fn focus(app: &mut App, pane: Pane) -> Vec<Effect> {
    app.focus = pane;
    match pane {
        Pane::Tags => app.details_from_tags = true,
        Pane::Tree => app.details_from_tags = false,
        _ => {}
    }
    app.follow_selection()
}

fn move_by(app: &mut App, delta: isize) -> Vec<Effect> {
    let page = app.page_size() as usize;
    match app.focus {
        Pane::Repos => {
            app.repos.list.move_by(delta);
            if app.repos.wants_more(page * 2) {
                let next = app.repos.next.clone();
                return app.load_catalog(next);
            }
            Vec::new()
        }
        Pane::Tags => {
            app.tags.list.move_by(delta);
            app.details_from_tags = true;
            app.details_scroll = 0;
            app.follow_selection()
        }
        Pane::Tree => {
            app.tree.move_by(delta);
            app.details_from_tags = false;
            app.details_scroll = 0;
            app.follow_selection()
        }
        Pane::Details => {
            app.details_scroll = (app.details_scroll as isize + delta).clamp(0, u16::MAX as isize / 2) as u16;
            Vec::new()
        }
    }
}

fn plan_delete(app: &mut App, a: ArtifactRef) -> Vec<Effect> {
    let id = app.id();
    let effect = Effect::PlanDelete {
        id,
        repo: a.repo.clone(),
        reference: a.reference.clone(),
    };
    app.modal = Some(Modal::DeleteReview {
        id,
        target: a,
        preview: Loaded::Loading,
        scroll: 0,
    });
    vec![effect]
}

fn run_command(app: &mut App, line: &str) -> Result<Vec<Effect>, String> {
    let (cmd, arg) = line.trim().split_once(' ').map(|(c, a)| (c, a.trim())).unwrap_or((line.trim(), ""));
    match cmd {
        "" => Ok(Vec::new()),
        "q" | "quit" => {
            app.quit = true;
            Ok(Vec::new())
        }
        "help" | "h" => {
            app.modal = Some(Modal::Help { scroll: 0 });
            Ok(Vec::new())
        }
        "open" | "o" => {
            if arg.is_empty() {
                return Err("open needs a repository: :open REPO[:TAG]".into());
            }
            let (repo, reference) = match arg.rsplit_once('@') {
                Some((r, d)) => (r, Some(d.to_string())),
                None => match arg.rsplit_once(':') {
                    Some((r, t)) if !t.contains('/') => (r, Some(t.to_string())),
                    _ => (arg, None),
                },
            };
            crate::oci::validate_repository(repo).map_err(|e| format!("{repo}: {e}"))?;
            app.repos.add_and_select(repo);
            let mut fx = app.open_repo(repo);
            app.focus = Pane::Tags;
            if let Some(r) = reference {
                app.select_tag = Some(r.clone()).filter(|r| !r.contains(':'));
                fx.extend(app.open_subject(repo, &r));
                app.focus = Pane::Tree;
            }
            Ok(fx)
        }
        "type" | "t" => {
            app.tree.set_type_filter(Some(arg.to_string()));
            Ok(Vec::new())
        }
        "pull" | "copy" | "cp" | "delete" | "attach" => {
            let Some(a) = app.selected_artifact() else {
                return Err("select a tag or an artifact in the tree first".into());
            };
            match cmd {
                "pull" => {
                    if arg.is_empty() {
                        return Err("pull needs a directory: :pull DIR".into());
                    }
                    Ok(start_pull(app, a, arg))
                }
                "copy" | "cp" => {
                    if app.opts.read_only {
                        return Err("read-only mode: copying is off".into());
                    }
                    if arg.is_empty() {
                        return Err("copy needs a destination: :copy REGISTRY/REPO[:TAG]".into());
                    }
                    Ok(plan_copy(app, a, arg))
                }
                "delete" => {
                    if app.opts.read_only {
                        return Err("read-only mode: deleting is off".into());
                    }
                    Ok(plan_delete(app, a))
                }
                _ => {
                    if app.opts.read_only {
                        return Err("read-only mode: attaching is off".into());
                    }
                    app.modal = Some(Modal::Attach(Box::new(AttachForm::new(a))));
                    Ok(Vec::new())
                }
            }
        }
        other => Err(format!("unknown command `{other}`; try :help")),
    }
}

fn start_pull(app: &mut App, a: ArtifactRef, dir: &str) -> Vec<Effect> {
    let job = app.start_job(format!("pull {}", a.label), JobKind::Pull, false);
    vec![Effect::Pull {
        job,
        repo: a.repo,
        reference: a.reference,
        dir: PathBuf::from(dir),
    }]
}

fn plan_copy(app: &mut App, a: ArtifactRef, destination: &str) -> Vec<Effect> {
    let id = app.id();
    let effect = Effect::PlanCopy {
        id,
        repo: a.repo.clone(),
        reference: a.reference.clone(),
        tag: a.tag.clone(),
        destination: destination.to_string(),
    };
    app.modal = Some(Modal::CopyReview {
        id,
        target: a,
        preview: Loaded::Loading,
        scroll: 0,
    });
    vec![effect]
}

fn scroll(v: u16, key: &KeyEvent, page: isize) -> u16 {
    let delta = match key.code {
        KeyCode::Char('j') | KeyCode::Down => 1,
        KeyCode::Char('k') | KeyCode::Up => -1,
        KeyCode::PageDown => page,
        KeyCode::PageUp => -page,
        _ => 0,
    };
    (v as isize + delta).clamp(0, u16::MAX as isize / 2) as u16
}

fn on_modal_key(app: &mut App, modal: Modal, key: KeyEvent) -> Vec<Effect> {
    let page = app.page_size();
    match modal {
        Modal::Help { scroll: s } => {
            if key_is(&key, KeyCode::Esc) || key_is(&key, KeyCode::Char('?')) || key_is(&key, KeyCode::Char('q')) {
                return Vec::new();
            }
            app.modal = Some(Modal::Help { scroll: scroll(s, &key, page) });
            Vec::new()
        }
        Modal::Prompt(p) => on_prompt_key(app, p, key),
        Modal::Attach(form) => on_attach_key(app, *form, key),
        Modal::CopyReview { id, target, preview, scroll: s } => {
            if key_is(&key, KeyCode::Esc) || key_is(&key, KeyCode::Char('n')) || key_is(&key, KeyCode::Char('q')) {
                app.info("copy cancelled; nothing was written");
                return Vec::new();
            }
            if let Loaded::Ready(plan) = &preview
                && (key_is(&key, KeyCode::Char('y')) || key_is(&key, KeyCode::Enter))
            {
                let job = app.start_job(format!("copy {} → {}", target.label, plan.destination), JobKind::Write, true);
                return vec![Effect::ExecuteCopy { job, id }];
            }
            app.modal = Some(Modal::CopyReview { id, target, preview, scroll: scroll(s, &key, page) });
            Vec::new()
        }
        Modal::DeleteReview { id, target, preview, scroll: s } => {
            if key_is(&key, KeyCode::Esc) || key_is(&key, KeyCode::Char('n')) || key_is(&key, KeyCode::Char('q')) {
                app.info("delete cancelled; nothing was deleted");
                return Vec::new();
            }
            if matches!(preview, Loaded::Ready(_)) && key_is(&key, KeyCode::Char('y')) {
                let kind = JobKind::Delete {
                    repo: target.repo.clone(),
                    reference: target.reference.clone(),
                };
                let job = app.start_job(format!("delete {}", target.label), kind, false);
                return vec![Effect::ApplyDelete { job, id }];
            }
            app.modal = Some(Modal::DeleteReview { id, target, preview, scroll: scroll(s, &key, page) });
            Vec::new()
        }
        Modal::Login(form) => on_login_key(app, *form, key),
    }
}

fn on_prompt_key(app: &mut App, mut p: Prompt, key: KeyEvent) -> Vec<Effect> {
    let live_filter = |app: &mut App, pane: Pane, value: &str| match pane {
        Pane::Repos => {
            app.repos.list.filter = value.to_string();
            app.repos.list.refilter(&app.repos.items);
        }
        _ => {
            app.tags.list.filter = value.to_string();
            app.tags.list.refilter(&app.tags.shown);
        }
    };
    if key_is(&key, KeyCode::Esc) {
        if let PromptKind::Filter(pane) = p.kind {
            live_filter(app, pane, &p.original.clone());
        }
        return Vec::new();
    }
    if key_is(&key, KeyCode::Enter) {
        let value = p.input.value().trim().to_string();
        return match p.kind.clone() {
            PromptKind::Filter(pane) => {
                live_filter(app, pane, &value);
                app.follow_selection()
            }
            PromptKind::TypeFilter => {
                app.tree.set_type_filter(Some(value));
                app.follow_selection()
            }
            PromptKind::PullDir(a) => {
                if value.is_empty() {
                    p.error = Some("a directory is needed".into());
                    app.modal = Some(Modal::Prompt(p));
                    return Vec::new();
                }
                start_pull(app, a, &value)
            }
            PromptKind::CopyDest(a) => {
                if value.is_empty() {
                    p.error = Some("a destination is needed, e.g. localhost:5000/staging/app:v1".into());
                    app.modal = Some(Modal::Prompt(p));
                    return Vec::new();
                }
                plan_copy(app, a, &value)
            }
            PromptKind::Command => match run_command(app, &value) {
                Ok(fx) => fx,
                Err(e) => {
                    p.error = Some(e);
                    app.modal = Some(Modal::Prompt(p));
                    Vec::new()
                }
            },
        };
    }
    p.input.handle_event(&crossterm::event::Event::Key(key));
    p.error = None;
    if let PromptKind::Filter(pane) = p.kind {
        let v = p.input.value().to_string();
        live_filter(app, pane, &v);
    }
    app.modal = Some(Modal::Prompt(p));
    Vec::new()
}

fn on_attach_key(app: &mut App, mut form: AttachForm, key: KeyEvent) -> Vec<Effect> {
    if key_is(&key, KeyCode::Esc) {
        app.info("attach cancelled; nothing was pushed");
        return Vec::new();
    }
    match form.stage.clone() {
        AttachStage::Building(_) => {}
        AttachStage::Preview { id, manifest, scroll: s } => {
            if key_is(&key, KeyCode::Char('y')) || key_is(&key, KeyCode::Enter) {
                let job = app.start_job(format!("attach to {}", form.subject.label), JobKind::Write, false);
                return vec![Effect::PushAttach { job, id }];
            }
            if key_is(&key, KeyCode::Char('e')) || key_is(&key, KeyCode::Backspace) {
                form.stage = AttachStage::Editing;
            } else {
                form.stage = AttachStage::Preview { id, manifest, scroll: scroll(s, &key, app.page_size()) };
            }
        }
        AttachStage::Editing => {
            if key_is(&key, KeyCode::Enter) {
                let files: Vec<String> = form.fields[ATTACH_FILES].value().split_whitespace().map(str::to_string).collect();
                let artifact_type = form.fields[ATTACH_TYPE].value().trim().to_string();
                if files.is_empty() {
                    form.error = Some("name at least one file: PATH[:MEDIATYPE], separated by spaces".into());
                } else if artifact_type.is_empty() {
                    form.error = Some("an artifact type is needed, e.g. signature/example".into());
                    form.focus = ATTACH_TYPE;
                } else {
                    let annotations = form.fields[ATTACH_ANNOTATIONS]
                        .value()
                        .split(',')
                        .map(|s| s.trim().to_string())
                        .filter(|s| !s.is_empty())
                        .collect();
                    let id = app.id();
                    form.stage = AttachStage::Building(id);
                    form.error = None;
                    let effect = Effect::BuildAttach {
                        id,
                        repo: form.subject.repo.clone(),
                        subject: form.subject.reference.clone(),
                        files,
                        artifact_type,
                        annotations,
                    };
                    app.modal = Some(Modal::Attach(Box::new(form)));
                    return vec![effect];
                }
            } else if key.code == KeyCode::Tab && form.focus == ATTACH_FILES {
                let partial = form.fields[ATTACH_FILES].value().rsplit(' ').next().unwrap_or("").to_string();
                let id = app.id();
                form.completion_id = Some(id);
                app.modal = Some(Modal::Attach(Box::new(form)));
                return vec![Effect::CompletePath { id, partial }];
            } else if key.code == KeyCode::Down || (key.code == KeyCode::Tab && form.focus != ATTACH_FILES) {
                form.focus = (form.focus + 1) % 3;
                form.completions.clear();
            } else if key.code == KeyCode::Up || key.code == KeyCode::BackTab {
                form.focus = (form.focus + 2) % 3;
                form.completions.clear();
            } else {
                form.fields[form.focus].handle_event(&crossterm::event::Event::Key(key));
                form.error = None;
            }
        }
    }
    app.modal = Some(Modal::Attach(Box::new(form)));
    Vec::new()
}

fn on_login_key(app: &mut App, mut form: LoginForm, key: KeyEvent) -> Vec<Effect> {
    if key_is(&key, KeyCode::Esc) {
        app.info(format!("not logged in to {}; press r to retry anonymously", form.registry));
        return Vec::new();
    }
    if form.busy {
        app.modal = Some(Modal::Login(Box::new(form)));
        return Vec::new();
    }
    match key.code {
        KeyCode::Tab | KeyCode::Down => form.focus = (form.focus + 1) % 3,
        KeyCode::BackTab | KeyCode::Up => form.focus = (form.focus + 2) % 3,
        KeyCode::Char(' ') if form.focus == 2 => form.save = !form.save,
        KeyCode::Enter => {
            let username = form.username.value().to_string();
            let password = form.password.value().to_string();
            if username.is_empty() || password.is_empty() {
                form.error = Some("username and password are both needed".into());
            } else {
                form.busy = true;
                form.error = None;
                let effect = Effect::Login {
                    registry: form.registry.clone(),
                    username,
                    password,
                    save: form.save,
                };
                app.modal = Some(Modal::Login(Box::new(form)));
                return vec![effect];
            }
        }
        _ if form.focus < 2 => {
            let input = if form.focus == 0 { &mut form.username } else { &mut form.password };
            input.handle_event(&crossterm::event::Event::Key(key));
        }
        _ => {}
    }
    app.modal = Some(Modal::Login(Box::new(form)));
    Vec::new()
}

fn on_worker(app: &mut App, ev: WorkerEvent) -> Vec<Effect> {
    match ev {
        WorkerEvent::Catalog { id, result, cached } => {
            if app.pending.catalog != Some(id) {
                return Vec::new();
            }
            if cached {
                if let Ok((items, next)) = result {
                    app.repos.add_page(items, next);
                    app.repos.loading = true;
                }
                return Vec::new();
            }
            app.pending.catalog = None;
            app.repos.loading = false;
            match result {
                Ok((items, next)) => {
                    app.repos.add_page(items, next);
                    if let Some(keep) = app.select_repo_after_reload.take()
                        && let Some(i) = app.repos.items.iter().position(|r| *r == keep)
                    {
                        app.repos.list.select_item(i);
                    }
                    if let Some(opened) = app.opts.repo.clone()
                        && let Some(i) = app.repos.items.iter().position(|r| *r == opened)
                        && app.repos.selected() != Some(&opened)
                        && app.repos.items.len() <= 1000
                    {
                        app.repos.list.select_item(i);
                    }
                    if app.repos.wants_more(app.page_size() as usize * 2) {
                        let next = app.repos.next.clone();
                        return app.load_catalog(next);
                    }
                    Vec::new()
                }
                Err(f) if f.unauthorized.is_some() => {
                    app.repos.login = f.unauthorized.clone();
                    app.unauthorized(&f);
                    Vec::new()
                }
                Err(f) if f.refused => {
                    app.repos.refused = Some(f.message.clone());
                    app.error(format!("the registry does not list its repositories ({}); open one with :open REPO", f.message));
                    Vec::new()
                }
                Err(f) => {
                    app.repos.error = Some(f.message.clone());
                    app.error(format!("{}; press r to retry", f.message));
                    Vec::new()
                }
            }
        }
        WorkerEvent::Tags { id, repo, result, cached } => {
            if app.pending.tags != Some(id) || app.tags.repo.as_deref() != Some(repo.as_str()) {
                return Vec::new();
            }
            if !cached {
                app.pending.tags = None;
            }
            match result {
                Ok(tags) => {
                    app.tags.set(tags);
                    app.tags.loading = cached;
                    if let Some(t) = app.select_tag.take()
                        && let Some(i) = app.tags.shown.iter().position(|x| *x == t)
                    {
                        app.tags.list.select_item(i);
                    }
                    let tags = app.tags.to_describe(app.size.1 as usize);
                    let mut fx = Vec::new();
                    if !tags.is_empty() {
                        fx.push(Effect::DescribeTags { repo, tags });
                    }
                    fx.extend(app.follow_selection());
                    fx
                }
                Err(f) => {
                    app.tags.loading = false;
                    app.tags.error = Some(f.message.clone());
                    app.unauthorized(&f);
                    Vec::new()
                }
            }
        }
        WorkerEvent::TagInfo { repo, tag, result } => {
            if app.tags.repo.as_deref() != Some(repo.as_str()) {
                return Vec::new();
            }
            let loaded = match result {
                Ok(info) => Loaded::Ready(info),
                Err(f) => Loaded::Failed(f.message),
            };
            app.tags.info.insert(tag, loaded);
            app.follow_selection()
        }
        WorkerEvent::Subject { id, repo, result, cached } => {
            if app.pending.subject != Some(id) || app.tree.subject().map(|s| s.repo.as_str()) != Some(repo.as_str()) {
                return Vec::new();
            }
            if !cached {
                app.pending.subject = None;
            }
            match result {
                Ok(desc) => {
                    let digest = desc.digest.clone();
                    app.tree.set_root(Loaded::Ready(desc));
                    let mut fx = app.ensure_manifest(&digest);
                    fx.extend(app.fill_tree());
                    fx.extend(app.follow_selection());
                    fx
                }
                Err(f) => {
                    app.tree.set_root(Loaded::Failed(f.message.clone()));
                    app.unauthorized(&f);
                    Vec::new()
                }
            }
        }
        WorkerEvent::Manifest { digest, result } => {
            match result {
                Ok(view) => {
                    if !view.manifests.is_empty() {
                        app.tree.set_platforms(digest.clone(), view.manifests.clone());
                    }
                    app.manifests.insert(digest, Loaded::Ready(view));
                }
                Err(f) => {
                    app.manifests.insert(digest, Loaded::Failed(f.message));
                }
            }
            app.fill_tree()
        }
        WorkerEvent::Referrers { id, digest, result, cached } => {
            if app.pending.referrers.get(&digest) != Some(&id) {
                return Vec::new();
            }
            if !cached {
                app.pending.referrers.remove(&digest);
            }
            match result {
                Ok(view) => {
                    if view.mode.is_some() {
                        app.tree.mode = view.mode;
                    }
                    if !view.warnings.is_empty() {
                        app.tree.warnings.extend(view.warnings.iter().cloned());
                        app.info(format!("{} listed referrer(s) left out: {}", view.warnings.len(), view.warnings[0]));
                    }
                    app.tree.set_referrers(&digest, view.list);
                }
                Err(f) => {
                    app.tree.set_failed(digest, f.message.clone());
                    app.unauthorized(&f);
                }
            }
            let mut fx = app.fill_tree();
            fx.extend(app.follow_selection());
            fx
        }
        WorkerEvent::Progress { job, event } => {
            app.jobs.apply(job, event);
            Vec::new()
        }
        WorkerEvent::JobFinished { job, result } => {
            let Some(finished) = app.jobs.finish(job) else { return Vec::new() };
            match &result {
                Ok(text) => app.info(text.clone()),
                Err(f) => {
                    app.error(format!("{}: {}", finished.label, f.message));
                    if f.unauthorized.is_some() {
                        app.unauthorized(f);
                    }
                }
            }
            match finished.kind {
                JobKind::Pull => Vec::new(),
                JobKind::Delete { repo, reference } if result.is_ok() => {
                    let shown = app.tree.subject().is_some_and(|s| {
                        s.repo == repo && (s.reference == reference || app.tree.root_digest().is_some_and(|d| d.to_string() == reference))
                    });
                    if shown {
                        // The artifact on screen is gone: nothing is left to show or reload.
                        app.tree = TreeModel::default();
                        app.pending.subject = None;
                        app.pending.referrers.clear();
                    }
                    app.refresh()
                }
                _ => app.refresh(),
            }
        }
        WorkerEvent::AttachPreview { id, result } => {
            if let Some(Modal::Attach(form)) = app.modal.as_mut()
                && form.stage == AttachStage::Building(id)
            {
                match result {
                    Ok(manifest) => form.stage = AttachStage::Preview { id, manifest, scroll: 0 },
                    Err(f) => {
                        form.stage = AttachStage::Editing;
                        form.error = Some(f.message);
                    }
                }
            }
            Vec::new()
        }
        WorkerEvent::Completions { id, partial, candidates } => {
            if let Some(Modal::Attach(form)) = app.modal.as_mut()
                && form.completion_id == Some(id)
            {
                let value = form.fields[ATTACH_FILES].value().to_string();
                let head = value.strip_suffix(partial.as_str()).unwrap_or(&value).to_string();
                let common = common_prefix(&candidates);
                if common.len() > partial.len() {
                    form.fields[ATTACH_FILES] = Input::new(format!("{head}{common}"));
                }
                form.completions = candidates;
            }
            Vec::new()
        }
        WorkerEvent::CopyPlanned { id, result } => {
            if let Some(Modal::CopyReview { id: want, preview, .. }) = app.modal.as_mut()
                && *want == id
            {
                match result {
                    Ok(p) => *preview = Loaded::Ready(p),
                    Err(f) => {
                        *preview = Loaded::Failed(f.message.clone());
                        if f.unauthorized.is_some() {
                            app.unauthorized(&f);
                        }
                    }
                }
            }
            Vec::new()
        }
        WorkerEvent::DeletePlanned { id, result } => {
            if let Some(Modal::DeleteReview { id: want, preview, .. }) = app.modal.as_mut()
                && *want == id
            {
                *preview = match result {
                    Ok(p) => Loaded::Ready(p),
                    Err(f) => Loaded::Failed(f.message),
                };
            }
            Vec::new()
        }
        WorkerEvent::LoggedIn { registry, result } => match result {
            Ok(note) => {
                app.modal = None;
                app.info(format!("logged in to {registry}{note}"));
                app.refresh()
            }
            Err(f) => {
                if let Some(Modal::Login(form)) = app.modal.as_mut() {
                    form.busy = false;
                    form.error = Some(f.message);
                }
                Vec::new()
            }
        },
        WorkerEvent::Auth { label } => {
            app.auth = label;
            Vec::new()
        }
    }
}

fn common_prefix(items: &[String]) -> String {
    let Some(first) = items.first() else { return String::new() };
    let mut end = first.len();
    for s in &items[1..] {
        end = end.min(first.chars().zip(s.chars()).take_while(|(a, b)| a == b).map(|(a, _)| a.len_utf8()).sum());
    }
    first[..end].to_string()
}

/// Tag descriptions as the tags pane shows them.
pub fn tag_info(view: &ManifestView) -> TagInfo {
    TagInfo {
        digest: view.descriptor.digest.clone(),
        kind: view.kind().to_string(),
        size: view.total_size,
    }
}

#[cfg(test)]
mod tests;
