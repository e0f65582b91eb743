//! Typed client for the Huawei Cloud Search Service (CSS) API v1.0.
//!
//! Paths, bodies, the `X-Auth-Token` header and status mapping only: retries, timeouts, TLS and
//! cancellation come from the shared [`HttpClient`], tokens from [`TokenSource`]. A 401 makes
//! the client fetch a new token and send the request once more (for a create too: the gateway
//! rejected it before CSS saw it).
//!
//! Passwords the client sends (`adminPwd`, a password reset) are registered with
//! [`crate::http::secrets`] before they go out, so an API echoing them cannot put them in a
//! diagnostic; tokens are registered by [`TokenSource`].

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use reqwest::header::{HeaderValue, ACCEPT};
use reqwest::{RequestBuilder, StatusCode};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;
use tokio_util::sync::CancellationToken;

use super::token::{redact, AuthError, Secret, TokenSource};
use super::waits::StatusBoards;
use crate::framework::reconcile::{import_advice, CreateFailure, ADDRESS, ADDRESS_NOTE};
use crate::framework::shared_status::Priority;
use crate::http::path::{addressable, decode_failure, segment};
use crate::http::{
    lenient, secrets, HttpClient, HttpError, HttpResponse, RetryPolicy, TransportKind,
};

/// Clusters listed per page when looking for a name.
const PAGE: usize = 100;
const MAX_PAGES: usize = 50;
/// How many times one tag change is sent at most while its outcome stays unclear.
const TAG_SENDS: u32 = 3;

// ---------------------------------------------------------------------------------------------
// Request bodies (field names as the API documents them: mostly camelCase, some snake_case)

/// Body of `POST /v1.0/{project_id}/clusters`.
#[derive(Clone, Serialize)]
pub struct CreateCluster {
    pub cluster: ClusterSpec,
}

#[derive(Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ClusterSpec {
    pub name: String,
    pub instance_num: u32,
    pub instance: InstanceSpec,
    pub datastore: Datastore,
    pub https_enable: bool,
    pub authority_enable: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub admin_pwd: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub backup_strategy: Option<BackupStrategy>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tags: Option<Vec<Tag>>,
}

/// Written by hand so `adminPwd` cannot reach a log line.
impl fmt::Debug for ClusterSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClusterSpec")
            .field("name", &self.name)
            .field("instance_num", &self.instance_num)
            .field("instance", &self.instance)
            .field("datastore", &self.datastore)
            .field("https_enable", &self.https_enable)
            .field("authority_enable", &self.authority_enable)
            .field("admin_pwd", &self.admin_pwd.as_ref().map(|_| "<redacted>"))
            .field("backup_strategy", &self.backup_strategy)
            .field("tags", &self.tags)
            .finish()
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct InstanceSpec {
    #[serde(rename = "flavorRef")]
    pub flavor_ref: String,
    pub volume: VolumeSpec,
    pub nics: Nics,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub availability_zone: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct VolumeSpec {
    pub volume_type: String,
    pub size: u64,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Nics {
    pub vpc_id: String,
    pub net_id: String,
    pub security_group_id: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Datastore {
    #[serde(rename = "type")]
    pub engine_type: String,
    pub version: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BackupStrategy {
    pub period: String,
    pub prefix: String,
    pub keepday: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tag {
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub key: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub value: Option<String>,
}

/// Body of `POST …/index_snapshot/policy`. `enable` is a string in the API's examples.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SnapshotPolicy {
    pub prefix: String,
    pub period: String,
    pub keepday: u32,
    pub enable: &'static str,
}

#[derive(Serialize)]
struct Grow {
    grow: GrowSize,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct GrowSize {
    modify_size: u32,
}

#[derive(Serialize)]
struct NewPassword<'a> {
    newpassword: &'a str,
}

#[derive(Serialize)]
struct OneTag<'a> {
    tag: TagRef<'a>,
}

#[derive(Serialize)]
struct TagRef<'a> {
    key: &'a str,
    value: &'a str,
}

// ---------------------------------------------------------------------------------------------
// Responses: tolerant on purpose (every field optional, numbers and booleans in either form,
// unknown fields ignored), so a read does not fail because the API grew or changed a type.

/// `GET /v1.0/{project_id}/clusters/{id}`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ClusterDetail {
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub id: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub name: Option<String>,
    /// "100" in progress, "200" available, "303" failed.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub status: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub created: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub updated: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub endpoint: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_lenient")]
    pub datastore: Option<DatastoreDetail>,
    /// `None` when the API sent no list (then nothing is known about the nodes).
    #[serde(default, deserialize_with = "opt_list")]
    pub instances: Option<Vec<InstanceDetail>>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub vpc_id: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub subnet_id: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub security_group_id: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_bool")]
    pub https_enable: Option<bool>,
    #[serde(default, deserialize_with = "lenient::opt_bool")]
    pub authority_enable: Option<bool>,
    #[serde(default, deserialize_with = "lenient::vec_or_empty")]
    pub actions: Vec<String>,
    #[serde(default, deserialize_with = "opt_list")]
    pub tags: Option<Vec<Tag>>,
    #[serde(
        default,
        alias = "failed_reasons",
        alias = "failedReasons",
        deserialize_with = "lenient::opt_lenient"
    )]
    pub failed_reason: Option<FailedReason>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct DatastoreDetail {
    #[serde(rename = "type", default, deserialize_with = "lenient::opt_string")]
    pub engine_type: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub version: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InstanceDetail {
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub id: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub name: Option<String>,
    /// `ess` for data nodes; `ess-master`, `ess-client`, `ess-cold` for the others.
    #[serde(rename = "type", default, deserialize_with = "lenient::opt_string")]
    pub node_type: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub spec_code: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub az_code: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub ip: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub status: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_lenient")]
    pub volume: Option<VolumeDetail>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct VolumeDetail {
    #[serde(rename = "type", default, deserialize_with = "lenient::opt_string")]
    pub volume_type: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_u64")]
    pub size: Option<u64>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FailedReason {
    #[serde(
        default,
        alias = "error_code",
        deserialize_with = "lenient::opt_string"
    )]
    pub error_code: Option<String>,
    #[serde(default, alias = "error_msg", deserialize_with = "lenient::opt_string")]
    pub error_msg: Option<String>,
}

/// `GET …/index_snapshot/policy`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct SnapshotPolicyDetail {
    #[serde(default, deserialize_with = "lenient::opt_u64")]
    pub keepday: Option<u64>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub period: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub prefix: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_bool")]
    pub enable: Option<bool>,
}

