//! `--format json` on every verb, against a real distribution: ORAS 1.2's shapes where ORAS
//! has one, one document on stdout, errors still on stderr with the same exit codes.

mod common;

use common::{DistRegistry, digest_line, refscope};
use serde_json::{Value, json};

fn parse(out: &str) -> Value {
    serde_json::from_str(out).unwrap_or_else(|e| panic!("stdout is not one JSON document ({e}):\n{out}"))
}

fn keys(v: &Value) -> Vec<&str> {
    v.as_object().unwrap().keys().map(String::as_str).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn push_attach_and_pull_print_the_oras_shapes() {
    let reg = DistRegistry::start();
    let r = &reg.addr;
    let w = common::walkthrough_files();
    let run = |args: &[&str]| parse(&refscope(args).current_dir(w.path()).ok());

    let pushed = run(&["push", &format!("{r}/samples/artifact:v1,latest"), "--artifact-type", "readme/example", "./readme.md:application/markdown", "./details", "--format", "json"]);
    let digest = refscope(["resolve", &format!("{r}/samples/artifact:latest")]).ok().trim().to_string();
    assert_eq!(keys(&pushed), ["reference", "mediaType", "digest", "size", "annotations", "artifactType", "referenceAsTags"]);
    assert_eq!(pushed["reference"], format!("{r}/samples/artifact@{digest}"));
    assert_eq!(pushed["digest"], digest.as_str());
    assert_eq!(pushed["mediaType"], "application/vnd.oci.image.manifest.v1+json");
    assert_eq!(pushed["artifactType"], "readme/example");
    assert!(pushed["annotations"]["org.opencontainers.image.created"].is_string(), "{pushed}");
    assert_eq!(pushed["referenceAsTags"], json!([format!("{r}/samples/artifact:v1"), format!("{r}/samples/artifact:latest")]));
    let manifest = refscope(["manifest", "fetch", &format!("{r}/samples/artifact:v1")]).ok();
    assert_eq!(pushed["size"], manifest.len(), "the size is the manifest's");

    let image_digest = common::put_demo_image(r, "net-monitor");
    let image = format!("{r}/net-monitor:v1");
    let attached = run(&["attach", &image, "--artifact-type", "sbom/example", "./sbom.json:application/json", "-a", "k=v", "--format", "json"]);
    assert_eq!(keys(&attached), ["reference", "mediaType", "digest", "size", "annotations", "artifactType"]);
    let sbom = attached["digest"].as_str().unwrap().to_string();
    assert_eq!(attached["reference"], format!("{r}/net-monitor@{sbom}"));
    assert_eq!(attached["artifactType"], "sbom/example");
    assert_eq!(attached["annotations"]["k"], "v");
    let found = parse(&refscope(["discover", "-o", "json", &image]).ok());
    assert_eq!(found["digest"], image_digest.as_str());
    assert_eq!(found["manifests"][0]["digest"], sbom.as_str(), "the attached SBOM is listed");

    let dir = w.path().join("out");
    let pulled = run(&["pull", "-o", dir.to_str().unwrap(), &format!("{r}/samples/artifact:v1"), "--format", "json"]);
    assert_eq!(keys(&pulled), ["reference", "files"]);
    assert_eq!(pulled["reference"], format!("{r}/samples/artifact@{digest}"));
    let files = pulled["files"].as_array().unwrap();
    assert_eq!(files.len(), 2, "{pulled}");
    let abs = std::path::absolute(&dir).unwrap();
    assert_eq!(files[0]["path"], abs.join("readme.md").display().to_string());
    assert_eq!(files[1]["path"], format!("{}/", abs.join("details").display()), "a directory's path ends with /");
    assert_eq!(keys(&files[0]), ["path", "reference", "mediaType", "digest", "size", "annotations"]);
    assert_eq!(files[0]["annotations"]["org.opencontainers.image.title"], "readme.md");
    let layer = files[0]["digest"].as_str().unwrap();
    assert_eq!(files[0]["reference"], format!("{r}/samples/artifact@{layer}"));
    assert_eq!(common::read(dir.join("readme.md")), common::read(w.path().join("readme.md")));
    assert_eq!(common::read(dir.join("details/sub/b.txt")), common::read(w.path().join("details/sub/b.txt")));
}

#[tokio::test(flavor = "multi_thread")]
async fn copy_tag_resolve_fetch_delete_and_repo_listings_print_json() {
    let reg = DistRegistry::start();
    let r = &reg.addr;
    let w = common::walkthrough_files();
    let image_digest = common::put_demo_image(r, "net-monitor");
    let image = format!("{r}/net-monitor:v1");
    let sig = digest_line(&refscope(["attach", &image, "--artifact-type", "signature/example", "./signature.json:application/json"]).current_dir(w.path()).ok());

    let resolved = parse(&refscope(["resolve", &image, "--format", "json"]).ok());
    assert_eq!(keys(&resolved), ["reference", "mediaType", "digest", "size"]);
    assert_eq!(resolved["digest"], image_digest.as_str());
    assert_eq!(resolved["reference"], format!("{r}/net-monitor@{image_digest}"));

    let copied = parse(&refscope(["copy", "-r", &image, &format!("{r}/staging/net-monitor:v2"), "--format", "json"]).ok());
    assert_eq!(copied["reference"], format!("{r}/staging/net-monitor@{image_digest}"));
    assert_eq!(copied["digest"], image_digest.as_str());
    assert_eq!(copied["source"], format!("{r}/net-monitor@{image_digest}"));
    assert_eq!(copied["referenceAsTags"], json!([format!("{r}/staging/net-monitor:v2")]));
    assert_eq!(copied["referrers"], 1);
    let blobs = copied["blobs"].as_array().unwrap();
    assert!(!blobs.is_empty() && blobs.iter().all(|b| b["result"] == "mounted"), "same registry, other repository: {copied}");
    assert!(blobs.iter().any(|b| b["title"] == "signature.json"), "{copied}");

    let tagged = parse(&refscope(["tag", &format!("{r}/staging/net-monitor:v2"), "prod", "stable", "--format", "json"]).ok());
    assert_eq!(tagged["digest"], image_digest.as_str());
    assert_eq!(tagged["referenceAsTags"], json!([format!("{r}/staging/net-monitor:prod"), format!("{r}/staging/net-monitor:stable")]));

    let tags = parse(&refscope(["repo", "tags", &format!("{r}/staging/net-monitor"), "--exclude-digest-tags", "--format", "json"]).ok());
    assert_eq!(tags, json!({"tags": ["prod", "stable", "v2"]}));
    let repos = parse(&refscope(["repo", "ls", r, "--format", "json"]).ok());
    assert_eq!(repos, json!({"repositories": ["net-monitor", "staging/net-monitor"]}));
    let in_ns = parse(&refscope(["repo", "ls", &format!("{r}/staging"), "--format", "json"]).ok());
    assert_eq!(in_ns, json!({"repositories": ["net-monitor"]}));

    let sig_ref = format!("{r}/net-monitor@{sig}");
    let file = w.path().join("sig-manifest.json");
    let fetched = parse(&refscope(["manifest", "fetch", &sig_ref, "-o", file.to_str().unwrap(), "--format", "json"]).ok());
    assert_eq!(keys(&fetched), ["reference", "mediaType", "digest", "size", "artifactType", "content"]);
    assert_eq!(fetched["reference"], sig_ref);
    assert_eq!(fetched["artifactType"], "signature/example");
    assert_eq!(fetched["content"]["subject"]["digest"], image_digest.as_str());
    let raw = common::read(&file);
    assert_eq!(refscope::oci::Digest::sha256_of(&raw).to_string(), sig, "the file gets the exact bytes");
    assert_eq!(fetched["size"], raw.len());
    let desc = parse(&refscope(["manifest", "fetch", "--descriptor", &image, "--format", "json"]).ok());
    assert_eq!(desc, resolved, "--descriptor: the descriptor with its reference");

    let staged = format!("{r}/staging/net-monitor:v2");
    let plan = parse(&refscope(["manifest", "delete", "--dry-run", &staged, "--format", "json"]).ok());
    assert_eq!(plan["dryRun"], true);
    assert_eq!(plan["digest"], image_digest.as_str());
    let deleted: Vec<&str> = plan["deleted"].as_array().unwrap().iter().map(|d| d["digest"].as_str().unwrap()).collect();
    assert_eq!(deleted, [sig.as_str(), image_digest.as_str()], "leaf first, the root last");
    let done = parse(&refscope(["manifest", "delete", "-f", &staged, "--format", "json"]).ok());
    assert_eq!((done["dryRun"].clone(), done["alreadyGone"].clone()), (json!(false), json!(0)));
    assert_eq!(done["deleted"], plan["deleted"]);
    let s = reg.seeder();
    for d in [&sig, &image_digest] {
        assert_eq!(s.head_manifest("staging/net-monitor", d).await, 404);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn errors_stay_on_stderr_with_the_same_exit_code() {
    let reg = DistRegistry::start();
    let missing = format!("{}/nothing:here", reg.addr);
    for args in [vec!["resolve", &missing], vec!["manifest", "fetch", &missing], vec!["pull", &missing], vec!["repo", "tags", &missing]] {
        let text = refscope(&args).output();
        let mut with_json = args.clone();
        with_json.extend(["--format", "json"]);
        let as_json = refscope(&with_json).output();
        assert_eq!(as_json.status.code(), text.status.code(), "{args:?}");
        assert!(!as_json.status.success(), "{args:?}");
        assert!(as_json.stdout.is_empty(), "{args:?} printed on stdout: {}", String::from_utf8_lossy(&as_json.stdout));
        assert_eq!(String::from_utf8_lossy(&as_json.stderr), String::from_utf8_lossy(&text.stderr), "{args:?}");
    }
    // Without a terminal, a delete still needs -f, JSON or not, and nothing goes.
    let digest = common::put_demo_image(&reg.addr, "net-monitor");
    let out = refscope(["manifest", "delete", &format!("{}/net-monitor:v1", reg.addr), "--format", "json"]).output();
    assert!(!out.status.success() && out.stdout.is_empty(), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("-f"), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(reg.seeder().head_manifest("net-monitor", &digest).await, 200);
}

#[tokio::test(flavor = "multi_thread")]
async fn registry_text_in_json_cannot_drive_the_terminal() {
    let reg = DistRegistry::start();
    let w = common::walkthrough_files();
    let image = format!("{}/net-monitor:v1", reg.addr);
    common::put_demo_image(&reg.addr, "net-monitor");
    let hostile = "x\u{9b}2J\u{202e}y\u{7f}";
    let out = refscope(["attach", &image, "--artifact-type", "sbom/example", "./sbom.json", "-a", &format!("note={hostile}"), "--format", "json"])
        .current_dir(w.path())
        .ok();
    assert!(!out.contains('\u{9b}') && !out.contains('\u{202e}') && !out.contains('\u{7f}'), "{out:?}");
    assert_eq!(parse(&out)["annotations"]["note"], hostile, "the value a script reads is unchanged");
    let found = refscope(["discover", "-o", "json", &image]).ok();
    assert!(!found.contains('\u{9b}'), "{found:?}");
    assert_eq!(parse(&found)["manifests"][0]["annotations"]["note"], hostile);
}
