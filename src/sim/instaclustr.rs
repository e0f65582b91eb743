//! Simulated Instaclustr provisioning API (v1), mounted under `/instaclustr`.
//!
//! Written from the API documentation and public client code (see `shared/spec/api-facts.md`),
//! never from this crate's own client. Where the sources are silent the simulator picks a
//! behaviour; every such choice is listed here so the docs can repeat it.
//!
//! # Endpoints
//! | request | success | notes |
//! | --- | --- | --- |
//! | `POST /provisioning/v1/extended/` (slash optional) | 202 `{"id":"<uuid>"}` | the body has exactly one key, because one public client takes "any value of the object" as the id |
//! | `GET /provisioning/v1/{id}` | **202** (as clients expect) | cluster document, see below |
//! | `DELETE /provisioning/v1/{id}` | 202 `{"message":…}` | |
//! | `POST /provisioning/v1/{id}/{cdcId}/resize` | 202 `{"message":…}` | |
//! | `GET /provisioning/v1` (slash optional) | **200** list, **404** when empty | public clients check 200 here, unlike the single GET |
//!
//! # Simulator choices (the docs are silent)
//! - **Error bodies**: always `{"message": "<first message>", "errors": [{"name": <field or
//!   topic>, "message": <text>}]}`. For validation errors `name` is the JSON path of the field
//!   (`clusterName`, `bundles[0].version`, `provider.name`, `rackAllocation.numberOfRacks`); all
//!   validation errors of one request are reported together. Other topics: `authorization` (401),
//!   `id` / `cdcId` (404), `rateLimit` (429), `clusterStatus` (400 on resize), `body` (malformed
//!   JSON), `request` (anything else, e.g. injected faults).
//! - **Auth**: HTTP Basic, user + provisioning key; missing, malformed or wrong → 401 with
//!   `WWW-Authenticate: Basic realm="instaclustr"`. No read-only key. Auth is checked before
//!   routing, so unknown paths without credentials also get 401.
//! - **Create defaults**: `slaTier` NON_PRODUCTION, `clusterNetwork` `10.224.0.0/12`,
//!   `privateNetworkCluster` and `pciCompliantCluster` false, `rackAllocation` 3 racks × 1 node.
//! - **Create validation**: `clusterName` `^[A-Za-z0-9_]{1,32}$`; `bundles` a non-empty array of
//!   objects with non-empty `bundle` and `version` strings and an optional `options` object (kept
//!   verbatim, values not checked); `provider.name` one of AWS_VPC, AZURE, AZURE_AZ, GCP,
//!   SOFTLAYER_BARE_METAL, ONPREMISES; `provider.tags` an object of strings; `slaTier`
//!   PRODUCTION|NON_PRODUCTION; `nodeSize` and `dataCentre` non-empty strings (any value: node
//!   sizes and regions are not checked against a catalogue); `clusterNetwork` an IPv4 CIDR with
//!   prefix /12–/22 lying inside 10/8, 172.16/12 or 192.168/16 (host bits may be set; the network
//!   address is what counts); `rackAllocation.numberOfRacks` 1–5 and `nodesPerRack` 1–10;
//!   `firewallRules` an array if present (otherwise ignored). Booleans may be JSON booleans or the
//!   strings "true"/"false" (any case); counts may be JSON integers or strings of digits. Unknown
//!   fields are ignored.
//! - **Duplicate name**: a create whose `clusterName` equals that of a cluster not yet DELETED
//!   (DELETING still holds the name) → **409** with `errors[0].name == "clusterName"`.
//! - **Lifecycle**: one step per `pace`, computed lazily from elapsed time: GENESIS →
//!   PROVISIONING → PROVISIONED → RUNNING (JOINING is skipped). With a `next_create_outcome` of
//!   FAILED or DEFERRED the cluster goes GENESIS → PROVISIONING → FAILED/DEFERRED and stays.
//!   `cdcStatus` and every node's `nodeStatus` equal the cluster status.
//! - **Delete**: any state → DELETING, DELETED one pace later, then gone (404) one more pace later.
//!   Deleting a cluster already DELETING/DELETED answers 202 again without restarting the clock.
//!   A pending resize is abandoned. 409 only through fault injection.
//! - **Resize**: only from RUNNING (else 400, topic `clusterStatus`); the cluster goes
//!   **RESIZING** (nodes too) and the data centre shows `resizeTargetNodeSize`; one pace later all
//!   nodes and `nodeSize` have the new size and the status is RUNNING again. Resizing to the
//!   current size is accepted. `concurrentResizes` (count ≥ 1) and `notifySupportContacts`
//!   (boolean) are optional and only validated.
//! - **Cluster document** (GET): besides the documented fields it echoes what a client needs to
//!   read its configuration back: `bundles[{bundle,version,options}]` (options exactly as sent,
//!   `{}` when absent), `provider{name,accountName,customVirtualNetworkId,tags,diskEncryptionKey}`
//!   (absent fields null) and the same object as the one-element array `clusterProvider` (the
//!   shape of a public client), `clusterNetwork`, `privateNetworkCluster` (bool),
//!   `pciCompliantCluster` (bool), `rackAllocation{numberOfRacks,nodesPerRack}` (integers,
//!   defaults filled in), `nodeSize`, `dataCentre`, plus `username` = `icadmin`.
//!   `pciCompliance` is "ENABLED"/"DISABLED"; `clusterCertificateDownload` is the relative path
//!   `/provisioning/v1/{id}/certificate` (not served).
//! - **Nodes**: `numberOfRacks × nodesPerRack` nodes. Racks are named after the data centre:
//!   `US_WEST_2` → `us-west-2a`, `us-west-2b`, …. `privateAddress` and `publicAddress` are
//!   **arrays of strings** (the shape of a public client): private addresses are consecutive
//!   addresses inside `clusterNetwork` starting at network + 10 (so `10.224.0.10`, … for the
//!   default network); public addresses come from the documentation range 203.0.113.0/24 and are
//!   `[]` for a `privateNetworkCluster`.
//! - **List**: every cluster still held (including DELETING/DELETED ones) in creation order;
//!   `runningNodeCount` counts nodes whose status is RUNNING.
//! - **Rate limit**: per client IP, window measured from the last admitted request (see
//!   [`super::SimState`]); 429 with `Retry-After` in whole seconds (≥ 1).

