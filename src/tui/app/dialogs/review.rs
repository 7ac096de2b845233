//! The copy and delete reviews: the exact plan, shown before anything is written; `y` runs it.

use crossterm::event::{KeyCode, KeyEvent};

use super::{ArtifactRef, Modal, key_is, scroll};
use crate::tui::app::App;
use crate::tui::app::jobs::JobKind;
use crate::tui::app::tree::Loaded;
use crate::tui::protocol::{CopyPreview, DeletePreview, Effect, RequestId};

pub(super) fn on_copy_key(app: &mut App, id: RequestId, target: ArtifactRef, preview: Loaded<CopyPreview>, s: u16, key: KeyEvent) -> Vec<Effect> {
    if key_is(&key, KeyCode::Esc) || key_is(&key, KeyCode::Char('n')) || key_is(&key, KeyCode::Char('q')) {
        app.info("copy cancelled; nothing was written");
        return Vec::new();
    }
    if let Loaded::Ready(plan) = &preview
        && (key_is(&key, KeyCode::Char('y')) || key_is(&key, KeyCode::Enter))
    {
        let job = app.start_job(format!("copy {} → {}", target.label, plan.destination), JobKind::Write, true);
        return vec![Effect::ExecuteCopy { job, id }];
    }
    let page = app.page_size();
    app.modal = Some(Modal::CopyReview { id, target, preview, scroll: scroll(s, &key, page) });
    Vec::new()
}

pub(super) fn on_delete_key(app: &mut App, id: RequestId, target: ArtifactRef, preview: Loaded<DeletePreview>, s: u16, key: KeyEvent) -> Vec<Effect> {
    if key_is(&key, KeyCode::Esc) || key_is(&key, KeyCode::Char('n')) || key_is(&key, KeyCode::Char('q')) {
        app.info("delete cancelled; nothing was deleted");
        return Vec::new();
    }
    if matches!(preview, Loaded::Ready(_)) && key_is(&key, KeyCode::Char('y')) {
        let kind = JobKind::Delete {
            repo: target.repo.clone(),
            reference: target.reference.clone(),
        };
        let job = app.start_job(format!("delete {}", target.label), kind, false);
        return vec![Effect::ApplyDelete { job, id }];
    }
    let page = app.page_size();
    app.modal = Some(Modal::DeleteReview { id, target, preview, scroll: scroll(s, &key, page) });
    Vec::new()
}
