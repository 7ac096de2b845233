//! Progress on stderr for CLI verbs: one indicatif bar over all the blobs of the operation,
//! only when stderr is a terminal. Otherwise the CLI stays quiet.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressState, ProgressStyle};

use crate::graph::progress::{Event, Outcome, Progress};
use crate::text::human_size;

/// Redraws per second: enough to look alive, few enough to cost nothing over SSH.
const REDRAWS_PER_SECOND: u8 = 10;

#[derive(Default)]
struct Task {
    total: u64,
    done: u64,
    finished: bool,
}

#[derive(Default)]
struct Tally {
    tasks: BTreeMap<u64, Task>,
}

impl Tally {
    fn apply(&mut self, e: Event) {
        match e {
            Event::Start { id, total, .. } => {
                self.tasks.insert(id, Task { total, ..Task::default() });
            }
            Event::Advance { id, done } => {
                if let Some(t) = self.tasks.get_mut(&id) {
                    t.done = done;
                }
            }
            Event::Finish { id, outcome } => {
                if let Some(t) = self.tasks.get_mut(&id) {
                    t.finished = true;
                    // A skipped, mounted or failed blob sends no more bytes: count it whole.
                    if outcome != Outcome::Done {
                        t.done = t.total;
                    }
                }
            }
        }
    }

    fn total(&self) -> u64 {
        self.tasks.values().fold(0u64, |acc, t| acc.saturating_add(t.total))
    }

    fn done(&self) -> u64 {
        self.tasks.values().fold(0u64, |acc, t| acc.saturating_add(t.done.min(t.total)))
    }

    fn message(&self) -> String {
        let finished = self.tasks.values().filter(|t| t.finished).count();
        format!("{finished}/{} blobs", self.tasks.len())
    }
}

pub struct ProgressView {
    progress: Progress,
    bar: Option<ProgressBar>,
}

impl ProgressView {
    /// A view that draws when stderr is a terminal, and does nothing otherwise.
    pub fn for_stderr() -> ProgressView {
        if !super::common::stderr_is_terminal() {
            return ProgressView {
                progress: Progress::default(),
                bar: None,
            };
        }
        let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr_with_hz(REDRAWS_PER_SECOND));
        // Sizes as the rest of refscope writes them (the TUI's status bar, the copy plan).
        bar.set_style(
            ProgressStyle::with_template("{msg:>12}  [{bar:30}] {done} / {total}  {percent}%  {binary_bytes_per_sec}")
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .with_key("done", |s: &ProgressState, w: &mut dyn std::fmt::Write| {
                    let _ = w.write_str(&human_size(s.pos()));
                })
                .with_key("total", |s: &ProgressState, w: &mut dyn std::fmt::Write| {
                    let _ = w.write_str(&human_size(s.len().unwrap_or(0)));
                })
                .progress_chars("=> "),
        );
        let tally = Arc::new(Mutex::new(Tally::default()));
        let b = bar.clone();
        let progress = Progress::new(move |e| {
            let mut t = tally.lock().unwrap_or_else(|p| p.into_inner());
            t.apply(e);
            b.set_message(t.message());
            b.set_length(t.total());
            b.set_position(t.done());
        });
        ProgressView { progress, bar: Some(bar) }
    }

    pub fn progress(&self) -> &Progress {
        &self.progress
    }

    /// Clears the bar, so that only the verb's result stays on the terminal.
    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

impl Drop for ProgressView {
    fn drop(&mut self) {
        self.finish();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skipped_and_failed_blobs_count_whole() {
        let mut t = Tally::default();
        t.apply(Event::Start { id: 1, label: "a".into(), total: 100 });
        t.apply(Event::Start { id: 2, label: "b".into(), total: 50 });
        t.apply(Event::Advance { id: 1, done: 40 });
        assert_eq!((t.done(), t.total(), t.message()), (40, 150, "0/2 blobs".to_string()));
        t.apply(Event::Finish { id: 2, outcome: Outcome::Skipped });
        assert_eq!((t.done(), t.message()), (90, "1/2 blobs".to_string()));
        t.apply(Event::Finish { id: 1, outcome: Outcome::Failed("cut".into()) });
        assert_eq!((t.done(), t.message()), (150, "2/2 blobs".to_string()));
    }

    #[test]
    fn a_blob_counts_at_most_its_size_and_sums_cannot_overflow() {
        let mut t = Tally::default();
        t.apply(Event::Start { id: 1, label: "a".into(), total: 100 });
        t.apply(Event::Advance { id: 1, done: 500 });
        assert_eq!(t.done(), 100);
        t.apply(Event::Start { id: 2, label: "b".into(), total: u64::MAX });
        t.apply(Event::Advance { id: 2, done: u64::MAX });
        assert_eq!((t.done(), t.total()), (u64::MAX, u64::MAX));
    }
}