impl ClusterDetail {
    pub fn status(&self) -> &str {
        self.status.as_deref().unwrap_or("unknown")
    }

    /// The data nodes (`ess`, or no type given).
    pub fn data_nodes(&self) -> impl Iterator<Item = &InstanceDetail> {
        self.instances
            .iter()
            .flatten()
            .filter(|i| i.node_type.as_deref().is_none_or(|t| t == "ess"))
    }

    /// Ready as the public clients judge it: status "200", no action running, every node "200".
    pub fn is_ready(&self) -> bool {
        self.status() == "200"
            && self.actions.is_empty()
            && self
                .instances
                .iter()
                .flatten()
                .all(|i| i.status.as_deref().is_none_or(|s| s == "200"))
    }

    /// `failedReason` in words, for a diagnostic.
    pub fn failure_text(&self) -> String {
        match &self.failed_reason {
            Some(FailedReason {
                error_code,
                error_msg,
            }) if error_code.is_some() || error_msg.is_some() => format!(
                "{}: {}",
                error_code.as_deref().unwrap_or("(no code)"),
                error_msg.as_deref().unwrap_or("(no message)")
            ),
            _ => "the API gave no failedReason".to_string(),
        }
    }
}

/// A list whose absence (or a non-list) is `None` and whose undecodable elements are skipped.
fn opt_list<'de, D, T>(deserializer: D) -> Result<Option<Vec<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: serde::de::DeserializeOwned,
{
    Ok(match Value::deserialize(deserializer)? {
        Value::Array(items) => Some(
            items
                .into_iter()
                .filter_map(|item| serde_json::from_value(item).ok())
                .collect(),
        ),
        _ => None,
    })
}

#[derive(Deserialize)]
pub(crate) struct CreatedResponse {
    #[serde(default, deserialize_with = "lenient::opt_lenient")]
    cluster: Option<CreatedCluster>,
}

#[derive(Deserialize)]
struct CreatedCluster {
    #[serde(default, deserialize_with = "lenient::opt_string")]
    id: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ListResponse {
    #[serde(default, deserialize_with = "lenient::vec_or_empty")]
    clusters: Vec<ClusterDetail>,
    #[serde(default, deserialize_with = "lenient::opt_u64")]
    total_size: Option<u64>,
}

#[derive(Deserialize)]
pub(crate) struct TagList {
    #[serde(default, deserialize_with = "opt_list")]
    tags: Option<Vec<Tag>>,
}

/// The code of an error body: CSS's `errCode`, or the API gateway's `error_code`.
#[derive(Deserialize)]
struct ErrorCode {
    #[serde(
        default,
        rename = "errCode",
        alias = "error_code",
        deserialize_with = "lenient::opt_string"
    )]
    code: Option<String>,
}

