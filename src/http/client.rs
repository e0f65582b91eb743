//! The shared HTTP client: construction, URL joining, and the retry loop.
//!
//! Every attempt registers the credential headers it carries with [`super::secrets`] before it
//! goes out, so whatever the server or a lower layer echoes of them later can be scrubbed.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use reqwest::header::{HeaderMap, HeaderName, HeaderValue, RETRY_AFTER};
use reqwest::{Method, Request, RequestBuilder, Response, StatusCode};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tracing::debug;

use super::error::describe;
use super::host_gate::{HostGate, Origin};
use super::host_note::HostNote;
use super::redact::{redact_parsed, redact_url};
use super::retry::{
    backoff, error_is_retryable, parse_retry_after, status_is_retryable, transport_kind,
};
use super::secrets;
use super::spacing::{sleep, Priority, Spacer};
use super::transport::{Transport, TransportSettings};
use super::{HttpError, HttpSettings, RetryPolicy};

/// Consecutive 429s a call waits out before it gives the last one back. They cost no attempt
/// (the server did not act), but a server that never stops throttling must still end the call.
const MAX_THROTTLES: u32 = 50;

/// One per provider process; clones share the connection pool and the spacing gate.
#[derive(Clone)]
pub struct HttpClient {
    inner: Arc<Inner>,
    /// Whether this handle's requests yield to foreground ones ([`HttpClient::background`]).
    priority: Priority,
}

struct Inner {
    transport: Arc<Transport>,
    /// The base URL without trailing slashes; empty when callers use absolute URLs.
    base_url: String,
    /// Shared with clients derived by [`HttpClient::with_base_url`]: one gate per process.
    spacer: Arc<Spacer>,
    max_attempts: u32,
    retry_base: Duration,
    retry_cap: Duration,
    retry_after_cap: Duration,
}

impl fmt::Debug for HttpClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpClient")
            .field("base_url", &redact_url(&self.inner.base_url))
            .field("max_attempts", &self.inner.max_attempts)
            .field("background", &(self.priority == Priority::Background))
            .finish_non_exhaustive()
    }
}

/// A fully read response: what [`HttpClient::send`] returns. Debug shows only the status and
/// the body length, since bodies can hold generated passwords and headers can hold cookies.
pub struct HttpResponse {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl HttpResponse {
    pub fn is_success(&self) -> bool {
        self.status.is_success()
    }

    /// Decodes the body as JSON.
    pub fn json<T: serde::de::DeserializeOwned>(&self) -> Result<T, serde_json::Error> {
        serde_json::from_slice(&self.body)
    }

    /// The body as text (invalid UTF-8 replaced).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// A header's value when present and valid text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|value| value.to_str().ok())
    }

    /// The API's own words from an error body (see [`super::error_message`]).
    pub fn error_message(&self) -> Option<String> {
        super::error_message(&self.body)
    }
}

impl fmt::Debug for HttpResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpResponse")
            .field("status", &self.status)
            .field("body_len", &self.body.len())
            .finish_non_exhaustive()
    }
}

/// What one attempt of the retry loop produced.
enum Finished {
    Response(Response),
    Full(HttpResponse),
}

impl HttpClient {
    /// Builds the one reqwest client of this provider process.
    pub fn new(settings: HttpSettings) -> Result<Self, HttpError> {
        let base_url = normalise_base(&settings.base_url)?;
        let extra_roots = match settings.ca_cert_pem.as_deref() {
            Some(pem) => parse_ca_bundle(pem)?,
            None => Vec::new(),
        };
        let transport = Transport::new(TransportSettings {
            user_agent: settings.user_agent.clone(),
            timeout: settings.timeout,
            insecure: settings.insecure,
            extra_roots,
        })?;
        // Without an interval there is nothing to hold across processes: no directory, no files.
        let hosts = if settings.request_interval.is_zero() {
            None
        } else {
            HostGate::for_this_user()
        };
        Ok(HttpClient {
            inner: Arc::new(Inner {
                transport,
                base_url,
                spacer: Arc::new(Spacer::new(
                    settings.request_interval,
                    settings.retry_after_cap,
                    hosts,
                )),
                max_attempts: settings.max_attempts.max(1),
                retry_base: settings.retry_base,
                retry_cap: settings.retry_cap,
                retry_after_cap: settings.retry_after_cap,
            }),
            priority: Priority::Foreground,
        })
    }

