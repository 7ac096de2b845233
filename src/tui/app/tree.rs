//! The referrers tree: what is loaded, what is expanded, what is selected. Rows are derived
//! from this state (never stored), in the shape `oras discover -o tree` prints: the subject,
//! then referrers grouped under their artifact type, each with its own referrers below.

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::rc::Rc;

use crate::graph::discover::sort_referrers;
use crate::oci::{Descriptor, Digest};
use crate::store::ReferrersMode;
use crate::tui::view_model::Loaded;

/// The artifact whose graph is shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subject {
    pub repo: String,
    /// The tag or digest the user opened.
    pub reference: String,
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
    pub digest: Option<Digest>,
    /// For referrers: when it was created (from its annotations) and its manifest size.
    pub created: Option<String>,
    pub size: Option<u64>,
    pub expandable: bool,
    pub loading: bool,
    pub failed: bool,
}

/// What the tree shows. Everything that shapes the rows is private and changed through
/// methods that bump `generation`, so the cached rows can never be stale.
#[derive(Debug, Clone, Default)]
pub struct TreeModel {
    subject: Option<Subject>,
    root: Loaded<Descriptor>,
    /// Referrers of each digest, verified and sorted, as far as loaded.
    referrers: HashMap<Digest, Loaded<Vec<Descriptor>>>,
    /// Platform manifests of index nodes.
    platforms: HashMap<Digest, Vec<Descriptor>>,
    /// Nodes the user opened (artifacts are closed until opened).
    expanded: HashSet<Path>,
    /// Groups the user closed (groups are open until closed).
    collapsed: HashSet<Path>,
    /// Only referrers of this artifact type are shown.
    type_filter: Option<String>,
    generation: u64,
    rows_cache: RefCell<Option<(u64, Rc<Vec<Row>>)>>,
    pub selected: Path,
    pub mode: Option<ReferrersMode>,
    pub warnings: Vec<String>,
}

/// Ids only need to tell siblings apart; a digest prefix does that, and keeps the paths that
/// are hashed on every rebuild short.
fn node_id(d: &Digest) -> Segment {
    Rc::from(format!("d:{}", &d.hex()[..16]))
}

fn platform_id(d: &Digest) -> Segment {
    Rc::from(format!("p:{}", &d.hex()[..16]))
}

