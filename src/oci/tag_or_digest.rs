//! What follows a repository name in a reference: a tag or a digest.

use std::fmt;
use std::str::FromStr;

use super::{Digest, ParseError};

/// A tag or a digest. A digest always has a `:` (`sha256:<hex>`) and a tag never does; that is
/// the one rule every target shares, so it is the one rule [`TagOrDigest::parse`] applies to
/// tags: registries keep to the distribution spec's tag grammar, but OCI layouts name tags with
/// free-form `ref.name` annotations, and those must still open.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum TagOrDigest {
    Tag(String),
    Digest(Digest),
}

impl TagOrDigest {
    /// A digest when the text has a `:`, else a tag; empty text and malformed digests are refused.
    pub fn parse(input: &str) -> Result<TagOrDigest, ParseError> {
        if input.is_empty() {
            return Err(ParseError::Reference {
                input: String::new(),
                reason: "a tag or digest is needed, e.g. v1 or sha256:<64 hex characters>".into(),
            });
        }
        if input.contains(':') {
            return input.parse().map(TagOrDigest::Digest);
        }
        Ok(TagOrDigest::Tag(input.to_string()))
    }

    pub fn tag(&self) -> Option<&str> {
        match self {
            TagOrDigest::Tag(t) => Some(t),
            TagOrDigest::Digest(_) => None,
        }
    }

    pub fn digest(&self) -> Option<&Digest> {
        match self {
            TagOrDigest::Digest(d) => Some(d),
            TagOrDigest::Tag(_) => None,
        }
    }

    pub fn is_digest(&self) -> bool {
        matches!(self, TagOrDigest::Digest(_))
    }

    /// `name:tag` or `name@digest`, as references are written.
    pub fn after(&self, name: &str) -> String {
        match self {
            TagOrDigest::Tag(t) => format!("{name}:{t}"),
            TagOrDigest::Digest(d) => format!("{name}@{d}"),
        }
    }

    /// At most 12 characters that tell this one apart: the tag's start, or the digest's short hex.
    pub fn short(&self) -> String {
        match self {
            TagOrDigest::Tag(t) => t.chars().take(12).collect(),
            TagOrDigest::Digest(d) => d.short().to_string(),
        }
    }
}

impl fmt::Display for TagOrDigest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TagOrDigest::Tag(t) => f.write_str(t),
            TagOrDigest::Digest(d) => d.fmt(f),
        }
    }
}

impl FromStr for TagOrDigest {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, ParseError> {
        TagOrDigest::parse(s)
    }
}

impl From<Digest> for TagOrDigest {
    fn from(d: Digest) -> TagOrDigest {
        TagOrDigest::Digest(d)
    }
}

/// Compares with the text form, so `reference == "v1"` reads as it is written.
impl PartialEq<str> for TagOrDigest {
    fn eq(&self, other: &str) -> bool {
        match self {
            TagOrDigest::Tag(t) => t == other,
            TagOrDigest::Digest(d) => other.parse::<Digest>().is_ok_and(|o| &o == d),
        }
    }
}

impl PartialEq<String> for TagOrDigest {
    fn eq(&self, other: &String) -> bool {
        self == other.as_str()
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    const D: &str = "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a";

    #[test]
    fn a_colon_makes_a_digest_and_its_absence_a_tag() {
        assert_eq!(TagOrDigest::parse("v1").unwrap(), TagOrDigest::Tag("v1".into()));
        let d = TagOrDigest::parse(D).unwrap();
        assert!(d.is_digest());
        assert_eq!(d.digest().map(Digest::to_string).as_deref(), Some(D));
        assert_eq!(d.after("localhost:5000/app"), format!("localhost:5000/app@{D}"));
        assert_eq!(TagOrDigest::parse("v1").unwrap().after("app"), "app:v1");
        assert_eq!(d.short(), "44136fa355b3");
        for bad in ["", "sha256:abc", "v1:2", "md5:44136fa355b3678a1146ad16f7e8649e"] {
            assert!(TagOrDigest::parse(bad).is_err(), "{bad:?} should be refused");
        }
    }

    #[test]
    fn compares_with_its_text() {
        assert!(TagOrDigest::parse("v1").unwrap() == *"v1");
        assert!(TagOrDigest::parse(D).unwrap() == *D);
        assert!(TagOrDigest::parse(D).unwrap() != *"v1");
    }

    fn tag() -> impl Strategy<Value = String> {
        "[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}|[^:]{1,40}"
    }

    fn digest() -> impl Strategy<Value = Digest> {
        prop_oneof![
            "[0-9a-f]{64}".prop_map(|h| format!("sha256:{h}")),
            "[0-9a-f]{128}".prop_map(|h| format!("sha512:{h}")),
        ]
        .prop_map(|s| s.parse::<Digest>().expect("generated digests are well formed"))
    }

    proptest! {
        #[test]
        fn parse_after_display_gives_the_same_value(
            value in prop_oneof![tag().prop_map(TagOrDigest::Tag), digest().prop_map(TagOrDigest::Digest)]
        ) {
            prop_assert_eq!(TagOrDigest::parse(&value.to_string()).unwrap(), value);
        }
    }
}
