//! The write verbs' edges: faults mid-copy, concurrent attaches, login/logout, deletes
//! refused by the registry, reproducible pushes.

mod common;

use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use common::proxy::{Faults, Proxy};
use common::{DistConfig, DistRegistry, refscope};


/// Starts refscope in the background with a private HOME.
fn spawn_refscope(args: &[&str], home: &std::path::Path) -> std::process::Child {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_refscope"));
    cmd.args(args).stdout(Stdio::piped()).stderr(Stdio::piped());
    common::isolate(&mut cmd, home);
    cmd.spawn().unwrap()
}

fn completed_blobs(reg: &DistRegistry) -> usize {
    let root = reg.dir.path().join("data/docker/registry/v2/blobs/sha256");
    let Ok(prefixes) = std::fs::read_dir(root) else { return 0 };
    prefixes
        .filter_map(|p| p.ok())
        .filter_map(|p| std::fs::read_dir(p.path()).ok())
        .flatten()
        .filter_map(|b| b.ok())
        .filter(|b| b.path().join("data").exists())
        .count()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_registry_stopped_mid_copy_leaves_no_tag_and_a_rerun_finishes() {
    let src = DistRegistry::start();
    let mut dst = DistRegistry::start();
    let s = src.seeder();
    let (root, _) = s.image_with_layers("big", "v1", &common::noise_layers(1, &[12 << 20; 8])).await;

    // The third layer's upload is held back until the registry is gone, so the copy is
    // caught in the middle whatever the machine's speed.
    let held = Proxy::start(&dst.addr, Faults { hold_uploads_after: Some(30 << 20), ..Default::default() });
    let home = tempfile::tempdir().unwrap();
    let child = spawn_refscope(
        &["copy", "--concurrency", "1", &format!("{}/big:v1", src.addr), &format!("{}/big:v1", held.addr)],
        home.path(),
    );
    held.wait_until_held();
    assert!(completed_blobs(&dst) >= 2, "two layers went before the hold");
    dst.stop();
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "the copy cannot succeed with its destination gone");
    assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
    assert!(stderr.starts_with("Error: ") && !stderr.contains("panicked"), "{stderr}");
    assert!(stderr.contains(&held.addr), "the error names the registry: {stderr}");
    let args = ["copy", "--concurrency", "1", &format!("{}/big:v1", src.addr), &format!("{}/big:v1", dst.addr)];

    dst.restart();
    assert!(dst.seeder().tags("big").await.is_empty(), "no tag on an incomplete graph");
    let arrived = completed_blobs(&dst);
    let rerun = refscope(args).ok();
    let skipped = rerun.lines().filter(|l| l.starts_with("Skipped")).count();
    assert!(skipped >= arrived.min(9) - 1, "blobs that arrived are skipped ({arrived} there):\n{rerun}");
    assert_eq!(common::digest_line(&rerun), root.digest.to_string());
    assert_eq!(refscope(["resolve", &format!("{}/big:v1", dst.addr)]).ok().trim(), root.digest.to_string());
}

/// A registry killed while linking a blob can leave the link empty; distribution then
/// answers 500 to every check of that blob. A copy cannot tell whether the blob is there, so
/// it sends it again, and the upload repairs the link.
#[tokio::test(flavor = "multi_thread")]
async fn a_blob_the_destination_cannot_vouch_for_is_sent_again() {
    let src = DistRegistry::start();
    let dst = DistRegistry::start();
    let root = src.seeder().image("app", "v1", b"layer bytes").await;
    let (from, to) = (format!("{}/app:v1", src.addr), format!("{}/app:v1", dst.addr));
    refscope(["copy", &from, &to]).ok();
    // Break the layer's link as a crash would, and take the manifest away so the copy
    // has something to do.
    let layer = refscope::oci::Digest::sha256_of(b"layer bytes");
    let link = dst.dir.path().join(format!("data/docker/registry/v2/repositories/app/_layers/sha256/{}/link", layer.hex()));
    std::fs::write(&link, b"").unwrap();
    let head = reqwest::Client::new().head(format!("http://{}/v2/app/blobs/{layer}", dst.addr)).send().await.unwrap();
    assert_eq!(head.status().as_u16(), 500, "the broken link is what distribution trips on");
    refscope(["manifest", "delete", "--force", &format!("{}/app@{}", dst.addr, root.digest)]).ok();

    let out = refscope(["copy", &from, &to]).ok();
    assert_eq!(common::digest_line(&out), root.digest.to_string());
    let head = reqwest::Client::new().head(format!("http://{}/v2/app/blobs/{layer}", dst.addr)).send().await.unwrap();
    assert_eq!(head.status().as_u16(), 200, "the upload repaired the link");
    assert_eq!(refscope(["resolve", &to]).ok().trim(), root.digest.to_string());
}

