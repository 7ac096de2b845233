//! The benchmark suite: every row is measured side by side with its baseline in the same run,
//! on 127.0.0.1, and reported as a ratio. `scripts/bench` runs it and writes BENCHMARKS.md.
//! Pass names to run a subset: `cargo bench --bench suite -- discover pull`.

#[path = "../tests/common/mod.rs"]
mod common;
#[path = "support/tmux_control.rs"]
mod tmux_control;

use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::api_server::ApiRegistry;
use common::{DistRegistry, Seeder};
use futures_util::StreamExt;
use refscope::graph::copy::{CopyOptions, Endpoint};
use refscope::graph::discover::{DEFAULT_CONCURRENCY, DiscoverOptions, discover};
use refscope::oci::Descriptor;
use refscope::store::registry::Registry;
use refscope::tui::headless::Headless;
use serde_json::json;

struct Row {
    name: String,
    ours: String,
    baseline: String,
    ratio: String,
    notes: String,
}

fn secs(d: Duration) -> String {
    format!("{:.3} s", d.as_secs_f64())
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

/// Runs a command under GNU time: wall time and that process's own peak RSS (KiB).
fn run_measured(program: &str, args: &[&str], env: &[(&str, &str)]) -> (Duration, u64) {
    let (t, rss, _) = run_measured_cpu(program, args, env);
    (t, rss)
}

/// As [`run_measured`], plus the CPU time (user + system) the program used.
fn run_measured_cpu(program: &str, args: &[&str], env: &[(&str, &str)]) -> (Duration, u64, Duration) {
    let report = tempfile::NamedTempFile::new().unwrap();
    let start = Instant::now();
    let status = Command::new("/usr/bin/time")
        .args(["-f", "%M %U %S", "-o"])
        .arg(report.path())
        .arg(program)
        .args(args)
        .envs(env.iter().copied())
        .stdout(Stdio::null())
        .status()
        .unwrap_or_else(|e| panic!("/usr/bin/time {program}: {e}"));
    let elapsed = start.elapsed();
    assert!(status.success(), "{program} {args:?} failed");
    let report = std::fs::read_to_string(report.path()).unwrap_or_default();
    let fields: Vec<&str> = report.lines().last().unwrap_or("").split_whitespace().collect();
    let rss = fields.first().and_then(|x| x.parse().ok()).unwrap_or(0);
    let cpu: f64 = fields.iter().skip(1).filter_map(|x| x.parse::<f64>().ok()).sum();
    (elapsed, rss, Duration::from_secs_f64(cpu))
}

fn refscope_bin() -> &'static str {
    env!("CARGO_BIN_EXE_refscope")
}

const ENV: [(&str, &str); 2] = [("REFSCOPE_NO_KEYRING", "1"), ("DOCKER_CONFIG", "/nonexistent")];

/// Seeds subject → `width` referrers, each the head of a chain `depth` long.
async fn seed_graph(s: &Seeder, repo: &str, width: usize, depth: usize, with_index: bool) -> (Descriptor, usize) {
    let subject = s.image(repo, "v1", b"subject layer").await;
    let config = s.blob(repo, common::seed::EMPTY_CONFIG, b"{}").await;
    let s = Arc::new(Seeder::new(s.base.trim_start_matches("http://")));
    let mut level: Vec<Descriptor> = vec![subject.clone()];
    let mut total = 0;
    for d in 0..depth {
        let n = if d == 0 { width } else { level.len() };
        let parents: Vec<Descriptor> = if d == 0 { vec![subject.clone(); n] } else { level.clone() };
        let made: Vec<(Descriptor, Descriptor)> = futures_util::stream::iter(parents.into_iter().enumerate().map(|(i, parent)| {
            let s = s.clone();
            let config = config.clone();
            let repo = repo.to_string();
            async move {
                let content = format!("level {d} node {i}");
                let layer = s.blob(&repo, "application/json", content.as_bytes()).await;
                let m = json!({"schemaVersion": 2, "mediaType": common::seed::MANIFEST, "artifactType": format!("level{d}/example"),
                    "config": {"mediaType": common::seed::EMPTY_CONFIG, "digest": config.digest.to_string(), "size": 2},
                    "layers": [{"mediaType": "application/json", "digest": layer.digest.to_string(), "size": layer.size}],
                    "subject": {"mediaType": parent.media_type, "digest": parent.digest.to_string(), "size": parent.size}});
                let bytes = serde_json::to_vec(&m).unwrap();
                let digest = refscope::oci::Digest::sha256_of(&bytes).to_string();
                (s.manifest(&repo, &digest, common::seed::MANIFEST, &bytes).await, parent)
            }
        }))
        .buffer_unordered(16)
        .collect()
        .await;
        total += made.len();
        if with_index {
            type Children<'a> = (Descriptor, Vec<(Descriptor, &'a str)>);
            let mut by_parent: std::collections::BTreeMap<String, Children> = Default::default();
            let types: Vec<String> = vec![format!("level{d}/example"); made.len()];
            for ((child, parent), t) in made.iter().zip(types.iter()) {
                by_parent.entry(parent.digest.to_string()).or_insert_with(|| (parent.clone(), Vec::new())).1.push((child.clone(), t.as_str()));
            }
            let jobs: Vec<_> = by_parent.into_values().collect();
            futures_util::stream::iter(jobs.iter().map(|(parent, children)| {
                let s = s.clone();
                async move {
                    s.fallback_index(repo, parent, children).await;
                }
            }))
            .buffer_unordered(16)
            .collect::<Vec<_>>()
            .await;
        }
        level = made.into_iter().map(|(c, _)| c).collect();
    }
    (subject, total)
}

