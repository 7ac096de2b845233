//! The background worker: owns the targets, carries out [`Effect`]s concurrently on the tokio
//! runtime, and reports [`WorkerEvent`]s. The draw loop never waits on any of it.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use futures_util::StreamExt;
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender, unbounded_channel};
use tokio_util::sync::CancellationToken;

use super::app::tag_info;
use super::protocol::{CopyPreview, CopyRow, DeletePreview, Effect, Failure, JobId, ManifestView, ReferrersView, RequestId, WorkerEvent};
use crate::cache::DiskCache;
use crate::creds::{Credential, Found, Source, save_login};
use crate::error::{Error, Result};
use crate::graph::copy::{BlobResult, CopyOptions, CopyPlan, Endpoint, Role};
use crate::graph::delete::DeletePlan;
use crate::graph::discover::referrers_of;
use crate::graph::pack::FileInput;
use crate::graph::progress::Progress;
use crate::graph::push::{ArtifactSpec, Built};
use crate::graph::pull::PullOptions;
use crate::oci::{Digest, Manifest, ManifestBlob, Reference};
use crate::store::layout::Layout;
use crate::store::open::{Kind, Location, Session, split_tag_list};
use crate::store::registry::Registry;
use crate::store::{PageRequest, Target};
use crate::text::{human_size, sanitize};

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
}

/// Where a planned copy goes: opened already, or a layout to create once confirmed, planned
/// against an empty stand-in that goes away with the job.
enum Destination {
    Open(Location),
    NewLayout { input: String, stand_in: Arc<dyn Target>, _dir: tempfile::TempDir },
}

struct CopyJob {
    plan: CopyPlan,
    src_repo: String,
    dst: Destination,
    shown: String,
    tags: Vec<String>,
    mount: bool,
}

