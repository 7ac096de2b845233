//! Regenerates the bundled demo layout: `cargo run --example generate_demo`.

use std::path::Path;

#[tokio::main]
async fn main() -> Result<(), refscope::Error> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join(refscope::demo::ASSETS_PATH);
    if dir.exists() {
        std::fs::remove_dir_all(&dir).map_err(|e| refscope::Error::io(&dir, e))?;
    }
    refscope::demo::generate(&dir).await?;
    println!("wrote {}", dir.display());
    Ok(())
}
