//! A tmux control-mode client (`tmux -C attach`): keys are sent and the pane's output is read
//! over one connection, each output line stamped when it arrives. Timing a key this way costs
//! no process per poll, so a loaded machine slows the measurement no more than the program.

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::{Duration, Instant};

pub struct Control {
    session: String,
    child: Child,
    stdin: ChildStdin,
    output: Receiver<(Instant, Line)>,
}

enum Line {
    /// The pane's output, as [`visible_text`].
    Output(String),
    /// Any other notification or command reply.
    Other(String),
}

impl Control {
    pub fn attach(session: &str) -> Control {
        let mut child = Command::new("tmux")
            .args(["-C", "attach", "-t", session])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("tmux -C attach");
        let stdin = child.stdin.take().expect("control client stdin");
        let stdout = child.stdout.take().expect("control client stdout");
        let (tx, output) = channel();
        std::thread::spawn(move || {
            let mut stdout = BufReader::new(stdout);
            let mut raw = Vec::new();
            // Bytes, not lines of UTF-8: tmux may split a character across two notifications.
            while stdout.read_until(b'\n', &mut raw).is_ok_and(|n| n > 0) {
                let line = String::from_utf8_lossy(&raw).trim_end_matches('\n').to_string();
                raw.clear();
                // The pane's output comes as `%output %PANE DATA`.
                let parsed = match line.strip_prefix("%output ") {
                    Some(rest) => Line::Output(visible_text(rest.split_once(' ').map_or("", |(_, d)| d))),
                    None => Line::Other(line),
                };
                if tx.send((Instant::now(), parsed)).is_err() {
                    break;
                }
            }
        });
        let control = Control { session: session.to_string(), child, stdin, output };
        // Output is forwarded only once the client is attached to the session.
        loop {
            match control.output.recv_timeout(Duration::from_secs(10)) {
                Ok((_, Line::Other(l))) if l.starts_with("%session-changed") => return control,
                Ok(_) => {}
                Err(e) => panic!("tmux control client did not attach to {session}: {e}"),
            }
        }
    }

    /// Sends `key` and returns the time until the pane's output has shown `marker` (compared
    /// without spaces: the renderer skips cells that did not change, often blanks).
    pub fn time_key(&mut self, key: &str, marker: &str) -> Duration {
        while self.output.try_recv().is_ok() {}
        let marker: String = marker.chars().filter(|c| *c != ' ').collect();
        let sent = Instant::now();
        writeln!(self.stdin, "send-keys -t {} {key}", self.session).expect("control client write");
        self.stdin.flush().expect("control client flush");
        let mut seen = String::new();
        loop {
            match self.output.recv_timeout(Duration::from_secs(60)) {
                Ok((_, Line::Other(_))) => {}
                Ok((at, Line::Output(text))) => {
                    seen.push_str(&text);
                    if seen.contains(&marker) {
                        return at.duration_since(sent);
                    }
                }
                Err(RecvTimeoutError::Timeout) => panic!("no output with {marker:?} within 60 s of {key}"),
                Err(RecvTimeoutError::Disconnected) => panic!("the tmux control client ended"),
            }
        }
    }
}

impl Drop for Control {
    fn drop(&mut self) {
        let _ = writeln!(self.stdin, "detach");
        let _ = self.child.wait();
    }
}

/// The printable text of control-mode output, without spaces: escape sequences (written as
/// `\033[…`) and other octal escapes are dropped.
fn visible_text(data: &str) -> String {
    let mut out = String::new();
    let mut rest = data;
    while let Some(c) = rest.chars().next() {
        if let Some(after) = rest.strip_prefix("\\033[") {
            // A CSI sequence ends at its first byte in @..~.
            let end = after.find(|c: char| ('@'..='~').contains(&c)).map_or(after.len(), |i| i + 1);
            rest = &after[end..];
        } else if c == '\\' && rest.len() >= 4 {
            rest = &rest[4..];
        } else {
            if c != ' ' {
                out.push(c);
            }
            rest = &rest[c.len_utf8()..];
        }
    }
    out
}
