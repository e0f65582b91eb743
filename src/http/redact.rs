//! URL redaction for logs and error messages.
//!
//! Besides the parts of a URL where credentials hide by convention, a path segment can carry a
//! registered secret (an id a user pasted a token into): the result is scrubbed too.

use super::secrets::scrub;

/// `scheme://host[:port]/path` of `url`: userinfo, query and fragment are dropped because they
/// are where credentials and tokens hide (`https://user:pass@host/`, `?api_key=`). Anything
/// that does not parse as a URL is reduced to the part before any `?` or `#`, minus userinfo.
pub fn redact_url(url: &str) -> String {
    match reqwest::Url::parse(url) {
        Ok(parsed) => redact_parsed(&parsed),
        Err(_) => {
            let cut = url.find(['?', '#']).map_or(url, |end| &url[..end]);
            scrub(&strip_userinfo(cut)).into_owned()
        }
    }
}

pub(crate) fn redact_parsed(url: &reqwest::Url) -> String {
    let mut out = String::new();
    out.push_str(url.scheme());
    out.push_str("://");
    if let Some(host) = url.host_str() {
        out.push_str(host);
    }
    if let Some(port) = url.port() {
        out.push(':');
        out.push_str(&port.to_string());
    }
    out.push_str(url.path());
    scrub(&out).into_owned()
}

/// Removes `user:pass@` from a string that looks like `scheme://user:pass@host/...`.
fn strip_userinfo(text: &str) -> String {
    let Some(scheme_end) = text.find("://") else {
        return text.to_string();
    };
    let authority_start = scheme_end + 3;
    let rest = &text[authority_start..];
    let authority_end = rest.find('/').unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => format!("{}{}", &text[..authority_start], &rest[at + 1..]),
        None => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_userinfo_query_and_fragment() {
        assert_eq!(
            redact_url("https://alice:s3cret@api.example.com:8443/v1/x?key=abc#frag"),
            "https://api.example.com:8443/v1/x"
        );
        assert_eq!(
            redact_url("http://127.0.0.1:9/a/b/"),
            "http://127.0.0.1:9/a/b/"
        );
    }

    #[test]
    fn unparseable_urls_are_still_redacted() {
        assert_eq!(redact_url("weird://u:p@[bad/x?token=1"), "weird://[bad/x");
        assert_eq!(redact_url("/relative?token=1"), "/relative");
    }
}
