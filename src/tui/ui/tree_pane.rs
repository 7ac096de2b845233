//! The referrers tree pane, drawn from the flat rows: only the rows in view are turned into
//! lines, so a frame costs the same for ten rows as for ten thousand.

use std::rc::Rc;

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use super::{Theme, ViewState, spinner};
use crate::text::{human_size, sanitize};
use crate::tui::app::tree::{Row, RowKind};
use crate::tui::app::{App, Pane};

/// Indentation per level of depth.
const INDENT: usize = 2;
const OPEN: &str = "\u{25bc} ";
const CLOSED: &str = "\u{25b6} ";
const LEAF: &str = "  ";

/// A row's line in `width` columns. When it does not fit, the creation time goes first, then
/// the size, so that what names the row stays readable.
fn row_line(row: &Row, width: usize, app: &App, theme: &Theme) -> Line<'static> {
    let mut spans = Vec::new();
    if let Some(badge) = row.badge {
        spans.push(Span::styled(format!("{badge} "), theme.badge()));
    }
    match row.kind {
        RowKind::Root => spans.push(Span::styled(sanitize(&row.label), theme.title())),
        RowKind::Group | RowKind::Platforms | RowKind::Attachment => spans.push(Span::styled(sanitize(&row.label), theme.kind())),
        RowKind::Node | RowKind::Platform => {
            if row.kind == RowKind::Platform {
                let platform = sanitize(row.label.split("  ").next().unwrap_or(""));
                spans.push(if row.failed { Span::styled(platform, theme.error()) } else { Span::raw(platform) });
                spans.push(Span::raw("  "));
            }
            if let Some(d) = &row.digest {
                spans.push(Span::styled(format!("{}:{}", d.algorithm().name(), &d.hex()[..16]), theme.digest()));
                let created: String = row.created.iter().flat_map(|t| "  ".chars().chain(sanitize(t).chars().take(16).map(|c| if c == 'T' { ' ' } else { c })).collect::<Vec<_>>()).collect();
                let size = row.size.map(|s| format!("  {}", human_size(s))).unwrap_or_default();
                let spinner_width = if row.loading { 2 } else { 0 };
                let room = width.saturating_sub(spans.iter().map(Span::width).sum::<usize>() + spinner_width);
                let meta = if created.chars().count() + size.len() <= room {
                    created + &size
                } else if size.len() <= room {
                    size
                } else {
                    String::new()
                };
                if !meta.is_empty() {
                    spans.push(Span::styled(meta, theme.dim()));
                }
            }
        }
        RowKind::Note => spans.push(Span::styled(sanitize(&row.label), if row.failed { theme.error() } else { theme.dim() })),
    }
    if row.loading {
        spans.push(Span::styled(format!(" {}", spinner(app.tick)), theme.dim()));
    }
    Line::from(spans)
}

/// The first row in view: the last offset, moved only as far as the selection needs, and
/// back when rows went away, so the pane is never part empty with rows hidden above.
fn scroll(selected: usize, len: usize, height: usize, offset: usize) -> usize {
    let mut start = offset.min(len.saturating_sub(height)).min(selected);
    if selected >= start + height {
        start = selected + 1 - height;
    }
    start
}

/// A row's fold marker: open when its children follow it, closed when it has some to show.
fn marker(rows: &[Rc<Row>], i: usize) -> &'static str {
    match rows.get(i + 1) {
        Some(next) if next.depth > rows[i].depth => OPEN,
        _ if rows[i].expandable => CLOSED,
        _ => LEAF,
    }
}

