//! The one table of key bindings. Dispatch, the help overlay, the status-bar hints and the
//! README's key table are all generated from it; `--read-only` drops the bindings that write.
//! A [`Keymap`] is the table in force: the defaults, with the config file's `[keys]`
//! overrides applied and checked (see [`overrides`]).

mod overrides;

pub use self::overrides::parse_key;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// Where a binding applies. Pane bindings win over global ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Context {
    Global,
    Repos,
    Tags,
    Tree,
    Details,
    /// The full-screen viewer of an artifact's content.
    Viewer,
    /// The start screen a bare `refscope` shows when there is more than the demo to offer.
    Start,
}

impl Context {
    pub fn title(self) -> &'static str {
        match self {
            Context::Global => "Everywhere",
            Context::Repos => "Repositories",
            Context::Tags => "Tags",
            Context::Tree => "Referrers tree",
            Context::Details => "Details",
            Context::Viewer => "Viewer",
            Context::Start => "Start screen",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    Quit,
    Help,
    FocusNext,
    FocusPrev,
    FocusRepos,
    FocusTags,
    FocusTree,
    FocusDetails,
    Up,
    Down,
    PageUp,
    PageDown,
    Top,
    Bottom,
    Open,
    Expand,
    Collapse,
    Filter,
    CommandLine,
    Refresh,
    ToggleDigestTags,
    ToggleTagOrder,
    FilterArtifactType,
    YankDigest,
    YankReference,
    Pull,
    Attach,
    Copy,
    Delete,
    CancelJob,
    Close,
    Search,
    NextMatch,
    PrevMatch,
}

impl Action {
    /// The action's name in the config file's `[keys]` table.
    pub fn name(self) -> &'static str {
        match self {
            Action::Quit => "quit",
            Action::Help => "help",
            Action::FocusNext => "next_pane",
            Action::FocusPrev => "previous_pane",
            Action::FocusRepos => "repositories_pane",
            Action::FocusTags => "tags_pane",
            Action::FocusTree => "tree_pane",
            Action::FocusDetails => "details_pane",
            Action::Up => "up",
            Action::Down => "down",
            Action::PageUp => "page_up",
            Action::PageDown => "page_down",
            Action::Top => "top",
            Action::Bottom => "bottom",
            Action::Open => "open",
            Action::Expand => "expand",
            Action::Collapse => "collapse",
            Action::Filter => "filter",
            Action::CommandLine => "command_line",
            Action::Refresh => "refresh",
            Action::ToggleDigestTags => "toggle_index_tags",
            Action::ToggleTagOrder => "toggle_tag_order",
            Action::FilterArtifactType => "filter_artifact_type",
            Action::YankDigest => "yank_digest",
            Action::YankReference => "yank_reference",
            Action::Pull => "pull",
            Action::Attach => "attach",
            Action::Copy => "copy",
            Action::Delete => "delete",
            Action::CancelJob => "cancel",
            Action::Close => "close",
            Action::Search => "search",
            Action::NextMatch => "next_match",
            Action::PrevMatch => "previous_match",
        }
    }

    /// Moves the selection or the focus. Keys that do are kept from actions that write, so a
    /// stray press while moving around never starts one.
    pub fn navigates(self) -> bool {
        matches!(
            self,
            Action::FocusNext
                | Action::FocusPrev
                | Action::FocusRepos
                | Action::FocusTags
                | Action::FocusTree
                | Action::FocusDetails
                | Action::Up
                | Action::Down
                | Action::PageUp
                | Action::PageDown
                | Action::Top
                | Action::Bottom
                | Action::Open
                | Action::Expand
                | Action::Collapse
        )
    }
}

#[derive(Debug, Clone, Copy)]
pub struct Binding {
    pub code: KeyCode,
    pub modifiers: KeyModifiers,
    pub context: Context,
    pub action: Action,
    pub description: &'static str,
    /// One or two words for the status-bar hints; empty keeps the binding out of them.
    pub hint: &'static str,
    /// Which hints go first when the status bar is too narrow for all: the highest rank.
    pub hint_rank: u8,
    /// Changes a registry: hidden and inert under `--read-only`.
    pub writes: bool,
}

