//! The model fed by hand: answers in any order, bad input of every kind, limits.

use bytes::Bytes;
use serde_json::json;

use super::*;
use crate::oci::media_types::{OCI_INDEX, OCI_MANIFEST};

fn blob(v: serde_json::Value) -> ManifestBlob {
    ManifestBlob::new(Bytes::from(serde_json::to_vec(&v).unwrap()), None).unwrap()
}

fn image(n: u32, subject: Option<&ManifestBlob>) -> ManifestBlob {
    let mut m = json!({
        "schemaVersion": 2, "mediaType": OCI_MANIFEST, "artifactType": format!("note/{n}"),
        "config": {"mediaType": "application/vnd.oci.empty.v1+json", "digest": Digest::sha256_of(b"{}").to_string(), "size": 2},
        "layers": [],
    });
    if let Some(s) = subject {
        m["subject"] = json!({"mediaType": s.media_type, "digest": s.digest.to_string(), "size": s.bytes.len()});
    }
    blob(m)
}

fn index(children: &[(&ManifestBlob, Option<&str>)]) -> ManifestBlob {
    let manifests: Vec<_> = children
        .iter()
        .map(|(c, platform)| {
            let mut d = json!({"mediaType": c.media_type, "digest": c.digest.to_string(), "size": c.bytes.len()});
            if let Some(p) = platform {
                let (os, arch) = p.split_once('/').unwrap();
                d["platform"] = json!({"os": os, "architecture": arch});
            }
            d
        })
        .collect();
    blob(json!({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": manifests}))
}

fn listing(items: &[&ManifestBlob]) -> Referrers {
    Referrers {
        descriptors: items.iter().map(|b| b.descriptor()).collect(),
        mode: ReferrersMode::Api,
        fallback_index: None,
    }
}

/// Answers every want from `known` (manifests by digest, referrers by subject, attachments by
/// tag), taking them in the order `pick` chooses, until nothing is wanted.
fn feed(g: &mut Graph, known: &[ManifestBlob], tags: &[String], mut pick: impl FnMut(&mut Vec<Want>) -> Want) -> Result<()> {
    let mut open: Vec<Want> = Vec::new();
    loop {
        open.extend(g.take_wants());
        if open.is_empty() {
            return Ok(());
        }
        match pick(&mut open) {
            Want::Manifest(d) => match known.iter().find(|b| b.digest == d) {
                Some(b) => g.insert_manifest(b.clone())?,
                None => g.insert_missing(&d),
            },
            Want::Referrers(d) => {
                let refs: Vec<&ManifestBlob> = known
                    .iter()
                    .filter(|b| b.parse().unwrap().subject().is_some_and(|s| s.digest == d))
                    .collect();
                g.insert_referrers(&d, listing(&refs))?;
            }
            Want::Tags => g.insert_tags(tags.to_vec())?,
            Want::Attachment(tag) => {
                let TagRole::Attachment(subject, _) = classify_tag(&tag) else { panic!("{tag}") };
                let b = known.iter().find(|b| b.annotations_hint() == Some(subject.to_string())).cloned().unwrap();
                g.insert_attachment(&tag, b)?;
            }
        }
    }
}

trait Hint {
    fn annotations_hint(&self) -> Option<String>;
}

/// Test attachments carry the digest they are attached to in an annotation, so `feed` can
/// answer a tag with them.
impl Hint for ManifestBlob {
    fn annotations_hint(&self) -> Option<String> {
        self.parse().ok()?.annotations()?.get("test.attached-to").cloned()
    }
}

fn attachment_for(subject: &ManifestBlob) -> ManifestBlob {
    blob(json!({
        "schemaVersion": 2, "mediaType": OCI_MANIFEST,
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": Digest::sha256_of(b"c").to_string(), "size": 1},
        "layers": [{"mediaType": "application/vnd.dev.cosign.simplesigning.v1+json", "digest": Digest::sha256_of(b"s").to_string(), "size": 1}],
        "annotations": {"test.attached-to": subject.digest.to_string()},
    }))
}

/// A release: a 2-platform index with an SBOM (signed) and a cosign signature, and an
/// attestation on the first platform.
struct Release {
    blobs: Vec<ManifestBlob>,
    tags: Vec<String>,
    index: ManifestBlob,
}

fn release() -> Release {
    let amd64 = image(1, None);
    let arm64 = image(2, None);
    let index = index(&[(&amd64, Some("linux/amd64")), (&arm64, Some("linux/arm64"))]);
    let sbom = image(3, Some(&index));
    let notation = image(4, Some(&sbom));
    let att = image(5, Some(&amd64));
    let sig = attachment_for(&index);
    let tags = vec!["v1".to_string(), Attachment::Signature.tag_for(&index.digest), index.digest.fallback_tag()];
    Release {
        blobs: vec![amd64, arm64, index.clone(), sbom, notation, att, sig],
        tags,
        index,
    }
}

fn members_in_order(order: fn(&mut Vec<Want>) -> Want) -> Vec<Digest> {
    let r = release();
    let mut g = Graph::new(r.index.descriptor(), Scope::WHOLE, Limits::default()).unwrap();
    feed(&mut g, &r.blobs, &r.tags, order).unwrap();
    assert!(g.notes().is_empty(), "{:?}", g.notes());
    g.members()
}

#[test]
fn the_same_graph_whatever_order_the_answers_come_in() {
    let first = members_in_order(|open| open.remove(0));
    let last = members_in_order(|open| open.pop().unwrap());
    let middle = members_in_order(|open| open.remove(open.len() / 2));
    assert_eq!(first.len(), 7, "index, 2 platforms, SBOM, its signature, the attestation, the cosign signature");
    assert_eq!(first, last);
    assert_eq!(first, middle);
}

#[test]
fn each_want_is_handed_out_once_and_settled_ones_are_dropped() {
    let r = release();
    let mut g = Graph::new(r.index.descriptor(), Scope::WHOLE, Limits::default()).unwrap();
    // The index arrives (another view fetched it) before anyone took the wants.
    g.insert_manifest(r.index.clone()).unwrap();
    let wants = g.take_wants();
    assert_eq!(wants[..2], [Want::Tags, Want::Referrers(r.index.digest.clone())]);
    assert!(!wants.contains(&Want::Manifest(r.index.digest.clone())), "answered before it was asked: {wants:?}");
    for platform in &r.blobs[..2] {
        assert!(wants.contains(&Want::Manifest(platform.digest.clone())), "the index's children are wanted: {wants:?}");
    }
    assert!(g.take_wants().is_empty(), "each want once");
}

#[test]
fn tags_are_read_for_what_they_are() {
    let d = Digest::sha256_of(b"x");
    assert_eq!(classify_tag(&d.fallback_tag()), TagRole::ReferrersIndex(d.clone()));
    assert_eq!(classify_tag(&format!("{}.sig", d.fallback_tag())), TagRole::Attachment(d.clone(), Attachment::Signature));
    assert_eq!(classify_tag(&format!("{}.att", d.fallback_tag())), TagRole::Attachment(d.clone(), Attachment::Attestation));
    assert_eq!(classify_tag(&format!("{}.sbom", d.fallback_tag())), TagRole::Attachment(d.clone(), Attachment::Sbom));
    for plain in ["v1", "sha256-abc.sig", &format!("{}.other", d.fallback_tag()), &format!("sha256-{}.sig", d.hex().to_uppercase())] {
        assert_eq!(classify_tag(plain), TagRole::Plain, "{plain}");
    }
    let tags = Tags::new(vec![format!("{}.sig", d.fallback_tag()), d.fallback_tag()]);
    assert!(tags.has_index(&d));
    assert_eq!(tags.attachments_of(&d).len(), 1);
}

#[test]
fn a_listed_referrer_that_names_another_subject_is_left_out_with_a_note() {
    let root = image(1, None);
    let other = image(2, None);
    let stray = image(3, Some(&other));
    let mut g = Graph::new(root.clone(), Scope::WHOLE, Limits::default()).unwrap();
    feed(&mut g, &[root.clone(), stray.clone()], &[], |open| open.remove(0)).unwrap();
    // `feed` lists referrers honestly; a dishonest listing is inserted by hand.
    g.insert_referrers(&root.digest, listing(&[&stray])).unwrap();
    feed(&mut g, &[root.clone(), stray.clone()], &[], |open| open.remove(0)).unwrap();
    assert_eq!(g.members(), vec![root.digest.clone()]);
    let edge = g.edges(&root.digest)[0].clone();
    assert_eq!(g.verdict(&root.digest, &edge), Verdict::SubjectElsewhere(Some(other.digest.clone())));
    assert!(g.notes().iter().any(|n| n.contains("its subject is")), "{:?}", g.notes());
}

#[test]
fn an_index_that_lists_itself_or_a_missing_child_or_no_platform() {
    let present = image(1, None);
    let absent = image(2, None);
    let nested = index(&[(&present, Some("linux/amd64"))]);
    let root = index(&[(&present, None), (&absent, Some("linux/arm64")), (&nested, None)]);
    // Content addressing makes a real self-listing impossible; a hostile store can still
    // claim one, so the bytes are filed under a digest they list.
    let mut selfish = index(&[(&present, Some("linux/amd64"))]);
    let claimed = Digest::sha256_of(b"claimed");
    let text = String::from_utf8(selfish.bytes.to_vec()).unwrap().replace(&present.digest.to_string(), &claimed.to_string());
    selfish.bytes = Bytes::from(text);
    selfish.digest = claimed.clone();

    let mut g = Graph::new(root.clone(), Scope::WHOLE, Limits::default()).unwrap();
    feed(&mut g, &[present.clone(), nested.clone()], &[], |open| open.remove(0)).unwrap();
    assert_eq!(g.members(), vec![root.digest.clone(), present.digest.clone(), nested.digest.clone()], "the present child, shared with the nested index, once");
    let notes = g.notes().join("\n");
    assert!(notes.contains(&format!("index {} lists {}, which is not in the repository", root.digest, absent.digest)), "{notes}");
    assert!(notes.contains(&format!("index {} lists {} without a `platform`", root.digest, present.digest)), "{notes}");
    assert!(!notes.contains(&format!("lists {} without", nested.digest)), "a nested index needs no platform: {notes}");

    let mut g = Graph::new(selfish, Scope::WHOLE, Limits::default()).unwrap();
    feed(&mut g, &[], &[], |open| open.remove(0)).unwrap();
    assert_eq!(g.members(), vec![claimed.clone()]);
    assert!(g.notes().iter().any(|n| n.contains("lists itself as a child")), "{:?}", g.notes());
}

#[test]
fn a_cosign_tag_on_an_index_is_the_index_it_is() {
    let root = image(1, None);
    let child = image(2, None);
    let mut wrapped = serde_json::from_slice::<serde_json::Value>(&index(&[(&child, Some("linux/amd64"))]).bytes).unwrap();
    wrapped["annotations"] = json!({"test.attached-to": root.digest.to_string()});
    let odd = blob(wrapped);
    let tags = vec![Attachment::Signature.tag_for(&root.digest)];
    let mut g = Graph::new(root.clone(), Scope::WHOLE, Limits::default()).unwrap();
    feed(&mut g, &[root.clone(), child.clone(), odd.clone()], &tags, |open| open.remove(0)).unwrap();
    assert_eq!(g.members(), vec![root.digest.clone(), odd.digest.clone(), child.digest.clone()]);
    assert!(g.node(&odd.digest).unwrap().is_index());
    assert!(g.notes().iter().any(|n| n.contains("holds an index")), "{:?}", g.notes());
}

#[test]
fn a_depth_limited_scope_stops_and_the_limits_fail_loudly() {
    let root = image(0, None);
    let mut chain = vec![root.clone()];
    for n in 1..6 {
        let next = image(n, chain.last());
        chain.push(next);
    }
    let two = Scope { depth: Some(2), ..Scope::WHOLE };
    let mut g = Graph::new(root.clone(), two, Limits::default()).unwrap();
    feed(&mut g, &chain, &[], |open| open.remove(0)).unwrap();
    assert_eq!(g.members().len(), 3, "the root and two levels, no error: the view asked for that");

    let mut g = Graph::new(root.clone(), Scope::WHOLE, Limits { nodes: 100, depth: 3 }).unwrap();
    let message = feed(&mut g, &chain, &[], |open| open.remove(0)).unwrap_err().to_string();
    assert!(message.contains("more than 3 levels") && message.contains("--max-depth"), "{message}");
    let mut g = Graph::new(root.clone(), Scope::WHOLE, Limits { nodes: 3, depth: 64 }).unwrap();
    let message = feed(&mut g, &chain, &[], |open| open.remove(0)).unwrap_err().to_string();
    assert!(message.contains("more than 3 nodes") && message.contains("--max-nodes"), "{message}");
}
