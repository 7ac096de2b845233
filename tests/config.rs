//! The config file against a real distribution: aliases, per-registry TLS, forced referrers
//! modes, request concurrency, `refscope config`, and bad files (exit 2, one line naming the
//! file, line and column; unknown keys warned about by name).

mod common;

use std::path::Path;

use common::pki::Pki;
use common::{DistConfig, DistRegistry, DistTls, refscope};

fn write_config(text: &str) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.toml");
    std::fs::write(&path, text).unwrap();
    (dir, path)
}

fn seeded() -> DistRegistry {
    let reg = DistRegistry::start();
    common::put_demo_image(&reg.addr, "net-monitor");
    reg
}

#[test]
fn an_alias_names_the_registry_in_references() {
    let reg = seeded();
    let (_d, path) = write_config(&format!("[registry.\"{}\"]\nalias = \"prod\"\n", reg.addr));
    let out = refscope(["repo", "tags", "prod/net-monitor"]).env("REFSCOPE_CONFIG", &path).ok();
    assert_eq!(out.trim(), "v1");
    let out = refscope(["repo", "ls", "prod"]).env("REFSCOPE_CONFIG", &path).ok();
    assert_eq!(out.trim(), "net-monitor");
}

#[test]
fn a_registry_s_tls_files_come_from_the_config() {
    let pki = Pki::new();
    let reg = DistRegistry::start_with(DistConfig {
        tls: Some(DistTls {
            cert: pki.path("server.crt"),
            key: pki.path("server.key"),
            client_ca: Some(pki.path("ca.crt")),
        }),
        ..DistConfig::default()
    });
    let (_d, path) = write_config(&format!(
        "[registry.\"{}\"]\nca_file = \"{}\"\ncert_file = \"{}\"\nkey_file = \"{}\"\n",
        reg.addr,
        pki.path("ca.crt").display(),
        pki.path("client.crt").display(),
        pki.path("client.key").display()
    ));
    refscope(["copy", "--from-oci-layout", "assets/net-monitor:v1", &format!("{}/net-monitor:v1", reg.addr)])
        .current_dir(Path::new(env!("CARGO_MANIFEST_DIR")))
        .env("REFSCOPE_CONFIG", &path)
        .ok();
    let out = refscope(["repo", "tags", &format!("{}/net-monitor", reg.addr)]).env("REFSCOPE_CONFIG", &path).ok();
    assert_eq!(out.trim(), "v1");
    let err = refscope(["repo", "tags", &format!("{}/net-monitor", reg.addr)]).fails();
    assert!(err.contains("not trusted"), "without the file: {err}");
}

#[test]
fn a_forced_referrers_mode_is_used() {
    let reg = seeded();
    let image = format!("{}/net-monitor:v1", reg.addr);
    let (_d, api) = write_config(&format!("[registry.\"{}\"]\nreferrers = \"api\"\n", reg.addr));
    let err = refscope(["discover", &image]).env("REFSCOPE_CONFIG", &api).fails();
    assert!(err.contains("no Referrers API") && err.contains("referrers = \"api\""), "{err}");
    let (_d2, tags) = write_config(&format!("[registry.\"{}\"]\nreferrers = \"tag-schema\"\n", reg.addr));
    refscope(["discover", &image]).env("REFSCOPE_CONFIG", &tags).ok();
    refscope(["discover", &image]).ok();
}

#[test]
fn bad_files_exit_2_with_the_line_and_column() {
    let (_d, path) = write_config("[registry.\"localhost:5000\"]\ninsecure = \"yes\"\n");
    for args in [vec!["repo", "tags", "localhost:1/x"], vec!["config"]] {
        let out = refscope(args).env("REFSCOPE_CONFIG", &path).output();
        assert_eq!(out.status.code(), Some(2));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(stderr.starts_with(&format!("Error: config {}:2:12: ", path.display())), "{stderr}");
    }
    let (_d, path) = write_config("[registry.\"r.example\"]\nalias = \"r.example:443\"\n");
    let out = refscope(["config"]).env("REFSCOPE_CONFIG", &path).output();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("looks like a registry host"));
}