async fn bench_discover(width: usize, rows: &mut Vec<Row>) {
    for (mode, api, latency_ms) in [("tag schema", false, 0), ("referrers API", true, 0), ("tag schema", false, 5)] {
        let dist;
        let ferro;
        let (addr, seeder) = if api {
            ferro = ApiRegistry::start();
            (ferro.addr.clone(), ferro.seeder())
        } else {
            dist = DistRegistry::start();
            (dist.addr.clone(), dist.seeder())
        };
        let (root, total) = seed_graph(&seeder, "graph", width, 3, !api).await;
        let proxy = (latency_ms > 0).then(|| {
            common::proxy::Proxy::start(&addr, common::proxy::Faults { latency: Duration::from_millis(latency_ms), ..Default::default() })
        });
        let addr = proxy.as_ref().map(|p| p.addr.clone()).unwrap_or(addr);
        let link = if latency_ms > 0 { format!(", {latency_ms} ms added per request") } else { String::new() };
        let mut timings = Vec::new();
        let mut requests = Vec::new();
        let mut peaks = Vec::new();
        for concurrency in [DEFAULT_CONCURRENCY, 1] {
            let mut runs = Vec::new();
            for _ in 0..3 {
                let c: Registry = common::registry_client(&addr);
                let opts = DiscoverOptions { concurrency, ..Default::default() };
                let t = Instant::now();
                let found = discover(&c, "graph", root.clone(), &opts).await.unwrap();
                runs.push(t.elapsed());
                assert_eq!(found.total(), total, "the walk finds every node");
                requests.push(c.request_count());
                peaks.push(c.peak_in_flight());
            }
            timings.push(median(runs));
        }
        let ratio = timings[1].as_secs_f64() / timings[0].as_secs_f64();
        let ceiling = registry_ceiling(&addr, &format!("/v2/graph/manifests/{}", root.digest));
        rows.push(Row {
            name: format!("discover, 1 subject × {width} referrers × depth 3 ({total} nodes), {mode}{link}"),
            ours: format!("{} ({DEFAULT_CONCURRENCY} in flight)", secs(timings[0])),
            baseline: format!("{} (one at a time)", secs(timings[1])),
            ratio: format!("{ratio:.1}× faster"),
            notes: format!(
                "{} requests per walk ({} nodes: each node's manifest, its referrers list (on the tag schema only where the tag list shows an index), and the tag list); peak in flight {} vs {}; {ceiling}",
                requests[0],
                total + 1,
                peaks[0],
                peaks[3]
            ),
        });
    }
}


/// What the registry itself allows: `ab` fetching one manifest with keep-alive, as many in
/// flight as the walk vs one at a time. Once the server's CPU is the limit, no client gets
/// much more than this ratio.
fn registry_ceiling(addr: &str, path: &str) -> String {
    let rate = |c: usize| -> Option<f64> {
        let out = Command::new("ab")
            .args(["-q", "-k", "-n", "3000", "-c", &c.to_string(), "-H", "Accept: application/vnd.oci.image.manifest.v1+json"])
            .arg(format!("http://{addr}{path}"))
            .output()
            .ok()?;
        let text = String::from_utf8_lossy(&out.stdout);
        let line = text.lines().find(|l| l.starts_with("Requests per second:"))?;
        line.split_whitespace().nth(3)?.parse().ok()
    };
    match (rate(DEFAULT_CONCURRENCY), rate(1)) {
        (Some(many), Some(one)) => format!(
            "the registry's own ceiling (`ab -k`, one manifest): {many:.0} req/s with {DEFAULT_CONCURRENCY} in flight vs {one:.0} one at a time = {:.1}×",
            many / one
        ),
        _ => "`ab` (apache2-utils) not available: no ceiling measured".into(),
    }
}

/// Writes `len` bytes of noise to `path` a MiB at a time.
fn write_noise(path: &std::path::Path, seed: u64, len: usize) {
    use std::io::Write;
    let mut f = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    let mut left = len;
    let mut chunk_seed = seed;
    while left > 0 {
        let n = left.min(1 << 20);
        f.write_all(&common::noise(chunk_seed, n)).unwrap();
        chunk_seed = chunk_seed.wrapping_mul(6364136223846793005).wrapping_add(1);
        left -= n;
    }
}

fn bench_pull(rows: &mut Vec<Row>) {
    let reg = DistRegistry::start();
    let work = tempfile::tempdir().unwrap();
    let file = work.path().join("big.bin");
    write_noise(&file, 7, 256 << 20);
    let out = Command::new(refscope_bin())
        .args(["push", &format!("{}/pull/big:v1", reg.addr), "big.bin"])
        .current_dir(work.path())
        .envs(ENV)
        .output()
        .unwrap();
    assert!(out.status.success());
    let digest = refscope::graph::pack::hash_file(&file).unwrap().0;
    std::fs::remove_file(&file).unwrap();
    let mut ours = Vec::new();
    let mut rss = 0;
    let mut curl = Vec::new();
    for i in 0..3 {
        let dir = work.path().join(format!("pull{i}"));
        let (t, r) = run_measured(refscope_bin(), &["pull", "-o", dir.to_str().unwrap(), &format!("{}/pull/big:v1", reg.addr)], &ENV);
        ours.push(t);
        rss = rss.max(r);
        std::fs::remove_dir_all(&dir).unwrap();
        let target = work.path().join("curl.bin");
        let (t, _) = run_measured("curl", &["-sf", "-o", target.to_str().unwrap(), &format!("http://{}/v2/pull/big/blobs/{digest}", reg.addr)], &[]);
        curl.push(t);
        std::fs::remove_file(&target).unwrap();
    }
    let (ours, curl) = (median(ours), median(curl));
    let mib_s = |d: Duration| 256.0 / d.as_secs_f64();
    rows.push(Row {
        name: "pull, 256 MiB artifact".into(),
        ours: format!("{} ({:.0} MiB/s)", secs(ours), mib_s(ours)),
        baseline: format!("{} ({:.0} MiB/s) curl of the blob", secs(curl), mib_s(curl)),
        ratio: format!("{:.2}× curl's time", ours.as_secs_f64() / curl.as_secs_f64()),
        notes: format!("peak RSS {:.1} MiB for a 256 MiB blob (streamed and verified into a temp file, renamed when good)", rss as f64 / 1024.0),
    });
}

