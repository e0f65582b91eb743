//! Simulated Huawei Cloud Search Service (CSS) API, mounted under `/css`: clusters, extend,
//! tags, snapshot policy, password reset. Tokens come from the simulated IAM ([`super::iam`]).
//!
//! Written from the CSS documentation and public client code as summarised in
//! `shared/spec/api-facts.md`, never from this crate's own client. Where the sources are silent
//! the simulator picks a behaviour, listed below.
//!
//! # Endpoints (all under `/v1.0/{project_id}`)
//! | request | success | notes |
//! | --- | --- | --- |
//! | `POST /clusters` | 200 `{"cluster": {"id", "name"}}` | body `{"cluster": {...}}` as documented |
//! | `GET /clusters?offset=&limit=` | 200 `{"clusters": [detail…], "totalSize": N}` | `offset` is 1-based (default 1), `limit` default 10, creation order |
//! | `GET /clusters/{id}` | 200 detail | see below |
//! | `DELETE /clusters/{id}` | 200, empty body | |
//! | `POST /clusters/{id}/extend` | 200 `{}` | `{"grow": {"modifySize": N}}` |
//! | `POST /clusters/{id}/password/reset` | 200 `{}` | `{"newpassword": "…"}` |
//! | `POST /clusters/{id}/index_snapshot/policy` | 200 `{}` | `{"prefix", "period", "keepday", "enable"}` |
//! | `GET /clusters/{id}/index_snapshot/policy` | 200 `{"keepday", "period", "prefix", "bucket", "basePath", "agency", "enable"}` | `enable` is the string "true"/"false" |
//! | `POST /css-cluster/{id}/tags` | 204 | `{"tag": {"key", "value"}}`; an existing key gets the new value |
//! | `POST /css-cluster/{id}/tags/action` | 204 | `{"action": "create"\|"delete", "tags": [{"key", "value"}]}`; deleting a missing key is ignored |
//! | `DELETE /css-cluster/{id}/tags/{key}` | 204 | 404 CSS.0001 when the key is not there |
//! | `GET /css-cluster/{id}/tags` | 200 `{"tags": [{"key", "value"}]}` | |
//!
//! # Authentication
//! Every request needs `X-Auth-Token` with a token issued by the simulated IAM and scoped to the
//! project in the URL. Missing or unknown token → 401 `{"error_code": "APIGW.0301", "error_msg"}`;
//! expired or revoked → 401 `{"error_code": "APIGW.0307", "error_msg": "The token must be
//! updated."}` (the API gateway's shapes, not CSS's); a token of another project or an unscoped
//! one → 403 `{"error_code": "APIGW.0302", …}`.
//!
//! # Errors
//! CSS errors are `{"errCode": "CSS.xxxx", "externalMessage": "…"}`:
//! - 400 **CSS.0001** invalid parameter (the first problem found, named in the message);
//!   400 **CSS.5033** volume size not a multiple of 10; 400 **CSS.5050** a cluster of that name
//!   already exists in the project (clusters being deleted still hold their name). **CSS.1102**
//!   (409) is documented but only reachable through fault injection.
//! - **202 CSS.0011** for extend, password reset and snapshot policy while the cluster is busy
//!   (status "100": creating, growing, deleting). Tags and delete are accepted at any time.
//!   Extend, password reset and policy on a failed ("303") cluster → 400 CSS.0001.
//! - A cluster that was deleted (through the API or the admin back door) → **403 CSS.0015**
//!   "No resources are found or the access is denied." on every cluster path, for ever; an id that
//!   never existed → **404** with the same errCode.
//! - Faults injected without a body use `{"errCode": "CSS.0001"}` for 4xx and `"CSS.9999"` for
//!   5xx.
//!
//! # Lifecycle (one step = the simulator's `pace`)
//! - Create: status "100", `actions: ["CREATING"]`, `actionProgress: {"CREATING": "n%"}`, every
//!   instance "100"; after 3 paces status "200", `actions: []`, every instance "200". With a
//!   pending admin failure: "303" after 2 paces with `failedReason: {errorCode, errorMsg}` and
//!   every instance "303".
//! - Extend: the new instances appear at once with status "100" (so the node count shows the
//!   target straight away), the cluster is "100" with `actions: ["GROWING"]`; after 2 paces
//!   everything is "200".
//! - Delete: "100" with `actions: ["DELETING"]` for 1 pace, then gone (403 CSS.0015).
//! - Password reset, policy and tags change at once.
//!
//! # Cluster document
//! `id, name, status, created, updated` (UTC, `2024-05-01T10:00:00`), `endpoint` (the first
//! node's `ip:9200`), `datastore{type,version}` (type default `elasticsearch`),
//! `instances[{id, name, type: "ess", specCode (= flavorRef), azCode, ip, status,
//! volume{type,size}}]`, `vpcId, subnetId, securityGroupId, httpsEnable, authorityEnable`
//! (JSON booleans), `diskEncrypted: false, enterpriseProjectId: "0", actions, actionProgress,
//! tags[{key,value}], failedReason` (null unless "303"). The admin password never appears.
//! Nodes get addresses `192.168.<n>.<10+i>`, one /24 per cluster. Without `availability_zone`
//! a cluster is placed in `demo-az1`; a comma-separated list spreads nodes round-robin.
//! Booleans are accepted as JSON booleans or "true"/"false" strings, counts as numbers or digit
//! strings. `adminPwd` is ignored unless `authorityEnable` is true.
//!
//! # Admin back doors (`/_admin/css/...`)
//! | request | effect / answer |
//! | --- | --- |
//! | `GET /_admin/css/clusters` | `[{"id", "name", "project", "status", "actions", "instanceNum", "readyInstances", "httpsEnable", "authorityEnable", "passwordSet", "tags": {k: v}, "backup": policy}]` |
//! | `POST /_admin/css/clusters/{id}/delete` | removes the cluster at once, behind Terraform's back (then 403 CSS.0015) → `{"deleted": id}` |
//! | `POST /_admin/css/clusters/{id}/tags` | replaces the cluster's tags with the body's `{key: value}` object (drift) |
//! | `POST /_admin/css/clusters/{id}/name` | `{"name": N}`: renames the cluster without the duplicate check, so that two clusters share a name (what lookups by name must cope with) → `{"id", "name"}` |
//! | `POST /_admin/css/next_create_failure` | `{"errorCode"?, "errorMsg"?}`: the next create ends in "303" with that `failedReason` (default CSS.6000 "Failed to create the cluster: insufficient resources in the availability zone.") |

