//! The referrers tree: what is loaded, what is expanded, what is selected. Rows are derived
//! from this state and the app's [`Store`] (never stored), in the shape `oras discover -o tree`
//! prints: the subject, its platform manifests when it is an index, then referrers grouped
//! under their artifact type, then its cosign tag attachments, each with its own graph below.

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::rc::Rc;

mod filter;
mod rows;

use super::store::Store;
use crate::graph::discover::sort_referrers;
use crate::oci::{Descriptor, Digest, TagOrDigest};
use crate::store::ReferrersMode;
use crate::tui::view_model::Loaded;

/// The artifact whose graph is shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subject {
    pub repo: String,
    /// The tag or digest the user opened.
    pub reference: TagOrDigest,
}

pub const ROOT: &str = "root";
const PLATFORMS: &str = "platforms";

/// One step of a row's path. Shared, so that a row's path is its parent's plus one step
/// without copying strings: a 10,000-row tree builds in milliseconds.
pub type Segment = Rc<str>;

/// Where a row is: the ids of its ancestors and its own.
pub type Path = Vec<Segment>;

pub fn root_path() -> Path {
    vec![Rc::from(ROOT)]
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowKind {
    Root,
    /// Referrers of one artifact type.
    Group,
    /// One referrer.
    Node,
    /// The platform manifests of an index.
    Platforms,
    Platform,
    /// A cosign attachment tag (`sha256-<hex>.sig|.att|.sbom`) of the row above.
    Attachment,
    /// "loading…", "no referrers", an error: not selectable as an artifact.
    Note,
}

/// One visible line of the tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub path: Path,
    pub depth: usize,
    pub kind: RowKind,
    pub label: String,
    /// A short name for a well-known kind (IMG, INDEX, SIG, SBOM, ATT…); the raw type stays in
    /// the details pane.
    pub badge: Option<&'static str>,
    pub digest: Option<Digest>,
    /// For referrers: when it was created (from its annotations) and its manifest size.
    pub created: Option<String>,
    pub size: Option<u64>,
    pub expandable: bool,
    pub loading: bool,
    pub failed: bool,
    /// It is an index: its manifest is needed for its children.
    pub is_index: bool,
}

/// What the tree shows. Everything that shapes the rows is private and changed through
/// methods that bump `generation`, so the cached rows can never be stale.
#[derive(Debug, Clone, Default)]
pub struct TreeModel {
    subject: Option<Subject>,
    root: Loaded<Descriptor>,
    /// Referrers of each digest, verified and sorted, as far as loaded.
    referrers: HashMap<Digest, Loaded<Vec<Descriptor>>>,
    /// Nodes the user opened (artifacts are closed until opened).
    expanded: HashSet<Path>,
    /// Groups the user closed (groups are open until closed).
    collapsed: HashSet<Path>,
    /// Only referrers of this artifact type are shown.
    type_filter: Option<String>,
    generation: u64,
    /// The rows, with the tree and store generations they were built from.
    rows_cache: RefCell<Option<Built>>,
    /// What changed since the rows were last built.
    changes: RefCell<Changes>,
    pub selected: Path,
    pub mode: Option<ReferrersMode>,
    pub warnings: Vec<String>,
}

/// The rows as last built, and from which generations of the tree and the store.
#[derive(Debug, Clone)]
struct Built {
    key: (u64, u64),
    /// Every row, as if there were no type filter: a filter change only derives `shown` again.
    all: Rows,
    shown: Rows,
}

/// The visible rows, shared: a rebuild takes unchanged rows over without copying them.
pub type Rows = Rc<Vec<Rc<Row>>>;

/// Changes since the last build, as far as they are worth tracking one by one.
#[derive(Debug, Clone, Default)]
struct Changes {
    /// Anything may have changed (a new root, referrers forgotten): build everything.
    all: bool,
    /// Rows opened or closed.
    paths: Vec<Path>,
    /// Nodes whose referrers changed.
    digests: Vec<Digest>,
}

/// Past this many tracked changes a full build is as quick as finding what they touch.
const TRACKED: usize = 64;

impl TreeModel {
    /// Starts over with a new subject.
    pub fn open(&mut self, subject: Subject) {
        *self = TreeModel {
            subject: Some(subject),
            root: Loaded::Loading,
            type_filter: self.type_filter.take(),
            generation: self.generation + 1,
            ..TreeModel::default()
        };
        self.selected = root_path();
        self.expanded.insert(root_path());
    }

