//! The one place HTTP behaviour lives, shared by every vendor client.
//!
//! A provider process builds one [`HttpClient`] from [`HttpSettings`] at configure time and
//! hands clones of it to its resources. The client owns:
//! - TLS (rustls; `insecure`, extra CA bundle), the overall per-request timeout, the user agent;
//! - retries with exponential backoff and jitter on 429, 5xx and transport errors, honouring
//!   `Retry-After`, with different rules for idempotent calls and creates ([`RetryPolicy`]);
//!   a 429 is waited out without costing an attempt;
//! - request spacing: a minimum interval from one answer to the next request, because vendor
//!   rate limits are per caller (Instaclustr: 1 request / 2.5 s per IP). It holds for every task
//!   of the process and, through a lock file per API origin ([`HOST_GATE_DIR_ENV`]), for every
//!   provider process of the user on this host; status polls can yield to the requests an
//!   operation is blocked on ([`HttpClient::background`]);
//! - cancellation of every wait through a `CancellationToken`;
//! - logging at DEBUG without headers, bodies, credentials, query strings or URL userinfo;
//! - the process-wide secret register ([`secrets`]): every credential header a request carries
//!   is registered before it is sent, and every message built from a response body or an error
//!   is scrubbed of registered values.
//!
//! Vendor clients add only what is theirs: paths, auth headers, typed bodies, status mapping.

mod client;
mod error;
mod host_gate;
mod host_note;
pub mod lenient;
mod message;
pub mod path;
mod redact;
mod retry;
pub mod secrets;
mod spacing;
#[cfg(test)]
pub(crate) mod testing;
mod transport;

use std::time::Duration;

pub use client::{HttpClient, HttpResponse};
pub use error::{HttpError, TransportKind};
pub use host_gate::HOST_GATE_DIR_ENV;
pub use host_note::HostNote;
pub use message::error_message;
pub use redact::redact_url;
pub use retry::RetryPolicy;

/// How a provider process talks HTTP. Build with struct-update syntax over `Default`.
#[derive(Debug, Clone)]
pub struct HttpSettings {
    /// Base URL of the API, possibly with a path prefix (`http://127.0.0.1:8080/instaclustr`).
    /// May be empty when callers pass absolute URLs to [`HttpClient::url`].
    pub base_url: String,
    /// Sent as `User-Agent` on every request.
    pub user_agent: String,
    /// Minimum time from one answer to the start of the next request to the same API origin:
    /// for all tasks of this client together, and for every process of this user on this host
    /// that uses the same origin (each with its own interval). Zero: no spacing at all.
    pub request_interval: Duration,
    /// Skip TLS certificate verification (self-signed appliance certificates).
    pub insecure: bool,
    /// A PEM bundle of extra CA certificates to trust, on top of the system roots.
    pub ca_cert_pem: Option<String>,
    /// Whole-request timeout: connect, send, and reading the response body. Default: 60 s, or
    /// [`REQUEST_TIMEOUT_ENV`] when set.
    pub timeout: Duration,
    /// Attempts per call including the first one; 0 is treated as 1. A 429 answered to a call
    /// with more than one attempt costs none: it is waited out (up to 50 in a row). With 1,
    /// every request is sent exactly once and a 429 is returned like any other status.
    pub max_attempts: u32,
    /// First backoff delay; doubles per retry. Tests set it to milliseconds.
    pub retry_base: Duration,
    /// Upper bound of a computed backoff delay (before jitter).
    pub retry_cap: Duration,
    /// Upper bound on an honoured `Retry-After`, so a confused server cannot park us for hours.
    pub retry_after_cap: Duration,
}

/// The whole-request timeout when nothing else is said.
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

/// The environment variable every provider reads for its per-request timeout (`"30s"`, `"2m"`):
/// an appliance on a slow link may need more than the default, a test of a slow API less.
pub const REQUEST_TIMEOUT_ENV: &str = "CLUSTERFORM_REQUEST_TIMEOUT";

/// [`REQUEST_TIMEOUT_ENV`] when set to a positive duration; anything unparsable is ignored with
/// a warning rather than failing every provider call.
fn request_timeout_from_env() -> Option<Duration> {
    let raw = std::env::var(REQUEST_TIMEOUT_ENV).ok()?;
    match humantime::parse_duration(raw.trim()) {
        Ok(timeout) if !timeout.is_zero() => Some(timeout),
        _ => {
            tracing::warn!(
                value = raw.as_str(),
                "{REQUEST_TIMEOUT_ENV} is not a positive duration such as \"30s\"; using the default"
            );
            None
        }
    }
}

impl Default for HttpSettings {
    fn default() -> Self {
        HttpSettings {
            base_url: String::new(),
            user_agent: concat!("clusterform/", env!("CARGO_PKG_VERSION")).to_string(),
            request_interval: Duration::ZERO,
            insecure: false,
            ca_cert_pem: None,
            timeout: request_timeout_from_env().unwrap_or(DEFAULT_REQUEST_TIMEOUT),
            max_attempts: 6,
            retry_base: Duration::from_secs(1),
            retry_cap: Duration::from_secs(30),
            retry_after_cap: Duration::from_secs(300),
        }
    }
}
