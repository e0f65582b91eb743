//! `clusterform-sim`: a simulator of the vendor cluster APIs, used by the demo and the tests.
//!
//! Each vendor API is a sibling module ([`instaclustr`], [`css`] with [`iam`], [`cloudbasic`],
//! [`redis`]) written from the vendor's documentation alone. It deliberately shares no types with `crate::vendors` or `crate::http`:
//! if the provider and the simulator read a field name differently, a test must fail instead of
//! both sides agreeing on the same mistake.
//!
//! Layout of the HTTP surface:
//! - `/<vendor>/...` — one vendor API per prefix (`/instaclustr/provisioning/v1/...`), so a
//!   client's base URL is `http://127.0.0.1:PORT/<vendor>`.
//! - `/_admin/...` — the test-only admin API ([`admin`]): request log, fault injection, run-time
//!   config, per-vendor back doors. Admin calls are neither logged, authenticated nor limited.
//!
//! Everything that is the same for every vendor — request logging, injected faults, per-IP rate
//! limiting — happens in one middleware ([`vendor_gate`]) wrapped around each vendor router, so a
//! new vendor module only brings its routes, its auth check and its error-body shape.
//!
//! Order inside the gate, per request: (1) a queued fault that matches and fires takes over the
//! exchange ([`faults`]: it may still let the vendor router handle the request, then change, delay
//! or drop the answer), bypassing the rate limiter; otherwise (2) the rate limiter, (3) the vendor
//! router (auth, then the handler). Every outcome, including injected faults, 401s and 429s, is
//! recorded in the request log with the status the client got.

pub mod admin;
pub mod cloudbasic;
pub mod css;
pub mod faults;
pub mod iam;
pub mod instaclustr;
pub mod provider_config;
pub mod redis;
pub mod tls;

use std::collections::{HashMap, VecDeque};
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::{Json, Router};
use serde::Serialize;
use serde_json::Value;

/// Run-time knobs of the simulator. All fields can be changed later through `POST /_admin/config`
/// (pace and rate limit) so a single simulator process can serve several test phases.
#[derive(Clone, Debug)]
pub struct SimConfig {
    /// Duration of one lifecycle step (GENESIS → PROVISIONING, resize, DELETING → DELETED, …).
    pub pace: Duration,
    /// Minimum spacing of requests from one client IP to a rate-limited vendor API; zero = off.
    pub rate_limit: Duration,
    /// Instaclustr account user name accepted by Basic auth.
    pub instaclustr_user: String,
    /// Instaclustr provisioning API key accepted by Basic auth.
    pub instaclustr_key: String,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            pace: Duration::from_millis(300),
            rate_limit: Duration::ZERO,
            instaclustr_user: "demo".to_owned(),
            instaclustr_key: "demo-key".to_owned(),
        }
    }
}

/// What every vendor module tells the shared machinery about itself.
#[derive(Clone, Copy, Debug)]
pub struct Vendor {
    /// Path prefix without slashes (`instaclustr`), also the `vendor` field in the log and faults.
    pub name: &'static str,
    /// Whether `SimConfig::rate_limit` applies to this vendor's API.
    pub rate_limited: bool,
    /// The vendor's error body shape, used for 429s and for injected faults without a body.
    pub error_body: fn(StatusCode, &str) -> Value,
}

/// One simulated API: its identity, its routes under `/<name>` and its back doors under
/// `/_admin/<name>`.
pub struct VendorModule {
    pub vendor: Vendor,
    pub api: fn(&Shared) -> Router<Shared>,
    pub admin: fn() -> Router<Shared>,
}

/// Every API the simulator serves. Adding a vendor = one module + one line here + one field in
/// [`SimState`].
pub const MODULES: &[VendorModule] = &[
    VendorModule {
        vendor: instaclustr::VENDOR,
        api: instaclustr::api,
        admin: instaclustr::admin_routes,
    },
    VendorModule {
        vendor: css::VENDOR,
        api: css::api,
        admin: css::admin_routes,
    },
    VendorModule {
        vendor: iam::VENDOR,
        api: iam::api,
        admin: iam::admin_routes,
    },
    VendorModule {
        vendor: cloudbasic::VENDOR,
        api: cloudbasic::api,
        admin: cloudbasic::admin_routes,
    },
    VendorModule {
        vendor: redis::VENDOR,
        api: redis::api,
        admin: redis::admin_routes,
    },
];

