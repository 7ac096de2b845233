//! Parsed views of descriptors, image manifests and indexes. The raw bytes stay the truth:
//! a [`ManifestBlob`] keeps them, and digests are always computed over them, never over a
//! re-serialization.

use std::collections::BTreeMap;

use bytes::Bytes;
use serde::{Deserialize, Serialize};

use super::media_types::{self, annotations};
use super::{Digest, ParseError};

/// Manifests and indexes larger than this are refused, as distribution refuses them on push.
pub const MAX_MANIFEST_SIZE: u64 = 4 * 1024 * 1024;

pub type Annotations = BTreeMap<String, String>;

/// A content descriptor. Field order follows the image spec, so that serialized manifests look
/// like the ones other OCI tools write.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Descriptor {
    pub media_type: String,
    pub digest: Digest,
    pub size: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub urls: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub annotations: Option<Annotations>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform: Option<Platform>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub artifact_type: Option<String>,
}

impl Descriptor {
    pub fn new(media_type: impl Into<String>, digest: Digest, size: u64) -> Descriptor {
        Descriptor {
            media_type: media_type.into(),
            digest,
            size,
            urls: None,
            annotations: None,
            data: None,
            platform: None,
            artifact_type: None,
        }
    }

    pub fn annotation(&self, key: &str) -> Option<&str> {
        self.annotations.as_ref()?.get(key).map(String::as_str)
    }

    pub fn title(&self) -> Option<&str> {
        self.annotation(annotations::TITLE)
    }

    /// The artifact type if set, else the media type: what a user wants to see as "type".
    pub fn kind(&self) -> &str {
        self.artifact_type.as_deref().unwrap_or(&self.media_type)
    }

    /// This descriptor without the fields that do not identify content, as a `subject` wants it.
    pub fn plain(&self) -> Descriptor {
        Descriptor::new(self.media_type.clone(), self.digest.clone(), self.size)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Platform {
    pub architecture: String,
    pub os: String,
    #[serde(rename = "os.version", default, skip_serializing_if = "Option::is_none")]
    pub os_version: Option<String>,
    #[serde(rename = "os.features", default, skip_serializing_if = "Option::is_none")]
    pub os_features: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variant: Option<String>,
}

impl std::fmt::Display for Platform {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.os, self.architecture)?;
        if let Some(v) = &self.variant {
            write!(f, "/{v}")?;
        }
        Ok(())
    }
}

/// An image manifest (OCI or Docker v2 schema 2, which share this shape).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ImageManifest {
    pub schema_version: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub artifact_type: Option<String>,
    pub config: Descriptor,
    #[serde(default)]
    pub layers: Vec<Descriptor>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<Descriptor>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub annotations: Option<Annotations>,
}

/// An image index (OCI or Docker manifest list).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ImageIndex {
    pub schema_version: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub artifact_type: Option<String>,
    #[serde(default)]
    pub manifests: Vec<Descriptor>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<Descriptor>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub annotations: Option<Annotations>,
}

impl ImageIndex {
    pub fn new(manifests: Vec<Descriptor>) -> ImageIndex {
        ImageIndex {
            schema_version: 2,
            media_type: Some(media_types::OCI_INDEX.to_string()),
            artifact_type: None,
            manifests,
            subject: None,
            annotations: None,
        }
    }
}

/// Either kind of manifest, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Manifest {
    Image(ImageManifest),
    Index(ImageIndex),
}

impl Manifest {
    pub fn subject(&self) -> Option<&Descriptor> {
        match self {
            Manifest::Image(m) => m.subject.as_ref(),
            Manifest::Index(i) => i.subject.as_ref(),
        }
    }

    pub fn annotations(&self) -> Option<&Annotations> {
        match self {
            Manifest::Image(m) => m.annotations.as_ref(),
            Manifest::Index(i) => i.annotations.as_ref(),
        }
    }

    /// The manifest's own artifact type; for an image, the config media type stands in for it,
    /// as the referrers API does.
    pub fn artifact_type(&self) -> Option<&str> {
        match self {
            Manifest::Image(m) => m
                .artifact_type
                .as_deref()
                .or(Some(m.config.media_type.as_str())),
            Manifest::Index(i) => i.artifact_type.as_deref(),
        }
    }

    /// The `artifactType` field itself, without the config media type standing in.
    pub fn declared_artifact_type(&self) -> Option<&str> {
        match self {
            Manifest::Image(m) => m.artifact_type.as_deref(),
            Manifest::Index(i) => i.artifact_type.as_deref(),
        }
    }
}

/// A manifest as fetched: the exact bytes, their digest and the media type they were served as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManifestBlob {
    pub bytes: Bytes,
    pub digest: Digest,
    pub media_type: String,
}

