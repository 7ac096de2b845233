//! Reducer tests: keys and worker events in, model fields and effects out. No terminal, no
//! runtime.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::*;
use super::dialogs::attach::ATTACH_FILES;
use crate::graph::progress::{Event, Outcome};
use crate::oci::media_types::OCI_MANIFEST;
use crate::oci::{Descriptor, Digest};
use crate::tui::protocol::ReferrersView;
use crate::tui::view_model::{CopyPreview, DeletePreview, ManifestView, TagInfo};

pub(super) fn key(c: char) -> Msg {
    Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE))
}

pub(super) fn code(k: KeyCode) -> Msg {
    Msg::Key(KeyEvent::new(k, KeyModifiers::NONE))
}

pub(super) fn typed(app: &mut App, text: &str) -> Vec<Effect> {
    text.chars().flat_map(|c| update(app, key(c))).collect()
}

pub(super) fn registry_app(repo: Option<&str>, reference: Option<&str>) -> (App, Vec<Effect>) {
    let mut app = App::new(Options {
        target_label: "localhost:5000".into(),
        registry: Some("localhost:5000".into()),
        has_catalog: true,
        repo: repo.map(str::to_string),
        reference: reference.map(str::to_string),
        read_only: false,
        color: false,
        startup_message: None,
        keys: Default::default(),
        palette: Default::default(),
        referrers_set_in_config: false,
    });
    let fx = app.init();
    (app, fx)
}

fn desc(seed: &str, kind: Option<&str>) -> Descriptor {
    let mut d = Descriptor::new(OCI_MANIFEST, Digest::sha256_of(seed.as_bytes()), 100);
    d.artifact_type = kind.map(str::to_string);
    d
}

fn catalog_id(fx: &[Effect]) -> RequestId {
    fx.iter()
        .find_map(|e| match e {
            Effect::LoadCatalog { id, .. } => Some(*id),
            _ => None,
        })
        .expect("a catalog request")
}

pub(super) fn find<T>(fx: &[Effect], f: impl Fn(&Effect) -> Option<T>) -> T {
    fx.iter().find_map(f).unwrap_or_else(|| panic!("expected effect not in {fx:?}"))
}

/// A registry app with net-monitor:v1 opened and its root's referrers loaded.
pub(super) fn opened() -> (App, Descriptor, Descriptor) {
    let (mut app, fx) = registry_app(Some("net-monitor"), Some("v1"));
    let subject_id = find(&fx, |e| match e {
        Effect::ResolveSubject { id, .. } => Some(*id),
        _ => None,
    });
    let root = desc("image", None);
    let fx = update(&mut app, Msg::Worker(WorkerEvent::Subject { id: subject_id, repo: "net-monitor".into(), result: Ok(root.clone()), cached: false }));
    let refs_id = find(&fx, |e| match e {
        Effect::LoadReferrers { id, digest, .. } if *digest == root.digest => Some(*id),
        _ => None,
    });
    let sbom = desc("sbom", Some("sbom/example"));
    update(
        &mut app,
        Msg::Worker(WorkerEvent::Referrers {
            id: refs_id,
            digest: root.digest.clone(),
            result: Ok(ReferrersView { list: vec![sbom.clone(), desc("sig", Some("signature/example"))], warnings: vec![], mode: Some(crate::store::ReferrersMode::TagSchema) }), cached: false }),
    );
    (app, root, sbom)
}

#[test]
fn a_node_opened_by_hand_has_its_referrers_asked_for_once_and_again_after_a_failure() {
    let (mut app, _root, sbom) = opened();
    app.auto_expand = 0;
    app.focus = Pane::Tree;
    // Close the SBOM (opened automatically) and forget it, as if it were past the budget.
    let sbom_path = app.tree.rows(&app.store).iter().find(|r| r.digest.as_ref() == Some(&sbom.digest)).unwrap().path.clone();
    app.tree.selected = sbom_path.clone();
    app.pending.referrers.clear();
    app.tree.set_failed(sbom.digest.clone(), "boom".into());
    update(&mut app, code(KeyCode::Enter));
    assert!(!app.tree.is_expanded(&sbom_path));
    let asked = |fx: &[Effect]| fx.iter().filter(|e| matches!(e, Effect::LoadReferrers { digest, .. } if *digest == sbom.digest)).count();
    let fx = update(&mut app, code(KeyCode::Enter));
    assert!(app.tree.is_expanded(&sbom_path));
    assert_eq!(asked(&fx), 1, "a failed node opened again is asked for again: {fx:?}");
    update(&mut app, code(KeyCode::Enter));
    let fx = update(&mut app, code(KeyCode::Enter));
    assert_eq!(asked(&fx), 0, "already on its way");
    assert!(app.tree.referrers_of(&sbom.digest).is_some_and(Loaded::is_loading));
}

