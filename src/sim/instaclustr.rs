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
//! | `POST /provisioning/v1/{id}/{cdcId}/resize` | 202 `{"message":…}` | optional `nodePurpose` (see Resize) |
//! | `GET /provisioning/v1` (slash optional) | **200** list, **404** when empty | public clients check 200 here, unlike the single GET |
//!
//! # Simulator choices (the docs are silent)
//! - **Error bodies**: always `{"message": "<first message>", "errors": [{"name": <field or
//!   topic>, "message": <text>}]}`. For validation errors `name` is the JSON path of the field
//!   (`clusterName`, `bundles[0].version`, `bundles[1].options.aws_secret_key`, `provider.name`,
//!   `rackAllocation.numberOfRacks`); all validation errors of one request are reported together.
//!   Other topics: `authorization` (401), `id` / `cdcId` (404), `rateLimit` (429),
//!   `clusterStatus` and `nodePurpose` (400 on resize), `body` (malformed JSON), `request`
//!   (anything else, e.g. injected faults).
//! - **Auth**: HTTP Basic, user + provisioning key; missing, malformed or wrong → 401 with
//!   `WWW-Authenticate: Basic realm="instaclustr"`. No read-only key. Auth is checked before
//!   routing, so unknown paths without credentials also get 401.
//! - **Create defaults**: `slaTier` NON_PRODUCTION, `clusterNetwork` `10.224.0.0/12`,
//!   `privateNetworkCluster` and `pciCompliantCluster` false, `rackAllocation` 3 racks × 1 node.
//! - **Create validation**: `clusterName` `^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$` (the docs say
//!   underscores only, but the official provider's tests create `tf-resizable-test` against the
//!   real API); `bundles` a non-empty array of objects with non-empty `bundle` and `version`
//!   strings and an optional `options` object (see Bundle options); `provider.name` one of
//!   AWS_VPC, AZURE, AZURE_AZ, GCP, SOFTLAYER_BARE_METAL, ONPREMISES; `provider.tags` an object
//!   of strings; `provider.accountName`, `customVirtualNetworkId`, `diskEncryptionKey` and
//!   `resourceGroup` optional strings; `slaTier` PRODUCTION|NON_PRODUCTION; `nodeSize` (required
//!   for every bundle) and `dataCentre` non-empty strings (any value: node sizes and regions are
//!   not checked against a catalogue); `dataCentreCustomName` optional, at most 32 of
//!   `[A-Za-z0-9_-]` (an empty string counts as absent); `clusterNetwork` an IPv4 CIDR with
//!   prefix /12–/22 lying inside 10/8, 172.16/12 or 192.168/16 (host bits may be set; the network
//!   address is what counts); `rackAllocation.numberOfRacks` 1–5 and `nodesPerRack` 1–10;
//!   `firewallRules` an array if present (otherwise ignored). Booleans may be JSON booleans or the
//!   strings "true"/"false" (any case); counts may be JSON integers or strings of digits (one
//!   public client sends `rackAllocation` counts and both booleans as strings). Unknown fields are
//!   ignored.
//! - **Bundle versions**: a bare version (dot-separated digit groups, e.g. `3.11.8`) is stored
//!   and echoed (`bundleVersion`, `bundles[].version`, `addonBundles[].version`) in the API's
//!   spelling: APACHE_CASSANDRA → `apache-cassandra-<v>.ic1`, KAFKA → `apache-kafka:<v>.ic1`,
//!   OPENSEARCH → `opensearch:<v>.ic1`, ELASTICSEARCH → `opendistro-for-elasticsearch:<v>.ic1`,
//!   REDIS → `redis:<v>`, any other bundle `<bundle lower-cased, _ → ->:<v>` (KAFKA_CONNECT →
//!   `kafka-connect:<v>`). Any other version (`apache-cassandra-3.11.8.ic2`, `redis:6.0.9`) is
//!   kept as sent. Bundle names are matched exactly (upper case).
//! - **Bundle options**: keys are the API's camelCase names (`authnAuthz`, `masterNodeSize`, …,
//!   or dotted ones such as `aws.secret.access.key`); a key containing `_` (an HCL name a client
//!   forgot to map) → 400 named `bundles[<i>].options.<key>`. Values must be booleans, numbers or
//!   strings (arrays/objects → 400 under the same name); the strings "true"/"false" (any case)
//!   are stored as JSON booleans, null values are dropped, everything else is kept as sent. Only
//!   the options below are checked further, and only on the primary (first) bundle.
//! - **Node purposes** (primary bundle): APACHE_CASSANDRA → CASSANDRA, KAFKA → KAFKA_BROKER, any
//!   other bundle without a rule below → its own name (REDIS, CADENCE, POSTGRESQL, …), for the
//!   `numberOfRacks × nodesPerRack` nodes of size `nodeSize`. KAFKA with `dedicatedZookeeper`
//!   true adds `zookeeperNodeCount` (1–10, default 3) KAFKA_DEDICATED_ZOOKEEPER nodes of
//!   `zookeeperNodeSize` (then required). OPENSEARCH/ELASTICSEARCH (P): `masterNodeSize` required;
//!   with `dedicatedMasterNodes` true, 3 P_MASTER nodes of `masterNodeSize` are added and the
//!   `nodeSize` nodes are P_DATA_AND_INGEST (`dataNodeSize`, if sent, must equal `nodeSize`);
//!   otherwise the `nodeSize` nodes are P_MASTER (master-eligible data nodes; `masterNodeSize` and
//!   `dataNodeSize` are then only stored). `kibanaNodeSize` (ELASTICSEARCH) /
//!   `openSearchDashboardsNodeSize` (OPENSEARCH) adds one ELASTICSEARCH_KIBANA /
//!   OPENSEARCH_DASHBOARDS node of that size; the other bundle's key is only stored. Every
//!   error is named `bundles[0].options.<key>`. Boolean options must be booleans (after the
//!   "true"/"false" rule), size options non-empty strings.
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
//!   **RESIZING** (all nodes too, whatever the purpose) and the data centre shows
//!   `resizeTargetNodeSize`; one pace later the new size is in place and the status is RUNNING
//!   again. `nodePurpose` null or absent: every node, `nodeSize` and every size option present
//!   (`masterNodeSize`, `dataNodeSize`, `kibanaNodeSize`, `openSearchDashboardsNodeSize`,
//!   `zookeeperNodeSize`) get the new size. A purpose (string): only its nodes, plus the option
//!   holding its size if the client sent it (P_MASTER → `masterNodeSize`, P_DATA_AND_INGEST →
//!   `dataNodeSize`, ELASTICSEARCH_KIBANA → `kibanaNodeSize`, OPENSEARCH_DASHBOARDS →
//!   `openSearchDashboardsNodeSize`, KAFKA_DEDICATED_ZOOKEEPER → `zookeeperNodeSize`; an option
//!   not sent is not added), plus `nodeSize` when the purpose is the one of the `nodeSize` nodes.
//!   A purpose no node has → 400 named `nodePurpose` listing the cluster's purposes (checked
//!   before the status); a non-string → 400 `nodePurpose`. Resizing to the current size is
//!   accepted. `concurrentResizes` (count ≥ 1) and `notifySupportContacts` (boolean) are optional
//!   and only validated.
//! - **Cluster document** (GET): besides the documented fields it echoes what a client needs to
//!   read its configuration back: `bundles[{bundle,version,options}]` (versions and options as
//!   stored, see above; `{}` when no options), and as the real API's description does
//!   `bundleOptions` (the first bundle's options) and `addonBundles` (`[{bundle,version,options}]`
//!   of the bundles after the first, `[]` when none);
//!   `provider{name,accountName,customVirtualNetworkId,tags,diskEncryptionKey,resourceGroup}`
//!   (absent fields null) and the same object as the one-element array `clusterProvider` (the
//!   shape of a public client), `clusterNetwork`, `privateNetworkCluster` (bool),
//!   `pciCompliantCluster` (bool), `rackAllocation{numberOfRacks,nodesPerRack}` (integers,
//!   defaults filled in), `nodeSize`, `dataCentre`, `dataCentreCustomName` (= the data centre's
//!   `cdcName`), plus `username` = `icadmin`. `pciCompliance` is "ENABLED"/"DISABLED";
//!   `clusterCertificateDownload` is the relative path `/provisioning/v1/{id}/certificate` (not
//!   served). The data centre object has `id`, `name` and `dataCentre` (the region), `cdcName`
//!   (`dataCentreCustomName`, default `<provider name>_<dataCentre>` such as
//!   `AWS_VPC_US_EAST_1`), `provider`, `cdcNetwork`, `privateIPOnly` (= privateNetworkCluster),
//!   `rackAllocation` (as above), `nodeCount` (all nodes, purposes included), `cdcStatus`,
//!   `nodes`.
//! - **Nodes**: `numberOfRacks × nodesPerRack` nodes rack by rack, then the extra purposes' nodes
//!   dealt round the racks from the first (three dedicated masters sit in racks a, b, c). Each
//!   node has `purpose` (see Node purposes). Racks are named after the data centre:
//!   `US_WEST_2` → `us-west-2a`, `us-west-2b`, …. `privateAddress` and `publicAddress` are
//!   **arrays of strings** (the shape of a public client): private addresses are consecutive
//!   addresses inside `clusterNetwork` starting at network + 10 (so `10.224.0.10`, … for the
//!   default network); public addresses come from the documentation range 203.0.113.0/24 and are
//!   `[]` for a `privateNetworkCluster`.
//! - **List**: every cluster still held (including DELETING/DELETED ones) in creation order;
//!   items `{id, name, nodeCount, runningNodeCount, derivedStatus, slaTier, pciCompliance}`
//!   (`pciCompliance` "ENABLED"/"DISABLED"); `runningNodeCount` counts nodes whose status is
//!   RUNNING.
//! - **Rate limit**: per client IP, window measured from the last admitted request (see
//!   [`super::SimState`]); 429 with `Retry-After` in whole seconds (≥ 1).

