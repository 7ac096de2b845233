//! Bearer-token auth against a real distribution in `auth.token` mode: challenges, a token
//! cache per scope, re-challenge when a token stops working, identity-token refresh.

mod common;

use std::collections::HashMap;
use std::sync::Arc;

use common::token_server::{TokenServer, User};
use common::{DistRegistry, refscope};
use refscope::creds::{Chain, Credential};
use refscope::store::Target;
use refscope::store::registry::{Registry, RegistryOptions};
use serde_json::json;

fn users() -> HashMap<String, User> {
    let all = |a: &[&str]| a.iter().map(|s| s.to_string()).collect();
    HashMap::from([
        ("alice".into(), User { password: "s3cret".into(), actions: all(&["pull", "push", "delete"]), catalog: true }),
        ("reader".into(), User { password: "pw".into(), actions: all(&["pull"]), catalog: false }),
    ])
}

/// A registry seeded without auth, then restarted behind the token server.
async fn setup() -> (DistRegistry, TokenServer, common::Graph) {
    let mut reg = DistRegistry::start();
    let s = reg.seeder();
    let g = common::seed_walkthrough(&s, "net-monitor").await;
    let tokens = TokenServer::start(users(), HashMap::from([("refresh-123".to_string(), "alice".to_string())]));
    reg.reconfigure(tokens.dist_config());
    (reg, tokens, g)
}

#[tokio::test(flavor = "multi_thread")]
async fn bearer_tokens_are_fetched_once_per_scope_and_reused() {
    let (reg, tokens, g) = setup().await;
    let r = format!("{}/net-monitor:v1", reg.addr);
    let err = refscope(["resolve", &r]).fails();
    assert!(err.contains(&format!("401 from {0}: run `refscope login {0}`", reg.addr)), "{err}");

    let before = tokens.issued();
    let tree = refscope(["discover", &r, "-u", "alice", "-p", "s3cret"]).ok();
    assert!(tree.contains(&g.sbom_sig.digest.to_string()), "{tree}");
    // One token for `repository:net-monitor:pull`, reused by every request of the walk.
    assert_eq!(tokens.issued() - before, 1, "scopes asked: {:?}", tokens.scopes_seen());

    let wrong = refscope(["resolve", &r, "-u", "alice", "-p", "wrong"]).fails();
    assert!(wrong.contains("credentials from -u/-p were rejected"), "{wrong}");
    refscope(["resolve", &r, "-u", "reader", "-p", "pw"]).ok();
    let repos = refscope(["repo", "ls", &reg.addr, "-u", "alice", "-p", "s3cret"]).ok();
    assert_eq!(repos, "net-monitor\n");
    let no_catalog = refscope(["repo", "ls", &reg.addr, "-u", "reader", "-p", "pw"]).fails();
    // The account is good but may not list the catalog: the registry says insufficient scope.
    assert_eq!(
        no_catalog,
        format!(
            "Error: 401 from {0}: the credentials from -u/-p were rejected or do not grant this (insufficient scope); use an account with access: `refscope login {0}` or -u/-p",
            reg.addr
        )
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn identity_tokens_from_docker_config_are_exchanged() {
    let (reg, tokens, _g) = setup().await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("config.json"),
        json!({"auths": {&reg.addr: {"auth": "", "identitytoken": "refresh-123"}}}).to_string(),
    )
    .unwrap();
    let r = format!("{}/net-monitor:v1", reg.addr);
    let before = tokens.issued();
    refscope(["resolve", &r]).env("DOCKER_CONFIG", dir.path()).ok();
    assert_eq!(tokens.issued() - before, 1);
    std::fs::write(
        dir.path().join("config.json"),
        json!({"auths": {&reg.addr: {"identitytoken": "revoked"}}}).to_string(),
    )
    .unwrap();
    let err = refscope(["resolve", &r]).env("DOCKER_CONFIG", dir.path()).fails();
    assert!(err.contains("401") && err.contains("rejected"), "{err}");

    // A password without a username is an identity token too, from the environment or -p.
    refscope(["resolve", &r]).env("REFSCOPE_PASSWORD", "refresh-123").ok();
    refscope(["resolve", &r, "-p", "refresh-123"]).ok();
    assert_eq!(tokens.refresh_tokens_seen(), ["refresh-123", "revoked", "refresh-123", "refresh-123"], "each was exchanged as a refresh token");
    let err = refscope(["resolve", &r]).env("REFSCOPE_PASSWORD", "revoked").fails();
    assert!(err.contains("401") && err.contains("rejected"), "{err}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_token_that_stops_working_is_replaced_by_a_new_challenge() {
    let (mut reg, tokens, g) = setup().await;
    let chain = Chain {
        explicit: Some(Credential::Basic { username: "alice".into(), password: "s3cret".into() }),
        no_keyring: true,
        ..Default::default()
    };
    let client = Registry::new(&reg.addr, RegistryOptions::default(), Arc::new(chain)).unwrap();
    let d = client.resolve("net-monitor", "v1").await.unwrap();
    assert_eq!(d.digest, g.image.digest);
    let issued = tokens.issued();
    // New signing key: the cached token no longer verifies, the registry answers 401.
    tokens.rotate();
    reg.restart();
    let d = client.resolve("net-monitor", "v1").await.unwrap();
    assert_eq!(d.digest, g.image.digest);
    assert_eq!(tokens.issued() - issued, 1, "one new token after the re-challenge");
}

#[tokio::test(flavor = "multi_thread")]
async fn any_expires_in_is_survived() {
    let (reg, tokens, g) = setup().await;
    let r = format!("{}/net-monitor:v1", reg.addr);
    // Token lifetimes are the token server's numbers: none of them may panic or wrap.
    for raw in ["18446744073709551615", "0", "-5", "", "null", "1e300", "1e400", "3.5", "-1e300", "\"60\"", "{}"] {
        tokens.set_expires_in(raw);
        let tree = refscope(["discover", &r, "-u", "alice", "-p", "s3cret"]).ok();
        assert!(tree.contains(&g.sbom_sig.digest.to_string()), "expires_in {raw}: {tree}");
    }
}