use std::net::Ipv4Addr;
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::{Path, Request, State as AxState};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::Engine;
use serde_json::{json, Map, Value};

use super::{json_error, lock, parse_json_body, Shared, Vendor};

/// How the shared machinery sees this API.
pub const VENDOR: Vendor = Vendor {
    name: "instaclustr",
    rate_limited: true,
    error_body,
};

const PROVIDERS: &[&str] = &[
    "AWS_VPC",
    "AZURE",
    "AZURE_AZ",
    "GCP",
    "SOFTLAYER_BARE_METAL",
    "ONPREMISES",
];
const DEFAULT_NETWORK: &str = "10.224.0.0/12";
const DEFAULT_RACKS: u64 = 3;
const DEFAULT_NODES_PER_RACK: u64 = 1;

/// The error shape used for every Instaclustr error (see the module docs).
pub fn error_body(status: StatusCode, message: &str) -> Value {
    let topic = match status {
        StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => "authorization",
        StatusCode::TOO_MANY_REQUESTS => "rateLimit",
        StatusCode::BAD_REQUEST => "body",
        _ => "request",
    };
    errors_body(&[(topic.to_owned(), message.to_owned())])
}

fn errors_body(errors: &[(String, String)]) -> Value {
    let message = errors.first().map(|(_, m)| m.clone()).unwrap_or_default();
    let list: Vec<Value> = errors
        .iter()
        .map(|(n, m)| json!({ "name": n, "message": m }))
        .collect();
    json!({ "message": message, "errors": list })
}

fn error(status: StatusCode, name: &str, message: &str) -> Response {
    json_error(
        status,
        errors_body(&[(name.to_owned(), message.to_owned())]),
    )
}

// ---------------------------------------------------------------------------------------------
// State

/// Where a freshly created cluster ends up after PROVISIONING.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Running,
    Failed,
    Deferred,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Status {
    Genesis,
    Provisioning,
    Provisioned,
    Running,
    Resizing,
    Failed,
    Deferred,
    Deleting,
    Deleted,
}

impl Status {
    fn as_str(self) -> &'static str {
        match self {
            Status::Genesis => "GENESIS",
            Status::Provisioning => "PROVISIONING",
            Status::Provisioned => "PROVISIONED",
            Status::Running => "RUNNING",
            Status::Resizing => "RESIZING",
            Status::Failed => "FAILED",
            Status::Deferred => "DEFERRED",
            Status::Deleting => "DELETING",
            Status::Deleted => "DELETED",
        }
    }
}

#[derive(Clone, Debug)]
struct Node {
    id: String,
    size: String,
    rack: String,
    public_address: Option<String>,
    private_address: String,
}

#[derive(Clone, Debug)]
struct Bundle {
    bundle: String,
    version: String,
    options: Value,
}

#[derive(Clone, Debug, Default)]
struct ProviderSpec {
    name: String,
    account_name: Option<String>,
    custom_virtual_network_id: Option<String>,
    tags: Option<Map<String, Value>>,
    disk_encryption_key: Option<String>,
}

/// A validated create request.
#[derive(Clone, Debug)]
struct Spec {
    name: String,
    bundles: Vec<Bundle>,
    provider: ProviderSpec,
    sla_tier: String,
    node_size: String,
    data_centre: String,
    network: String,
    network_base: u32,
    private_network: bool,
    pci: bool,
    racks: u64,
    nodes_per_rack: u64,
}

