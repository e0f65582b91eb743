//! Simulated CloudBasic Multi-AZ HA API, mounted under `/cloudbasic`; admin back doors under
//! `/_admin/cloudbasic`.
//!
//! Written from the vendor's API pages (see `shared/spec/api-facts.md`), never from this crate's
//! provider: its SigV4 verifier ([`sigv4`]) and body reader ([`wire`]) are its own.
//!
//! # Endpoints
//! | request | auth | success (200, in the request's format) |
//! | --- | --- | --- |
//! | `POST /api/ActivateInstance` `{email, instanceId, password, isProduction?, company?, contactPerson?, activationKey?, agreeToEula}` | none (a signature is ignored) | `{"publicKey","privateKey","eulaUrl","requestId"}` / `<ActivateInstanceResponse><PublicKey/><PrivateKey/><EulaUrl/><RequestId/>` |
//! | `POST /api/CreateCluster` `{remoteServer, localServer, port, publicKey, privateKey}` | SigV4 | `{"requestId"}` / `<CreateClusterResponse><RequestId/>` |
//! | `POST /api/AlterCluster` `{remoteServer, port, publicKey, privateKey}` | SigV4 | same shape |
//! | `POST /api/DeleteCluster` `{standaloneServer, publicKey?, privateKey?}` | SigV4 | same shape |
//!
//! Errors: JSON `{"errors": ["{Field}:text", …], "requestId": N}` or XML
//! `<Error><RequestId>N</RequestId><Message>{Field}:text</Message>…</Error>` (one `Message` per
//! problem), with `Content-Type` matching. 400 for invalid input (every problem of a request at
//! once), 403 for a missing or bad signature or an unknown key, 404 for an unknown action, 405
//! for a method other than POST. `requestId` counts every API request from 1. Faults and 429s of
//! the shared gate use the JSON shape with `requestId` 0.
//!
//! # Simulator choices (the docs are silent)
//! - **Instances**: the simulator stands for a fleet of CloudBasic instances behind one URL. Each
//!   ActivateInstance call activates the instance its `instanceId` names and returns a fresh key
//!   pair (`publicKey`: 20 upper-case letters and digits, `privateKey`: 40 characters). It needs
//!   `instanceId`, `email` (with an `@`), `password` and `agreeToEula` = true; `isProduction`
//!   and `agreeToEula` are `true`/`false` (JSON booleans or text); every problem is reported at
//!   once (400, `{InstanceId}:…`, `{AgreeToEula}:…`). An instance is activated once: a second
//!   activation of the same `instanceId` → 400 `{InstanceId}:Instance … is already activated`.
//!   A signed request acts on the instance whose key signed it. Two demo instances exist from the
//!   start: [`DEMO_LOCAL`] and [`DEMO_REMOTE`]; `POST /_admin/cloudbasic/keys` mints more
//!   without an instance id.
//! - **Signatures**: see [`sigv4`]; the credential scope's service must be `cloudbasic` or `cbr`
//!   (both appear in the vendor's pages); any region, blank included, is accepted.
//! - **Clusters**: an instance is in at most one cluster, and a `localServer` in at most one.
//!   CreateCluster on a clustered instance → 400 `{LocalServer}`. `remoteServer`, `localServer`
//!   and `standaloneServer` must be an IPv4 address, an IPv6 address or a DNS name, and
//!   `remoteServer` must differ from `localServer`. `port` is an integer or a string of digits,
//!   1–65535. `publicKey`/`privateKey` must be a key pair the simulator minted (the remote
//!   instance's), else `{PublicKey}` (unknown key) or `{PrivateKey}` (not that key's pair).
//! - **AlterCluster** needs the signing instance to be clustered (else a 400 without a field),
//!   validates like CreateCluster, and replaces remote server, port and keys.
//! - **DeleteCluster**: `standaloneServer` must be the cluster's `localServer` or `remoteServer`
//!   (`{StandaloneServer}` otherwise). When it is the remote one (the call goes to the server
//!   that leaves), `publicKey`/`privateKey` are required and checked as above. The cluster is
//!   then gone.
//! - **Format**: see [`wire`]; answers use the request's format. The last format used on a
//!   cluster is kept for the admin API.
//!
//! # Admin (`/_admin/cloudbasic`)
//! | request | answer |
//! | --- | --- |
//! | `GET /clusters` | `[{"localServer","remoteServer","port","publicKey","privateKey","accessKey","format","alterations"}]` by localServer |
//! | `POST /clusters/{localServer}/delete` | dissolves it behind Terraform's back → `{"deleted"}` (404 if none) |
//! | `GET /calls` | every action that passed the signature check, in order: `[{"requestId","action","status","format","accessKey","fields","payloadHash","signedHeaders"}]`; `fields` as sent, `payloadHash` `real`/`empty-body-hash`/`absent` (see [`sigv4`]) |
//! | `DELETE /calls` or `POST /calls/clear` | clears that log → `{"cleared"}` |
//! | `POST /keys` | mints an activated instance → `{"publicKey","privateKey"}` |
//! | `GET /instances` | every ActivateInstance that succeeded, by instanceId: `[{"instanceId","email","isProduction","company","contactPerson","activationKey","publicKey","format","requestId"}]`; `activationKey` is whether one was sent (the password and key are not shown) |
//! | `POST /next_error` `{"action"?, "field"?, "message"?, "status"?}` | the next signed call (of that action) fails with that status (default 400) and message (default `Invalid value for <field>`, prefixed `{<field>}:`), in the request's format |

