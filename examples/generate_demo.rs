//! Regenerates the bundled demo, `assets/` (one OCI layout per repository):
//!
//!     cargo run --example generate_demo
//!
//! With `--content` it first remakes the documents of the `release` repository (SBOMs,
//! provenance, signatures) in `src/demo/content` with `scripts/demo_content.py`, which needs the
//! Python packages `scripts/test` installs. The documents name digests of the images and of the
//! SBOM manifests, so the script runs twice: once for what describes the images, once for the
//! signatures on the SBOMs. Run without `--content` again afterwards so that the bundled copy
//! built into refscope is the new one (the output is the same either way).

use std::path::Path;
use std::process::Command;

use refscope::Error;
use refscope::demo::{Content, release};

fn content_step(step: &str, out: &Path, subjects: serde_json::Value) -> Result<(), Error> {
    let file = out.join(format!("subjects-{step}.json"));
    std::fs::write(&file, serde_json::to_vec_pretty(&subjects).map_err(|e| Error::usage(e.to_string()))?)
        .map_err(|e| Error::io(&file, e))?;
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let status = Command::new("python3")
        .arg(root.join("scripts/demo_content.py"))
        .arg(step)
        .arg(out)
        .arg(&file)
        .status()
        .map_err(|e| Error::io("python3", e))?;
    if !status.success() {
        return Err(Error::usage(format!("scripts/demo_content.py {step} failed ({status}); run scripts/test once to install what it needs")));
    }
    Ok(())
}

/// Remakes `src/demo/content` and returns it.
fn remake_content() -> Result<Content, Error> {
    let work = tempfile::tempdir().map_err(|e| Error::io(std::env::temp_dir(), e))?;
    let out = work.path();
    content_step("statements", out, release::subjects()?)?;
    // The SBOM manifests exist once the SBOMs do; the signatures name their digests.
    let partial = Content::load_present(out)?;
    content_step("signatures", out, release::sbom_subjects(&partial)?)?;
    let content = Content::load(out)?;
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/demo/content");
    for name in Content::names() {
        std::fs::copy(out.join(name), dir.join(name)).map_err(|e| Error::io(dir.join(name), e))?;
    }
    println!("wrote {}", dir.display());
    Ok(content)
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    let content = match std::env::args().nth(1).as_deref() {
        Some("--content") => remake_content()?,
        None => Content::bundled(),
        Some(other) => return Err(Error::usage(format!("unknown argument {other}; the only one is --content"))),
    };
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join(refscope::demo::ASSETS_PATH);
    for repo in refscope::demo::REPOSITORIES {
        let layout = dir.join(repo);
        if layout.exists() {
            std::fs::remove_dir_all(&layout).map_err(|e| Error::io(&layout, e))?;
        }
    }
    refscope::demo::generate_with(&dir, &content).await?;
    println!("wrote {}", dir.display());
    Ok(())
}
