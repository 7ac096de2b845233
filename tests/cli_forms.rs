//! Command forms older ORAS guides use (`push --subject`, `pull -a`, discover's `.referrers` /
//! `.references`), completions and the man page, and progress only on a terminal.

mod common;

use clap::CommandFactory;
use common::api_server::ApiRegistry;
use common::terminal::Terminal;
use common::{DistRegistry, digest_line, refscope};
use serde_json::Value;

async fn push_with_a_subject(reg: &str, tag_schema: bool) {
    let w = common::walkthrough_files();
    let image_digest = common::put_demo_image(reg, "net-monitor");
    let image = format!("{reg}/net-monitor:v1");
    let run = |args: &[&str]| refscope(args).current_dir(w.path()).ok();

    // No tag: pushed by digest, and the digest printed, as attach does.
    let out = run(&["push", &format!("{reg}/net-monitor"), "--artifact-type", "signature/example", "--subject", &image, "./signature.json:application/json"]);
    let sig = digest_line(&out);
    assert!(out.contains(&format!("Pushed [registry] {reg}/net-monitor@{sig}")), "{out}");
    assert!(out.contains(&format!("Subject: {reg}/net-monitor@{image_digest}")), "{out}");
    assert_eq!(out.contains("Listed in referrers index"), tag_schema, "{out}");
    let m: Value = serde_json::from_str(&run(&["manifest", "fetch", &format!("{reg}/net-monitor@{sig}")])).unwrap();
    assert_eq!(m["subject"]["digest"], image_digest.as_str());
    let tags = run(&["repo", "tags", &format!("{reg}/net-monitor")]);
    let index_tag = format!("sha256-{}", image_digest.trim_start_matches("sha256:"));
    assert_eq!(tags.lines().collect::<Vec<_>>(), if tag_schema { vec![index_tag.as_str(), "v1"] } else { vec!["v1"] }, "no tag of its own");

    // A referrer of the referrer, by digest, with a tag this time; both found by discover.
    let out = run(&["push", &format!("{reg}/net-monitor:sig-of-sig"), "--artifact-type", "signature/example", "--subject", &format!("{reg}/net-monitor@{sig}"), "./sbom-signature.json"]);
    let deeper = digest_line(&out);
    assert_eq!(run(&["resolve", &format!("{reg}/net-monitor:sig-of-sig")]).trim(), deeper);
    let tree = run(&["discover", &image]);
    assert!(tree.contains(&sig) && tree.contains(&deeper), "{tree}");

    // The subject must be where the referrer goes.
    let err = refscope(["push", &format!("{reg}/elsewhere"), "--subject", &image, "./signature.json"]).current_dir(w.path()).fails();
    assert!(err.contains("another repository") && err.contains("subject's repository"), "{err}");
}

