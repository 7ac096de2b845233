//! Inspection for the details pane and the viewer, through the same fetching as
//! `refscope inspect` ([`crate::graph::inspect`]): blobs verified against their digests,
//! bounded by `--max-blob-size`, small ones kept in the disk cache by the cached target.

use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;

use super::pace::Pace;
use super::{Shared, failure, lock};
use crate::graph::inspect::{InspectOptions, inspect, list_layer};
use crate::graph::progress::{Event, Progress};
use crate::oci::{Descriptor, Digest};
use crate::tui::inspect_view::inspect_view;
use crate::tui::protocol::{RequestId, WorkerEvent};

/// The least time between two reports of a listing still growing.
const LISTING_EVERY: Duration = Duration::from_millis(100);

/// Inspections downloading at once. The selection asks for one on every move; more at once
/// would only share the bandwidth among artifacts already scrolled past.
const INSPECTING: usize = 2;

/// What a stop names: an inspection by its digest (the model asks for one per digest), or a
/// listing by its request.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(super) enum Want {
    Inspection(Digest),
    Listing(RequestId),
}

/// The token that stops one request, and which claim it was (a digest asked for again after a
/// stop is a new claim, not to be cleared by the old one ending).
#[derive(Debug, Clone, Default)]
pub(super) struct Ticket {
    claim: u64,
    token: CancellationToken,
}

impl Ticket {
    #[cfg(test)]
    pub(super) fn token(&self) -> &CancellationToken {
        &self.token
    }
}

pub(super) struct Wanted {
    tickets: Mutex<HashMap<Want, Ticket>>,
    claims: AtomicU64,
    pub(super) gate: Semaphore,
}

impl Default for Wanted {
    fn default() -> Wanted {
        Wanted { tickets: Mutex::new(HashMap::new()), claims: AtomicU64::new(1), gate: Semaphore::new(INSPECTING) }
    }
}

/// Runs `work` once `gate` lets it, unless `token` is cancelled first; stops it midway when
/// cancelled meanwhile. `None` when stopped.
pub(super) async fn gated<F: Future>(gate: &Semaphore, token: &CancellationToken, work: F) -> Option<F::Output> {
    let _permit = tokio::select! {
        biased;
        _ = token.cancelled() => return None,
        permit = gate.acquire() => permit.ok()?,
    };
    stoppable(token, work).await
}

async fn stoppable<F: Future>(token: &CancellationToken, work: F) -> Option<F::Output> {
    tokio::select! {
        biased;
        _ = token.cancelled() => None,
        out = work => Some(out),
    }
}

impl Shared {
    pub(super) fn claim(&self, want: Want) -> Ticket {
        let ticket = Ticket { claim: self.wanted.claims.fetch_add(1, Ordering::Relaxed), token: CancellationToken::new() };
        if let Some(old) = lock(&self.wanted.tickets).insert(want, ticket.clone()) {
            old.token.cancel();
        }
        ticket
    }

    pub(super) fn stop(&self, want: &Want) {
        if let Some(t) = lock(&self.wanted.tickets).remove(want) {
            t.token.cancel();
        }
    }

    pub(super) fn release(&self, want: &Want, ticket: &Ticket) {
        let mut tickets = lock(&self.wanted.tickets);
        if tickets.get(want).is_some_and(|t| t.claim == ticket.claim) {
            tickets.remove(want);
        }
    }

    pub(super) async fn inspect(self: &Arc<Self>, repo: String, digest: Digest, tag: Option<String>, ticket: Ticket) {
        let want = Want::Inspection(digest.clone());
        let found = self.fetch_inspection(&repo, &digest, tag.as_deref(), &ticket).await;
        self.release(&want, &ticket);
        // Stopped: the model let it go and is not waiting for an answer.
        let Some(found) = found else { return };
        let limits = self.ctx.limits;
        // Indenting a large document takes a while: off the runtime's threads.
        let result = match found {
            Ok(found) => tokio::task::spawn_blocking(move || Arc::new(inspect_view(&found, &limits)))
                .await
                .map_err(|e| crate::tui::protocol::Failure { message: format!("the summary failed: {e}"), unauthorized: None, refused: false }),
            Err(e) => Err(failure(&e)),
        };
        self.send(WorkerEvent::Inspected { digest, result });
    }

    async fn fetch_inspection(self: &Arc<Self>, repo: &str, digest: &Digest, tag: Option<&str>, ticket: &Ticket) -> Option<crate::error::Result<crate::graph::inspect::Inspection>> {
        let opts = InspectOptions { limits: self.ctx.limits, progress: self.inspect_progress(digest) };
        let reference = digest.to_string();
        gated(&self.wanted.gate, &ticket.token, inspect(self.target(), repo, &reference, tag, &opts)).await
    }

    /// Reports the bytes of large blobs as they arrive, all of one inspection together.
    pub(super) fn inspect_progress(self: &Arc<Self>, digest: &Digest) -> Progress {
        let s = self.clone();
        let digest = digest.clone();
        let tasks: Mutex<HashMap<u64, (u64, u64)>> = Mutex::new(HashMap::new());
        let pace = Pace::default();
        Progress::new(move |event| {
            for event in pace.filter(event, Instant::now()) {
                let mut tasks = lock(&tasks);
                match event {
                    Event::Start { id, total, .. } => {
                        tasks.insert(id, (0, total));
                    }
                    Event::Advance { id, done } => {
                        if let Some(t) = tasks.get_mut(&id) {
                            t.0 = done;
                        }
                    }
                    Event::Finish { .. } => continue,
                }
                let (done, total) = tasks.values().fold((0u64, 0u64), |(d, t), (a, b)| (d.saturating_add(*a), t.saturating_add(*b)));
                s.send(WorkerEvent::InspectProgress { digest: digest.clone(), done, total });
            }
        })
    }

    pub(super) async fn list_layer(&self, id: RequestId, repo: String, layer: Descriptor, ticket: Ticket) {
        let opts = InspectOptions { limits: self.ctx.limits, progress: Progress::default() };
        let mut last = Instant::now();
        let listed = list_layer(self.target(), &repo, &layer, &opts, |listing| {
            if last.elapsed() >= LISTING_EVERY {
                last = Instant::now();
                self.send(WorkerEvent::Listing { id, result: Ok(Arc::new(listing.clone())), done: false });
            }
        });
        let listed = stoppable(&ticket.token, listed).await;
        let want = Want::Listing(id);
        self.release(&want, &ticket);
        // Stopped: the page is closed, nobody reads the answer.
        let Some(result) = listed else { return };
        self.send(WorkerEvent::Listing { id, result: result.map(Arc::new).map_err(|e| failure(&e)), done: true });
    }
}
