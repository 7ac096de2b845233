//! The TUI end to end, in tmux (send-keys, capture-pane), against a real docker-registry
//! seeded with the walkthrough graph.

mod common;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use common::proxy::{Faults, Proxy};
use common::{DistRegistry, digest_line, refscope, screen};
use refscope::tui::keymap;

struct Tmux {
    session: String,
}

impl Tmux {
    fn start(cwd: &Path, home: &Path, command: &str) -> Tmux {
        Tmux::start_sized(cwd, home, command, (120, 40))
    }

    fn start_sized(cwd: &Path, home: &Path, command: &str, (width, height): (u16, u16)) -> Tmux {
        common::require("tmux");
        let session = format!("refscope-e2e-{}-{}", std::process::id(), rand_suffix());
        let script = format!(
            "{} export TERM=xterm-256color; cd '{cwd}'; {command}; echo __EXITED__ $?; stty -a; sleep 120",
            common::isolate_in_shell(home),
            cwd = cwd.display()
        );
        let tui = Tmux { session };
        let ok = tui
            .tmux()
            .args(["new-session", "-d", "-s", &tui.session, "-x", &width.to_string(), "-y", &height.to_string(), "sh", "-c", &script])
            .status()
            .unwrap()
            .success();
        assert!(ok, "tmux new-session failed");
        tui
    }

    /// tmux on a server of this test's own (socket named after the session), which shares no
    /// environment or configuration with the user's tmux.
    fn tmux(&self) -> Command {
        let mut c = Command::new("tmux");
        c.args(["-L", &self.session, "-f", "/dev/null"]);
        c
    }

    fn send(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", &self.session];
        args.extend_from_slice(keys);
        assert!(self.tmux().args(&args).status().unwrap().success());
        std::thread::sleep(Duration::from_millis(60));
    }

    /// Types text literally.
    fn type_text(&self, text: &str) {
        assert!(self.tmux().args(["send-keys", "-t", &self.session, "-l", text]).status().unwrap().success());
        std::thread::sleep(Duration::from_millis(60));
    }

