//! Inspection in the TUI: the summaries the worker made, by digest, and the full-screen
//! viewer (its state and its keys). The viewer's page is either the inspection (summary and
//! content) or, after `Enter` on an image layer, that layer's file listing.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, OnceLock};

use crossterm::event::{KeyCode, KeyEvent};

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
        usize::from(self.size.1).saturating_sub(4).max(1)
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
                search(app, &mut v, 0, 1);
            }
            KeyCode::Backspace => {
                q.pop();
            }
            KeyCode::Char(c) if !c.is_control() => q.push(c),
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
mod tests {
    use crossterm::event::{KeyEvent, KeyModifiers};

    use super::*;
    use crate::oci::ManifestBlob;
    use crate::tui::app::{Msg, Options, update};
    use crate::tui::protocol::WorkerEvent;
    use crate::tui::view_model::manifest_view;

    fn line(text: &str) -> Line {
        Line { indent: 0, label: String::new(), value: text.into(), tone: Tone::Plain }
    }

    /// An app showing one SBOM by digest (no worker), and the effects its opening asked for.
    fn app_on_an_sbom() -> (App, Digest, Vec<Effect>) {
        let m = br#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","artifactType":"application/vnd.cyclonedx+json","config":{"mediaType":"application/vnd.oci.empty.v1+json","digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":2},"layers":[]}"#;
        let blob = ManifestBlob::new(bytes::Bytes::from_static(m), None).unwrap();
        let digest = blob.digest.clone();
        let opts = Options { target_label: "r.example".into(), registry: Some("r.example".into()), repo: Some("net-monitor".into()), reference: Some(digest.to_string()), ..Options::default() };
        let mut app = App::new(opts);
        let fx = app.init();
        let id = fx.iter().find_map(|e| match e { Effect::ResolveSubject { id, .. } => Some(*id), _ => None }).unwrap();
        let mut fx = update(&mut app, Msg::Worker(WorkerEvent::Manifest { digest: digest.clone(), result: Ok(manifest_view(&blob).unwrap()) }));
        fx.extend(update(&mut app, Msg::Worker(WorkerEvent::Subject { id, repo: "net-monitor".into(), result: Ok(blob.descriptor()), cached: false })));
        (app, digest, fx)
    }

