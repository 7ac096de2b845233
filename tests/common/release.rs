//! A release as operators have them: a 2-platform index pushed by skopeo, an SPDX SBOM and a
//! sigstore bundle attached to the index, an in-toto attestation on the linux/amd64 manifest,
//! a notation signature on the SBOM, and a cosign `.sig` tag on the index. Everything but the
//! index is put there by raw HTTP; on a registry without the Referrers API the tag-schema
//! indexes are written as the tools that attach would write them.

use std::path::Path;

use refscope::oci::{Descriptor, Digest};
use serde_json::{Value, json};

use super::Seeder;
use super::seed::{INDEX, MANIFEST};

pub const SPDX: &str = "application/spdx+json";
pub const BUNDLE: &str = "application/vnd.dev.sigstore.bundle.v0.3+json";
pub const IN_TOTO: &str = "application/vnd.in-toto+json";
pub const NOTATION: &str = "application/vnd.cncf.notary.signature";
pub const SIMPLE_SIGNING: &str = "application/vnd.dev.cosign.simplesigning.v1+json";

pub struct Release {
    pub index: Descriptor,
    pub amd64: Descriptor,
    pub arm64: Descriptor,
    pub sbom: Descriptor,
    pub bundle: Descriptor,
    pub attestation: Descriptor,
    pub notation: Descriptor,
    /// The cosign signature manifest, under `cosign_tag`.
    pub cosign: Descriptor,
    pub cosign_tag: String,
}

impl Release {
    /// Every manifest of the graph.
    pub fn digests(&self) -> Vec<Digest> {
        [&self.index, &self.amd64, &self.arm64, &self.sbom, &self.bundle, &self.attestation, &self.notation, &self.cosign]
            .iter()
            .map(|d| d.digest.clone())
            .collect()
    }
}

fn write_blob(layout: &Path, bytes: &[u8]) -> Digest {
    let d = Digest::sha256_of(bytes);
    let dir = layout.join("blobs/sha256");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(d.hex()), bytes).unwrap();
    d
}

/// An image for one platform in an OCI layout: a real gzip tar layer and a config naming its
/// diff id. Returns the manifest's descriptor.
fn platform_image(layout: &Path, os: &str, arch: &str) -> Descriptor {
    let mut tar_bytes = Vec::new();
    {
        let mut b = tar::Builder::new(&mut tar_bytes);
        let content = format!("built for {os}/{arch}\n");
        let mut h = tar::Header::new_gnu();
        h.set_size(content.len() as u64);
        h.set_mode(0o644);
        h.set_cksum();
        b.append_data(&mut h, "etc/platform", content.as_bytes()).unwrap();
        b.finish().unwrap();
    }
    let layer = super::seed::gzip(&tar_bytes);
    let layer_digest = write_blob(layout, &layer);
    let config = serde_json::to_vec(&json!({
        "architecture": arch, "os": os,
        "rootfs": {"type": "layers", "diff_ids": [Digest::sha256_of(&tar_bytes).to_string()]},
    }))
    .unwrap();
    let config_digest = write_blob(layout, &config);
    let manifest = serde_json::to_vec(&json!({
        "schemaVersion": 2, "mediaType": MANIFEST,
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": config_digest.to_string(), "size": config.len()},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": layer_digest.to_string(), "size": layer.len()}],
    }))
    .unwrap();
    let d = write_blob(layout, &manifest);
    let mut desc = Descriptor::new(MANIFEST, d, manifest.len() as u64);
    desc.platform = Some(refscope::oci::Platform {
        architecture: arch.into(),
        os: os.into(),
        os_version: None,
        os_features: None,
        variant: None,
    });
    desc
}

fn descriptor_json(d: &Descriptor) -> Value {
    serde_json::to_value(d).unwrap()
}

