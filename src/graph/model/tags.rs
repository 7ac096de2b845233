//! What the graph reads from a repository's tag names: cosign attachments
//! (`sha256-<hex>.sig|.att|.sbom`) and Referrers Tag Schema indexes (`sha256-<hex>`).

use std::collections::{HashMap, HashSet};

use crate::oci::Digest;
use crate::oci::friendly::{self, Known};

/// The kinds of cosign tag attachment: `sha256-<hex>.sig`, `.att`, `.sbom`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Attachment {
    Signature,
    Attestation,
    Sbom,
}

impl Attachment {
    pub fn suffix(self) -> &'static str {
        match self {
            Attachment::Signature => "sig",
            Attachment::Attestation => "att",
            Attachment::Sbom => "sbom",
        }
    }

    fn from_suffix(s: &str) -> Option<Attachment> {
        match s {
            "sig" => Some(Attachment::Signature),
            "att" => Some(Attachment::Attestation),
            "sbom" => Some(Attachment::Sbom),
            _ => None,
        }
    }

    /// The tag cosign keeps this kind of attachment of `subject` under.
    pub fn tag_for(self, subject: &Digest) -> String {
        format!("{}.{}", subject.fallback_tag(), self.suffix())
    }

    /// The badge and name views show for it.
    pub fn known(self) -> Known {
        match self {
            Attachment::Signature => friendly::COSIGN_SIGNATURE,
            Attachment::Attestation => friendly::IN_TOTO,
            Attachment::Sbom => friendly::COSIGN_SBOM,
        }
    }
}

/// What a tag is for, read from its name alone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TagRole {
    /// A name a person chose.
    Plain,
    /// `sha256-<hex>`: the Referrers Tag Schema index of that digest.
    ReferrersIndex(Digest),
    /// `sha256-<hex>.sig|.att|.sbom`: a cosign attachment of that digest.
    Attachment(Digest, Attachment),
}

pub fn classify_tag(tag: &str) -> TagRole {
    let Some((alg, rest)) = tag.split_once('-') else { return TagRole::Plain };
    let (hex, suffix) = match rest.split_once('.') {
        Some((h, s)) => (h, Some(s)),
        None => (rest, None),
    };
    let Ok(digest) = format!("{alg}:{hex}").parse::<Digest>() else { return TagRole::Plain };
    match suffix.map(Attachment::from_suffix) {
        None => TagRole::ReferrersIndex(digest),
        Some(Some(kind)) => TagRole::Attachment(digest, kind),
        Some(None) => TagRole::Plain,
    }
}

/// A repository's tag list, read for what the graph needs from it.
#[derive(Debug, Clone, Default)]
pub struct Tags {
    pub all: Vec<String>,
    attachments: HashMap<Digest, Vec<(String, Attachment)>>,
    indexed: HashSet<Digest>,
}

impl Tags {
    pub fn new(all: Vec<String>) -> Tags {
        let mut tags = Tags::default();
        for t in &all {
            match classify_tag(t) {
                TagRole::Attachment(d, kind) => tags.attachments.entry(d).or_default().push((t.clone(), kind)),
                TagRole::ReferrersIndex(d) => {
                    tags.indexed.insert(d);
                }
                TagRole::Plain => {}
            }
        }
        tags.all = all;
        tags
    }

    /// Whether `subject` has a `sha256-<hex>` referrers index tag.
    pub fn has_index(&self, subject: &Digest) -> bool {
        self.indexed.contains(subject)
    }

    /// The cosign attachment tags of `subject`.
    pub fn attachments_of(&self, subject: &Digest) -> &[(String, Attachment)] {
        self.attachments.get(subject).map(Vec::as_slice).unwrap_or(&[])
    }
}