    /// The same client for background requests: status polls while waiting for a cluster to
    /// become ready (or gone), and anything else nobody is blocked on right now.
    ///
    /// With a `request_interval`, requests take turns; when a turn comes, a background request
    /// takes it only if no foreground request (from this client or its clones, or from another
    /// provider process aimed at the same API) is waiting, and otherwise waits for the next one.
    /// So the creates, deletes and final reads of a `terraform apply` are not queued behind
    /// the polls of the resources still waiting. Background requests are delayed, never dropped:
    /// once the foreground traffic (finite in any Terraform run) pauses, they go, in order.
    ///
    /// Everything else is shared with `self`: the connection pool, the spacing gate, the retry
    /// rules; clones of the result and clients derived by [`Self::with_base_url`] stay
    /// background. Without a `request_interval` this changes nothing.
    pub fn background(&self) -> Self {
        HttpClient {
            inner: Arc::clone(&self.inner),
            priority: Priority::Background,
        }
    }

    /// The same client (connection pool, spacing gate, retry settings, priority) aimed at another
    /// base URL: for providers whose resources each name their own endpoint.
    pub fn with_base_url(&self, base_url: &str) -> Result<Self, HttpError> {
        let base_url = normalise_base(base_url)?;
        let inner = &self.inner;
        Ok(HttpClient {
            inner: Arc::new(Inner {
                transport: Arc::clone(&inner.transport),
                base_url,
                spacer: Arc::clone(&inner.spacer),
                max_attempts: inner.max_attempts,
                retry_base: inner.retry_base,
                retry_cap: inner.retry_cap,
                retry_after_cap: inner.retry_after_cap,
            }),
            priority: self.priority,
        })
    }

    /// A note for the other provider processes of this user and host that send to the base
    /// URL's origin; `None` without a request interval (nothing is shared across processes then)
    /// or when the gate directory cannot be used.
    pub fn host_note(&self, name: &str) -> Option<HostNote> {
        let url = reqwest::Url::parse(&self.inner.base_url).ok()?;
        let origin = Origin::of(&url)?;
        let gate = self.inner.spacer.hosts()?;
        Some(HostNote::new(gate, &origin, name))
    }

    /// The base URL as configured, without trailing slashes.
    pub fn base_url(&self) -> &str {
        &self.inner.base_url
    }

    /// Joins the base URL (which may carry a path prefix) with an API path. The path keeps its
    /// own trailing slash, because some APIs (Instaclustr's create) distinguish it. An absolute
    /// `http(s)://` URL is returned unchanged.
    pub fn url(&self, path: &str) -> String {
        join_url(&self.inner.base_url, path)
    }

    /// A request builder for `path` on this client (not yet sent: pass it to [`Self::execute`]
    /// or [`Self::send`]).
    pub fn request(&self, method: Method, path: &str) -> RequestBuilder {
        self.inner.transport.plain().request(method, self.url(path))
    }

    pub fn get(&self, path: &str) -> RequestBuilder {
        self.request(Method::GET, path)
    }

    pub fn post(&self, path: &str) -> RequestBuilder {
        self.request(Method::POST, path)
    }

    pub fn put(&self, path: &str) -> RequestBuilder {
        self.request(Method::PUT, path)
    }

    pub fn delete(&self, path: &str) -> RequestBuilder {
        self.request(Method::DELETE, path)
    }

