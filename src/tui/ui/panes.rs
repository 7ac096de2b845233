//! The four panes: repositories, tags, the referrers tree, details.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span, Text};
use ratatui::widgets::{Block, Borders, List, ListItem, ListState, Paragraph, Wrap};

use super::{Theme, ViewState, spinner};
use crate::oci::media_types::annotations::{CREATED, TITLE};
use crate::text::{human_size, sanitize};
use crate::tui::app::tree::RowKind;
use crate::tui::app::{App, Pane};
use crate::tui::keymap::Action;
use crate::tui::view_model::{Loaded, ManifestView};

pub(super) fn block<'a>(title: Line<'a>, focused: bool, theme: &Theme) -> Block<'a> {
    Block::default().borders(Borders::ALL).border_style(theme.border(focused)).title(title)
}

pub(super) fn title<'a>(n: usize, pane: Pane, extra: String, app: &App, theme: &Theme) -> Line<'a> {
    let focused = app.focus == pane;
    Line::from(vec![
        Span::styled(format!(" {n} "), theme.dim()),
        Span::styled(pane.title().to_string(), if focused { theme.title() } else { Style::new() }),
        Span::raw(extra),
        Span::raw(" "),
    ])
}

/// Keeps `selected` inside a window of `height` rows starting at `offset`.
fn window(selected: usize, len: usize, height: usize, offset: &mut usize) -> std::ops::Range<usize> {
    if height == 0 || len == 0 {
        *offset = 0;
        return 0..0;
    }
    if selected < *offset {
        *offset = selected;
    } else if selected >= *offset + height {
        *offset = selected + 1 - height;
    }
    *offset = (*offset).min(len.saturating_sub(height));
    *offset..(*offset + height).min(len)
}

fn truncate(s: &str, width: usize) -> String {
    if s.chars().count() <= width {
        return s.to_string();
    }
    let mut t: String = s.chars().take(width.saturating_sub(1)).collect();
    t.push('…');
    t
}

fn filter_note(filter: &str) -> String {
    if filter.is_empty() { String::new() } else { format!(" /{}", sanitize(filter)) }
}

pub fn repos(frame: &mut Frame, app: &App, view: &mut ViewState, area: Rect, theme: &Theme) {
    let r = &app.repos;
    let count = if r.capped {
        format!(" (first {})", r.list.visible.len())
    } else if r.complete || r.refused.is_some() || r.login.is_some() {
        format!(" ({})", r.list.visible.len())
    } else {
        format!(" ({}+)", r.list.visible.len())
    };
    let loading = if r.loading { format!(" {}", spinner(app.tick)) } else { String::new() };
    let b = block(title(1, Pane::Repos, format!("{count}{}{loading}", filter_note(&r.list.filter)), app, theme), app.focus == Pane::Repos, theme);
    let inner = b.inner(area);
    frame.render_widget(b, area);
    if r.items.is_empty() {
        let text = match (&r.refused, r.loading, app.opts.has_catalog) {
            (None, false, _) if r.login.is_some() => format!("Log in to list repositories.\nPress {} to log in", app.opts.keys.key_of(Action::Refresh)),
            (Some(_), _, _) => "The registry does not list its repositories.\nOpen one with :open REPO".to_string(),
            (None, false, _) if r.error.is_some() => format!("Could not load the repositories.\nPress {} to retry", app.opts.keys.key_of(Action::Refresh)),
            (None, true, _) => "loading…".to_string(),
            (None, false, false) => "no catalog here".to_string(),
            (None, false, true) => "no repositories".to_string(),
        };
        frame.render_widget(Paragraph::new(text).style(theme.dim()).wrap(Wrap { trim: true }), inner);
        return;
    }
    let range = window(r.list.selected, r.list.visible.len(), inner.height as usize, &mut view.repos_offset);
    let start = range.start;
    let items: Vec<ListItem> = r.list.visible[range]
        .iter()
        .map(|&i| {
            let name = &r.items[i];
            let opened = r.opened.as_deref() == Some(name.as_str());
            let text = truncate(&sanitize(name), inner.width.saturating_sub(2) as usize);
            let style = if opened { theme.title() } else { Style::new() };
            ListItem::new(Line::from(vec![Span::raw(if opened { "▸ " } else { "  " }), Span::styled(text, style)]))
        })
        .collect();
    let mut state = ListState::default().with_selected(Some(r.list.selected - start));
    frame.render_stateful_widget(List::new(items).highlight_style(theme.selected(app.focus == Pane::Repos)), inner, &mut state);
}

