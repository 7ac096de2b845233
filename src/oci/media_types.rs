//! Media types of the OCI image spec, Docker's v2 formats, and the ORAS conventions.

pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
pub const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
pub const OCI_CONFIG: &str = "application/vnd.oci.image.config.v1+json";
pub const OCI_LAYER_TAR_GZIP: &str = "application/vnd.oci.image.layer.v1.tar+gzip";
pub const OCI_EMPTY: &str = "application/vnd.oci.empty.v1+json";
pub const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";
pub const DOCKER_MANIFEST_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";
pub const DOCKER_CONFIG: &str = "application/vnd.docker.container.image.v1+json";

/// What ORAS gives a file pushed without a media type.
pub const DEFAULT_FILE: &str = "application/vnd.oci.image.layer.v1.tar";

/// The Accept header for manifest requests. distribution answers 404 to a manifest request
/// without the OCI types, even by digest, so this goes on every GET and HEAD.
pub const MANIFEST_ACCEPT: &str = "application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json, application/vnd.docker.distribution.manifest.v2+json, application/vnd.docker.distribution.manifest.list.v2+json";

/// Every manifest media type refscope reads.
pub const MANIFEST_TYPES: [&str; 4] = [OCI_MANIFEST, OCI_INDEX, DOCKER_MANIFEST, DOCKER_MANIFEST_LIST];

pub fn is_manifest(media_type: &str) -> bool {
    MANIFEST_TYPES.contains(&media_type)
}

pub fn is_index(media_type: &str) -> bool {
    media_type == OCI_INDEX || media_type == DOCKER_MANIFEST_LIST
}

/// Annotation keys of the OCI image spec and ORAS.
pub mod annotations {
    pub const TITLE: &str = "org.opencontainers.image.title";
    pub const CREATED: &str = "org.opencontainers.image.created";
    pub const REF_NAME: &str = "org.opencontainers.image.ref.name";
    pub const ORAS_UNPACK: &str = "io.deis.oras.content.unpack";
    pub const ORAS_CONTENT_DIGEST: &str = "io.deis.oras.content.digest";
}