#[derive(Clone, Debug)]
struct Cluster {
    id: String,
    cdc_id: String,
    spec: Spec,
    status: Status,
    /// When the current lifecycle step began; steps advance by whole paces from here.
    step_started: Instant,
    outcome: Outcome,
    /// Target size while RESIZING.
    resize_to: Option<String>,
    nodes: Vec<Node>,
    password: String,
}

impl Cluster {
    /// Moves the cluster through as many lifecycle steps as the elapsed time allows.
    /// Computed lazily on every access so no background task is needed.
    fn advance(&mut self, now: Instant, pace: Duration) {
        loop {
            let next = match self.status {
                Status::Genesis => Status::Provisioning,
                Status::Provisioning => match self.outcome {
                    Outcome::Running => Status::Provisioned,
                    Outcome::Failed => Status::Failed,
                    Outcome::Deferred => Status::Deferred,
                },
                Status::Provisioned | Status::Resizing => Status::Running,
                Status::Deleting => Status::Deleted,
                Status::Running | Status::Failed | Status::Deferred | Status::Deleted => break,
            };
            if now.saturating_duration_since(self.step_started) < pace {
                break;
            }
            self.step_started += pace;
            self.status = next;
            if next == Status::Running {
                if let Some(size) = self.resize_to.take() {
                    for node in &mut self.nodes {
                        node.size = size.clone();
                    }
                    self.spec.node_size = size;
                }
            }
        }
    }

    fn node_size(&self) -> &str {
        &self.spec.node_size
    }
}

/// All Instaclustr clusters the simulator holds.
#[derive(Debug, Default)]
pub struct State {
    clusters: Vec<Cluster>,
    next_outcome: Option<Outcome>,
}

impl State {
    /// Advances every cluster and forgets those DELETED for at least one pace.
    fn tick(&mut self, now: Instant, pace: Duration) {
        for c in &mut self.clusters {
            c.advance(now, pace);
        }
        self.clusters.retain(|c| {
            !(c.status == Status::Deleted && now.saturating_duration_since(c.step_started) >= pace)
        });
    }

    fn find_mut(&mut self, id: &str) -> Option<&mut Cluster> {
        self.clusters.iter_mut().find(|c| c.id == id)
    }
}

/// Locks the simulator, brings the clusters up to date and runs `f` on the Instaclustr state.
fn with_state<T>(shared: &Shared, f: impl FnOnce(&mut State, Instant) -> T) -> T {
    let mut st = lock(shared);
    let now = Instant::now();
    let pace = st.config.pace;
    st.instaclustr.tick(now, pace);
    f(&mut st.instaclustr, now)
}

// ---------------------------------------------------------------------------------------------
// Routes

/// The vendor API (routes + auth); the caller adds the shared gate and the `/instaclustr` prefix.
pub fn api(shared: &Shared) -> Router<Shared> {
    Router::new()
        .route("/provisioning/v1", get(list_clusters))
        .route("/provisioning/v1/", get(list_clusters))
        .route("/provisioning/v1/extended", post(create_cluster))
        .route("/provisioning/v1/extended/", post(create_cluster))
        .route(
            "/provisioning/v1/{id}",
            get(get_cluster).delete(delete_cluster),
        )
        .route(
            "/provisioning/v1/{id}/{cdc_id}/resize",
            post(resize_cluster),
        )
        .fallback(|| async { error(StatusCode::NOT_FOUND, "request", "no such endpoint") })
        .method_not_allowed_fallback(|| async {
            error(
                StatusCode::METHOD_NOT_ALLOWED,
                "request",
                "method not allowed on this endpoint",
            )
        })
        .layer(middleware::from_fn_with_state(shared.clone(), auth))
}

/// Admin back doors for this vendor, nested by [`super::admin`] under `/_admin/instaclustr`.
pub fn admin_routes() -> Router<Shared> {
    Router::new()
        .route("/clusters", get(admin_list))
        .route("/clusters/{id}/delete", post(admin_delete))
        .route("/next_create_outcome", post(admin_next_outcome))
}

async fn auth(AxState(shared): AxState<Shared>, req: Request, next: Next) -> Response {
    let (user, key) = {
        let st = lock(&shared);
        (
            st.config.instaclustr_user.clone(),
            st.config.instaclustr_key.clone(),
        )
    };
    let message = match basic_credentials(req.headers()) {
        Some((u, k)) if u == user && k == key => return next.run(req).await,
        Some(_) => "invalid username or API key",
        None => "missing or malformed Basic authorization",
    };
    let mut resp = error(StatusCode::UNAUTHORIZED, "authorization", message);
    resp.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Basic realm=\"instaclustr\""),
    );
    resp
}

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
    let (user, key) = text.split_once(':')?;
    Some((user.to_owned(), key.to_owned()))
}

