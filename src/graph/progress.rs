//! Progress of long operations, reported through a callback so that the CLI can draw it on
//! stderr and the TUI can forward it to its event loop.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::store::ByteProgress;

/// How one unit of work (usually a blob) ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Done,
    /// Already present at the destination.
    Skipped,
    /// Linked from another repository of the same registry, no bytes sent.
    Mounted,
    Failed(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    Start { id: u64, label: String, total: u64 },
    Advance { id: u64, done: u64 },
    Finish { id: u64, outcome: Outcome },
}

/// A cheap, cloneable sink for [`Event`]s; the default one drops them.
#[derive(Clone, Default)]
pub struct Progress {
    sink: Option<Arc<dyn Fn(Event) + Send + Sync>>,
    next_id: Arc<AtomicU64>,
}

impl Progress {
    pub fn new(sink: impl Fn(Event) + Send + Sync + 'static) -> Progress {
        Progress {
            sink: Some(Arc::new(sink)),
            next_id: Arc::new(AtomicU64::new(1)),
        }
    }

    fn emit(&self, e: Event) {
        if let Some(s) = &self.sink {
            s(e);
        }
    }

    /// Starts tracking one unit of work of `total` bytes.
    pub fn start(&self, label: impl Into<String>, total: u64) -> Task {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        self.emit(Event::Start {
            id,
            label: label.into(),
            total,
        });
        Task {
            id,
            progress: self.clone(),
        }
    }
}

/// One tracked unit of work.
pub struct Task {
    id: u64,
    progress: Progress,
}

impl Task {
    pub fn advance(&self, done: u64) {
        self.progress.emit(Event::Advance { id: self.id, done });
    }

    pub fn finish(&self, outcome: Outcome) {
        self.progress.emit(Event::Finish { id: self.id, outcome });
    }

    /// A byte counter for a transfer, reporting into this task.
    pub fn bytes(&self) -> ByteProgress {
        let id = self.id;
        let p = self.progress.clone();
        Arc::new(move |done| p.emit(Event::Advance { id, done }))
    }
}
