//! The viewer's keys and the kept inspections, on an app with no worker.

use crossterm::event::{KeyEvent, KeyModifiers};

use super::*;
use crate::oci::ManifestBlob;
use crate::tui::app::{Msg, Options, update};
use crate::tui::protocol::WorkerEvent;
use crate::tui::view_model::manifest_view;

fn line(text: &str) -> Line {
    Line { indent: 0, label: String::new(), value: text.into(), tone: Tone::Plain }
}

/// An app showing one SBOM by digest (no worker), and the effects its opening asked for.
fn app_on_an_sbom() -> (App, Digest, Vec<Effect>) {
    let m = br#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","artifactType":"application/vnd.cyclonedx+json","config":{"mediaType":"application/vnd.oci.empty.v1+json","digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":2},"layers":[]}"#;
    let blob = ManifestBlob::new(bytes::Bytes::from_static(m), None).unwrap();
    let digest = blob.digest.clone();
    let opts = Options { target_label: "r.example".into(), registry: Some("r.example".into()), repo: Some("net-monitor".into()), reference: Some(digest.to_string()), ..Options::default() };
    let mut app = App::new(opts);
    let fx = app.init();
    let id = fx.iter().find_map(|e| match e { Effect::ResolveSubject { id, .. } => Some(*id), _ => None }).unwrap();
    let mut fx = update(&mut app, Msg::Worker(WorkerEvent::Manifest { digest: digest.clone(), result: Ok(manifest_view(&blob).unwrap()) }));
    fx.extend(update(&mut app, Msg::Worker(WorkerEvent::Subject { id, repo: "net-monitor".into(), result: Ok(blob.descriptor()), cached: false })));
    (app, digest, fx)
}

fn press(app: &mut App, code: KeyCode) -> Vec<Effect> {
    update(app, Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)))
}

fn screen(app: &App) -> String {
    crate::tui::headless::text(&crate::tui::headless::render(app, 100, 30))
}

#[test]
fn the_selection_asks_for_its_inspection_once_and_shows_how_far_it_has_come() {
    let (mut app, digest, fx) = app_on_an_sbom();
    let asked = |fx: &[Effect]| fx.iter().filter(|e| matches!(e, Effect::Inspect { digest: d, .. } if *d == digest)).count();
    assert_eq!(asked(&fx), 1, "{fx:?}");
    assert!(app.inspections.loading());
    assert_eq!(asked(&press(&mut app, KeyCode::Char('4'))), 0, "asked once");
    update(&mut app, Msg::Worker(WorkerEvent::InspectProgress { digest: digest.clone(), done: 3_250_586, total: 12 << 20 }));
    assert!(screen(&app).contains("loading CycloneDX SBOM 3.1 MiB of 12.0 MiB…"), "{}", screen(&app));
    let view = InspectView { summary: vec![line("SBOM: CycloneDX 1.5")], body: Vec::new(), layers: Vec::new() };
    update(&mut app, Msg::Worker(WorkerEvent::Inspected { digest: digest.clone(), result: Ok(Arc::new(view)) }));
    assert!(!app.inspections.loading() && app.inspections.progress(&digest).is_none());
    let text = screen(&app);
    assert!(text.contains("SBOM: CycloneDX 1.5") && !text.contains("loading CycloneDX"), "{text}");
}

#[test]
fn a_failed_inspection_says_why_and_a_refresh_asks_again() {
    let (mut app, digest, _) = app_on_an_sbom();
    let failure = Failure { message: "blob sha256:ab is 40 MiB, over the 32 MiB limit".into(), unauthorized: None, refused: false };
    update(&mut app, Msg::Worker(WorkerEvent::Inspected { digest: digest.clone(), result: Err(failure) }));
    assert!(screen(&app).contains("no summary: blob sha256:ab is 40 MiB, over the 32 MiB limit"), "{}", screen(&app));
    let fx = press(&mut app, KeyCode::Char('r'));
    let id = fx.iter().find_map(|e| match e { Effect::ResolveSubject { id, .. } => Some(*id), _ => None }).unwrap();
    let desc = Descriptor::new(crate::oci::media_types::OCI_MANIFEST, digest.clone(), 10);
    let fx = update(&mut app, Msg::Worker(WorkerEvent::Subject { id, repo: "net-monitor".into(), result: Ok(desc), cached: false }));
    assert!(fx.iter().any(|e| matches!(e, Effect::Inspect { .. })), "{fx:?}");
}

