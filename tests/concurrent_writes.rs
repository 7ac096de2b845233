//! Writers in separate processes at the same time: attaches to one subject on a registry
//! without the Referrers API (some of them slowed down), and pushes and tags into one OCI
//! layout. Nothing a writer reported done may be missing afterwards.

mod common;

use common::refscope;

const STREAMS: usize = 4;
const ATTACHES: usize = 10;

/// 4 processes at a time pushing and tagging into one OCI layout that none of them finds
/// there at first: every tag each one reported is in `index.json` at the end.
#[test]
fn concurrent_pushes_and_tags_into_one_layout_lose_no_tag() {
    let work = tempfile::tempdir().unwrap();
    let layout = work.path().join("shared");
    let layout = layout.to_str().unwrap();
    std::thread::scope(|s| {
        for stream in 0..STREAMS {
            let dir = work.path();
            s.spawn(move || {
                for i in 0..ATTACHES {
                    let file = dir.join(format!("f-{stream}-{i}.txt"));
                    std::fs::write(&file, format!("stream {stream} file {i}")).unwrap();
                    let tag = format!("{layout}:t-{stream}-{i}");
                    refscope(["push", "--oci-layout", &tag, file.to_str().unwrap()]).current_dir(dir).ok();
                    refscope(["tag", "--oci-layout", &tag, &format!("alias-{stream}-{i}")]).ok();
                }
            });
        }
    });
    let tags = refscope(["repo", "tags", "--oci-layout", layout]).ok();
    let tags: Vec<&str> = tags.lines().collect();
    let missing: Vec<String> = (0..STREAMS)
        .flat_map(|s| (0..ATTACHES).flat_map(move |i| [format!("t-{s}-{i}"), format!("alias-{s}-{i}")]))
        .filter(|t| !tags.contains(&t.as_str()))
        .collect();
    assert!(missing.is_empty(), "{} of {} tags lost: {missing:?}", missing.len(), 2 * STREAMS * ATTACHES);
    assert_eq!(tags.len(), 2 * STREAMS * ATTACHES, "{tags:?}");
}