// ---------------------------------------------------------------------------------------------
// Errors

/// What a call can fail with. Messages never carry credentials or tokens.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error(transparent)]
    Auth(#[from] AuthError),

    /// 401 after the one renewal (or with a fixed `auth_token`, which cannot be renewed).
    #[error("{}", unauthorized_text(*renewable))]
    Unauthorized { renewable: bool },

    /// 403 other than "not found" (CSS.0015).
    #[error("CSS denied access (HTTP 403{}): {message}", code_suffix(code))]
    Forbidden {
        code: Option<String>,
        message: String,
    },

    /// 404, or 403 CSS.0015 ("no resources found or access denied": what a deleted cluster
    /// answers).
    #[error("CSS: cluster not found")]
    NotFound,

    /// CSS.5050 / CSS.1102.
    #[error("{}", name_exists_text(name, code, existing))]
    NameExists {
        name: String,
        code: String,
        existing: Option<String>,
    },

    /// CSS.0011: another operation is running on the cluster; worth retrying later.
    #[error("CSS: another operation is in progress on the cluster (CSS.0011): {0}")]
    Busy(String),

    /// Any other 4xx: the request was wrong; the message is the API's own.
    #[error(
        "CSS rejected the request (HTTP {status}{}): {message}",
        code_suffix(code)
    )]
    Validation {
        status: u16,
        code: Option<String>,
        message: String,
    },

    /// 5xx (after retries where safe), a 429 that outlasted the retries, or an odd status.
    #[error("CSS API error (HTTP {status}{}): {message}", code_suffix(code))]
    Server {
        status: u16,
        code: Option<String>,
        message: String,
    },

    #[error(transparent)]
    Http(HttpError),

    #[error("request cancelled")]
    Cancelled,

    /// A success response that could not be understood.
    #[error("CSS: unexpected response: {0}")]
    Decode(String),
}

fn code_suffix(code: &Option<String>) -> String {
    code.as_ref().map(|c| format!(", {c}")).unwrap_or_default()
}

fn name_exists_text(name: &str, code: &str, existing: &Option<String>) -> String {
    let advice = match existing {
        Some(id) => format!("(its id is {id}):\n\n{}", import_advice(id)),
        None => format!("with\n\n  terraform import {ADDRESS} <its id>"),
    };
    format!(
        "a CSS cluster named {name:?} already exists in this project ({code}): choose another \
         name, or bring the existing cluster under Terraform {advice}\n\n{ADDRESS_NOTE}"
    )
}

fn unauthorized_text(renewable: bool) -> &'static str {
    if renewable {
        "CSS refused the IAM token (HTTP 401) even after a new one was fetched: check that the \
         user has CSS permissions in project_id"
    } else {
        "CSS refused auth_token (HTTP 401): the token is invalid or has expired; get a new one, \
         or set domain_name, user_name and password so the provider can renew tokens itself"
    }
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
        matches!(
            self,
            ApiError::Cancelled | ApiError::Auth(AuthError::Cancelled)
        )
    }

    /// The same error with `secret` removed from the API's message, for calls that sent one
    /// (an API may quote the password it rejects).
    pub fn redacted(self, secret: &str) -> ApiError {
        let scrub = |m: String| redact(&m, &[secret]);
        match self {
            ApiError::Forbidden { code, message } => ApiError::Forbidden {
                code,
                message: scrub(message),
            },
            ApiError::Busy(message) => ApiError::Busy(scrub(message)),
            ApiError::Validation {
                status,
                code,
                message,
            } => ApiError::Validation {
                status,
                code,
                message: scrub(message),
            },
            ApiError::Server {
                status,
                code,
                message,
            } => ApiError::Server {
                status,
                code,
                message: scrub(message),
            },
            ApiError::Decode(message) => ApiError::Decode(scrub(message)),
            other => other,
        }
    }
}

/// A create whose answer is a 5xx, a timeout, a connection lost after sending, or a success
/// without a usable id may have made the cluster. A 4xx (a name collision included), a refused
/// connection or a token problem did not.
impl CreateFailure for ApiError {
    fn may_have_acted(&self) -> bool {
        match self {
            ApiError::Server { status, .. } => *status >= 500,
            ApiError::Decode(_) => true,
            other => sent_without_answer(other),
        }
    }
}

