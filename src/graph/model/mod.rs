//! The one model of an artifact graph, shared by every view and operation, so that what
//! refscope shows is exactly what it copies and deletes.
//!
//! A graph is a root (a tag or digest); an index's child manifests (platforms, nested indexes)
//! with their own graphs; every node's referrers (Referrers API or tag schema), to any depth;
//! and every node's cosign tag attachments (`sha256-<hex>.sig|.att|.sbom` in the same
//! repository). It is one store: a table of nodes keyed by digest, each with its edges out.
//!
//! The model does no I/O. It says what it still needs ([`Graph::take_wants`]) and takes the
//! answers as they arrive, in any order (`insert_*`); [`walk`](super::walk) drives it against a
//! target for the CLI and the operations, and a front that fetches on its own (the TUI) can
//! feed it the same way. Every view derives from the store: [`Graph::members`] is the set of
//! nodes, [`Graph::edges`] a node's edges in display order, [`Graph::verdict`] whether an edge
//! holds (a listed referrer whose manifest names another subject does not).

use std::collections::{BTreeSet, HashMap, HashSet, VecDeque};

mod scope;
mod tags;
#[cfg(test)]
mod tests;

pub use scope::{DEFAULT_MAX_DEPTH, DEFAULT_MAX_NODES, Limits, Root, Scope};
pub use tags::{Attachment, TagRole, Tags, classify_tag};

use crate::error::{Error, Result};
use crate::oci::media_types::{self, annotations::CREATED};
use crate::oci::{Descriptor, Digest, Manifest, ManifestBlob};
use crate::store::{ReferrersMode, Referrers};

/// Something asked of a registry, as far as the model knows.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum State<T> {
    #[default]
    Unknown,
    Asked,
    Ready(T),
    /// The registry does not have it.
    Missing,
    Failed(String),
}

impl<T> State<T> {
    pub fn ready(&self) -> Option<&T> {
        match self {
            State::Ready(t) => Some(t),
            _ => None,
        }
    }
}

/// How a node's referrers were listed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listing {
    pub mode: ReferrersMode,
    /// The tag-schema index (under `sha256-<hex>`) the list was read from, if any.
    pub index: Option<Descriptor>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Link {
    /// A manifest an index lists.
    Child,
    /// A manifest whose `subject` is this one.
    Referrer,
    /// A cosign attachment, found by its tag.
    Attachment { tag: String, kind: Attachment },
}

impl Link {
    fn rank(&self) -> u8 {
        match self {
            Link::Child => 0,
            Link::Referrer => 1,
            Link::Attachment { .. } => 2,
        }
    }
}

/// An edge out of a node.
#[derive(Debug, Clone)]
pub struct Edge {
    pub link: Link,
    /// The target as this node listed it (a child's platform lives here).
    pub listed: Descriptor,
}

impl Edge {
    pub fn to(&self) -> &Digest {
        &self.listed.digest
    }
}

/// Whether an edge holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Valid,
    /// Its target's manifest is not known yet.
    Pending,
    /// Listed, but the registry does not have it.
    Missing,
    /// A listed referrer whose manifest names another subject, or none.
    SubjectElsewhere(Option<Digest>),
    Failed(String),
}

/// Why a listed referrer is not one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rejection {
    Missing,
    SubjectElsewhere(Option<Digest>),
}

/// Whether a manifest naming `named` as its subject is a referrer of `subject`.
pub fn check_subject(named: Option<&Digest>, subject: &Digest) -> Result<(), Rejection> {
    if named == Some(subject) { Ok(()) } else { Err(Rejection::SubjectElsewhere(named.cloned())) }
}

pub fn rejection_message(candidate: &Digest, subject: &Digest, r: &Rejection) -> String {
    match r {
        Rejection::Missing => format!("{candidate} is listed as a referrer of {subject} but does not exist; left out"),
        Rejection::SubjectElsewhere(Some(other)) => {
            format!("{candidate} is listed as a referrer of {subject} but its subject is {other}; left out")
        }
        Rejection::SubjectElsewhere(None) => format!("{candidate} is listed as a referrer of {subject} but has no subject; left out"),
    }
}

