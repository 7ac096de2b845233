//! A registry that starts wanting credentials while the TUI is open: the first write planned
//! after that (a delete plan, an attach, a copy plan, a pull) meets a 401, opens the login
//! dialog, and once logged in the same write goes through. Driven headless against the real
//! registry with Basic auth switched on by a restart.

mod common;

use crossterm::event::KeyCode;
use refscope::tui::app::App;
use refscope::tui::app::dialogs::Modal;
use refscope::tui::app::dialogs::attach::AttachStage;
use refscope::tui::headless::Headless;
use refscope::tui::view_model::Loaded;

fn chars(text: &str) -> Vec<KeyCode> {
    text.chars().map(KeyCode::Char).collect()
}

fn login_open(app: &App) -> bool {
    matches!(app.modal, Some(Modal::Login(_)))
}

/// Switches Basic auth on with `user` as the only account; credentials the TUI holds from
/// before are refused from now on.
fn require(reg: &mut common::DistRegistry, user: &str) {
    reg.reconfigure(common::DistConfig { users: vec![(user.into(), format!("{user}-pw"))], ..Default::default() });
}

/// Waits for the login dialog `what` opened, logs in as `user`, and waits until it closed.
async fn log_in(d: &mut Headless, user: &str, what: &str) {
    d.settle().await;
    assert!(login_open(&d.app), "a 401 while {what} opens the login dialog; message: {:?}", d.app.message.as_ref().map(|m| &m.text));
    let mut keys = chars(user);
    keys.push(KeyCode::Tab);
    keys.extend(chars(&format!("{user}-pw")));
    keys.push(KeyCode::Enter);
    d.keys(&keys).await;
    d.settle_until(|app| !login_open(app)).await;
    let said = d.app.message.as_ref().map(|m| m.text.clone()).unwrap_or_default();
    assert!(said.starts_with("logged in to"), "logged in after {what}: {said}");
    d.settle().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_401_while_planning_a_write_opens_the_login_dialog_and_the_write_goes_through_after() {
    let mut reg = common::DistRegistry::start();
    reg.seeder().image("app", "v1", b"layer").await;
    let cache = tempfile::tempdir().unwrap();
    let mut d = Headless::start(refscope::tui::Start::anonymous(&format!("{}/app:v1", reg.addr), Some(cache.path().to_path_buf())), false).await.unwrap();
    d.settle().await;
    assert!(d.app.selected_artifact().is_some(), "the image is selected; message: {:?}", d.app.message.as_ref().map(|m| &m.text));

    // A delete plan.
    require(&mut reg, "alice");
    d.press(KeyCode::Char('d'));
    log_in(&mut d, "alice", "planning a delete").await;
    d.keys(&[KeyCode::Char('d')]).await;
    let Some(Modal::DeleteReview { preview, .. }) = &d.app.modal else { panic!("d again opens the delete review: {:?}", d.app.modal.is_some()) };
    assert!(matches!(preview, Loaded::Ready(_)), "the plan is made after login: {preview:?}");
    d.keys(&[KeyCode::Esc]).await;

    // An attach: its subject is resolved before the manifest is built.
    require(&mut reg, "bob");
    let files = tempfile::tempdir().unwrap();
    let note = files.path().join("note.txt");
    std::fs::write(&note, b"a note").unwrap();
    let mut attach = vec![KeyCode::Char('a')];
    attach.extend(chars(&format!("{}:text/plain", note.display())));
    attach.push(KeyCode::Down);
    attach.extend(chars("note/example"));
    attach.push(KeyCode::Enter);
    for k in &attach {
        d.press(*k);
    }
    log_in(&mut d, "bob", "building an attach").await;
    d.keys(&attach).await;
    let Some(Modal::Attach(form)) = &d.app.modal else { panic!("a again opens the attach form") };
    assert!(matches!(form.stage, AttachStage::Preview { .. }), "the attach is built after login: {:?} {:?}", form.stage, form.error);
    d.keys(&[KeyCode::Esc]).await;

    // A copy plan.
    require(&mut reg, "carol");
    let mut copy = vec![KeyCode::Char('c')];
    copy.extend(chars(&format!("{}/copied:v1", reg.addr)));
    copy.push(KeyCode::Enter);
    for k in &copy {
        d.press(*k);
    }
    log_in(&mut d, "carol", "planning a copy").await;
    d.keys(&copy).await;
    let Some(Modal::CopyReview { preview, .. }) = &d.app.modal else { panic!("c again opens the copy review") };
    assert!(matches!(preview, Loaded::Ready(_)), "the copy is planned after login: {preview:?}");
    d.keys(&[KeyCode::Esc]).await;

    // A copy to another registry that wants credentials: the login goes to that one.
    let other = common::DistRegistry::start_with(common::DistConfig { users: vec![("erin".into(), "erin-pw".into())], ..Default::default() });
    let mut copy = vec![KeyCode::Char('c')];
    copy.extend(chars(&format!("{}/copied:v1", other.addr)));
    copy.push(KeyCode::Enter);
    for k in &copy {
        d.press(*k);
    }
    let Some(Modal::Login(form)) = ({ d.settle().await; &d.app.modal }) else { panic!("the destination's 401 opens the login dialog") };
    assert_eq!(form.registry, other.addr, "the dialog logs in to the destination");
    log_in(&mut d, "erin", "planning a copy to another registry").await;
    d.keys(&copy).await;
    let Some(Modal::CopyReview { preview, .. }) = &d.app.modal else { panic!("c again opens the copy review") };
    assert!(matches!(preview, Loaded::Ready(_)), "the copy to the other registry is planned after login: {preview:?}");
    d.keys(&[KeyCode::Esc]).await;

    // A pull.
    require(&mut reg, "dave");
    let out = tempfile::tempdir().unwrap();
    let dir = out.path().join("pulled");
    let mut pull = vec![KeyCode::Char('p')];
    pull.extend([KeyCode::Backspace; 80]);
    pull.extend(chars(&dir.display().to_string()));
    pull.push(KeyCode::Enter);
    for k in &pull {
        d.press(*k);
    }
    log_in(&mut d, "dave", "pulling").await;
    d.keys(&pull).await;
    let said = d.app.message.as_ref().map(|m| m.text.clone()).unwrap_or_default();
    assert!(said.starts_with("pulled "), "the pull goes through after login: {said}");
}