mod cluster;
mod validate;

use std::collections::HashSet;
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::{Path, Query, Request, State as AxState};
use axum::http::StatusCode;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Map, Value};

use self::cluster::{Cluster, FailedReason, Phase};
use self::validate::Invalid;
use super::iam::TokenCheck;
use super::{json_error, json_message, lock, parse_json_body, Shared, Vendor};

pub const VENDOR: Vendor = Vendor {
    name: "css",
    rate_limited: false,
    error_body,
};

fn error_body(status: StatusCode, message: &str) -> Value {
    let code = if status.is_server_error() {
        "CSS.9999"
    } else {
        "CSS.0001"
    };
    json!({"errCode": code, "externalMessage": message})
}

fn css_error(status: StatusCode, code: &str, message: &str) -> Response {
    json_error(status, json!({"errCode": code, "externalMessage": message}))
}

fn invalid(e: Invalid) -> Response {
    css_error(StatusCode::BAD_REQUEST, e.code, &e.message)
}

fn gateway_error(status: StatusCode, code: &str, message: &str) -> Response {
    json_error(
        status,
        json!({"error_code": code, "error_msg": message, "request_id": uuid::Uuid::new_v4().simple().to_string()}),
    )
}

/// Every CSS cluster the simulator holds.
#[derive(Debug, Default)]
pub struct State {
    clusters: Vec<Cluster>,
    /// Ids of deleted clusters: they answer 403 CSS.0015 rather than 404.
    gone: HashSet<String>,
    next_failure: Option<FailedReason>,
    created: u64,
}

impl State {
    /// Advances every cluster; clusters whose deletion finished move to `gone`.
    fn tick(&mut self, now: Instant, pace: Duration) {
        let mut finished = Vec::new();
        self.clusters.retain_mut(|c| {
            let alive = c.advance(now, pace);
            if !alive {
                finished.push(c.id.clone());
            }
            alive
        });
        for id in finished {
            tracing::info!(cluster_id = %id, "css cluster deleted");
            self.gone.insert(id);
        }
    }

