//! Faults between refscope and a real registry: a TCP proxy cuts, resets or stalls the
//! traffic; wiremock answers status sequences (429, 500) that a registry cannot be made to.
//! Each operation completes after bounded retries or fails with a clear message; a copy never
//! tags an incomplete graph; a pull never leaves a partial file; a rerun finishes the work.

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use common::proxy::{Faults, Proxy};
use common::{DistRegistry, refscope};
use refscope::graph::pull::{PullOptions, pull};
use refscope::store::Target;
use refscope::store::registry::{Registry, RegistryOptions};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// A registry with a 4 MiB single-file artifact `big:v1`.
async fn with_big_artifact() -> (DistRegistry, Vec<u8>) {
    let reg = DistRegistry::start();
    let content: Vec<u8> = (0..4u32 << 20).map(|i| (i.wrapping_mul(2654435761) >> 24) as u8).collect();
    let w = tempfile::tempdir().unwrap();
    std::fs::write(w.path().join("big.bin"), &content).unwrap();
    refscope(["push", &format!("{}/big:v1", reg.addr), "big.bin"]).current_dir(w.path()).ok();
    (reg, content)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_blob_cut_mid_transfer_is_fetched_again() {
    for reset in [false, true] {
        let (reg, content) = with_big_artifact().await;
        let proxy = Proxy::start(&reg.addr, Faults { cut_after: Some(1 << 20), reset, ..Default::default() });
        let out = tempfile::tempdir().unwrap();
        refscope(["pull", "-o", out.path().to_str().unwrap(), &format!("{}/big:v1", proxy.addr)]).ok();
        assert!(proxy.cut_happened(), "the proxy did cut the transfer (reset: {reset})");
        assert_eq!(common::read(out.path().join("big.bin")), content, "reset: {reset}");
        assert_eq!(common::tree(out.path()).len(), 1, "no leftovers");
    }
}

/// A client whose reads give up after 0.7 s of silence.
fn impatient_client(addr: &str) -> Registry {
    let opts = RegistryOptions { read_timeout: Duration::from_millis(700), ..RegistryOptions::default() };
    let chain = refscope::creds::Chain { no_keyring: true, config_path: Some("/nonexistent".into()), ..Default::default() };
    Registry::new(addr, opts, Arc::new(chain)).unwrap()
}

/// The pull, or a failure saying it hung: a stalled body must end the pull by itself.
async fn pull_or_hang(client: &Registry, out: &std::path::Path) -> refscope::Result<()> {
    let popts = PullOptions { output: out.to_path_buf(), concurrency: 1, progress: Default::default() };
    tokio::time::timeout(Duration::from_secs(60), pull(client, "big", "v1", &popts))
        .await
        .expect("the pull hung on a stalled body instead of timing out")
        .map(|_| ())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_stalled_body_times_out_clearly_and_leaves_no_partial_file() {
    let (reg, content) = with_big_artifact().await;
    let stall = Proxy::start(&reg.addr, Faults { stall_after: Some(2 << 20), ..Default::default() });
    let out = tempfile::tempdir().unwrap();
    let err = pull_or_hang(&impatient_client(&stall.addr), out.path()).await.unwrap_err().to_string();
    assert!(err.contains(&format!("{} did not answer in time", stall.addr)), "{err}");
    assert!(common::tree(out.path()).is_empty(), "no partial file under any name");
    // Past the stall, a rerun finishes.
    refscope(["pull", "-o", out.path().to_str().unwrap(), &format!("{}/big:v1", reg.addr)]).ok();
    assert_eq!(common::read(out.path().join("big.bin")), content);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_stall_that_passes_is_fetched_again() {
    let (reg, content) = with_big_artifact().await;
    let stall = Proxy::start(&reg.addr, Faults { stall_once_after: Some(2 << 20), ..Default::default() });
    let out = tempfile::tempdir().unwrap();
    pull_or_hang(&impatient_client(&stall.addr), out.path()).await.unwrap();
    assert!(stall.cut_happened(), "the proxy did stall the transfer");
    assert_eq!(common::read(out.path().join("big.bin")), content);
    assert_eq!(common::tree(out.path()).len(), 1, "no leftovers");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_copy_through_a_broken_link_retries_and_never_tags_early() {
    let (src, _) = with_big_artifact().await;
    let dst = DistRegistry::start();
    // Cut the link to the destination once, in the middle of the 4 MiB upload.
    let flaky = Proxy::start(&dst.addr, Faults { cut_upload_once_after: Some(3 << 20), ..Default::default() });
    let out = refscope(["copy", &format!("{}/big:v1", src.addr), &format!("{}/big:v1", flaky.addr)]).ok();
    assert!(flaky.cut_happened(), "the proxy did cut the upload");
    assert!(out.contains("Copied [registry]"), "{out}");
    assert_eq!(
        refscope(["resolve", &format!("{}/big:v1", dst.addr)]).ok(),
        refscope(["resolve", &format!("{}/big:v1", src.addr)]).ok()
    );
    // A link that never carries a whole blob: the copy gives up with a clear message, untagged.
    let dead = Proxy::start(&dst.addr, Faults { cut_upload_after: Some(256 << 10), ..Default::default() });
    let err = refscope(["copy", &format!("{}/big:v1", src.addr), &format!("{}/other:v1", dead.addr)]).fails();
    assert!(err.contains(&dead.addr), "the error names the registry: {err}");
    assert!(dst.seeder().tags("other").await.is_empty(), "nothing tagged after a failed copy");
    let rerun = refscope(["copy", &format!("{}/big:v1", src.addr), &format!("{}/other:v1", dst.addr)]).ok();
    assert!(rerun.contains("Copied [registry]"), "{rerun}");
}

fn host(server: &MockServer) -> String {
    server.uri().trim_start_matches("http://").to_string()
}

/// A registry that answers `first` `times` times, then serves MANIFEST.
async fn flaky_then_manifest(first: ResponseTemplate, times: u64) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("GET")).and(path("/v2/app/manifests/v1")).respond_with(first).up_to_n_times(times).mount(&server).await;
    Mock::given(method("GET"))
        .and(path("/v2/app/manifests/v1"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(MANIFEST, "application/vnd.oci.image.manifest.v1+json"))
        .mount(&server)
        .await;
    server
}

const MANIFEST: &str = r#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.empty.v1+json","digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":2},"layers":[]}"#;

#[tokio::test(flavor = "multi_thread")]
async fn too_many_requests_is_retried_after_the_wait_the_registry_asks_for() {
    let server = flaky_then_manifest(ResponseTemplate::new(429).insert_header("retry-after", "1"), 1).await;
    let t = Instant::now();
    let out = refscope(["manifest", "fetch", &format!("{}/app:v1", host(&server))]).ok();
    assert_eq!(out, MANIFEST);
    assert!(t.elapsed() >= Duration::from_millis(900), "waited as asked: {:?}", t.elapsed());

    // A registry that keeps saying 429 gets a bounded number of tries, then a clear error.
    let busy = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "0"))
        .mount(&busy)
        .await;
    let err = refscope(["manifest", "fetch", &format!("{}/app:v1", host(&busy))]).fails();
    assert!(err.contains("429"), "{err}");
    assert_eq!(busy.received_requests().await.unwrap().len(), 4, "one try and three retries");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_server_error_then_success_completes() {
    let hiccup = ResponseTemplate::new(500).set_body_string("{\"errors\":[{\"code\":\"UNKNOWN\",\"message\":\"storage hiccup\"}]}");
    let server = flaky_then_manifest(hiccup, 2).await;
    assert_eq!(refscope(["manifest", "fetch", &format!("{}/app:v1", host(&server))]).ok(), MANIFEST);
    // A PUT is not replayed on 500: the registry may have acted on it.
    let put = MockServer::start().await;
    Mock::given(method("PUT")).respond_with(ResponseTemplate::new(500)).mount(&put).await;
    let chain = refscope::creds::Chain { no_keyring: true, ..Default::default() };
    let c = Registry::new(&host(&put), RegistryOptions::default(), Arc::new(chain)).unwrap();
    let blob = refscope::oci::ManifestBlob::new(bytes::Bytes::from_static(MANIFEST.as_bytes()), None).unwrap();
    let err = c.push_manifest("app", "v1", &blob).await.unwrap_err().to_string();
    assert!(err.contains("500"), "{err}");
    assert_eq!(put.received_requests().await.unwrap().len(), 1);
}

/// Distribution has been seen answering 500 to one of many concurrent DELETEs. A DELETE is
/// tried again (a replay that finds the manifest gone is counted as already gone by delete).
#[tokio::test(flavor = "multi_thread")]
async fn a_delete_met_by_a_server_error_is_tried_again() {
    let digest = refscope::oci::Digest::sha256_of(MANIFEST.as_bytes());
    let front = MockServer::start().await;
    let at = format!("/v2/app/manifests/{digest}");
    Mock::given(method("DELETE")).and(path(at.as_str())).respond_with(ResponseTemplate::new(500)).up_to_n_times(1).mount(&front).await;
    Mock::given(method("DELETE")).and(path(at.as_str())).respond_with(ResponseTemplate::new(202)).mount(&front).await;
    let chain = refscope::creds::Chain { no_keyring: true, ..Default::default() };
    let c = Registry::new(&host(&front), RegistryOptions::default(), Arc::new(chain)).unwrap();
    c.delete_manifest("app", &digest).await.expect("the replay succeeds");
    assert_eq!(front.received_requests().await.unwrap().len(), 2, "one try and one replay");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_registry_restarted_under_the_tui_is_reported_and_recovered_by_refresh() {
    use refscope::tui::view_model::Loaded;
    let mut reg = DistRegistry::start();
    common::put_demo_image(&reg.addr, "net-monitor");
    let cache = tempfile::tempdir().unwrap();
    let start = refscope::tui::Start::anonymous(&format!("{}/net-monitor:v1", reg.addr), Some(cache.path().to_path_buf()));
    let mut tui = refscope::tui::headless::Headless::start(start, false).await.unwrap();
    tui.settle_until(|a| a.tree.root().ready().is_some() && !a.busy()).await;
    reg.stop();
    tui.press(crossterm::event::KeyCode::Char('r'));
    tui.settle_until(|a| a.message.as_ref().is_some_and(|m| m.text.contains("cannot reach"))).await;
    assert!(tui.app.message.as_ref().unwrap().text.contains(&reg.addr), "{:?}", tui.app.message);
    // Keys are still handled while the registry is gone.
    tui.press(crossterm::event::KeyCode::Char('?'));
    assert!(tui.app.modal.is_some());
    tui.press(crossterm::event::KeyCode::Esc);
    reg.restart();
    tui.press(crossterm::event::KeyCode::Char('r'));
    tui.settle_until(|a| matches!(a.tree.root(), Loaded::Ready(_)) && !a.refreshing() && !a.busy()).await;
    assert!(matches!(tui.app.tree.root(), Loaded::Ready(_)), "recovered: {:?}", tui.app.tree.root());
}
