//! Inspection in the TUI: the summaries the worker made, by digest, and the full-screen
//! viewer (its state and its keys). The viewer's page is either the inspection (summary and
//! content) or, after `Enter` on an image layer, that layer's file listing.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, OnceLock};

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::App;
use crate::inspect::listing::Listing;
use crate::inspect::render::listing_lines;
use crate::inspect::{Line, Tone};
use crate::oci::{Descriptor, Digest};
use crate::text::sanitize;
use crate::tui::inspect_view::InspectView;
use crate::tui::keymap::{Action, Context};
use crate::tui::protocol::{Effect, Failure, RequestId};
use crate::tui::view_model::Loaded;

/// Inspections kept at once; the oldest goes first (they may hold large documents).
const KEEP: usize = 12;

/// The most bytes the kept inspections hold together; the oldest go first past it, though the
/// newest is kept whatever its size.
const KEEP_BYTES: usize = 64 << 20;

#[derive(Debug, Default)]
pub struct Inspections {
    by_digest: HashMap<Digest, Loaded<Arc<InspectView>>>,
    /// Bytes of large blobs arrived so far, and their total.
    progress: HashMap<Digest, (u64, u64)>,
    order: VecDeque<Digest>,
    /// The bytes each finished inspection holds.
    sizes: HashMap<Digest, usize>,
    /// Inspections let go while still on their way, for the worker to stop.
    dropped: Vec<Digest>,
}

impl Inspections {
    pub fn get(&self, d: &Digest) -> Option<&Loaded<Arc<InspectView>>> {
        self.by_digest.get(d)
    }

    pub fn progress(&self, d: &Digest) -> Option<(u64, u64)> {
        self.progress.get(d).copied()
    }

    /// Whether an inspection is still on its way from the worker.
    pub fn loading(&self) -> bool {
        self.by_digest.values().any(Loaded::is_loading)
    }

    /// Asks for `d`. One still on its way is no longer wanted: the selection moved on (it is
    /// asked for again when selected again).
    pub(super) fn start(&mut self, d: Digest) {
        let superseded: Vec<Digest> = self.by_digest.iter().filter(|(_, v)| v.is_loading()).map(|(k, _)| k.clone()).collect();
        for old in superseded {
            self.evict(&old);
        }
        self.by_digest.insert(d.clone(), Loaded::Loading);
        self.order.push_back(d);
        while self.order.len() > KEEP {
            if let Some(old) = self.order.front().cloned() {
                self.evict(&old);
            }
        }
    }

    fn evict(&mut self, d: &Digest) {
        if self.by_digest.remove(d).is_some_and(|v| v.is_loading()) {
            self.dropped.push(d.clone());
        }
        self.progress.remove(d);
        self.sizes.remove(d);
        self.order.retain(|o| o != d);
    }

    /// The stops for inspections let go since the last call.
    pub(super) fn take_dropped(&mut self) -> Vec<Effect> {
        self.dropped.drain(..).map(|digest| Effect::ForgetInspection { digest }).collect()
    }

    pub(super) fn set_progress(&mut self, d: Digest, done: u64, total: u64) {
        if self.by_digest.get(&d).is_some_and(Loaded::is_loading) {
            self.progress.insert(d, (done, total));
        }
    }

    pub(super) fn finish(&mut self, d: Digest, result: Result<Arc<InspectView>, Failure>) {
        // An answer for one evicted meanwhile is dropped: it is asked for again when shown.
        if !self.by_digest.contains_key(&d) {
            return;
        }
        self.progress.remove(&d);
        let (size, loaded) = match result {
            Ok(v) => (v.bytes(), Loaded::Ready(v)),
            Err(f) => (f.message.len(), Loaded::Failed(f.message)),
        };
        self.sizes.insert(d.clone(), size);
        self.by_digest.insert(d.clone(), loaded);
        while self.sizes.values().sum::<usize>() > KEEP_BYTES {
            let Some(old) = self.order.iter().find(|o| **o != d && self.sizes.contains_key(*o)).cloned() else { break };
            self.evict(&old);
        }
    }

    /// Forgets what failed, so that a refresh asks again.
    pub(super) fn forget_failed(&mut self) {
        self.by_digest.retain(|_, v| !matches!(v, Loaded::Failed(_)));
        self.order.retain(|d| self.by_digest.contains_key(d));
        self.sizes.retain(|d, _| self.by_digest.contains_key(d));
    }
}

/// A layer's files, as listed so far.
#[derive(Debug, Clone)]
pub struct LayerPage {
    pub id: RequestId,
    pub layer: Descriptor,
    pub listing: Loaded<Arc<Listing>>,
    /// The whole layer has been read.
    pub done: bool,
    /// Where the cursor was on the inspection page, to go back to.
    back_cursor: usize,
}