    fn screen(&self) -> String {
        let out = self.tmux().args(["capture-pane", "-p", "-t", &self.session]).output().unwrap();
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

    fn resize(&self, width: u16, height: u16) {
        let ok = self
            .tmux()
            .args(["resize-window", "-t", &self.session, "-x", &width.to_string(), "-y", &height.to_string()])
            .status()
            .unwrap()
            .success();
        assert!(ok, "tmux resize-window failed");
    }

    /// The dialog titled `title`, once the screen is drawn at `width` columns.
    fn dialog_at(&self, title: &str, width: u16) -> String {
        let drawn = |s: &str| s.lines().next().is_some_and(|l| l.chars().count() == width as usize || width > 80 && l.chars().count() > 80);
        let s = self.wait(&format!("the dialog {title:?} at {width} columns"), |s| drawn(s) && screen::dialog(s, title).is_some());
        screen::dialog(&s, title).unwrap_or_default()
    }

    /// Every word of the dialog as a 200x50 terminal shows it (below its border title), and
    /// of `more`, is whole in the dialog at 80x24, where its border title is `short`; a dialog
    /// taller than the screen is scrolled to its end (j) and then back to its top.
    fn fits_80x24(&self, title: &str, short: &str, more: &[&str]) {
        self.resize(200, 50);
        let roomy = self.dialog_at(title, 200);
        let body: Vec<&str> = roomy.lines().skip(1).collect();
        self.resize(80, 24);
        let mut screens = vec![self.dialog_at(short, 80)];
        let mut pressed = 0;
        while screens.last().is_some_and(|s| s.contains("more below")) {
            assert!(pressed < 200, "{title} never scrolls to its end");
            let before = screens.last().cloned().unwrap_or_default();
            self.send(&["j"]);
            pressed += 1;
            self.wait("the dialog scrolled", |s| screen::dialog(s, short).is_some_and(|d| d != before));
            screens.push(self.dialog_at(short, 80));
        }
        for _ in 0..pressed {
            self.send(&["k"]);
        }
        let mut texts = body;
        texts.extend_from_slice(more);
        screen::assert_words_whole(&screens, &texts, title);
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.tmux().args(["kill-session", "-t", &self.session]).status();
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
    tui.wait("tag v1 described", |s| s.contains("v1") && s.contains("IMG"));
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
    let dialog = screen::dialog(&plan, "Delete copied/net-monitor:v1?").unwrap_or_default();
    assert!(screen::flowing(&dialog).contains("referrers index, tag sha256-"), "{plan}");
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
async fn a_bare_refscope_offers_configured_registries_and_what_was_opened_lately() {
    let reg = DistRegistry::start();
    common::put_demo_image(&reg.addr, "net-monitor");
    let home = tempfile::tempdir().unwrap();
    let bin = env!("CARGO_BIN_EXE_refscope");
    let image = format!("{}/net-monitor:v1", reg.addr);
    let tree = |s: &str| s.contains("net-monitor:v1  ") && s.contains("no referrers");

    // A target opened from the command line is remembered.
    let tui = Tmux::start(home.path(), home.path(), &format!("'{bin}' {image}"));
    tui.wait("the tree", tree);
    tui.send(&["q"]);
    tui.wait_for("__EXITED__ 0");
    let state = home.path().join("state/refscope/recent.json");
    let kept = std::fs::read_to_string(&state).unwrap();
    assert!(kept.contains(&format!("\"target\": \"{image}\"")), "{kept}");
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(std::fs::metadata(&state).unwrap().permissions().mode() & 0o777, 0o600);

    // With a registry in the config file too, the bare command offers all three.
    let config = home.path().join("config/refscope");
    std::fs::create_dir_all(&config).unwrap();
    std::fs::write(config.join("config.toml"), format!("[registry.\"{}\"]\nalias = \"dev\"\n", reg.addr)).unwrap();
    let tui = Tmux::start(home.path(), home.path(), &format!("'{bin}'"));
    let s = tui.wait("the start screen, drawn whole", |s| s.contains("refscope: open what?") && s.contains("q quit"));
    for text in [&format!("▸ dev  {}", reg.addr), "Opened lately", &format!("  {image}"), "The bundled demo", "Enter open  j/k move  q quit"] {
        assert!(s.contains(text), "the start screen shows `{text}`:\n{s}");
    }
    // The recent target, opened with Enter: the same tree as from the command line.
    tui.send(&["j", "Enter"]);
    let s = tui.wait("the tree from the start screen", tree);
    assert!(!s.contains("open what?"), "the start screen is gone:\n{s}");
    tui.send(&["q"]);
    tui.wait_for("__EXITED__ 0");
    let kept: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&state).unwrap()).unwrap();
    assert_eq!(kept["recent"].as_array().map(Vec::len), Some(1), "opened twice, kept once: {kept}");

    // The demo is there too, last; q on the start screen quits.
    let tui = Tmux::start(home.path(), home.path(), &format!("'{bin}'"));
    tui.wait_for("refscope: open what?");
    tui.send(&["G", "Enter"]);
    tui.wait("the demo", |s| s.contains("layout ") && s.contains("signature/example (1)"));
    tui.send(&["q"]);
    tui.wait_for("__EXITED__ 0");
    let tui = Tmux::start(home.path(), home.path(), &format!("'{bin}'"));
    tui.wait_for("refscope: open what?");
    tui.send(&["q"]);
    let after = tui.wait_for("__EXITED__ 0");
    assert!(after.contains(" icanon"), "the terminal is restored:\n{after}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_401_asks_for_credentials_masks_them_and_saves_them() {
    let reg = DistRegistry::start_with(common::DistConfig { users: vec![("alice".into(), "s3cret-pw".into())], ..Default::default() });
    let img = reg.seeder().with_basic("alice", "s3cret-pw").image("private/app", "v1", b"layer").await;
    let home = tempfile::tempdir().unwrap();
    let log = home.path().join("trace.log");
    let tui = Tmux::start(
        home.path(),
        home.path(),
        &format!("REFSCOPE_LOG=trace REFSCOPE_LOG_FILE='{}' '{}' {}/private/app:v1", log.display(), env!("CARGO_BIN_EXE_refscope"), reg.addr),
    );
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
    // The password typed into the dialog went through the worker, the login and the save,
    // all traced: none of it may show it.
    let logged = std::fs::read_to_string(&log).unwrap();
    assert!(logged.len() > 1000, "trace logging was on ({} bytes)", logged.len());
    for secret in ["s3cret-pw", "YWxpY2U6czNjcmV0LXB3"] {
        assert!(!logged.contains(secret), "the log contains the password ({secret})");
    }
    // Nor one character of it at a time: keys are timed in the log, never named.
    assert!(!logged.contains("Char("), "the log names keys typed");
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

#[tokio::test(flavor = "multi_thread")]
async fn a_registry_that_hangs_leaves_the_tui_answering_keys() {
    let reg = DistRegistry::start();
    common::put_demo_image(&reg.addr, "net-monitor");
    // Connections are taken and never answered: not refused, just silent.
    let front = Proxy::start(&reg.addr, Faults::default());
    front.hang();
    let home = tempfile::tempdir().unwrap();
    let tui = Tmux::start(home.path(), home.path(), &format!("'{}' {}/net-monitor:v1", env!("CARGO_BIN_EXE_refscope"), front.addr));
    tui.wait_for("3 Referrers");
    tui.send(&["?"]);
    tui.wait_for("Keys (Esc closes");
    tui.send(&["Escape"]);
    tui.wait("help closed", |s| !s.contains("Keys (Esc closes"));
    front.recover();
    tui.wait("the tree once the registry answers", |s| s.contains("net-monitor:v1  ") && s.contains("no referrers"));
    tui.send(&["q"]);
    tui.wait_for("__EXITED__ 0");
}

/// Everything the pane was sent, escape sequences included, while `keys` were pressed in a
/// TUI started with `env` on the bundled demo.
fn raw_session(env: &str, keys: &[&str]) -> String {
    let home = tempfile::tempdir().unwrap();
    let raw = home.path().join("raw.out");
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let tui = Tmux::start(root, home.path(), &format!("{env} '{}'", env!("CARGO_BIN_EXE_refscope")));
    tui.wait_for("net-monitor:v1");
    let pipe = format!("cat >> '{}'", raw.display());
    assert!(tui.tmux().args(["pipe-pane", "-o", "-t", &tui.session, &pipe]).status().unwrap().success());
    tui.send(keys);
    tui.send(&["q"]);
    tui.wait_for("__EXITED__ 0");
    String::from_utf8_lossy(&std::fs::read(&raw).unwrap_or_default()).into_owned()
}

/// The parameters of every SGR sequence (`ESC [ … m`) in `raw`.
fn sgr_params(raw: &str) -> Vec<u32> {
    let mut out = Vec::new();
    for part in raw.split("\x1b[").skip(1) {
        let end = part.find(|c: char| !(c.is_ascii_digit() || c == ';')).unwrap_or(part.len());
        if part[end..].starts_with('m') {
            out.extend(part[..end].split(';').filter_map(|p| p.parse::<u32>().ok()));
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread")]
async fn no_color_turns_colours_off_and_y_copies_through_osc_52() {
    use base64::Engine;
    // Moving draws the panes again; `y` on the tree root copies its digest.
    let coloured = raw_session("", &["j", "k", "y"]);
    let plain = raw_session("NO_COLOR=1", &["j", "k", "y"]);
    let colour = |s: &str| sgr_params(s).iter().any(|p| matches!(p, 30..=38 | 40..=48 | 90..=97 | 100..=107));
    assert!(colour(&coloured), "colours without NO_COLOR: {coloured:?}");
    assert!(!colour(&plain), "no colour under NO_COLOR: {plain:?}");
    let digest = refscope(["resolve", "--oci-layout", "assets/net-monitor:v1"]).current_dir(Path::new(env!("CARGO_MANIFEST_DIR"))).ok();
    let expected = format!("\x1b]52;c;{}", base64::engine::general_purpose::STANDARD.encode(digest.trim()));
    assert!(plain.contains(&expected), "OSC 52 with the digest ({expected:?}) in: {plain:?}");

    // A theme in the config file colours the screen, and NO_COLOR still turns every colour off.
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.toml");
    std::fs::write(&config, "[theme]\naccent = \"208\"\nselection = \"201\"\n").unwrap();
    // Moving redraws the selected row; `y` shows its message in the accent colour.
    let themed = raw_session(&format!("REFSCOPE_CONFIG='{}'", config.display()), &["j", "k", "y"]);
    assert!(themed.contains("48;5;201") && themed.contains("38;5;208"), "the theme's colours are drawn: {themed:?}");
    let plain = raw_session(&format!("NO_COLOR=1 REFSCOPE_CONFIG='{}'", config.display()), &["j", "k", "y"]);
    assert!(!colour(&plain), "no colour under NO_COLOR, whatever the theme: {plain:?}");
}

/// What the status bar's hint row shows is whole hint entries.
fn hints_are_whole(screen_text: &str, context: keymap::Context) {
    let line = screen::bottom_rows(screen_text, 1);
    let entries = keymap::Keymap::default().hint_entries(context, false);
    for part in line.trim().split("  ") {
        assert!(entries.iter().any(|(e, _)| e == part), "{part:?} is not a whole hint:\n{screen_text}");
    }
}

/// Help at 80x24, scrolled to its end, shows every key and every word of what it does.
fn help_fits(tui: &Tmux) {
    tui.send(&["?"]);
    let rows = keymap::Keymap::default().help_rows(false);
    let mut screens = vec![tui.dialog_at("Keys", 80)];
    while !screens.last().is_some_and(|s| !s.contains("more below")) {
        assert!(screens.len() <= 3 * rows.len(), "help never reaches its end");
        tui.send(&["j"]);
        screens.push(tui.dialog_at("Keys", 80));
    }
    let all: Vec<String> = rows.iter().map(|r| format!("{} {} {}", r.context.title(), r.keys, r.description)).collect();
    screen::assert_words_whole(&screens, &all.iter().map(String::as_str).collect::<Vec<_>>(), "help in tmux at 80x24");
    tui.send(&["Escape"]);
    tui.wait("help closed", |s| !s.contains("Keys"));
}

const COMMAND_TITLE: &str = "Command (open REPO[:TAG], copy DEST, pull DIR, type T, attach, delete, help, quit)";

#[test]
fn every_dialog_of_the_demo_is_readable_at_80x24() {
    let home = tempfile::tempdir().unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let tui = Tmux::start_sized(root, home.path(), &format!("'{}'", env!("CARGO_BIN_EXE_refscope")), (80, 24));
    let s = tui.wait("the demo graph", |s| s.contains("signature/example (1)") && s.contains("layout scan"));
    hints_are_whole(&s, keymap::Context::Tree);
    help_fits(&tui);

    tui.send(&[":"]);
    tui.fits_80x24("Command (open", "Command", &[COMMAND_TITLE]);
    tui.type_text("frobnicate");
    tui.send(&["Enter"]);
    tui.wait_for("unknown command");
    tui.fits_80x24("Command (open", "Command", &[COMMAND_TITLE]);
    tui.send(&["Escape"]);

    tui.send(&["f"]);
    tui.fits_80x24("Show only referrers", "Show only referrers", &[]);
    tui.send(&["Escape"]);

    // The SBOM: root, readme group, readme, sbom group, sbom.
    tui.send(&["j", "j", "j", "j"]);
    // At 80x24 the details pane shows the SBOM's summary; its manifest is below.
    tui.wait_for("SBOM: SPDX 2.3");
    tui.send(&["d"]);
    tui.wait_for("y delete all of this");
    tui.fits_80x24("Delete net-monitor@", "Delete", &["y delete all of this · Esc cancel · j/k scroll"]);
    tui.send(&["Escape"]);
    tui.wait_for("nothing was deleted");

    tui.send(&["p"]);
    tui.fits_80x24("Pull", "Pull", &["Pull net-monitor@b027933b4147 into directory"]);
    tui.send(&["Escape"]);

    tui.send(&["a"]);
    tui.fits_80x24("Attach to", "Attach to", &["Enter preview · Tab/↓ next field · Esc cancel"]);
    tui.send(&["Escape"]);

    tui.send(&["c"]);
    tui.fits_80x24("Copy", "Copy", &["Copy net-monitor@b027933b4147 with its referrers to (REGISTRY/REPO[:TAG], or layout:PATH[:TAG])"]);
    let dest = home.path().join("copy-dest");
    tui.type_text(&format!("layout:{}", dest.display()));
    tui.send(&["Enter"]);
    tui.wait_for("to push");
    tui.fits_80x24("Copy net-monitor@", "Copy", &["manifest(s) to push, already there · blob(s) to send already there", "y copy · Esc cancel · j/k scroll — the tag is set last; x cancels while it runs"]);
    tui.send(&["Escape"]);
    tui.wait_for("nothing was written");
    assert!(!dest.exists(), "nothing was copied");

    tui.send(&["q"]);
    tui.wait_for("__EXITED__ 0");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_registry_at_80x24_its_dialogs_are_readable() {
    let reg = DistRegistry::start();
    common::seed_walkthrough(&reg.seeder(), "net-monitor").await;
    let home = tempfile::tempdir().unwrap();
    let tui = Tmux::start_sized(home.path(), home.path(), &format!("'{}' {}", env!("CARGO_BIN_EXE_refscope"), reg.addr), (80, 24));
    tui.wait_for("net-monitor");
    tui.send(&["Enter"]);
    tui.wait("tag v1 described", |s| s.contains("v1") && s.contains("IMG"));
    let s = tui.screen();
    hints_are_whole(&s, keymap::Context::Tags);
    tui.send(&["Enter"]);
    tui.wait_for("sbom/example (1)");
    help_fits(&tui);

    // The whole graph, from the root.
    tui.send(&["g", "d"]);
    tui.wait_for("y delete all of this");
    tui.fits_80x24("Delete net-monitor:v1?", "Delete net-monitor:v1?", &["y delete all of this · Esc cancel · j/k scroll"]);
    tui.send(&["Escape"]);

    tui.send(&["c"]);
    tui.type_text(&format!("{}/staging/net-monitor:v1", reg.addr));
    tui.send(&["Enter"]);
    tui.wait_for("to push");
    tui.fits_80x24("Copy net-monitor:v1", "Copy net-monitor:v1", &["manifest(s) to push, already there · blob(s) to send already there"]);
    tui.send(&["Escape"]);
    assert!(reg.seeder().tags("staging/net-monitor").await.is_empty(), "nothing was copied");

    tui.send(&["q"]);
    tui.wait_for("__EXITED__ 0");
}

/// The error a failed load leaves, and its remedy, every word at 80x24. Only one load runs
/// (the catalog of a registry that is not there), so the message cannot change under the
/// check.
#[test]
fn the_error_of_a_registry_that_is_not_there_is_readable_at_80x24() {
    let addr = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().to_string()
    };
    let home = tempfile::tempdir().unwrap();
    let tui = Tmux::start_sized(home.path(), home.path(), &format!("'{}' {addr}", env!("CARGO_BIN_EXE_refscope")), (200, 50));
    let roomy = tui.wait("the error", |s| s.contains("error:") && s.contains("press r to retry"));
    let error = roomy.lines().find(|l| l.contains("error:")).unwrap_or_default().trim().to_string();
    assert!(error.contains(&format!("cannot reach {addr}")) && error.ends_with("press r to retry"), "one line at 200 columns: {error}");
    tui.resize(80, 24);
    // tmux cuts the wide rows at once; only the TUI's own 80-column frame shows the end again.
    let small = tui.wait("the error redrawn at 80 columns", |s| {
        s.lines().next().is_some_and(|l| l.chars().count() == 80) && screen::flowing(&screen::bottom_rows(s, 4)).ends_with("press r to retry")
    });
    screen::assert_words_whole(&[screen::bottom_rows(&small, 4)], &[&error], "the error in tmux at 80x24");
    tui.send(&["q"]);
    tui.wait_for("__EXITED__ 0");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_cache_goes_where_refscope_cache_dir_says_and_is_sized_by_refscope_cache_mib() {
    let reg = DistRegistry::start();
    common::put_demo_image(&reg.addr, "net-monitor");
    let files = |d: &Path| -> usize {
        ["content", "state"].iter().map(|s| std::fs::read_dir(d.join(s)).map(|r| r.count()).unwrap_or(0)).sum()
    };
    let run = |env: &str, home: &Path| {
        let tui = Tmux::start(home, home, &format!("{env} '{}' {}/net-monitor:v1", env!("CARGO_BIN_EXE_refscope"), reg.addr));
        tui.wait("the tree", |s| s.contains("net-monitor:v1  ") && s.contains("no referrers"));
        tui.send(&["q"]);
        tui.wait_for("__EXITED__ 0");
    };
    let home = tempfile::tempdir().unwrap();
    let moved = home.path().join("elsewhere");
    run(&format!("REFSCOPE_CACHE_DIR='{}'", moved.display()), home.path());
    assert!(files(&moved) > 0, "the cache is where REFSCOPE_CACHE_DIR says");
    assert!(!home.path().join("cache/refscope/store").exists(), "and not in the default place");
    // A limit of 0 MiB keeps nothing: every write is evicted again.
    let empty = home.path().join("sized");
    run(&format!("REFSCOPE_CACHE_DIR='{}' REFSCOPE_CACHE_MIB=0", empty.display()), home.path());
    assert!(empty.join("content").is_dir(), "the cache was opened");
    assert_eq!(files(&empty), 0, "REFSCOPE_CACHE_MIB=0 leaves nothing in it");
}

/// The rows of a release's graph that every way to it must show.
fn release_rows(s: &str) -> bool {
    ["INDEX app:v1", "platforms (2)", "IMG linux/amd64", "IMG linux/arm64", "SBOM SPDX SBOM (1)", "SIG sigstore bundle (1)", "SIG cosign signature · cosign tag sha256-"]
        .iter()
        .all(|row| s.contains(row))
}

#[tokio::test(flavor = "multi_thread")]
async fn a_release_shows_the_same_graph_browsed_to_opened_directly_and_refreshed() {
    let reg = DistRegistry::start();
    let r = common::release::seed(&reg.addr, "app", "v1", true).await;
    let home = tempfile::tempdir().unwrap();
    let bin = env!("CARGO_BIN_EXE_refscope");

    let browsed = Tmux::start(home.path(), home.path(), &format!("'{bin}' {}", reg.addr));
    browsed.wait_for("app");
    browsed.send(&["Enter"]);
    let tags = browsed.wait("v1 described", |s| s.contains("v1") && s.contains("INDEX"));
    assert!(!tags.contains(&r.cosign_tag[..20]), "the cosign tag stays out of the tags pane:\n{tags}");
    browsed.send(&["Enter"]);
    let screen = browsed.wait("the release graph, browsed to", release_rows);
    assert!(screen.contains("no Referrers API: tag schema"), "{screen}");
    browsed.send(&["r"]);
    browsed.wait("the graph after a refresh", |s| s.contains("refreshed") && release_rows(s));
    browsed.send(&["q"]);
    browsed.wait_for("__EXITED__ 0");

    let direct = Tmux::start_sized(home.path(), home.path(), &format!("'{bin}' {}/app:v1", reg.addr), (80, 24));
    let screen = direct.wait("the release graph, opened directly at 80x24", |s| s.contains("platforms (2)") && s.contains("IMG linux/amd64"));
    assert!(screen.contains("INDEX app:v1"), "{screen}");
    // The platform's own attestation, one level down.
    direct.send(&["3", "j", "j", "l"]);
    direct.wait("the amd64 platform's provenance", |s| s.contains("ATT in-toto attestation (1)") || s.contains("ATT SLSA provenance (1)"));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_real_cyclonedx_sbom_is_summarised_viewed_searched_and_left() {
    common::require("python3");
    let reg = DistRegistry::start();
    let w = tempfile::tempdir().unwrap();
    // A CycloneDX SBOM of the Python environment the tests run in, made by cyclonedx-bom.
    let made = Command::new("python3")
        .args(["-m", "cyclonedx_py", "environment", "--of", "JSON", "-o", "bom.json"])
        .current_dir(w.path())
        .output()
        .expect("python3 runs");
    assert!(made.status.success(), "cyclonedx-bom failed (scripts/test installs it):\n{}", String::from_utf8_lossy(&made.stderr));
    let bom: serde_json::Value = serde_json::from_slice(&common::read(w.path().join("bom.json"))).unwrap();
    let components = bom["components"].as_array().map_or(0, Vec::len);
    assert!(components > 0, "the environment has packages");
    common::put_demo_image(&reg.addr, "net-monitor");
    let image = format!("{}/net-monitor:v1", reg.addr);
    refscope(["attach", &image, "--artifact-type", "application/vnd.cyclonedx+json", "./bom.json:application/vnd.cyclonedx+json"]).current_dir(w.path()).ok();

    let home = tempfile::tempdir().unwrap();
    let tui = Tmux::start(w.path(), home.path(), &format!("'{}' {image}", env!("CARGO_BIN_EXE_refscope")));
    tui.wait_for("CycloneDX SBOM (1)");
    // The root, the SBOM heading, the SBOM.
    tui.send(&["j", "j"]);
    let screen = tui.wait("the SBOM's summary", |s| s.contains("SBOM: CycloneDX"));
    assert!(screen.contains(&format!("Packages: {components}")), "{screen}");

    tui.send(&["4", "Enter"]);
    tui.wait("the viewer", |s| s.contains("/ search") && s.contains("line 1 of"));
    tui.send(&["/"]);
    tui.type_text("bomFormat");
    tui.send(&["Enter"]);
    let found = tui.wait("the match", |s| s.contains("match 1 of 1"));
    assert!(found.contains("\"bomFormat\": \"CycloneDX\""), "{found}");

    tui.send(&["q"]);
    let back = tui.wait("the panes again", |s| s.contains("4 Details") && s.contains("SBOM: CycloneDX"));
    assert!(!back.contains("/ search"), "{back}");
    tui.send(&["q"]);
    tui.wait_for("__EXITED__ 0");
}
