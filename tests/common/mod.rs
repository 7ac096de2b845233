//! Test harness: real registries on 127.0.0.1 (CNCF distribution as a process, a Referrers-API
//! server in-process), raw-HTTP seeding, and a runner for the refscope binary.
#![allow(dead_code)]

pub mod api_server;
pub mod artifact;
pub mod front;
pub mod pki;
pub mod proxy;
pub mod release;
pub mod seed;
pub mod screen;
pub mod serve;
pub mod terminal;
pub mod token_server;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::json;

pub use seed::Seeder;

/// Options for a distribution instance.
#[derive(Clone, Default)]
pub struct DistConfig {
    /// `(user, password)` pairs for htpasswd basic auth.
    pub users: Vec<(String, String)>,
    /// Leave `storage.delete` off (DELETE answers 405).
    pub deletes_disabled: bool,
    /// Token auth: (realm URL, service, issuer, root cert bundle path).
    pub token: Option<(String, String, String, PathBuf)>,
    /// Serve TLS with this certificate and key; with `client_ca`, require a client
    /// certificate that CA signed.
    pub tls: Option<DistTls>,
    /// Run at this niceness, standing in for a registry on another machine: on the benchmark's
    /// two cores it then takes CPU time only when refscope and the terminal leave some.
    pub nice: Option<i32>,
}

#[derive(Clone)]
pub struct DistTls {
    pub cert: PathBuf,
    pub key: PathBuf,
    pub client_ca: Option<PathBuf>,
}

/// A CNCF distribution (`docker-registry`) process with its own storage, stopped on drop.
pub struct DistRegistry {
    child: Option<Child>,
    pub addr: String,
    pub dir: tempfile::TempDir,
    config: DistConfig,
}

pub fn require(program: &str) {
    let found = Command::new("sh")
        .args(["-c", &format!("command -v {program}")])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    assert!(
        found,
        "`{program}` is not installed; these tests need it. Run scripts/test, which installs what the suite needs."
    );
}

impl DistRegistry {
    /// CPU time the registry process has used so far (user + system), from /proc.
    pub fn cpu_time(&self) -> Duration {
        let Some(pid) = self.child.as_ref().map(|c| c.id()) else { return Duration::ZERO };
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
        // Fields after the parenthesised command name: state first, utime and stime 12th and
        // 13th, in clock ticks (100 per second on Linux).
        let rest = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
        let f: Vec<&str> = rest.split_whitespace().collect();
        let tick = |i: usize| f.get(i).and_then(|x| x.parse::<u64>().ok()).unwrap_or(0);
        Duration::from_millis((tick(11) + tick(12)) * 10)
    }

    pub fn start() -> DistRegistry {
        DistRegistry::start_with(DistConfig::default())
    }

    pub fn start_with(config: DistConfig) -> DistRegistry {
        require("docker-registry");
        let dir = tempfile::tempdir().expect("temp dir");
        let mut reg = DistRegistry {
            child: None,
            addr: String::new(),
            dir,
            config,
        };
        reg.launch("127.0.0.1:0");
        reg
    }

