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