#[test]
fn only_the_latest_inspections_are_kept() {
    let mut ins = Inspections::default();
    let d = |n: u8| Digest::sha256_of(&[n]);
    for n in 0..=KEEP as u8 {
        ins.start(d(n));
    }
    assert!(ins.get(&d(0)).is_none() && ins.get(&d(KEEP as u8)).is_some());
    ins.finish(d(0), Ok(Arc::new(InspectView { summary: Vec::new(), body: Vec::new(), layers: Vec::new() })));
    assert!(ins.get(&d(0)).is_none(), "an answer for one let go is dropped");
}

#[test]
fn the_kept_inspections_are_bounded_by_their_bytes_too() {
    let mut ins = Inspections::default();
    let d = |n: u8| Digest::sha256_of(&[n]);
    // Each a little over a quarter of the budget: four do not fit, three do.
    let big = || {
        let body = vec![line(&"x".repeat(KEEP_BYTES / 4 + 1))];
        Ok(Arc::new(InspectView { summary: Vec::new(), body, layers: Vec::new() }))
    };
    for n in 0..4 {
        ins.start(d(n));
        ins.finish(d(n), big());
    }
    assert!(ins.get(&d(0)).is_none(), "the oldest went");
    assert!((1..4).all(|n| ins.get(&d(n)).is_some()));
    assert!(ins.take_dropped().is_empty(), "nothing on its way was stopped");
    ins.start(d(9));
    let huge = vec![line(&"x".repeat(KEEP_BYTES + 1))];
    ins.finish(d(9), Ok(Arc::new(InspectView { summary: Vec::new(), body: huge, layers: Vec::new() })));
    assert!(ins.get(&d(9)).is_some() && (1..4).all(|n| ins.get(&d(n)).is_none()), "the newest is kept, alone");
}

#[test]
fn an_inspection_still_on_its_way_is_stopped_when_the_selection_moves_on() {
    let mut ins = Inspections::default();
    let d = |n: u8| Digest::sha256_of(&[n]);
    ins.start(d(0));
    ins.finish(d(0), Ok(Arc::new(InspectView { summary: Vec::new(), body: Vec::new(), layers: Vec::new() })));
    ins.start(d(1));
    assert!(ins.take_dropped().is_empty(), "a finished one costs nothing to keep");
    ins.start(d(2));
    assert!(ins.get(&d(1)).is_none() && ins.get(&d(0)).is_some());
    assert!(matches!(ins.take_dropped().as_slice(), [Effect::ForgetInspection { digest }] if *digest == d(1)));
    assert!(ins.take_dropped().is_empty());
}

#[test]
fn closing_a_layer_page_stops_its_listing() {
    let (mut app, digest, _) = app_on_an_sbom();
    let layer = Descriptor::new("application/vnd.oci.image.layer.v1.tar+gzip", Digest::sha256_of(b"layer"), 1 << 30);
    let row = Line { indent: 1, label: layer.digest.to_string(), value: "1.0 GiB".into(), tone: Tone::Plain };
    let view = InspectView { summary: vec![row], body: Vec::new(), layers: vec![layer] };
    update(&mut app, Msg::Worker(WorkerEvent::Inspected { digest, result: Ok(Arc::new(view)) }));
    press(&mut app, KeyCode::Char('4'));
    press(&mut app, KeyCode::Char('o'));
    let fx = press(&mut app, KeyCode::Enter);
    let Some(id) = fx.iter().find_map(|e| match e { Effect::ListLayer { id, .. } => Some(*id), _ => None }) else { panic!("{fx:?}") };
    let fx = press(&mut app, KeyCode::Esc);
    assert!(fx.iter().any(|e| matches!(e, Effect::StopListing { id: i } if *i == id)), "{fx:?}");
    assert!(app.viewer.as_ref().is_some_and(|v| v.layer.is_none()));
}