/// One manifest of the graph.
#[derive(Debug, Clone)]
pub struct Node {
    /// As first listed; once its manifest is in, with the artifact type and annotations filled
    /// in from it where the listing left them out (tag-schema indexes often do).
    pub descriptor: Descriptor,
    pub manifest: State<ManifestBlob>,
    pub referrers: State<Listing>,
    /// Fewest edges from the root.
    pub depth: usize,
    edges: Vec<Edge>,
    /// (kind, target) of each edge, so a repeated listing is found without a scan.
    edge_keys: HashSet<(u8, Digest)>,
    /// From the manifest: its `subject`, and for an index the manifests it lists.
    subject: Option<Digest>,
    listed_children: Vec<Descriptor>,
    is_index: bool,
    listed_as_referrer: bool,
    children_added: bool,
    attachments_asked: bool,
}

impl Node {
    fn new(descriptor: Descriptor, depth: usize) -> Node {
        Node {
            is_index: media_types::is_index(&descriptor.media_type),
            descriptor,
            manifest: State::Unknown,
            referrers: State::Unknown,
            depth,
            edges: Vec::new(),
            edge_keys: HashSet::new(),
            subject: None,
            listed_children: Vec::new(),
            listed_as_referrer: false,
            children_added: false,
            attachments_asked: false,
        }
    }

    /// The `subject` its manifest names, once the manifest is in.
    pub fn subject(&self) -> Option<&Digest> {
        self.subject.as_ref()
    }

    pub fn is_index(&self) -> bool {
        self.is_index
    }
}

/// A request the model needs answered.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Want {
    /// The manifest, by digest.
    Manifest(Digest),
    /// The referrers of this digest.
    Referrers(Digest),
    /// The repository's tag list, for cosign attachments.
    Tags,
    /// The manifest under this cosign attachment tag.
    Attachment(String),
}

#[derive(Debug, Clone)]
pub struct Graph {
    root: Digest,
    scope: Scope,
    limits: Limits,
    nodes: HashMap<Digest, Node>,
    tags: State<Tags>,
    wants: VecDeque<Want>,
    /// Oddities met while inserting (a node listing itself, a cosign tag on an index…).
    notes: BTreeSet<String>,
}

impl Graph {
    pub fn new(root: impl Into<Root>, scope: Scope, limits: Limits) -> Result<Graph> {
        let (descriptor, blob) = match root.into() {
            Root::Descriptor(d) => (d, None),
            Root::Manifest(b) => (b.descriptor(), Some(b)),
        };
        let digest = descriptor.digest.clone();
        let mut g = Graph {
            root: digest.clone(),
            scope,
            limits,
            nodes: HashMap::from([(digest.clone(), Node::new(descriptor, 0))]),
            tags: State::Unknown,
            wants: VecDeque::new(),
            notes: BTreeSet::new(),
        };
        match blob {
            Some(b) => g.insert_manifest(b)?,
            None => g.ask_manifest(&digest),
        }
        g.expand(&digest)?;
        Ok(g)
    }

    pub fn root(&self) -> &Digest {
        &self.root
    }

    pub fn root_node(&self) -> &Node {
        &self.nodes[&self.root]
    }

    pub fn node(&self, d: &Digest) -> Option<&Node> {
        self.nodes.get(d)
    }

    pub fn tags(&self) -> Option<&Tags> {
        self.tags.ready()
    }

    /// Requests not asked yet. Each is handed out once; answer it with the matching `insert_*`.
    pub fn take_wants(&mut self) -> Vec<Want> {
        let mut out = Vec::new();
        if self.scope.attachments && matches!(self.tags, State::Unknown) {
            self.tags = State::Asked;
            out.push(Want::Tags);
        }
        while let Some(w) = self.wants.pop_front() {
            // A want the answer of another request already settled is dropped.
            let open = match &w {
                Want::Manifest(d) => self.nodes.get(d).is_some_and(|n| n.manifest == State::Asked),
                Want::Referrers(d) => self.nodes.get(d).is_some_and(|n| n.referrers == State::Asked),
                Want::Tags => matches!(self.tags, State::Asked),
                Want::Attachment(_) => true,
            };
            if open {
                out.push(w);
            }
        }
        out
    }

