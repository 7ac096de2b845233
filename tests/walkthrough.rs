//! The supply-chain walkthrough of DESIGN.md §1, step by step through the CLI, once on a
//! registry without the Referrers API (tag schema) and once on one with it.

mod common;

use common::api_server::ApiRegistry;
use common::{DistRegistry, Seeder, digest_line, refscope};
use serde_json::Value;

struct Ids {
    sig: String,
    sbom: String,
    sbom_sig: String,
    readme: String,
}

fn expected_tree(root: &str, ids: &Ids) -> String {
    format!(
        "{root}\n├── readme/example\n│   └── {}\n├── sbom/example\n│   └── {}\n│       └── signature/example\n│           └── {}\n└── signature/example\n    └── {}\n",
        ids.readme, ids.sbom, ids.sbom_sig, ids.sig
    )
}

async fn walkthrough(reg: &str, seeder: Seeder, dist: Option<&DistRegistry>) {
    let tag_schema = dist.is_some();
    let w = common::walkthrough_files();
    let run = |args: &[&str]| refscope(args).current_dir(w.path()).ok();

    // push a multi-file artifact with a directory, and a single file
    let out = run(&["push", &format!("{reg}/samples/artifact:readme"), "--artifact-type", "readme/example", "./readme.md:application/markdown", "./details"]);
    assert!(out.contains("Pushed [registry]") && out.contains("ArtifactType: readme/example"), "{out}");
    let readme_artifact = digest_line(&out);
    let single = digest_line(&run(&["push", &format!("{reg}/samples/single:v1,latest"), "./readme.md"]));

    // manifest fetch --pretty
    let m: Value = serde_json::from_str(&run(&["manifest", "fetch", "--pretty", &format!("{reg}/samples/artifact:readme")])).unwrap();
    assert_eq!(m["artifactType"], "readme/example");
    assert_eq!(m["config"]["mediaType"], "application/vnd.oci.empty.v1+json");
    assert_eq!(m["layers"][0]["annotations"]["org.opencontainers.image.title"], "readme.md");
    assert_eq!(m["layers"][1]["annotations"]["io.deis.oras.content.unpack"], "true");
    assert!(m["annotations"]["org.opencontainers.image.created"].is_string());
    let s: Value = serde_json::from_str(&run(&["manifest", "fetch", &format!("{reg}/samples/single:latest")])).unwrap();
    assert_eq!(s["artifactType"], "application/vnd.unknown.artifact.v1");
    assert_eq!(s["layers"][0]["mediaType"], "application/vnd.oci.image.layer.v1.tar");
    assert_eq!(run(&["resolve", &format!("{reg}/samples/single:v1")]).trim(), single);

    // pull and compare bytes
    run(&["pull", "-o", "./download", &format!("{reg}/samples/artifact:readme")]);
    for f in ["readme.md", "details/a.txt", "details/sub/b.txt"] {
        assert_eq!(common::read(w.path().join("download").join(f)), common::read(w.path().join(f)), "{f}");
    }

    // the image, then its referrers
    let image_digest = common::put_demo_image(reg, "net-monitor");
    let image = format!("{reg}/net-monitor:v1");
    let sig = digest_line(&run(&["attach", &image, "--artifact-type", "signature/example", "./signature.json:application/json"]));
    let sbom = digest_line(&run(&["attach", &image, "--artifact-type", "sbom/example", "./sbom.json:application/json"]));
    let found: Value = serde_json::from_str(&run(&["discover", "-o", "json", "--artifact-type", "sbom/example", &image])).unwrap();
    assert_eq!(found["manifests"][0]["digest"], sbom.as_str(), "the jq recipe of the walkthrough finds the SBOM");
    let sbom_sig = digest_line(&run(&["attach", &format!("{reg}/net-monitor@{sbom}"), "--artifact-type", "signature/example", "./sbom-signature.json:application/json"]));
    let readme = digest_line(&run(&["attach", &image, "--artifact-type", "readme/example", "./readme.md:application/markdown"]));
    let ids = Ids { sig, sbom, sbom_sig, readme };
    assert_eq!(run(&["discover", "-o", "tree", &image]), expected_tree(&image, &ids));
    let json: Value = serde_json::from_str(&run(&["discover", "-o", "json", &image])).unwrap();
    assert_eq!(json["digest"], image_digest.as_str());
    assert_eq!(json["manifests"].as_array().unwrap().len(), 3);

    // promotion: copy -r, the same tree at the destination
    let staged = format!("{reg}/sample-staging/net-monitor:v1");
    let out = run(&["copy", "-r", &image, &staged]);
    assert!(out.contains(&format!("Copied [registry] {image} => [registry] {staged}")), "{out}");
    assert_eq!(digest_line(&out), image_digest);
    assert_eq!(run(&["discover", &staged]), expected_tree(&staged, &ids));
    let again = run(&["copy", "-r", &image, &staged]);
    assert!(again.contains("manifests pushed 0"), "a rerun pushes nothing: {again}");

    // pull a referrer by digest from the copy
    let pulled = w.path().join("sbom-pull");
    run(&["pull", "-o", pulled.to_str().unwrap(), &format!("{reg}/sample-staging/net-monitor@{}", ids.sbom)]);
    assert_eq!(common::read(pulled.join("sbom.json")), common::read(w.path().join("sbom.json")));

    // tags: the TUI-facing API hides tag-schema indexes by default
    let client = common::registry_client(reg);
    assert_eq!(refscope::graph::list_tags(&client, "net-monitor", false).await.unwrap(), ["v1"]);
    let all = refscope::graph::list_tags(&client, "net-monitor", true).await.unwrap();
    let fallback_tags: Vec<&String> = all.iter().filter(|t| t.starts_with("sha256-")).collect();
    if tag_schema {
        assert_eq!(fallback_tags.len(), 2, "indexes for the image and the SBOM: {all:?}");
    } else {
        assert!(fallback_tags.is_empty(), "the Referrers API needs no index tags: {all:?}");
    }
    assert_eq!(run(&["repo", "tags", &format!("{reg}/net-monitor"), "--exclude-digest-tags"]), "v1\n");

    // delete both graphs; nothing may remain, no manifest and no sha256- tag
    let plan = run(&["manifest", "delete", "--dry-run", &staged]);
    assert!(plan.contains(&ids.sbom_sig) && plan.contains("tags: v1"), "{plan}");
    assert_eq!(plan.contains("referrers index, tag sha256-"), tag_schema, "{plan}");
    for target in [&image, &staged] {
        let out = run(&["manifest", "delete", "-f", target]);
        assert!(out.contains("Deleted [registry]"), "{out}");
    }
    for repo in ["net-monitor", "sample-staging/net-monitor"] {
        for d in [&image_digest, &ids.sig, &ids.sbom, &ids.sbom_sig, &ids.readme] {
            assert_eq!(seeder.head_manifest(repo, d).await, 404, "{repo}@{d} should be gone");
        }
        let tags = seeder.tags(repo).await;
        assert!(tags.is_empty(), "{repo} keeps tags {tags:?}");
    }
    assert_eq!(seeder.head_manifest("samples/artifact", &readme_artifact).await, 200, "other repositories are untouched");
    if let Some(d) = dist {
        // Not even a superseded referrers index is left in storage.
        for repo in ["net-monitor", "sample-staging/net-monitor"] {
            assert_eq!(d.stored_manifests(repo), Vec::<String>::new(), "{repo}");
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn walkthrough_on_distribution_with_the_tag_schema() {
    let reg = DistRegistry::start();
    walkthrough(&reg.addr, reg.seeder(), Some(&reg)).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn walkthrough_on_a_registry_with_the_referrers_api() {
    let reg = ApiRegistry::start();
    walkthrough(&reg.addr, reg.seeder(), None).await;
}
