//! The help overlay: every binding, generated from the keymap, scrolled with the movement keys.

use crossterm::event::KeyEvent;

use super::{Modal, action_of, scroll};
use crate::tui::app::App;
use crate::tui::keymap::{Action, Context};
use crate::tui::protocol::Effect;

/// The dialogs' dismiss key (Esc) closes help, and so do the keys that open help and quit.
pub(super) fn on_key(app: &mut App, s: u16, key: KeyEvent) -> Vec<Effect> {
    let closes = matches!(app.opts.keys.lookup(&key, Context::Global, true), Some(Action::Help | Action::Quit));
    if action_of(app, Context::Dialog, &key) == Some(Action::Dismiss) || closes {
        return Vec::new();
    }
    app.modal = Some(Modal::Help { scroll: scroll(app, s, &key) });
    Vec::new()
}
