//! Interop with clients nobody here wrote: Debian skopeo and PyPI oras (oras-py).

mod common;

use std::process::Command;

use common::{DistRegistry, refscope};
use serde_json::json;

fn skopeo(args: &[&str]) -> String {
    let out = common::skopeo(args);
    assert!(out.status.success(), "skopeo {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn python(script: &str) -> String {
    let out = Command::new("python3").arg("-c").arg(script).output().expect("python3 runs");
    assert!(
        out.status.success(),
        "oras-py failed (scripts/test installs it: pip install oras==0.2.43):\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn an_image_skopeo_pushed_is_discovered_copied_and_pulled_with_identical_digests() {
    let reg = DistRegistry::start();
    let assets = format!("{}/assets/net-monitor:v1", env!("CARGO_MANIFEST_DIR"));
    skopeo(&["copy", "--dest-tls-verify=false", &format!("oci:{assets}"), &format!("docker://{}/skopeo/net-monitor:v1", reg.addr)]);
    let raw = skopeo(&["inspect", "--raw", "--tls-verify=false", &format!("docker://{}/skopeo/net-monitor:v1", reg.addr)]);
    let digest = refscope::oci::Digest::sha256_of(raw.as_bytes()).to_string();
    let image = format!("{}/skopeo/net-monitor:v1", reg.addr);
    assert_eq!(refscope(["resolve", &image]).ok().trim(), digest);

    let w = common::walkthrough_files();
    let sig = common::digest_line(&refscope(["attach", &image, "--artifact-type", "signature/example", "./signature.json:application/json"]).current_dir(w.path()).ok());
    assert!(refscope(["discover", &image]).ok().contains(&sig));

    let copy = format!("{}/copied/net-monitor:v1", reg.addr);
    assert_eq!(common::digest_line(&refscope(["copy", "-r", &image, &copy]).ok()), digest);
    let raw_copy = skopeo(&["inspect", "--raw", "--tls-verify=false", &format!("docker://{copy}")]);
    assert_eq!(raw_copy, raw, "skopeo reads the same bytes back");
    assert!(refscope(["discover", &copy]).ok().contains(&sig));

    // Out to a layout with refscope, back in with skopeo: still the same digest.
    let dir = tempfile::tempdir().unwrap();
    let layout = format!("{}:v1", dir.path().join("out").display());
    refscope(["copy", "--to-oci-layout", &copy, &layout]).ok();
    skopeo(&["copy", "--dest-tls-verify=false", &format!("oci:{layout}"), &format!("docker://{}/roundtrip/net-monitor:v1", reg.addr)]);
    assert_eq!(refscope(["resolve", &format!("{}/roundtrip/net-monitor:v1", reg.addr)]).ok().trim(), digest);

    let pulled = tempfile::tempdir().unwrap();
    refscope(["pull", "-o", pulled.path().to_str().unwrap(), &format!("{}/copied/net-monitor@{sig}", reg.addr)]).ok();
    assert_eq!(common::read(pulled.path().join("signature.json")), common::read(w.path().join("signature.json")));
}

#[tokio::test(flavor = "multi_thread")]
async fn oras_py_pulls_what_refscope_pushed() {
    let reg = DistRegistry::start();
    let w = common::walkthrough_files();
    refscope(["push", &format!("{}/interop/files:v1", reg.addr), "--artifact-type", "readme/example", "./readme.md:application/markdown", "./signature.json"])
        .current_dir(w.path())
        .ok();
    let out = tempfile::tempdir().unwrap();
    python(&format!(
        "import oras.client\nc = oras.client.OrasClient(hostname='{0}', insecure=True)\nprint(c.pull(target='{0}/interop/files:v1', outdir='{1}'))",
        reg.addr,
        out.path().display()
    ));
    for f in ["readme.md", "signature.json"] {
        assert_eq!(common::read(out.path().join(f)), common::read(w.path().join(f)), "{f}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn an_artifact_oras_py_pushed_with_a_subject_is_discovered_once_listed() {
    let reg = DistRegistry::start();
    let image_digest = common::put_demo_image(&reg.addr, "app");
    let size = common::read_manifest_bytes(&reg.seeder(), "app", "v1").await.len();
    let w = common::walkthrough_files();
    let printed = python(&format!(
        "import os, oras.client, oras.oci\nos.chdir('{dir}')\nc = oras.client.OrasClient(hostname='{reg}', insecure=True)\ns = oras.oci.Subject(mediaType='application/vnd.oci.image.manifest.v1+json', digest='{d}', size={size})\nr = c.push(target='{reg}/app:oras-sig', files=['signature.json:application/json'], subject=s)\nprint(r.headers.get('Docker-Content-Digest'))",
        dir = w.path().display(),
        reg = reg.addr,
        d = image_digest,
    ));
    let pushed = printed.trim().to_string();
    assert!(pushed.starts_with("sha256:"), "{printed}");
    let image = format!("{}/app:v1", reg.addr);
    assert!(!refscope(["discover", &image]).ok().contains(&pushed), "not listed yet: oras-py keeps no index");

    // List it in the tag-schema index, as a client that does keep one would.
    let s = reg.seeder();
    let subject = refscope::oci::Descriptor::new("application/vnd.oci.image.manifest.v1+json", image_digest.parse().unwrap(), size as u64);
    let bytes = common::read_manifest_bytes(&s, "app", &pushed).await;
    let entry = refscope::oci::Descriptor::new("application/vnd.oci.image.manifest.v1+json", pushed.parse().unwrap(), bytes.len() as u64);
    s.fallback_index("app", &subject, &[(entry, "application/vnd.unknown.config.v1+json")]).await;
    let tree = refscope(["discover", &image]).ok();
    assert!(tree.contains(&pushed), "{tree}");
    let json: serde_json::Value = serde_json::from_str(&refscope(["discover", "-o", "json", &image]).ok()).unwrap();
    assert_eq!(json["manifests"][0]["digest"], json!(pushed));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_directory_packed_by_gnu_tar_is_pulled_and_unpacked() {
    // GNU tar's PAX format: long names and link targets travel in PAX records.
    let reg = DistRegistry::start();
    let w = common::walkthrough_files();
    let long = "n".repeat(150);
    std::fs::write(w.path().join("details/sub").join(&long), "long\n").unwrap();
    std::os::unix::fs::symlink(format!("sub/{long}"), w.path().join("details/link")).unwrap();
    let tgz = w.path().join("details.tar.gz");
    let out = Command::new("tar")
        .args(["--format=pax", "--sort=name", "-czf"])
        .arg(&tgz)
        .arg("details")
        .current_dir(w.path())
        .output()
        .expect("tar runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let s = reg.seeder();
    let layer = common::artifact::Layer::Dir("details".into(), std::fs::read(&tgz).unwrap());
    common::artifact::push_artifact(&s, "interop", "tar", &[layer]).await;
    let pulled = tempfile::tempdir().unwrap();
    let stdout = refscope(["pull", "-o", pulled.path().to_str().unwrap(), &format!("{}/interop:tar", reg.addr)]).ok();
    assert!(stdout.contains("details (directory, unpacked)"), "{stdout}");
    for f in ["details/a.txt".to_string(), "details/sub/b.txt".into(), format!("details/sub/{long}")] {
        assert_eq!(common::read(pulled.path().join(&f)), common::read(w.path().join(&f)), "{f}");
    }
    assert_eq!(std::fs::read_link(pulled.path().join("details/link")).unwrap(), std::path::PathBuf::from(format!("sub/{long}")));
}