    /// A manifest arrived (by digest, or under a tag).
    pub fn insert_manifest(&mut self, blob: ManifestBlob) -> Result<()> {
        let digest = blob.digest.clone();
        let Some(node) = self.nodes.get_mut(&digest) else { return Ok(()) };
        let parsed = blob.parse()?;
        node.subject = parsed.subject().map(|s| s.digest.clone());
        node.is_index = matches!(parsed, Manifest::Index(_));
        if let Manifest::Index(i) = &parsed {
            node.listed_children = i.manifests.clone();
        }
        let d = &mut node.descriptor;
        if d.artifact_type.is_none() {
            // A referrers listing reports an image's config type as its artifact type; so do we.
            let t = if node.listed_as_referrer { parsed.artifact_type() } else { parsed.declared_artifact_type() };
            d.artifact_type = t.map(str::to_string);
        }
        if node.listed_as_referrer && d.annotations.is_none() {
            d.annotations = parsed.annotations().cloned();
        }
        node.manifest = State::Ready(blob);
        self.expand(&digest)
    }

    /// The registry does not have this manifest.
    pub fn insert_missing(&mut self, d: &Digest) {
        if let Some(n) = self.nodes.get_mut(d) {
            n.manifest = State::Missing;
        }
    }

    pub fn insert_referrers(&mut self, subject: &Digest, referrers: Referrers) -> Result<()> {
        let Some(node) = self.nodes.get_mut(subject) else { return Ok(()) };
        node.referrers = State::Ready(Listing {
            mode: referrers.mode,
            index: referrers.fallback_index.as_ref().map(ManifestBlob::descriptor),
        });
        for d in referrers.descriptors {
            self.add_edge(subject, Link::Referrer, d)?;
        }
        Ok(())
    }

    /// The repository's tags, as listed once by whoever has them.
    pub fn insert_tags(&mut self, all: Vec<String>) -> Result<()> {
        self.tags = State::Ready(Tags::new(all));
        let known: Vec<Digest> = self.nodes.keys().cloned().collect();
        for d in known {
            self.expand(&d)?;
        }
        Ok(())
    }

    /// A request failed: the state records why, for a view to show. Without the tag list,
    /// cosign attachments go unlooked-for, and the notes say so.
    pub fn insert_failure(&mut self, want: &Want, message: String) {
        match want {
            Want::Manifest(d) => {
                if let Some(n) = self.nodes.get_mut(d) {
                    n.manifest = State::Failed(message);
                }
            }
            Want::Referrers(d) => {
                if let Some(n) = self.nodes.get_mut(d) {
                    n.referrers = State::Failed(message);
                }
            }
            Want::Tags => {
                self.notes.insert(format!("cosign attachments were not looked for: the tag list could not be read ({message})"));
                self.tags = State::Failed(message);
            }
            Want::Attachment(tag) => {
                self.notes.insert(format!("the cosign tag {tag} could not be read ({message})"));
            }
        }
    }

    /// The manifest under a cosign attachment tag arrived.
    pub fn insert_attachment(&mut self, tag: &str, blob: ManifestBlob) -> Result<()> {
        let TagRole::Attachment(subject, kind) = classify_tag(tag) else { return Ok(()) };
        if !self.nodes.contains_key(&subject) {
            return Ok(());
        }
        let digest = blob.digest.clone();
        let link = Link::Attachment { tag: tag.to_string(), kind };
        if !self.add_edge(&subject, link, blob.descriptor())? {
            return Ok(());
        }
        if self.nodes.get(&digest).is_some_and(|n| n.manifest.ready().is_none()) {
            self.insert_manifest(blob)?;
        }
        if self.nodes.get(&digest).is_some_and(Node::is_index) {
            self.notes.insert(format!(
                "the cosign tag {tag} holds an index ({digest}), not a signature manifest; shown as the index it is"
            ));
        }
        Ok(())
    }

    fn ask_manifest(&mut self, d: &Digest) {
        if let Some(n) = self.nodes.get_mut(d)
            && n.manifest == State::Unknown
        {
            n.manifest = State::Asked;
            self.wants.push_back(Want::Manifest(d.clone()));
        }
    }

    fn expands(&self, depth: usize) -> bool {
        self.scope.depth.is_none_or(|n| depth < n)
    }

