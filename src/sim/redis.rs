//! Simulated Redis Enterprise Software nodes (REST API on port 9443 in real life), mounted under
//! `/redis`. Written from the vendor documentation (`shared/spec/api-facts.md`), never from this
//! crate's client.
//!
//! # Nodes and base URLs
//! Every node is its own base URL: `<sim>/redis/<node>` (`<node>` = 1–63 letters, digits, `.`,
//! `_`, `-`). A node springs into existence, fresh and `idle`, the first time any request names
//! it (or through `POST /_admin/redis/nodes/<node>`), so a test simply picks names. The `n`-th
//! new node (in order of appearance, from 1) reports four addresses in
//! `local_node_info.available_addrs`, as objects `{address, format, if_name, private}` (the
//! vendor's shape) and in this order, which is not sorted: `203.0.113.<n>` (`eth1`, public),
//! `172.17.0.1` (`docker0`, private, the same on every node), `fd00::10:0:0:<n>` (`eth0`, ipv6,
//! private) and `10.0.0.<n>` (`eth0`, private). Its default address, used unless a bootstrap
//! sets `node.identity.addr`, is the first private IPv4 in string order: `10.0.0.<n>` (after
//! 250 nodes `10.0.1.1`, …). The list does not change with bootstrap.
//!
//! # Endpoints (relative to a node's base URL)
//! | request | answer |
//! | --- | --- |
//! | `GET /v1/bootstrap` | 200 `{"bootstrap_status": {state, start_time?, end_time?, error_code?, error_details?{message}}, "local_node_info": {uid?, software_version, cores, total_memory, persistent_storage_path, ephemeral_storage_path, available_addrs[{address, format, if_name, private}], os_version, architecture}}`; no auth while the node is not a cluster member, Basic auth (the cluster's admin credentials) once it is |
//! | `POST /v1/bootstrap/{create_cluster\|join_cluster}` | 200 `{}` = accepted; 400 bad bootstrap object; **409** while a bootstrap runs or once the node is a member (allowed only from `idle` or `error`). No auth |
//! | `POST /v1/bootstrap/validate/{action}` | 200 `{}` valid; 406 with a `bootstrap_status` body naming the error |
//! | `GET /v1/cluster` | `{name, created_time, rack_aware, email_alerts}` |
//! | `GET /v1/nodes`, `GET /v1/nodes/{uid}` | node objects `{uid, addr, external_addr, status, software_version, rack_id, …}`; 404 for an unknown uid |
//! | `POST /v1/nodes/{uid}/actions/remove` | 200 `{action_uid, …}`; 404 unknown uid; 409 a remove already runs; 400 for the last node of a cluster |
//! | `GET /v1/nodes/{uid}/actions/remove` | 200 `{status: "running", progress, node_uid}` while it runs; 404 when none runs (done) |
//!
//! Cluster endpoints (`/v1/cluster`, `/v1/nodes…`) need Basic auth with the cluster's admin
//! credentials (401 with `WWW-Authenticate` otherwise) and answer **503** `not a member of the
//! cluster` on a node that belongs to none. Errors are `{"error_code": …, "message": …}`.
//!
//! # Simulator choices (the docs are silent)
//! - **Timing**: a bootstrap is `initiated`, then `creating_cluster`/`joining_cluster` after one
//!   `pace`, then `completed` or `error` after two. A remove action runs for two paces (the node is
//!   `decommissioning`), then the node leaves the cluster and is reset to a fresh `idle` node.
//! - **Outcome**, decided when the bootstrap ends: relative `node.paths` → `path_error`; create
//!   with a license that is not a `----- LICENSE START -----` … `----- LICENSE END -----` block →
//!   `invalid_license`; create of a cluster name that already exists → `config_error`; join where
//!   no address of `cluster.nodes` (nor `cluster.name`) names an active member → `connect_error`;
//!   join with credentials other than the cluster's → `access_denied`; join with an address a
//!   member already has → `config_error`. A forced error (admin) wins over everything.
//! - **Join addresses**: an entry of `cluster.nodes` names a member when it equals (ignoring case)
//!   the member's address (`node.identity.addr` or its default address), one of its
//!   `external_addr`, or its node name (the path segment, as a host name would).
//! - **uids**: 1 for the creating node, then 2, 3, … per cluster in join order, never reused. Sent
//!   as a JSON string in `local_node_info` (as real servers do) and as a number in node objects
//!   (as the documentation shows), so clients must accept both.
//! - **Shape errors** (400, at once): not a JSON object, `action` in the body differing from the
//!   URL, missing `credentials.username`/`password`, missing `cluster.name` (create, must be an
//!   FQDN of at most 64 characters) or both `cluster.nodes` and `cluster.name` (join), wrong types.
//!
//! # Admin back doors (`/_admin/redis/…`)
//! | request | effect |
//! | --- | --- |
//! | `GET /nodes` | `[{name, addr, state, cluster, uid, status, error_code}]` |
//! | `POST /nodes/{name}` | creates the node if needed → its admin object |
//! | `POST /nodes/{name}/remove` | takes the node out of its cluster at once (behind Terraform's back) and resets it; 404 if it is no member |
//! | `POST /nodes/{name}/next_bootstrap_error` `{"error_code", "message"?}` | the node's next bootstrap ends in `error` with that code (one of the documented codes) |
//! | `POST /nodes/{name}/reverse_addrs` | reverses the order of the node's `available_addrs` (its default address stays) → `{node, available_addrs: [address, …]}` |
//! | `GET /clusters` | `[{name, created_time, username, nodes: [{name, uid, addr}]}]` |
//! | `GET /tls` | `{"url", "ca_cert_pem"}` of the simulator's HTTPS listener (`--tls-listen`); 404 without one |

