//! The copy and delete reviews: the exact plan, shown before anything is written; the confirm
//! key (`y`) runs it.

use crossterm::event::KeyEvent;

use super::{ArtifactRef, Modal, action_of, scroll};
use crate::tui::app::App;
use crate::tui::app::jobs::JobKind;
use crate::tui::keymap::{Action, Context};
use crate::tui::protocol::{Effect, Lease, RequestId};
use crate::tui::view_model::{CopyPreview, DeletePreview, Loaded};

/// A review's fields, taken out of its [`Modal`] variant while a key is handled.
pub(super) struct Review<P> {
    pub id: RequestId,
    pub target: ArtifactRef,
    pub preview: Loaded<P>,
    pub scroll: u16,
    pub lease: Lease,
}

pub(super) fn on_copy_key(app: &mut App, mut r: Review<CopyPreview>, key: KeyEvent) -> Vec<Effect> {
    let action = action_of(app, Context::CopyReview, &key);
    if matches!(action, Some(Action::Dismiss | Action::Decline)) {
        app.info("copy cancelled; nothing was written");
        return Vec::new();
    }
    if let Loaded::Ready(plan) = &r.preview
        && action == Some(Action::Confirm)
        && app.writes_allowed()
    {
        let label = format!("copy {} → {}", r.target.label, plan.destination);
        let job = app.start_job(label, JobKind::Write, true, Some(r.lease));
        return vec![Effect::ExecuteCopy { job, id: r.id }];
    }
    r.scroll = scroll(app, r.scroll, &key);
    let Review { id, target, preview, scroll, lease } = r;
    app.modal = Some(Modal::CopyReview { id, target, preview, scroll, lease });
    Vec::new()
}

pub(super) fn on_delete_key(app: &mut App, mut r: Review<DeletePreview>, key: KeyEvent) -> Vec<Effect> {
    let action = action_of(app, Context::DeleteReview, &key);
    if matches!(action, Some(Action::Dismiss | Action::Decline)) {
        app.info("delete cancelled; nothing was deleted");
        return Vec::new();
    }
    if matches!(r.preview, Loaded::Ready(_)) && action == Some(Action::Confirm) && app.writes_allowed() {
        let kind = JobKind::Delete {
            repo: r.target.repo.clone(),
            reference: r.target.reference.clone(),
        };
        let job = app.start_job(format!("delete {}", r.target.label), kind, false, Some(r.lease));
        return vec![Effect::ApplyDelete { job, id: r.id }];
    }
    r.scroll = scroll(app, r.scroll, &key);
    let Review { id, target, preview, scroll, lease } = r;
    app.modal = Some(Modal::DeleteReview { id, target, preview, scroll, lease });
    Vec::new()
}
