//! One graph, the same in every view and every operation: a release (a 2-platform index
//! pushed by skopeo, an SBOM and a sigstore bundle on the index, an attestation on one
//! platform, a signature on the SBOM, a cosign `.sig` tag on the index), on CNCF distribution
//! (tag schema) and on a registry with the Referrers API. The views are discover, copy -r,
//! manifest delete and the TUI tree, reached by every path a user takes.

mod common;

use std::collections::{BTreeSet, HashSet};

use common::api_server::ApiRegistry;
use common::release::{self, Release};
use common::{DistRegistry, Seeder, refscope};
use crossterm::event::KeyCode;
use refscope::graph::copy::{self, CopyOptions, Endpoint};
use refscope::graph::delete::{self, DeleteOptions};
use refscope::graph::discover::{DiscoverOptions, discover};
use refscope::oci::Digest;
use refscope::store::Target;
use refscope::tui::app::tree::RowKind;
use refscope::tui::headless::Headless;
use serde_json::Value;

/// Opens every artifact row of the TUI tree until none is left closed, then lists the
/// digests of its rows.
async fn tree_nodes(t: &mut Headless) -> BTreeSet<Digest> {
    t.keys(&[KeyCode::Char('3')]).await;
    let mut opened = HashSet::new();
    loop {
        let rows = t.app.tree.rows(&t.app.store);
        let Some(row) = rows.iter().find(|r| r.digest.is_some() && r.expandable && !t.app.tree.is_open(&r.path, r.kind) && opened.insert(r.path.clone())) else {
            return rows.iter().filter_map(|r| r.digest.clone()).collect();
        };
        t.app.tree.selected = row.path.clone();
        t.keys(&[KeyCode::Right]).await;
    }
}

async fn tui(target: &str, cache: &tempfile::TempDir) -> Headless {
    let start = refscope::tui::Start::anonymous(target, Some(cache.path().to_path_buf()));
    let mut t = Headless::start(start, false).await.unwrap();
    t.settle().await;
    t
}

/// The TUI tree of `repo:v1` reached each way a user gets there: opened directly, browsed to
/// from the repository and tag lists, refreshed, and opened again from the cache.
async fn tui_views(addr: &str, repo: &str) -> Vec<(&'static str, BTreeSet<Digest>)> {
    let cache = tempfile::tempdir().unwrap();
    let mut direct = tui(&format!("{addr}/{repo}:v1"), &cache).await;
    let opened = tree_nodes(&mut direct).await;
    direct.keys(&[KeyCode::Char('r')]).await;
    let refreshed = tree_nodes(&mut direct).await;
    let cached = tree_nodes(&mut tui(&format!("{addr}/{repo}:v1"), &cache).await).await;

    let mut browse = tui(addr, &tempfile::tempdir().unwrap()).await;
    let at = browse.app.repos.items.iter().position(|r| r == repo).expect("the repository is listed");
    browse.keys(&vec![KeyCode::Down; at]).await;
    browse.keys(&[KeyCode::Enter]).await;
    assert_eq!(browse.app.tags.shown, ["v1"], "attachment and referrers-index tags stay hidden");
    browse.keys(&[KeyCode::Enter]).await;
    let browsed = tree_nodes(&mut browse).await;
    vec![("tui, opened directly", opened), ("tui, refreshed", refreshed), ("tui, from the cache", cached), ("tui, browsed to", browsed)]
}

/// The nodes each view lists for `repo:v1`.
async fn views(addr: &str, repo: &str) -> Vec<(&'static str, BTreeSet<Digest>)> {
    let (a, b, c, d) = (common::registry_client(addr), common::registry_client(addr), common::registry_client(addr), common::registry_client(addr));
    let root = a.fetch_manifest(repo, "v1").await.unwrap();
    let discovered = discover(&a, repo, root, &DiscoverOptions::default()).await.unwrap();
    assert!(discovered.warnings.is_empty(), "{:?}", discovered.warnings);
    let opts = CopyOptions { recursive: true, ..CopyOptions::default() };
    let planned = copy::plan(Endpoint { target: &b, repo }, Endpoint { target: &c, repo: "elsewhere" }, "v1", &opts).await.unwrap();
    let doomed = delete::plan(&d, repo, "v1", &DeleteOptions::default()).await.unwrap();
    assert!(doomed.kept.is_empty() && doomed.unchecked.is_empty(), "{}", doomed.describe("v1"));
    vec![
        ("discover", discovered.nodes().into_iter().collect()),
        ("copy -r", planned.manifests.iter().map(|m| m.blob.digest.clone()).collect()),
        ("manifest delete", doomed.manifests().map(|m| m.digest.clone()).collect()),
    ]
    .into_iter()
    .chain(tui_views(addr, repo).await)
    .collect()
}

