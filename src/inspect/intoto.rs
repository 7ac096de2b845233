//! in-toto attestations: statements, bare or inside a DSSE envelope, with SLSA provenance's
//! builder and build type.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{Context, FileRef, Limits, Unreadable};

pub const INTOTO_PAYLOAD_TYPE: &str = "application/vnd.in-toto+json";

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StatementSubject {
    pub name: String,
    /// `alg:hex`, sha256 when the subject has it.
    pub digest: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AttestationSummary {
    /// `dsse` when the statement came in a DSSE envelope.
    pub envelope: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payload_type: Option<String>,
    /// Signatures the envelope carries (not verified).
    pub signatures: usize,
    pub statement_type: String,
    pub predicate_type: String,
    pub subjects: Vec<StatementSubject>,
    /// How many subjects the statement names (the list may be cut).
    pub subject_count: u64,
    pub matches_subject: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub builder_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub build_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<FileRef>,
}

/// A DSSE envelope's contents, its payload decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Envelope {
    pub payload_type: String,
    pub payload: Vec<u8>,
    pub signatures: usize,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawEnvelope {
    payload_type: String,
    payload: String,
    #[serde(default)]
    signatures: Vec<serde::de::IgnoredAny>,
}

/// Reads a DSSE envelope (`payloadType`, base64 `payload`, `signatures`).
pub fn parse_envelope(bytes: &[u8]) -> Result<Envelope, Unreadable> {
    let raw: RawEnvelope = super::json::parse(bytes).map_err(|e| Unreadable::new("DSSE envelope", e))?;
    let payload = super::json::base64(&raw.payload).map_err(|_| Unreadable::new("DSSE envelope", "the payload is not base64"))?;
    Ok(Envelope {
        payload_type: raw.payload_type,
        payload,
        signatures: raw.signatures.len(),
    })
}

/// A statement, as read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    pub statement_type: String,
    pub predicate_type: String,
    pub subjects: Vec<StatementSubject>,
    pub subject_count: u64,
    pub builder_id: Option<String>,
    pub build_type: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawStatement {
    #[serde(rename = "_type")]
    statement_type: String,
    #[serde(default)]
    subject: Vec<RawSubject>,
    predicate_type: String,
    #[serde(default)]
    predicate: Option<RawPredicate>,
}

#[derive(Deserialize)]
struct RawSubject {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    digest: BTreeMap<String, String>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct RawPredicate {
    builder: Option<Builder>,
    build_type: Option<String>,
    run_details: Option<RunDetails>,
    build_definition: Option<BuildDefinition>,
}

#[derive(Deserialize)]
struct Builder {
    id: Option<String>,
}

#[derive(Deserialize)]
struct RunDetails {
    builder: Option<Builder>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct BuildDefinition {
    build_type: Option<String>,
}

/// Reads an in-toto statement (v0.1 or v1), keeping up to [`Limits::default`]'s subjects.
pub fn parse_statement(bytes: &[u8]) -> Result<Statement, Unreadable> {
    parse_statement_with(bytes, &Limits::default())
}

pub fn parse_statement_with(bytes: &[u8], limits: &Limits) -> Result<Statement, Unreadable> {
    let raw: RawStatement = super::json::parse(bytes).map_err(|e| Unreadable::new("in-toto statement", e))?;
    if !raw.statement_type.starts_with("https://in-toto.io/Statement/") {
        return Err(Unreadable::new(
            "in-toto statement",
            format!("_type is `{}`, not an in-toto Statement", raw.statement_type),
        ));
    }
    let subject_count = raw.subject.len() as u64;
    let subjects = raw
        .subject
        .into_iter()
        .take(limits.max_items)
        .map(|s| {
            let digest = match s.digest.get("sha256") {
                Some(h) => format!("sha256:{h}"),
                None => s.digest.iter().next().map(|(a, h)| format!("{a}:{h}")).unwrap_or_default(),
            };
            StatementSubject {
                name: s.name.unwrap_or_default(),
                digest,
            }
        })
        .collect();
    let p = raw.predicate.unwrap_or_default();
    let slsa_v1 = raw.predicate_type.starts_with("https://slsa.dev/provenance/v1");
    let (builder_id, build_type) = if slsa_v1 {
        (
            p.run_details.and_then(|r| r.builder).and_then(|b| b.id),
            p.build_definition.and_then(|b| b.build_type),
        )
    } else {
        (p.builder.and_then(|b| b.id), p.build_type)
    };
    Ok(Statement {
        statement_type: raw.statement_type,
        predicate_type: raw.predicate_type,
        subjects,
        subject_count,
        builder_id,
        build_type,
    })
}

/// Reads an attestation: a DSSE envelope around an in-toto statement, or a bare statement.
pub fn parse_attestation(bytes: &[u8], ctx: &Context, limits: &Limits) -> Result<AttestationSummary, Unreadable> {
    let is_envelope = super::sniff::probe(bytes).is_some_and(|p| p.payload_type);
    let (envelope, statement) = if is_envelope {
        let env = parse_envelope(bytes)?;
        if env.payload_type != INTOTO_PAYLOAD_TYPE {
            return Err(Unreadable::new(
                "in-toto DSSE envelope",
                format!("payloadType is `{}`, not `{INTOTO_PAYLOAD_TYPE}`", env.payload_type),
            ));
        }
        let st = parse_statement_with(&env.payload, limits)?;
        (Some(env), st)
    } else {
        (None, parse_statement_with(bytes, limits)?)
    };
    Ok(AttestationSummary {
        envelope: envelope.as_ref().map(|_| "dsse".to_string()),
        payload_type: envelope.as_ref().map(|e| e.payload_type.clone()),
        signatures: envelope.as_ref().map(|e| e.signatures).unwrap_or(0),
        matches_subject: ctx.matches_any(statement.subjects.iter().map(|s| s.digest.as_str())),
        statement_type: statement.statement_type,
        predicate_type: statement.predicate_type,
        subjects: statement.subjects,
        subject_count: statement.subject_count,
        builder_id: statement.builder_id,
        build_type: statement.build_type,
        file: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine;

    const STATEMENT: &str = r#"{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"img","digest":{"sha256":"44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"}}],"predicateType":"https://slsa.dev/provenance/v1","predicate":{"buildDefinition":{"buildType":"https://example/bt"},"runDetails":{"builder":{"id":"https://example/builder"}}}}"#;

    #[test]
    fn statements_bare_and_enveloped() {
        let subject: crate::oci::Digest = "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a".parse().unwrap();
        let ctx = Context { subject: Some(subject) };
        let bare = parse_attestation(STATEMENT.as_bytes(), &ctx, &Limits::default()).unwrap();
        assert_eq!(bare.matches_subject, Some(true));
        assert_eq!(bare.builder_id.as_deref(), Some("https://example/builder"));
        assert_eq!(bare.build_type.as_deref(), Some("https://example/bt"));
        assert_eq!(bare.envelope, None);
        let payload = base64::engine::general_purpose::STANDARD.encode(STATEMENT);
        let env = format!(r#"{{"payloadType":"application/vnd.in-toto+json","payload":"{payload}","signatures":[{{"sig":"x"}}]}}"#);
        let wrapped = parse_attestation(env.as_bytes(), &Context::default(), &Limits::default()).unwrap();
        assert_eq!((wrapped.envelope.as_deref(), wrapped.signatures, wrapped.matches_subject), (Some("dsse"), 1, None));
        let bad = parse_attestation(br#"{"payloadType":"application/vnd.in-toto+json","payload":"%%%"}"#, &ctx, &Limits::default()).unwrap_err();
        assert_eq!(bad.to_string(), "not a valid DSSE envelope document: the payload is not base64");
    }
}
