//! Word wrapping of styled lines for dialogs and messages. Words stay whole; a word wider than
//! the row (a reference with a full digest) breaks after an `@` first, and only then by width.
//! Continuation rows of an indented line hang two columns under it, so lists stay readable.

use ratatui::style::Style;
use ratatui::text::{Line, Span};

fn char_width(c: char) -> usize {
    let mut buf = [0u8; 4];
    Span::raw(&*c.encode_utf8(&mut buf)).width()
}

type Cell = (char, Style);

fn cells_width(cells: &[Cell]) -> usize {
    cells.iter().map(|(c, _)| char_width(*c)).sum()
}

/// The pieces a word may break into: after each `@`, then by `room` columns.
fn pieces(word: &[Cell], room: usize) -> Vec<&[Cell]> {
    if cells_width(word) <= room {
        return vec![word];
    }
    let mut at_parts = Vec::new();
    let mut start = 0;
    for (i, (c, _)) in word.iter().enumerate() {
        if *c == '@' && i + 1 < word.len() {
            at_parts.push(&word[start..=i]);
            start = i + 1;
        }
    }
    at_parts.push(&word[start..]);
    let mut out = Vec::new();
    for part in at_parts {
        let mut rest = part;
        while cells_width(rest) > room.max(1) {
            let mut w = 0;
            let cut = rest
                .iter()
                .position(|(c, _)| {
                    w += char_width(*c);
                    w > room.max(1)
                })
                .unwrap_or(rest.len())
                .max(1);
            out.push(&rest[..cut]);
            rest = &rest[cut..];
        }
        if !rest.is_empty() {
            out.push(rest);
        }
    }
    out
}

fn to_line(cells: &[Cell], style: Style) -> Line<'static> {
    let mut spans: Vec<Span<'static>> = Vec::new();
    let mut run = String::new();
    let mut run_style = None;
    for (c, s) in cells {
        if run_style != Some(*s) {
            if let Some(st) = run_style {
                spans.push(Span::styled(std::mem::take(&mut run), st));
            }
            run_style = Some(*s);
        }
        run.push(*c);
    }
    if let Some(st) = run_style {
        spans.push(Span::styled(run, st));
    }
    Line::from(spans).style(style)
}

/// `line` as rows of at most `width` columns. `hang` is the indent of continuation rows;
/// `None` means two more than the line's own indent, or none for an unindented line.
pub fn wrap(line: &Line, width: usize, hang: Option<usize>) -> Vec<Line<'static>> {
    let width = width.max(1);
    let cells: Vec<Cell> = line
        .spans
        .iter()
        .flat_map(|s| {
            let style = line.style.patch(s.style);
            s.content.chars().map(move |c| (c, style))
        })
        .collect();
    let lead = cells.iter().take_while(|(c, _)| *c == ' ').count();
    let hang = hang.unwrap_or(if lead > 0 { lead + 2 } else { 0 });
    let hang = if hang + 8 > width { 0 } else { hang };
    let mut rows: Vec<Vec<Cell>> = Vec::new();
    let mut row: Vec<Cell> = cells[..lead.min(width)].to_vec();
    // Whether the row holds nothing but its indent.
    let mut fresh = true;
    let mut i = lead;
    while i < cells.len() {
        let gap_end = cells[i..].iter().position(|(c, _)| *c != ' ').map_or(cells.len(), |p| i + p);
        let gap = &cells[i..gap_end];
        let word_end = cells[gap_end..].iter().position(|(c, _)| *c == ' ').map_or(cells.len(), |p| gap_end + p);
        let word = &cells[gap_end..word_end];
        i = word_end;
        if word.is_empty() {
            break;
        }
        let gap = if fresh { &[][..] } else { gap };
        if cells_width(&row) + cells_width(gap) + cells_width(word) <= width {
            row.extend_from_slice(gap);
            row.extend_from_slice(word);
            fresh = false;
            continue;
        }
        // A word that fits a row but not after the hang gets less of it (a digest in JSON).
        let indent = hang.min(width.saturating_sub(cells_width(word)));
        for (n, piece) in pieces(word, width - indent).into_iter().enumerate() {
            let sep = if n == 0 && !fresh { gap } else { &[][..] };
            if fresh || cells_width(&row) + cells_width(sep) + cells_width(piece) > width {
                if !fresh {
                    rows.push(std::mem::take(&mut row));
                    row = vec![(' ', Style::new()); indent];
                }
            } else {
                row.extend_from_slice(sep);
            }
            row.extend_from_slice(piece);
            fresh = false;
        }
    }
    rows.push(row);
    rows.iter().map(|r| to_line(r, line.style)).collect()
}

/// Every line wrapped, with the default hang.
pub fn wrap_all(lines: &[Line], width: usize, hang: Option<usize>) -> Vec<Line<'static>> {
    lines.iter().flat_map(|l| wrap(l, width, hang)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(text: &str, width: usize, hang: Option<usize>) -> Vec<String> {
        wrap(&Line::raw(text), width, hang).iter().map(|l| l.spans.iter().map(|s| s.content.as_ref()).collect()).collect()
    }

    #[test]
    fn words_stay_whole_and_rows_fit() {
        let r = rows("cannot reach 127.0.0.1:1: connection refused; is the registry running and the address right?", 40, None);
        assert_eq!(
            r,
            ["cannot reach 127.0.0.1:1: connection", "refused; is the registry running and the", "address right?"]
        );
    }

    #[test]
    fn indented_lines_hang_and_keep_their_columns() {
        let d = format!("sha256:{}", "c".repeat(64));
        let r = rows(&format!("  manifest  {d}  signature/example"), 76, None);
        assert_eq!(r, ["  manifest".to_string(), format!("    {d}"), "    signature/example".to_string()]);
        let r = rows("  :                 command line (:open REPO, :copy DEST)", 40, Some(20));
        assert_eq!(r, ["  :                 command line (:open", "                    REPO, :copy DEST)"]);
    }

    #[test]
    fn a_long_reference_breaks_after_the_at_sign_then_by_width() {
        let d = format!("sha256:{}", "b".repeat(64));
        let r = rows(&format!("Deleting net-monitor@{d} now"), 76, None);
        assert_eq!(r, ["Deleting net-monitor@".to_string(), format!("{d} now")]);
        let r = rows(&"x".repeat(25), 10, None);
        assert_eq!(r, ["x".repeat(10), "x".repeat(10), "x".repeat(5)]);
        // Too wide for the hang, narrow enough for the row: it keeps what indent it can.
        let r = rows(&format!("      \"digest\": \"{d}\","), 76, None);
        assert_eq!(r, ["      \"digest\":".to_string(), format!("  \"{d}\",")]);
    }

    #[test]
    fn styles_survive_wrapping() {
        let bold = Style::new().add_modifier(ratatui::style::Modifier::BOLD);
        let line = Line::from(vec![Span::raw("plain words "), Span::styled("bold words", bold)]);
        let out = wrap(&line, 12, None);
        assert_eq!(out.len(), 2);
        assert_eq!(out[1].spans[0].style, bold);
        assert_eq!(out[1].spans[0].content, "bold words");
    }
}
