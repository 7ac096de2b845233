//! The worker on the demo layout: what it parks for a dialog goes when the dialog lets go.

use super::*;
use crate::oci::TagOrDigest;
use crate::store::open::Location;

fn demo_worker() -> (Arc<Shared>, UnboundedReceiver<WorkerEvent>, String) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(crate::demo::ASSETS_PATH).join("net-monitor");
    let loc = Location::layout(&format!("{}:{}", path.display(), crate::demo::TAG), false).expect("the demo layout opens");
    let ctx = Context {
        target: loc.target,
        registry: None,
        session: Arc::new(Session::with_chain(crate::creds::Chain::default(), false, false)),
        config_path: None,
        keyring: false,
        cache: None,
        limits: crate::inspect::Limits::default(),
    };
    let (tx, rx) = unbounded_channel();
    (Arc::new(Shared::new(ctx, tx)), rx, loc.repo)
}

/// Lets spawned tasks run until `done` holds, or gives up after many turns.
async fn settle(done: impl Fn() -> bool) -> bool {
    for _ in 0..1000 {
        if done() {
            return true;
        }
        tokio::task::yield_now().await;
    }
    done()
}

#[tokio::test]
async fn a_copy_plan_into_a_new_layout_and_its_stand_in_go_when_the_lease_is_released() {
    let (shared, mut events, repo) = demo_worker();
    let out = tempfile::tempdir().unwrap();
    let lease = Lease::default();
    let destination = format!("layout:{}", out.path().join("new").display());
    shared
        .clone()
        .handle(Effect::PlanCopy { id: 7, repo, reference: TagOrDigest::Tag(crate::demo::TAG.into()), tag: None, destination, lease: lease.clone() }, None)
        .await;
    assert!(matches!(events.recv().await, Some(WorkerEvent::CopyPlanned { id: 7, result: Ok(_) })));
    let stand_in = match &lock(&shared.copies.0)[&7].dst {
        jobs::Destination::NewLayout { _dir, .. } => _dir.path().to_path_buf(),
        jobs::Destination::Open(_) => panic!("a layout that does not exist is planned against a stand-in"),
    };
    assert!(stand_in.exists());
    assert!(settle(|| shared.copies.len() == 1).await, "kept while the review is open");
    drop(lease);
    assert!(settle(|| shared.copies.len() == 0).await, "the plan is dropped with the lease");
    assert!(!stand_in.exists(), "the stand-in's temporary directory is removed with the plan");
    assert!(!out.path().join("new").exists(), "nothing was written at the destination");
}

#[tokio::test]
async fn a_plan_whose_lease_went_while_planning_is_not_kept() {
    let (shared, mut events, repo) = demo_worker();
    let lease = Lease::default();
    let effect = Effect::PlanDelete { id: 3, repo, reference: TagOrDigest::Tag(crate::demo::TAG.into()), lease: lease.clone() };
    drop(lease);
    shared.clone().handle(effect, None).await;
    assert!(matches!(events.recv().await, Some(WorkerEvent::DeletePlanned { id: 3, result: Ok(_) })));
    assert!(settle(|| shared.deletes.len() == 0).await);
}

/// Counts a piece of work as running until it ends or is dropped midway.
struct Running<'a>(&'a std::sync::atomic::AtomicUsize);

impl<'a> Running<'a> {
    fn enter(running: &'a std::sync::atomic::AtomicUsize, most: &std::sync::atomic::AtomicUsize) -> Running<'a> {
        use std::sync::atomic::Ordering::SeqCst;
        most.fetch_max(running.fetch_add(1, SeqCst) + 1, SeqCst);
        Running(running)
    }
}

impl Drop for Running<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
    }
}

#[tokio::test]
async fn at_most_two_inspections_run_at_once_and_one_let_go_never_starts() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let (shared, _events, _) = demo_worker();
    let running = Arc::new(AtomicUsize::new(0));
    let most = Arc::new(AtomicUsize::new(0));
    let started = Arc::new(AtomicUsize::new(0));
    let release = CancellationToken::new();
    let mut tasks = Vec::new();
    let mut tickets = Vec::new();
    for n in 0..5u8 {
        let ticket = shared.claim(inspect::Want::Inspection(crate::oci::Digest::sha256_of(&[n])));
        tickets.push(ticket.clone());
        let (s, running, most, started, release) = (shared.clone(), running.clone(), most.clone(), started.clone(), release.clone());
        tasks.push(tokio::spawn(async move {
            let work = async {
                started.fetch_add(1, Ordering::SeqCst);
                let _running = Running::enter(&running, &most);
                release.cancelled().await;
            };
            inspect::gated(&s.wanted.gate, ticket.token(), work).await
        }));
    }
    assert!(settle(|| started.load(Ordering::SeqCst) == 2).await);
    // The selection moved on from the last one while it waited, and from the first midway.
    shared.stop(&inspect::Want::Inspection(crate::oci::Digest::sha256_of(&[4])));
    shared.stop(&inspect::Want::Inspection(crate::oci::Digest::sha256_of(&[0])));
    assert!(settle(|| started.load(Ordering::SeqCst) == 3).await, "the stopped one gave its place up");
    release.cancel();
    let mut outcomes = Vec::new();
    for t in tasks {
        outcomes.push(t.await.unwrap().is_some());
    }
    assert_eq!(most.load(Ordering::SeqCst), 2);
    assert_eq!(outcomes, vec![false, true, true, true, false]);
    assert_eq!(started.load(Ordering::SeqCst), 4, "the one stopped while waiting never ran");
}

#[tokio::test]
async fn a_digest_asked_for_again_after_a_stop_is_not_stopped_by_the_old_claim() {
    let (shared, _events, _) = demo_worker();
    let want = inspect::Want::Inspection(crate::oci::Digest::sha256_of(b"a"));
    let old = shared.claim(want.clone());
    shared.stop(&want);
    let new = shared.claim(want.clone());
    assert!(old.token().is_cancelled() && !new.token().is_cancelled());
    // The stopped request ends after the new one was claimed: the new claim stays stoppable.
    shared.release(&want, &old);
    shared.stop(&want);
    assert!(new.token().is_cancelled());
}

#[tokio::test]
async fn inspection_progress_is_paced() {
    let (shared, mut events, _) = demo_worker();
    let progress = shared.inspect_progress(&crate::oci::Digest::sha256_of(b"a"));
    let task = progress.start("blob", 100_000);
    for done in 1..=10_000 {
        task.advance(done * 10);
    }
    task.finish(crate::graph::progress::Outcome::Done);
    let mut sent = Vec::new();
    while let Ok(ev) = events.try_recv() {
        if let WorkerEvent::InspectProgress { done, .. } = ev {
            sent.push(done);
        }
    }
    assert!(sent.len() < 100, "{} reports for 10000 chunks", sent.len());
    assert_eq!(sent.last(), Some(&100_000), "the last count reaches the screen");
}