#[tokio::test(flavor = "multi_thread")]
async fn push_with_a_subject_keeps_the_tag_schema_index() {
    let reg = DistRegistry::start();
    push_with_a_subject(&reg.addr, true).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn push_with_a_subject_on_a_registry_with_the_referrers_api() {
    let reg = ApiRegistry::start();
    push_with_a_subject(&reg.addr, false).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn pull_accepts_allow_all_and_discover_json_keeps_the_older_keys() {
    let reg = DistRegistry::start();
    let w = common::walkthrough_files();
    let image = format!("{}/net-monitor:v1", reg.addr);
    common::put_demo_image(&reg.addr, "net-monitor");
    let sbom = digest_line(&refscope(["attach", &image, "--artifact-type", "sbom/example", "./sbom.json:application/json"]).current_dir(w.path()).ok());
    refscope(["attach", &image, "--artifact-type", "signature/example", "./signature.json"]).current_dir(w.path()).ok();

    let found: Value = serde_json::from_str(&refscope(["discover", "-o", "json", &image]).ok()).unwrap();
    assert_eq!(found["manifests"].as_array().map(Vec::len), Some(2));
    assert_eq!(found["referrers"], found["manifests"]);
    assert_eq!(found["references"], found["manifests"]);
    let only_sbom: Value = serde_json::from_str(&refscope(["discover", "-o", "json", "--artifact-type", "sbom/example", &image]).ok()).unwrap();
    assert_eq!(only_sbom["referrers"][0]["digest"], sbom.as_str());
    assert_eq!(only_sbom["references"][0]["digest"], sbom.as_str());

    let out = w.path().join("dl");
    for flag in ["-a", "--allow-all"] {
        refscope(["pull", flag, "-o", out.to_str().unwrap(), &format!("{}/net-monitor@{sbom}", reg.addr)]).ok();
        assert_eq!(common::read(out.join("sbom.json")), common::read(w.path().join("sbom.json")));
    }
    let help = refscope(["pull", "--help"]).ok();
    assert!(help.contains("--allow-all") && help.contains("every titled layer"), "{help}");
}

/// Every verb and sub-verb of the command line, from its definition.
fn verbs() -> Vec<String> {
    let cmd = refscope::cli::Cli::command();
    let mut all = Vec::new();
    for c in cmd.get_subcommands() {
        all.push(c.get_name().to_string());
        all.extend(c.get_subcommands().map(|s| s.get_name().to_string()));
    }
    all
}

#[test]
fn completions_and_the_man_page_mention_every_verb() {
    let verbs = verbs();
    for expected in ["discover", "pull", "push", "attach", "copy", "fetch", "delete", "ls", "tags", "completion", "man"] {
        assert!(verbs.iter().any(|v| v == expected), "{expected} is a verb: {verbs:?}");
    }
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let script = refscope(["completion", shell]).ok();
        assert!(script.len() > 1000, "{shell}: {script}");
        for v in &verbs {
            assert!(script.contains(v.as_str()), "the {shell} completion lacks {v}");
        }
        assert!(script.contains("--artifact-type") || script.contains("artifact-type"), "{shell} completes flags");
    }
    let page = refscope(["man"]).ok();
    assert!(page.starts_with(".ie") && page.contains(".TH refscope 1"), "{}", &page[..page.len().min(200)]);
    // Second-level verbs (manifest fetch, repo ls, …) have pages of their own, checked below.
    for v in verbs.iter().filter(|v| !matches!(v.as_str(), "fetch" | "fetch-config" | "delete" | "ls" | "tags")) {
        assert!(page.contains(&format!("refscope\\-{v}(1)")), "the man page lacks {v}");
    }
    let dir = tempfile::tempdir().unwrap();
    refscope(["man", "--dir", dir.path().to_str().unwrap()]).ok();
    for page in ["refscope.1", "refscope-push.1", "refscope-manifest-delete.1", "refscope-manifest-fetch-config.1", "refscope-repo-tags.1"] {
        let text = std::fs::read_to_string(dir.path().join(page)).unwrap_or_else(|e| panic!("{page}: {e}"));
        assert!(text.contains(".SH SYNOPSIS"), "{page}");
    }
    assert!(std::fs::read_to_string(dir.path().join("refscope-push.1")).unwrap().contains("subject"));
    let err = refscope(["completion", "tcsh"]).output();
    assert!(!err.status.success(), "an unknown shell is refused");
}

#[test]
fn progress_is_drawn_on_a_terminal_and_cleared_and_absent_otherwise() {
    let reg = DistRegistry::start();
    let w = common::walkthrough_files();
    std::fs::write(w.path().join("big.bin"), common::noise(7, 8 << 20)).unwrap();
    let home = tempfile::tempdir().unwrap();
    let bin = env!("CARGO_BIN_EXE_refscope");

    let quiet = refscope(["push", &format!("{}/quiet:v1", reg.addr), "./big.bin"]).current_dir(w.path()).output();
    assert!(quiet.status.success());
    assert!(quiet.stderr.is_empty(), "no terminal, no progress: {}", String::from_utf8_lossy(&quiet.stderr));

    // The script waits for the recording to be set up before it pushes.
    let go = w.path().join("go");
    let script = format!(
        "while [ ! -e '{}' ]; do sleep 0.05; done; '{bin}' push {}/drawn:v1 ./big.bin",
        go.display(),
        reg.addr
    );
    let t = Terminal::start(
        |c| {
            common::isolate(c, home.path());
            c.current_dir(w.path());
        },
        &script,
    );
    let log = w.path().join("pane.log");
    t.record(&log);
    std::fs::write(&go, "").unwrap();
    let screen = t.wait_success();
    let drawn = String::from_utf8_lossy(&common::read(&log)).into_owned();
    // Which frames the bar draws depends on timing (it redraws at most ten times a second);
    // the first ones always are.
    assert!(drawn.contains(" blobs  [") && drawn.contains(" B / "), "a bar was drawn, with sizes:\n{drawn:?}");
    assert!(!screen.contains("blobs"), "the bar is cleared before the result:\n{screen}");
    assert!(screen.contains("Pushed [registry]"), "{screen}");
}