mod node;
mod request;

use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::{Path, State as AxState};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::Engine;
use serde_json::{json, Value};

use self::node::{bootstrap_json, node_json, timestamp, Node, Nodes, ERROR_CODES};
use self::request::Action;
use super::{json_error, lock, parse_json_body, Shared, Vendor};

pub const VENDOR: Vendor = Vendor {
    name: "redis",
    rate_limited: false,
    error_body,
};

/// `{"error_code", "message"}`, the shape of every error of this API.
fn error_body(status: StatusCode, message: &str) -> Value {
    let code = match status {
        StatusCode::BAD_REQUEST => "bad_request",
        StatusCode::UNAUTHORIZED => "unauthorized",
        StatusCode::FORBIDDEN => "forbidden",
        StatusCode::NOT_FOUND => "not_found",
        StatusCode::CONFLICT => "conflict",
        StatusCode::NOT_ACCEPTABLE => "not_acceptable",
        StatusCode::SERVICE_UNAVAILABLE => "service_unavailable",
        _ => "internal_error",
    };
    json!({ "error_code": code, "message": message })
}

fn error(status: StatusCode, code: &str, message: &str) -> Response {
    json_error(status, json!({ "error_code": code, "message": message }))
}

/// The simulator's HTTPS listener, published for tests by the binary.
#[derive(Debug, Clone)]
struct TlsInfo {
    url: String,
    ca_cert_pem: String,
}

#[derive(Debug, Default)]
pub struct State {
    nodes: Nodes,
    tls: Option<TlsInfo>,
}

/// Records the simulator's HTTPS base URL and the PEM certificate clients must trust, for
/// `GET /_admin/redis/tls`. Redis Enterprise nodes serve HTTPS with self-signed certificates, so
/// this vendor is the one whose tests need it.
pub fn publish_tls(shared: &Shared, url: &str, ca_cert_pem: &str) {
    lock(shared).redis.tls = Some(TlsInfo {
        url: url.to_owned(),
        ca_cert_pem: ca_cert_pem.to_owned(),
    });
}

/// Locks the simulator, advances every node to `now`, and runs `f` on the Redis state.
fn with_nodes<T>(shared: &Shared, f: impl FnOnce(&mut Nodes, Instant, Duration) -> T) -> T {
    let mut st = lock(shared);
    let now = Instant::now();
    let pace = st.config.pace;
    st.redis.nodes.tick(now, pace);
    f(&mut st.redis.nodes, now, pace)
}

