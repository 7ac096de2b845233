//! The rows a type filter leaves, taken from every row in one pass: a filter change then costs
//! a walk over shared rows, not a build of them.

use std::rc::Rc;

use super::rows::{group_id, note};
use super::{Row, RowKind, TreeModel, root_path};
use crate::tui::app::store::Store;
use crate::tui::view_model::Loaded;

impl TreeModel {
    /// `all` without the referrers of other types and without cosign attachments (they have no
    /// artifact type), each with everything below it.
    pub(super) fn filtered(&self, store: &Store, all: &[Rc<Row>], kind: &str) -> Vec<Rc<Row>> {
        let group = group_id(kind);
        let root = root_path();
        let listed = self.expanded.contains(&root) && self.root_digest().is_some_and(|d| matches!(self.referrers.get(d), Some(Loaded::Ready(_))));
        let mut shown = Vec::new();
        // The depth of the hidden heading whose block is being passed over.
        let mut hiding: Option<usize> = None;
        for r in all {
            if let Some(depth) = hiding {
                if r.depth > depth {
                    continue;
                }
                hiding = None;
            }
            match r.kind {
                RowKind::Group if r.path.last() != Some(&group) => hiding = Some(r.depth),
                RowKind::Attachment => hiding = Some(r.depth),
                // With the root's referrers listed, its only note says there are none; said
                // again below, with the type, when the filter leaves nothing.
                RowKind::Note if r.depth == 1 && listed => {}
                RowKind::Node | RowKind::Platform if r.expandable && !self.opens_under(store, r, kind) => {
                    shown.push(Rc::new(Row { expandable: false, ..Row::clone(r) }));
                }
                _ => shown.push(r.clone()),
            }
        }
        if listed && shown.len() == 1 {
            shown.push(Rc::new(note(&root, 1, format!("no referrers of type {kind}"), false, false)));
        }
        shown
    }

    /// Whether a node that has something below it still does with only `kind` referrers shown.
    fn opens_under(&self, store: &Store, r: &Row, kind: &str) -> bool {
        let Some(d) = &r.digest else { return true };
        let Some(Loaded::Ready(list)) = self.referrers.get(d) else { return true };
        let repo = self.subject.as_ref().map_or("", |s| s.repo.as_str());
        list.iter().any(|x| x.kind() == kind) || !store.children(d).is_empty() || !store.attachments(repo, d).is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::super::Subject;
    use super::*;
    use crate::oci::media_types::OCI_MANIFEST;
    use crate::oci::{Descriptor, Digest, TagOrDigest};

    fn desc(seed: &str, kind: &str) -> Descriptor {
        let mut d = Descriptor::new(OCI_MANIFEST, Digest::sha256_of(seed.as_bytes()), 10);
        d.artifact_type = Some(kind.to_string());
        d
    }

    #[test]
    fn a_filter_hides_other_types_and_cosign_tags_and_what_only_they_opened() {
        let mut t = TreeModel::default();
        let mut s = Store::default();
        t.open(Subject { repo: "app".into(), reference: TagOrDigest::Tag("v1".into()) });
        let root = desc("root", "image");
        t.set_root(Loaded::Ready(root.clone()));
        let (sbom, sig) = (desc("sbom", "sbom/example"), desc("sig", "signature/example"));
        t.set_referrers(&root.digest, vec![sbom.clone(), sig.clone()]);
        // The SBOM has only a signature below it; the signature has a cosign tag.
        t.set_referrers(&sbom.digest, vec![desc("sbom-sig", "signature/example")]);
        s.set_tags("app", vec![format!("sha256-{}.sig", sig.digest.hex())]);
        let paths: Vec<_> = t.rows(&s).iter().filter(|r| r.digest.is_some()).map(|r| r.path.clone()).collect();
        paths.into_iter().for_each(|p| t.expand_path(p));
        let expandable = |t: &TreeModel, d: &Digest| t.rows(&s).iter().find(|r| r.digest.as_ref() == Some(d)).map(|r| r.expandable);
        assert_eq!(expandable(&t, &sbom.digest), Some(true));
        assert!(t.rows(&s).iter().any(|r| r.kind == RowKind::Attachment));
        t.set_type_filter(Some("sbom/example".into()));
        let kinds: Vec<RowKind> = t.rows(&s).iter().map(|r| r.kind).collect();
        assert_eq!(kinds, [RowKind::Root, RowKind::Group, RowKind::Node], "{:?}", t.rows(&s));
        assert_eq!(expandable(&t, &sbom.digest), Some(false), "only a signature was below it");
        t.set_type_filter(Some("signature/example".into()));
        assert_eq!(expandable(&t, &sig.digest), Some(true), "its cosign tag still counts");
        assert!(!t.rows(&s).iter().any(|r| r.kind == RowKind::Attachment));
        t.set_type_filter(Some("scan/example".into()));
        let labels: Vec<String> = t.rows(&s).iter().map(|r| r.label.clone()).collect();
        assert_eq!(labels[1..], ["no referrers of type scan/example".to_string()]);
        t.set_type_filter(None);
        assert_eq!(t.rows(&s).iter().filter(|r| r.kind == RowKind::Attachment).count(), 1);
    }
}