/// One entry of the request log (`GET /_admin/requests`).
#[derive(Clone, Debug, Serialize)]
pub struct LoggedRequest {
    pub vendor: &'static str,
    pub method: String,
    /// Path without the vendor prefix and without the query string.
    pub path: String,
    /// What the client got; 0 when an injected fault dropped the connection without an answer.
    pub status: u16,
    /// Milliseconds since the simulator started: lets tests check a client's request spacing.
    pub at_ms: u64,
    /// The kind of injected fault that shaped the answer ([`faults::Kind`]); absent otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fault: Option<&'static str>,
}

/// The log keeps at most this many entries (oldest dropped) so a long demo cannot grow memory
/// without bound.
const LOG_CAPACITY: usize = 100_000;

/// All mutable simulator state. Handlers hold the lock only for synchronous work, never across an
/// `.await`, so a plain `std::sync::Mutex` is enough.
pub struct SimState {
    pub config: SimConfig,
    pub started: Instant,
    pub log: VecDeque<LoggedRequest>,
    pub faults: Vec<faults::Fault>,
    /// Last request admitted by the rate limiter, per (vendor, client IP).
    pub last_admitted: HashMap<(&'static str, Option<IpAddr>), Instant>,
    pub instaclustr: instaclustr::State,
    pub css: css::State,
    pub iam: iam::State,
    pub cloudbasic: cloudbasic::State,
    pub redis: redis::State,
}

impl SimState {
    pub fn new(config: SimConfig) -> Self {
        SimState {
            config,
            started: Instant::now(),
            log: VecDeque::new(),
            faults: Vec::new(),
            last_admitted: HashMap::new(),
            instaclustr: instaclustr::State::default(),
            css: css::State::default(),
            iam: iam::State::default(),
            cloudbasic: cloudbasic::State::default(),
            redis: redis::State::default(),
        }
    }

    /// Returns how long the client must still wait, or records the request as admitted.
    ///
    /// The window is measured from the last *admitted* request: a client that keeps hammering
    /// while limited is not pushed further out, so an honest retry after `Retry-After` succeeds.
    fn rate_check(
        &mut self,
        vendor: &Vendor,
        ip: Option<IpAddr>,
        now: Instant,
    ) -> Option<Duration> {
        let limit = self.config.rate_limit;
        if !vendor.rate_limited || limit.is_zero() {
            return None;
        }
        let key = (vendor.name, ip);
        if let Some(last) = self.last_admitted.get(&key) {
            let elapsed = now.saturating_duration_since(*last);
            if elapsed < limit {
                return Some(limit - elapsed);
            }
        }
        self.last_admitted.insert(key, now);
        None
    }

    fn record(&mut self, entry: LoggedRequest) {
        if self.log.len() >= LOG_CAPACITY {
            self.log.pop_front();
        }
        self.log.push_back(entry);
    }
}

/// Handle shared by every handler.
pub type Shared = Arc<Mutex<SimState>>;

/// Creates the shared state for [`router`].
pub fn shared(config: SimConfig) -> Shared {
    Arc::new(Mutex::new(SimState::new(config)))
}

/// Locks the state. A handler that panicked while holding the lock leaves consistent-enough data
/// for a simulator, so poisoning is ignored rather than turning every later request into a 500.
pub fn lock(shared: &Shared) -> MutexGuard<'_, SimState> {
    shared
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The whole simulator as one axum router (for in-process tests; [`serve`] adds the listener).
pub fn router(shared: Shared) -> Router {
    let mut app = Router::new();
    for module in MODULES {
        let api = (module.api)(&shared).layer(middleware::from_fn_with_state(
            (shared.clone(), module.vendor),
            vendor_gate,
        ));
        app = app
            .nest(&format!("/{}", module.vendor.name), api)
            .nest(&format!("/_admin/{}", module.vendor.name), (module.admin)());
    }
    app.merge(admin::router())
        .fallback(|| async {
            json_error(
                StatusCode::NOT_FOUND,
                json_message("no such route in clusterform-sim"),
            )
        })
        .with_state(shared)
}

/// Serves the simulator on `listener` until the process ends (or the listener fails).
pub async fn serve(listener: tokio::net::TcpListener, cfg: SimConfig) -> io::Result<()> {
    let app = router(shared(cfg));
    // Connect info gives the rate limiter the client IP.
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .await
}

/// Who deals with a request that reaches the gate.
enum Turn {
    Fault(faults::Fault),
    /// The rate limiter refuses it; the client must wait this long.
    Limited(Duration),
    Api,
}

/// The middleware every vendor router sits behind: faults, rate limit, request log.
pub async fn vendor_gate(
    State((shared, vendor)): State<(Shared, Vendor)>,
    req: Request,
    next: Next,
) -> Response {
    let method = req.method().as_str().to_owned();
    // Inside a nested router the vendor prefix is already stripped from the URI.
    let path = match req.uri().path() {
        "" => "/".to_owned(),
        p => p.to_owned(),
    };
    let ip = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip());
    let started = Instant::now();

