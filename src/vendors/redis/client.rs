//! Typed client for the REST API of Redis Enterprise Software nodes (port 9443, HTTPS).
//!
//! Paths, auth, bodies and status mapping only: retries, timeouts, TLS (`insecure`,
//! `ca_cert_pem`) and cancellation come from the shared [`HttpClient`]. Every resource talks to
//! its own node, so [`RedisClient::node`] aims the provider's one client at a node's base URL.
//!
//! Auth: a [`NodeClient`] sends Basic auth with every request whenever it has credentials.
//! `GET /v1/bootstrap` and the bootstrap POST need none before the node is part of an active
//! cluster (the documentation says so and says nothing of refusing them there; the simulator
//! ignores them), and every other endpoint needs them, so starting anonymous would only earn a
//! 401 per node, which real clusters log as a failed login.

use std::fmt;

use reqwest::StatusCode;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio_util::sync::CancellationToken;

use super::addresses::{addresses, Addresses};
use crate::http::path::{addressable, decode_failure, segment};
use crate::http::{lenient, HttpClient, HttpError, HttpResponse, RetryPolicy, TransportKind};

const BOOTSTRAP_PATH: &str = "/v1/bootstrap";
const CLUSTER_PATH: &str = "/v1/cluster";
const NODES_PATH: &str = "/v1/nodes";

// ---------------------------------------------------------------------------------------------
// Request bodies

/// Cluster admin credentials. Debug never shows the password.
#[derive(Clone, PartialEq, Eq, Serialize)]
pub struct Credentials {
    pub username: String,
    pub password: String,
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("username", &self.username)
            .field("password", &"<redacted>")
            .finish()
    }
}

/// The bootstrap actions this provider performs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    CreateCluster,
    JoinCluster,
}

impl Action {
    pub fn parse(text: &str) -> Option<Action> {
        match text {
            "create_cluster" => Some(Action::CreateCluster),
            "join_cluster" => Some(Action::JoinCluster),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Action::CreateCluster => "create_cluster",
            Action::JoinCluster => "join_cluster",
        }
    }
}

/// The bootstrap object of `POST /v1/bootstrap/{action}`. Absent settings are left out of the
/// JSON so the node applies its own defaults. Debug never shows the password or the license.
#[derive(Clone, PartialEq, Serialize)]
pub struct BootstrapRequest {
    pub action: String,
    pub cluster: ClusterIdentity,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub node: Option<NodeSpec>,
    pub credentials: Credentials,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub license: Option<String>,
}

impl fmt::Debug for BootstrapRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BootstrapRequest")
            .field("action", &self.action)
            .field("cluster", &self.cluster)
            .field("node", &self.node)
            .field("credentials", &self.credentials)
            .field("license", &self.license.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

/// `cluster`: the name of the cluster to create, or the addresses of members to join through.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct ClusterIdentity {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub nodes: Vec<String>,
}

/// `node`: storage paths, flash driver and network identity of the node being bootstrapped.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct NodeSpec {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub paths: Option<NodePaths>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bigstore_driver: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub identity: Option<NodeIdentity>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct NodePaths {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub persistent_path: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ephemeral_path: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bigstore_path: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct NodeIdentity {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub addr: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub external_addr: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rack_id: Option<String>,
}

// ---------------------------------------------------------------------------------------------
// Responses: tolerant on purpose. Every field is optional, unknown fields are ignored, and uids
// are accepted as numbers or strings (the docs show numbers, real servers send strings).

/// `GET /v1/bootstrap`.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
pub struct BootstrapInfo {
    #[serde(default, deserialize_with = "lenient::opt_lenient")]
    pub bootstrap_status: Option<BootstrapStatus>,
    #[serde(default, deserialize_with = "lenient::opt_lenient")]
    pub local_node_info: Option<LocalNodeInfo>,
}

impl BootstrapInfo {
    /// `idle`, `initiated`, `creating_cluster`, `recovering_cluster`, `joining_cluster`,
    /// `error` or `completed`.
    pub fn state(&self) -> Option<&str> {
        self.bootstrap_status
            .as_ref()
            .and_then(|s| s.state.as_deref())
    }

