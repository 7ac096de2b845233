//! Running the TUI without a terminal: the real model and worker, drawn into a ratatui
//! `TestBackend`. Used by the snapshot tests, the screenshots and the frame benchmark.

use std::time::Duration;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::style::{Color, Modifier};
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender};

use super::app::{App, Msg, Options, update};
use super::start_screen::StartScreen;
use super::protocol::{Effect, WorkerEvent};
use super::ui::{Theme, ViewState, draw, start_screen};
use super::{Start, prepare, worker};
use crate::error::Result;

/// How long a test waits for a screen before it fails.
const SETTLE_LIMIT: Duration = Duration::from_secs(20);

/// What the model still waits for from the worker, if anything: a list, a tree, a manifest,
/// a tag's details, a plan or a running job.
pub fn waiting_for(app: &App) -> Option<&'static str> {
    if app.busy() {
        Some("a load, a plan or a job")
    } else if app.refreshing() {
        Some("the refresh of a cached tree")
    } else if app.store.loading_manifest() {
        Some("a manifest")
    } else if app.store.resolving_tag() {
        Some("an attachment tag")
    } else if app.tags.info.values().any(|t| t.is_loading()) {
        Some("a tag's details")
    } else if app.inspections.loading() {
        Some("an inspection")
    } else {
        None
    }
}

pub struct Headless {
    pub app: App,
    tx: UnboundedSender<Effect>,
    rx: UnboundedReceiver<WorkerEvent>,
}

impl Headless {
    /// Starts the model and a worker as `refscope` would, and runs the first loads.
    pub async fn start(start: Start, color: bool) -> Result<Headless> {
        let (ctx, mut opts) = prepare(start).await?;
        opts.color = color;
        let (tx, rx) = worker::spawn(ctx);
        let mut app = App::new(opts);
        let fx = app.init();
        let mut h = Headless { app, tx, rx };
        h.send(fx);
        Ok(h)
    }

    fn send(&mut self, fx: Vec<Effect>) {
        for e in fx {
            if !matches!(e, Effect::Clipboard(_)) {
                let _ = self.tx.send(e);
            }
        }
    }

    /// Feeds worker answers to the model until it waits for none (see [`waiting_for`]).
    pub async fn settle(&mut self) {
        self.settle_until(|app| waiting_for(app).is_none()).await;
    }

    /// Feeds worker answers until `done` holds. Panics, with what the model still waits for,
    /// when that takes longer than 20 seconds: a screen that never comes is a failure, never
    /// a silent pass.
    pub async fn settle_until(&mut self, done: impl Fn(&App) -> bool) {
        let deadline = tokio::time::Instant::now() + SETTLE_LIMIT;
        loop {
            // Answers already queued are taken first, so `done` sees the newest state.
            while let Ok(ev) = self.rx.try_recv() {
                self.apply(ev);
            }
            if done(&self.app) {
                return;
            }
            match tokio::time::timeout_at(deadline, self.rx.recv()).await {
                Ok(Some(ev)) => self.apply(ev),
                Ok(None) => panic!("the worker stopped before the screen was ready; {}", self.state()),
                Err(_) => panic!("the screen was not ready after {SETTLE_LIMIT:?}; {}", self.state()),
            }
        }
    }

    fn apply(&mut self, ev: WorkerEvent) {
        let fx = update(&mut self.app, Msg::Worker(ev));
        self.send(fx);
    }

    fn state(&self) -> String {
        let waiting = waiting_for(&self.app).unwrap_or("nothing");
        format!("waiting for {waiting}; message: {:?}", self.app.message.as_ref().map(|m| &m.text))
    }

    /// Presses keys, then settles.
    pub async fn keys(&mut self, keys: &[KeyCode]) {
        for k in keys {
            self.press(*k);
        }
        self.settle().await;
    }

    /// Presses one key and sends what it asks for, without waiting for answers.
    pub fn press(&mut self, key: KeyCode) {
        let fx = update(&mut self.app, Msg::Key(KeyEvent::new(key, KeyModifiers::NONE)));
        self.send(fx);
    }
}

/// One frame of `app` at `width` x `height`.
pub fn render(app: &App, width: u16, height: u16) -> Buffer {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).expect("a test backend never fails");
    let mut view = ViewState::default();
    let _ = terminal.draw(|f| draw(f, app, &mut view));
    terminal.backend().buffer().clone()
}

