//! Byte counts arrive once per chunk read (tens of thousands a second during a large copy);
//! the screen needs a few a second. Forwarding each one woke the draw loop for every chunk and
//! kept it busy behind the transfer, so counts are passed on at most once per interval per
//! task, and the last one held back goes out before the task's end.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::graph::progress::Event;

/// Two updates per 60 Hz frame pair: a bar moves smoothly and the loop stays idle.
pub const INTERVAL: Duration = Duration::from_millis(33);

#[derive(Default)]
pub struct Pace {
    /// Per task: when a count was last passed on, and the newest one held back since.
    tasks: Mutex<HashMap<u64, (Instant, Option<u64>)>>,
}

impl Pace {
    /// The events to pass on for `event`, observed at `now`.
    pub fn filter(&self, event: Event, now: Instant) -> Vec<Event> {
        let mut tasks = self.tasks.lock().unwrap_or_else(|p| p.into_inner());
        match event {
            Event::Advance { id, done } => match tasks.get_mut(&id) {
                Some((last, held)) if now.duration_since(*last) < INTERVAL => {
                    *held = Some(done);
                    Vec::new()
                }
                _ => {
                    tasks.insert(id, (now, None));
                    vec![Event::Advance { id, done }]
                }
            },
            Event::Finish { id, outcome } => match tasks.remove(&id) {
                Some((_, Some(done))) => vec![Event::Advance { id, done }, Event::Finish { id, outcome }],
                _ => vec![Event::Finish { id, outcome }],
            },
            start => vec![start],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::progress::Outcome;

    #[test]
    fn counts_are_thinned_and_the_last_one_reaches_the_screen_before_the_end() {
        let pace = Pace::default();
        let t0 = Instant::now();
        let advance = |done, ms| pace.filter(Event::Advance { id: 1, done }, t0 + Duration::from_millis(ms));
        assert_eq!(advance(10, 0), vec![Event::Advance { id: 1, done: 10 }]);
        assert!(advance(20, 5).is_empty());
        assert!(advance(30, 10).is_empty());
        assert_eq!(advance(40, 40), vec![Event::Advance { id: 1, done: 40 }]);
        assert!(advance(50, 41).is_empty());
        let end = pace.filter(Event::Finish { id: 1, outcome: Outcome::Done }, t0 + Duration::from_millis(42));
        assert_eq!(end, vec![Event::Advance { id: 1, done: 50 }, Event::Finish { id: 1, outcome: Outcome::Done }]);
        let other = pace.filter(Event::Advance { id: 2, done: 1 }, t0 + Duration::from_millis(42));
        assert_eq!(other.len(), 1, "each task has its own pace");
    }
}