async fn create_cluster(AxState(shared): AxState<Shared>, body: Bytes) -> Response {
    let body = match parse_json_body(&body, error_body) {
        Ok(v) => v,
        Err(resp) => return resp,
    };
    let spec = match validate_create(&body) {
        Ok(spec) => spec,
        Err(errors) => return json_error(StatusCode::BAD_REQUEST, errors_body(&errors)),
    };
    with_state(&shared, |state, now| {
        if let Some(other) = state
            .clusters
            .iter()
            .find(|c| c.spec.name == spec.name && c.status != Status::Deleted)
        {
            return error(
                StatusCode::CONFLICT,
                "clusterName",
                &format!(
                    "a cluster named {} already exists (id {})",
                    spec.name, other.id
                ),
            );
        }
        let id = uuid::Uuid::new_v4().to_string();
        let nodes = make_nodes(&spec);
        let outcome = state.next_outcome.take().unwrap_or(Outcome::Running);
        tracing::info!(cluster_id = %id, cluster_name = %spec.name, nodes = nodes.len(), ?outcome, "instaclustr cluster created");
        state.clusters.push(Cluster {
            id: id.clone(),
            cdc_id: uuid::Uuid::new_v4().to_string(),
            spec,
            status: Status::Genesis,
            step_started: now,
            outcome,
            resize_to: None,
            nodes,
            password: random_password(),
        });
        (StatusCode::ACCEPTED, Json(json!({ "id": id }))).into_response()
    })
}

async fn get_cluster(AxState(shared): AxState<Shared>, Path(id): Path<String>) -> Response {
    with_state(&shared, |state, _| match state.find_mut(&id) {
        Some(c) => (StatusCode::ACCEPTED, Json(cluster_json(c))).into_response(),
        None => not_found(&id),
    })
}

async fn delete_cluster(AxState(shared): AxState<Shared>, Path(id): Path<String>) -> Response {
    with_state(&shared, |state, now| match state.find_mut(&id) {
        Some(c) => {
            if !matches!(c.status, Status::Deleting | Status::Deleted) {
                c.status = Status::Deleting;
                c.step_started = now;
                c.resize_to = None;
                tracing::info!(cluster_id = %id, "instaclustr cluster deleting");
            }
            (
                StatusCode::ACCEPTED,
                Json(json!({ "message": "Cluster has been marked for deletion." })),
            )
                .into_response()
        }
        None => not_found(&id),
    })
}