const fn key(code: KeyCode, context: Context, action: Action, description: &'static str) -> Binding {
    Binding {
        code,
        modifiers: KeyModifiers::NONE,
        context,
        action,
        description,
        hint: "",
        hint_rank: 0,
        writes: false,
    }
}

const fn ctrl(c: char, context: Context, action: Action, description: &'static str) -> Binding {
    Binding {
        code: KeyCode::Char(c),
        modifiers: KeyModifiers::CONTROL,
        context,
        action,
        description,
        hint: "",
        hint_rank: 0,
        writes: false,
    }
}

/// Shows the binding in the status-bar hints as `KEY hint`; `rank` 1 is the last to go
/// when they do not all fit, 4 the first.
const fn hinted(b: Binding, hint: &'static str, hint_rank: u8) -> Binding {
    Binding { hint, hint_rank, ..b }
}

const fn writes(b: Binding) -> Binding {
    Binding { writes: true, ..b }
}

use Action as A;
use Context as C;
use KeyCode as K;

pub const BINDINGS: &[Binding] = &[
    key(K::Char('q'), C::Global, A::Quit, "quit"),
    ctrl('c', C::Global, A::Quit, "quit"),
    key(K::Char('?'), C::Global, A::Help, "show or hide this help"),
    hinted(key(K::Tab, C::Global, A::FocusNext, "next pane"), "pane", 1),
    key(K::BackTab, C::Global, A::FocusPrev, "previous pane"),
    key(K::Char('1'), C::Global, A::FocusRepos, "repositories pane"),
    key(K::Char('2'), C::Global, A::FocusTags, "tags pane"),
    key(K::Char('3'), C::Global, A::FocusTree, "referrers tree"),
    key(K::Char('4'), C::Global, A::FocusDetails, "details pane"),
    key(K::Char('k'), C::Global, A::Up, "move up"),
    key(K::Up, C::Global, A::Up, "move up"),
    key(K::Char('j'), C::Global, A::Down, "move down"),
    key(K::Down, C::Global, A::Down, "move down"),
    key(K::PageUp, C::Global, A::PageUp, "page up"),
    ctrl('u', C::Global, A::PageUp, "page up"),
    key(K::PageDown, C::Global, A::PageDown, "page down"),
    ctrl('d', C::Global, A::PageDown, "page down"),
    key(K::Char('g'), C::Global, A::Top, "first item"),
    key(K::Home, C::Global, A::Top, "first item"),
    key(K::Char('G'), C::Global, A::Bottom, "last item"),
    key(K::End, C::Global, A::Bottom, "last item"),
    hinted(key(K::Char('/'), C::Global, A::Filter, "filter the list (fuzzy)"), "filter", 2),
    key(K::Char(':'), C::Global, A::CommandLine, "command line (:open REPO, :copy DEST, :pull DIR, :type T)"),
    key(K::Char('r'), C::Global, A::Refresh, "refresh"),
    key(K::Char('x'), C::Global, A::CancelJob, "cancel the running copy"),
    hinted(key(K::Enter, C::Repos, A::Open, "open the repository"), "open", 1),
    key(K::Char('l'), C::Repos, A::Open, "open the repository"),
    key(K::Right, C::Repos, A::Open, "open the repository"),
    hinted(key(K::Enter, C::Tags, A::Open, "show the tag's referrers"), "referrers", 1),
    key(K::Char('l'), C::Tags, A::Open, "show the tag's referrers"),
    key(K::Right, C::Tags, A::Open, "show the tag's referrers"),
    hinted(key(K::Char('t'), C::Tags, A::ToggleDigestTags, "show or hide sha256-… index tags"), "index tags", 4),
    key(K::Char('s'), C::Tags, A::ToggleTagOrder, "sort tags naturally (v2 before v10) or plainly"),
    hinted(key(K::Char('y'), C::Tags, A::YankDigest, "copy the digest (OSC 52)"), "yank", 3),
    key(K::Char('Y'), C::Tags, A::YankReference, "copy the full reference (OSC 52)"),
    hinted(key(K::Char('p'), C::Tags, A::Pull, "pull the artifact to a directory"), "pull", 3),
    writes(hinted(key(K::Char('a'), C::Tags, A::Attach, "attach files to the artifact"), "attach", 3)),
    writes(hinted(key(K::Char('c'), C::Tags, A::Copy, "copy with referrers to another place"), "copy", 2)),
    writes(hinted(key(K::Char('d'), C::Tags, A::Delete, "delete with its referrers"), "delete", 2)),
    hinted(key(K::Enter, C::Tree, A::Expand, "expand or collapse"), "expand", 1),
    key(K::Char('l'), C::Tree, A::Expand, "expand"),
    key(K::Right, C::Tree, A::Expand, "expand"),
    key(K::Char('h'), C::Tree, A::Collapse, "collapse or go to parent"),
    key(K::Left, C::Tree, A::Collapse, "collapse or go to parent"),
    hinted(key(K::Char('f'), C::Tree, A::FilterArtifactType, "filter by artifact type"), "type filter", 4),
    hinted(key(K::Char('y'), C::Tree, A::YankDigest, "copy the digest (OSC 52)"), "yank", 3),
    key(K::Char('Y'), C::Tree, A::YankReference, "copy the full reference (OSC 52)"),
    hinted(key(K::Char('p'), C::Tree, A::Pull, "pull the artifact to a directory"), "pull", 3),
    writes(hinted(key(K::Char('a'), C::Tree, A::Attach, "attach files to the selected node"), "attach", 3)),
    writes(hinted(key(K::Char('c'), C::Tree, A::Copy, "copy with referrers to another place"), "copy", 2)),
    writes(hinted(key(K::Char('d'), C::Tree, A::Delete, "delete with its referrers"), "delete", 2)),
    hinted(key(K::Enter, C::Details, A::Open, "open the viewer: summary and content, full screen"), "view", 1),
    key(K::Char('o'), C::Details, A::Open, "open the viewer: summary and content, full screen"),
    key(K::Char('q'), C::Viewer, A::Close, "back: from a layer's files, or out of the viewer"),
    key(K::Esc, C::Viewer, A::Close, "back: from a layer's files, or out of the viewer"),
    key(K::Char('/'), C::Viewer, A::Search, "search (Enter to find, Esc to drop)"),
    key(K::Char('n'), C::Viewer, A::NextMatch, "next match"),
    key(K::Char('N'), C::Viewer, A::PrevMatch, "previous match"),
    key(K::Enter, C::Viewer, A::Open, "list the files of the image layer under the cursor"),
    key(K::Enter, C::Start, A::Open, "open the registry, target or demo"),
    key(K::Char('l'), C::Start, A::Open, "open the registry, target or demo"),
    key(K::Right, C::Start, A::Open, "open the registry, target or demo"),
];

