//! Dialogs drawn over the panes.

use ratatui::Frame;
use ratatui::layout::{Position, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};
use tui_input::Input;

use super::Theme;
use super::wrap::{wrap, wrap_all};
use crate::text::{human_size, sanitize};
use crate::tui::app::App;
use crate::tui::app::dialogs::Modal;
use crate::tui::app::dialogs::attach::{AttachForm, AttachStage};
use crate::tui::app::dialogs::login::LoginForm;
use crate::tui::app::dialogs::prompt::{Prompt, PromptKind};
use crate::tui::keymap::{Action, Context, Keymap};
use crate::tui::verbs::VERBS;
use crate::tui::view_model::{CopyPreview, DeletePreview, Loaded};

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
    let b = Block::default().borders(Borders::ALL).border_style(theme.border(true));
    if title.is_empty() { b } else { b.title(Span::styled(format!(" {title} "), theme.title())) }
}

/// How wide a dialog of at most `max` columns is on `screen`: a column of the panes shows on
/// each side.
fn dialog_width(screen: Rect, max: u16) -> u16 {
    screen.width.saturating_sub(2).min(max)
}

/// The border title when `title` fits a box `width` wide; else `short` goes in the border
/// and the whole title into the first rows, wrapped.
fn heading(title: &str, short: &str, width: u16, theme: &Theme) -> (String, Vec<Line<'static>>) {
    let room = width.saturating_sub(4) as usize;
    if Span::raw(title).width() <= room {
        return (title.to_string(), Vec::new());
    }
    (short.to_string(), wrap(&Line::styled(title.to_string(), theme.title()), room + 2, None))
}

/// How the scrolling keys are written in a dialog's lines: `j/k`.
fn scroll_keys(keys: &Keymap) -> String {
    format!("{}/{}", keys.key_of(Action::Down), keys.key_of(Action::Up))
}

/// A dialog: a title, a body that scrolls, and a footer (its keys) that stays in view.
struct Dialog {
    title: String,
    /// The border title when `title` does not fit; the full title then opens the body.
    short: &'static str,
    body: Vec<Line<'static>>,
    /// Indent of the body's continuation rows (see [`wrap`]).
    hang: Option<usize>,
    footer: Vec<Line<'static>>,
    max_width: u16,
}

impl Dialog {
    /// A dialog whose body wraps flush and whose keys are one line.
    fn plain(title: String, short: &'static str, body: Vec<Line<'static>>, keys: Line<'static>, max_width: u16) -> Dialog {
        Dialog { title, short, body, hang: None, footer: vec![keys], max_width }
    }

    fn show(self, frame: &mut Frame, scroll: u16, screen: Rect, theme: &Theme, keys: &Keymap) {
        let width = dialog_width(screen, self.max_width);
        let inner = width.saturating_sub(2) as usize;
        let (title, mut body) = heading(&self.title, self.short, width, theme);
        body.extend(wrap_all(&self.body, inner, self.hang));
        let footer = wrap_all(&self.footer, inner, None);
        let gap = usize::from(!body.is_empty() && !footer.is_empty());
        let wanted = body.len() + gap + footer.len() + 2;
        let area = centered(screen, width, (wanted as u16).min(screen.height.saturating_sub(2)));
        frame.render_widget(Clear, area);
        let mut b = frame_box(title, theme);
        let inside = b.inner(area);
        let footer_h = (footer.len() as u16).min(inside.height);
        let body_h = inside.height.saturating_sub(footer_h + gap as u16);
        let top = (scroll as usize).min(body.len().saturating_sub(body_h as usize));
        if top + (body_h as usize) < body.len() {
            b = b.title_bottom(Line::styled(format!(" more below, {} scroll ", scroll_keys(keys)), theme.info()).right_aligned());
        } else if top > 0 {
            b = b.title_bottom(Line::styled(format!(" {} scrolls back ", keys.key_of(Action::Up)), theme.info()).right_aligned());
        }
        frame.render_widget(b, area);
        let shown: Vec<Line> = body.into_iter().skip(top).take(body_h as usize).collect();
        frame.render_widget(Paragraph::new(shown), Rect { height: body_h, ..inside });
        let footer_area = Rect { y: inside.y + inside.height - footer_h, height: footer_h, ..inside };
        frame.render_widget(Paragraph::new(footer), footer_area);
    }
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
    let keys = &app.opts.keys;
    match modal {
        Modal::Help { scroll } => help(frame, app, *scroll, screen, theme),
        Modal::Prompt(p) => prompt(frame, p, screen, theme),
        Modal::Attach(f) => attach(frame, f, screen, theme, keys),
        Modal::CopyReview { target, preview, scroll, .. } => copy(frame, &target.label, preview, *scroll, screen, theme, keys),
        Modal::DeleteReview { preview, scroll, .. } => delete(frame, preview, *scroll, screen, theme, keys),
        Modal::Login(f) => login(frame, f, screen, theme, keys),
    }
}

