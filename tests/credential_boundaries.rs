//! Credentials go to the registry and nowhere else: redirects to other origins (CDNs,
//! pre-signed storage) are followed without them and never from https to http, a 401 from a
//! redirect target is not the registry's challenge, token realms on special addresses are
//! refused, and error bodies that echo a secret do not show it. The registry is real CNCF
//! distribution with htpasswd; small fronts inject what it cannot be made to do.

mod common;

use std::sync::Arc;

use base64::Engine;
use common::front::{Front, Seen, answer, redirect};
use common::{DistConfig, DistRegistry, refscope};
use refscope::creds::{Chain, Credential};
use refscope::store::Target;
use refscope::store::registry::{Registry, RegistryOptions};
use serde_json::json;

const USER: &str = "alice";
const PASS: &str = "pw-redirect-5t8";

fn basic_registry() -> DistRegistry {
    DistRegistry::start_with(DistConfig { users: vec![(USER.into(), PASS.into())], ..Default::default() })
}

/// A registry holding `files:v1`, an artifact with one file.
async fn seeded() -> (DistRegistry, refscope::oci::Descriptor) {
    let reg = basic_registry();
    let s = reg.seeder().with_basic(USER, PASS);
    let d = s
        .artifact("files", Some("v1"), "doc/example", &[("hello.txt", "text/plain", b"hello from storage\n")], None, json!({}))
        .await;
    (reg, d)
}

fn client(addr: &str) -> Registry {
    let chain = Chain {
        explicit: Some(Credential::Basic { username: USER.into(), password: PASS.into() }),
        no_keyring: true,
        config_path: Some("/nonexistent/config.json".into()),
    };
    Registry::new(addr, RegistryOptions::default(), Arc::new(chain)).unwrap()
}

fn secrets() -> [String; 2] {
    [PASS.to_string(), base64::engine::general_purpose::STANDARD.encode(format!("{USER}:{PASS}"))]
}

fn assert_no_credentials(seen: &[Seen], who: &str) {
    for s in seen {
        assert!(s.authorization().is_none(), "{who} received credentials on {} {}", s.method, s.target);
        for secret in secrets() {
            assert!(!format!("{:?}", s.headers).contains(&secret), "{who} received the secret");
        }
    }
}

/// A front on the registry that sends blob reads and manifest GETs by digest to `cdn`.
fn redirecting_front(reg: &DistRegistry, cdn: &str) -> Front {
    let cdn = cdn.to_string();
    Front::builder()
        .upstream(&reg.addr)
        .rule(move |s: &Seen| {
            let by_digest = s.method == "GET" && s.path().contains("/manifests/sha256:");
            (s.is_blob_read() || by_digest).then(|| redirect(format!("http://{cdn}{}", s.target)))
        })
        .start()
}

