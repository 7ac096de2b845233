//! `WWW-Authenticate` headers as a registry (or anything in front of it) sends them: parsing
//! never panics, and a challenge is only what the header's scheme says.
#![no_main]

use libfuzzer_sys::fuzz_target;
use refscope::store::registry::{Challenge, parse_challenge};

fn scheme_is(header: &str, scheme: &str) -> bool {
    header.trim().get(..scheme.len()).is_some_and(|s| s.eq_ignore_ascii_case(scheme))
}

fuzz_target!(|data: &[u8]| {
    let Ok(header) = std::str::from_utf8(data) else { return };
    match parse_challenge(header) {
        Some(Challenge::Basic) => assert!(scheme_is(header, "basic"), "{header:?}"),
        Some(Challenge::Bearer { .. }) => {
            assert!(scheme_is(header, "bearer"), "{header:?}");
            assert!(header.to_ascii_lowercase().contains("realm"), "a Bearer challenge without a realm: {header:?}");
        }
        None => {}
    }
});
