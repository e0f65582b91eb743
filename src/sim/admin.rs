//! Test-only admin API under `/_admin`: no auth, not rate limited, not in the request log.
//!
//! | request | effect / answer |
//! | --- | --- |
//! | `GET /_admin/requests[?vendor=&method=&path_contains=]` | `{"total": N, "requests": [{"vendor","method","path","status","at_ms","fault"?}]}`, oldest first; `total` is the number of entries returned; `status` 0 and `fault` as below for injected faults |
//! | `DELETE /_admin/requests` | clears the log → `{"cleared": N}` |
//! | `GET /_admin/faults` | the queued faults, with remaining `times` (`null` = unlimited) |
//! | `POST /_admin/faults` | queues a fault (body below) → `{"queued": <fault>, "pending": N}` |
//! | `DELETE /_admin/faults` | clears the queue → `{"cleared": N}` |
//! | `GET /_admin/config` | `{"pace_ms", "rate_limit_ms"}` |
//! | `POST /_admin/config` | `{"pace_ms"?, "rate_limit_ms"?}` changes them → the new config |
//! | `/_admin/<vendor>/…` | per-vendor back doors (see e.g. `instaclustr::admin_routes`) |
//!
//! Fault body (every field but `vendor` optional; unknown fields are refused):
//! `{"vendor": "instaclustr", "method": "GET", "path_contains": "resize", "times": 1,
//! "probability": 1, ...kind fields}`. A request *matches* a fault when the vendor is the same,
//! the method matches (case-insensitive) and its path (without the vendor prefix and query)
//! contains `path_contains`. Faults are tried in the order they were queued; each matching fault
//! *fires* with chance `probability` (0 < p ≤ 1, default 1), and one that does not fire lets the
//! next matching fault try. The first that fires takes over the exchange, before rate limiting
//! (and, unless it lets the request be handled, before auth). `times` counts firings (default 1,
//! but unlimited when `probability` is given; a given `times` always bounds it); a fault leaves
//! the queue when it is used up. `GET /_admin/faults` lists the queue with the remaining `times`
//! (`null` = unlimited) and every field filled in (`status`/`body`/… `null`, `act`/`drop` false,
//! `remove` `[]`, `probability` 1 when not given).
//!
//! Kinds, by the fields that choose them (`fault` is the request log's name for it):
//!
//! | fields | handled? | the client gets | `fault` |
//! | --- | --- | --- | --- |
//! | `"status": 503, "body"?, "retry_after"?` | no | `status` with `body` (default: the vendor's JSON error shape, message "injected fault (clusterform-sim)") and `Retry-After` if given | `status` |
//! | `"status": 503, "act": true, "body"?, "retry_after"?` | yes: the simulator really acts (the cluster is created, …) | the same fault answer instead of the real one: "the server acted, then the answer was lost" | `act` |
//! | `"drop": true` | no | no HTTP answer at all: the connection closes without a single response byte (EOF or reset; reqwest reports a transport error, never a status) | `drop` |
//! | `"drop": true, "act": true` | yes | as `drop`, after the simulator acted | `act_drop` |
//! | `"garble": "truncate"` | yes | the real status and headers, the body cut to its first half (`len / 2` bytes) | `garble` |
//! | `"garble": "invalid"` | yes | the real status and headers, the body replaced by bytes that are neither JSON nor XML (nor UTF-8) | `garble` |
//! | `"patch": {..}` | yes | the real answer with the JSON object `patch` merged into its JSON body (objects key by key, anything else replaced): unexpected or wrong fields | `lie` |
//! | `"remove": ["a.b", ..]` | yes | the real answer with each dotted path removed from its JSON body (a segment that meets an array applies the rest of the path to every element, a top-level array too), or from its XML body (element names below the root element, compared ignoring ASCII case so `"publicKey"` also removes CloudBasic's `<PublicKey>`; repeated elements all go): missing fields | `lie` |
//! | `"delay_ms": 2000` alone | yes | the real answer, `delay_ms` late | `delay` |
//!
//! Combinations: `delay_ms` adds to any kind (the answer, fault or real, or the drop comes that
//! much later; a handled request is handled first, so the simulator acts at once and only the
//! answer is late). `patch` and `remove` combine (fields removed first, then the patch merged),
//! and `garble` can follow them (then the log says `garble`). `patch` only changes JSON bodies
//! (an XML answer keeps its elements), `remove` JSON and XML ones; a body that does not parse is
//! left alone. `garble` spoils any body. A changed body is sent with
//! a matching `Content-Length`. The delay is an async sleep outside the state lock: other requests
//! and the admin API are not held up.
//!
//! Refused with a 400 and a message: `times` 0; `probability` outside (0, 1]; a `status` outside
//! 100-999; `status` with `drop`; `body`/`retry_after` without `status`; `act` without `status`
//! or `drop`; `patch`/`remove`/`garble` with `status` or `drop` (those replace the answer they
//! would change); `patch` not an object; an empty `remove` path or segment; a `garble` other than
//! `truncate`/`invalid`; a fault with none of `status`, `drop`, `patch`, `remove`, `garble`,
//! `delay_ms`.
//!
//! The request log records what the client got: the fault's status for `status` and `act`
//! faults, 0 for `drop` and `act_drop`, the real status otherwise; every entry shaped by a fault
//! also has `"fault": "<kind>"` (entries without a fault have no `fault` field).