    /// The node's uid once it belongs to a cluster.
    pub fn uid(&self) -> Option<&str> {
        self.local_node_info
            .as_ref()
            .and_then(|n| n.uid.as_deref())
            .filter(|uid| !uid.trim().is_empty())
    }
}

#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
pub struct BootstrapStatus {
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub state: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub start_time: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub end_time: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub error_code: Option<String>,
    /// "An error-specific object"; usually `{"message": …}`, a bare string accepted too.
    #[serde(default)]
    pub error_details: Value,
}

impl BootstrapStatus {
    /// The human part of a failed bootstrap: `error_details.message`, or whatever the details
    /// hold.
    pub fn error_message(&self) -> Option<String> {
        match &self.error_details {
            Value::Null => None,
            Value::String(s) => Some(s.clone()),
            Value::Object(o) => match o.get("message") {
                Some(Value::String(s)) => Some(s.clone()),
                _ if o.is_empty() => None,
                _ => Some(self.error_details.to_string()),
            },
            other => Some(other.to_string()),
        }
        .filter(|m| !m.trim().is_empty())
    }
}

/// `local_node_info`: a subset of the node object.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
pub struct LocalNodeInfo {
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub uid: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub software_version: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_u64")]
    pub cores: Option<u64>,
    /// Bytes.
    #[serde(default, deserialize_with = "lenient::opt_u64")]
    pub total_memory: Option<u64>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub persistent_storage_path: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub ephemeral_storage_path: Option<String>,
    #[serde(default, deserialize_with = "addresses")]
    pub available_addrs: Addresses,
    /// The name newer versions use for `available_addrs`.
    #[serde(default, deserialize_with = "addresses")]
    pub available_addresses: Addresses,
}

impl LocalNodeInfo {
    /// Both spellings of the address list, merged (see [`super::addresses`]).
    pub fn all_addresses(&self) -> Addresses {
        self.available_addrs.merged(&self.available_addresses)
    }

    /// The readable addresses, in the node's order.
    pub fn addresses(&self) -> impl Iterator<Item = &str> {
        self.available_addrs
            .entries
            .iter()
            .chain(self.available_addresses.entries.iter())
            .map(|a| a.address.as_str())
    }
}

/// A node object (`GET /v1/nodes`, `GET /v1/nodes/{uid}`).
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
pub struct NodeInfo {
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub uid: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub addr: Option<String>,
    /// active, decommissioning, down, provisioning.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub status: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub software_version: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub rack_id: Option<String>,
    #[serde(default, deserialize_with = "lenient::vec_or_empty")]
    pub external_addr: Vec<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub persistent_storage_path: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub ephemeral_storage_path: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub bigstore_driver: Option<String>,
}

/// `GET /v1/cluster` (only what the provider needs).
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
pub struct ClusterInfo {
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub created_time: Option<String>,
}

/// `GET /v1/nodes/{uid}/actions/remove` while the action exists.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
pub struct ActionStatus {
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub status: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub progress: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub error: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub message: Option<String>,
}

impl ActionStatus {
    /// Whether the action ended without doing its job.
    pub fn failed(&self) -> bool {
        matches!(
            self.status
                .as_deref()
                .map(str::to_ascii_lowercase)
                .as_deref(),
            Some("failed" | "error" | "aborted" | "cancelled")
        )
    }
}

// ---------------------------------------------------------------------------------------------
// Errors