fn group_id(kind: &str) -> Segment {
    Rc::from(format!("t:{kind}"))
}

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
        self.referrers.insert(digest, Loaded::Loading);
        self.changed();
    }

    pub fn set_failed(&mut self, digest: Digest, message: String) {
        self.referrers.insert(digest, Loaded::Failed(message));
        self.changed();
    }

    pub fn set_platforms(&mut self, digest: Digest, manifests: Vec<Descriptor>) {
        self.platforms.insert(digest, manifests);
        self.changed();
    }

    pub fn is_expanded(&self, path: &[Segment]) -> bool {
        self.expanded.contains(path)
    }

    pub fn expand_path(&mut self, path: Path) {
        if self.expanded.insert(path) {
            self.changed();
        }
    }

    pub fn type_filter(&self) -> Option<&str> {
        self.type_filter.as_deref()
    }

    pub fn set_type_filter(&mut self, filter: Option<String>) {
        self.type_filter = filter.filter(|f| !f.is_empty());
        self.changed();
    }

    /// Records loaded referrers, sorted for display.
    pub fn set_referrers(&mut self, digest: &Digest, mut list: Vec<Descriptor>) {
        sort_referrers(&mut list, |d| d);
        self.referrers.insert(digest.clone(), Loaded::Ready(list));
        self.changed();
    }

    /// Whether a row's children show.
    pub fn is_open(&self, path: &[Segment], kind: RowKind) -> bool {
        match kind {
            RowKind::Group | RowKind::Platforms => !self.collapsed.contains(path),
            _ => self.expanded.contains(path),
        }
    }

    fn passes(&self, d: &Descriptor) -> bool {
        self.type_filter.as_ref().is_none_or(|t| d.kind() == t)
    }

    /// The visible rows, top to bottom (built once per generation).
    pub fn rows(&self) -> Rc<Vec<Row>> {
        if let Some((generation, rows)) = self.rows_cache.borrow().as_ref()
            && *generation == self.generation
        {
            return rows.clone();
        }
        let rows = Rc::new(self.build_rows());
        *self.rows_cache.borrow_mut() = Some((self.generation, rows.clone()));
        rows
    }

    fn build_rows(&self) -> Vec<Row> {
        let mut rows = Vec::new();
        let Some(subject) = &self.subject else { return rows };
        let root_path = root_path();
        let label = match &self.root {
            Loaded::Ready(d) if !subject.reference.contains(':') => format!("{}:{}  {}", subject.repo, subject.reference, d.digest.short()),
            _ => format!("{}{}{}", subject.repo, if subject.reference.contains(':') { "@" } else { ":" }, subject.reference),
        };
        let root_digest = self.root_digest().cloned();
        rows.push(Row {
            path: root_path.clone(),
            depth: 0,
            kind: RowKind::Root,
            label,
            digest: root_digest.clone(),
            created: None,
            size: None,
            expandable: true,
            loading: self.root.is_loading(),
            failed: matches!(self.root, Loaded::Failed(_)),
        });
        if !self.expanded.contains(&root_path) {
            return rows;
        }
        match (&self.root, &root_digest) {
            (Loaded::Failed(e), _) => rows.push(note(&root_path, 1, e.clone(), false, true)),
            (Loaded::Ready(_), Some(d)) => self.push_children(d, &root_path, 1, &mut rows),
            _ => rows.push(note(&root_path, 1, "loading…".into(), true, false)),
        }
        rows
    }

    fn push_children(&self, digest: &Digest, path: &[Segment], depth: usize, rows: &mut Vec<Row>) {
        if let Some(platforms) = self.platforms.get(digest).filter(|p| !p.is_empty()) {
            let mut p = path.to_vec();
            p.push(Rc::from(PLATFORMS));
            rows.push(heading(p.clone(), depth, RowKind::Platforms, format!("platforms ({})", platforms.len())));
            if self.is_open(&p, RowKind::Platforms) {
                for m in platforms {
                    let mut mp = p.clone();
                    mp.push(platform_id(&m.digest));
                    let plat = m.platform.as_ref().map(|p| p.to_string()).unwrap_or_else(|| "unknown platform".into());
                    rows.push(Row {
                        path: mp.clone(),
                        depth: depth + 1,
                        kind: RowKind::Platform,
                        label: format!("{plat}  {}", m.digest),
                        digest: Some(m.digest.clone()),
                        created: None,
                        size: Some(m.size),
                        expandable: true,
                        loading: self.referrers.get(&m.digest).is_some_and(Loaded::is_loading),
                        failed: false,
                    });
                    if self.expanded.contains(&mp) {
                        self.push_referrers(&m.digest, &mp, depth + 2, rows);
                    }
                }
            }
        }
        self.push_referrers(digest, path, depth, rows);
    }

    fn push_referrers(&self, digest: &Digest, path: &[Segment], depth: usize, rows: &mut Vec<Row>) {
        match self.referrers.get(digest) {
            None | Some(Loaded::NotRequested) => {}
            Some(Loaded::Loading) => rows.push(note(path, depth, "loading referrers…".into(), true, false)),
            Some(Loaded::Failed(e)) => rows.push(note(path, depth, e.clone(), false, true)),
            Some(Loaded::Ready(list)) => {
                let list: Vec<&Descriptor> = list.iter().filter(|d| self.passes(d)).collect();
                if list.is_empty() && depth == 1 && self.platforms.get(digest).is_none_or(|p| p.is_empty()) {
                    let text = match &self.type_filter {
                        Some(t) => format!("no referrers of type {t}"),
                        None => "no referrers".to_string(),
                    };
                    rows.push(note(path, depth, text, false, false));
                }
                let mut groups: Vec<(&str, Vec<&Descriptor>)> = Vec::new();
                for d in list {
                    match groups.iter_mut().find(|(k, _)| *k == d.kind()) {
                        Some((_, v)) => v.push(d),
                        None => groups.push((d.kind(), vec![d])),
                    }
                }
                for (kind, members) in groups {
                    let mut gp = path.to_vec();
                    gp.push(group_id(kind));
                    rows.push(heading(gp.clone(), depth, RowKind::Group, format!("{kind} ({})", members.len())));
                    if !self.is_open(&gp, RowKind::Group) {
                        continue;
                    }
                    for m in members {
                        let mut np = gp.clone();
                        np.push(node_id(&m.digest));
                        let children = self.referrers.get(&m.digest);
                        rows.push(Row {
                            path: np.clone(),
                            depth: depth + 1,
                            kind: RowKind::Node,
                            label: String::new(),
                            digest: Some(m.digest.clone()),
                            created: m.annotation(crate::oci::media_types::annotations::CREATED).map(str::to_string),
                            size: Some(m.size),
                            expandable: !matches!(children, Some(Loaded::Ready(l)) if !l.iter().any(|d| self.passes(d))),
                            loading: children.is_some_and(Loaded::is_loading),
                            failed: matches!(children, Some(Loaded::Failed(_))),
                        });
                        if self.expanded.contains(&np) {
                            self.push_referrers(&m.digest, &np, depth + 2, rows);
                        }
                    }
                }
            }
        }
    }

    /// The selected row, or the first one when the selection is gone.
    pub fn selected_row(&self) -> Option<Row> {
        let rows = self.rows();
        rows.get(self.selected_index(&rows)).cloned()
    }

    /// Where the selection is among `rows` (the first row when it is gone).
    pub fn selected_index(&self, rows: &[Row]) -> usize {
        rows.iter().position(|r| r.path == self.selected).unwrap_or(0)
    }

    /// Moves the selection by `delta` rows.
    pub fn move_by(&mut self, delta: isize) {
        let rows = self.rows();
        if rows.is_empty() {
            return;
        }
        let i = self.selected_index(&rows) as isize + delta;
        let i = i.clamp(0, rows.len() as isize - 1) as usize;
        self.selected = rows[i].path.clone();
    }

    pub fn select_last(&mut self) {
        if let Some(r) = self.rows().last() {
            self.selected = r.path.clone();
        }
    }

    /// Expands the selected row. Fetching what an open node needs is the model's job (it
    /// asks for every open node whose referrers are unknown); a failed node opened again is
    /// made unknown so that it is asked for once more.
    pub fn expand(&mut self) {
        let Some(row) = self.selected_row() else { return };
        if !row.expandable {
            return;
        }
        if matches!(row.kind, RowKind::Group | RowKind::Platforms) {
            self.collapsed.remove(&row.path);
        } else {
            self.expanded.insert(row.path.clone());
        }
        if let Some(d) = &row.digest
            && matches!(self.referrers.get(d), Some(Loaded::Failed(_)))
        {
            self.referrers.remove(d);
        }
        self.changed();
    }

    /// Collapses the selected row, or moves to its parent when it is collapsed already.
    pub fn collapse(&mut self) {
        let Some(row) = self.selected_row() else { return };
        if self.is_open(&row.path, row.kind) && row.expandable {
            self.close(&row);
            return;
        }
        if row.path.len() > 1 {
            self.selected = row.path[..row.path.len() - 1].to_vec();
        }
    }

    /// Toggles the selected row.
    pub fn toggle(&mut self) {
        let Some(row) = self.selected_row() else { return };
        if self.is_open(&row.path, row.kind) {
            self.close(&row);
        } else {
            self.expand();
        }
    }

    fn close(&mut self, row: &Row) {
        if matches!(row.kind, RowKind::Group | RowKind::Platforms) {
            self.collapsed.insert(row.path.clone());
        } else {
            self.expanded.remove(&row.path);
        }
        self.changed();
    }

    /// Forgets every referrers list, to fetch them again (expanded nodes stay expanded).
    pub fn forget_referrers(&mut self) {
        self.referrers.clear();
        self.changed();
    }
}

