//! What the README promises about copies, deletes, fetches, retries and logging, checked
//! against a real registry: a recording front shows the order and kind of the requests.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::front::{Front, Seen, redirect};
use common::{DistConfig, DistRegistry, Seeder, refscope};
use refscope::oci::{Descriptor, Digest};
use refscope::store::Target;
use refscope::store::registry::{Registry, RegistryOptions};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// An image at `repo:v1` whose layers have these sizes (in KiB), in this order. Returns the
/// manifest and the layers.
async fn image_with_layers(s: &Seeder, repo: &str, kib: &[usize]) -> (Descriptor, Vec<Descriptor>) {
    let sizes: Vec<usize> = kib.iter().map(|k| k << 10).collect();
    s.image_with_layers(repo, "v1", &common::noise_layers(41, &sizes)).await
}

/// The digest a finished blob upload (`PUT …/blobs/uploads/…?digest=…`) names.
fn uploaded_digest(s: &Seen) -> Option<Digest> {
    if s.method != "PUT" || !s.path().contains("/blobs/uploads/") {
        return None;
    }
    let query = s.target.split_once('?')?.1;
    let value = query.split('&').find_map(|p| p.strip_prefix("digest="))?;
    value.replace("%3A", ":").replace("%3a", ":").parse().ok()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_copy_sends_the_largest_blob_first_and_sets_the_tag_last() {
    let src = DistRegistry::start();
    let dst = DistRegistry::start();
    let (root, layers) = image_with_layers(&src.seeder(), "app", &[2048, 5120, 3072]).await;
    let front = Front::recording(&dst.addr);
    refscope(["copy", "--concurrency", "1", &format!("{}/app:v1", src.addr), &format!("{}/app:v1", front.addr)]).ok();
    let seen = front.seen();
    let large: Vec<Digest> = seen.iter().filter_map(uploaded_digest).filter(|d| layers.iter().any(|l| l.digest == *d)).collect();
    let by_size = [&layers[1], &layers[2], &layers[0]].map(|l| l.digest.clone()).to_vec();
    assert_eq!(large, by_size, "one at a time, largest first");
    let writes: Vec<&Seen> = seen.iter().filter(|s| s.method == "PUT" || s.method == "POST" || s.method == "PATCH").collect();
    let last = writes.last().expect("the copy wrote");
    assert_eq!((last.method.as_str(), last.path()), ("PUT", "/v2/app/manifests/v1"), "the tag comes last");
    let tag_puts = writes.iter().filter(|s| s.method == "PUT" && s.path() == "/v2/app/manifests/v1").count();
    assert_eq!(tag_puts, 1, "and only once");
    assert_eq!(refscope(["resolve", &format!("{}/app:v1", dst.addr)]).ok().trim(), root.digest.to_string());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_copy_within_a_registry_mounts_instead_of_uploading() {
    let reg = DistRegistry::start();
    let (root, layers) = image_with_layers(&reg.seeder(), "app", &[1536, 64]).await;
    let front = Front::recording(&reg.addr);
    refscope(["copy", &format!("{}/app:v1", front.addr), &format!("{}/mirror/app:v1", front.addr)]).ok();
    let seen = front.seen();
    for l in &layers {
        let mount = format!("mount={}", l.digest).replace(':', "%3A");
        assert!(
            seen.iter().any(|s| s.method == "POST" && s.target.contains("from=app") && (s.target.contains(&mount) || s.target.contains(&format!("mount={}", l.digest)))),
            "{} is mounted from app: {:?}",
            l.digest,
            seen.iter().map(|s| format!("{} {}", s.method, s.target)).collect::<Vec<_>>()
        );
    }
    let uploads: Vec<String> = seen.iter().filter(|s| s.method == "PATCH" || uploaded_digest(s).is_some()).map(|s| s.target.clone()).collect();
    assert!(uploads.is_empty(), "no blob bytes were sent: {uploads:?}");
    assert_eq!(refscope(["resolve", &format!("{}/mirror/app:v1", reg.addr)]).ok().trim(), root.digest.to_string());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_copy_takes_each_side_credentials_from_its_own_flags() {
    let src = DistRegistry::start_with(DistConfig { users: vec![("alice".into(), "from-pw".into())], ..Default::default() });
    let dst = DistRegistry::start_with(DistConfig { users: vec![("bob".into(), "to-pw".into())], ..Default::default() });
    let root = src.seeder().with_basic("alice", "from-pw").image("app", "v1", b"layer").await;
    let (from, to) = (format!("{}/app:v1", src.addr), format!("{}/app:v1", dst.addr));
    let creds = ["--from-username", "alice", "--from-password", "from-pw", "--to-username", "bob", "--to-password", "to-pw"];
    let out = refscope(["copy", &from, &to].into_iter().chain(creds)).ok();
    assert_eq!(common::digest_line(&out), root.digest.to_string());
    assert_eq!(refscope(["resolve", &to, "-u", "bob", "-p", "to-pw"]).ok().trim(), root.digest.to_string());
    // Each side's credentials go to that side only: without the destination's, it refuses.
    let err = refscope(["copy", &from, &format!("{}/other:v1", dst.addr), "--from-username", "alice", "--from-password", "from-pw"]).fails();
    assert!(err.contains(&format!("401 from {}", dst.addr)), "{err}");
    let err = refscope(["copy", &from, &to, "--from-username", "bob", "--from-password", "to-pw", "--to-username", "alice", "--to-password", "from-pw"]).fails();
    assert!(err.contains(&format!("401 from {}", src.addr)) && err.contains("rejected"), "{err}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_copy_follows_the_source_redirecting_blobs_to_another_origin() {
    let src = DistRegistry::start();
    let dst = DistRegistry::start();
    let (root, layers) = image_with_layers(&src.seeder(), "app", &[1536, 8]).await;
    let cdn = Front::recording(&src.addr);
    let cdn_addr = cdn.addr.clone();
    let source = Front::builder()
        .upstream(&src.addr)
        .rule(move |s: &Seen| (s.method == "GET" && s.is_blob_read()).then(|| redirect(format!("http://{cdn_addr}{}", s.target))))
        .start();
    refscope(["copy", &format!("{}/app:v1", source.addr), &format!("{}/app:v1", dst.addr)]).ok();
    for l in &layers {
        assert!(!cdn.seen_matching(&l.digest.to_string()).is_empty(), "{} came from the other origin", l.digest);
    }
    assert_eq!(refscope(["resolve", &format!("{}/app:v1", dst.addr)]).ok().trim(), root.digest.to_string());

    // A redirect that never ends is followed five times, then reported.
    let looping = Front::builder().upstream(&src.addr).rule(|s: &Seen| s.is_blob_read().then(|| redirect(s.target.clone()))).start();
    let out = tempfile::tempdir().unwrap();
    let err = refscope(["blob", "fetch", &format!("{}/app@{}", looping.addr, layers[1].digest), "-o", out.path().join("b").to_str().unwrap()]).fails();
    assert!(err.contains(&looping.addr) && err.contains("redirect"), "{err}");
    let hops = looping.seen().iter().filter(|s| s.is_blob_read()).count();
    assert_eq!(hops, 6, "the request and five redirects");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_busy_registry_asking_for_an_hour_is_retried_within_the_cap() {
    let server = MockServer::start().await;
    let manifest = r#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.empty.v1+json","digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":2},"layers":[]}"#;
    Mock::given(method("GET"))
        .and(path("/v2/app/manifests/v1"))
        .respond_with(ResponseTemplate::new(503).insert_header("retry-after", "3600"))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v2/app/manifests/v1"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(manifest, "application/vnd.oci.image.manifest.v1+json"))
        .mount(&server)
        .await;
    let chain = refscope::creds::Chain { no_keyring: true, config_path: Some("/nonexistent".into()), ..Default::default() };
    let client = Registry::new(server.uri().trim_start_matches("http://"), RegistryOptions::default(), Arc::new(chain)).unwrap();
    // The cap is 10 s: a client that waited the hour asked for would trip this guard.
    let fetched = tokio::time::timeout(Duration::from_secs(60), client.fetch_manifest("app", "v1"))
        .await
        .expect("the wait was not capped: the client is still waiting out the registry's hour")
        .unwrap();
    assert_eq!(&fetched.bytes[..], manifest.as_bytes());
    assert_eq!(server.received_requests().await.unwrap().len(), 2, "one 503, then the retry");
}

#[tokio::test(flavor = "multi_thread")]
async fn delete_keep_referrers_deletes_only_the_manifest() {
    let reg = DistRegistry::start();
    let s = reg.seeder();
    let g = common::seed_walkthrough(&s, "net-monitor").await;
    refscope(["manifest", "delete", "-f", "--keep-referrers", &format!("{}/net-monitor:v1", reg.addr)]).ok();
    assert_eq!(s.head_manifest("net-monitor", &g.image.digest.to_string()).await, 404, "the manifest went");
    for d in [&g.sig, &g.sbom, &g.sbom_sig, &g.readme] {
        assert_eq!(s.head_manifest("net-monitor", &d.digest.to_string()).await, 200, "{} stays", d.digest);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn delete_without_a_terminal_needs_force_and_changes_nothing() {
    let reg = DistRegistry::start();
    let s = reg.seeder();
    let g = common::seed_walkthrough(&s, "net-monitor").await;
    let before = reg.stored_manifests("net-monitor");
    let err = refscope(["manifest", "delete", &format!("{}/net-monitor:v1", reg.addr)]).fails();
    assert!(err.contains("-f"), "the error says how to go on: {err}");
    assert_eq!(reg.stored_manifests("net-monitor"), before, "nothing was deleted");
    assert_eq!(s.tags("net-monitor").await.len(), 3, "v1 and two referrers indexes stay");
    assert_eq!(s.head_manifest("net-monitor", &g.image.digest.to_string()).await, 200);
}

#[tokio::test(flavor = "multi_thread")]
async fn manifest_fetch_to_a_file_writes_the_exact_bytes_there_only() {
    let reg = DistRegistry::start();
    let s = reg.seeder();
    s.image("app", "v1", b"layer").await;
    let bytes = common::read_manifest_bytes(&s, "app", "v1").await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("manifest.json");
    let out = refscope(["manifest", "fetch", &format!("{}/app:v1", reg.addr), "-o", file.to_str().unwrap()]).ok();
    assert_eq!(out, "", "nothing on stdout");
    assert_eq!(common::read(&file), bytes);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_debug_request_line_never_carries_a_query() {
    let reg = DistRegistry::start();
    let w = common::walkthrough_files();
    let log = w.path().join("requests.log");
    let r = format!("{}/app:v1", reg.addr);
    // Uploads (`?digest=…&_state=…`), mounts (`?mount=…&from=…`) and catalog pages (`?n=…`).
    for args in [
        vec!["push".to_string(), r.clone(), "./readme.md".into()],
        vec!["copy".to_string(), r.clone(), format!("{}/other:v1", reg.addr)],
        vec!["repo".to_string(), "ls".into(), reg.addr.clone()],
    ] {
        refscope(&args).current_dir(w.path()).env("REFSCOPE_LOG", "refscope=debug").env("REFSCOPE_LOG_FILE", &log).ok();
    }
    let text = std::fs::read_to_string(&log).unwrap();
    let lines: Vec<&str> = text.lines().filter(|l| l.contains(" -> ")).collect();
    assert!(lines.iter().any(|l| l.contains("/blobs/uploads/")), "uploads are logged:\n{text}");
    assert!(lines.iter().any(|l| l.contains("/_catalog")), "the catalog is logged:\n{text}");
    for l in &lines {
        assert!(!l.contains('?') && !l.contains("_state") && !l.contains("digest=") && !l.contains("mount="), "a query was logged: {l}");
    }
}