/// The full-screen viewer of one artifact's inspection.
#[derive(Debug, Clone)]
pub struct Viewer {
    pub digest: Digest,
    /// The artifact, as the title shows it.
    pub title: String,
    /// The line under the cursor on the page shown.
    pub cursor: usize,
    /// A search being typed.
    pub typing: Option<String>,
    /// The last search, and the lines of the page that match it.
    pub query: String,
    pub matches: Vec<usize>,
    pub layer: Option<LayerPage>,
    /// The lines of the page shown, built when what it shows changes (not per frame or key).
    pub page: Arc<Page>,
}

impl Viewer {
    pub fn new(digest: Digest, title: String) -> Viewer {
        Viewer { digest, title, cursor: 0, typing: None, query: String::new(), matches: Vec::new(), layer: None, page: Arc::default() }
    }
}

/// A page's lines, and their text lowercased for search (made on the first search).
#[derive(Debug, Default)]
pub struct Page {
    source: Source,
    pub lines: Vec<Line>,
    lower: OnceLock<Vec<String>>,
}

impl Page {
    fn lower(&self) -> &[String] {
        self.lower.get_or_init(|| self.lines.iter().map(|l| l.to_string().to_lowercase()).collect())
    }
}

/// What a page was built from. It holds what it names, so an answer freed and another made
/// in its place cannot pass for the one the page shows.
#[derive(Debug, Default, Clone)]
enum Source {
    #[default]
    Nothing,
    Inspection(Loaded<Arc<InspectView>>),
    Layer { id: RequestId, listing: Loaded<Arc<Listing>>, done: bool },
}

impl Source {
    fn of(app: &App, v: &Viewer) -> Source {
        match &v.layer {
            Some(p) => Source::Layer { id: p.id, listing: p.listing.clone(), done: p.done },
            None => app.inspections.get(&v.digest).cloned().map_or(Source::Nothing, Source::Inspection),
        }
    }

    fn same(&self, other: &Source) -> bool {
        fn same_loaded<T>(a: &Loaded<Arc<T>>, b: &Loaded<Arc<T>>) -> bool {
            match (a, b) {
                (Loaded::Ready(a), Loaded::Ready(b)) => Arc::ptr_eq(a, b),
                (Loaded::Failed(a), Loaded::Failed(b)) => a == b,
                (a, b) => std::mem::discriminant(a) == std::mem::discriminant(b),
            }
        }
        match (self, other) {
            (Source::Nothing, Source::Nothing) => true,
            (Source::Inspection(a), Source::Inspection(b)) => same_loaded(a, b),
            (Source::Layer { id, listing, done }, Source::Layer { id: i, listing: l, done: d }) => id == i && done == d && same_loaded(listing, l),
            _ => false,
        }
    }
}

/// Builds the viewer's page again when what it shows has changed since.
pub(super) fn refresh_page(app: &mut App) {
    let Some(v) = app.viewer.as_ref() else { return };
    let source = Source::of(app, v);
    if v.page.source.same(&source) {
        return;
    }
    let lines = page_lines(app, v);
    if let Some(v) = app.viewer.as_mut() {
        // A page can shrink (a listing failing): the cursor and matches stay on it.
        let len = lines.len();
        v.cursor = v.cursor.min(len.saturating_sub(1));
        v.matches.retain(|&i| i < len);
        v.page = Arc::new(Page { source, lines, lower: OnceLock::new() });
    }
}

/// The lines of the viewer's page: the inspection, or a layer's listing.
pub fn page_lines(app: &App, v: &Viewer) -> Vec<Line> {
    if let Some(page) = &v.layer {
        let mut out = vec![Line {
            indent: 0,
            label: sanitize(&format!("Files of layer {} ({})", page.layer.digest, crate::text::human_size(page.layer.size))),
            value: String::new(),
            tone: Tone::Heading,
        }];
        match &page.listing {
            Loaded::Ready(l) => {
                out.extend(listing_lines(l));
                if !page.done {
                    out.push(Line { indent: 1, label: String::new(), value: format!("reading… {} entries so far", l.total), tone: Tone::Plain });
                }
            }
            Loaded::Failed(e) => out.push(Line { indent: 1, label: String::new(), value: sanitize(e), tone: Tone::Bad }),
            _ => out.push(Line { indent: 1, label: String::new(), value: "reading the layer…".into(), tone: Tone::Plain }),
        }
        return out;
    }
    match app.inspections.get(&v.digest) {
        Some(Loaded::Ready(view)) => view.viewer_lines().into_iter().cloned().collect(),
        Some(Loaded::Failed(e)) => vec![Line { indent: 0, label: String::new(), value: sanitize(e), tone: Tone::Bad }],
        _ => Vec::new(),
    }
}

impl App {
    /// `Enter` on the details pane: the viewer of what it shows.
    pub(super) fn open_viewer(&mut self) -> Vec<Effect> {
        let Some(d) = self.details_digest() else {
            self.error("select a tag or an artifact first");
            return Vec::new();
        };
        let title = match self.selected_artifact() {
            Some(a) => a.label,
            None => d.short().to_string(),
        };
        self.viewer = Some(Viewer::new(d.clone(), title));
        match self.details_repo() {
            Some(repo) => self.ensure_inspection(&repo, &d),
            None => Vec::new(),
        }
    }