/// Runs `f` for a request that a cluster member must answer with the cluster's credentials:
/// the node exists (created idle on first use), belongs to a cluster, and the caller is
/// authorised; otherwise the matching error response.
fn with_member(
    shared: &Shared,
    name: &str,
    headers: &HeaderMap,
    f: impl FnOnce(&mut Nodes, String, Instant, Duration) -> Response,
) -> Response {
    if !valid_node_name(name) {
        return no_such_node(name);
    }
    with_nodes(shared, |nodes, now, pace| {
        nodes.node_mut(name);
        let Some(node) = nodes.nodes.get(name) else {
            return no_such_node(name);
        };
        match member_cluster(nodes, node, headers) {
            Ok(cluster) => f(nodes, cluster, now, pace),
            Err(resp) => resp,
        }
    })
}

fn valid_node_name(name: &str) -> bool {
    (1..=63).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

fn no_such_node(name: &str) -> Response {
    error(
        StatusCode::NOT_FOUND,
        "not_found",
        &format!("{name:?} is not a valid node name (1-63 letters, digits, '.', '_', '-')"),
    )
}

// ---------------------------------------------------------------------------------------------
// Routes

pub fn api(_shared: &Shared) -> Router<Shared> {
    Router::new()
        .route("/{node}/v1/bootstrap", get(get_bootstrap))
        .route("/{node}/v1/bootstrap/{action}", post(post_bootstrap))
        .route(
            "/{node}/v1/bootstrap/validate/{action}",
            post(validate_bootstrap),
        )
        .route("/{node}/v1/cluster", get(get_cluster))
        .route("/{node}/v1/nodes", get(list_nodes))
        .route("/{node}/v1/nodes/{uid}", get(get_node))
        .route(
            "/{node}/v1/nodes/{uid}/actions/remove",
            post(start_remove).get(remove_status),
        )
        .fallback(|| async { error(StatusCode::NOT_FOUND, "not_found", "no such endpoint") })
        .method_not_allowed_fallback(|| async {
            error(
                StatusCode::METHOD_NOT_ALLOWED,
                "method_not_allowed",
                "method not allowed on this endpoint",
            )
        })
}

pub fn admin_routes() -> Router<Shared> {
    Router::new()
        .route("/nodes", get(admin_nodes))
        .route("/nodes/{name}", post(admin_create_node))
        .route("/nodes/{name}/remove", post(admin_remove_node))
        .route("/nodes/{name}/next_bootstrap_error", post(admin_next_error))
        .route("/nodes/{name}/reverse_addrs", post(admin_reverse_addrs))
        .route("/clusters", get(admin_clusters))
        .route("/tls", get(admin_tls))
}

// ---------------------------------------------------------------------------------------------
// Auth

fn basic_credentials(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, encoded) = value.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (user, password) = text.split_once(':')?;
    Some((user.to_owned(), password.to_owned()))
}

fn unauthorized(message: &str) -> Response {
    let mut resp = error(StatusCode::UNAUTHORIZED, "unauthorized", message);
    resp.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Basic realm=\"redis-enterprise\""),
    );
    resp
}

/// For a member node: `Ok` when the request carries the cluster's admin credentials. Nodes that
/// belong to no cluster answer without auth (`Ok` too).
// The error is a ready HTTP response handed straight back by the handler; boxing it buys nothing.
#[allow(clippy::result_large_err)]
fn check_auth(nodes: &Nodes, node: &Node, headers: &HeaderMap) -> Result<(), Response> {
    let Some(cluster) = nodes.cluster_of(node) else {
        return Ok(());
    };
    match basic_credentials(headers) {
        Some((u, p)) if u == cluster.username && p == cluster.password => Ok(()),
        Some(_) => Err(unauthorized("invalid username or password")),
        None => Err(unauthorized(
            "authentication required: this node is part of an active cluster",
        )),
    }
}

