//! Test-only admin API under `/_admin`: no auth, not rate limited, not in the request log.
//!
//! | request | effect / answer |
//! | --- | --- |
//! | `GET /_admin/requests[?vendor=&method=&path_contains=]` | `{"total": N, "requests": [{"vendor","method","path","status","at_ms"}]}`, oldest first; `total` is the number of entries returned |
//! | `DELETE /_admin/requests` | clears the log → `{"cleared": N}` |
//! | `GET /_admin/faults` | the queued faults |
//! | `POST /_admin/faults` | queues a fault (body below) → `{"queued": <fault>, "pending": N}` |
//! | `DELETE /_admin/faults` | clears the queue → `{"cleared": N}` |
//! | `GET /_admin/config` | `{"pace_ms", "rate_limit_ms"}` |
//! | `POST /_admin/config` | `{"pace_ms"?, "rate_limit_ms"?}` changes them → the new config |
//! | `/_admin/<vendor>/…` | per-vendor back doors (see e.g. `instaclustr::admin_routes`) |
//!
//! Fault body: `{"vendor": "instaclustr", "method": "GET"?, "path_contains": "resize"?,
//! "status": 500, "body": {..}?, "retry_after": 1?, "times": 1?}`. The next `times` requests to
//! that vendor whose method matches (case-insensitive) and whose path (without the vendor prefix)
//! contains `path_contains` get `status` with `body` (default: the vendor's error shape with
//! message "injected fault (clusterform-sim)") and a `Retry-After: <retry_after>` header if given,
//! instead of normal handling — before rate limiting and auth. Faults are matched in the order
//! they were queued.
//!
//! A lie instead of a fault: `{"vendor", "method"?, "path_contains"?, "patch": {..}, "times"?}`
//! (no `status`). The matching requests are handled normally, then the JSON object `patch` is
//! merged into the answer's JSON body (objects key by key, anything else replaced), so a test can
//! make the API report something other than what it did.

use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};

use super::{json_error, json_message, lock, Fault, Shared, MODULES};

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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FaultRequest {
    vendor: String,
    method: Option<String>,
    path_contains: Option<String>,
    status: Option<u16>,
    body: Option<Value>,
    retry_after: Option<u64>,
    times: Option<u32>,
    patch: Option<Value>,
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
    let status = match (req.status, &req.patch) {
        (Some(s), None) if StatusCode::from_u16(s).is_ok() && s >= 100 => s,
        (None, Some(Value::Object(_))) => 200,
        (None, None) | (Some(_), None) => {
            return json_error(
                StatusCode::BAD_REQUEST,
                json_message("status must be an HTTP status code (100-999)"),
            )
        }
        (Some(_), Some(_)) => {
            return json_error(
                StatusCode::BAD_REQUEST,
                json_message("a fault has either a status or a patch, not both"),
            )
        }
        (None, Some(_)) => {
            return json_error(
                StatusCode::BAD_REQUEST,
                json_message("patch must be a JSON object"),
            )
        }
    };
    let times = req.times.unwrap_or(1);
    if times == 0 {
        return json_error(
            StatusCode::BAD_REQUEST,
            json_message("times must be at least 1"),
        );
    }
    let fault = Fault {
        vendor: req.vendor,
        method: req.method,
        path_contains: req.path_contains,
        status,
        body: req.body,
        retry_after: req.retry_after,
        times,
        patch: req.patch,
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
