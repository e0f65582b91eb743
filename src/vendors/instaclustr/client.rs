//! Typed client for the Instaclustr provisioning API v1.
//!
//! Paths, auth, bodies and status mapping only: retries, rate spacing, timeouts, TLS and
//! cancellation come from the shared [`HttpClient`]. The API allows one request per 2.5 s per
//! IP; the provider sets `request_interval` on the shared client accordingly.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use reqwest::StatusCode;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value};
use tokio_util::sync::CancellationToken;

use super::waits::{self, StatusBoards};
use crate::framework::reconcile::CreateFailure;
use crate::framework::shared_status::Priority;
use crate::http::path::{addressable, decode_failure, segment};
use crate::http::{lenient, HttpClient, HttpError, HttpResponse, RetryPolicy, TransportKind};

const CREATE_PATH: &str = "/provisioning/v1/extended/";
const CLUSTER_PATH: &str = "/provisioning/v1/";
const LIST_PATH: &str = "/provisioning/v1";

// ---------------------------------------------------------------------------------------------
// Request bodies

/// Body of `POST /provisioning/v1/extended/`. `None` fields are left out of the JSON so the
/// API applies its own defaults.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateCluster {
    pub cluster_name: String,
    pub bundles: Vec<Bundle>,
    pub provider: ProviderSpec,
    pub sla_tier: String,
    pub node_size: String,
    pub data_centre: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data_centre_custom_name: Option<String>,
    pub cluster_network: String,
    pub private_network_cluster: bool,
    pub pci_compliant_cluster: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rack_allocation: Option<RackAllocation>,
}

/// One bundle (the primary application, or an add-on such as Spark or Kafka Connect).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Bundle {
    pub bundle: String,
    pub version: String,
    /// Keys and value types as the API has them (`authnAuthz: true`, `numberPartitions: 3`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub options: Option<Map<String, Value>>,
}

/// The cloud provider block of a create request.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ProviderSpec {
    /// `AWS_VPC`, `AZURE_AZ`, `GCP`, …
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub custom_virtual_network_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tags: Option<BTreeMap<String, String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource_group: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub disk_encryption_key: Option<String>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RackAllocation {
    pub number_of_racks: u32,
    pub nodes_per_rack: u32,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ResizeRequest<'a> {
    new_node_size: &'a str,
    concurrent_resizes: u32,
    /// A string in the API's own examples and in public clients.
    notify_support_contacts: &'a str,
    /// Which nodes: `CASSANDRA`, `OPENSEARCH_MASTER`, … or none for every node.
    #[serde(skip_serializing_if = "Option::is_none")]
    node_purpose: Option<&'a str>,
}

// ---------------------------------------------------------------------------------------------
// Responses: tolerant on purpose. Every field is optional, unknown fields are ignored, and
// numbers/booleans are accepted as JSON values or strings, because public clients show both.

/// `GET /provisioning/v1/{id}`.
#[derive(Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ClusterDetail {
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub id: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub cluster_name: Option<String>,
    /// GENESIS, PROVISIONING, PROVISIONED, JOINING, RUNNING, DELETING, DELETED, DEFERRED, FAILED…
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub cluster_status: Option<String>,
    /// The (first) cluster data centre's id, needed for resize.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub cdc_id: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub sla_tier: Option<String>,
    /// Sensitive: the generated default user password. Never in Debug output.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub instaclustr_user_password: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub pci_compliance: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub bundle_type: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub bundle_version: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub cluster_certificate_download: Option<String>,
    #[serde(default, deserialize_with = "lenient::vec_or_empty")]
    pub data_centres: Vec<DataCentre>,
    /// The primary bundle's options, under the API's keys (the official client reads these).
    #[serde(default, deserialize_with = "lenient::opt_object")]
    pub bundle_options: Option<Map<String, Value>>,
    /// The bundles after the primary one.
    #[serde(default, deserialize_with = "lenient::vec_or_empty")]
    pub addon_bundles: Vec<BundleDetail>,
    /// The provider as the official client reads it: a one-element array.
    #[serde(default, deserialize_with = "lenient::vec_or_empty")]
    pub cluster_provider: Vec<ProviderDetail>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub data_centre_custom_name: Option<String>,

    // Echoes of the create request, present in some API versions only.
    #[serde(default, deserialize_with = "lenient::opt_lenient")]
    pub bundles: Option<Vec<BundleDetail>>,
    #[serde(default, deserialize_with = "provider_detail")]
    pub provider: Option<ProviderDetail>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub node_size: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub data_centre: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub cluster_network: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_bool")]
    pub private_network_cluster: Option<bool>,
    #[serde(default, deserialize_with = "lenient::opt_bool")]
    pub pci_compliant_cluster: Option<bool>,
    #[serde(default, deserialize_with = "lenient::opt_lenient")]
    pub rack_allocation: Option<RackAllocationDetail>,
}

