//! The config file's `[keys]` table: each line gives an action (by [`Action::name`]) the keys
//! that replace its default ones, in every pane and dialog it is bound in. Checked before use:
//! an unknown action or key, a key that would mean two things in one pane or dialog, an action
//! that writes put on a navigation key, and a key that types a character given to a dialog
//! action that works in text fields are errors naming the line.

use crossterm::event::{KeyCode, KeyModifiers};

use super::{Action, BINDINGS, Binding, Context, Keymap, key_label};
use crate::config::{Config, Entry};
use crate::error::{Error, Result};

type Key = (KeyCode, KeyModifiers);

const NAMED: &[(&str, KeyCode)] = &[
    ("Enter", KeyCode::Enter),
    ("Return", KeyCode::Enter),
    ("Tab", KeyCode::Tab),
    ("Shift-Tab", KeyCode::BackTab),
    ("BackTab", KeyCode::BackTab),
    ("Esc", KeyCode::Esc),
    ("Escape", KeyCode::Esc),
    ("Space", KeyCode::Char(' ')),
    ("Backspace", KeyCode::Backspace),
    ("Del", KeyCode::Delete),
    ("Delete", KeyCode::Delete),
    ("Ins", KeyCode::Insert),
    ("Insert", KeyCode::Insert),
    ("Up", KeyCode::Up),
    ("↑", KeyCode::Up),
    ("Down", KeyCode::Down),
    ("↓", KeyCode::Down),
    ("Left", KeyCode::Left),
    ("←", KeyCode::Left),
    ("Right", KeyCode::Right),
    ("→", KeyCode::Right),
    ("PgUp", KeyCode::PageUp),
    ("PageUp", KeyCode::PageUp),
    ("PgDn", KeyCode::PageDown),
    ("PageDown", KeyCode::PageDown),
    ("Home", KeyCode::Home),
    ("End", KeyCode::End),
];

/// A key as the config file writes it: one character (`j`, `G`, `?`), a name (`Enter`,
/// `Shift-Tab`, `PgDn`, `F5`, … as help writes them), or `Ctrl-` and a letter.
pub fn parse_key(text: &str) -> std::result::Result<Key, String> {
    if let Some((_, code)) = NAMED.iter().find(|(name, _)| name.eq_ignore_ascii_case(text)) {
        return Ok((*code, KeyModifiers::NONE));
    }
    let mut chars = text.chars();
    if let (Some(c), None) = (chars.next(), chars.next()) {
        if c.is_control() {
            return Err("a control character is not a key; write Ctrl-LETTER".into());
        }
        return Ok((KeyCode::Char(c), KeyModifiers::NONE));
    }
    let prefixed = |p: &str| text.get(..p.len()).filter(|head| head.eq_ignore_ascii_case(p)).map(|_| &text[p.len()..]);
    if let Some(rest) = prefixed("Ctrl-").or_else(|| prefixed("Ctrl+")) {
        let mut chars = rest.chars();
        return match (chars.next(), chars.next()) {
            (Some(c), None) if c.is_ascii_alphabetic() => Ok((KeyCode::Char(c.to_ascii_lowercase()), KeyModifiers::CONTROL)),
            _ => Err(format!("`{text}`: Ctrl- takes one letter (Ctrl-d)")),
        };
    }
    if prefixed("Alt-").or_else(|| prefixed("Alt+")).is_some() {
        return Err(format!("`{text}`: Alt keys are not bound (terminals send them as Esc and a key)"));
    }
    if let Some(n) = prefixed("F").and_then(|n| n.parse::<u8>().ok()).filter(|n| (1..=12).contains(n)) {
        return Ok((KeyCode::F(n), KeyModifiers::NONE));
    }
    Err(format!(
        "`{text}` is not a key; write one character (j), Ctrl-LETTER, F1…F12 or one of Enter, Tab, Shift-Tab, Esc, Space, Backspace, Del, Ins, Up, Down, Left, Right, PgUp, PgDn, Home, End"
    ))
}

fn label((code, modifiers): Key) -> String {
    key_label(code, modifiers)
}

fn key(b: &Binding) -> Key {
    (b.code, b.modifiers)
}

/// A key a text field takes as a character.
fn types_text((code, modifiers): Key) -> bool {
    matches!(code, KeyCode::Char(_)) && !modifiers.contains(KeyModifiers::CONTROL)
}

