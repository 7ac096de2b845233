//! The read side against a real CNCF distribution (no Referrers API: the tag-schema fallback).

mod common;

use common::seed::{MANIFEST, tar_gz};
use common::{DistConfig, DistRegistry, refscope};
use refscope::oci::Digest;
use refscope::store::registry::{Registry, RegistryOptions};
use refscope::store::{PageRequest, Pager, Target};
use serde_json::{Value, json};

fn registry(addr: &str) -> Registry {
    let chain = refscope::creds::Chain {
        no_keyring: true,
        config_path: Some("/nonexistent/config.json".into()),
        ..Default::default()
    };
    Registry::new(addr, RegistryOptions::default(), std::sync::Arc::new(chain)).unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn catalog_pages_follow_link_headers() {
    let reg = DistRegistry::start();
    let s = reg.seeder();
    let repos = ["alpha", "b/c", "b/d", "mid/x", "zulu"];
    for r in repos {
        s.image(r, "v1", b"layer").await;
    }
    let client = registry(&reg.addr);
    let mut pager = Pager::new(PageRequest { n: 2, ..Default::default() });
    let mut pages = 0;
    while let Some(req) = pager.request() {
        let page = client.catalog_page(&req).await.unwrap();
        assert!(page.items.len() <= 2);
        pager.advance(&page).unwrap();
        pager.items.extend(page.items);
        pages += 1;
    }
    assert_eq!(pager.items, repos);
    assert!(pages >= 3, "distribution pages a catalog of 5 by 2: {pages} pages");

    let all = refscope(["repo", "ls", &reg.addr]).ok();
    assert_eq!(all, "alpha\nb/c\nb/d\nmid/x\nzulu\n");
    let ns = refscope(["repo", "ls", &format!("{}/b", reg.addr)]).ok();
    assert_eq!(ns, "c\nd\n");
    let after = refscope(["repo", "ls", &reg.addr, "--last", "mid/x"]).ok();
    assert_eq!(after, "zulu\n");
}

#[tokio::test(flavor = "multi_thread")]
async fn tags_are_sorted_and_digest_tags_can_be_hidden() {
    let reg = DistRegistry::start();
    let s = reg.seeder();
    let img = s.image("app", "v2", b"l").await;
    let bytes = common::read_manifest_bytes(&s, "app", "v2").await;
    for t in ["v10", "alpha", &img.digest.fallback_tag(), "v1"] {
        s.manifest("app", t, MANIFEST, &bytes).await;
    }
    let r = format!("{}/app", reg.addr);
    let fallback = img.digest.fallback_tag();
    assert_eq!(
        refscope(["repo", "tags", &r]).ok(),
        format!("alpha\n{fallback}\nv1\nv10\nv2\n")
    );
    assert_eq!(refscope(["repo", "tags", &r, "--exclude-digest-tags"]).ok(), "alpha\nv1\nv10\nv2\n");
    assert_eq!(refscope(["repo", "tags", &r, "--last", "v1", "--exclude-digest-tags"]).ok(), "v10\nv2\n");
    // Tags on another manifest are not the digest's.
    s.image("app", "other", b"another layer").await;
    let other_bytes = common::read_manifest_bytes(&s, "app", "other").await;
    s.manifest("app", "beta", MANIFEST, &other_bytes).await;
    let by_digest = format!("{r}@{}", img.digest);
    assert_eq!(refscope(["repo", "tags", &by_digest, "--exclude-digest-tags"]).ok(), "alpha\nv1\nv10\nv2\n");
    assert_eq!(refscope(["repo", "tags", &r, "--exclude-digest-tags"]).ok(), "alpha\nbeta\nother\nv1\nv10\nv2\n");
}

#[tokio::test(flavor = "multi_thread")]
async fn manifest_fetch_is_byte_exact_and_resolve_agrees() {
    let reg = DistRegistry::start();
    let s = reg.seeder();
    let config = s.blob("app", "application/vnd.oci.image.config.v1+json", b"{}").await;
    // Odd spacing and key order: any re-serialization would change the bytes and the digest.
    let raw = format!(
        "{{ \"schemaVersion\" : 2,\n  \"config\": {{\"size\": 2, \"digest\": \"{}\", \"mediaType\": \"application/vnd.oci.image.config.v1+json\"}},\n  \"mediaType\": \"{MANIFEST}\", \"layers\": [ ] }}",
        config.digest
    );
    let d = s.manifest("app", "odd", MANIFEST, raw.as_bytes()).await;
    let r = format!("{}/app:odd", reg.addr);
    let out = refscope(["manifest", "fetch", &r]).output();
    assert!(out.status.success());
    assert_eq!(out.stdout, raw.as_bytes());
    assert_eq!(refscope(["resolve", &r]).ok(), format!("{}\n", d.digest));
    assert_eq!(
        refscope(["resolve", "-l", &r]).ok(),
        format!("{}/app@{}\n", reg.addr, d.digest)
    );
    let desc: Value = serde_json::from_str(&refscope(["manifest", "fetch", "--descriptor", &r]).ok()).unwrap();
    assert_eq!(desc, json!({"mediaType": MANIFEST, "digest": d.digest.to_string(), "size": raw.len()}));
    let pretty = refscope(["manifest", "fetch", "--pretty", &format!("{}/app@{}", reg.addr, d.digest)]).ok();
    assert!(pretty.starts_with("{\n  \"schemaVersion\": 2,\n  \"config\""), "pretty keeps key order: {pretty}");
    let missing = refscope(["manifest", "fetch", &format!("{}/app:nope", reg.addr)]).fails();
    assert!(missing.contains("not found"), "{missing}");
}

#[tokio::test(flavor = "multi_thread")]
async fn blob_fetch_is_verified_to_file_and_stdout() {
    let reg = DistRegistry::start();
    let s = reg.seeder();
    let content: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
    let d = s.blob("app", "application/octet-stream", &content).await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("blob.bin");
    let r = format!("{}/app@{}", reg.addr, d.digest);
    refscope(["blob", "fetch", &r, "-o", file.to_str().unwrap()]).ok();
    assert_eq!(common::read(&file), content);
    let out = refscope(["blob", "fetch", &r, "-o", "-"]).output();
    assert_eq!(out.stdout, content);
    let missing = format!("{}/app@{}", reg.addr, Digest::sha256_of(b"absent"));
    let err = refscope(["blob", "fetch", &missing, "-o", "-"]).fails();
    assert!(err.contains("not found"), "{err}");
    let no_digest = refscope(["blob", "fetch", &format!("{}/app:v1", reg.addr), "-o", "-"]).fails();
    assert!(no_digest.contains("names no digest"), "{no_digest}");
}

#[tokio::test(flavor = "multi_thread")]
async fn discover_walks_a_seeded_graph_through_the_tag_schema() {
    let reg = DistRegistry::start();
    let s = reg.seeder();
    let g = common::seed_walkthrough(&s, "net-monitor").await;
    let r = format!("{}/net-monitor:v1", reg.addr);
    let tree = refscope(["discover", &r]).ok();
    let expected = format!(
        "{r}\n├── readme/example\n│   └── {}\n├── sbom/example\n│   └── {}\n│       └── signature/example\n│           └── {}\n└── signature/example\n    └── {}\n",
        g.readme.digest, g.sbom.digest, g.sbom_sig.digest, g.sig.digest
    );
    assert_eq!(tree, expected);

    let json: Value = serde_json::from_str(&refscope(["discover", "-o", "json", "--artifact-type", "sbom/example", &r]).ok()).unwrap();
    assert_eq!(json["manifests"][0]["digest"], g.sbom.digest.to_string());
    assert_eq!(json["manifests"].as_array().unwrap().len(), 1);
    assert_eq!(json["digest"], g.image.digest.to_string());
    assert_eq!(json["reference"], format!("{}/net-monitor@{}", reg.addr, g.image.digest));

    let full: Value = serde_json::from_str(&refscope(["discover", "--format", "json", &r]).ok()).unwrap();
    let sbom = full["manifests"].as_array().unwrap().iter().find(|m| m["artifactType"] == "sbom/example").unwrap();
    assert_eq!(sbom["manifests"][0]["digest"], g.sbom_sig.digest.to_string());
    assert_eq!(sbom["annotations"]["org.opencontainers.image.created"], "2025-01-01T00:00:02Z");

    let shallow = refscope(["discover", "--depth", "1", &r]).ok();
    let first_level = format!(
        "{r}\n├── readme/example\n│   └── {}\n├── sbom/example\n│   └── {}\n└── signature/example\n    └── {}\n",
        g.readme.digest, g.sbom.digest, g.sig.digest
    );
    assert_eq!(shallow, first_level, "the referrers of the image, not theirs");
    let table = refscope(["discover", "-o", "table", &r]).ok();
    assert!(table.starts_with("Discovered 3 artifact(s) referencing v1\n"), "{table}");

    // The library reports the mode it found: no Referrers API on distribution.
    let client = registry(&reg.addr);
    let refs = client.referrers("net-monitor", &g.image.digest, None).await.unwrap();
    assert_eq!(refs.mode, refscope::store::ReferrersMode::TagSchema);
    assert_eq!(client.referrers_mode("net-monitor"), Some(refscope::store::ReferrersMode::TagSchema));
}

#[tokio::test(flavor = "multi_thread")]
async fn pull_writes_files_and_unpacks_directories() {
    let reg = DistRegistry::start();
    let s = reg.seeder();
    let readme = b"# readme\n".to_vec();
    let details = tar_gz(&[("details/", None), ("details/a.txt", Some(b"alpha")), ("details/sub/", None), ("details/sub/b.txt", Some(b"beta"))]);
    let config = s.blob("samples/artifact", common::seed::EMPTY_CONFIG, b"{}").await;
    let f = s.blob("samples/artifact", "application/markdown", &readme).await;
    let dir_blob = s.blob("samples/artifact", "application/vnd.oci.image.layer.v1.tar+gzip", &details).await;
    let tar_digest = {
        use std::io::Read;
        let mut raw = Vec::new();
        flate2::read::GzDecoder::new(&details[..]).read_to_end(&mut raw).unwrap();
        Digest::sha256_of(&raw)
    };
    let m = json!({
        "schemaVersion": 2, "mediaType": MANIFEST, "artifactType": "readme/example",
        "config": {"mediaType": common::seed::EMPTY_CONFIG, "digest": config.digest.to_string(), "size": 2},
        "layers": [
            {"mediaType": "application/markdown", "digest": f.digest.to_string(), "size": f.size,
             "annotations": {"org.opencontainers.image.title": "readme.md"}},
            {"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": dir_blob.digest.to_string(), "size": dir_blob.size,
             "annotations": {"org.opencontainers.image.title": "details", "io.deis.oras.content.unpack": "true",
                             "io.deis.oras.content.digest": tar_digest.to_string()}}
        ]
    });
    s.manifest("samples/artifact", "readme", MANIFEST, &serde_json::to_vec(&m).unwrap()).await;
    let out = tempfile::tempdir().unwrap();
    let stdout = refscope(["pull", &format!("{}/samples/artifact:readme", reg.addr), "-o", out.path().to_str().unwrap()]).ok();
    assert!(stdout.contains("Pulled [registry]"), "{stdout}");
    let files = common::tree(out.path());
    let names: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["details/a.txt", "details/sub/b.txt", "readme.md"]);
    assert_eq!(files[2].1, readme);
    assert_eq!(files[0].1, b"alpha");
}