/// The cluster of a member node after the auth check, or the 503/401 to answer.
#[allow(clippy::result_large_err)]
fn member_cluster(nodes: &Nodes, node: &Node, headers: &HeaderMap) -> Result<String, Response> {
    let Some(cluster) = nodes.cluster_of(node) else {
        return Err(error(
            StatusCode::SERVICE_UNAVAILABLE,
            "not_member",
            "this node is not a member of the cluster",
        ));
    };
    check_auth(nodes, node, headers)?;
    Ok(cluster.name.clone())
}

// ---------------------------------------------------------------------------------------------
// Bootstrap

async fn get_bootstrap(
    AxState(shared): AxState<Shared>,
    Path(name): Path<String>,
    headers: HeaderMap,
) -> Response {
    if !valid_node_name(&name) {
        return no_such_node(&name);
    }
    with_nodes(&shared, |nodes, now, pace| {
        nodes.node_mut(&name);
        let Some(node) = nodes.nodes.get(&name) else {
            return no_such_node(&name);
        };
        if let Err(resp) = check_auth(nodes, node, &headers) {
            return resp;
        }
        Json(bootstrap_json(node, now, pace)).into_response()
    })
}

async fn post_bootstrap(
    AxState(shared): AxState<Shared>,
    Path((name, action)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    if !valid_node_name(&name) {
        return no_such_node(&name);
    }
    let action = match Action::parse(&action) {
        Ok(a) => a,
        Err(message) => return error(StatusCode::BAD_REQUEST, "bad_request", &message),
    };
    with_nodes(&shared, |nodes, now, pace| {
        let node = nodes.node_mut(&name);
        // Allowed only from idle or error: the state check comes before the body is judged, so
        // a client repeating its request learns that one is already running.
        if node.running.is_some() {
            return error(
                StatusCode::CONFLICT,
                "bootstrap_in_progress",
                &format!(
                    "a bootstrap is already in progress on this node (state {})",
                    node.state(now, pace)
                ),
            );
        }
        if let Some(m) = &node.member {
            return error(
                StatusCode::CONFLICT,
                "node_already_bootstrapped",
                &format!("this node already belongs to cluster {}", m.cluster),
            );
        }
        let body = match parse_json_body(&body, error_body) {
            Ok(v) => v,
            Err(resp) => return resp,
        };
        let request = match request::parse(action, &body) {
            Ok(r) => r,
            Err(message) => return error(StatusCode::BAD_REQUEST, "bad_request", &message),
        };
        nodes.start(&name, request, now);
        Json(json!({})).into_response()
    })
}

fn validation_failure(code: &str, message: &str) -> Response {
    (
        StatusCode::NOT_ACCEPTABLE,
        Json(json!({
            "state": "error",
            "error_code": code,
            "error_details": { "message": message },
        })),
    )
        .into_response()
}

async fn validate_bootstrap(
    AxState(shared): AxState<Shared>,
    Path((name, action)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    if !valid_node_name(&name) {
        return no_such_node(&name);
    }
    let action = match Action::parse(&action) {
        Ok(a) => a,
        Err(message) => return validation_failure("config_error", &message),
    };
    let body = match parse_json_body(&body, error_body) {
        Ok(v) => v,
        Err(resp) => return resp,
    };
    let request = match request::parse(action, &body) {
        Ok(r) => r,
        Err(message) => return validation_failure("config_error", &message),
    };
    with_nodes(&shared, |nodes, _, _| {
        nodes.node_mut(&name);
        match nodes.check(&name, &request) {
            Ok(()) => Json(json!({})).into_response(),
            Err((code, message)) => validation_failure(&code, &message),
        }
    })
}

// ---------------------------------------------------------------------------------------------
// Cluster and nodes

async fn get_cluster(
    AxState(shared): AxState<Shared>,
    Path(name): Path<String>,
    headers: HeaderMap,
) -> Response {
    if !valid_node_name(&name) {
        return no_such_node(&name);
    }
    with_nodes(&shared, |nodes, _, _| {
        nodes.node_mut(&name);
        let Some(node) = nodes.nodes.get(&name) else {
            return no_such_node(&name);
        };
        if let Err(resp) = member_cluster(nodes, node, &headers) {
            return resp;
        }
        match nodes.cluster_of(node) {
            Some(c) => Json(json!({
                "name": c.name,
                "created_time": timestamp(c.created),
                "rack_aware": false,
                "email_alerts": false,
            }))
            .into_response(),
            None => no_such_node(&name),
        }
    })
}

async fn list_nodes(
    AxState(shared): AxState<Shared>,
    Path(name): Path<String>,
    headers: HeaderMap,
) -> Response {
    with_member(&shared, &name, &headers, |nodes, cluster, _, _| {
        let list: Vec<Value> = nodes.members(&cluster).into_iter().map(node_json).collect();
        Json(Value::Array(list)).into_response()
    })
}

fn node_not_found(uid: &str) -> Response {
    error(
        StatusCode::NOT_FOUND,
        "node_not_found",
        &format!("node {uid} does not exist in the cluster"),
    )
}

async fn get_node(
    AxState(shared): AxState<Shared>,
    Path((name, uid)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    with_member(&shared, &name, &headers, |nodes, cluster, _, _| match nodes
        .member_by_uid(&cluster, &uid)
    {
        Some(target) => Json(node_json(target)).into_response(),
        None => node_not_found(&uid),
    })
}

async fn start_remove(
    AxState(shared): AxState<Shared>,
    Path((name, uid)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    with_member(&shared, &name, &headers, |nodes, cluster, now, _| {
        let Some(target) = nodes.member_by_uid(&cluster, &uid) else {
            return node_not_found(&uid);
        };
        let target_name = target.name.clone();
        if target
            .member
            .as_ref()
            .is_some_and(|m| m.removing_since.is_some())
        {
            return error(
                StatusCode::CONFLICT,
                "action_in_progress",
                &format!("a remove action is already running for node {uid}"),
            );
        }
        if nodes.members(&cluster).len() <= 1 {
            return error(
                StatusCode::BAD_REQUEST,
                "last_node",
                "cannot remove the last node of a cluster",
            );
        }
        if let Some(m) = nodes.node_mut(&target_name).member.as_mut() {
            m.removing_since = Some(now);
        }
        tracing::info!(node = %target_name, uid = %uid, "redis node remove action started");
        Json(json!({
            "action_uid": uuid::Uuid::new_v4().to_string(),
            "description": format!("Removing node {uid}"),
        }))
        .into_response()
    })
}

async fn remove_status(
    AxState(shared): AxState<Shared>,
    Path((name, uid)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    with_member(&shared, &name, &headers, |nodes, cluster, now, pace| {
        let since = nodes
            .member_by_uid(&cluster, &uid)
            .and_then(|n| n.member.as_ref())
            .and_then(|m| m.removing_since);
        match since {
            Some(since) => {
                let total = (pace * 2).as_secs_f64().max(f64::EPSILON);
                let done = now.saturating_duration_since(since).as_secs_f64() / total;
                let progress = (done * 100.0).clamp(0.0, 99.0).round();
                Json(json!({
                    "name": "remove_node",
                    "status": "running",
                    "progress": progress,
                    "node_uid": uid,
                }))
                .into_response()
            }
            None => error(
                StatusCode::NOT_FOUND,
                "action_not_found",
                &format!("no remove action is running for node {uid}"),
            ),
        }
    })
}

// ---------------------------------------------------------------------------------------------
// Admin

fn admin_node_json(nodes: &Nodes, node: &Node, now: Instant, pace: Duration) -> Value {
    let member = node.member.as_ref();
    json!({
        "name": node.name,
        "addr": node.addr(),
        "default_addr": node.default_addr,
        "state": node.state(now, pace),
        "cluster": nodes.cluster_of(node).map(|c| c.name.clone()),
        "uid": member.map(|m| m.uid),
        "status": member.map(|m| if m.removing_since.is_some() { "decommissioning" } else { "active" }),
        "error_code": if node.running.is_none() { node.outcome.error_code.clone() } else { None },
    })
}

async fn admin_nodes(AxState(shared): AxState<Shared>) -> Response {
    with_nodes(&shared, |nodes, now, pace| {
        let list: Vec<Value> = nodes
            .nodes
            .values()
            .map(|n| admin_node_json(nodes, n, now, pace))
            .collect();
        Json(Value::Array(list)).into_response()
    })
}

async fn admin_create_node(AxState(shared): AxState<Shared>, Path(name): Path<String>) -> Response {
    if !valid_node_name(&name) {
        return no_such_node(&name);
    }
    with_nodes(&shared, |nodes, now, pace| {
        nodes.node_mut(&name);
        match nodes.nodes.get(&name) {
            Some(n) => Json(admin_node_json(nodes, n, now, pace)).into_response(),
            None => no_such_node(&name),
        }
    })
}

async fn admin_remove_node(AxState(shared): AxState<Shared>, Path(name): Path<String>) -> Response {
    with_nodes(&shared, |nodes, _, _| {
        let member = nodes.nodes.get(&name).and_then(|n| n.member.clone());
        match member {
            Some(m) => {
                nodes.leave_cluster(&name);
                Json(json!({ "removed": name, "cluster": m.cluster, "uid": m.uid })).into_response()
            }
            None => error(
                StatusCode::NOT_FOUND,
                "not_member",
                &format!("node {name:?} is not a member of any cluster"),
            ),
        }
    })
}

/// Real nodes list their interfaces in whatever order the OS gives: reversing the list lets a
/// test show that nothing depends on that order.
async fn admin_reverse_addrs(
    AxState(shared): AxState<Shared>,
    Path(name): Path<String>,
) -> Response {
    if !valid_node_name(&name) {
        return no_such_node(&name);
    }
    with_nodes(&shared, |nodes, _, _| {
        let node = nodes.node_mut(&name);
        node.interfaces.reverse();
        let order: Vec<&str> = node.interfaces.iter().map(|i| i.address.as_str()).collect();
        Json(json!({ "node": name, "available_addrs": order })).into_response()
    })
}

async fn admin_next_error(
    AxState(shared): AxState<Shared>,
    Path(name): Path<String>,
    body: Bytes,
) -> Response {
    if !valid_node_name(&name) {
        return no_such_node(&name);
    }
    let body = match parse_json_body(&body, error_body) {
        Ok(v) => v,
        Err(resp) => return resp,
    };
    let code = body["error_code"].as_str().unwrap_or_default().to_owned();
    if !ERROR_CODES.contains(&code.as_str()) {
        return error(
            StatusCode::BAD_REQUEST,
            "bad_request",
            &format!("error_code must be one of: {}", ERROR_CODES.join(", ")),
        );
    }
    let message = body["message"]
        .as_str()
        .map(str::to_owned)
        .unwrap_or_else(|| format!("{code} (forced by clusterform-sim)"));
    with_nodes(&shared, |nodes, _, _| {
        nodes.node_mut(&name).forced_error = Some((code.clone(), message.clone()));
        Json(json!({ "node": name, "error_code": code, "message": message })).into_response()
    })
}

async fn admin_clusters(AxState(shared): AxState<Shared>) -> Response {
    with_nodes(&shared, |nodes, _, _| {
        let list: Vec<Value> = nodes
            .clusters
            .values()
            .map(|c| {
                let members: Vec<Value> = nodes
                    .members(&c.name)
                    .into_iter()
                    .map(|n| json!({ "name": n.name, "uid": n.member.as_ref().map(|m| m.uid), "addr": n.addr() }))
                    .collect();
                json!({
                    "name": c.name,
                    "created_time": timestamp(c.created),
                    "username": c.username,
                    "nodes": members,
                })
            })
            .collect();
        Json(Value::Array(list)).into_response()
    })
}

async fn admin_tls(AxState(shared): AxState<Shared>) -> Response {
    let tls = lock(&shared).redis.tls.clone();
    match tls {
        Some(t) => Json(json!({ "url": t.url, "ca_cert_pem": t.ca_cert_pem })).into_response(),
        None => error(
            StatusCode::NOT_FOUND,
            "not_found",
            "the simulator serves no HTTPS (start it with --tls-listen)",
        ),
    }
}