/// The project's clusters, or word that this API has no listing.
#[derive(Debug, Clone, PartialEq)]
pub enum ClusterList {
    Clusters(Vec<ClusterDetail>),
    /// The list endpoint answered `status`, a refusal that no retry or credential changes.
    NotOffered {
        status: u16,
    },
}

/// Whether a list answer says the endpoint is missing here rather than that the call failed:
/// a 4xx other than the credential ones and the transient ones, or 501.
fn listing_not_offered(status: StatusCode) -> bool {
    status == StatusCode::NOT_IMPLEMENTED
        || (status.is_client_error() && !matches!(status.as_u16(), 401 | 403 | 408 | 429))
}

/// Result of a delete request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeleteOutcome {
    Accepted,
    /// The cluster did not exist any more.
    AlreadyGone,
}

// ---------------------------------------------------------------------------------------------
// The client

/// Clone is cheap: the HTTP client and the token source are shared.
#[derive(Clone)]
pub struct CssClient {
    http: HttpClient,
    project_id: String,
    tokens: Arc<TokenSource>,
    /// Where the concurrent waits of this project meet (shared by clones).
    boards: Arc<StatusBoards>,
}

impl fmt::Debug for CssClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CssClient")
            .field("http", &self.http)
            .field("project_id", &self.project_id)
            .field("tokens", &self.tokens)
            .finish()
    }
}

impl CssClient {
    pub fn new(http: HttpClient, project_id: String, tokens: Arc<TokenSource>) -> Self {
        CssClient {
            http,
            project_id,
            tokens,
            // CSS states no request rate: shared listings back off from half a second.
            boards: Arc::new(StatusBoards::new(Duration::ZERO)),
        }
    }

    pub(crate) fn boards(&self) -> &StatusBoards {
        &self.boards
    }

    /// The same client for status polls (background: they yield to creates, deletes and final
    /// reads), or for the reads that likely end a wait (foreground).
    pub(crate) fn at(&self, priority: Priority) -> CssClient {
        let http = match priority {
            Priority::Background => self.http.background(),
            Priority::Foreground => self.http.clone(),
        };
        CssClient {
            http,
            ..self.clone()
        }
    }

    pub fn tokens(&self) -> &TokenSource {
        &self.tokens
    }

    fn clusters_path(&self) -> String {
        format!("/v1.0/{}/clusters", segment(&self.project_id))
    }

    fn cluster_path(&self, id: &str, rest: &str) -> String {
        format!("{}/{}{rest}", self.clusters_path(), segment(id.trim()))
    }

    fn tags_path(&self, id: &str) -> String {
        format!(
            "/v1.0/{}/css-cluster/{}/tags",
            segment(&self.project_id),
            segment(id.trim())
        )
    }

    /// `POST /v1.0/{project_id}/clusters` → the new cluster's id. Never repeated after a 5xx
    /// or a timeout (it could create twice): such an unclear outcome is
    /// [`CreateFailure::may_have_acted`], and the resource reconciles it against
    /// [`Self::list_clusters_if_offered`]. A name collision becomes
    /// [`ApiError::NameExists`], with the existing cluster's id when a listing finds it.
    pub async fn create_cluster(
        &self,
        body: &CreateCluster,
        cancel: &CancellationToken,
    ) -> Result<String, ApiError> {
        if let Some(password) = &body.cluster.admin_pwd {
            secrets::register(password);
        }
        let path = self.clusters_path();
        let response = self
            .send(
                || self.http.post(&path).json(body),
                RetryPolicy::NotIdempotent,
                cancel,
            )
            .await?;
        if !response.is_success() {
            let err = match status_error(&response) {
                // A conflict on create can only be the name, whatever code the API gives.
                ApiError::Validation {
                    status: 409, code, ..
                } => ApiError::NameExists {
                    name: String::new(),
                    code: code.unwrap_or_else(|| "HTTP 409".to_string()),
                    existing: None,
                },
                other => other,
            };
            let name = &body.cluster.name;
            return Err(match err {
                ApiError::NameExists { code, .. } => ApiError::NameExists {
                    existing: self.find_by_name(name, cancel).await,
                    name: name.clone(),
                    code,
                },
                other => other,
            });
        }
        let created: CreatedResponse = response
            .json()
            .map_err(|err| decode_error("create", &err))?;
        match created.cluster.and_then(|c| c.id) {
            Some(id) if !id.trim().is_empty() => Ok(id),
            _ => Err(ApiError::Decode(format!(
                "create answered HTTP {} without cluster.id",
                response.status.as_u16()
            ))),
        }
    }

