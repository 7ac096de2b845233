//! Property tests over every inspection parser: they never panic on any bytes, and on
//! documents written here by independent writers (serde_json, the tar crate, ciborium) they
//! report what was written. `PROPTEST_CASES=N` runs them longer.

use std::io::Write;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use ciborium::value::Value as Cbor;
use proptest::prelude::*;
use refscope::inspect::artifact::{Content, content};
use refscope::inspect::listing::{Lister, list_bytes, list_bytes_with};
use refscope::inspect::{Context, Limits, Summary, bundle, cert, cosign, helm, image, intoto, notation, sbom, sniff};
use refscope::oci::{Descriptor, Digest};
use serde_json::{Value, json};

/// A component tree: name, version, license, children.
#[derive(Debug, Clone)]
struct Node {
    name: String,
    version: Option<String>,
    license: Option<String>,
    children: Vec<Node>,
}

fn node() -> impl Strategy<Value = Node> {
    let leaf = (any::<String>(), proptest::option::of("[ -~]{0,12}"), proptest::option::of("[A-Za-z0-9.-]{1,10}"))
        .prop_map(|(name, version, license)| Node { name, version, license, children: vec![] });
    leaf.prop_recursive(3, 40, 4, |inner| {
        (any::<String>(), proptest::option::of("[ -~]{0,12}"), proptest::collection::vec(inner, 0..4))
            .prop_map(|(name, version, children)| Node { name, version, license: None, children })
    })
}

fn node_json(n: &Node) -> Value {
    let mut v = json!({"type": "library", "name": n.name, "purl": "pkg:x/y", "hashes": [{"alg": "SHA-256", "content": "00"}]});
    if let Some(ver) = &n.version {
        v["version"] = json!(ver);
    }
    if let Some(l) = &n.license {
        v["licenses"] = json!([{"license": {"id": l}}]);
    }
    if !n.children.is_empty() {
        v["components"] = Value::Array(n.children.iter().map(node_json).collect());
    }
    v
}

fn preorder(nodes: &[Node], out: &mut Vec<(String, Option<String>)>) {
    for n in nodes {
        out.push((n.name.clone(), n.version.clone()));
        preorder(&n.children, out);
    }
}

/// Bytes with a run replaced, inserted or cut.
fn mutate(valid: Vec<u8>) -> impl Strategy<Value = Vec<u8>> {
    let len = valid.len().max(1);
    (0..len, 0..40usize, proptest::collection::vec(any::<u8>(), 0..40)).prop_map(move |(at, cut, insert)| {
        let mut v = valid.clone();
        let at = at.min(v.len());
        let end = (at + cut).min(v.len());
        v.splice(at..end, insert);
        v
    })
}

fn bytes_or_mutated(valid: &[u8]) -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![proptest::collection::vec(any::<u8>(), 0..600), mutate(valid.to_vec())]
}

const STATEMENT: &str = r#"{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"a","digest":{"sha256":"aa"}}],"predicateType":"https://slsa.dev/provenance/v0.2","predicate":{"builder":{"id":"b"},"buildType":"t"}}"#;
const SIMPLE: &str = r#"{"critical":{"identity":{"docker-reference":"r"},"image":{"docker-manifest-digest":"sha256:aa"},"type":"cosign container image signature"},"optional":null}"#;
const BUNDLE: &str = r#"{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json","verificationMaterial":{"certificate":{"rawBytes":"AAAA"},"tlogEntries":[{"logIndex":"1","integratedTime":"0","kindVersion":{"kind":"hashedrekord","version":"0.0.1"}}]},"messageSignature":{"messageDigest":{"algorithm":"SHA2_256","digest":"qg=="},"signature":"AA=="}}"#;
const JWS: &str = r#"{"payload":"eyJ0YXJnZXRBcnRpZmFjdCI6eyJkaWdlc3QiOiJzaGEyNTY6YWEifX0","protected":"eyJhbGciOiJFUzI1NiJ9","header":{"x5c":["AAAA"]},"signature":"AAAA"}"#;

