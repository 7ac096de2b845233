//! The command forms of the registry vendors' ORAS guides (written across ORAS versions), run
//! as written by a shell with `refscope` in place of `oras`, in order, with the guides'
//! variables set: once against distribution with htpasswd Basic auth, once behind a Bearer
//! token server. The image comes from skopeo, as an operator's would.

mod common;

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::process::Command;

use common::terminal::Terminal;
use common::token_server::{TokenServer, User};
use common::{DistConfig, DistRegistry};

/// The guides' lines, as the issue lists them. A `manifest delete` without `-f` is answered
/// `y` on a terminal.
const GUIDE: &str = r#"
login $REGISTRY --username $USER_NAME --password $PASSWORD
login -u $USER_NAME -p $PASSWORD $REGISTRY
push $REGISTRY/samples/artifact:readme --artifact-type readme/example ./readme.md:application/markdown
push $REGISTRY/samples/artifact:readme --artifact-type readme/example ./readme.md:application/markdown ./details
manifest fetch --pretty $REGISTRY/samples/artifact:readme
pull -o ./download $REGISTRY/samples/artifact:readme
manifest delete $REGISTRY/samples/artifact:readme
push $REGISTRY/artifact:v1 ./config.json:application/json ./readme.md:application/markdown ./data.tar.gz:application/gzip
attach $IMAGE --artifact-type signature/example ./signature.json:application/json
attach $IMAGE ./readme.md:application/markdown --artifact-type readme/example
discover -o tree $IMAGE
attach $IMAGE --artifact-type sbom/example ./sbom.json:application/json
SBOM_DIGEST=$(discover -o json --artifact-type sbom/example $IMAGE | jq -r ".manifests[0].digest")
attach $IMAGE@$SBOM_DIGEST --artifact-type 'signature/example' ./sbom-signature.json:application/json
copy -r $IMAGE $TARGET_REPO:$TAG
discover -o tree $TARGET_REPO:$TAG
DOC_DIGEST=$(discover -o json --artifact-type 'readme/example' $TARGET_REPO:$TAG | jq -r ".manifests[0].digest")
pull -o ./download $TARGET_REPO@$DOC_DIGEST
copy -r $REGISTRY/$REPO:$TAG $REGISTRY/staging/$REPO:$TAG
repo tags $REGISTRY/$REPO
discover -o json --artifact-type sbom/example $IMAGE | jq -r ".referrers[0].digest"
push $REGISTRY/$REPO --artifact-type 'signature/example' --subject $IMAGE ./signature.json:application/json
push $REGISTRY/$REPO --artifact-type 'sbom/example' --subject $IMAGE ./sbom.json:application/json
SBOM_DIGEST=$(discover -o json --artifact-type sbom/example $IMAGE | jq -r ".references[0].digest")
push $REGISTRY/$REPO --artifact-type 'signature/example' --subject $REGISTRY/$REPO@$SBOM_DIGEST ./sbom-signature.json:application/json
pull -a -o ./download $REGISTRY/$REPO@$SBOM_DIGEST
manifest delete -f $REGISTRY/$REPO:$TAG
manifest delete -f $REGISTRY/sample-staging/$REPO:$TAG
"#;

const USER: &str = "alice";
const PASSWORD: &str = "s3cret";

