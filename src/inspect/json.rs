//! Small helpers every parser shares: bounded previews, base64 in its common spellings, and
//! JSON parsing whose depth is bounded (serde_json refuses nesting past 128 levels, so a
//! document nested 100,000 deep is an error, not a stack overflow).

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
use serde::de::DeserializeOwned;

/// Parses JSON into `T`, with the error as one line.
pub fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, String> {
    serde_json::from_slice(bytes).map_err(|e| e.to_string())
}

/// At most `max` bytes of `s`, cut at a character boundary, and whether anything was cut.
pub fn truncate(s: &str, max: usize) -> (String, bool) {
    if s.len() <= max {
        return (s.to_string(), false);
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    (s[..end].to_string(), true)
}

/// The text of `bytes` (invalid UTF-8 replaced), at most `max` bytes of it.
pub fn text_head(bytes: &[u8], max: usize) -> (String, bool) {
    let cut = bytes.len() > max;
    let head = &bytes[..bytes.len().min(max)];
    let text = String::from_utf8_lossy(head);
    // A cut through a multi-byte character shows as one replacement at the end; drop it.
    let text = if cut { text.trim_end_matches('\u{fffd}').to_string() } else { text.into_owned() };
    (text, cut)
}

/// JSON indented, at most `max` bytes of it; `None` when the bytes are not JSON.
pub fn pretty(bytes: &[u8], max: usize) -> Option<(String, bool)> {
    let value: serde_json::Value = serde_json::from_slice(bytes).ok()?;
    let text = serde_json::to_string_pretty(&value).ok()?;
    Some(truncate(&text, max))
}

/// Lowercase hex of the first `n` bytes.
pub fn hex_head(bytes: &[u8], n: usize) -> String {
    hex::encode(&bytes[..bytes.len().min(n)])
}

/// Base64 in any of the spellings signatures use (standard or URL-safe, padded or not).
pub fn base64(s: &str) -> Result<Vec<u8>, String> {
    let s = s.trim();
    for engine in [&STANDARD, &URL_SAFE, &STANDARD_NO_PAD, &URL_SAFE_NO_PAD] {
        if let Ok(v) = engine.decode(s) {
            return Ok(v);
        }
    }
    Err("not base64".into())
}

/// Whether bytes look like text a person can read: UTF-8 without NUL in what is looked at.
pub fn is_text(bytes: &[u8]) -> bool {
    let head = &bytes[..bytes.len().min(8192)];
    if head.contains(&0) {
        return false;
    }
    match std::str::from_utf8(head) {
        Ok(_) => true,
        // A cut through the last character is still text.
        Err(e) => e.error_len().is_none(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounded_helpers() {
        assert_eq!(truncate("héllo", 2), ("h".to_string(), true));
        assert_eq!(truncate("abc", 5), ("abc".to_string(), false));
        assert_eq!(text_head("né".as_bytes(), 2), ("n".to_string(), true));
        assert_eq!(hex_head(&[0, 255, 16], 2), "00ff");
        assert_eq!(base64("aGk=").unwrap(), b"hi");
        assert_eq!(base64("aGk").unwrap(), b"hi");
        assert_eq!(base64("-_8").unwrap(), vec![0xfb, 0xff]);
        assert!(base64("@@@").is_err());
        assert!(is_text(b"plain"));
        assert!(!is_text(b"a\0b"));
        let deep = "[".repeat(100_000);
        assert!(pretty(deep.as_bytes(), 100).is_none());
        assert!(parse::<serde_json::Value>(deep.as_bytes()).unwrap_err().contains("recursion limit"));
    }
}
