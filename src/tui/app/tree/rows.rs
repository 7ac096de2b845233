//! The rows of the tree, built from its state and the store, in the shape `oras discover -o
//! tree` prints.

use std::rc::Rc;

use super::{PLATFORMS, Path, Row, RowKind, Segment, TreeModel, root_path};
use crate::graph::model::Attachment;
use crate::oci::media_types::{self, annotations::CREATED};
use crate::oci::{Descriptor, Digest, friendly};
use crate::tui::app::store::Store;
use crate::tui::view_model::Loaded;

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

fn attachment_id(tag: &str) -> Segment {
    Rc::from(format!("a:{tag}"))
}

impl TreeModel {
    pub(super) fn build_rows(&self, store: &Store) -> Vec<Row> {
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
            badge: self.root.ready().and_then(friendly::known_artifact).map(|k| k.badge),
            digest: root_digest.clone(),
            created: None,
            size: None,
            expandable: true,
            loading: self.root.is_loading(),
            failed: matches!(self.root, Loaded::Failed(_)),
            is_index: self.root.ready().is_some_and(|d| media_types::is_index(&d.media_type)),
        });
        if !self.expanded.contains(&root_path) {
            return rows;
        }
        match (&self.root, &root_digest) {
            (Loaded::Failed(e), _) => rows.push(note(&root_path, 1, e.clone(), false, true)),
            (Loaded::Ready(_), Some(d)) => {
                let b = Builder { tree: self, store, repo: &subject.repo };
                let before = rows.len();
                b.children(d, &root_path, 1, &mut rows);
                if rows.len() == before && matches!(self.referrers.get(d), Some(Loaded::Ready(_))) {
                    let text = match &self.type_filter {
                        Some(t) => format!("no referrers of type {t}"),
                        None => "no referrers".to_string(),
                    };
                    rows.push(note(&root_path, 1, text, false, false));
                }
            }
            _ => rows.push(note(&root_path, 1, "loading…".into(), true, false)),
        }
        rows
    }

}

/// Builds the rows below one node from the tree's state and the store.
struct Builder<'a> {
    tree: &'a TreeModel,
    store: &'a Store,
    repo: &'a str,
}