fn same_key(b: &Binding, ev: &KeyEvent) -> bool {
    let mods = ev.modifiers - KeyModifiers::SHIFT;
    match (b.code, ev.code) {
        // Terminals report `G` as Char('G') with or without SHIFT: compare the character only.
        (KeyCode::Char(x), KeyCode::Char(y)) => x == y && b.modifiers == mods,
        (x, y) => x == y && b.modifiers == mods,
    }
}

/// How a key is written in help and hints.
pub fn key_label(code: KeyCode, modifiers: KeyModifiers) -> String {
    let base = match code {
        KeyCode::Char(' ') => "Space".to_string(),
        KeyCode::Char(c) => c.to_string(),
        KeyCode::Enter => "Enter".into(),
        KeyCode::Tab => "Tab".into(),
        KeyCode::BackTab => "Shift-Tab".into(),
        KeyCode::Up => "↑".into(),
        KeyCode::Down => "↓".into(),
        KeyCode::Left => "←".into(),
        KeyCode::Right => "→".into(),
        KeyCode::PageUp => "PgUp".into(),
        KeyCode::PageDown => "PgDn".into(),
        KeyCode::Home => "Home".into(),
        KeyCode::End => "End".into(),
        KeyCode::Esc => "Esc".into(),
        KeyCode::Backspace => "Backspace".into(),
        KeyCode::Delete => "Del".into(),
        KeyCode::Insert => "Ins".into(),
        KeyCode::F(n) => format!("F{n}"),
        other => format!("{other:?}"),
    };
    if modifiers.contains(KeyModifiers::CONTROL) { format!("Ctrl-{base}") } else { base }
}

