//! copy -r across registry kinds in both directions, and between a registry and a layout.
//! Digests are identical at the destination and referrers are listed in its own mode.

mod common;

use common::api_server::ApiRegistry;
use common::{DistRegistry, refscope};

/// Builds the walkthrough graph at `reg/repo:v1` with the CLI; returns the discover tree.
fn build_graph(reg: &str, repo: &str) -> String {
    let w = common::walkthrough_files();
    let run = |args: &[&str]| refscope(args).current_dir(w.path()).ok();
    common::put_demo_image(reg, repo);
    let image = format!("{reg}/{repo}:v1");
    run(&["attach", &image, "--artifact-type", "signature/example", "./signature.json:application/json"]);
    let sbom = common::digest_line(&run(&["attach", &image, "--artifact-type", "sbom/example", "./sbom.json:application/json"]));
    run(&["attach", &format!("{reg}/{repo}@{sbom}"), "--artifact-type", "signature/example", "./sbom-signature.json:application/json"]);
    run(&["discover", &image])
}

fn body(tree: &str) -> String {
    tree.split_once('\n').map(|(_, rest)| rest.to_string()).unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread")]
async fn tag_schema_to_api_and_back() {
    let dist = DistRegistry::start();
    let api = ApiRegistry::start();
    let tree = build_graph(&dist.addr, "app");

    let to_api = format!("{}/promoted/app:v1", api.addr);
    refscope(["copy", "-r", &format!("{}/app:v1", dist.addr), &to_api]).ok();
    assert_eq!(body(&refscope(["discover", &to_api]).ok()), body(&tree));
    let api_tags = api.seeder().tags("promoted/app").await;
    assert_eq!(api_tags, ["v1"], "the API registry gets no tag-schema indexes");

    let back = format!("{}/returned/app:v2", dist.addr);
    refscope(["cp", "-r", &to_api, &back]).ok();
    assert_eq!(body(&refscope(["discover", &back]).ok()), body(&tree));
    let mut tags = dist.seeder().tags("returned/app").await;
    tags.sort();
    assert_eq!(tags.len(), 3, "v2 plus indexes for the image and the SBOM: {tags:?}");
    assert!(tags.contains(&"v2".to_string()));
}

#[tokio::test(flavor = "multi_thread")]
async fn registry_to_layout_and_layout_to_registry() {
    let dist = DistRegistry::start();
    let tree = build_graph(&dist.addr, "app");
    let dir = tempfile::tempdir().unwrap();
    let layout = dir.path().join("exported");
    let layout_ref = format!("{}:v1", layout.display());
    refscope(["copy", "-r", "--to-oci-layout", &format!("{}/app:v1", dist.addr), &layout_ref]).ok();
    assert_eq!(body(&refscope(["discover", "--oci-layout", &layout_ref]).ok()), body(&tree));
    assert!(layout.join("oci-layout").exists() && layout.join("index.json").exists());

    let api = ApiRegistry::start();
    let imported = format!("{}/imported/app:v1", api.addr);
    refscope(["copy", "-r", "--from-oci-layout", &layout_ref, &imported]).ok();
    assert_eq!(body(&refscope(["discover", &imported]).ok()), body(&tree));
    let reimported = format!("{}/reimported/app:v1", dist.addr);
    refscope(["copy", "-r", "--from-oci-layout", &layout_ref, &reimported]).ok();
    assert_eq!(body(&refscope(["discover", &reimported]).ok()), body(&tree));
    // An untagged destination keeps the source tag.
    let kept = format!("{}/kept/app", dist.addr);
    let out = refscope(["copy", &format!("{}/app:v1", dist.addr), &kept]).ok();
    assert!(out.contains(&format!("=> [registry] {kept}:v1")), "{out}");
}

/// A wide graph (12 referrers, each with 12 of its own): planning fans out at every node, but
/// requests in flight stay bounded at both ends, and every referrer arrives listed.
#[tokio::test(flavor = "multi_thread")]
async fn a_wide_graph_is_copied_with_bounded_requests_in_flight() {
    use refscope::graph::copy::{CopyOptions, Endpoint, copy};
    let reg = DistRegistry::start();
    let s = reg.seeder();
    let subject = s.image("wide", "v1", b"subject layer").await;
    let mut level = vec![subject.clone()];
    for depth in 0..2 {
        let mut next = Vec::new();
        for parent in &level {
            let mut entries = Vec::new();
            for i in 0..12 {
                let body = format!("{{\"depth\":{depth},\"parent\":\"{}\",\"n\":{i}}}", parent.digest);
                let files = [("n.json", "application/json", body.as_bytes())];
                let d = s.artifact("wide", None, "note/example", &files, Some(parent), serde_json::json!({})).await;
                entries.push((d, "note/example"));
            }
            s.fallback_index("wide", parent, &entries).await;
            next.extend(entries.into_iter().map(|(d, _)| d));
        }
        level = next;
    }

    let (src, dst) = (common::registry_client(&reg.addr), common::registry_client(&reg.addr));
    let opts = CopyOptions { recursive: true, ..Default::default() };
    let (plan, report) = copy(Endpoint { target: &src, repo: "wide" }, Endpoint { target: &dst, repo: "copied/wide" }, "v1", &["v1".into()], &opts)
        .await
        .unwrap();
    assert_eq!(plan.manifests.len(), 1 + 12 + 144);
    assert_eq!(report.referrers, 156);
    // Planning: 16 at once. Sending: 4 large and 16 small blobs, in each of the two halves.
    for (end, c) in [("source", &src), ("destination", &dst)] {
        assert!(c.peak_in_flight() <= 36, "requests in flight at the {end} peaked at {}", c.peak_in_flight());
    }
    let listed = refscope(["discover", "-o", "json", &format!("{}/copied/wide:v1", reg.addr)]).ok();
    // Counted in the nested `manifests` (`referrers` and `references` repeat the root's level).
    let listed: serde_json::Value = serde_json::from_str(&listed).unwrap();
    assert_eq!(listed["manifests"].to_string().matches("note/example").count(), 156);
}