impl ClusterDetail {
    /// The data centre id to resize: `cdcId`, else the first data centre's id.
    pub fn data_centre_id(&self) -> Option<&str> {
        self.cdc_id
            .as_deref()
            .or_else(|| self.data_centres.first().and_then(|dc| dc.id.as_deref()))
    }

    /// Every node of every data centre, in API order.
    pub fn nodes(&self) -> impl Iterator<Item = &Node> {
        self.data_centres.iter().flat_map(|dc| dc.nodes.iter())
    }
}

/// Written by hand so the generated password cannot reach a log line through `{:?}`.
impl fmt::Debug for ClusterDetail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClusterDetail")
            .field("id", &self.id)
            .field("cluster_name", &self.cluster_name)
            .field("cluster_status", &self.cluster_status)
            .field("cdc_id", &self.cdc_id)
            .field("sla_tier", &self.sla_tier)
            .field(
                "instaclustr_user_password",
                &self
                    .instaclustr_user_password
                    .as_ref()
                    .map(|_| "<redacted>"),
            )
            .field("pci_compliance", &self.pci_compliance)
            .field("bundle_type", &self.bundle_type)
            .field("bundle_version", &self.bundle_version)
            .field(
                "cluster_certificate_download",
                &self.cluster_certificate_download,
            )
            .field("data_centres", &self.data_centres)
            .field(
                "bundle_options",
                &self
                    .bundle_options
                    .as_ref()
                    .map(|o| o.keys().collect::<Vec<_>>()),
            )
            .field("addon_bundles", &self.addon_bundles.len())
            .field("cluster_provider", &self.cluster_provider)
            .field("data_centre_custom_name", &self.data_centre_custom_name)
            .field("bundles", &self.bundles.as_ref().map(Vec::len))
            .field("provider", &self.provider)
            .field("node_size", &self.node_size)
            .field("data_centre", &self.data_centre)
            .field("cluster_network", &self.cluster_network)
            .field("private_network_cluster", &self.private_network_cluster)
            .field("pci_compliant_cluster", &self.pci_compliant_cluster)
            .field("rack_allocation", &self.rack_allocation)
            .finish()
    }
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DataCentre {
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub id: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub name: Option<String>,
    /// A bare name here (`AWS_VPC`); an object with `name` is accepted too.
    #[serde(default, deserialize_with = "lenient::opt_name")]
    pub provider: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub cdc_network: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_u32")]
    pub node_count: Option<u32>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub cdc_status: Option<String>,
    #[serde(default, deserialize_with = "lenient::vec_or_empty")]
    pub nodes: Vec<Node>,
    /// The data centre's custom name.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub cdc_name: Option<String>,
    #[serde(
        default,
        rename = "privateIPOnly",
        deserialize_with = "lenient::opt_bool"
    )]
    pub private_ip_only: Option<bool>,
    /// Set while a resize is in progress.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub resize_target_node_size: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Node {
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub id: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub size: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub rack: Option<String>,
    /// An array of addresses in the API (public Go client); one string accepted too.
    #[serde(default, deserialize_with = "lenient::opt_string_or_first")]
    pub public_address: Option<String>,
    /// An array of addresses in the API (public Go client); one string accepted too.
    #[serde(default, deserialize_with = "lenient::opt_string_or_first")]
    pub private_address: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub node_status: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BundleDetail {
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub bundle: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub version: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_object")]
    pub options: Option<Map<String, Value>>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProviderDetail {
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub account_name: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub custom_virtual_network_id: Option<String>,
    #[serde(default, deserialize_with = "string_map")]
    pub tags: Option<BTreeMap<String, String>>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub resource_group: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub disk_encryption_key: Option<String>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RackAllocationDetail {
    #[serde(default, deserialize_with = "lenient::opt_u32")]
    pub number_of_racks: Option<u32>,
    #[serde(default, deserialize_with = "lenient::opt_u32")]
    pub nodes_per_rack: Option<u32>,
}

/// `provider` echoed either as a bare name or as the create request's object.
fn provider_detail<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<ProviderDetail>, D::Error> {
    Ok(match Value::deserialize(deserializer)? {
        Value::String(name) => Some(ProviderDetail {
            name: Some(name),
            ..ProviderDetail::default()
        }),
        object @ Value::Object(_) => serde_json::from_value(object).ok(),
        _ => None,
    })
}

/// A map of strings; non-string values are rendered as text, a non-object becomes `None`.
fn string_map<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<BTreeMap<String, String>>, D::Error> {
    Ok(match Value::deserialize(deserializer)? {
        Value::Object(map) => Some(
            map.into_iter()
                .filter_map(|(key, value)| match value {
                    Value::String(text) => Some((key, text)),
                    Value::Null => None,
                    other => Some((key, other.to_string())),
                })
                .collect(),
        ),
        _ => None,
    })
}

/// One entry of `GET /provisioning/v1`, the account's cluster list.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ClusterSummary {
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub id: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_u32")]
    pub node_count: Option<u32>,
    #[serde(default, deserialize_with = "lenient::opt_u32")]
    pub running_node_count: Option<u32>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub derived_status: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub sla_tier: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub pci_compliance: Option<String>,
}

#[derive(Deserialize)]
pub(crate) struct CreatedResponse {
    #[serde(default, deserialize_with = "lenient::opt_string")]
    id: Option<String>,
}

// ---------------------------------------------------------------------------------------------
// Errors

/// What a call can fail with. Messages never contain the username or the API key.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 401/403.
    #[error(
        "Instaclustr refused the credentials (HTTP {status}): check username and api_key \
         (a read-only API key can only read clusters)"
    )]
    Unauthorized { status: u16 },

    /// 404 where the resource had to exist (resize).
    #[error("Instaclustr: cluster not found (HTTP 404)")]
    NotFound,

    /// 409, e.g. deleting a cluster whose dependencies still exist; worth retrying later.
    #[error("Instaclustr: conflict (HTTP 409): {0}")]
    Conflict(String),

    /// Any other 4xx: the request was wrong; the message is the API's own.
    #[error("Instaclustr rejected the request (HTTP {status}): {message}")]
    Validation { status: u16, message: String },

    /// 5xx (after retries for idempotent calls), a 429 that outlasted the retries, or an
    /// unexpected status.
    #[error("Instaclustr API error (HTTP {status}): {message}")]
    Server { status: u16, message: String },

    /// Transport or configuration failure of the HTTP layer.
    #[error(transparent)]
    Http(HttpError),

    #[error("request cancelled")]
    Cancelled,

    /// A success response that could not be understood.
    #[error("Instaclustr: unexpected response: {0}")]
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
}

