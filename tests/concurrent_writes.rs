//! Writers in separate processes at the same time: attaches to one subject on a registry
//! without the Referrers API (some of them slowed down), and pushes and tags into one OCI
//! layout. Nothing a writer reported done may be missing afterwards.

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use common::proxy::{Faults, Proxy};
use common::{DistRegistry, refscope};

const STREAMS: usize = 4;
const ATTACHES: usize = 10;

/// How many times the attach race runs: `REFSCOPE_RACE_REPEAT`, default 1 (20 for a soak).
fn repeats() -> usize {
    std::env::var("REFSCOPE_RACE_REPEAT").ok().and_then(|v| v.parse().ok()).unwrap_or(1)
}

/// What one `refscope attach` process reported.
struct Attached {
    digest: String,
    slow_warnings: usize,
    reapplied: usize,
}

fn attach(registry: &str, repo: &str, file: &Path, log: &Path) -> Attached {
    let out = refscope(["attach", &format!("{registry}/{repo}:v1"), "--artifact-type", "signature/example", file.to_str().unwrap()])
        .env("REFSCOPE_LOG", "refscope=info")
        .env("REFSCOPE_LOG_FILE", log)
        .output();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "attach via {registry} failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let logged = std::fs::read_to_string(log).unwrap_or_default();
    Attached {
        digest: common::digest_line(&stdout),
        slow_warnings: logged.matches("longer than the").count(),
        reapplied: logged.matches("applying the change again").count(),
    }
}

/// Digests listed in the tag-schema index of `subject`.
async fn listed(reg: &DistRegistry, repo: &str, subject: &refscope::oci::Digest) -> Vec<String> {
    let raw = common::read_manifest_bytes(&reg.seeder(), repo, &subject.fallback_tag()).await;
    let index: serde_json::Value = serde_json::from_slice(&raw).unwrap_or_else(|e| panic!("no referrers index ({e}): {}", String::from_utf8_lossy(&raw)));
    index["manifests"].as_array().unwrap().iter().map(|m| m["digest"].as_str().unwrap().to_string()).collect()
}

