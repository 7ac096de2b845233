//! The one store of what the TUI has fetched: manifests by digest, the open repository's tag
//! list (read for cosign attachments, as `graph::model` reads it) and what those tags point
//! at. The tree, the details pane and the tags pane derive from it; none keeps its own copy
//! of an index's children, so the order answers arrive in does not change what is shown.

use std::collections::{HashMap, VecDeque};

use crate::graph::model::{Attachment, TagRole, Tags, classify_tag};
use crate::oci::{Descriptor, Digest};
use crate::tui::view_model::{Loaded, ManifestView};

#[derive(Debug, Clone, Default)]
pub struct Store {
    manifests: HashMap<Digest, Loaded<ManifestView>>,
    /// The repository `tags` and `tag_targets` belong to.
    repo: Option<String>,
    tags: Tags,
    /// What cosign attachment tags point at, as resolved.
    tag_targets: HashMap<String, Loaded<Digest>>,
    /// Bumped on every change; views cache what they derive per generation.
    generation: u64,
    /// The last changes, oldest first, each with the generation it made and the digest whose
    /// rows it touches (`None`: any row), so that the tree rebuilds only what a change touched.
    log: VecDeque<(u64, Option<Digest>)>,
}

/// Past this many changes since a view was built, it builds everything again anyway.
const LOGGED: usize = 64;

impl Store {
    pub fn generation(&self) -> u64 {
        self.generation
    }

    fn changed(&mut self, touched: Option<Digest>) {
        self.generation += 1;
        if self.log.len() == LOGGED {
            self.log.pop_front();
        }
        self.log.push_back((self.generation, touched));
    }

    /// The digests whose manifests (an index's children, a manifest found missing) or cosign
    /// attachment targets changed after `generation`; `None` when something else changed or
    /// it is too long ago to tell.
    pub fn touched_since(&self, generation: u64) -> Option<Vec<Digest>> {
        if generation == self.generation {
            return Some(Vec::new());
        }
        let oldest = self.log.front()?.0;
        if generation > self.generation || oldest > generation + 1 {
            return None;
        }
        self.log.iter().filter(|(g, _)| *g > generation).map(|(_, d)| d.clone()).collect()
    }

    pub fn manifest(&self, d: &Digest) -> Option<&Loaded<ManifestView>> {
        self.manifests.get(d)
    }

    /// Whether a manifest is still on its way from the worker.
    pub fn loading_manifest(&self) -> bool {
        self.manifests.values().any(|m| m.is_loading())
    }

    pub fn set_manifest(&mut self, d: Digest, m: Loaded<ManifestView>) {
        self.manifests.insert(d.clone(), m);
        self.changed(Some(d));
    }

    /// The manifests an index lists, once its manifest is in (none for an image).
    pub fn children(&self, d: &Digest) -> &[Descriptor] {
        self.manifests.get(d).and_then(Loaded::ready).map(|v| v.manifests.as_slice()).unwrap_or(&[])
    }

    /// The tag list of `repo`, as the tags pane received it.
    pub fn set_tags(&mut self, repo: &str, all: Vec<String>) {
        if self.repo.as_deref() != Some(repo) {
            self.tag_targets.clear();
            self.repo = Some(repo.to_string());
        }
        self.tags = Tags::new(all);
        self.changed(None);
    }

    /// Forgets what attachment tags point at, to resolve them again (a refresh).
    pub fn forget_tag_targets(&mut self) {
        self.tag_targets.clear();
        self.changed(None);
    }

    /// The cosign attachment tags of `subject` in `repo`, from the tag list alone.
    pub fn attachments(&self, repo: &str, subject: &Digest) -> &[(String, Attachment)] {
        if self.repo.as_deref() != Some(repo) {
            return &[];
        }
        self.tags.attachments_of(subject)
    }

    /// Whether an attachment tag is still being resolved.
    pub fn resolving_tag(&self) -> bool {
        self.tag_targets.values().any(|t| t.is_loading())
    }

    pub fn tag_target(&self, tag: &str) -> Option<&Loaded<Digest>> {
        self.tag_targets.get(tag)
    }

    pub fn set_tag_target(&mut self, repo: &str, tag: &str, target: Loaded<Digest>) {
        if self.repo.as_deref() == Some(repo) {
            self.tag_targets.insert(tag.to_string(), target);
            // Only the rows below the artifact the tag is attached to show what it points at.
            let subject = match classify_tag(tag) {
                TagRole::Attachment(d, _) => Some(d),
                _ => None,
            };
            self.changed(subject);
        }
    }
}
