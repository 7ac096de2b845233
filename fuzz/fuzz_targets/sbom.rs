//! SPDX and CycloneDX documents: never a panic, and a summary never counts fewer packages than
//! it lists.
#![no_main]

use libfuzzer_sys::fuzz_target;
use refscope::inspect::sbom::{parse_cyclonedx, parse_spdx};

fuzz_target!(|data: &[u8]| {
    for summary in [parse_cyclonedx(data), parse_spdx(data)].into_iter().flatten() {
        assert!(summary.packages as usize >= summary.package_list.len());
    }
});