#[test]
fn start_requests_the_catalog_and_opens_what_was_named() {
    let (app, fx) = registry_app(None, None);
    assert!(matches!(fx.as_slice(), [Effect::LoadCatalog { next: None, .. }]));
    assert_eq!(app.focus, Pane::Repos);
    let (app, fx) = registry_app(Some("net-monitor"), Some("v1"));
    assert_eq!(fx.len(), 3, "catalog, tags, subject: {fx:?}");
    assert_eq!(app.focus, Pane::Tree);
    assert!(app.tree.root().is_loading());
}

#[test]
fn catalog_then_open_repository_then_tag() {
    let (mut app, fx) = registry_app(None, None);
    let id = catalog_id(&fx);
    update(&mut app, Msg::Worker(WorkerEvent::Catalog { id: id + 100, result: Ok((vec!["stale".into()], None)), cached: false }));
    assert!(app.repos.items.is_empty(), "answers to requests not made are dropped");
    update(&mut app, Msg::Worker(WorkerEvent::Catalog { id, result: Ok((vec!["alpha".into(), "net-monitor".into()], None)), cached: false }));
    update(&mut app, key('j'));
    let fx = update(&mut app, code(KeyCode::Enter));
    let (tags_id, repo) = find(&fx, |e| match e {
        Effect::LoadTags { id, repo } => Some((*id, repo.clone())),
        _ => None,
    });
    assert_eq!(repo, "net-monitor");
    assert_eq!(app.focus, Pane::Tags);
    let hex = "b".repeat(64);
    let fx = update(&mut app, Msg::Worker(WorkerEvent::Tags { id: tags_id, repo: repo.clone(), result: Ok(vec!["v2".into(), format!("sha256-{hex}"), "v1".into()]), cached: false }));
    assert_eq!(app.tags.shown, ["v1", "v2"], "index tags hidden by default");
    assert!(fx.iter().any(|e| matches!(e, Effect::DescribeTags { tags, .. } if tags.len() == 2)));
    update(&mut app, key('t'));
    assert_eq!(app.tags.shown.len(), 3);
    update(&mut app, key('t'));
    let fx = update(&mut app, code(KeyCode::Enter));
    assert!(fx.iter().any(|e| matches!(e, Effect::ResolveSubject { reference, .. } if reference == "v1")));
    assert_eq!(app.focus, Pane::Tree);
}

#[test]
fn the_tree_fills_in_lazily_and_auto_expands_a_small_graph() {
    let (app, _root, sbom) = opened();
    let labels: Vec<String> = app.tree.rows(&app.store).iter().map(|r| r.label.clone()).collect();
    assert!(labels.iter().any(|l| l == "sbom/example (1)"), "{labels:?}");
    // Opened automatically: the SBOM's own referrers are being fetched.
    assert!(app.tree.referrers_of(&sbom.digest).is_some_and(Loaded::is_loading));
    let sbom_row = app.tree.rows(&app.store).iter().find(|r| r.digest.as_ref() == Some(&sbom.digest)).unwrap().clone();
    assert!(sbom_row.loading, "a spinner on the node being fetched");
}