    fn changed(&mut self) {
        self.generation += 1;
        self.changes.get_mut().all = true;
    }

    fn changed_path(&mut self, path: Path) {
        self.generation += 1;
        let c = self.changes.get_mut();
        c.paths.push(path);
        c.all |= c.paths.len() + c.digests.len() > TRACKED;
    }

    fn changed_digest(&mut self, digest: Digest) {
        self.generation += 1;
        let c = self.changes.get_mut();
        c.digests.push(digest);
        c.all |= c.paths.len() + c.digests.len() > TRACKED;
    }

    /// Bumped whenever the rows change; views cache what they build per generation.
    pub fn generation(&self) -> u64 {
        self.generation
    }

    pub fn subject(&self) -> Option<&Subject> {
        self.subject.as_ref()
    }

    pub fn root(&self) -> &Loaded<Descriptor> {
        &self.root
    }

    pub fn set_root(&mut self, root: Loaded<Descriptor>) {
        self.root = root;
        self.changed();
    }

    pub fn root_digest(&self) -> Option<&Digest> {
        self.root.ready().map(|d| &d.digest)
    }

    pub fn referrers_of(&self, digest: &Digest) -> Option<&Loaded<Vec<Descriptor>>> {
        self.referrers.get(digest)
    }

    pub fn set_loading(&mut self, digest: Digest) {
        self.referrers.insert(digest.clone(), Loaded::Loading);
        self.changed_digest(digest);
    }

    pub fn set_failed(&mut self, digest: Digest, message: String) {
        self.referrers.insert(digest.clone(), Loaded::Failed(message));
        self.changed_digest(digest);
    }

    pub fn is_expanded(&self, path: &[Segment]) -> bool {
        self.expanded.contains(path)
    }

    pub fn expand_path(&mut self, path: Path) {
        if self.expanded.insert(path.clone()) {
            self.changed_path(path);
        }
    }

    pub fn type_filter(&self) -> Option<&str> {
        self.type_filter.as_deref()
    }

    /// Changes only which rows show, not the rows themselves.
    pub fn set_type_filter(&mut self, filter: Option<String>) {
        self.type_filter = filter.filter(|f| !f.is_empty());
        self.generation += 1;
    }

    /// Records loaded referrers, sorted for display.
    pub fn set_referrers(&mut self, digest: &Digest, mut list: Vec<Descriptor>) {
        sort_referrers(&mut list, |d| d);
        self.referrers.insert(digest.clone(), Loaded::Ready(list));
        self.changed_digest(digest.clone());
    }

    /// Whether a row's children show.
    pub fn is_open(&self, path: &[Segment], kind: RowKind) -> bool {
        match kind {
            RowKind::Group | RowKind::Platforms | RowKind::Attachment => !self.collapsed.contains(path),
            _ => self.expanded.contains(path),
        }
    }

    /// The visible rows, top to bottom (built once per generation of the tree and the store).
    pub fn rows(&self, store: &Store) -> Rows {
        let key = (self.generation, store.generation());
        let last = self.rows_cache.borrow().clone();
        if let Some(b) = &last
            && b.key == key
        {
            return b.shown.clone();
        }
        let all = self.all_rows(store, last);
        let shown = match &self.type_filter {
            Some(kind) => Rc::new(self.filtered(store, &all, kind)),
            None => all.clone(),
        };
        *self.rows_cache.borrow_mut() = Some(Built { key, all, shown: shown.clone() });
        shown
    }

    /// Every row as if there were no type filter: from the last build and what changed since
    /// when that is known, else from scratch.
    fn all_rows(&self, store: &Store, last: Option<Built>) -> Rows {
        let mut changes = self.changes.take();
        let Some(b) = last.filter(|_| !changes.all) else { return Rc::new(self.build_rows(store, None)) };
        // What the store touched counts as those nodes' referrers changing.
        let Some(touched) = store.touched_since(b.key.1) else { return Rc::new(self.build_rows(store, None)) };
        changes.digests.extend(touched);
        if changes.paths.len() + changes.digests.len() > TRACKED {
            return Rc::new(self.build_rows(store, None));
        }
        let dirty = dirty_counts(&b.all, &changes);
        if dirty.last() == Some(&0) {
            // No row was touched (only the type filter changed, a manifest of another tag came,
            // a node under a closed one loaded): the rows are as they were.
            return b.all;
        }
        let reuse = rows::Reuse { rows: &b.all, dirty: &dirty, digests: &changes.digests };
        Rc::new(self.build_rows(store, Some(reuse)))
    }