/// Pushes a 2-platform index to `addr/repo:tag` with `skopeo copy --all`; returns the index
/// and its two platform manifests.
pub fn skopeo_index(addr: &str, repo: &str, tag: &str) -> (Descriptor, Descriptor, Descriptor) {
    let dir = tempfile::tempdir().unwrap();
    let layout = dir.path().join("release");
    let amd64 = platform_image(&layout, "linux", "amd64");
    let arm64 = platform_image(&layout, "linux", "arm64");
    let index = serde_json::to_vec(&json!({
        "schemaVersion": 2, "mediaType": INDEX,
        "manifests": [descriptor_json(&amd64), descriptor_json(&arm64)],
    }))
    .unwrap();
    let index_digest = write_blob(&layout, &index);
    std::fs::write(layout.join("oci-layout"), br#"{"imageLayoutVersion":"1.0.0"}"#).unwrap();
    let top = json!({"schemaVersion": 2, "manifests": [{
        "mediaType": INDEX, "digest": index_digest.to_string(), "size": index.len(),
        "annotations": {"org.opencontainers.image.ref.name": tag},
    }]});
    std::fs::write(layout.join("index.json"), serde_json::to_vec(&top).unwrap()).unwrap();
    let out = super::skopeo([
        "copy".to_string(),
        "--all".into(),
        "--preserve-digests".into(),
        "--dest-tls-verify=false".into(),
        format!("oci:{}:{tag}", layout.display()),
        format!("docker://{addr}/{repo}:{tag}"),
    ]);
    assert!(out.status.success(), "skopeo copy --all: {}", String::from_utf8_lossy(&out.stderr));
    let index = Descriptor::new(INDEX, index_digest, index.len() as u64);
    (index, amd64, arm64)
}

/// A cosign-style simple-signing signature of `subject`, stored under `sha256-<hex>.sig`.
pub async fn cosign_signature(s: &Seeder, repo: &str, subject: &Descriptor) -> (Descriptor, String) {
    let payload = serde_json::to_vec(&json!({
        "critical": {"identity": {"docker-reference": format!("{repo}")}, "image": {"docker-manifest-digest": subject.digest.to_string()}, "type": "cosign container image signature"},
        "optional": null,
    }))
    .unwrap();
    let layer = s.ensure_blob(repo, SIMPLE_SIGNING, &payload).await;
    let config = serde_json::to_vec(&json!({
        "architecture": "", "os": "", "config": {},
        "rootfs": {"type": "layers", "diff_ids": [layer.digest.to_string()]},
    }))
    .unwrap();
    let config = s.ensure_blob(repo, "application/vnd.oci.image.config.v1+json", &config).await;
    let manifest = serde_json::to_vec(&json!({
        "schemaVersion": 2, "mediaType": MANIFEST,
        "config": {"mediaType": config.media_type, "digest": config.digest.to_string(), "size": config.size},
        "layers": [{"mediaType": SIMPLE_SIGNING, "digest": layer.digest.to_string(), "size": layer.size,
            "annotations": {"dev.cosignproject.cosign/signature": "MEUCIQDexample"}}],
    }))
    .unwrap();
    let tag = format!("{}.sig", subject.digest.fallback_tag());
    (s.manifest(repo, &tag, MANIFEST, &manifest).await, tag)
}

/// Seeds the release at `addr/repo:tag`. With `tag_schema`, the `sha256-<hex>` indexes are
/// written too (for a registry without the Referrers API).
pub async fn seed(addr: &str, repo: &str, tag: &str, tag_schema: bool) -> Release {
    let (index, amd64, arm64) = skopeo_index(addr, repo, tag);
    let s = Seeder::new(addr);
    let created = |n: u32| json!({"org.opencontainers.image.created": format!("2026-01-01T00:00:0{n}Z")});
    let spdx = br#"{"spdxVersion":"SPDX-2.3","SPDXID":"SPDXRef-DOCUMENT","name":"release","packages":[]}"#;
    let sbom = s.artifact(repo, None, SPDX, &[("sbom.spdx.json", SPDX, spdx)], Some(&index), created(1)).await;
    let bundle_bytes = br#"{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json","verificationMaterial":{},"messageSignature":{}}"#;
    let bundle = s.artifact(repo, None, BUNDLE, &[("bundle.json", BUNDLE, bundle_bytes)], Some(&index), created(2)).await;
    let statement = br#"{"_type":"https://in-toto.io/Statement/v1","predicateType":"https://slsa.dev/provenance/v1","subject":[],"predicate":{}}"#;
    let attestation = s.artifact(repo, None, IN_TOTO, &[("provenance.json", IN_TOTO, statement)], Some(&amd64), created(3)).await;
    let jws = br#"{"payload":"e30","protected":"e30","signature":"c2ln"}"#;
    let notation = s.artifact(repo, None, NOTATION, &[("signature.jws", "application/jose+json", jws)], Some(&sbom), created(4)).await;
    let (cosign, cosign_tag) = cosign_signature(&s, repo, &index).await;
    if tag_schema {
        s.fallback_index(repo, &index, &[(sbom.clone(), SPDX), (bundle.clone(), BUNDLE)]).await;
        s.fallback_index(repo, &amd64, &[(attestation.clone(), IN_TOTO)]).await;
        s.fallback_index(repo, &sbom, &[(notation.clone(), NOTATION)]).await;
    }
    Release {
        index,
        amd64,
        arm64,
        sbom,
        bundle,
        attestation,
        notation,
        cosign,
        cosign_tag,
    }
}
