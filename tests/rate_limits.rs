//! Rate limits: the `ratelimit-*` headers a registry sends are kept for the front to show,
//! and a 429 that outlasts the retries says when to try again. A real distribution sends
//! neither, so wiremock plays the registry.

use std::sync::Arc;

use refscope::store::Target;
use refscope::store::registry::{Registry, RegistryOptions};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const DIGEST: &str = "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a";

fn client(addr: &str) -> Registry {
    let chain = refscope::creds::Chain {
        no_keyring: true,
        config_path: Some("/nonexistent/config.json".into()),
        ..Default::default()
    };
    let opts = RegistryOptions {
        plain_http: true,
        max_retries: 0,
        ..RegistryOptions::default()
    };
    Registry::new(addr, opts, Arc::new(chain)).unwrap()
}

#[tokio::test]
async fn rate_limit_headers_are_kept_and_a_429_says_when_to_retry() {
    let server = MockServer::start().await;
    Mock::given(method("HEAD"))
        .and(path("/v2/app/manifests/v1"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("content-type", "application/vnd.oci.image.manifest.v1+json")
                .insert_header("docker-content-digest", DIGEST)
                .insert_header("content-length", "2")
                .insert_header("ratelimit-limit", "100;w=21600")
                .insert_header("ratelimit-remaining", "7;w=21600"),
        )
        .mount(&server)
        .await;
    Mock::given(method("HEAD"))
        .and(path("/v2/app/manifests/v2"))
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "90"))
        .mount(&server)
        .await;
    let addr = server.address().to_string();
    let c = client(&addr);
    assert_eq!(c.rate_limit(), None);
    c.resolve("app", "v1").await.unwrap();
    let r = c.rate_limit().expect("the headers were read");
    assert_eq!((r.limit, r.remaining, r.window), (100, 7, Some(std::time::Duration::from_secs(21600))));

    let err = c.resolve("app", "v2").await.unwrap_err().to_string();
    assert!(err.contains("429") && err.contains("again in 1m 30s"), "{err}");
    assert!(err.contains("7/100 requests left per 6h"), "{err}");
}