fn help(frame: &mut Frame, app: &App, scroll: u16, screen: Rect, theme: &Theme) {
    let keys = &app.opts.keys;
    let mut lines = Vec::new();
    let mut context = None;
    for row in keys.help_rows(app.opts.read_only) {
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
    lines.push(Line::raw(""));
    lines.push(Line::styled("Command line", theme.title()));
    for verb in VERBS.iter().filter(|v| !(app.opts.read_only && v.writes)) {
        lines.push(Line::from(vec![Span::styled(format!("  :{:<17}", verb.usage()), theme.kind()), Span::raw(verb.help)]));
    }
    if app.opts.read_only {
        lines.push(Line::raw(""));
        lines.push(Line::styled("read-only: attach, copy and delete are off", theme.info()));
    }
    let dialog = Dialog {
        title: format!("Keys ({} closes, {} scroll)", keys.key_in(Action::Dismiss, Context::Dialog), scroll_keys(keys)),
        short: "Keys",
        body: lines,
        // Descriptions wrap under themselves, clear of the keys column.
        hang: Some(20),
        footer: Vec::new(),
        max_width: 90,
    };
    dialog.show(frame, scroll, screen, theme, keys);
}

/// The border title of a prompt whose whole title does not fit.
fn prompt_short(kind: &PromptKind) -> &'static str {
    match kind {
        PromptKind::Command => "Command",
        PromptKind::Filter(_) => "Filter",
        PromptKind::TypeFilter => "Artifact type",
        PromptKind::PullDir(_) => "Pull",
        PromptKind::CopyDest(_) => "Copy",
    }
}

fn prompt(frame: &mut Frame, p: &Prompt, screen: Rect, theme: &Theme) {
    let width = dialog_width(screen, 100);
    let inner_w = width.saturating_sub(2) as usize;
    let (title, above) = heading(&p.title(), prompt_short(&p.kind), width, theme);
    let below = match &p.error {
        Some(e) => wrap(&Line::styled(sanitize(e), theme.error()), inner_w, None),
        None => Vec::new(),
    };
    let height = (above.len() + 1 + below.len() + 2) as u16;
    let area = centered(screen, width, height);
    frame.render_widget(Clear, area);
    let b = frame_box(title, theme);
    let inner = b.inner(area);
    frame.render_widget(b, area);
    let input_y = inner.y + (above.len() as u16).min(inner.height.saturating_sub(1));
    frame.render_widget(Paragraph::new(above), Rect { height: input_y - inner.y, ..inner });
    input(frame, Rect { y: input_y, height: 1, ..inner }, &p.input, false, true, theme);
    let rest = (inner.y + inner.height).saturating_sub(input_y + 1);
    frame.render_widget(Paragraph::new(below), Rect { y: input_y + 1, height: rest, ..inner });
}

fn attach(frame: &mut Frame, f: &AttachForm, screen: Rect, theme: &Theme, keys: &Keymap) {
    let title = format!("Attach to {}", sanitize(&f.subject.label));
    if let AttachStage::Preview { manifest, scroll, .. } = &f.stage {
        let mut body = vec![Line::styled("This manifest will be pushed:", theme.info())];
        body.extend(manifest.iter().map(|l| Line::raw(sanitize(l))));
        let at = |action| keys.key_in(action, Context::AttachPreview);
        let line = format!("{} pushes · {} edits · {} cancels · {} scroll", at(Action::Confirm), at(Action::Edit), at(Action::Dismiss), scroll_keys(keys));
        return Dialog::plain(title, "Attach", body, Line::styled(line, theme.dim()), 100).show(frame, *scroll, screen, theme, keys);
    }
    let width = dialog_width(screen, 100);
    let area = centered(screen, width, screen.height.saturating_sub(2).min(24));
    frame.render_widget(Clear, area);
    let (title, above) = heading(&title, "Attach", width, theme);
    let b = frame_box(title, theme);
    let whole = b.inner(area);
    frame.render_widget(b, area);
    let skip = (above.len() as u16).min(whole.height);
    frame.render_widget(Paragraph::new(above), Rect { height: skip, ..whole });
    let inner = Rect { y: whole.y + skip, height: whole.height - skip, ..whole };
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
        _ => {
            let at = |action| keys.key_in(action, Context::Attach);
            let line = format!("{} preview · {}/{} next field · {} cancel", at(Action::Submit), at(Action::Complete), at(Action::NextField), at(Action::Dismiss));
            Line::styled(line, theme.dim())
        }
    };
    if y < inner.y + inner.height {
        let rows = wrap(&note, inner.width as usize, None);
        frame.render_widget(Paragraph::new(rows), Rect { y, height: inner.height - (y - inner.y), ..inner });
    }
}