#[test]
fn filters_apply_as_you_type_and_escape_restores() {
    let (mut app, fx) = registry_app(None, None);
    let id = catalog_id(&fx);
    let names: Vec<String> = ["net-monitor", "samples/artifact", "sample-staging/net-monitor", "zulu"].iter().map(|s| s.to_string()).collect();
    update(&mut app, Msg::Worker(WorkerEvent::Catalog { id, result: Ok((names, None)), cached: false }));
    update(&mut app, key('/'));
    typed(&mut app, "netmon");
    assert_eq!(app.repos.list.visible, vec![0, 2]);
    update(&mut app, code(KeyCode::Esc));
    assert_eq!(app.repos.list.visible.len(), 4);
    update(&mut app, key('/'));
    typed(&mut app, "zu");
    update(&mut app, code(KeyCode::Enter));
    assert_eq!(app.repos.selected().map(String::as_str), Some("zulu"));
    assert!(app.modal.is_none());
}

#[test]
fn a_refused_catalog_says_so_and_open_by_name_works() {
    let (mut app, fx) = registry_app(None, None);
    let id = catalog_id(&fx);
    update(&mut app, Msg::Worker(WorkerEvent::Catalog { id, result: Err(Failure { message: "403 from localhost:5000: access denied".into(), unauthorized: None, refused: true }), cached: false }));
    assert!(app.repos.refused.is_some());
    assert!(app.message.as_ref().is_some_and(|m| m.text.contains(":open REPO")));
    update(&mut app, key(':'));
    let fx = typed(&mut app, "open team/app:v2");
    assert!(fx.is_empty());
    let fx = update(&mut app, code(KeyCode::Enter));
    assert!(fx.iter().any(|e| matches!(e, Effect::LoadTags { repo, .. } if repo == "team/app")));
    assert!(fx.iter().any(|e| matches!(e, Effect::ResolveSubject { reference, .. } if reference == "v2")));
    update(&mut app, key(':'));
    typed(&mut app, "bogus");
    update(&mut app, code(KeyCode::Enter));
    assert!(matches!(&app.modal, Some(Modal::Prompt(p)) if p.error.as_deref().is_some_and(|e| e.contains("unknown command"))));
}

#[test]
fn copy_is_planned_reviewed_run_with_progress_and_cancellable() {
    let (mut app, _root, _) = opened();
    update(&mut app, key('c'));
    typed(&mut app, "localhost:5000/staging/net-monitor:v1");
    let fx = update(&mut app, code(KeyCode::Enter));
    let (id, dest, tag) = find(&fx, |e| match e {
        Effect::PlanCopy { id, destination, tag, .. } => Some((*id, destination.clone(), tag.clone())),
        _ => None,
    });
    assert_eq!(dest, "localhost:5000/staging/net-monitor:v1");
    assert_eq!(tag.as_deref(), Some("v1"));
    assert!(update(&mut app, key('y')).is_empty(), "nothing runs before the plan is shown");
    let preview = CopyPreview { destination: dest, rows: vec![], blobs_to_send: 3, blobs_present: 1, bytes_to_send: 1000, warnings: vec![] };
    update(&mut app, Msg::Worker(WorkerEvent::CopyPlanned { id, result: Ok(preview) }));
    let fx = update(&mut app, key('y'));
    let job = find(&fx, |e| match e {
        Effect::ExecuteCopy { job, id: i } if *i == id => Some(*job),
        _ => None,
    });
    update(&mut app, Msg::Worker(WorkerEvent::Progress { job, event: Event::Start { id: 1, label: "layer".into(), total: 1000 } }));
    update(&mut app, Msg::Worker(WorkerEvent::Progress { job, event: Event::Advance { id: 1, done: 250 } }));
    assert_eq!(app.jobs.running[&job].totals(), (250, 1000));
    assert!(app.busy());
    let fx = update(&mut app, key('x'));
    assert_eq!(fx, vec![Effect::Cancel { job }]);
    update(&mut app, Msg::Worker(WorkerEvent::Progress { job, event: Event::Finish { id: 1, outcome: Outcome::Failed("cancelled".into()) } }));
    let fx = update(&mut app, Msg::Worker(WorkerEvent::JobFinished { job, result: Err(Failure { message: "cancelled; nothing was tagged".into(), unauthorized: None, refused: false }) }));
    assert!(app.jobs.running.is_empty());
    assert!(app.message.as_ref().is_some_and(|m| m.level == Level::Error && m.text.contains("nothing was tagged")));
    assert!(fx.iter().any(|e| matches!(e, Effect::ResolveSubject { .. })), "the tree refreshes after a write");
}

