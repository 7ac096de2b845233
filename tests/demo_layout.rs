//! The bundled demo, a directory of layouts: committed bytes equal what the generators make,
//! the `release` graph is what it should be and inspects as what it is, and the verbs work on it.

mod common;

use std::path::Path;
use std::process::Command;

use common::refscope;
use refscope::demo::{Content, release};
use serde_json::Value;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

#[tokio::test(flavor = "multi_thread")]
async fn committed_demo_matches_the_generator() {
    let out = tempfile::tempdir().unwrap();
    refscope::demo::generate(out.path()).await.unwrap();
    let committed = Path::new(ROOT).join(refscope::demo::ASSETS_PATH);
    let (made, have) = (common::tree(out.path()), common::tree(&committed));
    let names = |t: &[(String, Vec<u8>)]| t.iter().map(|(n, _)| n.clone()).collect::<Vec<_>>();
    assert_eq!(names(&made), names(&have), "file lists differ: run `cargo run --example generate_demo`");
    assert!(made == have, "demo bytes differ: run `cargo run --example generate_demo`");
    assert!(names(&made).iter().any(|n| n.starts_with("release/")) && names(&made).iter().any(|n| n.starts_with("net-monitor/")));
}

fn content_step(step: &str, out: &Path, subjects: Value) {
    let file = out.join(format!("subjects-{step}.json"));
    std::fs::write(&file, serde_json::to_vec(&subjects).unwrap()).unwrap();
    let run = Command::new("python3")
        .arg(Path::new(ROOT).join("scripts/demo_content.py"))
        .args([step.as_ref(), out.as_os_str(), file.as_os_str()])
        .output()
        .expect("python3 runs");
    assert!(
        run.status.success(),
        "scripts/demo_content.py {step} failed (scripts/test installs its PyPI packages):\n{}",
        String::from_utf8_lossy(&run.stderr)
    );
}

/// The documents under src/demo/content are what the outside tools make today, byte for byte.
#[test]
fn committed_documents_are_what_the_content_generator_makes() {
    common::require("python3");
    let out = tempfile::tempdir().unwrap();
    content_step("statements", out.path(), release::subjects().unwrap());
    let partial = Content::load_present(out.path()).unwrap();
    content_step("signatures", out.path(), release::sbom_subjects(&partial).unwrap());
    for name in Content::names() {
        let made = common::read(out.path().join(name));
        let committed = common::read(Path::new(ROOT).join("src/demo/content").join(name));
        assert!(made == committed, "{name} differs from what the generator makes: run `cargo run --example generate_demo -- --content`");
    }
}

fn json(args: &[&str]) -> Value {
    serde_json::from_str(&refscope(args).current_dir(Path::new(ROOT)).ok()).unwrap()
}

/// `inspect --format json` of one node: by digest, or by tag for a cosign attachment.
fn inspect(node: &Value) -> Value {
    let reference = match node["tag"].as_str() {
        Some(tag) => format!("assets/release:{tag}"),
        None => format!("assets/release@{}", node["digest"].as_str().unwrap()),
    };
    let v = json(&["inspect", "--oci-layout", &reference, "--format", "json"]);
    assert_eq!(v["digest"], node["digest"], "{reference}");
    v["summary"].clone()
}

fn only<'a>(nodes: &'a Value, artifact_type: &str) -> &'a Value {
    let matching: Vec<&Value> = nodes.as_array().unwrap().iter().filter(|n| n["artifactType"] == artifact_type).collect();
    assert_eq!(matching.len(), 1, "one {artifact_type} in {nodes}");
    matching[0]
}

