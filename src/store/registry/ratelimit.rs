//! The `ratelimit-limit` / `ratelimit-remaining` headers (Docker Hub sends
//! `ratelimit-limit: 100;w=21600`): what is left, for a status bar. The window comes from the
//! `w=` parameter, never assumed.

use std::time::Duration;

use reqwest::header::HeaderMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    pub limit: u64,
    pub remaining: u64,
    /// The window the limit counts over, when the registry says.
    pub window: Option<Duration>,
}

impl RateLimit {
    /// The limit the headers announce, if they announce both numbers.
    pub fn from_headers(headers: &HeaderMap) -> Option<RateLimit> {
        let (limit, w1) = parse(headers.get("ratelimit-limit")?.to_str().ok()?)?;
        let (remaining, w2) = parse(headers.get("ratelimit-remaining")?.to_str().ok()?)?;
        Some(RateLimit {
            limit,
            remaining,
            window: w1.or(w2),
        })
    }

    /// `76/100 requests left per 6h`, for one line.
    pub fn describe(&self) -> String {
        match self.window {
            Some(w) => format!("{}/{} requests left per {}", self.remaining, self.limit, humantime::format_duration(w)),
            None => format!("{}/{} requests left", self.remaining, self.limit),
        }
    }
}

/// `N` or `N;w=SECONDS` (other parameters ignored).
fn parse(value: &str) -> Option<(u64, Option<Duration>)> {
    let mut parts = value.split(';');
    let n = parts.next()?.trim().parse().ok()?;
    let window = parts
        .filter_map(|p| p.trim().strip_prefix("w="))
        .find_map(|w| w.trim().parse::<u64>().ok())
        .map(Duration::from_secs);
    Some((n, window))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, v.parse().unwrap());
        }
        h
    }

    #[test]
    fn reads_docker_hub_headers_and_the_window() {
        let r = RateLimit::from_headers(&headers(&[("ratelimit-limit", "100;w=21600"), ("ratelimit-remaining", "76;w=21600")])).unwrap();
        assert_eq!(r, RateLimit { limit: 100, remaining: 76, window: Some(Duration::from_secs(21600)) });
        assert_eq!(r.describe(), "76/100 requests left per 6h");
        let r = RateLimit::from_headers(&headers(&[("ratelimit-limit", "5000;w=3600;comment=\"x\""), ("ratelimit-remaining", "1")])).unwrap();
        assert_eq!(r.window, Some(Duration::from_secs(3600)));
        assert_eq!(RateLimit::from_headers(&headers(&[("ratelimit-limit", "100")])), None);
        assert_eq!(RateLimit::from_headers(&headers(&[("ratelimit-limit", "lots"), ("ratelimit-remaining", "1")])), None);
    }
}
