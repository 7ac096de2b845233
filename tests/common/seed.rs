//! Putting content into a registry with raw HTTP calls, independent of refscope's client.

use refscope::oci::{Descriptor, Digest};
use serde_json::{Value, json};

pub const EMPTY_CONFIG: &str = "application/vnd.oci.empty.v1+json";
pub const MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
pub const INDEX: &str = "application/vnd.oci.image.index.v1+json";

pub struct Seeder {
    pub base: String,
    pub client: reqwest::Client,
    auth: Option<(String, String)>,
}

impl Seeder {
    pub fn new(addr: &str) -> Seeder {
        Seeder {
            base: format!("http://{addr}"),
            client: reqwest::Client::new(),
            auth: None,
        }
    }

    pub fn with_basic(mut self, user: &str, pass: &str) -> Seeder {
        self.auth = Some((user.into(), pass.into()));
        self
    }

    fn req(&self, method: reqwest::Method, url: &str) -> reqwest::RequestBuilder {
        let r = self.client.request(method, url);
        match &self.auth {
            Some((u, p)) => r.basic_auth(u, Some(p)),
            None => r,
        }
    }

    /// Uploads a blob (POST, then PUT with the digest) and returns its descriptor.
    pub async fn blob(&self, repo: &str, media_type: &str, bytes: &[u8]) -> Descriptor {
        let digest = Digest::sha256_of(bytes);
        let resp = self
            .req(reqwest::Method::POST, &format!("{}/v2/{repo}/blobs/uploads/", self.base))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 202, "upload session for {repo}");
        let loc = resp.headers()["location"].to_str().unwrap().to_string();
        let url = if loc.starts_with("http") { loc } else { format!("{}{loc}", self.base) };
        let sep = if url.contains('?') { '&' } else { '?' };
        let resp = self
            .req(reqwest::Method::PUT, &format!("{url}{sep}digest={digest}"))
            .header("content-type", "application/octet-stream")
            .body(bytes.to_vec())
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 201, "blob upload: {}", resp.text().await.unwrap_or_default());
        Descriptor::new(media_type, digest, bytes.len() as u64)
    }

    /// Uploads a blob unless the repository has it. (distribution can briefly lose a blob that
    /// several clients upload at the same moment, so concurrent seeding shares one upload.)
    pub async fn ensure_blob(&self, repo: &str, media_type: &str, bytes: &[u8]) -> Descriptor {
        let digest = Digest::sha256_of(bytes);
        let status = self
            .req(reqwest::Method::HEAD, &format!("{}/v2/{repo}/blobs/{digest}", self.base))
            .send()
            .await
            .unwrap()
            .status();
        if status == 200 {
            return Descriptor::new(media_type, digest, bytes.len() as u64);
        }
        self.blob(repo, media_type, bytes).await
    }

    /// Stores manifest bytes exactly as given under `reference`.
    pub async fn manifest(&self, repo: &str, reference: &str, media_type: &str, bytes: &[u8]) -> Descriptor {
        let resp = self
            .req(reqwest::Method::PUT, &format!("{}/v2/{repo}/manifests/{reference}", self.base))
            .header("content-type", media_type)
            .body(bytes.to_vec())
            .send()
            .await
            .unwrap();
        let status = resp.status();
        assert!(status == 201, "manifest put {repo}:{reference}: {status} {}", resp.text().await.unwrap_or_default());
        Descriptor::new(media_type, Digest::sha256_of(bytes), bytes.len() as u64)
    }

    /// An ORAS-style artifact: empty config, one layer per `(title, media type, bytes)`.
    pub async fn artifact(
        &self,
        repo: &str,
        reference: Option<&str>,
        artifact_type: &str,
        files: &[(&str, &str, &[u8])],
        subject: Option<&Descriptor>,
        annotations: Value,
    ) -> Descriptor {
        let config = self.ensure_blob(repo, EMPTY_CONFIG, b"{}").await;
        let mut layers = Vec::new();
        for (title, mt, bytes) in files {
            let d = self.blob(repo, mt, bytes).await;
            layers.push(json!({
                "mediaType": mt, "digest": d.digest.to_string(), "size": d.size,
                "annotations": {"org.opencontainers.image.title": title}
            }));
        }
        let mut m = json!({
            "schemaVersion": 2,
            "mediaType": MANIFEST,
            "artifactType": artifact_type,
            "config": {"mediaType": EMPTY_CONFIG, "digest": config.digest.to_string(), "size": 2},
            "layers": layers,
            "annotations": annotations,
        });
        if let Some(s) = subject {
            m["subject"] = json!({"mediaType": s.media_type, "digest": s.digest.to_string(), "size": s.size});
        }
        let bytes = serde_json::to_vec(&m).unwrap();
        let digest = Digest::sha256_of(&bytes).to_string();
        self.manifest(repo, reference.unwrap_or(&digest), MANIFEST, &bytes).await
    }

    /// Writes a Referrers Tag Schema index for `subject` listing `entries`.
    pub async fn fallback_index(&self, repo: &str, subject: &Descriptor, entries: &[(Descriptor, &str)]) -> Descriptor {
        let manifests: Vec<Value> = entries
            .iter()
            .map(|(d, at)| json!({"mediaType": d.media_type, "digest": d.digest.to_string(), "size": d.size, "artifactType": at}))
            .collect();
        let index = json!({"schemaVersion": 2, "mediaType": INDEX, "manifests": manifests});
        let bytes = serde_json::to_vec(&index).unwrap();
        self.manifest(repo, &subject.digest.fallback_tag(), INDEX, &bytes).await
    }

    /// A small image: a config and one gzip layer.
    pub async fn image(&self, repo: &str, tag: &str, layer: &[u8]) -> Descriptor {
        let config = br#"{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}"#;
        let c = self.blob(repo, "application/vnd.oci.image.config.v1+json", config).await;
        let l = self.blob(repo, "application/vnd.oci.image.layer.v1.tar+gzip", layer).await;
        let m = json!({
            "schemaVersion": 2,
            "mediaType": MANIFEST,
            "config": {"mediaType": c.media_type, "digest": c.digest.to_string(), "size": c.size},
            "layers": [{"mediaType": l.media_type, "digest": l.digest.to_string(), "size": l.size}],
        });
        self.manifest(repo, tag, MANIFEST, &serde_json::to_vec_pretty(&m).unwrap()).await
    }

    /// An image at `repo:tag` with one gzip layer of each of `layers`, in this order, and a
    /// linux/amd64 config. Returns the manifest and the layers.
    pub async fn image_with_layers(&self, repo: &str, tag: &str, layers: &[Vec<u8>]) -> (Descriptor, Vec<Descriptor>) {
        let config = self.blob(repo, "application/vnd.oci.image.config.v1+json", br#"{"architecture":"amd64","os":"linux"}"#).await;
        let mut descs = Vec::new();
        for bytes in layers {
            descs.push(self.blob(repo, "application/vnd.oci.image.layer.v1.tar+gzip", bytes).await);
        }
        let m = json!({
            "schemaVersion": 2,
            "mediaType": MANIFEST,
            "config": {"mediaType": config.media_type, "digest": config.digest.to_string(), "size": config.size},
            "layers": descs.iter().map(|d| json!({"mediaType": d.media_type, "digest": d.digest.to_string(), "size": d.size})).collect::<Vec<_>>(),
        });
        let root = self.manifest(repo, tag, MANIFEST, &serde_json::to_vec(&m).unwrap()).await;
        (root, descs)
    }

    /// HEAD a manifest by digest or tag: the status.
    pub async fn head_manifest(&self, repo: &str, reference: &str) -> u16 {
        self.req(reqwest::Method::HEAD, &format!("{}/v2/{repo}/manifests/{reference}", self.base))
            .header("accept", "application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json")
            .send()
            .await
            .unwrap()
            .status()
            .as_u16()
    }

    /// The tags of a repository (unsorted, as the registry says).
    pub async fn tags(&self, repo: &str) -> Vec<String> {
        let resp = self
            .req(reqwest::Method::GET, &format!("{}/v2/{repo}/tags/list", self.base))
            .send()
            .await
            .unwrap();
        if resp.status() == 404 {
            return Vec::new();
        }
        let v: Value = resp.json().await.unwrap();
        v["tags"].as_array().map(|a| a.iter().map(|t| t.as_str().unwrap().to_string()).collect()).unwrap_or_default()
    }
}

