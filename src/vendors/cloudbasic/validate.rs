//! Plan-time checks specific to CloudBasic arguments: server addresses and the endpoint URL.

use std::net::{Ipv4Addr, Ipv6Addr};

/// How [`host`] is explained in diagnostics.
pub const HOST_RULE: &str = "an IPv4 address, an IPv6 address or a DNS name";

/// An IPv4 address, an IPv6 address (without brackets) or a DNS name: dot-separated labels of
/// letters, digits and hyphens, 1–63 characters each, not starting or ending with a hyphen, at
/// most 253 characters in all, an optional final dot. A name whose last label is all digits is
/// refused, so that a mistyped address such as `10.0.0.300` is not taken for a name.
pub fn host(text: &str) -> bool {
    if text.parse::<Ipv4Addr>().is_ok() || text.parse::<Ipv6Addr>().is_ok() {
        return true;
    }
    let name = text.strip_suffix('.').unwrap_or(text);
    if name.is_empty() || name.len() > 253 {
        return false;
    }
    let labels: Vec<&str> = name.split('.').collect();
    let label_ok = |l: &&str| {
        !l.is_empty()
            && l.len() <= 63
            && !l.starts_with('-')
            && !l.ends_with('-')
            && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
    };
    labels.iter().all(label_ok)
        && labels
            .last()
            .is_some_and(|l| !l.bytes().all(|b| b.is_ascii_digit()))
}

/// An `http://` or `https://` URL with a host, and neither query nor fragment (API paths are
/// appended to it). Returns the problem in words.
pub fn endpoint_problem(text: &str) -> Option<String> {
    let parsed = match reqwest::Url::parse(text.trim()) {
        Ok(u) => u,
        Err(e) => {
            return Some(format!(
                "{text:?} is not a URL ({e}); expected e.g. \"http://10.0.0.5:82\"."
            ))
        }
    };
    if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none_or(str::is_empty) {
        return Some(format!(
            "{text:?} must be an http:// or https:// URL with a host, e.g. \"http://10.0.0.5:82\"."
        ));
    }
    if parsed.query().is_some() || parsed.fragment().is_some() {
        return Some(format!(
            "{text:?} must not have a query or fragment: API paths are appended to it."
        ));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts() {
        for ok in [
            "10.0.0.1",
            "::1",
            "fe80::1",
            "db-a",
            "db-a.example.com",
            "db-a.example.com.",
            "ip-10-0-0-5.ec2.internal",
            "a1",
        ] {
            assert!(host(ok), "{ok}");
        }
        for bad in [
            "",
            "not a host",
            "-bad",
            "bad-.example",
            "a..b",
            "10.0.0.300",
            "[::1]",
            "under_score",
            "10.0.0.1:81",
            "http://10.0.0.1",
            &"a".repeat(64),
        ] {
            assert!(!host(bad), "{bad}");
        }
    }

    #[test]
    fn endpoints() {
        assert_eq!(endpoint_problem("http://10.0.0.5:82"), None);
        assert_eq!(endpoint_problem("https://cb.example.com/prefix/"), None);
        assert!(endpoint_problem("10.0.0.5:82").is_some());
        assert!(endpoint_problem("ftp://x").is_some());
        assert!(endpoint_problem("http://x/?a=b").is_some());
        assert!(endpoint_problem("not a url").is_some());
    }
}