fn cose(payload: &[u8], time: i64) -> Vec<u8> {
    let mut protected = Vec::new();
    let map = Cbor::Map(vec![
        (Cbor::Integer(1.into()), Cbor::Integer((-7).into())),
        (Cbor::Text("io.cncf.notary.signingScheme".into()), Cbor::Text("notary.x509".into())),
        (Cbor::Text("io.cncf.notary.signingTime".into()), Cbor::Tag(1, Box::new(Cbor::Integer(time.into())))),
    ]);
    ciborium::ser::into_writer(&map, &mut protected).unwrap();
    let msg = Cbor::Tag(
        18,
        Box::new(Cbor::Array(vec![
            Cbor::Bytes(protected),
            Cbor::Map(vec![(Cbor::Integer(33.into()), Cbor::Bytes(vec![0x30, 0x03, 0x02, 0x01, 0x00]))]),
            Cbor::Bytes(payload.to_vec()),
            Cbor::Bytes(vec![1, 2, 3]),
        ])),
    );
    let mut out = Vec::new();
    ciborium::ser::into_writer(&msg, &mut out).unwrap();
    out
}

/// A tar entry to archive: name, contents (or a symlink target).
#[derive(Debug, Clone)]
enum Entry {
    File(String, Vec<u8>),
    Link(String, String),
}

fn entry() -> impl Strategy<Value = Entry> {
    let name = "[a-z]{1,8}(/[a-z]{1,40}){0,5}";
    prop_oneof![
        (name, proptest::collection::vec(any::<u8>(), 0..1500)).prop_map(|(n, d)| Entry::File(n, d)),
        (name, "[a-z]{1,20}(/[a-z]{1,50}){0,4}").prop_map(|(n, t)| Entry::Link(n, t)),
    ]
}

fn archive(entries: &[Entry]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for e in entries {
        let mut h = tar::Header::new_gnu();
        h.set_mtime(0);
        match e {
            Entry::File(n, d) => {
                h.set_size(d.len() as u64);
                h.set_mode(0o644);
                b.append_data(&mut h, n, d.as_slice()).unwrap();
            }
            Entry::Link(n, t) => {
                h.set_entry_type(tar::EntryType::Symlink);
                h.set_size(0);
                h.set_mode(0o777);
                b.append_link(&mut h, n, t).unwrap();
            }
        }
    }
    b.into_inner().unwrap()
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(bytes).unwrap();
    gz.finish().unwrap()
}

fn hex64() -> impl Strategy<Value = String> {
    "[0-9a-f]{64}"
}

