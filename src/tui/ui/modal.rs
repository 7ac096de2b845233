//! Dialogs drawn over the panes.

use ratatui::Frame;
use ratatui::layout::{Position, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span, Text};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};
use tui_input::Input;

use super::Theme;
use crate::text::{human_size, sanitize};
use crate::tui::app::App;
use crate::tui::app::modal::{AttachForm, AttachStage, LoginForm, Modal, Prompt};
use crate::tui::app::tree::Loaded;
use crate::tui::keymap;
use crate::tui::protocol::{CopyPreview, DeletePreview};

fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let w = width.min(area.width);
    let h = height.min(area.height);
    Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y + (area.height - h) / 2,
        width: w,
        height: h,
    }
}

fn frame_box<'a>(title: String, theme: &Theme) -> Block<'a> {
    Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border(true))
        .title(Span::styled(format!(" {title} "), theme.title()))
}

/// Draws an input line and puts the cursor in it when `focused`.
fn input(frame: &mut Frame, area: Rect, input: &Input, masked: bool, focused: bool, theme: &Theme) {
    let width = area.width.max(1) as usize;
    let scroll = input.visual_scroll(width);
    let shown: String = if masked {
        "•".repeat(input.value().chars().count())
    } else {
        input.value().to_string()
    };
    let style = if focused { Style::new() } else { theme.dim() };
    frame.render_widget(Paragraph::new(sanitize(&shown)).style(style).scroll((0, scroll as u16)), area);
    if focused {
        let x = input.visual_cursor().saturating_sub(scroll) as u16;
        frame.set_cursor_position(Position::new(area.x + x.min(area.width.saturating_sub(1)), area.y));
    }
}

pub fn draw(frame: &mut Frame, app: &App, modal: &Modal, theme: &Theme) {
    let screen = frame.area();
    match modal {
        Modal::Help { scroll } => help(frame, app, *scroll, screen, theme),
        Modal::Prompt(p) => prompt(frame, p, screen, theme),
        Modal::Attach(f) => attach(frame, f, screen, theme),
        Modal::CopyReview { target, preview, scroll, .. } => copy(frame, &target.label, preview, *scroll, screen, theme),
        Modal::DeleteReview { preview, scroll, .. } => delete(frame, preview, *scroll, screen, theme),
        Modal::Login(f) => login(frame, f, screen, theme),
    }
}

fn help(frame: &mut Frame, app: &App, scroll: u16, screen: Rect, theme: &Theme) {
    let area = centered(screen, 76, screen.height.saturating_sub(2));
    let mut lines = Vec::new();
    let mut context = None;
    for row in keymap::help_rows(app.opts.read_only) {
        if context != Some(row.context) {
            if context.is_some() {
                lines.push(Line::raw(""));
            }
            lines.push(Line::styled(row.context.title(), theme.title()));
            context = Some(row.context);
        }
        lines.push(Line::from(vec![
            Span::styled(format!("  {:<18}", row.keys), theme.kind()),
            Span::raw(row.description),
        ]));
    }
    if app.opts.read_only {
        lines.push(Line::raw(""));
        lines.push(Line::styled("read-only: attach, copy and delete are off", theme.info()));
    }
    frame.render_widget(Clear, area);
    let b = frame_box("Keys (Esc closes, j/k scroll)".into(), theme);
    frame.render_widget(Paragraph::new(lines).block(b).scroll((scroll, 0)), area);
}

fn prompt(frame: &mut Frame, p: &Prompt, screen: Rect, theme: &Theme) {
    let height = if p.error.is_some() { 4 } else { 3 };
    let area = centered(screen, screen.width.saturating_sub(4).min(100), height);
    frame.render_widget(Clear, area);
    let b = frame_box(p.title(), theme);
    let inner = b.inner(area);
    frame.render_widget(b, area);
    input(frame, Rect { height: 1, ..inner }, &p.input, false, true, theme);
    if let Some(e) = &p.error {
        frame.render_widget(Paragraph::new(sanitize(e)).style(theme.error()), Rect { y: inner.y + 1, height: 1, ..inner });
    }
}