    /// The cluster `id` of `project`, or the answer for a missing one.
    #[allow(clippy::result_large_err)]
    fn find(&mut self, project: &str, id: &str) -> Result<&mut Cluster, Response> {
        if let Some(c) = self
            .clusters
            .iter_mut()
            .find(|c| c.id == id && c.project == project)
        {
            return Ok(c);
        }
        let (status, message) = if self.gone.contains(id) {
            (
                StatusCode::FORBIDDEN,
                "No resources are found or the access is denied.",
            )
        } else {
            (
                StatusCode::NOT_FOUND,
                "No resources are found or the access is denied.",
            )
        };
        Err(css_error(status, "CSS.0015", message))
    }
}

/// Locks the simulator, brings the clusters up to date and runs `f` on the CSS state.
fn with_state<T>(shared: &Shared, f: impl FnOnce(&mut State, Instant, Duration) -> T) -> T {
    let mut st = lock(shared);
    let now = Instant::now();
    let pace = st.config.pace;
    st.css.tick(now, pace);
    f(&mut st.css, now, pace)
}

// ---------------------------------------------------------------------------------------------
// Routes

pub fn api(shared: &Shared) -> Router<Shared> {
    Router::new()
        .route(
            "/v1.0/{project}/clusters",
            post(create_cluster).get(list_clusters),
        )
        .route(
            "/v1.0/{project}/clusters/{id}",
            get(get_cluster).delete(delete_cluster),
        )
        .route("/v1.0/{project}/clusters/{id}/extend", post(extend))
        .route(
            "/v1.0/{project}/clusters/{id}/password/reset",
            post(reset_password),
        )
        .route(
            "/v1.0/{project}/clusters/{id}/index_snapshot/policy",
            post(set_policy).get(get_policy),
        )
        .route(
            "/v1.0/{project}/css-cluster/{id}/tags",
            post(add_tag).get(list_tags),
        )
        .route(
            "/v1.0/{project}/css-cluster/{id}/tags/action",
            post(batch_tags),
        )
        .route(
            "/v1.0/{project}/css-cluster/{id}/tags/{key}",
            axum::routing::delete(delete_tag),
        )
        .fallback(|| async { css_error(StatusCode::NOT_FOUND, "CSS.0001", "no such endpoint") })
        .method_not_allowed_fallback(|| async {
            css_error(
                StatusCode::METHOD_NOT_ALLOWED,
                "CSS.0001",
                "method not allowed on this endpoint",
            )
        })
        .layer(middleware::from_fn_with_state(shared.clone(), auth))
}

pub fn admin_routes() -> Router<Shared> {
    Router::new()
        .route("/clusters", get(admin_list))
        .route("/clusters/{id}/delete", post(admin_delete))
        .route("/clusters/{id}/tags", post(admin_set_tags))
        .route("/clusters/{id}/name", post(admin_rename))
        .route("/next_create_failure", post(admin_next_failure))
}

/// Checks `X-Auth-Token` against the simulated IAM and the project in the path.
async fn auth(AxState(shared): AxState<Shared>, req: Request, next: Next) -> Response {
    let token = req
        .headers()
        .get("x-auth-token")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    // Paths are /v1.0/{project_id}/...
    let project = req
        .uri()
        .path()
        .split('/')
        .nth(2)
        .unwrap_or_default()
        .to_owned();
    let check = lock(&shared).iam.check(&token, Instant::now());
    match check {
        TokenCheck::Valid(Some(scope)) if scope == project => next.run(req).await,
        TokenCheck::Valid(_) => gateway_error(
            StatusCode::FORBIDDEN,
            "APIGW.0302",
            "The token is not scoped to the project in the URL.",
        ),
        TokenCheck::Expired => gateway_error(
            StatusCode::UNAUTHORIZED,
            "APIGW.0307",
            "The token must be updated.",
        ),
        TokenCheck::Unknown => gateway_error(
            StatusCode::UNAUTHORIZED,
            "APIGW.0301",
            "Incorrect IAM authentication information: the token is missing or not valid.",
        ),
    }
}

#[allow(clippy::result_large_err)]
fn body_json(bytes: &Bytes) -> Result<Value, Response> {
    parse_json_body(bytes, error_body)
}