    /// Sends `request` with spacing and retries, returning the response with its body unread.
    /// Any status is `Ok`: after the last retry the last response is returned, so the vendor
    /// client can map it with the API's own error message.
    pub async fn execute(
        &self,
        request: RequestBuilder,
        retry: RetryPolicy,
        cancel: &CancellationToken,
    ) -> Result<Response, HttpError> {
        match self
            .run(request, retry, cancel, false, no_preparation)
            .await?
        {
            Finished::Response(response) => Ok(response),
            // Not produced when the body is not read; kept total for the type's sake.
            Finished::Full(_) => Err(HttpError::Config(
                "internal: unexpected buffered response".into(),
            )),
        }
    }

    /// Like [`Self::execute`], but also reads the whole body inside the retry loop, so a
    /// connection dropped mid-body is retried for idempotent calls, and the wait for the body is
    /// cancellable too.
    pub async fn send(
        &self,
        request: RequestBuilder,
        retry: RetryPolicy,
        cancel: &CancellationToken,
    ) -> Result<HttpResponse, HttpError> {
        self.send_with(request, no_preparation, retry, cancel).await
    }

    /// Like [`Self::send`], with `prepare` applied to a fresh copy of the request before every
    /// attempt, once its turn has come (after spacing and backoff waits): for auth that depends
    /// on the moment of sending, such as a signature over a timestamp header, which a retry must
    /// not replay. Retries, spacing and cancellation are exactly those of [`Self::send`]; an
    /// error from `prepare` ends the call with that error.
    pub async fn send_with<E, F>(
        &self,
        request: RequestBuilder,
        prepare: F,
        retry: RetryPolicy,
        cancel: &CancellationToken,
    ) -> Result<HttpResponse, E>
    where
        E: From<HttpError>,
        F: FnMut(&mut Request) -> Result<(), E>,
    {
        match self.run(request, retry, cancel, true, prepare).await? {
            Finished::Full(response) => Ok(response),
            Finished::Response(_) => {
                Err(HttpError::Config("internal: unexpected unread response".into()).into())
            }
        }
    }

