//! Manifests and indexes as a registry sends them: parsing never panics, and the digest is
//! always the hash of the raw bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use refscope::oci::manifest::{parse_manifest, sniff_media_type};
use refscope::oci::{Digest, ManifestBlob, media_types};

fuzz_target!(|data: &[u8]| {
    if let Ok(blob) = ManifestBlob::new(bytes::Bytes::copy_from_slice(data), None) {
        assert_eq!(blob.digest, Digest::sha256_of(data));
        let _ = blob.parse();
    }
    let _ = sniff_media_type(data);
    let _ = parse_manifest(data, media_types::OCI_INDEX);
    let _ = parse_manifest(data, media_types::OCI_MANIFEST);
});