    fn launch(&mut self, addr: &str) {
        let root = self.dir.path();
        let mut cfg = format!(
            "version: 0.1\nlog:\n  level: info\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: {}\n  delete:\n    enabled: {}\n  maintenance:\n    uploadpurging:\n      enabled: false\nhttp:\n  addr: {addr}\n  secret: refscope-test-secret\n",
            root.join("data").display(),
            !self.config.deletes_disabled
        );
        // Under `http:`, which the lines above end with.
        if let Some(tls) = &self.config.tls {
            cfg.push_str(&format!("  tls:\n    certificate: {}\n    key: {}\n", tls.cert.display(), tls.key.display()));
            if let Some(ca) = &tls.client_ca {
                cfg.push_str(&format!("    clientcas:\n      - {}\n", ca.display()));
            }
        }
        if !self.config.users.is_empty() {
            require("htpasswd");
            let mut lines = String::new();
            for (u, p) in &self.config.users {
                let out = Command::new("htpasswd").args(["-Bbn", u, p]).output().expect("htpasswd runs");
                assert!(out.status.success(), "htpasswd failed");
                lines.push_str(String::from_utf8_lossy(&out.stdout).trim());
                lines.push('\n');
            }
            std::fs::write(root.join("htpasswd"), lines).unwrap();
            cfg.push_str(&format!(
                "auth:\n  htpasswd:\n    realm: test-realm\n    path: {}\n",
                root.join("htpasswd").display()
            ));
        }
        if let Some((realm, service, issuer, bundle)) = &self.config.token {
            cfg.push_str(&format!(
                "auth:\n  token:\n    realm: {realm}\n    service: {service}\n    issuer: {issuer}\n    rootcertbundle: {}\n",
                bundle.display()
            ));
        }
        let cfg_path = root.join("config.yml");
        std::fs::write(&cfg_path, cfg).unwrap();
        let log_path = root.join("registry.log");
        let log = std::fs::File::create(&log_path).unwrap();
        let mut command = match self.config.nice {
            Some(n) => {
                let mut c = Command::new("nice");
                c.args(["-n", &n.to_string(), "docker-registry"]);
                c
            }
            None => Command::new("docker-registry"),
        };
        let child = command
            .arg("serve")
            .arg(&cfg_path)
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("docker-registry starts");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let text = std::fs::read_to_string(&log_path).unwrap_or_default();
            if let Some(i) = text.find("listening on ") {
                let rest = &text[i + "listening on ".len()..];
                self.addr = rest.split(['"', ' ', ',', '\n']).next().unwrap_or_default().to_string();
                break;
            }
            assert!(Instant::now() < deadline, "docker-registry did not start:\n{text}");
            std::thread::sleep(Duration::from_millis(20));
        }
        while http_status(&self.addr, "/v2/").is_none() {
            assert!(Instant::now() < deadline, "docker-registry does not answer on {}", self.addr);
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Stops the process (SIGKILL by PID), keeping its storage.
    pub fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Starts again on the same address and storage.
    pub fn restart(&mut self) {
        self.stop();
        let addr = self.addr.clone();
        self.launch(&addr);
    }

    /// Restarts with another configuration (e.g. auth switched on), same address and storage.
    pub fn reconfigure(&mut self, config: DistConfig) {
        self.config = config;
        self.restart();
    }

    pub fn seeder(&self) -> Seeder {
        Seeder::new(&self.addr)
    }

    /// Manifest digests the repository still holds, read from distribution's storage: a
    /// revision stays linked until its manifest is deleted, tagged or not.
    pub fn stored_manifests(&self, repo: &str) -> Vec<String> {
        let dir = self
            .dir
            .path()
            .join("data/docker/registry/v2/repositories")
            .join(repo)
            .join("_manifests/revisions/sha256");
        let mut out: Vec<String> = std::fs::read_dir(&dir)
            .map(|rd| {
                rd.filter_map(|e| e.ok())
                    .filter(|e| e.path().join("link").exists())
                    .map(|e| format!("sha256:{}", e.file_name().to_string_lossy()))
                    .collect()
            })
            .unwrap_or_default();
        out.sort();
        out
    }
}

impl Drop for DistRegistry {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The status of a plain GET, or None if nothing answers.
pub fn http_status(addr: &str, path: &str) -> Option<u16> {
    let mut s = TcpStream::connect(addr).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
    write!(s, "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n").ok()?;
    let mut line = String::new();
    BufReader::new(&mut s).read_line(&mut line).ok()?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Variables a test's refscope must not take from the environment it was started in: they
/// would point it at the developer's config, caches, credentials or logs.
const INHERITED: [&str; 9] = [
    "REFSCOPE_USERNAME",
    "REFSCOPE_PASSWORD",
    "REFSCOPE_CONFIG",
    "REFSCOPE_CACHE_DIR",
    "REFSCOPE_CACHE_MIB",
    "REFSCOPE_LOG",
    "REFSCOPE_LOG_FILE",
    "NO_COLOR",
    "DBUS_SESSION_BUS_ADDRESS",
];

/// The private environment under `home`: no Docker config, no keyring, no certificates
/// directories, caches, config and state (the TUI's recent targets) under `home`.
fn private_env(home: &Path) -> [(&'static str, PathBuf); 7] {
    [
        ("HOME", home.to_path_buf()),
        ("DOCKER_CONFIG", home.join("docker")),
        ("XDG_CACHE_HOME", home.join("cache")),
        ("XDG_CONFIG_HOME", home.join("config")),
        ("XDG_STATE_HOME", home.join("state")),
        ("REFSCOPE_CERTS_D", home.join("certs.d")),
        ("REFSCOPE_NO_KEYRING", PathBuf::from("1")),
    ]
}

/// Gives a command (refscope, or a shell that runs it) a private HOME: no Docker config, no
/// keyring, no credentials from the environment, caches and logs under `home`.
pub fn isolate(cmd: &mut Command, home: &Path) {
    for (k, v) in private_env(home) {
        cmd.env(k, v);
    }
    for k in INHERITED {
        cmd.env_remove(k);
    }
}

/// The same as [`isolate`], as shell commands, for a script run where the test cannot set
/// the environment (a tmux pane).
pub fn isolate_in_shell(home: &Path) -> String {
    let exports: Vec<String> = private_env(home).iter().map(|(k, v)| format!("{k}='{}'", v.display())).collect();
    format!("export {}; unset {};", exports.join(" "), INHERITED.join(" "))
}

/// Runs skopeo with `args` and a private HOME, so that no login or registries file of the
/// user's plays a part.
pub fn skopeo<I, S>(args: I) -> Output
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    require("skopeo");
    let home = tempfile::tempdir().unwrap();
    let mut cmd = Command::new("skopeo");
    cmd.args(args);
    isolate(&mut cmd, home.path());
    cmd.output().expect("skopeo runs")
}

/// Runs the refscope binary with an isolated environment: no Docker config, no keyring,
/// logs in a temp file.
pub struct Cli {
    cmd: Command,
    stdin: Option<Vec<u8>>,
    _home: tempfile::TempDir,
}

pub fn refscope<I, S>(args: I) -> Cli
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    let home = tempfile::tempdir().unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_refscope"));
    cmd.args(args);
    isolate(&mut cmd, home.path());
    Cli {
        cmd,
        stdin: None,
        _home: home,
    }
}

impl Cli {
    pub fn env(mut self, k: &str, v: impl AsRef<std::ffi::OsStr>) -> Cli {
        self.cmd.env(k, v);
        self
    }