    async fn run<E, F>(
        &self,
        builder: RequestBuilder,
        policy: RetryPolicy,
        cancel: &CancellationToken,
        read_body: bool,
        mut prepare: F,
    ) -> Result<Finished, E>
    where
        E: From<HttpError>,
        F: FnMut(&mut Request) -> Result<(), E>,
    {
        let inner = &*self.inner;
        let request = builder.build().map_err(|err| HttpError::InvalidRequest {
            method: "request".into(),
            url: err.url().map(redact_parsed).unwrap_or_default(),
            cause: describe(err),
        })?;
        let method = request.method().clone();
        let url = redact_parsed(request.url());
        let origin = Origin::of(request.url());
        let mut max_attempts = inner.max_attempts;
        let mut pending = Some(request);
        let mut attempt: u32 = 0;
        // Consecutive 429s waited out; the retry after one is not a new attempt.
        let mut throttles: u32 = 0;

        loop {
            if throttles == 0 {
                attempt += 1;
            }
            if cancel.is_cancelled() {
                return Err(HttpError::Cancelled.into());
            }
            // Keep the original for later attempts (a 429 may follow even the last one); a body
            // that cannot be copied (a stream) gets exactly one send.
            let mut this_try = match pending.as_ref().and_then(Request::try_clone) {
                Some(copy) => copy,
                None => {
                    max_attempts = attempt;
                    pending.take().ok_or_else(|| HttpError::InvalidRequest {
                        method: method.to_string(),
                        url: url.clone(),
                        cause: "request body cannot be sent again".into(),
                    })?
                }
            };
            let repeatable = pending.is_some();

            let (mut turn, waited) = inner
                .spacer
                .wait_turn(origin.as_ref(), self.priority, cancel)
                .await?;
            if !waited.is_zero() {
                debug!(%method, %url, attempt, wait_ms = millis(waited), "waited for request slot");
            }
            prepare(&mut this_try)?;
            register_credentials(this_try.headers());

            let started = Instant::now();
            let sent = self.send_once(this_try, policy, cancel).await?;
            let response = match sent {
                Ok(response) => response,
                Err(err) => {
                    drop(turn);
                    throttles = 0;
                    let retry = attempt < max_attempts && error_is_retryable(&err, policy);
                    self.retry_or_fail(err, retry, "request", &method, &url, attempt, cancel)
                        .await?;
                    continue;
                }
            };

            let status = response.status();
            debug!(
                %method, %url, attempt,
                status = status.as_u16(),
                elapsed_ms = millis(started.elapsed()),
                "http response"
            );

            // A 429 was refused by the rate limiter before anything happened: wait as told and
            // send again without spending an attempt. `max_attempts` 1 still means one send.
            if status == StatusCode::TOO_MANY_REQUESTS
                && repeatable
                && inner.max_attempts > 1
                && throttles < MAX_THROTTLES
            {
                throttles += 1;
                let delay = self.retry_delay(response.headers(), throttles);
                // The limit is per caller: every task of this process, and every process
                // aimed at this origin, holds off, not only the request that was told.
                turn.throttled(delay);
                drop(turn);
                debug!(%method, %url, attempt, throttles, wait_ms = millis(delay), "throttled (429); waiting");
                drop(response);
                sleep(delay, cancel).await?;
                continue;
            }
            drop(turn);
            throttles = 0;

            if attempt < max_attempts
                && status != StatusCode::TOO_MANY_REQUESTS
                && status_is_retryable(status, policy)
            {
                let delay = self.retry_delay(response.headers(), attempt);
                debug!(%method, %url, attempt, status = status.as_u16(), wait_ms = millis(delay), "retrying");
                drop(response);
                sleep(delay, cancel).await?;
                continue;
            }

            if !read_body {
                return Ok(Finished::Response(response));
            }

            let headers = response.headers().clone();
            let body = match policy {
                RetryPolicy::Idempotent => tokio::select! {
                    biased;
                    _ = cancel.cancelled() => return Err(HttpError::Cancelled.into()),
                    body = response.bytes() => body,
                },
                // The server has acted; its answer (the new id) must not be dropped.
                RetryPolicy::NotIdempotent => response.bytes().await,
            };
            match body {
                Ok(bytes) => {
                    return Ok(Finished::Full(HttpResponse {
                        status,
                        headers,
                        body: bytes.to_vec(),
                    }));
                }
                Err(err) => {
                    // Reading failed after the server answered: only repeat calls that are
                    // harmless to repeat.
                    let retry = attempt < max_attempts
                        && policy == RetryPolicy::Idempotent
                        && error_is_retryable(&err, policy);
                    self.retry_or_fail(
                        err,
                        retry,
                        "reading response body",
                        &method,
                        &url,
                        attempt,
                        cancel,
                    )
                    .await?;
                }
            }
        }
    }

    /// After a transport error: the final error when `retry` is false, else the backoff sleep.
    #[allow(clippy::too_many_arguments)]
    async fn retry_or_fail(
        &self,
        err: reqwest::Error,
        retry: bool,
        what: &str,
        method: &reqwest::Method,
        url: &str,
        attempt: u32,
        cancel: &CancellationToken,
    ) -> Result<(), HttpError> {
        let kind = transport_kind(&err);
        let cause = describe(err);
        if !retry {
            debug!(%method, %url, attempt, %kind, "{what} failed");
            return Err(HttpError::Transport {
                method: method.to_string(),
                url: url.to_string(),
                kind,
                attempts: attempt,
                cause,
            });
        }
        let delay = backoff(self.inner.retry_base, self.inner.retry_cap, attempt);
        debug!(%method, %url, attempt, %kind, %cause, wait_ms = millis(delay), "{what} failed; retrying");
        sleep(delay, cancel).await
    }