/// A create whose answer is a 5xx, a timeout, a connection lost after sending, or a success
/// without a usable id may have made the cluster. A 429 or a refused connection did not (the
/// HTTP client retries those), nor did a 4xx.
impl CreateFailure for ApiError {
    fn may_have_acted(&self) -> bool {
        match self {
            ApiError::Server { status, .. } => *status >= 500,
            ApiError::Http(HttpError::Transport { kind, .. }) => {
                matches!(kind, TransportKind::Timeout | TransportKind::Other)
            }
            ApiError::Decode(_) => true,
            _ => false,
        }
    }
}

/// Result of a delete request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeleteOutcome {
    /// The API accepted the deletion; the cluster goes through DELETING to DELETED.
    Accepted,
    /// The cluster did not exist (404): nothing to do.
    AlreadyGone,
}

// ---------------------------------------------------------------------------------------------
// The client

/// Clone is cheap (the HTTP client is shared). Debug never shows the API key.
#[derive(Clone)]
pub struct InstaclustrClient {
    http: HttpClient,
    username: String,
    api_key: String,
    /// Where the concurrent waits of this account meet (shared by clones).
    boards: Arc<StatusBoards>,
}

impl fmt::Debug for InstaclustrClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("InstaclustrClient")
            .field("http", &self.http)
            .field("username", &self.username)
            .field("api_key", &"<redacted>")
            .finish()
    }
}

impl InstaclustrClient {
    pub fn new(http: HttpClient, username: String, api_key: String) -> Self {
        InstaclustrClient {
            http,
            username,
            api_key,
            boards: Arc::new(waits::boards(Duration::ZERO)),
        }
    }

    /// Tells the waits the API's request interval, the pause between shared listings. The
    /// interval's slots are shared by every process of the host, and so is what the waits learn
    /// of the typical provisioning time.
    pub fn with_request_interval(mut self, interval: Duration) -> Self {
        let http = self.http.clone();
        self.boards = Arc::new(
            waits::boards(interval)
                .sharing_typical(move |kind| http.host_note(&format!("typical-{kind}"))),
        );
        self
    }