    /// Asks for, or adds, what lies below a node as far as the scope reaches: its referrers,
    /// its attachments (once the tag list is known), its children (once its manifest is in).
    /// Safe to call again; each part happens once.
    fn expand(&mut self, d: &Digest) -> Result<()> {
        let Some(node) = self.nodes.get(d) else { return Ok(()) };
        if !self.expands(node.depth) {
            return Ok(());
        }
        let ask_referrers = self.scope.referrers && node.referrers == State::Unknown;
        let attachments: Option<Vec<String>> = match (&self.tags, self.scope.attachments && !node.attachments_asked) {
            (State::Ready(tags), true) => Some(tags.attachments_of(d).iter().map(|(t, _)| t.clone()).collect()),
            _ => None,
        };
        let children = (node.manifest.ready().is_some() && !node.children_added).then(|| node.listed_children.clone());
        let Some(node) = self.nodes.get_mut(d) else { return Ok(()) };
        if ask_referrers {
            node.referrers = State::Asked;
            self.wants.push_back(Want::Referrers(d.clone()));
        }
        if let Some(tags) = attachments {
            node.attachments_asked = true;
            self.wants.extend(tags.into_iter().map(Want::Attachment));
        }
        if let Some(children) = children {
            node.children_added = true;
            for c in children {
                if c.platform.is_none() && !media_types::is_index(&c.media_type) {
                    self.notes.insert(format!("index {d} lists {} without a `platform`", c.digest));
                }
                self.add_edge(d, Link::Child, c)?;
            }
        }
        Ok(())
    }

    /// Adds an edge, and its target when new. Returns whether the edge was added.
    fn add_edge(&mut self, from: &Digest, link: Link, listed: Descriptor) -> Result<bool> {
        let what = match &link {
            Link::Child => "a child",
            Link::Referrer => "a referrer",
            Link::Attachment { .. } => "an attachment",
        };
        if listed.digest == *from {
            self.notes.insert(format!("{from} lists itself as {what}; ignored"));
            return Ok(false);
        }
        let Some(parent) = self.nodes.get(from) else { return Ok(false) };
        let key = (link.rank(), listed.digest.clone());
        if parent.edge_keys.contains(&key) {
            self.notes.insert(format!("{} is listed twice as {what} of {from}; shown once", listed.digest));
            return Ok(false);
        }
        let depth = parent.depth + 1;
        let target = listed.digest.clone();
        let is_new = !self.nodes.contains_key(&target);
        // Limits are checked before anything changes, so a refused graph stays as it was.
        if is_new && self.nodes.len() >= self.limits.nodes {
            return Err(self.limit("nodes", self.limits.nodes, "--max-nodes"));
        }
        if is_new && self.scope.depth.is_none() && depth > self.limits.depth {
            return Err(self.limit("levels", self.limits.depth, "--max-depth"));
        }
        let is_referrer = link == Link::Referrer;
        if let Some(parent) = self.nodes.get_mut(from) {
            parent.edge_keys.insert(key);
            parent.edges.push(Edge { link, listed: listed.clone() });
        }
        match self.nodes.get_mut(&target) {
            Some(n) => {
                n.listed_as_referrer |= is_referrer;
                if depth < n.depth {
                    self.deepen(&target, depth)?;
                }
            }
            None => {
                let mut node = Node::new(listed, depth);
                node.listed_as_referrer = is_referrer;
                self.nodes.insert(target.clone(), node);
                self.ask_manifest(&target);
                self.expand(&target)?;
            }
        }
        Ok(true)
    }

    /// A shorter path to `d` was found: it and what lies below it move up, and may now be
    /// expanded where a depth-limited scope stopped them before.
    fn deepen(&mut self, start: &Digest, depth: usize) -> Result<()> {
        let mut queue = VecDeque::from([(start.clone(), depth)]);
        while let Some((d, depth)) = queue.pop_front() {
            let Some(n) = self.nodes.get_mut(&d) else { continue };
            if n.depth <= depth {
                continue;
            }
            n.depth = depth;
            let below: Vec<Digest> = n.edges.iter().map(|e| e.to().clone()).collect();
            self.expand(&d)?;
            queue.extend(below.into_iter().map(|b| (b, depth + 1)));
        }
        Ok(())
    }

