//! The Docker and containers convention for per-registry TLS files:
//! `certs.d/HOST[:PORT]/` holding CA certificates (`*.crt`) and client pairs (`NAME.cert` with
//! `NAME.key`). Read from `/etc/docker/certs.d`, `/etc/containers/certs.d` and
//! `$XDG_CONFIG_HOME/containers/certs.d`, or from the directories `REFSCOPE_CERTS_D` lists
//! (separated by `:`), which replace those three.

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::store::registry::tls::{ClientIdentity, TlsFiles};

/// The variable whose directories replace the default certs.d roots.
pub const ROOTS_ENV: &str = "REFSCOPE_CERTS_D";

/// The certs.d roots to search, in order.
pub fn roots() -> Vec<PathBuf> {
    if let Some(list) = std::env::var_os(ROOTS_ENV) {
        return std::env::split_paths(&list).filter(|p| !p.as_os_str().is_empty()).collect();
    }
    let mut roots = vec![PathBuf::from("/etc/docker/certs.d"), PathBuf::from("/etc/containers/certs.d")];
    let config_home = std::env::var_os("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")));
    if let Some(c) = config_home {
        roots.push(c.join("containers/certs.d"));
    }
    roots
}

/// The TLS files every root has for `host` (as written in references: `HOST[:PORT]`): all
/// CA files, and the first client pair by root order, then name.
pub fn lookup(roots: &[PathBuf], host: &str) -> Result<TlsFiles> {
    let mut files = TlsFiles::default();
    for root in roots {
        let dir = root.join(host);
        let found = read_dir(&dir)?;
        files.ca_files.extend(found.ca_files);
        if files.identity.is_none() {
            files.identity = found.identity;
        }
    }
    Ok(files)
}

fn read_dir(dir: &Path) -> Result<TlsFiles> {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(TlsFiles::default()),
        Err(e) => return Err(Error::io(dir, e)),
    };
    let mut names: Vec<PathBuf> = entries.filter_map(|e| e.ok()).map(|e| e.path()).collect();
    names.sort();
    let mut files = TlsFiles::default();
    for path in &names {
        match path.extension().and_then(|e| e.to_str()) {
            Some("crt") => files.ca_files.push(path.clone()),
            Some("cert") => {
                let key = path.with_extension("key");
                if !key.exists() {
                    return Err(Error::Tls {
                        path: path.clone(),
                        reason: format!("is a client certificate without its key; put the key beside it as {}", key.display()),
                    });
                }
                if files.identity.is_none() {
                    files.identity = Some(ClientIdentity { cert: path.clone(), key });
                }
            }
            Some("key") if !path.with_extension("cert").exists() => {
                return Err(Error::Tls {
                    path: path.clone(),
                    reason: format!(
                        "is a client key without its certificate; put the certificate beside it as {}",
                        path.with_extension("cert").display()
                    ),
                });
            }
            _ => {}
        }
    }
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_cas_and_client_pairs_per_host() {
        let a = tempfile::tempdir().unwrap();
        let b = tempfile::tempdir().unwrap();
        let host = "reg.example:5000";
        std::fs::create_dir_all(a.path().join(host)).unwrap();
        std::fs::create_dir_all(b.path().join(host)).unwrap();
        std::fs::write(a.path().join(host).join("ca.crt"), "x").unwrap();
        std::fs::write(b.path().join(host).join("extra.crt"), "x").unwrap();
        std::fs::write(b.path().join(host).join("me.cert"), "x").unwrap();
        std::fs::write(b.path().join(host).join("me.key"), "x").unwrap();
        let roots = vec![a.path().to_path_buf(), b.path().to_path_buf()];
        let files = lookup(&roots, host).unwrap();
        assert_eq!(files.ca_files, vec![a.path().join(host).join("ca.crt"), b.path().join(host).join("extra.crt")]);
        let id = files.identity.unwrap();
        assert_eq!((id.cert, id.key), (b.path().join(host).join("me.cert"), b.path().join(host).join("me.key")));
        assert_eq!(lookup(&roots, "other:5000").unwrap(), TlsFiles::default());
    }

    #[test]
    fn a_half_pair_names_the_file() {
        let a = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(a.path().join("h")).unwrap();
        std::fs::write(a.path().join("h/me.cert"), "x").unwrap();
        let err = lookup(&[a.path().to_path_buf()], "h").unwrap_err().to_string();
        assert!(err.contains("me.cert") && err.contains("me.key"), "{err}");
    }
}
