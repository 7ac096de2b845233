//! `refscope inspect` on documents made by tools nobody here wrote (cyclonedx-bom, spdx-tools,
//! in-toto-attestation + securesystemslib, pyjwt, pycose, openssl; tests/inspect_inputs/gen.py),
//! attached as referrers to real registries: distribution (tag schema) and ferro-oci-server
//! (Referrers API). The JSON fields are checked exactly against what the generator says it
//! wrote.

mod common;

use std::path::Path;
use std::process::Command;

use common::api_server::ApiRegistry;
use common::seed::{EMPTY_CONFIG, INDEX, MANIFEST};
use common::{DistRegistry, Seeder, refscope};
use refscope::oci::{Descriptor, Digest};
use serde_json::{Value, json};

const REPO: &str = "net-monitor";

/// Runs the generator into `dir`; returns what it says it wrote.
fn generate(dir: &Path, subject: &Digest, reference: &str) -> Value {
    common::require("python3");
    common::require("openssl");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/inspect_inputs/gen.py");
    let out = Command::new("python3")
        .arg(&script)
        .arg(dir)
        .arg(subject.to_string())
        .arg(reference)
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "the input generator failed (scripts/test installs its PyPI packages):\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&common::read(dir.join("expected.json"))).unwrap()
}

/// An image with a config that says how it runs.
async fn image(s: &Seeder) -> Descriptor {
    let config = json!({
        "created": "2025-03-01T09:00:00Z", "author": "ops@example.com", "architecture": "arm64", "os": "linux", "variant": "v8",
        "config": {"User": "1000:1000", "ExposedPorts": {"8080/tcp": {}}, "Env": ["PATH=/usr/bin", "INTERVAL=5"],
                   "Entrypoint": ["/usr/local/bin/net-monitor"], "Cmd": ["--verbose"], "WorkingDir": "/srv",
                   "Labels": {"org.opencontainers.image.source": "https://example.com/net-monitor"}},
        "rootfs": {"type": "layers", "diff_ids": []},
        "history": [{"created_by": "COPY net-monitor /usr/local/bin/"}, {"created_by": "ENV INTERVAL=5"}],
    });
    let c = s.blob(REPO, "application/vnd.oci.image.config.v1+json", &serde_json::to_vec(&config).unwrap()).await;
    let layer = common::seed::tar_gz(&[("usr/", None), ("usr/local/bin/net-monitor", Some(b"#!/bin/sh\necho up\n"))]);
    let l = s.blob(REPO, "application/vnd.oci.image.layer.v1.tar+gzip", &layer).await;
    let m = json!({"schemaVersion": 2, "mediaType": MANIFEST,
        "config": {"mediaType": c.media_type, "digest": c.digest.to_string(), "size": c.size},
        "layers": [{"mediaType": l.media_type, "digest": l.digest.to_string(), "size": l.size}]});
    s.manifest(REPO, "v1", MANIFEST, &serde_json::to_vec(&m).unwrap()).await
}

/// One layer of an artifact: media type, bytes, layer annotations.
struct Layer<'a> {
    media_type: &'a str,
    bytes: Vec<u8>,
    annotations: Value,
}

fn layer<'a>(media_type: &'a str, bytes: Vec<u8>, title: &str) -> Layer<'a> {
    Layer { media_type, bytes, annotations: json!({"org.opencontainers.image.title": title}) }
}

/// Pushes a manifest of `layers`, as a referrer of `subject` when given, under `tag` or its digest.
async fn push(s: &Seeder, artifact_type: Option<&str>, config: (&str, &[u8]), layers: &[Layer<'_>], subject: Option<&Descriptor>, tag: Option<&str>) -> Descriptor {
    let c = s.ensure_blob(REPO, config.0, config.1).await;
    let mut ls = Vec::new();
    for l in layers {
        let d = s.ensure_blob(REPO, l.media_type, &l.bytes).await;
        ls.push(json!({"mediaType": l.media_type, "digest": d.digest.to_string(), "size": d.size, "annotations": l.annotations}));
    }
    let mut m = json!({"schemaVersion": 2, "mediaType": MANIFEST,
        "config": {"mediaType": config.0, "digest": c.digest.to_string(), "size": c.size}, "layers": ls});
    if let Some(t) = artifact_type {
        m["artifactType"] = json!(t);
    }
    if let Some(sub) = subject {
        m["subject"] = json!({"mediaType": sub.media_type, "digest": sub.digest.to_string(), "size": sub.size});
    }
    let bytes = serde_json::to_vec(&m).unwrap();
    let digest = Digest::sha256_of(&bytes).to_string();
    s.manifest(REPO, tag.unwrap_or(&digest), MANIFEST, &bytes).await
}

fn inspect_json(reference: &str) -> Value {
    let out = refscope(["inspect", "--format", "json", reference]).ok();
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("not one JSON object ({e}):\n{out}"))
}