    pub fn http(&self) -> &HttpClient {
        &self.http
    }

    pub(crate) fn boards(&self) -> &StatusBoards {
        &self.boards
    }

    /// The same client for status polls (background: they yield to creates, deletes and final
    /// reads), or for the reads that likely end a wait (foreground).
    pub(crate) fn at(&self, priority: Priority) -> InstaclustrClient {
        let http = match priority {
            Priority::Background => self.http.background(),
            Priority::Foreground => self.http.clone(),
        };
        InstaclustrClient {
            http,
            ..self.clone()
        }
    }

    /// Which account this client works on (API host and username), to tell creates in
    /// different accounts apart.
    pub fn account(&self) -> String {
        format!("{} {}", self.http.base_url(), self.username)
    }

    /// `POST /provisioning/v1/extended/` → the new cluster's id. Not retried on 5xx or
    /// timeouts (it could create twice); retried on 429 and connection failures. Such an
    /// unclear outcome is [`CreateFailure::may_have_acted`]: the resource reconciles it against
    /// [`Self::list_clusters`].
    pub async fn create_cluster(
        &self,
        body: &CreateCluster,
        cancel: &CancellationToken,
    ) -> Result<String, ApiError> {
        let request = self.http.post(CREATE_PATH).json(body);
        let response = self
            .send(request, RetryPolicy::NotIdempotent, cancel)
            .await?;
        if !response.status.is_success() {
            return Err(self.status_error(&response));
        }
        let created: CreatedResponse = response
            .json()
            .map_err(|err| decode_error("create", &err))?;
        match created.id {
            Some(id) if !id.trim().is_empty() => Ok(id),
            _ => Err(ApiError::Decode(format!(
                "create answered HTTP {} without a cluster id",
                response.status.as_u16()
            ))),
        }
    }

    /// `GET /provisioning/v1/{id}`: `Ok(None)` when the cluster does not exist (404).
    pub async fn get_cluster(
        &self,
        id: &str,
        cancel: &CancellationToken,
    ) -> Result<Option<ClusterDetail>, ApiError> {
        if !addressable(id) {
            return Ok(None);
        }
        let request = self
            .http
            .get(&format!("{CLUSTER_PATH}{}", segment(id.trim())));
        let response = self.send(request, RetryPolicy::Idempotent, cancel).await?;
        match response.status {
            StatusCode::NOT_FOUND => Ok(None),
            // Public clients check for 202 here; 200 is what a REST reader would expect.
            status if status.is_success() => response
                .json()
                .map(Some)
                .map_err(|err| decode_error("cluster", &err)),
            _ => Err(self.status_error(&response)),
        }
    }

    /// `GET /provisioning/v1`: every cluster of the account; the API answers 404 when there
    /// are none.
    pub async fn list_clusters(
        &self,
        cancel: &CancellationToken,
    ) -> Result<Vec<ClusterSummary>, ApiError> {
        let request = self.http.get(LIST_PATH);
        let response = self.send(request, RetryPolicy::Idempotent, cancel).await?;
        match response.status {
            StatusCode::NOT_FOUND => Ok(Vec::new()),
            status if status.is_success() => response
                .json()
                .map_err(|err| decode_error("cluster list", &err)),
            _ => Err(self.status_error(&response)),
        }
    }

    /// `POST /provisioning/v1/{id}/{cdcId}/resize`. Treated as not idempotent: a repeated
    /// resize after an unseen success would be rejected or start a second operation.
    pub async fn resize(
        &self,
        id: &str,
        cdc_id: &str,
        new_node_size: &str,
        node_purpose: Option<&str>,
        cancel: &CancellationToken,
    ) -> Result<(), ApiError> {
        if !addressable(id) || !addressable(cdc_id) {
            return Err(ApiError::NotFound);
        }
        let body = ResizeRequest {
            new_node_size,
            concurrent_resizes: 1,
            notify_support_contacts: "false",
            node_purpose,
        };
        let path = format!(
            "{CLUSTER_PATH}{}/{}/resize",
            segment(id.trim()),
            segment(cdc_id.trim())
        );
        let response = self
            .send(
                self.http.post(&path).json(&body),
                RetryPolicy::NotIdempotent,
                cancel,
            )
            .await?;
        if response.status.is_success() {
            Ok(())
        } else {
            Err(self.status_error(&response))
        }
    }