/// curl uploads of the layers, all at once: the practical limit for sending these bytes.
fn curl_upload(addr: &str, repo: &str, files: &[(std::path::PathBuf, String)]) -> Duration {
    let script = files
        .iter()
        .map(|(path, digest)| {
            format!(
                "( loc=$(curl -sf -X POST -D - -o /dev/null http://{addr}/v2/{repo}/blobs/uploads/ | tr -d '\\r' | sed -n 's/^[Ll]ocation: //p'); case \"$loc\" in http*) ;; *) loc=\"http://{addr}$loc\";; esac; curl -sf -X PUT -H 'Content-Type: application/octet-stream' -T {} \"$loc&digest={digest}\" -o /dev/null ) &",
                path.display()
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
        + "\nwait\n";
    let start = Instant::now();
    let ok = Command::new("sh").arg("-c").arg(&script).status().unwrap().success();
    assert!(ok, "curl uploads failed");
    start.elapsed()
}

async fn bench_copy(rows: &mut Vec<Row>) {
    let src = DistRegistry::start();
    let work = tempfile::tempdir().unwrap();
    let mut layer_files = Vec::new();
    let mut names = Vec::new();
    for i in 0..4u64 {
        let name = format!("layer{i}.bin");
        let path = work.path().join(&name);
        write_noise(&path, 100 + i, 52 << 20);
        let digest = refscope::graph::pack::hash_file(&path).unwrap().0.to_string();
        layer_files.push((path, digest));
        names.push(name);
    }
    // The image: four 52 MiB layers (208 MiB), then ten referrers on it.
    let mut args = vec!["push".to_string(), format!("{}/app:v1", src.addr), "--artifact-type".into(), "application/vnd.example.image".into()];
    args.extend(names.iter().cloned());
    assert!(Command::new(refscope_bin()).args(&args).current_dir(work.path()).envs(ENV).status().unwrap().success());
    // Every blob the copy sends, for curl to send too: the layers, the empty config, and
    // each referrer's file.
    let config = work.path().join("config.json");
    std::fs::write(&config, b"{}").unwrap();
    let mut all_blobs = layer_files.clone();
    all_blobs.push((config.clone(), refscope::graph::pack::hash_file(&config).unwrap().0.to_string()));
    for i in 0..10 {
        let f = work.path().join(format!("ref{i}.json"));
        std::fs::write(&f, format!("{{\"referrer\":{i}}}")).unwrap();
        all_blobs.push((f.clone(), refscope::graph::pack::hash_file(&f).unwrap().0.to_string()));
        let ok = Command::new(refscope_bin())
            .args(["attach", &format!("{}/app:v1", src.addr), "--artifact-type", &format!("kind{}/example", i % 3), f.to_str().unwrap()])
            .envs(ENV)
            .stdout(Stdio::null())
            .status()
            .unwrap()
            .success();
        assert!(ok);
    }
    let mut ours = Vec::new();
    let mut skopeo = Vec::new();
    let mut curl = Vec::new();
    let mut curl_dst_cpu = Vec::new();
    // Every contender gets an empty registry: nothing to skip, nothing to mount (skopeo
    // otherwise reuses blobs it remembers seeing in other repositories).
    let skopeo_cache = tempfile::tempdir().unwrap();
    let mut last_copy: Option<DistRegistry> = None;
    // CPU each party spent on our copies: the destination's, the source's, our own.
    let mut cpu = Vec::new();
    for _ in 0..5 {
        let fresh = DistRegistry::start();
        let (src0, dst0) = (src.cpu_time(), fresh.cpu_time());
        let (t, _, own) = run_measured_cpu(refscope_bin(), &["copy", "-r", &format!("{}/app:v1", src.addr), &format!("{}/copy/app:v1", fresh.addr)], &ENV);
        cpu.push((fresh.cpu_time() - dst0, src.cpu_time() - src0, own));
        ours.push(t);
        last_copy = Some(fresh);
        let fresh = DistRegistry::start();
        let (t, _) = run_measured(
            "skopeo",
            &["copy", "--src-tls-verify=false", "--dest-tls-verify=false", "-q", &format!("docker://{}/app:v1", src.addr), &format!("docker://{}/skopeo/app:v1", fresh.addr)],
            &[("HOME", skopeo_cache.path().to_str().unwrap())],
        );
        skopeo.push(t);
        let fresh = DistRegistry::start();
        let dst0 = fresh.cpu_time();
        curl.push(curl_upload(&fresh.addr, "curl/app", &all_blobs));
        curl_dst_cpu.push(fresh.cpu_time() - dst0);
    }
    let (ours, skopeo, curl) = (median(ours), median(skopeo), median(curl));
    rows.push(Row {
        name: "copy -r, 4 layers (208 MiB) + 10 referrers, registry → registry".into(),
        ours: secs(ours),
        baseline: format!("{} skopeo (image only); {} curl uploads of the same {} blobs (all at once)", secs(skopeo), secs(curl), all_blobs.len()),
        ratio: format!("{:.2}× skopeo; {:.2}× curl", ours.as_secs_f64() / skopeo.as_secs_f64(), ours.as_secs_f64() / curl.as_secs_f64()),
        notes: {
            let mid = |f: fn(&(Duration, Duration, Duration)) -> Duration| median(cpu.iter().map(f).collect());
            let (dst_cpu, src_cpu, own_cpu) = (mid(|c| c.0), mid(|c| c.1), mid(|c| c.2));
            let floor = (dst_cpu + src_cpu + own_cpu) / 2;
            format!(
                "refscope also copies 10 referrers and writes the destination's referrers index; curl uploads the blobs from disk and no manifests. CPU per copy (median): destination registry {}, source registry {}, refscope {}; on 2 cores that is at least {} of wall time ({:.2}× curl's time). Destination CPU for curl's uploads: {}",
                secs(dst_cpu),
                secs(src_cpu),
                secs(own_cpu),
                secs(floor),
                floor.as_secs_f64() / curl.as_secs_f64(),
                secs(median(curl_dst_cpu.clone()))
            )
        },
    });

    // The rerun: in-process, to count requests and bytes.
    let dst = last_copy.expect("five runs happened");
    let (s, d) = (common::registry_client(&src.addr), common::registry_client(&dst.addr));
    let opts = CopyOptions { recursive: true, ..Default::default() };
    let t = Instant::now();
    let (_, report) = refscope::graph::copy::copy(
        Endpoint { target: &s, repo: "app" },
        Endpoint { target: &d, repo: "copy/app" },
        "v1",
        &["v1".to_string()],
        &opts,
    )
    .await
    .unwrap();
    rows.push(Row {
        name: "copy -r again (everything already there)".into(),
        ours: secs(t.elapsed()),
        baseline: "—".into(),
        ratio: "—".into(),
        notes: format!(
            "{} blob bytes sent; {} requests to the source, {} to the destination ({} manifests, {} referrers)",
            report.bytes_sent,
            s.request_count(),
            d.request_count(),
            report.manifests_skipped,
            report.referrers
        ),
    });
}

fn percentile(mut v: Vec<Duration>, p: f64) -> Duration {
    v.sort();
    v[((v.len() - 1) as f64 * p).round() as usize]
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

/// A model with 10,000 repositories and a 10,000-node referrers tree, all expanded.
fn big_model() -> refscope::tui::app::App {
    use refscope::oci::{Descriptor, Digest};
    use refscope::tui::app::tree::Subject;
    use refscope::tui::view_model::Loaded;
    use refscope::tui::app::{App, Options};
    let mut app = App::new(Options {
        target_label: "registry.example.com".into(),
        registry: Some("registry.example.com".into()),
        has_catalog: true,
        read_only: false,
        color: true,
        ..Options::default()
    });
    app.size = (120, 40);
    app.repos.add_page((0..10_000).map(|i| format!("team-{:03}/service-{i:05}", i % 150)).collect(), None);
    let desc = |seed: String, kind: &str| {
        let mut d = Descriptor::new(refscope::oci::media_types::OCI_MANIFEST, Digest::sha256_of(seed.as_bytes()), 700);
        d.artifact_type = Some(kind.to_string());
        d.annotations = Some([("org.opencontainers.image.created".to_string(), "2025-03-01T09:00:00Z".to_string())].into());
        d
    };
    app.tree.open(Subject { repo: "team-000/service-00000".into(), reference: refscope::oci::TagOrDigest::Tag("v1".into()) });
    let root = desc("root".into(), "image");
    app.tree.set_root(Loaded::Ready(root.clone()));
    let kinds = ["sbom/example", "signature/example", "scan/example", "readme/example"];
    let firsts: Vec<Descriptor> = (0..100).map(|i| desc(format!("n{i}"), kinds[i % 4])).collect();
    app.tree.set_referrers(&root.digest, firsts.clone());
    for (i, f) in firsts.iter().enumerate() {
        let children = (0..99).map(|j| desc(format!("n{i}-{j}"), kinds[j % 4])).collect();
        app.tree.set_referrers(&f.digest, children);
    }
    let paths: Vec<_> = app.tree.rows(&app.store).iter().filter(|r| r.digest.is_some()).map(|r| r.path.clone()).collect();
    for p in paths {
        app.tree.expand_path(p);
    }
    app.focus = refscope::tui::app::Pane::Tree;
    app
}

fn bench_tui_frame(rows: &mut Vec<Row>) {
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;
    use refscope::tui::app::{Msg, update};
    use refscope::tui::ui::{ViewState, draw};
    use refscope::tui::view_model::Loaded;
    let mut app = big_model();
    let nodes = app.tree.rows(&app.store).len();
    let mut terminal = Terminal::new(TestBackend::new(120, 40)).unwrap();
    let mut view = ViewState::default();
    // The first-level referrers: one at a time has its referrers loaded again, or is closed or
    // opened, as browsing does.
    let firsts: Vec<_> = app.tree.rows(&app.store).iter().filter(|r| r.depth == 2 && r.digest.is_some()).map(|r| (r.path.clone(), r.digest.clone().unwrap())).collect();
    let mut steady = Vec::new();
    let mut changed = Vec::new();
    let mut filtered = Vec::new();
    let mut stored = Vec::new();
    let kinds = ["sbom/example", "signature/example", "scan/example", "readme/example"];
    let all: Vec<_> = app.tree.rows(&app.store).iter().filter_map(|r| r.digest.clone()).collect();
    let image = |d: &refscope::oci::Digest| refscope::tui::view_model::ManifestView {
        descriptor: refscope::oci::Descriptor::new(refscope::oci::media_types::OCI_MANIFEST, d.clone(), 700),
        artifact_type: None,
        config: None,
        subject: None,
        annotations: Default::default(),
        layers: vec![],
        manifests: vec![],
        pretty: vec![],
        total_size: 700,
    };
    let mut key_to_frame = Vec::new();
    for i in 0..300 {
        // A key press (j/k) and the frame it causes.
        let t = Instant::now();
        let k = if i % 2 == 0 { 'j' } else { 'k' };
        let _ = update(&mut app, Msg::Key(KeyEvent::new(KeyCode::Char(k), KeyModifiers::NONE)));
        let tf = Instant::now();
        terminal.draw(|f| draw(f, &app, &mut view)).unwrap();
        key_to_frame.push(t.elapsed());
        steady.push(tf.elapsed());
        // A frame right after one node changed: its referrers arrived, or it was opened or closed.
        let (path, digest) = &firsts[(i / 2) % firsts.len()];
        if i % 2 == 0 {
            let Some(Loaded::Ready(list)) = app.tree.referrers_of(digest).cloned() else { panic!("not loaded") };
            app.tree.set_referrers(digest, list);
        } else {
            let selected = std::mem::replace(&mut app.tree.selected, path.clone());
            app.tree.toggle(&app.store);
            app.tree.selected = selected;
        }
        let t = Instant::now();
        terminal.draw(|f| draw(f, &app, &mut view)).unwrap();
        changed.push(t.elapsed());
        // A frame after a type filter is set, and one after it is cleared again.
        for filter in [Some(kinds[i % kinds.len()].to_string()), None] {
            app.tree.set_type_filter(filter);
            let t = Instant::now();
            terminal.draw(|f| draw(f, &app, &mut view)).unwrap();
            filtered.push(t.elapsed());
        }
        // A frame after a node's manifest arrived in the store, as selecting it asks for.
        let digest = &all[(i * 37) % all.len()];
        app.store.set_manifest(digest.clone(), Loaded::Ready(image(digest)));
        let t = Instant::now();
        terminal.draw(|f| draw(f, &app, &mut view)).unwrap();
        stored.push(t.elapsed());
    }
    let budget = Duration::from_micros(16_667);
    let p = |v: &Vec<Duration>| format!("median {} / p99 {}", ms(percentile(v.clone(), 0.5)), ms(percentile(v.clone(), 0.99)));
    rows.push(Row {
        name: format!("TUI frame, {nodes}-row expanded tree + 10,000 repositories, 120x40"),
        ours: p(&steady),
        baseline: format!("one 60 Hz frame: {}", ms(budget)),
        ratio: format!("{:.2}× the budget at p99", percentile(steady.clone(), 0.99).as_secs_f64() / budget.as_secs_f64()),
        notes: format!("key press to drawn frame (update + draw): {}", p(&key_to_frame)),
    });
    rows.push(Row {
        name: format!("TUI frame right after one node of the {nodes}-row tree changed (referrers loaded, opened or closed), 120x40"),
        ours: p(&changed),
        baseline: format!("one 60 Hz frame: {}", ms(budget)),
        ratio: format!("{:.2}× the budget at p99", percentile(changed.clone(), 0.99).as_secs_f64() / budget.as_secs_f64()),
        notes: format!(
            "unchanged subtrees are taken over from the last build and only the rows in view are drawn; after a type filter is set or cleared: {}; after a node's manifest arrives in the store: {}",
            p(&filtered),
            p(&stored)
        ),
    });
}

struct Tmux(String);

impl Tmux {
    fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", &self.0];
        args.extend_from_slice(keys);
        Command::new("tmux").args(&args).status().unwrap();
    }

    fn text(&self, text: &str) {
        Command::new("tmux").args(["send-keys", "-t", &self.0, "-l", text]).status().unwrap();
    }

    fn screen(&self) -> String {
        String::from_utf8_lossy(&Command::new("tmux").args(["capture-pane", "-p", "-t", &self.0]).output().unwrap().stdout).into_owned()
    }

    fn wait(&self, pred: impl Fn(&str) -> bool) -> Duration {
        let start = Instant::now();
        loop {
            if pred(&self.screen()) {
                return start.elapsed();
            }
            assert!(start.elapsed() < Duration::from_secs(60), "screen never changed:\n{}", self.screen());
            std::thread::sleep(Duration::from_millis(1));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux").args(["kill-session", "-t", &self.0]).status();
    }
}

/// Key press to changed screen, through a real terminal (tmux): `?` opens help, timed until
/// its title has reached the terminal; Esc closes it again, untimed.
/// Key presses timed per state; enough that p99 is not simply the worst one.
const SAMPLES: usize = 100;

fn key_latencies(tui: &Tmux, control: &mut tmux_control::Control, n: usize) -> Vec<Duration> {
    (0..n)
        .map(|_| {
            let shown = control.time_key("?", "Keys (Esc closes");
            tui.keys(&["Escape"]);
            tui.wait(|s| !s.contains("Keys (Esc closes"));
            shown
        })
        .collect()
}

/// Keys timed while idle and during a 1 GiB copy between two registries, from the terminal
/// and, from refscope's debug log, inside refscope (key read to frame written).
struct KeyTimes {
    idle: Vec<Duration>,
    busy: Vec<Duration>,
    inside_idle: Vec<Duration>,
    inside_busy: Vec<Duration>,
    still_copying: bool,
    copy_done: Duration,
}

fn keys_during_copy(registry_nice: Option<i32>) -> KeyTimes {
    let config = common::DistConfig { nice: registry_nice, ..Default::default() };
    let src = DistRegistry::start_with(config.clone());
    let dst = DistRegistry::start_with(config);
    let work = tempfile::tempdir().unwrap();
    let mut names = Vec::new();
    for i in 0..4u64 {
        let name = format!("part{i}.bin");
        write_noise(&work.path().join(&name), 900 + i, 256 << 20);
        names.push(name);
    }
    let mut args = vec!["push".to_string(), format!("{}/big/app:v1", src.addr)];
    args.extend(names.iter().cloned());
    assert!(Command::new(refscope_bin()).args(&args).current_dir(work.path()).envs(ENV).stdout(Stdio::null()).status().unwrap().success());
    for n in &names {
        std::fs::remove_file(work.path().join(n)).unwrap();
    }
    let log = work.path().join("refscope.log");
    let session = format!("refscope-bench-{}", std::process::id());
    let script = format!(
        "cd '{}'; REFSCOPE_LOG=refscope::tui::latency=debug REFSCOPE_LOG_FILE='{}' REFSCOPE_NO_KEYRING=1 DOCKER_CONFIG=/nonexistent TERM=xterm-256color '{}' {}/big/app:v1; sleep 60",
        work.path().display(),
        log.display(),
        refscope_bin(),
        src.addr
    );
    assert!(Command::new("tmux").args(["new-session", "-d", "-s", &session, "-x", "120", "-y", "40", "sh", "-c", &script]).status().unwrap().success());
    let tui = Tmux(session);
    tui.wait(|s| s.contains("Digest     sha256"));
    let mut control = tmux_control::Control::attach(&tui.0);
    let idle = key_latencies(&tui, &mut control, SAMPLES);
    tui.keys(&["c"]);
    tui.wait(|s| s.contains("with its referrers"));
    tui.text(&format!("{}/copied/app:v1", dst.addr));
    tui.keys(&["Enter"]);
    tui.wait(|s| s.contains("manifest(s) to push"));
    tui.keys(&["y"]);
    let running = |s: &str| s.contains("copy big/app:v1 →");
    tui.wait(running);
    let busy = key_latencies(&tui, &mut control, SAMPLES);
    let still_copying = running(&tui.screen());
    let copy_done = tui.wait(|s| s.contains("copied to"));
    drop(control);
    drop(tui);
    // refscope logs whether a key typed a character, never which. The first SAMPLES such keys
    // are the idle `?` presses and the last SAMPLES those during the copy (the destination
    // typed in between is neither).
    let inside: Vec<Duration> = std::fs::read_to_string(&log)
        .unwrap_or_default()
        .lines()
        .filter(|l| l.contains("character=true"))
        .filter_map(|l| l.split("drawn_us=").nth(1)?.split_whitespace().next()?.parse().ok())
        .map(Duration::from_micros)
        .collect();
    assert!(inside.len() >= 2 * SAMPLES, "refscope's log has a time for every `?` pressed");
    KeyTimes { idle, busy, inside_idle: inside[..SAMPLES].to_vec(), inside_busy: inside[inside.len() - SAMPLES..].to_vec(), still_copying, copy_done }
}

fn bench_input_latency(rows: &mut Vec<Row>) {
    let median_p99 = |v: &[Duration]| format!("median {} / p99 {}", ms(percentile(v.to_vec(), 0.5)), ms(percentile(v.to_vec(), 0.99)));
    for (registries, nice) in [("registries at nice 19, as if on another machine", Some(19)), ("registries sharing the 2 cores at normal priority", None)] {
        let t = keys_during_copy(nice);
        rows.push(Row {
            name: format!("TUI key → screen while a 1 GiB copy runs (tmux, 120x40; {registries})"),
            ours: format!("{} during the copy", median_p99(&t.busy)),
            baseline: format!("{} idle", median_p99(&t.idle)),
            ratio: format!("p99 {:.2}× the 33 ms budget", percentile(t.busy.clone(), 0.99).as_secs_f64() / 0.033),
            notes: format!(
                "key sent to help's title received, through a tmux control-mode client; inside refscope (key read to frame written): {} during the copy, {} idle; copy still running after the samples: {}; it finished {} later",
                median_p99(&t.inside_busy),
                median_p99(&t.inside_idle),
                t.still_copying,
                secs(t.copy_done)
            ),
        });
    }
}

fn tui_start(target: String, cache: Option<&Path>) -> refscope::tui::Start {
    refscope::tui::Start::anonymous(&target, cache.map(Path::to_path_buf))
}

/// Opening a tree seen before: painted from the disk cache, refreshed behind it.
async fn bench_warm_reopen(rows: &mut Vec<Row>) {
    use refscope::tui::app::tree::RowKind;
    let reg = DistRegistry::start();
    let s = reg.seeder();
    let (root, total) = seed_graph(&s, "graph", 50, 2, true).await;
    s.manifest("graph", "v1", &root.media_type, &common::read_manifest_bytes(&s, "graph", &root.digest.to_string()).await).await;
    let slow = common::proxy::Proxy::start(&reg.addr, common::proxy::Faults { latency: Duration::from_millis(5), ..Default::default() });
    let cache = tempfile::tempdir().unwrap();
    let nodes = |app: &refscope::tui::app::App| app.tree.rows(&app.store).iter().filter(|r| r.kind == RowKind::Node).count();
    let mut cold_times = Vec::new();
    let mut warm_times = Vec::new();
    let mut shown = 0;
    for run in 0..3 {
        let fresh_cache = tempfile::tempdir().unwrap();
        let cache_dir = if run == 0 { cache.path() } else { fresh_cache.path() };
        let t = Instant::now();
        let mut cold = Headless::start(tui_start(format!("{}/graph:v1", slow.addr), Some(cache_dir)), false).await.unwrap();
        cold.settle_until(|a| !a.busy() && nodes(a) > 0).await;
        cold_times.push(t.elapsed());
        shown = nodes(&cold.app);
        drop(cold);
        if run == 0 {
            for _ in 0..3 {
                let t = Instant::now();
                let mut warm = Headless::start(tui_start(format!("{}/graph:v1", slow.addr), Some(cache.path())), false).await.unwrap();
                warm.settle_until(|a| nodes(a) >= shown).await;
                warm_times.push(t.elapsed());
            }
        }
    }
    let (cold, warm) = (median(cold_times), median(warm_times));
    rows.push(Row {
        name: format!("TUI re-open of a seen tree ({shown} of {total} nodes shown), 5 ms added per request"),
        ours: format!("{} from the disk cache", ms(warm)),
        baseline: format!("{} first open", ms(cold)),
        ratio: format!("{:.1}× faster", cold.as_secs_f64() / warm.as_secs_f64()),
        notes: "time until every node shown on the first visit is painted again; the registry refresh runs behind it".into(),
    });
}

/// 10,000 repositories: the first screenful and the whole list, in the TUI model.
async fn bench_catalog(rows: &mut Vec<Row>) {
    let reg = DistRegistry::start();
    // distribution lists a repository when its directory has `_layers`; seeding through the
    // storage it reads keeps this row about listing, not about 30,000 uploads.
    let repos_root = reg.dir.path().join("data/docker/registry/v2/repositories");
    for i in 0..10_000 {
        std::fs::create_dir_all(repos_root.join(format!("team-{:03}/service-{i:05}/_layers", i % 150))).unwrap();
    }
    let mut first = Vec::new();
    let mut full = Vec::new();
    for _ in 0..3 {
        let t = Instant::now();
        let mut h = Headless::start(tui_start(reg.addr.clone(), None), false).await.unwrap();
        h.settle_until(|a| a.repos.items.len() >= 40).await;
        first.push(t.elapsed());
        while !h.app.repos.complete {
            let before = h.app.repos.items.len();
            h.press(crossterm::event::KeyCode::Char('G'));
            h.settle_until(|a| a.repos.items.len() > before || a.repos.complete).await;
        }
        full.push(t.elapsed());
        assert_eq!(h.app.repos.items.len(), 10_000);
    }
    let (t_rss, rss) = run_measured(refscope_bin(), &["repo", "ls", &reg.addr], &ENV);
    rows.push(Row {
        name: "catalog of 10,000 repositories (TUI model, pages of 1000)".into(),
        ours: format!("first screenful {}; whole list {}", ms(median(first)), ms(median(full))),
        baseline: format!("`refscope repo ls`: {} for all", secs(t_rss)),
        ratio: "—".into(),
        notes: format!("peak RSS of `refscope repo ls` listing all 10,000: {:.1} MiB", rss as f64 / 1024.0),
    });
}

/// A CycloneDX document of `n` components shaped like real ones (purl, hashes, a license, a
/// description `pad` bytes long).
fn cyclonedx_doc(n: usize, pad: usize) -> Vec<u8> {
    let filler = "d".repeat(pad);
    let components: Vec<serde_json::Value> = (0..n)
        .map(|i| {
            json!({"type": "library", "bom-ref": format!("pkg:pypi/pkg-{i}@1.{i}"), "name": format!("pkg-{i}"), "version": format!("1.{i}"),
                "description": filler, "purl": format!("pkg:pypi/pkg-{i}@1.{i}"),
                "licenses": [{"license": {"id": if i % 3 == 0 { "MIT" } else { "Apache-2.0" }}}],
                "hashes": [{"alg": "SHA-256", "content": format!("{:064x}", i)}],
                "externalReferences": [{"type": "website", "url": format!("https://example.com/pkg-{i}")}]})
        })
        .collect();
    serde_json::to_vec(&json!({"bomFormat": "CycloneDX", "specVersion": "1.5", "serialNumber": "urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79", "version": 1,
        "metadata": {"tools": {"components": [{"type": "application", "name": "bench"}]}}, "components": components}))
    .unwrap()
}

/// The SBOM summary (`refscope inspect --format json` on a layout) against `jq` counting the
/// same components, each as its own process: time and peak RSS.
fn bench_sbom(rows: &mut Vec<Row>) {
    let work = tempfile::tempdir().unwrap();
    // 10,000 components as they come, then descriptions padded to just under the 32 MiB bound.
    for (n, target) in [(10_000usize, None), (40_000, Some((32 << 20) - (64 << 10)))] {
        let mut doc = cyclonedx_doc(n, 0);
        if let Some(t) = target {
            doc = cyclonedx_doc(n, (t - doc.len()) / n);
        }
        let size = doc.len();
        std::fs::write(work.path().join("bom.json"), &doc).unwrap();
        let layout = work.path().join(format!("layout{n}"));
        let ok = Command::new(refscope_bin())
            .args(["push", "--oci-layout", &format!("{}:sbom", layout.display()), "--artifact-type", "application/vnd.cyclonedx+json", "bom.json:application/vnd.cyclonedx+json"])
            .current_dir(work.path())
            .envs(ENV)
            .stdout(Stdio::null())
            .status()
            .unwrap()
            .success();
        assert!(ok, "push into the layout");
        let target = format!("{}:sbom", layout.display());
        let file = work.path().join("bom.json");
        let (mut ours, mut jq, mut our_rss, mut jq_rss) = (Vec::new(), Vec::new(), 0, 0);
        for _ in 0..5 {
            let (t, r) = run_measured(refscope_bin(), &["inspect", "--format", "json", "--oci-layout", &target], &ENV);
            ours.push(t);
            our_rss = our_rss.max(r);
            let (t, r) = run_measured("jq", &[".components | length", file.to_str().unwrap()], &[]);
            jq.push(t);
            jq_rss = jq_rss.max(r);
        }
        let out = Command::new(refscope_bin()).args(["inspect", "--format", "json", "--oci-layout", &target]).envs(ENV).output().unwrap();
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(v["summary"]["packages"], json!(n), "the summary counts every component");
        let (ours, jq) = (median(ours), median(jq));
        rows.push(Row {
            name: format!("SBOM summary, CycloneDX of {n} components ({:.1} MiB)", size as f64 / (1024.0 * 1024.0)),
            ours: format!("{} (peak RSS {:.1} MiB)", ms(ours), our_rss as f64 / 1024.0),
            baseline: format!("{} (peak RSS {:.1} MiB) `jq '.components | length'`", ms(jq), jq_rss as f64 / 1024.0),
            ratio: format!("{:.1}× faster", jq.as_secs_f64() / ours.as_secs_f64()),
            notes: "refscope reads the blob from an OCI layout, checks its digest, and prints the whole summary (every package with its version, license counts) as JSON; jq only counts".into(),
        });
    }
}

/// The first screen (40 entries) of a 100,000-entry layer listing, streamed from the registry.
async fn bench_listing(rows: &mut Vec<Row>) {
    use std::io::Write;
    let reg = DistRegistry::start();
    let s = reg.seeder();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    let mut h = tar::Header::new_ustar();
    h.set_mode(0o644);
    h.set_mtime(1_740_819_600);
    for i in 0..100_000u64 {
        let data = format!("file {i}\n").repeat((i % 7) as usize);
        h.set_size(data.len() as u64);
        common::seed::set_raw_path(&mut h, &format!("usr/share/doc/pkg-{:03}/file-{i:06}.txt", i % 500));
        gz.write_all(h.as_bytes()).unwrap();
        gz.write_all(data.as_bytes()).unwrap();
        gz.write_all(&vec![0u8; (512 - data.len() % 512) % 512]).unwrap();
    }
    gz.write_all(&[0u8; 1024]).unwrap();
    let layer = gz.finish().unwrap();
    let l = s.blob("big", "application/vnd.oci.image.layer.v1.tar+gzip", &layer).await;
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), &layer).unwrap();
    let c: Registry = common::registry_client(&reg.addr);
    let opts = refscope::graph::inspect::InspectOptions::default();
    let (mut first, mut full, mut tar_times) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..5 {
        let t = Instant::now();
        let mut at = None;
        let listing = refscope::graph::inspect::list_layer(&c, "big", &l, &opts, |l| {
            if at.is_none() && l.entries.len() >= 40 {
                at = Some(t.elapsed());
            }
        })
        .await
        .unwrap();
        full.push(t.elapsed());
        first.push(at.expect("a first screen"));
        assert_eq!(listing.total, 100_000);
        let (t, _) = run_measured("tar", &["tzvf", file.path().to_str().unwrap()], &[]);
        tar_times.push(t);
    }
    let goal = Duration::from_millis(100);
    let first = median(first);
    rows.push(Row {
        name: format!("layer listing, 100,000 entries ({:.1} MiB tar+gzip), first screen (40 entries)", layer.len() as f64 / (1024.0 * 1024.0)),
        ours: format!("{} to the first screen; {} for all entries", ms(first), ms(median(full))),
        baseline: format!("goal {}; `tar tzvf` of the same file: {}", ms(goal), ms(median(tar_times))),
        ratio: format!("{:.2}× the goal", first.as_secs_f64() / goal.as_secs_f64()),
        notes: "streamed from distribution as it downloads (gzip undone on the way, nothing written to disk); the whole blob is still read to check its digest".into(),
    });
}

fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| c.lines().find(|l| l.starts_with("model name")).map(|l| l.split(':').nth(1).unwrap_or("").trim().to_string()))
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    let mem = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|m| m.lines().next().and_then(|l| l.split_whitespace().nth(1)).and_then(|k| k.parse::<u64>().ok()))
        .map(|kb| format!("{:.0} GiB", kb as f64 / 1024.0 / 1024.0))
        .unwrap_or_default();
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    format!("{cpu}, {cores} cores, {mem} RAM, Linux {}", kernel.trim())
}

