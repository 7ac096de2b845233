//! The TUI end to end, in tmux (send-keys, capture-pane), against a real docker-registry
//! seeded with the walkthrough graph.

mod common;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use common::{DistRegistry, digest_line, refscope};

struct Tmux {
    session: String,
}

impl Tmux {
    fn start(cwd: &Path, home: &Path, command: &str) -> Tmux {
        common::require("tmux");
        let session = format!("refscope-e2e-{}-{}", std::process::id(), rand_suffix());
        let script = format!(
            "export HOME='{home}' DOCKER_CONFIG='{home}/docker' XDG_CACHE_HOME='{home}/cache' REFSCOPE_NO_KEYRING=1 TERM=xterm-256color; \
             unset REFSCOPE_USERNAME REFSCOPE_PASSWORD; cd '{cwd}'; {command}; echo __EXITED__ $?; stty -a; sleep 120",
            home = home.display(),
            cwd = cwd.display()
        );
        let ok = Command::new("tmux")
            .args(["new-session", "-d", "-s", &session, "-x", "120", "-y", "40", "sh", "-c", &script])
            .status()
            .unwrap()
            .success();
        assert!(ok, "tmux new-session failed");
        Tmux { session }
    }

    fn send(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", &self.session];
        args.extend_from_slice(keys);
        assert!(Command::new("tmux").args(&args).status().unwrap().success());
        std::thread::sleep(Duration::from_millis(60));
    }

    /// Types text literally.
    fn type_text(&self, text: &str) {
        assert!(Command::new("tmux").args(["send-keys", "-t", &self.session, "-l", text]).status().unwrap().success());
        std::thread::sleep(Duration::from_millis(60));
    }

    fn screen(&self) -> String {
        let out = Command::new("tmux").args(["capture-pane", "-p", "-t", &self.session]).output().unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Waits until the screen satisfies `pred`; fails with the screen when it never does.
    fn wait(&self, what: &str, pred: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let s = self.screen();
            if pred(&s) {
                return s;
            }
            assert!(Instant::now() < deadline, "timed out waiting for {what}; screen:\n{s}");
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn wait_for(&self, text: &str) -> String {
        self.wait(text, |s| s.contains(text))
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux").args(["kill-session", "-t", &self.session]).status();
    }
}

fn rand_suffix() -> u128 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos() % 1_000_000).unwrap_or(0)
}