mod bundles;
mod nodes;

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

use self::nodes::{Group, Resize};
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
    /// What the node does in the cluster (`CASSANDRA`, `OPENSEARCH_MASTER`, …); resizes may
    /// target one purpose.
    purpose: String,
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
    resource_group: Option<String>,
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
    /// `dataCentreCustomName`, or the default `<provider name>_<dataCentre>`.
    cdc_name: String,
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
    /// The resize under way while RESIZING.
    resize: Option<Resize>,
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
                if let Some(resize) = self.resize.take() {
                    nodes::apply_resize(&mut self.spec, &mut self.nodes, &resize);
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
    let (spec, extras) = match validate_create(&body) {
        Ok(valid) => valid,
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
        let nodes = nodes::make_nodes(&spec, &extras);
        let outcome = state.next_outcome.take().unwrap_or(Outcome::Running);
        tracing::info!(cluster_id = %id, cluster_name = %spec.name, nodes = nodes.len(), ?outcome, "instaclustr cluster created");
        state.clusters.push(Cluster {
            id: id.clone(),
            cdc_id: uuid::Uuid::new_v4().to_string(),
            spec,
            status: Status::Genesis,
            step_started: now,
            outcome,
            resize: None,
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
                c.resize = None;
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
    let resize = match validate_resize(&body) {
        Ok(resize) => resize,
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
        // A purpose the cluster lacks is a mistake in the request itself, whatever the status.
        if let Some(purpose) = &resize.purpose {
            if let Err(message) = nodes::check_purpose(&c.nodes, purpose) {
                return error(StatusCode::BAD_REQUEST, "nodePurpose", &message);
            }
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
        tracing::info!(cluster_id = %id, new_size = %resize.size, purpose = ?resize.purpose, "instaclustr cluster resizing");
        c.resize = Some(resize);
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
                    "slaTier": c.spec.sla_tier,
                    "pciCompliance": pci_compliance(&c.spec),
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

fn pci_compliance(s: &Spec) -> &'static str {
    if s.pci {
        "ENABLED"
    } else {
        "DISABLED"
    }
}

fn cluster_json(c: &Cluster) -> Value {
    let s = &c.spec;
    let status = c.status.as_str();
    let provider = provider_json(&s.provider);
    // `bundles` is non-empty by validation; the fallbacks only keep this function total.
    let first = s.bundles.first();
    let addons: Vec<Value> = s.bundles.iter().skip(1).map(bundle_json).collect();
    json!({
        "id": c.id,
        "clusterName": s.name,
        "clusterStatus": status,
        "cdcId": c.cdc_id,
        "bundleType": first.map(|b| b.bundle.as_str()).unwrap_or_default(),
        "bundleVersion": first.map(|b| b.version.as_str()).unwrap_or_default(),
        "bundleOptions": first.map_or_else(|| json!({}), |b| b.options.clone()),
        "addonBundles": addons,
        "slaTier": s.sla_tier,
        "clusterCertificateDownload": format!("/provisioning/v1/{}/certificate", c.id),
        "pciCompliance": pci_compliance(s),
        "username": "icadmin",
        "instaclustrUserPassword": c.password,
        "dataCentre": s.data_centre,
        "dataCentreCustomName": s.cdc_name,
        "dataCentres": [cdc_json(c)],
        "bundles": s.bundles.iter().map(bundle_json).collect::<Vec<_>>(),
        "provider": provider,
        "clusterProvider": [provider],
        "clusterNetwork": s.network,
        "privateNetworkCluster": s.private_network,
        "pciCompliantCluster": s.pci,
        "rackAllocation": rack_allocation_json(s),
        "nodeSize": c.node_size(),
    })
}

fn bundle_json(b: &Bundle) -> Value {
    json!({ "bundle": b.bundle, "version": b.version, "options": b.options })
}

fn provider_json(p: &ProviderSpec) -> Value {
    json!({
        "name": p.name,
        "accountName": p.account_name,
        "customVirtualNetworkId": p.custom_virtual_network_id,
        "tags": p.tags,
        "diskEncryptionKey": p.disk_encryption_key,
        "resourceGroup": p.resource_group,
    })
}

fn rack_allocation_json(s: &Spec) -> Value {
    json!({ "numberOfRacks": s.racks, "nodesPerRack": s.nodes_per_rack })
}

fn cdc_json(c: &Cluster) -> Value {
    let s = &c.spec;
    let status = c.status.as_str();
    let nodes: Vec<Value> = c.nodes.iter().map(|n| node_json(n, status)).collect();
    let mut cdc = json!({
        "id": c.cdc_id,
        "name": s.data_centre,
        "cdcName": s.cdc_name,
        "dataCentre": s.data_centre,
        "provider": s.provider.name,
        "cdcNetwork": s.network,
        "privateIPOnly": s.private_network,
        "rackAllocation": rack_allocation_json(s),
        "nodeCount": c.nodes.len(),
        "cdcStatus": status,
        "nodes": nodes,
    });
    if let (Some(resize), Some(obj)) = (&c.resize, cdc.as_object_mut()) {
        obj.insert("resizeTargetNodeSize".to_owned(), json!(resize.size));
    }
    cdc
}

fn node_json(n: &Node, status: &str) -> Value {
    json!({
        "id": n.id,
        "size": n.size,
        "rack": n.rack,
        "purpose": n.purpose,
        "publicAddress": n.public_address.iter().collect::<Vec<_>>(),
        "privateAddress": [n.private_address],
        "nodeStatus": status,
    })
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

/// `^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$`: the docs say underscores only, but the official
/// provider's acceptance tests create hyphenated names against the real API.
fn valid_cluster_name(name: &str) -> bool {
    let name_char = |b: u8| b.is_ascii_alphanumeric() || b == b'_' || b == b'-';
    (1..=32).contains(&name.len())
        && name
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_alphanumeric())
        && name.bytes().all(name_char)
}

/// `dataCentreCustomName`: 1–32 of `[A-Za-z0-9_-]`; an empty string counts as absent.
fn parse_cdc_name<'a>(obj: &'a Map<String, Value>, errors: &mut Errors) -> Option<&'a str> {
    let name = opt_str(obj, "dataCentreCustomName", "dataCentreCustomName", errors)?;
    let valid = name.len() <= 32
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if !valid {
        errors.push((
            "dataCentreCustomName".to_owned(),
            "must be at most 32 characters of letters, digits, underscores and hyphens".to_owned(),
        ));
    }
    (valid && !name.is_empty()).then_some(name)
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

/// A validated create request and the extra node groups its primary bundle asks for.
fn validate_create(body: &Value) -> Result<(Spec, Vec<Group>), Errors> {
    let mut errors: Errors = Vec::new();
    let Some(obj) = body.as_object() else {
        return Err(vec![(
            "body".to_owned(),
            "request body must be a JSON object".to_owned(),
        )]);
    };

    let name = req_str(obj, "clusterName", "clusterName", &mut errors);
    if name.is_some_and(|n| !valid_cluster_name(n)) {
        errors.push((
            "clusterName".to_owned(),
            "must be 1-32 characters of letters, digits, underscores and hyphens, starting with \
             a letter or digit"
                .to_owned(),
        ));
    }
    let bundles = bundles::parse_bundles(obj, &mut errors);
    let provider = parse_provider(obj, &mut errors);
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
    let extras = bundles
        .first()
        .map(|primary| nodes::extra_groups(primary, node_size, &mut errors))
        .unwrap_or_default();
    let data_centre = req_str(obj, "dataCentre", "dataCentre", &mut errors);
    let cdc_name = parse_cdc_name(obj, &mut errors);

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
    let (racks, nodes_per_rack) = parse_rack_allocation(obj, &mut errors);

    match obj.get("firewallRules") {
        None | Some(Value::Null) | Some(Value::Array(_)) => {}
        Some(_) => errors.push(("firewallRules".to_owned(), "must be an array".to_owned())),
    }

    if !errors.is_empty() {
        return Err(errors);
    }
    // With no errors every required field above was present.
    let (Some(name), Some(node_size), Some(data_centre)) = (name, node_size, data_centre) else {
        return Err(vec![("body".to_owned(), "incomplete request".to_owned())]);
    };
    let cdc_name =
        cdc_name.map_or_else(|| format!("{}_{data_centre}", provider.name), str::to_owned);
    let spec = Spec {
        name: name.to_owned(),
        bundles,
        provider,
        sla_tier: sla_tier.to_owned(),
        node_size: node_size.to_owned(),
        data_centre: data_centre.to_owned(),
        cdc_name,
        network: network.to_owned(),
        network_base,
        private_network,
        pci,
        racks,
        nodes_per_rack,
    };
    Ok((spec, extras))
}

fn parse_provider(obj: &Map<String, Value>, errors: &mut Errors) -> ProviderSpec {
    let p = match obj.get("provider") {
        Some(Value::Object(p)) => p,
        None | Some(Value::Null) => {
            errors.push(("provider".to_owned(), "is required".to_owned()));
            return ProviderSpec::default();
        }
        Some(_) => {
            errors.push(("provider".to_owned(), "must be an object".to_owned()));
            return ProviderSpec::default();
        }
    };
    let mut provider = ProviderSpec::default();
    if let Some(n) = req_str(p, "name", "provider.name", errors) {
        if PROVIDERS.contains(&n) {
            provider.name = n.to_owned();
        } else {
            errors.push((
                "provider.name".to_owned(),
                format!("must be one of {}", PROVIDERS.join(", ")),
            ));
        }
    }
    let mut text =
        |key: &str| opt_str(p, key, &format!("provider.{key}"), errors).map(str::to_owned);
    provider.account_name = text("accountName");
    provider.custom_virtual_network_id = text("customVirtualNetworkId");
    provider.disk_encryption_key = text("diskEncryptionKey");
    provider.resource_group = text("resourceGroup");
    provider.tags = parse_tags(p, errors);
    provider
}

fn parse_tags(p: &Map<String, Value>, errors: &mut Errors) -> Option<Map<String, Value>> {
    match p.get("tags") {
        None | Some(Value::Null) => None,
        Some(Value::Object(tags)) if tags.values().all(Value::is_string) => Some(tags.clone()),
        Some(Value::Object(_)) => {
            errors.push((
                "provider.tags".to_owned(),
                "values must be strings".to_owned(),
            ));
            None
        }
        Some(_) => {
            errors.push(("provider.tags".to_owned(), "must be an object".to_owned()));
            None
        }
    }
}

/// `(numberOfRacks, nodesPerRack)`, defaults filled in.
fn parse_rack_allocation(obj: &Map<String, Value>, errors: &mut Errors) -> (u64, u64) {
    let r = match obj.get("rackAllocation") {
        None | Some(Value::Null) => return (DEFAULT_RACKS, DEFAULT_NODES_PER_RACK),
        Some(Value::Object(r)) => r,
        Some(_) => {
            errors.push(("rackAllocation".to_owned(), "must be an object".to_owned()));
            return (DEFAULT_RACKS, DEFAULT_NODES_PER_RACK);
        }
    };
    let path = "rackAllocation.numberOfRacks";
    let racks = in_range(
        opt_count(r, "numberOfRacks", path, errors),
        1,
        5,
        path,
        errors,
    )
    .unwrap_or(DEFAULT_RACKS);
    let path = "rackAllocation.nodesPerRack";
    let per_rack = in_range(
        opt_count(r, "nodesPerRack", path, errors),
        1,
        10,
        path,
        errors,
    )
    .unwrap_or(DEFAULT_NODES_PER_RACK);
    (racks, per_rack)
}

fn validate_resize(body: &Value) -> Result<Resize, Errors> {
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
    // Null and absent both mean the whole cluster, as the official provider sends either.
    let purpose = opt_str(obj, "nodePurpose", "nodePurpose", &mut errors).map(str::to_owned);
    match size {
        Some(size) if errors.is_empty() => Ok(Resize { size, purpose }),
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
        let (spec, extras) = match validate_create(&body) {
            Ok(valid) => valid,
            Err(e) => panic!("{e:?}"),
        };
        let t0 = Instant::now();
        let pace = Duration::from_secs(10);
        let mut c = Cluster {
            id: "i".into(),
            cdc_id: "c".into(),
            nodes: nodes::make_nodes(&spec, &extras),
            spec,
            status: Status::Genesis,
            step_started: t0,
            outcome: Outcome::Running,
            resize: None,
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
