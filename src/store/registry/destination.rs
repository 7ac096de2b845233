//! Where a registry may send us. Token realms, redirects and upload `Location`s are URLs the
//! registry chooses; before anything goes there (credentials least of all) they are checked:
//! http(s) only, never from https down to http, no user name or password inside the URL, and
//! not a loopback, link-local, unspecified or cloud-metadata address unless the registry itself
//! is on that kind of address. Only IP literals (and `localhost`) are judged; names are not
//! resolved.

use std::net::{Ipv4Addr, Ipv6Addr};

use url::{Host, Url};

/// Kinds of address that a registry elsewhere has no business pointing us at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Special {
    Loopback,
    LinkLocal,
    Unspecified,
    Metadata,
}

impl Special {
    fn describe(self) -> &'static str {
        match self {
            Special::Loopback => "a loopback address",
            Special::LinkLocal => "a link-local address",
            Special::Unspecified => "an unspecified address",
            Special::Metadata => "a cloud metadata address",
        }
    }
}

/// Instance-metadata and platform endpoints of the big clouds (AWS, GCP, Azure, Oracle share
/// 169.254.169.254; AWS ECS task metadata 169.254.170.2; Alibaba 100.100.100.200; Azure's
/// WireServer 168.63.129.16).
const METADATA_V4: [Ipv4Addr; 4] = [
    Ipv4Addr::new(169, 254, 169, 254),
    Ipv4Addr::new(169, 254, 170, 2),
    Ipv4Addr::new(100, 100, 100, 200),
    Ipv4Addr::new(168, 63, 129, 16),
];

/// The kind of the URL's host, when it is special.
pub fn special(url: &Url) -> Option<Special> {
    match url.host()? {
        Host::Domain(d) => {
            let d = d.trim_end_matches('.').to_ascii_lowercase();
            (d == "localhost" || d.ends_with(".localhost")).then_some(Special::Loopback)
        }
        Host::Ipv4(ip) => special_v4(ip),
        Host::Ipv6(ip) => special_v6(ip),
    }
}

fn special_v4(ip: Ipv4Addr) -> Option<Special> {
    if METADATA_V4.contains(&ip) {
        Some(Special::Metadata)
    } else if ip.is_loopback() {
        Some(Special::Loopback)
    } else if ip.is_link_local() {
        Some(Special::LinkLocal)
    } else if ip.octets()[0] == 0 {
        // 0.0.0.0/8 "this network": Linux delivers 0.0.0.0 to the local host.
        Some(Special::Unspecified)
    } else {
        None
    }
}

fn special_v6(ip: Ipv6Addr) -> Option<Special> {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return special_v4(v4);
    }
    let s = ip.segments();
    // The NAT64 well-known prefix 64:ff9b::/96 carries an IPv4 address in its last 32 bits.
    if s[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        return special_v4(Ipv4Addr::from(((s[6] as u32) << 16) | s[7] as u32));
    }
    if s[0] == 0xfd00 && s[1] == 0x0ec2 {
        // AWS serves instance metadata (fd00:ec2::254), DNS and NTP from fd00:ec2::/32.
        Some(Special::Metadata)
    } else if ip.is_loopback() {
        Some(Special::Loopback)
    } else if ip.is_unspecified() {
        Some(Special::Unspecified)
    } else if s[0] & 0xffc0 == 0xfe80 {
        Some(Special::LinkLocal)
    } else {
        None
    }
}

/// What is wrong with sending anything to `to` for a registry at `base`, if anything.
fn common_checks(to: &Url, base: &Url) -> Result<(), String> {
    if !matches!(to.scheme(), "http" | "https") {
        return Err(format!("its scheme `{}` is not http or https", to.scheme()));
    }
    if !to.username().is_empty() || to.password().is_some() {
        return Err("it carries a user name or password inside the URL".into());
    }
    if let Some(kind) = special(to)
        && special(base) != Some(kind)
    {
        return Err(format!("it is {}, and the registry is not", kind.describe()));
    }
    Ok(())
}

/// Checks a Bearer challenge's token realm: it receives the user's credentials.
pub fn check_realm(realm: &Url, base: &Url) -> Result<(), String> {
    common_checks(realm, base)?;
    if base.scheme() == "https" && realm.scheme() != "https" {
        return Err("it is plain http while the registry is https: the credentials would travel unencrypted".into());
    }
    Ok(())
}

/// Checks one step from `from` to `to` (a redirect, or an upload continuing at a `Location`).
pub fn check_hop(from: &Url, to: &Url, base: &Url) -> Result<(), String> {
    common_checks(to, base)?;
    if from.scheme() == "https" && to.scheme() == "http" {
        return Err("it goes from https down to plain http".into());
    }
    Ok(())
}

