//! Inspection on screen: the summary above the manifest in the details pane, and the
//! full-screen viewer. Both draw lines the library escaped; nothing here adds registry text
//! that is not sanitized.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};

use super::Theme;
use crate::inspect::{self, Tone};
use crate::oci::Digest;
use crate::text::human_size;
use crate::tui::app::App;
use crate::tui::app::inspect::Viewer;
use crate::tui::keymap::Action;
use crate::tui::view_model::Loaded;

/// One summary line, styled by its tone.
pub fn line(l: &inspect::Line, theme: &Theme) -> Line<'static> {
    let pad = "  ".repeat(usize::from(l.indent));
    let mut spans = vec![Span::raw(pad)];
    match l.tone {
        Tone::Heading => spans.push(Span::styled(l.to_string().trim_start().to_string(), theme.title())),
        tone => {
            let style = match tone {
                Tone::Good => theme.info(),
                Tone::Bad => theme.error(),
                _ => Style::new(),
            };
            if !l.label.is_empty() {
                let sep = if l.value.is_empty() { "" } else { ": " };
                spans.push(Span::styled(format!("{}{sep}", l.label), if tone == Tone::Plain { theme.dim() } else { style }));
            }
            spans.push(Span::styled(l.value.clone(), style));
        }
    }
    Line::from(spans)
}

/// What the kind of `digest` is called in a progress line (SBOM, signature…).
fn kind_name(app: &App, digest: &Digest) -> String {
    let kind = app.store.manifest(digest).and_then(Loaded::ready).map(|m| m.kind().to_string()).unwrap_or_default();
    crate::oci::friendly::known_type(&kind).map_or("content", |k| k.name).to_string()
}

/// What the details pane shows above the manifest: the summary, the reason it could not be
/// made, or how far its content has come.
pub fn summary(app: &App, digest: &Digest, theme: &Theme) -> Vec<Line<'static>> {
    let mut out: Vec<Line<'static>> = match app.inspections.get(digest) {
        None => return Vec::new(),
        Some(Loaded::Ready(view)) => pane_lines(&view.summary, &app.opts.keys.key_of(Action::Open), theme),
        Some(Loaded::Failed(e)) => vec![Line::styled(format!("no summary: {}", crate::text::sanitize(e)), theme.error())],
        Some(_) => vec![Line::styled(progress_text(app, digest), theme.dim())],
    };
    out.push(Line::raw(""));
    out
}

/// The summary lines the details pane shows, drawn each frame: the first [`PANE_LINES`] (a
/// summary can list a hundred thousand packages), then how many more the viewer has.
fn pane_lines(summary: &[inspect::Line], open_key: &str, theme: &Theme) -> Vec<Line<'static>> {
    let mut out: Vec<Line<'static>> = summary.iter().take(PANE_LINES).map(|l| line(l, theme)).collect();
    let more = summary.len().saturating_sub(PANE_LINES);
    if more > 0 {
        out.push(Line::styled(format!("… {more} more: {open_key} opens the viewer"), theme.dim()));
    }
    out
}

/// Summary lines drawn in the details pane, far more than it has rows.
const PANE_LINES: usize = 200;

fn progress_text(app: &App, digest: &Digest) -> String {
    let what = kind_name(app, digest);
    match app.inspections.progress(digest) {
        Some((done, total)) if total > 0 => format!("loading {what} {} of {}…", human_size(done), human_size(total)),
        _ => format!("reading the {what}…"),
    }
}

