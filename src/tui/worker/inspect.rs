//! Inspection for the details pane and the viewer, through the same fetching as
//! `refscope inspect` ([`crate::graph::inspect`]): blobs verified against their digests,
//! bounded by `--max-blob-size`, small ones kept in the disk cache by the cached target.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::{Shared, failure, lock};
use crate::graph::inspect::{InspectOptions, inspect, list_layer};
use crate::graph::progress::{Event, Progress};
use crate::oci::{Descriptor, Digest};
use crate::tui::inspect_view::inspect_view;
use crate::tui::protocol::{RequestId, WorkerEvent};

/// The least time between two reports of a listing still growing.
const LISTING_EVERY: Duration = Duration::from_millis(100);

impl Shared {
    pub(super) async fn inspect(self: &Arc<Self>, repo: String, digest: Digest, tag: Option<String>) {
        let opts = InspectOptions { limits: self.ctx.limits, progress: self.inspect_progress(&digest) };
        let found = inspect(self.target(), &repo, &digest.to_string(), tag.as_deref(), &opts).await;
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

    /// Reports the bytes of large blobs as they arrive, all of one inspection together.
    fn inspect_progress(self: &Arc<Self>, digest: &Digest) -> Progress {
        let s = self.clone();
        let digest = digest.clone();
        let tasks: Mutex<HashMap<u64, (u64, u64)>> = Mutex::new(HashMap::new());
        Progress::new(move |event| {
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
                Event::Finish { .. } => return,
            }
            let (done, total) = tasks.values().fold((0u64, 0u64), |(d, t), (a, b)| (d.saturating_add(*a), t.saturating_add(*b)));
            s.send(WorkerEvent::InspectProgress { digest: digest.clone(), done, total });
        })
    }

    pub(super) async fn list_layer(&self, id: RequestId, repo: String, layer: Descriptor) {
        let opts = InspectOptions { limits: self.ctx.limits, progress: Progress::default() };
        let mut last = Instant::now();
        let result = list_layer(self.target(), &repo, &layer, &opts, |listing| {
            if last.elapsed() >= LISTING_EVERY {
                last = Instant::now();
                self.send(WorkerEvent::Listing { id, result: Ok(Arc::new(listing.clone())), done: false });
            }
        })
        .await;
        self.send(WorkerEvent::Listing { id, result: result.map(Arc::new).map_err(|e| failure(&e)), done: true });
    }
}
