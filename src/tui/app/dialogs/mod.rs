//! Dialogs: help, one-line prompts, the attach form, the copy and delete reviews, login. Each
//! module holds one dialog's state and what its keys do; which key means what is in the
//! keymap's table, in the dialog's context. This module routes a key to the dialog on screen.

pub mod attach;
pub mod help;
pub mod login;
pub mod prompt;
pub mod review;

use crossterm::event::KeyEvent;

use self::attach::AttachForm;
use self::login::LoginForm;
use self::prompt::Prompt;
use self::review::Review;
use super::App;
use crate::tui::keymap::{Action, Context};
use crate::oci::TagOrDigest;
use crate::tui::protocol::{Effect, Lease, RequestId};
use crate::tui::view_model::{CopyPreview, DeletePreview, Loaded};

/// An artifact an action applies to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArtifactRef {
    pub repo: String,
    /// The tag when the artifact was picked by one (copies keep it), else its digest.
    pub reference: TagOrDigest,
    /// The digest, when known already.
    pub digest: Option<crate::oci::Digest>,
    /// For titles and messages.
    pub label: String,
}

#[derive(Debug, Clone)]
pub enum Modal {
    Help { scroll: u16 },
    Prompt(Prompt),
    Attach(Box<AttachForm>),
    /// The lease keeps the worker's copy of the plan until the review closes (or the job it
    /// starts ends).
    CopyReview { id: RequestId, target: ArtifactRef, preview: Loaded<CopyPreview>, scroll: u16, lease: Lease },
    DeleteReview { id: RequestId, target: ArtifactRef, preview: Loaded<DeletePreview>, scroll: u16, lease: Lease },
    Login(Box<LoginForm>),
}

/// Gives a key to the dialog taken out of `app.modal`; each handler puts its dialog back
/// unless the key closed it.
pub(super) fn on_key(app: &mut App, modal: Modal, key: KeyEvent) -> Vec<Effect> {
    match modal {
        Modal::Help { scroll } => help::on_key(app, scroll, key),
        Modal::Prompt(p) => prompt::on_key(app, p, key),
        Modal::Attach(form) => attach::on_key(app, *form, key),
        Modal::CopyReview { id, target, preview, scroll, lease } => review::on_copy_key(app, Review { id, target, preview, scroll, lease }, key),
        Modal::DeleteReview { id, target, preview, scroll, lease } => review::on_delete_key(app, Review { id, target, preview, scroll, lease }, key),
        Modal::Login(form) => login::on_key(app, *form, key),
    }
}

/// What `key` means in a dialog's `context` (or in every dialog); keys that write are off
/// under `--read-only`.
fn action_of(app: &App, context: Context, key: &KeyEvent) -> Option<Action> {
    app.opts.keys.lookup(key, context, app.opts.read_only)
}

/// A scroll offset moved by a key: the keymap's moving and paging keys (Ctrl-d and Ctrl-u
/// among them, and whatever `[keys]` binds to them) scroll a dialog as they move in a pane.
fn scroll(app: &App, v: u16, key: &KeyEvent) -> u16 {
    let page = app.page_size();
    let delta = match app.opts.keys.lookup(key, Context::Global, app.opts.read_only) {
        Some(Action::Down) => 1,
        Some(Action::Up) => -1,
        Some(Action::PageDown) => page,
        Some(Action::PageUp) => -page,
        _ => 0,
    };
    (v as isize + delta).clamp(0, u16::MAX as isize / 2) as u16
}

#[cfg(test)]
mod tests;
