//! The TUI's model and worker (headless, no terminal) against real registries behind the
//! fault proxy: a copy cancelled mid-transfer.

mod common;

use crossterm::event::KeyCode;
use common::proxy::{Faults, Proxy};
use common::DistRegistry;
use refscope::tui::app::dialogs::Modal;
use refscope::tui::headless::Headless;

async fn tui(target: &str, cache: &tempfile::TempDir) -> Headless {
    let start = refscope::tui::Start::anonymous(target, Some(cache.path().to_path_buf()));
    Headless::start(start, false).await.unwrap()
}

fn typed(text: &str) -> Vec<KeyCode> {
    text.chars().map(KeyCode::Char).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_copy_cancelled_from_the_tui_leaves_nothing_tagged() {
    let src = DistRegistry::start();
    let dst = DistRegistry::start();
    // Four 4 MiB layers.
    src.seeder().image_with_layers("big", "v1", &common::noise_layers(71, &[4 << 20; 4])).await;
    // The destination takes two layers, then holds the third: the copy is surely mid-way.
    let held = Proxy::start(&dst.addr, Faults { hold_uploads_after: Some(10 << 20), ..Default::default() });
    let cache = tempfile::tempdir().unwrap();
    let mut t = tui(&format!("{}/big:v1", src.addr), &cache).await;
    t.settle().await;
    t.press(KeyCode::Char('c'));
    let mut keys = typed(&format!("{}/big:v1", held.addr));
    keys.push(KeyCode::Enter);
    t.keys(&keys).await;
    assert!(matches!(&t.app.modal, Some(Modal::CopyReview { preview, .. }) if preview.ready().is_some()), "the plan is shown");
    t.press(KeyCode::Char('y'));
    while !held.holding() && !t.app.jobs.running.is_empty() {
        // Takes the answers that came meanwhile, without waiting for more.
        t.settle_until(|_| true).await;
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(t.app.jobs.running.len(), 1, "the copy runs, held at the destination ({} bytes went up): {:?}", held.uploaded(), t.app.message);
    t.press(KeyCode::Char('x'));
    t.settle_until(|app| app.jobs.running.is_empty()).await;
    let message = t.app.message.as_ref().map(|m| m.text.clone()).unwrap_or_default();
    assert!(message.contains("cancelled"), "{message}");
    assert!(dst.seeder().tags("big").await.is_empty(), "nothing tagged at the destination");
    assert!(dst.stored_manifests("big").is_empty(), "no manifest either");
}