    fn press(app: &mut App, code: KeyCode) -> Vec<Effect> {
        update(app, Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)))
    }

    fn screen(app: &App) -> String {
        crate::tui::headless::text(&crate::tui::headless::render(app, 100, 30))
    }

    #[test]
    fn the_selection_asks_for_its_inspection_once_and_shows_how_far_it_has_come() {
        let (mut app, digest, fx) = app_on_an_sbom();
        let asked = |fx: &[Effect]| fx.iter().filter(|e| matches!(e, Effect::Inspect { digest: d, .. } if *d == digest)).count();
        assert_eq!(asked(&fx), 1, "{fx:?}");
        assert!(app.inspections.loading());
        assert_eq!(asked(&press(&mut app, KeyCode::Char('4'))), 0, "asked once");
        update(&mut app, Msg::Worker(WorkerEvent::InspectProgress { digest: digest.clone(), done: 3_250_586, total: 12 << 20 }));
        assert!(screen(&app).contains("loading CycloneDX SBOM 3.1 MiB of 12.0 MiB…"), "{}", screen(&app));
        let view = InspectView { summary: vec![line("SBOM: CycloneDX 1.5")], body: Vec::new(), warnings: Vec::new(), layers: Vec::new() };
        update(&mut app, Msg::Worker(WorkerEvent::Inspected { digest: digest.clone(), result: Ok(Arc::new(view)) }));
        assert!(!app.inspections.loading() && app.inspections.progress(&digest).is_none());
        let text = screen(&app);
        assert!(text.contains("SBOM: CycloneDX 1.5") && !text.contains("loading CycloneDX"), "{text}");
    }

    #[test]
    fn a_failed_inspection_says_why_and_a_refresh_asks_again() {
        let (mut app, digest, _) = app_on_an_sbom();
        let failure = Failure { message: "blob sha256:ab is 40 MiB, over the 32 MiB limit".into(), unauthorized: None, refused: false };
        update(&mut app, Msg::Worker(WorkerEvent::Inspected { digest: digest.clone(), result: Err(failure) }));
        assert!(screen(&app).contains("no summary: blob sha256:ab is 40 MiB, over the 32 MiB limit"), "{}", screen(&app));
        let fx = press(&mut app, KeyCode::Char('r'));
        let id = fx.iter().find_map(|e| match e { Effect::ResolveSubject { id, .. } => Some(*id), _ => None }).unwrap();
        let desc = Descriptor::new(crate::oci::media_types::OCI_MANIFEST, digest.clone(), 10);
        let fx = update(&mut app, Msg::Worker(WorkerEvent::Subject { id, repo: "net-monitor".into(), result: Ok(desc), cached: false }));
        assert!(fx.iter().any(|e| matches!(e, Effect::Inspect { .. })), "{fx:?}");
    }

    #[test]
    fn only_the_latest_inspections_are_kept() {
        let mut ins = Inspections::default();
        let d = |n: u8| Digest::sha256_of(&[n]);
        for n in 0..=KEEP as u8 {
            ins.start(d(n));
        }
        assert!(ins.get(&d(0)).is_none() && ins.get(&d(KEEP as u8)).is_some());
        ins.finish(d(0), Ok(Arc::new(InspectView { summary: Vec::new(), body: Vec::new(), warnings: Vec::new(), layers: Vec::new() })));
        assert!(ins.get(&d(0)).is_none(), "an answer for one let go is dropped");
    }

    #[test]
    fn the_kept_inspections_are_bounded_by_their_bytes_too() {
        let mut ins = Inspections::default();
        let d = |n: u8| Digest::sha256_of(&[n]);
        // Each a little over a quarter of the budget: four do not fit, three do.
        let big = || {
            let body = vec![line(&"x".repeat(KEEP_BYTES / 4 + 1))];
            Ok(Arc::new(InspectView { summary: Vec::new(), body, warnings: Vec::new(), layers: Vec::new() }))
        };
        for n in 0..4 {
            ins.start(d(n));
            ins.finish(d(n), big());
        }
        assert!(ins.get(&d(0)).is_none(), "the oldest went");
        assert!((1..4).all(|n| ins.get(&d(n)).is_some()));
        assert!(ins.take_dropped().is_empty(), "nothing on its way was stopped");
        ins.start(d(9));
        let huge = vec![line(&"x".repeat(KEEP_BYTES + 1))];
        ins.finish(d(9), Ok(Arc::new(InspectView { summary: Vec::new(), body: huge, warnings: Vec::new(), layers: Vec::new() })));
        assert!(ins.get(&d(9)).is_some() && (1..4).all(|n| ins.get(&d(n)).is_none()), "the newest is kept, alone");
    }

    #[test]
    fn an_inspection_still_on_its_way_is_stopped_when_the_selection_moves_on() {
        let mut ins = Inspections::default();
        let d = |n: u8| Digest::sha256_of(&[n]);
        ins.start(d(0));
        ins.finish(d(0), Ok(Arc::new(InspectView { summary: Vec::new(), body: Vec::new(), warnings: Vec::new(), layers: Vec::new() })));
        ins.start(d(1));
        assert!(ins.take_dropped().is_empty(), "a finished one costs nothing to keep");
        ins.start(d(2));
        assert!(ins.get(&d(1)).is_none() && ins.get(&d(0)).is_some());
        assert!(matches!(ins.take_dropped().as_slice(), [Effect::ForgetInspection { digest }] if *digest == d(1)));
        assert!(ins.take_dropped().is_empty());
    }

    #[test]
    fn closing_a_layer_page_stops_its_listing() {
        let (mut app, digest, _) = app_on_an_sbom();
        let layer = Descriptor::new("application/vnd.oci.image.layer.v1.tar+gzip", Digest::sha256_of(b"layer"), 1 << 30);
        let row = Line { indent: 1, label: layer.digest.to_string(), value: "1.0 GiB".into(), tone: Tone::Plain };
        let view = InspectView { summary: vec![row], body: Vec::new(), warnings: Vec::new(), layers: vec![layer] };
        update(&mut app, Msg::Worker(WorkerEvent::Inspected { digest, result: Ok(Arc::new(view)) }));
        press(&mut app, KeyCode::Char('4'));
        press(&mut app, KeyCode::Char('o'));
        let fx = press(&mut app, KeyCode::Enter);
        let Some(id) = fx.iter().find_map(|e| match e { Effect::ListLayer { id, .. } => Some(*id), _ => None }) else { panic!("{fx:?}") };
        let fx = press(&mut app, KeyCode::Esc);
        assert!(fx.iter().any(|e| matches!(e, Effect::StopListing { id: i } if *i == id)), "{fx:?}");
        assert!(app.viewer.as_ref().is_some_and(|v| v.layer.is_none()));
    }

    #[test]
    fn the_viewer_page_is_built_once_and_again_only_when_it_changes() {
        let (mut app, digest, _) = app_on_an_sbom();
        let layer = Descriptor::new("application/vnd.oci.image.layer.v1.tar+gzip", Digest::sha256_of(b"layer"), 1 << 30);
        let mut summary = vec![Line { indent: 1, label: layer.digest.to_string(), value: String::new(), tone: Tone::Plain }];
        summary.extend((0..50).map(|i| line(&format!("row {i}"))));
        let view = InspectView { summary, body: Vec::new(), warnings: Vec::new(), layers: vec![layer] };
        update(&mut app, Msg::Worker(WorkerEvent::Inspected { digest, result: Ok(Arc::new(view)) }));
        press(&mut app, KeyCode::Char('4'));
        press(&mut app, KeyCode::Char('o'));
        let page = |app: &App| app.viewer.as_ref().map(|v| Arc::as_ptr(&v.page)).unwrap();
        let built = page(&app);
        assert_eq!(app.viewer.as_ref().unwrap().page.lines.len(), 51);
        for c in ['j', 'j', 'G', 'g', '/', 'r', 'o', 'w'] {
            press(&mut app, KeyCode::Char(c));
        }
        press(&mut app, KeyCode::Enter);
        press(&mut app, KeyCode::Char('n'));
        update(&mut app, Msg::Tick);
        assert_eq!(page(&app), built, "keys and frames reuse the page");
        press(&mut app, KeyCode::Char('g'));
        let fx = press(&mut app, KeyCode::Enter);
        let id = fx.iter().find_map(|e| match e { Effect::ListLayer { id, .. } => Some(*id), _ => None }).unwrap();
        assert_ne!(page(&app), built, "the layer's page is its own");
        let reading = page(&app);
        let listing = Listing::default();
        update(&mut app, Msg::Worker(WorkerEvent::Listing { id, result: Ok(Arc::new(listing)), done: true }));
        assert_ne!(page(&app), reading, "a listing that arrived is shown");
    }

    #[test]
    fn the_viewer_scrolls_searches_and_closes() {
        let (mut app, digest, _) = app_on_an_sbom();
        let body: Vec<Line> = (0..100).map(|i| line(&format!("row {i}{}", if i % 30 == 7 { " needle" } else { "" }))).collect();
        let view = InspectView { summary: vec![line("SBOM"), Line { tone: Tone::Quote, ..line("a preview") }], body, warnings: Vec::new(), layers: Vec::new() };
        update(&mut app, Msg::Worker(WorkerEvent::Inspected { digest, result: Ok(Arc::new(view)) }));
        press(&mut app, KeyCode::Char('4'));
        press(&mut app, KeyCode::Char('o'));
        let cursor = |app: &App| app.viewer.as_ref().map(|v| v.cursor);
        assert_eq!(cursor(&app), Some(0));
        // The preview the summary quotes is left out: the body has the content whole.
        assert_eq!(page_lines(&app, app.viewer.as_ref().unwrap()).len(), 101);
        press(&mut app, KeyCode::Char('G'));
        assert_eq!(cursor(&app), Some(100));
        press(&mut app, KeyCode::Char('g'));
        press(&mut app, KeyCode::PageDown);
        assert_eq!(cursor(&app), Some(app.viewer_page()));
        press(&mut app, KeyCode::Char('g'));
        for c in "/NEEDLE".chars() {
            press(&mut app, KeyCode::Char(c));
        }
        assert!(app.viewer.as_ref().unwrap().typing.is_some(), "/ starts a search; its letters are not keys");
        press(&mut app, KeyCode::Enter);
        assert_eq!(cursor(&app), Some(8), "matches ignore case");
        press(&mut app, KeyCode::Char('n'));
        assert_eq!(cursor(&app), Some(38));
        press(&mut app, KeyCode::Char('N'));
        press(&mut app, KeyCode::Char('N'));
        assert_eq!(cursor(&app), Some(98), "N wraps to the last match");
        press(&mut app, KeyCode::Esc);
        assert!(app.viewer.is_none() && !app.quit);
    }
}