impl ManifestBlob {
    /// Wraps raw bytes, computing their digest. The media type comes from the bytes'
    /// `mediaType` field when the transport did not say (or said something generic).
    pub fn new(bytes: Bytes, declared_media_type: Option<&str>) -> Result<ManifestBlob, ParseError> {
        if bytes.len() as u64 > MAX_MANIFEST_SIZE {
            return Err(ParseError::TooLarge {
                size: bytes.len() as u64,
                limit: MAX_MANIFEST_SIZE,
            });
        }
        let digest = Digest::sha256_of(&bytes);
        let media_type = match declared_media_type {
            Some(mt) if media_types::is_manifest(mt) => mt.to_string(),
            _ => sniff_media_type(&bytes)?,
        };
        Ok(ManifestBlob {
            bytes,
            digest,
            media_type,
        })
    }

    pub fn parse(&self) -> Result<Manifest, ParseError> {
        parse_manifest(&self.bytes, &self.media_type)
    }

    pub fn descriptor(&self) -> Descriptor {
        Descriptor::new(self.media_type.clone(), self.digest.clone(), self.bytes.len() as u64)
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Probe {
    media_type: Option<String>,
    manifests: Option<serde_json::Value>,
    config: Option<serde_json::Value>,
}

/// The media type of manifest bytes that do not come with a trustworthy one.
pub fn sniff_media_type(bytes: &[u8]) -> Result<String, ParseError> {
    let probe: Probe = serde_json::from_slice(bytes).map_err(|e| ParseError::Json {
        what: "manifest",
        reason: e.to_string(),
    })?;
    if let Some(mt) = probe.media_type
        && media_types::is_manifest(&mt)
    {
        return Ok(mt);
    }
    match (probe.manifests.is_some(), probe.config.is_some()) {
        (true, false) => Ok(media_types::OCI_INDEX.to_string()),
        (false, true) => Ok(media_types::OCI_MANIFEST.to_string()),
        _ => Err(ParseError::Json {
            what: "manifest",
            reason: "neither an image manifest (no `config`) nor an index (no `manifests`)".into(),
        }),
    }
}

/// Parses manifest bytes as the given media type.
pub fn parse_manifest(bytes: &[u8], media_type: &str) -> Result<Manifest, ParseError> {
    let json_err = |e: serde_json::Error| ParseError::Json {
        what: if media_types::is_index(media_type) { "index" } else { "manifest" },
        reason: e.to_string(),
    };
    let manifest = if media_types::is_index(media_type) {
        Manifest::Index(serde_json::from_slice(bytes).map_err(json_err)?)
    } else if media_types::is_manifest(media_type) {
        Manifest::Image(serde_json::from_slice(bytes).map_err(json_err)?)
    } else {
        return Err(ParseError::UnsupportedMediaType(media_type.to_string()));
    };
    let version = match &manifest {
        Manifest::Image(m) => m.schema_version,
        Manifest::Index(i) => i.schema_version,
    };
    if version != 2 {
        return Err(ParseError::Json {
            what: "manifest",
            reason: format!("schemaVersion {version} is not supported (only 2)"),
        });
    }
    Ok(manifest)
}

/// Serializes a manifest refscope builds itself; these bytes are then the truth.
pub fn to_bytes<T: Serialize>(value: &T) -> Bytes {
    Bytes::from(serde_json::to_vec(value).expect("manifest structs always serialize"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_raw_bytes_and_digests_them() {
        let raw = br#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.empty.v1+json","digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":2},"layers":[],  "extra":{"kept":true}}"#;
        let blob = ManifestBlob::new(Bytes::from_static(raw), None).unwrap();
        assert_eq!(blob.digest, Digest::sha256_of(raw));
        assert_eq!(blob.media_type, media_types::OCI_MANIFEST);
        let Manifest::Image(m) = blob.parse().unwrap() else { panic!("not an image") };
        assert_eq!(m.config.size, 2);
        assert_eq!(blob.parse().unwrap().artifact_type(), Some(media_types::OCI_EMPTY));
    }

    #[test]
    fn refuses_malformed_and_oversized() {
        assert!(ManifestBlob::new(Bytes::from_static(b"{not json"), None).is_err());
        assert!(ManifestBlob::new(Bytes::from_static(b"{}"), None).is_err());
        let huge = Bytes::from(vec![b' '; (MAX_MANIFEST_SIZE + 1) as usize]);
        assert!(matches!(
            ManifestBlob::new(huge, Some(media_types::OCI_MANIFEST)),
            Err(ParseError::TooLarge { .. })
        ));
        let bad_digest = br#"{"schemaVersion":2,"manifests":[{"mediaType":"x","digest":"sha256:1","size":1}]}"#;
        let blob = ManifestBlob::new(Bytes::from_static(bad_digest), None).unwrap();
        assert!(blob.parse().is_err());
        let huge_number = br#"{"schemaVersion":2,"manifests":[{"mediaType":"x","digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":1e400}]}"#;
        let refused = ManifestBlob::new(Bytes::from_static(huge_number), None).and_then(|b| b.parse());
        assert!(matches!(refused, Err(ParseError::Json { .. })), "{refused:?}");
    }
}