pub fn tree(frame: &mut Frame, app: &App, view: &mut ViewState, area: Rect, theme: &Theme) {
    let t = &app.tree;
    let mut extra = String::new();
    if let Some(f) = t.type_filter() {
        extra.push_str(&format!(" type={}", sanitize(f)));
    }
    if let Some(m) = t.mode {
        extra.push_str(&format!(" · {}", m.label()));
    }
    if app.refreshing() {
        extra.push_str(&format!(" · {}", spinner(app.tick)));
    }
    let b = super::panes::block(super::panes::title(3, Pane::Tree, extra, app, theme), app.focus == Pane::Tree, theme);
    let inner = b.inner(area);
    frame.render_widget(b, area);
    if t.subject().is_none() {
        frame.render_widget(Paragraph::new("Pick a tag (Enter in 2) to see its referrers graph").style(theme.dim()).wrap(Wrap { trim: true }), inner);
        return;
    }
    let rows = t.rows(&app.store);
    if inner.width == 0 || inner.height == 0 || rows.is_empty() {
        return;
    }
    let selected = t.selected_index(&rows);
    let height = inner.height as usize;
    view.tree_offset = scroll(selected, rows.len(), height, view.tree_offset);
    let highlight = theme.selected(app.focus == Pane::Tree);
    let end = (view.tree_offset + height).min(rows.len());
    for (n, i) in (view.tree_offset..end).enumerate() {
        let row = &rows[i];
        let line_area = Rect { y: inner.y + n as u16, height: 1, ..inner };
        let buf = frame.buffer_mut();
        // A row deeper than the pane is wide draws as far as the pane's edge, never past it.
        let indent = (row.depth * INDENT).min(inner.width as usize);
        let (x, _) = buf.set_stringn(inner.x, line_area.y, " ".repeat(indent), indent, ratatui::style::Style::new());
        let room = inner.width.saturating_sub(x - inner.x) as usize;
        let (x, _) = buf.set_stringn(x, line_area.y, marker(&rows, i), room, ratatui::style::Style::new());
        let text_area = Rect { x, width: inner.width.saturating_sub(x - inner.x), ..line_area };
        frame.render_widget(row_line(row, text_area.width as usize, app, theme), text_area);
        if i == selected {
            frame.buffer_mut().set_style(line_area, highlight);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::oci::Digest;
    use crate::tui::app::Options;
    use crate::tui::ui::palette::Palette;

    #[test]
    fn a_referrer_row_that_does_not_fit_drops_its_time_then_its_size() {
        let app = App::new(Options::default());
        let theme = Theme::new(false, Palette::default());
        let row = Row {
            path: vec![],
            depth: 2,
            kind: RowKind::Node,
            label: String::new(),
            badge: None,
            digest: Some(Digest::sha256_of(b"x")),
            created: Some("2025-03-01T09:08:00Z".into()),
            size: Some(700),
            expandable: false,
            loading: false,
            failed: false,
            is_index: false,
        };
        let text = |width| row_line(&row, width, &app, &theme).to_string();
        assert_eq!(text(60), "sha256:2d711642b726b044  2025-03-01 09:08  700 B");
        assert_eq!(text(47), "sha256:2d711642b726b044  700 B", "the time goes first");
        assert_eq!(text(28), "sha256:2d711642b726b044", "then the size");
        let hostile = Row { created: Some("2025\u{202e}\u{1b}[2J".into()), ..row.clone() };
        let line = row_line(&hostile, 80, &app, &theme).to_string();
        assert!(line.contains("2025\\u{202e}\\x1b") && !line.contains('\u{202e}') && !line.contains('\u{1b}'), "{line}");
    }

    #[test]
    fn the_view_follows_the_selection_and_keeps_its_place_otherwise() {
        assert_eq!(scroll(0, 100, 10, 0), 0);
        assert_eq!(scroll(9, 100, 10, 0), 0);
        assert_eq!(scroll(10, 100, 10, 0), 1, "one row down scrolls by one");
        assert_eq!(scroll(50, 100, 10, 45), 45, "a selection in view does not move it");
        assert_eq!(scroll(40, 100, 10, 45), 40, "above the view scrolls up to it");
        assert_eq!(scroll(3, 5, 10, 80), 0, "rows that went away pull the view back, all of them in view");
        assert_eq!(scroll(50, 55, 10, 48), 45, "a collapse near the end fills the pane from above");
    }
}