async fn create_cluster(
    AxState(shared): AxState<Shared>,
    Path(project): Path<String>,
    body: Bytes,
) -> Response {
    let body = match body_json(&body) {
        Ok(v) => v,
        Err(resp) => return resp,
    };
    let (spec, backup) = match validate::validate_create(&body) {
        Ok(parts) => parts,
        Err(e) => return invalid(e),
    };
    with_state(&shared, |state, now, _| {
        if state
            .clusters
            .iter()
            .any(|c| c.project == project && c.spec.name == spec.name)
        {
            return css_error(
                StatusCode::BAD_REQUEST,
                "CSS.5050",
                &format!("The cluster name {} already exists.", spec.name),
            );
        }
        let fail = state.next_failure.take();
        state.created += 1;
        let subnet = u8::try_from(state.created % 250 + 1).unwrap_or(1);
        let c = Cluster::new(spec, &project, backup, fail, subnet, now);
        let answer = json!({"cluster": {"id": c.id, "name": c.spec.name}});
        tracing::info!(cluster_id = %c.id, name = %c.spec.name, nodes = c.instances.len(), "css cluster created");
        state.clusters.push(c);
        (StatusCode::OK, Json(answer)).into_response()
    })
}

#[derive(Deserialize)]
struct Page {
    offset: Option<String>,
    limit: Option<String>,
}

async fn list_clusters(
    AxState(shared): AxState<Shared>,
    Path(project): Path<String>,
    Query(page): Query<Page>,
) -> Response {
    let parse = |v: &Option<String>, default: usize| match v.as_deref().map(str::trim) {
        None | Some("") => Some(default),
        Some(s) => s.parse::<usize>().ok(),
    };
    let (Some(offset), Some(limit)) = (parse(&page.offset, 1), parse(&page.limit, 10)) else {
        return css_error(
            StatusCode::BAD_REQUEST,
            "CSS.0001",
            "Invalid parameter: offset and limit must be whole numbers",
        );
    };
    if offset < 1 || limit < 1 {
        return css_error(
            StatusCode::BAD_REQUEST,
            "CSS.0001",
            "Invalid parameter: offset and limit start at 1",
        );
    }
    with_state(&shared, |state, now, pace| {
        let mine: Vec<&Cluster> = state
            .clusters
            .iter()
            .filter(|c| c.project == project)
            .collect();
        let page: Vec<Value> = mine
            .iter()
            .skip(offset - 1)
            .take(limit)
            .map(|c| c.detail(now, pace))
            .collect();
        Json(json!({"clusters": page, "totalSize": mine.len()})).into_response()
    })
}

async fn get_cluster(
    AxState(shared): AxState<Shared>,
    Path((project, id)): Path<(String, String)>,
) -> Response {
    with_state(&shared, |state, now, pace| {
        match state.find(&project, &id) {
            Ok(c) => Json(c.detail(now, pace)).into_response(),
            Err(resp) => resp,
        }
    })
}

async fn delete_cluster(
    AxState(shared): AxState<Shared>,
    Path((project, id)): Path<(String, String)>,
) -> Response {
    with_state(&shared, |state, now, _| match state.find(&project, &id) {
        Ok(c) => {
            if c.phase != Phase::Deleting {
                c.enter(Phase::Deleting, now);
                tracing::info!(cluster_id = %id, "css cluster deleting");
            }
            StatusCode::OK.into_response()
        }
        Err(resp) => resp,
    })
}

/// The answer for a cluster that cannot take a modifying operation now, if any.
fn not_ready(c: &Cluster) -> Option<Response> {
    if c.busy() {
        return Some(css_error(
            StatusCode::ACCEPTED,
            "CSS.0011",
            "Another operation is being performed on the cluster. Try again later.",
        ));
    }
    if c.status() != "200" {
        return Some(css_error(
            StatusCode::BAD_REQUEST,
            "CSS.0001",
            &format!(
                "The cluster status ({}) does not allow this operation.",
                c.status()
            ),
        ));
    }
    None
}

