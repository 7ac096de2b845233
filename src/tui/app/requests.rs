//! What to load next: the requests that opening a repository or a graph, moving the
//! selection and refreshing need, with the ids that let stale answers be dropped.

use super::tree::{RowKind, Subject};
use crate::tui::view_model::Loaded;
use super::{AUTO_EXPAND, App};
use crate::oci::{Digest, TagOrDigest};
use crate::tui::protocol::Effect;

impl App {
    pub(super) fn load_catalog(&mut self, next: Option<String>) -> Vec<Effect> {
        let id = self.id();
        self.repos.loading = true;
        self.pending.catalog = Some(id);
        vec![Effect::LoadCatalog { id, next }]
    }

    pub(super) fn open_repo(&mut self, repo: &str) -> Vec<Effect> {
        let id = self.id();
        self.tags.open(repo);
        self.repos.opened = Some(repo.to_string());
        self.pending.tags = Some(id);
        vec![Effect::LoadTags {
            id,
            repo: repo.to_string(),
        }]
    }

    pub(super) fn open_subject(&mut self, repo: &str, reference: &TagOrDigest) -> Vec<Effect> {
        let id = self.id();
        self.tree.open(Subject {
            repo: repo.to_string(),
            reference: reference.clone(),
        });
        self.pending.subject = Some(id);
        self.pending.referrers.clear();
        self.auto_expand = AUTO_EXPAND;
        self.details_from_tags = false;
        self.details_scroll = 0;
        vec![Effect::ResolveSubject {
            id,
            repo: repo.to_string(),
            reference: reference.clone(),
        }]
    }

    /// Asks `repo` for the manifest `digest` unless it is known or on its way.
    pub(super) fn ensure_manifest(&mut self, repo: &str, digest: &Digest) -> Vec<Effect> {
        if self.store.manifest(digest).is_some() {
            return Vec::new();
        }
        self.store.set_manifest(digest.clone(), Loaded::Loading);
        vec![Effect::LoadManifest {
            repo: repo.to_string(),
            digest: digest.clone(),
        }]
    }

    /// The repository of the artifact the details pane shows: the tags pane's when it shows
    /// a tag (the tree may still hold another repository's graph), else the tree's.
    pub(super) fn details_repo(&self) -> Option<String> {
        let tree = self.tree.subject().map(|s| s.repo.clone());
        if self.details_from_tags { self.tags.repo.clone().or(tree) } else { tree.or_else(|| self.tags.repo.clone()) }
    }

    /// The digest the details pane shows.
    pub fn details_digest(&self) -> Option<Digest> {
        if self.details_from_tags {
            let tag = self.tags.selected()?;
            return self.tags.info.get(tag)?.ready().map(|i| i.digest.clone());
        }
        self.tree.selected_row(&self.store)?.digest
    }

    /// Asks for what the tags in and around the tags pane's window point at, where not
    /// asked yet.
    pub(super) fn describe_tags_in_view(&mut self) -> Vec<Effect> {
        let Some(repo) = self.tags.repo.clone() else { return Vec::new() };
        let tags = self.tags.to_describe(self.size.1 as usize);
        if tags.is_empty() {
            return Vec::new();
        }
        vec![Effect::DescribeTags { repo, tags }]
    }

    /// Requests what the current selection needs to be described.
    pub(super) fn follow_selection(&mut self) -> Vec<Effect> {
        let mut fx = Vec::new();
        if self.details_from_tags {
            fx.extend(self.describe_tags_in_view());
        }
        if let (Some(d), Some(repo)) = (self.details_digest(), self.details_repo()) {
            fx.extend(self.ensure_manifest(&repo, &d));
            fx.extend(self.ensure_inspection(&repo, &d));
        }
        fx
    }

    /// Asks for the summary of `digest` unless it is known or on its way.
    pub(super) fn ensure_inspection(&mut self, repo: &str, digest: &Digest) -> Vec<Effect> {
        if self.inspections.get(digest).is_some() {
            return Vec::new();
        }
        self.inspections.start(digest.clone());
        vec![Effect::Inspect {
            repo: repo.to_string(),
            digest: digest.clone(),
            tag: self.details_tag(),
        }]
    }