pub fn tags(frame: &mut Frame, app: &App, view: &mut ViewState, area: Rect, theme: &Theme) {
    let t = &app.tags;
    let hidden = t.all.len() - t.shown.len();
    let mut extra = match &t.repo {
        Some(_) => format!(" ({})", t.list.visible.len()),
        None => String::new(),
    };
    if hidden > 0 {
        extra.push_str(&format!(" +{hidden} index"));
    }
    if t.lexical {
        extra.push_str(" a-z");
    }
    extra.push_str(&filter_note(&t.list.filter));
    if t.loading {
        extra.push_str(&format!(" {}", spinner(app.tick)));
    }
    let b = block(title(2, Pane::Tags, extra, app, theme), app.focus == Pane::Tags, theme);
    let inner = b.inner(area);
    frame.render_widget(b, area);
    let note = match (&t.repo, t.loading, &t.error) {
        (None, _, _) => Some("Open a repository (Enter in 1)".to_string()),
        (Some(_), true, _) => Some("loading…".into()),
        (Some(_), false, Some(e)) => Some(e.clone()),
        (Some(_), false, None) if t.shown.is_empty() => Some("no tags".into()),
        _ => None,
    };
    if let Some(note) = note {
        let style = if t.error.is_some() { theme.error() } else { theme.dim() };
        frame.render_widget(Paragraph::new(note).style(style).wrap(Wrap { trim: true }), inner);
        return;
    }
    let width = inner.width as usize;
    let range = window(t.list.selected, t.list.visible.len(), inner.height as usize, &mut view.tags_offset);
    let start = range.start;
    let name_width = t.list.visible.iter().map(|&i| t.shown[i].chars().count()).max().unwrap_or(4).clamp(4, (width / 2).max(4));
    let items: Vec<ListItem> = t.list.visible[range]
        .iter()
        .map(|&i| {
            let name = sanitize(&t.shown[i]);
            let mut spans = vec![Span::raw(format!("{:<name_width$}", truncate(&name, name_width)))];
            let mut left = width.saturating_sub(name_width);
            match t.info.get(&t.shown[i]) {
                Some(Loaded::Ready(info)) => {
                    if left >= 10 {
                        let n = if left >= 20 { 12 } else { 8 };
                        spans.push(Span::styled(format!(" {}", &info.digest.hex()[..n]), theme.digest()));
                        left -= n + 1;
                    }
                    let known = crate::oci::friendly::known_type(&info.kind);
                    let kind = known.map_or(super::short_kind(&info.kind), |k| k.badge);
                    let size = human_size(info.size);
                    if left >= 4 {
                        let room = left.saturating_sub(if left > kind.len() + size.len() + 2 { size.len() + 2 } else { 0 });
                        let style = if known.is_some() { theme.badge() } else { theme.kind() };
                        spans.push(Span::styled(format!(" {}", truncate(&sanitize(kind), room.saturating_sub(1))), style));
                        left = left.saturating_sub(kind.chars().count().min(room.saturating_sub(1)) + 1);
                    }
                    if left >= size.len() + 2 {
                        spans.push(Span::styled(format!("  {size}"), theme.dim()));
                    }
                }
                Some(Loaded::Failed(_)) => spans.push(Span::styled(" ?", theme.error())),
                Some(Loaded::Loading) if left > 2 => spans.push(Span::styled(format!(" {}", spinner(app.tick)), theme.dim())),
                _ => {}
            }
            ListItem::new(Line::from(spans))
        })
        .collect();
    let mut state = ListState::default().with_selected(Some(t.list.selected - start));
    frame.render_stateful_widget(List::new(items).highlight_style(theme.selected(app.focus == Pane::Tags)), inner, &mut state);
}

