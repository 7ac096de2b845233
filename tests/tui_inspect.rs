//! Inspection in the TUI, driven by the real model and worker: the summary in the details
//! pane and the full-screen viewer on the bundled demo (whose SBOMs, attestations and
//! signatures are real documents), snapshots at 80x24 and 120x40; an image layer listed in
//! the viewer; a malformed SBOM on a real registry.

mod common;

use crossterm::event::KeyCode;
use refscope::tui::app::App;
use refscope::tui::app::inspect::page_lines;
use refscope::tui::app::tree::RowKind;
use refscope::tui::headless::{self, Headless};
use refscope::tui::view_model::Loaded;

use common::{DistRegistry, Seeder};

const SIZES: [(u16, u16); 2] = [(80, 24), (120, 40)];

fn render(app: &App, (w, h): (u16, u16)) -> String {
    headless::text(&headless::render(app, w, h))
}

fn snapshot(name: &str, app: &mut App) {
    for size in SIZES {
        app.size = size;
        let text = render(app, size);
        assert!(!text.contains('\u{1b}'), "a raw escape reached the screen");
        insta::assert_snapshot!(format!("{name}_{}x{}", size.0, size.1), text);
    }
}

async fn demo() -> Headless {
    let mut d = Headless::start(refscope::tui::Start::demo(), false).await.unwrap();
    d.settle().await;
    d
}

/// Types `text` and presses Enter (a search in the viewer).
async fn search(d: &mut Headless, text: &str) {
    d.press(KeyCode::Char('/'));
    for c in text.chars() {
        d.press(KeyCode::Char(c));
    }
    d.keys(&[KeyCode::Enter]).await;
}

/// The viewer's line under the cursor.
fn cursor_line(app: &App) -> String {
    let v = app.viewer.as_ref().expect("the viewer is open");
    page_lines(app, v).get(v.cursor).map(|l| l.to_string()).unwrap_or_default()
}

/// The demo's release, browsed to, with the CycloneDX SBOM (on linux/arm64/v8) selected.
async fn release_sbom() -> Headless {
    let mut d = demo().await;
    let at = d.app.repos.items.iter().position(|r| r == "release").expect("the demo has a release repository");
    d.keys(&[KeyCode::Char('1')]).await;
    d.keys(&vec![KeyCode::Down; at]).await;
    d.keys(&[KeyCode::Enter]).await;
    let tag = d.app.tags.shown.iter().position(|t| t == "v1.1.0").expect("release:v1.1.0");
    d.keys(&vec![KeyCode::Down; tag]).await;
    d.keys(&[KeyCode::Enter, KeyCode::Char('3')]).await;
    // Every node open, so the SBOM of the second platform is among the rows.
    for _ in 0..6 {
        let rows = d.app.tree.rows(&d.app.store);
        let Some(closed) = rows.iter().find(|r| r.expandable && !d.app.tree.is_expanded(&r.path)) else { break };
        d.app.tree.selected = closed.path.clone();
        d.keys(&[KeyCode::Right]).await;
    }
    let rows = d.app.tree.rows(&d.app.store);
    let group = rows.iter().position(|r| r.kind == RowKind::Group && r.label.contains("CycloneDX")).expect("the release has a CycloneDX SBOM");
    let sbom = &rows[group + 1];
    assert_eq!(sbom.kind, RowKind::Node, "the SBOM under its heading");
    d.app.tree.selected = sbom.path.clone();
    // Focusing the tree asks for what the selection shows.
    d.keys(&[KeyCode::Char('3')]).await;
    d
}

