//! Registries that answer `/referrers/<digest>` with something that is not an OCI index (GHCR
//! has been seen sending a 303 to an HTML page, GitLab's proxies an HTML 404): refscope takes it
//! as "no Referrers API", falls back to the tag schema, remembers that per repository, and
//! never follows such a redirect, with credentials or without. A front in front of real
//! distribution (htpasswd) gives the bad answers; distribution holds the tag-schema indexes.

mod common;

use common::front::{Front, Seen, answer};
use common::{DistConfig, DistRegistry, refscope};

/// Makes the bad answer, once per request.
type Answer = Box<dyn Fn() -> axum::response::Response + Send + Sync>;

const USER: &str = "alice";
const PASS: &str = "pw-referrers-2k9";

#[tokio::test(flavor = "multi_thread")]
async fn answers_that_are_not_an_index_mean_no_referrers_api() {
    let reg = DistRegistry::start_with(DistConfig { users: vec![(USER.into(), PASS.into())], ..Default::default() });
    let s = reg.seeder().with_basic(USER, PASS);
    let g = common::seed_walkthrough(&s, "net-monitor").await;
    let elsewhere = Front::trap();
    let page = format!("http://{}/login.html", elsewhere.addr);

    let html = "<!DOCTYPE html><html><body>Sign in</body></html>";
    let cases: Vec<(&str, Answer)> = vec![
        ("a 303 to another origin", Box::new(move || {
            axum::response::Response::builder().status(303).header("location", page.clone()).body(axum::body::Body::empty()).unwrap()
        })),
        ("an HTML page", Box::new(move || answer(200, "text/html; charset=utf-8", html))),
        ("an empty 200", Box::new(|| answer(200, "application/vnd.oci.image.index.v1+json", ""))),
        ("a 200 of the wrong type", Box::new(|| answer(200, "application/octet-stream", "\u{0}\u{1}binary"))),
        ("JSON that is not an index", Box::new(|| answer(200, "application/json", r#"{"message":"not here"}"#))),
        ("an HTML 404", Box::new(move || answer(404, "text/html", html))),
    ];
    for (what, bad) in cases {
        let front = Front::builder()
            .upstream(&reg.addr)
            .rule(move |s: &Seen| s.path().contains("/referrers/").then(&bad))
            .start();
        let image = format!("{}/net-monitor:v1", front.addr);
        let tree = refscope(["discover", &image, "-u", USER, "-p", PASS]).ok();
        for d in [&g.sig, &g.sbom, &g.sbom_sig, &g.readme] {
            assert!(tree.contains(&d.digest.to_string()), "{what}: the tag schema's referrers are listed:\n{tree}");
        }
        assert_eq!(
            front.seen_matching("/referrers/").len(),
            1,
            "{what}: the answer is remembered for the repository (the walk has two subjects)"
        );
        let json = refscope(["discover", "-o", "json", &image, "-u", USER, "-p", PASS]).ok();
        let parsed: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(parsed["manifests"].as_array().map(Vec::len), Some(3), "{what}: {json}");
        assert!(elsewhere.seen().is_empty(), "{what}: the redirect was followed: {:?}", elsewhere.seen());
    }
}
