//! The rows of the tree, built from its state and the store, in the shape `oras discover -o
//! tree` prints.

use std::cell::Cell;
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

pub(super) fn group_id(kind: &str) -> Segment {
    Rc::from(format!("t:{kind}"))
}

fn attachment_id(tag: &str) -> Segment {
    Rc::from(format!("a:{tag}"))
}

impl TreeModel {
    /// Builds every row as if there were no type filter (the filter is applied after, see
    /// `filtered`); with `prev` (the rows last built and what changed since), node blocks
    /// that nothing touched are taken over as they are instead of being built again.
    pub(super) fn build_rows(&self, store: &Store, prev: Option<Reuse<'_>>) -> Vec<Rc<Row>> {
        let mut rows = Vec::new();
        let Some(subject) = &self.subject else { return rows };
        let root_path = root_path();
        let label = match &self.root {
            Loaded::Ready(d) if !subject.reference.is_digest() => format!("{}  {}", subject.reference.after(&subject.repo), d.digest.short()),
            _ => subject.reference.after(&subject.repo),
        };
        let root_digest = self.root_digest().cloned();
        rows.push(Rc::new(Row {
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
        }));
        if !self.expanded.contains(&root_path) {
            return rows;
        }
        match (&self.root, &root_digest) {
            (Loaded::Failed(e), _) => rows.push(Rc::new(note(&root_path, 1, e.clone(), false, true))),
            (Loaded::Ready(_), Some(d)) => {
                // As for any node: when the root's own referrers changed, its rows are built anew.
                let fresh = u32::from(prev.is_some_and(|r| r.digests.contains(d)));
                let b = Builder { tree: self, store, repo: &subject.repo, reuse: prev, cursor: Cell::new(1), fresh: Cell::new(fresh) };
                let before = rows.len();
                b.children(d, &root_path, 1, &mut rows);
                if rows.len() == before && matches!(self.referrers.get(d), Some(Loaded::Ready(_))) {
                    rows.push(Rc::new(note(&root_path, 1, "no referrers".into(), false, false)));
                }
            }
            _ => rows.push(Rc::new(note(&root_path, 1, "loading…".into(), true, false))),
        }
        rows
    }
}

/// Builds the rows below one node from the tree's state and the store.
struct Builder<'a> {
    tree: &'a TreeModel,
    store: &'a Store,
    repo: &'a str,
    reuse: Option<Reuse<'a>>,
    /// The row of `reuse.rows` that corresponds to the next row built, as far as known.
    cursor: Cell<usize>,
    /// Above zero inside a subtree built from scratch (its node's own referrers changed).
    fresh: Cell<u32>,
}

/// The rows last built and which of them changed since.
#[derive(Clone, Copy)]
pub(super) struct Reuse<'a> {
    pub rows: &'a [Rc<Row>],
    /// `dirty[i]`: how many of `rows[..i]` changed (a count, so that any block is checked at once).
    pub dirty: &'a [u32],
    /// Digests whose referrers changed: their children are built from scratch.
    pub digests: &'a [Digest],
}

impl Reuse<'_> {
    /// The end of the block of `rows[i]`: the row and everything below it.
    fn block_end(&self, i: usize) -> usize {
        let depth = self.rows[i].depth;
        let mut end = i + 1;
        while end < self.rows.len() && self.rows[end].depth > depth {
            end += 1;
        }
        end
    }
}

