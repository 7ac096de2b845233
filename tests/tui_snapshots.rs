//! TUI rendering snapshots (ratatui TestBackend) at 100x30 and 80x24. The model is driven by
//! the real worker on the bundled demo layout, or by events where a state needs no I/O. At
//! 80x24 every dialog, message and hint is checked to show each of its words whole.

mod common;

use common::screen;
use crossterm::event::KeyCode;
use refscope::tui::app::dialogs::Modal;
use refscope::tui::view_model::Loaded;
use refscope::tui::app::{App, Msg, Options, update};
use refscope::tui::headless::{self, Headless};
use refscope::tui::keymap;
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

/// The dialog titled `title` (its border title starts so) at `size`; fails when it is not
/// whole on the screen.
fn dialog(app: &mut App, title: &str, size: (u16, u16)) -> String {
    app.size = size;
    let text = render(app, size);
    screen::dialog(&text, title).unwrap_or_else(|| panic!("no whole dialog titled {title:?} at {size:?}:\n{text}"))
}

/// Every word in the dialog as a screen with room for all of it shows it (below its border
/// title), and of `more`, is whole in the dialog at 80x24. `short` is its border title there.
fn fits_80x24(app: &mut App, title: &str, short: &str, more: &str) {
    let roomy = dialog(app, title, (250, 80));
    let body = roomy.split_once('\n').map_or("", |(_, b)| b);
    let small = dialog(app, short, (80, 24));
    screen::assert_words_whole(&[small], &[body, more], title);
}

/// The open prompt's whole title.
fn prompt_title(app: &App) -> String {
    match &app.modal {
        Some(Modal::Prompt(p)) => p.title(),
        _ => panic!("no prompt is open"),
    }
}

fn keys_of(text: &str) -> Vec<KeyCode> {
    text.chars().map(KeyCode::Char).collect()
}

fn snapshot(name: &str, app: &mut App) {
    snapshot_masked(name, app, "");
}

