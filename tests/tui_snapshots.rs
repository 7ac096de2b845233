//! TUI rendering snapshots (ratatui TestBackend) at 100x30 and 80x24. The model is driven by
//! the real worker on the bundled demo layout, or by events where a state needs no I/O.

use crossterm::event::KeyCode;
use refscope::tui::app::{App, Msg, Options, update};
use refscope::tui::headless::{self, Headless};
use refscope::tui::protocol::{Effect, WorkerEvent};

const SIZES: [(u16, u16); 2] = [(100, 30), (80, 24)];

fn render(app: &App, (w, h): (u16, u16)) -> String {
    headless::text(&headless::render(app, w, h))
}

async fn demo() -> Headless {
    let start = refscope::tui::Start::demo();
    let mut d = Headless::start(start, false).await.unwrap();
    d.settle().await;
    d
}

fn snapshot(name: &str, app: &mut App) {
    for size in SIZES {
        app.size = size;
        let text = render(app, size);
        assert!(!text.contains('\u{1b}'), "a raw escape reached the screen");
        insta::assert_snapshot!(format!("{name}_{}x{}", size.0, size.1), text);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn demo_loaded_with_the_tree_expanded() {
    let mut d = demo().await;
    snapshot("demo_tree", &mut d.app);
}

#[tokio::test(flavor = "multi_thread")]
async fn help_overlay() {
    let mut d = demo().await;
    d.keys(&[KeyCode::Char('?')]).await;
    snapshot("help", &mut d.app);
    // Tall enough for the whole help: the write keys are there in normal mode, and gone
    // under --read-only.
    let writes = ["attach files to the artifact", "copy with referrers to another place", "delete with its referrers"];
    let full = render(&d.app, (100, 80));
    for w in writes {
        assert!(full.contains(w), "the whole help shows `{w}`:\n{full}");
    }
    d.app.opts.read_only = true;
    let text = render(&d.app, (100, 80));
    for w in writes {
        assert!(!text.contains(w), "read-only help lists no write key (`{w}`):\n{text}");
    }
    assert!(text.contains("read-only: attach, copy and delete are off"), "{text}");
}

#[tokio::test(flavor = "multi_thread")]
async fn delete_confirmation_lists_everything_that_goes() {
    let mut d = demo().await;
    // Root, readme group, readme, sbom group, sbom.
    d.keys(&[KeyCode::Char('j'), KeyCode::Char('j'), KeyCode::Char('j'), KeyCode::Char('j'), KeyCode::Char('d')]).await;
    snapshot("delete_confirmation", &mut d.app);
}

#[tokio::test(flavor = "multi_thread")]
async fn copy_diff_before_anything_is_written() {
    let mut d = demo().await;
    let dest = "target/tui-snapshot-copy-dest";
    let _ = std::fs::remove_dir_all(dest);
    let mut keys = vec![KeyCode::Char('c')];
    keys.extend(format!("layout:{dest}").chars().map(KeyCode::Char));
    keys.push(KeyCode::Enter);
    d.keys(&keys).await;
    snapshot("copy_diff", &mut d.app);
    assert!(!std::path::Path::new(dest).exists(), "planning writes nothing");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_error_in_the_status_bar() {
    // A cache of its own: the test's user's cache stays untouched.
    let cache = tempfile::tempdir().unwrap();
    let start = refscope::tui::Start::anonymous("127.0.0.1:1", Some(cache.path().to_path_buf()));
    let mut d = Headless::start(start, false).await.unwrap();
    d.settle_until(|app| app.message.is_some()).await;
    snapshot("status_error", &mut d.app);
}

fn options(registry: &str) -> Options {
    Options {
        target_label: registry.into(),
        registry: Some(registry.into()),
        has_catalog: true,
        repo: Some("net-monitor".into()),
        reference: Some("v1".into()),
        read_only: false,
        color: false,
    }
}

#[test]
fn a_long_loading_state() {
    let mut app = App::new(options("registry.example.com"));
    let _ = app.init();
    for _ in 0..5 {
        update(&mut app, Msg::Tick);
    }
    snapshot("loading", &mut app);
}

#[test]
fn registry_text_with_control_sequences_is_drawn_harmlessly() {
    let mut app = App::new(options("registry.example.com"));
    let fx = app.init();
    let (catalog, tags) = fx.iter().fold((0, 0), |acc, e| match e {
        Effect::LoadCatalog { id, .. } => (*id, acc.1),
        Effect::LoadTags { id, .. } => (acc.0, *id),
        _ => acc,
    });
    let evil = "\u{1b}[2J\u{1b}]52;c;ZXZpbA==\u{7}pwned";
    update(&mut app, Msg::Worker(WorkerEvent::Catalog { id: catalog, result: Ok((vec![format!("net-monitor{evil}"), "net-monitor".into()], None)), cached: false }));
    update(&mut app, Msg::Worker(WorkerEvent::Tags { id: tags, repo: "net-monitor".into(), result: Ok(vec![format!("v1{evil}"), "v1".into()]), cached: false }));
    app.error(format!("registry said: {evil}"));
    snapshot("hostile_text", &mut app);
}