#[test]
fn the_release_graph_is_whole_and_every_node_inspects_as_what_it_is() {
    let root = json(&["discover", "-o", "json", "--oci-layout", &format!("assets/release:{}", release::TAG)]);
    let index = root["digest"].as_str().unwrap().to_string();
    let summary = inspect(&root);
    assert_eq!(summary["kind"], "index");
    let platforms: Vec<&str> = summary["platforms"].as_array().unwrap().iter().map(|p| p["platform"].as_str().unwrap()).collect();
    assert_eq!(platforms, ["linux/amd64", "linux/arm64/v8"]);

    // The index: a sigstore bundle referrer and a cosign `.sig` tag, both signing the index.
    assert_eq!(root["manifests"].as_array().unwrap().len(), 1, "{root}");
    let bundle = inspect(only(&root["manifests"], "application/vnd.dev.sigstore.bundle.v0.3+json"));
    assert_eq!((&bundle["kind"], &bundle["format"]), (&"signature".into(), &"sigstore-bundle".into()));
    assert_eq!((bundle["signedDigest"].as_str(), &bundle["matchesSubject"]), (Some(index.as_str()), &Value::Bool(true)));
    let attachments = root["attachments"].as_array().unwrap();
    assert_eq!(attachments.len(), 1, "{root}");
    assert_eq!(attachments[0]["tag"], format!("{}.sig", index.replace(':', "-")));
    let cosign = inspect(&attachments[0]);
    assert_eq!((&cosign["kind"], &cosign["format"]), (&"signature".into(), &"cosign".into()));
    assert_eq!((cosign["signedDigest"].as_str(), &cosign["matchesSubject"]), (Some(index.as_str()), &Value::Bool(true)));
    assert_eq!(cosign["identity"], "registry.example.com/release");
    assert_eq!(cosign["signer"]["identities"][0], "https://ci.example.com/net-monitor/release.yml@refs/tags/v1.1.0");

    // Each platform: an image, with an SBOM signed with notation and SLSA provenance about it.
    let children = root["children"].as_array().unwrap();
    let expected = [
        ("amd64", "application/spdx+json", "spdx", "2.3", "notation-jws"),
        ("arm64", "application/vnd.cyclonedx+json", "cyclonedx", "1.5", "notation-cose"),
    ];
    assert_eq!(children.len(), expected.len(), "{root}");
    for (child, (arch, sbom_type, format, spec, signature_format)) in children.iter().zip(expected) {
        let digest = child["digest"].as_str().unwrap();
        assert_eq!(child["platform"]["architecture"], arch);
        let image = inspect(child);
        assert_eq!((&image["kind"], &image["architecture"]), (&"image".into(), &arch.into()), "{image}");
        assert_eq!(image["entrypoint"][0], "/usr/local/bin/net-monitor");
        assert_eq!(image["labels"]["org.opencontainers.image.version"], "1.1.0");
        assert_eq!(child["manifests"].as_array().unwrap().len(), 2, "{child}");

        let sbom_node = only(&child["manifests"], sbom_type);
        let sbom = inspect(sbom_node);
        assert_eq!((&sbom["kind"], &sbom["format"], &sbom["specVersion"]), (&"sbom".into(), &format.into(), &spec.into()), "{sbom}");
        let names: Vec<&str> = sbom["packageList"].as_array().unwrap().iter().map(|p| p["name"].as_str().unwrap()).collect();
        for package in ["busybox", "iproute2", "musl"] {
            assert!(names.contains(&package), "{package} in {names:?}");
        }
        let signature = inspect(only(&sbom_node["manifests"], "application/vnd.cncf.notary.signature"));
        assert_eq!((&signature["kind"], &signature["format"]), (&"signature".into(), &signature_format.into()));
        assert_eq!((&signature["signedDigest"], &signature["matchesSubject"]), (&sbom_node["digest"], &Value::Bool(true)));
        assert_eq!(signature["signer"]["subject"], "CN=net-monitor release signing, O=Example");

        let provenance = inspect(only(&child["manifests"], "application/vnd.dsse.envelope.v1+json"));
        assert_eq!((&provenance["kind"], &provenance["envelope"]), (&"attestation".into(), &"dsse".into()), "{provenance}");
        assert_eq!(provenance["predicateType"], "https://slsa.dev/provenance/v1");
        assert_eq!((provenance["subjects"][0]["digest"].as_str(), &provenance["matchesSubject"]), (Some(digest), &Value::Bool(true)));
        assert_eq!(provenance["builderId"], "https://ci.example.com/builders/release@v2");
    }
}