/// A gzip tar holding `entries` (path, content or None for a directory), as `details/` would be.
pub fn tar_gz(entries: &[(&str, Option<&[u8]>)]) -> Vec<u8> {
    let mut tar_bytes = Vec::new();
    {
        let mut b = tar::Builder::new(&mut tar_bytes);
        for (path, content) in entries {
            let mut h = tar::Header::new_gnu();
            match content {
                Some(c) => {
                    h.set_entry_type(tar::EntryType::Regular);
                    h.set_size(c.len() as u64);
                    h.set_mode(0o644);
                    set_raw_path(&mut h, path);
                    b.append(&h, *c).unwrap();
                }
                None => {
                    h.set_entry_type(tar::EntryType::Directory);
                    h.set_size(0);
                    h.set_mode(0o755);
                    set_raw_path(&mut h, path);
                    b.append(&h, std::io::empty()).unwrap();
                }
            }
        }
        b.finish().unwrap();
    }
    gzip(&tar_bytes)
}

/// Sets an entry name without the tar crate's checks, so tests can build hostile archives.
pub fn set_raw_path(h: &mut tar::Header, path: &str) {
    let name = &mut h.as_old_mut().name;
    name.fill(0);
    name[..path.len()].copy_from_slice(path.as_bytes());
    h.set_cksum();
}

pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(bytes).unwrap();
    gz.finish().unwrap()
}
