//! `Link: <…>; rel="next"` pagination. A registry controls these URLs, so they are checked:
//! they must stay on the registry's origin and under `/v2/`, or they are not followed.

use reqwest::header::{HeaderMap, LINK};
use url::Url;

use crate::error::{Error, Result};

/// The continuation for the next page, as a path and query relative to the registry.
pub fn next_link(headers: &HeaderMap, request_url: &Url, base: &Url, registry: &str) -> Result<Option<String>> {
    for value in headers.get_all(LINK) {
        let Ok(value) = value.to_str() else { continue };
        for part in value.split(',') {
            let Some((target, params)) = part.trim().split_once(';') else {
                continue;
            };
            let is_next = params
                .split(';')
                .any(|p| p.trim().replace(' ', "").eq_ignore_ascii_case("rel=\"next\"") || p.trim().eq_ignore_ascii_case("rel=next"));
            if !is_next {
                continue;
            }
            let target = target.trim().trim_start_matches('<').trim_end_matches('>');
            let url = request_url.join(target).map_err(|e| bad(registry, format!("unusable Link `{target}` ({e})")))?;
            check_origin(&url, base, registry)?;
            if url == *request_url {
                return Err(bad(registry, "a Link header points at the page it came from".into()));
            }
            let mut next = url.path().to_string();
            if let Some(q) = url.query() {
                next.push('?');
                next.push_str(q);
            }
            return Ok(Some(next));
        }
    }
    Ok(None)
}

/// Turns a continuation back into a URL on the registry.
pub fn continuation_url(base: &Url, next: &str, action: &str) -> Result<Url> {
    let url = base.join(next).map_err(|e| Error::Usage(format!("bad continuation for {action}: {e}")))?;
    check_origin(&url, base, base.host_str().unwrap_or("registry"))?;
    Ok(url)
}

/// Same scheme, host and port. A URL with a user name or password in it is never the
/// registry's origin: HTTP clients turn those into an `Authorization` header of their own.
pub fn same_origin(url: &Url, base: &Url) -> bool {
    url.username().is_empty()
        && url.password().is_none()
        && url.scheme() == base.scheme()
        && url.host_str() == base.host_str()
        && url.port_or_known_default() == base.port_or_known_default()
}

fn check_origin(url: &Url, base: &Url, registry: &str) -> Result<()> {
    if !url.username().is_empty() || url.password().is_some() {
        return Err(bad(registry, "a Link header carries a user name or password; not followed".into()));
    }
    if !same_origin(url, base) {
        return Err(bad(
            registry,
            format!("a Link header points to another origin ({}); not followed", url.origin().ascii_serialization()),
        ));
    }
    if !url.path().starts_with("/v2/") {
        return Err(bad(registry, format!("a Link header points outside /v2/ ({})", url.path())));
    }
    Ok(())
}

fn bad(registry: &str, reason: String) -> Error {
    Error::Protocol {
        registry: registry.to_string(),
        action: "pagination".into(),
        reason,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(link: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(LINK, link.parse().unwrap());
        h
    }

    #[test]
    fn follows_relative_next_links_on_the_same_origin() {
        let base = Url::parse("http://127.0.0.1:5000/").unwrap();
        let req = base.join("/v2/_catalog?n=2").unwrap();
        let next = next_link(&headers(r#"</v2/_catalog?last=mid%2Fx&n=2>; rel="next""#), &req, &base, "r").unwrap();
        assert_eq!(next.as_deref(), Some("/v2/_catalog?last=mid%2Fx&n=2"));
        let url = continuation_url(&base, next.as_deref().unwrap(), "x").unwrap();
        assert_eq!(url.as_str(), "http://127.0.0.1:5000/v2/_catalog?last=mid%2Fx&n=2");
        assert_eq!(next_link(&HeaderMap::new(), &req, &base, "r").unwrap(), None);
    }

    #[test]
    fn refuses_other_origins_loops_and_paths() {
        let base = Url::parse("http://127.0.0.1:5000/").unwrap();
        let req = base.join("/v2/_catalog?n=2").unwrap();
        for bad in [
            r#"<http://evil.example/v2/_catalog?last=a>; rel="next""#,
            r#"<http://127.0.0.1:5001/v2/_catalog?last=a>; rel="next""#,
            r#"</v2/_catalog?n=2>; rel="next""#,
            r#"</admin?x=1>; rel="next""#,
            r#"<http://u:p@127.0.0.1:5000/v2/_catalog?last=a>; rel="next""#,
        ] {
            assert!(next_link(&headers(bad), &req, &base, "r").is_err(), "{bad}");
        }
    }
}
