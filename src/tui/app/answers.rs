//! The worker's answers, one function per [`WorkerEvent`]. An answer to a request the model
//! no longer waits for (an older id, another repository) is dropped.

use super::dialogs::Modal;
use super::dialogs::attach::{self, AttachStage};
use super::jobs::JobKind;
use super::App;
use super::tree::TreeModel;
use crate::graph::progress::Event;
use crate::oci::{Descriptor, Digest};
use crate::tui::keymap::Action;
use crate::tui::protocol::{Effect, Failure, JobId, ReferrersView, RequestId, WorkerEvent};
use crate::tui::view_model::{CopyPreview, DeletePreview, Loaded, ManifestView, TagInfo};
use crate::graph::model::{TagRole, classify_tag};

pub(super) fn on_event(app: &mut App, ev: WorkerEvent) -> Vec<Effect> {
    match ev {
        WorkerEvent::Catalog { id, result, cached } => catalog(app, id, result, cached),
        WorkerEvent::Tags { id, repo, result, cached } => tags(app, id, repo, result, cached),
        WorkerEvent::TagInfo { repo, tag, result } => tag_info(app, repo, tag, result),
        WorkerEvent::Subject { id, repo, result, cached } => subject(app, id, repo, result, cached),
        WorkerEvent::Manifest { digest, result } => manifest(app, digest, result),
        WorkerEvent::Referrers { id, digest, result, cached } => referrers(app, id, digest, result, cached),
        WorkerEvent::Progress { job, event } => progress(app, job, event),
        WorkerEvent::JobFinished { job, result } => job_finished(app, job, result),
        WorkerEvent::AttachPreview { id, result } => attach_preview(app, id, result),
        WorkerEvent::Completions { id, partial, candidates } => completions(app, id, partial, candidates),
        WorkerEvent::CopyPlanned { id, result } => copy_planned(app, id, result),
        WorkerEvent::DeletePlanned { id, result } => delete_planned(app, id, result),
        WorkerEvent::LoggedIn { registry, result } => logged_in(app, registry, result),
        WorkerEvent::Auth { label } => {
            app.auth = label;
            Vec::new()
        }
        WorkerEvent::RateLimit(limit) => {
            app.rate_limit = Some(limit);
            Vec::new()
        }
        WorkerEvent::InspectProgress { digest, done, total } => {
            super::inspect::progress(app, digest, done, total);
            Vec::new()
        }
        WorkerEvent::Inspected { digest, result } => {
            app.inspections.finish(digest, result);
            Vec::new()
        }
        WorkerEvent::Listing { id, result, done } => {
            super::inspect::listing(app, id, result, done);
            Vec::new()
        }
    }
}

type Page = (Vec<String>, Option<String>);

fn catalog(app: &mut App, id: RequestId, result: Result<Page, Failure>, cached: bool) -> Vec<Effect> {
    if app.pending.catalog != Some(id) {
        return Vec::new();
    }
    if cached {
        if let Ok((items, next)) = result {
            app.repos.add_page(items, next);
            app.repos.loading = true;
        }
        return Vec::new();
    }
    app.pending.catalog = None;
    app.repos.loading = false;
    match result {
        Ok((items, next)) => {
            app.repos.add_page(items, next);
            if let Some(keep) = app.select_repo_after_reload.take()
                && let Some(i) = app.repos.items.iter().position(|r| *r == keep)
            {
                app.repos.list.select_item(i);
            }
            if let Some(opened) = app.opts.repo.clone()
                && let Some(i) = app.repos.items.iter().position(|r| *r == opened)
                && app.repos.selected() != Some(&opened)
                && app.repos.items.len() <= 1000
            {
                app.repos.list.select_item(i);
            }
            if app.repos.wants_more(app.page_size() as usize * 2) {
                let next = app.repos.next.clone();
                return app.load_catalog(next);
            }
            Vec::new()
        }
        Err(f) if f.unauthorized.is_some() => {
            app.repos.login = f.unauthorized.clone();
            app.report_failure(&f);
            Vec::new()
        }
        Err(f) if f.refused => {
            app.repos.refused = Some(f.message.clone());
            app.error(format!("the registry does not list its repositories ({}); open one with :open REPO", f.message));
            Vec::new()
        }
        Err(f) => {
            app.repos.error = Some(f.message.clone());
            app.error(format!("{}; press {} to retry", f.message, app.opts.keys.key_of(Action::Refresh)));
            Vec::new()
        }
    }
}

