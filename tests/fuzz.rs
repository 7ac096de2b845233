//! Property tests over every parser that reads what a registry or a user sends: they never
//! panic, and what they accept keeps its promises. `PROPTEST_CASES=N` runs them longer.

use proptest::prelude::*;
use refscope::graph::safe_path::{link_stays_inside, safe_relative};
use refscope::oci::manifest::parse_manifest;
use refscope::oci::{Digest, ManifestBlob, Reference, media_types};
use refscope::store::registry::{Challenge, link, parse_challenge};

const VALID: &str = r#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","artifactType":"sbom/example","config":{"mediaType":"application/vnd.oci.empty.v1+json","digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":2},"layers":[{"mediaType":"text/plain","digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":2,"annotations":{"org.opencontainers.image.title":"a"}}],"subject":{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":2}}"#;

fn reference_like() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[a-z0-9.:\\[\\]-]{0,20}/[a-z0-9._/-]{0,30}(:[A-Za-z0-9_.-]{0,20})?(@sha256:[0-9a-f]{0,70})?",
    ]
}

/// Strings near a digest: valid ones of both algorithms, wrong lengths, upper case, other
/// algorithms, missing or doubled separators, stray characters.
fn digest_like() -> impl Strategy<Value = String> {
    // Weighted so that most draws are one defect away from valid, upper case included.
    let alg = prop_oneof![3 => Just("sha256"), 2 => Just("sha512"), 1 => Just("md5"), 1 => Just("SHA256"), 1 => Just("sha384"), 1 => Just("")];
    let sep = prop_oneof![4 => Just(":"), 1 => Just(""), 1 => Just("::")];
    let hex = prop_oneof![
        "[0-9a-f]{64}",
        "[0-9a-f]{128}",
        "[0-9a-f]{63}",
        "[0-9a-f]{65}",
        "[0-9a-f]{127}",
        "[0-9a-f]{0,63}[A-F][0-9a-fA-F]{0,64}",
        "[0-9a-f]{20}[A-F][0-9a-f]{43}",
        "[0-9a-f]{20}[A-F][0-9a-f]{107}",
        "[0-9a-f./]{0,130}",
        "[0-9a-f]{30}[g-zG-Z ./:-][0-9a-f]{33}",
    ];
    (alg, sep, hex).prop_map(|(a, s, h)| format!("{a}{s}{h}"))
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

/// Near misses the property draws only now and then, checked on every run.
#[test]
fn near_miss_digests_are_refused() {
    let hex = "a".repeat(64);
    let long = "a".repeat(128);
    let misses = [
        format!("sha256:{}B", &hex[1..]),
        format!("sha512:{}F", &long[1..]),
        format!("SHA256:{hex}"),
        format!("sha256:{}", &hex[1..]),
        format!("sha256:{hex}a"),
        format!("sha256::{hex}"),
        format!("sha512:{hex}"),
        format!("sha384:{hex}"),
        format!("sha256:{}g", &hex[1..]),
    ];
    for s in misses {
        assert!(s.parse::<Digest>().is_err(), "accepted {s}");
    }
    for s in [format!("sha256:{hex}"), format!("sha512:{long}")] {
        assert_eq!(s.parse::<Digest>().map(|d| d.to_string()).ok(), Some(s.clone()), "{s}");
    }
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
    fn digests_parse_only_valid_hex(s in digest_like()) {
        // The spec's rule, written out: sha256 with 64 or sha512 with 128 lowercase hex digits.
        let valid = [("sha256:", 64), ("sha512:", 128)].iter().any(|(alg, len)| {
            s.strip_prefix(alg).is_some_and(|hex| hex.len() == *len && hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')))
        });
        match s.parse::<Digest>() {
            Ok(d) => {
                prop_assert!(valid, "accepted {}", s);
                prop_assert_eq!(d.to_string(), s);
            }
            Err(_) => prop_assert!(!valid, "refused a valid digest {}", s),
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
    fn challenges_parse_to_what_they_say(s in any::<String>(), realm in "[ -~]{0,40}", service in "[ -~]{0,20}", scope in "[ -~]{0,40}") {
        // Anything: only a Basic or Bearer scheme yields a challenge.
        if let Some(c) = parse_challenge(&s) {
            let scheme = s.trim().split(char::is_whitespace).next().unwrap_or_default().to_ascii_lowercase();
            match c {
                Challenge::Basic => prop_assert_eq!(scheme, "basic"),
                Challenge::Bearer { .. } => prop_assert_eq!(scheme, "bearer"),
            }
        }
        // A well-formed Bearer challenge with quoted values, escapes and all: each value back.
        let quote = |v: &str| format!("\"{}\"", v.replace('\\', "\\\\").replace('"', "\\\""));
        let header = format!("Bearer realm={},service={}, scope={}", quote(&realm), quote(&service), quote(&scope));
        let parsed = parse_challenge(&header);
        prop_assert_eq!(
            parsed,
            Some(Challenge::Bearer { realm: realm.clone(), service: Some(service.clone()), scope: Some(scope.clone()), error: None }),
            "{}", header
        );
        prop_assert_eq!(parse_challenge(&format!("Basic realm={}", quote(&realm))), Some(Challenge::Basic));
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
