//! The `net-monitor` repository: `net-monitor:v1` with the supply-chain graph ORAS users
//! build in their walkthrough (signature, SBOM, a signature on the SBOM, a readme with a
//! directory), made through the same push and attach paths users run.

use std::path::Path;

use super::{Entry, OneLayerImage, annotate, attach_files, gzip_layer, tar_gz, write};
use crate::error::{Error, Result};
use crate::oci::media_types::annotations;
use crate::oci::{Descriptor, Digest};
use crate::store::layout::Layout;

/// The repository's one tag.
pub const TAG: &str = "v1";

const SCRIPT: &str = "#!/bin/sh\n# net-monitor: print the state of every network interface every few seconds\nwhile true; do\n  ip -brief address\n  sleep \"${INTERVAL:-5}\"\ndone\n";
const IMAGE_CREATED: &str = "2025-03-01T09:00:00Z";

/// The image: one layer holding the script, a config naming it as entrypoint.
fn image_layer() -> Result<(Vec<u8>, Digest)> {
    tar_gz(
        &[
            Entry::dir("usr/"),
            Entry::dir("usr/local/"),
            Entry::dir("usr/local/bin/"),
            Entry::file("usr/local/bin/net-monitor", 0o755, SCRIPT.as_bytes()),
        ],
        IMAGE_CREATED,
    )
}

async fn push_image(layout: &Layout, repo: &str) -> Result<Descriptor> {
    let (layer, diff_id) = image_layer()?;
    let config = serde_json::json!({
        "created": IMAGE_CREATED,
        "architecture": "amd64",
        "os": "linux",
        "config": {
            "Entrypoint": ["/usr/local/bin/net-monitor"],
            "Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "INTERVAL=5"],
            "Labels": {"org.opencontainers.image.source": "https://example.com/net-monitor"}
        },
        "rootfs": {"type": "layers", "diff_ids": [diff_id.to_string()]},
        "history": [{"created": IMAGE_CREATED, "created_by": "COPY net-monitor /usr/local/bin/"}]
    });
    let image = OneLayerImage::new(
        &config,
        gzip_layer(layer),
        Some(annotate(&[
            (annotations::CREATED, IMAGE_CREATED),
            ("org.opencontainers.image.description", "Prints the state of every network interface"),
            ("org.opencontainers.image.version", "1.0.0"),
        ])),
    )?;
    image.push(layout, repo, TAG).await?;
    Ok(image.manifest.descriptor())
}

/// Writes the repository's layout into `dir`.
pub async fn generate(dir: &Path) -> Result<()> {
    let layout = Layout::open_or_create(dir)?;
    let repo = layout.repo_name();
    let image = push_image(&layout, &repo).await?;

    let src = tempfile::tempdir().map_err(|e| Error::io(std::env::temp_dir(), e))?;
    let s = src.path();
    write(s, "signature.json", "{\"signer\":\"build-bot@example.com\",\"algorithm\":\"ecdsa-p256\",\"signature\":\"MEUCIQDdemo-signature-over-the-image\"}\n")?;
    write(s, "sbom.json", "{\"spdxVersion\":\"SPDX-2.3\",\"name\":\"net-monitor\",\"packages\":[{\"name\":\"busybox\",\"versionInfo\":\"1.36.1\"},{\"name\":\"iproute2\",\"versionInfo\":\"6.1.0\"}]}\n")?;
    write(s, "sbom-signature.json", "{\"signer\":\"sbom-bot@example.com\",\"algorithm\":\"ecdsa-p256\",\"signature\":\"MEYCIQCdemo-signature-over-the-sbom\"}\n")?;
    write(s, "readme.md", "# net-monitor\n\nPrints the state of every network interface every `INTERVAL` seconds.\n\nSee `details/` for configuration and troubleshooting.\n")?;
    write(s, "details/config.md", "## Configuration\n\n- `INTERVAL`: seconds between reports (default 5)\n")?;
    write(s, "details/troubleshooting.md", "## Troubleshooting\n\nNo output? The container needs `--network host` to see the host's interfaces.\n")?;

    attach_files(&layout, &repo, &image, "signature/example", &[(&s.join("signature.json"), Some("application/json"))], &[
        (annotations::CREATED, "2025-03-01T09:05:00Z"),
        ("io.example.signer", "build-bot@example.com"),
    ])
    .await?;
    let sbom = attach_files(&layout, &repo, &image, "sbom/example", &[(&s.join("sbom.json"), Some("application/json"))], &[
        (annotations::CREATED, "2025-03-01T09:06:00Z"),
        ("io.example.format", "spdx-json"),
    ])
    .await?;
    attach_files(&layout, &repo, &sbom, "signature/example", &[(&s.join("sbom-signature.json"), Some("application/json"))], &[
        (annotations::CREATED, "2025-03-01T09:07:00Z"),
        ("io.example.signer", "sbom-bot@example.com"),
    ])
    .await?;
    attach_files(
        &layout,
        &repo,
        &image,
        "readme/example",
        &[(&s.join("readme.md"), Some("application/markdown")), (&s.join("details"), None)],
        &[(annotations::CREATED, "2025-03-01T09:08:00Z")],
    )
    .await?;
    Ok(())
}
