//! Discover against a registry with the Referrers API (ferro-oci-server, in-process).

mod common;

use std::sync::Arc;
use std::sync::atomic::Ordering;

use common::api_server::ApiRegistry;
use common::refscope;
use refscope::store::registry::{Registry, RegistryOptions};
use refscope::store::{ReferrersMode, Target};
use serde_json::{Value, json};

fn client(addr: &str) -> Registry {
    let chain = refscope::creds::Chain {
        no_keyring: true,
        config_path: Some("/nonexistent".into()),
        ..Default::default()
    };
    Registry::new(addr, RegistryOptions::default(), Arc::new(chain)).unwrap()
}

async fn seed(reg: &ApiRegistry) -> common::Graph {
    let s = reg.seeder();
    let repo = "net-monitor";
    let image = s.image(repo, "v1", b"image layer").await;
    let sig = s.artifact(repo, None, "signature/example", &[("signature.json", "application/json", b"{}")], Some(&image), json!({"org.opencontainers.image.created": "2025-01-01T00:00:01Z"})).await;
    let sbom = s.artifact(repo, None, "sbom/example", &[("sbom.json", "application/json", b"{\"s\":1}")], Some(&image), json!({"org.opencontainers.image.created": "2025-01-01T00:00:02Z"})).await;
    let sbom_sig = s.artifact(repo, None, "signature/example", &[("sbom-signature.json", "application/json", b"{\"s\":2}")], Some(&sbom), json!({"org.opencontainers.image.created": "2025-01-01T00:00:03Z"})).await;
    let readme = s.artifact(repo, None, "readme/example", &[("readme.md", "application/markdown", b"# hi")], Some(&image), json!({"org.opencontainers.image.created": "2025-01-01T00:00:04Z"})).await;
    common::Graph { image, sig, sbom, sbom_sig, readme }
}

fn expected_tree(r: &str, g: &common::Graph) -> String {
    format!(
        "{r}\n├── readme/example\n│   └── {}\n├── sbom/example\n│   └── {}\n│       └── signature/example\n│           └── {}\n└── signature/example\n    └── {}\n",
        g.readme.digest, g.sbom.digest, g.sbom_sig.digest, g.sig.digest
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn discover_uses_the_referrers_api() {
    let reg = ApiRegistry::start();
    let g = seed(&reg).await;
    let r = format!("{}/net-monitor:v1", reg.addr);
    assert_eq!(refscope(["discover", &r]).ok(), expected_tree(&r, &g));
    // No tag-schema index exists here: the tree came from the API.
    assert!(reg.seeder().tags("net-monitor").await.iter().all(|t| !t.starts_with("sha256-")));
    let c = client(&reg.addr);
    let refs = c.referrers("net-monitor", &g.image.digest, None).await.unwrap();
    assert_eq!(refs.mode, ReferrersMode::Api);
    assert_eq!(refs.descriptors.len(), 3);
    assert_eq!(c.referrers_mode("net-monitor"), Some(ReferrersMode::Api));
}

#[tokio::test(flavor = "multi_thread")]
async fn artifact_type_filtering_server_side_and_client_side() {
    let reg = ApiRegistry::start();
    let g = seed(&reg).await;
    let r = format!("{}/net-monitor:v1", reg.addr);
    let out: Value = serde_json::from_str(&refscope(["discover", "-o", "json", "--artifact-type", "sbom/example", &r]).ok()).unwrap();
    let ms = out["manifests"].as_array().unwrap();
    assert_eq!(ms.len(), 1);
    assert_eq!(ms[0]["digest"], g.sbom.digest.to_string());
    // The filter applies at every level, as in ORAS: the SBOM's signature is not listed.
    assert!(ms[0].get("manifests").is_none());

    // A registry that ignores the filter and says so by sending no OCI-Filters-Applied: the
    // client filters, at every level.
    let unfiltered = common::front::Front::builder().upstream(&reg.addr).unfiltered_referrers().start();
    let c = client(&unfiltered.addr);
    let all = c.referrers("net-monitor", &g.image.digest, None).await.unwrap();
    assert_eq!(all.descriptors.len(), 3, "the front answers every referrer");
    let sigs = c.referrers("net-monitor", &g.image.digest, Some("signature/example")).await.unwrap();
    assert_eq!(sigs.descriptors.iter().map(|d| d.digest.clone()).collect::<Vec<_>>(), vec![g.sig.digest.clone()]);
    let asked = unfiltered.seen_matching("/referrers/");
    assert!(asked.iter().any(|s| s.target.contains("artifactType=signature")), "the client asked the server to filter: {asked:?}");
    let r2 = format!("{}/net-monitor:v1", unfiltered.addr);
    let out: Value = serde_json::from_str(&refscope(["discover", "-o", "json", "--artifact-type", "sbom/example", &r2]).ok()).unwrap();
    let ms = out["manifests"].as_array().unwrap();
    assert_eq!(ms.len(), 1, "{out}");
    assert_eq!(ms[0]["digest"], g.sbom.digest.to_string());
    assert!(ms[0].get("manifests").is_none(), "{out}");

    // Through a paging front, ferro's filter is still applied server side (OCI-Filters-Applied).
    let paged = ApiRegistry::start_paged(Some(1));
    let g2 = seed(&paged).await;
    let c = client(&paged.addr);
    let sigs = c.referrers("net-monitor", &g2.image.digest, Some("signature/example")).await.unwrap();
    assert_eq!(sigs.descriptors.iter().map(|d| d.digest.clone()).collect::<Vec<_>>(), vec![g2.sig.digest.clone()]);
    let none = c.referrers("net-monitor", &g2.image.digest, Some("nothing/here")).await.unwrap();
    assert!(none.descriptors.is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn referrers_pages_are_followed() {
    let reg = ApiRegistry::start_paged(Some(1));
    let g = seed(&reg).await;
    let before = reg.referrers_requests.load(Ordering::Relaxed);
    let c = client(&reg.addr);
    let refs = c.referrers("net-monitor", &g.image.digest, None).await.unwrap();
    assert_eq!(refs.descriptors.len(), 3, "three referrers over three pages");
    assert_eq!(reg.referrers_requests.load(Ordering::Relaxed) - before, 3);
    let r = format!("{}/net-monitor:v1", reg.addr);
    assert_eq!(refscope(["discover", &r]).ok(), expected_tree(&r, &g));
}
