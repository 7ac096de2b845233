//! refscope's own logins in the OS keyring (Secret Service on Linux). On a box without a
//! keyring daemon every call fails fast with `NoDefaultStore`; that is logged once and the
//! chain goes on.

use std::sync::Once;
use std::sync::mpsc;
use std::time::Duration;

use super::Credential;

const SERVICE: &str = "refscope";

/// A keyring reached over D-Bus can stall (a bus without a Secret Service waits for activation);
/// a lookup never holds the user up longer than this.
const LOOKUP_TIMEOUT: Duration = Duration::from_secs(3);

pub struct Keyring;

impl Keyring {
    /// The stored credential for `registry`, giving up after a few seconds.
    pub fn get(registry: &str) -> Result<Option<Credential>, keyring::Error> {
        let registry = registry.to_string();
        with_timeout(move || Keyring::get_now(&registry))
    }

    /// Stores a credential, giving up after a few seconds.
    pub fn set(registry: &str, username: &str, password: &str) -> Result<(), keyring::Error> {
        let (r, u, p) = (registry.to_string(), username.to_string(), password.to_string());
        with_timeout(move || Keyring::set_now(&r, &u, &p))
    }

    /// Forgets a credential, giving up after a few seconds. `Ok(false)`: nothing was stored.
    pub fn delete(registry: &str) -> Result<bool, keyring::Error> {
        let r = registry.to_string();
        with_timeout(move || Keyring::delete_now(&r))
    }

    fn get_now(registry: &str) -> Result<Option<Credential>, keyring::Error> {
        let entry = keyring::Entry::new(SERVICE, registry)?;
        match entry.get_password() {
            Ok(secret) => Ok(decode(&secret)),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(e) => Err(e),
        }
    }

    fn set_now(registry: &str, username: &str, password: &str) -> Result<(), keyring::Error> {
        let entry = keyring::Entry::new(SERVICE, registry)?;
        let secret = serde_json::json!({ "username": username, "password": password }).to_string();
        entry.set_password(&secret)
    }

    fn delete_now(registry: &str) -> Result<bool, keyring::Error> {
        let entry = keyring::Entry::new(SERVICE, registry)?;
        match entry.delete_credential() {
            Ok(()) => Ok(true),
            Err(keyring::Error::NoEntry) => Ok(false),
            Err(e) => Err(e),
        }
    }
}

fn with_timeout<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, keyring::Error> + Send + 'static,
) -> Result<T, keyring::Error> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    rx.recv_timeout(LOOKUP_TIMEOUT).unwrap_or_else(|_| {
        Err(keyring::Error::PlatformFailure(
            "the keyring did not answer within 3 seconds".into(),
        ))
    })
}

fn decode(secret: &str) -> Option<Credential> {
    let v: serde_json::Value = serde_json::from_str(secret).ok()?;
    Some(Credential::Basic {
        username: v.get("username")?.as_str()?.to_string(),
        password: v.get("password")?.as_str()?.to_string(),
    })
}

pub(super) fn log_unavailable_once(e: &keyring::Error) {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| tracing::info!("OS keyring unavailable, skipping it: {e}"));
}
