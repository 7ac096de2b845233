//! Image and Helm chart configs.
#![no_main]

use libfuzzer_sys::fuzz_target;
use refscope::inspect::{helm, image};

fuzz_target!(|data: &[u8]| {
    let _ = image::parse_config(data);
    let _ = helm::parse_config(data);
});
