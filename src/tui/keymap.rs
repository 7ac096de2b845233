//! The one table of key bindings. Dispatch, the help overlay, the status-bar hints and the
//! README's key table are all generated from it; `--read-only` drops the bindings that write.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// Where a binding applies. Pane bindings win over global ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Context {
    Global,
    Repos,
    Tags,
    Tree,
    Details,
}

impl Context {
    pub fn title(self) -> &'static str {
        match self {
            Context::Global => "Everywhere",
            Context::Repos => "Repositories",
            Context::Tags => "Tags",
            Context::Tree => "Referrers tree",
            Context::Details => "Details",
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
];

fn same_key(b: &Binding, ev: &KeyEvent) -> bool {
    let mods = ev.modifiers - KeyModifiers::SHIFT;
    match (b.code, ev.code) {
        // Terminals report `G` as Char('G') with or without SHIFT: compare the character only.
        (KeyCode::Char(x), KeyCode::Char(y)) => x == y && b.modifiers == mods,
        (x, y) => x == y && b.modifiers == mods,
    }
}

/// The action a key means in `context`, pane bindings first.
pub fn lookup(ev: &KeyEvent, context: Context, read_only: bool) -> Option<Action> {
    let usable = |b: &&Binding| !(read_only && b.writes) && same_key(b, ev);
    BINDINGS
        .iter()
        .filter(|b| b.context == context)
        .find(usable)
        .or_else(|| BINDINGS.iter().filter(|b| b.context == Context::Global).find(usable))
        .map(|b| b.action)
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
        other => format!("{other:?}"),
    };
    if modifiers.contains(KeyModifiers::CONTROL) { format!("Ctrl-{base}") } else { base }
}

/// One help line: the keys for one action in one context.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HelpRow {
    pub context: Context,
    pub keys: String,
    pub description: &'static str,
    pub writes: bool,
}

/// Help rows grouped by context, keys for the same action joined.
pub fn help_rows(read_only: bool) -> Vec<HelpRow> {
    let mut rows: Vec<(Context, Action, Vec<String>, &'static str, bool)> = Vec::new();
    for b in BINDINGS.iter().filter(|b| !(read_only && b.writes)) {
        let label = key_label(b.code, b.modifiers);
        match rows.iter_mut().find(|r| r.0 == b.context && r.1 == b.action) {
            Some(r) => r.2.push(label),
            None => rows.push((b.context, b.action, vec![label], b.description, b.writes)),
        }
    }
    rows.sort_by_key(|r| r.0);
    rows.into_iter()
        .map(|(context, _, keys, description, writes)| HelpRow {
            context,
            keys: keys.join(" "),
            description,
            writes,
        })
        .collect()
}

/// The hint entries for the focused pane, `(text, rank)`: its hinted bindings, then the
/// global ones, then help and quit.
pub fn hint_entries(context: Context, read_only: bool) -> Vec<(String, u8)> {
    let mut parts: Vec<(String, u8)> = Vec::new();
    for wanted in [context, Context::Global] {
        for b in BINDINGS.iter().filter(|b| b.context == wanted && !b.hint.is_empty() && !(read_only && b.writes)) {
            let part = format!("{} {}", key_label(b.code, b.modifiers), b.hint);
            if !parts.iter().any(|(p, _)| *p == part) {
                parts.push((part, b.hint_rank));
            }
        }
    }
    // Help lists whatever a narrow screen leaves out, so it stays.
    parts.push(("? help".into(), 0));
    parts.push(("q quit".into(), 1));
    parts
}

const HINT_GAP: &str = "  ";

/// The hint line for the focused pane in at most `width` columns: whole entries, the
/// highest ranked (the last of equals) left out first.
pub fn hints(context: Context, read_only: bool, width: usize) -> String {
    let mut parts = hint_entries(context, read_only);
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

/// The Markdown key table for the README.
pub fn readme_table() -> String {
    let mut out = String::from("| where | keys | what |\n|---|---|---|\n");
    for r in help_rows(false) {
        let keys = r.keys.replace('|', "\\|");
        let note = if r.writes { " (writes; off with `--read-only`)" } else { "" };
        out.push_str(&format!("| {} | `{}` | {}{} |\n", r.context.title(), keys, r.description, note));
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
    fn every_binding_has_a_description() {
        for b in BINDINGS {
            assert!(!b.description.trim().is_empty(), "{:?} has no description", b.action);
        }
    }

    #[test]
    fn read_only_hides_and_disables_writes() {
        let delete = KeyEvent::new(KeyCode::Char('d'), KeyModifiers::NONE);
        assert_eq!(lookup(&delete, Context::Tree, false), Some(Action::Delete));
        assert_eq!(lookup(&delete, Context::Tree, true), None);
        assert!(help_rows(true).iter().all(|r| !r.writes));
        assert!(help_rows(false).iter().any(|r| r.writes));
        assert!(!hints(Context::Tree, true, 500).contains("delete"));
    }

    #[test]
    fn pane_bindings_win_and_globals_apply() {
        let enter = KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE);
        assert_eq!(lookup(&enter, Context::Tree, false), Some(Action::Expand));
        assert_eq!(lookup(&enter, Context::Repos, false), Some(Action::Open));
        let j = KeyEvent::new(KeyCode::Char('j'), KeyModifiers::NONE);
        assert_eq!(lookup(&j, Context::Details, false), Some(Action::Down));
        let big_g = KeyEvent::new(KeyCode::Char('G'), KeyModifiers::SHIFT);
        assert_eq!(lookup(&big_g, Context::Repos, false), Some(Action::Bottom));
    }

    #[test]
    fn hints_drop_whole_entries_least_important_first() {
        let all = hint_entries(Context::Tree, false);
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
