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