/// 4 processes at a time, each running 10 attaches one after another, to one subject on
/// distribution; two of the four go through proxies that hold back every PUT (150 ms and
/// 400 ms), so their index writes land long after the read they were computed from.
#[tokio::test(flavor = "multi_thread")]
async fn concurrent_attaches_from_processes_lose_no_entry() {
    let reg = DistRegistry::start();
    let slow = Proxy::start(&reg.addr, Faults { put_latency: Duration::from_millis(150), ..Default::default() });
    let slower = Proxy::start(&reg.addr, Faults { put_latency: Duration::from_millis(400), ..Default::default() });
    let via = [reg.addr.clone(), reg.addr.clone(), slow.addr.clone(), slower.addr.clone()];
    let work = tempfile::tempdir().unwrap();
    let mut report = Vec::new();
    for rep in 0..repeats() {
        let repo = format!("race{rep}");
        let subject = reg.seeder().image(&repo, "v1", format!("subject {rep}").as_bytes()).await;
        let before = reg.stored_manifests(&repo);
        let started = Instant::now();
        let results: Vec<Attached> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..STREAMS)
                .map(|stream| {
                    let (registry, repo, dir) = (&via[stream], &repo, work.path());
                    s.spawn(move || {
                        (0..ATTACHES)
                            .map(|i| {
                                let file = dir.join(format!("sig-{rep}-{stream}-{i}.json"));
                                std::fs::write(&file, format!("{{\"rep\":{rep},\"stream\":{stream},\"i\":{i}}}")).unwrap();
                                attach(registry, repo, &file, &dir.join(format!("log-{rep}-{stream}-{i}")))
                            })
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            handles.into_iter().flat_map(|h| h.join().unwrap()).collect()
        });
        let took = started.elapsed();
        let expected: Vec<&String> = results.iter().map(|r| &r.digest).collect();
        let listed = listed(&reg, &repo, &subject.digest).await;
        let lost: Vec<&&String> = expected.iter().filter(|d| !listed.contains(d)).collect();
        let slow_warnings: usize = results.iter().map(|r| r.slow_warnings).sum();
        let reapplied: usize = results.iter().map(|r| r.reapplied).sum();
        let line = format!(
            "round {rep}: {} attaches in {:.1} s, {} lost, {reapplied} changes applied again after being undone, {slow_warnings} slow-write warnings",
            expected.len(),
            took.as_secs_f64(),
            lost.len()
        );
        eprintln!("{line}");
        report.push(line.clone());
        assert!(lost.is_empty(), "{line}: lost {lost:?}");
        assert_eq!(listed.len(), STREAMS * ATTACHES, "{line}: every entry once: {listed:?}");
        // Exactly one index is left: every superseded one was deleted by a writer that saw it.
        let mut stored = reg.stored_manifests(&repo);
        stored.retain(|d| !before.contains(d) && !expected.contains(&d));
        assert_eq!(stored.len(), 1, "{line}: one referrers index, no superseded ones: {stored:?}");
    }
    eprintln!("{}", report.join("\n"));
}

/// Deletes that take referrers out of the index, at the same time as attaches that add to
/// it (one deleter and one attacher slowed down): no deleted entry comes back, no added entry
/// goes, and no attach fails on an entry whose manifest a delete took away.
#[tokio::test(flavor = "multi_thread")]
async fn concurrent_deletes_and_attaches_keep_the_index_exact() {
    let reg = DistRegistry::start();
    let slow = Proxy::start(&reg.addr, Faults { put_latency: Duration::from_millis(300), ..Default::default() });
    let repo = "mixed";
    let subject = reg.seeder().image(repo, "v1", b"subject").await;
    let work = tempfile::tempdir().unwrap();
    let dir = work.path();
    let attach_new = |via: &str, name: String| {
        let f = dir.join(format!("{name}.json"));
        std::fs::write(&f, &name).unwrap();
        attach(via, repo, &f, &dir.join(format!("log-{name}"))).digest
    };
    let doomed: Vec<String> = (0..8).map(|i| attach_new(&reg.addr, format!("old-{i}"))).collect();
    let (doomed, addr, slow_addr, attach_new) = (&doomed, &reg.addr, &slow.addr, &attach_new);
    let added: Vec<String> = std::thread::scope(|s| {
        for (half, via) in doomed.chunks(4).zip([addr, slow_addr]) {
            s.spawn(move || {
                for d in half {
                    refscope(["manifest", "delete", "-f", &format!("{via}/{repo}@{d}")]).ok();
                }
            });
        }
        let adders: Vec<_> = [addr, slow_addr]
            .into_iter()
            .enumerate()
            .map(|(stream, via)| s.spawn(move || (0..5).map(|i| attach_new(via, format!("new-{stream}-{i}"))).collect::<Vec<_>>()))
            .collect();
        adders.into_iter().flat_map(|h| h.join().unwrap()).collect()
    });
    let mut listed = listed(&reg, repo, &subject.digest).await;
    let back: Vec<&String> = doomed.iter().filter(|d| listed.contains(d)).collect();
    assert!(back.is_empty(), "deleted referrers listed again: {back:?}");
    let lost: Vec<&String> = added.iter().filter(|d| !listed.contains(d)).collect();
    assert!(lost.is_empty(), "attached referrers lost: {lost:?}");
    listed.sort();
    let mut expected = added.clone();
    expected.sort();
    assert_eq!(listed, expected);
}

/// 4 processes at a time pushing and tagging into one OCI layout that none of them finds
/// there at first: every tag each one reported is in `index.json` at the end.
#[test]
fn concurrent_pushes_and_tags_into_one_layout_lose_no_tag() {
    let work = tempfile::tempdir().unwrap();
    let layout = work.path().join("shared");
    let layout = layout.to_str().unwrap();
    std::thread::scope(|s| {
        for stream in 0..STREAMS {
            let dir = work.path();
            s.spawn(move || {
                for i in 0..ATTACHES {
                    let file = dir.join(format!("f-{stream}-{i}.txt"));
                    std::fs::write(&file, format!("stream {stream} file {i}")).unwrap();
                    let tag = format!("{layout}:t-{stream}-{i}");
                    refscope(["push", "--oci-layout", &tag, file.to_str().unwrap()]).current_dir(dir).ok();
                    refscope(["tag", "--oci-layout", &tag, &format!("alias-{stream}-{i}")]).ok();
                }
            });
        }
    });
    let tags = refscope(["repo", "tags", "--oci-layout", layout]).ok();
    let tags: Vec<&str> = tags.lines().collect();
    let missing: Vec<String> = (0..STREAMS)
        .flat_map(|s| (0..ATTACHES).flat_map(move |i| [format!("t-{s}-{i}"), format!("alias-{s}-{i}")]))
        .filter(|t| !tags.contains(&t.as_str()))
        .collect();
    assert!(missing.is_empty(), "{} of {} tags lost: {missing:?}", missing.len(), 2 * STREAMS * ATTACHES);
    assert_eq!(tags.len(), 2 * STREAMS * ATTACHES, "{tags:?}");
}

/// An index write that takes longer than other writers wait for it to settle may have undone
/// a concurrent change: attach, copy and delete say so on stderr, in JSON mode too.
#[tokio::test(flavor = "multi_thread")]
async fn slow_index_writes_are_warned_about_on_stderr() {
    let reg = DistRegistry::start();
    let slow = Proxy::start(&reg.addr, Faults { put_latency: Duration::from_millis(1200), ..Default::default() });
    reg.seeder().image("app", "v1", b"subject").await;
    let work = tempfile::tempdir().unwrap();
    let file = work.path().join("sig.json");
    std::fs::write(&file, "{}").unwrap();
    let warned = |what: &str, out: std::process::Output| {
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{what} failed: {stderr}");
        assert!(stderr.contains("Warning: updating the referrers index"), "{what} gave no warning: {stderr}");
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let attached = warned(
        "attach",
        refscope(["attach", &format!("{}/app:v1", slow.addr), "--artifact-type", "signature/example", "--format", "json", file.to_str().unwrap()])
            .output(),
    );
    let referrer: serde_json::Value = serde_json::from_str(&attached).expect("stdout stays JSON");
    warned("copy", refscope(["copy", "-r", &format!("{}/app:v1", slow.addr), &format!("{}/copied:v1", slow.addr)]).output());
    let digest = referrer["digest"].as_str().unwrap();
    warned("delete", refscope(["manifest", "delete", "-f", &format!("{}/app@{digest}", slow.addr)]).output());
}