use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};

use super::faults::FaultRequest;
use super::{json_error, json_message, lock, Shared, MODULES};

pub fn router() -> Router<Shared> {
    Router::new()
        .route(
            "/_admin/requests",
            get(list_requests).delete(clear_requests),
        )
        .route(
            "/_admin/faults",
            get(list_faults).post(add_fault).delete(clear_faults),
        )
        .route("/_admin/config", get(get_config).post(set_config))
}

/// Admin bodies are parsed by hand so that a bad body is a JSON 400, never a panic or a
/// plain-text rejection.
// The error is a ready HTTP response handed straight back by the handler; boxing it buys nothing.
#[allow(clippy::result_large_err)]
fn parse<T: for<'de> Deserialize<'de>>(bytes: &[u8]) -> Result<T, Response> {
    let bytes: &[u8] = if bytes.iter().all(u8::is_ascii_whitespace) {
        b"{}"
    } else {
        bytes
    };
    serde_json::from_slice(bytes).map_err(|e| {
        json_error(
            StatusCode::BAD_REQUEST,
            json_message(&format!("invalid admin request body: {e}")),
        )
    })
}

#[derive(Deserialize)]
struct RequestFilter {
    vendor: Option<String>,
    method: Option<String>,
    path_contains: Option<String>,
}

async fn list_requests(
    State(shared): State<Shared>,
    Query(filter): Query<RequestFilter>,
) -> Response {
    let st = lock(&shared);
    let requests: Vec<Value> = st
        .log
        .iter()
        .filter(|r| filter.vendor.as_deref().is_none_or(|v| r.vendor == v))
        .filter(|r| {
            filter
                .method
                .as_deref()
                .is_none_or(|m| r.method.eq_ignore_ascii_case(m))
        })
        .filter(|r| {
            filter
                .path_contains
                .as_deref()
                .is_none_or(|p| r.path.contains(p))
        })
        .map(|r| json!(r))
        .collect();
    Json(json!({ "total": requests.len(), "requests": requests })).into_response()
}

async fn clear_requests(State(shared): State<Shared>) -> Response {
    let mut st = lock(&shared);
    let cleared = st.log.len();
    st.log.clear();
    Json(json!({ "cleared": cleared })).into_response()
}

async fn list_faults(State(shared): State<Shared>) -> Response {
    let st = lock(&shared);
    Json(json!(st.faults)).into_response()
}

async fn add_fault(State(shared): State<Shared>, body: Bytes) -> Response {
    let req: FaultRequest = match parse(&body) {
        Ok(r) => r,
        Err(resp) => return resp,
    };
    if !MODULES.iter().any(|m| m.vendor.name == req.vendor) {
        let names: Vec<&str> = MODULES.iter().map(|m| m.vendor.name).collect();
        return json_error(
            StatusCode::BAD_REQUEST,
            json_message(&format!(
                "unknown vendor {:?}; known: {}",
                req.vendor,
                names.join(", ")
            )),
        );
    }
    let fault = match req.validate() {
        Ok(f) => f,
        Err(problem) => return json_error(StatusCode::BAD_REQUEST, json_message(&problem)),
    };
    let mut st = lock(&shared);
    st.faults.push(fault.clone());
    Json(json!({ "queued": fault, "pending": st.faults.len() })).into_response()
}

async fn clear_faults(State(shared): State<Shared>) -> Response {
    let mut st = lock(&shared);
    let cleared = st.faults.len();
    st.faults.clear();
    Json(json!({ "cleared": cleared })).into_response()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfigRequest {
    pace_ms: Option<u64>,
    rate_limit_ms: Option<u64>,
}

fn config_json(shared: &Shared) -> Value {
    let st = lock(shared);
    json!({
        "pace_ms": st.config.pace.as_millis() as u64,
        "rate_limit_ms": st.config.rate_limit.as_millis() as u64,
    })
}

async fn get_config(State(shared): State<Shared>) -> Response {
    Json(config_json(&shared)).into_response()
}

async fn set_config(State(shared): State<Shared>, body: Bytes) -> Response {
    let req: ConfigRequest = match parse(&body) {
        Ok(r) => r,
        Err(resp) => return resp,
    };
    {
        let mut st = lock(&shared);
        if let Some(ms) = req.pace_ms {
            st.config.pace = Duration::from_millis(ms);
        }
        if let Some(ms) = req.rate_limit_ms {
            st.config.rate_limit = Duration::from_millis(ms);
            // A new limit starts with a clean slate rather than judging old traffic by it.
            st.last_admitted.clear();
        }
    }
    Json(config_json(&shared)).into_response()
}
