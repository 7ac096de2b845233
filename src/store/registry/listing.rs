//! Listings: the catalog and a repository's tags, page by page through `Link` continuations.

use bytes::Bytes;
use reqwest::Method;
use serde::Deserialize;
use url::Url;

use super::client::{Request, read_limited};
use super::{Registry, link};
use crate::error::{Error, Result};
use crate::store::{Page, PageRequest};

/// The largest page size distribution accepts for `_catalog`.
const MAX_PAGE_SIZE: usize = 1000;
/// Listing responses (catalog, tags) larger than this are refused.
const MAX_LISTING_BODY: u64 = 16 * 1024 * 1024;

impl Registry {
    pub(super) async fn list_tags_page(&self, repo: &str, page: &PageRequest) -> Result<Page> {
        let first = self.repo_url(repo, "tags/list")?;
        let action = format!("GET tags of {repo}");
        let (body, next) = self
            .listing_page(first, page, Self::pull_scope(repo), &action, &format!("repository {repo}"))
            .await?;
        let items = parse_tag_list(&body).map_err(|e| Error::Protocol {
            registry: self.host.clone(),
            action,
            reason: format!("malformed tag list ({e})"),
        })?;
        Ok(Page {
            items,
            next,
            bytes: body.len() as u64,
        })
    }

    pub(super) async fn list_catalog_page(&self, page: &PageRequest) -> Result<Page> {
        let first = self.url("v2/_catalog")?;
        let action = "GET /v2/_catalog";
        let (body, next) = self
            .listing_page(first, page, vec!["registry:catalog:*".to_string()], action, "the catalog")
            .await?;
        let items = parse_catalog(&body).map_err(|e| Error::Protocol {
            registry: self.host.clone(),
            action: action.into(),
            reason: format!("malformed catalog ({e})"),
        })?;
        Ok(Page {
            items,
            next,
            bytes: body.len() as u64,
        })
    }

    /// Fetches a listing page (`_catalog` or `tags/list`) and its `Link` continuation.
    async fn listing_page(
        &self,
        first: Url,
        page: &PageRequest,
        scopes: Vec<String>,
        action: &str,
        what: &str,
    ) -> Result<(Bytes, Option<String>)> {
        let url = match &page.next {
            Some(next) => link::continuation_url(&self.base(), next, action)?,
            None => {
                let mut url = first;
                {
                    let mut q = url.query_pairs_mut();
                    if page.n > 0 {
                        q.append_pair("n", &page.n.min(MAX_PAGE_SIZE).to_string());
                    }
                    if let Some(last) = &page.last {
                        q.append_pair("last", last);
                    }
                }
                url
            }
        };
        let resp = self.send(Request::new(Method::GET, url.clone(), scopes, action)).await?;
        if !resp.status().is_success() {
            return Err(self.status_error(resp, action, what).await);
        }
        // The page may have been asked for before the loopback origin settled on plain HTTP.
        let next = link::next_link(resp.headers(), &self.origin.rebase(&url), &self.base(), &self.host)?;
        let body = read_limited(resp, MAX_LISTING_BODY, &self.host, action).await?;
        Ok((body, next))
    }
}

#[derive(Deserialize)]
struct CatalogBody {
    #[serde(default)]
    repositories: Option<Vec<String>>,
}

#[derive(Deserialize)]
struct TagsBody {
    #[serde(default)]
    tags: Option<Vec<String>>,
}

/// The names in one page of `/v2/<repo>/tags/list` (`"tags": null` is an empty page).
pub fn parse_tag_list(body: &[u8]) -> serde_json::Result<Vec<String>> {
    Ok(serde_json::from_slice::<TagsBody>(object(body)?)?.tags.unwrap_or_default())
}

/// The names in one page of `/v2/_catalog`.
pub fn parse_catalog(body: &[u8]) -> serde_json::Result<Vec<String>> {
    Ok(serde_json::from_slice::<CatalogBody>(object(body)?)?.repositories.unwrap_or_default())
}

/// serde reads a struct from a JSON array too (fields by position), so `[["v1"]]` would pass
/// as a tag list; a listing page is an object.
fn object(body: &[u8]) -> serde_json::Result<&[u8]> {
    match body.trim_ascii_start().first() {
        Some(b'{') => Ok(body),
        _ => Err(serde::de::Error::custom("a listing page is a JSON object")),
    }
}

#[cfg(test)]
mod tests {
    use super::{parse_catalog, parse_tag_list};

    #[test]
    fn listing_pages_are_objects() {
        assert_eq!(parse_tag_list(br#"{"name":"app","tags":["v1","v2"]}"#).unwrap(), ["v1", "v2"]);
        assert!(parse_tag_list(br#"{"name":"app","tags":null}"#).unwrap().is_empty());
        assert_eq!(parse_catalog(br#" {"repositories":["a"]}"#).unwrap(), ["a"]);
        // Found by the listings fuzz target: serde takes an array for a struct's fields.
        assert!(parse_tag_list(b"[[\" \"]\n]").is_err());
        assert!(parse_catalog(br#"[["a"]]"#).is_err());
    }
}
