//! Blob uploads: POST to open a session, then one streamed PUT, or PATCH chunks then PUT for
//! large files; and cross-repository mounts, whose declined answer (202) opens a session that
//! the following upload reuses.

use std::path::Path;

use bytes::Bytes;
use futures_util::StreamExt;
use reqwest::header::{CONTENT_LENGTH, CONTENT_TYPE, LOCATION};
use reqwest::{Method, Response, StatusCode};
use tokio::io::{AsyncReadExt, AsyncSeekExt};
use tokio_util::io::ReaderStream;
use url::Url;

use super::client::Request;
use super::{Registry, header_digest};
use crate::error::{Error, Result};
use crate::oci::{Descriptor, Digest};
use crate::store::{BlobSource, ByteProgress, ByteStream, Mount};

const OCTET_STREAM: &str = "application/octet-stream";

pub async fn push_blob(
    reg: &Registry,
    repo: &str,
    desc: &Descriptor,
    source: BlobSource,
    progress: ByteProgress,
) -> Result<()> {
    let session = match take_session(reg, repo, &desc.digest) {
        Some(url) => url,
        None => start_upload(reg, repo).await?,
    };
    match source {
        BlobSource::File(path) if desc.size > reg.opts.chunk_size => {
            chunked_from_file(reg, repo, desc, session, &path, progress).await
        }
        BlobSource::File(path) => {
            let file = tokio::fs::File::open(&path).await.map_err(|e| Error::io(&path, e))?;
            let stream: ByteStream = Box::pin(ReaderStream::with_capacity(file, 256 * 1024).map(move |r| {
                r.map_err(|e| Error::io(path.clone(), e))
            }));
            finish(reg, repo, desc, session, Some(stream), progress).await
        }
        BlobSource::Bytes(b) => {
            let stream: ByteStream = Box::pin(futures_util::stream::once(async move { Ok::<Bytes, Error>(b) }));
            finish(reg, repo, desc, session, Some(stream), progress).await
        }
        BlobSource::Stream(s) => finish(reg, repo, desc, session, Some(s), progress).await,
    }
}

pub async fn mount_blob(reg: &Registry, repo: &str, desc: &Descriptor, from_repo: &str) -> Result<Mount> {
    let mut url = reg.repo_url(repo, "blobs/uploads/")?;
    url.query_pairs_mut()
        .append_pair("mount", &desc.digest.to_string())
        .append_pair("from", from_repo);
    let scopes = vec![
        format!("repository:{repo}:pull,push"),
        format!("repository:{from_repo}:pull"),
    ];
    let action = format!("mount {} from {from_repo} into {repo}", desc.digest.short());
    let req = Request::new(Method::POST, url.clone(), scopes, action.clone()).header(CONTENT_LENGTH, "0");
    let resp = reg.send(req).await?;
    match resp.status() {
        StatusCode::CREATED => Ok(Mount::Mounted),
        StatusCode::ACCEPTED => {
            let session = location(reg, &resp, &url, &action)?;
            reg.open_sessions
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .insert((repo.to_string(), desc.digest.clone()), session);
            Ok(Mount::NotMounted)
        }
        _ => Err(reg.status_error(resp, &action, &format!("blob {}", desc.digest)).await),
    }
}

/// Opens an upload session for `desc` now, unless one is already waiting (a declined mount).
pub async fn prepare_upload(reg: &Registry, repo: &str, desc: &Descriptor) -> Result<()> {
    let key = (repo.to_string(), desc.digest.clone());
    if reg.open_sessions.lock().unwrap_or_else(|p| p.into_inner()).contains_key(&key) {
        return Ok(());
    }
    let session = start_upload(reg, repo).await?;
    reg.open_sessions.lock().unwrap_or_else(|p| p.into_inner()).insert(key, session);
    Ok(())
}

fn take_session(reg: &Registry, repo: &str, digest: &Digest) -> Option<Url> {
    reg.open_sessions
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .remove(&(repo.to_string(), digest.clone()))
}

async fn start_upload(reg: &Registry, repo: &str) -> Result<Url> {
    let url = reg.repo_url(repo, "blobs/uploads/")?;
    let action = format!("POST upload to {repo}");
    let req = Request::new(Method::POST, url.clone(), Registry::push_scope(repo), action.clone())
        .header(CONTENT_LENGTH, "0");
    let resp = reg.send(req).await?;
    if resp.status() != StatusCode::ACCEPTED {
        return Err(reg.status_error(resp, &action, &format!("upload session in {repo}")).await);
    }
    location(reg, &resp, &url, &action)
}

