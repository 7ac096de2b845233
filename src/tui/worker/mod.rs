//! The background worker: owns the targets, carries out [`Effect`]s concurrently on the tokio
//! runtime, and reports [`WorkerEvent`]s. The draw loop never waits on any of it. This module
//! routes each effect; [`reads`] answers the reads, [`jobs`] plans and runs the writes.

mod inspect;
mod jobs;
mod pace;
mod reads;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender, unbounded_channel};
use tokio_util::sync::CancellationToken;

use self::jobs::CopyJob;
use crate::cache::{DiskCache, Snapshot, StateKey};
use crate::error::Error;
use crate::graph::delete::DeletePlan;
use crate::graph::progress::Progress;
use crate::graph::push::Built;
use crate::store::Target;
use crate::store::open::Session;
use crate::store::registry::Registry;
use crate::store::registry::ratelimit::RateLimit;
use crate::text::sanitize;
use crate::tui::protocol::{Effect, Failure, JobId, Lease, RequestId, WorkerEvent};

/// Requests in flight for one batch (tag descriptions, referrer checks).
const BATCH: usize = 8;

/// What the worker works on.
pub struct Context {
    pub target: Arc<dyn Target>,
    /// The same target when it is a registry (for login and the auth summary).
    pub registry: Option<Arc<Registry>>,
    /// Opens copy destinations with the same flags and credentials.
    pub session: Arc<Session>,
    /// Where a login chosen to be saved goes (Docker config path).
    pub config_path: Option<PathBuf>,
    pub keyring: bool,
    /// Snapshots of what was last seen, shown at once on the next visit; `None` for layouts.
    pub cache: Option<Arc<DiskCache>>,
    /// How much is read to inspect an artifact.
    pub limits: crate::inspect::Limits,
}

/// Work parked between two effects, by request id.
struct Shelf<T>(Mutex<HashMap<RequestId, T>>);

impl<T> Shelf<T> {
    fn new() -> Shelf<T> {
        Shelf(Mutex::new(HashMap::new()))
    }

    fn take(&self, id: RequestId) -> Option<T> {
        lock(&self.0).remove(&id)
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        lock(&self.0).len()
    }
}

struct Shared {
    ctx: Context,
    events: UnboundedSender<WorkerEvent>,
    cancels: Mutex<HashMap<JobId, CancellationToken>>,
    built: Shelf<(String, Built)>,
    copies: Shelf<CopyJob>,
    /// Repository, the reference as shown, the plan.
    deletes: Shelf<(String, String, DeletePlan)>,
    /// The rate limit last reported, so an unchanged one is not sent again.
    rate_limit: Mutex<Option<RateLimit>>,
    /// Inspections and listings still wanted, each with what stops it.
    wanted: inspect::Wanted,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Starts the worker; effects go in through the returned sender, events come out of the receiver.
pub fn spawn(ctx: Context) -> (UnboundedSender<Effect>, UnboundedReceiver<WorkerEvent>) {
    let (effect_tx, effect_rx) = unbounded_channel::<Effect>();
    let (event_tx, event_rx) = unbounded_channel();
    tokio::spawn(run(Arc::new(Shared::new(ctx, event_tx)), effect_rx));
    (effect_tx, event_rx)
}

async fn run(shared: Arc<Shared>, mut effects: UnboundedReceiver<Effect>) {
    while let Some(effect) = effects.recv().await {
        // Claimed and stopped here, in the order sent: a stop never overtakes its request.
        let ticket = match &effect {
            Effect::ForgetInspection { digest } => {
                shared.stop(&inspect::Want::Inspection(digest.clone()));
                continue;
            }
            Effect::StopListing { id } => {
                shared.stop(&inspect::Want::Listing(*id));
                continue;
            }
            Effect::Inspect { digest, .. } => Some(shared.claim(inspect::Want::Inspection(digest.clone()))),
            Effect::ListLayer { id, .. } => Some(shared.claim(inspect::Want::Listing(*id))),
            _ => None,
        };
        let s = shared.clone();
        tokio::spawn(async move {
            s.clone().handle(effect, ticket).await;
            s.report_rate_limit();
        });
    }
}

fn failure(e: &Error) -> Failure {
    Failure {
        message: sanitize(&e.to_string()),
        unauthorized: match e {
            Error::Unauthorized { registry, .. } => Some(registry.clone()),
            _ => None,
        },
        refused: matches!(e, Error::NotFound { .. } | Error::Denied { .. })
            || matches!(e, Error::Status { status, .. } if (400..500).contains(status)),
    }
}

impl Shared {
    fn new(ctx: Context, events: UnboundedSender<WorkerEvent>) -> Shared {
        Shared {
            ctx,
            events,
            cancels: Mutex::new(HashMap::new()),
            built: Shelf::new(),
            copies: Shelf::new(),
            deletes: Shelf::new(),
            rate_limit: Mutex::new(None),
            wanted: inspect::Wanted::default(),
        }
    }