/// The viewer, over the screen above the status bar (`area`).
pub fn viewer(frame: &mut Frame, app: &App, v: &Viewer, area: Rect, theme: &Theme) {
    let lines = &v.page.lines;
    let title = format!(" {} ", crate::text::sanitize(&v.title));
    let position = if lines.is_empty() { String::new() } else { format!(" line {} of {} ", v.cursor + 1, lines.len()) };
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border(true))
        .title(Line::styled(title, theme.title()))
        .title_bottom(Line::styled(position, theme.dim()).right_aligned());
    let inner = block.inner(area);
    frame.render_widget(block, area);
    if inner.height < 2 {
        return;
    }
    let body = Rect { height: inner.height - 1, ..inner };
    let foot = Rect { y: inner.y + inner.height - 1, height: 1, ..inner };
    let height = usize::from(body.height);
    let rows = window(lines.len(), v.cursor, height);
    let mut shown: Vec<Line> = Vec::with_capacity(height);
    if lines.is_empty() {
        shown.push(Line::styled(progress_text(app, &v.digest), theme.dim()));
    }
    for (i, l) in rows.clone().zip(&lines[rows]) {
        let mut drawn = line(l, theme);
        if i == v.cursor {
            drawn = drawn.style(theme.selected(true));
        } else if v.matches.binary_search(&i).is_ok() {
            drawn = drawn.style(theme.badge());
        }
        shown.push(drawn);
    }
    frame.render_widget(Paragraph::new(shown), body);
    frame.render_widget(Paragraph::new(footer(app, v, theme)), foot);
}

/// The lines of a page of `len` drawn in `height` rows, the only ones a frame reads: the
/// cursor stays in the middle third once the page is longer than the screen.
pub fn window(len: usize, cursor: usize, height: usize) -> std::ops::Range<usize> {
    let top = cursor.saturating_sub(height / 3).min(len.saturating_sub(height));
    top..top.saturating_add(height).min(len)
}

fn footer(app: &App, v: &Viewer, theme: &Theme) -> Line<'static> {
    if let Some(q) = &v.typing {
        return Line::from(vec![Span::styled("/", theme.title()), Span::raw(crate::text::sanitize(q)), Span::styled("█", theme.dim())]);
    }
    let keys = &app.opts.keys;
    let mut parts = Vec::new();
    if let Some(at) = v.matches.iter().position(|&i| i == v.cursor) {
        parts.push(format!("match {} of {}", at + 1, v.matches.len()));
    }
    parts.push(format!("{} search", keys.key_of(Action::Search)));
    parts.push(format!("{}/{} next/previous", keys.key_of(Action::NextMatch), keys.key_of(Action::PrevMatch)));
    let has_layers = matches!(app.inspections.get(&v.digest), Some(Loaded::Ready(view)) if !view.layers.is_empty());
    if v.layer.is_none() && has_layers {
        parts.push(format!("{} on a layer: its files", keys.key_of(Action::Open)));
    }
    parts.push(format!("{} back", keys.key_of(Action::Close)));
    Line::styled(parts.join("  "), theme.dim())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_details_pane_draws_the_first_lines_of_a_long_summary_and_says_how_many_more() {
        let row = |i: usize| inspect::Line { indent: 1, label: format!("pkg-{i}"), value: "1.0".into(), tone: Tone::Plain };
        let summary: Vec<_> = (0..100_000).map(row).collect();
        let theme = Theme::new(false, crate::tui::ui::palette::Palette::default());
        let lines = pane_lines(&summary, "Enter", &theme);
        assert_eq!(lines.len(), PANE_LINES + 1);
        assert_eq!(lines.last().map(|l| l.to_string()).as_deref(), Some("… 99800 more: Enter opens the viewer"));
        assert_eq!(pane_lines(&summary[..3], "Enter", &theme).len(), 3, "a short summary is drawn whole");
    }

    #[test]
    fn a_frame_reads_only_the_rows_it_shows_of_a_long_page() {
        assert_eq!(window(1_000_000, 0, 20), 0..20);
        assert_eq!(window(1_000_000, 500_000, 21), 499_993..500_014);
        assert_eq!(window(1_000_000, 999_999, 20), 999_980..1_000_000);
        assert_eq!(window(5, 3, 20), 0..5, "a short page is drawn whole");
        assert_eq!(window(0, 0, 20), 0..0);
    }
}