    /// `DELETE /provisioning/v1/{id}`: 202 → Accepted, 404 → AlreadyGone, 409 → Conflict.
    pub async fn delete_cluster(
        &self,
        id: &str,
        cancel: &CancellationToken,
    ) -> Result<DeleteOutcome, ApiError> {
        if !addressable(id) {
            return Ok(DeleteOutcome::AlreadyGone);
        }
        let request = self
            .http
            .delete(&format!("{CLUSTER_PATH}{}", segment(id.trim())));
        let response = self.send(request, RetryPolicy::Idempotent, cancel).await?;
        match response.status {
            StatusCode::NOT_FOUND => Ok(DeleteOutcome::AlreadyGone),
            status if status.is_success() => Ok(DeleteOutcome::Accepted),
            _ => Err(self.status_error(&response)),
        }
    }

    async fn send(
        &self,
        request: reqwest::RequestBuilder,
        policy: RetryPolicy,
        cancel: &CancellationToken,
    ) -> Result<HttpResponse, ApiError> {
        let request = request
            .basic_auth(&self.username, Some(&self.api_key))
            .header(reqwest::header::ACCEPT, "application/json");
        Ok(self.http.send(request, policy, cancel).await?)
    }

    /// Maps a non-success response to an error carrying the API's own message.
    pub(crate) fn status_error(&self, response: &HttpResponse) -> ApiError {
        let status = response.status;
        let message = response.error_message().unwrap_or_else(|| {
            status
                .canonical_reason()
                .unwrap_or("no details")
                .to_string()
        });
        // Belt and braces: an API that echoes the request must not put the key in a diagnostic.
        let message = if self.api_key.len() >= 4 {
            message.replace(&self.api_key, "<redacted>")
        } else {
            message
        };
        match status.as_u16() {
            401 | 403 => ApiError::Unauthorized {
                status: status.as_u16(),
            },
            404 => ApiError::NotFound,
            409 => ApiError::Conflict(message),
            429 => ApiError::Server {
                status: 429,
                message: format!("rate limited: {message}"),
            },
            code @ 400..=499 => ApiError::Validation {
                status: code,
                message,
            },
            code => ApiError::Server {
                status: code,
                message,
            },
        }
    }
}

