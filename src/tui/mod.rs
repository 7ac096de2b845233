//! The terminal UI: a pure model ([`app`]) changed by a reducer, drawn by pure functions
//! ([`ui`]), with every network and disk operation in a background [`worker`].

pub mod app;
pub mod headless;
pub mod inspect_view;
pub mod keymap;
pub mod protocol;
pub mod recent;
pub mod start_screen;
pub mod ui;
pub mod verbs;
pub mod view_model;
pub mod worker;

use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crossterm::event::{Event, EventStream, KeyEventKind};
use futures_util::StreamExt;
use tokio::sync::mpsc::UnboundedReceiver;

use self::app::{App, Message, Msg, Options, update};
use self::keymap::Keymap;
use self::recent::{Recent, RecentFile};
use self::start_screen::{Outcome, StartScreen};
use self::ui::palette::Palette;
use self::protocol::Effect;
use crate::cache::{CachedTarget, DiskCache};
use crate::config::Config;
use crate::error::{Error, Result};
use crate::oci::{Reference, parse_registry_and_namespace};
use crate::store::Target;
use crate::store::layouts::LayoutDir;
use crate::store::open::{Location, Session, split_layout_ref};

/// How often a busy screen redraws (spinners, progress bars).
const TICK: Duration = Duration::from_millis(120);
/// The least time between two redraws caused by background events.
const FRAME: Duration = Duration::from_millis(16);

/// What to open.
pub struct Start {
    /// `REGISTRY[/REPO[:TAG|@DIGEST]]`, or a layout path with `layout`; `None` opens the demo.
    pub target: Option<String>,
    pub layout: bool,
    pub read_only: bool,
    pub session: Session,
    pub config_path: Option<PathBuf>,
    /// Where the disk cache lives; `None` for the default place.
    pub cache_dir: Option<PathBuf>,
    /// What the status bar says at start (see [`Start::with_config`]).
    pub startup_message: Option<Message>,
    /// The largest blob read to inspect an artifact, in bytes.
    pub max_blob: u64,
}

impl Start {
    /// What a bare `refscope` opens: the demo, default flags, no credentials.
    pub fn demo() -> Start {
        Start {
            target: None,
            layout: false,
            read_only: false,
            session: Session::with_chain(crate::creds::Chain::default(), false, false),
            config_path: None,
            cache_dir: None,
            startup_message: None,
            max_blob: crate::inspect::DEFAULT_MAX_BLOB,
        }
    }

    /// A registry target with no credentials and no keyring probing (scripts, tests, benchmarks).
    pub fn anonymous(target: &str, cache_dir: Option<PathBuf>) -> Start {
        let chain = crate::creds::Chain {
            no_keyring: true,
            config_path: Some(PathBuf::from("/nonexistent/config.json")),
            ..Default::default()
        };
        Start {
            target: Some(target.to_string()),
            layout: false,
            read_only: false,
            session: Session::with_chain(chain, false, false),
            config_path: None,
            cache_dir,
            startup_message: None,
            max_blob: crate::inspect::DEFAULT_MAX_BLOB,
        }
    }

    /// With the settings of a config file. A file that could not be read or parsed leaves
    /// the defaults in force, and the status bar says why; keys nothing reads are named there.
    pub fn with_config(mut self, loaded: Result<Config>) -> Start {
        let config = match loaded {
            Ok(c) => c,
            Err(e) => {
                tracing::warn!("{e}; starting with default settings");
                self.startup_message = Some(Message::error(format!("{e}; started with default settings")));
                Config::default()
            }
        };
        if let Some(path) = &config.path
            && !config.warnings.is_empty()
        {
            let keys: Vec<String> = config.warnings.iter().map(|k| format!("`{k}`")).collect();
            let text = format!("config {}: unknown key {} (ignored)", path.display(), keys.join(", "));
            tracing::warn!("{text}");
            self.startup_message.get_or_insert(Message::info(text));
        }
        self.session = self.session.with_config(Arc::new(config));
        self
    }
}

/// The bundled demo, a directory of layouts: `assets/` next to the working directory or in
/// the source tree, else generated (it is deterministic) into the cache directory.
pub async fn demo_dir() -> Result<PathBuf> {
    for candidate in [
        PathBuf::from(crate::demo::ASSETS_PATH),
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(crate::demo::ASSETS_PATH),
    ] {
        if crate::demo::is_complete(&candidate) {
            return Ok(candidate);
        }
    }
    let dir = directories::ProjectDirs::from("", "", "refscope")
        .map(|d| d.cache_dir().join("demo"))
        .ok_or_else(|| Error::usage("no cache directory for the demo; pass a registry or --oci-layout PATH"))?;
    if !crate::demo::is_complete(&dir) {
        // An older refscope may have left a demo of fewer repositories there.
        if dir.exists() {
            std::fs::remove_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
        }
        crate::demo::generate(&dir).await?;
    }
    Ok(dir)
}

