//! Tar and tar+gzip layers listed without unpacking: bounded, and never more entries kept than
//! the limit allows.
#![no_main]

use libfuzzer_sys::fuzz_target;
use refscope::inspect::Limits;
use refscope::inspect::listing::list_bytes_with;

fuzz_target!(|data: &[u8]| {
    let limits = Limits { max_entries: 8, ..Limits::default() };
    if let Ok(listing) = list_bytes_with(data, &limits) {
        assert!(listing.entries.len() <= 8);
    }
});