#[tokio::test(flavor = "multi_thread")]
async fn concurrent_attaches_to_one_subject_are_all_listed() {
    let reg = DistRegistry::start();
    let image_digest = common::put_demo_image(&reg.addr, "app");
    let image = format!("{}/app:v1", reg.addr);
    let w = tempfile::tempdir().unwrap();
    let home = tempfile::tempdir().unwrap();
    let mut expected = Vec::new();
    for round in 0..3 {
        let children: Vec<_> = (0..2)
            .map(|i| {
                let f = w.path().join(format!("sig-{round}-{i}.json"));
                std::fs::write(&f, format!("{{\"round\":{round},\"i\":{i}}}")).unwrap();
                spawn_refscope(&["attach", &image, "--artifact-type", "signature/example", f.to_str().unwrap()], home.path())
            })
            .collect();
        for c in children {
            let out = c.wait_with_output().unwrap();
            assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
            expected.push(common::digest_line(&String::from_utf8_lossy(&out.stdout)));
        }
        let tree = refscope(["discover", &image]).ok();
        for d in &expected {
            assert!(tree.contains(d.as_str()), "round {round}: {d} lost:\n{tree}");
        }
    }
    // Nothing stale: the image, six signatures and exactly one index remain.
    let mut stored = reg.stored_manifests("app");
    stored.retain(|d| *d != image_digest && !expected.contains(d));
    assert_eq!(stored.len(), 1, "one referrers index, no superseded ones: {stored:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn login_verifies_stores_and_logout_forgets() {
    let reg = DistRegistry::start_with(DistConfig { users: vec![("alice".into(), "s3cret".into())], ..Default::default() });
    reg.seeder().with_basic("alice", "s3cret").image("app", "v1", b"x").await;
    let cfg = tempfile::tempdir().unwrap();
    let with_cfg = |args: &[&str]| refscope(args).env("DOCKER_CONFIG", cfg.path());

    let err = with_cfg(&["login", &reg.addr, "-u", "alice", "--password-stdin"]).stdin(b"wrong\n").fails();
    assert!(err.contains("rejected"), "{err}");
    assert!(!cfg.path().join("config.json").exists(), "nothing stored after a failed login");

    let out = with_cfg(&["login", &reg.addr, "-u", "alice", "--password-stdin"]).stdin(b"s3cret\n").output();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("Login Succeeded") && stdout.contains("config.json"), "{stdout}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("unencrypted"), "a visible warning");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(cfg.path().join("config.json")).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    with_cfg(&["resolve", &format!("{}/app:v1", reg.addr)]).ok();
    assert!(with_cfg(&["logout", &reg.addr]).ok().contains("Removed credentials"));
    assert!(with_cfg(&["resolve", &format!("{}/app:v1", reg.addr)]).fails().contains("401"));

    // With a credential helper configured, the secret goes to the helper, not the file.
    let bin = tempfile::tempdir().unwrap();
    let log = bin.path().join("stored.json");
    let helper = bin.path().join("docker-credential-rec");
    std::fs::write(&helper, format!("#!/bin/sh\n[ \"$1\" = store ] && cat > {} && exit 0\nexit 1\n", log.display())).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&helper, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    std::fs::write(cfg.path().join("config.json"), serde_json::json!({"credHelpers": {&reg.addr: "rec"}}).to_string()).unwrap();
    let path = format!("{}:{}", bin.path().display(), std::env::var("PATH").unwrap_or_default());
    let out = with_cfg(&["login", &reg.addr, "-u", "alice", "-p", "s3cret"]).env("PATH", &path).ok();
    assert!(out.contains("docker-credential-rec"), "{out}");
    let stored: serde_json::Value = serde_json::from_slice(&common::read(&log)).unwrap();
    assert_eq!(stored["Username"], "alice");
    assert_eq!(stored["Secret"], "s3cret");
    assert!(!String::from_utf8_lossy(&common::read(cfg.path().join("config.json"))).contains("s3cret"));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_registry_without_deletes_gets_a_clear_message_and_nothing_half_done() {
    let reg = DistRegistry::start_with(DistConfig { deletes_disabled: true, ..Default::default() });
    common::put_demo_image(&reg.addr, "app");
    let w = common::walkthrough_files();
    let image = format!("{}/app:v1", reg.addr);
    refscope(["attach", &image, "--artifact-type", "sbom/example", "./sbom.json"]).current_dir(w.path()).ok();
    let before = refscope(["discover", &image]).ok();
    let err = refscope(["manifest", "delete", "-f", &image]).fails();
    assert!(err.contains("does not allow deletes (405 UNSUPPORTED)") && err.contains("Nothing was deleted"), "{err}");
    assert_eq!(refscope(["discover", &image]).ok(), before);
}

#[tokio::test(flavor = "multi_thread")]
async fn pushes_are_reproducible_and_export_their_manifest() {
    let reg = DistRegistry::start();
    let w = common::walkthrough_files();
    let created = "org.opencontainers.image.created=2025-01-01T00:00:00Z";
    let push = |tag: &str| {
        let out = refscope(["push", &format!("{}/repro:{tag}", reg.addr), "-a", created, "--export-manifest", &format!("{tag}.json"), "./readme.md", "./details"])
            .current_dir(w.path())
            .ok();
        common::digest_line(&out)
    };
    let first = push("one");
    // Newer modification times on the inputs do not change the artifact.
    let later = std::time::SystemTime::now() + Duration::from_secs(3600);
    std::fs::File::options().write(true).open(w.path().join("details/a.txt")).unwrap().set_modified(later).unwrap();
    assert_eq!(push("two"), first);
    let fetched = refscope(["manifest", "fetch", &format!("{}/repro:one", reg.addr)]).output().stdout;
    assert_eq!(common::read(w.path().join("one.json")), fetched);

    std::fs::write(
        w.path().join("annotations.json"),
        r#"{"$manifest": {"org.example.team": "infra"}, "readme.md": {"org.example.lang": "en"}}"#,
    )
    .unwrap();
    let out = refscope(["push", &format!("{}/repro:annotated", reg.addr), "--annotation-file", "annotations.json", "./readme.md"]).current_dir(w.path()).ok();
    assert!(out.contains("Digest: sha256:"));
    let m: serde_json::Value = serde_json::from_str(&refscope(["manifest", "fetch", &format!("{}/repro:annotated", reg.addr)]).ok()).unwrap();
    assert_eq!(m["annotations"]["org.example.team"], "infra");
    assert_eq!(m["layers"][0]["annotations"]["org.example.lang"], "en");
    let err = refscope(["push", &format!("{}/repro:bad", reg.addr), "-a", "novalue", "./readme.md"]).current_dir(w.path()).fails();
    assert!(err.contains("KEY=VALUE"), "{err}");
    let err = refscope(["push", &format!("{}/repro:bad", reg.addr), "./missing.txt"]).current_dir(w.path()).fails();
    assert!(err.contains("missing.txt"), "{err}");
}

/// Tags are checked by the tag rules themselves, before anything is sent: a digest suffix or a
/// leading dot is refused with the rules spelled out.
#[test]
fn an_invalid_tag_is_refused_with_the_rules() {
    for bad in ["v1@sha256:aaaa", ".hidden", "a/b"] {
        let err = refscope(["tag", "127.0.0.1:9/app:v1", bad]).fails();
        assert!(err.contains(&format!("`{bad}` is not a valid tag (letters, digits")), "{err}");
    }
}

/// An image of eight 12 MiB layers at `repo:v1` with two referrers listed in its tag-schema
/// index. Returns the image and the digests of its layers.
async fn big_image_with_referrers(s: &common::Seeder, repo: &str) -> (refscope::oci::Descriptor, Vec<refscope::oci::Digest>) {
    let (root, layers) = s.image_with_layers(repo, "v1", &common::noise_layers(100, &[12 << 20; 8])).await;
    let mut entries = Vec::new();
    for kind in ["signature/example", "sbom/example"] {
        let files = [("f.json", "application/json", kind.as_bytes())];
        entries.push((s.artifact(repo, None, kind, &files, Some(&root), serde_json::json!({})).await, kind));
    }
    s.fallback_index(repo, &root, &entries).await;
    (root, layers.into_iter().map(|d| d.digest).collect())
}

fn blob_landed(reg: &DistRegistry, d: &refscope::oci::Digest) -> bool {
    reg.dir.path().join(format!("data/docker/registry/v2/blobs/sha256/{}/{}/data", &d.hex()[..2], d.hex())).exists()
}

/// Every `sha256-<hex>` referrers index tag at the destination names a subject it has.
async fn no_index_without_its_subject(s: &common::Seeder, repo: &str) -> Vec<String> {
    let tags = s.tags(repo).await;
    for t in tags.iter().filter(|t| t.starts_with("sha256-") && !t.contains('.')) {
        let subject = t.replacen('-', ":", 1);
        assert_eq!(s.head_manifest(repo, &subject).await, 200, "{repo} has the referrers index {t} but not its subject");
    }
    tags
}

/// A copy -r into a tag-schema registry that stops after the referrers went but before the
/// image's layers did leaves no referrers index for the image, and no tag.
#[tokio::test(flavor = "multi_thread")]
async fn a_failed_copy_leaves_no_referrers_index_whose_subject_never_came() {
    let src = DistRegistry::start();
    let mut dst = DistRegistry::start();
    let (root, layers) = big_image_with_referrers(&src.seeder(), "big").await;
    // The fourth layer's upload is held back until the registry is gone. The referrers are
    // small and go beside the layers: by then they are there.
    let held = Proxy::start(&dst.addr, Faults { hold_uploads_after: Some(42 << 20), ..Default::default() });
    let home = tempfile::tempdir().unwrap();
    let child = spawn_refscope(
        &["copy", "-r", "--concurrency", "1", &format!("{}/big:v1", src.addr), &format!("{}/big:v1", held.addr)],
        home.path(),
    );
    held.wait_until_held();
    assert!(layers.iter().filter(|l| blob_landed(&dst, l)).count() >= 3, "three layers went before the hold");
    dst.stop();
    let out = child.wait_with_output().unwrap();
    assert!(!out.status.success(), "the copy cannot succeed with its destination gone");
    dst.restart();
    let args = ["copy", "-r", "--concurrency", "1", &format!("{}/big:v1", src.addr), &format!("{}/big:v1", dst.addr)];
    let tags = no_index_without_its_subject(&dst.seeder(), "big").await;
    assert!(tags.is_empty(), "nothing tagged: {tags:?}");
    assert_eq!(dst.seeder().head_manifest("big", &root.digest.to_string()).await, 404);
    // A rerun finishes the job, referrers index and all.
    refscope(args).ok();
    let tags = no_index_without_its_subject(&dst.seeder(), "big").await;
    assert_eq!(tags.len(), 2, "v1 and the image's referrers index: {tags:?}");
}

/// The same with a real cancel (what `x` does in the TUI) once the referrers are there.
#[tokio::test(flavor = "multi_thread")]
async fn a_cancelled_copy_leaves_no_referrers_index_whose_subject_never_came() {
    use refscope::graph::copy::{CopyOptions, Endpoint, execute, plan};
    use refscope::graph::progress::{Event, Outcome, Progress};
    use std::sync::atomic::{AtomicUsize, Ordering};
    let src = DistRegistry::start();
    let dst = DistRegistry::start();
    big_image_with_referrers(&src.seeder(), "big").await;
    let (from, to) = (common::registry_client(&src.addr), common::registry_client(&dst.addr));
    let (from, to) = (Endpoint { target: &from, repo: "big" }, Endpoint { target: &to, repo: "big" });
    let cancel = tokio_util::sync::CancellationToken::new();
    let large = Arc::new(std::sync::Mutex::new(std::collections::HashSet::new()));
    let landed = Arc::new(AtomicUsize::new(0));
    let progress = {
        let (cancel, large, landed) = (cancel.clone(), large.clone(), landed.clone());
        Progress::new(move |e| {
            let mut large = large.lock().unwrap();
            match e {
                Event::Start { id, total, .. } if total > 1 << 20 => {
                    large.insert(id);
                }
                Event::Finish { id, outcome: Outcome::Done } if large.contains(&id) && landed.fetch_add(1, Ordering::SeqCst) == 2 => cancel.cancel(),
                _ => {}
            }
        })
    };
    let opts = CopyOptions { recursive: true, concurrency: 1, progress, cancel: cancel.clone(), ..CopyOptions::default() };
    let planned = plan(from, to, "v1", &opts).await.unwrap();
    let result = execute(from, to, &planned, &["v1".to_string()], &opts).await;
    assert!(matches!(result, Err(refscope::Error::Cancelled)), "{:?}", result.map(|_| ()));
    assert!(landed.load(Ordering::SeqCst) >= 3, "cancelled after three layers");
    let tags = no_index_without_its_subject(&dst.seeder(), "big").await;
    assert!(tags.is_empty(), "nothing tagged: {tags:?}");
}