/// Works out the worker's context and the model's options from the command line.
pub async fn prepare(start: Start) -> Result<(worker::Context, Options)> {
    let opened = open(&start).await?;
    Ok(opened.into_parts(start))
}

/// What a start opens, worked out without taking the start apart: a target that will not
/// open leaves it whole, for the start screen to offer another.
struct Opened {
    target: Arc<dyn Target>,
    registry: Option<Arc<crate::store::registry::Registry>>,
    cache: Option<Arc<DiskCache>>,
    opts: Options,
}

impl Opened {
    fn into_parts(self, start: Start) -> (worker::Context, Options) {
        let ctx = worker::Context {
            target: self.target,
            registry: self.registry,
            session: Arc::new(start.session),
            config_path: start.config_path,
            keyring: crate::creds::keyring_allowed(),
            cache: self.cache,
            limits: crate::inspect::Limits {
                max_blob: start.max_blob,
                max_total: start.max_blob.saturating_mul(4),
                ..crate::inspect::Limits::default()
            },
        };
        (ctx, self.opts)
    }
}

async fn open(start: &Start) -> Result<Opened> {
    let base = base_options(start);
    let Some(input) = start.target.clone() else {
        let dir = demo_dir().await?;
        let opened = (crate::demo::REPO.to_string(), crate::demo::TAG.to_string());
        return open_layout_dir(base, &dir, Some(opened));
    };
    if start.layout {
        let (path, tag, digest) = split_layout_ref(&input)?;
        if tag.is_none() && digest.is_none() && LayoutDir::holds_layouts(&path) {
            return open_layout_dir(base, &path, None);
        }
        let loc = Location::layout(&input, false)?;
        let opts = Options {
            target_label: format!("layout {}", path.display()),
            registry: None,
            has_catalog: false,
            repo: Some(loc.repo.clone()),
            reference: loc.digest.as_ref().map(|d| d.to_string()).or(loc.tag.clone()),
            ..base
        };
        return Ok(Opened { target: loc.target, registry: None, cache: None, opts });
    }
    let (host, repo, reference) = if input.trim_end_matches('/').contains('/') {
        let r = Reference::parse(&input)?;
        let reference = r.target();
        (r.registry, Some(r.repository), reference)
    } else {
        (parse_registry_and_namespace(&input)?.0, None, None)
    };
    let registry = start.session.registry(&host)?;
    let opts = Options {
        referrers_set_in_config: registry.forced_mode().is_some(),
        target_label: host.clone(),
        registry: Some(host),
        has_catalog: true,
        repo,
        reference,
        ..base
    };
    let cache = match &start.cache_dir {
        Some(dir) => DiskCache::open(dir, crate::cache::DEFAULT_LIMIT),
        None => DiskCache::open_default(),
    }
    .map(Arc::new);
    let target: Arc<dyn Target> = match &cache {
        Some(c) => Arc::new(CachedTarget::new(registry.clone(), c.clone())),
        None => registry.clone(),
    };
    Ok(Opened { target, registry: Some(registry), cache, opts })
}

/// The options that do not depend on what is opened: flags, `NO_COLOR`, the config file's
/// keys and theme, the startup message. Keys or colours the file gets wrong leave the
/// defaults, and say why.
fn base_options(start: &Start) -> Options {
    let config = start.session.config();
    let mut problems = Vec::new();
    let keys = Keymap::from_config(config).unwrap_or_else(|e| {
        problems.push(format!("{e}; using the default keys"));
        Keymap::default()
    });
    let palette = Palette::from_config(config).unwrap_or_else(|e| {
        problems.push(format!("{e}; using the default colours"));
        Palette::default()
    });
    for p in &problems {
        tracing::warn!("{p}");
    }
    let startup_message = if problems.is_empty() { start.startup_message.clone() } else { Some(Message::error(problems.join("; and "))) };
    Options {
        read_only: start.read_only,
        color: std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()),
        startup_message,
        keys,
        palette,
        ..Options::default()
    }
}