mod actions;
mod activation;
pub mod sigv4;
pub mod wire;

use std::collections::BTreeMap;
use std::time::SystemTime;

use axum::body::Bytes;
use axum::extract::{NestedPath, Path, Request, State as AxState};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};

use self::sigv4::{AuthFailure, Incoming, Verified};
use self::wire::{Fields, Format};
use super::{json_error, json_message, lock, Shared, Vendor};

pub const VENDOR: Vendor = Vendor {
    name: "cloudbasic",
    rate_limited: false,
    error_body,
};

/// Demo key pairs (public, private), activated from the start so the quick start needs no
/// ActivateInstance call: sign with the first, name the second as the remote instance.
pub const DEMO_LOCAL: (&str, &str) = (
    "CBDEMOLOCAL000000001",
    "demo-local-private-key-0000000000000001",
);
pub const DEMO_REMOTE: (&str, &str) = (
    "CBDEMOREMOTE00000002",
    "demo-remote-private-key-000000000000002",
);

/// Largest request body read.
const MAX_BODY: usize = 1 << 20;
/// Services a credential scope may name.
const SERVICES: &[&str] = &["cloudbasic", "cbr"];

fn error_body(status: StatusCode, message: &str) -> Value {
    let _ = status;
    json!({"errors": [message], "requestId": 0})
}

// ---------------------------------------------------------------------------------------------
// State

#[derive(Debug)]
struct Instance {
    private_key: String,
}

/// One successful ActivateInstance, for the admin view.
#[derive(Debug, Clone)]
struct Activation {
    email: String,
    is_production: bool,
    company: Option<String>,
    contact_person: Option<String>,
    with_activation_key: bool,
    /// The access key minted for the instance.
    public_key: String,
    format: Format,
    request_id: u64,
}

#[derive(Debug, Clone)]
struct Cluster {
    local_server: String,
    remote_server: String,
    port: u16,
    public_key: String,
    private_key: String,
    /// The access key of the instance that created it (the API it belongs to).
    owner: String,
    format: Format,
    alterations: u32,
}

#[derive(Debug)]
struct Call {
    request_id: u64,
    action: String,
    status: u16,
    format: Format,
    access_key: Option<String>,
    fields: Value,
    payload_hash: Option<&'static str>,
    signed_headers: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct ForcedError {
    action: Option<String>,
    field: Option<String>,
    message: Option<String>,
    status: Option<u16>,
}

#[derive(Debug)]
pub struct State {
    last_request_id: u64,
    instances: BTreeMap<String, Instance>,
    /// By EC2 instance id.
    activations: BTreeMap<String, Activation>,
    /// By local server.
    clusters: BTreeMap<String, Cluster>,
    calls: Vec<Call>,
    forced: Vec<ForcedError>,
}

impl Default for State {
    fn default() -> Self {
        let instances = [DEMO_LOCAL, DEMO_REMOTE]
            .into_iter()
            .map(|(public, private)| {
                (
                    public.to_string(),
                    Instance {
                        private_key: private.to_string(),
                    },
                )
            })
            .collect();
        State {
            last_request_id: 0,
            instances,
            activations: BTreeMap::new(),
            clusters: BTreeMap::new(),
            calls: Vec::new(),
            forced: Vec::new(),
        }
    }
}

impl State {
    fn next_request_id(&mut self) -> u64 {
        self.last_request_id += 1;
        self.last_request_id
    }