#[test]
fn the_viewer_page_is_built_once_and_again_only_when_it_changes() {
    let (mut app, digest, _) = app_on_an_sbom();
    let layer = Descriptor::new("application/vnd.oci.image.layer.v1.tar+gzip", Digest::sha256_of(b"layer"), 1 << 30);
    let mut summary = vec![Line { indent: 1, label: layer.digest.to_string(), value: String::new(), tone: Tone::Plain }];
    summary.extend((0..50).map(|i| line(&format!("row {i}"))));
    let view = InspectView { summary, body: Vec::new(), layers: vec![layer] };
    update(&mut app, Msg::Worker(WorkerEvent::Inspected { digest, result: Ok(Arc::new(view)) }));
    press(&mut app, KeyCode::Char('4'));
    press(&mut app, KeyCode::Char('o'));
    let page = |app: &App| app.viewer.as_ref().map(|v| Arc::as_ptr(&v.page)).unwrap();
    let built = page(&app);
    assert_eq!(app.viewer.as_ref().unwrap().page.lines.len(), 51);
    for c in ['j', 'j', 'G', 'g', '/', 'r', 'o', 'w'] {
        press(&mut app, KeyCode::Char(c));
    }
    press(&mut app, KeyCode::Enter);
    press(&mut app, KeyCode::Char('n'));
    update(&mut app, Msg::Tick);
    assert_eq!(page(&app), built, "keys and frames reuse the page");
    press(&mut app, KeyCode::Char('g'));
    let fx = press(&mut app, KeyCode::Enter);
    let id = fx.iter().find_map(|e| match e { Effect::ListLayer { id, .. } => Some(*id), _ => None }).unwrap();
    assert_ne!(page(&app), built, "the layer's page is its own");
    let reading = page(&app);
    let listing = Listing::default();
    update(&mut app, Msg::Worker(WorkerEvent::Listing { id, result: Ok(Arc::new(listing)), done: true }));
    assert_ne!(page(&app), reading, "a listing that arrived is shown");
}

#[test]
fn the_viewer_scrolls_searches_and_closes() {
    let (mut app, digest, _) = app_on_an_sbom();
    let body: Vec<Line> = (0..100).map(|i| line(&format!("row {i}{}", if i % 30 == 7 { " needle" } else { "" }))).collect();
    let view = InspectView { summary: vec![line("SBOM"), Line { tone: Tone::Quote, ..line("a preview") }], body, layers: Vec::new() };
    update(&mut app, Msg::Worker(WorkerEvent::Inspected { digest, result: Ok(Arc::new(view)) }));
    press(&mut app, KeyCode::Char('4'));
    press(&mut app, KeyCode::Char('o'));
    let cursor = |app: &App| app.viewer.as_ref().map(|v| v.cursor);
    assert_eq!(cursor(&app), Some(0));
    // The preview the summary quotes is left out: the body has the content whole.
    assert_eq!(page_lines(&app, app.viewer.as_ref().unwrap()).len(), 101);
    press(&mut app, KeyCode::Char('G'));
    assert_eq!(cursor(&app), Some(100));
    press(&mut app, KeyCode::Char('g'));
    press(&mut app, KeyCode::PageDown);
    assert_eq!(cursor(&app), Some(app.viewer_page()));
    press(&mut app, KeyCode::Char('g'));
    for c in "/NEEDLE".chars() {
        press(&mut app, KeyCode::Char(c));
    }
    assert!(app.viewer.as_ref().unwrap().typing.is_some(), "/ starts a search; its letters are not keys");
    press(&mut app, KeyCode::Enter);
    assert_eq!(cursor(&app), Some(8), "matches ignore case");
    press(&mut app, KeyCode::Char('n'));
    assert_eq!(cursor(&app), Some(38));
    press(&mut app, KeyCode::Char('N'));
    press(&mut app, KeyCode::Char('N'));
    assert_eq!(cursor(&app), Some(98), "N wraps to the last match");
    press(&mut app, KeyCode::Esc);
    assert!(app.viewer.is_none() && !app.quit);
}

