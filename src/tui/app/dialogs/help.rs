//! The help overlay: every binding, generated from the keymap, scrolled with the movement keys.

use crossterm::event::{KeyCode, KeyEvent};

use super::{Modal, key_is, scroll};
use crate::tui::app::App;
use crate::tui::protocol::Effect;

pub(super) fn on_key(app: &mut App, s: u16, key: KeyEvent) -> Vec<Effect> {
    if key_is(&key, KeyCode::Esc) || key_is(&key, KeyCode::Char('?')) || key_is(&key, KeyCode::Char('q')) {
        return Vec::new();
    }
    app.modal = Some(Modal::Help { scroll: scroll(s, &key, app.page_size()) });
    Vec::new()
}
