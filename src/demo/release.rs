//! The `release` repository: net-monitor 1.1.0 as a release pipeline leaves it. `v1.1.0` is an
//! index of two small images (linux/amd64, linux/arm64/v8). Each platform carries an SBOM
//! (SPDX on amd64, CycloneDX on arm64) signed with notation (JWS, COSE), and SLSA v1
//! provenance in a DSSE envelope whose subject is that platform's manifest. The index is
//! signed with cosign twice: the classic `sha256-<hex>.sig` tag, and a sigstore bundle referrer.
//!
//! The images are built here; the documents come from [`Content`], made by outside tools that
//! need the digests of what they describe: first the images' ([`subjects`]), then the SBOM
//! manifests' ([`sbom_subjects`]).

use std::collections::BTreeMap;
use std::path::Path;

use super::{Entry, OneLayerImage, annotate, attach_files, gzip_layer, referrer, tar_gz, write};
use crate::error::{Error, Result};
use crate::graph::progress::Progress;
use crate::graph::push::attach;
use crate::oci::media_types::{self, annotations};
use crate::oci::{Annotations, Descriptor, Digest, ImageIndex, ManifestBlob, Platform, manifest};
use crate::store::Target;
use crate::store::layout::Layout;

pub const REPO: &str = "release";
pub const TAG: &str = "v1.1.0";

const CREATED: &str = "2025-03-02T10:00:00Z";
const VERSION: &str = "1.1.0";
const SOURCE: &str = "https://git.example.com/net-monitor";

/// The platforms, and the documents each one carries.
const PLATFORMS: [PlatformDocs; 2] = [
    PlatformDocs {
        architecture: "amd64",
        variant: None,
        sbom: "sbom-amd64.spdx.json",
        sbom_type: "application/spdx+json",
        provenance: "provenance-amd64.dsse.json",
        signature: "sbom-amd64.sig.jws",
        signature_type: "application/jose+json",
    },
    PlatformDocs {
        architecture: "arm64",
        variant: Some("v8"),
        sbom: "sbom-arm64.cdx.json",
        sbom_type: "application/vnd.cyclonedx+json",
        provenance: "provenance-arm64.dsse.json",
        signature: "sbom-arm64.sig.cose",
        signature_type: "application/cose",
    },
];

struct PlatformDocs {
    architecture: &'static str,
    variant: Option<&'static str>,
    sbom: &'static str,
    sbom_type: &'static str,
    provenance: &'static str,
    signature: &'static str,
    signature_type: &'static str,
}

impl PlatformDocs {
    /// `linux/amd64`, as the content generator names platforms (without the variant).
    fn name(&self) -> String {
        format!("linux/{}", self.architecture)
    }
}

const DSSE: &str = "application/vnd.dsse.envelope.v1+json";
const NOTATION: &str = "application/vnd.cncf.notary.signature";
const SIGSTORE_BUNDLE: &str = "application/vnd.dev.sigstore.bundle.v0.3+json";
const SIMPLE_SIGNING: &str = "application/vnd.dev.cosign.simplesigning.v1+json";

macro_rules! bundled {
    ($($name:literal),* $(,)?) => {
        [$(($name, include_bytes!(concat!("content/", $name)) as &[u8])),*]
    };
}

/// The documents as committed.
const BUNDLED: [(&str, &[u8]); 10] = bundled!(
    "sbom-amd64.spdx.json",
    "sbom-arm64.cdx.json",
    "provenance-amd64.dsse.json",
    "provenance-arm64.dsse.json",
    "sbom-amd64.sig.jws",
    "sbom-arm64.sig.cose",
    "notation-thumbprints.json",
    "cosign-payload.json",
    "cosign-annotations.json",
    "bundle.sigstore.json",
);

/// The documents of the repository, by file name.
pub struct Content {
    files: BTreeMap<String, Vec<u8>>,
}

impl Content {
    /// The file names, in the order they are committed.
    pub fn names() -> impl Iterator<Item = &'static str> {
        BUNDLED.iter().map(|(n, _)| *n)
    }

    /// The documents committed under `src/demo/content`, built into refscope.
    pub fn bundled() -> Content {
        Content {
            files: BUNDLED.iter().map(|(n, b)| (n.to_string(), b.to_vec())).collect(),
        }
    }

    /// The documents from a directory, e.g. freshly made by the content generator.
    pub fn load(dir: &Path) -> Result<Content> {
        let content = Content::load_present(dir)?;
        match Content::names().find(|n| !content.files.contains_key(*n)) {
            Some(missing) => Err(Error::io(dir.join(missing), std::io::ErrorKind::NotFound.into())),
            None => Ok(content),
        }
    }

    /// The documents a directory has so far (the generator's first step makes only some).
    pub fn load_present(dir: &Path) -> Result<Content> {
        let mut files = BTreeMap::new();
        for name in Content::names() {
            let path = dir.join(name);
            match std::fs::read(&path) {
                Ok(bytes) => {
                    files.insert(name.to_string(), bytes);
                }
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(Error::io(&path, e)),
            }
        }
        Ok(Content { files })
    }

    fn get(&self, name: &str) -> Result<&[u8]> {
        self.files
            .get(name)
            .map(Vec::as_slice)
            .ok_or_else(|| Error::usage(format!("the demo content has no {name}")))
    }

    /// A document that is a JSON object of strings (annotations).
    fn annotations(&self, name: &str) -> Result<Annotations> {
        serde_json::from_slice(self.get(name)?).map_err(|e| Error::usage(format!("demo content {name}: {e}")))
    }
}