/// A directory of layouts: its repositories listed like a registry's catalog, `opened` (a
/// repository and tag) shown at start.
fn open_layout_dir(base: Options, dir: &std::path::Path, opened: Option<(String, String)>) -> Result<Opened> {
    let store = LayoutDir::open(dir)?;
    let (repo, reference) = opened.unzip();
    let opts = Options {
        target_label: format!("layout {}", dir.display()),
        registry: None,
        has_catalog: true,
        repo,
        reference,
        ..base
    };
    Ok(Opened { target: Arc::new(store), registry: None, cache: None, opts })
}

fn restore_terminal() {
    let _ = crossterm::terminal::disable_raw_mode();
    let mut out = std::io::stdout();
    let _ = crossterm::execute!(
        out,
        crossterm::event::DisableBracketedPaste,
        crossterm::terminal::LeaveAlternateScreen,
        crossterm::cursor::Show
    );
    let _ = out.flush();
}

/// What the TUI shows first: the target it was given (or the demo), or the start screen.
enum First {
    Opened(Opened),
    Screen(StartScreen),
}

/// Runs the TUI until the user quits; the terminal is restored on every way out. A bare
/// `refscope` shows the start screen first when there is more than the demo to offer.
pub async fn run(mut start: Start) -> Result<()> {
    let recent = RecentFile::default_place();
    let first = match start_screen(&mut start, recent.as_ref()) {
        Some(screen) => First::Screen(screen),
        None => First::Opened(open(&start).await?),
    };
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        restore_terminal();
        hook(info);
    }));
    crossterm::terminal::enable_raw_mode().map_err(|e| Error::io("terminal", e))?;
    crossterm::execute!(
        std::io::stdout(),
        crossterm::terminal::EnterAlternateScreen,
        crossterm::event::EnableBracketedPaste
    )
    .map_err(|e| Error::io("terminal", e))?;
    let result = async {
        let opened = match first {
            First::Opened(o) => o,
            First::Screen(mut screen) => match choose(&mut start, &mut screen).await? {
                Some(o) => o,
                None => return Ok(()),
            },
        };
        remember(recent.as_ref(), &start);
        let (ctx, opts) = opened.into_parts(start);
        event_loop(ctx, opts).await
    }
    .await;
    restore_terminal();
    result
}

/// The start screen for a start without a target, when it has more than the demo to offer.
/// A state file that cannot be read is said on the screen, or else in the status bar.
fn start_screen(start: &mut Start, recent: Option<&RecentFile>) -> Option<StartScreen> {
    if start.target.is_some() {
        return None;
    }
    let (list, problem) = match recent.map(RecentFile::load) {
        Some(Ok(list)) => (list, None),
        Some(Err(e)) => {
            tracing::warn!("{e}");
            (Vec::new(), Some(Message::error(e.to_string())))
        }
        None => (Vec::new(), None),
    };
    let mut screen = StartScreen::new(start.session.config(), &list);
    if !screen.worth_showing() {
        if let Some(p) = problem {
            start.startup_message.get_or_insert(p);
        }
        return None;
    }
    screen.message = problem.or_else(|| base_options(start).startup_message);
    Some(screen)
}

/// Shows the start screen until what was picked opens (`None`: the user quit). What does not
/// open is said on the screen, which stays.
async fn choose(start: &mut Start, screen: &mut StartScreen) -> Result<Option<Opened>> {
    let backend = ratatui::backend::CrosstermBackend::new(std::io::stdout());
    let mut terminal = ratatui::Terminal::new(backend).map_err(|e| Error::io("terminal", e))?;
    let base = base_options(start);
    let theme = ui::Theme::new(base.color, base.palette);
    let mut input = EventStream::new();
    loop {
        if let Ok(size) = terminal.size() {
            screen.page = (size.height / 2).max(1) as usize;
        }
        terminal.draw(|f| ui::start_screen::draw(f, screen, &base.keys, &theme)).map_err(|e| Error::io("terminal", e))?;
        match input.next().await {
            Some(Ok(Event::Key(k))) if k.kind != KeyEventKind::Release => screen.on_key(&k, &base.keys),
            Some(Ok(_)) => continue,
            Some(Err(e)) => return Err(Error::io("terminal", e)),
            None => return Ok(None),
        }
        match screen.outcome.clone() {
            None => {}
            Some(Outcome::Quit) => return Ok(None),
            Some(Outcome::Open(choice)) => {
                (start.target, start.layout) = choice.target();
                match open(start).await {
                    Ok(opened) => {
                        // The panes are drawn from scratch, not over the start screen.
                        terminal.clear().map_err(|e| Error::io("terminal", e))?;
                        return Ok(Some(opened));
                    }
                    Err(e) => screen.failed(e.to_string()),
                }
            }
        }
    }
}

