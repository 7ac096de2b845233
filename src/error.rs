//! The library's error type. Every variant a user can cause says what to do next.

use std::path::PathBuf;

use crate::oci::{Digest, ParseError};

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Parse(#[from] ParseError),

    #[error("401 from {registry}: {hint}")]
    Unauthorized { registry: String, hint: String },

    #[error("403 from {registry}: access denied to {what}; check that your account has permission for it")]
    Denied { registry: String, what: String },

    #[error("{what} not found in {location}")]
    NotFound { what: String, location: String },

    #[error("{registry} does not allow deletes (405 UNSUPPORTED); enable `storage.delete` in the registry's configuration. Nothing was deleted")]
    DeleteDisabled { registry: String },

    #[error("{registry} answered {status} to {action}: {message}")]
    Status {
        registry: String,
        status: u16,
        action: String,
        message: String,
    },

    #[error("{registry} is rate-limiting requests (429 to {action}){left}; try again {when}")]
    RateLimited {
        registry: String,
        action: String,
        /// `in 1m 30s`, from Retry-After, or `later`.
        when: String,
        left: String,
    },

    #[error("cannot reach {registry}: {reason}")]
    Connect { registry: String, reason: String },

    #[error("{registry} did not answer in time ({action}); check the network or retry")]
    Timeout { registry: String, action: String },

    #[error("{registry} sent an invalid response to {action}: {reason}")]
    Protocol {
        registry: String,
        action: String,
        reason: String,
    },

    #[error("digest mismatch for {what}: expected {expected}, got {actual}; the content is corrupt or was tampered with, so it was discarded")]
    DigestMismatch {
        what: String,
        expected: Digest,
        actual: Digest,
    },

    #[error("size mismatch for {what}: expected {expected} bytes, got {actual}; the content was discarded")]
    SizeMismatch {
        what: String,
        expected: u64,
        actual: u64,
    },

    #[error("{what} is {size} bytes, over the {limit}-byte limit; refusing it")]
    TooLarge { what: String, size: u64, limit: u64 },

    #[error("the graph of {root} has more than {limit} {what}; stopped (a registry can serve a graph without end). If it is really that big, raise the limit with {flag}")]
    GraphLimit {
        root: Digest,
        what: &'static str,
        limit: usize,
        flag: &'static str,
    },

    #[error("{what} runs past {limit} {unit} over its pages, so it was stopped; if it really is that long, raise the limit with {flag}")]
    ListingTooLong {
        what: String,
        limit: u64,
        unit: &'static str,
        flag: &'static str,
    },

    #[error("refusing to write `{path}`: {reason}; nothing was written")]
    UnsafePath { path: String, reason: String },

    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error("OCI layout {}: {reason}", path.display())]
    Layout { path: PathBuf, reason: String },

    #[error("config {}{}: {reason}; fix the file, or set REFSCOPE_CONFIG to another one", path.display(), line.map(|(l, c)| format!(":{l}:{c}")).unwrap_or_default())]
    Config {
        path: PathBuf,
        /// Line and column, from 1.
        line: Option<(usize, usize)>,
        reason: String,
    },

    #[error("state file {}: {reason}; move it away, and refscope starts a new one", path.display())]
    State { path: PathBuf, reason: String },

    #[error("TLS file {}: {reason}", path.display())]
    Tls { path: PathBuf, reason: String },

    #[error("credentials for {registry}: {reason}")]
    Credentials { registry: String, reason: String },

    #[error("{0}")]
    Usage(String),

    #[error(transparent)]
    Content(#[from] crate::inspect::Unreadable),

    #[error("cancelled")]
    Cancelled,
}

impl Error {
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Error {
        Error::Io {
            path: path.into(),
            source,
        }
    }

    pub fn usage(msg: impl Into<String>) -> Error {
        Error::Usage(msg.into())
    }

    pub fn is_not_found(&self) -> bool {
        matches!(self, Error::NotFound { .. })
    }

    /// The process exit code for this error: 2 for a bad config file (as for bad usage), else 1.
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::Config { .. } => 2,
            _ => 1,
        }
    }

    /// The registry failed on its side (a 5xx that retries did not clear).
    pub fn is_server_error(&self) -> bool {
        matches!(self, Error::Status { status: 500..=599, .. })
    }
}
