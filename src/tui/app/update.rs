//! The reducer's front: a message in, the model changed, effects out. Keys become actions
//! through the keymap (or go to the dialog on screen); actions move focus and selection and
//! start the verbs.

use std::path::PathBuf;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use tui_input::Input;

use super::dialogs::attach::{AttachForm, AttachStage};
use super::dialogs::prompt::{Prompt, PromptKind};
use super::dialogs::{self, ArtifactRef, Modal};
use super::jobs::JobKind;
use super::{App, Msg, Pane, answers};
use crate::oci::TagOrDigest;
use crate::tui::keymap::Action;
use crate::tui::protocol::{Effect, Lease};
use crate::tui::view_model::Loaded;

/// The reducer.
pub fn update(app: &mut App, msg: Msg) -> Vec<Effect> {
    let mut fx = reduce(app, msg);
    fx.extend(app.inspections.take_dropped());
    super::inspect::refresh_page(app);
    fx
}

fn reduce(app: &mut App, msg: Msg) -> Vec<Effect> {
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
        Msg::Worker(ev) => {
            let fx = answers::on_event(app, ev);
            if app.refresh_announced && !app.busy() && !app.refreshing() {
                app.refresh_announced = false;
                // An error that came meanwhile stays; only the progress note is replaced.
                if app.message.as_ref().is_some_and(|m| m.text == REFRESHING) {
                    app.info("refreshed");
                }
            }
            fx
        }
    }
}

const REFRESHING: &str = "refreshing…";

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
        return dialogs::on_key(app, modal, key);
    }
    if app.viewer.is_some() {
        return super::inspect::on_key(app, key);
    }
    let Some(action) = app.opts.keys.lookup(&key, app.focus.context(), app.opts.read_only) else {
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
                Pane::Tree => app.tree.select_last(&app.store),
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
                let mut fx = app.open_subject(&repo, &TagOrDigest::Tag(tag));
                fx.extend(app.follow_selection());
                fx
            }
            Pane::Details => app.open_viewer(),
            _ => Vec::new(),
        },
        Action::Expand => {
            if app.focus != Pane::Tree {
                return Vec::new();
            }
            app.tree.toggle(&app.store);
            let mut fx = app.fill_tree();
            fx.extend(app.follow_selection());
            fx
        }
        Action::Collapse => {
            app.tree.collapse(&app.store);
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
            app.info(REFRESHING);
            app.refresh_announced = true;
            app.refresh()
        }
        Action::ToggleDigestTags => {
            app.tags.show_digest_tags = !app.tags.show_digest_tags;
            app.tags.reshow();
            app.info(if app.tags.show_digest_tags { "showing sha256-… index tags" } else { "hiding sha256-… index tags" });
            app.follow_selection()
        }
        Action::ToggleTagOrder => {
            app.tags.lexical = !app.tags.lexical;
            app.tags.sort();
            app.info(if app.tags.lexical { "tags in plain order" } else { "tags in natural order (v2 before v10)" });
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
            let short = a.reference.short();
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
        // The viewer's and the dialogs' own keys, handled where they are.
        Action::Close | Action::Search | Action::NextMatch | Action::PrevMatch => Vec::new(),
        Action::Dismiss | Action::Submit | Action::Confirm | Action::Decline | Action::NextField | Action::PrevField | Action::Complete | Action::Toggle | Action::Edit => Vec::new(),
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
            app.tree.move_by(&app.store, delta);
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

pub(super) fn plan_delete(app: &mut App, a: ArtifactRef) -> Vec<Effect> {
    let id = app.id();
    let lease = Lease::default();
    let effect = Effect::PlanDelete {
        id,
        repo: a.repo.clone(),
        reference: a.reference.clone(),
        lease: lease.clone(),
    };
    app.modal = Some(Modal::DeleteReview { id, target: a, preview: Loaded::Loading, scroll: 0, lease });
    vec![effect]
}

pub(super) fn start_pull(app: &mut App, a: ArtifactRef, dir: &str) -> Vec<Effect> {
    let job = app.start_job(format!("pull {}", a.label), JobKind::Pull, false, None);
    vec![Effect::Pull {
        job,
        repo: a.repo,
        reference: a.reference,
        dir: PathBuf::from(dir),
    }]
}

pub(super) fn plan_copy(app: &mut App, a: ArtifactRef, destination: &str) -> Vec<Effect> {
    let id = app.id();
    let lease = Lease::default();
    let effect = Effect::PlanCopy {
        id,
        repo: a.repo.clone(),
        reference: a.reference.clone(),
        tag: a.reference.tag().map(str::to_string),
        destination: destination.to_string(),
        lease: lease.clone(),
    };
    app.modal = Some(Modal::CopyReview { id, target: a, preview: Loaded::Loading, scroll: 0, lease });
    vec![effect]
}
