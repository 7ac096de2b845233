//! Pages of tag lists and catalogs: a page is accepted only when it is JSON, and then it holds
//! exactly the names of its array.
#![no_main]

use libfuzzer_sys::fuzz_target;
use refscope::store::registry::{parse_catalog, parse_tag_list};

fn names_under(data: &[u8], key: &str) -> usize {
    let v: serde_json::Value = serde_json::from_slice(data).expect("an accepted page is JSON");
    v.get(key).and_then(|a| a.as_array()).map_or(0, Vec::len)
}

fuzz_target!(|data: &[u8]| {
    if let Ok(tags) = parse_tag_list(data) {
        assert_eq!(tags.len(), names_under(data, "tags"));
    }
    if let Ok(repos) = parse_catalog(data) {
        assert_eq!(repos.len(), names_under(data, "repositories"));
    }
});
