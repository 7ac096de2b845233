//! Signature envelopes: cosign simple signing, sigstore bundles, notation JWS and COSE, and the
//! certificates inside them.
#![no_main]

use libfuzzer_sys::fuzz_target;
use refscope::inspect::{Context, bundle, cert, cosign, notation};
use refscope::oci::Digest;

fuzz_target!(|data: &[u8]| {
    let ctx = Context { subject: Some(Digest::sha256_of(b"subject")) };
    let _ = cosign::summarize(data, None, &ctx);
    let _ = bundle::parse(data, &ctx);
    let _ = notation::parse_jws(data, &ctx);
    let _ = notation::parse_cose(data, &ctx);
    let _ = cert::parse_der(data);
    let _ = cert::parse_pem(data);
});
