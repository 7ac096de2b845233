//! Bad input from a registry or a layout: each case gets a clear error and writes nothing
//! outside its place. Lying registries are simulated with wiremock (fault injection only);
//! everything a real registry accepts is stored in a real one.

mod common;

use common::seed::{EMPTY_CONFIG, MANIFEST, tar_gz};
use common::{DistRegistry, refscope};
use refscope::oci::Digest;
use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn host(server: &MockServer) -> String {
    server.uri().trim_start_matches("http://").to_string()
}

async fn lying_manifest_server(served: &[u8], path_str: &str, digest_header: Option<&str>) -> MockServer {
    let server = MockServer::start().await;
    let mut t = ResponseTemplate::new(200)
        .set_body_raw(served.to_vec(), MANIFEST);
    if let Some(d) = digest_header {
        t = t.insert_header("docker-content-digest", d);
    }
    Mock::given(method("GET")).and(path(path_str)).respond_with(t).mount(&server).await;
    server
}

#[tokio::test(flavor = "multi_thread")]
async fn a_manifest_that_does_not_match_its_digest_is_refused() {
    let real = br#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.empty.v1+json","digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":2},"layers":[]}"#;
    let wanted = Digest::sha256_of(b"something else");
    let server = lying_manifest_server(real, &format!("/v2/app/manifests/{wanted}"), None).await;
    let out = refscope(["manifest", "fetch", &format!("{}/app@{wanted}", host(&server))]).output();
    assert!(!out.status.success());
    assert!(out.stdout.is_empty(), "nothing of a bad manifest reaches stdout");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("digest mismatch") && err.contains(&wanted.to_string()), "{err}");

    // By tag, a Docker-Content-Digest that disagrees with the bytes is refused too.
    let liar = Digest::sha256_of(b"lie").to_string();
    let server = lying_manifest_server(real, "/v2/app/manifests/v1", Some(&liar)).await;
    let err = refscope(["manifest", "fetch", &format!("{}/app:v1", host(&server))]).fails();
    assert!(err.contains("digest mismatch"), "{err}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_blob_that_does_not_match_is_not_kept() {
    let claimed = Digest::sha256_of(b"the real content");
    let server = MockServer::start().await;
    Mock::given(method("HEAD"))
        .and(path(format!("/v2/app/blobs/{claimed}")))
        .respond_with(ResponseTemplate::new(200).insert_header("content-length", "16"))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/v2/app/blobs/{claimed}")))
        .respond_with(ResponseTemplate::new(200).set_body_bytes(b"the fake content".to_vec()))
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("out.bin");
    let err = refscope(["blob", "fetch", &format!("{}/app@{claimed}", host(&server)), "-o", file.to_str().unwrap()]).fails();
    assert!(err.contains("digest mismatch"), "{err}");
    assert!(common::tree(dir.path()).is_empty(), "no file, not even a temporary one, is left");

    // The same lie under a pull: the output directory stays empty.
    let layer = json!({"mediaType": "text/plain", "digest": claimed.to_string(), "size": 16,
                       "annotations": {"org.opencontainers.image.title": "file.txt"}});
    let m = json!({"schemaVersion": 2, "mediaType": MANIFEST,
                   "config": {"mediaType": EMPTY_CONFIG, "digest": Digest::sha256_of(b"{}").to_string(), "size": 2},
                   "layers": [layer]});
    Mock::given(method("GET"))
        .and(path("/v2/app/manifests/v1"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(serde_json::to_vec(&m).unwrap(), MANIFEST))
        .mount(&server)
        .await;
    let out = tempfile::tempdir().unwrap();
    let err = refscope(["pull", &format!("{}/app:v1", host(&server)), "-o", out.path().to_str().unwrap()]).fails();
    assert!(err.contains("digest mismatch"), "{err}");
    assert!(common::tree(out.path()).is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn titles_that_escape_the_output_directory_are_refused() {
    let reg = DistRegistry::start();
    let s = reg.seeder();
    for (tag, title) in [("dotdot", "../escape.txt"), ("absolute", "/tmp/refscope-evil.txt"), ("control", "a\u{1b}[31m.txt")] {
        s.artifact("evil", Some(tag), "x/y", &[("ok.txt", "text/plain", b"fine"), (title, "text/plain", b"evil")], None, json!({})).await;
        let parent = tempfile::tempdir().unwrap();
        let out = parent.path().join("out");
        let err = refscope(["pull", &format!("{}/evil:{tag}", reg.addr), "-o", out.to_str().unwrap()]).fails();
        assert!(err.contains("refusing to write"), "{tag}: {err}");
        assert!(!err.contains('\u{1b}'), "control characters are escaped in messages");
        assert!(common::tree(parent.path()).is_empty(), "{tag}: nothing written, not even ok.txt");
    }
    assert!(!std::path::Path::new("/tmp/refscope-evil.txt").exists());
}

async fn push_dir_artifact(s: &common::Seeder, tag: &str, archive: &[u8]) {
    let config = s.blob("evil", EMPTY_CONFIG, b"{}").await;
    let f = s.blob("evil", "text/plain", b"fine").await;
    let d = s.blob("evil", "application/vnd.oci.image.layer.v1.tar+gzip", archive).await;
    let m = json!({"schemaVersion": 2, "mediaType": MANIFEST, "artifactType": "x/y",
        "config": {"mediaType": EMPTY_CONFIG, "digest": config.digest.to_string(), "size": 2},
        "layers": [
            {"mediaType": "text/plain", "digest": f.digest.to_string(), "size": f.size, "annotations": {"org.opencontainers.image.title": "ok.txt"}},
            {"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": d.digest.to_string(), "size": d.size,
             "annotations": {"org.opencontainers.image.title": "details", "io.deis.oras.content.unpack": "true"}}]});
    s.manifest("evil", tag, MANIFEST, &serde_json::to_vec(&m).unwrap()).await;
}

fn tar_with_link(kind: tar::EntryType, name: &str, target: &str, then: Option<(&str, &[u8])>) -> Vec<u8> {
    let mut raw = Vec::new();
    {
        let mut b = tar::Builder::new(&mut raw);
        let mut h = tar::Header::new_gnu();
        h.set_entry_type(kind);
        h.set_size(0);
        h.set_mode(0o777);
        b.append_link(&mut h, name, target).unwrap();
        if let Some((p, c)) = then {
            let mut h = tar::Header::new_gnu();
            h.set_entry_type(tar::EntryType::Regular);
            h.set_size(c.len() as u64);
            h.set_mode(0o644);
            b.append_data(&mut h, p, c).unwrap();
        }
        b.finish().unwrap();
    }
    common::seed::gzip(&raw)
}

#[tokio::test(flavor = "multi_thread")]
async fn tar_entries_that_escape_are_refused_before_anything_is_written() {
    let reg = DistRegistry::start();
    let s = reg.seeder();
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("dotdot", tar_gz(&[("details/", None), ("details/ok.txt", Some(b"ok")), ("details/../../evil.txt", Some(b"evil"))])),
        ("symlink-out", tar_with_link(tar::EntryType::Symlink, "details/link", "/etc", None)),
        ("symlink-up", tar_with_link(tar::EntryType::Symlink, "details/link", "../../..", None)),
        ("through-link", tar_with_link(tar::EntryType::Symlink, "details/link", "sub", Some(("details/link/x.txt", b"x")))),
        ("hardlink-out", tar_with_link(tar::EntryType::Link, "details/hard", "../../etc/passwd", None)),
    ];
    for (tag, archive) in &cases {
        push_dir_artifact(&s, tag, archive).await;
        let parent = tempfile::tempdir().unwrap();
        let out = parent.path().join("out");
        let err = refscope(["pull", &format!("{}/evil:{tag}", reg.addr), "-o", out.to_str().unwrap()]).fails();
        assert!(err.contains("refusing to write"), "{tag}: {err}");
        assert!(common::tree(parent.path()).is_empty(), "{tag}: nothing may be written");
    }
    // A link that stays inside is fine.
    push_dir_artifact(&s, "inside", &tar_with_link(tar::EntryType::Symlink, "details/link", "../ok.txt", None)).await;
    let out = tempfile::tempdir().unwrap();
    refscope(["pull", &format!("{}/evil:inside", reg.addr), "-o", out.path().to_str().unwrap()]).ok();
    assert_eq!(std::fs::read_link(out.path().join("details/link")).unwrap().to_str(), Some("../ok.txt"));
}

#[tokio::test(flavor = "multi_thread")]
async fn referrers_indexes_that_list_their_subject_or_loop() {
    let reg = DistRegistry::start();
    let s = reg.seeder();
    let image = s.image("loop", "v1", b"l").await;
    let sig = s.artifact("loop", None, "signature/example", &[("s", "text/plain", b"s")], Some(&image), json!({})).await;
    // The subject lists itself, and its signature lists the subject back: a loop.
    s.fallback_index("loop", &image, &[(image.clone(), "image"), (sig.clone(), "signature/example")]).await;
    s.fallback_index("loop", &sig, &[(image.clone(), "image")]).await;
    // An entry whose manifest names another subject, and one that does not exist.
    let other = s.image("loop", "other", b"o").await;
    let stranger = s.artifact("loop", None, "sbom/example", &[("x", "text/plain", b"x")], Some(&other), json!({})).await;
    // A referrer deleted without index upkeep: listed, but gone.
    let ghost = s.artifact("loop", None, "ghost/example", &[("g", "text/plain", b"g")], Some(&image), json!({})).await;
    s.fallback_index("loop", &image, &[(image.clone(), "image"), (sig.clone(), "signature/example"), (stranger.clone(), "sbom/example"), (ghost.clone(), "ghost/example")])
        .await;
    let del = s.client.delete(format!("{}/v2/loop/manifests/{}", s.base, ghost.digest)).send().await.unwrap();
    assert_eq!(del.status(), 202);
    let r = format!("{}/loop:v1", reg.addr);
    let out = refscope(["discover", &r]).output();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let tree = String::from_utf8(out.stdout).unwrap();
    assert_eq!(tree, format!("{r}\n└── signature/example\n    └── {}\n", sig.digest));
    let warnings = String::from_utf8_lossy(&out.stderr);
    assert!(warnings.contains(&format!("its subject is {}", other.digest)), "{warnings}");
    assert!(warnings.contains("does not exist"), "{warnings}");
}

/// Writes a layout by hand, with a manifest of the given bytes tagged `v1`.
fn layout_with(manifest: &[u8]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let d = Digest::sha256_of(manifest);
    std::fs::create_dir_all(dir.path().join("blobs/sha256")).unwrap();
    std::fs::write(dir.path().join("oci-layout"), r#"{"imageLayoutVersion":"1.0.0"}"#).unwrap();
    std::fs::write(dir.path().join("blobs/sha256").join(d.hex()), manifest).unwrap();
    let index = json!({"schemaVersion": 2, "manifests": [{"mediaType": MANIFEST, "digest": d.to_string(), "size": manifest.len(),
        "annotations": {"org.opencontainers.image.ref.name": "v1"}}]});
    std::fs::write(dir.path().join("index.json"), index.to_string()).unwrap();
    dir
}

#[test]
fn oversized_and_malformed_manifests_are_refused() {
    let big = format!(
        r#"{{"schemaVersion":2,"mediaType":"{MANIFEST}","config":{{"mediaType":"x","digest":"{}","size":2}},"layers":[],"annotations":{{"pad":"{}"}}}}"#,
        Digest::sha256_of(b"{}"),
        "x".repeat(5 * 1024 * 1024)
    );
    let dir = layout_with(big.as_bytes());
    let r = format!("{}:v1", dir.path().display());
    let err = refscope(["manifest", "fetch", "--oci-layout", &r]).fails();
    assert!(err.contains("over the 4194304-byte limit"), "{err}");

    let dir = layout_with(b"{\"schemaVersion\": 2, \"config\": ");
    let r = format!("{}:v1", dir.path().display());
    let err = refscope(["pull", "--oci-layout", &r]).fails();
    assert!(err.contains("malformed manifest JSON"), "{err}");
    let err = refscope(["manifest", "fetch", "--pretty", "--oci-layout", &r]).fails();
    assert!(err.contains("not JSON"), "{err}");

    // Tampered blob in a layout: the digest check catches it.
    let good = format!(r#"{{"schemaVersion":2,"mediaType":"{MANIFEST}","config":{{"mediaType":"x","digest":"{}","size":2}},"layers":[]}}"#, Digest::sha256_of(b"{}"));
    let dir = layout_with(good.as_bytes());
    let d = Digest::sha256_of(good.as_bytes());
    std::fs::write(dir.path().join("blobs/sha256").join(d.hex()), good.replace("\"x\"", "\"y\"")).unwrap();
    let err = refscope(["manifest", "fetch", "--oci-layout", &format!("{}:v1", dir.path().display())]).fails();
    assert!(err.contains("digest mismatch"), "{err}");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_oversized_manifest_from_a_registry_is_refused_unread() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v2/app/manifests/v1"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(vec![b' '; 5 * 1024 * 1024], MANIFEST))
        .mount(&server)
        .await;
    let err = refscope(["manifest", "fetch", &format!("{}/app:v1", host(&server))]).fails();
    assert!(err.contains("over the 4194304-byte limit"), "{err}");
    Mock::given(method("GET"))
        .and(path("/v2/app/manifests/bad"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(b"{\"schemaVersion\":2,\"layers\":[1e999]".to_vec(), MANIFEST))
        .mount(&server)
        .await;
    let err = refscope(["pull", &format!("{}/app:bad", host(&server))]).fails();
    assert!(err.contains("malformed manifest JSON"), "{err}");
}

#[tokio::test(flavor = "multi_thread")]
async fn deep_chains_and_wide_fans_are_walked_whole() {
    let reg = DistRegistry::start();
    let s = reg.seeder();
    let root = s.image("deep", "v1", b"root").await;
    // A chain 60 deep: each artifact the subject of the next.
    let mut parent = root.clone();
    for i in 0..60 {
        let a = s.artifact("deep", None, "chain/example", &[("f", "text/plain", format!("{i}").as_bytes())], Some(&parent), json!({})).await;
        s.fallback_index("deep", &parent, &[(a.clone(), "chain/example")]).await;
        parent = a;
    }
    let json: serde_json::Value = serde_json::from_str(&refscope(["discover", "-o", "json", &format!("{}/deep:v1", reg.addr)]).ok()).unwrap();
    let mut depth = 0;
    let mut at = &json;
    while let Some(next) = at["manifests"].get(0) {
        depth += 1;
        at = next;
    }
    assert_eq!(depth, 60);
    assert_eq!(at["digest"], parent.digest.to_string());

    // 1500 referrers on one node, listed in one index: one shared layer, a manifest each
    // (told apart by an annotation), seeded 16 at a time.
    use futures_util::StreamExt;
    let fan_root = s.image("fan", "v1", b"fan").await;
    let config = s.blob("fan", EMPTY_CONFIG, b"{}").await;
    let layer = s.blob("fan", "text/plain", b"shared").await;
    let made: Vec<refscope::oci::Descriptor> = futures_util::stream::iter((0..1500).map(|i| {
        let (s, fan_root, config, layer) = (&s, &fan_root, &config, &layer);
        async move {
            let m = json!({"schemaVersion": 2, "mediaType": MANIFEST, "artifactType": "fan/example",
                "config": {"mediaType": EMPTY_CONFIG, "digest": config.digest.to_string(), "size": 2},
                "layers": [{"mediaType": "text/plain", "digest": layer.digest.to_string(), "size": layer.size}],
                "subject": {"mediaType": fan_root.media_type, "digest": fan_root.digest.to_string(), "size": fan_root.size},
                "annotations": {"n": i.to_string()}});
            let bytes = serde_json::to_vec(&m).unwrap();
            s.manifest("fan", &Digest::sha256_of(&bytes).to_string(), MANIFEST, &bytes).await
        }
    }))
    .buffer_unordered(16)
    .collect()
    .await;
    let entries: Vec<_> = made.into_iter().map(|a| (a, "fan/example")).collect();
    s.fallback_index("fan", &fan_root, &entries).await;
    let tree = refscope(["discover", &format!("{}/fan:v1", reg.addr)]).ok();
    assert_eq!(tree.lines().filter(|l| l.contains("sha256:")).count(), 1500);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_fallback_tag_that_is_the_subject_itself_lists_nothing() {
    let reg = DistRegistry::start();
    let s = reg.seeder();
    let img = s.image("gl", "v1", b"x").await;
    let bytes = common::read_manifest_bytes(&s, "gl", "v1").await;
    // Some registries answer the sha256-<hex> tag with the subject itself.
    s.manifest("gl", &img.digest.fallback_tag(), MANIFEST, &bytes).await;
    let r = format!("{}/gl:v1", reg.addr);
    assert_eq!(refscope(["discover", &r]).ok(), format!("{r}\n"));
    let w = common::walkthrough_files();
    let err = refscope(["attach", &r, "--artifact-type", "sig/example", "./signature.json"]).current_dir(w.path()).fails();
    assert!(err.contains("not a referrers index; refusing to overwrite it"), "{err}");
}

#[tokio::test(flavor = "multi_thread")]
async fn links_and_locations_to_other_hosts_get_no_credentials() {
    let evil = MockServer::start().await;
    Mock::given(wiremock::matchers::any()).respond_with(ResponseTemplate::new(200).set_body_string("{\"repositories\":[\"stolen\"]}")).mount(&evil).await;
    let reg = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v2/_catalog"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_string("{\"repositories\":[\"a\"]}")
                .insert_header("link", format!("<{}/v2/_catalog?last=a>; rel=\"next\"", evil.uri()).as_str()),
        )
        .mount(&reg)
        .await;
    let err = refscope(["repo", "ls", &host(&reg), "-u", "alice", "-p", "s3cret"]).fails();
    assert!(err.contains("another origin") && err.contains("not followed"), "{err}");
    assert!(evil.received_requests().await.unwrap().is_empty(), "nothing, and no credentials, went to the other host");

    // An upload whose Location sends the bytes elsewhere: they go, but never with our credentials.
    let storage = MockServer::start().await;
    Mock::given(method("PUT")).respond_with(ResponseTemplate::new(201)).mount(&storage).await;
    let up = MockServer::start().await;
    Mock::given(method("HEAD")).respond_with(ResponseTemplate::new(404)).mount(&up).await;
    Mock::given(method("POST"))
        .and(path("/v2/app/blobs/uploads/"))
        .respond_with(ResponseTemplate::new(401).insert_header("www-authenticate", "Basic realm=\"r\""))
        .up_to_n_times(1)
        .mount(&up)
        .await;
    Mock::given(method("POST"))
        .and(path("/v2/app/blobs/uploads/"))
        .respond_with(ResponseTemplate::new(202).insert_header("location", format!("{}/upload/123?state=x", storage.uri()).as_str()))
        .mount(&up)
        .await;
    Mock::given(method("PUT")).and(path("/v2/app/manifests/v1")).respond_with(ResponseTemplate::new(201)).mount(&up).await;
    let w = common::walkthrough_files();
    refscope(["push", &format!("{}/app:v1", host(&up)), "-u", "alice", "-p", "s3cret", "./readme.md"]).current_dir(w.path()).ok();
    let puts = storage.received_requests().await.unwrap();
    assert!(!puts.is_empty(), "the blobs went to the Location");
    for r in puts {
        assert!(r.headers.get("authorization").is_none(), "credentials followed to another host");
    }
    let posts = up.received_requests().await.unwrap();
    assert!(posts.iter().any(|r| r.headers.get("authorization").is_some()), "the registry itself did get them");
}

#[tokio::test(flavor = "multi_thread")]
async fn control_characters_in_tags_are_escaped_and_bad_tar_names_refused() {
    let reg = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v2/app/tags/list"))
        .respond_with(ResponseTemplate::new(200).set_body_string("{\"name\":\"app\",\"tags\":[\"v1\",\"\\u001b]52;c;ZXZpbA==\\u0007\",\"\\u001b[2Jwipe\"]}"))
        .mount(&reg)
        .await;
    let out = refscope(["repo", "tags", &format!("{}/app", host(&reg))]).output();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(!stdout.contains('\u{1b}') && !stdout.contains('\u{7}'), "no raw control characters reach the terminal: {stdout:?}");
    assert!(stdout.contains("\\x1b[2Jwipe"), "{stdout}");

    let dist = DistRegistry::start();
    let s = dist.seeder();
    let mut raw = Vec::new();
    {
        let mut b = tar::Builder::new(&mut raw);
        let mut h = tar::Header::new_gnu();
        h.set_entry_type(tar::EntryType::Regular);
        h.set_size(1);
        h.set_mode(0o644);
        h.as_old_mut().name[..9].copy_from_slice(b"details/\xff");
        h.set_cksum();
        b.append(&h, &b"x"[..]).unwrap();
        b.finish().unwrap();
    }
    push_dir_artifact(&s, "utf8", &common::seed::gzip(&raw)).await;
    let parent = tempfile::tempdir().unwrap();
    let err = refscope(["pull", &format!("{}/evil:utf8", dist.addr), "-o", parent.path().join("o").to_str().unwrap()]).fails();
    assert!(err.contains("not UTF-8"), "{err}");
    assert!(common::tree(parent.path()).is_empty());
}
