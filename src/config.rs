//! The config file: TOML at `$REFSCOPE_CONFIG`, else `$XDG_CONFIG_HOME/refscope/config.toml`
//! (default `~/.config/refscope/config.toml`). It holds per-registry settings, keyed by host:
//!
//! ```toml
//! [registry."registry.example.com:5000"]
//! alias = "prod"
//! ca_file = "/etc/ssl/corp-ca.pem"
//! referrers = "tag-schema"
//! ```
//!
//! The `[keys]` and `[theme]` tables are read here as names and strings with where each sits
//! in the file; the TUI checks them against its keymap and colour roles (and names the line).
//!
//! Loading knows nothing of the terminal: unknown keys come back as warnings for the front to
//! show, and every other problem is one [`Error::Config`] with the file, line and column.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Deserializer, Serialize};
use toml::Spanned;

use crate::error::{Error, Result};

/// The variable that names the config file instead of the XDG path.
pub const PATH_ENV: &str = "REFSCOPE_CONFIG";

/// Keys a registry table may hold; anything else is warned about.
const REGISTRY_KEYS: [&str; 8] = ["alias", "plain_http", "insecure", "ca_file", "cert_file", "key_file", "referrers", "concurrency"];

/// Settings for one registry host.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
pub struct RegistryConfig {
    /// A short name: `refscope prod`, or `prod/net-monitor:v1` as a reference.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alias: Option<String>,
    #[serde(default)]
    pub plain_http: bool,
    #[serde(default)]
    pub insecure: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ca_file: Option<PathBuf>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cert_file: Option<PathBuf>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_file: Option<PathBuf>,
    /// Use this way of listing referrers instead of finding out (like ORAS's
    /// `--distribution-spec`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub referrers: Option<ReferrersSetting>,
    /// Requests waiting for an answer at once, at most.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub concurrency: Option<usize>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ReferrersSetting {
    Api,
    TagSchema,
}

impl ReferrersSetting {
    pub fn name(self) -> &'static str {
        match self {
            ReferrersSetting::Api => "api",
            ReferrersSetting::TagSchema => "tag-schema",
        }
    }
}

/// One line of a table the TUI checks (`[keys]`, `[theme]`): a name, its value, and where the
/// line is in the file (line and column, from 1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry<T> {
    pub name: String,
    pub value: T,
    pub at: (usize, usize),
}

/// A key or a list of keys: `delete = "D"` or `down = ["j", "Ctrl-n"]`.
#[derive(Debug, Clone)]
struct KeyList(Vec<String>);

impl<'de> Deserialize<'de> for KeyList {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<KeyList, D::Error> {
        struct Visit;
        impl<'de> serde::de::Visitor<'de> for Visit {
            type Value = KeyList;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a key such as \"j\" or \"Ctrl-d\", or a list of them")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> std::result::Result<KeyList, E> {
                Ok(KeyList(vec![v.to_string()]))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> std::result::Result<KeyList, A::Error> {
                let mut keys = Vec::new();
                while let Some(k) = seq.next_element::<String>()? {
                    keys.push(k);
                }
                Ok(KeyList(keys))
            }
        }
        d.deserialize_any(Visit)
    }
}

#[derive(Debug, Default, Deserialize)]
struct FileShape {
    #[serde(default)]
    registry: BTreeMap<String, RegistryConfig>,
    #[serde(default)]
    keys: BTreeMap<Spanned<String>, KeyList>,
    #[serde(default)]
    theme: BTreeMap<Spanned<String>, String>,
}

/// The settings in force, and where they came from.
#[derive(Debug, Clone, Default)]
pub struct Config {
    /// The file read, or the one that would be read (it may not exist).
    pub path: Option<PathBuf>,
    pub exists: bool,
    /// By host, as written in references (`HOST[:PORT]`).
    pub registries: BTreeMap<String, RegistryConfig>,
    /// `[keys]`: an action's name and the keys that replace its default ones, in file order.
    pub keys: Vec<Entry<Vec<String>>>,
    /// `[theme]`: a colour role and its colour, in file order.
    pub theme: Vec<Entry<String>>,
    /// Keys the file has that nothing reads, for the front to show.
    pub warnings: Vec<String>,
}

/// Where the config file is: `$REFSCOPE_CONFIG`, else the XDG config directory.
pub fn default_path() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os(PATH_ENV).filter(|p| !p.is_empty()) {
        return Some(PathBuf::from(p));
    }
    let config_home = std::env::var_os("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")))?;
    Some(config_home.join("refscope").join("config.toml"))
}

impl Config {
    /// The file at the default path; none there means no settings.
    pub fn load() -> Result<Config> {
        match default_path() {
            Some(p) => Config::load_from(&p),
            None => Ok(Config::default()),
        }
    }