const SCRIPT: &str = "#!/bin/sh
# net-monitor 1.1.0: print the state of network interfaces every INTERVAL seconds.
# Arguments name the interfaces to watch; without any, all of them are.
. /etc/net-monitor/net-monitor.conf
while true; do
  if [ \"$#\" -eq 0 ]; then
    ip -brief address
  else
    for dev in \"$@\"; do ip -brief address show dev \"$dev\"; done
  fi
  sleep \"${INTERVAL:-5}\"
done
";
const CONF: &str = "# net-monitor settings; the environment wins over these.\nINTERVAL=${INTERVAL:-5}\n";
const README: &str = "# net-monitor 1.1.0\n\nPrints the state of network interfaces every `INTERVAL` seconds.\n\n    net-monitor [INTERFACE...]\n\nRun it with `--network host` to see the host's interfaces.\n";

/// One platform's image, built but not stored.
pub struct Image {
    pub platform: Platform,
    built: OneLayerImage,
}

impl Image {
    pub fn manifest(&self) -> &ManifestBlob {
        &self.built.manifest
    }
}

fn image(p: &PlatformDocs) -> Result<Image> {
    let platform = Platform {
        architecture: p.architecture.into(),
        os: "linux".into(),
        os_version: None,
        os_features: None,
        variant: p.variant.map(str::to_string),
    };
    let platform_text = format!("{platform}\n");
    let (layer, diff_id) = tar_gz(
        &[
            Entry::dir("etc/"),
            Entry::dir("etc/net-monitor/"),
            Entry::file("etc/net-monitor/net-monitor.conf", 0o644, CONF.as_bytes()),
            Entry::dir("usr/"),
            Entry::dir("usr/bin/"),
            Entry::symlink("usr/bin/net-monitor", "../local/bin/net-monitor"),
            Entry::dir("usr/local/"),
            Entry::dir("usr/local/bin/"),
            Entry::file("usr/local/bin/net-monitor", 0o755, SCRIPT.as_bytes()),
            Entry::dir("usr/share/"),
            Entry::dir("usr/share/doc/"),
            Entry::dir("usr/share/doc/net-monitor/"),
            Entry::file("usr/share/doc/net-monitor/PLATFORM", 0o644, platform_text.as_bytes()),
            Entry::file("usr/share/doc/net-monitor/README.md", 0o644, README.as_bytes()),
            Entry::dir("var/"),
            Entry::dir("var/lib/"),
            Entry::dir("var/lib/net-monitor/").owned_by(65534),
        ],
        CREATED,
    )?;
    let mut config = serde_json::json!({
        "created": CREATED,
        "author": "Example release team <release@example.com>",
        "architecture": p.architecture,
        "os": "linux",
        "config": {
            "User": "65534:65534",
            "Entrypoint": ["/usr/local/bin/net-monitor"],
            "Cmd": ["eth0"],
            "Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "INTERVAL=5"],
            "WorkingDir": "/var/lib/net-monitor",
            "Labels": {
                "org.opencontainers.image.title": "net-monitor",
                "org.opencontainers.image.version": VERSION,
                "org.opencontainers.image.source": SOURCE,
                "org.opencontainers.image.licenses": "Apache-2.0",
                "org.opencontainers.image.vendor": "Example"
            }
        },
        "rootfs": {"type": "layers", "diff_ids": [diff_id.to_string()]},
        "history": [
            {"created": CREATED, "created_by": format!("ADD rootfs-{}.tar.gz / # net-monitor {VERSION}", p.architecture)},
            {"created": CREATED, "created_by": "USER 65534:65534", "empty_layer": true}
        ]
    });
    if let Some(v) = p.variant {
        config["variant"] = v.into();
    }
    let built = OneLayerImage::new(&config, gzip_layer(layer), Some(annotate(&[(annotations::CREATED, CREATED)])))?;
    Ok(Image { platform, built })
}

/// The platform images and the index over them.
pub fn images() -> Result<(Vec<Image>, ManifestBlob)> {
    let images = PLATFORMS.iter().map(image).collect::<Result<Vec<_>>>()?;
    let mut index = ImageIndex::new(
        images
            .iter()
            .map(|i| {
                let mut d = i.manifest().descriptor();
                d.platform = Some(i.platform.clone());
                d
            })
            .collect(),
    );
    index.annotations = Some(annotate(&[
        (annotations::CREATED, CREATED),
        ("org.opencontainers.image.version", VERSION),
        ("org.opencontainers.image.source", SOURCE),
        ("org.opencontainers.image.description", "net-monitor, for amd64 and arm64"),
    ]));
    let index = ManifestBlob::new(manifest::to_bytes(&index), Some(media_types::OCI_INDEX))?;
    Ok((images, index))
}

fn descriptor_json(d: &Descriptor) -> serde_json::Value {
    serde_json::json!({"mediaType": d.media_type, "digest": d.digest.to_string(), "size": d.size})
}

/// What the content generator's first step describes: the index and each platform manifest.
pub fn subjects() -> Result<serde_json::Value> {
    let (images, index) = images()?;
    let platforms: serde_json::Map<String, serde_json::Value> = PLATFORMS
        .iter()
        .zip(&images)
        .map(|(p, i)| (p.name(), descriptor_json(&i.manifest().descriptor())))
        .collect();
    Ok(serde_json::json!({"index": descriptor_json(&index.descriptor()), "platforms": platforms}))
}

/// [`subjects`] with the SBOM manifests that `content`'s SBOMs make, for the second step
/// (their signatures).
pub fn sbom_subjects(content: &Content) -> Result<serde_json::Value> {
    let (images, _) = images()?;
    let files = tempfile::tempdir().map_err(|e| Error::io(std::env::temp_dir(), e))?;
    let mut sboms = serde_json::Map::new();
    for (p, i) in PLATFORMS.iter().zip(&images) {
        let built = sbom_referrer(p, &i.manifest().descriptor(), content, files.path())?;
        sboms.insert(p.name(), descriptor_json(&built.manifest.descriptor()));
    }
    let mut v = subjects()?;
    v["sboms"] = sboms.into();
    Ok(v)
}

fn sbom_referrer(p: &PlatformDocs, subject: &Descriptor, content: &Content, files: &Path) -> Result<crate::graph::push::Built> {
    write(files, p.sbom, content.get(p.sbom)?)?;
    referrer(subject, p.sbom_type, &[(&files.join(p.sbom), Some(p.sbom_type))], &[(annotations::CREATED, "2025-03-02T10:05:00Z")])
}

/// cosign's tag-based signature of `subject`: a simple-signing payload as the one layer, the
/// signature, certificate and Rekor bundle in its annotations, an image config naming it.
async fn push_cosign_signature(layout: &Layout, subject: &Descriptor, content: &Content) -> Result<()> {
    let payload = content.get("cosign-payload.json")?.to_vec();
    let mut layer = Descriptor::new(SIMPLE_SIGNING, Digest::sha256_of(&payload), payload.len() as u64);
    layer.annotations = Some(content.annotations("cosign-annotations.json")?);
    let config = serde_json::json!({
        "architecture": "",
        "config": {},
        "created": "0001-01-01T00:00:00Z",
        "history": [{"created": "0001-01-01T00:00:00Z"}],
        "os": "",
        "rootfs": {"type": "layers", "diff_ids": [layer.digest.to_string()]}
    });
    OneLayerImage::new(&config, (layer, payload), None)?
        .push(layout, REPO, &format!("{}.sig", subject.digest.fallback_tag()))
        .await?;
    Ok(())
}

/// Writes the repository's layout into `dir`, its documents from `content`.
pub async fn generate(dir: &Path, content: &Content) -> Result<()> {
    let layout = Layout::open_or_create(dir)?;
    let (images, index) = images()?;
    for image in &images {
        let manifest = image.manifest();
        image.built.push(&layout, REPO, &manifest.digest.to_string()).await?;
    }
    layout.push_manifest(REPO, TAG, &index).await?;
    let index_desc = index.descriptor();

    let files = tempfile::tempdir().map_err(|e| Error::io(std::env::temp_dir(), e))?;
    let f = files.path();
    for name in Content::names() {
        write(f, name, content.get(name)?)?;
    }
    let thumbprints = String::from_utf8_lossy(content.get("notation-thumbprints.json")?).trim().to_string();
    for (p, image) in PLATFORMS.iter().zip(&images) {
        let subject = image.manifest().descriptor();
        let sbom = sbom_referrer(p, &subject, content, f)?;
        attach(&layout, REPO, &sbom, &Progress::default()).await?;
        attach_files(&layout, REPO, &subject, DSSE, &[(&f.join(p.provenance), Some(DSSE))], &[
            (annotations::CREATED, "2025-03-02T10:06:00Z"),
            ("in-toto.io/predicate-type", "https://slsa.dev/provenance/v1"),
        ])
        .await?;
        attach_files(&layout, REPO, &sbom.manifest.descriptor(), NOTATION, &[(&f.join(p.signature), Some(p.signature_type))], &[
            (annotations::CREATED, "2025-03-02T10:20:00Z"),
            ("io.cncf.notary.x509chain.thumbprint#S256", &thumbprints),
        ])
        .await?;
    }
    attach_files(&layout, REPO, &index_desc, SIGSTORE_BUNDLE, &[(&f.join("bundle.sigstore.json"), Some(SIGSTORE_BUNDLE))], &[
        (annotations::CREATED, "2025-03-02T10:21:00Z"),
        ("dev.sigstore.bundle.content", "dsse-envelope"),
        ("dev.sigstore.bundle.predicateType", "https://sigstore.dev/cosign/sign/v1"),
    ])
    .await?;
    push_cosign_signature(&layout, &index_desc, content).await
}