/// Whether two bindings can be in force at once: in one context, in a context and its
/// fallback, or a global moving key in a dialog it scrolls.
fn together(a: &Binding, b: &Binding) -> bool {
    let meets = |x: &Binding, y: &Binding| {
        x.context == y.context || x.context.fallback() == Some(y.context) || (y.context == Context::Global && y.action.scrolls() && x.context.scrolls())
    };
    meets(a, b) || meets(b, a)
}

/// Where a binding applies, as a message names it.
fn place(context: Context) -> String {
    match context {
        Context::Global => "everywhere".into(),
        c => format!("in {}", c.title()),
    }
}

impl Keymap {
    /// The default keymap with the config file's `[keys]` applied, or the error that names
    /// the first line that cannot be used.
    pub fn from_config(config: &Config) -> Result<Keymap> {
        let mut keymap = Keymap::default();
        let mut lines: Vec<(Action, &Entry<Vec<String>>)> = Vec::new();
        for entry in &config.keys {
            let fail = |reason: String| config.error_at(entry.at, format!("[keys] {}: {reason}", entry.name));
            let Some(action) = BINDINGS.iter().map(|b| b.action).find(|a| a.name() == entry.name) else {
                let mut names: Vec<&str> = Vec::new();
                for b in BINDINGS {
                    if !names.contains(&b.action.name()) {
                        names.push(b.action.name());
                    }
                }
                return Err(fail(format!("no such action; the actions are {}", names.join(", "))));
            };
            let mut keys: Vec<Key> = Vec::new();
            for text in &entry.value {
                let k = parse_key(text).map_err(&fail)?;
                if !keys.contains(&k) {
                    keys.push(k);
                }
            }
            if keys.is_empty() {
                return Err(fail("give it at least one key".into()));
            }
            keymap.rebind(action, &keys);
            lines.push((action, entry));
        }
        keymap.check(&lines, config)?;
        Ok(keymap)
    }

    /// Replaces the keys of `action` in every context it is bound in. The first key takes
    /// the place (and the hint) of the first default one.
    fn rebind(&mut self, action: Action, keys: &[Key]) {
        let mut contexts: Vec<Context> = Vec::new();
        for b in self.bindings.iter().filter(|b| b.action == action) {
            if !contexts.contains(&b.context) {
                contexts.push(b.context);
            }
        }
        for context in contexts {
            let Some(at) = self.bindings.iter().position(|b| b.action == action && b.context == context) else { continue };
            let template = self.bindings[at];
            self.bindings.retain(|b| !(b.action == action && b.context == context));
            let new = keys.iter().enumerate().map(|(i, &(code, modifiers))| Binding {
                code,
                modifiers,
                hint: if i == 0 { template.hint } else { "" },
                ..template
            });
            self.bindings.splice(at..at, new);
        }
    }

