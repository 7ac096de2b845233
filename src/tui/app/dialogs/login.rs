//! The login dialog, opened when the registry wants credentials.

use crossterm::event::KeyEvent;
use tui_input::Input;
use tui_input::backend::crossterm::EventHandler;

use super::{Modal, action_of};
use crate::tui::app::App;
use crate::tui::keymap::{Action, Context};
use crate::tui::protocol::Effect;

#[derive(Debug, Clone)]
pub struct LoginForm {
    pub registry: String,
    pub username: Input,
    pub password: Input,
    pub save: bool,
    /// 0 username, 1 password, 2 the save switch.
    pub focus: usize,
    pub error: Option<String>,
    pub busy: bool,
}

impl LoginForm {
    pub fn new(registry: &str) -> LoginForm {
        LoginForm {
            registry: registry.to_string(),
            username: Input::default(),
            password: Input::default(),
            save: false,
            focus: 0,
            error: None,
            busy: false,
        }
    }
}

pub(super) fn on_key(app: &mut App, mut form: LoginForm, key: KeyEvent) -> Vec<Effect> {
    let action = action_of(app, Context::Login, &key);
    if action == Some(Action::Dismiss) {
        app.info(format!("not logged in to {}; press {} to retry anonymously", form.registry, app.opts.keys.key_of(Action::Refresh)));
        return Vec::new();
    }
    if form.busy {
        app.modal = Some(Modal::Login(Box::new(form)));
        return Vec::new();
    }
    match action {
        Some(Action::NextField) => form.focus = (form.focus + 1) % 3,
        Some(Action::PrevField) => form.focus = (form.focus + 2) % 3,
        Some(Action::Toggle) if form.focus == 2 => form.save = !form.save,
        Some(Action::Submit) => {
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