    pub fn load_from(path: &Path) -> Result<Config> {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Ok(Config {
                    path: Some(path.to_path_buf()),
                    ..Config::default()
                });
            }
            Err(e) => return Err(Error::io(path, e)),
        };
        let mut config = Config::parse(&text, path)?;
        config.exists = true;
        Ok(config)
    }

    /// Parses `text` as the file at `path` (named in messages).
    pub fn parse(text: &str, path: &Path) -> Result<Config> {
        let table: toml::Table = toml::from_str(text).map_err(|e| located(path, text, &e))?;
        let shape: FileShape = toml::from_str(text).map_err(|e| located(path, text, &e))?;
        let config = Config {
            path: Some(path.to_path_buf()),
            exists: true,
            registries: shape.registry,
            keys: entries(text, shape.keys.into_iter().map(|(k, v)| (k, v.0))),
            theme: entries(text, shape.theme),
            warnings: unknown_keys(&table),
        };
        config.check(path)?;
        Ok(config)
    }

    /// Rules serde cannot say: aliases that are not hosts and not taken twice, key with cert.
    fn check(&self, path: &Path) -> Result<()> {
        let fail = |reason: String| Error::Config {
            path: path.to_path_buf(),
            line: None,
            reason,
        };
        let mut seen: BTreeMap<&str, &str> = BTreeMap::new();
        for (host, r) in &self.registries {
            if r.cert_file.is_some() != r.key_file.is_some() {
                return Err(fail(format!("registry \"{host}\" needs both cert_file and key_file, or neither")));
            }
            if r.concurrency == Some(0) {
                return Err(fail(format!("registry \"{host}\": concurrency must be 1 or more")));
            }
            let Some(alias) = r.alias.as_deref() else { continue };
            if alias.is_empty() || alias.contains(['.', ':', '/', '@']) || alias == "localhost" {
                return Err(fail(format!(
                    "the alias \"{alias}\" of \"{host}\" looks like a registry host; an alias is a plain word such as \"prod\""
                )));
            }
            if self.registries.contains_key(alias) {
                return Err(fail(format!("the alias \"{alias}\" of \"{host}\" shadows the registry \"{alias}\"; rename it")));
            }
            if let Some(other) = seen.insert(alias, host) {
                return Err(fail(format!("the alias \"{alias}\" is given to both \"{other}\" and \"{host}\"")));
            }
        }
        Ok(())
    }

    /// The host an alias stands for.
    pub fn host_of_alias(&self, alias: &str) -> Option<&str> {
        self.registries
            .iter()
            .find(|(_, r)| r.alias.as_deref() == Some(alias))
            .map(|(h, _)| h.as_str())
    }

    /// `input` with a leading alias (`prod`, `prod/repo:tag`) replaced by its host.
    pub fn expand(&self, input: &str) -> String {
        let (first, rest) = match input.split_once('/') {
            Some((f, r)) => (f, Some(r)),
            None => {
                // `prod:v1` is a Docker Hub name with a tag, `prod@…` one with a digest.
                let end = input.find([':', '@']).unwrap_or(input.len());
                (&input[..end], None)
            }
        };
        match self.host_of_alias(first) {
            Some(host) if rest.is_some() || first.len() == input.len() => match rest {
                Some(r) => format!("{host}/{r}"),
                None => host.to_string(),
            },
            _ => input.to_string(),
        }
    }

    /// The error for a line of the file: `at` is its line and column.
    pub fn error_at(&self, at: (usize, usize), reason: impl Into<String>) -> Error {
        Error::Config {
            path: self.path.clone().unwrap_or_default(),
            line: Some(at),
            reason: reason.into(),
        }
    }

    pub fn registry(&self, host: &str) -> Option<&RegistryConfig> {
        self.registries.get(host)
    }

    /// The registry settings as TOML, as `refscope config` prints them. The file holds no
    /// secrets (key files are named, never read here).
    pub fn registries_toml(&self) -> String {
        #[derive(Serialize)]
        struct Shape<'a> {
            registry: &'a BTreeMap<String, RegistryConfig>,
        }
        toml::to_string(&Shape { registry: &self.registries }).unwrap_or_default()
    }
}

/// Keys of the file that nothing reads, as dotted paths.
fn unknown_keys(table: &toml::Table) -> Vec<String> {
    let mut out = Vec::new();
    for (key, value) in table {
        if key == "keys" || key == "theme" {
            continue;
        }
        if key != "registry" {
            out.push(key.clone());
            continue;
        }
        let Some(hosts) = value.as_table() else { continue };
        for (host, settings) in hosts {
            let Some(settings) = settings.as_table() else { continue };
            for k in settings.keys().filter(|k| !REGISTRY_KEYS.contains(&k.as_str())) {
                out.push(format!("registry.\"{host}\".{k}"));
            }
        }
    }
    out
}