    fn send(&self, ev: WorkerEvent) {
        let _ = self.events.send(ev);
    }

    fn target(&self) -> &dyn Target {
        self.ctx.target.as_ref()
    }

    /// What was last seen of `snapshot` on this target.
    fn snapshot<T: serde::de::DeserializeOwned>(&self, snapshot: Snapshot<'_>) -> Option<T> {
        let target = self.ctx.target.name();
        self.ctx.cache.as_ref()?.get_state(&StateKey { target: &target, snapshot })
    }

    fn remember<T: serde::Serialize>(&self, snapshot: Snapshot<'_>, value: &T) {
        if let Some(cache) = &self.ctx.cache {
            let target = self.ctx.target.name();
            cache.put_state(&StateKey { target: &target, snapshot }, value);
        }
    }

    fn report_auth(&self) {
        if let Some(r) = &self.ctx.registry
            && let Some(label) = r.auth_summary()
        {
            self.send(WorkerEvent::Auth { label });
        }
    }

    /// Sends what the registry's rate-limit headers said, when that changed.
    fn report_rate_limit(&self) {
        let Some(now) = self.ctx.registry.as_ref().and_then(|r| r.rate_limit()) else { return };
        let mut last = lock(&self.rate_limit);
        if *last != Some(now) {
            *last = Some(now);
            self.send(WorkerEvent::RateLimit(now));
        }
    }

    fn job_progress(self: &Arc<Self>, job: JobId) -> Progress {
        let s = self.clone();
        let pace = pace::Pace::default();
        Progress::new(move |event| {
            for event in pace.filter(event, std::time::Instant::now()) {
                s.send(WorkerEvent::Progress { job, event });
            }
        })
    }

    /// Keeps `item` on a shelf until it is taken or the lease is released, whichever is first.
    fn park<T: Send + 'static>(self: &Arc<Self>, shelf: fn(&Shared) -> &Shelf<T>, id: RequestId, item: T, lease: &Lease) {
        lock(&shelf(self).0).insert(id, item);
        // Watched only once parked: a lease released while planning still clears the shelf.
        let (s, released) = (self.clone(), lease.released());
        tokio::spawn(async move {
            released.await;
            shelf(&s).take(id);
        });
    }

    async fn handle(self: Arc<Self>, effect: Effect, ticket: Option<inspect::Ticket>) {
        match effect {
            Effect::LoadCatalog { id, next } => self.load_catalog(id, next).await,
            Effect::LoadTags { id, repo } => self.load_tags(id, repo).await,
            Effect::DescribeTags { repo, tags } => self.describe_tags(repo, tags).await,
            Effect::ResolveSubject { id, repo, reference } => self.resolve_subject(id, repo, reference).await,
            Effect::LoadManifest { repo, digest } => self.load_manifest(repo, digest).await,
            Effect::LoadReferrers { id, repo, digest } => self.load_referrers(id, repo, digest).await,
            Effect::CompletePath { id, partial } => self.complete(id, partial).await,
            Effect::Inspect { repo, digest, tag } => self.inspect(repo, digest, tag, ticket.unwrap_or_default()).await,
            Effect::ListLayer { id, repo, layer } => self.list_layer(id, repo, layer, ticket.unwrap_or_default()).await,
            Effect::ForgetInspection { .. } | Effect::StopListing { .. } => {}
            Effect::Pull { job, repo, reference, dir } => self.pull(job, repo, reference, dir).await,
            Effect::BuildAttach { id, repo, subject, files, artifact_type, annotations, lease } => {
                let built = self.build(&repo, &subject, files, artifact_type, annotations).await;
                self.park_attach(id, repo, built, &lease);
            }
            Effect::PushAttach { job, id } => self.push_attach(job, id).await,
            Effect::PlanCopy { id, repo, reference, tag, destination, lease } => self.plan_copy(id, repo, reference, tag, destination, lease).await,
            Effect::ExecuteCopy { job, id } => self.execute_copy(job, id).await,
            Effect::PlanDelete { id, repo, reference, lease } => self.plan_delete(id, repo, reference, lease).await,
            Effect::ApplyDelete { job, id } => self.apply_delete(job, id).await,
            Effect::Cancel { job } => {
                if let Some(t) = lock(&self.cancels).get(&job) {
                    t.cancel();
                }
            }
            Effect::Clipboard(_) => {}
            Effect::Login { registry, username, password, save } => self.login(registry, username, password, save).await,
        }
    }
}

#[cfg(test)]
mod tests;
