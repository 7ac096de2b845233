//! Notation signature envelopes: JWS (`application/jose+json`) and COSE (`application/cose`).
//! Both carry a payload naming the signed artifact, signed attributes (scheme, signing time,
//! expiry) and the signer's certificate chain. CBOR is read with `ciborium`.

use ciborium::value::Value as Cbor;
use serde::Deserialize;

use super::{Context, SignatureFormat, SignatureSummary, Unreadable};

pub const JWS_MEDIA_TYPE: &str = "application/jose+json";
pub const COSE_MEDIA_TYPE: &str = "application/cose";
pub const SIGNATURE_ARTIFACT_TYPE: &str = "application/vnd.cncf.notary.signature";

const SCHEME: &str = "io.cncf.notary.signingScheme";
const SIGNING_TIME: &str = "io.cncf.notary.signingTime";
const AUTHENTIC_TIME: &str = "io.cncf.notary.authenticSigningTime";
const EXPIRY: &str = "io.cncf.notary.expiry";

/// The notation payload: the artifact the signature is for.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Payload {
    target_artifact: Target,
}

#[derive(Deserialize)]
struct Target {
    digest: String,
}

fn target_digest(payload: &[u8], format: &'static str) -> Result<String, Unreadable> {
    let p: Payload = super::json::parse(payload).map_err(|e| Unreadable::new(format, format!("payload: {e}")))?;
    Ok(p.target_artifact.digest)
}

#[derive(Deserialize)]
struct RawJws {
    payload: String,
    protected: String,
    #[serde(default)]
    header: Option<JwsHeader>,
    signature: String,
}

#[derive(Deserialize)]
struct JwsHeader {
    #[serde(default)]
    x5c: Vec<String>,
}

#[derive(Deserialize)]
struct Protected {
    alg: Option<String>,
    #[serde(rename = "io.cncf.notary.signingScheme")]
    scheme: Option<String>,
    #[serde(rename = "io.cncf.notary.signingTime")]
    signing_time: Option<String>,
    #[serde(rename = "io.cncf.notary.authenticSigningTime")]
    authentic_time: Option<String>,
    #[serde(rename = "io.cncf.notary.expiry")]
    expiry: Option<String>,
}

/// Reads a notation JWS envelope (JSON serialization).
pub fn parse_jws(bytes: &[u8], ctx: &Context) -> Result<SignatureSummary, Unreadable> {
    const F: &str = "notation JWS envelope";
    let raw: RawJws = super::json::parse(bytes).map_err(|e| Unreadable::new(F, e))?;
    let protected = super::json::base64(&raw.protected).map_err(|_| Unreadable::new(F, "the protected header is not base64url"))?;
    let protected: Protected =
        super::json::parse(&protected).map_err(|e| Unreadable::new(F, format!("protected header: {e}")))?;
    let payload = super::json::base64(&raw.payload).map_err(|_| Unreadable::new(F, "the payload is not base64url"))?;
    if super::json::base64(&raw.signature).is_err() {
        return Err(Unreadable::new(F, "the signature is not base64url"));
    }
    let digest = target_digest(&payload, F)?;
    let mut s = SignatureSummary::new(SignatureFormat::NotationJws);
    s.matches_subject = ctx.matches(&digest);
    s.signed_digest = Some(digest);
    s.algorithm = protected.alg;
    s.signing_scheme = protected.scheme;
    s.signing_time = protected.signing_time.or(protected.authentic_time);
    s.expiry = protected.expiry;
    match raw.header.and_then(|h| h.x5c.into_iter().next()) {
        Some(leaf) => match super::json::base64(&leaf) {
            Ok(der) => match super::cert::parse_der(&der) {
                Ok(signer) => s.signer = Some(signer),
                Err(e) => s.problems.push(e.to_string()),
            },
            Err(_) => s.problems.push("the x5c certificate is not base64".into()),
        },
        None => s.problems.push("no certificate chain (x5c)".into()),
    }
    Ok(s)
}