/// A failed API call, worded for a Terraform diagnostic. Never carries the password, the
/// license or an `Authorization` header.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// Transport or configuration trouble from the HTTP room (connect, TLS, timeout).
    #[error("{0}")]
    Http(HttpError),

    /// The operation was cancelled (Terraform stop or the operation's timeout).
    #[error("request cancelled")]
    Cancelled,

    /// 401/403: the node wants other credentials.
    #[error("the node rejected the credentials (HTTP {status}): check username and password")]
    Unauthorized { status: u16 },

    /// 404 where the caller did not expect it.
    #[error("not found (HTTP 404): {0}")]
    NotFound(String),

    /// 409: another operation is running.
    #[error("conflict (HTTP 409): {0}")]
    Conflict(String),

    /// 503 "not a member of the cluster": the node belongs to no (or no longer to a) cluster.
    #[error("the node is not a member of a cluster (HTTP 503): {0}")]
    NotMember(String),

    /// Any other 4xx: the request was refused as sent.
    #[error("the node refused the request (HTTP {status}{}): {message}", code.as_deref().map(|c| format!(", {c}")).unwrap_or_default())]
    Rejected {
        status: u16,
        code: Option<String>,
        message: String,
    },

    /// 5xx after the HTTP client's retries.
    #[error("server error (HTTP {status}): {message}")]
    Server { status: u16, message: String },

    /// A success response that could not be understood.
    #[error("unexpected response: {0}")]
    Decode(String),
}

impl From<HttpError> for ApiError {
    fn from(err: HttpError) -> Self {
        match err {
            HttpError::Cancelled => ApiError::Cancelled,
            other => ApiError::Http(other),
        }
    }
}

impl ApiError {
    pub fn is_cancelled(&self) -> bool {
        matches!(self, ApiError::Cancelled)
    }

    /// The node answered without acting on the request, and the same request may be sent again:
    /// a 503 other than "not a member of the cluster" (a node answers so while its services
    /// start), a 429, or a refused connection (the request never reached the node).
    pub fn node_not_ready(&self) -> bool {
        match self {
            ApiError::Server { status, .. } => *status == 503,
            ApiError::Rejected { status, .. } => *status == 429,
            ApiError::Http(HttpError::Transport { kind, .. }) => *kind == TransportKind::Connect,
            _ => false,
        }
    }

    /// No usable answer although the request may have reached the node and been acted on:
    /// another 5xx (501 and 505 say the request can never work, so not those), a timeout, or a
    /// connection closed before the answer came. What happened is for the node's state to tell.
    pub fn outcome_unknown(&self) -> bool {
        match self {
            ApiError::Server { status, .. } => !matches!(status, 501 | 503 | 505),
            ApiError::Http(HttpError::Transport { kind, .. }) => {
                matches!(kind, TransportKind::Timeout | TransportKind::Other)
            }
            _ => false,
        }
    }

    /// Worth asking again later (for a request that is harmless to repeat, such as a GET): the
    /// above, or a success body that could not be read (cut off on the way, say).
    pub fn is_transient(&self) -> bool {
        self.node_not_ready() || self.outcome_unknown() || matches!(self, ApiError::Decode(_))
    }

    /// The node's TLS certificate is not trusted: a configuration problem with a known fix.
    pub fn is_certificate_error(&self) -> bool {
        matches!(
            self,
            ApiError::Http(HttpError::Transport {
                kind: TransportKind::Certificate,
                ..
            })
        )
    }
}

/// What `POST /v1/bootstrap/{action}` led to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StartOutcome {
    /// 200: the node started the bootstrap.
    Accepted,
    /// 409: a bootstrap is already running (or done) on the node; never post a second one.
    AlreadyRunning,
}

/// What `POST /v1/nodes/{uid}/actions/remove` led to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RemoveOutcome {
    /// 200: the action started.
    Started,
    /// 409: a remove action is already running for that node.
    AlreadyRunning,
    /// 404: the cluster has no such node.
    NodeGone,
}

// ---------------------------------------------------------------------------------------------
// The clients

/// The provider-wide client: one HTTP client (connection pool, TLS settings) and the provider's
/// credentials, used when a resource has none of its own (after import). Clone is cheap.
#[derive(Clone)]
pub struct RedisClient {
    http: HttpClient,
    provider_credentials: Option<Credentials>,
}

impl fmt::Debug for RedisClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisClient")
            .field("http", &self.http)
            .field("provider_credentials", &self.provider_credentials)
            .finish()
    }
}