async fn resize_cluster(
    AxState(shared): AxState<Shared>,
    Path((id, cdc_id)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    let body = match parse_json_body(&body, error_body) {
        Ok(v) => v,
        Err(resp) => return resp,
    };
    let new_size = match validate_resize(&body) {
        Ok(size) => size,
        Err(errors) => return json_error(StatusCode::BAD_REQUEST, errors_body(&errors)),
    };
    with_state(&shared, |state, now| {
        let Some(c) = state.find_mut(&id) else {
            return not_found(&id);
        };
        if c.cdc_id != cdc_id {
            return error(
                StatusCode::NOT_FOUND,
                "cdcId",
                &format!("data centre {cdc_id} not found in cluster {id}"),
            );
        }
        if c.status != Status::Running {
            return error(
                StatusCode::BAD_REQUEST,
                "clusterStatus",
                &format!(
                    "cluster must be RUNNING to be resized (status {})",
                    c.status.as_str()
                ),
            );
        }
        c.status = Status::Resizing;
        c.step_started = now;
        tracing::info!(cluster_id = %id, new_size = %new_size, "instaclustr cluster resizing");
        c.resize_to = Some(new_size);
        (
            StatusCode::ACCEPTED,
            Json(json!({ "message": "Resize operation started." })),
        )
            .into_response()
    })
}

async fn list_clusters(AxState(shared): AxState<Shared>) -> Response {
    with_state(&shared, |state, _| {
        if state.clusters.is_empty() {
            return error(StatusCode::NOT_FOUND, "request", "no clusters found");
        }
        let list: Vec<Value> = state
            .clusters
            .iter()
            .map(|c| {
                let running = if c.status == Status::Running {
                    c.nodes.len()
                } else {
                    0
                };
                json!({
                    "id": c.id,
                    "name": c.spec.name,
                    "nodeCount": c.nodes.len(),
                    "runningNodeCount": running,
                    "derivedStatus": c.status.as_str(),
                })
            })
            .collect();
        (StatusCode::OK, Json(Value::Array(list))).into_response()
    })
}

fn not_found(id: &str) -> Response {
    error(
        StatusCode::NOT_FOUND,
        "id",
        &format!("cluster {id} not found"),
    )
}

fn cluster_json(c: &Cluster) -> Value {
    let s = &c.spec;
    let status = c.status.as_str();
    let nodes: Vec<Value> = c
        .nodes
        .iter()
        .map(|n| {
            json!({
                "id": n.id,
                "size": n.size,
                "rack": n.rack,
                "publicAddress": n.public_address.iter().collect::<Vec<_>>(),
                "privateAddress": [n.private_address],
                "nodeStatus": status,
            })
        })
        .collect();
    let mut cdc = json!({
        "id": c.cdc_id,
        "name": s.data_centre,
        "dataCentre": s.data_centre,
        "provider": s.provider.name,
        "cdcNetwork": s.network,
        "nodeCount": c.nodes.len(),
        "cdcStatus": status,
        "nodes": nodes,
    });
    if let (Some(target), Some(obj)) = (&c.resize_to, cdc.as_object_mut()) {
        obj.insert("resizeTargetNodeSize".to_owned(), json!(target));
    }
    let provider = json!({
        "name": s.provider.name,
        "accountName": s.provider.account_name,
        "customVirtualNetworkId": s.provider.custom_virtual_network_id,
        "tags": s.provider.tags,
        "diskEncryptionKey": s.provider.disk_encryption_key,
    });
    let bundles: Vec<Value> = s
        .bundles
        .iter()
        .map(|b| json!({ "bundle": b.bundle, "version": b.version, "options": b.options }))
        .collect();
    // `bundles` is non-empty by validation; the fallbacks only keep this function total.
    let first = s.bundles.first();
    json!({
        "id": c.id,
        "clusterName": s.name,
        "clusterStatus": status,
        "cdcId": c.cdc_id,
        "bundleType": first.map(|b| b.bundle.as_str()).unwrap_or_default(),
        "bundleVersion": first.map(|b| b.version.as_str()).unwrap_or_default(),
        "slaTier": s.sla_tier,
        "clusterCertificateDownload": format!("/provisioning/v1/{}/certificate", c.id),
        "pciCompliance": if s.pci { "ENABLED" } else { "DISABLED" },
        "username": "icadmin",
        "instaclustrUserPassword": c.password,
        "dataCentre": s.data_centre,
        "dataCentres": [cdc],
        "bundles": bundles,
        "provider": provider,
        "clusterProvider": [provider],
        "clusterNetwork": s.network,
        "privateNetworkCluster": s.private_network,
        "pciCompliantCluster": s.pci,
        "rackAllocation": { "numberOfRacks": s.racks, "nodesPerRack": s.nodes_per_rack },
        "nodeSize": c.node_size(),
    })
}

fn make_nodes(spec: &Spec) -> Vec<Node> {
    let rack_prefix = spec.data_centre.to_ascii_lowercase().replace('_', "-");
    let mut nodes = Vec::new();
    for r in 0..spec.racks {
        // racks ≤ 5 by validation, so the letter stays within a–e.
        let rack = format!("{rack_prefix}{}", char::from(b'a' + r as u8));
        for _ in 0..spec.nodes_per_rack {
            let i = nodes.len() as u32;
            // ≤ 50 nodes and a network of at least /22 (1024 addresses): always inside it.
            let private = Ipv4Addr::from(spec.network_base.wrapping_add(10 + i));
            let public = (!spec.private_network)
                .then(|| Ipv4Addr::new(203, 0, 113, fastrand::u8(1..=254)).to_string());
            nodes.push(Node {
                id: uuid::Uuid::new_v4().to_string(),
                size: spec.node_size.clone(),
                rack: rack.clone(),
                public_address: public,
                private_address: private.to_string(),
            });
        }
    }
    nodes
}

fn random_password() -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
    (0..24)
        .map(|_| char::from(ALPHABET[fastrand::usize(..ALPHABET.len())]))
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Validation

type Errors = Vec<(String, String)>;

/// A string field: `Ok(None)` when absent or null.
fn opt_str<'a>(
    obj: &'a Map<String, Value>,
    key: &str,
    path: &str,
    errors: &mut Errors,
) -> Option<&'a str> {
    match obj.get(key) {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.as_str()),
        Some(_) => {
            errors.push((path.to_owned(), "must be a string".to_owned()));
            None
        }
    }
}

/// A required non-empty string field.
fn req_str<'a>(
    obj: &'a Map<String, Value>,
    key: &str,
    path: &str,
    errors: &mut Errors,
) -> Option<&'a str> {
    let before = errors.len();
    match opt_str(obj, key, path, errors) {
        Some(s) if !s.trim().is_empty() => Some(s),
        _ => {
            if errors.len() == before {
                errors.push((path.to_owned(), "is required".to_owned()));
            }
            None
        }
    }
}

/// A boolean sent as a JSON boolean or as "true"/"false".
fn opt_bool(obj: &Map<String, Value>, key: &str, path: &str, errors: &mut Errors) -> Option<bool> {
    match obj.get(key) {
        None | Some(Value::Null) => None,
        Some(Value::Bool(b)) => Some(*b),
        Some(Value::String(s)) if s.eq_ignore_ascii_case("true") => Some(true),
        Some(Value::String(s)) if s.eq_ignore_ascii_case("false") => Some(false),
        Some(_) => {
            errors.push((
                path.to_owned(),
                "must be a boolean (true/false, or \"true\"/\"false\")".to_owned(),
            ));
            None
        }
    }
}