/// One help line: the keys for one action in one context.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HelpRow {
    pub context: Context,
    pub action: Action,
    pub keys: String,
    pub description: &'static str,
    pub writes: bool,
}

const HINT_GAP: &str = "  ";

/// The bindings in force: the table above, with the config file's overrides applied.
#[derive(Debug, Clone)]
pub struct Keymap {
    bindings: Vec<Binding>,
}

impl Default for Keymap {
    fn default() -> Keymap {
        Keymap { bindings: BINDINGS.to_vec() }
    }
}

impl Keymap {
    /// The action a key means in `context`, pane bindings first.
    pub fn lookup(&self, ev: &KeyEvent, context: Context, read_only: bool) -> Option<Action> {
        let usable = |b: &&Binding| !(read_only && b.writes) && same_key(b, ev);
        let global = || self.bindings.iter().filter(|b| b.context == Context::Global).find(usable);
        self.bindings.iter().filter(|b| b.context == context).find(usable).or_else(global).map(|b| b.action)
    }

    /// How the first key of `action` is written, for messages that name it (`press r to
    /// retry`). Every action has a key: overrides may not leave one without.
    pub fn key_of(&self, action: Action) -> String {
        self.bindings
            .iter()
            .find(|b| b.action == action)
            .map(|b| key_label(b.code, b.modifiers))
            .unwrap_or_else(|| format!(":{}", action.name()))
    }

    /// Help rows grouped by context, keys for the same action joined.
    pub fn help_rows(&self, read_only: bool) -> Vec<HelpRow> {
        let mut rows: Vec<(HelpRow, Vec<String>)> = Vec::new();
        for b in self.bindings.iter().filter(|b| !(read_only && b.writes)) {
            let label = key_label(b.code, b.modifiers);
            match rows.iter_mut().find(|(r, _)| r.context == b.context && r.action == b.action) {
                Some((_, keys)) => keys.push(label),
                None => rows.push((
                    HelpRow { context: b.context, action: b.action, keys: String::new(), description: b.description, writes: b.writes },
                    vec![label],
                )),
            }
        }
        rows.sort_by_key(|(r, _)| r.context);
        rows.into_iter().map(|(row, keys)| HelpRow { keys: keys.join(" "), ..row }).collect()
    }

    /// The hint entries for the focused pane, `(text, rank)`: its hinted bindings, then the
    /// global ones, then help and quit.
    pub fn hint_entries(&self, context: Context, read_only: bool) -> Vec<(String, u8)> {
        let mut parts: Vec<(String, u8)> = Vec::new();
        for wanted in [context, Context::Global] {
            for b in self.bindings.iter().filter(|b| b.context == wanted && !b.hint.is_empty() && !(read_only && b.writes)) {
                let part = format!("{} {}", key_label(b.code, b.modifiers), b.hint);
                if !parts.iter().any(|(p, _)| *p == part) {
                    parts.push((part, b.hint_rank));
                }
            }
        }
        // Help lists whatever a narrow screen leaves out, so it stays.
        parts.push((format!("{} help", self.key_of(Action::Help)), 0));
        parts.push((format!("{} quit", self.key_of(Action::Quit)), 1));
        parts
    }

    /// The hint line for the focused pane in at most `width` columns: whole entries, the
    /// highest ranked (the last of equals) left out first.
    pub fn hints(&self, context: Context, read_only: bool, width: usize) -> String {
        let mut parts = self.hint_entries(context, read_only);
        let len = |parts: &[(String, u8)]| parts.iter().map(|(p, _)| p.chars().count()).sum::<usize>() + HINT_GAP.len() * parts.len().saturating_sub(1);
        while len(&parts) > width && parts.len() > 1 {
            let Some((drop, _)) = parts.iter().enumerate().max_by_key(|(_, (_, rank))| *rank) else { break };
            parts.remove(drop);
        }
        if len(&parts) > width {
            return String::new();
        }
        parts.into_iter().map(|(p, _)| p).collect::<Vec<_>>().join(HINT_GAP)
    }
}