#[test]
fn unknown_keys_are_named_and_the_rest_applies() {
    let reg = seeded();
    let (_d, path) = write_config(&format!("colours = \"dark\"\n[registry.\"{}\"]\nalias = \"prod\"\nalais = \"x\"\n", reg.addr));
    let out = refscope(["repo", "tags", "prod/net-monitor"]).env("REFSCOPE_CONFIG", &path).output();
    assert!(out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("unknown key `colours`") && stderr.contains(&format!("unknown key `registry.\"{}\".alais`", reg.addr)), "{stderr}");
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "v1");
}

#[test]
fn config_prints_the_path_and_the_settings() {
    let (_d, path) = write_config("[registry.\"r.example:5000\"]\nalias = \"prod\"\nconcurrency = 3\nkey_file = \"/k\"\ncert_file = \"/c\"\n");
    let out = refscope(["config"]).env("REFSCOPE_CONFIG", &path).ok();
    assert!(out.contains(&format!("# config file: {}", path.display())), "{out}");
    assert!(out.contains("[registry.\"r.example:5000\"]") && out.contains("alias = \"prod\"") && out.contains("concurrency = 3"), "{out}");
    let none = refscope(["config"]).ok();
    assert!(none.contains("refscope/config.toml (not there; defaults in force)"), "{none}");
}

#[tokio::test(flavor = "multi_thread")]
async fn request_concurrency_is_bounded() {
    use refscope::store::Target;
    let reg = seeded();
    let (_d, path) = write_config(&format!("[registry.\"{}\"]\nconcurrency = 2\n", reg.addr));
    let config = refscope::config::Config::load_from(&path).unwrap();
    let chain = refscope::creds::Chain {
        no_keyring: true,
        config_path: Some("/nonexistent/config.json".into()),
        ..Default::default()
    };
    let session = refscope::store::open::Session::new(chain, Default::default())
        .with_config(std::sync::Arc::new(config));
    let c = session.registry(&reg.addr).unwrap();
    let all = (0..16).map(|_| c.resolve("net-monitor", "v1"));
    for r in futures_util::future::join_all(all).await {
        r.unwrap();
    }
    assert!(c.peak_in_flight() <= 2, "peaked at {}", c.peak_in_flight());
    assert!(c.peak_in_flight() >= 1);
}

#[test]
fn config_checks_the_keys_and_theme_tables_and_prints_them() {
    let (_d, path) = write_config("[keys]\ndelete = \"D\"\nrefresh = [\"r\", \"F5\"]\n");
    let out = refscope(["config"]).env("REFSCOPE_CONFIG", &path).ok();
    assert!(out.contains("[keys]\ndelete = [\"D\"]\nrefresh = [\"r\", \"F5\"]"), "{out}");
    let (_d, path) = write_config("[keys]\ndelete = \"D\"\n\nattach = \"Enter\"\n");
    let out = refscope(["config"]).env("REFSCOPE_CONFIG", &path).output();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.starts_with(&format!("Error: config {}:4:1: [keys] attach: Enter is a navigation key", path.display())), "{stderr}");
    let (_d, path) = write_config("[theme]\naccent = \"magenta\"\nerror = \"blurple\"\n");
    let out = refscope(["config"]).env("REFSCOPE_CONFIG", &path).output();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.starts_with(&format!("Error: config {}:3:1: [theme] error: `blurple` is not a colour", path.display())), "{stderr}");
    let (_d, path) = write_config("[theme]\naccent = \"magenta\"\n");
    let out = refscope(["config"]).env("REFSCOPE_CONFIG", &path).ok();
    assert!(out.contains("[theme]\naccent = \"magenta\""), "{out}");
    // The verbs read no keys or colours: a mistake there does not stop them.
    let (_d, path) = write_config("[keys]\nattach = \"Enter\"\n[theme]\nerror = \"blurple\"\n");
    refscope(["repo", "tags", "--oci-layout", "assets/net-monitor"]).current_dir(Path::new(env!("CARGO_MANIFEST_DIR"))).env("REFSCOPE_CONFIG", &path).ok();
}
