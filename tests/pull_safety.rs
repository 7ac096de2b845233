//! Pulling hostile artifacts from a real registry (CNCF distribution): whatever the layers and
//! tar entries say, nothing lands outside the output directory, a refused or failed pull
//! leaves the directory as it was, and decompression is bounded.

mod common;

use common::artifact::*;
use common::{DistRegistry, refscope};

fn pull(reg: &DistRegistry, tag: &str, out: &str) -> common::Cli {
    pull_with(reg, tag, out, &[])
}

fn pull_with(reg: &DistRegistry, tag: &str, out: &str, flags: &[&str]) -> common::Cli {
    let r = format!("{}/evil:{tag}", reg.addr);
    refscope(["pull", r.as_str(), "-o", out].into_iter().chain(flags.iter().copied()))
}

/// Permission bits as a new file or directory of `mode` gets them under this process's umask.
fn under_umask(mode: u32) -> String {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let umask = status.lines().find_map(|l| l.strip_prefix("Umask:")).map(|v| u32::from_str_radix(v.trim(), 8).unwrap()).unwrap();
    format!("{:o}", mode & !umask)
}

/// Pulls `tag` into a fresh output directory next to a sentinel, expects a refusal that
/// mentions `why`, and checks that nothing was written anywhere.
fn refused(reg: &DistRegistry, tag: &str, why: &str) {
    let arena = Arena::new();
    let err = pull(reg, tag, &arena.out_str()).fails();
    assert!(err.contains("refusing to write"), "{tag}: {err}");
    assert!(err.contains(why), "{tag}: expected `{why}` in: {err}");
    arena.assert_nothing_outside(tag);
    assert!(!arena.out().exists(), "{tag}: the output directory did not exist before, and does not now: {:?}", snapshot(&arena.out()));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_chain_of_links_across_layers_carries_nothing_outside() {
    let reg = DistRegistry::start();
    let s = reg.seeder();
    let chain = [dir("d/"), symlink("d/a", ".."), symlink("d/b", "a/..")];
    // The case: `d/b` is `d/a/..`, and `d/a` is the output directory itself.
    push_artifact(&s, "evil", "chain", &[dir_layer("d", &chain), file_layer("d/b/x.txt", b"escaped")]).await;
    // The links alone: `d/b` resolves above the output directory.
    push_artifact(&s, "evil", "links", &[dir_layer("d", &chain)]).await;
    // A later layer's file through an earlier layer's link, even one that stays inside.
    let inside = [dir("d/"), dir("d/sub/"), symlink("d/l", "sub")];
    push_artifact(&s, "evil", "file-via-link", &[dir_layer("d", &inside), file_layer("d/l/x.txt", b"x")]).await;
    // A later layer's tar entries through an earlier layer's link.
    push_artifact(&s, "evil", "tar-via-link", &[dir_layer("d", &inside), dir_layer("d/l", &[file("d/l/y.txt", b"y")])]).await;
    // A longer chain, each step inside on its own.
    let long = [dir("d/"), dir("d/e/"), symlink("d/e/up", ".."), symlink("d/e/f", "up/.."), symlink("d/g", "e/f/../..")];
    push_artifact(&s, "evil", "long-chain", &[dir_layer("d", &long)]).await;
    refused(&reg, "chain", "it goes through the link `d/b`");
    for tag in ["links", "long-chain"] {
        refused(&reg, tag, "resolves outside the output directory");
    }
    for tag in ["file-via-link", "tar-via-link"] {
        refused(&reg, tag, "goes through the link `d/l`");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_link_that_leaves_through_a_link_already_in_the_directory_is_refused() {
    let reg = DistRegistry::start();
    let s = reg.seeder();
    push_artifact(&s, "evil", "via-existing", &[dir_layer("d", &[dir("d/"), symlink("d/l", "../old/x")])]).await;
    let arena = Arena::new();
    std::fs::create_dir(arena.out()).unwrap();
    std::os::unix::fs::symlink("../sentinel", arena.out().join("old")).unwrap();
    let before = snapshot(&arena.out());
    let err = pull(&reg, "via-existing", &arena.out_str()).fails();
    assert!(err.contains("outside the output directory"), "{err}");
    assert_eq!(snapshot(&arena.out()), before);
    arena.assert_nothing_outside("via-existing");
}

#[tokio::test(flavor = "multi_thread")]
async fn hard_links_only_name_files_this_pull_wrote() {
    let reg = DistRegistry::start();
    let s = reg.seeder();
    // A hard link to a link: the copy `d/h` says `../..` from another place, above the output.
    let to_link = [dir("d/"), dir("d/s1/"), dir("d/s1/s2/"), symlink("d/s1/s2/l", "../.."), hardlink("d/h", "d/s1/s2/l")];
    push_artifact(&s, "evil", "to-link", &[dir_layer("d", &to_link)]).await;
    // A hard link whose source is reached through a link.
    let via = [dir("d/"), dir("d/sub/"), file("d/sub/f", b"f"), symlink("d/l", "sub"), hardlink("d/h", "d/l/f")];
    push_artifact(&s, "evil", "via-link", &[dir_layer("d", &via)]).await;
    // Hard links to things this pull did not write: outside, absent, a directory.
    push_artifact(&s, "evil", "to-passwd", &[dir_layer("d", &[dir("d/"), hardlink("d/h", "/etc/passwd")])]).await;
    push_artifact(&s, "evil", "to-absent", &[dir_layer("d", &[dir("d/"), hardlink("d/h", "d/missing")])]).await;
    push_artifact(&s, "evil", "to-dir", &[dir_layer("d", &[dir("d/"), dir("d/sub/"), hardlink("d/h", "d/sub")])]).await;
    refused(&reg, "to-link", "a hard link to the link `d/s1/s2/l`");
    refused(&reg, "via-link", "goes through the link `d/l`");
    refused(&reg, "to-passwd", "absolute");
    refused(&reg, "to-absent", "not a file this pull wrote");
    refused(&reg, "to-dir", "not a file this pull wrote");

    // A file in the directory before the pull is not this pull's to link to.
    push_artifact(&s, "evil", "to-existing", &[dir_layer("d", &[dir("d/"), hardlink("d/h", "secret.txt")])]).await;
    let arena = Arena::new();
    std::fs::create_dir(arena.out()).unwrap();
    write_file(&arena.out().join("secret.txt"), b"mine");
    let before = snapshot(&arena.out());
    let err = pull(&reg, "to-existing", &arena.out_str()).fails();
    assert!(err.contains("not a file this pull wrote"), "{err}");
    assert_eq!(snapshot(&arena.out()), before);

    // A hard link to a file of this pull, in the same or an earlier layer, is fine.
    let ok = [dir("d/"), file("d/f", b"content"), hardlink("d/h", "d/f"), hardlink("d/g", "top.txt")];
    push_artifact(&s, "evil", "fine", &[file_layer("top.txt", b"top"), dir_layer("d", &ok)]).await;
    let arena = Arena::new();
    pull(&reg, "fine", &arena.out_str()).ok();
    let out = arena.out();
    assert_eq!(std::fs::read(out.join("d/h")).unwrap(), b"content");
    assert_eq!(std::fs::read(out.join("d/g")).unwrap(), b"top");
    use std::os::unix::fs::MetadataExt;
    assert_eq!(std::fs::metadata(out.join("d/h")).unwrap().ino(), std::fs::metadata(out.join("d/f")).unwrap().ino());
}

#[tokio::test(flavor = "multi_thread")]
async fn two_files_with_the_same_content_both_arrive() {
    let reg = DistRegistry::start();
    let s = reg.seeder();
    // Two layers, one digest: a legitimate ORAS artifact.
    push_artifact(&s, "evil", "twins", &[file_layer("a.txt", b"same"), file_layer("b.txt", b"same"), file_layer("sub/c.txt", b"same")]).await;
    let out = tempfile::tempdir().unwrap();
    let stdout = pull(&reg, "twins", out.path().to_str().unwrap()).ok();
    assert!(stdout.contains("b.txt"), "{stdout}");
    let f = format!("file {} \"same\"", under_umask(0o644));
    let d = format!("dir {}", under_umask(0o755));
    assert_eq!(
        snapshot(out.path()),
        [("a.txt", &f), ("b.txt", &f), ("sub", &d), ("sub/c.txt", &f)].map(|(a, b)| (a.to_string(), b.clone()))
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_pull_that_fails_leaves_the_directory_as_it_was() {
    let reg = DistRegistry::start();
    let s = reg.seeder();
    let new_a = file_layer("a.txt", b"new content");
    push_artifact(&s, "evil", "late-hardlink", &[file_layer("a.txt", b"new content"), dir_layer("d", &[dir("d/"), hardlink("d/h", "d/missing")])]).await;
    push_artifact(&s, "evil", "dir-in-the-way", &[file_layer("a.txt", b"new content"), file_layer("keep", b"oops")]).await;
    push_artifact(&s, "evil", "same-digest", &[new_a, file_layer("b.txt", b"new content")]).await;
    push_artifact(&s, "evil", "file-then-dir", &[file_layer("a.txt", b"new content"), file_layer("n", b"n"), file_layer("n/x", b"x")]).await;
    push_artifact(&s, "evil", "link-on-the-way", &[file_layer("a.txt", b"new content"), file_layer("lnk/x.txt", b"x")]).await;
    push_artifact(&s, "evil", "bad-archive", &[file_layer("a.txt", b"new content"), Layer::Dir("d".into(), b"not gzip".to_vec())]).await;

    for (tag, should_succeed) in
        [("late-hardlink", false), ("dir-in-the-way", false), ("same-digest", true), ("file-then-dir", false), ("link-on-the-way", false), ("bad-archive", false)]
    {
        let arena = Arena::new();
        let out = arena.out();
        std::fs::create_dir_all(out.join("keep/deeper")).unwrap();
        write_file(&out.join("a.txt"), b"old content");
        write_file(&out.join("keep/x"), b"x");
        std::os::unix::fs::symlink("keep", out.join("lnk")).unwrap();
        let before = snapshot(&out);
        let result = pull(&reg, tag, &arena.out_str()).output();
        let stderr = String::from_utf8_lossy(&result.stderr);
        arena.assert_nothing_outside(tag);
        if should_succeed {
            assert!(result.status.success(), "{tag}: {stderr}");
            assert_eq!(std::fs::read(out.join("b.txt")).unwrap(), b"new content");
            continue;
        }
        assert!(!result.status.success(), "{tag} should fail");
        assert_eq!(stderr.lines().count(), 1, "{tag}: one line: {stderr}");
        assert_eq!(snapshot(&out), before, "{tag}: the directory changed: {stderr}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn names_are_checked_across_layers() {
    let reg = DistRegistry::start();
    let s = reg.seeder();
    push_artifact(&s, "evil", "file-then-dir", &[file_layer("n", b"n"), file_layer("n/x", b"x")]).await;
    push_artifact(&s, "evil", "dir-then-file", &[file_layer("n/x", b"x"), file_layer("n", b"n")]).await;
    push_artifact(&s, "evil", "title-and-entry", &[dir_layer("d", &[dir("d/"), file("d/a.txt", b"1")]), file_layer("d/a.txt", b"2")]).await;
    push_artifact(&s, "evil", "staging-name", &[file_layer(".refscope-pull-abc/x", b"x")]).await;
    push_artifact(&s, "evil", "outside-title", &[dir_layer("d", &[dir("d/"), file("other/x.txt", b"x")])]).await;
    push_artifact(&s, "evil", "fifo", &[dir_layer("d", &[dir("d/"), Entry::Fifo("d/p".into())])]).await;
    push_artifact(&s, "evil", "device", &[dir_layer("d", &[dir("d/"), Entry::CharDevice("d/null".into())])]).await;
    push_artifact(&s, "evil", "long-part", &[dir_layer("d", &[dir("d/"), file(&format!("d/{}", "x".repeat(256)), b"x")])]).await;
    let deep = format!("d/{}", "a/".repeat(2100));
    push_artifact(&s, "evil", "long-path", &[dir_layer("d", &[dir("d/"), file(&format!("{deep}x"), b"x")])]).await;
    refused(&reg, "file-then-dir", "`n` is a file");
    refused(&reg, "dir-then-file", "a directory of that name");
    refused(&reg, "title-and-entry", "two layers write it");
    refused(&reg, "staging-name", "reserved");
    refused(&reg, "outside-title", "not inside the layer's directory `d`");
    refused(&reg, "fifo", "not extracted");
    refused(&reg, "device", "not extracted");
    refused(&reg, "long-part", "longer than 255 bytes");
    refused(&reg, "long-path", "too long");
}

#[tokio::test(flavor = "multi_thread")]
async fn ordinary_archives_unpack_as_before() {
    let reg = DistRegistry::start();
    let s = reg.seeder();
    // `./`-prefixed names, a root entry, setuid and sticky bits, a link that stays inside.
    let entries = [
        dir("./"),
        dir("./d/"),
        Entry::FileMode("./d/tool".into(), b"#!/bin/sh\n".to_vec(), 0o6755),
        Entry::FileMode("./d/notes".into(), b"n".to_vec(), 0o1644),
        symlink("d/tool-link", "tool"),
        symlink("d/up", "../top.txt"),
    ];
    push_artifact(&s, "evil", "ordinary", &[file_layer("top.txt", b"top"), dir_layer("d", &entries)]).await;
    let out = tempfile::tempdir().unwrap();
    pull(&reg, "ordinary", out.path().to_str().unwrap()).ok();
    let got = snapshot(out.path());
    let find = |p: &str| got.iter().find(|(n, _)| n == p).map(|(_, k)| k.clone()).unwrap_or_else(|| panic!("{p} missing: {got:?}"));
    assert_eq!(find("d/tool"), format!("file {} \"#!/bin/sh\\n\"", under_umask(0o755)), "no setuid or setgid bit survives");
    assert_eq!(find("d/notes"), format!("file {} \"n\"", under_umask(0o644)), "no sticky bit");
    assert_eq!(find("d/tool-link"), "link -> tool");
    assert_eq!(find("d/up"), "link -> ../top.txt");
    assert_eq!(std::fs::read(out.path().join("d/up")).unwrap(), b"top");
    assert!(got.iter().all(|(n, _)| !n.starts_with(".refscope")), "no staging left: {got:?}");

    // A gzip stream of several members (as `cat a.gz b.gz` or pigz make) is read whole, as Go's
    // gzip reader (and so ORAS) reads it.
    let raw = tar(&[dir("m/"), file("m/one.txt", b"1"), file("m/two.txt", b"2")]);
    let mut two = common::seed::gzip(&raw[..1024]);
    two.extend(common::seed::gzip(&raw[1024..]));
    push_artifact(&s, "evil", "members", &[Layer::Dir("m".into(), two)]).await;
    let out = tempfile::tempdir().unwrap();
    pull(&reg, "members", out.path().to_str().unwrap()).ok();
    assert_eq!(std::fs::read(out.path().join("m/two.txt")).unwrap(), b"2");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_gzip_bomb_is_stopped_by_default() {
    let reg = DistRegistry::start();
    let s = reg.seeder();
    // 8 GiB and 1 MiB of zeros in about 8 MB.
    let bomb = zero_file_bomb("d/zeros", (8 << 30) + (1 << 20));
    assert!(bomb.len() < 16 << 20, "{}", bomb.len());
    push_artifact(&s, "evil", "bomb", &[file_layer("a.txt", b"a"), Layer::Dir("d".into(), bomb)]).await;
    refused(&reg, "bomb", "unpacks to more than 8 GiB; if you trust it, raise --max-unpacked-bytes");

    // Just over a million entries, all the directory `d/`, in a few hundred kilobytes.
    let mut h = tar::Header::new_gnu();
    h.set_entry_type(tar::EntryType::Directory);
    h.set_size(0);
    h.set_mode(0o755);
    h.as_old_mut().name[..2].copy_from_slice(b"d/");
    h.set_cksum();
    let many = repeated_gzip(b"", &h.as_bytes().repeat(128), 7813, &[0u8; 1024]);
    push_artifact(&s, "evil", "entries", &[Layer::Dir("d".into(), many)]).await;
    refused(&reg, "entries", "more than 1000000 entries; if you trust it, raise --max-unpacked-entries");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_unpack_limits_can_be_raised() {
    let reg = DistRegistry::start();
    let s = reg.seeder();
    push_artifact(&s, "evil", "three-mib", &[Layer::Dir("d".into(), zero_file_bomb("d/zeros", 3 << 20))]).await;
    let entries: Vec<Entry> = std::iter::once(dir("d/")).chain((0..30).map(|i| file(&format!("d/{i}"), b"x"))).collect();
    push_artifact(&s, "evil", "thirty", &[dir_layer("d", &entries)]).await;

    let arena = Arena::new();
    let err = pull_with(&reg, "three-mib", &arena.out_str(), &["--max-unpacked-bytes", "1MiB"]).fails();
    assert!(err.contains("unpacks to more than 1 MiB"), "{err}");
    assert!(!arena.out().exists());
    pull_with(&reg, "three-mib", &arena.out_str(), &["--max-unpacked-bytes", "4MiB"]).ok();
    assert_eq!(std::fs::metadata(arena.out().join("d/zeros")).unwrap().len(), 3 << 20);

    let arena = Arena::new();
    let err = pull_with(&reg, "thirty", &arena.out_str(), &["--max-unpacked-entries", "10"]).fails();
    assert!(err.contains("more than 10 entries"), "{err}");
    assert!(!arena.out().exists());
    pull_with(&reg, "thirty", &arena.out_str(), &["--max-unpacked-entries", "31"]).ok();
    assert_eq!(snapshot(&arena.out().join("d")).len(), 30);

    let bad = pull_with(&reg, "thirty", &arena.out_str(), &["--max-unpacked-bytes", "lots"]).output();
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("`lots` is not a size"));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_tar_header_extension_is_not_read_into_memory_unbounded() {
    let reg = DistRegistry::start();
    let s = reg.seeder();
    // A GNU long-name entry claiming a 1 GiB name: refused at the header, not buffered.
    let huge = repeated_gzip(&long_name_header(1 << 30), &vec![b'a'; 1 << 20], 1024, &[0u8; 1024]);
    push_artifact(&s, "evil", "long-name", &[Layer::Dir("d".into(), huge)]).await;
    refused(&reg, "long-name", "a tar header extension (long name or PAX record) over 1 MiB");
}

#[test]
fn the_bomb_builder_makes_valid_gzip() {
    let gz = repeated_gzip(b"head-", b"chunk-", 5, b"tail");
    let mut out = String::new();
    std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(&gz[..]), &mut out).unwrap();
    assert_eq!(out, "head-chunk-chunk-chunk-chunk-chunk-tail");
}