    /// Fails on a binding a config line made that writes on a navigation key, or that shares
    /// its key with another action where both apply (a pane's own bindings and the global
    /// ones). Clashes among the defaults alone are by design (a pane's binding wins).
    fn check(&self, lines: &[(Action, &Entry<Vec<String>>)], config: &Config) -> Result<()> {
        let line_of = |a: Action| lines.iter().find(|(x, _)| *x == a).map(|(_, e)| *e);
        let blame = |a: &Binding, b: &Binding| -> Option<&Entry<Vec<String>>> {
            match (line_of(a.action), line_of(b.action)) {
                (Some(x), Some(y)) => Some(if x.at > y.at { x } else { y }),
                (x, y) => x.or(y),
            }
        };
        let error = |entry: &Entry<Vec<String>>, reason: String| -> Error { config.error_at(entry.at, format!("[keys] {}: {reason}", entry.name)) };
        // Navigation keys: what moves by default, and what moves once the file has spoken.
        let moving: Vec<&Binding> = BINDINGS.iter().chain(&self.bindings).filter(|b| b.action.navigates()).collect();
        for w in self.bindings.iter().filter(|b| b.writes) {
            let Some(nav) = moving.iter().find(|m| key(m) == key(w) && together(m, w)) else { continue };
            let Some(entry) = blame(w, nav) else { continue };
            return Err(error(
                entry,
                format!(
                    "{} is a navigation key ({}), and {} writes ({}): a stray press must not start it; give {} another key",
                    label(key(w)),
                    nav.description,
                    w.action.name(),
                    w.description,
                    entry.name
                ),
            ));
        }
        for b in self.bindings.iter().filter(|b| b.context.takes_text() && b.action.acts_in_fields() && types_text(key(b))) {
            let Some(entry) = line_of(b.action) else { continue };
            return Err(error(
                entry,
                format!(
                    "{} types a character, and {} works where text is typed ({}: {}); give it a key that types nothing (Enter, Tab, Esc, an arrow, F1…F12, Ctrl-LETTER)",
                    label(key(b)),
                    b.action.name(),
                    b.context.title(),
                    b.description
                ),
            ));
        }
        for (i, a) in self.bindings.iter().enumerate() {
            for b in &self.bindings[i + 1..] {
                if !together(a, b) || a.action == b.action || key(a) != key(b) {
                    continue;
                }
                let Some(entry) = blame(a, b) else { continue };
                return Err(error(
                    entry,
                    format!(
                        "{} would mean both {} ({}) and {} ({}); give one of them another key",
                        label(key(a)),
                        a.action.name(),
                        place(a.context),
                        b.action.name(),
                        place(b.context)
                    ),
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use crossterm::event::KeyEvent;

    use super::*;

    fn keymap(text: &str) -> Result<Keymap> {
        Keymap::from_config(&Config::parse(text, Path::new("/c/config.toml")).unwrap())
    }

    fn press(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    #[test]
    fn every_default_key_reads_back_from_its_label() {
        for b in BINDINGS {
            assert_eq!(parse_key(&key_label(b.code, b.modifiers)), Ok(key(b)), "{:?}", b.code);
        }
        assert_eq!(parse_key("ctrl-N"), Ok((KeyCode::Char('n'), KeyModifiers::CONTROL)));
        assert_eq!(parse_key("pagedown"), Ok((KeyCode::PageDown, KeyModifiers::NONE)));
        assert_eq!(parse_key("F5"), Ok((KeyCode::F(5), KeyModifiers::NONE)));
        for bad in ["", "jk", "Ctrl-", "Ctrl-1", "Alt-x", "F13", "\u{1b}"] {
            assert!(parse_key(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn an_override_replaces_the_keys_everywhere_the_action_is_bound() {
        let k = keymap("[keys]\ndelete = [\"D\", \"F8\"]\nrefresh = \"F5\"\n").unwrap();
        for context in [Context::Tags, Context::Tree] {
            assert_eq!(k.lookup(&press(KeyCode::Char('D')), context, false), Some(Action::Delete));
            assert_eq!(k.lookup(&press(KeyCode::F(8)), context, false), Some(Action::Delete));
            assert_eq!(k.lookup(&press(KeyCode::Char('d')), context, false), None, "the default key is gone");
        }
        assert_eq!(k.lookup(&press(KeyCode::F(5)), Context::Repos, false), Some(Action::Refresh));
        assert_eq!(k.key_of(Action::Refresh), "F5");
        let rows = k.help_rows(false);
        let delete = rows.iter().find(|r| r.context == Context::Tree && r.action == Action::Delete).unwrap();
        assert_eq!(delete.keys, "D F8");
        assert!(k.hints(Context::Tree, false, 500).contains("D delete"), "{}", k.hints(Context::Tree, false, 500));
        let help = keymap("[keys]\nhelp = \"F1\"\n").unwrap();
        assert!(help.hints(Context::Tree, false, 500).ends_with("F1 help  q quit"));
    }

    #[test]
    fn unknown_actions_and_keys_name_the_line() {
        let err = keymap("[keys]\n\nyank = \"y\"\n").unwrap_err().to_string();
        assert!(err.starts_with("config /c/config.toml:3:1: [keys] yank: no such action; the actions are quit, help,"), "{err}");
        let err = keymap("[keys]\nquit = \"Hyper-q\"\n").unwrap_err().to_string();
        assert!(err.starts_with("config /c/config.toml:2:1: [keys] quit: `Hyper-q` is not a key"), "{err}");
        let err = keymap("[keys]\nquit = []\n").unwrap_err().to_string();
        assert!(err.contains(":2:1: [keys] quit: give it at least one key"), "{err}");
    }

    #[test]
    fn a_key_may_not_mean_two_things_in_one_pane() {
        // `t` toggles index tags in the tags pane; a global `t` would be shadowed there.
        let err = keymap("[keys]\nrefresh = \"t\"\n").unwrap_err().to_string();
        assert!(err.starts_with("config /c/config.toml:2:1: [keys] refresh: t would mean both"), "{err}");
        assert!(err.contains("toggle_index_tags (in Tags)") && err.contains("refresh (everywhere)"), "{err}");
        // Two lines that collide: the later one is named.
        let err = keymap("[keys]\npull = \"P\"\nyank_reference = \"P\"\n").unwrap_err().to_string();
        assert!(err.contains(":3:1: [keys] yank_reference: P would mean both"), "{err}");
        // The same key in two panes that never apply together is fine.
        keymap("[keys]\nfilter_artifact_type = \"T\"\ntoggle_index_tags = \"T\"\n").unwrap();
    }

    #[test]
    fn an_action_that_writes_stays_off_navigation_keys() {
        for (line, key) in [("delete = \"Enter\"", "Enter"), ("copy = \"j\"", "j"), ("attach = \"G\"", "G")] {
            let err = keymap(&format!("[keys]\n{line}\n")).unwrap_err().to_string();
            assert!(err.contains(&format!(":2:1: [keys] {}: {key} is a navigation key", line.split(' ').next().unwrap())), "{err}");
        }
        // Moving a navigation action onto a write key is the same mistake.
        let err = keymap("[keys]\ndown = [\"j\", \"d\"]\n").unwrap_err().to_string();
        assert!(err.contains(":2:1: [keys] down: d is a navigation key (move down), and delete writes"), "{err}");
        // j stays a navigation key even once down has moved off it.
        let err = keymap("[keys]\ndown = \"n\"\ndelete = \"j\"\n").unwrap_err().to_string();
        assert!(err.contains(":3:1: [keys] delete: j is a navigation key"), "{err}");
    }

    #[test]
    fn dialog_keys_are_rebound_in_every_dialog_and_text_stays_typable() {
        let k = keymap("[keys]\nconfirm = \"Y\"\ndecline = \"Esc\"\ndismiss = \"F10\"\ntoggle = \"t\"\n").unwrap();
        for context in [Context::CopyReview, Context::DeleteReview, Context::AttachPreview] {
            assert_eq!(k.lookup(&press(KeyCode::Char('Y')), context, false), Some(Action::Confirm), "{context:?}");
            assert_eq!(k.lookup(&press(KeyCode::Char('y')), context, false), None, "{context:?}");
        }
        // A dialog's own key wins over the one every dialog shares.
        assert_eq!(k.lookup(&press(KeyCode::F(10)), Context::Prompt, false), Some(Action::Dismiss));
        assert_eq!(k.lookup(&press(KeyCode::Esc), Context::CopyReview, false), Some(Action::Decline));
        // A switch is no text field: a letter may turn it.
        assert_eq!(k.lookup(&press(KeyCode::Char('t')), Context::Login, false), Some(Action::Toggle));
        for (line, key) in [("submit = \"s\"", "s"), ("dismiss = \"q\"", "q"), ("next_field = \"Space\"", "Space")] {
            let err = keymap(&format!("[keys]\n{line}\n")).unwrap_err().to_string();
            let name = line.split(' ').next().unwrap();
            assert!(err.contains(&format!(":2:1: [keys] {name}: {key} types a character, and {name} works where text is typed")), "{err}");
        }
    }

    #[test]
    fn dialog_keys_clash_only_where_they_apply_together() {
        let err = keymap("[keys]\ndecline = \"y\"\n").unwrap_err().to_string();
        assert!(err.contains(":2:1: [keys] decline: y would mean both"), "{err}");
        // The attach preview scrolls with the moving keys, and e edits there.
        let err = keymap("[keys]\ndown = \"e\"\n").unwrap_err().to_string();
        assert!(err.contains(":2:1: [keys] down: e would mean both"), "{err}");
        let err = keymap("[keys]\nconfirm = \"j\"\n").unwrap_err().to_string();
        assert!(err.contains(":2:1: [keys] confirm: j is a navigation key (move down), and confirm writes"), "{err}");
        // Enter opens in the panes and confirms a copy in its review: they never apply together.
        keymap("[keys]\nopen = [\"Enter\", \"o\"]\nconfirm = [\"y\", \"Enter\"]\n").unwrap();
        // Tab moves between panes and between fields, but completes in the attach form.
        keymap("[keys]\nnext_pane = [\"Tab\", \"F6\"]\n").unwrap();
        let err = keymap("[keys]\nnext_field = [\"Tab\", \"Down\"]\n").unwrap_err().to_string();
        assert!(err.contains("Tab would mean both complete (in Attach form) and next_field (in Attach form)"), "{err}");
    }
}
