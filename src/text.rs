//! Making registry-supplied text safe for a terminal.

/// Replaces control characters (C0, C1, DEL) and bidirectional overrides with a visible
/// `\xNN` / `\u{NNNN}` escape, so tags, annotations and titles cannot move the cursor, change
/// colours or reorder what the user reads.
pub fn sanitize(s: &str) -> String {
    if !s.chars().any(needs_escape) {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if needs_escape(c) {
            if (c as u32) < 0x100 {
                out.push_str(&format!("\\x{:02x}", c as u32));
            } else {
                out.push_str(&format!("\\u{{{:04x}}}", c as u32));
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// Serialized JSON with the characters [`sanitize`] escapes written as `\uXXXX` escapes
/// instead: the same JSON value for a script, nothing a terminal acts on. serde_json already
/// escapes C0 controls inside strings; DEL, C1 controls and bidirectional overrides it writes
/// raw. Outside strings JSON has only ASCII and the whitespace of indentation, which stays.
pub fn escape_json_for_terminal(json: &str) -> String {
    let escape = |c: char| needs_escape(c) && !matches!(c, '\n' | '\r' | '\t');
    if !json.chars().any(escape) {
        return json.to_string();
    }
    let mut out = String::with_capacity(json.len() + 8);
    for c in json.chars() {
        if escape(c) {
            out.push_str(&format!("\\u{:04x}", c as u32));
        } else {
            out.push(c);
        }
    }
    out
}

fn needs_escape(c: char) -> bool {
    c.is_control() || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_terminal_controls() {
        assert_eq!(sanitize("v1"), "v1");
        assert_eq!(sanitize("\u{1b}[2J\u{1b}]52;c;AAAA\u{7}x"), "\\x1b[2J\\x1b]52;c;AAAA\\x07x");
        assert_eq!(sanitize("a\u{9b}b\nc\0"), "a\\x9bb\\x0ac\\x00");
        assert_eq!(sanitize("abc\u{202e}fed"), "abc\\u{202e}fed");
        assert_eq!(sanitize("ünïcödé ✓"), "ünïcödé ✓");
    }

    #[test]
    fn json_keeps_its_value_and_loses_terminal_controls() {
        let value = serde_json::json!({"a": "x\u{9b}2J\u{7f}\u{202e}y\u{1b}", "b": "ünï ✓"});
        let text = escape_json_for_terminal(&serde_json::to_string_pretty(&value).unwrap());
        assert!(!text.chars().any(|c| needs_escape(c) && c != '\n'), "{text}");
        assert!(text.starts_with("{\n  \"a\""), "indentation stays: {text}");
        assert_eq!(serde_json::from_str::<serde_json::Value>(&text).unwrap(), value);
    }
}

/// A byte count for people, in binary (IEC) units: `512 B`, `1.5 KiB`, `230.4 MiB`.
pub fn human_size(bytes: u64) -> String {
    bytesize::ByteSize::b(bytes).display().iec().to_string()
}

#[cfg(test)]
mod size_tests {
    use super::human_size;

    #[test]
    fn sizes() {
        assert_eq!(human_size(0), "0 B");
        assert_eq!(human_size(1023), "1023 B");
        assert_eq!(human_size(1536), "1.5 KiB");
        assert_eq!(human_size(256 * 1024 * 1024), "256.0 MiB");
        assert_eq!(human_size(u64::MAX), "16.0 EiB");
    }
}