    /// One attempt on the wire. Idempotent requests are abandoned when `cancel` fires; a
    /// non-idempotent one runs to completion (bounded by the timeout) so that a resource the
    /// server creates is not orphaned by a cancellation racing its response.
    async fn send_once(
        &self,
        request: Request,
        policy: RetryPolicy,
        cancel: &CancellationToken,
    ) -> Result<Result<Response, reqwest::Error>, HttpError> {
        let call = self.inner.transport.execute(request);
        match policy {
            RetryPolicy::Idempotent => tokio::select! {
                biased;
                _ = cancel.cancelled() => Err(HttpError::Cancelled),
                result = call => result,
            },
            RetryPolicy::NotIdempotent => call.await,
        }
    }

    /// `Retry-After` when the server sent one (capped), else exponential backoff.
    fn retry_delay(&self, headers: &HeaderMap, attempt: u32) -> Duration {
        let inner = &*self.inner;
        headers
            .get(RETRY_AFTER)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| parse_retry_after(value, SystemTime::now()))
            .map(|delay| delay.min(inner.retry_after_cap))
            .unwrap_or_else(|| backoff(inner.retry_base, inner.retry_cap, attempt))
    }
}

/// The `prepare` step of calls that need none.
fn no_preparation(_: &mut Request) -> Result<(), HttpError> {
    Ok(())
}

/// Headers whose value is a credential whatever the vendor: the standard auth headers, the
/// common API-key and token headers, cookies, and anything a caller marked sensitive (reqwest's
/// `basic_auth` and `bearer_auth` do).
fn is_credential(name: &HeaderName, value: &HeaderValue) -> bool {
    value.is_sensitive()
        || matches!(
            name.as_str(),
            "authorization"
                | "proxy-authorization"
                | "cookie"
                | "x-auth-token"
                | "x-api-key"
                | "x-subject-token"
        )
}

fn register_credentials(headers: &HeaderMap) {
    for (name, value) in headers {
        if is_credential(name, value) {
            if let Ok(text) = value.to_str() {
                secrets::register_header(name.as_str(), text);
            }
        }
    }
}

fn parse_ca_bundle(pem: &str) -> Result<Vec<reqwest::Certificate>, HttpError> {
    let certs = reqwest::Certificate::from_pem_bundle(pem.as_bytes()).map_err(|err| {
        HttpError::Config(format!(
            "ca_cert_pem is not a valid PEM bundle: {}",
            describe(err)
        ))
    })?;
    if certs.is_empty() {
        return Err(HttpError::Config(
            "ca_cert_pem contains no certificates (expected one or more -----BEGIN CERTIFICATE----- blocks)".into(),
        ));
    }
    Ok(certs)
}

/// Validates a base URL and drops its trailing slashes. Empty stays empty (absolute URLs only).
fn normalise_base(base: &str) -> Result<String, HttpError> {
    let base = base.trim();
    if base.is_empty() {
        return Ok(String::new());
    }
    let parsed = reqwest::Url::parse(base).map_err(|err| {
        HttpError::Config(format!("invalid base URL {:?}: {err}", redact_url(base)))
    })?;
    if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
        return Err(HttpError::Config(format!(
            "invalid base URL {:?}: expected http:// or https:// with a host",
            redact_url(base)
        )));
    }
    if parsed.query().is_some() || parsed.fragment().is_some() {
        return Err(HttpError::Config(format!(
            "invalid base URL {:?}: a query or fragment cannot be combined with API paths",
            redact_url(base)
        )));
    }
    Ok(base.trim_end_matches('/').to_string())
}

pub(crate) fn join_url(base: &str, path: &str) -> String {
    if path.starts_with("http://") || path.starts_with("https://") {
        return path.to_string();
    }
    if path.is_empty() {
        return base.to_string();
    }
    let mut out = String::with_capacity(base.len() + path.len() + 1);
    out.push_str(base);
    if !path.starts_with('/') {
        out.push('/');
    }
    out.push_str(path);
    out
}

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests;
