//! The attach form: files, artifact type and annotations, then a preview of the manifest
//! before anything is pushed.

use crossterm::event::KeyEvent;
use tui_input::Input;
use tui_input::backend::crossterm::EventHandler;

use super::{ArtifactRef, Modal, action_of, scroll};
use crate::tui::app::App;
use crate::tui::app::jobs::JobKind;
use crate::tui::keymap::{Action, Context};
use crate::tui::protocol::{Effect, Lease, RequestId};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AttachStage {
    Editing,
    Building(RequestId),
    Preview { id: RequestId, manifest: Vec<String>, scroll: u16 },
}

pub const ATTACH_FILES: usize = 0;
pub const ATTACH_TYPE: usize = 1;
pub const ATTACH_ANNOTATIONS: usize = 2;

#[derive(Debug, Clone)]
pub struct AttachForm {
    pub subject: ArtifactRef,
    /// Files (`PATH[:MEDIATYPE]`, space separated), artifact type, annotations (`K=V, K=V`).
    pub fields: [Input; 3],
    pub focus: usize,
    pub completions: Vec<String>,
    pub completion_id: Option<RequestId>,
    pub stage: AttachStage,
    pub error: Option<String>,
    /// Keeps the worker's built artifact while it is built or previewed.
    pub lease: Option<Lease>,
}

impl AttachForm {
    pub fn new(subject: ArtifactRef) -> AttachForm {
        AttachForm {
            subject,
            fields: [Input::default(), Input::default(), Input::default()],
            focus: ATTACH_FILES,
            completions: Vec::new(),
            completion_id: None,
            stage: AttachStage::Editing,
            error: None,
            lease: None,
        }
    }
}

pub(super) fn on_key(app: &mut App, mut form: AttachForm, key: KeyEvent) -> Vec<Effect> {
    let context = if matches!(form.stage, AttachStage::Preview { .. }) { Context::AttachPreview } else { Context::Attach };
    let action = action_of(app, context, &key);
    if action == Some(Action::Dismiss) {
        app.info("attach cancelled; nothing was pushed");
        return Vec::new();
    }
    match form.stage.clone() {
        AttachStage::Building(_) => {}
        AttachStage::Preview { id, manifest, scroll: s } => {
            if action == Some(Action::Confirm) && app.writes_allowed() {
                let job = app.start_job(format!("attach to {}", form.subject.label), JobKind::Write, false, form.lease.take());
                return vec![Effect::PushAttach { job, id }];
            }
            if action == Some(Action::Edit) {
                form.stage = AttachStage::Editing;
                // Editing again builds anew; the worker can let this build go.
                form.lease = None;
            } else {
                form.stage = AttachStage::Preview { id, manifest, scroll: scroll(app, s, &key) };
            }
        }
        AttachStage::Editing => {
            if action == Some(Action::Submit) {
                let files: Vec<String> = form.fields[ATTACH_FILES].value().split_whitespace().map(str::to_string).collect();
                let artifact_type = form.fields[ATTACH_TYPE].value().trim().to_string();
                if files.is_empty() {
                    form.error = Some("name at least one file: PATH[:MEDIATYPE], separated by spaces".into());
                } else if artifact_type.is_empty() {
                    form.error = Some("an artifact type is needed, e.g. signature/example".into());
                    form.focus = ATTACH_TYPE;
                } else {
                    let annotations = form.fields[ATTACH_ANNOTATIONS]
                        .value()
                        .split(',')
                        .map(|s| s.trim().to_string())
                        .filter(|s| !s.is_empty())
                        .collect();
                    let id = app.id();
                    let lease = Lease::default();
                    form.stage = AttachStage::Building(id);
                    form.error = None;
                    form.lease = Some(lease.clone());
                    let effect = Effect::BuildAttach {
                        id,
                        repo: form.subject.repo.clone(),
                        subject: form.subject.reference.clone(),
                        files,
                        artifact_type,
                        annotations,
                        lease,
                    };
                    app.modal = Some(Modal::Attach(Box::new(form)));
                    return vec![effect];
                }
            } else if action == Some(Action::Complete) && form.focus == ATTACH_FILES {
                let partial = form.fields[ATTACH_FILES].value().rsplit(' ').next().unwrap_or("").to_string();
                let id = app.id();
                form.completion_id = Some(id);
                app.modal = Some(Modal::Attach(Box::new(form)));
                return vec![Effect::CompletePath { id, partial }];
            } else if matches!(action, Some(Action::NextField | Action::Complete)) {
                form.focus = (form.focus + 1) % 3;
                form.completions.clear();
            } else if action == Some(Action::PrevField) {
                form.focus = (form.focus + 2) % 3;
                form.completions.clear();
            } else {
                form.fields[form.focus].handle_event(&crossterm::event::Event::Key(key));
                form.error = None;
            }
        }
    }
    app.modal = Some(Modal::Attach(Box::new(form)));
    Vec::new()
}

/// The worker's answer to Tab: the files that complete the last word. The word grows to what
/// they all share.
pub(in crate::tui::app) fn complete(form: &mut AttachForm, partial: &str, candidates: Vec<String>) {
    let value = form.fields[ATTACH_FILES].value().to_string();
    let head = value.strip_suffix(partial).unwrap_or(&value).to_string();
    let common = common_prefix(&candidates);
    if common.len() > partial.len() {
        form.fields[ATTACH_FILES] = Input::new(format!("{head}{common}"));
    }
    form.completions = candidates;
}

fn common_prefix(items: &[String]) -> String {
    let Some(first) = items.first() else { return String::new() };
    let mut end = first.len();
    for s in &items[1..] {
        end = end.min(first.chars().zip(s.chars()).take_while(|(a, b)| a == b).map(|(a, _)| a.len_utf8()).sum());
    }
    first[..end].to_string()
}
