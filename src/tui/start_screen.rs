//! The start screen of a bare `refscope`, when there is more to offer than the demo: the
//! registries of the config file, the targets opened lately, and the bundled demo. A pure
//! model like the main one: keys in, a choice out; the terminal loop lives in `tui`.

use crossterm::event::KeyEvent;

use super::app::Message;
use super::keymap::{Action, Context, Keymap};
use super::recent::Recent;
use crate::config::Config;

/// One thing the start screen offers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Choice {
    /// A registry of the config file, by host; its alias when it has one.
    Registry { host: String, alias: Option<String> },
    Recent(Recent),
    Demo,
}

impl Choice {
    /// What the TUI opens for it: a target (`None` is the demo) and whether it is a layout.
    pub fn target(&self) -> (Option<String>, bool) {
        match self {
            Choice::Registry { host, .. } => (Some(host.clone()), false),
            Choice::Recent(r) => (Some(r.target.clone()), r.layout),
            Choice::Demo => (None, false),
        }
    }

    /// The heading of the group it is listed under.
    pub fn group(&self) -> &'static str {
        match self {
            Choice::Registry { .. } => "Registries in the config file",
            Choice::Recent(_) => "Opened lately",
            Choice::Demo => "The bundled demo",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Open(Choice),
    Quit,
}

pub struct StartScreen {
    /// Registries, then recent targets, newest first, then the demo.
    pub choices: Vec<Choice>,
    pub selected: usize,
    /// A problem to show: a bad config or state file, a target that did not open.
    pub message: Option<Message>,
    pub outcome: Option<Outcome>,
    /// Lines a page key moves.
    pub page: usize,
}

impl StartScreen {
    pub fn new(config: &Config, recent: &[Recent]) -> StartScreen {
        let mut choices: Vec<Choice> = config
            .registries
            .iter()
            .map(|(host, r)| Choice::Registry { host: host.clone(), alias: r.alias.clone() })
            .collect();
        choices.extend(recent.iter().cloned().map(Choice::Recent));
        choices.push(Choice::Demo);
        StartScreen { choices, selected: 0, message: None, outcome: None, page: 10 }
    }

    /// Whether there is anything besides the demo; if not, the demo opens straight away.
    pub fn worth_showing(&self) -> bool {
        self.choices.iter().any(|c| *c != Choice::Demo)
    }

    pub fn selected(&self) -> Option<&Choice> {
        self.choices.get(self.selected)
    }

    pub fn on_key(&mut self, key: &KeyEvent, keys: &Keymap) {
        let Some(action) = keys.lookup(key, Context::Start, false) else { return };
        let last = self.choices.len().saturating_sub(1);
        let page = self.page.max(1);
        match action {
            Action::Up => self.selected = self.selected.saturating_sub(1),
            Action::Down => self.selected = (self.selected + 1).min(last),
            Action::PageUp => self.selected = self.selected.saturating_sub(page),
            Action::PageDown => self.selected = (self.selected + page).min(last),
            Action::Top => self.selected = 0,
            Action::Bottom => self.selected = last,
            Action::Open => self.outcome = self.selected().cloned().map(Outcome::Open),
            Action::Quit => self.outcome = Some(Outcome::Quit),
            _ => {}
        }
    }

    /// Back from a target that would not open: the screen stays, saying why.
    pub fn failed(&mut self, why: String) {
        self.outcome = None;
        self.message = Some(Message::error(why));
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use crossterm::event::{KeyCode, KeyModifiers};

    use super::*;

    fn press(s: &mut StartScreen, code: KeyCode) {
        s.on_key(&KeyEvent::new(code, KeyModifiers::NONE), &Keymap::default());
    }

    fn config() -> Config {
        Config::parse("[registry.\"registry.corp.example:5000\"]\nalias = \"prod\"\n[registry.\"ghcr.io\"]\n", Path::new("/c/config.toml")).unwrap()
    }

    #[test]
    fn registries_then_recent_targets_then_the_demo() {
        let recent = [Recent { target: "/srv/layouts:v1".into(), layout: true }];
        let s = StartScreen::new(&config(), &recent);
        assert_eq!(
            s.choices,
            vec![
                Choice::Registry { host: "ghcr.io".into(), alias: None },
                Choice::Registry { host: "registry.corp.example:5000".into(), alias: Some("prod".into()) },
                Choice::Recent(recent[0].clone()),
                Choice::Demo,
            ]
        );
        assert!(s.worth_showing());
        assert!(!StartScreen::new(&Config::default(), &[]).worth_showing(), "nothing but the demo: it opens at once");
        assert!(StartScreen::new(&Config::default(), &recent).worth_showing());
    }

    #[test]
    fn keys_move_open_and_quit() {
        let recent = [Recent { target: "localhost:5000/net-monitor:v1".into(), layout: false }];
        let mut s = StartScreen::new(&config(), &recent);
        press(&mut s, KeyCode::Char('j'));
        press(&mut s, KeyCode::Down);
        press(&mut s, KeyCode::Char('t'));
        assert_eq!(s.outcome, None, "keys of the panes do nothing here");
        press(&mut s, KeyCode::Enter);
        assert_eq!(s.outcome, Some(Outcome::Open(Choice::Recent(recent[0].clone()))));
        assert_eq!(Choice::Recent(Recent { target: "/srv/l:v1".into(), layout: true }).target(), (Some("/srv/l:v1".into()), true));
        assert_eq!(Choice::Registry { host: "ghcr.io".into(), alias: None }.target(), (Some("ghcr.io".into()), false));
        s.failed("cannot open it".into());
        assert_eq!(s.outcome, None);
        press(&mut s, KeyCode::Char('G'));
        press(&mut s, KeyCode::Char('l'));
        assert_eq!(s.outcome, Some(Outcome::Open(Choice::Demo)));
        assert_eq!(Choice::Demo.target(), (None, false));
        press(&mut s, KeyCode::Char('g'));
        assert_eq!(s.selected, 0);
        press(&mut s, KeyCode::Up);
        assert_eq!(s.selected, 0, "the top stays the top");
        press(&mut s, KeyCode::Char('q'));
        assert_eq!(s.outcome, Some(Outcome::Quit));
    }
}