fn tags(app: &mut App, id: RequestId, repo: String, result: Result<Vec<String>, Failure>, cached: bool) -> Vec<Effect> {
    if app.pending.tags != Some(id) || app.tags.repo.as_deref() != Some(repo.as_str()) {
        return Vec::new();
    }
    if !cached {
        app.pending.tags = None;
    }
    match result {
        Ok(tags) => {
            app.store.set_tags(&repo, tags.clone());
            app.tags.set(tags);
            app.tags.loading = cached;
            if let Some(t) = app.select_tag.take()
                && let Some(i) = app.tags.shown.iter().position(|x| *x == t)
            {
                app.tags.list.select_item(i);
            }
            let tags = app.tags.to_describe(app.size.1 as usize);
            let mut fx = Vec::new();
            if !tags.is_empty() {
                fx.push(Effect::DescribeTags { repo, tags });
            }
            fx.extend(app.fill_tree());
            fx.extend(app.follow_selection());
            fx
        }
        Err(f) => {
            app.tags.loading = false;
            app.tags.error = Some(f.message.clone());
            app.report_failure(&f);
            Vec::new()
        }
    }
}

fn tag_info(app: &mut App, repo: String, tag: String, result: Result<TagInfo, Failure>) -> Vec<Effect> {
    let mut fx = Vec::new();
    if matches!(classify_tag(&tag), TagRole::Attachment(..)) {
        // A cosign attachment tag: the tree shows what it points at.
        let target = match &result {
            Ok(info) => Loaded::Ready(info.digest.clone()),
            Err(f) => Loaded::Failed(f.message.clone()),
        };
        app.store.set_tag_target(&repo, &tag, target);
        fx.extend(app.fill_tree());
    }
    if app.tags.repo.as_deref() != Some(repo.as_str()) {
        return fx;
    }
    let loaded = match result {
        Ok(info) => Loaded::Ready(info),
        Err(f) => Loaded::Failed(f.message),
    };
    app.tags.info.insert(tag, loaded);
    fx.extend(app.follow_selection());
    fx
}

fn subject(app: &mut App, id: RequestId, repo: String, result: Result<Descriptor, Failure>, cached: bool) -> Vec<Effect> {
    if app.pending.subject != Some(id) || app.tree.subject().map(|s| s.repo.as_str()) != Some(repo.as_str()) {
        return Vec::new();
    }
    if !cached {
        app.pending.subject = None;
    }
    match result {
        Ok(desc) => {
            let digest = desc.digest.clone();
            app.tree.set_root(Loaded::Ready(desc));
            let mut fx = app.ensure_manifest(&repo, &digest);
            fx.extend(app.fill_tree());
            fx.extend(app.follow_selection());
            fx
        }
        Err(f) => {
            app.tree.set_root(Loaded::Failed(f.message.clone()));
            app.report_failure(&f);
            Vec::new()
        }
    }
}

fn manifest(app: &mut App, digest: Digest, result: Result<ManifestView, Failure>) -> Vec<Effect> {
    match result {
        Ok(view) => app.store.set_manifest(digest, Loaded::Ready(view)),
        Err(f) => app.store.set_manifest(digest, Loaded::Failed(f.message)),
    }
    app.fill_tree()
}