fn copy(frame: &mut Frame, label: &str, preview: &Loaded<CopyPreview>, scroll: u16, screen: Rect, theme: &Theme, keys: &Keymap) {
    let (body, footer) = match preview {
        Loaded::Ready(p) => {
            let mut lines = vec![Line::from(vec![Span::raw("To "), Span::styled(sanitize(&p.destination), theme.title())])];
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
                lines.push(Line::styled(format!("warning: {}", sanitize(w)), theme.error()));
            }
            let at = |action| keys.key_in(action, Context::CopyReview);
            let line = format!(
                "{} copy · {} cancel · {} scroll — the tag is set last; {} cancels while it runs",
                at(Action::Confirm),
                at(Action::Dismiss),
                scroll_keys(keys),
                keys.key_of(Action::CancelJob)
            );
            (lines, Line::styled(line, theme.dim()))
        }
        _ => unready(preview, "planning: comparing source and destination…", theme, keys),
    };
    let title = format!("Copy {} with its referrers", sanitize(label));
    Dialog::plain(title, "Copy with its referrers", body, footer, 110).show(frame, scroll, screen, theme, keys);
}

/// The body and keys of a review whose plan failed or is still being made (`doing`).
fn unready<T>(preview: &Loaded<T>, doing: &str, theme: &Theme, keys: &Keymap) -> (Vec<Line<'static>>, Line<'static>) {
    let dismiss = keys.key_in(Action::Dismiss, Context::Dialog);
    match preview {
        Loaded::Failed(e) => (vec![Line::styled(sanitize(e), theme.error())], Line::styled(format!("{dismiss} closes"), theme.dim())),
        _ => (vec![Line::styled(doing.to_string(), theme.info())], Line::styled(format!("{dismiss} cancels"), theme.dim())),
    }
}

fn delete(frame: &mut Frame, preview: &Loaded<DeletePreview>, scroll: u16, screen: Rect, theme: &Theme, keys: &Keymap) {
    let at = |action| keys.key_in(action, Context::DeleteReview);
    let (title, body, footer) = match preview {
        Loaded::Ready(p) => (
            format!("Delete {}?", sanitize(&p.target)),
            p.lines.iter().map(|l| Line::raw(sanitize(l))).collect(),
            Line::styled(format!("{} delete all of this · {} cancel · {} scroll", at(Action::Confirm), at(Action::Dismiss), scroll_keys(keys)), theme.error()),
        ),
        _ => {
            let (body, footer) = unready(preview, "planning: walking the referrers graph…", theme, keys);
            ("Delete".to_string(), body, footer)
        }
    };
    // The plan's first line names the target in full: a title too long for the border is
    // not repeated in the body.
    let fits = Span::raw(title.as_str()).width() + 4 <= dialog_width(screen, 120) as usize;
    let title = if fits { title } else { "Delete".into() };
    Dialog::plain(title, "Delete", body, footer, 120).show(frame, scroll, screen, theme, keys);
}

fn login(frame: &mut Frame, f: &LoginForm, screen: Rect, theme: &Theme, keys: &Keymap) {
    let width = dialog_width(screen, 64);
    let inner_w = width.saturating_sub(2) as usize;
    let (title, above) = heading(&format!("Log in to {}", sanitize(&f.registry)), "Log in", width, theme);
    let note = match (&f.error, f.busy) {
        (_, true) => Line::styled("checking…", theme.info()),
        (Some(e), _) => Line::styled(sanitize(e), theme.error()),
        _ => {
            let at = |action| keys.key_in(action, Context::Login);
            let line = format!("{} log in · {} next · {} toggles save · {} cancel", at(Action::Submit), at(Action::NextField), at(Action::Toggle), at(Action::Dismiss));
            Line::styled(line, theme.dim())
        }
    };
    let label_style = |i: usize| if f.focus == i { theme.title() } else { theme.dim() };
    let save = Line::styled(format!("[{}] save for next time (helper, keyring or Docker config)", if f.save { "x" } else { " " }), label_style(2));
    let save = wrap(&save, inner_w, Some(4));
    let note = wrap(&note, inner_w, None);
    let top = above.len() as u16;
    let height = top + 4 + save.len() as u16 + 1 + note.len() as u16 + 2;
    let area = centered(screen, width, height);
    frame.render_widget(Clear, area);
    let b = frame_box(title, theme);
    let inner = b.inner(area);
    frame.render_widget(b, area);
    let bottom = inner.y + inner.height;
    let row = |i: u16, h: u16| {
        let y = (inner.y + i).min(bottom);
        Rect { y, height: h.min(bottom - y), ..inner }
    };
    let field = |i: u16| Rect { x: inner.x + 11, width: inner.width.saturating_sub(11), ..row(i, 1) };
    frame.render_widget(Paragraph::new(above), row(0, top));
    frame.render_widget(Paragraph::new("Username").style(label_style(0)), row(top, 1));
    input(frame, field(top), &f.username, false, f.focus == 0 && !f.busy, theme);
    frame.render_widget(Paragraph::new("Password").style(label_style(1)), row(top + 2, 1));
    input(frame, field(top + 2), &f.password, true, f.focus == 1 && !f.busy, theme);
    let save_h = save.len() as u16;
    frame.render_widget(Paragraph::new(save), row(top + 4, save_h));
    frame.render_widget(Paragraph::new(note), row(top + 5 + save_h, bottom.saturating_sub(inner.y + top + 5 + save_h)));
}
