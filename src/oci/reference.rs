//! Image references in the syntax Docker and ORAS accept: `[host[:port]/]repo[:tag][@digest]`.

use std::fmt;
use std::str::FromStr;

use super::{Digest, ParseError, TagOrDigest};

/// The registry name Docker uses for Docker Hub in references.
pub const DOCKER_HUB: &str = "docker.io";
/// The host that actually serves Docker Hub's distribution API.
pub const DOCKER_HUB_API: &str = "registry-1.docker.io";

const MAX_NAME_LEN: usize = 255;
const MAX_TAG_LEN: usize = 128;

/// A parsed reference. `tag` and `digest` may both be set; the digest then wins for fetching.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Reference {
    pub registry: String,
    pub repository: String,
    pub tag: Option<String>,
    pub digest: Option<Digest>,
}

impl Reference {
    /// Parses a reference; a name without a registry means Docker Hub, and a single-component
    /// Docker Hub name gets the `library/` namespace, as `docker pull alpine` does.
    pub fn parse(input: &str) -> Result<Reference, ParseError> {
        let bad = |why: &str| ParseError::Reference {
            input: input.to_string(),
            reason: why.to_string(),
        };
        if input.is_empty() {
            return Err(bad("it is empty"));
        }
        if input.chars().any(|c| c.is_control() || c.is_whitespace()) {
            return Err(bad("it contains whitespace or control characters"));
        }
        let (rest, digest) = match input.rsplit_once('@') {
            Some((rest, d)) => (rest, Some(d.parse::<Digest>()?)),
            None => (input, None),
        };
        let (registry, path) = split_registry(rest);
        let (path, tag) = match path.rsplit_once(':') {
            Some((p, t)) => (p, Some(t.to_string())),
            None => (path, None),
        };
        if let Some(t) = &tag {
            validate_tag(t).map_err(|why| bad(&why))?;
        }
        let registry = match registry {
            Some(r) => {
                validate_registry(r).map_err(|why| bad(&why))?;
                r.to_string()
            }
            None => DOCKER_HUB.to_string(),
        };
        let repository = if registry == DOCKER_HUB && !path.contains('/') {
            format!("library/{path}")
        } else {
            path.to_string()
        };
        validate_repository(&repository).map_err(|why| bad(&why))?;
        Ok(Reference {
            registry,
            repository,
            tag,
            digest,
        })
    }

    /// The tag or digest to put in a `/manifests/<reference>` URL: the digest when both are set.
    pub fn target(&self) -> Option<String> {
        self.tag_or_digest().map(|r| r.to_string())
    }

    /// The tag or digest this reference names: the digest when both are set.
    pub fn tag_or_digest(&self) -> Option<TagOrDigest> {
        match (&self.digest, &self.tag) {
            (Some(d), _) => Some(TagOrDigest::Digest(d.clone())),
            (None, Some(t)) => Some(TagOrDigest::Tag(t.clone())),
            (None, None) => None,
        }
    }

    /// `registry/repository` without tag or digest.
    pub fn name(&self) -> String {
        format!("{}/{}", self.registry, self.repository)
    }

    /// The host to send API requests to (Docker Hub's API lives on another host than its name).
    pub fn api_host(&self) -> &str {
        api_host(&self.registry)
    }
}

/// The host that serves the distribution API for a registry name.
pub fn api_host(registry: &str) -> &str {
    if registry == DOCKER_HUB || registry == "index.docker.io" {
        DOCKER_HUB_API
    } else {
        registry
    }
}

/// Whether plain HTTP is the default for this registry host, as ORAS does for loopback:
/// `localhost` by name, and addresses that parse as loopback IPs (127.0.0.0/8, `[::1]`, and
/// IPv4 loopback written as an IPv4-mapped IPv6 address). A DNS name is never loopback by its
/// spelling: `127.example.com` gets HTTPS.
pub fn is_loopback_host(registry: &str) -> bool {
    let host = host_without_port(registry);
    if host.eq_ignore_ascii_case("localhost") {
        return true;
    }
    match host.parse::<std::net::IpAddr>() {
        Ok(std::net::IpAddr::V4(ip)) => ip.is_loopback(),
        Ok(std::net::IpAddr::V6(ip)) => ip.is_loopback() || ip.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback()),
        Err(_) => false,
    }
}