#[tokio::test(flavor = "multi_thread")]
async fn blob_and_manifest_downloads_follow_redirects_without_credentials() {
    let (reg, desc) = seeded().await;
    // The "CDN" fetches from the registry with its own credentials, as storage would.
    let cdn = Front::builder().upstream(&reg.addr).upstream_basic(USER, PASS).start();
    let front = redirecting_front(&reg, &cdn.addr);
    // The manifest GET by tag meets the registry's challenge, so the blob GETs after it go out
    // with credentials and are redirected.
    let out = tempfile::tempdir().unwrap();
    refscope(["pull", "-o", out.path().to_str().unwrap(), &format!("{}/files:v1", front.addr), "-u", USER, "-p", PASS]).ok();
    assert_eq!(std::fs::read(out.path().join("hello.txt")).unwrap(), b"hello from storage\n");
    let blob_reads: Vec<Seen> = front.seen().into_iter().filter(Seen::is_blob_read).collect();
    assert!(!blob_reads.is_empty() && blob_reads.iter().all(|s| s.authorization().is_some()), "the registry got the credentials");
    assert!(!cdn.seen_matching("/blobs/").is_empty(), "the blob came from the other origin");

    // A manifest by digest, in a session that already answered the registry's challenge.
    let c = client(&front.addr);
    c.resolve("files", "v1").await.unwrap();
    let m = c.fetch_manifest("files", &desc.digest.to_string()).await.unwrap();
    assert_eq!(m.digest, desc.digest);
    assert!(!cdn.seen_matching("/manifests/sha256:").is_empty(), "the manifest came from the other origin");
    assert_no_credentials(&cdn.seen(), "the redirect target");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_401_from_a_redirect_target_is_not_the_registrys_challenge() {
    let (reg, desc) = seeded().await;
    let realm = Front::trap();
    let realm_url = format!("http://{}/token", realm.addr);
    let stranger = Front::builder()
        .rule(move |_: &Seen| {
            Some(
                axum::response::Response::builder()
                    .status(401)
                    .header("www-authenticate", format!("Bearer realm=\"{realm_url}\",service=\"cdn\",scope=\"repository:files:pull\""))
                    .body(axum::body::Body::empty())
                    .unwrap(),
            )
        })
        .start();
    let front = redirecting_front(&reg, &stranger.addr);

    let out = tempfile::tempdir().unwrap();
    let err = refscope(["pull", "-o", out.path().to_str().unwrap(), &format!("{}/files:v1", front.addr), "-u", USER, "-p", PASS]).fails();
    assert!(err.contains(&stranger.addr) && err.contains("redirect"), "the error names the redirect target: {err}");
    assert!(!err.contains("refscope login"), "not a login problem: {err}");
    assert!(realm.seen().is_empty(), "the stranger's realm was contacted: {:?}", realm.seen());
    assert_no_credentials(&stranger.seen(), "the redirect target");

    // In one session: the failed download leaves the registry's own auth as it was.
    let c = client(&front.addr);
    let manifest = c.fetch_manifest("files", "v1").await.unwrap();
    let layer = match manifest.parse().unwrap() {
        refscope::oci::Manifest::Image(m) => m.layers[0].clone(),
        other => panic!("{other:?}"),
    };
    assert!(c.fetch_blob("files", &layer).await.is_err());
    let again = c.resolve("files", "v1").await.unwrap();
    assert_eq!(again.digest, desc.digest);
    c.fetch_manifest("files", "v1").await.unwrap();
    assert!(realm.seen().is_empty(), "the stranger's realm became the session's");
}

#[tokio::test(flavor = "multi_thread")]
async fn redirects_never_go_from_https_to_http() {
    let (reg, _) = seeded().await;
    let plain = Front::builder().upstream(&reg.addr).upstream_basic(USER, PASS).start();
    let plain_addr = plain.addr.clone();
    // An https hop that sends the download on to plain http.
    let tls = Front::builder().rule(move |s: &Seen| Some(redirect(format!("http://{plain_addr}{}", s.target)))).start_tls();
    let tls_addr = tls.addr.clone();
    let front = Front::builder()
        .upstream(&reg.addr)
        .rule(move |s: &Seen| s.is_blob_read().then(|| redirect(format!("https://{tls_addr}{}", s.target))))
        .start();
    let out = tempfile::tempdir().unwrap();
    let err = refscope(["pull", "--insecure", "-o", out.path().to_str().unwrap(), &format!("{}/files:v1", front.addr), "-u", USER, "-p", PASS]).fails();
    assert!(err.contains("https") && err.contains("http://"), "the error says why: {err}");
    assert!(!tls.seen().is_empty(), "the https hop was followed");
    assert_no_credentials(&tls.seen(), "the https redirect target");
    assert!(plain.seen().is_empty(), "the download went on to plain http: {:?}", plain.seen());
    assert!(!out.path().join("hello.txt").exists());
}

#[tokio::test(flavor = "multi_thread")]
async fn token_realms_on_special_addresses_are_refused() {
    // Linux routes 0.0.0.0 to the local host: a realm there would reach this listener.
    let trap = Front::trap();
    let port = trap.addr.rsplit_once(':').unwrap().1.to_string();
    let realm = format!("http://0.0.0.0:{port}/token");
    let r = realm.clone();
    let fake = Front::builder()
        .rule(move |_: &Seen| {
            Some(
                axum::response::Response::builder()
                    .status(401)
                    .header("www-authenticate", format!("Bearer realm=\"{r}\",service=\"x\""))
                    .body(axum::body::Body::empty())
                    .unwrap(),
            )
        })
        .start();
    let err = refscope(["resolve", &format!("{}/app:v1", fake.addr), "-u", USER, "-p", PASS]).fails();
    assert!(err.contains(&realm), "the error names the realm: {err}");
    assert!(err.contains("unspecified"), "and says what is wrong with it: {err}");
    assert!(trap.seen().is_empty(), "the realm was contacted: {:?}", trap.seen());

    // A realm on loopback is fine for a registry on loopback (the token server of these tests).
    let loopback_realm = format!("http://127.0.0.1:{port}/token");
    let fake = Front::builder()
        .rule(move |_: &Seen| {
            Some(
                axum::response::Response::builder()
                    .status(401)
                    .header("www-authenticate", format!("Bearer realm=\"{loopback_realm}\",service=\"x\""))
                    .body(axum::body::Body::empty())
                    .unwrap(),
            )
        })
        .start();
    refscope(["resolve", &format!("{}/app:v1", fake.addr), "-u", USER, "-p", PASS]).fails();
    assert_eq!(trap.seen().len(), 1, "the loopback realm was asked for a token");
}

#[tokio::test(flavor = "multi_thread")]
async fn error_bodies_that_echo_credentials_do_not_show_them() {
    let reg = basic_registry();
    let front = Front::builder()
        .upstream(&reg.addr)
        .rule(|s: &Seen| {
            let auth = s.authorization()?.to_string();
            let decoded = auth
                .strip_prefix("Basic ")
                .and_then(|b| base64::engine::general_purpose::STANDARD.decode(b).ok())
                .map(|b| String::from_utf8_lossy(&b).into_owned())
                .unwrap_or_default();
            let body = json!({"errors": [{"code": "DENIED", "message": format!("rejected header {auth} for {decoded}")}]});
            Some(answer(400, "application/json", body.to_string()))
        })
        .start();
    let err = refscope(["manifest", "fetch", &format!("{}/app:v1", front.addr), "-u", USER, "-p", PASS]).fails();
    assert!(err.contains("DENIED"), "the registry's message is still shown: {err}");
    for secret in secrets() {
        assert!(!err.contains(&secret), "the error shows a secret: {err}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn an_upload_location_on_a_special_address_gets_nothing() {
    let reg = DistRegistry::start();
    // Linux routes 0.0.0.0 to the local host: an upload there would reach this listener.
    let trap = Front::trap();
    let port = trap.addr.rsplit_once(':').unwrap().1.to_string();
    let front = Front::builder()
        .upstream(&reg.addr)
        .rule(move |s: &Seen| {
            (s.method == "POST" && s.path().ends_with("/blobs/uploads/")).then(|| {
                axum::response::Response::builder()
                    .status(202)
                    .header("location", format!("http://0.0.0.0:{port}/upload/1?state=x"))
                    .body(axum::body::Body::empty())
                    .unwrap()
            })
        })
        .start();
    let w = common::walkthrough_files();
    let err = refscope(["push", &format!("{}/app:v1", front.addr), "./readme.md"]).current_dir(w.path()).fails();
    assert!(err.contains("upload Location") && err.contains("http://0.0.0.0"), "{err}");
    assert!(trap.seen().is_empty(), "the bytes went to the special address: {:?}", trap.seen());
}
