//! The dialogs' keys go through the keymap: the defaults, a `[keys]` override, `--read-only`.

use std::path::Path;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use crate::config::Config;
use crate::tui::app::tests::{code, find, key, opened, typed};
use super::Modal;
use super::login::LoginForm;
use crate::tui::app::{App, Msg, update};
use crate::tui::keymap::{Action, Context, Keymap};
use crate::tui::protocol::{Effect, WorkerEvent};
use crate::tui::view_model::{CopyPreview, DeletePreview};

fn keys(text: &str) -> Keymap {
    Keymap::from_config(&Config::parse(text, Path::new("/c/config.toml")).unwrap()).unwrap()
}

/// The copy review of net-monitor:v1, its plan shown.
fn copy_review(app: &mut App) {
    update(app, key('c'));
    typed(app, "localhost:5000/staging/net-monitor:v1");
    let fx = update(app, code(KeyCode::Enter));
    let id = find(&fx, |e| match e {
        Effect::PlanCopy { id, .. } => Some(*id),
        _ => None,
    });
    let preview = CopyPreview { destination: "localhost:5000/staging/net-monitor:v1".into(), rows: vec![], blobs_to_send: 0, blobs_present: 0, bytes_to_send: 0, warnings: vec![] };
    update(app, Msg::Worker(WorkerEvent::CopyPlanned { id, result: Ok(preview) }));
    assert!(matches!(app.modal, Some(Modal::CopyReview { .. })));
}

/// The delete review of the selection, its plan shown.
fn delete_review(app: &mut App) {
    let fx = update(app, key('d'));
    let id = find(&fx, |e| match e {
        Effect::PlanDelete { id, .. } => Some(*id),
        _ => None,
    });
    let preview = DeletePreview { target: "net-monitor:v1".into(), lines: vec!["Deleting …".into()] };
    update(app, Msg::Worker(WorkerEvent::DeletePlanned { id, result: Ok(preview) }));
    assert!(matches!(app.modal, Some(Modal::DeleteReview { .. })));
}

fn runs_copy(fx: &[Effect]) -> bool {
    fx.iter().any(|e| matches!(e, Effect::ExecuteCopy { .. }))
}

#[test]
fn the_default_dialog_keys_come_from_the_table() {
    let (mut app, _, _) = opened();
    copy_review(&mut app);
    assert!(update(&mut app, key('q')).is_empty(), "q declines a review rather than quitting");
    assert!(app.modal.is_none() && !app.quit);
    copy_review(&mut app);
    assert!(runs_copy(&update(&mut app, code(KeyCode::Enter))), "Enter confirms a copy");
    delete_review(&mut app);
    assert!(update(&mut app, code(KeyCode::Enter)).is_empty(), "a delete takes y only");
    assert!(matches!(app.modal, Some(Modal::DeleteReview { .. })));
    assert!(update(&mut app, key('y')).iter().any(|e| matches!(e, Effect::ApplyDelete { .. })));
    // In a form, keys the form does not bind are typed, q and Space among them.
    update(&mut app, key('/'));
    typed(&mut app, "q ");
    assert!(matches!(&app.modal, Some(Modal::Prompt(p)) if p.input.value() == "q "), "{:?}", app.modal);
    update(&mut app, code(KeyCode::Esc));
    assert!(app.modal.is_none());
}

#[test]
fn a_rebound_confirm_runs_the_review_and_help_lists_it() {
    let (mut app, _, _) = opened();
    app.opts.keys = keys("[keys]\nconfirm = \"F2\"\n");
    copy_review(&mut app);
    assert!(update(&mut app, key('y')).is_empty(), "y no longer confirms");
    assert!(update(&mut app, code(KeyCode::Enter)).is_empty(), "nor Enter");
    assert!(matches!(app.modal, Some(Modal::CopyReview { .. })), "the review is still open");
    assert!(runs_copy(&update(&mut app, code(KeyCode::F(2)))));
    let rows = app.opts.keys.help_rows(false);
    for context in [Context::CopyReview, Context::DeleteReview, Context::AttachPreview] {
        let row = rows.iter().find(|r| r.context == context && r.action == Action::Confirm).expect("a confirm row");
        assert_eq!(row.keys, "F2", "{context:?}");
    }
    assert_eq!(app.opts.keys.key_in(Action::Confirm, Context::DeleteReview), "F2");
}

#[test]
fn rebound_form_keys_move_and_submit_and_text_is_still_typed() {
    let (mut app, _, _) = opened();
    app.opts.keys = keys("[keys]\nsubmit = \"F2\"\nnext_field = \"Ctrl-n\"\ndismiss = \"F10\"\n");
    app.modal = Some(Modal::Login(Box::new(LoginForm::new("localhost:5000"))));
    typed(&mut app, "alice");
    update(&mut app, Msg::Key(KeyEvent::new(KeyCode::Char('n'), KeyModifiers::CONTROL)));
    typed(&mut app, "pw");
    update(&mut app, code(KeyCode::Esc));
    assert!(matches!(app.modal, Some(Modal::Login(_))), "Esc no longer closes");
    let fx = update(&mut app, code(KeyCode::F(2)));
    assert_eq!(fx, vec![Effect::Login { registry: "localhost:5000".into(), username: "alice".into(), password: "pw".into(), save: false }]);
    update(&mut app, code(KeyCode::F(10)));
    assert!(app.modal.is_none(), "F10 dismisses");
}

#[test]
fn read_only_leaves_the_write_dialogs_out_of_help_and_confirm_inert() {
    let (mut app, _, _) = opened();
    copy_review(&mut app);
    app.opts.read_only = true;
    assert!(update(&mut app, key('y')).is_empty());
    assert!(matches!(app.modal, Some(Modal::CopyReview { .. })), "nothing ran");
    let rows = app.opts.keys.help_rows(true);
    assert!(rows.iter().all(|r| !r.context.opened_by_writes() && r.action != Action::Confirm), "{rows:?}");
    assert!(rows.iter().any(|r| r.context == Context::Login), "the login dialog is still there");
}
