//! TLS against CNCF distribution serving HTTPS on 127.0.0.1 with a private CA made by
//! `openssl`: verification, --ca-file, certs.d, --insecure, client certificates (required,
//! given, missing, never sent to a redirect target), loopback TLS first with the fallback to
//! plain HTTP, bad files, and the TUI's worker on a TLS registry.

mod common;

use std::path::Path;

use common::front::{Front, Seen, redirect};
use common::pki::Pki;
use common::serve::Served;
use common::{DistConfig, DistRegistry, DistTls, refscope};

fn tls_registry(pki: &Pki, client_certs: bool) -> DistRegistry {
    DistRegistry::start_with(DistConfig {
        tls: Some(DistTls {
            cert: pki.path("server.crt"),
            key: pki.path("server.key"),
            client_ca: client_certs.then(|| pki.path("ca.crt")),
        }),
        ..DistConfig::default()
    })
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// The demo image pushed into `reg` with `flags` (the first write to a TLS registry).
fn seed(reg: &DistRegistry, flags: &[&str]) {
    let dst = format!("{}/net-monitor:v1", reg.addr);
    let mut args = vec!["copy", "--from-oci-layout", "assets/net-monitor:v1", &dst];
    args.extend_from_slice(flags);
    refscope(args).current_dir(Path::new(env!("CARGO_MANIFEST_DIR"))).ok();
}

fn tags(reg: &DistRegistry, flags: &[&str]) -> common::Cli {
    let repo = format!("{}/net-monitor", reg.addr);
    let mut args = vec!["repo", "tags", &repo];
    args.extend_from_slice(flags);
    refscope(args)
}

#[test]
fn verification_needs_the_ca_from_a_flag_or_certs_d_or_insecure() {
    let pki = Pki::new();
    let reg = tls_registry(&pki, false);
    let ca = pki.path("ca.crt");
    seed(&reg, &["--ca-file", s(&ca)]);

    let err = tags(&reg, &[]).fails();
    assert!(err.contains("not trusted") && err.contains("--ca-file") && err.contains("certs.d"), "says what to do: {err}");

    assert_eq!(tags(&reg, &["--ca-file", s(&ca)]).ok().trim(), "v1");
    assert_eq!(tags(&reg, &["--insecure"]).ok().trim(), "v1");

    let certs_d = pki.certs_d(&reg.addr, false);
    assert_eq!(tags(&reg, &[]).env("REFSCOPE_CERTS_D", certs_d.path()).ok().trim(), "v1");
    // A certs.d entry for another port is not this registry's.
    let other = pki.certs_d("127.0.0.1:1", false);
    let err = tags(&reg, &[]).env("REFSCOPE_CERTS_D", other.path()).fails();
    assert!(err.contains("not trusted"), "{err}");
}

#[test]
fn a_registry_that_wants_a_client_certificate_gets_one_from_flags_or_certs_d() {
    let pki = Pki::new();
    let reg = tls_registry(&pki, true);
    let (ca, cert, key) = (pki.path("ca.crt"), pki.path("client.crt"), pki.path("client.key"));
    let with_cert = ["--ca-file", s(&ca), "--cert-file", s(&cert), "--key-file", s(&key)];
    seed(&reg, &with_cert);

    assert_eq!(tags(&reg, &with_cert).ok().trim(), "v1");
    let certs_d = pki.certs_d(&reg.addr, true);
    assert_eq!(tags(&reg, &[]).env("REFSCOPE_CERTS_D", certs_d.path()).ok().trim(), "v1");
    let digest = refscope(["resolve", &format!("{}/net-monitor:v1", reg.addr)]).env("REFSCOPE_CERTS_D", certs_d.path()).ok();
    assert!(digest.trim().starts_with("sha256:"), "{digest}");

    let err = tags(&reg, &["--ca-file", s(&ca)]).fails();
    assert!(err.contains("client certificate") && err.contains("--cert-file"), "says what to do: {err}");
}

#[test]
fn bad_tls_files_are_named() {
    let pki = Pki::new();
    let reg = tls_registry(&pki, true);
    let junk = pki.path("junk.crt");
    std::fs::write(&junk, "not a certificate\n").unwrap();
    let err = tags(&reg, &["--ca-file", s(&junk)]).fails();
    assert!(err.contains(s(&junk)) && err.contains("no PEM certificate"), "{err}");

    let (cert, stray) = (pki.path("client.crt"), pki.path("stray.key"));
    let err = tags(&reg, &["--insecure", "--cert-file", s(&cert), "--key-file", s(&stray)]).fails();
    assert!(err.contains(s(&stray)) && err.contains("does not match") && err.contains(s(&cert)), "{err}");

    let err = tags(&reg, &["--insecure", "--cert-file", s(&cert), "--key-file", s(&pki.path("ca.crt"))]).fails();
    assert!(err.contains("no PEM private key"), "{err}");
}

#[test]
fn loopback_registries_get_tls_first_and_plain_http_only_when_they_speak_no_tls() {
    let pki = Pki::new();
    let tls = tls_registry(&pki, false);
    seed(&tls, &["--ca-file", s(&pki.path("ca.crt"))]);
    // With --plain-http the TLS registry is refused its TLS (distribution says so).
    let err = tags(&tls, &["--plain-http"]).fails();
    assert!(err.contains("400"), "{err}");

    let plain = DistRegistry::start();
    seed(&plain, &[]);
    assert_eq!(tags(&plain, &[]).ok().trim(), "v1");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_fallback_to_plain_http_is_remembered() {
    use refscope::store::Target;
    let plain = DistRegistry::start();
    let blob = plain.seeder().blob("r", "application/octet-stream", b"x").await;
    let c = common::registry_client(&plain.addr);
    c.ping().await.unwrap();
    assert_eq!(c.request_count(), 2, "one refused TLS handshake, then plain HTTP");
    c.ping().await.unwrap();
    assert_eq!(c.stat_blob("r", &blob.digest).await.unwrap(), Some(1));
    assert_eq!(c.request_count(), 4, "no more TLS tries after the first answer");
}

#[test]
fn client_certificates_never_go_to_a_redirect_target() {
    let pki = Pki::new();
    let reg = DistRegistry::start();
    seed(&reg, &[]);
    let (target, noted) = Served::start_tls_noting_client_certs(axum::Router::new, &pki);
    let target_addr = target.addr.clone();
    let front = Front::builder()
        .upstream(&reg.addr)
        .rule(move |s: &Seen| s.path().contains("/manifests/").then(|| redirect(format!("https://{target_addr}{}", s.target))))
        .start();
    let (ca, cert, key) = (pki.path("ca.crt"), pki.path("client.crt"), pki.path("client.key"));
    let src = format!("{}/net-monitor:v1", front.addr);
    // The answer from there is a 404; what matters is what reached it.
    let _ = refscope(["manifest", "fetch", &src, "--ca-file", s(&ca), "--cert-file", s(&cert), "--key-file", s(&key)]).output();
    let seen = noted.lock().unwrap().clone();
    assert!(!seen.is_empty(), "the redirect was followed");
    assert!(seen.iter().all(|presented| !presented), "a client certificate went to the redirect target: {seen:?}");

    // The same server sees the certificate when it is the registry: the check above can fail.
    let direct = format!("{}/net-monitor", target.addr);
    let _ = refscope(["repo", "tags", &direct, "--ca-file", s(&ca), "--cert-file", s(&cert), "--key-file", s(&key)]).output();
    assert_eq!(noted.lock().unwrap().last(), Some(&true), "the registry's own origin gets the certificate");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_tui_worker_opens_a_tls_registry() {
    let pki = Pki::new();
    let reg = tls_registry(&pki, true);
    let (ca, cert, key) = (pki.path("ca.crt"), pki.path("client.crt"), pki.path("client.key"));
    seed(&reg, &["--ca-file", s(&ca), "--cert-file", s(&cert), "--key-file", s(&key)]);
    let certs_d = pki.certs_d(&reg.addr, true);
    let flags = refscope::store::open::ConnectFlags::default();
    let chain = refscope::creds::Chain {
        no_keyring: true,
        config_path: Some("/nonexistent/config.json".into()),
        ..Default::default()
    };
    let session = refscope::store::open::Session::new(chain, flags).with_certs_d(vec![certs_d.path().to_path_buf()]);
    let cache = tempfile::tempdir().unwrap();
    let mut start = refscope::tui::Start::anonymous(&format!("{}/net-monitor:v1", reg.addr), Some(cache.path().to_path_buf()));
    start.session = session;
    let mut ui = refscope::tui::headless::Headless::start(start, false).await.unwrap();
    ui.settle_until(|a| a.tree.root().ready().is_some() || a.message.is_some()).await;
    assert!(ui.app.tree.root().ready().is_some(), "the tree loaded: {:?}", ui.app.message.as_ref().map(|m| &m.text));
}

#[test]
fn copy_gives_each_side_its_own_ca_and_client_certificate() {
    let (pa, pb) = (Pki::new(), Pki::new());
    let (a, b) = (tls_registry(&pa, true), tls_registry(&pb, true));
    let file = |pki: &Pki, name: &str| pki.path(name).to_str().unwrap().to_string();
    let (ca_a, cert_a, key_a) = (file(&pa, "ca.crt"), file(&pa, "client.crt"), file(&pa, "client.key"));
    let (ca_b, cert_b, key_b) = (file(&pb, "ca.crt"), file(&pb, "client.crt"), file(&pb, "client.key"));
    seed(&a, &["--ca-file", &ca_a, "--cert-file", &cert_a, "--key-file", &key_a]);
    let src = format!("{}/net-monitor:v1", a.addr);

    // The shared flags name one CA and one certificate, which the other registry refuses.
    let dst = format!("{}/net-monitor:v1", b.addr);
    let err = refscope(["copy", &src, &dst, "--ca-file", &ca_a, "--cert-file", &cert_a, "--key-file", &key_a]).fails();
    assert!(err.contains(&b.addr) && err.contains("not trusted"), "{err}");

    let (from, to) = (["--from-ca-file", &ca_a, "--from-cert-file", &cert_a, "--from-key-file", &key_a], ["--to-ca-file", &ca_b, "--to-cert-file", &cert_b, "--to-key-file", &key_b]);
    refscope(["copy", &src, &dst].into_iter().chain(from).chain(to)).ok();
    assert_eq!(tags(&b, &["--ca-file", &ca_b, "--cert-file", &cert_b, "--key-file", &key_b]).ok().trim(), "v1");

    // --to-cert-file replaces --cert-file for the destination only; the source keeps it, and
    // the CAs add up.
    let other = format!("{}/other:v1", b.addr);
    refscope(["copy", &src, &other, "--cert-file", &cert_a, "--key-file", &key_a, "--ca-file", &ca_a].into_iter().chain(to)).ok();
    // A certificate without its key is refused before anything is sent.
    let out = refscope(["copy", &src, &other, "--to-cert-file", &cert_b]).output();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("required arguments were not provided") && err.contains("--to-key-file"), "{err}");
}

#[test]
fn copy_accepts_any_certificate_only_on_the_side_that_says_so() {
    let (pa, pb) = (Pki::new(), Pki::new());
    let (a, b) = (tls_registry(&pa, false), tls_registry(&pb, false));
    seed(&a, &["--insecure"]);
    let (src, dst) = (format!("{}/net-monitor:v1", a.addr), format!("{}/net-monitor:v1", b.addr));

    let err = refscope(["copy", &src, &dst, "--to-insecure"]).fails();
    assert!(err.contains(&a.addr) && err.contains("not trusted"), "the source is still verified: {err}");
    let err = refscope(["copy", &src, &dst, "--from-insecure"]).fails();
    assert!(err.contains(&b.addr) && err.contains("not trusted"), "the destination is still verified: {err}");
    refscope(["copy", &src, &dst, "--from-insecure", "--to-insecure"]).ok();
    assert_eq!(tags(&b, &["--insecure"]).ok().trim(), "v1");
}