#[test]
fn the_viewer_search_clears_on_an_empty_query_ignores_control_keys_and_shows_a_miss() {
    let (mut app, digest, _) = app_on_an_sbom();
    let body: Vec<Line> = (0..40).map(|i| line(&format!("row {i}{}", if i % 10 == 3 { " needle" } else { "" }))).collect();
    let view = InspectView { summary: vec![line("SBOM")], body, layers: Vec::new() };
    update(&mut app, Msg::Worker(WorkerEvent::Inspected { digest, result: Ok(Arc::new(view)) }));
    press(&mut app, KeyCode::Char('4'));
    press(&mut app, KeyCode::Char('o'));
    for c in "/needle".chars() {
        press(&mut app, KeyCode::Char(c));
    }
    update(&mut app, Msg::Key(KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL)));
    assert_eq!(app.viewer.as_ref().unwrap().typing.as_deref(), Some("needle"), "Ctrl-C is not typed");
    press(&mut app, KeyCode::Enter);
    assert_eq!(app.viewer.as_ref().unwrap().matches.len(), 4);
    press(&mut app, KeyCode::Char('/'));
    press(&mut app, KeyCode::Enter);
    assert!(app.viewer.as_ref().unwrap().matches.is_empty(), "an empty search clears the matches");
    assert!(screen(&app).contains("search cleared"), "{}", screen(&app));
    for c in "/zzz".chars() {
        press(&mut app, KeyCode::Char(c));
    }
    press(&mut app, KeyCode::Enter);
    assert!(screen(&app).contains("no line matches zzz"), "the status bar shows under the viewer: {}", screen(&app));
}

#[test]
fn the_cursor_stays_on_a_page_that_shrinks() {
    let (mut app, digest, _) = app_on_an_sbom();
    let layer = Descriptor::new("application/vnd.oci.image.layer.v1.tar+gzip", Digest::sha256_of(b"layer"), 1 << 30);
    let row = Line { indent: 1, label: layer.digest.to_string(), value: String::new(), tone: Tone::Plain };
    let view = InspectView { summary: vec![row], body: Vec::new(), layers: vec![layer] };
    update(&mut app, Msg::Worker(WorkerEvent::Inspected { digest, result: Ok(Arc::new(view)) }));
    press(&mut app, KeyCode::Char('4'));
    press(&mut app, KeyCode::Char('o'));
    let fx = press(&mut app, KeyCode::Enter);
    let id = fx.iter().find_map(|e| match e { Effect::ListLayer { id, .. } => Some(*id), _ => None }).unwrap();
    let entry = |i: usize| crate::inspect::listing::TarEntry { mode: "-rw-r--r--".into(), owner: "0/0".into(), size: 1, modified: String::new(), name: format!("file-{i}"), link: None };
    let listing = Listing { entries: (0..60).map(entry).collect(), total: 60, complete: false, stopped: None };
    update(&mut app, Msg::Worker(WorkerEvent::Listing { id, result: Ok(Arc::new(listing)), done: false }));
    press(&mut app, KeyCode::Char('G'));
    assert!(app.viewer.as_ref().unwrap().cursor > 50);
    let failure = Failure { message: "the layer is not a tar archive".into(), unauthorized: None, refused: false };
    update(&mut app, Msg::Worker(WorkerEvent::Listing { id, result: Err(failure), done: true }));
    let v = app.viewer.as_ref().unwrap();
    assert_eq!(v.cursor, v.page.lines.len() - 1, "on the last line of the shorter page");
    assert!(screen(&app).contains("the layer is not a tar archive"), "{}", screen(&app));
}
