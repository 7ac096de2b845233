//! Rewrites the key table in README.md from the keymap: `cargo run --example readme_keys`.

const START: &str = "<!-- keys:start -->\n";
const END: &str = "<!-- keys:end -->";

fn main() -> std::io::Result<()> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md");
    let readme = std::fs::read_to_string(&path)?;
    let (Some(a), Some(b)) = (readme.find(START), readme.find(END)) else {
        eprintln!("README.md has no {START:?} … {END:?} markers");
        std::process::exit(1);
    };
    let updated = format!("{}{START}{}{}", &readme[..a], refscope::tui::keymap::readme_table(), &readme[b..]);
    std::fs::write(&path, updated)?;
    println!("updated the key table in {}", path.display());
    Ok(())
}