#[test]
fn delete_asks_with_the_exact_plan() {
    let (mut app, _, sbom) = opened();
    update(&mut app, key('j'));
    update(&mut app, key('j'));
    assert_eq!(app.tree.selected_row(&app.store).and_then(|r| r.digest), Some(sbom.digest.clone()));
    let fx = update(&mut app, key('d'));
    let (id, reference) = find(&fx, |e| match e {
        Effect::PlanDelete { id, reference, .. } => Some((*id, reference.clone())),
        _ => None,
    });
    assert_eq!(reference, sbom.digest.to_string());
    assert!(update(&mut app, key('y')).is_empty(), "no delete before the plan is shown");
    let preview = DeletePreview { target: "net-monitor@sbom".into(), lines: vec!["Deleting …".into()] };
    update(&mut app, Msg::Worker(WorkerEvent::DeletePlanned { id, result: Ok(preview) }));
    assert!(update(&mut app, key('n')).is_empty());
    assert!(app.modal.is_none());
}

#[test]
fn read_only_turns_writes_off() {
    let (mut app, _, _) = opened();
    app.opts.read_only = true;
    for k in ['d', 'c', 'a'] {
        assert!(update(&mut app, key(k)).is_empty());
        assert!(app.modal.is_none(), "{k} opened a dialog in read-only mode");
    }
    update(&mut app, key(':'));
    typed(&mut app, "delete");
    assert!(update(&mut app, code(KeyCode::Enter)).is_empty());
    assert!(matches!(&app.modal, Some(Modal::Prompt(p)) if p.error.as_deref().is_some_and(|e| e.contains("read-only"))));
}

#[test]
fn unauthorized_opens_login_and_the_password_goes_out_only_in_the_login_effect() {
    let (mut app, fx) = registry_app(None, None);
    let id = catalog_id(&fx);
    update(&mut app, Msg::Worker(WorkerEvent::Catalog { id, result: Err(Failure { message: "401 from localhost:5000".into(), unauthorized: Some("localhost:5000".into()), refused: false }), cached: false }));
    assert!(matches!(app.modal, Some(Modal::Login(_))));
    typed(&mut app, "alice");
    update(&mut app, code(KeyCode::Tab));
    typed(&mut app, "s3cret");
    update(&mut app, code(KeyCode::Tab));
    update(&mut app, key(' '));
    let fx = update(&mut app, code(KeyCode::Enter));
    assert_eq!(
        fx,
        vec![Effect::Login { registry: "localhost:5000".into(), username: "alice".into(), password: "s3cret".into(), save: true }]
    );
    let fx = update(&mut app, Msg::Worker(WorkerEvent::LoggedIn { registry: "localhost:5000".into(), result: Ok("; saved".into()) }));
    assert!(app.modal.is_none());
    assert!(fx.iter().any(|e| matches!(e, Effect::LoadCatalog { .. })), "everything reloads with the credential");
}