    /// The selected row, or the first one when the selection is gone.
    pub fn selected_row(&self, store: &Store) -> Option<Row> {
        let rows = self.rows(store);
        rows.get(self.selected_index(&rows)).map(|r| Row::clone(r))
    }

    /// Where the selection is among `rows` (the first row when it is gone).
    pub fn selected_index(&self, rows: &[Rc<Row>]) -> usize {
        rows.iter().position(|r| r.path == self.selected).unwrap_or(0)
    }

    /// Moves the selection by `delta` rows.
    pub fn move_by(&mut self, store: &Store, delta: isize) {
        let rows = self.rows(store);
        if rows.is_empty() {
            return;
        }
        let i = self.selected_index(&rows) as isize + delta;
        let i = i.clamp(0, rows.len() as isize - 1) as usize;
        self.selected = rows[i].path.clone();
    }

    pub fn select_last(&mut self, store: &Store) {
        if let Some(r) = self.rows(store).last() {
            self.selected = r.path.clone();
        }
    }

    /// Expands the selected row. Fetching what an open node needs is the model's job (it
    /// asks for every open node whose referrers are unknown); a failed node opened again is
    /// made unknown so that it is asked for once more.
    pub fn expand(&mut self, store: &Store) {
        let Some(row) = self.selected_row(store) else { return };
        if !row.expandable {
            return;
        }
        if matches!(row.kind, RowKind::Group | RowKind::Platforms | RowKind::Attachment) {
            self.collapsed.remove(&row.path);
        } else {
            self.expanded.insert(row.path.clone());
        }
        if let Some(d) = &row.digest
            && matches!(self.referrers.get(d), Some(Loaded::Failed(_)))
        {
            self.referrers.remove(d);
            self.changed_digest(d.clone());
        }
        self.changed_path(row.path);
    }

    /// Collapses the selected row, or moves to its parent when it is collapsed already.
    pub fn collapse(&mut self, store: &Store) {
        let Some(row) = self.selected_row(store) else { return };
        if self.is_open(&row.path, row.kind) && row.expandable {
            self.close(&row);
            return;
        }
        if row.path.len() > 1 {
            self.selected = row.path[..row.path.len() - 1].to_vec();
        }
    }

    /// Toggles the selected row.
    pub fn toggle(&mut self, store: &Store) {
        let Some(row) = self.selected_row(store) else { return };
        if self.is_open(&row.path, row.kind) {
            self.close(&row);
        } else {
            self.expand(store);
        }
    }

    fn close(&mut self, row: &Row) {
        if matches!(row.kind, RowKind::Group | RowKind::Platforms | RowKind::Attachment) {
            self.collapsed.insert(row.path.clone());
        } else {
            self.expanded.remove(&row.path);
        }
        self.changed_path(row.path.clone());
    }

    /// Forgets every referrers list, to fetch them again (expanded nodes stay expanded).
    pub fn forget_referrers(&mut self) {
        self.referrers.clear();
        self.changed();
    }
}