/// The Markdown key table for the README: the default keys, and each action's name for the
/// config file's `[keys]` table.
pub fn readme_table() -> String {
    let mut out = String::from("| where | keys | what | action |\n|---|---|---|---|\n");
    for r in Keymap::default().help_rows(false) {
        let keys = r.keys.replace('|', "\\|");
        let note = if r.writes { " (writes; off with `--read-only`)" } else { "" };
        out.push_str(&format!("| {} | `{}` | {}{} | `{}` |\n", r.context.title(), keys, r.description, note, r.action.name()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn no_two_bindings_clash_in_one_context() {
        let mut seen = HashSet::new();
        for b in BINDINGS {
            assert!(seen.insert((b.context, b.code, b.modifiers)), "{:?} is bound twice in {:?}", b.code, b.context);
        }
    }

    #[test]
    fn action_names_are_distinct_words() {
        let mut seen = std::collections::HashMap::new();
        for b in BINDINGS {
            let name = b.action.name();
            assert!(name.chars().all(|c| c.is_ascii_lowercase() || c == '_'), "{name}");
            let first = *seen.entry(name).or_insert(b.action);
            assert_eq!(first, b.action, "{name} names two actions");
        }
    }

    #[test]
    fn every_binding_has_a_description() {
        for b in BINDINGS {
            assert!(!b.description.trim().is_empty(), "{:?} has no description", b.action);
        }
    }

    #[test]
    fn read_only_hides_and_disables_writes() {
        let delete = KeyEvent::new(KeyCode::Char('d'), KeyModifiers::NONE);
        let keys = Keymap::default();
        assert_eq!(keys.lookup(&delete, Context::Tree, false), Some(Action::Delete));
        assert_eq!(keys.lookup(&delete, Context::Tree, true), None);
        assert!(keys.help_rows(true).iter().all(|r| !r.writes));
        assert!(keys.help_rows(false).iter().any(|r| r.writes));
        assert!(!keys.hints(Context::Tree, true, 500).contains("delete"));
    }

    #[test]
    fn pane_bindings_win_and_globals_apply() {
        let keys = Keymap::default();
        let enter = KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE);
        assert_eq!(keys.lookup(&enter, Context::Tree, false), Some(Action::Expand));
        assert_eq!(keys.lookup(&enter, Context::Repos, false), Some(Action::Open));
        let j = KeyEvent::new(KeyCode::Char('j'), KeyModifiers::NONE);
        assert_eq!(keys.lookup(&j, Context::Details, false), Some(Action::Down));
        let big_g = KeyEvent::new(KeyCode::Char('G'), KeyModifiers::SHIFT);
        assert_eq!(keys.lookup(&big_g, Context::Repos, false), Some(Action::Bottom));
    }

    #[test]
    fn hints_drop_whole_entries_least_important_first() {
        let keys = Keymap::default();
        let hints = |context, read_only, width| keys.hints(context, read_only, width);
        let all = keys.hint_entries(Context::Tree, false);
        let full = hints(Context::Tree, false, 500);
        assert_eq!(full, all.iter().map(|(p, _)| p.as_str()).collect::<Vec<_>>().join("  "));
        // One column short: the type filter (rank 4) goes, and nothing else.
        let short = hints(Context::Tree, false, full.chars().count() - 1);
        assert_eq!(short, full.replace("f type filter  ", ""));
        for width in [20, 40, 60, 79] {
            let line = hints(Context::Tree, false, width);
            assert!(line.chars().count() <= width, "{line:?} is wider than {width}");
            assert!(line.contains("? help"), "help is the last hint to go: {line:?}");
            for part in line.split(HINT_GAP) {
                assert!(all.iter().any(|(p, _)| p == part), "{part:?} at {width} is not a whole entry");
            }
        }
        assert!(hints(Context::Tree, false, 40).contains("Enter expand"));
        assert!(!hints(Context::Tree, false, 60).contains("y yank"), "rank 3 goes before rank 2");
    }
}
