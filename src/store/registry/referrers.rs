//! Listing referrers: the Referrers API when the registry has it, else the Referrers Tag
//! Schema (`sha256-<hex>` index). The answer is remembered per repository.
//!
//! A first answer that is not an OCI index means "no Referrers API", whatever it is: 404 (also
//! as an HTML page, as GitLab's proxies send), 400/405/406/501, a redirect (GHCR has been seen
//! sending a 303 to an HTML page; a redirect to another origin is never followed, so nothing
//! goes there), an HTML or other non-JSON 200, an empty 200, or JSON that is not an index.
//! Once an index arrived, the API exists, and a bad later page is an error.

use reqwest::header::ACCEPT;
use reqwest::{Method, StatusCode};
use serde::Deserialize;

use super::client::{Request, read_limited};
use super::{Registry, content_type, link};
use crate::error::{Error, Result};
use crate::oci::manifest::MAX_MANIFEST_SIZE;
use crate::oci::{Descriptor, Digest, Manifest, media_types};
use crate::store::{PageRequest, Pager, ReferrersMode, Referrers};
use crate::text::sanitize;

pub async fn list(reg: &Registry, repo: &str, subject: &Digest, artifact_type: Option<&str>) -> Result<Referrers> {
    if reg.mode(repo) != Some(ReferrersMode::TagSchema) {
        if let Some(descriptors) = from_api(reg, repo, subject, artifact_type).await? {
            reg.set_mode(repo, ReferrersMode::Api);
            return Ok(Referrers {
                descriptors,
                mode: ReferrersMode::Api,
                fallback_index: None,
            });
        }
        if reg.forced_mode() == Some(ReferrersMode::Api) {
            return Err(Error::Protocol {
                registry: reg.host.clone(),
                action: format!("GET referrers of {repo}@{subject}"),
                reason: "the config file says `referrers = \"api\"`, but the registry has no Referrers API; remove the line or set \"tag-schema\"".into(),
            });
        }
        reg.set_mode(repo, ReferrersMode::TagSchema);
    }
    from_tag_schema(reg, repo, subject, artifact_type).await
}

/// The shape a referrers answer must have. Unlike a general index, `manifests` must be there:
/// an image manifest (a registry answering with the subject) or an error object is not one.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ReferrersAnswer {
    #[serde(rename = "schemaVersion")]
    _schema_version: u32,
    media_type: Option<String>,
    manifests: Vec<Descriptor>,
}

/// The descriptors of a referrers answer, or why it is not an OCI index.
fn parse_answer(body: &[u8]) -> std::result::Result<Vec<Descriptor>, String> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err("it answered with an empty body".into());
    }
    match serde_json::from_slice::<ReferrersAnswer>(body) {
        Ok(a) if a.media_type.as_deref().is_none_or(|m| m == media_types::OCI_INDEX) => Ok(a.manifests),
        Ok(_) => Err("it answered with a manifest that is not an index".into()),
        Err(e) => Err(format!("its answer is not an OCI index ({})", sanitize(&e.to_string()))),
    }
}

/// Why a first answer's status or content type means the registry has no Referrers API.
fn no_api(status: StatusCode, content_type: Option<&str>) -> Option<String> {
    if status.is_redirection() {
        return Some(format!("it answered {status} (a redirect, not followed)"));
    }
    if matches!(
        status,
        StatusCode::BAD_REQUEST
            | StatusCode::NOT_FOUND
            | StatusCode::METHOD_NOT_ALLOWED
            | StatusCode::NOT_ACCEPTABLE
            | StatusCode::NOT_IMPLEMENTED
    ) {
        return Some(format!("it answered {status}"));
    }
    if let Some(ct) = content_type
        && ct != media_types::OCI_INDEX
        && ct != "application/json"
    {
        return Some(format!("it answered with content type {}", sanitize(ct)));
    }
    None
}