    /// The id of the cluster called `name`, if a listing finds one (best effort: any error is
    /// just "not found").
    async fn find_by_name(&self, name: &str, cancel: &CancellationToken) -> Option<String> {
        let clusters = self.list_clusters(cancel).await.ok()?;
        clusters
            .into_iter()
            .find(|c| c.name.as_deref() == Some(name))
            .and_then(|c| c.id)
    }

    /// `GET /v1.0/{project_id}/clusters?offset&limit`, every page (`offset` is 1-based).
    pub async fn list_clusters(
        &self,
        cancel: &CancellationToken,
    ) -> Result<Vec<ClusterDetail>, ApiError> {
        self.list_pages(cancel)
            .await?
            .map_err(|(_, response)| status_error(&response))
    }

    /// Like [`Self::list_clusters`], but an API without the list endpoint (its first page
    /// answers 404, 405, 501 or another lasting 4xx) is [`ClusterList::NotOffered`], not an error.
    pub async fn list_clusters_if_offered(
        &self,
        cancel: &CancellationToken,
    ) -> Result<ClusterList, ApiError> {
        match self.list_pages(cancel).await? {
            Ok(all) => Ok(ClusterList::Clusters(all)),
            Err((0, response)) if listing_not_offered(response.status) => {
                Ok(ClusterList::NotOffered {
                    status: response.status.as_u16(),
                })
            }
            Err((_, response)) => Err(status_error(&response)),
        }
    }

    /// Every page, or the first answer that was not a success with the page it answered.
    async fn list_pages(
        &self,
        cancel: &CancellationToken,
    ) -> Result<Result<Vec<ClusterDetail>, (usize, HttpResponse)>, ApiError> {
        let path = self.clusters_path();
        let mut all = Vec::new();
        for page in 0..MAX_PAGES {
            let offset = (page * PAGE + 1).to_string();
            let limit = PAGE.to_string();
            let response = self
                .send(
                    || {
                        self.http
                            .get(&path)
                            .query(&[("offset", offset.as_str()), ("limit", limit.as_str())])
                    },
                    RetryPolicy::Idempotent,
                    cancel,
                )
                .await?;
            if !response.is_success() {
                return Ok(Err((page, response)));
            }
            let list: ListResponse = response.json().map_err(|err| decode_error("list", &err))?;
            let got = list.clusters.len();
            all.extend(list.clusters);
            let total = list.total_size.and_then(|t| usize::try_from(t).ok());
            if got < PAGE || total.is_some_and(|t| all.len() >= t) {
                break;
            }
        }
        Ok(Ok(all))
    }

    /// Which project this client works on (endpoint and project id), to tell creates in
    /// different projects apart.
    pub fn account(&self) -> String {
        format!("{} {}", self.http.base_url(), self.project_id)
    }

    /// `GET /v1.0/{project_id}/clusters/{id}`: `Ok(None)` when the cluster does not exist
    /// (404, or 403 CSS.0015).
    pub async fn get_cluster(
        &self,
        id: &str,
        cancel: &CancellationToken,
    ) -> Result<Option<ClusterDetail>, ApiError> {
        if !addressable(id) {
            return Ok(None);
        }
        let path = self.cluster_path(id, "");
        let response = self
            .send(|| self.http.get(&path), RetryPolicy::Idempotent, cancel)
            .await?;
        if !response.is_success() {
            return match status_error(&response) {
                ApiError::NotFound => Ok(None),
                other => Err(other),
            };
        }
        response
            .json::<ClusterDetail>()
            .map(Some)
            .map_err(|err| decode_error("cluster", &err))
    }

    /// `DELETE /v1.0/{project_id}/clusters/{id}`.
    pub async fn delete_cluster(
        &self,
        id: &str,
        cancel: &CancellationToken,
    ) -> Result<DeleteOutcome, ApiError> {
        if !addressable(id) {
            return Ok(DeleteOutcome::AlreadyGone);
        }
        let path = self.cluster_path(id, "");
        let response = self
            .send(|| self.http.delete(&path), RetryPolicy::Idempotent, cancel)
            .await?;
        match done(&response) {
            Ok(()) => Ok(DeleteOutcome::Accepted),
            Err(ApiError::NotFound) => Ok(DeleteOutcome::AlreadyGone),
            Err(e) => Err(e),
        }
    }