fn kv(key: &str, value: String, theme: &Theme) -> Line<'static> {
    Line::from(vec![Span::styled(format!("{key:<11}"), theme.dim()), Span::raw(value)])
}

fn manifest_lines(m: &ManifestView, reference: String, theme: &Theme) -> Vec<Line<'static>> {
    let mut lines = vec![
        kv("Reference", sanitize(&reference), theme),
        kv("Digest", m.descriptor.digest.to_string(), theme),
        kv("Media type", sanitize(&m.descriptor.media_type), theme),
    ];
    if let Some(t) = &m.artifact_type {
        lines.push(kv("Artifact", sanitize(t), theme));
    }
    lines.push(kv("Size", format!("{} manifest, {} in all", human_size(m.descriptor.size), human_size(m.total_size)), theme));
    if let Some(c) = m.annotations.get(CREATED) {
        lines.push(kv("Created", sanitize(c), theme));
    }
    if let Some(s) = &m.subject {
        lines.push(kv("Subject", s.to_string(), theme));
    }
    if !m.annotations.is_empty() {
        lines.push(Line::styled("Annotations", theme.title()));
        for (k, v) in &m.annotations {
            lines.push(Line::from(vec![Span::styled(format!("  {}: ", sanitize(k)), theme.dim()), Span::raw(sanitize(v))]));
        }
    }
    if let Some(c) = &m.config {
        lines.push(Line::from(vec![Span::styled("Config     ", theme.dim()), Span::raw(format!("{}  {}", sanitize(&c.media_type), human_size(c.size)))]));
    }
    if !m.layers.is_empty() {
        lines.push(Line::styled(format!("Layers ({})", m.layers.len()), theme.title()));
        for l in &m.layers {
            let name = l.annotation(TITLE).map(sanitize).unwrap_or_else(|| l.digest.short().to_string());
            lines.push(Line::from(vec![
                Span::raw(format!("  {name}  ")),
                Span::styled(sanitize(&l.media_type), theme.kind()),
                Span::styled(format!("  {}", human_size(l.size)), theme.dim()),
            ]));
        }
    }
    if !m.manifests.is_empty() {
        lines.push(Line::styled(format!("Manifests ({})", m.manifests.len()), theme.title()));
        for c in &m.manifests {
            let p = c.platform.as_ref().map(|p| sanitize(&p.to_string())).unwrap_or_default();
            lines.push(Line::raw(format!("  {p}  {}  {}", c.digest.short(), human_size(c.size))));
        }
    }
    lines.push(Line::styled("Manifest", theme.title()));
    lines.extend(m.pretty.iter().map(|l| Line::raw(format!("  {l}"))));
    lines
}

pub fn details(frame: &mut Frame, app: &App, area: Rect, theme: &Theme) {
    let b = block(title(4, Pane::Details, String::new(), app, theme), app.focus == Pane::Details, theme);
    let inner = b.inner(area);
    frame.render_widget(b, area);
    let repo = app.tree.subject().map(|s| s.repo.clone()).or_else(|| app.tags.repo.clone()).unwrap_or_default();
    let text: Text = match app.details_digest() {
        Some(d) => match app.store.manifest(&d) {
            Some(Loaded::Ready(m)) => {
                let base = app.opts.reference_base(&repo);
                let mut lines = super::inspect::summary(app, &d, theme);
                lines.extend(manifest_lines(m, format!("{base}@{d}"), theme));
                Text::from(lines)
            }
            Some(Loaded::Failed(e)) => Text::styled(sanitize(e), theme.error()),
            _ => Text::styled(format!("loading {}…", d.short()), theme.dim()),
        },
        None => match (app.details_from_tags, app.tree.selected_row(&app.store)) {
            (false, Some(row)) if matches!(row.kind, RowKind::Group | RowKind::Attachment) => Text::raw(sanitize(&row.label)),
            (false, Some(row)) if row.kind == RowKind::Note => Text::styled(sanitize(&row.label), theme.dim()),
            _ => Text::styled("Select a tag or an artifact to see its manifest", theme.dim()),
        },
    };
    frame.render_widget(Paragraph::new(text).scroll((app.details_scroll, 0)), inner);
}