impl Builder<'_> {
    /// Where the row at `path` was in the last rows, when it is next there and may be reused.
    fn matches(&self, path: &[Segment], depth: usize) -> Option<usize> {
        let r = self.reuse?;
        if self.fresh.get() > 0 {
            return None;
        }
        // Rows deeper than this one at the cursor belong to a subtree closed since: skip them.
        let mut at = self.cursor.get();
        while at < r.rows.len() && r.rows[at].depth > depth {
            at += 1;
        }
        self.cursor.set(at);
        (at < r.rows.len() && r.rows[at].path == path).then_some(at)
    }

    /// A heading or a note, always built again (they are cheap); the cursor moves past its
    /// old copy.
    fn push(&self, rows: &mut Vec<Rc<Row>>, row: Row) {
        if self.matches(&row.path, row.depth).is_some() {
            self.cursor.set(self.cursor.get() + 1);
        }
        rows.push(Rc::new(row));
    }

    /// A node's children: its platform manifests, its referrers, its cosign attachments.
    fn children(&self, digest: &Digest, path: &[Segment], depth: usize, rows: &mut Vec<Rc<Row>>) {
        self.platforms(digest, path, depth, rows);
        self.referrers(digest, path, depth, rows);
        self.attachments(digest, path, depth, rows);
    }

    /// One row for a manifest of the graph, then its own children when it is open.
    fn node(&self, path: Path, depth: usize, kind: RowKind, label: String, d: &Descriptor, rows: &mut Vec<Rc<Row>>) {
        // Referrers are named by their group heading; a platform's row is its own heading.
        let badge = (kind == RowKind::Platform).then(|| friendly::known_artifact(d).map(|k| k.badge)).flatten();
        let matched = self.matches(&path, depth);
        if let (Some(r), Some(at)) = (self.reuse, matched) {
            let end = r.block_end(at);
            if r.dirty[end] == r.dirty[at] {
                rows.extend_from_slice(&r.rows[at..end]);
                self.cursor.set(end);
                return;
            }
            self.cursor.set(at + 1);
        }
        let tree = self.tree;
        let children = tree.referrers.get(&d.digest);
        let has_more = !self.store.children(&d.digest).is_empty() || !self.store.attachments(self.repo, &d.digest).is_empty();
        rows.push(Rc::new(Row {
            path: path.clone(),
            depth,
            kind,
            label,
            badge,
            digest: Some(d.digest.clone()),
            created: d.annotation(CREATED).map(str::to_string),
            size: Some(d.size),
            expandable: has_more || !matches!(children, Some(Loaded::Ready(l)) if l.is_empty()),
            loading: children.is_some_and(Loaded::is_loading),
            failed: matches!(children, Some(Loaded::Failed(_))),
            is_index: media_types::is_index(&d.media_type),
        }));
        if tree.expanded.contains(&path) {
            let fresh = matched.is_none() || self.reuse.is_some_and(|r| r.digests.contains(&d.digest));
            self.fresh.set(self.fresh.get() + u32::from(fresh));
            self.children(&d.digest, &path, depth + 1, rows);
            self.fresh.set(self.fresh.get() - u32::from(fresh));
        }
        if let (Some(r), Some(at)) = (self.reuse, matched) {
            self.cursor.set(r.block_end(at));
        }
    }

    fn platforms(&self, digest: &Digest, path: &[Segment], depth: usize, rows: &mut Vec<Rc<Row>>) {
        let platforms = self.store.children(digest);
        if platforms.is_empty() {
            return;
        }
        let mut p = path.to_vec();
        p.push(Rc::from(PLATFORMS));
        self.push(rows, heading(p.clone(), depth, RowKind::Platforms, format!("platforms ({})", platforms.len())));
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
            if missing.is_some() {
                Rc::make_mut(&mut rows[at]).failed = true;
            }
        }
    }

    fn referrers(&self, digest: &Digest, path: &[Segment], depth: usize, rows: &mut Vec<Rc<Row>>) {
        let tree = self.tree;
        match tree.referrers.get(digest) {
            None | Some(Loaded::NotRequested) => {}
            Some(Loaded::Loading) => self.push(rows, note(path, depth, "loading referrers…".into(), true, false)),
            Some(Loaded::Failed(e)) => self.push(rows, note(path, depth, e.clone(), false, true)),
            Some(Loaded::Ready(list)) => {
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
                    let known = members.first().and_then(|m| friendly::known_artifact(m));
                    let name = known.map_or(kind, |k| k.name);
                    let mut row = heading(gp.clone(), depth, RowKind::Group, format!("{name} ({})", members.len()));
                    row.badge = known.map(|k| k.badge);
                    self.push(rows, row);
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
    /// points at below once resolved.
    fn attachments(&self, digest: &Digest, path: &[Segment], depth: usize, rows: &mut Vec<Rc<Row>>) {
        for (tag, kind) in self.store.attachments(self.repo, digest) {
            let mut ap = path.to_vec();
            ap.push(attachment_id(tag));
            let mut row = heading(ap.clone(), depth, RowKind::Attachment, attachment_label(tag, *kind));
            row.badge = Some(kind.known().badge);
            self.push(rows, row);
            if !self.tree.is_open(&ap, RowKind::Attachment) {
                continue;
            }
            match self.store.tag_target(tag) {
                None | Some(Loaded::NotRequested) => {}
                Some(Loaded::Loading) => self.push(rows, note(&ap, depth + 1, "resolving tag…".into(), true, false)),
                Some(Loaded::Failed(e)) => self.push(rows, note(&ap, depth + 1, e.clone(), false, true)),
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
pub(super) fn note(path: &[Segment], depth: usize, text: String, loading: bool, failed: bool) -> Row {
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


#[cfg(test)]
mod tests {
    use super::super::Subject;
    use super::*;
    use crate::oci::media_types::OCI_MANIFEST;
    use crate::tui::view_model::ManifestView;

    fn desc(seed: &str, kind: &str) -> Descriptor {
        let mut d = Descriptor::new(OCI_MANIFEST, Digest::sha256_of(seed.as_bytes()), 10);
        d.artifact_type = Some(kind.to_string());
        d
    }

    fn manifest(d: &Descriptor, manifests: Vec<Descriptor>) -> ManifestView {
        ManifestView {
            descriptor: d.clone(),
            artifact_type: None,
            config: None,
            subject: None,
            annotations: Default::default(),
            layers: vec![],
            manifests,
            pretty: vec![],
            total_size: 0,
        }
    }

    /// Rows built from what changed must be the rows built from scratch, after every change.
    #[test]
    fn rows_built_from_changes_are_the_rows_built_from_scratch() {
        let mut t = TreeModel::default();
        let mut s = Store::default();
        t.open(Subject { repo: "app".into(), reference: crate::oci::TagOrDigest::Tag("v1".into()) });
        let root = desc("root", "image");
        t.set_root(Loaded::Ready(root.clone()));
        let kinds = ["sbom/example", "signature/example", "scan/example"];
        let firsts: Vec<Descriptor> = (0..6).map(|i| desc(&format!("n{i}"), kinds[i % 3])).collect();
        t.set_referrers(&root.digest, firsts.clone());
        let check = |t: &TreeModel, s: &Store, step: &str| {
            let incremental = t.rows(s);
            let all = t.build_rows(s, None);
            let kept = t.rows_cache.borrow().as_ref().map(|b| b.all.clone());
            assert_eq!(kept.as_deref(), Some(&all), "every row, after {step}");
            let from_scratch = match t.type_filter() {
                Some(kind) => t.filtered(s, &all, kind),
                None => all,
            };
            assert_eq!(*incremental, from_scratch, "after {step}");
        };
        check(&t, &s, "the first level");
        for (i, f) in firsts.iter().enumerate() {
            t.set_referrers(&f.digest, (0..4).map(|j| desc(&format!("n{i}-{j}"), kinds[j % 3])).collect());
            check(&t, &s, "referrers of a closed node");
        }
        let nodes: Vec<Path> = t.rows(&s).iter().filter(|r| r.kind == RowKind::Node).map(|r| r.path.clone()).collect();
        for p in &nodes {
            t.expand_path(p.clone());
            check(&t, &s, "a node opened");
        }
        let deep = desc("n2-1", kinds[1]);
        t.set_loading(deep.digest.clone());
        check(&t, &s, "a deep node loading");
        let deep_path = t.rows(&s).iter().find(|r| r.digest.as_ref() == Some(&deep.digest)).unwrap().path.clone();
        t.expand_path(deep_path.clone());
        check(&t, &s, "the deep node opened");
        t.set_referrers(&deep.digest, vec![desc("leaf", "signature/example")]);
        check(&t, &s, "the deep node loaded");
        t.selected = nodes[1].clone();
        t.collapse(&s);
        check(&t, &s, "a node closed");
        t.collapse(&s);
        t.collapse(&s);
        check(&t, &s, "a group closed");
        t.toggle(&s);
        check(&t, &s, "the group opened again");
        t.set_failed(firsts[4].digest.clone(), "boom".into());
        check(&t, &s, "a node failed");
        t.selected = nodes[4].clone();
        t.expand(&s);
        check(&t, &s, "a failed node opened again");
        let mut again = firsts.clone();
        again[0].size += 1;
        t.set_referrers(&root.digest, again);
        check(&t, &s, "the root's referrers again, one of them changed");
        t.set_type_filter(Some("sbom/example".into()));
        check(&t, &s, "a type filter");
        t.set_referrers(&firsts[3].digest, vec![desc("late", "sbom/example"), desc("late-scan", "scan/example")]);
        check(&t, &s, "referrers loaded under a filter");
        t.selected = t.rows(&s).iter().find(|r| r.kind == RowKind::Node && t.is_expanded(&r.path)).map(|r| r.path.clone()).unwrap();
        t.toggle(&s);
        check(&t, &s, "a node closed under a filter");
        t.set_type_filter(Some("scan/example".into()));
        check(&t, &s, "another type filter");
        t.selected = t.rows(&s).iter().find(|r| r.kind == RowKind::Node && !t.is_expanded(&r.path)).map(|r| r.path.clone()).unwrap();
        t.toggle(&s);
        check(&t, &s, "a node opened under a filter");
        t.set_type_filter(Some("nothing/example".into()));
        check(&t, &s, "a filter that leaves nothing");
        t.set_type_filter(None);
        check(&t, &s, "the filter cleared");
        // What the store holds shapes rows too: an index's platforms, a manifest found
        // missing, cosign attachment tags and what they point at.
        let index = firsts[1].clone();
        for d in [&index.digest, &firsts[2].digest] {
            let path = t.rows(&s).iter().find(|r| r.digest.as_ref() == Some(d)).map(|r| r.path.clone()).unwrap();
            t.expand_path(path);
        }
        check(&t, &s, "two nodes opened");
        let platform = desc("platform", "image");
        s.set_manifest(index.digest.clone(), Loaded::Ready(manifest(&index, vec![platform.clone(), desc("gone", "image")])));
        check(&t, &s, "an index's manifest arrived");
        s.set_manifest(desc("elsewhere", "image").digest, Loaded::Loading);
        check(&t, &s, "a manifest the tree does not show");
        s.set_manifest(desc("gone", "image").digest, Loaded::Failed("not found".into()));
        check(&t, &s, "a platform manifest missing");
        let signed = firsts[2].digest.hex().to_string();
        let sig = format!("sha256-{signed}.sig");
        s.set_tags("app", vec!["v1".into(), sig.clone(), format!("sha256-{}.att", root.digest.hex())]);
        check(&t, &s, "attachment tags listed");
        s.set_tag_target("app", &sig, Loaded::Loading);
        check(&t, &s, "an attachment tag resolving");
        s.set_tag_target("app", &sig, Loaded::Ready(desc("cosign", "x").digest));
        check(&t, &s, "an attachment tag resolved");
        t.set_type_filter(Some("signature/example".into()));
        s.set_manifest(platform.digest.clone(), Loaded::Ready(manifest(&platform, vec![])));
        check(&t, &s, "a manifest arrived under a filter");
        t.set_type_filter(None);
        check(&t, &s, "the filter cleared after the store changed");
        for i in 0..100 {
            s.set_manifest(desc(&format!("n{}-{}", i % 6, i % 4), "x").digest, Loaded::Loading);
        }
        check(&t, &s, "more manifests arriving than are tracked");
        s.forget_tag_targets();
        check(&t, &s, "attachment targets forgotten");
    }
}
