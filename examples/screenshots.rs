//! Renders the screenshots in screenshots/ from the demo, through the real model, worker and
//! drawing code: `cargo run --example screenshots`.

use crossterm::event::KeyCode;
use refscope::tui::headless::{self, Headless};

async fn demo() -> Headless {
    let start = refscope::tui::Start::demo();
    let mut d = Headless::start(start, true).await.expect("the demo opens");
    d.settle().await;
    d
}

fn save(name: &str, h: &Headless) {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("screenshots");
    let buf = headless::render(&h.app, 120, 34);
    std::fs::write(dir.join(format!("{name}.svg")), headless::svg(&buf)).expect("screenshots/ is writable");
    println!("wrote screenshots/{name}.svg");
}

#[tokio::main]
async fn main() {
    let mut d = demo().await;
    d.keys(&[KeyCode::Char('j'), KeyCode::Char('j'), KeyCode::Char('j'), KeyCode::Char('j')]).await;
    save("tree", &d);
    d.keys(&[KeyCode::Char('?')]).await;
    save("help", &d);
    let mut d = demo().await;
    let mut keys = vec![KeyCode::Char('c')];
    keys.extend("layout:target/screenshot-copy".chars().map(KeyCode::Char));
    keys.push(KeyCode::Enter);
    d.keys(&keys).await;
    save("copy", &d);
    let mut d = demo().await;
    d.keys(&[KeyCode::Char('j'), KeyCode::Char('j'), KeyCode::Char('j'), KeyCode::Char('j'), KeyCode::Char('d')]).await;
    save("delete", &d);
    // The release, browsed to: repository 2, its tag, then the first platform opened.
    let mut d = demo().await;
    d.keys(&[KeyCode::Char('1'), KeyCode::Char('j'), KeyCode::Enter]).await;
    d.keys(&[KeyCode::Enter]).await;
    d.keys(&[KeyCode::Char('3'), KeyCode::Char('j'), KeyCode::Char('j'), KeyCode::Char('l')]).await;
    save("release", &d);
    // The CycloneDX SBOM of the second platform: its summary above its manifest, then the viewer.
    d.keys(&[KeyCode::Char('h'), KeyCode::Char('j'), KeyCode::Char('l')]).await;
    let rows = d.app.tree.rows(&d.app.store);
    let group = rows.iter().position(|r| r.label.contains("CycloneDX")).expect("the release has a CycloneDX SBOM");
    d.app.tree.selected = rows[group + 1].path.clone();
    d.keys(&[KeyCode::Char('3')]).await;
    save("inspect", &d);
    d.keys(&[KeyCode::Char('4'), KeyCode::Enter]).await;
    save("viewer", &d);
}
