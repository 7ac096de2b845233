//! The help overlay: every binding, generated from the keymap, scrolled with the movement keys.

use crossterm::event::{KeyCode, KeyEvent};

use super::{Modal, key_is, scroll};
use crate::tui::app::App;
use crate::tui::keymap::{Action, Context};
use crate::tui::protocol::Effect;

/// Esc closes help, and so do the keys that open help and quit.
pub(super) fn on_key(app: &mut App, s: u16, key: KeyEvent) -> Vec<Effect> {
    let closes = matches!(app.opts.keys.lookup(&key, Context::Global, true), Some(Action::Help | Action::Quit));
    if key_is(&key, KeyCode::Esc) || closes {
        return Vec::new();
    }
    app.modal = Some(Modal::Help { scroll: scroll(app, s, &key) });
    Vec::new()
}
