//! The colours of the screen, and the config file's `[theme]` table that changes them. Under
//! `NO_COLOR` none of them is used (see [`super::Theme`]).

use std::str::FromStr;

use ratatui::style::Color;

use crate::config::Config;
use crate::error::Result;

/// A colour for each role on the screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Palette {
    /// The focused pane's border, dialog borders, information.
    pub accent: Color,
    /// The background of the selected row in the focused pane.
    pub selection: Color,
    /// Artifact and media types.
    pub kind: Color,
    pub digest: Color,
    /// Other panes' borders, the key hints, what is less important.
    pub dim: Color,
    pub error: Color,
}

impl Default for Palette {
    fn default() -> Palette {
        Palette {
            accent: Color::Cyan,
            selection: Color::Blue,
            kind: Color::Yellow,
            digest: Color::Green,
            dim: Color::DarkGray,
            error: Color::Red,
        }
    }
}

const ROLES: &str = "accent, selection, kind, digest, dim, error";

impl Palette {
    /// The default colours with the config file's `[theme]` applied, or the error that names
    /// the first line that cannot be used.
    pub fn from_config(config: &Config) -> Result<Palette> {
        let mut palette = Palette::default();
        for entry in &config.theme {
            let fail = |reason: String| config.error_at(entry.at, format!("[theme] {}: {reason}", entry.name));
            let slot = match entry.name.as_str() {
                "accent" => &mut palette.accent,
                "selection" => &mut palette.selection,
                "kind" => &mut palette.kind,
                "digest" => &mut palette.digest,
                "dim" => &mut palette.dim,
                "error" => &mut palette.error,
                _ => return Err(fail(format!("no such colour role; the roles are {ROLES}"))),
            };
            *slot = Color::from_str(&entry.value).map_err(|_| {
                fail(format!(
                    "`{}` is not a colour; write a name (red, light-blue, dark-gray, …), #rrggbb, or a number 0-255",
                    entry.value
                ))
            })?;
        }
        Ok(palette)
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    fn palette(text: &str) -> Result<Palette> {
        Palette::from_config(&Config::parse(text, Path::new("/c/config.toml")).unwrap())
    }

    #[test]
    fn a_theme_sets_the_roles_it_names() {
        let p = palette("[theme]\naccent = \"light-magenta\"\ndigest = \"#ff8800\"\ndim = \"244\"\n").unwrap();
        assert_eq!(p, Palette { accent: Color::LightMagenta, digest: Color::Rgb(255, 136, 0), dim: Color::Indexed(244), ..Palette::default() });
        assert_eq!(palette("").unwrap(), Palette::default());
    }

    #[test]
    fn a_bad_role_or_colour_names_the_line() {
        let err = palette("[theme]\naccent = \"red\"\naccnt = \"blue\"\n").unwrap_err().to_string();
        assert!(err.starts_with("config /c/config.toml:3:1: [theme] accnt: no such colour role; the roles are accent,"), "{err}");
        let err = palette("[theme]\n\nerror = \"blurple\"\n").unwrap_err().to_string();
        assert!(err.starts_with("config /c/config.toml:3:1: [theme] error: `blurple` is not a colour"), "{err}");
    }
}
