//! Listing referrers: the Referrers API when the registry has it, else the Referrers Tag
//! Schema (`sha256-<hex>` index). The answer is remembered per repository.

use reqwest::header::ACCEPT;
use reqwest::{Method, StatusCode};

use super::client::{Request, read_limited};
use super::{Registry, content_type, link};
use crate::error::{Error, Result};
use crate::oci::manifest::MAX_MANIFEST_SIZE;
use crate::oci::{Descriptor, Digest, ImageIndex, Manifest, media_types};
use crate::store::{Page, PageRequest, Pager, ReferrersMode, Referrers};

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
        tracing::info!("{}/{repo}: no Referrers API, using the tag schema", reg.host);
        reg.set_mode(repo, ReferrersMode::TagSchema);
    }
    from_tag_schema(reg, repo, subject, artifact_type).await
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
    let mut pager = Pager::new(PageRequest::default());
    let mut url = first;
    let mut first_page = true;
    loop {
        let req = Request::new(Method::GET, url.clone(), Registry::pull_scope(repo), action.clone())
            .header(ACCEPT, media_types::OCI_INDEX);
        let resp = reg.send(req).await?;
        let status = resp.status();
        if first_page
            && matches!(status, StatusCode::NOT_FOUND | StatusCode::METHOD_NOT_ALLOWED | StatusCode::NOT_IMPLEMENTED)
        {
            return Ok(None);
        }
        if !status.is_success() {
            return Err(reg.status_error(resp, &action, &format!("referrers of {subject}")).await);
        }
        let ct = content_type(resp.headers());
        if ct.as_deref().is_some_and(|c| c != media_types::OCI_INDEX && c != "application/json") {
            return Err(protocol(reg, &action, format!("the referrers answer has content type {}", ct.unwrap_or_default())));
        }
        let filtered = resp
            .headers()
            .get_all("oci-filters-applied")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .any(|v| v.split(',').any(|f| f.trim() == "artifactType"));
        first_page = false;
        let next = link::next_link(resp.headers(), &url, &reg.base, &reg.host)?;
        let body = read_limited(resp, MAX_MANIFEST_SIZE, &reg.host, &action).await?;
        let index: ImageIndex = serde_json::from_slice(&body)
            .map_err(|e| protocol(reg, &action, format!("malformed referrers index ({e})")))?;
        out.extend(keep_referrers(index.manifests, subject, if filtered { None } else { artifact_type }));
        let page = Page {
            items: Vec::new(),
            next: next.clone(),
        };
        pager.advance(&page)?;
        match next {
            Some(n) => url = link::continuation_url(&reg.base, &n, &action)?,
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
