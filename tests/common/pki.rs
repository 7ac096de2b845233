//! A private CA made with `openssl`: a server certificate for 127.0.0.1 and a client
//! certificate, both signed by it, and a key that belongs to neither.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

pub struct Pki {
    pub dir: tempfile::TempDir,
}

fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .output()
        .expect("openssl runs");
    assert!(out.status.success(), "openssl {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
}

impl Pki {
    pub fn new() -> Pki {
        super::require("openssl");
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
        openssl(d, &[&["req", "-x509"][..], &ec, &["-keyout", "ca.key", "-out", "ca.crt", "-days", "2", "-subj", "/CN=refscope test CA"]].concat());
        for (name, ext) in [("server", "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n"), ("client", "extendedKeyUsage=clientAuth\n")] {
            std::fs::write(d.join(format!("{name}.ext")), ext).unwrap();
            let csr = format!("{name}.csr");
            let key = format!("{name}.key");
            let crt = format!("{name}.crt");
            openssl(d, &[&["req"][..], &ec, &["-keyout", &key, "-out", &csr, "-subj", &format!("/CN={name}")]].concat());
            openssl(
                d,
                &["x509", "-req", "-in", &csr, "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-out", &crt, "-days", "2", "-extfile", &format!("{name}.ext")],
            );
        }
        openssl(d, &["genpkey", "-algorithm", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-out", "stray.key"]);
        Pki { dir }
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// A certs.d root holding, for `host`, the CA and (with `client`) the client pair.
    pub fn certs_d(&self, host: &str, client: bool) -> tempfile::TempDir {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join(host);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::copy(self.path("ca.crt"), dir.join("ca.crt")).unwrap();
        if client {
            std::fs::copy(self.path("client.crt"), dir.join("client.cert")).unwrap();
            std::fs::copy(self.path("client.key"), dir.join("client.key")).unwrap();
        }
        root
    }
}