    fn mint(&mut self) -> (String, String) {
        loop {
            let public = random_text(20, b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789");
            if self.instances.contains_key(&public) {
                continue;
            }
            let private = random_text(
                40,
                b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/",
            );
            self.instances.insert(
                public.clone(),
                Instance {
                    private_key: private.clone(),
                },
            );
            return (public, private);
        }
    }

    fn cluster_of(&self, owner: &str) -> Option<&Cluster> {
        self.clusters.values().find(|c| c.owner == owner)
    }

    /// Problems with a remote key pair named in a body.
    fn check_pair(&self, public: &str, private: &str, problems: &mut Vec<String>) {
        match self.instances.get(public) {
            None => problems.push(format!("{{PublicKey}}:Invalid value for PublicKey: {public:?} is not the key of an activated instance")),
            Some(i) if i.private_key != private => {
                problems.push("{PrivateKey}:Invalid value for PrivateKey: it is not the private key of PublicKey".to_string())
            }
            Some(_) => {}
        }
    }
}

/// Random characters from `alphabet`, from the OS generator behind v4 UUIDs.
fn random_text(len: usize, alphabet: &[u8]) -> String {
    let mut out = String::with_capacity(len);
    while out.len() < len {
        for byte in uuid::Uuid::new_v4().as_bytes() {
            if out.len() < len {
                out.push(char::from(alphabet[usize::from(*byte) % alphabet.len()]));
            }
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Routes

pub fn api(_shared: &Shared) -> Router<Shared> {
    Router::new()
        .route("/api/{action}", post(action))
        .fallback(|| async {
            plain_error(
                StatusCode::NOT_FOUND,
                "no such endpoint: actions are POST /api/<Action>",
            )
        })
        .method_not_allowed_fallback(|| async {
            plain_error(
                StatusCode::METHOD_NOT_ALLOWED,
                "actions are called with POST",
            )
        })
}

pub fn admin_routes() -> Router<Shared> {
    Router::new()
        .route("/clusters", get(admin_clusters))
        .route("/clusters/{local_server}/delete", post(admin_delete))
        .route("/calls", get(admin_calls).delete(admin_clear_calls))
        .route("/calls/clear", post(admin_clear_calls))
        .route("/keys", post(admin_keys))
        .route("/instances", get(admin_instances))
        .route("/next_error", post(admin_next_error))
}

fn plain_error(status: StatusCode, message: &str) -> Response {
    json_error(status, error_body(status, message))
}

/// What one action handler decided: the status, and problems (error) or extra answer fields.
enum Outcome {
    Done(Vec<(&'static str, String)>),
    Failed(StatusCode, Vec<String>),
}

async fn action(
    AxState(shared): AxState<Shared>,
    Path(action): Path<String>,
    req: Request,
) -> Response {
    let (parts, body) = req.into_parts();
    let content_type = parts
        .headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let body = match axum::body::to_bytes(body, MAX_BODY).await {
        Ok(b) => b,
        Err(_) => return plain_error(StatusCode::PAYLOAD_TOO_LARGE, "request body too large"),
    };
    let format = Format::of_request(content_type.as_deref(), &body);
    // The path as the client sent it, mount prefix included: that is what it signed.
    let prefix = parts
        .extensions
        .get::<NestedPath>()
        .map(|p| p.as_str().trim_end_matches('/').to_string())
        .unwrap_or_else(|| format!("/{}", VENDOR.name));
    let full_path = format!("{prefix}{}", parts.uri.path());
    let headers: Vec<(String, String)> = parts
        .headers
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_ascii_lowercase(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();

    let mut st = lock(&shared);
    let state = &mut st.cloudbasic;
    let request_id = state.next_request_id();

    if action == "ActivateInstance" {
        // The one action without an Authorization header: no key exists before it.
        let outcome = match wire::parse_fields(format, &body) {
            Ok(fields) => activation::activate_instance(state, &fields, format, request_id),
            Err(e) => Outcome::Failed(StatusCode::BAD_REQUEST, vec![e]),
        };
        return match outcome {
            Outcome::Done(extra) => wire::success(format, &action, request_id, &extra),
            Outcome::Failed(status, problems) => {
                tracing::info!(%request_id, status = status.as_u16(), "cloudbasic activation refused");
                wire::error(format, status, request_id, &problems)
            }
        };
    }

    let verified = sigv4::verify(
        &Incoming {
            method: parts.method.as_str(),
            path: &full_path,
            query: parts.uri.query(),
            headers: &headers,
            body: &body,
        },
        |key| state.instances.get(key).map(|i| i.private_key.clone()),
        SystemTime::now(),
    )
    .and_then(|v| {
        if SERVICES.contains(&v.service.as_str()) {
            Ok(v)
        } else {
            Err(AuthFailure::Malformed(format!(
                "Credential should be scoped to a valid service: {} (got {:?})",
                SERVICES.join(" or "),
                v.service
            )))
        }
    });
    let verified: Verified = match verified {
        Ok(v) => v,
        Err(failure) => {
            tracing::info!(action = %action, reason = %failure, "cloudbasic request refused");
            let messages = [failure.to_string()];
            return wire::error(format, StatusCode::FORBIDDEN, request_id, &messages);
        }
    };

    let parsed = wire::parse_fields(format, &body);
    let fields_json = parsed.as_ref().map(Fields::to_json).unwrap_or(Value::Null);
    let outcome = match parsed {
        Err(e) => Outcome::Failed(StatusCode::BAD_REQUEST, vec![e]),
        Ok(fields) => match take_forced(state, &action) {
            Some(forced) => forced,
            None => match action.as_str() {
                "CreateCluster" => actions::create_cluster(state, &verified, &fields, format),
                "AlterCluster" => actions::alter_cluster(state, &verified, &fields, format),
                "DeleteCluster" => actions::delete_cluster(state, &verified, &fields),
                other => Outcome::Failed(
                    StatusCode::NOT_FOUND,
                    vec![format!("InvalidAction: {other} is not an action")],
                ),
            },
        },
    };
    let status = match &outcome {
        Outcome::Done(_) => StatusCode::OK,
        Outcome::Failed(s, _) => *s,
    };
    tracing::info!(action = %action, %request_id, status = status.as_u16(), format = format.as_str(), "cloudbasic action");
    state.calls.push(Call {
        request_id,
        action: action.clone(),
        status: status.as_u16(),
        format,
        access_key: Some(verified.access_key.clone()),
        fields: fields_json,
        payload_hash: Some(verified.payload_hash.as_str()),
        signed_headers: Some(verified.signed_headers.join(";")),
    });
    match outcome {
        Outcome::Done(extra) => wire::success(format, &action, request_id, &extra),
        Outcome::Failed(status, problems) => wire::error(format, status, request_id, &problems),
    }
}

fn take_forced(state: &mut State, action: &str) -> Option<Outcome> {
    let idx = state.forced.iter().position(|f| {
        f.action
            .as_deref()
            .is_none_or(|a| a.eq_ignore_ascii_case(action))
    })?;
    let f = state.forced.remove(idx);
    let status = f
        .status
        .and_then(|s| StatusCode::from_u16(s).ok())
        .unwrap_or(StatusCode::BAD_REQUEST);
    let text = match (&f.field, &f.message) {
        (Some(field), Some(m)) => format!("{{{field}}}:{m}"),
        (Some(field), None) => format!("{{{field}}}:Invalid value for {field}"),
        (None, Some(m)) => m.clone(),
        (None, None) => "Forced error (clusterform-sim)".to_string(),
    };
    Some(Outcome::Failed(status, vec![text]))
}

// ---------------------------------------------------------------------------------------------
// Admin back doors

async fn admin_clusters(AxState(shared): AxState<Shared>) -> Response {
    let st = lock(&shared);
    let list: Vec<Value> = st
        .cloudbasic
        .clusters
        .values()
        .map(|c| {
            json!({
                "localServer": c.local_server,
                "remoteServer": c.remote_server,
                "port": c.port,
                "publicKey": c.public_key,
                "privateKey": c.private_key,
                "accessKey": c.owner,
                "format": c.format.as_str(),
                "alterations": c.alterations,
            })
        })
        .collect();
    Json(Value::Array(list)).into_response()
}

async fn admin_delete(
    AxState(shared): AxState<Shared>,
    Path(local_server): Path<String>,
) -> Response {
    let mut st = lock(&shared);
    match st.cloudbasic.clusters.remove(&local_server) {
        Some(_) => {
            tracing::info!(local_server = %local_server, "cloudbasic cluster dissolved by admin");
            Json(json!({ "deleted": local_server })).into_response()
        }
        None => json_error(
            StatusCode::NOT_FOUND,
            json_message(&format!("no cluster with localServer {local_server}")),
        ),
    }
}

async fn admin_calls(AxState(shared): AxState<Shared>) -> Response {
    let st = lock(&shared);
    let list: Vec<Value> = st
        .cloudbasic
        .calls
        .iter()
        .map(|c| {
            json!({
                "requestId": c.request_id,
                "action": c.action,
                "status": c.status,
                "format": c.format.as_str(),
                "accessKey": c.access_key,
                "fields": c.fields,
                "payloadHash": c.payload_hash,
                "signedHeaders": c.signed_headers,
            })
        })
        .collect();
    Json(Value::Array(list)).into_response()
}

async fn admin_clear_calls(AxState(shared): AxState<Shared>) -> Response {
    let mut st = lock(&shared);
    let cleared = st.cloudbasic.calls.len();
    st.cloudbasic.calls.clear();
    Json(json!({ "cleared": cleared })).into_response()
}

async fn admin_instances(AxState(shared): AxState<Shared>) -> Response {
    let st = lock(&shared);
    let list: Vec<Value> = st
        .cloudbasic
        .activations
        .iter()
        .map(|(id, a)| {
            json!({
                "instanceId": id,
                "email": a.email,
                "isProduction": a.is_production,
                "company": a.company,
                "contactPerson": a.contact_person,
                "activationKey": a.with_activation_key,
                "publicKey": a.public_key,
                "format": a.format.as_str(),
                "requestId": a.request_id,
            })
        })
        .collect();
    Json(Value::Array(list)).into_response()
}

async fn admin_keys(AxState(shared): AxState<Shared>) -> Response {
    let mut st = lock(&shared);
    let (public, private) = st.cloudbasic.mint();
    Json(json!({ "publicKey": public, "privateKey": private })).into_response()
}

async fn admin_next_error(AxState(shared): AxState<Shared>, body: Bytes) -> Response {
    let text: &[u8] = if body.iter().all(u8::is_ascii_whitespace) {
        b"{}"
    } else {
        &body
    };
    let forced: ForcedError = match serde_json::from_slice(text) {
        Ok(f) => f,
        Err(e) => {
            return json_error(
                StatusCode::BAD_REQUEST,
                json_message(&format!(
                    "expected {{\"action\"?, \"field\"?, \"message\"?, \"status\"?}}: {e}"
                )),
            )
        }
    };
    if forced
        .status
        .is_some_and(|s| StatusCode::from_u16(s).is_err() || s < 400)
    {
        return json_error(
            StatusCode::BAD_REQUEST,
            json_message("status must be an HTTP error status (400-599)"),
        );
    }
    let mut st = lock(&shared);
    st.cloudbasic.forced.push(forced);
    Json(json!({ "pending": st.cloudbasic.forced.len() })).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minted_keys_have_the_documented_shape() {
        let mut s = State::default();
        let (public, private) = s.mint();
        assert_eq!(public.len(), 20);
        assert!(public
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit()));
        assert_eq!(private.len(), 40);
        assert_ne!(s.mint().0, public);
        assert_eq!(s.instances.len(), 4);
    }
}
