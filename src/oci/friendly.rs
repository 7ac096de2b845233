//! Names people know for well-known artifact types: a short badge (IMG, SIG, SBOM…) and a
//! name ("cosign signature", "SPDX SBOM"…), for views that have little room. The raw media and
//! artifact types stay the truth and are what the CLI prints; unknown types have no name here
//! and are shown as they are.

use super::Descriptor;
use super::media_types::{DOCKER_CONFIG, DOCKER_MANIFEST, DOCKER_MANIFEST_LIST, OCI_CONFIG, OCI_INDEX, OCI_MANIFEST};

/// A well-known kind of artifact.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Known {
    /// At most five capitals, for a column or a badge.
    pub badge: &'static str,
    pub name: &'static str,
}

const fn known(badge: &'static str, name: &'static str) -> Known {
    Known { badge, name }
}

pub const IMAGE: Known = known("IMG", "image");
pub const INDEX: Known = known("INDEX", "image index");
pub const COSIGN_SIGNATURE: Known = known("SIG", "cosign signature");
pub const SIGSTORE_BUNDLE: Known = known("SIG", "sigstore bundle");
pub const NOTATION_SIGNATURE: Known = known("SIG", "notation signature");
pub const SPDX: Known = known("SBOM", "SPDX SBOM");
pub const CYCLONEDX: Known = known("SBOM", "CycloneDX SBOM");
pub const COSIGN_SBOM: Known = known("SBOM", "cosign SBOM");
pub const IN_TOTO: Known = known("ATT", "in-toto attestation");
pub const SLSA: Known = known("ATT", "SLSA provenance");
pub const HELM: Known = known("HELM", "Helm chart");
pub const WASM: Known = known("WASM", "Wasm module");
pub const SOCI: Known = known("SOCI", "SOCI index");