    /// `POST …/clusters/{id}/extend` `{"grow": {"modifySize": add}}`. Not repeated after an
    /// unclear failure: a second extend would add the nodes twice.
    pub async fn extend(
        &self,
        id: &str,
        add: u32,
        cancel: &CancellationToken,
    ) -> Result<(), ApiError> {
        let path = self.existing(id, "/extend")?;
        let body = Grow {
            grow: GrowSize { modify_size: add },
        };
        let response = self
            .send(
                || self.http.post(&path).json(&body),
                RetryPolicy::NotIdempotent,
                cancel,
            )
            .await?;
        done(&response)
    }

    /// `POST …/clusters/{id}/password/reset` `{"newpassword"}`.
    pub async fn reset_password(
        &self,
        id: &str,
        password: &Secret,
        cancel: &CancellationToken,
    ) -> Result<(), ApiError> {
        let path = self.existing(id, "/password/reset")?;
        secrets::register(password.expose());
        let body = NewPassword {
            newpassword: password.expose(),
        };
        // Setting the same password twice is harmless.
        let response = self
            .send(
                || self.http.post(&path).json(&body),
                RetryPolicy::Idempotent,
                cancel,
            )
            .await?;
        done(&response).map_err(|e| e.redacted(password.expose()))
    }

    /// `POST …/clusters/{id}/index_snapshot/policy`.
    pub async fn set_snapshot_policy(
        &self,
        id: &str,
        policy: &SnapshotPolicy,
        cancel: &CancellationToken,
    ) -> Result<(), ApiError> {
        let path = self.existing(id, "/index_snapshot/policy")?;
        let response = self
            .send(
                || self.http.post(&path).json(policy),
                RetryPolicy::Idempotent,
                cancel,
            )
            .await?;
        done(&response)
    }

    /// `GET …/clusters/{id}/index_snapshot/policy`. `Ok(None)` when the API has no such
    /// endpoint for this cluster (404, 405, 501): the caller then knows nothing new.
    pub async fn get_snapshot_policy(
        &self,
        id: &str,
        cancel: &CancellationToken,
    ) -> Result<Option<SnapshotPolicyDetail>, ApiError> {
        let path = self.existing(id, "/index_snapshot/policy")?;
        let response = self
            .send(|| self.http.get(&path), RetryPolicy::Idempotent, cancel)
            .await?;
        if matches!(response.status.as_u16(), 405 | 501) {
            return Ok(None);
        }
        if !response.is_success() {
            return match status_error(&response) {
                ApiError::NotFound => Ok(None),
                other => Err(other),
            };
        }
        response
            .json::<SnapshotPolicyDetail>()
            .map(Some)
            .map_err(|err| decode_error("snapshot policy", &err))
    }

    /// `POST /v1.0/{project_id}/css-cluster/{id}/tags` `{"tag": {"key", "value"}}`; where that
    /// route does not exist (404/405), the batch form `POST …/tags/action`. Sent once, never
    /// replayed blindly: after an unclear outcome the tags are read back first.
    pub async fn add_tag(
        &self,
        id: &str,
        key: &str,
        value: &str,
        cancel: &CancellationToken,
    ) -> Result<(), ApiError> {
        self.existing(id, "")?;
        self.change_tag(id, TagChange::Add, key, value, cancel)
            .await
    }

    /// `DELETE /v1.0/{project_id}/css-cluster/{id}/tags/{key}`; a key that is not there (404)
    /// counts as deleted. Where the method is not allowed (405), the batch form, which like an
    /// add is read back after an unclear outcome rather than replayed.
    pub async fn delete_tag(
        &self,
        id: &str,
        key: &str,
        value: &str,
        cancel: &CancellationToken,
    ) -> Result<(), ApiError> {
        self.existing(id, "")?;
        self.change_tag(id, TagChange::Delete, key, value, cancel)
            .await
    }

