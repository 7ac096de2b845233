//! The status bar: target, who we are, referrers mode, jobs with progress; then the last
//! message, or key hints for the focused pane.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::wrap::wrap;
use super::{Theme, spinner};
use crate::store::ReferrersMode;
use crate::text::{human_size, sanitize};
use crate::tui::app::jobs::Job;
use crate::tui::app::{App, Level};
use crate::tui::keymap::Action;

fn bar(done: u64, total: u64, width: usize) -> String {
    let filled = if total == 0 { width } else { (done as u128 * width as u128 / total as u128) as usize };
    format!("{}{}", "█".repeat(filled.min(width)), "░".repeat(width - filled.min(width)))
}

fn job_text(job: &Job, tick: u64, cancel_key: &str) -> String {
    let (done, total) = job.totals();
    let pct = (done * 100).checked_div(total).unwrap_or(0);
    let mut s = format!("{} {} {pct}% {} {}/{}", spinner(tick), sanitize(&job.label), bar(done, total, 10), human_size(done), human_size(total));
    if let Some(t) = job.current() {
        s.push_str(&format!(" · {}", sanitize(&t.label)));
    }
    if job.cancelling {
        s.push_str(" · cancelling");
    } else if job.cancellable {
        s.push_str(&format!(" · {cancel_key} cancels"));
    }
    s
}

/// The status bar's rows at `width` columns: the first wraps like the message under it,
/// and the key hints are cut to the entries that fit.
pub fn lines(app: &App, width: u16, theme: &Theme) -> Vec<Line<'static>> {
    let mode = app
        .tree
        .mode
        .map(|m| match m {
            // Chosen in the config file, it says nothing of the registry.
            ReferrersMode::TagSchema if app.opts.referrers_set_in_config => "tag schema (set in config)".to_string(),
            // Said plainly: what the operator learns is that the registry lacks the API.
            ReferrersMode::TagSchema => "no Referrers API: tag schema".to_string(),
            m => m.label().to_string(),
        })
        .unwrap_or_else(|| "referrers: –".into());
    let mut top = vec![
        Span::styled(format!(" {} ", sanitize(&app.opts.target_label)), theme.title()),
        Span::styled("│ ", theme.dim()),
        Span::raw(sanitize(&app.auth)),
        Span::styled(" │ ", theme.dim()),
        Span::raw(mode),
    ];
    if let Some(limit) = &app.rate_limit {
        top.push(Span::styled(" │ ", theme.dim()));
        let style = if limit.remaining == 0 { theme.error() } else { Style::new() };
        top.push(Span::styled(limit.describe(), style));
    }
    if app.opts.read_only {
        top.push(Span::styled(" │ ", theme.dim()));
        top.push(Span::styled("read-only", theme.info()));
    }
    let mut jobs = app.jobs.running.values();
    if let Some(job) = jobs.next() {
        top.push(Span::styled(" │ ", theme.dim()));
        top.push(Span::styled(job_text(job, app.tick, &app.opts.keys.key_of(Action::CancelJob)), theme.info()));
        let more = jobs.count();
        if more > 0 {
            top.push(Span::raw(format!(" (+{more} more)")));
        }
    }
    let width = width as usize;
    let bottom = match &app.message {
        Some(m) if m.level == Level::Error => Line::from(Span::styled(format!(" error: {}", sanitize(&m.text)), theme.error())),
        Some(m) => Line::from(Span::styled(format!(" {}", sanitize(&m.text)), theme.info())),
        None => Line::from(Span::styled(format!(" {}", app.opts.keys.hints(app.focus.context(), app.opts.read_only, width.saturating_sub(1))), theme.dim())),
    };
    // Continuation rows line up under the text, after the leading space.
    let mut rows = wrap(&Line::from(top), width, Some(1));
    // The viewer's own footer lists its keys; the panes' hints would not work there.
    if app.message.is_some() || app.viewer.is_none() {
        rows.extend(wrap(&bottom, width, Some(1)));
    }
    rows
}

pub fn draw(frame: &mut Frame, rows: Vec<Line<'static>>, area: Rect) {
    frame.render_widget(Paragraph::new(rows), area);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tui::app::Options;
    use crate::tui::ui::palette::Palette;

    fn top_line(set_in_config: bool) -> String {
        let mut app = App::new(Options { referrers_set_in_config: set_in_config, ..Options::default() });
        app.tree.mode = Some(ReferrersMode::TagSchema);
        let lines = lines(&app, 200, &Theme::new(false, Palette::default()));
        lines[0].spans.iter().map(|s| s.content.as_ref()).collect()
    }

    #[test]
    fn the_tag_schema_is_blamed_on_the_registry_only_when_it_was_found_out() {
        assert!(top_line(false).contains("no Referrers API: tag schema"), "{}", top_line(false));
        let set = top_line(true);
        assert!(set.contains("tag schema (set in config)") && !set.contains("no Referrers API"), "{set}");
    }
}
