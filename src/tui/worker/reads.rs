//! Reads: the catalog, tags, manifests, referrers and file-name completions. An answer kept
//! in the disk cache is sent first, marked `cached`; the registry's answer follows.

use std::path::Path;

use futures_util::StreamExt;

use super::{BATCH, Shared, failure};
use crate::graph::discover::referrers_of;
use crate::cache::Snapshot;
use crate::oci::{Descriptor, Digest, TagOrDigest};
use crate::store::PageRequest;
use crate::tui::protocol::{ReferrersView, RequestId, WorkerEvent};
use crate::tui::view_model::{manifest_view, tag_info};

impl Shared {
    pub(super) async fn load_catalog(&self, id: RequestId, next: Option<String>) {
        let first = next.is_none();
        if first && let Some(page) = self.snapshot::<(Vec<String>, Option<String>)>(Snapshot::Catalog) {
            self.send(WorkerEvent::Catalog { id, result: Ok(page), cached: true });
        }
        let result = if self.target().has_catalog() {
            let req = PageRequest { next, last: None, n: 1000 };
            self.target().catalog_page(&req).await.map(|p| (p.items, p.next))
        } else {
            self.target().catalog_page(&PageRequest::default()).await.map(|p| (p.items, None))
        };
        if first && let Ok(page) = &result {
            self.remember(Snapshot::Catalog, page);
        }
        self.report_auth();
        self.send(WorkerEvent::Catalog { id, result: result.map_err(|e| failure(&e)), cached: false });
    }

    pub(super) async fn load_tags(&self, id: RequestId, repo: String) {
        if let Some(tags) = self.snapshot::<Vec<String>>(Snapshot::Tags { repo: &repo }) {
            self.send(WorkerEvent::Tags { id, repo: repo.clone(), result: Ok(tags), cached: true });
        }
        let result = self.target().list_tags(&repo).await;
        if let Ok(tags) = &result {
            self.remember(Snapshot::Tags { repo: &repo }, tags);
        }
        self.report_auth();
        self.send(WorkerEvent::Tags { id, repo, result: result.map_err(|e| failure(&e)), cached: false });
    }

    pub(super) async fn describe_tags(&self, repo: String, tags: Vec<String>) {
        let target = self.target();
        // What each tag pointed at last time, from the cache, first.
        for tag in &tags {
            let reference = TagOrDigest::Tag(tag.clone());
            if let Some(desc) = self.snapshot::<Descriptor>(Snapshot::Target { repo: &repo, reference: &reference })
                && let Ok(blob) = target.fetch_manifest(&repo, &desc.digest.to_string()).await
                && let Ok(view) = manifest_view(&blob)
            {
                // The manifest first: the tag's answer moves the selection, which
                // would otherwise ask for a manifest already on its way.
                let info = tag_info(&view);
                self.send(WorkerEvent::Manifest { digest: view.descriptor.digest.clone(), result: Ok(view) });
                self.send(WorkerEvent::TagInfo { repo: repo.clone(), tag: tag.clone(), result: Ok(info) });
            }
        }
        let described: Vec<_> = crate::graph::eager(tags.into_iter().map(|tag| {
            let repo = repo.clone();
            async move {
                let r = target.fetch_manifest(&repo, &tag).await.and_then(|b| manifest_view(&b));
                (tag, r)
            }
        }))
        .buffer_unordered(BATCH)
        .collect()
        .await;
        for (tag, r) in described {
            match r {
                Ok(view) => {
                    let reference = TagOrDigest::Tag(tag.clone());
                    self.remember(Snapshot::Target { repo: &repo, reference: &reference }, &view.descriptor);
                    let info = tag_info(&view);
                    self.send(WorkerEvent::Manifest { digest: view.descriptor.digest.clone(), result: Ok(view) });
                    self.send(WorkerEvent::TagInfo { repo: repo.clone(), tag, result: Ok(info) });
                }
                Err(e) => self.send(WorkerEvent::TagInfo { repo: repo.clone(), tag, result: Err(failure(&e)) }),
            }
        }
    }

    pub(super) async fn resolve_subject(&self, id: RequestId, repo: String, reference: TagOrDigest) {
        let key = Snapshot::Target { repo: &repo, reference: &reference };
        if let Some(desc) = self.snapshot(key) {
            self.send(WorkerEvent::Subject { id, repo: repo.clone(), result: Ok(desc), cached: true });
        }
        let result = self.target().resolve(&repo, &reference.to_string()).await;
        if let Ok(desc) = &result {
            self.remember(key, desc);
        }
        self.report_auth();
        self.send(WorkerEvent::Subject { id, repo, result: result.map_err(|e| failure(&e)), cached: false });
    }

    pub(super) async fn load_manifest(&self, repo: String, digest: Digest) {
        let result = self
            .target()
            .fetch_manifest(&repo, &digest.to_string())
            .await
            .and_then(|b| manifest_view(&b))
            .map_err(|e| failure(&e));
        self.send(WorkerEvent::Manifest { digest, result });
    }

    pub(super) async fn load_referrers(&self, id: RequestId, repo: String, digest: Digest) {
        if let Some(list) = self.snapshot(Snapshot::Referrers { repo: &repo, digest: &digest }) {
            let view = ReferrersView { list, warnings: Vec::new(), mode: None };
            self.send(WorkerEvent::Referrers { id, digest: digest.clone(), result: Ok(view), cached: true });
        }
        let result = referrers_of(self.target(), &repo, &digest, None, BATCH).await;
        if let Ok((list, _)) = &result {
            self.remember(Snapshot::Referrers { repo: &repo, digest: &digest }, list);
        }
        let result = result
            .map(|(list, warnings)| ReferrersView {
                list,
                warnings,
                mode: self.target().referrers_mode(&repo),
            })
            .map_err(|e| failure(&e));
        self.send(WorkerEvent::Referrers { id, digest, result, cached: false });
    }

    pub(super) async fn complete(&self, id: RequestId, partial: String) {
        let candidates = tokio::task::spawn_blocking({
            let p = partial.clone();
            move || complete_path(&p)
        })
        .await
        .unwrap_or_default();
        self.send(WorkerEvent::Completions { id, partial, candidates });
    }
}

/// File names starting with `partial`, directories with a trailing `/`.
fn complete_path(partial: &str) -> Vec<String> {
    let (dir, prefix) = match partial.rfind('/') {
        Some(i) => (&partial[..=i], &partial[i + 1..]),
        None => ("", partial),
    };
    let read_from = if dir.is_empty() { Path::new(".") } else { Path::new(dir) };
    let Ok(entries) = std::fs::read_dir(read_from) else { return Vec::new() };
    let mut out: Vec<String> = entries
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            if !name.starts_with(prefix) || (name.starts_with('.') && !prefix.starts_with('.')) {
                return None;
            }
            let slash = if e.file_type().map(|t| t.is_dir()).unwrap_or(false) { "/" } else { "" };
            Some(format!("{dir}{name}{slash}"))
        })
        .collect();
    out.sort();
    out.truncate(50);
    out
}