    /// Sends one tag change. An answer that settles it (success, a 4xx) is final. After an
    /// unclear one (a 5xx, a timeout or a connection lost once the request was sent) the API may
    /// or may not have applied it, and a blind repeat of a tag POST can fail on the tag it just
    /// created, so the tags are read back: already as wanted is success; not yet is another
    /// send, at most [`TAG_SENDS`] in all; unreadable leaves the unclear error standing.
    async fn change_tag(
        &self,
        id: &str,
        change: TagChange,
        key: &str,
        value: &str,
        cancel: &CancellationToken,
    ) -> Result<(), ApiError> {
        let mut route = TagRoute::Single;
        let mut unclear_sends = 0;
        loop {
            let unclear = match self.send_tag(id, change, route, key, value, cancel).await {
                Ok(response) => {
                    let status = response.status.as_u16();
                    if route == TagRoute::Single && change.falls_back_on(status) {
                        // The route does not exist here: nothing happened, try the batch form.
                        route = TagRoute::Batch;
                        continue;
                    }
                    match done(&response) {
                        Ok(()) => return Ok(()),
                        Err(ApiError::NotFound) if change == TagChange::Delete => return Ok(()),
                        Err(err) if response.status.is_server_error() => err,
                        Err(err) => return Err(err),
                    }
                }
                Err(err) if sent_without_answer(&err) => err,
                Err(err) => return Err(err),
            };
            unclear_sends += 1;
            match self.tag_value(id, key, cancel).await {
                Some(current) if change.achieved(current.as_deref(), value) => {
                    tracing::debug!(
                        change = change.name(),
                        "tag change had an unclear answer; reading the tags back shows it applied"
                    );
                    return Ok(());
                }
                Some(_) if unclear_sends < TAG_SENDS => {
                    tracing::debug!(
                        change = change.name(),
                        attempt = unclear_sends,
                        "tag change had an unclear answer and is not applied; sending it again"
                    );
                }
                _ => return Err(unclear),
            }
        }
    }

    async fn send_tag(
        &self,
        id: &str,
        change: TagChange,
        route: TagRoute,
        key: &str,
        value: &str,
        cancel: &CancellationToken,
    ) -> Result<HttpResponse, ApiError> {
        match (route, change) {
            (TagRoute::Single, TagChange::Add) => {
                let path = self.tags_path(id);
                let body = OneTag {
                    tag: TagRef { key, value },
                };
                self.send(
                    || self.http.post(&path).json(&body),
                    RetryPolicy::NotIdempotent,
                    cancel,
                )
                .await
            }
            // A repeated DELETE finds nothing and answers 404, which counts as deleted.
            (TagRoute::Single, TagChange::Delete) => {
                let path = format!("{}/{}", self.tags_path(id), segment(key));
                self.send(|| self.http.delete(&path), RetryPolicy::Idempotent, cancel)
                    .await
            }
            // `POST …/tags/action` `{"action", "tags": [{"key", "value"}]}` for one tag.
            (TagRoute::Batch, change) => {
                let path = format!("{}/action", self.tags_path(id));
                let body = serde_json::json!({
                    "action": change.batch_action(),
                    "tags": [{"key": key, "value": value}],
                });
                self.send(
                    || self.http.post(&path).json(&body),
                    RetryPolicy::NotIdempotent,
                    cancel,
                )
                .await
            }
        }
    }

    /// The value tag `key` has now: `Some(None)` when the cluster has no such tag, `None` when
    /// the tags cannot be read.
    async fn tag_value(
        &self,
        id: &str,
        key: &str,
        cancel: &CancellationToken,
    ) -> Option<Option<String>> {
        let tags = self.get_tags(id, cancel).await.ok()??;
        Some(
            tags.into_iter()
                .find(|tag| tag.key.as_deref() == Some(key))
                .map(|tag| tag.value.unwrap_or_default()),
        )
    }

    /// `GET /v1.0/{project_id}/css-cluster/{id}/tags` → `{"tags": [{"key", "value"}]}`.
    /// `Ok(None)` when the API has no such endpoint (404, 405, 501).
    pub async fn get_tags(
        &self,
        id: &str,
        cancel: &CancellationToken,
    ) -> Result<Option<Vec<Tag>>, ApiError> {
        self.existing(id, "")?;
        let path = self.tags_path(id);
        let response = self
            .send(|| self.http.get(&path), RetryPolicy::Idempotent, cancel)
            .await?;
        if matches!(response.status.as_u16(), 404 | 405 | 501) {
            return Ok(None);
        }
        if !response.is_success() {
            return Err(status_error(&response));
        }
        response
            .json::<TagList>()
            .map(|list| list.tags)
            .map_err(|err| decode_error("tags", &err))
    }

    /// The path of an operation on cluster `id`, or NotFound for an id no cluster can have.
    fn existing(&self, id: &str, rest: &str) -> Result<String, ApiError> {
        if addressable(id) {
            Ok(self.cluster_path(id, rest))
        } else {
            Err(ApiError::NotFound)
        }
    }