/// One frame of the start screen at `width` x `height`, with the keys and colours of `opts`.
pub fn render_start(screen: &StartScreen, opts: &Options, width: u16, height: u16) -> Buffer {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).expect("a test backend never fails");
    let theme = Theme::new(opts.color, opts.palette);
    let _ = terminal.draw(|f| start_screen::draw(f, screen, &opts.keys, &theme));
    terminal.backend().buffer().clone()
}

/// The frame as text, one line per row, trailing spaces trimmed.
pub fn text(buf: &Buffer) -> String {
    let area = buf.area;
    let mut out = String::new();
    for y in 0..area.height {
        let line: String = (0..area.width).map(|x| buf[(x, y)].symbol().to_string()).collect();
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

fn hex(c: Color, default: &str) -> String {
    let ansi = |i: u8| -> &'static str {
        [
            "#1e1e1e", "#e06c75", "#98c379", "#e5c07b", "#61afef", "#c678dd", "#56b6c2", "#c8c8c8", "#5c6370", "#ff7b86", "#b5e890", "#ffd787",
            "#82c8ff", "#e39ff6", "#7fdbe5", "#ffffff",
        ][i as usize % 16]
    };
    match c {
        Color::Reset => default.to_string(),
        Color::Black => ansi(0).into(),
        Color::Red => ansi(1).into(),
        Color::Green => ansi(2).into(),
        Color::Yellow => ansi(3).into(),
        Color::Blue => ansi(4).into(),
        Color::Magenta => ansi(5).into(),
        Color::Cyan => ansi(6).into(),
        Color::Gray => ansi(7).into(),
        Color::DarkGray => ansi(8).into(),
        Color::LightRed => ansi(9).into(),
        Color::LightGreen => ansi(10).into(),
        Color::LightYellow => ansi(11).into(),
        Color::LightBlue => ansi(12).into(),
        Color::LightMagenta => ansi(13).into(),
        Color::LightCyan => ansi(14).into(),
        Color::White => ansi(15).into(),
        Color::Rgb(r, g, b) => format!("#{r:02x}{g:02x}{b:02x}"),
        Color::Indexed(i) => ansi(i).into(),
    }
}

fn escape_xml(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

/// The frame as an SVG picture, colours and all.
pub fn svg(buf: &Buffer) -> String {
    const CW: f32 = 8.4;
    const CH: f32 = 18.0;
    const FG: &str = "#d4d4d4";
    const BG: &str = "#1e1e1e";
    let area = buf.area;
    let (w, h) = (area.width as f32 * CW, area.height as f32 * CH);
    let mut out = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\" font-family=\"DejaVu Sans Mono, Menlo, Consolas, monospace\" font-size=\"14\">\n<rect width=\"100%\" height=\"100%\" fill=\"{BG}\"/>\n"
    );
    for y in 0..area.height {
        let mut x = 0;
        while x < area.width {
            let cell = &buf[(x, y)];
            let reversed = cell.modifier.contains(Modifier::REVERSED);
            let (mut fg, mut bg) = (hex(cell.fg, FG), hex(cell.bg, BG));
            if reversed {
                std::mem::swap(&mut fg, &mut bg);
            }
            let start = x;
            let mut run = String::new();
            let mut xs = Vec::new();
            while x < area.width {
                let c = &buf[(x, y)];
                if c.fg != cell.fg || c.bg != cell.bg || c.modifier != cell.modifier {
                    break;
                }
                for ch in c.symbol().chars() {
                    run.push(ch);
                    xs.push(format!("{:.1}", x as f32 * CW));
                }
                x += 1;
            }
            let (px, py) = (start as f32 * CW, y as f32 * CH);
            if bg != BG {
                out.push_str(&format!("<rect x=\"{px}\" y=\"{py}\" width=\"{}\" height=\"{CH}\" fill=\"{bg}\"/>\n", (x - start) as f32 * CW));
            }
            if !run.trim().is_empty() {
                let weight = if cell.modifier.contains(Modifier::BOLD) { " font-weight=\"bold\"" } else { "" };
                // One x per character keeps every glyph on the cell grid.
                out.push_str(&format!(
                    "<text x=\"{}\" y=\"{}\" fill=\"{fg}\"{weight} xml:space=\"preserve\">{}</text>\n",
                    xs.join(" "),
                    py + CH * 0.75,
                    escape_xml(&run)
                ));
            }
        }
    }
    out.push_str("</svg>\n");
    out
}