/// `scheme://host:port` of a URL, for messages (never the path or query: pre-signed URLs
/// carry signatures there).
pub fn origin(url: &Url) -> String {
    url.origin().ascii_serialization()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn u(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    #[test]
    fn special_addresses_are_recognised_in_every_spelling() {
        for (url, kind) in [
            ("http://127.0.0.1/", Special::Loopback),
            ("http://127.9.9.9:8080/", Special::Loopback),
            ("http://0x7f.1/", Special::Loopback),
            ("http://2130706433/", Special::Loopback),
            ("http://[::1]/", Special::Loopback),
            ("http://[::ffff:127.0.0.1]/", Special::Loopback),
            ("http://localhost/", Special::Loopback),
            ("http://LOCALHOST./", Special::Loopback),
            ("http://a.localhost/", Special::Loopback),
            ("http://169.254.1.1/", Special::LinkLocal),
            ("http://[fe80::1]/", Special::LinkLocal),
            ("http://[febf::1]/", Special::LinkLocal),
            ("http://0.0.0.0/", Special::Unspecified),
            ("http://0/", Special::Unspecified),
            ("http://[::]/", Special::Unspecified),
            ("http://169.254.169.254/latest/meta-data/", Special::Metadata),
            ("http://[::ffff:169.254.169.254]/", Special::Metadata),
            ("http://[64:ff9b::a9fe:a9fe]/", Special::Metadata),
            ("http://[fd00:ec2::254]/", Special::Metadata),
            ("http://100.100.100.200/", Special::Metadata),
            ("http://168.63.129.16/", Special::Metadata),
            ("http://169.254.170.2/v2/credentials", Special::Metadata),
        ] {
            assert_eq!(special(&u(url)), Some(kind), "{url}");
        }
        for url in ["https://auth.docker.io/token", "https://10.0.0.5/token", "http://192.168.1.9/", "https://[2001:db8::1]/", "https://127.example.com/", "https://metadata.example/"] {
            assert_eq!(special(&u(url)), None, "{url}");
        }
    }

    #[test]
    fn realms_elsewhere_are_fine_special_ones_only_for_registries_of_their_kind() {
        let hub = u("https://registry-1.docker.io/");
        assert!(check_realm(&u("https://auth.docker.io/token"), &hub).is_ok());
        let local = u("http://127.0.0.1:5000/");
        assert!(check_realm(&u("http://127.0.0.1:5001/token"), &local).is_ok());
        assert!(check_realm(&u("http://localhost:5001/token"), &local).is_ok());
        for bad in [
            "http://auth.docker.io/token",
            "https://127.0.0.1/token",
            "https://[::1]/token",
            "https://localhost/token",
            "https://169.254.169.254/token",
            "https://[fd00:ec2::254]/token",
            "https://[fe80::1]/token",
            "https://0.0.0.0/token",
            "https://user:pw@auth.docker.io/token",
            "file:///etc/passwd",
        ] {
            let why = check_realm(&u(bad), &hub).unwrap_err();
            assert!(!why.is_empty(), "{bad}");
        }
        for bad in ["http://0.0.0.0:5001/token", "http://169.254.169.254/", "http://[fd00:ec2::254]/"] {
            assert!(check_realm(&u(bad), &local).is_err(), "{bad} from a loopback registry");
        }
        let link_local = u("http://169.254.7.7/");
        assert!(check_realm(&u("http://169.254.7.8/token"), &link_local).is_ok());
        assert!(check_realm(&u("http://169.254.169.254/token"), &link_local).is_err());
    }

    #[test]
    fn hops_never_go_down_to_http() {
        let reg = u("https://registry.example/");
        let cdn = u("https://cdn.example/blob?sig=x");
        assert!(check_hop(&reg, &cdn, &reg).is_ok());
        assert!(check_hop(&cdn, &u("http://cdn.example/blob"), &reg).unwrap_err().contains("https down to plain http"));
        let plain = u("http://127.0.0.1:5000/");
        assert!(check_hop(&plain, &u("https://127.0.0.1:5001/x"), &plain).is_ok());
        assert!(check_hop(&plain, &u("http://127.0.0.1:5002/x"), &plain).is_ok());
        assert!(check_hop(&u("https://127.0.0.1:5001/x"), &u("http://127.0.0.1:5002/x"), &plain).is_err());
        assert!(check_hop(&reg, &u("https://169.254.169.254/latest"), &reg).is_err());
        assert!(check_hop(&reg, &u("https://a:b@cdn.example/"), &reg).is_err());
        assert_eq!(origin(&cdn), "https://cdn.example");
    }
}
