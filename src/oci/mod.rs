//! Pure OCI types: references, digests, media types and manifest views. No I/O.

mod digest;
pub mod friendly;
pub mod manifest;
pub mod media_types;
mod reference;
mod tag_or_digest;

pub use digest::{Algorithm, Digest, Hasher};
pub use manifest::{Annotations, Descriptor, ImageIndex, ImageManifest, Manifest, ManifestBlob, Platform};
pub use reference::{
    DOCKER_HUB, Reference, api_host, is_loopback_host, parse_registry_and_namespace,
    validate_repository, validate_tag,
};
pub use tag_or_digest::TagOrDigest;

/// Input that is not a valid OCI value.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ParseError {
    #[error("invalid reference `{input}`: {reason}")]
    Reference { input: String, reason: String },
    #[error("invalid digest `{input}`: {reason}")]
    Digest { input: String, reason: String },
    #[error("malformed {what} JSON: {reason}")]
    Json { what: &'static str, reason: String },
    #[error("manifest of {size} bytes is over the {limit}-byte limit")]
    TooLarge { size: u64, limit: u64 },
    #[error("`{0}` is not a manifest media type refscope understands")]
    UnsupportedMediaType(String),
}