async fn extend(
    AxState(shared): AxState<Shared>,
    Path((project, id)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    let body = match body_json(&body) {
        Ok(v) => v,
        Err(resp) => return resp,
    };
    with_state(&shared, |state, now, _| {
        let c = match state.find(&project, &id) {
            Ok(c) => c,
            Err(resp) => return resp,
        };
        if let Some(resp) = not_ready(c) {
            return resp;
        }
        let n = match validate::validate_extend(&body, c.instances.len()) {
            Ok(n) => n,
            Err(e) => return invalid(e),
        };
        c.add_instances(n);
        c.enter(Phase::Growing, now);
        tracing::info!(cluster_id = %id, added = n, "css cluster growing");
        Json(json!({})).into_response()
    })
}

async fn reset_password(
    AxState(shared): AxState<Shared>,
    Path((project, id)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    let body = match body_json(&body) {
        Ok(v) => v,
        Err(resp) => return resp,
    };
    with_state(&shared, |state, _, _| {
        let c = match state.find(&project, &id) {
            Ok(c) => c,
            Err(resp) => return resp,
        };
        if let Some(resp) = not_ready(c) {
            return resp;
        }
        if !c.spec.authority {
            return css_error(
                StatusCode::BAD_REQUEST,
                "CSS.0001",
                "Invalid parameter: the cluster is not in security mode (authorityEnable is false).",
            );
        }
        match validate::validate_password(&body) {
            Ok(p) => {
                c.password = Some(p);
                c.updated = cluster::timestamp();
                Json(json!({})).into_response()
            }
            Err(e) => invalid(e),
        }
    })
}

async fn set_policy(
    AxState(shared): AxState<Shared>,
    Path((project, id)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    let body = match body_json(&body) {
        Ok(v) => v,
        Err(resp) => return resp,
    };
    with_state(&shared, |state, _, _| {
        let c = match state.find(&project, &id) {
            Ok(c) => c,
            Err(resp) => return resp,
        };
        if let Some(resp) = not_ready(c) {
            return resp;
        }
        match validate::validate_policy(&body, &c.backup) {
            Ok(b) => {
                c.backup = b;
                Json(json!({})).into_response()
            }
            Err(e) => invalid(e),
        }
    })
}

async fn get_policy(
    AxState(shared): AxState<Shared>,
    Path((project, id)): Path<(String, String)>,
) -> Response {
    with_state(&shared, |state, _, _| match state.find(&project, &id) {
        Ok(c) => Json(c.policy()).into_response(),
        Err(resp) => resp,
    })
}

fn upsert_tag(c: &mut Cluster, key: String, value: String) {
    match c.tags.iter_mut().find(|(k, _)| *k == key) {
        Some(slot) => slot.1 = value,
        None => c.tags.push((key, value)),
    }
}

async fn add_tag(
    AxState(shared): AxState<Shared>,
    Path((project, id)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    let body = match body_json(&body) {
        Ok(v) => v,
        Err(resp) => return resp,
    };
    let (key, value) = match validate::tag(&body["tag"], "tag") {
        Ok(t) => t,
        Err(e) => return invalid(e),
    };
    with_state(&shared, |state, _, _| match state.find(&project, &id) {
        Ok(c) => {
            upsert_tag(c, key, value);
            StatusCode::NO_CONTENT.into_response()
        }
        Err(resp) => resp,
    })
}

async fn batch_tags(
    AxState(shared): AxState<Shared>,
    Path((project, id)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    let body = match body_json(&body) {
        Ok(v) => v,
        Err(resp) => return resp,
    };
    let action = body["action"].as_str().unwrap_or_default().to_owned();
    if action != "create" && action != "delete" {
        return css_error(
            StatusCode::BAD_REQUEST,
            "CSS.0001",
            "Invalid parameter: action must be \"create\" or \"delete\"",
        );
    }
    let Some(items) = body["tags"].as_array() else {
        return css_error(
            StatusCode::BAD_REQUEST,
            "CSS.0001",
            "Invalid parameter: tags must be an array",
        );
    };
    let mut tags = Vec::new();
    for item in items {
        match validate::tag(item, "tags[]") {
            Ok(t) => tags.push(t),
            Err(e) => return invalid(e),
        }
    }
    with_state(&shared, |state, _, _| match state.find(&project, &id) {
        Ok(c) => {
            for (key, value) in tags {
                if action == "create" {
                    upsert_tag(c, key, value);
                } else {
                    c.tags.retain(|(k, _)| *k != key);
                }
            }
            StatusCode::NO_CONTENT.into_response()
        }
        Err(resp) => resp,
    })
}

async fn delete_tag(
    AxState(shared): AxState<Shared>,
    Path((project, id, key)): Path<(String, String, String)>,
) -> Response {
    with_state(&shared, |state, _, _| match state.find(&project, &id) {
        Ok(c) => {
            let before = c.tags.len();
            c.tags.retain(|(k, _)| *k != key);
            if c.tags.len() == before {
                css_error(
                    StatusCode::NOT_FOUND,
                    "CSS.0001",
                    &format!("The tag key {key} does not exist."),
                )
            } else {
                StatusCode::NO_CONTENT.into_response()
            }
        }
        Err(resp) => resp,
    })
}

async fn list_tags(
    AxState(shared): AxState<Shared>,
    Path((project, id)): Path<(String, String)>,
) -> Response {
    with_state(&shared, |state, _, _| match state.find(&project, &id) {
        Ok(c) => Json(json!({"tags": c.tags_json()})).into_response(),
        Err(resp) => resp,
    })
}

// ---------------------------------------------------------------------------------------------
// Admin back doors

async fn admin_list(AxState(shared): AxState<Shared>) -> Response {
    with_state(&shared, |state, now, pace| {
        let list: Vec<Value> = state
            .clusters
            .iter()
            .map(|c| {
                let doc = c.detail(now, pace);
                let tags: Map<String, Value> = c
                    .tags
                    .iter()
                    .map(|(k, v)| (k.clone(), Value::String(v.clone())))
                    .collect();
                json!({
                    "id": c.id,
                    "name": c.spec.name,
                    "project": c.project,
                    "status": c.status(),
                    "actions": doc["actions"],
                    "instanceNum": c.instances.len(),
                    "readyInstances": c.instances.iter().filter(|i| i.ready).count(),
                    "httpsEnable": c.spec.https,
                    "authorityEnable": c.spec.authority,
                    "passwordSet": c.password.is_some(),
                    "tags": tags,
                    "backup": c.policy(),
                })
            })
            .collect();
        Json(Value::Array(list)).into_response()
    })
}

async fn admin_delete(AxState(shared): AxState<Shared>, Path(id): Path<String>) -> Response {
    with_state(&shared, |state, _, _| {
        let before = state.clusters.len();
        state.clusters.retain(|c| c.id != id);
        if state.clusters.len() == before {
            return json_error(
                StatusCode::NOT_FOUND,
                json_message(&format!("cluster {id} not found")),
            );
        }
        state.gone.insert(id.clone());
        tracing::info!(cluster_id = %id, "css cluster removed by admin");
        Json(json!({ "deleted": id })).into_response()
    })
}

async fn admin_set_tags(
    AxState(shared): AxState<Shared>,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let body = match parse_json_body(&body, |_, m| json_message(m)) {
        Ok(v) => v,
        Err(resp) => return resp,
    };
    let Some(tags) = body.as_object().and_then(|o| {
        o.iter()
            .map(|(k, v)| v.as_str().map(|v| (k.clone(), v.to_owned())))
            .collect::<Option<Vec<_>>>()
    }) else {
        return json_error(
            StatusCode::BAD_REQUEST,
            json_message("body must be an object of strings"),
        );
    };
    with_state(&shared, |state, _, _| {
        match state.clusters.iter_mut().find(|c| c.id == id) {
            Some(c) => {
                c.tags = tags;
                Json(json!({"id": id, "tags": c.tags_json()})).into_response()
            }
            None => json_error(
                StatusCode::NOT_FOUND,
                json_message(&format!("cluster {id} not found")),
            ),
        }
    })
}

async fn admin_rename(
    AxState(shared): AxState<Shared>,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let body = match parse_json_body(&body, |_, m| json_message(m)) {
        Ok(v) => v,
        Err(resp) => return resp,
    };
    let Some(name) = body["name"].as_str().filter(|n| !n.is_empty()) else {
        return json_error(
            StatusCode::BAD_REQUEST,
            json_message("body must be {\"name\": \"...\"}"),
        );
    };
    with_state(&shared, |state, _, _| {
        match state.clusters.iter_mut().find(|c| c.id == id) {
            Some(c) => {
                c.spec.name = name.to_owned();
                Json(json!({"id": id, "name": c.spec.name})).into_response()
            }
            None => json_error(
                StatusCode::NOT_FOUND,
                json_message(&format!("cluster {id} not found")),
            ),
        }
    })
}

async fn admin_next_failure(AxState(shared): AxState<Shared>, body: Bytes) -> Response {
    let body = if body.iter().all(u8::is_ascii_whitespace) {
        json!({})
    } else {
        match parse_json_body(&body, |_, m| json_message(m)) {
            Ok(v) => v,
            Err(resp) => return resp,
        }
    };
    let text = |key: &str, default: &str| {
        body[key]
            .as_str()
            .filter(|s| !s.is_empty())
            .unwrap_or(default)
            .to_owned()
    };
    let reason = FailedReason {
        code: text("errorCode", "CSS.6000"),
        message: text(
            "errorMsg",
            "Failed to create the cluster: insufficient resources in the availability zone.",
        ),
    };
    let answer =
        json!({"next_create_failure": {"errorCode": reason.code, "errorMsg": reason.message}});
    with_state(&shared, |state, _, _| state.next_failure = Some(reason));
    Json(answer).into_response()
}