    pub fn current_dir(mut self, d: &Path) -> Cli {
        self.cmd.current_dir(d);
        self
    }

    pub fn stdin(mut self, bytes: &[u8]) -> Cli {
        self.stdin = Some(bytes.to_vec());
        self
    }

    pub fn home(&self) -> &Path {
        self._home.path()
    }

    pub fn output(mut self) -> Output {
        self.cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
        self.cmd.stdin(if self.stdin.is_some() { Stdio::piped() } else { Stdio::null() });
        let mut child = self.cmd.spawn().expect("refscope runs");
        if let Some(bytes) = self.stdin.take() {
            let mut si = child.stdin.take().unwrap();
            si.write_all(&bytes).unwrap();
        }
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            !stderr.contains("panicked") && !stderr.contains("RUST_BACKTRACE"),
            "refscope panicked:\n{stderr}"
        );
        out
    }

    /// Runs and asserts success; returns stdout.
    pub fn ok(self) -> String {
        let out = self.output();
        assert!(
            out.status.success(),
            "refscope failed ({}):\nstdout: {}\nstderr: {}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).expect("utf-8 stdout")
    }

    /// Runs and asserts failure; returns the error, which must be all of stderr: one line
    /// starting with `Error:`.
    pub fn fails(self) -> String {
        self.fails_after_warnings(0)
    }

    /// As [`Cli::fails`], for a command that prints `warnings` warning lines before its error.
    pub fn fails_after_warnings(self, warnings: usize) -> String {
        let out = self.output();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(!out.status.success(), "expected failure, got success; stdout: {}", String::from_utf8_lossy(&out.stdout));
        let lines: Vec<&str> = stderr.lines().collect();
        assert_eq!(lines.len(), warnings + 1, "errors are one line, after {warnings} warning(s): {stderr}");
        let last = lines[warnings].to_string();
        assert!(last.starts_with("Error: "), "error line should start with `Error: `: {stderr}");
        assert!(!stderr.contains("{ ") || !stderr.contains(" }"), "looks like a debug dump: {stderr}");
        last
    }
}

/// Reads a whole file as bytes.
pub fn read(path: impl AsRef<Path>) -> Vec<u8> {
    let mut v = Vec::new();
    std::fs::File::open(path.as_ref())
        .unwrap_or_else(|e| panic!("{}: {e}", path.as_ref().display()))
        .read_to_end(&mut v)
        .unwrap();
    v
}

/// Every file under `root` (relative path, bytes), sorted.
pub fn tree(root: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    fn walk(root: &Path, dir: &Path, out: &mut Vec<(String, Vec<u8>)>) {
        let mut entries: Vec<_> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
        entries.sort();
        for p in entries {
            if p.is_dir() {
                walk(root, &p, out);
            } else {
                out.push((p.strip_prefix(root).unwrap().display().to_string(), read(&p)));
            }
        }
    }
    if root.exists() {
        walk(root, root, &mut out);
    }
    out
}

/// The walkthrough graph's descriptors.
pub struct Graph {
    pub image: refscope::oci::Descriptor,
    pub sig: refscope::oci::Descriptor,
    pub sbom: refscope::oci::Descriptor,
    pub sbom_sig: refscope::oci::Descriptor,
    pub readme: refscope::oci::Descriptor,
}

/// The manifest bytes a registry serves for `reference`.
pub async fn read_manifest_bytes(s: &Seeder, repo: &str, reference: &str) -> Vec<u8> {
    s.client
        .get(format!("{}/v2/{repo}/manifests/{reference}", s.base))
        .header("accept", "application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json")
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap()
        .to_vec()
}

/// Seeds the walkthrough graph by raw HTTP: image, signature, SBOM, signature on the SBOM,
/// readme; with tag-schema indexes as ORAS would write them.
pub async fn seed_walkthrough(s: &Seeder, repo: &str) -> Graph {
    let image = s.image(repo, "v1", b"image layer").await;
    let sig = s
        .artifact(repo, None, "signature/example", &[("signature.json", "application/json", b"{\"sig\":1}")], Some(&image), json!({"org.opencontainers.image.created": "2025-01-01T00:00:01Z"}))
        .await;
    let sbom = s
        .artifact(repo, None, "sbom/example", &[("sbom.json", "application/json", b"{\"sbom\":1}")], Some(&image), json!({"org.opencontainers.image.created": "2025-01-01T00:00:02Z"}))
        .await;
    let sbom_sig = s
        .artifact(repo, None, "signature/example", &[("sbom-signature.json", "application/json", b"{\"sig\":2}")], Some(&sbom), json!({"org.opencontainers.image.created": "2025-01-01T00:00:03Z"}))
        .await;
    let readme = s
        .artifact(repo, None, "readme/example", &[("readme.md", "application/markdown", b"# hello\n")], Some(&image), json!({"org.opencontainers.image.created": "2025-01-01T00:00:04Z"}))
        .await;
    s.fallback_index(repo, &image, &[(sig.clone(), "signature/example"), (sbom.clone(), "sbom/example"), (readme.clone(), "readme/example")]).await;
    s.fallback_index(repo, &sbom, &[(sbom_sig.clone(), "signature/example")]).await;
    Graph { image, sig, sbom, sbom_sig, readme }
}


/// The `Digest: …` line of a verb's output.
pub fn digest_line(out: &str) -> String {
    out.lines()
        .find_map(|l| l.strip_prefix("Digest: "))
        .unwrap_or_else(|| panic!("no Digest line in:\n{out}"))
        .to_string()
}

/// A working directory with the walkthrough's files.
pub fn walkthrough_files() -> tempfile::TempDir {
    let w = tempfile::tempdir().unwrap();
    let p = w.path();
    std::fs::write(p.join("readme.md"), "# net-monitor\n\nReads interfaces.\n").unwrap();
    std::fs::create_dir_all(p.join("details/sub")).unwrap();
    std::fs::write(p.join("details/a.txt"), "alpha\n").unwrap();
    std::fs::write(p.join("details/sub/b.txt"), "beta\n").unwrap();
    std::fs::write(p.join("signature.json"), "{\"signature\":\"image\"}\n").unwrap();
    std::fs::write(p.join("sbom.json"), "{\"spdxVersion\":\"SPDX-2.3\"}\n").unwrap();
    std::fs::write(p.join("sbom-signature.json"), "{\"signature\":\"sbom\"}\n").unwrap();
    w
}

/// The demo image (from the bundled layout) put at `REG/REPO:v1` by refscope.
pub fn put_demo_image(reg: &str, repo: &str) -> String {
    let root = env!("CARGO_MANIFEST_DIR");
    let out = refscope(["copy", "--from-oci-layout", "assets/net-monitor:v1", &format!("{reg}/{repo}:v1")])
        .current_dir(root.as_ref())
        .ok();
    digest_line(&out)
}

pub fn registry_client(addr: &str) -> refscope::store::registry::Registry {
    let chain = refscope::creds::Chain {
        no_keyring: true,
        config_path: Some("/nonexistent/config.json".into()),
        ..Default::default()
    };
    refscope::store::registry::Registry::new(addr, Default::default(), std::sync::Arc::new(chain)).unwrap()
}

/// Deterministic pseudo-random bytes (xorshift), so test layers neither compress nor dedupe:
/// every seed gives other bytes.
pub fn noise(seed: u64, len: usize) -> Vec<u8> {
    // The splitmix64 finalizer is a bijection, so distinct seeds start distinct streams; only
    // one huge seed starts at zero, where xorshift would stay.
    let mut x = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    let mut x = (x ^ (x >> 31)).max(1);
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        out.extend_from_slice(&x.to_le_bytes());
    }
    out.truncate(len);
    out
}

/// Layers of noise of these sizes in bytes, seeded `first_seed`, `first_seed + 1`, ….
pub fn noise_layers(first_seed: u64, sizes: &[usize]) -> Vec<Vec<u8>> {
    sizes.iter().zip(first_seed..).map(|(&len, seed)| noise(seed, len)).collect()
}