    fn limit(&self, what: &'static str, limit: usize, flag: &'static str) -> Error {
        Error::GraphLimit {
            root: self.root.clone(),
            what,
            limit,
            flag,
        }
    }

    /// Whether an edge out of `from` holds.
    pub fn verdict(&self, from: &Digest, e: &Edge) -> Verdict {
        let Some(n) = self.nodes.get(e.to()) else { return Verdict::Pending };
        match &n.manifest {
            State::Unknown | State::Asked => Verdict::Pending,
            State::Missing => Verdict::Missing,
            State::Failed(m) => Verdict::Failed(m.clone()),
            State::Ready(_) => match (&e.link, check_subject(n.subject.as_ref(), from)) {
                (Link::Referrer, Err(Rejection::SubjectElsewhere(other))) => Verdict::SubjectElsewhere(other),
                _ => Verdict::Valid,
            },
        }
    }

    /// A node's edges in display order: children as the index lists them, then referrers by
    /// artifact type and age, then attachments by tag.
    pub fn edges(&self, d: &Digest) -> Vec<&Edge> {
        let Some(n) = self.nodes.get(d) else { return Vec::new() };
        let mut edges: Vec<&Edge> = n.edges.iter().collect();
        edges.sort_by(|a, b| {
            a.link.rank().cmp(&b.link.rank()).then_with(|| match (&a.link, &b.link) {
                (Link::Referrer, Link::Referrer) => referrer_order(self.shown(a), self.shown(b)),
                (Link::Attachment { tag: x, .. }, Link::Attachment { tag: y, .. }) => x.cmp(y),
                _ => std::cmp::Ordering::Equal,
            })
        });
        edges
    }

    /// What an edge's target is known as: its node's descriptor, else the listing's.
    pub fn shown<'a>(&'a self, e: &'a Edge) -> &'a Descriptor {
        self.nodes.get(e.to()).map(|n| &n.descriptor).unwrap_or(&e.listed)
    }

    /// The nodes of the graph: every node the root reaches through edges that hold, root
    /// first, breadth first in display order. This is the set every view shows and every
    /// operation acts on.
    pub fn members(&self) -> Vec<Digest> {
        let mut seen: HashSet<&Digest> = HashSet::from([&self.root]);
        let mut out = vec![self.root.clone()];
        let mut i = 0;
        while i < out.len() {
            let d = out[i].clone();
            for e in self.edges(&d) {
                if self.verdict(&d, e) == Verdict::Valid && seen.insert(e.to()) {
                    out.push(e.to().clone());
                }
            }
            i += 1;
        }
        out
    }

    /// Everything odd about the graph, one sentence each, sorted: listed referrers that are
    /// not, children that are missing, and what insertion met.
    pub fn notes(&self) -> Vec<String> {
        let mut notes = self.notes.clone();
        for d in self.members() {
            for e in self.edges(&d) {
                let rejection = match (self.verdict(&d, e), &e.link) {
                    (Verdict::Missing, Link::Child) => {
                        notes.insert(format!("index {d} lists {}, which is not in the repository", e.to()));
                        continue;
                    }
                    (Verdict::Missing, _) => Rejection::Missing,
                    (Verdict::SubjectElsewhere(o), _) => Rejection::SubjectElsewhere(o),
                    _ => continue,
                };
                notes.insert(rejection_message(e.to(), &d, &rejection));
            }
        }
        notes.into_iter().collect()
    }
}

/// The order referrers are shown in: by artifact type, then oldest first, then digest.
fn referrer_order(a: &Descriptor, b: &Descriptor) -> std::cmp::Ordering {
    a.kind()
        .cmp(b.kind())
        .then_with(|| a.annotation(CREATED).cmp(&b.annotation(CREATED)))
        .then_with(|| a.digest.cmp(&b.digest))
}

/// Sorts referrers into the order they are shown in (see [`Graph::edges`]).
pub fn sort_referrers<T>(items: &mut [T], desc: impl Fn(&T) -> &Descriptor) {
    items.sort_by(|a, b| referrer_order(desc(a), desc(b)));
}
