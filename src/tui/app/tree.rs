//! The referrers tree: what is loaded, what is expanded, what is selected. Rows are derived
//! from this state (never stored), in the shape `oras discover -o tree` prints: the subject,
//! then referrers grouped under their artifact type, each with its own referrers below.

use std::collections::{HashMap, HashSet};

use crate::graph::discover::sort_referrers;
use crate::oci::{Descriptor, Digest};
use crate::target::ReferrersMode;

/// Something fetched in the background.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Loaded<T> {
    #[default]
    NotRequested,
    Loading,
    Ready(T),
    Failed(String),
}

impl<T> Loaded<T> {
    pub fn ready(&self) -> Option<&T> {
        match self {
            Loaded::Ready(t) => Some(t),
            _ => None,
        }
    }

    pub fn is_loading(&self) -> bool {
        matches!(self, Loaded::Loading)
    }
}

/// The artifact whose graph is shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subject {
    pub repo: String,
    /// The tag or digest the user opened.
    pub reference: String,
}

pub const ROOT: &str = "root";
const PLATFORMS: &str = "platforms";

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
    pub path: Vec<String>,
    pub depth: usize,
    pub kind: RowKind,
    pub label: String,
    pub digest: Option<Digest>,
    pub expandable: bool,
    pub loading: bool,
    pub failed: bool,
}

#[derive(Debug, Clone, Default)]
pub struct TreeModel {
    pub subject: Option<Subject>,
    pub root: Loaded<Descriptor>,
    /// Referrers of each digest, verified and sorted, as far as loaded.
    pub referrers: HashMap<Digest, Loaded<Vec<Descriptor>>>,
    /// Platform manifests of index nodes.
    pub platforms: HashMap<Digest, Vec<Descriptor>>,
    /// Nodes the user opened (artifacts are closed until opened).
    pub expanded: HashSet<Vec<String>>,
    /// Groups the user closed (groups are open until closed).
    pub collapsed: HashSet<Vec<String>>,
    pub selected: Vec<String>,
    /// Only referrers of this artifact type are shown.
    pub type_filter: Option<String>,
    pub mode: Option<ReferrersMode>,
    pub warnings: Vec<String>,
    /// Bumped on every change that alters the rows, so views can cache what they build.
    pub generation: u64,
}

fn node_id(d: &Digest) -> String {
    format!("d:{d}")
}

fn platform_id(d: &Digest) -> String {
    format!("p:{d}")
}

fn group_id(kind: &str) -> String {
    format!("t:{kind}")
}