    /// The tag the details pane's artifact was reached by: the tag selected in the tags pane,
    /// the tree's root when opened by tag, or the cosign tag heading a node sits under.
    fn details_tag(&self) -> Option<String> {
        if self.details_from_tags {
            return self.tags.selected().cloned();
        }
        let row = self.tree.selected_row(&self.store)?;
        if row.kind == RowKind::Root {
            return self.tree.subject().and_then(|s| s.reference.tag()).map(str::to_string);
        }
        let parent = row.path.len().checked_sub(2).and_then(|i| row.path.get(i))?;
        parent.strip_prefix("a:").map(str::to_string)
    }

    /// Asks for what every opened node needs and lacks: its referrers, its manifest when it
    /// is an index (for its children), what its cosign attachment tags point at. Opens a few
    /// more nodes while the auto-expand budget lasts.
    pub(super) fn fill_tree(&mut self) -> Vec<Effect> {
        let Some(repo) = self.tree.subject().map(|s| s.repo.clone()) else { return Vec::new() };
        let mut fx = Vec::new();
        let mut wanted: Vec<Digest> = Vec::new();
        let mut open_nodes: Vec<(Digest, bool)> = Vec::new();
        for row in self.tree.rows(&self.store).iter() {
            if !matches!(row.kind, RowKind::Root | RowKind::Node | RowKind::Platform) {
                continue;
            }
            let Some(d) = row.digest.clone() else { continue };
            let open = self.tree.is_expanded(&row.path);
            if !open && self.auto_expand > 0 && row.expandable {
                self.auto_expand -= 1;
                self.tree.expand_path(row.path.clone());
            } else if !open {
                continue;
            }
            if self.tree.referrers_of(&d).is_none_or(|l| matches!(l, Loaded::NotRequested)) {
                wanted.push(d.clone());
            }
            // A platform's manifest is read too, so that one the repository lacks is shown so.
            open_nodes.push((d, row.is_index || row.kind == RowKind::Platform));
        }
        let mut tags = Vec::new();
        for (d, needs_manifest) in open_nodes {
            if needs_manifest {
                fx.extend(self.ensure_manifest(&repo, &d));
            }
            for (tag, _) in self.store.attachments(&repo, &d) {
                if self.store.tag_target(tag).is_none() && !tags.contains(tag) {
                    tags.push(tag.clone());
                }
            }
        }
        for tag in &tags {
            self.store.set_tag_target(&repo, tag, Loaded::Loading);
        }
        if !tags.is_empty() {
            fx.push(Effect::DescribeTags { repo: repo.clone(), tags });
        }
        for d in wanted {
            if self.pending.referrers.contains_key(&d) {
                continue;
            }
            let id = self.id();
            self.pending.referrers.insert(d.clone(), id);
            self.tree.set_loading(d.clone());
            fx.push(Effect::LoadReferrers {
                id,
                repo: repo.clone(),
                digest: d,
            });
        }
        fx
    }


    /// Reloads what is shown; caches of content addressed by digest stay.
    pub(super) fn refresh(&mut self) -> Vec<Effect> {
        let mut fx = Vec::new();
        if self.opts.has_catalog && self.repos.refused.is_none() {
            let keep = self.repos.selected().cloned();
            self.repos.reset();
            self.select_repo_after_reload = keep;
            fx.extend(self.load_catalog(None));
        }
        if let Some(repo) = self.tags.repo.clone() {
            let keep = self.tags.selected().cloned();
            fx.extend(self.open_repo(&repo));
            self.select_tag = keep;
        }
        if let Some(subject) = self.tree.subject().cloned() {
            let id = self.id();
            self.pending.subject = Some(id);
            self.pending.referrers.clear();
            self.tree.forget_referrers();
            self.store.forget_tag_targets();
            self.tree.set_root(Loaded::Loading);
            self.inspections.forget_failed();
            fx.push(Effect::ResolveSubject {
                id,
                repo: subject.repo,
                reference: subject.reference,
            });
        }
        fx
    }
}
