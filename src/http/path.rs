//! Building request paths from values a user or an API supplied (ids, uids, tag keys), so that
//! such a value can only ever address one path segment, and decode errors that never quote a
//! response body.

/// Percent-encodes one path segment: `/`, `?` or `..` in a value typed by a user (an import id)
/// cannot reach another endpoint. Unreserved characters stay as they are.
pub fn segment(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    for byte in raw.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// Whether an id can name one object at all: an empty id would address the collection, and
/// `.`/`..` are folded into the parent path by URL normalisation.
pub fn addressable(id: &str) -> bool {
    !matches!(id.trim(), "" | "." | "..")
}

/// A JSON decode failure by category and position only: serde's own message can quote the
/// offending value, and responses carry passwords and tokens.
pub fn decode_failure(what: &str, err: &serde_json::Error) -> String {
    format!(
        "could not decode the {what} response ({:?} error at line {}, column {})",
        err.classify(),
        err.line(),
        err.column()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_value_stays_one_segment() {
        assert_eq!(segment("a/b?c"), "a%2Fb%3Fc");
        assert_eq!(segment("ok-1.2_~"), "ok-1.2_~");
        assert!(!addressable(" .. "));
        assert!(addressable("c-1"));
    }

    #[test]
    fn decode_failures_do_not_quote_the_body() {
        let err = serde_json::from_str::<u32>("\"s3cret\"").unwrap_err();
        let text = decode_failure("cluster", &err);
        assert!(!text.contains("s3cret"), "{text}");
    }
}
