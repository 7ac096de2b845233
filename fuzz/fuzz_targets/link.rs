//! `Link` pagination headers: whatever the registry sends, a continuation that is followed
//! stays on the registry's origin, under `/v2/`, and is never the page it came from.
#![no_main]

use libfuzzer_sys::fuzz_target;
use reqwest::header::{HeaderMap, HeaderValue, LINK};
use refscope::store::registry::link::next_link;
use url::Url;

fuzz_target!(|data: &[u8]| {
    let Ok(value) = HeaderValue::from_bytes(data) else { return };
    let mut headers = HeaderMap::new();
    headers.insert(LINK, value);
    let base = Url::parse("https://registry.example:5000/").expect("a fixed URL");
    let request = base.join("/v2/app/tags/list?n=100").expect("a fixed URL");
    if let Ok(Some(next)) = next_link(&headers, &request, &base, "registry.example:5000") {
        assert!(next.starts_with("/v2/"), "{next:?}");
        let url = base.join(&next).expect("a continuation is a path on the registry");
        assert_eq!(url.origin(), base.origin(), "{next:?}");
        assert_ne!(url, request, "{next:?}");
    }
});
