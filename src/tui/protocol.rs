//! What the model asks the worker to do ([`Effect`]) and what the worker reports back
//! ([`WorkerEvent`]). Requests carry ids so the model can drop answers it no longer wants.

use std::path::PathBuf;
use std::sync::Arc;

use tokio_util::sync::CancellationToken;

use crate::graph::progress::Event;
use crate::oci::{Descriptor, Digest, TagOrDigest};
use crate::store::ReferrersMode;
use crate::store::registry::ratelimit::RateLimit;

use super::inspect_view::InspectView;
use super::view_model::{CopyPreview, DeletePreview, ManifestView, TagInfo};
use crate::inspect::listing::Listing;

pub type RequestId = u64;
pub type JobId = u64;

/// Work for the background worker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    LoadCatalog { id: RequestId, next: Option<String> },
    LoadTags { id: RequestId, repo: String },
    DescribeTags { repo: String, tags: Vec<String> },
    ResolveSubject { id: RequestId, repo: String, reference: TagOrDigest },
    LoadManifest { repo: String, digest: Digest },
    LoadReferrers { id: RequestId, repo: String, digest: Digest },
    Pull { job: JobId, repo: String, reference: TagOrDigest, dir: PathBuf },
    BuildAttach { id: RequestId, repo: String, subject: TagOrDigest, files: Vec<String>, artifact_type: String, annotations: Vec<String>, lease: Lease },
    PushAttach { job: JobId, id: RequestId },
    /// `tag` is the source tag, used when the destination names none.
    PlanCopy { id: RequestId, repo: String, reference: TagOrDigest, tag: Option<String>, destination: String, lease: Lease },
    ExecuteCopy { job: JobId, id: RequestId },
    PlanDelete { id: RequestId, repo: String, reference: TagOrDigest, lease: Lease },
    ApplyDelete { job: JobId, id: RequestId },
    Cancel { job: JobId },
    /// Put text on the clipboard (OSC 52); done by the terminal loop, not the worker.
    Clipboard(String),
    Login { registry: String, username: String, password: String, save: bool },
    /// List file names that complete `partial` (for the attach dialog).
    CompletePath { id: RequestId, partial: String },
    /// Fetch what a summary of the manifest reads, and summarise it. `tag` is the tag it was
    /// reached by (a cosign `sha256-<hex>.sig` tag names its subject).
    Inspect { repo: String, digest: Digest, tag: Option<String> },
    /// List the files of an image layer as it downloads.
    ListLayer { id: RequestId, repo: String, layer: Descriptor },
    /// The inspection of `digest` is no longer wanted: drop it before it starts, or stop its
    /// download.
    ForgetInspection { digest: Digest },
    /// The listing `id` is no longer shown: stop reading the layer.
    StopListing { id: RequestId },
}

/// The model's hold on what the worker keeps for it between two effects: a built attach, a
/// copy or delete plan waiting to be confirmed. The dialog that asked holds the lease (and the
/// job, once confirmed); when the dialog closes without using it, the last copy drops and the
/// worker lets the parked work go, with the temporary directory of a copy into a new layout.
#[derive(Debug, Clone, Default)]
pub struct Lease(Arc<Held>);

#[derive(Debug, Default)]
struct Held(CancellationToken);

impl Drop for Held {
    fn drop(&mut self) {
        self.0.cancel();
    }
}

impl Lease {
    /// Resolves once every copy of the lease is gone.
    pub fn released(&self) -> impl Future<Output = ()> + Send + use<> {
        let token = self.0.0.clone();
        async move { token.cancelled().await }
    }
}

impl PartialEq for Lease {
    fn eq(&self, other: &Lease) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl Eq for Lease {}

/// Why something failed, for the status bar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub message: String,
    /// Set when the registry wants credentials: the model opens the login dialog.
    pub unauthorized: Option<String>,
    /// The registry answered and said no (404, 403, another 4xx), as opposed to not answering.
    pub refused: bool,
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
    /// What the registry's rate-limit headers said last, when they changed.
    RateLimit(RateLimit),
    Completions { id: RequestId, partial: String, candidates: Vec<String> },
    /// A blob of an inspection arriving: bytes so far of `total`.
    InspectProgress { digest: Digest, done: u64, total: u64 },
    Inspected { digest: Digest, result: Result<Arc<InspectView>, Failure> },
    /// A layer's listing so far (`done` false) or whole.
    Listing { id: RequestId, result: Result<Arc<Listing>, Failure>, done: bool },
}