#[test]
fn pull_attach_and_yank_produce_their_effects() {
    let (mut app, root, _) = opened();
    let fx = update(&mut app, key('y'));
    assert_eq!(fx, vec![Effect::Clipboard(root.digest.to_string())]);
    let fx = update(&mut app, key('Y'));
    assert_eq!(fx, vec![Effect::Clipboard("localhost:5000/net-monitor:v1".into())]);

    update(&mut app, key('p'));
    let fx = update(&mut app, code(KeyCode::Enter));
    assert!(fx.iter().any(|e| matches!(e, Effect::Pull { dir, reference, .. } if dir.to_str() == Some("./net-monitor-v1") && reference == "v1")));

    update(&mut app, key('a'));
    typed(&mut app, "sig");
    let fx = update(&mut app, code(KeyCode::Tab));
    let cid = find(&fx, |e| match e {
        Effect::CompletePath { id, partial } if partial == "sig" => Some(*id),
        _ => None,
    });
    update(&mut app, Msg::Worker(WorkerEvent::Completions { id: cid, partial: "sig".into(), candidates: vec!["signature.json".into()] }));
    let Some(Modal::Attach(form)) = &app.modal else { panic!("attach form") };
    assert_eq!(form.fields[ATTACH_FILES].value(), "signature.json");
    assert!(update(&mut app, code(KeyCode::Enter)).is_empty(), "an artifact type is needed first");
    typed(&mut app, "signature/example");
    let fx = update(&mut app, code(KeyCode::Enter));
    let bid = find(&fx, |e| match e {
        Effect::BuildAttach { id, files, artifact_type, subject, .. } if files == &vec!["signature.json".to_string()] && artifact_type == "signature/example" && subject == "v1" => Some(*id),
        _ => None,
    });
    update(&mut app, Msg::Worker(WorkerEvent::AttachPreview { id: bid, result: Ok(vec!["{".into(), "}".into()]) }));
    let fx = update(&mut app, key('y'));
    assert!(matches!(fx.as_slice(), [Effect::PushAttach { id, .. }] if *id == bid));
}

#[test]
fn escape_then_key_arriving_as_alt_key_is_two_keys() {
    let (mut app, _, _) = opened();
    update(&mut app, key('?'));
    assert!(matches!(app.modal, Some(Modal::Help { .. })));
    update(&mut app, Msg::Key(KeyEvent::new(KeyCode::Char('q'), KeyModifiers::ALT)));
    assert!(app.modal.is_none() && app.quit);
}

#[test]
fn a_review_closed_unconfirmed_releases_its_lease_and_a_confirmed_copy_keeps_it_until_the_job_ends() {
    use futures_util::FutureExt;
    let (mut app, _, _) = opened();
    let plan = |app: &mut App| {
        update(app, key('c'));
        typed(app, "localhost:5000/staging/net-monitor:v1");
        let fx = update(app, code(KeyCode::Enter));
        find(&fx, |e| match e {
            Effect::PlanCopy { id, lease, .. } => Some((*id, lease.released(), lease.released())),
            _ => None,
        })
    };
    let (_, before, after) = plan(&mut app);
    assert!(before.now_or_never().is_none(), "the open review holds the plan");
    update(&mut app, code(KeyCode::Esc));
    assert!(after.now_or_never().is_some(), "Esc lets the worker drop the plan");

    let (id, while_running, after_job) = plan(&mut app);
    let preview = CopyPreview { destination: "localhost:5000/staging/net-monitor:v1".into(), rows: vec![], blobs_to_send: 0, blobs_present: 0, bytes_to_send: 0, warnings: vec![] };
    update(&mut app, Msg::Worker(WorkerEvent::CopyPlanned { id, result: Ok(preview) }));
    let fx = update(&mut app, key('y'));
    let job = find(&fx, |e| match e {
        Effect::ExecuteCopy { job, .. } => Some(*job),
        _ => None,
    });
    assert!(app.modal.is_none());
    assert!(while_running.now_or_never().is_none(), "the job keeps the plan the worker is about to run");
    update(&mut app, Msg::Worker(WorkerEvent::JobFinished { job, result: Ok("copied".into()) }));
    assert!(after_job.now_or_never().is_some());
}

/// A manifest view of an index listing `children`.
fn index_view(index: &Descriptor, children: Vec<Descriptor>) -> ManifestView {
    ManifestView {
        descriptor: index.clone(),
        artifact_type: None,
        config: None,
        subject: None,
        annotations: Default::default(),
        layers: vec![],
        manifests: children,
        pretty: vec![],
        total_size: 0,
    }
}

