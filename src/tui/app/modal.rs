//! Dialogs: help, one-line prompts, the attach form, the copy and delete reviews, login.

use tui_input::Input;

use super::Pane;
use super::tree::Loaded;
use crate::tui::protocol::{CopyPreview, DeletePreview, RequestId};

/// An artifact an action applies to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArtifactRef {
    pub repo: String,
    /// Tag or digest.
    pub reference: String,
    /// The tag, when the artifact was picked by one (copies keep it).
    pub tag: Option<String>,
    /// The digest, when known already.
    pub digest: Option<crate::oci::Digest>,
    /// For titles and messages.
    pub label: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PromptKind {
    /// `:` commands.
    Command,
    /// The fuzzy filter of a list pane; edits apply as you type.
    Filter(Pane),
    /// Only referrers of one artifact type in the tree.
    TypeFilter,
    PullDir(ArtifactRef),
    CopyDest(ArtifactRef),
}

#[derive(Debug, Clone)]
pub struct Prompt {
    pub kind: PromptKind,
    pub input: Input,
    /// What the filter was before editing, restored by Esc.
    pub original: String,
    pub error: Option<String>,
}

impl Prompt {
    pub fn new(kind: PromptKind, value: &str) -> Prompt {
        Prompt {
            kind,
            input: Input::new(value.to_string()),
            original: value.to_string(),
            error: None,
        }
    }

    pub fn title(&self) -> String {
        match &self.kind {
            PromptKind::Command => "Command (open REPO[:TAG], copy DEST, pull DIR, type T, attach, delete, help, quit)".into(),
            PromptKind::Filter(p) => format!("Filter {}", p.title().to_lowercase()),
            PromptKind::TypeFilter => "Show only referrers of artifact type (empty: all)".into(),
            PromptKind::PullDir(a) => format!("Pull {} into directory", a.label),
            PromptKind::CopyDest(a) => format!("Copy {} with its referrers to (REGISTRY/REPO[:TAG], or layout:PATH[:TAG])", a.label),
        }
    }
}

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
        }
    }
}

#[derive(Debug, Clone)]
pub struct LoginForm {
    pub registry: String,
    pub username: Input,
    pub password: Input,
    pub save: bool,
    /// 0 username, 1 password, 2 the save switch.
    pub focus: usize,
    pub error: Option<String>,
    pub busy: bool,
}

#[derive(Debug, Clone)]
pub enum Modal {
    Help { scroll: u16 },
    Prompt(Prompt),
    Attach(Box<AttachForm>),
    CopyReview { id: RequestId, target: ArtifactRef, preview: Loaded<CopyPreview>, scroll: u16 },
    DeleteReview { id: RequestId, target: ArtifactRef, preview: Loaded<DeletePreview>, scroll: u16 },
    Login(Box<LoginForm>),
}