proptest! {
    #[test]
    fn cyclonedx_reports_every_component_written(tree in proptest::collection::vec(node(), 0..6), spec in "1\\.[0-9]") {
        let doc = json!({"bomFormat": "CycloneDX", "specVersion": spec, "version": 1, "components": tree.iter().map(node_json).collect::<Vec<_>>(), "dependencies": []});
        let bytes = serde_json::to_vec(&doc).unwrap();
        let s = sbom::parse_cyclonedx(&bytes).unwrap();
        let mut want = Vec::new();
        preorder(&tree, &mut want);
        prop_assert_eq!(s.packages, want.len() as u64);
        let got: Vec<(String, Option<String>)> = s.package_list.iter().map(|p| (p.name.clone(), p.version.clone())).collect();
        prop_assert_eq!(got, want);
        prop_assert_eq!(s.spec_version, spec);
        let licensed = s.licenses.values().sum::<u64>();
        fn count(ns: &[Node]) -> u64 { ns.iter().map(|n| u64::from(n.license.is_some()) + count(&n.children)).sum() }
        prop_assert_eq!(licensed, count(&tree));
    }

    #[test]
    fn spdx_reports_every_package_written(pkgs in proptest::collection::vec((any::<String>(), "[ -~]{0,10}", proptest::option::of("[A-Z][A-Za-z0-9.-]{0,9}")), 0..40)) {
        let packages: Vec<Value> = pkgs.iter().map(|(n, v, l)| json!({"SPDXID": "SPDXRef-x", "name": n, "versionInfo": v, "downloadLocation": "NOASSERTION", "licenseConcluded": l.clone().unwrap_or_else(|| "NOASSERTION".into())})).collect();
        let doc = json!({"spdxVersion": "SPDX-2.3", "SPDXID": "SPDXRef-DOCUMENT", "name": "d", "creationInfo": {"creators": ["Tool: t-1"], "created": "2025-01-01T00:00:00Z"}, "packages": packages});
        let s = sbom::parse_spdx(&serde_json::to_vec(&doc).unwrap()).unwrap();
        prop_assert_eq!(s.packages, pkgs.len() as u64);
        let names: Vec<&str> = s.package_list.iter().map(|p| p.name.as_str()).collect();
        let want: Vec<&str> = pkgs.iter().map(|(n, _, _)| n.as_str()).collect();
        prop_assert_eq!(names, want);
        prop_assert_eq!(s.licenses.values().sum::<u64>(), pkgs.iter().filter(|(_, _, l)| l.is_some()).count() as u64);
    }

    #[test]
    fn sbom_parsers_never_panic(cdx in bytes_or_mutated(br#"{"bomFormat":"CycloneDX","specVersion":"1.5","metadata":{"tools":[{"name":"t"}]},"components":[{"name":"a","components":[{"name":"b"}],"licenses":[{"expression":"MIT"}]}]}"#),
                                spdx in bytes_or_mutated(br#"{"spdxVersion":"SPDX-2.3","creationInfo":{"creators":["Tool: x"]},"packages":[{"name":"a","versionInfo":"1","licenseConcluded":"MIT"}]}"#)) {
        for b in [&cdx, &spdx] {
            let _ = sbom::parse_cyclonedx(b);
            let _ = sbom::parse_spdx(b);
            let _ = sniff::detect("application/json", b);
        }
    }

    #[test]
    fn tar_listings_show_what_was_archived(entries in proptest::collection::vec(entry(), 0..12), gz in any::<bool>(), chunk in 1usize..3000) {
        let tar = archive(&entries);
        let bytes = if gz { gzip(&tar) } else { tar };
        let mut lister = Lister::new(&Limits::default());
        for c in bytes.chunks(chunk) {
            lister.feed(c).unwrap();
        }
        let listing = lister.finish().unwrap();
        prop_assert!(listing.complete);
        prop_assert_eq!(listing.total, entries.len() as u64);
        for (got, want) in listing.entries.iter().zip(&entries) {
            match want {
                Entry::File(n, d) => {
                    prop_assert_eq!(&got.name, n);
                    prop_assert_eq!(got.size, d.len() as u64);
                    prop_assert!(got.mode.starts_with('-'));
                }
                Entry::Link(n, t) => {
                    prop_assert_eq!(&got.name, n);
                    prop_assert_eq!(got.link.as_deref(), Some(t.as_str()));
                    prop_assert!(got.mode.starts_with('l'));
                }
            }
        }
    }

    #[test]
    fn tar_listings_never_panic_and_stay_bounded(entries in proptest::collection::vec(entry(), 1..6), gz in any::<bool>(), cut in 0usize..60, insert in proptest::collection::vec(any::<u8>(), 0..60), at in 0usize..5000, keep in 0usize..3) {
        let tar = archive(&entries);
        let mut bytes = if gz { gzip(&tar) } else { tar };
        let at = at.min(bytes.len());
        let end = (at + cut).min(bytes.len());
        bytes.splice(at..end, insert);
        let limits = Limits { max_entries: keep, ..Limits::default() };
        if let Ok(l) = list_bytes_with(&bytes, &limits) {
            prop_assert!(l.entries.len() <= keep);
            prop_assert!(l.total >= l.entries.len() as u64);
        }
    }

    #[test]
    fn random_bytes_are_not_listings_that_panic(bytes in proptest::collection::vec(any::<u8>(), 0..3000)) {
        let _ = list_bytes(&bytes);
    }

    #[test]
    fn dsse_payloads_round_trip(payload in proptest::collection::vec(any::<u8>(), 0..300), sigs in 0usize..4) {
        let env = json!({"payloadType": "application/vnd.in-toto+json", "payload": STANDARD.encode(&payload), "signatures": vec![json!({"keyid": "", "sig": "AA=="}); sigs]});
        let e = intoto::parse_envelope(&serde_json::to_vec(&env).unwrap()).unwrap();
        prop_assert_eq!(e.payload, payload);
        prop_assert_eq!(e.signatures, sigs);
    }

    #[test]
    fn statements_match_exactly_when_the_subject_is_listed(digests in proptest::collection::vec(hex64(), 0..6), subject in hex64(), listed in any::<bool>()) {
        let mut all = digests.clone();
        if listed {
            all.push(subject.clone());
        }
        let st = json!({"_type": "https://in-toto.io/Statement/v1", "subject": all.iter().map(|d| json!({"name": "x", "digest": {"sha256": d}})).collect::<Vec<_>>(), "predicateType": "p", "predicate": {}});
        let bytes = serde_json::to_vec(&st).unwrap();
        let ctx = Context { subject: Some(format!("sha256:{subject}").parse::<Digest>().unwrap()) };
        let a = intoto::parse_attestation(&bytes, &ctx, &Limits::default()).unwrap();
        prop_assert_eq!(a.matches_subject, Some(all.contains(&subject)));
        prop_assert_eq!(a.subjects.len(), all.len());
        let env = json!({"payloadType": "application/vnd.in-toto+json", "payload": STANDARD.encode(&bytes), "signatures": []});
        let wrapped = intoto::parse_attestation(&serde_json::to_vec(&env).unwrap(), &ctx, &Limits::default()).unwrap();
        prop_assert_eq!(wrapped.matches_subject, Some(all.contains(&subject)));
    }

    #[test]
    fn attestation_parsers_never_panic(b in bytes_or_mutated(STATEMENT.as_bytes()), e in bytes_or_mutated(format!(r#"{{"payloadType":"application/vnd.in-toto+json","payload":"{}","signatures":[]}}"#, STANDARD.encode(STATEMENT)).as_bytes())) {
        for x in [&b, &e] {
            let _ = intoto::parse_statement(x);
            let _ = intoto::parse_envelope(x);
            let _ = intoto::parse_attestation(x, &Context::default(), &Limits::default());
        }
    }

    #[test]
    fn cosign_payloads_name_their_digest(hex in hex64(), subject in hex64(), same in any::<bool>()) {
        let subject = if same { hex.clone() } else { subject };
        let payload = json!({"critical": {"identity": {"docker-reference": "r"}, "image": {"docker-manifest-digest": format!("sha256:{hex}")}, "type": "t"}, "optional": {}});
        let ctx = Context { subject: Some(format!("sha256:{subject}").parse::<Digest>().unwrap()) };
        let s = cosign::summarize(&serde_json::to_vec(&payload).unwrap(), None, &ctx).unwrap();
        prop_assert_eq!(s.signed_digest, Some(format!("sha256:{hex}")));
        prop_assert_eq!(s.matches_subject, Some(hex == subject));
    }

    #[test]
    fn signature_parsers_never_panic(c in bytes_or_mutated(SIMPLE.as_bytes()), b in bytes_or_mutated(BUNDLE.as_bytes()), j in bytes_or_mutated(JWS.as_bytes()), k in bytes_or_mutated(&cose(br#"{"targetArtifact":{"digest":"sha256:aa"}}"#, 0))) {
        let ctx = Context::default();
        for x in [&c, &b, &j, &k] {
            let _ = cosign::parse_simple_signing(x);
            let _ = cosign::summarize(x, None, &ctx);
            let _ = bundle::parse(x, &ctx);
            let _ = notation::parse_jws(x, &ctx);
            let _ = notation::parse_cose(x, &ctx);
            let _ = cert::parse_der(x);
            let _ = cert::parse_pem(x);
        }
    }

    #[test]
    fn cose_envelopes_report_what_they_carry(hex in hex64(), time in 0i64..8_000_000_000) {
        let payload = json!({"targetArtifact": {"mediaType": "m", "digest": format!("sha256:{hex}"), "size": 1}});
        let s = notation::parse_cose(&cose(&serde_json::to_vec(&payload).unwrap(), time), &Context::default()).unwrap();
        prop_assert_eq!(s.signed_digest, Some(format!("sha256:{hex}")));
        let when = std::time::UNIX_EPOCH + std::time::Duration::from_secs(time as u64);
        prop_assert_eq!(s.signing_time, Some(humantime::format_rfc3339_seconds(when).to_string()));
        prop_assert_eq!(s.signing_scheme.as_deref(), Some("notary.x509"));
    }

    #[test]
    fn configs_never_panic(b in bytes_or_mutated(br#"{"architecture":"amd64","os":"linux","config":{"Env":["A=1"],"Entrypoint":["/x"],"Labels":{"a":"b"},"ExposedPorts":{"80/tcp":{}}},"history":[{}]}"#),
                           h in bytes_or_mutated(br#"{"name":"c","version":"1","appVersion":"2","description":"d"}"#)) {
        for x in [&b, &h] {
            let _ = image::parse_config(x);
            let _ = helm::parse_config(x);
        }
    }

    #[test]
    fn image_configs_report_how_the_image_runs(env in proptest::collection::vec(any::<String>(), 0..5), cmd in proptest::collection::vec(any::<String>(), 0..5)) {
        let cfg = json!({"architecture": "arm64", "os": "linux", "config": {"Env": env, "Cmd": cmd}});
        let c = image::parse_config(&serde_json::to_vec(&cfg).unwrap()).unwrap();
        prop_assert_eq!(c.env, env);
        prop_assert_eq!(c.cmd, cmd);
        prop_assert_eq!(c.platform.as_deref(), Some("linux/arm64"));
    }

    #[test]
    fn summary_lines_never_carry_control_characters(name in any::<String>(), version in any::<String>(), tool in any::<String>()) {
        let doc = json!({"bomFormat": "CycloneDX", "specVersion": "1.5", "metadata": {"tools": [{"name": tool}], "component": {"name": name}}, "components": [{"name": name, "version": version, "licenses": [{"license": {"name": tool}}]}]});
        let s = sbom::parse_cyclonedx(&serde_json::to_vec(&doc).unwrap()).unwrap();
        for line in Summary::Sbom(s).lines() {
            prop_assert!(!line.to_string().chars().any(char::is_control), "{:?}", line);
        }
    }

    #[test]
    fn generic_content_is_bounded(bytes in proptest::collection::vec(any::<u8>(), 0..5000), mt in prop_oneof![Just("application/json"), Just("text/plain"), Just("application/octet-stream"), Just("application/vnd.oci.image.layer.v1.tar")], preview in 1usize..200) {
        let limits = Limits { preview_bytes: preview, hex_bytes: 16, ..Limits::default() };
        let desc = Descriptor::new(mt, Digest::sha256_of(&bytes), bytes.len() as u64);
        match content(&desc, &bytes, &Context::default(), &limits) {
            Content::Text { text, .. } | Content::Json { text, .. } => prop_assert!(text.len() <= preview),
            Content::Binary { hex_head } => prop_assert!(hex_head.len() <= 32),
            Content::Unreadable { raw, .. } => prop_assert!(raw.len() <= preview.max(32)),
            Content::Listing(l) => prop_assert!(l.entries.len() <= limits.max_entries),
            Content::NotFetched { .. } => {}
        }
    }
}