fn main() {
    let wanted: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with('-')).collect();
    let on = |name: &str| wanted.is_empty() || wanted.iter().any(|w| w == name);
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    let mut rows = Vec::new();
    if on("discover") {
        rt.block_on(bench_discover(500, &mut rows));
    }
    if on("pull") {
        bench_pull(&mut rows);
    }
    if on("copy") {
        rt.block_on(bench_copy(&mut rows));
    }
    if on("frame") {
        bench_tui_frame(&mut rows);
    }
    if on("latency") {
        bench_input_latency(&mut rows);
    }
    if on("reopen") {
        rt.block_on(bench_warm_reopen(&mut rows));
    }
    if on("catalog") {
        rt.block_on(bench_catalog(&mut rows));
    }
    if on("sbom") {
        bench_sbom(&mut rows);
    }
    if on("listing") {
        rt.block_on(bench_listing(&mut rows));
    }
    let mut table = String::from("| benchmark | refscope | baseline (same run) | ratio | notes |\n|---|---|---|---|---|\n");
    for r in &rows {
        table.push_str(&format!("| {} | {} | {} | {} | {} |\n", r.name, r.ours, r.baseline, r.ratio, r.notes));
    }
    println!("{table}");
    if let Ok(path) = std::env::var("REFSCOPE_BENCH_OUT") {
        let doc = format!(
            "# refscope benchmarks\n\nMeasured by `scripts/bench` on {}, {}. Every row runs side by side with its baseline in the same run, against registries on 127.0.0.1 (CNCF distribution 2.8 for the tag schema, ferro-oci-server for the Referrers API).\n\n{table}",
            humantime::format_rfc3339_seconds(std::time::SystemTime::now()),
            machine()
        );
        std::fs::write(path, doc).unwrap();
    }
}
