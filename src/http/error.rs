//! Errors of the HTTP room. Every message names the method and a redacted URL (no userinfo, no
//! query) and the cause; none carries headers, bodies or credentials, so they can go straight
//! into Terraform diagnostics and logs. Causes from lower layers are scrubbed of registered
//! secrets (a library may quote what it could not send).

use std::error::Error as _;

/// An HTTP-level failure. Non-2xx responses are *not* errors here: the vendor client maps them,
/// because only it knows what a 404 or 409 means for its API.
#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    /// The client could not be built (bad base URL, bad CA bundle, TLS setup).
    #[error("HTTP client configuration: {0}")]
    Config(String),

    /// The request could not be built (for example an invalid header value).
    #[error("{method} {url}: invalid request: {cause}")]
    InvalidRequest {
        method: String,
        url: String,
        cause: String,
    },

    /// The request failed in transport (connect, TLS, timeout, connection reset) after
    /// `attempts` attempts.
    #[error("{method} {url}: {kind} error after {attempts} attempt(s): {cause}")]
    Transport {
        method: String,
        url: String,
        kind: TransportKind,
        attempts: u32,
        cause: String,
    },

    /// The cancellation token fired (Terraform stop, Ctrl-C, a timeout of the caller).
    #[error("request cancelled")]
    Cancelled,
}

/// What sort of transport failure happened; decides retry eligibility and helps users.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransportKind {
    /// Could not connect (refused, DNS, TLS handshake): the request never reached the server.
    Connect,
    /// The server's TLS certificate was not trusted (self-signed, wrong CA, wrong name): fix
    /// the CA bundle or the insecure setting; never retried.
    Certificate,
    /// The overall timeout elapsed.
    Timeout,
    /// Anything else while sending or receiving (reset, truncated response, bad body).
    Other,
}

impl std::fmt::Display for TransportKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            TransportKind::Connect => "connection",
            TransportKind::Certificate => "TLS certificate",
            TransportKind::Timeout => "timeout",
            TransportKind::Other => "transport",
        })
    }
}

impl HttpError {
    /// True when the error is a cancellation rather than a failure.
    pub fn is_cancelled(&self) -> bool {
        matches!(self, HttpError::Cancelled)
    }
}

/// Flattens a reqwest error and its sources into one line. reqwest puts the full URL (with any
/// userinfo and query) into its own Display, so the URL is stripped first; the lower layers
/// (hyper, io, rustls) describe only what went wrong; registered secrets are scrubbed anyway.
pub(crate) fn describe(err: reqwest::Error) -> String {
    let err = err.without_url();
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        let piece = cause.to_string();
        // hyper and reqwest often repeat the inner message in the outer one.
        if !piece.is_empty() && !text.contains(&piece) {
            text.push_str(": ");
            text.push_str(&piece);
        }
        source = cause.source();
    }
    super::secrets::scrub(&text).into_owned()
}
