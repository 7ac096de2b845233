//! The README's key table is generated from the keymap; this fails when it is stale.

#[test]
fn the_readme_key_table_matches_the_keymap() {
    let readme = std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let start = readme.find("<!-- keys:start -->\n").expect("README has the keys:start marker") + "<!-- keys:start -->\n".len();
    let end = readme.find("<!-- keys:end -->").expect("README has the keys:end marker");
    assert_eq!(
        &readme[start..end],
        refscope::tui::keymap::readme_table(),
        "the README key table is stale: run `cargo run --example readme_keys`"
    );
}

#[test]
fn the_readme_gives_the_two_set_up_commands() {
    let readme = std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    assert!(readme.contains("cargo run --release"), "the run command");
    assert!(readme.contains("scripts/test"), "the test command");
    let ci = std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(".ci/run")).unwrap();
    assert!(ci.contains("scripts/test"), ".ci/run calls the README's test command");
}

/// ARCHITECTURE.md points readers at files: every path it names must still be there.
#[test]
fn every_path_architecture_names_exists() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let doc = std::fs::read_to_string(root.join("ARCHITECTURE.md")).unwrap();
    let paths: Vec<&str> = doc
        .split('`')
        .skip(1)
        .step_by(2)
        .filter(|s| s.starts_with("src/") || s.starts_with("tests/"))
        // A pattern such as `src/cli/<verb>.rs` names no one file.
        .filter(|s| !s.contains('<'))
        .collect();
    assert!(paths.len() > 20, "ARCHITECTURE.md names its files: found {}", paths.len());
    let missing: Vec<&&str> = paths.iter().filter(|p| !root.join(p).exists()).collect();
    assert!(missing.is_empty(), "ARCHITECTURE.md names paths that do not exist: {missing:?}");
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    assert!(readme.contains("(ARCHITECTURE.md)"), "the README links ARCHITECTURE.md");
}