fn attach(frame: &mut Frame, f: &AttachForm, screen: Rect, theme: &Theme) {
    let area = centered(screen, screen.width.saturating_sub(4).min(100), screen.height.saturating_sub(2).min(24));
    frame.render_widget(Clear, area);
    let b = frame_box(format!("Attach to {}", sanitize(&f.subject.label)), theme);
    let inner = b.inner(area);
    frame.render_widget(b, area);
    match &f.stage {
        AttachStage::Editing | AttachStage::Building(_) => {
            let labels = ["Files (PATH[:MEDIATYPE] …, Tab completes)", "Artifact type (e.g. signature/example)", "Annotations (KEY=VALUE, …)"];
            for (i, label) in labels.iter().enumerate() {
                let y = inner.y + i as u16 * 3;
                if y + 1 >= inner.y + inner.height {
                    break;
                }
                let style = if f.focus == i { theme.title() } else { theme.dim() };
                frame.render_widget(Paragraph::new(*label).style(style), Rect { y, height: 1, ..inner });
                let editing = matches!(f.stage, AttachStage::Editing);
                input(frame, Rect { y: y + 1, x: inner.x + 2, width: inner.width.saturating_sub(2), height: 1 }, &f.fields[i], false, editing && f.focus == i, theme);
            }
            let mut y = inner.y + 9;
            if !f.completions.is_empty() && y < inner.y + inner.height {
                let list = f.completions.iter().take(6).map(|c| sanitize(c)).collect::<Vec<_>>().join("  ");
                frame.render_widget(Paragraph::new(list).style(theme.dim()).wrap(Wrap { trim: true }), Rect { y, height: 2, ..inner });
                y += 2;
            }
            let note = match (&f.stage, &f.error) {
                (AttachStage::Building(_), _) => Line::styled("building the manifest…", theme.info()),
                (_, Some(e)) => Line::styled(sanitize(e), theme.error()),
                _ => Line::styled("Enter preview · Tab/↓ next field · Esc cancel", theme.dim()),
            };
            if y < inner.y + inner.height {
                frame.render_widget(Paragraph::new(note).wrap(Wrap { trim: true }), Rect { y, height: inner.height - (y - inner.y), ..inner });
            }
        }
        AttachStage::Preview { manifest, scroll, .. } => {
            let mut lines = vec![Line::styled("This manifest will be pushed (y pushes, e edits, Esc cancels):", theme.info())];
            lines.extend(manifest.iter().map(|l| Line::raw(l.clone())));
            frame.render_widget(Paragraph::new(lines).scroll((*scroll, 0)), inner);
        }
    }
}

fn copy(frame: &mut Frame, label: &str, preview: &Loaded<CopyPreview>, scroll: u16, screen: Rect, theme: &Theme) {
    let wanted = match preview {
        Loaded::Ready(p) => p.rows.len() + p.warnings.len() + 8,
        _ => 5,
    };
    let area = centered(screen, screen.width.saturating_sub(4).min(110), (wanted as u16).min(screen.height.saturating_sub(2)));
    frame.render_widget(Clear, area);
    let text: Text = match preview {
        Loaded::Ready(p) => {
            let mut lines = vec![Line::from(vec![Span::raw("To "), Span::styled(p.destination.clone(), theme.title())])];
            lines.push(Line::raw(""));
            for r in &p.rows {
                let (mark, style) = if r.exists { ("  there  ", theme.dim()) } else { ("  copy   ", theme.info()) };
                let size = if r.exists || r.bytes == 0 { String::new() } else { format!("  {}", human_size(r.bytes)) };
                lines.push(Line::from(vec![
                    Span::styled(mark, style),
                    Span::raw("  ".repeat(r.depth)),
                    Span::styled(format!("{} ", r.digest.short()), theme.digest()),
                    Span::styled(sanitize(super::short_kind(&r.kind)), theme.kind()),
                    Span::raw(size),
                ]));
            }
            lines.push(Line::raw(""));
            let to_push = p.rows.iter().filter(|r| !r.exists).count();
            lines.push(Line::styled(
                format!(
                    "{to_push} manifest(s) to push, {} already there · {} blob(s) to send ({}), {} already there",
                    p.rows.len() - to_push,
                    p.blobs_to_send,
                    human_size(p.bytes_to_send),
                    p.blobs_present
                ),
                theme.title(),
            ));
            for w in &p.warnings {
                lines.push(Line::styled(format!("warning: {w}"), theme.error()));
            }
            lines.push(Line::styled("y copy · Esc cancel · j/k scroll — the tag is set last; x cancels while it runs", theme.dim()));
            Text::from(lines)
        }
        Loaded::Failed(e) => Text::from(vec![Line::styled(sanitize(e), theme.error()), Line::styled("Esc closes", theme.dim())]),
        _ => Text::styled("planning: comparing source and destination…", theme.info()),
    };
    let b = frame_box(format!("Copy {} with its referrers", sanitize(label)), theme);
    frame.render_widget(Paragraph::new(text).block(b).scroll((scroll, 0)), area);
}

