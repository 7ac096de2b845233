//! What the model asks the worker to do ([`Effect`]) and what the worker reports back
//! ([`WorkerEvent`]). Requests carry ids so the model can drop answers it no longer wants.

use std::path::PathBuf;

use crate::graph::progress::Event;
use crate::oci::{Annotations, Descriptor, Digest};

use crate::store::ReferrersMode;

use super::app::lists::TagInfo;

pub type RequestId = u64;
pub type JobId = u64;

/// Work for the background worker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    LoadCatalog { id: RequestId, next: Option<String> },
    LoadTags { id: RequestId, repo: String },
    DescribeTags { repo: String, tags: Vec<String> },
    ResolveSubject { id: RequestId, repo: String, reference: String },
    LoadManifest { repo: String, digest: Digest },
    LoadReferrers { id: RequestId, repo: String, digest: Digest },
    Pull { job: JobId, repo: String, reference: String, dir: PathBuf },
    BuildAttach { id: RequestId, repo: String, subject: String, files: Vec<String>, artifact_type: String, annotations: Vec<String> },
    PushAttach { job: JobId, id: RequestId },
    /// `tag` is the source tag, used when the destination names none.
    PlanCopy { id: RequestId, repo: String, reference: String, tag: Option<String>, destination: String },
    ExecuteCopy { job: JobId, id: RequestId },
    PlanDelete { id: RequestId, repo: String, reference: String },
    ApplyDelete { job: JobId, id: RequestId },
    Cancel { job: JobId },
    /// Put text on the clipboard (OSC 52); done by the terminal loop, not the worker.
    Clipboard(String),
    Login { registry: String, username: String, password: String, save: bool },
    /// List file names that complete `partial` (for the attach dialog).
    CompletePath { id: RequestId, partial: String },
}

/// Why something failed, for the status bar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub message: String,
    /// Set when the registry wants credentials: the model opens the login dialog.
    pub unauthorized: Option<String>,
    /// The registry answered and said no (404, 403, another 4xx), as opposed to not answering.
    pub refused: bool,
}

/// A manifest as the details pane shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManifestView {
    pub descriptor: Descriptor,
    pub artifact_type: Option<String>,
    pub config: Option<Descriptor>,
    pub subject: Option<Digest>,
    pub annotations: Annotations,
    pub layers: Vec<Descriptor>,
    /// Platform manifests of an index.
    pub manifests: Vec<Descriptor>,
    /// The manifest pretty-printed, one line per entry.
    pub pretty: Vec<String>,
    /// Manifest, config and layers together.
    pub total_size: u64,
}

impl ManifestView {
    pub fn kind(&self) -> &str {
        self.artifact_type.as_deref().unwrap_or(&self.descriptor.media_type)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CopyRow {
    pub digest: Digest,
    pub kind: String,
    /// 0 for the artifact itself, then one more per referrer level.
    pub depth: usize,
    pub exists: bool,
    pub bytes: u64,
}

/// A planned copy, shown before anything is written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CopyPreview {
    pub destination: String,
    pub rows: Vec<CopyRow>,
    pub blobs_to_send: usize,
    pub blobs_present: usize,
    pub bytes_to_send: u64,
    pub warnings: Vec<String>,
}

/// A planned delete: every step, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeletePreview {
    pub target: String,
    pub lines: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReferrersView {
    pub list: Vec<Descriptor>,
    pub warnings: Vec<String>,
    pub mode: Option<ReferrersMode>,
}

/// What the worker reports. Answers marked `cached` come from the disk cache, shown at once;
/// the answer from the registry follows with `cached: false`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WorkerEvent {
    Catalog { id: RequestId, result: Result<(Vec<String>, Option<String>), Failure>, cached: bool },
    Tags { id: RequestId, repo: String, result: Result<Vec<String>, Failure>, cached: bool },
    TagInfo { repo: String, tag: String, result: Result<TagInfo, Failure> },
    Subject { id: RequestId, repo: String, result: Result<Descriptor, Failure>, cached: bool },
    Manifest { digest: Digest, result: Result<ManifestView, Failure> },
    Referrers { id: RequestId, digest: Digest, result: Result<ReferrersView, Failure>, cached: bool },
    Progress { job: JobId, event: Event },
    JobFinished { job: JobId, result: Result<String, Failure> },
    AttachPreview { id: RequestId, result: Result<Vec<String>, Failure> },
    CopyPlanned { id: RequestId, result: Result<CopyPreview, Failure> },
    DeletePlanned { id: RequestId, result: Result<DeletePreview, Failure> },
    LoggedIn { registry: String, result: Result<String, Failure> },
    /// Who the app talks to the registry as, for the status bar.
    Auth { label: String },
    Completions { id: RequestId, partial: String, candidates: Vec<String> },
}