    /// Lines a page key moves in the viewer.
    fn viewer_page(&self) -> usize {
        usize::from(self.size.1).saturating_sub(5).max(1)
    }
}

/// A key while the viewer is on screen.
pub(super) fn on_key(app: &mut App, key: KeyEvent) -> Vec<Effect> {
    let Some(mut v) = app.viewer.take() else { return Vec::new() };
    if let Some(q) = v.typing.as_mut() {
        match key.code {
            KeyCode::Esc => v.typing = None,
            KeyCode::Enter => {
                v.query = v.typing.take().unwrap_or_default();
                if v.query.is_empty() {
                    v.matches.clear();
                    app.info("search cleared");
                } else {
                    search(app, &mut v, 0, 1);
                }
            }
            KeyCode::Backspace => {
                q.pop();
            }
            // Ctrl-C and the like are not text.
            KeyCode::Char(c) if !c.is_control() && !key.modifiers.contains(KeyModifiers::CONTROL) => q.push(c),
            _ => {}
        }
        app.viewer = Some(v);
        return Vec::new();
    }
    let mut fx = Vec::new();
    let len = v.page.lines.len();
    let page = app.viewer_page();
    let last = len.saturating_sub(1);
    match app.opts.keys.lookup(&key, Context::Viewer, app.opts.read_only) {
        Some(Action::Close) => {
            if let Some(layer) = v.layer.take() {
                v.cursor = layer.back_cursor;
                v.matches.clear();
                v.query.clear();
                fx.push(Effect::StopListing { id: layer.id });
            } else {
                return Vec::new();
            }
        }
        Some(Action::Quit) => app.quit = true,
        Some(Action::Help) => app.modal = Some(super::dialogs::Modal::Help { scroll: 0 }),
        Some(Action::Up) => v.cursor = v.cursor.saturating_sub(1),
        Some(Action::Down) => v.cursor = (v.cursor + 1).min(last),
        Some(Action::PageUp) => v.cursor = v.cursor.saturating_sub(page),
        Some(Action::PageDown) => v.cursor = (v.cursor + page).min(last),
        Some(Action::Top) => v.cursor = 0,
        Some(Action::Bottom) => v.cursor = last,
        Some(Action::Search) => v.typing = Some(String::new()),
        Some(Action::NextMatch) => search(app, &mut v, 1, 1),
        Some(Action::PrevMatch) => search(app, &mut v, 1, -1),
        Some(Action::Open) => fx = open_layer(app, &mut v),
        _ => {}
    }
    app.viewer = Some(v);
    fx
}

/// Moves the cursor to the next match at least `skip` lines on in `dir`, wrapping; finds the
/// matches of the query again first, so a page that grew is searched whole.
fn search(app: &mut App, v: &mut Viewer, skip: usize, dir: isize) {
    if v.query.is_empty() {
        return;
    }
    let needle = v.query.to_lowercase();
    v.matches = v.page.lower().iter().enumerate().filter(|(_, l)| l.contains(&needle)).map(|(i, _)| i).collect();
    let found = if dir > 0 {
        let from = v.cursor + skip;
        v.matches.iter().find(|&&i| i >= from).or(v.matches.first())
    } else {
        let from = v.cursor.checked_sub(skip);
        v.matches.iter().rev().find(|&&i| from.is_some_and(|f| i <= f)).or(v.matches.last())
    };
    match found {
        Some(&i) => v.cursor = i,
        None => app.error(format!("no line matches {}", sanitize(&v.query))),
    }
}

/// `Enter` on an image layer's line: its files, listed as it downloads.
fn open_layer(app: &mut App, v: &mut Viewer) -> Vec<Effect> {
    if v.layer.is_some() {
        return Vec::new();
    }
    let Some(Loaded::Ready(view)) = app.inspections.get(&v.digest) else { return Vec::new() };
    let Some(line) = v.page.lines.get(v.cursor) else { return Vec::new() };
    let Some(layer) = view.layers.iter().find(|l| line.label == l.digest.to_string()).cloned() else {
        app.info("move to a layer (its digest) and press Enter to list its files");
        return Vec::new();
    };
    let Some(repo) = app.details_repo() else { return Vec::new() };
    let id = app.id();
    v.layer = Some(LayerPage { id, layer: layer.clone(), listing: Loaded::Loading, done: false, back_cursor: v.cursor });
    v.cursor = 0;
    v.matches.clear();
    v.query.clear();
    vec![Effect::ListLayer { id, repo, layer }]
}

pub(super) fn progress(app: &mut App, digest: Digest, done: u64, total: u64) {
    app.inspections.set_progress(digest, done, total);
}

pub(super) fn listing(app: &mut App, id: RequestId, result: Result<Arc<Listing>, Failure>, done: bool) {
    let Some(page) = app.viewer.as_mut().and_then(|v| v.layer.as_mut()).filter(|p| p.id == id) else { return };
    page.done = done;
    page.listing = match result {
        Ok(l) => Loaded::Ready(l),
        Err(f) => Loaded::Failed(f.message),
    };
}

#[cfg(test)]
mod tests;
