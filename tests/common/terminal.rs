//! A real terminal for CLI lines that behave differently on one (questions, progress): a
//! tmux server on its own socket, so it shares nothing with other tests or with the user's.

use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

static NEXT: AtomicUsize = AtomicUsize::new(0);

pub struct Terminal {
    socket: String,
}

impl Terminal {
    /// Runs `script` with bash in a 200x50 pane. `env` sets up the tmux server's command (its
    /// environment is what the pane gets). The pane stays after the script, which prints
    /// `__EXIT__ <status>` when it ends.
    pub fn start(env: impl FnOnce(&mut Command), script: &str) -> Terminal {
        super::require("tmux");
        let t = Terminal {
            socket: format!("refscope-test-{}-{}", std::process::id(), NEXT.fetch_add(1, Ordering::Relaxed)),
        };
        let mut start = t.tmux();
        start.args(["new-session", "-d", "-s", "t", "-x", "200", "-y", "50", "bash", "-c"]);
        start.arg(format!("{script}\necho __EXIT__ $?; sleep 120"));
        env(&mut start);
        assert!(start.status().unwrap().success(), "tmux new-session failed");
        t
    }

    fn tmux(&self) -> Command {
        let mut c = Command::new("tmux");
        c.args(["-L", &self.socket, "-f", "/dev/null"]);
        c
    }

    /// Copies everything the pane is sent from now on (escape sequences included) to `file`.
    pub fn record(&self, file: &Path) {
        let cmd = format!("cat >> '{}'", file.display());
        assert!(self.tmux().args(["pipe-pane", "-o", "-t", "t", &cmd]).status().unwrap().success());
    }

    pub fn send(&self, keys: &[&str]) {
        assert!(self.tmux().args(["send-keys", "-t", "t"]).args(keys).status().unwrap().success());
    }

    pub fn screen(&self) -> String {
        let out = self.tmux().args(["capture-pane", "-p", "-J", "-t", "t"]).output().unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Waits until the screen shows `what`; a timeout fails with the screen.
    pub fn wait_for(&self, what: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let s = self.screen();
            if s.contains(what) {
                return s;
            }
            assert!(Instant::now() < deadline, "timed out waiting for `{what}` on the terminal; screen:\n{s}");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Waits for the script to end; fails unless it exited 0. Returns the screen.
    pub fn wait_success(&self) -> String {
        let screen = self.wait_for("__EXIT__");
        assert!(screen.contains("__EXIT__ 0"), "the script failed; screen:\n{screen}");
        screen
    }
}

impl Drop for Terminal {
    fn drop(&mut self) {
        // The server of this socket has no other session: it stops with this one.
        let _ = self.tmux().args(["kill-session", "-t", "t"]).status();
    }
}