    let turn = {
        let mut st = lock(&shared);
        match faults::draw(&mut st.faults, vendor.name, &method, &path) {
            Some(fault) => Turn::Fault(fault),
            None => match st.rate_check(&vendor, ip, started) {
                Some(wait) => Turn::Limited(wait),
                None => Turn::Api,
            },
        }
    };
    // `answered_by` says which part of the gate answered, for the stderr log line.
    let (resp, kind, answered_by) = match turn {
        Turn::Fault(fault) => {
            let kind = fault.kind();
            let resp = faults::apply(&fault, &vendor, req, next).await;
            (resp, Some(kind), kind.as_str())
        }
        Turn::Limited(wait) => (rate_limited_response(&vendor, wait), None, "rate-limit"),
        Turn::Api => (next.run(req).await, None, "api"),
    };

    let status = match kind {
        Some(k) if k.dropped() => 0,
        _ => resp.status().as_u16(),
    };
    {
        let mut st = lock(&shared);
        let at_ms = st.started.elapsed().as_millis() as u64;
        st.record(LoggedRequest {
            vendor: vendor.name,
            method: method.clone(),
            path: path.clone(),
            status,
            at_ms,
            fault: kind.map(faults::Kind::as_str),
        });
    }
    // Only method, path and status: headers (Authorization!) and bodies are never logged.
    tracing::info!(
        vendor = vendor.name,
        method = %method,
        path = %path,
        status,
        elapsed_ms = started.elapsed().as_millis() as u64,
        answered_by,
        "request"
    );
    resp
}

fn rate_limited_response(vendor: &Vendor, wait: Duration) -> Response {
    // Whole seconds, rounded up, at least 1: clients honouring it never arrive early.
    let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    let secs = secs.max(1);
    let body = (vendor.error_body)(
        StatusCode::TOO_MANY_REQUESTS,
        &format!("Rate limit exceeded: retry after {secs} second(s)"),
    );
    let mut resp = (StatusCode::TOO_MANY_REQUESTS, Json(body)).into_response();
    resp.headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(secs));
    resp
}

/// `{"message": ...}`: the body of simulator-level (not vendor-level) errors.
pub(crate) fn json_message(message: &str) -> Value {
    serde_json::json!({ "message": message })
}

pub(crate) fn json_error(status: StatusCode, body: Value) -> Response {
    (status, Json(body)).into_response()
}

/// Parses a JSON request body; malformed JSON becomes a 400 with the vendor's error shape.
// The error is a ready HTTP response handed straight back by the handler; boxing it buys nothing.
#[allow(clippy::result_large_err)]
pub(crate) fn parse_json_body(
    bytes: &[u8],
    error_body: fn(StatusCode, &str) -> Value,
) -> Result<Value, Response> {
    if bytes.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(json_error(
            StatusCode::BAD_REQUEST,
            error_body(
                StatusCode::BAD_REQUEST,
                "request body must be a JSON object",
            ),
        ));
    }
    serde_json::from_slice::<Value>(bytes).map_err(|e| {
        json_error(
            StatusCode::BAD_REQUEST,
            error_body(
                StatusCode::BAD_REQUEST,
                &format!("malformed JSON body: {e}"),
            ),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `router()` must also work without connect info (in-process use): the limiter then keys
    /// on "unknown IP" instead of failing the request.
    #[tokio::test]
    async fn router_serves_without_connect_info() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let cfg = SimConfig {
            rate_limit: Duration::from_secs(60),
            ..SimConfig::default()
        };
        let state = shared(cfg);
        tokio::spawn(std::future::IntoFuture::into_future(axum::serve(
            listener,
            router(state.clone()),
        )));
        let client = reqwest::Client::new();
        let url = format!("http://{addr}/instaclustr/provisioning/v1");
        let first = client
            .get(&url)
            .basic_auth("demo", Some("demo-key"))
            .send()
            .await
            .expect("send");
        assert_eq!(first.status().as_u16(), 404);
        let second = client
            .get(&url)
            .basic_auth("demo", Some("demo-key"))
            .send()
            .await
            .expect("send");
        assert_eq!(second.status().as_u16(), 429);
        assert_eq!(lock(&state).log.len(), 2);
    }
}