/// How a type string is matched: the whole type, or its beginning (for versioned families).
enum Pattern {
    Exact(&'static str),
    Prefix(&'static str),
}

/// Checked in order; the first match wins, so specific entries come before families.
const TABLE: &[(Pattern, Known)] = {
    use Pattern::{Exact, Prefix};
    &[
        (Exact(OCI_MANIFEST), IMAGE),
        (Exact(DOCKER_MANIFEST), IMAGE),
        // An image's config type stands in for its artifact type (the Referrers API does this).
        (Exact(OCI_CONFIG), IMAGE),
        (Exact(DOCKER_CONFIG), IMAGE),
        (Exact(OCI_INDEX), INDEX),
        (Exact(DOCKER_MANIFEST_LIST), INDEX),
        (Exact("application/vnd.dev.cosign.simplesigning.v1+json"), COSIGN_SIGNATURE),
        (Exact("application/vnd.dev.cosign.artifact.sig.v1+json"), COSIGN_SIGNATURE),
        (Prefix("application/vnd.dev.sigstore.bundle"), SIGSTORE_BUNDLE),
        (Exact("application/vnd.cncf.notary.signature"), NOTATION_SIGNATURE),
        (Prefix("application/spdx"), SPDX),
        (Prefix("application/vnd.spdx"), SPDX),
        (Prefix("text/spdx"), SPDX),
        (Prefix("application/vnd.cyclonedx"), CYCLONEDX),
        (Exact("application/vnd.dev.cosign.artifact.sbom.v1+json"), COSIGN_SBOM),
        (Prefix("application/vnd.in-toto.provenance"), SLSA),
        (Prefix("application/vnd.slsa"), SLSA),
        (Prefix("application/vnd.in-toto"), IN_TOTO),
        (Exact("application/vnd.dsse.envelope.v1+json"), IN_TOTO),
        (Exact("application/vnd.dev.cosign.artifact.att.v1+json"), IN_TOTO),
        (Prefix("application/vnd.cncf.helm."), HELM),
        (Prefix("application/vnd.wasm."), WASM),
        (Prefix("application/vnd.module.wasm."), WASM),
        (Exact("application/wasm"), WASM),
        (Prefix("application/vnd.amazon.soci.index."), SOCI),
    ]
};

/// The annotation in-toto layers (and BuildKit's attestation manifests) carry.
const PREDICATE_TYPE: &str = "in-toto.io/predicate-type";

/// The well-known kind of a media or artifact type, if it is one. Parameters (`;version=…`)
/// and letter case do not matter.
pub fn known_type(kind: &str) -> Option<Known> {
    let kind = kind.split(';').next().unwrap_or(kind).trim().to_ascii_lowercase();
    TABLE.iter().find_map(|(pattern, known)| {
        let hit = match pattern {
            Pattern::Exact(t) => kind == *t,
            Pattern::Prefix(p) => kind.starts_with(p),
        };
        hit.then_some(*known)
    })
}

/// The well-known kind of what a descriptor points at: its artifact type (or media type), and
/// for in-toto statements the predicate type, which tells SLSA provenance apart.
pub fn known_artifact(d: &Descriptor) -> Option<Known> {
    let slsa = d.annotation(PREDICATE_TYPE).is_some_and(|p| p.starts_with("https://slsa.dev/provenance"));
    match known_type(d.kind()) {
        Some(IN_TOTO) | None if slsa => Some(SLSA),
        found => found,
    }
}

/// What to show for a type: its name when it is well known, else the type as it is.
pub fn name_or_type(kind: &str) -> &str {
    known_type(kind).map(|k| k.name).unwrap_or(kind)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::oci::Digest;

    #[test]
    fn well_known_types_have_badges_and_names() {
        let cases = [
            ("application/vnd.dev.cosign.simplesigning.v1+json", "SIG", "cosign signature"),
            ("application/vnd.dev.sigstore.bundle.v0.3+json", "SIG", "sigstore bundle"),
            ("application/vnd.dev.sigstore.bundle+json;version=0.3", "SIG", "sigstore bundle"),
            ("application/vnd.cncf.notary.signature", "SIG", "notation signature"),
            ("application/spdx+json", "SBOM", "SPDX SBOM"),
            ("text/spdx", "SBOM", "SPDX SBOM"),
            ("application/vnd.cyclonedx+json", "SBOM", "CycloneDX SBOM"),
            ("application/vnd.in-toto+json", "ATT", "in-toto attestation"),
            ("application/vnd.dsse.envelope.v1+json", "ATT", "in-toto attestation"),
            ("application/vnd.in-toto.provenance+dsse", "ATT", "SLSA provenance"),
            ("application/vnd.cncf.helm.config.v1+json", "HELM", "Helm chart"),
            ("application/vnd.wasm.config.v0+json", "WASM", "Wasm module"),
            ("application/vnd.amazon.soci.index.v1+json", "SOCI", "SOCI index"),
            (OCI_INDEX, "INDEX", "image index"),
            (DOCKER_MANIFEST_LIST, "INDEX", "image index"),
            (OCI_CONFIG, "IMG", "image"),
            ("Application/SPDX+JSON", "SBOM", "SPDX SBOM"),
        ];
        for (kind, badge, name) in cases {
            assert_eq!(known_type(kind), Some(Known { badge, name }), "{kind}");
            assert!(badge.len() <= 5 && badge.chars().all(|c| c.is_ascii_uppercase()));
        }
    }

    #[test]
    fn unknown_types_are_shown_as_they_are() {
        for kind in ["sbom/example", "application/vnd.unknown.artifact.v1", ""] {
            assert_eq!(name_or_type(kind), kind);
        }
        assert_eq!(known_type("signature/example"), None);
    }

    #[test]
    fn a_predicate_type_tells_slsa_provenance_from_other_attestations() {
        let mut d = Descriptor::new(OCI_MANIFEST, Digest::sha256_of(b"x"), 1);
        d.artifact_type = Some("application/vnd.in-toto+json".into());
        assert_eq!(known_artifact(&d), Some(IN_TOTO));
        d.annotations = Some([(PREDICATE_TYPE.to_string(), "https://slsa.dev/provenance/v1".to_string())].into());
        assert_eq!(known_artifact(&d), Some(SLSA));
    }
}
