//! The start screen: what a bare `refscope` can open, in groups, the selected one marked, the
//! keys that act on it, and a message when something went wrong.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Padding, Paragraph};

use super::Theme;
use super::wrap::wrap;
use crate::text::sanitize;
use crate::tui::app::Level;
use crate::tui::keymap::{Action, Keymap};
use crate::tui::start_screen::{Choice, StartScreen};

fn entry(choice: &Choice, theme: &Theme) -> Vec<Span<'static>> {
    match choice {
        Choice::Registry { host, alias: Some(alias) } => vec![Span::styled(format!("{}  ", sanitize(alias)), theme.kind()), Span::raw(sanitize(host))],
        Choice::Registry { host, alias: None } => vec![Span::raw(sanitize(host))],
        Choice::Recent(r) if r.layout => vec![Span::styled("layout ", theme.kind()), Span::raw(sanitize(&r.target))],
        Choice::Recent(r) => vec![Span::raw(sanitize(&r.target))],
        Choice::Demo => vec![Span::raw("net-monitor and release, two OCI layouts on disk")],
    }
}

/// The list's rows, group headings included, and the row of the selected choice.
fn rows(screen: &StartScreen, theme: &Theme) -> (Vec<Line<'static>>, usize) {
    let mut lines = Vec::new();
    let mut selected_row = 0;
    let mut group = None;
    for (i, choice) in screen.choices.iter().enumerate() {
        if group != Some(choice.group()) {
            if group.is_some() {
                lines.push(Line::raw(""));
            }
            lines.push(Line::styled(choice.group(), theme.title()));
            group = Some(choice.group());
        }
        let chosen = i == screen.selected;
        if chosen {
            selected_row = lines.len();
        }
        let mut spans = vec![Span::raw(if chosen { "▸ " } else { "  " })];
        spans.extend(entry(choice, theme));
        let line = Line::from(spans);
        lines.push(if chosen { line.style(theme.selected(true)) } else { line });
    }
    (lines, selected_row)
}

pub fn draw(frame: &mut Frame, screen: &StartScreen, keys: &Keymap, theme: &Theme) {
    let area = frame.area();
    let width = area.width.saturating_sub(4) as usize;
    let mut bottom = vec![Line::styled(
        format!(
            "{} open  {}/{} move  {} quit",
            keys.key_of(Action::Open),
            keys.key_of(Action::Down),
            keys.key_of(Action::Up),
            keys.key_of(Action::Quit)
        ),
        theme.dim(),
    )];
    if let Some(m) = &screen.message {
        let (text, style) = match m.level {
            Level::Error => (format!("error: {}", sanitize(&m.text)), theme.error()),
            Level::Info => (sanitize(&m.text), theme.info()),
        };
        bottom = [wrap(&Line::styled(text, style), width, None), bottom].concat();
    }
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border(true))
        .padding(Padding::horizontal(1))
        .title(Span::styled(" refscope: open what? ", theme.title()));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let bottom_h = (bottom.len() as u16).min(inner.height);
    let list_h = inner.height - bottom_h;
    let (lines, selected_row) = rows(screen, theme);
    // The selected row stays in view; the list scrolls no further than that needs.
    let top = (selected_row + 1).saturating_sub(list_h as usize);
    let shown: Vec<Line> = lines.into_iter().skip(top).take(list_h as usize).collect();
    frame.render_widget(Paragraph::new(shown), Rect { height: list_h, ..inner });
    frame.render_widget(Paragraph::new(bottom), Rect { y: inner.y + list_h, height: bottom_h, ..inner });
}