#[test]
fn platforms_show_when_the_details_pane_loaded_the_index_first_and_cosign_tags_join_their_subject() {
    let (mut app, fx) = registry_app(Some("app"), None);
    let tags_id = find(&fx, |e| match e {
        Effect::LoadTags { id, .. } => Some(*id),
        _ => None,
    });
    let mut index = Descriptor::new(crate::oci::media_types::OCI_INDEX, Digest::sha256_of(b"index"), 300);
    index.artifact_type = None;
    let amd = desc("amd64", None);
    let sig_tag = format!("{}.sig", index.digest.fallback_tag());
    update(&mut app, Msg::Worker(WorkerEvent::Tags { id: tags_id, repo: "app".into(), result: Ok(vec!["v1".into(), sig_tag.clone()]), cached: false }));
    assert_eq!(app.tags.shown, ["v1"], "the cosign tag stays hidden in the tags pane");
    // The tags pane describes v1 first: the index's manifest is in before the tree opens.
    update(&mut app, Msg::Worker(WorkerEvent::Manifest { digest: index.digest.clone(), result: Ok(index_view(&index, vec![amd.clone()])) }));
    let fx = app.open_subject("app", &TagOrDigest::Tag("v1".into()));
    let id = find(&fx, |e| match e {
        Effect::ResolveSubject { id, .. } => Some(*id),
        _ => None,
    });
    let fx = update(&mut app, Msg::Worker(WorkerEvent::Subject { id, repo: "app".into(), result: Ok(index.clone()), cached: false }));
    let rows = app.tree.rows(&app.store);
    assert!(rows.iter().any(|r| r.kind == RowKind::Platform && r.digest.as_ref() == Some(&amd.digest)), "{rows:?}");
    let asked = find(&fx, |e| match e {
        Effect::DescribeTags { tags, .. } if tags.contains(&sig_tag) => Some(tags.clone()),
        _ => None,
    });
    assert_eq!(asked, [sig_tag.clone()], "the one attachment tag the tag list has, nothing guessed");
    let sig = desc("cosign-sig", None);
    update(&mut app, Msg::Worker(WorkerEvent::TagInfo { repo: "app".into(), tag: sig_tag.clone(), result: Ok(TagInfo { digest: sig.digest.clone(), kind: OCI_MANIFEST.into(), size: 10 }) }));
    let rows = app.tree.rows(&app.store);
    let heading = rows.iter().position(|r| r.kind == RowKind::Attachment).expect("an attachment heading");
    assert!(rows[heading].label.starts_with("cosign signature · cosign tag sha256-"), "{}", rows[heading].label);
    assert_eq!(rows[heading + 1].digest, Some(sig.digest.clone()));
    assert_eq!(rows[heading + 1].depth, rows[heading].depth + 1);
}

#[test]
fn tags_are_in_natural_order_and_s_switches_to_plain_order_keeping_the_selection() {
    let (mut app, fx) = registry_app(Some("app"), None);
    let id = find(&fx, |e| match e {
        Effect::LoadTags { id, .. } => Some(*id),
        _ => None,
    });
    let tags = ["v10", "v2", "v1.0.0", "v1.0.0-rc.1", "latest"].map(String::from).to_vec();
    update(&mut app, Msg::Worker(WorkerEvent::Tags { id, repo: "app".into(), result: Ok(tags), cached: false }));
    assert_eq!(app.tags.shown, ["latest", "v1.0.0-rc.1", "v1.0.0", "v2", "v10"]);
    app.focus = Pane::Tags;
    update(&mut app, key('G'));
    assert_eq!(app.tags.selected().map(String::as_str), Some("v10"));
    update(&mut app, key('s'));
    assert_eq!(app.tags.shown, ["latest", "v1.0.0", "v1.0.0-rc.1", "v10", "v2"]);
    assert_eq!(app.tags.selected().map(String::as_str), Some("v10"), "the selection stays on its tag");
    update(&mut app, key('s'));
    assert_eq!(app.tags.shown[4], "v10");
}