/// `Ok(None)` when the registry has no Referrers API.
async fn from_api(
    reg: &Registry,
    repo: &str,
    subject: &Digest,
    artifact_type: Option<&str>,
) -> Result<Option<Vec<Descriptor>>> {
    let mut first = reg.repo_url(repo, &format!("referrers/{subject}"))?;
    if let Some(t) = artifact_type {
        first.query_pairs_mut().append_pair("artifactType", t);
    }
    let action = format!("GET referrers of {repo}@{subject}");
    let mut out = Vec::new();
    let mut pager = Pager::new(PageRequest::default()).describing(format!("the referrers of {subject}"));
    let mut url = first;
    let mut first_page = true;
    loop {
        let req = Request::new(Method::GET, url.clone(), Registry::pull_scope(repo), action.clone())
            .header(ACCEPT, media_types::OCI_INDEX);
        let resp = reg.send(req).await?;
        let status = resp.status();
        let ct = content_type(resp.headers());
        if first_page && let Some(why) = no_api(status, ct.as_deref()) {
            tracing::info!("{}/{repo}: no Referrers API ({why}); using the tag schema", reg.host);
            return Ok(None);
        }
        if !status.is_success() {
            return Err(reg.status_error(resp, &action, &format!("referrers of {subject}")).await);
        }
        if let Some(c) = ct.as_deref().filter(|c| *c != media_types::OCI_INDEX && *c != "application/json") {
            return Err(protocol(reg, &action, format!("the referrers answer has content type {}", sanitize(c))));
        }
        let filtered = resp
            .headers()
            .get_all("oci-filters-applied")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .any(|v| v.split(',').any(|f| f.trim() == "artifactType"));
        let next = link::next_link(resp.headers(), &reg.origin.rebase(&url), &reg.base(), &reg.host)?;
        let body = read_limited(resp, MAX_MANIFEST_SIZE, &reg.host, &action).await?;
        let manifests = match parse_answer(&body) {
            Ok(m) => m,
            Err(why) if first_page => {
                tracing::info!("{}/{repo}: no Referrers API ({why}); using the tag schema", reg.host);
                return Ok(None);
            }
            Err(why) => return Err(protocol(reg, &action, format!("a later page of referrers is not an OCI index: {why}"))),
        };
        first_page = false;
        let received = manifests.len() as u64;
        out.extend(keep_referrers(manifests, subject, if filtered { None } else { artifact_type }));
        pager.advance_by(next.as_deref(), received, body.len() as u64)?;
        match next {
            Some(n) => url = link::continuation_url(&reg.base(), &n, &action)?,
            None => return Ok(Some(out)),
        }
    }
}

async fn from_tag_schema(
    reg: &Registry,
    repo: &str,
    subject: &Digest,
    artifact_type: Option<&str>,
) -> Result<Referrers> {
    use crate::store::Target;
    let empty = Referrers {
        descriptors: Vec::new(),
        mode: ReferrersMode::TagSchema,
        fallback_index: None,
    };
    let tag = subject.fallback_tag();
    let blob = match reg.fetch_manifest(repo, &tag).await {
        Ok(b) => b,
        Err(e) if e.is_not_found() => return Ok(empty),
        Err(e) => return Err(e),
    };
    if blob.digest == *subject {
        tracing::warn!("{}/{repo}: tag {tag} resolves to the subject itself; not a referrers list", reg.host);
        return Ok(empty);
    }
    let index = match blob.parse() {
        Ok(Manifest::Index(i)) => i,
        Ok(Manifest::Image(_)) => {
            tracing::warn!("{}/{repo}: tag {tag} is an image, not a referrers index", reg.host);
            return Ok(empty);
        }
        Err(e) => return Err(protocol(reg, &format!("GET {tag}"), format!("malformed referrers index: {e}"))),
    };
    Ok(Referrers {
        descriptors: keep_referrers(index.manifests, subject, artifact_type),
        mode: ReferrersMode::TagSchema,
        fallback_index: Some(blob),
    })
}

/// Drops entries that cannot be referrers of `subject` (the subject itself) and, when asked,
/// those of another artifact type.
pub fn keep_referrers(list: Vec<Descriptor>, subject: &Digest, artifact_type: Option<&str>) -> Vec<Descriptor> {
    list.into_iter()
        .filter(|d| d.digest != *subject)
        .filter(|d| artifact_type.is_none_or(|t| d.artifact_type.as_deref() == Some(t)))
        .collect()
}

fn protocol(reg: &Registry, action: &str, reason: String) -> Error {
    Error::Protocol {
        registry: reg.host.clone(),
        action: action.to_string(),
        reason,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const INDEX: &str = "application/vnd.oci.image.index.v1+json";

    #[test]
    fn only_an_oci_index_proves_the_api() {
        let index = br#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[]}"#;
        assert_eq!(parse_answer(index), Ok(vec![]));
        assert_eq!(parse_answer(br#"{"schemaVersion":2,"manifests":[]}"#), Ok(vec![]));
        for body in [
            &b""[..],
            b"  \n",
            b"<html></html>",
            b"\0",
            br#"{"message":"not here"}"#,
            br#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","manifests":[]}"#,
            br#"{"schemaVersion":2,"config":{"mediaType":"a","digest":"sha256:x","size":1}}"#,
        ] {
            assert!(parse_answer(body).is_err(), "{body:?}");
        }
        assert_eq!(no_api(StatusCode::OK, Some(INDEX)), None);
        assert_eq!(no_api(StatusCode::OK, Some("application/json")), None);
        assert_eq!(no_api(StatusCode::OK, None), None);
        for (status, ct) in [
            (StatusCode::NOT_FOUND, Some("text/plain")),
            (StatusCode::NOT_FOUND, Some("text/html")),
            (StatusCode::SEE_OTHER, None),
            (StatusCode::TEMPORARY_REDIRECT, None),
            (StatusCode::BAD_REQUEST, None),
            (StatusCode::OK, Some("text/html")),
            (StatusCode::OK, Some("application/octet-stream")),
        ] {
            assert!(no_api(status, ct).is_some(), "{status} {ct:?}");
        }
        assert_eq!(no_api(StatusCode::INTERNAL_SERVER_ERROR, None), None, "a server error is an error, not an answer");
    }
}