#[tokio::test(flavor = "multi_thread")]
async fn basic_auth_with_htpasswd() {
    let reg = DistRegistry::start_with(DistConfig {
        users: vec![("alice".into(), "s3cret".into())],
        ..Default::default()
    });
    let s = reg.seeder().with_basic("alice", "s3cret");
    s.image("private/app", "v1", b"x").await;
    let r = format!("{}/private/app:v1", reg.addr);

    let anon = refscope(["resolve", &r]).fails();
    assert_eq!(
        anon,
        format!("Error: 401 from {0}: run `refscope login {0}` or pass -u/-p", reg.addr)
    );
    let wrong = refscope(["resolve", &r, "-u", "alice", "-p", "nope"]).fails();
    assert!(wrong.contains("credentials from -u/-p were rejected"), "{wrong}");
    assert!(!wrong.contains("nope"), "the password must not be printed: {wrong}");

    refscope(["resolve", &r, "-u", "alice", "-p", "s3cret"]).ok();
    refscope(["resolve", &r, "-u", "alice", "--password-stdin"]).stdin(b"s3cret\n").ok();
    refscope(["resolve", &r]).env("REFSCOPE_USERNAME", "alice").env("REFSCOPE_PASSWORD", "s3cret").ok();

    // Docker's config.json: an `auths` entry, via --registry-config and via DOCKER_CONFIG.
    let cfg_dir = tempfile::tempdir().unwrap();
    let auth = base64_encode("alice:s3cret");
    std::fs::write(cfg_dir.path().join("config.json"), json!({"auths": {&reg.addr: {"auth": auth}}}).to_string()).unwrap();
    let cfg = cfg_dir.path().join("config.json");
    refscope(["resolve", &r, "--registry-config", cfg.to_str().unwrap()]).ok();
    refscope(["resolve", &r]).env("DOCKER_CONFIG", cfg_dir.path()).ok();

    // A credential helper (credHelpers) that nobody here wrote into refscope: a shell script.
    let bin = tempfile::tempdir().unwrap();
    let helper = bin.path().join("docker-credential-fake");
    std::fs::write(
        &helper,
        format!("#!/bin/sh\nread server\nif [ \"$1\" = get ] && [ \"$server\" = \"{}\" ]; then echo '{{\"Username\":\"alice\",\"Secret\":\"s3cret\"}}'; else echo 'credentials not found' >&2; exit 1; fi\n", reg.addr),
    )
    .unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&helper, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let helper_cfg = cfg_dir.path().join("helpers.json");
    std::fs::write(&helper_cfg, json!({"credHelpers": {&reg.addr: "fake"}}).to_string()).unwrap();
    let path = format!("{}:{}", bin.path().display(), std::env::var("PATH").unwrap_or_default());
    refscope(["resolve", &r, "--registry-config", helper_cfg.to_str().unwrap()]).env("PATH", &path).ok();
    // credsStore for every registry; a helper that has nothing for this one means anonymous.
    let store_cfg = cfg_dir.path().join("store.json");
    std::fs::write(&store_cfg, json!({"credsStore": "fake"}).to_string()).unwrap();
    refscope(["resolve", &r, "--registry-config", store_cfg.to_str().unwrap()]).env("PATH", &path).ok();
    let other = DistRegistry::start_with(DistConfig {
        users: vec![("bob".into(), "pw".into())],
        ..Default::default()
    });
    let err = refscope(["resolve", &format!("{}/x:v1", other.addr), "--registry-config", store_cfg.to_str().unwrap()])
        .env("PATH", &path)
        .fails();
    assert!(err.contains(&format!("401 from {}", other.addr)), "{err}");
}

fn base64_encode(s: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(s)
}