/// A row that groups others (referrers of one type, platform manifests).
fn heading(path: Path, depth: usize, kind: RowKind, label: String) -> Row {
    Row {
        path,
        depth,
        kind,
        label,
        digest: None,
        created: None,
        size: None,
        expandable: true,
        loading: false,
        failed: false,
    }
}

/// A row that is not an artifact: `loading` shows a spinner, `failed` shows it as an error.
fn note(path: &[Segment], depth: usize, text: String, loading: bool, failed: bool) -> Row {
    let mut p = path.to_vec();
    p.push(Rc::from(format!("note:{text}")));
    Row {
        path: p,
        depth,
        kind: RowKind::Note,
        label: text,
        digest: None,
        created: None,
        size: None,
        expandable: false,
        loading,
        failed,
    }
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
        t.open(Subject { repo: "net-monitor".into(), reference: "v1".into() });
        let root = desc("root", "image");
        t.set_root(Loaded::Ready(root.clone()));
        let sbom = desc("sbom", "sbom/example");
        t.set_referrers(&root.digest, vec![desc("sig", "signature/example"), sbom.clone()]);
        (t, root, sbom)
    }

    #[test]
    fn rows_group_by_artifact_type_like_oras() {
        let (t, _, _) = loaded();
        let labels: Vec<(usize, String)> = t.rows().iter().map(|r| (r.depth, r.label.clone())).collect();
        assert_eq!(labels[1], (1, "sbom/example (1)".into()));
        assert_eq!(labels[3], (1, "signature/example (1)".into()));
        assert_eq!(labels.len(), 5);
    }

    #[test]
    fn expanding_a_node_opens_it_and_shows_its_referrers_once_loaded() {
        let (mut t, _, sbom) = loaded();
        t.move_by(2);
        assert_eq!(t.selected_row().unwrap().digest, Some(sbom.digest.clone()));
        t.expand();
        assert!(t.is_expanded(&t.selected_row().unwrap().path));
        assert!(t.referrers_of(&sbom.digest).is_none(), "still unknown: the model asks for it");
        t.set_loading(sbom.digest.clone());
        assert!(t.rows().iter().any(|r| r.label == "loading referrers…"));
        t.set_referrers(&sbom.digest, vec![desc("sbom-sig", "signature/example")]);
        let deepest = t.rows().iter().max_by_key(|r| r.depth).unwrap().clone();
        assert_eq!(deepest.depth, 4, "root, group, SBOM, group, signature");
        assert_eq!(deepest.digest, Some(desc("sbom-sig", "x").digest));
    }

    #[test]
    fn an_index_shows_its_platform_manifests_each_with_referrers() {
        let mut t = TreeModel::default();
        t.open(Subject { repo: "app".into(), reference: "v1".into() });
        let index = desc("index", "index");
        t.set_root(Loaded::Ready(index.clone()));
        let mut amd = desc("amd64", "image");
        amd.platform = Some(crate::oci::Platform { architecture: "amd64".into(), os: "linux".into(), os_version: None, os_features: None, variant: None });
        t.set_platforms(index.digest.clone(), vec![amd.clone(), desc("arm64", "image")]);
        t.set_referrers(&index.digest, vec![]);
        t.set_referrers(&amd.digest, vec![desc("amd-sig", "signature/example")]);
        let rows = t.rows();
        assert_eq!(rows[1].label, "platforms (2)");
        assert!(rows[2].label.starts_with("linux/amd64"));
        t.expand_path(rows[2].path.clone());
        let rows = t.rows();
        assert!(rows.iter().any(|r| r.label == "signature/example (1)" && r.depth == 3), "{rows:?}");
    }

    #[test]
    fn collapse_then_parent_and_type_filter() {
        let (mut t, _, _) = loaded();
        t.move_by(2);
        t.collapse();
        assert_eq!(t.selected_row().unwrap().kind, RowKind::Group);
        t.collapse();
        assert_eq!(t.rows().len(), 4, "the group is closed");
        t.set_type_filter(Some("signature/example".into()));
        assert!(t.rows().iter().all(|r| !r.label.starts_with("sbom")));
        t.move_by(100);
        t.move_by(-100);
        assert_eq!(t.selected_row().unwrap().kind, RowKind::Root);
    }
}