#[tokio::test(flavor = "multi_thread")]
async fn the_details_pane_summarises_a_cyclonedx_sbom_above_its_manifest() {
    let mut d = release_sbom().await;
    // Tall enough for the whole summary and the manifest's first lines.
    let text = render(&d.app, (120, 240));
    let details = text.split("4 Details").nth(1).expect("the details pane");
    let summary = details.find("CycloneDX").unwrap_or_else(|| panic!("no summary in the details pane:\n{text}"));
    let manifest = details.find("Reference").expect("the manifest below");
    assert!(summary < manifest, "the summary comes above the manifest:\n{text}");
    snapshot("inspect_sbom_details", &mut d.app);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_viewer_shows_the_summary_then_the_document_searches_and_goes_back() {
    let mut d = release_sbom().await;
    d.keys(&[KeyCode::Char('4'), KeyCode::Enter]).await;
    assert!(d.app.viewer.is_some(), "Enter on the details pane opens the viewer");
    snapshot("inspect_sbom_viewer", &mut d.app);
    // The document itself is there, indented, below the summary.
    search(&mut d, "\"bomFormat\"").await;
    assert!(cursor_line(&d.app).contains("\"bomFormat\": \"CycloneDX\""), "{}", cursor_line(&d.app));
    let first = d.app.viewer.as_ref().unwrap().cursor;
    search(&mut d, "\"name\"").await;
    let name = d.app.viewer.as_ref().unwrap().cursor;
    d.keys(&[KeyCode::Char('n')]).await;
    let next = d.app.viewer.as_ref().unwrap().cursor;
    assert!(next > name && cursor_line(&d.app).contains("\"name\""), "n goes to the next match");
    d.keys(&[KeyCode::Char('N')]).await;
    assert_eq!(d.app.viewer.as_ref().unwrap().cursor, name, "N goes back");
    assert!(first != name);
    d.keys(&[KeyCode::Char('G')]).await;
    let v = d.app.viewer.as_ref().unwrap();
    assert_eq!(v.cursor + 1, page_lines(&d.app, v).len(), "G goes to the last line");
    d.keys(&[KeyCode::Char('q')]).await;
    assert!(d.app.viewer.is_none() && !d.app.quit, "q leaves the viewer, not the TUI");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_image_layer_lists_its_files_in_the_viewer() {
    let mut d = demo().await;
    let root = d.app.tree.selected_row(&d.app.store).expect("the demo image is selected");
    assert_eq!(root.kind, RowKind::Root);
    d.keys(&[KeyCode::Char('4'), KeyCode::Enter]).await;
    let layer = d.app.inspections.get(root.digest.as_ref().unwrap()).and_then(Loaded::ready).expect("an inspection").layers[0].clone();
    search(&mut d, &layer.digest.to_string()).await;
    d.keys(&[KeyCode::Enter]).await;
    d.settle_until(|app| app.viewer.as_ref().and_then(|v| v.layer.as_ref()).is_some_and(|p| p.done)).await;
    let text: Vec<String> = page_lines(&d.app, d.app.viewer.as_ref().unwrap()).iter().map(|l| l.to_string()).collect();
    assert!(text[0].starts_with(&format!("Files of layer {}", layer.digest)), "{text:?}");
    assert!(text.iter().any(|l| l.contains("usr/local/bin/net-monitor")), "{text:?}");
    snapshot("inspect_layer_files", &mut d.app);
    d.keys(&[KeyCode::Esc]).await;
    let v = d.app.viewer.as_ref().expect("Esc from the files goes back to the inspection");
    assert!(v.layer.is_none());
    assert!(cursor_line(&d.app).contains(&layer.digest.to_string()), "the cursor is back on the layer");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_malformed_sbom_shows_why_above_its_raw_bytes() {
    let reg = DistRegistry::start();
    let s: Seeder = reg.seeder();
    let image = s.image("net-monitor", "v1", &common::seed::tar_gz(&[("etc/", None)])).await;
    let bad = br#"{"bomFormat":"CycloneDX","specVersion":"1.5","components":[{"name":7}]}"#;
    let sbom = s
        .artifact("net-monitor", None, "application/vnd.cyclonedx+json", &[("bom.json", "application/vnd.cyclonedx+json", bad)], Some(&image), serde_json::json!({}))
        .await;
    s.fallback_index("net-monitor", &image, &[(sbom.clone(), "application/vnd.cyclonedx+json")]).await;
    let cache = tempfile::tempdir().unwrap();
    let start = refscope::tui::Start::anonymous(&format!("{}/net-monitor:v1", reg.addr), Some(cache.path().to_path_buf()));
    let mut d = Headless::start(start, false).await.unwrap();
    d.settle().await;
    let rows = d.app.tree.rows(&d.app.store);
    let node = rows.iter().find(|r| r.digest.as_ref() == Some(&sbom.digest)).expect("the SBOM is in the tree");
    d.app.tree.selected = node.path.clone();
    d.keys(&[KeyCode::Char('3')]).await;
    let text = render(&d.app, (160, 40));
    let lines: Vec<&str> = text.lines().collect();
    let at = lines.iter().position(|l| l.contains("not a valid CycloneDX document: ")).unwrap_or_else(|| panic!("no reason line:\n{text}"));
    assert!(lines[at + 1].contains(std::str::from_utf8(bad).unwrap()), "the raw bytes follow the reason:\n{text}");
    // The viewer shows the same, and the raw document below.
    d.keys(&[KeyCode::Char('4'), KeyCode::Enter]).await;
    let v = d.app.viewer.as_ref().unwrap();
    let page: Vec<String> = page_lines(&d.app, v).iter().map(|l| l.to_string()).collect();
    assert!(page.iter().any(|l| l.contains("not a valid CycloneDX document: invalid type: integer `7`")), "{page:?}");
    assert!(page.iter().any(|l| l.contains("\"name\": 7")), "{page:?}");
}