fn short16(digest: &str) -> String {
    digest.chars().take("sha256:".len() + 16).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn browse_pull_attach_copy_delete_quit() {
    let reg = DistRegistry::start();
    let w = common::walkthrough_files();
    let run = |args: &[&str]| refscope(args).current_dir(w.path()).ok();
    common::put_demo_image(&reg.addr, "net-monitor");
    let image = format!("{}/net-monitor:v1", reg.addr);
    run(&["attach", &image, "--artifact-type", "signature/example", "./signature.json:application/json"]);
    let sbom = digest_line(&run(&["attach", &image, "--artifact-type", "sbom/example", "./sbom.json:application/json"]));
    let sbom_sig = digest_line(&run(&["attach", &format!("{}/net-monitor@{sbom}", reg.addr), "--artifact-type", "signature/example", "./sbom-signature.json:application/json"]));
    run(&["attach", &image, "--artifact-type", "readme/example", "./readme.md:application/markdown"]);
    std::fs::write(w.path().join("note.txt"), "a note attached from the TUI\n").unwrap();

    let home = tempfile::tempdir().unwrap();
    let tui = Tmux::start(w.path(), home.path(), &format!("'{}' {}", env!("CARGO_BIN_EXE_refscope"), reg.addr));

    // Open the repository and the tag; the small graph opens whole, down to the SBOM's signature.
    tui.wait_for("net-monitor");
    tui.send(&["Enter"]);
    tui.wait("tag v1 described", |s| s.contains("v1") && s.contains("image"));
    tui.send(&["Enter"]);
    let screen = tui.wait("the SBOM's signature", |s| s.contains(&short16(&sbom_sig)));
    assert!(screen.contains("tag schema"), "the status bar names the referrers mode:\n{screen}");
    assert!(screen.contains("sbom/example (1)"), "{screen}");

    // Select the SBOM: root, readme group, readme, sbom group, sbom.
    tui.send(&["j", "j", "j", "j"]);
    tui.wait("the SBOM's details", |s| s.contains(&format!("Digest     {}", &sbom[..40])));

    // Pull it into the working directory.
    tui.send(&["p"]);
    tui.wait_for("Pull net-monitor@");
    tui.send(&["Enter"]);
    tui.wait_for("pulled 1 file(s)");
    let pulled = format!("net-monitor-{}", &sbom["sha256:".len().."sha256:".len() + 12]);
    assert_eq!(common::read(w.path().join(&pulled).join("sbom.json")), common::read(w.path().join("sbom.json")));

    // Attach a file to the SBOM, after a preview of the manifest.
    tui.send(&["a"]);
    tui.wait_for("Attach to net-monitor@");
    tui.type_text("note.txt:text/plain");
    tui.send(&["Down"]);
    tui.type_text("note/example");
    tui.send(&["Enter"]);
    tui.wait_for("This manifest will be pushed");
    tui.send(&["y"]);
    tui.wait_for("attached");
    tui.wait_for("note/example (1)");

    // Copy the whole graph to another repository; the plan shows before anything is written.
    tui.send(&["g"]);
    tui.send(&["c"]);
    tui.wait_for("Copy net-monitor:v1 with its referrers");
    tui.type_text(&format!("{}/copied/net-monitor:v1", reg.addr));
    tui.send(&["Enter"]);
    tui.wait_for("manifest(s) to push");
    assert!(reg.seeder().tags("copied/net-monitor").await.is_empty(), "nothing written before confirming");
    tui.send(&["y"]);
    tui.wait_for("copied to");
    tui.send(&[":"]);
    tui.type_text("open copied/net-monitor:v1");
    tui.send(&["Enter"]);
    let copied = tui.wait("the same tree in the copy", |s| s.contains("copied/net-monitor:v1") && s.contains(&short16(&sbom_sig)) && s.contains("note/example"));
    assert!(copied.contains("sbom/example (1)"), "{copied}");

    // Delete the copy with its referrers; the plan lists everything first.
    tui.send(&["3", "g", "d"]);
    tui.wait_for("Delete copied/net-monitor:v1?");
    let plan = tui.wait_for("y delete all of this");
    assert!(plan.contains("referrers index, tag sha256-"), "{plan}");
    tui.send(&["y"]);
    tui.wait_for("deleted copied/net-monitor:v1");
    tui.wait("the copy gone", |s| s.contains("no tags") && s.contains("Pick a tag"));
    let err = refscope(["resolve", &format!("{}/copied/net-monitor:v1", reg.addr)]).fails();
    assert!(err.contains("not found"), "{err}");
    assert!(reg.seeder().tags("copied/net-monitor").await.is_empty(), "no tag, no sha256- index left");

    // Quit: the terminal comes back in cooked mode.
    tui.send(&["q"]);
    let after = tui.wait_for("__EXITED__ 0");
    assert!(after.contains(" icanon") && after.contains(" echo "), "the terminal is restored:\n{after}");
}

#[test]
fn the_bare_command_opens_the_demo() {
    let home = tempfile::tempdir().unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let tui = Tmux::start(root, home.path(), &format!("'{}'", env!("CARGO_BIN_EXE_refscope")));
    // The catalog and the tree load side by side; wait for both.
    let screen = tui.wait("the demo graph and both repositories", |s| {
        s.contains("layout assets │") && s.contains("signature/example (1)") && s.contains("Repositories (2)")
    });
    assert!(screen.contains("sbom/example (1)") && screen.contains("readme/example (1)"), "{screen}");
    assert!(screen.contains("▸ net-monitor") && screen.contains("  release"), "{screen}");
    tui.send(&["?"]);
    tui.wait_for("Keys (Esc closes");
    tui.send(&["Escape"]);
    tui.wait("help closed", |s| !s.contains("Keys (Esc closes"));
    tui.send(&["q"]);
    let after = tui.wait_for("__EXITED__ 0");
    assert!(after.contains(" icanon"), "{after}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_401_asks_for_credentials_masks_them_and_saves_them() {
    let reg = DistRegistry::start_with(common::DistConfig { users: vec![("alice".into(), "s3cret-pw".into())], ..Default::default() });
    let img = reg.seeder().with_basic("alice", "s3cret-pw").image("private/app", "v1", b"layer").await;
    let home = tempfile::tempdir().unwrap();
    let tui = Tmux::start(home.path(), home.path(), &format!("'{}' {}/private/app:v1", env!("CARGO_BIN_EXE_refscope"), reg.addr));
    tui.wait_for(&format!("Log in to {}", reg.addr));
    tui.type_text("alice");
    tui.send(&["Tab"]);
    tui.type_text("s3cret-pw");
    let screen = tui.wait_for("•••••••••");
    assert!(!screen.contains("s3cret-pw"), "the password is masked:\n{screen}");
    tui.send(&["Tab", "Space", "Enter"]);
    tui.wait_for(&format!("logged in to {}; saved in", reg.addr));
    let screen = tui.wait("the tree after login", |s| s.contains(&format!("private/app:v1  {}", img.digest.short())));
    assert!(screen.contains("alice (from the login dialog)"), "the status bar says who we are:\n{screen}");
    assert!(!screen.contains("s3cret-pw"));
    tui.send(&["q"]);
    tui.wait_for("__EXITED__ 0");
    let saved = std::fs::read_to_string(home.path().join("docker/config.json")).unwrap();
    assert!(saved.contains(&reg.addr), "saved for next time: {saved}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_registry_killed_and_restarted_is_reported_and_recovered_on_refresh() {
    let mut reg = DistRegistry::start();
    common::put_demo_image(&reg.addr, "net-monitor");
    let home = tempfile::tempdir().unwrap();
    let tui = Tmux::start(home.path(), home.path(), &format!("'{}' {}/net-monitor:v1", env!("CARGO_BIN_EXE_refscope"), reg.addr));
    tui.wait("the tree", |s| s.contains("net-monitor:v1  ") && s.contains("no referrers"));
    reg.stop();
    tui.send(&["r"]);
    tui.wait_for(&format!("cannot reach {}", reg.addr));
    // Still answering keys while the registry is gone.
    tui.send(&["?"]);
    tui.wait_for("Keys (Esc closes");
    tui.send(&["Escape"]);
    tui.wait("help closed", |s| !s.contains("Keys (Esc closes"));
    reg.restart();
    tui.send(&["r"]);
    tui.wait("recovered", |s| s.contains("no referrers") && !s.contains("cannot reach"));
    tui.send(&["q"]);
    tui.wait_for("__EXITED__ 0");
}
