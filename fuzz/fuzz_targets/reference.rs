//! References typed by users and found in registry answers: a parsed reference prints as one
//! that parses back to itself.
#![no_main]

use libfuzzer_sys::fuzz_target;
use refscope::oci::Reference;

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else { return };
    if let Ok(r) = Reference::parse(s) {
        let again = Reference::parse(&r.to_string()).expect("a parsed reference prints as a valid one");
        assert_eq!(again, r);
    }
});