/// A count sent as a JSON integer or as a string of digits.
fn opt_count(obj: &Map<String, Value>, key: &str, path: &str, errors: &mut Errors) -> Option<u64> {
    let parsed = match obj.get(key) {
        None | Some(Value::Null) => return None,
        Some(Value::Number(n)) => n.as_u64(),
        Some(Value::String(s)) if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) => {
            s.parse().ok()
        }
        Some(_) => None,
    };
    if parsed.is_none() {
        errors.push((
            path.to_owned(),
            "must be a non-negative integer (number or string of digits)".to_owned(),
        ));
    }
    parsed
}

fn in_range(
    value: Option<u64>,
    min: u64,
    max: u64,
    path: &str,
    errors: &mut Errors,
) -> Option<u64> {
    match value {
        Some(v) if v < min || v > max => {
            errors.push((
                path.to_owned(),
                format!("must be between {min} and {max} (got {v})"),
            ));
            None
        }
        other => other,
    }
}

fn valid_cluster_name(name: &str) -> bool {
    (1..=32).contains(&name.len()) && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// Parses a private IPv4 CIDR with prefix /12–/22 and returns its network address.
fn parse_cluster_network(cidr: &str) -> Result<u32, String> {
    let (addr, prefix) = cidr
        .split_once('/')
        .ok_or("must be an IPv4 CIDR such as 10.224.0.0/12")?;
    let addr: Ipv4Addr = addr
        .parse()
        .map_err(|_| "must be an IPv4 CIDR such as 10.224.0.0/12")?;
    let prefix: u32 = prefix.parse().map_err(|_| "has an invalid prefix length")?;
    if !(12..=22).contains(&prefix) {
        return Err(format!(
            "prefix length must be between /12 and /22 (got /{prefix})"
        ));
    }
    let mask = u32::MAX << (32 - prefix);
    let network = u32::from(addr) & mask;
    let private_blocks: [(u32, u32); 3] = [
        (u32::from(Ipv4Addr::new(10, 0, 0, 0)), 8),
        (u32::from(Ipv4Addr::new(172, 16, 0, 0)), 12),
        (u32::from(Ipv4Addr::new(192, 168, 0, 0)), 16),
    ];
    let private = private_blocks.iter().any(|&(block, block_prefix)| {
        prefix >= block_prefix && network & (u32::MAX << (32 - block_prefix)) == block
    });
    if !private {
        return Err(
            "must lie inside a private range (10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16)"
                .to_owned(),
        );
    }
    Ok(network)
}

fn validate_create(body: &Value) -> Result<Spec, Errors> {
    let mut errors: Errors = Vec::new();
    let Some(obj) = body.as_object() else {
        return Err(vec![(
            "body".to_owned(),
            "request body must be a JSON object".to_owned(),
        )]);
    };

    let name = req_str(obj, "clusterName", "clusterName", &mut errors);
    if let Some(n) = name {
        if !valid_cluster_name(n) {
            errors.push((
                "clusterName".to_owned(),
                "must be 1-32 characters of letters, digits and underscores".to_owned(),
            ));
        }
    }

    let mut bundles = Vec::new();
    match obj.get("bundles") {
        Some(Value::Array(items)) if !items.is_empty() => {
            for (i, item) in items.iter().enumerate() {
                let path = format!("bundles[{i}]");
                let Some(b) = item.as_object() else {
                    errors.push((path, "must be an object".to_owned()));
                    continue;
                };
                let bundle = req_str(b, "bundle", &format!("{path}.bundle"), &mut errors);
                let version = req_str(b, "version", &format!("{path}.version"), &mut errors);
                let options = match b.get("options") {
                    None | Some(Value::Null) => Value::Object(Map::new()),
                    Some(v @ Value::Object(_)) => v.clone(),
                    Some(_) => {
                        errors.push((format!("{path}.options"), "must be an object".to_owned()));
                        Value::Null
                    }
                };
                if let (Some(bundle), Some(version)) = (bundle, version) {
                    bundles.push(Bundle {
                        bundle: bundle.to_owned(),
                        version: version.to_owned(),
                        options,
                    });
                }
            }
        }
        None | Some(Value::Null) => errors.push(("bundles".to_owned(), "is required".to_owned())),
        Some(Value::Array(_)) => errors.push((
            "bundles".to_owned(),
            "must contain at least one bundle".to_owned(),
        )),
        Some(_) => errors.push(("bundles".to_owned(), "must be an array".to_owned())),
    }

    let mut provider = ProviderSpec::default();
    match obj.get("provider") {
        Some(Value::Object(p)) => {
            if let Some(n) = req_str(p, "name", "provider.name", &mut errors) {
                if PROVIDERS.contains(&n) {
                    provider.name = n.to_owned();
                } else {
                    errors.push((
                        "provider.name".to_owned(),
                        format!("must be one of {}", PROVIDERS.join(", ")),
                    ));
                }
            }
            provider.account_name =
                opt_str(p, "accountName", "provider.accountName", &mut errors).map(str::to_owned);
            provider.custom_virtual_network_id = opt_str(
                p,
                "customVirtualNetworkId",
                "provider.customVirtualNetworkId",
                &mut errors,
            )
            .map(str::to_owned);
            provider.disk_encryption_key = opt_str(
                p,
                "diskEncryptionKey",
                "provider.diskEncryptionKey",
                &mut errors,
            )
            .map(str::to_owned);
            match p.get("tags") {
                None | Some(Value::Null) => {}
                Some(Value::Object(tags)) => {
                    if tags.values().all(Value::is_string) {
                        provider.tags = Some(tags.clone());
                    } else {
                        errors.push((
                            "provider.tags".to_owned(),
                            "values must be strings".to_owned(),
                        ));
                    }
                }
                Some(_) => {
                    errors.push(("provider.tags".to_owned(), "must be an object".to_owned()))
                }
            }
        }
        None | Some(Value::Null) => errors.push(("provider".to_owned(), "is required".to_owned())),
        Some(_) => errors.push(("provider".to_owned(), "must be an object".to_owned())),
    }

    let sla_tier = match opt_str(obj, "slaTier", "slaTier", &mut errors) {
        None => "NON_PRODUCTION",
        Some(t @ ("PRODUCTION" | "NON_PRODUCTION")) => t,
        Some(_) => {
            errors.push((
                "slaTier".to_owned(),
                "must be PRODUCTION or NON_PRODUCTION".to_owned(),
            ));
            "NON_PRODUCTION"
        }
    };
    let node_size = req_str(obj, "nodeSize", "nodeSize", &mut errors);
    let data_centre = req_str(obj, "dataCentre", "dataCentre", &mut errors);

    let network =
        opt_str(obj, "clusterNetwork", "clusterNetwork", &mut errors).unwrap_or(DEFAULT_NETWORK);
    let network_base = match parse_cluster_network(network) {
        Ok(base) => base,
        Err(msg) => {
            errors.push(("clusterNetwork".to_owned(), msg));
            0
        }
    };
    let private_network = opt_bool(
        obj,
        "privateNetworkCluster",
        "privateNetworkCluster",
        &mut errors,
    )
    .unwrap_or(false);
    let pci = opt_bool(
        obj,
        "pciCompliantCluster",
        "pciCompliantCluster",
        &mut errors,
    )
    .unwrap_or(false);

    let (mut racks, mut nodes_per_rack) = (DEFAULT_RACKS, DEFAULT_NODES_PER_RACK);
    match obj.get("rackAllocation") {
        None | Some(Value::Null) => {}
        Some(Value::Object(r)) => {
            let n = opt_count(
                r,
                "numberOfRacks",
                "rackAllocation.numberOfRacks",
                &mut errors,
            );
            racks = in_range(n, 1, 5, "rackAllocation.numberOfRacks", &mut errors)
                .unwrap_or(DEFAULT_RACKS);
            let n = opt_count(
                r,
                "nodesPerRack",
                "rackAllocation.nodesPerRack",
                &mut errors,
            );
            nodes_per_rack = in_range(n, 1, 10, "rackAllocation.nodesPerRack", &mut errors)
                .unwrap_or(DEFAULT_NODES_PER_RACK);
        }
        Some(_) => errors.push(("rackAllocation".to_owned(), "must be an object".to_owned())),
    }

    match obj.get("firewallRules") {
        None | Some(Value::Null) | Some(Value::Array(_)) => {}
        Some(_) => errors.push(("firewallRules".to_owned(), "must be an array".to_owned())),
    }

    if !errors.is_empty() {
        return Err(errors);
    }
    // With no errors every required field above was present.
    match (name, node_size, data_centre) {
        (Some(name), Some(node_size), Some(data_centre)) => Ok(Spec {
            name: name.to_owned(),
            bundles,
            provider,
            sla_tier: sla_tier.to_owned(),
            node_size: node_size.to_owned(),
            data_centre: data_centre.to_owned(),
            network: network.to_owned(),
            network_base,
            private_network,
            pci,
            racks,
            nodes_per_rack,
        }),
        _ => Err(vec![("body".to_owned(), "incomplete request".to_owned())]),
    }
}

fn validate_resize(body: &Value) -> Result<String, Errors> {
    let mut errors: Errors = Vec::new();
    let Some(obj) = body.as_object() else {
        return Err(vec![(
            "body".to_owned(),
            "request body must be a JSON object".to_owned(),
        )]);
    };
    let size = req_str(obj, "newNodeSize", "newNodeSize", &mut errors).map(str::to_owned);
    let concurrent = opt_count(obj, "concurrentResizes", "concurrentResizes", &mut errors);
    if concurrent == Some(0) {
        errors.push((
            "concurrentResizes".to_owned(),
            "must be at least 1".to_owned(),
        ));
    }
    opt_bool(
        obj,
        "notifySupportContacts",
        "notifySupportContacts",
        &mut errors,
    );
    match size {
        Some(size) if errors.is_empty() => Ok(size),
        _ => Err(errors),
    }
}

// ---------------------------------------------------------------------------------------------
// Admin back doors

async fn admin_list(AxState(shared): AxState<Shared>) -> Response {
    with_state(&shared, |state, _| {
        let list: Vec<Value> = state
            .clusters
            .iter()
            .map(|c| {
                json!({
                    "id": c.id,
                    "clusterName": c.spec.name,
                    "clusterStatus": c.status.as_str(),
                    "nodeSize": c.node_size(),
                })
            })
            .collect();
        Json(Value::Array(list)).into_response()
    })
}

async fn admin_delete(AxState(shared): AxState<Shared>, Path(id): Path<String>) -> Response {
    with_state(&shared, |state, _| {
        let before = state.clusters.len();
        state.clusters.retain(|c| c.id != id);
        if state.clusters.len() == before {
            json_error(
                StatusCode::NOT_FOUND,
                super::json_message(&format!("cluster {id} not found")),
            )
        } else {
            tracing::info!(cluster_id = %id, "instaclustr cluster removed by admin");
            Json(json!({ "deleted": id })).into_response()
        }
    })
}

async fn admin_next_outcome(AxState(shared): AxState<Shared>, body: Bytes) -> Response {
    let body = match parse_json_body(&body, |_, m| super::json_message(m)) {
        Ok(v) => v,
        Err(resp) => return resp,
    };
    let outcome = match body.get("status").and_then(Value::as_str) {
        Some("FAILED") => Outcome::Failed,
        Some("DEFERRED") => Outcome::Deferred,
        Some("RUNNING") => Outcome::Running,
        _ => {
            return json_error(
                StatusCode::BAD_REQUEST,
                super::json_message("status must be \"FAILED\", \"DEFERRED\" or \"RUNNING\""),
            )
        }
    };
    with_state(&shared, |state, _| {
        // RUNNING is the normal path: it clears a pending outcome.
        state.next_outcome = (outcome != Outcome::Running).then_some(outcome);
    });
    Json(json!({ "next_create_outcome": body.get("status") })).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cluster_network_rules() {
        assert_eq!(
            parse_cluster_network("10.224.0.0/12"),
            Ok(u32::from(Ipv4Addr::new(10, 224, 0, 0)))
        );
        assert_eq!(
            parse_cluster_network("192.168.4.7/22"),
            Ok(u32::from(Ipv4Addr::new(192, 168, 4, 0)))
        );
        assert!(parse_cluster_network("172.16.0.0/12").is_ok());
        assert!(
            parse_cluster_network("172.32.0.0/16").is_err(),
            "outside 172.16/12"
        );
        assert!(
            parse_cluster_network("192.168.0.0/12").is_err(),
            "wider than 192.168/16"
        );
        assert!(parse_cluster_network("10.0.0.0/23").is_err());
        assert!(parse_cluster_network("10.0.0.0/11").is_err());
        assert!(parse_cluster_network("10.0.0.0").is_err());
        assert!(parse_cluster_network("10.0.0.0/x").is_err());
    }

    #[test]
    fn lifecycle_advances_by_whole_paces() {
        let body = json!({
            "clusterName": "c", "bundles": [{"bundle": "B", "version": "1"}],
            "provider": {"name": "AWS_VPC"}, "nodeSize": "s", "dataCentre": "US_EAST_1"
        });
        let spec = match validate_create(&body) {
            Ok(spec) => spec,
            Err(e) => panic!("{e:?}"),
        };
        let t0 = Instant::now();
        let pace = Duration::from_secs(10);
        let mut c = Cluster {
            id: "i".into(),
            cdc_id: "c".into(),
            nodes: make_nodes(&spec),
            spec,
            status: Status::Genesis,
            step_started: t0,
            outcome: Outcome::Running,
            resize_to: None,
            password: random_password(),
        };
        c.advance(t0 + Duration::from_secs(9), pace);
        assert_eq!(c.status, Status::Genesis);
        c.advance(t0 + Duration::from_secs(25), pace);
        assert_eq!(c.status, Status::Provisioned);
        c.advance(t0 + Duration::from_secs(1000), pace);
        assert_eq!(c.status, Status::Running);
        assert_eq!(c.nodes.len(), 3);
    }
}
