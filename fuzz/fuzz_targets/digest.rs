//! Digests: only lowercase hex of the algorithm's length is accepted, and it prints as given.
#![no_main]

use libfuzzer_sys::fuzz_target;
use refscope::oci::Digest;

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else { return };
    if let Ok(d) = s.parse::<Digest>() {
        assert!(d.hex().bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)));
        assert_eq!(d.to_string(), s);
    }
});
