//! The disk cache: a repository seen before is painted from the cache at once, then refreshed
//! from the registry in the background.

mod common;

use common::proxy::{Faults, Proxy};
use common::{DistRegistry, digest_line, refscope};
use refscope::tui::app::App;
use refscope::tui::app::tree::RowKind;
use refscope::tui::headless::Headless;

fn start(addr: &str, cache: &std::path::Path) -> refscope::tui::Start {
    refscope::tui::Start::anonymous(&format!("{addr}/net-monitor:v1"), Some(cache.to_path_buf()))
}

/// The digests the tree shows.
fn shown(app: &App) -> Vec<String> {
    let mut v: Vec<String> = app.tree.rows(&app.store).iter().filter(|r| r.kind == RowKind::Node).filter_map(|r| r.digest.as_ref().map(|d| d.to_string())).collect();
    v.sort();
    v
}

#[tokio::test(flavor = "multi_thread")]
async fn a_seen_tree_paints_from_the_cache_then_refreshes() {
    let reg = DistRegistry::start();
    let w = common::walkthrough_files();
    let run = |args: &[&str]| refscope(args).current_dir(w.path()).ok();
    common::put_demo_image(&reg.addr, "net-monitor");
    let image = format!("{}/net-monitor:v1", reg.addr);
    let sig = digest_line(&run(&["attach", &image, "--artifact-type", "signature/example", "./signature.json"]));
    let sbom = digest_line(&run(&["attach", &image, "--artifact-type", "sbom/example", "./sbom.json"]));
    let sbom_sig = digest_line(&run(&["attach", &format!("{}/net-monitor@{sbom}", reg.addr), "--artifact-type", "signature/example", "./sbom-signature.json"]));
    let front = Proxy::start(&reg.addr, Faults::default());
    let cache = tempfile::tempdir().unwrap();
    let mut expected = vec![sig.clone(), sbom.clone(), sbom_sig.clone()];
    expected.sort();

    let mut cold = Headless::start(start(&front.addr, cache.path()), false).await.unwrap();
    cold.settle().await;
    assert_eq!(shown(&cold.app), expected);
    drop(cold);

    // A change while away: another signature.
    let late = digest_line(&run(&["attach", &image, "--artifact-type", "signature/example", "./readme.md"]));

    // The registry hangs: whatever the tree shows now can only have come from the cache.
    front.hang();
    let mut warm = Headless::start(start(&front.addr, cache.path()), false).await.unwrap();
    warm.settle_until(|app| shown(app) == expected).await;
    assert!(warm.app.refreshing(), "painted from the cache and still being refreshed");
    assert!(!shown(&warm.app).contains(&late), "the change is not known yet");

    front.recover();
    warm.settle().await;
    assert!(shown(&warm.app).contains(&late), "the refresh brings in what changed");
}

/// The summary lines of `d`, once its inspection is in.
fn summary(app: &App, d: &refscope::oci::Digest) -> Option<Vec<String>> {
    app.inspections.get(d).and_then(|l| l.ready()).map(|v| v.summary.iter().chain(&v.body).map(ToString::to_string).collect())
}

/// Selects the tree row of `d` and waits until its inspection is in.
async fn inspect(t: &mut Headless, d: &refscope::oci::Digest) -> Vec<String> {
    t.settle_until(|app| app.tree.rows(&app.store).iter().any(|r| r.digest.as_ref() == Some(d))).await;
    let path = t.app.tree.rows(&t.app.store).iter().find(|r| r.digest.as_ref() == Some(d)).unwrap().path.clone();
    t.app.tree.selected = path;
    t.press(crossterm::event::KeyCode::Char('3'));
    t.settle_until(|app| summary(app, d).is_some()).await;
    summary(&t.app, d).unwrap()
}

/// What the details pane read of an SBOM comes back from the disk cache when the registry
/// hangs; and a blob over `--max-blob-size` is not read, which the summary says.
#[tokio::test(flavor = "multi_thread")]
async fn an_inspected_sbom_is_summarised_again_from_the_cache_and_the_blob_bound_holds() {
    let reg = DistRegistry::start();
    let w = common::walkthrough_files();
    common::put_demo_image(&reg.addr, "net-monitor");
    let bom = r#"{"bomFormat":"CycloneDX","specVersion":"1.5","components":[{"type":"library","name":"busybox","version":"1.36.1"}]}"#;
    std::fs::write(w.path().join("bom.json"), bom).unwrap();
    let image = format!("{}/net-monitor:v1", reg.addr);
    let out = refscope(["attach", &image, "--artifact-type", "application/vnd.cyclonedx+json", "./bom.json:application/vnd.cyclonedx+json"]).current_dir(w.path()).ok();
    let sbom: refscope::oci::Digest = digest_line(&out).parse().unwrap();
    let front = Proxy::start(&reg.addr, Faults::default());
    let cache = tempfile::tempdir().unwrap();

    let mut cold = Headless::start(start(&front.addr, cache.path()), false).await.unwrap();
    cold.settle().await;
    let first = inspect(&mut cold, &sbom).await;
    assert!(first.iter().any(|l| l.contains("busybox 1.36.1")), "{first:?}");
    drop(cold);

    front.hang();
    let mut warm = Headless::start(start(&front.addr, cache.path()), false).await.unwrap();
    assert_eq!(inspect(&mut warm, &sbom).await, first, "the same summary, from the cache alone");
    front.recover();

    let mut bounded = start(&front.addr, tempfile::tempdir().unwrap().path());
    bounded.max_blob = 16;
    let mut small = Headless::start(bounded, false).await.unwrap();
    small.settle().await;
    let lines = inspect(&mut small, &sbom).await;
    assert!(lines.iter().any(|l| l.contains(&format!("Not shown: {} B is over the 16 B limit", bom.len()))), "{lines:?}");
    assert!(!lines.iter().any(|l| l.contains("busybox")), "the blob was not read: {lines:?}");
    assert!(lines.iter().any(|l| l.ends_with("limit for inspection; raise it with --max-blob-size (in MiB)")), "the bound says how to raise it: {lines:?}");
}
