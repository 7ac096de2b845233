//! The registry's origin (scheme, host, port). Off loopback it is https unless plain HTTP was
//! asked for. On loopback it starts as https and falls back to http only when the server
//! answers the TLS handshake with something that is not TLS, as Docker does for localhost; the
//! first request settles it for the life of the client.

use std::sync::RwLock;
use std::sync::atomic::{AtomicBool, Ordering};

use url::Url;

pub(crate) struct Origin {
    url: RwLock<Url>,
    /// Still to be settled by a first request (loopback registries only).
    probing: AtomicBool,
    /// Held by the request that settles the origin, so that only one does.
    probe: tokio::sync::Mutex<()>,
}

impl Origin {
    pub fn new(url: Url, probing: bool) -> Origin {
        Origin {
            url: RwLock::new(url),
            probing: AtomicBool::new(probing),
            probe: tokio::sync::Mutex::new(()),
        }
    }

    pub fn url(&self) -> Url {
        self.url.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    pub fn probing(&self) -> bool {
        self.probing.load(Ordering::Acquire)
    }

    /// While the origin is unsettled: the turn to settle it, waiting for anyone settling it now.
    pub async fn probe_turn(&self) -> Option<tokio::sync::MutexGuard<'_, ()>> {
        if !self.probing() {
            return None;
        }
        let guard = self.probe.lock().await;
        self.probing().then_some(guard)
    }

    /// The server spoke TLS.
    pub fn settle_tls(&self) {
        self.probing.store(false, Ordering::Release);
    }

    /// The server spoke no TLS: plain HTTP from now on.
    pub fn fall_back_to_plain(&self) {
        let mut url = self.url.write().unwrap_or_else(|p| p.into_inner());
        let _ = url.set_scheme("http");
        self.probing.store(false, Ordering::Release);
    }

    /// `url` moved to the settled scheme when it was made for the registry's https origin
    /// before the fallback.
    pub fn rebase(&self, url: &Url) -> Url {
        let base = self.url();
        let mut url = url.clone();
        if base.scheme() == "http"
            && url.scheme() == "https"
            && url.host_str() == base.host_str()
            && url.port() == base.port()
        {
            let _ = url.set_scheme("http");
        }
        url
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn falls_back_once_and_moves_earlier_urls() {
        let o = Origin::new(Url::parse("https://127.0.0.1:5000/").unwrap(), true);
        let early = Url::parse("https://127.0.0.1:5000/v2/a/manifests/v1").unwrap();
        assert!(o.probe_turn().await.is_some());
        o.fall_back_to_plain();
        assert!(o.probe_turn().await.is_none());
        assert_eq!(o.rebase(&early).as_str(), "http://127.0.0.1:5000/v2/a/manifests/v1");
        let other = Url::parse("https://127.0.0.1:5001/x").unwrap();
        assert_eq!(o.rebase(&other), other, "another origin keeps its scheme");
    }
}