fn decode_error(what: &str, err: &serde_json::Error) -> ApiError {
    ApiError::Decode(decode_failure(what, err))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::testing::{Reply, TestServer};
    use crate::http::HttpSettings;
    use base64::Engine as _;
    use std::time::Duration;

    const KEY: &str = "k3y-Secret-123";

    async fn setup(replies: Vec<Reply>) -> (TestServer, InstaclustrClient) {
        let server = TestServer::script(replies).await;
        let http = HttpClient::new(HttpSettings {
            base_url: format!("{}/instaclustr/", server.base),
            retry_base: Duration::from_millis(5),
            retry_cap: Duration::from_millis(20),
            ..HttpSettings::default()
        })
        .unwrap();
        (
            server,
            InstaclustrClient::new(http, "alice".into(), KEY.into()),
        )
    }

    fn sample_create() -> CreateCluster {
        let mut options = Map::new();
        options.insert("authnAuthz".into(), Value::Bool(true));
        CreateCluster {
            cluster_name: "my_cluster".into(),
            bundles: vec![
                Bundle {
                    bundle: "APACHE_CASSANDRA".into(),
                    version: "4.1.3".into(),
                    options: Some(options),
                },
                Bundle {
                    bundle: "SPARK".into(),
                    version: "3.0.1".into(),
                    options: None,
                },
            ],
            provider: ProviderSpec {
                name: "AWS_VPC".into(),
                tags: Some(BTreeMap::from([("team".to_string(), "data".to_string())])),
                ..ProviderSpec::default()
            },
            sla_tier: "NON_PRODUCTION".into(),
            node_size: "t3.small".into(),
            data_centre: "US_WEST_2".into(),
            data_centre_custom_name: None,
            cluster_network: "10.224.0.0/12".into(),
            private_network_cluster: false,
            pci_compliant_cluster: true,
            rack_allocation: Some(RackAllocation {
                number_of_racks: 3,
                nodes_per_rack: 1,
            }),
        }
    }

    #[tokio::test]
    async fn create_sends_the_documented_body_with_basic_auth() {
        let (server, client) = setup(vec![Reply::json(202, r#"{"id":"4a3c-uuid"}"#)]).await;
        let id = client
            .create_cluster(&sample_create(), &CancellationToken::new())
            .await
            .unwrap();
        assert_eq!(id, "4a3c-uuid");

        let request = &server.requests()[0];
        assert_eq!(request.method, "POST");
        assert_eq!(request.path, "/instaclustr/provisioning/v1/extended/");
        let expected_auth = format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(format!("alice:{KEY}"))
        );
        assert_eq!(
            request.header("authorization"),
            Some(expected_auth.as_str())
        );
        assert_eq!(request.header("content-type"), Some("application/json"));
        assert_eq!(
            request.json(),
            serde_json::json!({
                "clusterName": "my_cluster",
                "bundles": [
                    {"bundle": "APACHE_CASSANDRA", "version": "4.1.3", "options": {"authnAuthz": true}},
                    {"bundle": "SPARK", "version": "3.0.1"}
                ],
                "provider": {"name": "AWS_VPC", "tags": {"team": "data"}},
                "slaTier": "NON_PRODUCTION",
                "nodeSize": "t3.small",
                "dataCentre": "US_WEST_2",
                "clusterNetwork": "10.224.0.0/12",
                "privateNetworkCluster": false,
                "pciCompliantCluster": true,
                "rackAllocation": {"numberOfRacks": 3, "nodesPerRack": 1}
            })
        );
    }

    #[tokio::test]
    async fn create_is_not_repeated_after_a_server_error() {
        let (server, client) = setup(vec![Reply::json(500, r#"{"errors":["internal"]}"#)]).await;
        let err = client
            .create_cluster(&sample_create(), &CancellationToken::new())
            .await
            .unwrap_err();
        assert!(
            matches!(&err, ApiError::Server { status: 500, message } if message == "internal"),
            "{err:?}"
        );
        assert_eq!(server.count(), 1);
    }

    #[tokio::test]
    async fn unclear_create_answers_may_have_acted_and_are_sent_once() {
        for reply in [
            Reply::json(503, r#"{"errors":["busy"]}"#),
            Reply::json(500, "{}"),
            Reply::hang_up(),
            Reply::json(202, r#"{"status":"ok"}"#),
            Reply::json(202, "not json"),
        ] {
            let (server, client) = setup(vec![reply.clone()]).await;
            let err = client
                .create_cluster(&sample_create(), &CancellationToken::new())
                .await
                .unwrap_err();
            assert!(err.may_have_acted(), "{reply:?}: {err:?}");
            assert_eq!(server.count(), 1, "{reply:?}");
        }
    }

    #[tokio::test]
    async fn clear_create_refusals_did_not_act() {
        for reply in [
            Reply::json(400, r#"{"errors":["Invalid nodeSize"]}"#),
            Reply::json(401, "{}"),
            Reply::json(409, "{}"),
            Reply::status(429).header("Retry-After", "0"),
        ] {
            let (_server, client) = setup(vec![reply.clone()]).await;
            let err = client
                .create_cluster(&sample_create(), &CancellationToken::new())
                .await
                .unwrap_err();
            assert!(!err.may_have_acted(), "{reply:?}: {err:?}");
        }
        // Nothing listens: the request never reached an API.
        let port = {
            let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            listener.local_addr().unwrap().port()
        };
        let http = HttpClient::new(HttpSettings {
            base_url: format!("http://127.0.0.1:{port}"),
            retry_base: Duration::from_millis(1),
            retry_cap: Duration::from_millis(2),
            max_attempts: 2,
            ..HttpSettings::default()
        })
        .unwrap();
        let client = InstaclustrClient::new(http, "alice".into(), KEY.into());
        let err = client
            .create_cluster(&sample_create(), &CancellationToken::new())
            .await
            .unwrap_err();
        assert!(!err.may_have_acted(), "{err:?}");
        assert!(!ApiError::Cancelled.may_have_acted());
    }

    #[tokio::test]
    async fn an_empty_account_lists_as_404() {
        let (server, client) = setup(vec![Reply::json(404, r#"{"message":"no clusters"}"#)]).await;
        let all = client
            .list_clusters(&CancellationToken::new())
            .await
            .unwrap();
        assert!(all.is_empty());
        assert_eq!(server.requests()[0].path, "/instaclustr/provisioning/v1");
    }

    #[tokio::test]
    async fn create_without_id_is_a_decode_error() {
        let (_server, client) = setup(vec![Reply::json(202, r#"{"status":"ok"}"#)]).await;
        let err = client
            .create_cluster(&sample_create(), &CancellationToken::new())
            .await
            .unwrap_err();
        assert!(matches!(err, ApiError::Decode(_)), "{err:?}");
    }

    #[tokio::test]
    async fn validation_errors_carry_the_api_message() {
        let (_server, client) = setup(vec![Reply::json(
            400,
            r#"{"errors":[{"message":"Invalid nodeSize"}]}"#,
        )])
        .await;
        let err = client
            .create_cluster(&sample_create(), &CancellationToken::new())
            .await
            .unwrap_err();
        assert!(
            matches!(&err, ApiError::Validation { status: 400, message } if message == "Invalid nodeSize"),
            "{err:?}"
        );
    }

    #[tokio::test]
    async fn get_missing_cluster_is_none() {
        let (server, client) = setup(vec![Reply::json(404, r#"{"message":"not found"}"#)]).await;
        let found = client
            .get_cluster("gone-id", &CancellationToken::new())
            .await
            .unwrap();
        assert!(found.is_none());
        assert_eq!(
            server.requests()[0].path,
            "/instaclustr/provisioning/v1/gone-id"
        );
        assert!(client
            .get_cluster("", &CancellationToken::new())
            .await
            .unwrap()
            .is_none());
        assert!(client
            .get_cluster("..", &CancellationToken::new())
            .await
            .unwrap()
            .is_none());
        assert_eq!(server.count(), 1);
    }

    #[tokio::test]
    async fn get_decodes_string_encoded_numbers_and_ignores_unknown_fields() {
        let body = r#"{
            "id": "c1", "clusterName": "my_cluster", "clusterStatus": "RUNNING", "cdcId": "dc1",
            "slaTier": "NON_PRODUCTION", "instaclustrUserPassword": "hunter2",
            "pciCompliance": "DISABLED", "bundleType": "APACHE_CASSANDRA", "somethingNew": {"x": 1},
            "privateNetworkCluster": "true", "rackAllocation": {"numberOfRacks": "3", "nodesPerRack": 1},
            "provider": {"name": "AWS_VPC", "tags": {"team": "data", "n": 5}},
            "bundles": [{"bundle": "APACHE_CASSANDRA", "version": "4.1.3", "options": {"authnAuthz": "true"}}],
            "dataCentres": [{
                "id": "dc1", "name": "US_WEST_2", "provider": "AWS_VPC", "cdcNetwork": "10.224.0.0/12",
                "nodeCount": "3", "cdcStatus": "RUNNING",
                "nodes": [
                    {"id": "n1", "size": "t3.small", "rack": "us-west-2a", "publicAddress": null,
                     "privateAddress": "10.224.0.5", "nodeStatus": "RUNNING"},
                    {"id": 2, "nodeStatus": "PROVISIONING"}
                ]
            }]
        }"#;
        let (server, client) = setup(vec![Reply::json(202, body)]).await;
        let detail = client
            .get_cluster("c1", &CancellationToken::new())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(server.requests()[0].method, "GET");
        assert_eq!(detail.cluster_status.as_deref(), Some("RUNNING"));
        assert_eq!(detail.data_centre_id(), Some("dc1"));
        assert_eq!(detail.private_network_cluster, Some(true));
        assert_eq!(
            detail.rack_allocation,
            Some(RackAllocationDetail {
                number_of_racks: Some(3),
                nodes_per_rack: Some(1)
            })
        );
        let provider = detail.provider.as_ref().unwrap();
        assert_eq!(provider.name.as_deref(), Some("AWS_VPC"));
        assert_eq!(
            provider.tags.as_ref().unwrap().get("n").map(String::as_str),
            Some("5")
        );
        assert_eq!(
            detail.bundles.as_ref().unwrap()[0].version.as_deref(),
            Some("4.1.3")
        );
        let dc = &detail.data_centres[0];
        assert_eq!(dc.node_count, Some(3));
        assert_eq!(dc.provider.as_deref(), Some("AWS_VPC"));
        let nodes: Vec<_> = detail.nodes().collect();
        assert_eq!(nodes.len(), 2);
        assert_eq!(nodes[0].private_address.as_deref(), Some("10.224.0.5"));
        assert_eq!(nodes[0].public_address, None);
        assert_eq!(nodes[1].id.as_deref(), Some("2"));
        assert_eq!(detail.instaclustr_user_password.as_deref(), Some("hunter2"));
        assert!(!format!("{detail:?}").contains("hunter2"));
    }

    #[tokio::test]
    async fn get_accepts_200_and_a_provider_given_as_a_name() {
        let (_server, client) = setup(vec![Reply::json(
            200,
            r#"{"id":"c1","provider":"GCP","dataCentres":null}"#,
        )])
        .await;
        let detail = client
            .get_cluster("c1", &CancellationToken::new())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(detail.provider.and_then(|p| p.name).as_deref(), Some("GCP"));
        assert!(detail.data_centres.is_empty());
    }

    #[tokio::test]
    async fn get_retries_rate_limits_and_server_errors() {
        let (server, client) = setup(vec![
            Reply::status(429).header("Retry-After", "0"),
            Reply::status(503),
            Reply::json(202, r#"{"id":"c1"}"#),
        ])
        .await;
        let detail = client
            .get_cluster("c1", &CancellationToken::new())
            .await
            .unwrap();
        assert!(detail.is_some());
        assert_eq!(server.count(), 3);
    }

    #[tokio::test]
    async fn ids_are_escaped_into_one_path_segment() {
        let (server, client) = setup(vec![Reply::status(404)]).await;
        client
            .get_cluster("../x?y", &CancellationToken::new())
            .await
            .unwrap();
        assert_eq!(
            server.requests()[0].path,
            "/instaclustr/provisioning/v1/..%2Fx%3Fy"
        );
    }

    #[tokio::test]
    async fn delete_maps_statuses() {
        let (server, client) = setup(vec![
            Reply::json(409, r#"{"message":"Cluster has dependent resources"}"#),
            Reply::status(202),
            Reply::status(404),
        ])
        .await;
        let cancel = CancellationToken::new();
        let err = client.delete_cluster("c1", &cancel).await.unwrap_err();
        assert!(
            matches!(&err, ApiError::Conflict(m) if m == "Cluster has dependent resources"),
            "{err:?}"
        );
        assert_eq!(
            client.delete_cluster("c1", &cancel).await.unwrap(),
            DeleteOutcome::Accepted
        );
        assert_eq!(
            client.delete_cluster("c1", &cancel).await.unwrap(),
            DeleteOutcome::AlreadyGone
        );
        let requests = server.requests();
        assert_eq!(requests.len(), 3);
        assert!(requests
            .iter()
            .all(|r| r.method == "DELETE" && r.path == "/instaclustr/provisioning/v1/c1"));
    }

    #[tokio::test]
    async fn resize_posts_the_documented_body() {
        let (server, client) = setup(vec![Reply::json(202, "{}"), Reply::json(202, "{}")]).await;
        client
            .resize("c1", "dc1", "m5.large", None, &CancellationToken::new())
            .await
            .unwrap();
        client
            .resize(
                "c1",
                "dc1",
                "m5.xlarge",
                Some("OPENSEARCH_MASTER"),
                &CancellationToken::new(),
            )
            .await
            .unwrap();
        assert_eq!(
            server.requests()[1].json()["nodePurpose"],
            "OPENSEARCH_MASTER"
        );
        let request = &server.requests()[0];
        assert_eq!(request.method, "POST");
        assert_eq!(request.path, "/instaclustr/provisioning/v1/c1/dc1/resize");
        assert_eq!(
            request.json(),
            serde_json::json!({"newNodeSize": "m5.large", "concurrentResizes": 1, "notifySupportContacts": "false"})
        );
    }

    #[tokio::test]
    async fn bad_credentials_do_not_leak_the_key() {
        let (_server, client) = setup(vec![Reply::json(
            401,
            &format!(r#"{{"message":"bad key {KEY} for alice"}}"#),
        )])
        .await;
        let err = client
            .get_cluster("c1", &CancellationToken::new())
            .await
            .unwrap_err();
        assert!(
            matches!(err, ApiError::Unauthorized { status: 401 }),
            "{err:?}"
        );
        let text = format!("{err} {err:?} {client:?}");
        assert!(!text.contains(KEY), "{text}");
        assert!(text.contains("check username and api_key"));

        let (_server, client) = setup(vec![Reply::json(
            400,
            &format!(r#"{{"message":"bad key {KEY}"}}"#),
        )])
        .await;
        let err = client
            .get_cluster("c1", &CancellationToken::new())
            .await
            .unwrap_err();
        assert!(!format!("{err} {err:?}").contains(KEY));
    }

    #[tokio::test]
    async fn cancellation_is_reported_as_cancelled() {
        let (server, client) = setup(vec![Reply::status(200)]).await;
        let cancel = CancellationToken::new();
        cancel.cancel();
        let err = client.get_cluster("c1", &cancel).await.unwrap_err();
        assert!(err.is_cancelled());
        assert_eq!(server.count(), 0);
    }
}