/// A table's lines in file order, each with where its name is.
fn entries<T>(text: &str, table: impl IntoIterator<Item = (Spanned<String>, T)>) -> Vec<Entry<T>> {
    let mut out: Vec<Entry<T>> = table
        .into_iter()
        .map(|(name, value)| Entry { at: line_col(text, name.span().start), name: name.into_inner(), value })
        .collect();
    out.sort_by_key(|e| e.at);
    out
}

/// The line and column (from 1) of the byte `offset` in `text`.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = text.get(..offset.min(text.len())).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

/// A TOML error as one line naming the file, line and column.
fn located(path: &Path, text: &str, e: &toml::de::Error) -> Error {
    let line = e.span().map(|span| line_col(text, span.start));
    Error::Config {
        path: path.to_path_buf(),
        line,
        reason: e.message().trim().replace('\n', " "),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Config> {
        Config::parse(text, Path::new("/c/config.toml"))
    }

    /// The error `text` is refused with.
    fn refusal(text: &str) -> String {
        parse(text).unwrap_err().to_string()
    }

    #[test]
    fn reads_registries_and_aliases() {
        let c = parse(
            "[registry.\"reg.example:5000\"]\nalias = \"prod\"\nreferrers = \"tag-schema\"\nconcurrency = 4\nca_file = \"/ca.pem\"\n",
        )
        .unwrap();
        let r = c.registry("reg.example:5000").unwrap();
        assert_eq!(r.referrers, Some(ReferrersSetting::TagSchema));
        assert_eq!(r.concurrency, Some(4));
        assert_eq!(c.expand("prod"), "reg.example:5000");
        assert_eq!(c.expand("prod/a/b:v1"), "reg.example:5000/a/b:v1");
        assert_eq!(c.expand("prod:v1"), "prod:v1", "a Docker Hub name with a tag stays one");
        assert_eq!(c.expand("production/x"), "production/x");
        assert!(c.warnings.is_empty());
    }

    #[test]
    fn unknown_keys_are_warnings() {
        let c = parse("colour = 1\n[registry.\"r:1\"]\nalais = \"x\"\n").unwrap();
        assert_eq!(c.warnings, vec!["colour".to_string(), "registry.\"r:1\".alais".to_string()]);
    }

    #[test]
    fn bad_files_give_the_line_and_column() {
        let err = refusal("[registry.\"r:1\"]\ninsecure = \"yes\"\n");
        assert!(err.starts_with("config /c/config.toml:2:12: "), "{err}");
        let err = refusal("[registry\n");
        assert!(err.starts_with("config /c/config.toml:1:"), "{err}");
        let err = refusal("[registry.\"r:1\"]\nreferrers = \"both\"\n");
        assert!(err.contains(":2:") && err.contains("tag-schema"), "{err}");
    }

    #[test]
    fn keys_and_theme_keep_where_they_are() {
        let c = parse("[keys]\ndelete = \"D\"\ndown = [\"j\", \"Ctrl-n\"]\n\n[theme]\naccent = \"magenta\"\n").unwrap();
        assert_eq!(
            c.keys,
            vec![
                Entry { name: "delete".into(), value: vec!["D".into()], at: (2, 1) },
                Entry { name: "down".into(), value: vec!["j".into(), "Ctrl-n".into()], at: (3, 1) },
            ]
        );
        assert_eq!(c.theme, vec![Entry { name: "accent".into(), value: "magenta".into(), at: (6, 1) }]);
        assert!(c.warnings.is_empty(), "{:?}", c.warnings);
        let err = parse("[keys]\ndelete = 4\n").unwrap_err().to_string();
        assert!(err.starts_with("config /c/config.toml:2:10: ") && err.contains("a key such as"), "{err}");
        let err = parse("[theme]\naccent = [1]\n").unwrap_err().to_string();
        assert!(err.starts_with("config /c/config.toml:2:"), "{err}");
    }

    #[test]
    fn aliases_must_not_shadow_hosts() {
        let err = refusal("[registry.\"r:1\"]\nalias = \"localhost:5000\"\n");
        assert!(err.contains("looks like a registry host"), "{err}");
        let err = refusal("[registry.\"r:1\"]\nalias = \"ghcr\"\n[registry.ghcr]\n");
        assert!(err.contains("shadows the registry"), "{err}");
        let err = refusal("[registry.\"r:1\"]\ncert_file = \"/c\"\n");
        assert!(err.contains("key_file"), "{err}");
    }
}