struct Shared {
    ctx: Context,
    events: UnboundedSender<WorkerEvent>,
    cancels: Mutex<HashMap<JobId, CancellationToken>>,
    built: Mutex<HashMap<RequestId, (String, Built)>>,
    copies: Mutex<HashMap<RequestId, CopyJob>>,
    deletes: Mutex<HashMap<RequestId, (String, String, DeletePlan)>>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Starts the worker; effects go in through the returned sender, events come out of the receiver.
pub fn spawn(ctx: Context) -> (UnboundedSender<Effect>, UnboundedReceiver<WorkerEvent>) {
    let (effect_tx, mut effect_rx) = unbounded_channel::<Effect>();
    let (event_tx, event_rx) = unbounded_channel();
    let shared = Arc::new(Shared {
        ctx,
        events: event_tx,
        cancels: Mutex::new(HashMap::new()),
        built: Mutex::new(HashMap::new()),
        copies: Mutex::new(HashMap::new()),
        deletes: Mutex::new(HashMap::new()),
    });
    tokio::spawn(async move {
        while let Some(effect) = effect_rx.recv().await {
            let s = shared.clone();
            tokio::spawn(async move { s.handle(effect).await });
        }
    });
    (effect_tx, event_rx)
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

/// The details pane's view of a manifest.
pub fn manifest_view(blob: &ManifestBlob) -> Result<ManifestView> {
    let parsed = blob.parse()?;
    let value: serde_json::Value = serde_json::from_slice(&blob.bytes).map_err(|e| Error::usage(e.to_string()))?;
    let pretty = serde_json::to_string_pretty(&value)
        .unwrap_or_default()
        .lines()
        .map(sanitize)
        .collect();
    let (config, layers, manifests) = match &parsed {
        Manifest::Image(m) => (Some(m.config.clone()), m.layers.clone(), Vec::new()),
        Manifest::Index(i) => (None, Vec::new(), i.manifests.clone()),
    };
    let total_size = blob.bytes.len() as u64
        + config.as_ref().map(|c| c.size).unwrap_or(0)
        + layers.iter().map(|l| l.size).sum::<u64>()
        + manifests.iter().map(|m| m.size).sum::<u64>();
    Ok(ManifestView {
        descriptor: blob.descriptor(),
        artifact_type: parsed.declared_artifact_type().map(str::to_string),
        config,
        subject: parsed.subject().map(|s| s.digest.clone()),
        annotations: parsed.annotations().cloned().unwrap_or_default(),
        layers,
        manifests,
        pretty,
        total_size,
    })
}

impl Shared {
    fn send(&self, ev: WorkerEvent) {
        let _ = self.events.send(ev);
    }

    fn target(&self) -> &dyn Target {
        self.ctx.target.as_ref()
    }

    /// What was last seen under `key` for this target.
    fn snapshot<T: serde::de::DeserializeOwned>(&self, key: &str) -> Option<T> {
        self.ctx.cache.as_ref()?.get_state(&format!("{}|{key}", self.ctx.target.name()))
    }

    fn remember<T: serde::Serialize>(&self, key: &str, value: &T) {
        if let Some(cache) = &self.ctx.cache {
            cache.put_state(&format!("{}|{key}", self.ctx.target.name()), value);
        }
    }

    fn report_auth(&self) {
        if let Some(r) = &self.ctx.registry
            && let Some(label) = r.auth_summary()
        {
            self.send(WorkerEvent::Auth { label });
        }
    }

    fn job_progress(self: &Arc<Self>, job: JobId) -> Progress {
        let s = self.clone();
        Progress::new(move |event| s.send(WorkerEvent::Progress { job, event }))
    }

    async fn handle(self: Arc<Self>, effect: Effect) {
        match effect {
            Effect::LoadCatalog { id, next } => {
                let first = next.is_none();
                if first && let Some(page) = self.snapshot::<(Vec<String>, Option<String>)>("catalog") {
                    self.send(WorkerEvent::Catalog { id, result: Ok(page), cached: true });
                }
                let result = if self.target().has_catalog() {
                    let req = PageRequest { next, last: None, n: 1000 };
                    self.target().catalog_page(&req).await.map(|p| (p.items, p.next))
                } else {
                    self.target().catalog_page(&PageRequest::default()).await.map(|p| (p.items, None))
                };
                if first && let Ok(page) = &result {
                    self.remember("catalog", page);
                }
                self.report_auth();
                self.send(WorkerEvent::Catalog { id, result: result.map_err(|e| failure(&e)), cached: false });
            }
            Effect::LoadTags { id, repo } => {
                let key = format!("tags|{repo}");
                if let Some(tags) = self.snapshot::<Vec<String>>(&key) {
                    self.send(WorkerEvent::Tags { id, repo: repo.clone(), result: Ok(tags), cached: true });
                }
                let result = self.target().list_tags(&repo).await;
                if let Ok(tags) = &result {
                    self.remember(&key, tags);
                }
                self.report_auth();
                self.send(WorkerEvent::Tags { id, repo, result: result.map_err(|e| failure(&e)), cached: false });
            }
            Effect::DescribeTags { repo, tags } => {
                let target = self.target();
                // What each tag pointed at last time, from the cache, first.
                for tag in &tags {
                    if let Some(desc) = self.snapshot::<crate::oci::Descriptor>(&format!("ref|{repo}|{tag}"))
                        && let Ok(blob) = target.fetch_manifest(&repo, &desc.digest.to_string()).await
                        && let Ok(view) = manifest_view(&blob)
                    {
                        // The manifest first: the tag's answer moves the selection, which
                        // would otherwise ask for a manifest already on its way.
                        let info = tag_info(&view);
                        self.send(WorkerEvent::Manifest { digest: view.descriptor.digest.clone(), result: Ok(view) });
                        self.send(WorkerEvent::TagInfo { repo: repo.clone(), tag: tag.clone(), result: Ok(info) });
                    }
                }
                let described: Vec<_> = crate::graph::eager(tags.into_iter().map(|tag| {
                    let repo = repo.clone();
                    async move {
                        let r = target.fetch_manifest(&repo, &tag).await.and_then(|b| manifest_view(&b));
                        (tag, r)
                    }
                }))
                .buffer_unordered(BATCH)
                .collect()
                .await;
                for (tag, r) in described {
                    match r {
                        Ok(view) => {
                            self.remember(&format!("ref|{repo}|{tag}"), &view.descriptor);
                            let info = tag_info(&view);
                            self.send(WorkerEvent::Manifest { digest: view.descriptor.digest.clone(), result: Ok(view) });
                            self.send(WorkerEvent::TagInfo { repo: repo.clone(), tag, result: Ok(info) });
                        }
                        Err(e) => self.send(WorkerEvent::TagInfo { repo: repo.clone(), tag, result: Err(failure(&e)) }),
                    }
                }
            }
            Effect::ResolveSubject { id, repo, reference } => {
                let key = format!("ref|{repo}|{reference}");
                if let Some(desc) = self.snapshot(&key) {
                    self.send(WorkerEvent::Subject { id, repo: repo.clone(), result: Ok(desc), cached: true });
                }
                let result = self.target().resolve(&repo, &reference).await;
                if let Ok(desc) = &result {
                    self.remember(&key, desc);
                }
                self.report_auth();
                self.send(WorkerEvent::Subject { id, repo, result: result.map_err(|e| failure(&e)), cached: false });
            }
            Effect::LoadManifest { repo, digest } => {
                let result = self
                    .target()
                    .fetch_manifest(&repo, &digest.to_string())
                    .await
                    .and_then(|b| manifest_view(&b))
                    .map_err(|e| failure(&e));
                self.send(WorkerEvent::Manifest { digest, result });
            }
            Effect::LoadReferrers { id, repo, digest } => {
                let key = format!("referrers|{repo}|{digest}");
                if let Some(list) = self.snapshot(&key) {
                    let view = ReferrersView { list, warnings: Vec::new(), mode: None };
                    self.send(WorkerEvent::Referrers { id, digest: digest.clone(), result: Ok(view), cached: true });
                }
                let result = referrers_of(self.target(), &repo, &digest, None, BATCH).await;
                if let Ok((list, _)) = &result {
                    self.remember(&key, list);
                }
                let result = result
                    .map(|(list, warnings)| ReferrersView {
                        list,
                        warnings,
                        mode: self.target().referrers_mode(&repo),
                    })
                    .map_err(|e| failure(&e));
                self.send(WorkerEvent::Referrers { id, digest, result, cached: false });
            }
            Effect::Pull { job, repo, reference, dir } => {
                let opts = PullOptions {
                    output: dir.clone(),
                    concurrency: 3,
                    progress: self.job_progress(job),
                };
                let result = crate::graph::pull::pull(self.target(), &repo, &reference, &opts).await.map(|r| {
                    let shown = std::fs::canonicalize(&dir).unwrap_or(dir.clone());
                    format!("pulled {} file(s) of {repo}@{} into {}", r.files.len(), r.manifest.digest.short(), shown.display())
                });
                self.send(WorkerEvent::JobFinished { job, result: result.map_err(|e| failure(&e)) });
            }
            Effect::BuildAttach { id, repo, subject, files, artifact_type, annotations } => {
                let result = self.build_attach(&repo, &subject, files, artifact_type, annotations).await;
                let result = result.map(|(pretty, built)| {
                    lock(&self.built).insert(id, (repo, built));
                    pretty
                });
                self.send(WorkerEvent::AttachPreview { id, result: result.map_err(|e| failure(&e)) });
            }
            Effect::PushAttach { job, id } => {
                let Some((repo, built)) = lock(&self.built).remove(&id) else { return };
                let progress = self.job_progress(job);
                let result = crate::graph::push::attach(self.target(), &repo, &built, &progress)
                    .await
                    .map(|up| format!("attached {} to {repo}", up.manifest.digest.short()));
                self.send(WorkerEvent::JobFinished { job, result: result.map_err(|e| failure(&e)) });
            }
            Effect::PlanCopy { id, repo, reference, tag, destination } => {
                let result = self.plan_copy(id, &repo, &reference, tag, &destination).await;
                self.send(WorkerEvent::CopyPlanned { id, result: result.map_err(|e| failure(&e)) });
            }
            Effect::ExecuteCopy { job, id } => {
                let Some(cj) = lock(&self.copies).remove(&id) else { return };
                let dst = match &cj.dst {
                    Destination::Open(loc) => Ok(loc.clone()),
                    Destination::NewLayout { input, .. } => Location::layout(input, true),
                };
                let dst = match dst {
                    Ok(d) => d,
                    Err(e) => return self.send(WorkerEvent::JobFinished { job, result: Err(failure(&e)) }),
                };
                let token = CancellationToken::new();
                lock(&self.cancels).insert(job, token.clone());
                let opts = CopyOptions {
                    recursive: true,
                    concurrency: 4,
                    mount: cj.mount,
                    progress: self.job_progress(job),
                    cancel: token,
                    ..CopyOptions::default()
                };
                let src = Endpoint { target: self.target(), repo: &cj.src_repo };
                let dst = Endpoint { target: dst.target.as_ref(), repo: &dst.repo };
                let result = crate::graph::copy::execute(src, dst, &cj.plan, &cj.tags, &opts).await;
                lock(&self.cancels).remove(&job);
                let result = match result {
                    Ok(report) => {
                        let sent = report.blobs.iter().filter(|(_, r)| *r == BlobResult::Copied).count();
                        Ok(format!(
                            "copied to {}: {} blob(s), {} sent, {} manifest(s) pushed",
                            cj.shown,
                            sent,
                            human_size(report.bytes_sent),
                            report.manifests_pushed
                        ))
                    }
                    Err(Error::Cancelled) => Err(Failure {
                        message: format!("copy to {} cancelled; nothing was tagged there", cj.shown),
                        unauthorized: None,
                        refused: false,
                    }),
                    Err(e) => Err(failure(&e)),
                };
                self.send(WorkerEvent::JobFinished { job, result });
            }
            Effect::PlanDelete { id, repo, reference } => {
                let result = crate::graph::delete::plan(self.target(), &repo, &reference, &Default::default()).await;
                let result = result.map(|plan| {
                    let shown = format!("{repo}{}{reference}", if reference.contains(':') { "@" } else { ":" });
                    let lines = plan.describe(&shown).lines().map(str::to_string).collect();
                    lock(&self.deletes).insert(id, (repo, shown.clone(), plan));
                    DeletePreview { target: shown, lines }
                });
                self.send(WorkerEvent::DeletePlanned { id, result: result.map_err(|e| failure(&e)) });
            }
            Effect::ApplyDelete { job, id } => {
                let Some((repo, shown, plan)) = lock(&self.deletes).remove(&id) else { return };
                let result = crate::graph::delete::apply(self.target(), &repo, &plan, &self.job_progress(job))
                    .await
                    .map(|r| format!("deleted {shown}: {} manifest(s), {} referrers index(es)", r.manifests_deleted, r.indexes_deleted));
                self.send(WorkerEvent::JobFinished { job, result: result.map_err(|e| failure(&e)) });
            }
            Effect::Cancel { job } => {
                if let Some(t) = lock(&self.cancels).get(&job) {
                    t.cancel();
                }
            }
            Effect::Clipboard(_) => {}
            Effect::Login { registry, username, password, save } => {
                let result = self.login(&registry, username, password, save).await;
                self.report_auth();
                self.send(WorkerEvent::LoggedIn { registry, result: result.map_err(|e| failure(&e)) });
            }
            Effect::CompletePath { id, partial } => {
                let candidates = tokio::task::spawn_blocking({
                    let p = partial.clone();
                    move || complete_path(&p)
                })
                .await
                .unwrap_or_default();
                self.send(WorkerEvent::Completions { id, partial, candidates });
            }
        }
    }

    async fn build_attach(
        &self,
        repo: &str,
        subject: &str,
        files: Vec<String>,
        artifact_type: String,
        annotations: Vec<String>,
    ) -> Result<(Vec<String>, Built)> {
        let subject = self.target().resolve(repo, subject).await?;
        let annotations = crate::graph::push::parse_annotations(&annotations)?;
        let spec = ArtifactSpec {
            artifact_type: Some(artifact_type),
            files: files.iter().map(|f| FileInput::parse(f)).collect(),
            annotations,
            subject: Some(subject.plain()),
            ..ArtifactSpec::default()
        };
        let built = tokio::task::spawn_blocking(move || crate::graph::push::build(&spec, SystemTime::now()))
            .await
            .map_err(|e| Error::usage(format!("packing failed: {e}")))??;
        let view = manifest_view(&built.manifest)?;
        Ok((view.pretty, built))
    }

    async fn plan_copy(&self, id: RequestId, repo: &str, reference: &str, tag: Option<String>, destination: &str) -> Result<CopyPreview> {
        let (dst, tags) = self.open_destination(destination, tag)?;
        let (dst_target, dst_repo, shown): (Arc<dyn Target>, String, String) = match &dst {
            Destination::Open(loc) => (loc.target.clone(), loc.repo.clone(), loc.given.clone()),
            Destination::NewLayout { input, stand_in, .. } => (stand_in.clone(), String::new(), format!("layout:{input}")),
        };
        let mount = match (&self.ctx.registry, &dst) {
            (Some(r), Destination::Open(Location { kind: Kind::Registry(d), .. })) => r.host() == d.registry && repo != dst_repo,
            _ => false,
        };
        let opts = CopyOptions {
            recursive: true,
            concurrency: BATCH,
            ..CopyOptions::default()
        };
        let src = Endpoint { target: self.target(), repo };
        let plan = {
            let planning = Endpoint { target: dst_target.as_ref(), repo: &dst_repo };
            crate::graph::copy::plan(src, planning, reference, &opts).await?
        };
        let depth_of = |m: &crate::graph::copy::PlannedManifest| {
            let mut depth = 0;
            let mut at = m.subject.clone();
            while let Some(s) = at {
                depth += 1;
                at = plan.manifests.iter().find(|x| x.blob.digest == s).and_then(|x| x.subject.clone());
            }
            depth + usize::from(m.role == Role::Child)
        };
        let missing: std::collections::HashSet<&Digest> = plan.blobs.iter().filter(|b| !b.exists).map(|b| &b.descriptor.digest).collect();
        let rows = plan
            .manifests
            .iter()
            .map(|m| CopyRow {
                digest: m.blob.digest.clone(),
                kind: sanitize(m.descriptor.artifact_type.as_deref().unwrap_or(&m.blob.media_type)),
                depth: depth_of(m),
                exists: m.exists,
                bytes: m.blobs.iter().filter(|b| missing.contains(&b.digest)).map(|b| b.size).sum(),
            })
            .collect();
        let preview = CopyPreview {
            destination: sanitize(&shown),
            rows,
            blobs_to_send: missing.len(),
            blobs_present: plan.blobs.len() - missing.len(),
            bytes_to_send: plan.bytes_to_send(),
            warnings: plan.warnings.iter().map(|w| sanitize(w)).collect(),
        };
        lock(&self.copies).insert(
            id,
            CopyJob {
                plan,
                src_repo: repo.to_string(),
                dst,
                shown,
                tags,
                mount,
            },
        );
        Ok(preview)
    }

    /// Opens a copy destination. A layout that does not exist yet is planned against an empty
    /// stand-in and created only when the copy runs, so nothing is written before it is confirmed.
    fn open_destination(&self, destination: &str, source_tag: Option<String>) -> Result<(Destination, Vec<String>)> {
        let (base, mut tags) = split_tag_list(destination.trim());
        if tags.is_empty()
            && let Some(t) = source_tag
        {
            tags.push(t);
        }
        if let Some(path) = base.strip_prefix("layout:") {
            let input = if tags.is_empty() { path.to_string() } else { format!("{path}:{}", tags[0]) };
            if Path::new(path).join("oci-layout").exists() {
                return Ok((Destination::Open(Location::layout(&input, false)?), tags));
            }
            let dir = tempfile::tempdir().map_err(|e| Error::io(std::env::temp_dir(), e))?;
            let stand_in: Arc<dyn Target> = Arc::new(Layout::open_or_create(&dir.path().join("plan"))?);
            return Ok((Destination::NewLayout { input, stand_in, _dir: dir }, tags));
        }
        let reference = Reference::parse(&base)?;
        let registry = self.ctx.session.registry(&reference.registry)?;
        let loc = Location {
            target: registry,
            repo: reference.repository.clone(),
            tag: tags.first().cloned(),
            digest: None,
            given: if tags.is_empty() { base.clone() } else { format!("{base}:{}", tags.join(",")) },
            kind: Kind::Registry(reference),
        };
        Ok((Destination::Open(loc), tags))
    }

    async fn login(&self, registry: &str, username: String, password: String, save: bool) -> Result<String> {
        let Some(r) = &self.ctx.registry else {
            return Err(Error::usage("a layout needs no login"));
        };
        r.set_credential(Some(Found {
            credential: Credential::Basic {
                username: username.clone(),
                password: password.clone(),
            },
            source: Source::Interactive,
        }));
        if let Err(e) = r.ping().await {
            r.set_credential(None);
            return Err(match e {
                Error::Unauthorized { registry, .. } => Error::Unauthorized {
                    registry,
                    hint: "the registry rejected this username and password".into(),
                },
                other => other,
            });
        }
        if !save {
            return Ok(" for this session".into());
        }
        let Some(path) = self.ctx.config_path.clone() else {
            return Ok("; not saved: no home directory for the Docker config".into());
        };
        let (host, keyring) = (registry.to_string(), self.ctx.keyring);
        let (where_, _) = tokio::task::spawn_blocking(move || save_login(&path, &host, &username, &password, keyring))
            .await
            .map_err(|e| Error::usage(e.to_string()))??;
        Ok(format!("; saved in {where_}"))
    }
}

/// File names starting with `partial`, directories with a trailing `/`.
fn complete_path(partial: &str) -> Vec<String> {
    let (dir, prefix) = match partial.rfind('/') {
        Some(i) => (&partial[..=i], &partial[i + 1..]),
        None => ("", partial),
    };
    let read_from = if dir.is_empty() { Path::new(".") } else { Path::new(dir) };
    let Ok(entries) = std::fs::read_dir(read_from) else { return Vec::new() };
    let mut out: Vec<String> = entries
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            if !name.starts_with(prefix) || (name.starts_with('.') && !prefix.starts_with('.')) {
                return None;
            }
            let slash = if e.file_type().map(|t| t.is_dir()).unwrap_or(false) { "/" } else { "" };
            Some(format!("{dir}{name}{slash}"))
        })
        .collect();
    out.sort();
    out.truncate(50);
    out
}