/// The digest a path's last element names, if it names one.
pub fn digest_of(id: &str) -> Option<Digest> {
    id.strip_prefix("d:").or_else(|| id.strip_prefix("p:")).and_then(|d| d.parse().ok())
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
        self.selected = vec![ROOT.to_string()];
        self.expanded.insert(vec![ROOT.to_string()]);
    }

    pub fn changed(&mut self) {
        self.generation += 1;
    }

    pub fn root_digest(&self) -> Option<&Digest> {
        self.root.ready().map(|d| &d.digest)
    }

    /// Records loaded referrers, sorted for display.
    pub fn set_referrers(&mut self, digest: &Digest, mut list: Vec<Descriptor>) {
        sort_referrers(&mut list, |d| d);
        self.referrers.insert(digest.clone(), Loaded::Ready(list));
        self.changed();
    }

    /// Whether a row's children show.
    pub fn is_open(&self, path: &[String], kind: RowKind) -> bool {
        match kind {
            RowKind::Group | RowKind::Platforms => !self.collapsed.contains(path),
            _ => self.expanded.contains(path),
        }
    }

    fn visible(&self, list: &[Descriptor]) -> Vec<Descriptor> {
        list.iter()
            .filter(|d| self.type_filter.as_ref().is_none_or(|t| d.kind() == t))
            .cloned()
            .collect()
    }

    /// The visible rows, top to bottom.
    pub fn rows(&self) -> Vec<Row> {
        let mut rows = Vec::new();
        let Some(subject) = &self.subject else { return rows };
        let root_path = vec![ROOT.to_string()];
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
            expandable: true,
            loading: self.root.is_loading(),
            failed: matches!(self.root, Loaded::Failed(_)),
        });
        if !self.expanded.contains(&root_path) {
            return rows;
        }
        match (&self.root, &root_digest) {
            (Loaded::Failed(e), _) => rows.push(note(&root_path, 1, e.clone(), true)),
            (Loaded::Ready(_), Some(d)) => self.push_children(d, &root_path, 1, &mut rows),
            _ => rows.push(note(&root_path, 1, "loading…".into(), false)),
        }
        rows
    }

    fn push_children(&self, digest: &Digest, path: &[String], depth: usize, rows: &mut Vec<Row>) {
        if let Some(platforms) = self.platforms.get(digest).filter(|p| !p.is_empty()) {
            let mut p = path.to_vec();
            p.push(PLATFORMS.to_string());
            rows.push(Row {
                path: p.clone(),
                depth,
                kind: RowKind::Platforms,
                label: format!("platforms ({})", platforms.len()),
                digest: None,
                expandable: true,
                loading: false,
                failed: false,
            });
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

    fn push_referrers(&self, digest: &Digest, path: &[String], depth: usize, rows: &mut Vec<Row>) {
        match self.referrers.get(digest) {
            None | Some(Loaded::NotRequested) => {}
            Some(Loaded::Loading) => rows.push(note(path, depth, "loading referrers…".into(), false)),
            Some(Loaded::Failed(e)) => rows.push(note(path, depth, e.clone(), true)),
            Some(Loaded::Ready(list)) => {
                let list = self.visible(list);
                if list.is_empty() && depth == 1 && self.platforms.get(digest).is_none_or(|p| p.is_empty()) {
                    let text = match &self.type_filter {
                        Some(t) => format!("no referrers of type {t}"),
                        None => "no referrers".to_string(),
                    };
                    rows.push(note(path, depth, text, false));
                }
                let mut groups: Vec<(&str, Vec<&Descriptor>)> = Vec::new();
                for d in &list {
                    match groups.iter_mut().find(|(k, _)| *k == d.kind()) {
                        Some((_, v)) => v.push(d),
                        None => groups.push((d.kind(), vec![d])),
                    }
                }
                for (kind, members) in groups {
                    let mut gp = path.to_vec();
                    gp.push(group_id(kind));
                    rows.push(Row {
                        path: gp.clone(),
                        depth,
                        kind: RowKind::Group,
                        label: format!("{kind} ({})", members.len()),
                        digest: None,
                        expandable: true,
                        loading: false,
                        failed: false,
                    });
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
                            label: m.digest.to_string(),
                            digest: Some(m.digest.clone()),
                            expandable: !matches!(children, Some(Loaded::Ready(l)) if self.visible(l).is_empty()),
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
        rows.iter().find(|r| r.path == self.selected).cloned().or_else(|| rows.first().cloned())
    }

    fn selected_index(&self, rows: &[Row]) -> usize {
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

    /// Expands the selected row. Returns the digest whose referrers must be fetched, if any.
    pub fn expand(&mut self) -> Option<Digest> {
        let row = self.selected_row()?;
        if !row.expandable {
            return None;
        }
        if matches!(row.kind, RowKind::Group | RowKind::Platforms) {
            self.collapsed.remove(&row.path);
        } else {
            self.expanded.insert(row.path.clone());
        }
        self.changed();
        let digest = row.digest?;
        match self.referrers.get(&digest) {
            None | Some(Loaded::NotRequested) | Some(Loaded::Failed(_)) => {
                self.referrers.insert(digest.clone(), Loaded::Loading);
                Some(digest)
            }
            _ => None,
        }
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

    /// Toggles the selected row. Returns a digest to fetch, as [`TreeModel::expand`] does.
    pub fn toggle(&mut self) -> Option<Digest> {
        let row = self.selected_row()?;
        if self.is_open(&row.path, row.kind) {
            self.close(&row);
            None
        } else {
            self.expand()
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

    /// Digests whose referrers were requested but are not known: to fetch again on refresh.
    pub fn forget_referrers(&mut self) -> Vec<Digest> {
        let shown: Vec<Digest> = self.referrers.keys().cloned().collect();
        self.referrers.clear();
        self.changed();
        shown
    }
}

fn note(path: &[String], depth: usize, text: String, failed: bool) -> Row {
    let mut p = path.to_vec();
    p.push(format!("note:{text}"));
    Row {
        path: p,
        depth,
        kind: RowKind::Note,
        label: text,
        digest: None,
        expandable: false,
        loading: !failed,
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
        t.root = Loaded::Ready(root.clone());
        let sbom = desc("sbom", "sbom/example");
        t.set_referrers(&root.digest, vec![desc("sig", "signature/example"), sbom.clone()]);
        (t, root, sbom)
    }

    #[test]
    fn rows_group_by_artifact_type_like_oras() {
        let (t, _, _) = loaded();
        let labels: Vec<(usize, String)> = t.rows().into_iter().map(|r| (r.depth, r.label)).collect();
        assert_eq!(labels[1], (1, "sbom/example (1)".into()));
        assert_eq!(labels[3], (1, "signature/example (1)".into()));
        assert_eq!(labels.len(), 5);
    }

    #[test]
    fn expanding_a_node_asks_for_its_referrers_once() {
        let (mut t, _, sbom) = loaded();
        t.move_by(2);
        assert_eq!(t.selected_row().unwrap().digest, Some(sbom.digest.clone()));
        assert_eq!(t.expand(), Some(sbom.digest.clone()));
        assert!(t.rows().iter().any(|r| r.label == "loading referrers…"));
        assert_eq!(t.expand(), None, "already loading");
        t.set_referrers(&sbom.digest, vec![desc("sbom-sig", "signature/example")]);
        let deepest = t.rows().into_iter().max_by_key(|r| r.depth).unwrap();
        assert_eq!(deepest.depth, 4, "root, group, SBOM, group, signature");
        assert_eq!(deepest.digest, Some(desc("sbom-sig", "x").digest));
    }

    #[test]
    fn an_index_shows_its_platform_manifests_each_with_referrers() {
        let mut t = TreeModel::default();
        t.open(Subject { repo: "app".into(), reference: "v1".into() });
        let index = desc("index", "index");
        t.root = Loaded::Ready(index.clone());
        let mut amd = desc("amd64", "image");
        amd.platform = Some(crate::oci::Platform { architecture: "amd64".into(), os: "linux".into(), os_version: None, os_features: None, variant: None });
        t.platforms.insert(index.digest.clone(), vec![amd.clone(), desc("arm64", "image")]);
        t.set_referrers(&index.digest, vec![]);
        t.set_referrers(&amd.digest, vec![desc("amd-sig", "signature/example")]);
        let rows = t.rows();
        assert_eq!(rows[1].label, "platforms (2)");
        assert!(rows[2].label.starts_with("linux/amd64"));
        t.expanded.insert(rows[2].path.clone());
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
        t.type_filter = Some("signature/example".into());
        assert!(t.rows().iter().all(|r| !r.label.starts_with("sbom")));
        t.move_by(100);
        t.move_by(-100);
        assert_eq!(t.selected_row().unwrap().kind, RowKind::Root);
    }
}