#[test]
fn discover_tree_shows_the_platforms_with_their_referrers_and_the_cosign_tag() {
    let tree = refscope(["discover", "--oci-layout", &format!("assets/release:{}", release::TAG)]).current_dir(Path::new(ROOT)).ok();
    let shape: Vec<String> = tree
        .lines()
        .skip(1)
        .map(|l| match l.find("sha256") {
            Some(i) => format!("{}sha256…{}", &l[..i], if l.ends_with("(cosign tag)") { " (cosign tag)" } else { "" }),
            None => l.to_string(),
        })
        .collect();
    assert_eq!(
        shape,
        [
            "├── linux/amd64",
            "│   └── sha256…",
            "│       ├── application/spdx+json",
            "│       │   └── sha256…",
            "│       │       └── application/vnd.cncf.notary.signature",
            "│       │           └── sha256…",
            "│       └── application/vnd.dsse.envelope.v1+json",
            "│           └── sha256…",
            "├── linux/arm64/v8",
            "│   └── sha256…",
            "│       ├── application/vnd.cyclonedx+json",
            "│       │   └── sha256…",
            "│       │       └── application/vnd.cncf.notary.signature",
            "│       │           └── sha256…",
            "│       └── application/vnd.dsse.envelope.v1+json",
            "│           └── sha256…",
            "├── application/vnd.dev.sigstore.bundle.v0.3+json",
            "│   └── sha256…",
            "└── sha256… (cosign tag)",
            "    └── sha256…",
        ],
        "{tree}"
    );
}

#[test]
fn the_demo_directory_lists_its_repositories_and_a_reference_names_one_of_them() {
    let root = Path::new(ROOT);
    assert_eq!(refscope(["repo", "ls", "--oci-layout", "assets"]).current_dir(root).ok(), "net-monitor\nrelease\n");
    let e = refscope(["discover", "--oci-layout", "assets:v1"]).current_dir(root).fails();
    assert!(e.contains("a directory of layouts (net-monitor, release)") && e.contains("`assets/net-monitor:TAG`"), "{e}");
    assert_eq!(refscope(["repo", "tags", "--oci-layout", "assets/release"]).current_dir(root).ok().lines().last(), Some(release::TAG));
}

#[test]
fn discover_prints_the_demo_tree() {
    let tree = refscope(["discover", "--oci-layout", "assets/net-monitor:v1"]).current_dir(Path::new(ROOT)).ok();
    let lines: Vec<&str> = tree.lines().collect();
    assert_eq!(lines[0], "assets/net-monitor:v1");
    let shape: Vec<String> = lines[1..]
        .iter()
        .map(|l| match l.find("sha256:") {
            Some(i) => format!("{}sha256", &l[..i]),
            None => l.to_string(),
        })
        .collect();
    assert_eq!(
        shape,
        [
            "├── readme/example",
            "│   └── sha256",
            "├── sbom/example",
            "│   └── sha256",
            "│       └── signature/example",
            "│           └── sha256",
            "└── signature/example",
            "    └── sha256",
        ]
    );
}

#[test]
fn pull_from_the_demo_gets_the_readme_and_its_directory() {
    let root = Path::new(ROOT);
    let json = refscope(["discover", "--oci-layout", "assets/net-monitor:v1", "-o", "json", "--artifact-type", "readme/example"]).current_dir(root).ok();
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    let digest = v["manifests"][0]["digest"].as_str().unwrap().to_string();
    let out = tempfile::tempdir().unwrap();
    refscope(["pull", "--oci-layout", &format!("assets/net-monitor@{digest}"), "-o", out.path().to_str().unwrap()]).current_dir(root).ok();
    let files: Vec<String> = common::tree(out.path()).into_iter().map(|(n, _)| n).collect();
    assert_eq!(files, ["details/config.md", "details/troubleshooting.md", "readme.md"]);
    let tags = refscope(["repo", "tags", "--oci-layout", "assets/net-monitor"]).current_dir(root).ok();
    assert_eq!(tags, "v1\n");
}

/// The bare TUI lists both repositories of the demo, and opening `release` from the
/// repositories pane reads its own layout.
#[tokio::test(flavor = "multi_thread")]
async fn the_tui_opens_every_repository_of_the_demo() {
    use crossterm::event::KeyCode;
    let mut d = refscope::tui::headless::Headless::start(refscope::tui::Start::demo(), false).await.unwrap();
    d.settle().await;
    assert_eq!(d.app.repos.items, ["net-monitor", "release"]);
    assert_eq!(d.app.tags.repo.as_deref(), Some("net-monitor"));
    d.keys(&[KeyCode::Char('1'), KeyCode::Char('j'), KeyCode::Enter]).await;
    d.settle().await;
    assert_eq!(d.app.tags.repo.as_deref(), Some(release::REPO));
    assert_eq!(d.app.tags.shown, [release::TAG], "the cosign tag is hidden, the release tag shown");
    assert_eq!(d.app.tags.all.len(), 2, "{:?}", d.app.tags.all);
}