async fn every_view_lists_the_same_nodes(addr: &str, tag_schema: bool) {
    let r = release::seed(addr, "app", "v1", tag_schema).await;
    let expected: BTreeSet<Digest> = r.digests().into_iter().collect();
    assert_eq!(expected.len(), 8);
    for (view, nodes) in views(addr, "app").await {
        assert_eq!(nodes, expected, "{view} lists another set of nodes");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn every_view_lists_the_same_nodes_on_distribution() {
    let reg = DistRegistry::start();
    every_view_lists_the_same_nodes(&reg.addr, true).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn every_view_lists_the_same_nodes_with_the_referrers_api() {
    let reg = ApiRegistry::start();
    every_view_lists_the_same_nodes(&reg.addr, false).await;
}

fn expected_tree(reference: &str, r: &Release) -> String {
    format!(
        "{reference}
├── linux/amd64
│   └── {amd64}
│       └── application/vnd.in-toto+json
│           └── {att}
├── linux/arm64
│   └── {arm64}
├── application/spdx+json
│   └── {sbom}
│       └── application/vnd.cncf.notary.signature
│           └── {notation}
├── application/vnd.dev.sigstore.bundle.v0.3+json
│   └── {bundle}
└── {tag} (cosign tag)
    └── {cosign}
",
        amd64 = r.amd64.digest,
        att = r.attestation.digest,
        arm64 = r.arm64.digest,
        sbom = r.sbom.digest,
        notation = r.notation.digest,
        bundle = r.bundle.digest,
        tag = r.cosign_tag,
        cosign = r.cosign.digest,
    )
}

fn body(tree: &str) -> String {
    tree.split_once('\n').map(|(_, rest)| rest.to_string()).unwrap_or_default()
}

/// Discover as tree and JSON; copy -r within the registry and to `other`; delete of both
/// copies; then nothing of the graph is left.
async fn discover_copy_delete(addr: &str, seeder: Seeder, other: &str, other_seeder: Seeder, tag_schema: bool) {
    let r = release::seed(addr, "app", "v1", tag_schema).await;
    let image = format!("{addr}/app:v1");
    assert_eq!(refscope(["discover", &image]).ok(), expected_tree(&image, &r));

    let json: Value = serde_json::from_str(&refscope(["discover", "-o", "json", &image]).ok()).unwrap();
    assert_eq!(json["digest"], r.index.digest.to_string());
    assert_eq!(json["manifests"][0]["digest"], r.sbom.digest.to_string(), "ORAS scripts still read the first referrer");
    assert_eq!(json["manifests"][0]["manifests"][0]["digest"], r.notation.digest.to_string());
    assert_eq!(json["manifests"].as_array().unwrap().len(), 2, "referrers only under `manifests`");
    assert_eq!(json["children"][0]["platform"]["architecture"], "amd64");
    assert_eq!(json["children"][0]["manifests"][0]["digest"], r.attestation.digest.to_string());
    assert_eq!(json["children"][1]["digest"], r.arm64.digest.to_string());
    assert_eq!(json["attachments"][0]["tag"], r.cosign_tag.as_str());
    assert_eq!(json["attachments"][0]["digest"], r.cosign.digest.to_string());

    // Promotion within the registry and to the other one: the same graph, cosign tag included.
    let staged = format!("{addr}/staging/app:v1");
    let promoted = format!("{other}/prod/app:v1");
    for (dst, seeder, dst_tag_schema) in [(&staged, &seeder, tag_schema), (&promoted, &other_seeder, !tag_schema)] {
        let out = refscope(["copy", "-r", &image, dst]).ok();
        assert!(out.contains("Attachment tags: 1"), "{out}");
        assert_eq!(body(&refscope(["discover", dst]).ok()), body(&expected_tree(&image, &r)), "{dst}");
        let repo = dst.split_once('/').unwrap().1.trim_end_matches(":v1");
        let mut tags = seeder.tags(repo).await;
        tags.sort();
        let mut expected = vec![r.cosign_tag.clone(), "v1".to_string()];
        if dst_tag_schema {
            expected.extend([&r.index, &r.amd64, &r.sbom].iter().map(|d| d.digest.fallback_tag()));
        }
        expected.sort();
        assert_eq!(tags, expected, "{dst}");
        let again = refscope(["copy", "-r", &image, dst]).ok();
        assert!(again.contains("manifests pushed 0"), "a rerun pushes nothing: {again}");
    }

    for (target, seeder, repo) in [(&image, &seeder, "app"), (&staged, &seeder, "staging/app"), (&promoted, &other_seeder, "prod/app")] {
        let plan = refscope(["manifest", "delete", "--dry-run", target]).ok();
        assert!(plan.contains(&format!("tags: {}", r.cosign_tag)) && plan.contains("tags: v1"), "{plan}");
        assert!(!plan.contains("keep ") && !plan.contains("unchecked"), "{plan}");
        refscope(["manifest", "delete", "-f", target]).ok();
        for d in r.digests() {
            assert_eq!(seeder.head_manifest(repo, &d.to_string()).await, 404, "{repo}@{d} should be gone");
        }
        let tags = seeder.tags(repo).await;
        assert!(tags.is_empty(), "{repo} keeps tags {tags:?}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_whole_graph_is_discovered_copied_and_deleted_on_distribution() {
    let dist = DistRegistry::start();
    let api = ApiRegistry::start();
    discover_copy_delete(&dist.addr, dist.seeder(), &api.addr, api.seeder(), true).await;
    for repo in ["app", "staging/app"] {
        assert_eq!(dist.stored_manifests(repo), Vec::<String>::new(), "{repo}: not even a superseded referrers index is left");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_whole_graph_is_discovered_copied_and_deleted_with_the_referrers_api() {
    let api = ApiRegistry::start();
    let dist = DistRegistry::start();
    discover_copy_delete(&api.addr, api.seeder(), &dist.addr, dist.seeder(), false).await;
}

/// Every manifest request for `tag` in a debug log of refscope's requests.
fn requests_for(log: &str, repo: &str, tag: &str) -> usize {
    log.lines().filter(|l| l.contains(&format!("/v2/{repo}/manifests/{tag} ->"))).count()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_delete_plan_reads_each_tag_at_most_once() {
    let reg = DistRegistry::start();
    let r = release::seed(&reg.addr, "app", "v1", true).await;
    let s = reg.seeder();
    let other = s.image("app", "other", b"another image").await;
    s.manifest("app", "latest", common::seed::MANIFEST, &common::read_manifest_bytes(&s, "app", "other").await).await;
    let logs = tempfile::tempdir().unwrap();
    let log = logs.path().join("requests.log");
    refscope(["manifest", "delete", "--dry-run", &format!("{}/app:v1", reg.addr)])
        .env("REFSCOPE_LOG", "refscope=debug")
        .env("REFSCOPE_LOG_FILE", &log)
        .ok();
    let text = std::fs::read_to_string(&log).unwrap();
    let tags = s.tags("app").await;
    assert_eq!(tags.len(), 7, "v1, other, latest, the cosign tag and three referrers indexes: {tags:?}");
    assert_eq!(requests_for(&text, "app", "v1"), 1, "the root's tag is read once:\n{text}");
    for t in &tags {
        assert!(requests_for(&text, "app", t) <= 1, "{t} read {} times:\n{text}", requests_for(&text, "app", t));
    }
    assert_eq!(requests_for(&text, "app", "other"), 1, "a tag that might keep something is read");
    assert_eq!(requests_for(&text, "app", &r.cosign_tag), 1);
    assert_eq!(s.head_manifest("app", &other.digest.to_string()).await, 200);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_tag_that_cannot_be_read_is_reported_in_the_plan() {
    let reg = DistRegistry::start();
    release::seed(&reg.addr, "app", "v1", true).await;
    reg.seeder().image("app", "other", b"another image").await;
    // A registry whose storage lost a tag's link answers 500 for it, and still lists it.
    let link = reg.dir.path().join("data/docker/registry/v2/repositories/app/_manifests/tags/other/current/link");
    std::fs::write(&link, b"garbage").unwrap();
    let out = refscope(["manifest", "delete", "--dry-run", &format!("{}/app:v1", reg.addr)]).output();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let (plan, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(plan.contains("  unchecked tag other: ") && plan.contains("500"), "{plan}");
    assert!(stderr.contains("could not check tag other") && stderr.contains("does not account for it"), "{stderr}");
}

#[tokio::test(flavor = "multi_thread")]
async fn walks_past_their_limits_stop_with_the_flag_to_raise_them() {
    let reg = DistRegistry::start();
    release::seed(&reg.addr, "app", "v1", true).await;
    let image = format!("{}/app:v1", reg.addr);
    let elsewhere = format!("{}/elsewhere/app:v1", reg.addr);
    for args in [
        vec!["discover", "--max-nodes", "3", &image],
        vec!["copy", "-r", "--max-nodes", "3", &image, &elsewhere],
        vec!["manifest", "delete", "--dry-run", "--max-nodes", "3", &image],
    ] {
        let err = refscope(&args).fails();
        assert!(err.contains("more than 3 nodes") && err.contains("raise the limit with --max-nodes"), "{args:?}: {err}");
    }
    for args in [vec!["discover", "--max-depth", "1", &image], vec!["manifest", "delete", "--dry-run", "--max-depth", "1", &image]] {
        let err = refscope(&args).fails();
        assert!(err.contains("more than 1 levels") && err.contains("--max-depth"), "{args:?}: {err}");
    }
    // A depth the user asks for is a view, not a limit: the first level, and no error.
    let shallow = refscope(["discover", "--depth", "1", &image]).ok();
    assert!(shallow.contains("linux/amd64") && !shallow.contains("application/vnd.in-toto+json"), "{shallow}");
    assert!(refscope(["repo", "tags", &format!("{}/elsewhere/app", reg.addr)]).output().stdout.is_empty(), "nothing was copied");
}

/// An index listing `children` (with a platform each, or none), stored under `tag`.
async fn index_of(s: &Seeder, repo: &str, tag: &str, children: &[(&refscope::oci::Descriptor, Option<&str>)], note: &str) -> refscope::oci::Descriptor {
    let manifests: Vec<Value> = children
        .iter()
        .map(|(d, platform)| {
            let mut v = serde_json::json!({"mediaType": d.media_type, "digest": d.digest.to_string(), "size": d.size});
            if let Some((os, arch)) = platform.and_then(|p| p.split_once('/')) {
                v["platform"] = serde_json::json!({"os": os, "architecture": arch});
            }
            v
        })
        .collect();
    let index = serde_json::json!({"schemaVersion": 2, "mediaType": common::seed::INDEX, "manifests": manifests, "annotations": {"test.note": note}});
    s.manifest(repo, tag, common::seed::INDEX, &serde_json::to_vec(&index).unwrap()).await
}

/// Odd graphs show as what they are, with a note; delete keeps whatever a tag that stays
/// still reaches, and says why.
#[tokio::test(flavor = "multi_thread")]
async fn odd_graphs_show_as_what_they_are_and_delete_keeps_what_tags_reach() {
    let reg = DistRegistry::start();
    let (addr, s) = (reg.addr.clone(), reg.seeder());
    let r = release::seed(&addr, "odd", "v1", true).await;
    // Another index sharing both platforms; a `.sig` tag for a digest the repository lacks.
    let v2 = index_of(&s, "odd", "v2", &[(&r.amd64, Some("linux/amd64")), (&r.arm64, Some("linux/arm64"))], "v2").await;
    let nowhere = refscope::oci::Descriptor::new(common::seed::MANIFEST, Digest::sha256_of(b"not in this repository"), 2);
    let (_, stray_tag) = release::cosign_signature(&s, "odd", &nowhere).await;
    // An index with a child that went missing and a child without a platform (tagged itself),
    // and a cosign tag on that child which holds an index.
    let gone = s.image("odd", "gone", b"gone").await;
    let bare = s.image("odd", "bare", b"bare").await;
    let broken = index_of(&s, "odd", "broken", &[(&gone, Some("linux/amd64")), (&bare, None)], "broken").await;
    let deleted = reqwest::Client::new().delete(format!("http://{addr}/v2/odd/manifests/{}", gone.digest)).send().await.unwrap();
    assert_eq!(deleted.status(), 202);
    let odd_tag = format!("{}.att", bare.digest.fallback_tag());
    s.manifest("odd", &odd_tag, common::seed::INDEX, &common::read_manifest_bytes(&s, "odd", "v2").await).await;
    let head = |d: &Digest| {
        let s = reg.seeder();
        let d = d.to_string();
        async move { s.head_manifest("odd", &d).await }
    };

    let out = refscope(["discover", &format!("{addr}/odd:broken")]).output();
    let (tree, warnings) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(tree.contains(&format!("├── linux/amd64\n│   └── {} (missing)", gone.digest)), "{tree}");
    assert!(tree.contains(&format!("└── (no platform)\n    └── {}", bare.digest)), "{tree}");
    assert!(warnings.contains(&format!("index {} lists {}, which is not in the repository", broken.digest, gone.digest)), "{warnings}");
    assert!(warnings.contains(&format!("lists {} without a `platform`", bare.digest)), "{warnings}");
    let cache = tempfile::tempdir().unwrap();
    let mut t = tui(&format!("{addr}/odd:broken"), &cache).await;
    tree_nodes(&mut t).await;
    let rows = t.app.tree.rows(&t.app.store);
    let platform = |d: &Digest| rows.iter().find(|r| r.kind == RowKind::Platform && r.digest.as_ref() == Some(d)).map(|r| (r.label.clone(), r.failed));
    assert_eq!(platform(&gone.digest), Some((format!("linux/amd64 (missing)  {}", gone.digest), true)), "the TUI tree says the child is missing");
    assert_eq!(platform(&bare.digest), Some((format!("(no platform)  {}", bare.digest), false)));
    let held = rows.iter().position(|r| r.label.starts_with("in-toto attestation · cosign tag ")).expect("the odd cosign tag under its subject");
    assert!(rows[held + 1..].iter().any(|r| r.digest.as_ref() == Some(&v2.digest)), "the index the cosign tag holds, shown as an index");
    let err = refscope(["copy", &format!("{addr}/odd:broken"), &format!("{addr}/copied:broken")]).fails();
    assert!(err.contains("which is not in the source repository"), "{err}");

    let out = refscope(["discover", &format!("{addr}/odd:bare")]).output();
    let (tree, warnings) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(tree.contains(&format!("└── {odd_tag} (cosign tag)\n    └── {}\n        ├── linux/amd64", v2.digest)), "{tree}");
    assert!(warnings.contains("holds an index") && warnings.contains(&odd_tag), "{warnings}");
    assert!(!refscope(["discover", &format!("{addr}/odd:v1")]).ok().contains(&stray_tag), "a stray tag belongs to nothing here");

    // v1 goes; the platforms stay for v2, with the attestation on one of them.
    let plan = refscope(["manifest", "delete", "--dry-run", &format!("{addr}/odd:v1")]).ok();
    for p in [&r.amd64, &r.arm64] {
        assert!(plan.contains(&format!("  keep      {}  {}  index {} (tag v2) stays and lists it", p.digest, p.media_type, v2.digest)), "{plan}");
        assert!(!plan.contains(&format!("manifest  {}", p.digest)), "{plan}");
    }
    assert!(!plan.contains(&r.attestation.digest.to_string()), "the attestation stays with its platform: {plan}");
    refscope(["manifest", "delete", "-f", &format!("{addr}/odd:v1")]).ok();
    for d in [&r.index, &r.sbom, &r.bundle, &r.notation, &r.cosign] {
        assert_eq!(head(&d.digest).await, 404, "{} should be gone", d.digest);
    }
    for d in [&r.amd64, &r.arm64, &r.attestation] {
        assert_eq!(head(&d.digest).await, 200, "{} should stay", d.digest);
    }
    let v2_tree = refscope(["discover", &format!("{addr}/odd:v2")]).ok();
    assert!(v2_tree.contains(&r.attestation.digest.to_string()) && v2_tree.contains("linux/arm64"), "{v2_tree}");

    // The broken index goes; its child without a platform has a tag of its own and stays.
    let plan = refscope(["manifest", "delete", "--dry-run", &format!("{addr}/odd:broken")]).ok();
    assert!(plan.contains(&format!("  keep      {}  {}  tag bare stays on it", bare.digest, bare.media_type)), "{plan}");
    refscope(["manifest", "delete", "-f", &format!("{addr}/odd:broken")]).ok();
    assert_eq!(head(&broken.digest).await, 404);
    assert_eq!(head(&bare.digest).await, 200);

    // The child goes; its odd cosign tag holds v2, which its own tag keeps: said, not done.
    let out = refscope(["manifest", "delete", "-f", &format!("{addr}/odd:bare")]).output();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stderr).contains(&format!("the cosign tag {odd_tag} stays")), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(head(&bare.digest).await, 404);
    assert_eq!(head(&v2.digest).await, 200);

    // Deleting v2 takes the rest, the odd tag with it; only the stray tag is left.
    refscope(["manifest", "delete", "-f", &format!("{addr}/odd:v2")]).ok();
    for d in [&v2, &r.amd64, &r.arm64, &r.attestation] {
        assert_eq!(head(&d.digest).await, 404, "{} should be gone", d.digest);
    }
    assert_eq!(s.tags("odd").await, vec![stray_tag]);
}

/// The digests of the tree's rows of `kind`, sorted.
fn tree_digests(app: &refscope::tui::app::App, kind: refscope::tui::app::tree::RowKind) -> Vec<Digest> {
    let mut v: Vec<Digest> = app.tree.rows(&app.store).iter().filter(|r| r.kind == kind).filter_map(|r| r.digest.clone()).collect();
    v.sort();
    v
}

/// The multi-platform release through every verb that reads or names a manifest, and through
/// the TUI's model and worker: each takes the index as an index.
#[tokio::test(flavor = "multi_thread")]
async fn a_multi_platform_index_goes_through_every_verb_and_the_tui_worker() {
    use refscope::tui::app::tree::RowKind;
    let reg = DistRegistry::start();
    let r = release::seed(&reg.addr, "app", "v1", true).await;
    let s = reg.seeder();
    let image = format!("{}/app:v1", reg.addr);
    let index = r.index.digest.to_string();

    assert_eq!(refscope(["resolve", &image]).ok().trim(), index);
    let fetched = refscope(["manifest", "fetch", &image]).output();
    assert!(fetched.status.success());
    assert_eq!(Digest::sha256_of(&fetched.stdout), r.index.digest, "the index's own bytes");
    let descriptor: Value = serde_json::from_str(&refscope(["manifest", "fetch", "--descriptor", &image]).ok()).unwrap();
    assert_eq!(descriptor["mediaType"], common::seed::INDEX);

    let err = refscope(["manifest", "fetch-config", &image]).fails();
    assert!(err.contains("is an index") && err.contains("--platform") && err.contains("linux/amd64, linux/arm64"), "{err}");
    let arm64: Value = serde_json::from_slice(&common::read_manifest_bytes(&s, "app", &r.arm64.digest.to_string()).await).unwrap();
    let config = refscope(["manifest", "fetch-config", "--platform", "linux/arm64", &image]).output();
    assert!(config.status.success(), "{}", String::from_utf8_lossy(&config.stderr));
    assert_eq!(Digest::sha256_of(&config.stdout).to_string(), arm64["config"]["digest"].as_str().unwrap(), "the arm64 config's own bytes");
    let described: Value = serde_json::from_str(&refscope(["manifest", "fetch-config", "--descriptor", &format!("{}/app@{}", reg.addr, r.arm64.digest)]).ok()).unwrap();
    assert_eq!(described, arm64["config"], "an image's config descriptor, no --platform needed");
    let err = refscope(["manifest", "fetch-config", "--max-blob-size", "0", "--platform", "linux/arm64", &image]).fails();
    assert!(err.contains(arm64["config"]["digest"].as_str().unwrap()) && err.contains("--max-blob-size"), "a bound, named: {err}");
    let err = refscope(["manifest", "fetch-config", "--platform", "windows/amd64", &image]).fails();
    assert!(err.contains("lists no platform windows/amd64"), "{err}");
    // On a single image --platform is a check: its config must name that platform.
    let single = format!("{}/app@{}", reg.addr, r.arm64.digest);
    let config = refscope(["manifest", "fetch-config", "--platform", "linux/arm64", &single]).output();
    assert!(config.status.success(), "{}", String::from_utf8_lossy(&config.stderr));
    assert_eq!(Digest::sha256_of(&config.stdout).to_string(), arm64["config"]["digest"].as_str().unwrap(), "the image's config, platform matched");
    for args in [vec!["--platform", "linux/amd64"], vec!["--descriptor", "--platform", "linux/amd64"], vec!["--platform", "linux/arm64/v7"]] {
        let mut argv = vec!["manifest", "fetch-config"];
        argv.extend(&args);
        argv.push(&single);
        let err = refscope(argv).fails();
        assert!(err.contains("is a single image for linux/arm64, not linux/") && err.contains("leave --platform out"), "{args:?}: {err}");
    }
    let artifact = format!("{}/app@{}", reg.addr, r.sbom.digest);
    let err = refscope(["manifest", "fetch-config", "--platform", "linux/arm64", &artifact]).fails();
    assert!(err.contains("names no platform") && err.contains("leave --platform out"), "an artifact's empty config: {err}");
    assert_eq!(refscope(["manifest", "fetch-config", &artifact]).ok(), "{}", "without --platform it is fetched");

    let inspected: Value = serde_json::from_str(&refscope(["inspect", "--format", "json", &image]).ok()).unwrap();
    let text = inspected.to_string();
    assert!(text.contains("amd64") && text.contains("arm64"), "inspect names both platforms: {inspected:#}");

    let out = tempfile::tempdir().unwrap();
    let err = refscope(["pull", "-o", out.path().to_str().unwrap(), &image]).fails();
    assert!(err.contains("is an index") && err.contains("by digest"), "{err}");
    assert!(common::tree(out.path()).is_empty(), "nothing pulled");

    refscope(["tag", &image, "stable", "1.0"]).ok();
    for tag in ["stable", "1.0"] {
        assert_eq!(refscope(["resolve", &format!("{}/app:{tag}", reg.addr)]).ok().trim(), index, "{tag}");
    }
    let on_index = refscope(["repo", "tags", "--exclude-digest-tags", &format!("{}/app@{index}", reg.addr)]).ok();
    assert_eq!(on_index, "1.0\nstable\nv1\n");

    let platform = format!("{}/app@{}", reg.addr, r.amd64.digest);
    let copied = format!("{}/elsewhere/app:amd64", reg.addr);
    refscope(["copy", "-r", &platform, &copied]).ok();
    assert_eq!(refscope(["resolve", &copied]).ok().trim(), r.amd64.digest.to_string(), "one platform copies on its own");
    assert!(refscope(["discover", &copied]).ok().contains(&r.attestation.digest.to_string()), "with its attestation");

    let cache = tempfile::tempdir().unwrap();
    let start = refscope::tui::Start::anonymous(&image, Some(cache.path().to_path_buf()));
    let mut tui = refscope::tui::headless::Headless::start(start, false).await.unwrap();
    tui.settle().await;
    let mut platforms = vec![r.amd64.digest.clone(), r.arm64.digest.clone()];
    platforms.sort();
    assert_eq!(tree_digests(&tui.app, RowKind::Platform), platforms, "the tree shows both platforms");
    let mut nodes = vec![r.sbom.digest.clone(), r.bundle.digest.clone(), r.attestation.digest.clone(), r.notation.digest.clone(), r.cosign.digest.clone()];
    nodes.sort();
    assert_eq!(tree_digests(&tui.app, RowKind::Node), nodes, "the referrers of the index, of a platform and of the SBOM, and the cosign signature");
    let rows = tui.app.tree.rows(&tui.app.store);
    let attachments: Vec<&str> = rows.iter().filter(|row| row.kind == RowKind::Attachment).map(|row| row.label.as_str()).collect();
    let short_tag = format!("{}….sig", &r.cosign_tag[..19]);
    assert!(attachments.len() == 1 && attachments[0].ends_with(&format!("cosign tag {short_tag}")), "the cosign tag heads its signature: {attachments:?}");
    let mut tags = s.tags("app").await;
    tags.sort();
    let mut expected = vec!["1.0".to_string(), "stable".into(), "v1".into(), r.cosign_tag.clone()];
    expected.extend([&r.index, &r.amd64, &r.sbom].iter().map(|d| d.digest.fallback_tag()));
    expected.sort();
    assert_eq!(tags, expected, "nothing but the two new tags was written");
}
