//! Reading blobs: streamed and verified as they come, or asked about with HEAD. Uploads are in
//! `upload.rs`.

use std::time::Duration;

use futures_util::StreamExt;
use reqwest::{Method, StatusCode};

use super::client::Request;
use super::{Registry, content_length};
use crate::error::{Error, Result};
use crate::oci::{Descriptor, Digest};
use crate::store::{ByteStream, verify_stream};

impl Registry {
    pub(super) async fn get_blob(&self, repo: &str, desc: &Descriptor) -> Result<ByteStream> {
        let url = self.repo_url(repo, &format!("blobs/{}", desc.digest))?;
        let action = format!("GET blob {repo}@{}", desc.digest);
        let mut req = Request::new(Method::GET, url, Self::pull_scope(repo), action.clone()).follow_elsewhere();
        // Blobs may be large: only the read timeout applies, not a total one.
        req.timeout = Some(Duration::from_secs(365 * 24 * 3600));
        let resp = self.send(req).await?;
        let what = format!("blob {}/{repo}@{}", self.host, desc.digest);
        if !resp.status().is_success() {
            return Err(self.status_error(resp, &action, &what).await);
        }
        if let Some(len) = resp.content_length()
            && len != desc.size
        {
            return Err(Error::SizeMismatch {
                what,
                expected: desc.size,
                actual: len,
            });
        }
        let host = self.host.clone();
        let stream = resp.bytes_stream().map(move |r| {
            r.map_err(|e| {
                // A body that stops coming is a stall, not a lost connection: say so.
                if e.is_timeout() {
                    Error::Timeout { registry: host.clone(), action: action.clone() }
                } else {
                    Error::Connect {
                        registry: host.clone(),
                        reason: format!("connection lost while reading a blob: {}", e.without_url()),
                    }
                }
            })
        });
        Ok(verify_stream(Box::pin(stream), desc, what))
    }

    pub(super) async fn head_blob(&self, repo: &str, digest: &Digest) -> Result<Option<u64>> {
        let url = self.repo_url(repo, &format!("blobs/{digest}"))?;
        let action = format!("HEAD blob {repo}@{digest}");
        let resp = self
            .send(Request::new(Method::HEAD, url, Self::pull_scope(repo), action.clone()).follow_elsewhere())
            .await?;
        match resp.status() {
            s if s.is_success() => Ok(Some(content_length(resp.headers()).unwrap_or(0))),
            StatusCode::NOT_FOUND => Ok(None),
            _ => Err(self.status_error(resp, &action, &format!("blob {digest}")).await),
        }
    }
}