fn host_without_port(registry: &str) -> &str {
    if let Some(rest) = registry.strip_prefix('[') {
        return rest.split(']').next().unwrap_or(rest);
    }
    registry.split(':').next().unwrap_or(registry)
}

impl fmt::Display for Reference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.registry, self.repository)?;
        if let Some(t) = &self.tag {
            write!(f, ":{t}")?;
        }
        if let Some(d) = &self.digest {
            write!(f, "@{d}")?;
        }
        Ok(())
    }
}

impl FromStr for Reference {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, ParseError> {
        Reference::parse(s)
    }
}

/// Splits off the registry the way Docker does: the first component is a registry when it has
/// a `.` or a `:`, or is `localhost`.
fn split_registry(s: &str) -> (Option<&str>, &str) {
    match s.split_once('/') {
        Some((first, rest))
            if first.contains('.')
                || first.contains(':')
                || first == "localhost"
                || first.starts_with('[') =>
        {
            (Some(first), rest)
        }
        _ => (None, s),
    }
}

/// Parses `REGISTRY[/NAMESPACE]` as `repo ls` and `login` take it.
pub fn parse_registry_and_namespace(input: &str) -> Result<(String, Option<String>), ParseError> {
    let bad = |why: &str| ParseError::Reference {
        input: input.to_string(),
        reason: why.to_string(),
    };
    let trimmed = input
        .trim_start_matches("https://")
        .trim_start_matches("http://")
        .trim_end_matches('/');
    let (registry, namespace) = match trimmed.split_once('/') {
        Some((r, ns)) => (r, Some(ns.to_string())),
        None => (trimmed, None),
    };
    validate_registry(registry).map_err(|why| bad(&why))?;
    if let Some(ns) = &namespace {
        validate_repository(ns).map_err(|why| bad(&why))?;
    }
    Ok((registry.to_string(), namespace))
}

fn validate_registry(r: &str) -> Result<(), String> {
    if r.is_empty() {
        return Err("the registry is empty".into());
    }
    let ok = r
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']' | '_'));
    if !ok {
        return Err(format!("`{r}` is not a valid registry host[:port]"));
    }
    if let Some((_, port)) = r.rsplit_once(':')
        && !r.ends_with(']')
        && (port.is_empty() || port.parse::<u16>().is_err())
        && !r.starts_with('[')
    {
        return Err(format!("`{r}` has an invalid port"));
    }
    Ok(())
}

pub fn validate_tag(t: &str) -> Result<(), String> {
    let mut chars = t.chars();
    let first_ok = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_');
    if !first_ok
        || t.len() > MAX_TAG_LEN
        || !chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
    {
        return Err(format!(
            "`{t}` is not a valid tag (letters, digits, `_`, `.`, `-`; up to 128; not starting with `.` or `-`)"
        ));
    }
    Ok(())
}

/// Repository path rules of the distribution spec: lowercase components joined by `/`,
/// each `[a-z0-9]+` runs separated by `.`, `_`, `__` or runs of `-`.
pub fn validate_repository(path: &str) -> Result<(), String> {
    if path.is_empty() {
        return Err("the repository name is empty".into());
    }
    if path.len() > MAX_NAME_LEN {
        return Err(format!("the repository name is longer than {MAX_NAME_LEN} characters"));
    }
    for component in path.split('/') {
        if !valid_component(component) {
            return Err(format!(
                "`{component}` is not a valid repository path component (lowercase letters, digits, and `.`, `_`, `__`, `-` between them)"
            ));
        }
    }
    Ok(())
}

fn valid_component(c: &str) -> bool {
    let b = c.as_bytes();
    if b.is_empty() || !is_alnum(b[0]) || !is_alnum(b[b.len() - 1]) {
        return false;
    }
    let mut i = 0;
    while i < b.len() {
        if is_alnum(b[i]) {
            i += 1;
            continue;
        }
        let start = i;
        while i < b.len() && !is_alnum(b[i]) {
            i += 1;
        }
        let sep = &c[start..i];
        let ok = sep == "." || sep == "_" || sep == "__" || sep.bytes().all(|x| x == b'-');
        if !ok {
            return false;
        }
    }
    true
}

