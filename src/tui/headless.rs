//! Running the TUI without a terminal: the real model and worker, drawn into a ratatui
//! `TestBackend`. Used by the snapshot tests, the screenshots and the frame benchmark.

use std::time::Duration;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::style::{Color, Modifier};
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender};

use super::app::{App, Msg, update};
use super::protocol::{Effect, WorkerEvent};
use super::ui::{ViewState, draw};
use super::{Start, prepare, worker};
use crate::error::Result;

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

    /// Feeds worker answers to the model until none arrives for a while.
    pub async fn settle(&mut self) {
        while let Ok(Some(ev)) = tokio::time::timeout(Duration::from_millis(400), self.rx.recv()).await {
            let fx = update(&mut self.app, Msg::Worker(ev));
            self.send(fx);
        }
    }

    /// Feeds worker answers until `done` holds, for at most 20 seconds.
    pub async fn settle_until(&mut self, done: impl Fn(&App) -> bool) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        while !done(&self.app) && tokio::time::Instant::now() < deadline {
            if let Ok(Some(ev)) = tokio::time::timeout(Duration::from_millis(100), self.rx.recv()).await {
                let fx = update(&mut self.app, Msg::Worker(ev));
                self.send(fx);
            }
        }
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
