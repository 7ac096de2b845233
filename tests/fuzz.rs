//! Property tests over every parser that reads what a registry or a user sends: they never
//! panic, and what they accept keeps its promises. `PROPTEST_CASES=N` runs them longer.

use proptest::prelude::*;
use refscope::graph::safe_path::{link_stays_inside, safe_relative};
use refscope::oci::manifest::parse_manifest;
use refscope::oci::{Digest, ManifestBlob, Reference, media_types};
use refscope::store::registry::{link, parse_challenge};

const VALID: &str = r#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","artifactType":"sbom/example","config":{"mediaType":"application/vnd.oci.empty.v1+json","digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":2},"layers":[{"mediaType":"text/plain","digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":2,"annotations":{"org.opencontainers.image.title":"a"}}],"subject":{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":2}}"#;

fn reference_like() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[a-z0-9.:\\[\\]-]{0,20}/[a-z0-9._/-]{0,30}(:[A-Za-z0-9_.-]{0,20})?(@sha256:[0-9a-f]{0,70})?",
    ]
}

/// A valid manifest with a run of bytes replaced, inserted or cut.
fn mutated_manifest() -> impl Strategy<Value = Vec<u8>> {
    (0..VALID.len(), 0..40usize, proptest::collection::vec(any::<u8>(), 0..40)).prop_map(|(at, cut, insert)| {
        let mut v = VALID.as_bytes().to_vec();
        let end = (at + cut).min(v.len());
        v.splice(at..end, insert);
        v
    })
}

proptest! {
    #[test]
    fn references_parse_without_panicking_and_round_trip(s in reference_like()) {
        if let Ok(r) = Reference::parse(&s) {
            let again = Reference::parse(&r.to_string()).expect("a parsed reference prints as a valid one");
            prop_assert_eq!(again, r);
        }
    }

    #[test]
    fn digests_parse_only_valid_hex(s in "(sha256|sha512|md5)?:?[0-9a-fA-F./]{0,130}") {
        if let Ok(d) = s.parse::<Digest>() {
            prop_assert!(d.hex().bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)));
            prop_assert_eq!(d.to_string(), s);
        }
    }

    #[test]
    fn manifests_never_panic(bytes in prop_oneof![mutated_manifest(), proptest::collection::vec(any::<u8>(), 0..512)]) {
        if let Ok(blob) = ManifestBlob::new(bytes::Bytes::from(bytes.clone()), None) {
            prop_assert_eq!(&blob.digest, &Digest::sha256_of(&bytes), "the digest is over the raw bytes");
            let _ = blob.parse();
        }
        let _ = parse_manifest(&bytes, media_types::OCI_INDEX);
        let _ = parse_manifest(&bytes, media_types::OCI_MANIFEST);
    }

    #[test]
    fn challenges_never_panic(s in any::<String>(), realm in "[ -~]{0,40}") {
        let _ = parse_challenge(&s);
        let _ = parse_challenge(&format!("Bearer realm=\"{realm}\",service={s}"));
    }

    #[test]
    fn link_headers_stay_on_the_registry(target in "[ -~]{0,60}") {
        let base = url::Url::parse("http://127.0.0.1:5000/").unwrap();
        let request = base.join("/v2/_catalog?n=10").unwrap();
        let mut h = reqwest::header::HeaderMap::new();
        if let Ok(v) = reqwest::header::HeaderValue::from_str(&format!("<{target}>; rel=\"next\"")) {
            h.insert(reqwest::header::LINK, v);
            if let Ok(Some(next)) = link::next_link(&h, &request, &base, "r") {
                prop_assert!(next.starts_with("/v2/"), "{}", next);
                let url = link::continuation_url(&base, &next, "x").unwrap();
                prop_assert_eq!(url.host_str(), Some("127.0.0.1"));
                prop_assert_eq!(url.port(), Some(5000));
            }
        }
    }

    #[test]
    fn accepted_names_stay_inside(name in prop_oneof![any::<String>(), "[a-z./\\\\]{0,30}"]) {
        if let Ok(p) = safe_relative(&name) {
            prop_assert!(p.is_relative());
            prop_assert!(p.components().all(|c| matches!(c, std::path::Component::Normal(_))));
            prop_assert!(!p.as_os_str().is_empty());
        }
    }

    #[test]
    fn accepted_links_stay_inside(link in "[a-z]{1,3}(/[a-z]{1,3}){0,3}", target in "(\\.\\./|[a-z]/|\\./){0,6}[a-z]{0,3}") {
        if link_stays_inside(std::path::Path::new(&link), &target) {
            // Resolve lexically from the link's directory: never above the root.
            let mut depth: i64 = std::path::Path::new(&link).components().count() as i64 - 1;
            for c in std::path::Path::new(&target).components() {
                match c {
                    std::path::Component::ParentDir => depth -= 1,
                    std::path::Component::Normal(_) => depth += 1,
                    _ => {}
                }
                prop_assert!(depth >= 0);
            }
        }
    }

    #[test]
    fn sanitized_text_has_no_control_characters(s in any::<String>()) {
        let clean = refscope::text::sanitize(&s);
        prop_assert!(!clean.chars().any(|c| c.is_control()));
    }
}