fn is_digest(s: &str) -> bool {
    s.strip_prefix("sha256:").is_some_and(|h| h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// One operator's shell: a private HOME kept across lines (login stores there), a working
/// directory with the guides' files, and the variables set so far.
struct Shell {
    home: tempfile::TempDir,
    work: tempfile::TempDir,
    vars: Vec<(String, String)>,
    bin_dir: PathBuf,
}

impl Shell {
    fn new(registry: &str) -> Shell {
        common::require("jq");
        let work = common::walkthrough_files();
        let w = work.path();
        std::fs::write(w.join("config.json"), "{\"config\":true}\n").unwrap();
        std::fs::write(w.join("data.tar.gz"), common::seed::tar_gz(&[("data/x.txt", Some(b"x\n"))])).unwrap();
        let repo = "net-monitor";
        let vars = [
            ("REGISTRY", registry.to_string()),
            ("REPO", repo.to_string()),
            ("TAG", "v1".to_string()),
            ("IMAGE", format!("{registry}/{repo}:v1")),
            ("TARGET_REPO", format!("{registry}/sample-staging/{repo}")),
            ("USER_NAME", USER.to_string()),
            ("PASSWORD", PASSWORD.to_string()),
        ];
        let bin_dir = Path::new(env!("CARGO_BIN_EXE_refscope")).parent().unwrap().to_path_buf();
        Shell {
            home: tempfile::tempdir().unwrap(),
            work,
            vars: vars.into_iter().map(|(k, v)| (k.to_string(), v)).collect(),
            bin_dir,
        }
    }

    fn env(&self, cmd: &mut Command) {
        common::isolate(cmd, self.home.path());
        let path = format!("{}:{}", self.bin_dir.display(), std::env::var("PATH").unwrap_or_default());
        cmd.env("PATH", path).current_dir(self.work.path());
        for (k, v) in &self.vars {
            cmd.env(k, v);
        }
    }

    /// Runs one line with bash; fails the test unless it exits 0. Returns stdout.
    fn run(&self, line: &str, script: &str) -> String {
        let mut cmd = Command::new("bash");
        cmd.arg("-c").arg(format!("set -eo pipefail\n{script}"));
        self.env(&mut cmd);
        let out = cmd.output().expect("bash runs");
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(out.status.success(), "`{line}` failed ({}):\nstdout: {stdout}\nstderr: {stderr}", out.status);
        assert!(!stderr.contains("panicked"), "`{line}` panicked:\n{stderr}");
        stdout
    }

    fn set(&mut self, name: &str, value: String) {
        self.vars.retain(|(k, _)| k != name);
        self.vars.push((name.to_string(), value));
    }

    fn download(&self, file: &str) -> Vec<u8> {
        common::read(self.work.path().join("download").join(file))
    }

    fn source(&self, file: &str) -> Vec<u8> {
        common::read(self.work.path().join(file))
    }
}

/// `refscope …` in place of `oras …`, also inside `$(…)`.
fn as_refscope(line: &str) -> String {
    match line.split_once("=$(") {
        Some((var, rest)) => format!("{var}=$(refscope {rest}"),
        None => format!("refscope {line}"),
    }
}

/// How the test reads the registry itself, independently of refscope.
enum Auth {
    Basic,
    /// The token server's realm.
    Bearer(String),
}

struct Registry {
    addr: String,
    auth: Auth,
    client: reqwest::Client,
}

impl Registry {
    async fn request(&self, method: reqwest::Method, repo: &str, path: &str) -> reqwest::Response {
        let mut r = self
            .client
            .request(method, format!("http://{}/v2/{repo}/{path}", self.addr))
            .header("accept", "application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json");
        r = match &self.auth {
            Auth::Basic => r.basic_auth(USER, Some(PASSWORD)),
            Auth::Bearer(realm) => {
                let token: serde_json::Value = self
                    .client
                    .get(realm)
                    .query(&[("service", common::token_server::SERVICE), ("scope", &format!("repository:{repo}:pull"))])
                    .basic_auth(USER, Some(PASSWORD))
                    .send()
                    .await
                    .unwrap()
                    .json()
                    .await
                    .unwrap();
                r.bearer_auth(token["token"].as_str().unwrap())
            }
        };
        r.send().await.unwrap()
    }

    async fn head(&self, repo: &str, reference: &str) -> u16 {
        self.request(reqwest::Method::HEAD, repo, &format!("manifests/{reference}")).await.status().as_u16()
    }

    async fn tags(&self, repo: &str) -> Vec<String> {
        let resp = self.request(reqwest::Method::GET, repo, "tags/list").await;
        if resp.status() == 404 {
            return Vec::new();
        }
        assert_eq!(resp.status(), 200, "tags of {repo}");
        let v: serde_json::Value = resp.json().await.unwrap();
        v["tags"].as_array().map(|a| a.iter().filter_map(|t| t.as_str().map(str::to_string)).collect()).unwrap_or_default()
    }
}

/// The demo image put in with skopeo; returns its digest.
fn skopeo_image(registry: &str) -> String {
    let src = format!("oci:{}/assets/net-monitor:v1", env!("CARGO_MANIFEST_DIR"));
    let dst = format!("docker://{registry}/net-monitor:v1");
    let creds = format!("{USER}:{PASSWORD}");
    let out = common::skopeo(["copy", "--dest-tls-verify=false", "--dest-creds", &creds, &src, &dst]);
    assert!(out.status.success(), "skopeo copy: {}", String::from_utf8_lossy(&out.stderr));
    let raw = common::skopeo(["inspect", "--raw", "--tls-verify=false", "--creds", &creds, &dst]);
    assert!(raw.status.success(), "skopeo inspect: {}", String::from_utf8_lossy(&raw.stderr));
    refscope::oci::Digest::sha256_of(&raw.stdout).to_string()
}

async fn run_the_guide(dist: &DistRegistry, reg: Registry) {
    let image_digest = skopeo_image(&reg.addr);
    let mut shell = Shell::new(&reg.addr);
    let mut digests = BTreeSet::from([image_digest.clone()]);
    for line in GUIDE.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let script = as_refscope(line);
        if line.starts_with("manifest delete ") && !line.contains(" -f ") {
            let t = Terminal::start(|c| shell.env(c), &script);
            t.wait_for("[y/N]");
            t.send(&["y", "Enter"]);
            let screen = t.wait_success();
            assert!(screen.contains("Deleted [registry]"), "`{line}`; screen:\n{screen}");
            continue;
        }
        if let Some((var, _)) = line.split_once("=$(") {
            let value = shell.run(line, &format!("{script}\nprintf '%s' \"${var}\""));
            assert!(is_digest(&value), "`{line}` set {var} to {value:?}, not a digest");
            digests.insert(value.clone());
            shell.set(var, value);
            continue;
        }
        let out = shell.run(line, &script);
        if line.contains("| jq") {
            assert!(is_digest(out.trim()), "`{line}` printed {out:?}, not a digest");
            digests.insert(out.trim().to_string());
        }
        digests.extend(out.lines().filter_map(|l| l.strip_prefix("Digest: ")).map(str::to_string));
        if line.starts_with("pull ") {
            let expected: &[&str] = if line.contains("samples/artifact") {
                &["readme.md", "details/a.txt", "details/sub/b.txt"]
            } else if line.contains("DOC_DIGEST") {
                &["readme.md"]
            } else {
                &["sbom.json"]
            };
            for f in expected {
                assert_eq!(shell.download(f), shell.source(f), "`{line}` wrote download/{f}");
                let top = f.split('/').next().unwrap_or(f);
                assert!(out.contains(top), "`{line}` reports {top}:\n{out}");
            }
        }
    }

    // After the last two deletes, nothing of either graph is left.
    for repo in ["net-monitor", "sample-staging/net-monitor"] {
        for d in &digests {
            assert_eq!(reg.head(repo, d).await, 404, "{repo}@{d} should be gone");
        }
        let tags = reg.tags(repo).await;
        assert!(tags.is_empty(), "{repo} keeps tags {tags:?}");
        assert_eq!(dist.stored_manifests(repo), Vec::<String>::new(), "{repo} keeps manifests in storage");
    }
    assert_eq!(reg.head("staging/net-monitor", "v1").await, 200, "the other copy is untouched");
    assert_eq!(reg.head("artifact", "v1").await, 200, "the artifact pushed along the way is untouched");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_oras_guides_run_as_written_on_a_basic_auth_registry() {
    let dist = DistRegistry::start_with(DistConfig {
        users: vec![(USER.into(), PASSWORD.into())],
        ..DistConfig::default()
    });
    let reg = Registry { addr: dist.addr.clone(), auth: Auth::Basic, client: reqwest::Client::new() };
    run_the_guide(&dist, reg).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_oras_guides_run_as_written_on_a_bearer_token_registry() {
    let users = HashMap::from([(
        USER.to_string(),
        User { password: PASSWORD.into(), actions: vec!["pull".into(), "push".into(), "delete".into()], catalog: true },
    )]);
    let tokens = TokenServer::start(users, HashMap::new());
    let dist = DistRegistry::start_with(tokens.dist_config());
    let reg = Registry { addr: dist.addr.clone(), auth: Auth::Bearer(tokens.realm.clone()), client: reqwest::Client::new() };
    run_the_guide(&dist, reg).await;
}

#[test]
fn the_readme_lists_the_lines_this_test_runs() {
    let readme = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let start = readme.find("<!-- guides:start -->\n```sh\n").expect("README has the guides:start marker") + "<!-- guides:start -->\n```sh\n".len();
    let end = readme.find("```\n<!-- guides:end -->").expect("README has the guides:end marker");
    let shown: Vec<&str> = readme[start..end].lines().map(|l| l.split("   # ").next().unwrap_or(l)).collect();
    let run: Vec<String> = GUIDE.lines().map(str::trim).filter(|l| !l.is_empty()).map(as_refscope).collect();
    assert_eq!(shown, run, "the README's guide list differs from the one tests/oras_guides.rs runs");
}
