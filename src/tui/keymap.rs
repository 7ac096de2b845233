//! The one table of key bindings, the dialogs' included. Dispatch, the help overlay, the
//! status-bar hints, the dialogs' key lines and the README's key table are all generated from
//! it; `--read-only` drops the bindings that write. A [`Keymap`] is the table in force: the
//! defaults, with the config file's `[keys]` overrides applied and checked (see [`overrides`]).
//!
//! In a dialog with text fields, a key bound there is taken as its action and never typed;
//! every other key is typed. So that all text stays typable, `[keys]` may not bind a dialog
//! action that works in a field to a key that types a character (see [`overrides`]).

mod overrides;

pub use self::overrides::parse_key;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// Where a binding applies. A context's own bindings win over those of its
/// [`fallback`](Context::fallback): a pane's over the global ones, a dialog's over those every
/// dialog shares.
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
    /// Every dialog, help included.
    Dialog,
    /// The one-line prompts: the `:` line, the filters, the pull directory, the copy destination.
    Prompt,
    Attach,
    AttachPreview,
    Login,
    CopyReview,
    DeleteReview,
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
            Context::Dialog => "Dialogs",
            Context::Prompt => "Prompts",
            Context::Attach => "Attach form",
            Context::AttachPreview => "Attach preview",
            Context::Login => "Log in",
            Context::CopyReview => "Copy review",
            Context::DeleteReview => "Delete review",
        }
    }

    /// The name on a pane's border: its title, but the tree's border says only "Referrers",
    /// the tree below it showing the rest.
    pub fn pane_title(self) -> &'static str {
        match self {
            Context::Tree => "Referrers",
            c => c.title(),
        }
    }

    /// Where a key not bound here is looked up next: the global bindings for a pane, the
    /// viewer and the start screen, the shared dialog bindings for a dialog.
    pub fn fallback(self) -> Option<Context> {
        match self {
            Context::Global | Context::Dialog => None,
            Context::Prompt | Context::Attach | Context::AttachPreview | Context::Login | Context::CopyReview | Context::DeleteReview => Some(Context::Dialog),
            _ => Some(Context::Global),
        }
    }

    /// Has text fields: what a key types goes into them unless the key is bound here.
    pub fn takes_text(self) -> bool {
        matches!(self, Context::Dialog | Context::Prompt | Context::Attach | Context::Login)
    }

    /// A dialog only an action that writes opens: help leaves it out under `--read-only`.
    pub fn opened_by_writes(self) -> bool {
        matches!(self, Context::Attach | Context::AttachPreview | Context::CopyReview | Context::DeleteReview)
    }

    /// Scrolls with the global moving and paging keys (the dialogs that show a long body).
    pub fn scrolls(self) -> bool {
        matches!(self, Context::Dialog | Context::AttachPreview | Context::CopyReview | Context::DeleteReview)
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
    /// Closes a dialog without doing what it offers.
    Dismiss,
    /// Takes what a prompt or form holds.
    Submit,
    /// Goes ahead with what a review shows.
    Confirm,
    /// Says no to a review.
    Decline,
    NextField,
    PrevField,
    /// Completes the path being typed (in the attach form's files).
    Complete,
    /// Turns a switch on or off.
    Toggle,
    /// From the attach preview back to the form.
    Edit,
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
            Action::Dismiss => "dismiss",
            Action::Submit => "submit",
            Action::Confirm => "confirm",
            Action::Decline => "decline",
            Action::NextField => "next_field",
            Action::PrevField => "previous_field",
            Action::Complete => "complete",
            Action::Toggle => "toggle",
            Action::Edit => "edit",
        }
    }

    /// Scrolls a dialog's body as it moves in a pane.
    pub fn scrolls(self) -> bool {
        matches!(self, Action::Up | Action::Down | Action::PageUp | Action::PageDown)
    }

    /// Works in a text field, where a key that types a character would be lost to it; a
    /// switch (`toggle`) is not a field.
    pub fn acts_in_fields(self) -> bool {
        !matches!(self, Action::Toggle)
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

impl Binding {
    /// What help says the binding does; the `:` key's line lists the verbs from their table.
    pub fn describe(&self) -> String {
        match self.action {
            Action::CommandLine => format!("{} ({})", self.description, crate::tui::verbs::summary()),
            _ => self.description.to_string(),
        }
    }
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
    key(K::Char(':'), C::Global, A::CommandLine, "command line"),
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
    key(K::Esc, C::Dialog, A::Dismiss, "close, doing nothing (a filter goes back as it was)"),
    key(K::Enter, C::Prompt, A::Submit, "run the command, or take what was typed"),
    key(K::Enter, C::Attach, A::Submit, "build the manifest and preview it"),
    key(K::Tab, C::Attach, A::Complete, "complete the path in Files, else next field"),
    key(K::Down, C::Attach, A::NextField, "next field"),
    key(K::Up, C::Attach, A::PrevField, "previous field"),
    key(K::BackTab, C::Attach, A::PrevField, "previous field"),
    writes(key(K::Char('y'), C::AttachPreview, A::Confirm, "push the manifest")),
    writes(key(K::Enter, C::AttachPreview, A::Confirm, "push the manifest")),
    key(K::Char('e'), C::AttachPreview, A::Edit, "back to the form"),
    key(K::Backspace, C::AttachPreview, A::Edit, "back to the form"),
    key(K::Enter, C::Login, A::Submit, "log in"),
    key(K::Tab, C::Login, A::NextField, "next field"),
    key(K::Down, C::Login, A::NextField, "next field"),
    key(K::BackTab, C::Login, A::PrevField, "previous field"),
    key(K::Up, C::Login, A::PrevField, "previous field"),
    key(K::Char(' '), C::Login, A::Toggle, "save for next time or not (on the save line)"),
    writes(key(K::Char('y'), C::CopyReview, A::Confirm, "copy as planned")),
    writes(key(K::Enter, C::CopyReview, A::Confirm, "copy as planned")),
    key(K::Char('n'), C::CopyReview, A::Decline, "cancel: nothing is written"),
    key(K::Char('q'), C::CopyReview, A::Decline, "cancel: nothing is written"),
    writes(key(K::Char('y'), C::DeleteReview, A::Confirm, "delete all that the plan lists")),
    key(K::Char('n'), C::DeleteReview, A::Decline, "cancel: nothing is deleted"),
    key(K::Char('q'), C::DeleteReview, A::Decline, "cancel: nothing is deleted"),
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
    pub description: String,
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
    /// The action a key means in `context`: its own bindings first, then its fallback's.
    pub fn lookup(&self, ev: &KeyEvent, context: Context, read_only: bool) -> Option<Action> {
        let usable = |b: &&Binding| !(read_only && b.writes) && same_key(b, ev);
        let in_context = |c: Context| self.bindings.iter().filter(|b| b.context == c).find(usable);
        in_context(context).or_else(|| context.fallback().and_then(in_context)).map(|b| b.action)
    }

    /// How the first key of `action` in `context` (or its fallback) is written, for a
    /// dialog's line of keys; any key of the action when neither binds it.
    pub fn key_in(&self, action: Action, context: Context) -> String {
        let wanted = [Some(context), context.fallback()];
        self.bindings
            .iter()
            .find(|b| b.action == action && wanted.contains(&Some(b.context)))
            .map(|b| key_label(b.code, b.modifiers))
            .unwrap_or_else(|| self.key_of(action))
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
        for b in self.bindings.iter().filter(|b| !(read_only && (b.writes || b.context.opened_by_writes()))) {
            let label = key_label(b.code, b.modifiers);
            match rows.iter_mut().find(|(r, _)| r.context == b.context && r.action == b.action) {
                Some((_, keys)) => keys.push(label),
                None => rows.push((
                    HelpRow { context: b.context, action: b.action, keys: String::new(), description: b.describe(), writes: b.writes },
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
mod tests;
