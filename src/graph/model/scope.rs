//! What a walk takes in and how far it may go.

use crate::oci::{Descriptor, ManifestBlob};

/// Nodes a walk may hold unless told otherwise: far beyond any real graph, small enough that a
/// registry serving an endless one cannot exhaust memory.
pub const DEFAULT_MAX_NODES: usize = 10_000;
/// Levels below the root a walk may reach unless told otherwise.
pub const DEFAULT_MAX_DEPTH: usize = 64;

/// Bounds on a walk; going past one is an error, never a silently cut graph.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub nodes: usize,
    pub depth: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            nodes: DEFAULT_MAX_NODES,
            depth: DEFAULT_MAX_DEPTH,
        }
    }
}

/// What a graph takes in beyond the root and its index children.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scope {
    /// Follow OCI referrers.
    pub referrers: bool,
    /// Follow cosign tag attachments.
    pub attachments: bool,
    /// Levels below the root to take in, as a view asks (`discover --depth`); nodes at the last
    /// level are checked but not expanded. `None`: all of them, up to [`Limits::depth`].
    pub depth: Option<usize>,
}

impl Scope {
    /// Everything: what discover shows, `copy -r` copies and delete deletes.
    pub const WHOLE: Scope = Scope {
        referrers: true,
        attachments: true,
        depth: None,
    };
    /// The artifact itself: the root and its index children, as a plain copy takes it.
    pub const OWN: Scope = Scope {
        referrers: false,
        attachments: false,
        depth: None,
    };
}

/// Where a graph starts: a descriptor (its manifest still to fetch) or a fetched manifest.
pub enum Root {
    Descriptor(Descriptor),
    Manifest(ManifestBlob),
}

impl From<Descriptor> for Root {
    fn from(d: Descriptor) -> Root {
        Root::Descriptor(d)
    }
}

impl From<ManifestBlob> for Root {
    fn from(b: ManifestBlob) -> Root {
        Root::Manifest(b)
    }
}