impl Builder<'_> {
    /// A node's children: its platform manifests, its referrers, its cosign attachments.
    fn children(&self, digest: &Digest, path: &[Segment], depth: usize, rows: &mut Vec<Row>) {
        self.platforms(digest, path, depth, rows);
        self.referrers(digest, path, depth, rows);
        self.attachments(digest, path, depth, rows);
    }

    /// One row for a manifest of the graph, then its own children when it is open.
    fn node(&self, path: Path, depth: usize, kind: RowKind, label: String, d: &Descriptor, rows: &mut Vec<Row>) {
        // Referrers are named by their group heading; a platform's row is its own heading.
        let badge = (kind == RowKind::Platform).then(|| friendly::known_artifact(d).map(|k| k.badge)).flatten();
        let tree = self.tree;
        let children = tree.referrers.get(&d.digest);
        let has_more = !self.store.children(&d.digest).is_empty() || !self.store.attachments(self.repo, &d.digest).is_empty();
        rows.push(Row {
            path: path.clone(),
            depth,
            kind,
            label,
            badge,
            digest: Some(d.digest.clone()),
            created: d.annotation(CREATED).map(str::to_string),
            size: Some(d.size),
            expandable: has_more || !matches!(children, Some(Loaded::Ready(l)) if !l.iter().any(|r| tree.passes(r))),
            loading: children.is_some_and(Loaded::is_loading),
            failed: matches!(children, Some(Loaded::Failed(_))),
            is_index: media_types::is_index(&d.media_type),
        });
        if tree.expanded.contains(&path) {
            self.children(&d.digest, &path, depth + 1, rows);
        }
    }

    fn platforms(&self, digest: &Digest, path: &[Segment], depth: usize, rows: &mut Vec<Row>) {
        let platforms = self.store.children(digest);
        if platforms.is_empty() {
            return;
        }
        let mut p = path.to_vec();
        p.push(Rc::from(PLATFORMS));
        rows.push(heading(p.clone(), depth, RowKind::Platforms, format!("platforms ({})", platforms.len())));
        if !self.tree.is_open(&p, RowKind::Platforms) {
            return;
        }
        for m in platforms {
            let mut mp = p.clone();
            mp.push(platform_id(&m.digest));
            let mut plat = match &m.platform {
                Some(p) => p.to_string(),
                None if media_types::is_index(&m.media_type) => "index".into(),
                None => "(no platform)".into(),
            };
            // An index may list a manifest the repository lacks: say so on its row.
            let missing = match self.store.manifest(&m.digest) {
                Some(Loaded::Failed(e)) => Some(if e.contains("not found") { "missing" } else { "unreadable" }),
                _ => None,
            };
            if let Some(why) = missing {
                plat.push_str(&format!(" ({why})"));
            }
            let at = rows.len();
            self.node(mp, depth + 1, RowKind::Platform, format!("{plat}  {}", m.digest), m, rows);
            rows[at].failed |= missing.is_some();
        }
    }

    fn referrers(&self, digest: &Digest, path: &[Segment], depth: usize, rows: &mut Vec<Row>) {
        let tree = self.tree;
        match tree.referrers.get(digest) {
            None | Some(Loaded::NotRequested) => {}
            Some(Loaded::Loading) => rows.push(note(path, depth, "loading referrers…".into(), true, false)),
            Some(Loaded::Failed(e)) => rows.push(note(path, depth, e.clone(), false, true)),
            Some(Loaded::Ready(list)) => {
                let mut groups: Vec<(&str, Vec<&Descriptor>)> = Vec::new();
                for d in list.iter().filter(|d| tree.passes(d)) {
                    match groups.iter_mut().find(|(k, _)| *k == d.kind()) {
                        Some((_, v)) => v.push(d),
                        None => groups.push((d.kind(), vec![d])),
                    }
                }
                for (kind, members) in groups {
                    let mut gp = path.to_vec();
                    gp.push(group_id(kind));
                    let known = members.first().and_then(|m| friendly::known_artifact(m));
                    let name = known.map_or(kind, |k| k.name);
                    let mut row = heading(gp.clone(), depth, RowKind::Group, format!("{name} ({})", members.len()));
                    row.badge = known.map(|k| k.badge);
                    rows.push(row);
                    if !tree.is_open(&gp, RowKind::Group) {
                        continue;
                    }
                    for m in members {
                        let mut np = gp.clone();
                        np.push(node_id(&m.digest));
                        self.node(np, depth + 1, RowKind::Node, String::new(), m, rows);
                    }
                }
            }
        }
    }

    /// Cosign attachments, found from the tag list: a heading per tag, the manifest it
    /// points at below once resolved. A type filter hides them, as they have no artifact type.
    fn attachments(&self, digest: &Digest, path: &[Segment], depth: usize, rows: &mut Vec<Row>) {
        if self.tree.type_filter.is_some() {
            return;
        }
        for (tag, kind) in self.store.attachments(self.repo, digest) {
            let mut ap = path.to_vec();
            ap.push(attachment_id(tag));
            let mut row = heading(ap.clone(), depth, RowKind::Attachment, attachment_label(tag, *kind));
            row.badge = Some(kind.known().badge);
            rows.push(row);
            if !self.tree.is_open(&ap, RowKind::Attachment) {
                continue;
            }
            match self.store.tag_target(tag) {
                None | Some(Loaded::NotRequested) => {}
                Some(Loaded::Loading) => rows.push(note(&ap, depth + 1, "resolving tag…".into(), true, false)),
                Some(Loaded::Failed(e)) => rows.push(note(&ap, depth + 1, e.clone(), false, true)),
                Some(Loaded::Ready(target)) => {
                    let mut d = match self.store.manifest(target).and_then(Loaded::ready) {
                        Some(view) => view.descriptor.clone(),
                        None => Descriptor::new(media_types::OCI_MANIFEST, target.clone(), 0),
                    };
                    d.artifact_type.get_or_insert_with(|| kind.suffix().to_string());
                    let mut np = ap.clone();
                    np.push(node_id(target));
                    self.node(np, depth + 1, RowKind::Node, String::new(), &d, rows);
                }
            }
        }
    }
}

/// A cosign attachment heading: what it is and that it is found by tag, not by `subject`.
fn attachment_label(tag: &str, kind: Attachment) -> String {
    format!("{} · cosign tag {}", kind.known().name, short_tag(tag))
}

/// `sha256-<12 hex>….sig`: the full tag is in the details pane.
fn short_tag(tag: &str) -> String {
    match tag.rsplit_once('.') {
        Some((base, suffix)) if base.len() > 19 => format!("{}….{suffix}", &base[..19]),
        _ => tag.to_string(),
    }
}

/// A row that groups others (referrers of one type, platform manifests).
fn heading(path: Path, depth: usize, kind: RowKind, label: String) -> Row {
    Row {
        path,
        depth,
        kind,
        label,
        badge: None,
        digest: None,
        created: None,
        size: None,
        expandable: true,
        loading: false,
        failed: false,
        is_index: false,
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
        badge: None,
        digest: None,
        created: None,
        size: None,
        expandable: false,
        loading,
        failed,
        is_index: false,
    }
}