/// For each `i`, how many of `rows[..i]` a change touches: a row opened or closed, or a node
/// whose referrers changed.
fn dirty_counts(rows: &[Rc<Row>], changes: &Changes) -> Vec<u32> {
    let mut counts = Vec::with_capacity(rows.len() + 1);
    let mut n = 0;
    counts.push(0);
    for r in rows {
        let touched = r.digest.as_ref().is_some_and(|d| changes.digests.contains(d)) || changes.paths.iter().any(|p| *p == r.path);
        n += u32::from(touched);
        counts.push(n);
    }
    counts
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::oci::media_types::OCI_MANIFEST;

    fn desc(seed: &str, kind: &str) -> Descriptor {
        let mut d = Descriptor::new(OCI_MANIFEST, Digest::sha256_of(seed.as_bytes()), 10);
        d.artifact_type = Some(kind.to_string());
        d
    }

    fn loaded() -> (TreeModel, Descriptor, Descriptor) {
        let mut t = TreeModel::default();
        t.open(Subject { repo: "net-monitor".into(), reference: TagOrDigest::Tag("v1".into()) });
        let root = desc("root", "image");
        t.set_root(Loaded::Ready(root.clone()));
        let sbom = desc("sbom", "sbom/example");
        t.set_referrers(&root.digest, vec![desc("sig", "signature/example"), sbom.clone()]);
        (t, root, sbom)
    }

    #[test]
    fn the_root_row_names_the_subject_by_tag_or_digest_as_opened() {
        let s = Store::default();
        let root = desc("root", "image");
        let mut t = TreeModel::default();
        t.open(Subject { repo: "app".into(), reference: TagOrDigest::Tag("v1".into()) });
        assert_eq!(t.rows(&s)[0].label, "app:v1");
        t.set_root(Loaded::Ready(root.clone()));
        assert_eq!(t.rows(&s)[0].label, format!("app:v1  {}", root.digest.short()));
        t.open(Subject { repo: "app".into(), reference: TagOrDigest::Digest(root.digest.clone()) });
        t.set_root(Loaded::Ready(root.clone()));
        assert_eq!(t.rows(&s)[0].label, format!("app@{}", root.digest));
    }

    #[test]
    fn rows_group_by_artifact_type_like_oras() {
        let (t, _, _) = loaded();
        let s = Store::default();
        let labels: Vec<(usize, String)> = t.rows(&s).iter().map(|r| (r.depth, r.label.clone())).collect();
        assert_eq!(labels[1], (1, "sbom/example (1)".into()));
        assert_eq!(labels[3], (1, "signature/example (1)".into()));
        assert_eq!(labels.len(), 5);
    }

    #[test]
    fn expanding_a_node_opens_it_and_shows_its_referrers_once_loaded() {
        let (mut t, _, sbom) = loaded();
        let s = Store::default();
        t.move_by(&s, 2);
        assert_eq!(t.selected_row(&s).unwrap().digest, Some(sbom.digest.clone()));
        t.expand(&s);
        assert!(t.is_expanded(&t.selected_row(&s).unwrap().path));
        assert!(t.referrers_of(&sbom.digest).is_none(), "still unknown: the model asks for it");
        t.set_loading(sbom.digest.clone());
        assert!(t.rows(&s).iter().any(|r| r.label == "loading referrers…"));
        t.set_referrers(&sbom.digest, vec![desc("sbom-sig", "signature/example")]);
        let deepest = t.rows(&s).iter().max_by_key(|r| r.depth).unwrap().clone();
        assert_eq!(deepest.depth, 4, "root, group, SBOM, group, signature");
        assert_eq!(deepest.digest, Some(desc("sbom-sig", "x").digest));
    }

    #[test]
    fn an_index_shows_its_platform_manifests_each_with_referrers() {
        let mut t = TreeModel::default();
        t.open(Subject { repo: "app".into(), reference: TagOrDigest::Tag("v1".into()) });
        let index = desc("index", "index");
        t.set_root(Loaded::Ready(index.clone()));
        let mut amd = desc("amd64", "image");
        amd.platform = Some(crate::oci::Platform { architecture: "amd64".into(), os: "linux".into(), os_version: None, os_features: None, variant: None });
        let mut s = Store::default();
        let view = crate::tui::view_model::ManifestView {
            descriptor: index.clone(),
            artifact_type: None,
            config: None,
            subject: None,
            annotations: Default::default(),
            layers: vec![],
            manifests: vec![amd.clone(), desc("arm64", "image")],
            pretty: vec![],
            total_size: 0,
        };
        s.set_manifest(index.digest.clone(), Loaded::Ready(view));
        t.set_referrers(&index.digest, vec![]);
        t.set_referrers(&amd.digest, vec![desc("amd-sig", "signature/example")]);
        let rows = t.rows(&s);
        assert_eq!(rows[1].label, "platforms (2)");
        assert!(rows[2].label.starts_with("linux/amd64"));
        t.expand_path(rows[2].path.clone());
        let rows = t.rows(&s);
        assert!(rows.iter().any(|r| r.label == "signature/example (1)" && r.depth == 3), "{rows:?}");
    }

    #[test]
    fn collapse_then_parent_and_type_filter() {
        let (mut t, _, _) = loaded();
        let s = Store::default();
        t.move_by(&s, 2);
        t.collapse(&s);
        assert_eq!(t.selected_row(&s).unwrap().kind, RowKind::Group);
        t.collapse(&s);
        assert_eq!(t.rows(&s).len(), 4, "the group is closed");
        t.set_type_filter(Some("signature/example".into()));
        assert!(t.rows(&s).iter().all(|r| !r.label.starts_with("sbom")));
        t.move_by(&s, 100);
        t.move_by(&s, -100);
        assert_eq!(t.selected_row(&s).unwrap().kind, RowKind::Root);
    }
}
