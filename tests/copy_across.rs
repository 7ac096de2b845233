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