fn referrers(app: &mut App, id: RequestId, digest: Digest, result: Result<ReferrersView, Failure>, cached: bool) -> Vec<Effect> {
    if app.pending.referrers.get(&digest) != Some(&id) {
        return Vec::new();
    }
    if !cached {
        app.pending.referrers.remove(&digest);
    }
    match result {
        Ok(view) => {
            if view.mode.is_some() {
                app.tree.mode = view.mode;
            }
            if !view.warnings.is_empty() {
                app.tree.warnings.extend(view.warnings.iter().cloned());
                app.info(format!("{} listed referrer(s) left out: {}", view.warnings.len(), view.warnings[0]));
            }
            app.tree.set_referrers(&digest, view.list);
        }
        Err(f) => {
            app.tree.set_failed(digest, f.message.clone());
            app.report_failure(&f);
        }
    }
    let mut fx = app.fill_tree();
    fx.extend(app.follow_selection());
    fx
}

fn progress(app: &mut App, job: JobId, event: Event) -> Vec<Effect> {
    app.jobs.apply(job, event);
    Vec::new()
}

fn job_finished(app: &mut App, job: JobId, result: Result<String, Failure>) -> Vec<Effect> {
    let Some(finished) = app.jobs.finish(job) else { return Vec::new() };
    match &result {
        Ok(text) => app.info(text.clone()),
        Err(f) => {
            app.error(format!("{}: {}", finished.label, f.message));
            app.report_if_unauthorized(f);
        }
    }
    match finished.kind {
        JobKind::Pull => Vec::new(),
        JobKind::Delete { repo, reference } if result.is_ok() => {
            let shown = app.tree.subject().is_some_and(|s| {
                s.repo == repo && (reference == s.reference || app.tree.root_digest().is_some_and(|d| reference.digest() == Some(&d)))
            });
            if shown {
                // The artifact on screen is gone: nothing is left to show or reload.
                app.tree = TreeModel::default();
                app.pending.subject = None;
                app.pending.referrers.clear();
            }
            app.refresh()
        }
        _ => app.refresh(),
    }
}

fn attach_preview(app: &mut App, id: RequestId, result: Result<Vec<String>, Failure>) -> Vec<Effect> {
    if let Some(Modal::Attach(form)) = app.modal.as_mut()
        && form.stage == AttachStage::Building(id)
    {
        match result {
            Ok(manifest) => form.stage = AttachStage::Preview { id, manifest, scroll: 0 },
            Err(f) => {
                form.stage = AttachStage::Editing;
                form.error = Some(f.message.clone());
                app.report_if_unauthorized(&f);
            }
        }
    }
    Vec::new()
}

fn completions(app: &mut App, id: RequestId, partial: String, candidates: Vec<String>) -> Vec<Effect> {
    if let Some(Modal::Attach(form)) = app.modal.as_mut()
        && form.completion_id == Some(id)
    {
        attach::complete(form, &partial, candidates);
    }
    Vec::new()
}

fn copy_planned(app: &mut App, id: RequestId, result: Result<CopyPreview, Failure>) -> Vec<Effect> {
    if let Some(Modal::CopyReview { id: want, preview, .. }) = app.modal.as_mut()
        && *want == id
    {
        match result {
            Ok(p) => *preview = Loaded::Ready(p),
            Err(f) => {
                *preview = Loaded::Failed(f.message.clone());
                app.report_if_unauthorized(&f);
            }
        }
    }
    Vec::new()
}

fn delete_planned(app: &mut App, id: RequestId, result: Result<DeletePreview, Failure>) -> Vec<Effect> {
    if let Some(Modal::DeleteReview { id: want, preview, .. }) = app.modal.as_mut()
        && *want == id
    {
        match result {
            Ok(p) => *preview = Loaded::Ready(p),
            Err(f) => {
                *preview = Loaded::Failed(f.message.clone());
                app.report_if_unauthorized(&f);
            }
        }
    }
    Vec::new()
}

fn logged_in(app: &mut App, registry: String, result: Result<String, Failure>) -> Vec<Effect> {
    match result {
        Ok(note) => {
            app.modal = None;
            app.info(format!("logged in to {registry}{note}"));
            app.refresh()
        }
        Err(f) => {
            if let Some(Modal::Login(form)) = app.modal.as_mut() {
                form.busy = false;
                form.error = Some(f.message);
            }
            Vec::new()
        }
    }
}