/// A snapshot with `addr` (a test registry's, whose port changes from run to run) drawn
/// with its port as `NNNNN`.
fn snapshot_masked(name: &str, app: &mut App, addr: &str) {
    for size in SIZES {
        app.size = size;
        let mut text = render(app, size);
        if let Some((host, port)) = addr.rsplit_once(':') {
            text = text.replace(addr, &format!("{host}:{}", "N".repeat(port.len())));
        }
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
    // Scrolled to its end, help shows every key and every word of what it does.
    let rows = keymap::Keymap::default().help_rows(false);
    let mut screens = Vec::new();
    for _ in 0..=rows.len() + 10 {
        screens.push(dialog(&mut d.app, "Keys", (80, 24)));
        d.press(KeyCode::Char('j'));
    }
    let all: Vec<String> = rows.iter().map(|r| format!("{} {} {}", r.context.title(), r.keys, r.description)).collect();
    screen::assert_words_whole(&screens, &all.iter().map(String::as_str).collect::<Vec<_>>(), "help at 80x24");
    d.app.modal = Some(Modal::Help { scroll: 0 });
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
    let Some(Modal::DeleteReview { preview: Loaded::Ready(plan), .. }) = &d.app.modal else { panic!("no delete plan") };
    let plan = plan.lines.join("\n");
    fits_80x24(&mut d.app, "Delete net-monitor@", "Delete", &format!("{plan}\ny delete all of this · Esc cancel · j/k scroll"));
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
    fits_80x24(&mut d.app, "Copy net-monitor:v1", "Copy net-monitor:v1", "Copy net-monitor:v1 with its referrers\nthe tag is set last; x cancels while it runs");
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
    let message = d.app.message.as_ref().map(|m| m.text.clone()).unwrap_or_default();
    d.app.size = (80, 24);
    let bar = screen::bottom_rows(&render(&d.app, (80, 24)), 3);
    screen::assert_words_whole(&[bar], &[&format!("error: {message}")], "the error at 80x24");
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
        startup_message: None,
        keys: Default::default(),
        palette: Default::default(),
        referrers_set_in_config: false,
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

#[tokio::test(flavor = "multi_thread")]
async fn the_hint_line_keeps_whole_entries_at_80x24() {
    let mut d = demo().await;
    d.app.size = (80, 24);
    let text = render(&d.app, (80, 24));
    let line = screen::bottom_rows(&text, 1);
    let entries = keymap::Keymap::default().hint_entries(d.app.focus.context(), false);
    let shown: Vec<&str> = line.trim().split("  ").collect();
    for part in &shown {
        assert!(entries.iter().any(|(e, _)| e == part), "{part:?} is not a whole hint:\n{text}");
    }
    assert!(shown.contains(&"? help") && shown.contains(&"Enter expand"), "the most needed hints stay:\n{text}");
    assert!(shown.len() < entries.len(), "80 columns hold only some hints; the test would not see a cut");
}

#[tokio::test(flavor = "multi_thread")]
async fn prompts_at_80x24() {
    let mut d = demo().await;
    d.keys(&[KeyCode::Char(':')]).await;
    snapshot("command_prompt", &mut d.app);
    let title = prompt_title(&d.app);
    fits_80x24(&mut d.app, "Command (open", "Command", &title);
    d.keys(&keys_of("frobnicate")).await;
    d.keys(&[KeyCode::Enter]).await;
    snapshot("command_prompt_error", &mut d.app);
    let title = prompt_title(&d.app);
    fits_80x24(&mut d.app, "Command (open", "Command", &title);
    d.keys(&[KeyCode::Esc, KeyCode::Char('f')]).await;
    snapshot("type_filter_prompt", &mut d.app);
    let title = prompt_title(&d.app);
    fits_80x24(&mut d.app, "Show only referrers", "Show only referrers", &title);
    // The SBOM: root, readme group, readme, sbom group, sbom.
    d.keys(&[KeyCode::Esc, KeyCode::Char('j'), KeyCode::Char('j'), KeyCode::Char('j'), KeyCode::Char('j'), KeyCode::Char('p')]).await;
    snapshot("pull_prompt", &mut d.app);
    let title = prompt_title(&d.app);
    fits_80x24(&mut d.app, "Pull", "Pull", &title);
    d.keys(&[KeyCode::Esc, KeyCode::Char('c')]).await;
    snapshot("copy_prompt", &mut d.app);
    let title = prompt_title(&d.app);
    fits_80x24(&mut d.app, "Copy", "Copy", &title);
    d.keys(&[KeyCode::Esc, KeyCode::Char('2'), KeyCode::Char('/')]).await;
    snapshot("filter_prompt", &mut d.app);
    let title = prompt_title(&d.app);
    fits_80x24(&mut d.app, "Filter tags", "Filter tags", &title);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_attach_form_and_its_preview_at_80x24() {
    let mut d = demo().await;
    d.keys(&[KeyCode::Char('j'), KeyCode::Char('j'), KeyCode::Char('j'), KeyCode::Char('j'), KeyCode::Char('a')]).await;
    snapshot("attach_form", &mut d.app);
    let Some(Modal::Attach(form)) = &d.app.modal else { panic!("no attach form") };
    let title = format!("Attach to {}", form.subject.label);
    fits_80x24(&mut d.app, "Attach to net-monitor@", "Attach", &title);
    // A file that never changes, so its digest in the preview stays put.
    let mut keys = keys_of("assets/net-monitor/oci-layout:text/plain");
    keys.push(KeyCode::Down);
    keys.extend(keys_of("note/example"));
    keys.push(KeyCode::Down);
    // A fixed creation time keeps the preview the same from run to run.
    keys.extend(keys_of("org.opencontainers.image.created=2025-03-01T10:00:00Z"));
    keys.push(KeyCode::Enter);
    d.keys(&keys).await;
    assert!(matches!(&d.app.modal, Some(Modal::Attach(f)) if matches!(f.stage, refscope::tui::app::dialogs::attach::AttachStage::Preview { .. })), "the preview opens");
    snapshot("attach_preview", &mut d.app);
    let mut screens = Vec::new();
    for _ in 0..40 {
        screens.push(dialog(&mut d.app, "Attach", (80, 24)));
        d.press(KeyCode::Char('j'));
    }
    let roomy = dialog(&mut d.app, "Attach to net-monitor@", (250, 80));
    let body = roomy.split_once('\n').map_or("", |(_, b)| b);
    screen::assert_words_whole(&screens, &body.lines().chain([title.as_str()]).collect::<Vec<_>>(), "the attach preview at 80x24");
}

#[test]
fn the_filter_puts_the_best_match_first() {
    let mut app = App::new(Options { reference: None, ..options("registry.example.com") });
    let fx = app.init();
    let Some(tags) = fx.iter().find_map(|e| match e {
        Effect::LoadTags { id, .. } => Some(*id),
        _ => None,
    }) else {
        panic!("the tags are asked for")
    };
    // The registry's order is not the pane's: tags are sorted first.
    let names: Vec<String> = (1..=3000).rev().map(|n| format!("v{n}")).collect();
    update(&mut app, Msg::Worker(WorkerEvent::Tags { id: tags, repo: "net-monitor".into(), result: Ok(names), cached: false }));
    for k in [KeyCode::Char('/'), KeyCode::Char('v'), KeyCode::Char('2'), KeyCode::Char('9')] {
        update(&mut app, Msg::Key(crossterm::event::KeyEvent::new(k, crossterm::event::KeyModifiers::NONE)));
    }
    let first: Vec<&str> = app.tags.list.visible.iter().take(3).map(|&i| app.tags.shown[i].as_str()).collect();
    assert_eq!(first, ["v29", "v290", "v291"], "best first, equals in list (natural) order");
    assert_eq!(app.tags.selected().map(String::as_str), Some("v29"), "the best match is the one Enter opens");
    update(&mut app, Msg::Key(crossterm::event::KeyEvent::new(KeyCode::Enter, crossterm::event::KeyModifiers::NONE)));
    snapshot("filter_ranked", &mut app);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_registry_that_wants_a_login_says_so_in_the_repositories_pane() {
    let reg = common::DistRegistry::start_with(common::DistConfig { users: vec![("alice".into(), "s3cret-pw".into())], ..Default::default() });
    let cache = tempfile::tempdir().unwrap();
    let mut d = Headless::start(refscope::tui::Start::anonymous(&reg.addr, Some(cache.path().to_path_buf())), false).await.unwrap();
    let login_open = |app: &App| matches!(app.modal, Some(Modal::Login(_)));
    d.settle_until(login_open).await;
    assert!(login_open(&d.app), "the catalog's 401 opens the login dialog");
    assert_eq!(d.app.repos.login.as_deref(), Some(reg.addr.as_str()));
    snapshot_masked("login_dialog", &mut d.app, &reg.addr);
    let title = format!("Log in to {}", reg.addr);
    fits_80x24(&mut d.app, &title, &title, "Enter log in · Tab next · Space toggles save · Esc cancel");

    d.keys(&[KeyCode::Esc]).await;
    snapshot_masked("login_needed", &mut d.app, &reg.addr);
    d.app.size = (80, 24);
    let pane = render(&d.app, (80, 24));
    let repos: String = pane.lines().take(10).map(|l| l.chars().take(24).collect::<String>() + "\n").collect();
    screen::assert_words_whole(&[repos.clone()], &["Log in to list repositories. Press r to log in"], "the repositories pane");
    assert!(!pane.contains("no repositories"), "{pane}");

    // The key the pane names asks again, and the dialog opens again.
    d.press(KeyCode::Char('r'));
    d.settle_until(login_open).await;
    assert!(login_open(&d.app), "r opens the login dialog again");
}

/// The demo's release, browsed to (repository, then tag) as a newcomer would: the index's
/// platforms with their referrers, the signed SBOM, the bundle and the cosign signature tag,
/// each named by a badge.
#[tokio::test(flavor = "multi_thread")]
async fn the_release_graph_browsed_to_at_80x24_and_120x40() {
    let mut d = demo().await;
    let at = d.app.repos.items.iter().position(|r| r == "release").expect("the demo has a release repository");
    d.keys(&[KeyCode::Char('1')]).await;
    d.keys(&vec![KeyCode::Down; at]).await;
    d.keys(&[KeyCode::Enter]).await;
    let tag = d.app.tags.shown.iter().position(|t| t == "v1.1.0").unwrap_or_else(|| panic!("release:v1.1.0 is not among {:?}", d.app.tags.shown));
    d.keys(&vec![KeyCode::Down; tag]).await;
    d.keys(&[KeyCode::Enter, KeyCode::Char('3')]).await;
    // Opens the first platform, as a user looking for its provenance would.
    let rows = d.app.tree.rows(&d.app.store);
    let platform = rows.iter().find(|r| r.kind == refscope::tui::app::tree::RowKind::Platform).expect("the index shows its platforms");
    d.app.tree.selected = platform.path.clone();
    d.keys(&[KeyCode::Right]).await;
    for size in [(80, 24), (120, 40)] {
        d.app.size = size;
        let text = render(&d.app, size);
        for badge in ["INDEX", "IMG", "SBOM", "SIG"] {
            assert!(text.contains(&format!("{badge} ")), "{badge} at {size:?}:\n{text}");
        }
        insta::assert_snapshot!(format!("release_graph_{}x{}", size.0, size.1), text);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_bad_config_file_starts_the_demo_with_defaults_and_says_why() {
    // The file's text is parsed as if read from this path, which only names it in messages.
    let path = std::path::Path::new("/etc/refscope-example/config.toml");
    let loaded = refscope::config::Config::parse("[registry.\"r.example:5000\"]\ninsecure = \"yes\"\n", path);
    let mut d = Headless::start(refscope::tui::Start::demo().with_config(loaded), false).await.unwrap();
    d.settle().await;
    let message = d.app.message.clone().expect("the status bar says what is wrong");
    assert_eq!(message.level, refscope::tui::app::Level::Error);
    assert!(message.text.starts_with("config /etc/refscope-example/config.toml:2:12: "), "{message:?}");
    assert!(message.text.ends_with("started with default settings"), "{message:?}");
    assert!(d.app.tree.subject().is_some(), "the demo opened all the same");
    snapshot("config_error", &mut d.app);
    let bar = screen::bottom_rows(&render(&d.app, (80, 24)), 4);
    screen::assert_words_whole(&[bar], &[&format!("error: {}", message.text)], "the config error at 80x24");
}

/// A registry that sends Docker Hub's rate-limit headers: the catalog answers, the tags
/// of `app` are refused with 429 (three times with `Retry-After: 0`, which the client
/// retries at once, then with 90 s).
async fn rate_limited_registry() -> wiremock::MockServer {
    use wiremock::matchers::{method, path};
    use wiremock::{Mock, MockServer, ResponseTemplate};
    let server = MockServer::start().await;
    let limited = |status: u16, remaining: &str| {
        ResponseTemplate::new(status).insert_header("ratelimit-limit", "100;w=21600").insert_header("ratelimit-remaining", format!("{remaining};w=21600").as_str())
    };
    Mock::given(method("GET"))
        .and(path("/v2/_catalog"))
        .respond_with(limited(200, "7").set_body_json(serde_json::json!({"repositories": ["app"]})))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v2/app/tags/list"))
        .respond_with(limited(429, "0").insert_header("retry-after", "0"))
        .up_to_n_times(3)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v2/app/tags/list"))
        .respond_with(limited(429, "0").insert_header("retry-after", "90"))
        .mount(&server)
        .await;
    server
}

#[tokio::test(flavor = "multi_thread")]
async fn the_status_bar_shows_the_rate_limit_and_a_429_says_when_to_retry() {
    let server = rate_limited_registry().await;
    let addr = server.address().to_string();
    let cache = tempfile::tempdir().unwrap();
    let mut d = Headless::start(refscope::tui::Start::anonymous(&addr, Some(cache.path().to_path_buf())), false).await.unwrap();
    d.settle_until(|app| app.rate_limit.is_some() && !app.repos.loading).await;
    let top = render(&d.app, (100, 30));
    assert!(screen::bottom_rows(&top, 2).contains("│ 7/100 requests left per 6h"), "{top}");

    d.keys(&[KeyCode::Enter]).await;
    // The limit is reported once the request is answered, so it may follow the error.
    d.settle_until(|app| app.message.is_some() && app.rate_limit.is_some_and(|r| r.remaining == 0)).await;
    let message = d.app.message.clone().unwrap();
    assert!(message.text.contains("429") && message.text.contains("try again in 1m 30s"), "{message:?}");
    snapshot_masked("rate_limited", &mut d.app, &addr);
    let bar = screen::bottom_rows(&render(&d.app, (80, 24)), 5).replace(&addr, "ADDR");
    screen::assert_words_whole(&[bar], &["0/100 requests left per 6h", &format!("error: {}", message.text.replace(&addr, "ADDR"))], "the 429 at 80x24");
}

fn with_config(text: &str) -> refscope::tui::Start {
    let loaded = refscope::config::Config::parse(text, std::path::Path::new("/etc/refscope-example/config.toml"));
    refscope::tui::Start::demo().with_config(loaded)
}

#[tokio::test(flavor = "multi_thread")]
async fn rebound_keys_drive_the_tui_and_show_in_help_and_hints() {
    let start = with_config("[keys]\ndelete = [\"D\", \"F8\"]\nrefresh = \"F5\"\nhelp = \"F1\"\n");
    let mut d = Headless::start(start, false).await.unwrap();
    d.settle().await;
    assert_eq!(d.app.message, None, "the keys are taken as they are");
    let hints = screen::bottom_rows(&render(&d.app, (250, 30)), 1);
    assert!(hints.contains("D delete") && hints.contains("F1 help") && !hints.contains("? help"), "{hints}");
    d.keys(&[KeyCode::Char('?')]).await;
    assert!(d.app.modal.is_none(), "? no longer opens help");
    d.keys(&[KeyCode::F(1)]).await;
    snapshot("help_rebound", &mut d.app);
    let full = render(&d.app, (100, 80));
    for line in ["F1                show or hide this help", "F5                refresh", "D F8              delete with its referrers"] {
        assert!(full.contains(line), "help shows `{line}`:\n{full}");
    }
    assert!(!full.contains(" d                 delete"), "{full}");
    d.keys(&[KeyCode::F(1)]).await;
    assert!(d.app.modal.is_none(), "the help key closes help too");
    d.keys(&[KeyCode::Char('d')]).await;
    assert!(d.app.modal.is_none(), "d no longer deletes");
    d.keys(&[KeyCode::Char('D')]).await;
    assert!(matches!(d.app.modal, Some(Modal::DeleteReview { .. })), "D plans the delete");
}

#[tokio::test(flavor = "multi_thread")]
async fn keys_the_tui_cannot_use_leave_the_defaults_and_say_which_line() {
    let start = with_config("[registry.\"r.example:5000\"]\nalias = \"prod\"\n\n[keys]\nhelp = \"F1\"\nrefresh = \"t\"\n");
    let mut d = Headless::start(start, false).await.unwrap();
    d.settle().await;
    let message = d.app.message.clone().expect("the status bar says what is wrong");
    assert!(message.text.starts_with("config /etc/refscope-example/config.toml:6:1: [keys] refresh: t would mean both"), "{message:?}");
    assert!(message.text.ends_with("using the default keys"), "{message:?}");
    d.keys(&[KeyCode::Char('?')]).await;
    assert!(matches!(d.app.modal, Some(Modal::Help { .. })), "the default keys are in force");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_theme_colours_the_screen_and_no_color_wins_over_it() {
    use ratatui::style::Color;
    let start = with_config("[theme]\naccent = \"#ff8800\"\nselection = \"magenta\"\n");
    let mut d = Headless::start(start, true).await.unwrap();
    d.settle().await;
    assert_eq!(d.app.message, None, "the theme is taken as it is");
    let buf = headless::render(&d.app, 100, 30);
    let cells: Vec<&ratatui::buffer::Cell> = buf.content().iter().collect();
    // The tree has the focus: its border is the accent, its selected row the selection.
    let tree_corner = headless::text(&buf).lines().next().unwrap().chars().position(|c| c == '┐').unwrap() + 1;
    assert_eq!(buf[(tree_corner as u16, 0)].fg, Color::Rgb(255, 136, 0), "the focused border");
    assert!(cells.iter().any(|c| c.bg == Color::Magenta), "the selected row");
    assert!(!cells.iter().any(|c| c.fg == Color::Cyan), "the default accent is gone");

    // NO_COLOR (what `color: false` stands for) leaves no colour at all, theme or not.
    d.app.opts.color = false;
    let buf = headless::render(&d.app, 100, 30);
    let coloured = buf.content().iter().filter(|c| c.fg != Color::Reset || c.bg != Color::Reset).count();
    assert_eq!(coloured, 0, "no cell is coloured under NO_COLOR");
}

fn start_screen_with(recent: &[refscope::tui::recent::Recent]) -> refscope::tui::start_screen::StartScreen {
    let config = refscope::config::Config::parse(
        "[registry.\"registry.corp.example:5000\"]\nalias = \"prod\"\n[registry.\"ghcr.io\"]\n",
        std::path::Path::new("/etc/refscope-example/config.toml"),
    )
    .unwrap();
    refscope::tui::start_screen::StartScreen::new(&config, recent)
}

#[test]
fn the_start_screen_offers_registries_recent_targets_and_the_demo() {
    use refscope::tui::recent::Recent;
    let recent = [
        Recent { target: "localhost:5000/net-monitor:v1".into(), layout: false },
        Recent { target: "/srv/layouts/staging:v2".into(), layout: true },
        Recent { target: "evil\u{1b}[2J.example/x:v1".into(), layout: false },
    ];
    let mut screen = start_screen_with(&recent);
    let opts = Options::default();
    let press = |screen: &mut refscope::tui::start_screen::StartScreen, code: KeyCode| {
        screen.on_key(&crossterm::event::KeyEvent::new(code, crossterm::event::KeyModifiers::NONE), &opts.keys)
    };
    press(&mut screen, KeyCode::Char('j'));
    press(&mut screen, KeyCode::Char('j'));
    for (w, h) in SIZES {
        let text = headless::text(&headless::render_start(&screen, &opts, w, h));
        assert!(!text.contains('\u{1b}'), "a raw escape reached the screen");
        insta::assert_snapshot!(format!("start_screen_{w}x{h}"), text);
    }
    screen.failed("layout /srv/layouts/staging: not found".into());
    let text = headless::text(&headless::render_start(&screen, &opts, 80, 24));
    screen::assert_words_whole(&[screen::bottom_rows(&text, 4)], &["error: layout /srv/layouts/staging: not found", "Enter open j/k move q quit"], "the start screen's foot");

    // Twenty recent targets at 80x24: the last one, selected, is in view.
    let many: Vec<Recent> = (0..20).map(|n| Recent { target: format!("registry.example/app-{n}:v1"), layout: false }).collect();
    let mut screen = start_screen_with(&many);
    press(&mut screen, KeyCode::Char('G'));
    press(&mut screen, KeyCode::Char('k'));
    let text = headless::text(&headless::render_start(&screen, &opts, 80, 24));
    assert!(text.contains("▸ registry.example/app-19:v1"), "{text}");
}

#[tokio::test(flavor = "multi_thread")]
async fn rebound_dialog_keys_show_in_the_dialogs_and_in_help() {
    let start = with_config("[keys]\nconfirm = \"F2\"\ndismiss = \"F10\"\n");
    let mut d = Headless::start(start, false).await.unwrap();
    d.settle().await;
    assert_eq!(d.app.message, None, "the keys are taken as they are");
    d.keys(&[KeyCode::Char('d')]).await;
    let review = dialog(&mut d.app, "Delete", (100, 30));
    assert!(review.contains("F2 delete all of this · F10 cancel · j/k scroll"), "{review}");
    d.keys(&[KeyCode::Char('y'), KeyCode::Esc]).await;
    assert!(matches!(d.app.modal, Some(Modal::DeleteReview { .. })), "neither y nor Esc closes it");
    d.keys(&[KeyCode::F(10), KeyCode::Char('?')]).await;
    let help = render(&d.app, (100, 80));
    assert!(help.contains("Keys (F10 closes, j/k scroll)"), "{help}");
    d.app.modal = Some(Modal::Help { scroll: 40 });
    let help = render(&d.app, (100, 80));
    for line in ["F10               close, doing nothing", "F2                delete all that the plan lists", ":open REPO[:TAG]  open a repository"] {
        assert!(help.contains(line), "help shows `{line}`:\n{help}");
    }
}