    /// Sends the request built by `build` with the current token; on 401 fetches a new token
    /// and sends it once more.
    async fn send(
        &self,
        build: impl Fn() -> RequestBuilder,
        policy: RetryPolicy,
        cancel: &CancellationToken,
    ) -> Result<HttpResponse, ApiError> {
        let mut renewed = false;
        loop {
            let token = self.tokens.token(cancel).await?;
            let mut header =
                HeaderValue::from_str(token.expose()).map_err(|_| AuthError::BadToken)?;
            header.set_sensitive(true);
            let request = build()
                .header("X-Auth-Token", header)
                .header(ACCEPT, "application/json");
            let response = self.http.send(request, policy, cancel).await?;
            if response.status == StatusCode::UNAUTHORIZED {
                if !renewed && self.tokens.renewable() {
                    tracing::debug!("CSS answered 401: renewing the IAM token and retrying once");
                    self.tokens.reject(&token).await;
                    renewed = true;
                    continue;
                }
                return Err(ApiError::Unauthorized {
                    renewable: self.tokens.renewable(),
                });
            }
            return Ok(response);
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TagChange {
    Add,
    Delete,
}

/// `…/tags` (one tag per call) or `…/tags/action` (the batch form, for regions without the
/// former).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TagRoute {
    Single,
    Batch,
}

impl TagChange {
    fn name(self) -> &'static str {
        match self {
            TagChange::Add => "add",
            TagChange::Delete => "delete",
        }
    }

    fn batch_action(self) -> &'static str {
        match self {
            TagChange::Add => "create",
            TagChange::Delete => "delete",
        }
    }

    /// Whether the one-tag route answering `status` means "use the batch form". A 404 on a
    /// DELETE is the tag that is not there, not a missing route.
    fn falls_back_on(self, status: u16) -> bool {
        match self {
            TagChange::Add => matches!(status, 404 | 405),
            TagChange::Delete => status == 405,
        }
    }

    /// Whether a tag whose current value is `current` (`None`: no such tag) is what the change
    /// wanted.
    fn achieved(self, current: Option<&str>, wanted: &str) -> bool {
        match self {
            TagChange::Add => current == Some(wanted),
            TagChange::Delete => current.is_none(),
        }
    }
}

/// A transport failure after the request may have reached CSS (timeout, connection reset):
/// the change may or may not have been applied. A refused connection never reached it.
fn sent_without_answer(err: &ApiError) -> bool {
    matches!(
        err,
        ApiError::Http(HttpError::Transport {
            kind: TransportKind::Timeout | TransportKind::Other,
            ..
        })
    )
}

/// A modifying call's answer: success, unless the body says CSS.0011 (the API answers 202
/// with that code while another operation runs).
fn done(response: &HttpResponse) -> Result<(), ApiError> {
    if response.is_success() {
        match error_code(response).as_deref() {
            Some("CSS.0011") => Err(ApiError::Busy(message_of(response))),
            _ => Ok(()),
        }
    } else {
        Err(status_error(response))
    }
}

fn error_code(response: &HttpResponse) -> Option<String> {
    response
        .json::<ErrorCode>()
        .ok()
        .and_then(|c| c.code)
        .map(|c| c.trim().to_string())
        .filter(|c| !c.is_empty())
}

fn message_of(response: &HttpResponse) -> String {
    response.error_message().unwrap_or_else(|| {
        response
            .status
            .canonical_reason()
            .unwrap_or("no details")
            .to_string()
    })
}

/// Maps a non-success response to an error carrying the API's own code and message.
pub(crate) fn status_error(response: &HttpResponse) -> ApiError {
    let status = response.status.as_u16();
    let code = error_code(response);
    let message = message_of(response);
    match (status, code.as_deref()) {
        (_, Some("CSS.0011")) => ApiError::Busy(message),
        (_, Some(c @ ("CSS.5050" | "CSS.1102"))) => ApiError::NameExists {
            name: String::new(),
            code: c.to_string(),
            existing: None,
        },
        (404, _) | (403, Some("CSS.0015")) => ApiError::NotFound,
        (401, _) => ApiError::Unauthorized { renewable: false },
        (403, _) => ApiError::Forbidden { code, message },
        (429, _) => ApiError::Server {
            status,
            code,
            message: format!("rate limited: {message}"),
        },
        (400..=499, _) => ApiError::Validation {
            status,
            code,
            message,
        },
        _ => ApiError::Server {
            status,
            code,
            message,
        },
    }
}

fn decode_error(what: &str, err: &serde_json::Error) -> ApiError {
    ApiError::Decode(decode_failure(what, err))
}

#[cfg(test)]
mod tests;
