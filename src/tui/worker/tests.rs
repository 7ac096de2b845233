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
        .handle(Effect::PlanCopy { id: 7, repo, reference: TagOrDigest::Tag(crate::demo::TAG.into()), tag: None, destination, lease: lease.clone() })
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
    shared.clone().handle(effect).await;
    assert!(matches!(events.recv().await, Some(WorkerEvent::DeletePlanned { id: 3, result: Ok(_) })));
    assert!(settle(|| shared.deletes.len() == 0).await);
}
