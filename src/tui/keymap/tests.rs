//! The default table's own rules, lookups, help rows and hints.

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
