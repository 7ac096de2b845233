//! Every verb as the first operation of a fresh process, against a Basic (htpasswd) and a
//! Bearer (token server) registry: the first requests of most verbs run at once and all meet
//! the anonymous 401 together, and each of them must still get through. Also: concurrent
//! challenges are answered once (one credential lookup, one token request per scope).

mod common;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use common::token_server::{TokenServer, User};
use common::{DistConfig, DistRegistry, digest_line, refscope, walkthrough_files};

const USER: &str = "alice";
const PASS: &str = "s3cret-7x";

fn token_users() -> HashMap<String, User> {
    let all = |a: &[&str]| a.iter().map(|s| s.to_string()).collect();
    HashMap::from([(USER.into(), User { password: PASS.into(), actions: all(&["pull", "push", "delete"]), catalog: true })])
}

fn basic_registry() -> DistRegistry {
    DistRegistry::start_with(DistConfig { users: vec![(USER.into(), PASS.into())], ..Default::default() })
}

/// A registry seeded without auth, then restarted behind the token server.
async fn bearer_registry() -> (DistRegistry, TokenServer) {
    let mut reg = DistRegistry::start();
    reg.seeder().image("net-monitor", "v1", b"image layer").await;
    let tokens = TokenServer::start(token_users(), HashMap::new());
    reg.reconfigure(tokens.dist_config());
    (reg, tokens)
}

/// `args` with `-u/-p`, run in `dir`.
fn with_creds(args: &[&str], dir: &Path) -> common::Cli {
    let mut all: Vec<&str> = args.to_vec();
    all.extend(["-u", USER, "-p", PASS]);
    refscope(all).current_dir(dir)
}

/// The walkthrough, one fresh process per verb, each expected to do its job.
fn every_verb(addr: &str) {
    let files = walkthrough_files();
    let dir = files.path();
    let image = format!("{addr}/net-monitor:v1");

    // login, then a push that finds the stored credentials by itself (the reported failure).
    let docker = tempfile::tempdir().unwrap();
    let out = refscope(["login", addr, "-u", USER, "--password-stdin"])
        .env("DOCKER_CONFIG", docker.path())
        .stdin(format!("{PASS}\n").as_bytes())
        .ok();
    assert!(out.contains("Login Succeeded"), "{out}");
    let artifact = format!("{addr}/samples/artifact:readme");
    let pushed = refscope(["push", &artifact, "--artifact-type", "readme/example", "./readme.md:application/markdown", "./details"])
        .env("DOCKER_CONFIG", docker.path())
        .current_dir(dir)
        .ok();
    let readme_digest = digest_line(&pushed);

    // The same push with -u/-p, into another repository.
    let again = with_creds(&["push", &format!("{addr}/samples/other:readme"), "--artifact-type", "readme/example", "./readme.md:application/markdown", "./details"], dir).ok();
    assert_eq!(digest_line(&again).len(), readme_digest.len());

    let attached = with_creds(&["attach", &image, "--artifact-type", "signature/example", "./signature.json:application/json"], dir).ok();
    let sig = digest_line(&attached);

    let out = tempfile::tempdir().unwrap();
    with_creds(&["pull", "-o", out.path().to_str().unwrap(), &artifact], dir).ok();
    assert_eq!(std::fs::read(out.path().join("readme.md")).unwrap(), std::fs::read(dir.join("readme.md")).unwrap());
    assert_eq!(std::fs::read(out.path().join("details/a.txt")).unwrap(), b"alpha\n");

    let tree = with_creds(&["discover", &image], dir).ok();
    assert!(tree.contains(&sig), "discover shows the signature:\n{tree}");

    with_creds(&["copy", "-r", &image, &format!("{addr}/sample-staging/net-monitor:v1")], dir).ok();

    let manifest = with_creds(&["manifest", "fetch", &artifact], dir).ok();
    let parsed: serde_json::Value = serde_json::from_str(&manifest).unwrap();
    assert_eq!(parsed["artifactType"], "readme/example");

    let inspected: serde_json::Value = serde_json::from_str(&with_creds(&["inspect", "--format", "json", &artifact], dir).ok()).unwrap();
    assert_eq!(inspected["digest"], readme_digest.as_str(), "{inspected}");
    assert_eq!(inspected["summary"]["kind"], "artifact", "{inspected}");

    let config = with_creds(&["manifest", "fetch-config", &artifact], dir).ok();
    assert_eq!(refscope::oci::Digest::sha256_of(config.as_bytes()).to_string(), parsed["config"]["digest"].as_str().unwrap());

    let resolved = with_creds(&["resolve", &artifact], dir).ok();
    assert_eq!(resolved.trim(), readme_digest);

    let layer = parsed["layers"][0]["digest"].as_str().unwrap().to_string();
    let blob = dir.join("blob.out");
    with_creds(&["blob", "fetch", &format!("{addr}/samples/artifact@{layer}"), "-o", blob.to_str().unwrap()], dir).ok();
    assert_eq!(std::fs::read(&blob).unwrap(), std::fs::read(dir.join("readme.md")).unwrap());

    let repos = with_creds(&["repo", "ls", addr], dir).ok();
    for r in ["net-monitor", "samples/artifact", "sample-staging/net-monitor"] {
        assert!(repos.lines().any(|l| l == r), "repo ls lists {r}:\n{repos}");
    }

    with_creds(&["tag", &artifact, "v2"], dir).ok();
    let tags = with_creds(&["repo", "tags", &format!("{addr}/samples/artifact")], dir).ok();
    assert_eq!(tags, "readme\nv2\n");

    with_creds(&["manifest", "delete", "-f", &format!("{addr}/sample-staging/net-monitor:v1")], dir).ok();
    let gone = with_creds(&["resolve", &format!("{addr}/sample-staging/net-monitor:v1")], dir).fails();
    assert!(gone.contains("not found"), "{gone}");
}

