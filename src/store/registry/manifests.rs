//! Manifests: resolving a tag or digest, fetching, checking, pushing and deleting, with every
//! answer checked against the digest asked for and the one the registry declares.

use reqwest::header::{ACCEPT, CONTENT_TYPE};
use reqwest::{Method, StatusCode};

use super::client::{Request, read_limited};
use super::{Registry, content_length, content_type, header_digest};
use crate::error::{Error, Result};
use crate::oci::manifest::MAX_MANIFEST_SIZE;
use crate::oci::{Descriptor, Digest, ManifestBlob, TagOrDigest, media_types};
use crate::store::{PushedManifest, ReferrersMode};

impl Registry {
    fn manifest_request(&self, method: Method, repo: &str, reference: &str) -> Result<Request> {
        let url = self.repo_url(repo, &format!("manifests/{reference}"))?;
        let action = format!("{method} manifest {repo}:{reference}");
        Ok(Request::new(method, url, Self::pull_scope(repo), action)
            .header(ACCEPT, media_types::MANIFEST_ACCEPT)
            .follow_elsewhere())
    }

    fn what_manifest(&self, repo: &str, reference: &str) -> String {
        let name = format!("{}/{repo}", self.host);
        let named = TagOrDigest::parse(reference).map_or_else(|_| format!("{name}:{reference}"), |r| r.after(&name));
        format!("manifest {named}")
    }

    pub(super) async fn manifest_descriptor(&self, repo: &str, reference: &str) -> Result<Descriptor> {
        let wanted = as_digest(reference)?;
        let req = self.manifest_request(Method::HEAD, repo, reference)?;
        let action = req.action.clone();
        let resp = self.send(req).await?;
        if !resp.status().is_success() {
            return Err(self.status_error(resp, &action, &self.what_manifest(repo, reference)).await);
        }
        let headers = resp.headers();
        let digest = header_digest(headers);
        let media_type = content_type(headers).filter(|m| media_types::is_manifest(m));
        let size = content_length(headers);
        match (digest, media_type, size) {
            (Some(d), Some(mt), Some(size)) if wanted.as_ref().is_none_or(|w| *w == d) => {
                if size > MAX_MANIFEST_SIZE {
                    return Err(Error::TooLarge {
                        what: self.what_manifest(repo, reference),
                        size,
                        limit: MAX_MANIFEST_SIZE,
                    });
                }
                Ok(Descriptor::new(mt, d, size))
            }
            // HEAD was incomplete or disagreed with the digest asked for: GET settles it.
            _ => Ok(self.get_manifest(repo, reference).await?.descriptor()),
        }
    }

    pub(super) async fn get_manifest(&self, repo: &str, reference: &str) -> Result<ManifestBlob> {
        let wanted = as_digest(reference)?;
        let req = self.manifest_request(Method::GET, repo, reference)?;
        let action = req.action.clone();
        let resp = self.send(req).await?;
        let what = self.what_manifest(repo, reference);
        if !resp.status().is_success() {
            return Err(self.status_error(resp, &action, &what).await);
        }
        let declared = header_digest(resp.headers());
        let ct = content_type(resp.headers());
        let bytes = read_limited(resp, MAX_MANIFEST_SIZE, &self.host, &what).await?;
        let blob = ManifestBlob::new(bytes, ct.as_deref())?;
        for expected in wanted.iter().chain(declared.iter()) {
            if !expected.matches(&blob.bytes) {
                let mut h = expected.hasher();
                h.update(&blob.bytes);
                return Err(Error::DigestMismatch {
                    what,
                    expected: expected.clone(),
                    actual: h.finish(),
                });
            }
        }
        Ok(blob)
    }

    pub(super) async fn has_manifest(&self, repo: &str, digest: &Digest) -> Result<bool> {
        let req = self.manifest_request(Method::HEAD, repo, &digest.to_string())?;
        let action = req.action.clone();
        let resp = self.send(req).await?;
        match resp.status() {
            s if s.is_success() => Ok(true),
            StatusCode::NOT_FOUND => Ok(false),
            _ => Err(self.status_error(resp, &action, &self.what_manifest(repo, &digest.to_string())).await),
        }
    }

    pub(super) async fn put_manifest(&self, repo: &str, reference: &str, manifest: &ManifestBlob) -> Result<PushedManifest> {
        let url = self.repo_url(repo, &format!("manifests/{reference}"))?;
        let action = format!("PUT manifest {repo}:{reference}");
        let req = Request::new(Method::PUT, url, Self::push_scope(repo), action.clone())
            .header(CONTENT_TYPE, &manifest.media_type)
            .body(manifest.bytes.clone());
        let resp = self.send(req).await?;
        if !resp.status().is_success() {
            return Err(self
                .status_error(resp, &action, &self.what_manifest(repo, reference))
                .await);
        }
        if let Some(d) = header_digest(resp.headers())
            && d != manifest.digest
            && d.algorithm() == manifest.digest.algorithm()
        {
            return Err(Error::DigestMismatch {
                what: format!("manifest stored by {}", self.host),
                expected: manifest.digest.clone(),
                actual: d,
            });
        }
        let subject_acknowledged = resp.headers().contains_key("oci-subject");
        if subject_acknowledged {
            self.set_mode(repo, ReferrersMode::Api);
        }
        Ok(PushedManifest { subject_acknowledged })
    }

    pub(super) async fn remove_manifest(&self, repo: &str, digest: &Digest) -> Result<()> {
        let url = self.repo_url(repo, &format!("manifests/{digest}"))?;
        let action = format!("DELETE manifest {repo}@{digest}");
        let scopes = vec![format!("repository:{repo}:delete")];
        let resp = self
            .send(Request::new(Method::DELETE, url, scopes, action.clone()).header(ACCEPT, media_types::MANIFEST_ACCEPT))
            .await?;
        if resp.status().is_success() {
            return Ok(());
        }
        Err(self
            .status_error(resp, &action, &self.what_manifest(repo, &digest.to_string()))
            .await)
    }

    pub(super) async fn remove_tag(&self, repo: &str, tag: &str) -> Result<()> {
        let url = self.repo_url(repo, &format!("manifests/{tag}"))?;
        let action = format!("DELETE tag {repo}:{tag}");
        let scopes = vec![format!("repository:{repo}:delete")];
        let resp = self.send(Request::new(Method::DELETE, url, scopes, action.clone())).await?;
        match resp.status() {
            s if s.is_success() => Ok(()),
            StatusCode::BAD_REQUEST | StatusCode::METHOD_NOT_ALLOWED => Err(Error::Status {
                registry: self.host.clone(),
                status: resp.status().as_u16(),
                action,
                message: "this registry cannot delete a tag on its own; delete the manifest by digest instead".into(),
            }),
            _ => Err(self.status_error(resp, &action, &format!("tag {tag}")).await),
        }
    }
}

/// Parses a reference string: `Some(digest)` when it is one.
fn as_digest(reference: &str) -> Result<Option<Digest>> {
    Ok(TagOrDigest::parse(reference)?.digest().cloned())
}
