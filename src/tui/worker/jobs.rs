//! Writes and other long work: pull, attach, copy, delete, login. A write is planned (or
//! built) first and parked under its request id with the dialog's lease; it runs when the
//! model confirms it and is dropped when the lease is released.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::SystemTime;

use tokio_util::sync::CancellationToken;

use super::{BATCH, Shared, failure, lock};
use crate::creds::{Credential, Found, Source, save_login};
use crate::error::{Error, Result};
use crate::graph::copy::{BlobResult, CopyOptions, CopyPlan, Endpoint};
use crate::graph::pack::FileInput;
use crate::graph::pull::PullOptions;
use crate::graph::push::{ArtifactSpec, Built};
use crate::oci::{Reference, TagOrDigest};
use crate::store::Target;
use crate::store::layout::Layout;
use crate::store::open::{Kind, Location, split_tag_list};
use crate::text::human_size;
use crate::tui::protocol::{Failure, JobId, Lease, RequestId, WorkerEvent};
use crate::tui::view_model::{copy_preview, delete_preview, manifest_view};

/// Where a planned copy goes: opened already, or a layout to create once confirmed, planned
/// against an empty stand-in that goes away with the plan.
pub(super) enum Destination {
    Open(Location),
    NewLayout { input: String, stand_in: Arc<dyn Target>, _dir: tempfile::TempDir },
}

/// A copy planned and waiting to be confirmed.
pub(super) struct CopyJob {
    plan: CopyPlan,
    src_repo: String,
    pub(super) dst: Destination,
    shown: String,
    tags: Vec<String>,
    mount: bool,
}

impl Shared {
    pub(super) async fn pull(self: &Arc<Self>, job: JobId, repo: String, reference: TagOrDigest, dir: PathBuf) {
        let opts = PullOptions {
            output: dir.clone(),
            concurrency: 3,
            progress: self.job_progress(job),
        };
        let result = crate::graph::pull::pull(self.target(), &repo, &reference.to_string(), &opts).await.map(|r| {
            let shown = std::fs::canonicalize(&dir).unwrap_or(dir.clone());
            format!("pulled {} file(s) of {repo}@{} into {}", r.files.len(), r.manifest.digest.short(), shown.display())
        });
        self.send(WorkerEvent::JobFinished { job, result: result.map_err(|e| failure(&e)) });
    }

    /// Parks a built attach for its push; `built` is the result of [`Shared::build`].
    pub(super) fn park_attach(self: &Arc<Self>, id: RequestId, repo: String, built: Result<(Vec<String>, Built)>, lease: &Lease) {
        let result = built.map(|(pretty, built)| {
            self.park(|s| &s.built, id, (repo, built), lease);
            pretty
        });
        self.send(WorkerEvent::AttachPreview { id, result: result.map_err(|e| failure(&e)) });
    }

    pub(super) async fn build(&self, repo: &str, subject: &TagOrDigest, files: Vec<String>, artifact_type: String, annotations: Vec<String>) -> Result<(Vec<String>, Built)> {
        let subject = self.target().resolve(repo, &subject.to_string()).await?;
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

    pub(super) async fn push_attach(self: &Arc<Self>, job: JobId, id: RequestId) {
        let Some((repo, built)) = self.built.take(id) else { return };
        let progress = self.job_progress(job);
        let result = crate::graph::push::attach(self.target(), &repo, &built, &progress)
            .await
            .map(|up| format!("attached {} to {repo}", up.manifest.digest.short()));
        self.send(WorkerEvent::JobFinished { job, result: result.map_err(|e| failure(&e)) });
    }

    pub(super) async fn plan_copy(self: &Arc<Self>, id: RequestId, repo: String, reference: TagOrDigest, tag: Option<String>, destination: String, lease: Lease) {
        let result = self.copy_plan(&repo, &reference, tag, &destination).await.map(|cj| {
            let preview = copy_preview(&cj.plan, &cj.shown);
            self.park(|s| &s.copies, id, cj, &lease);
            preview
        });
        self.send(WorkerEvent::CopyPlanned { id, result: result.map_err(|e| failure(&e)) });
    }

    async fn copy_plan(&self, repo: &str, reference: &TagOrDigest, tag: Option<String>, destination: &str) -> Result<CopyJob> {
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
        let planning = Endpoint { target: dst_target.as_ref(), repo: &dst_repo };
        let plan = crate::graph::copy::plan(src, planning, &reference.to_string(), &opts).await?;
        Ok(CopyJob {
            plan,
            src_repo: repo.to_string(),
            dst,
            shown,
            tags,
            mount,
        })
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

    pub(super) async fn execute_copy(self: &Arc<Self>, job: JobId, id: RequestId) {
        let Some(cj) = self.copies.take(id) else { return };
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

    pub(super) async fn plan_delete(self: &Arc<Self>, id: RequestId, repo: String, reference: TagOrDigest, lease: Lease) {
        let result = crate::graph::delete::plan(self.target(), &repo, &reference.to_string(), &Default::default()).await;
        let result = result.map(|plan| {
            let shown = reference.after(&repo);
            let preview = delete_preview(&plan, &shown);
            self.park(|s| &s.deletes, id, (repo, shown, plan), &lease);
            preview
        });
        self.send(WorkerEvent::DeletePlanned { id, result: result.map_err(|e| failure(&e)) });
    }

    pub(super) async fn apply_delete(self: &Arc<Self>, job: JobId, id: RequestId) {
        let Some((repo, shown, plan)) = self.deletes.take(id) else { return };
        let result = crate::graph::delete::apply(self.target(), &repo, &plan, &self.job_progress(job))
            .await
            .map(|r| format!("deleted {shown}: {} manifest(s), {} referrers index(es)", r.manifests_deleted, r.indexes_deleted));
        self.send(WorkerEvent::JobFinished { job, result: result.map_err(|e| failure(&e)) });
    }

    pub(super) async fn login(&self, registry: String, username: String, password: String, save: bool) {
        let result = self.log_in(&registry, username, password, save).await;
        self.report_auth();
        self.send(WorkerEvent::LoggedIn { registry, result: result.map_err(|e| failure(&e)) });
    }

    async fn log_in(&self, registry: &str, username: String, password: String, save: bool) -> Result<String> {
        // The registry that asked, which is not the one browsed when a copy goes elsewhere.
        let r = self.ctx.session.registry(registry)?;
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