struct Attached {
    descriptor: Descriptor,
    artifact_type: &'static str,
}

/// Generates every document, attaches each to the image, and checks what inspect says.
async fn inspect_everything(addr: &str, s: &Seeder, tag_schema: bool) {
    let img = image(s).await;
    let reference = format!("{addr}/{REPO}:v1");
    let work = tempfile::tempdir().unwrap();
    let expected = generate(work.path(), &img.digest, &reference);
    let file = |name: &str| common::read(work.path().join(name));
    let empty: (&str, &[u8]) = (EMPTY_CONFIG, b"{}");
    let mut attached = Vec::new();
    let mut attach = async |artifact_type: &'static str, l: Layer<'_>| {
        let d = push(s, Some(artifact_type), empty, &[l], Some(&img), None).await;
        attached.push(Attached { descriptor: d.clone(), artifact_type });
        d
    };
    let cdx = attach("application/vnd.cyclonedx+json", layer("application/vnd.cyclonedx+json", file("cyclonedx.json"), "bom.json")).await;
    let spdx = attach("application/spdx+json", layer("application/spdx+json", file("spdx.json"), "sbom.spdx.json")).await;
    let dsse_v1 = attach("application/vnd.dsse.envelope.v1+json", layer("application/vnd.dsse.envelope.v1+json", file("dsse-v1.json"), "provenance.json")).await;
    let dsse_v02 = attach("application/vnd.dsse.envelope.v1+json", layer("application/vnd.dsse.envelope.v1+json", file("dsse-v02.json"), "provenance-v02.json")).await;
    let mismatch = attach("application/vnd.dsse.envelope.v1+json", layer("application/vnd.dsse.envelope.v1+json", file("dsse-mismatch.json"), "other.json")).await;
    // A bare statement in a generic JSON layer: recognised by its shape.
    let bare = attach("application/vnd.in-toto+json", layer("application/json", file("statement.json"), "statement.json")).await;
    let jws = attach("application/vnd.cncf.notary.signature", layer("application/jose+json", file("notation.jws"), "signature.jws")).await;
    let cose = attach("application/vnd.cncf.notary.signature", layer("application/cose", file("notation.cose"), "signature.cose")).await;
    let b03 = attach("application/vnd.dev.sigstore.bundle.v0.3+json", layer("application/vnd.dev.sigstore.bundle.v0.3+json", file("bundle-v03.json"), "bundle.json")).await;
    let b01 = attach("application/vnd.dev.sigstore.bundle+json;version=0.1", layer("application/vnd.dev.sigstore.bundle+json;version=0.1", file("bundle-v01.json"), "bundle-v01.json")).await;
    if tag_schema {
        let entries: Vec<(Descriptor, &str)> = attached.iter().map(|a| (a.descriptor.clone(), a.artifact_type)).collect();
        s.fallback_index(REPO, &img, &entries).await;
    }
    // cosign's own way: a `sha256-<hex>.sig` tag in the subject's repository, no subject field.
    let annotations: Value = serde_json::from_slice(&file("cosign-annotations.json")).unwrap();
    let sig_tag = format!("{}.sig", img.digest.fallback_tag());
    push(s, None, ("application/vnd.oci.image.config.v1+json", br#"{"architecture":"","os":""}"#),
        &[Layer { media_type: "application/vnd.dev.cosign.simplesigning.v1+json", bytes: file("cosign.json"), annotations }], None, Some(&sig_tag)).await;

    // Every referrer is really attached, whichever way the registry keeps them.
    let found: Value = serde_json::from_str(&refscope(["discover", "-o", "json", "--depth", "1", &reference]).ok()).unwrap();
    assert_eq!(found["manifests"].as_array().unwrap().len(), attached.len(), "{found}");

    let at = |d: &Descriptor| format!("{addr}/{REPO}@{}", d.digest);
    let signer = &expected["signer"];
    let check_signer = |v: &Value| {
        for k in ["subject", "issuer", "identities", "oidcIssuer"] {
            assert_eq!(v[k], signer[k], "signer {k}: {v}");
        }
    };

    // The image itself.
    let v = inspect_json(&reference);
    assert_eq!(v["reference"], json!(format!("{addr}/{REPO}@{}", img.digest)));
    assert_eq!(v["digest"], json!(img.digest.to_string()));
    assert_eq!(v["size"], json!(img.size));
    let sm = &v["summary"];
    assert_eq!(sm["kind"], "image");
    assert_eq!(sm["platform"], "linux/arm64/v8");
    assert_eq!(sm["created"], "2025-03-01T09:00:00Z");
    assert_eq!(sm["entrypoint"], json!(["/usr/local/bin/net-monitor"]));
    assert_eq!(sm["cmd"], json!(["--verbose"]));
    assert_eq!(sm["env"], json!(["PATH=/usr/bin", "INTERVAL=5"]));
    assert_eq!(sm["labels"], json!({"org.opencontainers.image.source": "https://example.com/net-monitor"}));
    assert_eq!(sm["exposedPorts"], json!(["8080/tcp"]));
    assert_eq!((sm["user"].clone(), sm["workingDir"].clone(), sm["history"].clone()), (json!("1000:1000"), json!("/srv"), json!(2)));
    assert_eq!(sm["layers"].as_array().unwrap().len(), 1);

    // SBOMs.
    let v = inspect_json(&at(&cdx));
    assert_eq!(v["artifactType"], "application/vnd.cyclonedx+json");
    let sm = &v["summary"];
    assert_eq!(sm["kind"], "sbom");
    assert_eq!(sm["format"], "cyclonedx");
    assert_eq!(sm["specVersion"], expected["cyclonedx"]["specVersion"]);
    assert_eq!(sm["packages"], expected["cyclonedx"]["packages"]);
    assert!(sm["packages"].as_u64().unwrap() > 10, "a real environment has packages");
    assert_eq!(sm["packageList"], expected["cyclonedx"]["packageList"]);
    let v = inspect_json(&at(&spdx));
    let sm = &v["summary"];
    assert_eq!((sm["kind"].clone(), sm["format"].clone()), (json!("sbom"), json!("spdx")));
    for k in ["specVersion", "packages", "packageList", "licenses"] {
        assert_eq!(sm[k], expected["spdx"][k], "spdx {k}");
    }
    assert_eq!(sm["tools"], json!(["spdx-tools-0.8.5"]));

    // Attestations.
    for (d, which, matches) in [(&dsse_v1, "v1", true), (&dsse_v02, "v02", true), (&mismatch, "v1", false), (&bare, "v1", true)] {
        let v = inspect_json(&at(d));
        let sm = &v["summary"];
        assert_eq!(sm["kind"], "attestation", "{v}");
        let e = &expected["attestation"][which];
        for k in ["predicateType", "builderId", "buildType"] {
            assert_eq!(sm[k], e[k], "{which} {k}");
        }
        assert_eq!(sm["matchesSubject"], json!(matches));
        let subjects = if matches { &expected["attestation"]["subjects"] } else { &expected["attestation"]["otherSubjects"] };
        assert_eq!(&sm["subjects"], subjects);
        let enveloped = !std::ptr::eq(d, &bare);
        assert_eq!(sm["envelope"], if enveloped { json!("dsse") } else { Value::Null });
        assert_eq!(sm["signatures"], json!(if enveloped { 1 } else { 0 }));
    }

    // Signatures.
    for (d, format) in [(&jws, "notation-jws"), (&cose, "notation-cose")] {
        let v = inspect_json(&at(d));
        assert_eq!(v["artifactType"], "application/vnd.cncf.notary.signature");
        let sm = &v["summary"];
        assert_eq!((sm["kind"].clone(), sm["format"].clone()), (json!("signature"), json!(format)), "{v}");
        assert_eq!(sm["signedDigest"], json!(img.digest.to_string()));
        assert_eq!(sm["matchesSubject"], json!(true));
        for k in ["signingScheme", "signingTime", "expiry"] {
            assert_eq!(sm[k], expected["notation"][k], "{format} {k}");
        }
        assert_eq!(sm["algorithm"], "ES256");
        check_signer(&sm["signer"]);
    }
    let v = inspect_json(&at(&b03));
    let sm = &v["summary"];
    assert_eq!((sm["format"].clone(), sm["content"].clone()), (json!("sigstore-bundle"), json!("dsse")));
    assert_eq!(sm["signedDigest"], json!(img.digest.to_string()));
    assert_eq!(sm["matchesSubject"], json!(true));
    assert_eq!(sm["predicateType"], "https://sigstore.dev/cosign/sign/v1");
    assert_eq!(sm["tlogEntries"][0]["logIndex"], expected["bundle"]["logIndex"]);
    assert_eq!(sm["tlogEntries"][0]["integratedTime"], expected["bundle"]["integratedTime"]);
    check_signer(&sm["signer"]);
    let v = inspect_json(&at(&b01));
    let sm = &v["summary"];
    assert_eq!((sm["format"].clone(), sm["content"].clone()), (json!("sigstore-bundle"), json!("message")));
    assert_eq!(sm["signedDigest"], expected["bundle"]["messageDigest"]);
    assert_eq!(sm["matchesSubject"], json!(false), "a message digest is not the subject");
    check_signer(&sm["signer"]);
    let v = inspect_json(&format!("{addr}/{REPO}:{sig_tag}"));
    let sm = &v["summary"];
    assert_eq!((sm["kind"].clone(), sm["format"].clone()), (json!("signature"), json!("cosign")), "{v}");
    assert_eq!(sm["signedDigest"], json!(img.digest.to_string()));
    assert_eq!(sm["matchesSubject"], json!(true));
    assert_eq!(sm["identity"], json!(reference));
    assert_eq!(sm["tlogEntries"][0]["logIndex"], "123456789");
    check_signer(&sm["signer"]);

    // The human summary says the same, with no claim of validity.
    let text = refscope(["inspect", &at(&mismatch)]).ok();
    assert!(text.contains("none of the statement's subjects is this subject"), "{text}");
    let text = refscope(["inspect", &at(&jws)]).ok();
    assert!(text.contains(&format!("Signs: {}, which is this subject", img.digest)), "{text}");
    assert!(text.contains("(not verified)") && !text.to_lowercase().contains("valid signature"), "{text}");
}

#[tokio::test(flavor = "multi_thread")]
async fn generated_documents_inspect_on_distribution() {
    let reg = DistRegistry::start();
    inspect_everything(&reg.addr, &reg.seeder(), true).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn generated_documents_inspect_on_a_referrers_api_registry() {
    let reg = ApiRegistry::start();
    inspect_everything(&reg.addr, &reg.seeder(), false).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn indexes_charts_and_files() {
    let reg = DistRegistry::start();
    let s = reg.seeder();
    let addr = &reg.addr;
    let amd = s.image(REPO, "amd", b"amd64 layer").await;
    let arm = s.image(REPO, "arm", b"arm64 layer bytes").await;
    let index = json!({"schemaVersion": 2, "mediaType": INDEX, "annotations": {"org.opencontainers.image.version": "1.0"},
        "manifests": [
            {"mediaType": MANIFEST, "digest": amd.digest.to_string(), "size": amd.size, "platform": {"os": "linux", "architecture": "amd64"}},
            {"mediaType": MANIFEST, "digest": arm.digest.to_string(), "size": arm.size, "platform": {"os": "linux", "architecture": "arm64", "variant": "v8"}}]});
    s.manifest(REPO, "multi", INDEX, &serde_json::to_vec(&index).unwrap()).await;
    let v = inspect_json(&format!("{addr}/{REPO}:multi"));
    let sm = &v["summary"];
    assert_eq!(sm["kind"], "index");
    let p = sm["platforms"].as_array().unwrap();
    assert_eq!((p[0]["platform"].clone(), p[1]["platform"].clone()), (json!("linux/amd64"), json!("linux/arm64/v8")));
    // The seeded config is 78 bytes; each layer its own length.
    assert_eq!(p[0]["imageSize"], json!(78 + 11));
    assert_eq!(p[1]["imageSize"], json!(78 + 17));
    assert_eq!(sm["annotations"], json!({"org.opencontainers.image.version": "1.0"}));

    let chart = br#"{"apiVersion":"v2","name":"net-monitor","version":"0.3.1","appVersion":"1.0.0","description":"Watches interfaces","type":"application"}"#;
    let tgz = common::seed::tar_gz(&[("net-monitor/Chart.yaml", Some(b"name: net-monitor\n"))]);
    push(&s, None, ("application/vnd.cncf.helm.config.v1+json", chart),
        &[Layer { media_type: "application/vnd.cncf.helm.chart.content.v1.tar+gzip", bytes: tgz, annotations: json!({}) }], None, Some("chart")).await;
    let sm = inspect_json(&format!("{addr}/{REPO}:chart"))["summary"].clone();
    assert_eq!(sm["kind"], "helm-chart");
    assert_eq!((sm["name"].clone(), sm["version"].clone(), sm["appVersion"].clone()), (json!("net-monitor"), json!("0.3.1"), json!("1.0.0")));
    assert_eq!(sm["description"], "Watches interfaces");

    // A plain artifact: text, JSON indented, binary as hex, a directory listed.
    let dir = common::seed::tar_gz(&[("details/", None), ("details/a.txt", Some(b"alpha\n"))]);
    let d = push(&s, Some("readme/example"), (EMPTY_CONFIG, b"{}"), &[
        layer("text/markdown", b"# net-monitor\n".to_vec(), "readme.md"),
        layer("application/json", br#"{"a":[1,2]}"#.to_vec(), "data.json"),
        layer("application/octet-stream", vec![0, 1, 2, 0xff], "blob.bin"),
        Layer { media_type: "application/vnd.oci.image.layer.v1.tar+gzip", bytes: dir, annotations: json!({"org.opencontainers.image.title": "details", "io.deis.oras.content.unpack": "true"}) },
    ], None, Some("files")).await;
    let v = inspect_json(&format!("{addr}/{REPO}@{}", d.digest));
    let files = v["summary"]["files"].as_array().unwrap().clone();
    assert_eq!(v["summary"]["kind"], "artifact");
    assert_eq!(files[0]["content"], json!({"type": "text", "text": "# net-monitor\n", "truncated": false}));
    assert_eq!(files[1]["content"], json!({"type": "json", "text": "{\n  \"a\": [\n    1,\n    2\n  ]\n}", "truncated": false}));
    assert_eq!(files[2]["content"], json!({"type": "binary", "hexHead": "000102ff"}));
    let listing = &files[3]["content"];
    assert_eq!(listing["type"], "listing");
    let names: Vec<&str> = listing["entries"].as_array().unwrap().iter().map(|e| e["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["details/", "details/a.txt"]);

    // --layer lists an image layer, like `tar tzv`.
    let text = refscope(["inspect", "--layer", "1", &format!("{addr}/{REPO}:multi")]).fails();
    assert!(text.contains("index, which has no layers"), "{text}");
    let img = image(&s).await;
    let text = refscope(["inspect", "--layer", "1", &format!("{addr}/{REPO}@{}", img.digest)]).ok();
    assert!(text.contains("-rw-r--r-- 0/0 18 ") && text.contains(" usr/local/bin/net-monitor"), "{text}");
}

/// A manifest with one layer, pushed untagged; its reference by digest.
async fn one_layer(s: &Seeder, addr: &str, artifact_type: &str, media_type: &str, bytes: Vec<u8>, title: &str) -> String {
    let d = push(s, Some(artifact_type), (EMPTY_CONFIG, b"{}"), &[layer(media_type, bytes, title)], None, None).await;
    format!("{addr}/{REPO}@{}", d.digest)
}

#[tokio::test(flavor = "multi_thread")]
async fn unreadable_documents_get_one_clear_line_above_their_bytes() {
    let reg = DistRegistry::start();
    let s = reg.seeder();
    let addr = &reg.addr;
    let bad_cdx = br#"{"bomFormat":"CycloneDX","specVersion":"1.5","components":[{"name":7}]}"#.to_vec();
    let r = one_layer(&s, addr, "application/vnd.cyclonedx+json", "application/vnd.cyclonedx+json", bad_cdx.clone(), "bom.json").await;
    let text = refscope(["inspect", &r]).ok();
    let lines: Vec<&str> = text.lines().collect();
    let at = lines.iter().position(|l| l.trim_start().starts_with("not a valid CycloneDX document: ")).unwrap_or_else(|| panic!("{text}"));
    assert_eq!(lines[at + 1].trim_start(), String::from_utf8(bad_cdx).unwrap(), "the raw bytes follow the line");
    let v = inspect_json(&r);
    assert_eq!(v["summary"]["kind"], "artifact");
    let content = &v["summary"]["files"][0]["content"];
    assert_eq!(content["type"], "unreadable");
    assert!(content["problem"].as_str().unwrap().starts_with("not a valid CycloneDX document: invalid type: integer `7`"), "{content}");

    let not_b64 = br#"{"payloadType":"application/vnd.in-toto+json","payload":"this is not base64!","signatures":[]}"#.to_vec();
    let r = one_layer(&s, addr, "application/vnd.dsse.envelope.v1+json", "application/vnd.dsse.envelope.v1+json", not_b64, "att.json").await;
    let content = inspect_json(&r)["summary"]["files"][0]["content"].clone();
    assert_eq!(content["problem"], "not a valid DSSE envelope document: the payload is not base64");

    // Components nested 100,000 levels deep: refused at serde_json's depth bound, shown raw (cut).
    let deep = format!(
        r#"{{"bomFormat":"CycloneDX","specVersion":"1.5","components":{}[]{}}}"#,
        r#"[{"components":"#.repeat(50_000),
        "}]".repeat(50_000)
    )
    .into_bytes();
    let r = one_layer(&s, addr, "application/vnd.cyclonedx+json", "application/vnd.cyclonedx+json", deep.clone(), "deep.json").await;
    let content = inspect_json(&r)["summary"]["files"][0]["content"].clone();
    let problem = content["problem"].as_str().unwrap();
    assert!(problem.starts_with("not a valid CycloneDX document: recursion limit exceeded"), "{problem}");
    assert_eq!(content["truncated"], json!(true));
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000)).into_bytes();
    let r = one_layer(&s, addr, "data/example", "application/json", deep, "deep.json").await;
    let content = inspect_json(&r)["summary"]["files"][0]["content"].clone();
    assert_eq!((content["type"].clone(), content["truncated"].clone()), (json!("text"), json!(true)), "not JSON it can indent: shown as text");
    assert_eq!(content["text"].as_str().unwrap().len(), 64 * 1024);

    // A malformed notation envelope and a COSE blob that is not CBOR.
    let r = one_layer(&s, addr, "application/vnd.cncf.notary.signature", "application/jose+json", br#"{"payload":"e30","protected":"%%","signature":"AA"}"#.to_vec(), "sig.jws").await;
    let content = inspect_json(&r)["summary"]["files"][0]["content"].clone();
    assert_eq!(content["problem"], "not a valid notation JWS envelope document: the protected header is not base64url");
    let r = one_layer(&s, addr, "application/vnd.cncf.notary.signature", "application/cose", vec![0xff, 0x00, 0x13], "sig.cose").await;
    let content = inspect_json(&r)["summary"]["files"][0]["content"].clone();
    assert!(content["problem"].as_str().unwrap().starts_with("not a valid notation COSE envelope document: "), "{content}");
    assert_eq!(content["raw"], "ff0013", "binary raw bytes show as hex");
}

/// A CycloneDX document of `n` components, each with a license, as big as its names make it.
fn big_cyclonedx(n: usize, pad: usize) -> Vec<u8> {
    let mut s = String::from(r#"{"bomFormat":"CycloneDX","specVersion":"1.5","serialNumber":"urn:uuid:1","components":["#);
    let filler = "x".repeat(pad);
    for i in 0..n {
        if i > 0 {
            s.push(',');
        }
        s.push_str(&format!(
            r#"{{"type":"library","name":"pkg-{i}","version":"1.{i}","purl":"pkg:pypi/pkg-{i}@1.{i}","description":"{filler}","licenses":[{{"license":{{"id":"MIT"}}}}],"hashes":[{{"alg":"SHA-256","content":"{:064x}"}}]}}"#,
            i
        ));
    }
    s.push_str("]}");
    s.into_bytes()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_30_mib_document_and_the_size_bound() {
    let reg = DistRegistry::start();
    let s = reg.seeder();
    let doc = big_cyclonedx(60_000, 300);
    assert!(doc.len() > 30 << 20, "{} bytes", doc.len());
    let r = one_layer(&s, &reg.addr, "application/vnd.cyclonedx+json", "application/vnd.cyclonedx+json", doc, "bom.json").await;
    let sm = inspect_json(&r)["summary"].clone();
    assert_eq!((sm["kind"].clone(), sm["packages"].clone()), (json!("sbom"), json!(60_000)));
    assert_eq!(sm["packageList"][59_999], json!({"name": "pkg-59999", "version": "1.59999"}));
    assert_eq!(sm["licenses"], json!({"MIT": 60_000}));
    let out = refscope(["inspect", "--format", "json", "--max-blob-size", "16", &r]).ok();
    let v: Value = serde_json::from_str(&out).unwrap();
    let content = &v["summary"]["files"][0]["content"];
    assert_eq!(content["type"], "not-fetched");
    assert!(content["reason"].as_str().unwrap().ends_with("is over the 16.0 MiB limit for inspection"), "{content}");
    let shown = refscope(["inspect", "--max-blob-size", "16", &r]).ok();
    assert!(shown.contains("is over the 16.0 MiB limit for inspection; raise it with --max-blob-size (in MiB)"), "{shown}");
}

/// A tar.gz of `n` empty files, headers written directly so that a million stay quick to make.
fn many_entries(n: usize) -> Vec<u8> {
    use std::io::Write;
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    let mut h = tar::Header::new_ustar();
    h.set_entry_type(tar::EntryType::Regular);
    h.set_size(0);
    h.set_mode(0o644);
    h.set_mtime(1_740_819_600);
    for i in 0..n {
        common::seed::set_raw_path(&mut h, &format!("files/{i:07}"));
        gz.write_all(h.as_bytes()).unwrap();
    }
    gz.write_all(&[0u8; 1024]).unwrap();
    gz.finish().unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_layer_of_a_million_entries_lists_its_first_screen_and_counts_the_rest() {
    let reg = DistRegistry::start();
    let s = reg.seeder();
    let layer_bytes = many_entries(1_000_000);
    let d = push(&s, None, ("application/vnd.oci.image.config.v1+json", br#"{"architecture":"amd64","os":"linux"}"#),
        &[Layer { media_type: "application/vnd.oci.image.layer.v1.tar+gzip", bytes: layer_bytes, annotations: json!({}) }], None, Some("many")).await;
    let r = format!("{}/{REPO}@{}", reg.addr, d.digest);
    let v: Value = serde_json::from_str(&refscope(["inspect", "--format", "json", "--layer", "1", "--max-entries", "40", &r]).ok()).unwrap();
    let l = &v["listing"];
    assert_eq!((l["total"].clone(), l["more"].clone(), l["complete"].clone()), (json!(1_000_000), json!(999_960), json!(true)));
    let entries = l["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 40);
    assert_eq!(entries[39]["name"], "files/0000039");
    let text = refscope(["inspect", "--layer", "1", "--max-entries", "3", &r]).ok();
    assert!(text.ends_with("… and 999997 more entries\n"), "{text}");
}

#[tokio::test(flavor = "multi_thread")]
async fn control_characters_are_escaped_everywhere() {
    let reg = DistRegistry::start();
    let s = reg.seeder();
    let evil = "\u{1b}]52;c;AAAA\u{7}\u{1b}[2J\u{9b}31m\r";
    let sbom = json!({"bomFormat": "CycloneDX", "specVersion": "1.5",
        "metadata": {"tools": [{"name": evil}], "component": {"name": evil}},
        "components": [{"name": evil, "version": evil, "licenses": [{"license": {"id": evil}}]}]});
    let mut l = layer("application/vnd.cyclonedx+json", serde_json::to_vec(&sbom).unwrap(), evil);
    l.annotations[format!("k{evil}")] = json!(evil);
    let d = push(&s, Some(&format!("sbom/{evil}")), (EMPTY_CONFIG, b"{}"), &[l], None, None).await;
    let text_layer = layer("text/plain", format!("line one {evil}\nline two\u{0}").into_bytes(), evil);
    let d2 = push(&s, Some("notes/example"), (EMPTY_CONFIG, b"{}"), &[text_layer], None, None).await;
    for d in [&d, &d2] {
        let r = format!("{}/{REPO}@{}", reg.addr, d.digest);
        let text = refscope(["inspect", &r]).ok();
        assert!(!text.chars().any(|c| c.is_control() && c != '\n'), "{text:?}");
        assert!(text.contains("\\x1b]52;c;AAAA\\x07"), "{text}");
        inspect_json(&r);
    }
    let v = inspect_json(&format!("{}/{REPO}@{}", reg.addr, d.digest));
    assert_eq!(v["summary"]["packageList"][0]["name"], json!(evil), "JSON keeps the text, escaped by JSON itself");
}