fn is_alnum(b: u8) -> bool {
    b.is_ascii_lowercase() || b.is_ascii_digit()
}

#[cfg(test)]
mod tests {
    use super::*;

    const D: &str = "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a";

    #[test]
    fn parses_the_forms_oras_and_docker_accept() {
        let r = Reference::parse("localhost:5000/net-monitor:v1").unwrap();
        assert_eq!(
            (r.registry.as_str(), r.repository.as_str(), r.tag.as_deref()),
            ("localhost:5000", "net-monitor", Some("v1"))
        );
        let r = Reference::parse(&format!("localhost:5000/a/b@{D}")).unwrap();
        assert_eq!(r.repository, "a/b");
        assert_eq!(r.digest.as_ref().unwrap().to_string(), D);
        assert_eq!(r.target().unwrap(), D);
        let r = Reference::parse(&format!("127.0.0.1:5000/a/b:v2@{D}")).unwrap();
        assert_eq!(r.tag.as_deref(), Some("v2"));
        assert_eq!(r.target().unwrap(), D, "the digest wins over the tag");
        let r = Reference::parse("ghcr.io/org/team/app").unwrap();
        assert_eq!((r.registry.as_str(), r.tag.clone()), ("ghcr.io", None));
        let r = Reference::parse("[::1]:5000/x:y").unwrap();
        assert_eq!(r.registry, "[::1]:5000");
        assert!(is_loopback_host(&r.registry));
    }

    #[test]
    fn loopback_is_an_address_or_localhost_not_a_spelling() {
        for yes in ["localhost", "localhost:5000", "LocalHost:1", "127.0.0.1", "127.0.0.1:5000", "127.255.1.2:80", "[::1]", "[::1]:5000", "[::ffff:127.0.0.1]:5000"] {
            assert!(is_loopback_host(yes), "{yes}");
        }
        for no in ["127.example.com", "127.example.com:5000", "127.0.0.1.nip.io", "localhost.example.com", "127", "128.0.0.1", "[::2]:5000", "[fe80::1]", "0.0.0.0:5000", "ghcr.io"] {
            assert!(!is_loopback_host(no), "{no}");
        }
    }

    #[test]
    fn docker_hub_defaults() {
        let r = Reference::parse("alpine").unwrap();
        assert_eq!(r.to_string(), "docker.io/library/alpine");
        assert_eq!(r.api_host(), "registry-1.docker.io");
        let r = Reference::parse("bitnami/redis:7").unwrap();
        assert_eq!(r.to_string(), "docker.io/bitnami/redis:7");
        let r = Reference::parse("localhost/x").unwrap();
        assert_eq!(r.registry, "localhost");
    }

    #[test]
    fn rejects_bad_references_with_a_reason() {
        for bad in [
            "",
            "localhost:5000/UPPER",
            "localhost:5000/a//b",
            "localhost:5000/a:-tag",
            "localhost:5000/a:",
            "localhost:5000/a@sha256:zz",
            "localhost:5000/a b",
            "localhost:5000/a\u{1b}[31m",
            "localhost:99999/a",
            "localhost:5000/-a",
            "localhost:5000/a..b",
        ] {
            let e = Reference::parse(bad);
            assert!(e.is_err(), "{bad:?} should be rejected, got {e:?}");
        }
        let long_tag = format!("localhost:5000/a:{}", "t".repeat(129));
        assert!(Reference::parse(&long_tag).is_err());
    }

    #[test]
    fn repository_components() {
        for ok in ["a", "a.b", "a_b", "a__b", "a---b", "a0/b1/c2"] {
            assert!(validate_repository(ok).is_ok(), "{ok}");
        }
        for bad in ["a___b", "a.-b", ".a", "a.", "A", "a/", ""] {
            assert!(validate_repository(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn registry_and_namespace() {
        assert_eq!(
            parse_registry_and_namespace("localhost:5000/team").unwrap(),
            ("localhost:5000".to_string(), Some("team".to_string()))
        );
        assert_eq!(
            parse_registry_and_namespace("https://r.example.com/").unwrap(),
            ("r.example.com".to_string(), None)
        );
        assert!(parse_registry_and_namespace("bad host").is_err());
    }
}
