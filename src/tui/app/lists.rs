//! The repositories and tags panes: items as loaded, a fuzzy filter, a selection.

use std::collections::{HashMap, HashSet};

use nucleo_matcher::pattern::{CaseMatching, Normalization, Pattern};
use nucleo_matcher::{Config, Matcher, Utf32Str};

use crate::store::is_digest_tag;
use crate::tui::view_model::{Loaded, TagInfo};

/// A selection over the items that pass a fuzzy filter, best match first; items that match
/// equally well (all of them, with no filter) keep their order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FilteredList {
    pub filter: String,
    /// Indices of the items that pass the filter, in the order shown.
    pub visible: Vec<usize>,
    /// Position in `visible`.
    pub selected: usize,
}

impl FilteredList {
    /// Recomputes what passes the filter, keeping the selected item selected if it still shows.
    pub fn refilter(&mut self, items: &[String]) {
        let keep = self.visible.get(self.selected).copied();
        self.visible = if self.filter.is_empty() {
            (0..items.len()).collect()
        } else {
            let pattern = Pattern::parse(&self.filter, CaseMatching::Smart, Normalization::Smart);
            let mut matcher = Matcher::new(Config::DEFAULT);
            let mut buf = Vec::new();
            let mut scored: Vec<(u32, usize)> = items
                .iter()
                .enumerate()
                .filter_map(|(i, s)| pattern.score(Utf32Str::new(s, &mut buf), &mut matcher).map(|score| (score, i)))
                .collect();
            // A stable sort: equal scores stay in list order.
            scored.sort_by(|a, b| b.0.cmp(&a.0));
            scored.into_iter().map(|(_, i)| i).collect()
        };
        self.selected = keep
            .and_then(|k| self.visible.iter().position(|&i| i == k))
            .unwrap_or(0)
            .min(self.visible.len().saturating_sub(1));
    }

    pub fn move_by(&mut self, delta: isize) {
        if self.visible.is_empty() {
            self.selected = 0;
            return;
        }
        let i = (self.selected as isize + delta).clamp(0, self.visible.len() as isize - 1);
        self.selected = i as usize;
    }

    pub fn bottom(&mut self) {
        self.selected = self.visible.len().saturating_sub(1);
    }

    /// The index (into the items) of the selected one.
    pub fn current(&self) -> Option<usize> {
        self.visible.get(self.selected).copied()
    }

    /// Selects the item at `index` if it passes the filter.
    pub fn select_item(&mut self, index: usize) {
        if let Some(p) = self.visible.iter().position(|&i| i == index) {
            self.selected = p;
        }
    }
}

/// The repositories pane.
#[derive(Debug, Clone, Default)]
pub struct ReposPane {
    pub items: Vec<String>,
    /// The same names, to skip repeats across pages in constant time.
    known: HashSet<String>,
    pub list: FilteredList,
    /// Continuation of the catalog; `None` with `complete` when all is loaded.
    pub next: Option<String>,
    pub complete: bool,
    pub loading: bool,
    /// The registry refused its catalog; repositories are opened by name (`:open REPO`).
    pub refused: Option<String>,
    /// The last load failed for another reason (unreachable, 5xx); `r` retries.
    pub error: Option<String>,
    /// The registry (named here) wants credentials to list its repositories; `r` asks again,
    /// which opens the login dialog.
    pub login: Option<String>,
    /// The repository whose tags are shown.
    pub opened: Option<String>,
    /// The catalog ran past the listing limit: no more pages are asked for.
    pub capped: bool,
}

impl ReposPane {
    pub fn add_page(&mut self, items: Vec<String>, next: Option<String>) {
        self.add_page_within(items, next, crate::store::listing_limits().max_items);
    }

    /// Adds a page, keeping at most `max` names: a registry can page its catalog forever.
    fn add_page_within(&mut self, items: Vec<String>, mut next: Option<String>, max: u64) {
        for i in items {
            if self.items.len() as u64 >= max {
                self.capped = true;
                next = None;
                break;
            }
            if self.known.insert(i.clone()) {
                self.items.push(i);
            }
        }
        self.complete = next.is_none();
        self.next = next;
        self.loading = false;
        self.error = None;
        self.list.refilter(&self.items);
    }

    pub fn selected(&self) -> Option<&String> {
        self.list.current().map(|i| &self.items[i])
    }

    /// Forgets the loaded catalog for a reload, keeping which repository is open.
    pub fn reset(&mut self) {
        *self = ReposPane {
            opened: self.opened.take(),
            ..ReposPane::default()
        };
    }

    /// Adds a repository typed by the user (when the catalog is refused) and selects it.
    pub fn add_and_select(&mut self, repo: &str) {
        let index = match self.items.iter().position(|r| r == repo) {
            Some(i) => i,
            None => {
                self.known.insert(repo.to_string());
                self.items.push(repo.to_string());
                self.items.len() - 1
            }
        };
        self.list.refilter(&self.items);
        self.list.select_item(index);
    }

    /// Whether scrolling is close enough to the end to fetch the next page.
    pub fn wants_more(&self, lookahead: usize) -> bool {
        !self.complete && !self.loading && self.refused.is_none() && self.error.is_none() && self.login.is_none() && self.list.selected + lookahead >= self.list.visible.len()
    }
}

