//! One-line prompts: the `:` command line, the list filters, the pull directory and the copy
//! destination.

use crossterm::event::KeyEvent;
use tui_input::Input;
use tui_input::backend::crossterm::EventHandler;

use super::{ArtifactRef, Modal, action_of};
use crate::tui::app::{App, Pane, command, update};
use crate::tui::keymap::{Action, Context};
use crate::tui::protocol::Effect;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PromptKind {
    /// `:` commands.
    Command,
    /// The fuzzy filter of a list pane; edits apply as you type.
    Filter(Pane),
    /// Only referrers of one artifact type in the tree.
    TypeFilter,
    PullDir(ArtifactRef),
    CopyDest(ArtifactRef),
}

#[derive(Debug, Clone)]
pub struct Prompt {
    pub kind: PromptKind,
    pub input: Input,
    /// What the filter was before editing, restored by Esc.
    pub original: String,
    pub error: Option<String>,
}

impl Prompt {
    pub fn new(kind: PromptKind, value: &str) -> Prompt {
        Prompt {
            kind,
            input: Input::new(value.to_string()),
            original: value.to_string(),
            error: None,
        }
    }

    pub fn title(&self) -> String {
        match &self.kind {
            PromptKind::Command => crate::tui::verbs::prompt_title(),
            PromptKind::Filter(p) => format!("Filter {}", p.title().to_lowercase()),
            PromptKind::TypeFilter => "Show only referrers of artifact type (empty: all)".into(),
            PromptKind::PullDir(a) => format!("Pull {} into directory", a.label),
            PromptKind::CopyDest(a) => format!("Copy {} with its referrers to (REGISTRY/REPO[:TAG], or layout:PATH[:TAG])", a.label),
        }
    }
}

pub(super) fn on_key(app: &mut App, mut p: Prompt, key: KeyEvent) -> Vec<Effect> {
    // The tags a filter brings into view are described at once, as a scroll would.
    let live_filter = |app: &mut App, pane: Pane, value: &str| match pane {
        Pane::Repos => {
            app.repos.list.filter = value.to_string();
            app.repos.list.refilter(&app.repos.items);
            Vec::new()
        }
        _ => {
            app.tags.list.filter = value.to_string();
            app.tags.list.refilter(&app.tags.shown);
            app.describe_tags_in_view()
        }
    };
    let action = action_of(app, Context::Prompt, &key);
    if action == Some(Action::Dismiss) {
        if let PromptKind::Filter(pane) = p.kind {
            return live_filter(app, pane, &p.original.clone());
        }
        return Vec::new();
    }
    if action == Some(Action::Submit) {
        let value = p.input.value().trim().to_string();
        return match p.kind.clone() {
            PromptKind::Filter(pane) => {
                let mut fx = live_filter(app, pane, &value);
                fx.extend(app.follow_selection());
                fx
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
                update::start_pull(app, a, &value)
            }
            PromptKind::CopyDest(a) => {
                if value.is_empty() {
                    p.error = Some("a destination is needed, e.g. localhost:5000/staging/app:v1".into());
                    app.modal = Some(Modal::Prompt(p));
                    return Vec::new();
                }
                update::plan_copy(app, a, &value)
            }
            PromptKind::Command => match command::run(app, &value) {
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
    let fx = match p.kind {
        PromptKind::Filter(pane) => {
            let v = p.input.value().to_string();
            live_filter(app, pane, &v)
        }
        _ => Vec::new(),
    };
    app.modal = Some(Modal::Prompt(p));
    fx
}