/// Keeps what was opened for the next start screen (the demo is always offered there). A
/// layout is kept by its absolute path, so it opens again from any directory.
fn remember(file: Option<&RecentFile>, start: &Start) {
    let (Some(file), Some(target)) = (file, &start.target) else { return };
    let absolute = || {
        let (path, _, _) = split_layout_ref(target).ok()?;
        let rest = target.strip_prefix(path.to_str()?)?;
        Some(format!("{}{rest}", std::path::absolute(&path).ok()?.display()))
    };
    let target = if start.layout { absolute().unwrap_or_else(|| target.clone()) } else { target.clone() };
    if let Err(e) = file.record(Recent { target, layout: start.layout }) {
        tracing::warn!("{e}");
    }
}

/// Terminal input, read on a thread of its own. Each event carries when it was read, so a
/// key's way to the screen can be timed (debug log target `refscope::tui::latency`). After the
/// event loop ends the thread stays blocked in its read until the process exits or one more
/// event comes.
fn read_input() -> UnboundedReceiver<(Instant, std::io::Result<Event>)> {
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    std::thread::spawn(move || {
        loop {
            let event = crossterm::event::read();
            let failed = event.is_err();
            // The event loop has ended (a send fails), or the terminal has.
            if tx.send((Instant::now(), event)).is_err() || failed {
                break;
            }
        }
    });
    rx
}

async fn event_loop(ctx: worker::Context, opts: Options) -> Result<()> {
    let backend = ratatui::backend::CrosstermBackend::new(std::io::stdout());
    let mut terminal = ratatui::Terminal::new(backend).map_err(|e| Error::io("terminal", e))?;
    let (effects, mut events) = worker::spawn(ctx);
    let mut app = App::new(opts);
    if let Ok(size) = terminal.size() {
        app.size = (size.width, size.height);
    }
    let dispatch = |fx: Vec<Effect>| {
        for e in fx {
            match e {
                Effect::Clipboard(text) => {
                    let _ = crossterm::execute!(std::io::stdout(), crossterm::clipboard::CopyToClipboard::to_clipboard_from(text));
                }
                other => {
                    let _ = effects.send(other);
                }
            }
        }
    };
    dispatch(app.init());
    let mut view = ui::ViewState::default();
    let mut input = read_input();
    let mut tick = tokio::time::interval(TICK);
    let mut dirty = true;
    let mut last_draw = Instant::now() - FRAME;
    loop {
        if dirty && last_draw.elapsed() >= FRAME {
            terminal.draw(|f| ui::draw(f, &app, &mut view)).map_err(|e| Error::io("terminal", e))?;
            last_draw = Instant::now();
            dirty = false;
        }
        let next_frame = tokio::time::Instant::from_std(last_draw + FRAME);
        let fx = tokio::select! {
            ev = input.recv() => match ev {
                Some((read, Ok(Event::Key(k)))) if k.kind != KeyEventKind::Release => {
                    let fx = update(&mut app, Msg::Key(k));
                    // Keys draw at once, whatever the frame pacing.
                    terminal.draw(|f| ui::draw(f, &app, &mut view)).map_err(|e| Error::io("terminal", e))?;
                    last_draw = Instant::now();
                    dirty = false;
                    // Never which key: it may be a character of a password being typed.
                    let character = matches!(k.code, crossterm::event::KeyCode::Char(_));
                    tracing::debug!(target: "refscope::tui::latency", character, drawn_us = last_draw.duration_since(read).as_micros() as u64, "key read to frame written");
                    fx
                }
                Some((_, Ok(Event::Paste(text)))) => {
                    dirty = true;
                    update(&mut app, Msg::Paste(text))
                }
                Some((_, Ok(Event::Resize(w, h)))) => {
                    dirty = true;
                    update(&mut app, Msg::Resize(w, h))
                }
                Some((_, Ok(_))) => Vec::new(),
                Some((_, Err(e))) => return Err(Error::io("terminal", e)),
                None => break,
            },
            Some(ev) = events.recv() => {
                dirty = true;
                let mut fx = update(&mut app, Msg::Worker(ev));
                // Take whatever else has arrived, so a flood of progress is one redraw.
                while let Ok(ev) = events.try_recv() {
                    fx.extend(update(&mut app, Msg::Worker(ev)));
                }
                fx
            }
            _ = tick.tick() => {
                if app.busy() {
                    dirty = true;
                }
                update(&mut app, Msg::Tick)
            }
            _ = tokio::time::sleep_until(next_frame), if dirty => Vec::new(),
        };
        dispatch(fx);
        if app.quit {
            break;
        }
    }
    Ok(())
}