/// The tags pane.
#[derive(Debug, Clone, Default)]
pub struct TagsPane {
    pub repo: Option<String>,
    pub all: Vec<String>,
    /// `all` without referrers-index tags unless those are asked for.
    pub shown: Vec<String>,
    pub show_digest_tags: bool,
    /// Plain byte order instead of natural order.
    pub lexical: bool,
    pub list: FilteredList,
    pub info: HashMap<String, Loaded<TagInfo>>,
    pub loading: bool,
    pub error: Option<String>,
}

impl TagsPane {
    pub fn open(&mut self, repo: &str) {
        *self = TagsPane {
            repo: Some(repo.to_string()),
            show_digest_tags: self.show_digest_tags,
            lexical: self.lexical,
            loading: true,
            ..TagsPane::default()
        };
    }

    pub fn set(&mut self, tags: Vec<String>) {
        self.all = tags;
        self.loading = false;
        self.error = None;
        self.sort();
    }

    /// Sorts the tags in the order asked for, keeping the selection.
    pub fn sort(&mut self) {
        if self.lexical {
            self.all.sort();
        } else {
            self.all.sort_by(|a, b| super::tag_order::natural(a, b));
        }
        self.reshow();
    }

    pub fn reshow(&mut self) {
        let keep = self.selected().cloned();
        self.shown = self
            .all
            .iter()
            .filter(|t| self.show_digest_tags || !is_digest_tag(t))
            .cloned()
            .collect();
        self.list.visible.clear();
        self.list.refilter(&self.shown);
        if let Some(k) = keep
            && let Some(i) = self.shown.iter().position(|t| *t == k)
        {
            self.list.select_item(i);
        }
    }

    pub fn selected(&self) -> Option<&String> {
        self.list.current().map(|i| &self.shown[i])
    }

    /// Tags around the selection whose manifests are not asked for yet.
    pub fn to_describe(&mut self, window: usize) -> Vec<String> {
        let start = self.list.selected.saturating_sub(window / 2);
        let wanted: Vec<String> = self
            .list
            .visible
            .iter()
            .skip(start)
            .take(window)
            .map(|&i| self.shown[i].clone())
            .filter(|t| !self.info.contains_key(t))
            .collect();
        for t in &wanted {
            self.info.insert(t.clone(), Loaded::Loading);
        }
        wanted
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn fuzzy_filter_keeps_order_and_selection() {
        let items = names(&["net-monitor", "samples/artifact", "sample-staging/net-monitor", "zulu"]);
        let mut l = FilteredList::default();
        l.refilter(&items);
        l.move_by(2);
        assert_eq!(l.current(), Some(2));
        l.filter = "ntmon".into();
        l.refilter(&items);
        assert_eq!(l.visible, vec![0, 2]);
        assert_eq!(l.current(), Some(2), "the selected item is still selected");
        l.filter = "nothing-like-it".into();
        l.refilter(&items);
        assert_eq!(l.current(), None);
    }

    #[test]
    fn the_best_match_comes_first_and_ties_keep_list_order() {
        let mut tags: Vec<String> = (1..=3000).map(|n| format!("v{n}")).collect();
        tags.sort();
        let mut l = FilteredList {
            filter: "v29".into(),
            ..FilteredList::default()
        };
        l.refilter(&tags);
        let shown: Vec<&str> = l.visible.iter().map(|&i| tags[i].as_str()).collect();
        assert_eq!(shown[0], "v29", "the exact tag leads: {:?}", &shown[..5]);
        assert!(shown.len() > 111, "looser matches still show, after the close ones");
        // v29, v290…v299 and v2900…v2999 match alike: they keep the list's order.
        let close: Vec<&str> = shown.iter().copied().take_while(|t| t.starts_with("v29")).collect();
        let mut sorted = close.clone();
        sorted.sort();
        assert_eq!(close, sorted);
        assert_eq!(close.len(), 111);
        assert!(shown[111..].iter().all(|t| !t.starts_with("v29")), "no close match is ranked below a loose one");
    }

    #[test]
    fn digest_tags_hidden_by_default() {
        let mut t = TagsPane::default();
        t.open("app");
        let hex = "a".repeat(64);
        t.set(names(&["v2", &format!("sha256-{hex}"), "v1"]));
        assert_eq!(t.shown, names(&["v1", "v2"]));
        t.show_digest_tags = true;
        t.reshow();
        assert_eq!(t.shown.len(), 3);
    }

    #[test]
    fn catalog_pages_are_wanted_near_the_end() {
        let mut r = ReposPane::default();
        r.add_page(names(&["a", "b", "c"]), Some("/v2/_catalog?last=c".into()));
        assert!(r.wants_more(5));
        r.loading = true;
        assert!(!r.wants_more(5));
        r.add_page(names(&["d"]), None);
        assert!(!r.wants_more(5) && r.complete);
    }

    #[test]
    fn an_endless_catalog_stops_at_the_listing_limit() {
        let mut r = ReposPane::default();
        r.add_page_within(names(&["a", "b"]), Some("/v2/_catalog?last=b".into()), 3);
        assert!(!r.capped && r.wants_more(5));
        r.add_page_within(names(&["c", "d"]), Some("/v2/_catalog?last=d".into()), 3);
        assert_eq!(r.items, names(&["a", "b", "c"]));
        assert!(r.capped && r.complete && r.next.is_none() && !r.wants_more(5));
    }
}