impl RedisClient {
    pub fn new(http: HttpClient, provider_credentials: Option<Credentials>) -> Self {
        RedisClient {
            http,
            provider_credentials,
        }
    }

    pub fn provider_credentials(&self) -> Option<&Credentials> {
        self.provider_credentials.as_ref()
    }

    /// A client for the node whose API base URL is `endpoint` (path prefixes allowed).
    pub fn node(
        &self,
        endpoint: &str,
        credentials: Option<Credentials>,
    ) -> Result<NodeClient, ApiError> {
        let http = self.http.with_base_url(endpoint)?;
        Ok(NodeClient { http, credentials })
    }
}

/// One node's API. Debug never shows the password.
pub struct NodeClient {
    http: HttpClient,
    /// Sent as Basic auth with every request.
    credentials: Option<Credentials>,
}

impl fmt::Debug for NodeClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NodeClient")
            .field("http", &self.http)
            .field("credentials", &self.credentials)
            .finish()
    }
}

impl NodeClient {
    pub fn endpoint(&self) -> &str {
        self.http.base_url()
    }

    pub fn credentials(&self) -> Option<&Credentials> {
        self.credentials.as_ref()
    }

    /// `GET /v1/bootstrap`.
    pub async fn bootstrap_status(
        &self,
        cancel: &CancellationToken,
    ) -> Result<BootstrapInfo, ApiError> {
        let response = self.get(BOOTSTRAP_PATH, cancel).await?;
        if !response.is_success() {
            return Err(self.status_error(&response));
        }
        response
            .json()
            .map_err(|e| decode_error("bootstrap status", &e))
    }

    /// `POST /v1/bootstrap/{action}`. The HTTP layer repeats it only where the node surely did
    /// not act (429, refused connection); what a 503 or a lost answer means is for the caller to
    /// find out from the node's state (see [`ApiError::node_not_ready`] and
    /// [`ApiError::outcome_unknown`]). A 409 means a bootstrap already runs (or ran), which the
    /// caller waits for.
    pub async fn start_bootstrap(
        &self,
        request: &BootstrapRequest,
        cancel: &CancellationToken,
    ) -> Result<StartOutcome, ApiError> {
        let path = format!("{BOOTSTRAP_PATH}/{}", segment(&request.action));
        let builder = self.http.post(&path).json(request);
        let response = self
            .send(builder, RetryPolicy::NotIdempotent, cancel)
            .await?;
        match response.status {
            StatusCode::CONFLICT => Ok(StartOutcome::AlreadyRunning),
            status if status.is_success() => Ok(StartOutcome::Accepted),
            _ => Err(self.status_error(&response)),
        }
    }

    /// `GET /v1/cluster`.
    pub async fn cluster(&self, cancel: &CancellationToken) -> Result<ClusterInfo, ApiError> {
        let response = self.get(CLUSTER_PATH, cancel).await?;
        if !response.is_success() {
            return Err(self.status_error(&response));
        }
        response.json().map_err(|e| decode_error("cluster", &e))
    }

    /// `GET /v1/nodes`.
    pub async fn nodes(&self, cancel: &CancellationToken) -> Result<Vec<NodeInfo>, ApiError> {
        let response = self.get(NODES_PATH, cancel).await?;
        if !response.is_success() {
            return Err(self.status_error(&response));
        }
        let all: Value = response.json().map_err(|e| decode_error("nodes", &e))?;
        match all {
            Value::Array(items) => Ok(items
                .into_iter()
                .filter_map(|item| serde_json::from_value(item).ok())
                .collect()),
            _ => Err(ApiError::Decode("the node list is not a JSON array".into())),
        }
    }

    /// `GET /v1/nodes/{uid}`: `Ok(None)` when the cluster has no such node (404).
    pub async fn node(
        &self,
        uid: &str,
        cancel: &CancellationToken,
    ) -> Result<Option<NodeInfo>, ApiError> {
        if !addressable(uid) {
            return Ok(None);
        }
        let response = self
            .get(&format!("{NODES_PATH}/{}", segment(uid.trim())), cancel)
            .await?;
        match response.status {
            StatusCode::NOT_FOUND => Ok(None),
            status if status.is_success() => response
                .json()
                .map(Some)
                .map_err(|e| decode_error("node", &e)),
            _ => Err(self.status_error(&response)),
        }
    }

