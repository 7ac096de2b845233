//! The bundled demo layout: committed bytes equal what the generator makes, and the verbs work on it.

mod common;

use common::refscope;

#[tokio::test(flavor = "multi_thread")]
async fn committed_demo_matches_the_generator() {
    let out = tempfile::tempdir().unwrap();
    let dir = out.path().join("net-monitor");
    refscope::demo::generate(&dir).await.unwrap();
    let committed = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(refscope::demo::ASSETS_PATH);
    let (made, have) = (common::tree(&dir), common::tree(&committed));
    let names = |t: &[(String, Vec<u8>)]| t.iter().map(|(n, _)| n.clone()).collect::<Vec<_>>();
    assert_eq!(names(&made), names(&have), "file lists differ: run `cargo run --example generate_demo`");
    assert!(made == have, "demo bytes differ: run `cargo run --example generate_demo`");
}

#[test]
fn discover_prints_the_demo_tree() {
    let root = env!("CARGO_MANIFEST_DIR");
    let tree = refscope(["discover", "--oci-layout", "assets/net-monitor:v1"]).current_dir(root.as_ref()).ok();
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
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
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