/// The upload URL from a `Location` header, absolute or relative to the request.
fn location(reg: &Registry, resp: &Response, request_url: &Url, action: &str) -> Result<Url> {
    let value = resp
        .headers()
        .get(LOCATION)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| Error::Protocol {
            registry: reg.host.clone(),
            action: action.to_string(),
            reason: "the upload answer has no Location header".into(),
        })?;
    let url = request_url.join(value).map_err(|e| Error::Protocol {
        registry: reg.host.clone(),
        action: action.to_string(),
        reason: format!("unusable Location `{value}` ({e})"),
    })?;
    if !reg.same_origin(&url) {
        // Allowed (uploads may go to storage elsewhere), but only to a place bytes may go, and
        // never with the registry's credentials (`send_stream` sends none off its origin).
        super::destination::check_hop(request_url, &url, &reg.base()).map_err(|why| Error::Protocol {
            registry: reg.host.clone(),
            action: action.to_string(),
            reason: format!("refusing the upload Location at {}: {why}", super::destination::origin(&url)),
        })?;
        tracing::info!("{}: upload continues at another origin; sending no credentials there", reg.host);
    }
    Ok(url)
}

/// Sends the last bytes (if any) with `PUT ?digest=` and checks the registry's answer.
async fn finish(
    reg: &Registry,
    repo: &str,
    desc: &Descriptor,
    session: Url,
    body: Option<ByteStream>,
    progress: ByteProgress,
) -> Result<()> {
    let mut url = session;
    url.query_pairs_mut().append_pair("digest", &desc.digest.to_string());
    let action = format!("PUT blob {repo}@{}", desc.digest.short());
    let (len, body) = match body {
        Some(stream) => (desc.size, counted(stream, 0, progress.clone())),
        None => (0, reqwest::Body::from(Bytes::new())),
    };
    let req = Request::new(Method::PUT, url, Registry::push_scope(repo), action.clone())
        .header(CONTENT_TYPE, OCTET_STREAM)
        .header(CONTENT_LENGTH, &len.to_string());
    let resp = reg.send_stream(req, body).await?;
    if resp.status() != StatusCode::CREATED && !resp.status().is_success() {
        return Err(reg.status_error(resp, &action, &format!("blob {}", desc.digest)).await);
    }
    if let Some(d) = header_digest(resp.headers())
        && d != desc.digest
    {
        return Err(Error::DigestMismatch {
            what: format!("blob stored by {}", reg.host),
            expected: desc.digest.clone(),
            actual: d,
        });
    }
    progress(desc.size);
    Ok(())
}

async fn chunked_from_file(
    reg: &Registry,
    repo: &str,
    desc: &Descriptor,
    session: Url,
    path: &Path,
    progress: ByteProgress,
) -> Result<()> {
    let mut url = session;
    let mut offset = 0u64;
    while offset < desc.size {
        let len = reg.opts.chunk_size.min(desc.size - offset);
        let mut file = tokio::fs::File::open(path).await.map_err(|e| Error::io(path, e))?;
        file.seek(std::io::SeekFrom::Start(offset)).await.map_err(|e| Error::io(path, e))?;
        let owned = path.to_path_buf();
        let chunk: ByteStream = Box::pin(
            ReaderStream::with_capacity(file.take(len), 256 * 1024).map(move |r| r.map_err(|e| Error::io(owned.clone(), e))),
        );
        let action = format!("PATCH blob {repo}@{} at {offset}", desc.digest.short());
        let req = Request::new(Method::PATCH, url.clone(), Registry::push_scope(repo), action.clone())
            .header(CONTENT_TYPE, OCTET_STREAM)
            .header(CONTENT_LENGTH, &len.to_string())
            .header(reqwest::header::CONTENT_RANGE, &format!("{}-{}", offset, offset + len - 1));
        let resp = reg.send_stream(req, counted(chunk, offset, progress.clone())).await?;
        if resp.status() != StatusCode::ACCEPTED {
            return Err(reg.status_error(resp, &action, &format!("blob {}", desc.digest)).await);
        }
        url = location(reg, &resp, &url, &action)?;
        offset += len;
    }
    finish(reg, repo, desc, url, None, progress).await
}

/// A request body that reports the running total to `progress` as it is sent.
fn counted(stream: ByteStream, start: u64, progress: ByteProgress) -> reqwest::Body {
    let mut sent = start;
    reqwest::Body::wrap_stream(stream.map(move |chunk| {
        if let Ok(c) = &chunk {
            sent += c.len() as u64;
            progress(sent);
        }
        chunk
    }))
}
