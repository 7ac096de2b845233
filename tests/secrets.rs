//! Secrets stay secret: passwords and tokens never reach output or the log, even at trace level.

mod common;

use std::collections::HashMap;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use common::token_server::{TokenServer, User};
use common::{DistConfig, DistRegistry, refscope};

fn assert_clean(text: &str, secrets: &[&str], what: &str) {
    for s in secrets {
        assert!(!text.contains(s), "{what} contains a secret ({s})");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn passwords_and_tokens_never_reach_output_or_logs() {
    // Basic auth.
    let basic = DistRegistry::start_with(DistConfig { users: vec![("alice".into(), "pw-basic-7q2".into())], ..Default::default() });
    basic.seeder().with_basic("alice", "pw-basic-7q2").image("app", "v1", b"x").await;
    // Bearer tokens, from a token server.
    let mut bearer = DistRegistry::start();
    bearer.seeder().image("app", "v1", b"y").await;
    let tokens = TokenServer::start(
        HashMap::from([("bob".to_string(), User { password: "pw-bearer-9k4".into(), actions: vec!["pull".into()], catalog: true })]),
        HashMap::from([("refresh-secret-3x1".to_string(), "bob".to_string())]),
    );
    bearer.reconfigure(tokens.dist_config());

    let logs = tempfile::tempdir().unwrap();
    let log = logs.path().join("refscope.log");
    let mut outputs = String::new();
    for (addr, user, pass) in [(&basic.addr, "alice", "pw-basic-7q2"), (&bearer.addr, "bob", "pw-bearer-9k4")] {
        // Each command gets as far as it should: the good credentials are used, the wrong
        // ones refused, so the secrets did go through the code that must keep them quiet.
        for (args, succeeds) in [
            (vec!["discover".to_string(), format!("{addr}/app:v1"), "-u".into(), user.into(), "-p".into(), pass.into()], true),
            (vec!["resolve".to_string(), format!("{addr}/app:v1"), "-u".into(), user.into(), "-p".into(), format!("{pass}-wrong")], false),
            (vec!["repo".to_string(), "ls".into(), addr.clone(), "-u".into(), user.into(), "-p".into(), pass.into()], true),
        ] {
            let out = refscope(&args).env("REFSCOPE_LOG", "trace").env("REFSCOPE_LOG_FILE", &log).output();
            let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
            assert_eq!(out.status.success(), succeeds, "{args:?}:\n{stdout}{stderr}");
            if !succeeds {
                assert!(stderr.contains("rejected"), "refused for the credentials, not something else: {stderr}");
            }
            outputs.push_str(&stdout);
            outputs.push_str(&stderr);
        }
    }
    let cfg = logs.path().join("config.json");
    std::fs::write(&cfg, serde_json::json!({"auths": {&bearer.addr: {"identitytoken": "refresh-secret-3x1"}}}).to_string()).unwrap();
    let out = refscope(["resolve", &format!("{}/app:v1", bearer.addr), "--registry-config", cfg.to_str().unwrap()])
        .env("REFSCOPE_LOG", "trace")
        .env("REFSCOPE_LOG_FILE", &log)
        .output();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));

    let logged = std::fs::read_to_string(&log).unwrap_or_default();
    assert!(logged.len() > 1000, "trace logging was on ({} bytes)", logged.len());
    let mut secrets: Vec<String> = ["pw-basic-7q2", "pw-bearer-9k4", "refresh-secret-3x1"].map(String::from).to_vec();
    // Their Basic encodings, as sent in Authorization headers.
    secrets.extend(["alice:pw-basic-7q2", "bob:pw-bearer-9k4", "bob:pw-bearer-9k4-wrong", "alice:pw-basic-7q2-wrong"].map(|p| STANDARD.encode(p)));
    // Every token the server issued, whole and by its signature (the part that makes it valid).
    let tokens = tokens.tokens();
    assert!(tokens.len() >= 3, "tokens were issued and used: {}", tokens.len());
    for t in &tokens {
        secrets.push(t.clone());
        secrets.push(t.rsplit('.').next().unwrap().to_string());
    }
    let secrets: Vec<&str> = secrets.iter().map(String::as_str).collect();
    assert_clean(&outputs, &secrets, "command output");
    assert_clean(&logged, &secrets, "the log");
}

#[cfg(unix)]
#[test]
fn the_cache_and_log_are_private() {
    use std::os::unix::fs::PermissionsExt;
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;

    // Created fresh: the directories 0700, the log 0600, whatever the umask lets through.
    let cache = tempfile::tempdir().unwrap();
    refscope(["resolve", "127.0.0.1:9/app:v1"]).env("XDG_CACHE_HOME", cache.path()).env("REFSCOPE_LOG", "info").output();
    let dir = cache.path().join("refscope");
    assert_eq!(mode(&dir), 0o700, "{}", dir.display());
    assert_eq!(mode(&dir.join("refscope.log")), 0o600);

    // Left wider by something else: the directory and the log that are refscope's own are
    // narrowed; a directory the user named for the log is left as it is.
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::set_permissions(dir.join("refscope.log"), std::fs::Permissions::from_mode(0o644)).unwrap();
    refscope(["resolve", "127.0.0.1:9/app:v1"]).env("XDG_CACHE_HOME", cache.path()).output();
    assert_eq!(mode(&dir), 0o700);
    assert_eq!(mode(&dir.join("refscope.log")), 0o600);

    let shared = tempfile::tempdir().unwrap();
    std::fs::set_permissions(shared.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let log = shared.path().join("logs/r.log");
    refscope(["resolve", "127.0.0.1:9/app:v1"]).env("REFSCOPE_LOG_FILE", &log).output();
    assert_eq!(mode(shared.path()), 0o755, "a directory refscope did not create keeps its mode");
    assert_eq!(mode(log.parent().unwrap()), 0o700, "one it created is private");
    assert_eq!(mode(&log), 0o600);
}