#[test]
fn tags_a_filter_brings_into_view_are_described_as_it_is_typed() {
    let (mut app, fx) = registry_app(None, None);
    app.size = (80, 10);
    update(&mut app, Msg::Worker(WorkerEvent::Catalog { id: catalog_id(&fx), result: Ok((vec!["app".into()], None)), cached: false }));
    let fx = update(&mut app, code(KeyCode::Enter));
    let id = find(&fx, |e| match e {
        Effect::LoadTags { id, .. } => Some(*id),
        _ => None,
    });
    let tags: Vec<String> = (0..100).map(|i| format!("build-{i:03}")).collect();
    update(&mut app, Msg::Worker(WorkerEvent::Tags { id, repo: "app".into(), result: Ok(tags), cached: false }));
    assert!(!app.tags.info.contains_key("build-095"), "far down the list, not described yet");
    update(&mut app, key('/'));
    let described: Vec<String> = typed(&mut app, "build-09")
        .into_iter()
        .flat_map(|e| match e {
            Effect::DescribeTags { tags, .. } => tags,
            _ => Vec::new(),
        })
        .collect();
    assert!(described.contains(&"build-095".to_string()), "{described:?}");
    assert_eq!(described.iter().filter(|t| *t == "build-095").count(), 1, "asked for once");
}

#[test]
fn dialogs_scroll_with_the_keymap_paging_keys_ctrl_d_and_ctrl_u_too() {
    let (mut app, _) = registry_app(None, None);
    let ctrl = |c| Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL));
    update(&mut app, key('?'));
    update(&mut app, ctrl('d'));
    let page = app.page_size() as u16;
    assert!(matches!(app.modal, Some(Modal::Help { scroll }) if scroll == page), "{:?}", app.modal);
    update(&mut app, key('j'));
    assert!(matches!(app.modal, Some(Modal::Help { scroll }) if scroll == page + 1));
    update(&mut app, ctrl('u'));
    assert!(matches!(app.modal, Some(Modal::Help { scroll: 1 })));
}

#[test]
fn the_command_line_refuses_writes_with_the_one_read_only_check() {
    let (mut app, _, _) = opened();
    app.opts.read_only = true;
    let from_key = app.check_writable().expect_err("read-only refuses writes");
    for line in ["delete", "copy localhost:5000/elsewhere", "attach"] {
        update(&mut app, key(':'));
        typed(&mut app, line);
        update(&mut app, code(KeyCode::Enter));
        assert!(matches!(&app.modal, Some(Modal::Prompt(p)) if p.error.as_deref() == Some(from_key.as_str())), "{line}: {:?}", app.modal);
        update(&mut app, code(KeyCode::Esc));
    }
}

#[test]
fn a_tag_of_another_repository_is_inspected_in_its_own_repository() {
    let (mut app, fx) = registry_app(Some("first"), Some("v1"));
    app.size = (120, 40);
    let (tags_id, _) = find(&fx, |e| match e {
        Effect::LoadTags { id, repo } => Some((*id, repo.clone())),
        _ => None,
    });
    update(&mut app, Msg::Worker(WorkerEvent::Tags { id: tags_id, repo: "first".into(), result: Ok(vec!["v1".into()]), cached: false }));
    assert_eq!(app.tree.subject().map(|s| s.repo.as_str()), Some("first"));
    update(&mut app, Msg::Worker(WorkerEvent::Catalog { id: catalog_id(&fx), result: Ok((vec!["first".into(), "second".into()], None)), cached: false }));
    app.focus = Pane::Repos;
    update(&mut app, key('j'));
    let fx = update(&mut app, code(KeyCode::Enter));
    let id = find(&fx, |e| match e {
        Effect::LoadTags { id, repo } if repo == "second" => Some(*id),
        _ => None,
    });
    update(&mut app, Msg::Worker(WorkerEvent::Tags { id, repo: "second".into(), result: Ok(vec!["v2".into()]), cached: false }));
    assert_eq!(app.focus, Pane::Tags);
    update(&mut app, key('j'));
    let d = desc("second's v2", None).digest;
    let fx = update(&mut app, Msg::Worker(WorkerEvent::TagInfo { repo: "second".into(), tag: "v2".into(), result: Ok(TagInfo { digest: d.clone(), kind: OCI_MANIFEST.into(), size: 10 }) }));
    assert_eq!(app.tree.subject().map(|s| s.repo.as_str()), Some("first"), "the tree still shows the first repository");
    let repo = find(&fx, |e| match e {
        Effect::Inspect { repo, digest, .. } if *digest == d => Some(repo.clone()),
        _ => None,
    });
    assert_eq!(repo, "second");
}
