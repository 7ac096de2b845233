//! Long-running work (pulls, copies, attaches, deletes) as the status bar shows it.

use std::collections::BTreeMap;

use crate::graph::progress::{Event, Outcome};
use crate::oci::TagOrDigest;
use crate::tui::protocol::{JobId, Lease};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Task {
    pub label: String,
    pub done: u64,
    pub total: u64,
    pub finished: bool,
}

/// What a job does, which decides what to reload when it ends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobKind {
    /// Writes only to local disk.
    Pull,
    /// Changes a registry or layout: what is shown gets reloaded.
    Write,
    /// Deletes this artifact (repository, reference).
    Delete { repo: String, reference: TagOrDigest },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Job {
    pub id: JobId,
    pub label: String,
    pub kind: JobKind,
    pub tasks: BTreeMap<u64, Task>,
    pub cancellable: bool,
    pub cancelling: bool,
    /// Keeps what the worker parked for the job (a plan) until the job ends.
    pub lease: Option<Lease>,
}

impl Job {
    /// Bytes done and total over every task.
    pub fn totals(&self) -> (u64, u64) {
        self.tasks.values().fold((0, 0), |(d, t), task| (d + task.done.min(task.total), t + task.total))
    }

    /// The task being worked on, for a short "copying layer.bin" line.
    pub fn current(&self) -> Option<&Task> {
        self.tasks.values().rev().find(|t| !t.finished)
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Jobs {
    pub running: BTreeMap<JobId, Job>,
}

impl Jobs {
    pub fn start(&mut self, id: JobId, label: String, kind: JobKind, cancellable: bool, lease: Option<Lease>) {
        self.running.insert(
            id,
            Job {
                id,
                label,
                kind,
                tasks: BTreeMap::new(),
                cancellable,
                cancelling: false,
                lease,
            },
        );
    }

    pub fn apply(&mut self, id: JobId, event: Event) {
        let Some(job) = self.running.get_mut(&id) else { return };
        match event {
            Event::Start { id, label, total } => {
                job.tasks.insert(id, Task { label, done: 0, total, finished: false });
            }
            Event::Advance { id, done } => {
                if let Some(t) = job.tasks.get_mut(&id) {
                    t.done = done;
                }
            }
            Event::Finish { id, outcome } => {
                if let Some(t) = job.tasks.get_mut(&id) {
                    t.finished = true;
                    if matches!(outcome, Outcome::Skipped | Outcome::Mounted) {
                        t.done = t.total;
                    }
                }
            }
        }
    }

    pub fn finish(&mut self, id: JobId) -> Option<Job> {
        self.running.remove(&id)
    }

    /// The newest job that can be cancelled.
    pub fn cancellable(&mut self) -> Option<&mut Job> {
        self.running.values_mut().rev().find(|j| j.cancellable && !j.cancelling)
    }
}