    /// `POST /v1/nodes/{uid}/actions/remove`. Retrying is harmless: a repeat that arrives
    /// after the first one started gets 409, which the caller treats as "running".
    pub async fn remove_node(
        &self,
        uid: &str,
        cancel: &CancellationToken,
    ) -> Result<RemoveOutcome, ApiError> {
        if !addressable(uid) {
            return Ok(RemoveOutcome::NodeGone);
        }
        let path = format!("{NODES_PATH}/{}/actions/remove", segment(uid.trim()));
        let response = self
            .send(self.http.post(&path), RetryPolicy::Idempotent, cancel)
            .await?;
        match response.status {
            StatusCode::NOT_FOUND => Ok(RemoveOutcome::NodeGone),
            StatusCode::CONFLICT => Ok(RemoveOutcome::AlreadyRunning),
            status if status.is_success() => Ok(RemoveOutcome::Started),
            _ => Err(self.status_error(&response)),
        }
    }

    /// `GET /v1/nodes/{uid}/actions/remove`: `Ok(None)` once no such action exists (done).
    pub async fn remove_status(
        &self,
        uid: &str,
        cancel: &CancellationToken,
    ) -> Result<Option<ActionStatus>, ApiError> {
        if !addressable(uid) {
            return Ok(None);
        }
        let path = format!("{NODES_PATH}/{}/actions/remove", segment(uid.trim()));
        let response = self.get(&path, cancel).await?;
        match response.status {
            StatusCode::NOT_FOUND => Ok(None),
            status if status.is_success() => Ok(Some(response.json().unwrap_or_default())),
            _ => Err(self.status_error(&response)),
        }
    }

    async fn get(&self, path: &str, cancel: &CancellationToken) -> Result<HttpResponse, ApiError> {
        self.send(self.http.get(path), RetryPolicy::Idempotent, cancel)
            .await
    }

    /// Sends with Basic auth whenever the client has credentials.
    async fn send(
        &self,
        builder: reqwest::RequestBuilder,
        policy: RetryPolicy,
        cancel: &CancellationToken,
    ) -> Result<HttpResponse, ApiError> {
        let mut builder = builder.header(reqwest::header::ACCEPT, "application/json");
        if let Some(c) = &self.credentials {
            builder = builder.basic_auth(&c.username, Some(&c.password));
        }
        Ok(self.http.send(builder, policy, cancel).await?)
    }

    /// Maps a non-success response to an error carrying the node's own words.
    pub(crate) fn status_error(&self, response: &HttpResponse) -> ApiError {
        let status = response.status;
        let message = response.error_message().unwrap_or_else(|| {
            status
                .canonical_reason()
                .unwrap_or("no details")
                .to_string()
        });
        // Belt and braces: a node that echoes the request must not put a secret in a diagnostic.
        let message = match &self.credentials {
            Some(c) if c.password.len() >= 4 => message.replace(&c.password, "<redacted>"),
            _ => message,
        };
        let code = response.json::<Value>().ok().and_then(|v| {
            v.get("error_code")
                .and_then(Value::as_str)
                .map(str::to_owned)
        });
        match status.as_u16() {
            401 | 403 => ApiError::Unauthorized {
                status: status.as_u16(),
            },
            404 => ApiError::NotFound(message),
            409 => ApiError::Conflict(message),
            503 if message.to_ascii_lowercase().contains("not a member")
                || code.as_deref() == Some("not_member") =>
            {
                ApiError::NotMember(message)
            }
            s @ 400..=499 => ApiError::Rejected {
                status: s,
                code,
                message,
            },
            s => ApiError::Server { status: s, message },
        }
    }
}

fn decode_error(what: &str, err: &serde_json::Error) -> ApiError {
    ApiError::Decode(decode_failure(what, err))
}

#[cfg(test)]
mod tests;
