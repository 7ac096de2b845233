//! Drawing: functions of the model. The only state kept between frames is scroll positions
//! ([`ViewState`]), which ratatui widgets need to scroll smoothly.

mod inspect;
mod modal;
pub mod palette;
mod panes;
pub mod start_screen;
mod status;
mod tree_pane;
mod wrap;

use ratatui::Frame;
use ratatui::layout::{Constraint, Direction, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};

use self::palette::Palette;
use super::app::App;

/// Scroll positions, kept between frames.
#[derive(Default)]
pub struct ViewState {
    pub repos_offset: usize,
    pub tags_offset: usize,
    /// The first tree row in view.
    pub tree_offset: usize,
}

/// Where each part of the screen goes.
pub struct Areas {
    pub repos: Rect,
    pub tags: Rect,
    pub tree: Rect,
    pub details: Rect,
    pub status: Rect,
}

/// The panes and, at the bottom, `status` rows for the status bar.
pub fn areas(area: Rect, status: u16) -> Areas {
    let rows = Layout::default()
        .direction(Direction::Vertical)
        .constraints([Constraint::Min(6), Constraint::Length(status)])
        .split(area);
    let left_width = (area.width * 3 / 10).clamp(22, 40);
    let cols = Layout::default()
        .direction(Direction::Horizontal)
        .constraints([Constraint::Length(left_width), Constraint::Min(20)])
        .split(rows[0]);
    let left = Layout::default()
        .direction(Direction::Vertical)
        .constraints([Constraint::Percentage(45), Constraint::Percentage(55)])
        .split(cols[0]);
    let right = Layout::default()
        .direction(Direction::Vertical)
        .constraints([Constraint::Percentage(55), Constraint::Percentage(45)])
        .split(cols[1]);
    Areas {
        repos: left[0],
        tags: left[1],
        tree: right[0],
        details: right[1],
        status: rows[1],
    }
}

/// Colours from the palette, or none under `NO_COLOR`, whatever the config file's theme says;
/// the same information either way (selection is reversed, focus is bold, errors say "error").
#[derive(Clone, Copy)]
pub struct Theme {
    color: bool,
    palette: Palette,
}

impl Theme {
    pub fn new(color: bool, palette: Palette) -> Theme {
        Theme { color, palette }
    }

    fn fg(&self, c: Color) -> Style {
        if self.color { Style::new().fg(c) } else { Style::new() }
    }

    pub fn border(&self, focused: bool) -> Style {
        if focused {
            self.fg(self.palette.accent).add_modifier(Modifier::BOLD)
        } else {
            self.fg(self.palette.dim)
        }
    }

    pub fn selected(&self, focused: bool) -> Style {
        match (self.color, focused) {
            (true, true) => Style::new().bg(self.palette.selection).fg(Color::White).add_modifier(Modifier::BOLD),
            (true, false) => Style::new().bg(self.palette.dim),
            (false, true) => Style::new().add_modifier(Modifier::REVERSED | Modifier::BOLD),
            (false, false) => Style::new().add_modifier(Modifier::UNDERLINED),
        }
    }

    pub fn kind(&self) -> Style {
        self.fg(self.palette.kind)
    }

    /// The short name of a well-known kind (IMG, SIG, SBOM…).
    pub fn badge(&self) -> Style {
        self.fg(Color::Magenta).add_modifier(Modifier::BOLD)
    }

    pub fn digest(&self) -> Style {
        self.fg(self.palette.digest)
    }

    pub fn dim(&self) -> Style {
        if self.color { Style::new().fg(self.palette.dim) } else { Style::new().add_modifier(Modifier::DIM) }
    }

    pub fn error(&self) -> Style {
        self.fg(self.palette.error).add_modifier(Modifier::BOLD)
    }

    pub fn info(&self) -> Style {
        self.fg(self.palette.accent)
    }

    pub fn title(&self) -> Style {
        Style::new().add_modifier(Modifier::BOLD)
    }
}

/// A type name short enough for a list column: artifact types as they are, manifest media
/// types by what they are.
pub(crate) fn short_kind(kind: &str) -> &str {
    use crate::oci::media_types::*;
    match kind {
        OCI_MANIFEST => "image",
        OCI_INDEX => "index",
        DOCKER_MANIFEST => "docker image",
        DOCKER_MANIFEST_LIST => "docker list",
        k => k,
    }
}

const SPINNER: [&str; 8] = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧"];

pub fn spinner(tick: u64) -> &'static str {
    SPINNER[(tick % SPINNER.len() as u64) as usize]
}

/// Draws the whole screen.
pub fn draw(frame: &mut Frame, app: &App, view: &mut ViewState) {
    let theme = Theme::new(app.opts.color, app.opts.palette);
    let screen = frame.area();
    let mut bar = status::lines(app, screen.width, &theme);
    // A long message wraps onto more rows, taking them from the panes, up to a quarter.
    bar.truncate((screen.height / 4).max(2) as usize);
    if let Some(v) = &app.viewer {
        // The bar stays: it says what a search found, or that nothing matched.
        let rows = (bar.len() as u16).min(screen.height);
        let body = Rect { height: screen.height - rows, ..screen };
        let status = Rect { y: screen.y + body.height, height: rows, ..screen };
        inspect::viewer(frame, app, v, body, &theme);
        status::draw(frame, bar, status);
        if let Some(m) = &app.modal {
            modal::draw(frame, app, m, &theme);
        }
        return;
    }
    let a = areas(screen, bar.len() as u16);
    panes::repos(frame, app, view, a.repos, &theme);
    panes::tags(frame, app, view, a.tags, &theme);
    tree_pane::tree(frame, app, view, a.tree, &theme);
    panes::details(frame, app, a.details, &theme);
    status::draw(frame, bar, a.status);
    if let Some(m) = &app.modal {
        modal::draw(frame, app, m, &theme);
    }
}
