//! Reading rendered screens (a `TestBackend` frame or a tmux capture) as a person does: the
//! box of one dialog, the words in it, and whether a text's words are all there whole.

use std::collections::HashMap;

const BOX: &[char] = &['│', '─', '┌', '┐', '└', '┘'];

fn grid(screen: &str) -> Vec<Vec<char>> {
    screen.lines().map(|l| l.chars().collect()).collect()
}

/// The rows of the box whose top border starts `┌ {title}`, border rows included, cut to
/// the box's columns; `None` when no such box is whole on the screen.
pub fn dialog(screen: &str, title: &str) -> Option<String> {
    let g = grid(screen);
    let at = |x: usize, y: usize| g.get(y).and_then(|r| r.get(x)).copied().unwrap_or(' ');
    let head: Vec<char> = format!("┌ {title}").chars().collect();
    for (y, row) in g.iter().enumerate() {
        for x in 0..row.len() {
            if row[x..].starts_with(&head) {
                let right = (x + head.len()..row.len()).find(|&c| row[c] == '┐')?;
                let bottom = (y + 1..g.len()).find(|&r| at(x, r) != '│')?;
                if at(x, bottom) != '└' || at(right, bottom) != '┘' {
                    return None;
                }
                let rows: Vec<String> = (y..=bottom).map(|r| (x..=right).map(|c| at(c, r)).collect()).collect();
                return Some(rows.join("\n"));
            }
        }
    }
    None
}

/// The last `n` rows of a screen (the status bar).
pub fn bottom_rows(screen: &str, n: usize) -> String {
    let rows: Vec<&str> = screen.lines().collect();
    rows[rows.len().saturating_sub(n)..].join("\n")
}

/// A region's words in reading order, one space between: text that wraps reads as one line.
pub fn flowing(region: &str) -> String {
    region.replace(BOX, " ").split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The words on a screen, what is between spaces and box lines, with how often each shows.
pub fn words_on(screen: &str) -> HashMap<String, usize> {
    let mut n = HashMap::new();
    for w in screen.replace(BOX, " ").split_whitespace() {
        *n.entry(w.to_string()).or_insert(0) += 1;
    }
    n
}

/// Fails, naming the word, unless each word of each of `texts` shows whole, as often as in
/// that text, on one of `screens` (a scrolled dialog gives several). A reference too long
/// for a row may break after its `@`; its parts then count.
pub fn assert_words_whole(screens: &[String], texts: &[&str], what: &str) {
    let counts: Vec<HashMap<String, usize>> = screens.iter().map(|s| words_on(s)).collect();
    let seen = |w: &str| counts.iter().map(|c| c.get(w).copied().unwrap_or(0)).max().unwrap_or(0);
    let mut wanted: HashMap<String, usize> = HashMap::new();
    for text in texts {
        for (w, n) in words_on(text) {
            let e = wanted.entry(w).or_insert(0);
            *e = (*e).max(n);
        }
    }
    for (word, n) in wanted {
        let whole = seen(&word);
        let split = word.split_inclusive('@').map(|part| seen(part)).min().unwrap_or(0);
        assert!(
            whole >= n || (word.contains('@') && whole + split >= n),
            "{what}: the word {word:?} is not whole on the screen {n} time(s):\n{}",
            screens.join("\n---\n")
        );
    }
}