#[tokio::test(flavor = "multi_thread")]
async fn every_verb_works_first_against_basic_auth() {
    let reg = basic_registry();
    reg.seeder().with_basic(USER, PASS).image("net-monitor", "v1", b"image layer").await;
    every_verb(&reg.addr);
}

#[tokio::test(flavor = "multi_thread")]
async fn every_verb_works_first_against_bearer_tokens() {
    let (reg, _tokens) = bearer_registry().await;
    every_verb(&reg.addr);
}

/// A credential helper that answers for `addr` and appends a line to `log` on every call.
fn counting_helper(bin: &Path, log: &Path, addr: &str) {
    let helper = bin.join("docker-credential-count");
    std::fs::write(
        &helper,
        format!(
            "#!/bin/sh\nread server\necho \"$1 $server\" >> {}\nif [ \"$1\" = get ] && [ \"$server\" = \"{addr}\" ]; then echo '{{\"Username\":\"{USER}\",\"Secret\":\"{PASS}\"}}'; else exit 1; fi\n",
            log.display()
        ),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&helper, std::fs::Permissions::from_mode(0o755)).unwrap();
}

/// Files enough that the push's presence checks run side by side.
fn many_files(dir: &Path) -> Vec<String> {
    (0..8)
        .map(|i| {
            let name = format!("f{i}.txt");
            std::fs::write(dir.join(&name), format!("file {i}\n")).unwrap();
            format!("./{name}:text/plain")
        })
        .collect()
}

fn push_many(addr: &str, cfg: &Path, path: &str, work: &Path, files: &[String]) {
    let mut args = vec!["push".to_string(), format!("{addr}/many:v1"), "--registry-config".into(), cfg.display().to_string()];
    args.extend(files.iter().cloned());
    refscope(&args).env("PATH", path).current_dir(work).ok();
}

fn helper_gets(log: &Path) -> usize {
    let calls = std::fs::read_to_string(log).unwrap();
    calls.lines().filter(|l| l.starts_with("get ")).count()
}

/// Many pushes to `addr` at once, with credentials from a credential helper that counts its
/// calls: the helper must be asked once. Returns the config file naming the helper and the
/// PATH that holds it, with the directories they live in.
fn push_many_through_a_helper(addr: &str) -> (PathBuf, String, [tempfile::TempDir; 2]) {
    let bin = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    let files = many_files(work.path());
    let log = bin.path().join("calls.log");
    counting_helper(bin.path(), &log, addr);
    let cfg = work.path().join("config.json");
    std::fs::write(&cfg, serde_json::json!({"credHelpers": {addr: "count"}}).to_string()).unwrap();
    let path = format!("{}:{}", bin.path().display(), std::env::var("PATH").unwrap_or_default());
    push_many(addr, &cfg, &path, work.path(), &files);
    assert_eq!(helper_gets(&log), 1, "the credential helper is asked once per process");
    (cfg, path, [bin, work])
}

#[tokio::test(flavor = "multi_thread")]
async fn concurrent_basic_challenges_look_up_the_credential_once() {
    let reg = basic_registry();
    push_many_through_a_helper(&reg.addr);
}

#[tokio::test(flavor = "multi_thread")]
async fn concurrent_bearer_challenges_fetch_one_token_per_scope() {
    let (reg, tokens) = bearer_registry().await;
    let (cfg, path, _dirs) = push_many_through_a_helper(&reg.addr);
    let requests = tokens.requests();
    let mut distinct = requests.clone();
    distinct.sort();
    distinct.dedup();
    assert!(!requests.is_empty());
    assert_eq!(requests.len(), distinct.len(), "a scope set was requested twice: {requests:?}");

    // A walk that reads several manifests at once needs one token, for the pull scope.
    let before = tokens.requests().len();
    let tree = refscope(["discover", &format!("{}/net-monitor:v1", reg.addr), "--registry-config", cfg.to_str().unwrap()])
        .env("PATH", &path)
        .ok();
    assert!(tree.contains("net-monitor:v1"), "{tree}");
    assert_eq!(tokens.requests().len() - before, 1, "one token for the pull scope: {:?}", &tokens.requests()[before..]);
}
