//! in-toto statements, bare or in a DSSE envelope, and the envelope alone.
#![no_main]

use libfuzzer_sys::fuzz_target;
use refscope::inspect::intoto::{parse_attestation, parse_envelope};
use refscope::inspect::{Context, Limits};
use refscope::oci::Digest;

fuzz_target!(|data: &[u8]| {
    let _ = parse_envelope(data);
    let _ = parse_attestation(data, &Context::default(), &Limits::default());
    let ctx = Context { subject: Some(Digest::sha256_of(b"subject")) };
    let _ = parse_attestation(data, &ctx, &Limits::default());
});