/// Reads a notation COSE_Sign1 envelope.
pub fn parse_cose(bytes: &[u8], ctx: &Context) -> Result<SignatureSummary, Unreadable> {
    const F: &str = "notation COSE envelope";
    let bad = |r: &str| Unreadable::new(F, r);
    let value: Cbor = ciborium::de::from_reader(bytes).map_err(|e| Unreadable::new(F, e))?;
    let value = match value {
        Cbor::Tag(18, inner) => *inner,
        Cbor::Tag(t, _) => return Err(Unreadable::new(F, format!("CBOR tag {t}, not COSE_Sign1 (18)"))),
        v => v,
    };
    let Cbor::Array(parts) = value else {
        return Err(bad("not a COSE_Sign1 array"));
    };
    let [protected, unprotected, payload, signature] = parts.as_slice() else {
        return Err(Unreadable::new(F, format!("a COSE_Sign1 array has 4 parts, this one {}", parts.len())));
    };
    let Cbor::Bytes(protected) = protected else {
        return Err(bad("the protected header is not a byte string"));
    };
    let protected: Cbor = if protected.is_empty() {
        Cbor::Map(Vec::new())
    } else {
        ciborium::de::from_reader(protected.as_slice()).map_err(|e| Unreadable::new(F, format!("protected header: {e}")))?
    };
    let Cbor::Map(protected) = protected else {
        return Err(bad("the protected header is not a map"));
    };
    let Cbor::Map(unprotected) = unprotected else {
        return Err(bad("the unprotected header is not a map"));
    };
    let Cbor::Bytes(payload) = payload else {
        return Err(bad("the payload is not a byte string (detached payloads are not used by notation)"));
    };
    if !matches!(signature, Cbor::Bytes(_)) {
        return Err(bad("the signature is not a byte string"));
    }
    let digest = target_digest(payload, F)?;
    let mut s = SignatureSummary::new(SignatureFormat::NotationCose);
    s.matches_subject = ctx.matches(&digest);
    s.signed_digest = Some(digest);
    s.algorithm = get_int(&protected, 1).map(cose_algorithm);
    s.signing_scheme = get_text(&protected, SCHEME).and_then(|v| v.as_text().map(str::to_string));
    s.signing_time = get_text(&protected, SIGNING_TIME).or_else(|| get_text(&protected, AUTHENTIC_TIME)).and_then(time);
    s.expiry = get_text(&protected, EXPIRY).and_then(time);
    let chain = unprotected
        .iter()
        .find(|(k, _)| k.as_integer().is_some_and(|i| i128::from(i) == 33))
        .map(|(_, v)| v);
    let leaf = match chain {
        Some(Cbor::Bytes(b)) => Some(b.as_slice()),
        Some(Cbor::Array(a)) => a.first().and_then(|c| c.as_bytes()).map(Vec::as_slice),
        _ => None,
    };
    match leaf {
        Some(der) => match super::cert::parse_der(der) {
            Ok(signer) => s.signer = Some(signer),
            Err(e) => s.problems.push(e.to_string()),
        },
        None => s.problems.push("no certificate chain (x5chain)".into()),
    }
    Ok(s)
}

fn get_int(map: &[(Cbor, Cbor)], key: i64) -> Option<i128> {
    map.iter()
        .find(|(k, _)| k.as_integer().is_some_and(|i| i128::from(i) == i128::from(key)))
        .and_then(|(_, v)| v.as_integer())
        .map(i128::from)
}

fn get_text<'a>(map: &'a [(Cbor, Cbor)], key: &str) -> Option<&'a Cbor> {
    map.iter().find(|(k, _)| k.as_text() == Some(key)).map(|(_, v)| v)
}

/// A COSE time: tag 1 (seconds since the epoch) or a bare integer.
fn time(v: &Cbor) -> Option<String> {
    let v = match v {
        Cbor::Tag(1, inner) => inner.as_ref(),
        v => v,
    };
    let secs = i64::try_from(i128::from(v.as_integer()?)).ok()?;
    Some(super::cert::time_text(secs))
}

fn cose_algorithm(id: i128) -> String {
    match id {
        -7 => "ES256".into(),
        -35 => "ES384".into(),
        -36 => "ES512".into(),
        -37 => "PS256".into(),
        -38 => "PS384".into(),
        -39 => "PS512".into(),
        other => format!("COSE algorithm {other}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cose_shapes_are_checked() {
        let ctx = Context::default();
        let e = parse_cose(&[0x82, 0x01, 0x02], &ctx).unwrap_err();
        assert_eq!(e.to_string(), "not a valid notation COSE envelope document: a COSE_Sign1 array has 4 parts, this one 2");
        // A byte string claiming 2^64-1 bytes, with none following.
        assert!(parse_cose(&[0x5b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff], &ctx).is_err());
        let deep = vec![0x81u8; 100_000];
        assert!(parse_cose(&deep, &ctx).is_err());
        let payload = br#"{"targetArtifact":{"digest":"sha256:ab","mediaType":"x","size":1}}"#;
        let mut protected = Vec::new();
        ciborium::ser::into_writer(&Cbor::Map(vec![(Cbor::Integer(1.into()), Cbor::Integer((-7).into())), (Cbor::Text(SIGNING_TIME.into()), Cbor::Tag(1, Box::new(Cbor::Integer(0.into()))))]), &mut protected).unwrap();
        let msg = Cbor::Tag(18, Box::new(Cbor::Array(vec![Cbor::Bytes(protected), Cbor::Map(vec![]), Cbor::Bytes(payload.to_vec()), Cbor::Bytes(vec![1])])));
        let mut bytes = Vec::new();
        ciborium::ser::into_writer(&msg, &mut bytes).unwrap();
        let s = parse_cose(&bytes, &ctx).unwrap();
        assert_eq!(s.signed_digest.as_deref(), Some("sha256:ab"));
        assert_eq!(s.algorithm.as_deref(), Some("ES256"));
        assert_eq!(s.signing_time.as_deref(), Some("1970-01-01T00:00:00Z"));
        assert_eq!(s.problems, ["no certificate chain (x5chain)"]);
    }
}
