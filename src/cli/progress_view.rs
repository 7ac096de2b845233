//! Progress on stderr for CLI verbs: one line, redrawn at most ten times a second, only when
//! stderr is a terminal. Otherwise the CLI stays quiet.

use std::collections::BTreeMap;
use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::graph::progress::{Event, Outcome, Progress};
use crate::text::human_size;

#[derive(Default)]
struct Task {
    total: u64,
    done: u64,
    finished: bool,
}

#[derive(Default)]
struct State {
    tasks: BTreeMap<u64, Task>,
    last_draw: Option<Instant>,
    drawn: bool,
}

pub struct ProgressView {
    progress: Progress,
    state: Option<Arc<Mutex<State>>>,
}

impl ProgressView {
    /// A view that draws when stderr is a terminal, and does nothing otherwise.
    pub fn for_stderr() -> ProgressView {
        if !super::common::stderr_is_terminal() {
            return ProgressView {
                progress: Progress::default(),
                state: None,
            };
        }
        let state = Arc::new(Mutex::new(State::default()));
        let s = state.clone();
        let progress = Progress::new(move |e| {
            let mut st = s.lock().unwrap_or_else(|p| p.into_inner());
            match e {
                Event::Start { id, total, .. } => {
                    st.tasks.insert(id, Task { total, ..Task::default() });
                }
                Event::Advance { id, done } => {
                    if let Some(t) = st.tasks.get_mut(&id) {
                        t.done = done;
                    }
                }
                Event::Finish { id, outcome } => {
                    if let Some(t) = st.tasks.get_mut(&id) {
                        t.finished = true;
                        if outcome != Outcome::Done {
                            t.done = t.total;
                        }
                    }
                }
            }
            draw(&mut st);
        });
        ProgressView {
            progress,
            state: Some(state),
        }
    }

    pub fn progress(&self) -> &Progress {
        &self.progress
    }

    /// Clears the progress line.
    pub fn finish(&self) {
        if let Some(s) = &self.state {
            let mut st = s.lock().unwrap_or_else(|p| p.into_inner());
            if st.drawn {
                eprint!("\r\x1b[K");
                let _ = std::io::stderr().flush();
                st.drawn = false;
            }
        }
    }
}

impl Drop for ProgressView {
    fn drop(&mut self) {
        self.finish();
    }
}

fn draw(st: &mut State) {
    let now = Instant::now();
    if st.last_draw.is_some_and(|t| now - t < Duration::from_millis(100)) {
        return;
    }
    st.last_draw = Some(now);
    let total: u64 = st.tasks.values().map(|t| t.total).sum();
    let done: u64 = st.tasks.values().map(|t| t.done.min(t.total)).sum();
    let finished = st.tasks.values().filter(|t| t.finished).count();
    let pct = (done * 100).checked_div(total).unwrap_or(100);
    eprint!(
        "\r\x1b[K{finished}/{} blobs  {} / {}  {pct}%",
        st.tasks.len(),
        human_size(done),
        human_size(total)
    );
    let _ = std::io::stderr().flush();
    st.drawn = true;
}