fn delete(frame: &mut Frame, preview: &Loaded<DeletePreview>, scroll: u16, screen: Rect, theme: &Theme) {
    let wanted = match preview {
        Loaded::Ready(p) => p.lines.len() + 4,
        _ => 5,
    };
    let area = centered(screen, screen.width.saturating_sub(4).min(120), (wanted as u16).min(screen.height.saturating_sub(2)));
    frame.render_widget(Clear, area);
    let (title, text) = match preview {
        Loaded::Ready(p) => {
            let mut lines: Vec<Line> = p.lines.iter().map(|l| Line::raw(sanitize(l))).collect();
            lines.push(Line::raw(""));
            lines.push(Line::styled("y delete all of this · Esc cancel · j/k scroll", theme.error()));
            (format!("Delete {}?", sanitize(&p.target)), Text::from(lines))
        }
        Loaded::Failed(e) => ("Delete".to_string(), Text::from(vec![Line::styled(sanitize(e), theme.error()), Line::styled("Esc closes", theme.dim())])),
        _ => ("Delete".to_string(), Text::styled("planning: walking the referrers graph…", theme.info())),
    };
    frame.render_widget(Paragraph::new(text).block(frame_box(title, theme)).scroll((scroll, 0)), area);
}

fn login(frame: &mut Frame, f: &LoginForm, screen: Rect, theme: &Theme) {
    let area = centered(screen, 64, 10);
    frame.render_widget(Clear, area);
    let b = frame_box(format!("Log in to {}", sanitize(&f.registry)), theme);
    let inner = b.inner(area);
    frame.render_widget(b, area);
    let row = |i: u16| Rect { y: inner.y + i, height: 1, ..inner };
    let field = |i: u16| Rect { x: inner.x + 11, y: inner.y + i, width: inner.width.saturating_sub(11), height: 1 };
    let label_style = |i: usize| if f.focus == i { theme.title() } else { theme.dim() };
    frame.render_widget(Paragraph::new("Username").style(label_style(0)), row(0));
    input(frame, field(0), &f.username, false, f.focus == 0 && !f.busy, theme);
    frame.render_widget(Paragraph::new("Password").style(label_style(1)), row(2));
    input(frame, field(2), &f.password, true, f.focus == 1 && !f.busy, theme);
    let save = format!("[{}] save for next time (helper, keyring or Docker config)", if f.save { "x" } else { " " });
    frame.render_widget(Paragraph::new(save).style(label_style(2)), row(4));
    let note = match (&f.error, f.busy) {
        (_, true) => Line::styled("checking…", theme.info()),
        (Some(e), _) => Line::styled(sanitize(e), theme.error()),
        _ => Line::styled("Enter log in · Tab next · Space toggles save · Esc cancel", theme.dim()),
    };
    frame.render_widget(Paragraph::new(note).wrap(Wrap { trim: true }), Rect { y: inner.y + 6, height: 2, ..inner });
}
