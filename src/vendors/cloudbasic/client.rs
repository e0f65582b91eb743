//! Typed client for the CloudBasic Multi-AZ HA API.
//!
//! Every action is `POST <endpoint>/api/<Action>` with a JSON or XML body, signed with AWS
//! Signature Version 4 ([`super::signing`]), except ActivateInstance, which no key can sign yet
//! (it is what hands out the first key pair). 200 means done: the API has no status or describe
//! action, so nothing is ever read back. Retries, TLS, timeouts and cancellation come from the
//! shared [`HttpClient`]; this file adds paths, bodies, signing and the mapping of answers.
//!
//! Every attempt is signed afresh (a retry carries a new `X-Amz-Date` and signature, not the
//! first attempt's), and the key material the client sends (the secret key, each signature, the
//! remote instance's private key in a body) is registered with [`crate::http::secrets`], so the
//! API's echo of a request cannot reach a diagnostic.

use std::fmt;
use std::sync::Arc;
use std::time::SystemTime;

use reqwest::header::{HeaderValue, AUTHORIZATION, CONTENT_TYPE, HOST};
use reqwest::StatusCode;
use tokio_util::sync::CancellationToken;

use super::body::{read_answer, ActionBody, Answer, PayloadFormat, Problem};
use super::signing::{self, Credentials, Scope, AMZ_CONTENT_SHA256, AMZ_DATE};
use crate::http::{error_message, secrets, HttpClient, HttpError, RetryPolicy};

/// `CreateCluster`: cluster this instance (`local_server`) with another one. The keys are the
/// *remote* instance's API key pair.
#[derive(Clone, PartialEq, Eq)]
pub struct CreateCluster {
    pub remote_server: String,
    pub local_server: String,
    pub port: u16,
    pub public_key: String,
    pub private_key: String,
}

/// `AlterCluster`: move the cluster to another remote address or port (e.g. 81 → 444 for TLS),
/// or rotate the remote instance's keys. Every field is required by the API.
#[derive(Clone, PartialEq, Eq)]
pub struct AlterCluster {
    pub remote_server: String,
    pub port: u16,
    pub public_key: String,
    pub private_key: String,
}

/// `DeleteCluster`: dissolve the cluster; `standalone_server` stays primary. The keys are needed
/// only when the call goes to the server that is leaving the cluster.
#[derive(Clone, PartialEq, Eq)]
pub struct DeleteCluster {
    pub standalone_server: String,
    pub keys: Option<(String, String)>,
}

// Debug by hand: these bodies carry key material.
impl fmt::Debug for CreateCluster {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CreateCluster")
            .field("remote_server", &self.remote_server)
            .field("local_server", &self.local_server)
            .field("port", &self.port)
            .field("public_key", &self.public_key)
            .finish_non_exhaustive()
    }
}

impl fmt::Debug for AlterCluster {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AlterCluster")
            .field("remote_server", &self.remote_server)
            .field("port", &self.port)
            .field("public_key", &self.public_key)
            .finish_non_exhaustive()
    }
}

impl fmt::Debug for DeleteCluster {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DeleteCluster")
            .field("standalone_server", &self.standalone_server)
            .field("with_keys", &self.keys.is_some())
            .finish()
    }
}

impl CreateCluster {
    fn body(&self) -> ActionBody {
        ActionBody::new("CreateCluster")
            .text("remoteServer", &self.remote_server)
            .text("localServer", &self.local_server)
            .int("port", i64::from(self.port))
            .text("publicKey", &self.public_key)
            .text("privateKey", &self.private_key)
    }
}

impl AlterCluster {
    fn body(&self) -> ActionBody {
        ActionBody::new("AlterCluster")
            .text("remoteServer", &self.remote_server)
            .int("port", i64::from(self.port))
            .text("publicKey", &self.public_key)
            .text("privateKey", &self.private_key)
    }
}

/// `ActivateInstance`: the first call an instance gets. Unsigned; answered with the
/// administrator's key pair.
#[derive(Clone, PartialEq, Eq)]
pub struct ActivateInstance {
    pub instance_id: String,
    pub email: String,
    pub password: String,
    pub is_production: bool,
    pub company: Option<String>,
    pub contact_person: Option<String>,
    pub activation_key: Option<String>,
    pub agree_to_eula: bool,
}

impl fmt::Debug for ActivateInstance {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ActivateInstance")
            .field("instance_id", &self.instance_id)
            .field("email", &self.email)
            .field("is_production", &self.is_production)
            .field("with_activation_key", &self.activation_key.is_some())
            .finish_non_exhaustive()
    }
}

impl ActivateInstance {
    fn body(&self) -> ActionBody {
        let mut body = ActionBody::new("ActivateInstance")
            .text("email", &self.email)
            .text("instanceId", &self.instance_id)
            .text("password", &self.password)
            .flag("isProduction", self.is_production);
        for (name, value) in [
            ("company", &self.company),
            ("contactPerson", &self.contact_person),
            ("activationKey", &self.activation_key),
        ] {
            if let Some(v) = value {
                body = body.text(name, v);
            }
        }
        body.flag("agreeToEula", self.agree_to_eula)
    }
}

/// The key pair an activation returned: `publicKey` signs as the access key, `privateKey` is its
/// secret.
#[derive(Clone, PartialEq, Eq)]
pub struct KeyPair {
    pub public_key: String,
    pub private_key: String,
}

impl fmt::Debug for KeyPair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyPair")
            .field("public_key", &self.public_key)
            .finish_non_exhaustive()
    }
}

/// Which half of the provider's key pair is not set, for the error of a signed call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MissingKeys {
    pub access_key: bool,
    pub secret_key: bool,
}

impl MissingKeys {
    fn text(self) -> &'static str {
        match (self.access_key, self.secret_key) {
            (true, true) => "neither access_key nor secret_key is set",
            (true, false) => "access_key is not set",
            _ => "secret_key is not set",
        }
    }
}

impl DeleteCluster {
    fn body(&self) -> ActionBody {
        let body =
            ActionBody::new("DeleteCluster").text("standaloneServer", &self.standalone_server);
        match &self.keys {
            Some((public, private)) => body.text("publicKey", public).text("privateKey", private),
            None => body,
        }
    }
}

/// What a call can fail with. Messages never contain the secret key or key material from
/// request bodies; they carry the API's own words and its request id.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 400 and other 4xx: the API refused the input. `problems` name the API fields.
    #[error(
        "CloudBasic rejected {action} (HTTP {status}{}): {}",
        request_id_text(request_id),
        problems_text(problems)
    )]
    Rejected {
        action: &'static str,
        status: u16,
        request_id: Option<String>,
        problems: Vec<Problem>,
    },

    /// 401/403: the signature or the key was not accepted.
    #[error(
        "CloudBasic refused the request signature for {action} (HTTP {status}{}): {}. Check \
         access_key and secret_key (an ActivateInstance or CreateUser key pair of this instance), \
         region, signing_service, and the clock of this machine",
        request_id_text(request_id),
        problems_text(problems)
    )]
    Unauthorized {
        action: &'static str,
        status: u16,
        request_id: Option<String>,
        problems: Vec<Problem>,
    },

    /// 5xx (after retries where retrying is safe) or an unexpected status.
    #[error(
        "CloudBasic failed {action} (HTTP {status}{}): {}",
        request_id_text(request_id),
        problems_text(problems)
    )]
    Server {
        action: &'static str,
        status: u16,
        request_id: Option<String>,
        problems: Vec<Problem>,
    },

    /// A success status with a body that is no answer of this API (a proxy's page, a body cut
    /// off): whether the action was applied is unknown.
    #[error(
        "CloudBasic answered {action} with HTTP {status}, but with a body that is not an answer of its API: whether {action} was applied is unknown"
    )]
    Unreadable { action: &'static str, status: u16 },

    /// Transport or configuration failure of the HTTP layer.
    #[error(transparent)]
    Http(#[from] HttpError),

    /// The request could not be signed (never carries key material).
    #[error(transparent)]
    Signing(#[from] signing::SigningError),

    /// A signed action without the provider's key pair: nothing was sent.
    #[error(
        "{action} must be signed with the local instance's API key pair, but {}. Set `access_key` and \
         `secret_key` in the provider block (for an instance activated in the same configuration: \
         `cloudbasic_instance.<name>.access_key` and `.secret_key`) or the environment variables \
         CLOUDBASIC_ACCESS_KEY and CLOUDBASIC_SECRET_KEY. No request was sent",
        missing.text()
    )]
    MissingCredentials {
        action: &'static str,
        missing: MissingKeys,
    },

    /// A success answer that lacks what the action returns (ActivateInstance's key pair): the
    /// action was applied, but its result is lost.
    #[error(
        "CloudBasic answered {action} with HTTP {status}{}, but the answer has no {missing}",
        request_id_text(request_id)
    )]
    Incomplete {
        action: &'static str,
        status: u16,
        request_id: Option<String>,
        missing: &'static str,
    },
}

fn request_id_text(id: &Option<String>) -> String {
    id.as_ref()
        .map(|id| format!(", request id {id}"))
        .unwrap_or_default()
}

fn problems_text(problems: &[Problem]) -> String {
    if problems.is_empty() {
        return "no message".to_string();
    }
    problems
        .iter()
        .map(Problem::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

impl ApiError {
    pub fn is_cancelled(&self) -> bool {
        matches!(self, ApiError::Http(e) if e.is_cancelled())
    }

    /// The problems the API reported, if it answered at all.
    pub fn problems(&self) -> &[Problem] {
        match self {
            ApiError::Rejected { problems, .. }
            | ApiError::Unauthorized { problems, .. }
            | ApiError::Server { problems, .. } => problems,
            ApiError::Http(_)
            | ApiError::Signing(_)
            | ApiError::Unreadable { .. }
            | ApiError::MissingCredentials { .. }
            | ApiError::Incomplete { .. } => &[],
        }
    }

    pub fn request_id(&self) -> Option<&str> {
        match self {
            ApiError::Rejected { request_id, .. }
            | ApiError::Unauthorized { request_id, .. }
            | ApiError::Server { request_id, .. }
            | ApiError::Incomplete { request_id, .. } => request_id.as_deref(),
            ApiError::Http(_)
            | ApiError::Signing(_)
            | ApiError::Unreadable { .. }
            | ApiError::MissingCredentials { .. } => None,
        }
    }

    /// True when the request may have reached the API and been acted on without a usable
    /// answer: a 5xx (not 501 or 505, which say the request can never work), a timeout or a
    /// connection dropped after sending, a success body that is no answer. A refused
    /// connection, a 4xx or a readable answer is not ambiguous.
    pub fn outcome_unknown(&self) -> bool {
        match self {
            ApiError::Http(HttpError::Transport { kind, .. }) => !matches!(
                kind,
                crate::http::TransportKind::Connect | crate::http::TransportKind::Certificate
            ),
            ApiError::Server { status, .. } => {
                (500..=599).contains(status) && !matches!(status, 501 | 505)
            }
            ApiError::Unreadable { .. } => true,
            _ => false,
        }
    }

    /// True when the request never reached the API (the connection was refused, after the HTTP
    /// layer's own retries).
    pub fn never_sent(&self) -> bool {
        matches!(
            self,
            ApiError::Http(HttpError::Transport {
                kind: crate::http::TransportKind::Connect,
                ..
            })
        )
    }

    /// The API's refusal of a DeleteCluster because the instance has no cluster (`This instance
    /// is not part of a cluster`): what a delete finds when the cluster is already gone, for
    /// example after a tainted create that never reached the API.
    pub fn not_clustered(&self) -> bool {
        let ApiError::Rejected {
            status: 400,
            problems,
            ..
        } = self
        else {
            return false;
        };
        problems.iter().any(|p| {
            let message = p.message.to_ascii_lowercase();
            message.contains("not part of a cluster")
                || message.contains("not clustered")
                || message.contains("no cluster")
        })
    }

    /// The API's refusal of an ActivateInstance because the instance was activated before: a 400
    /// with a problem on `InstanceId` that says "already".
    pub fn already_activated(&self) -> Option<&Problem> {
        self.rejected_on("InstanceId", "already")
    }

    /// A 400 problem on API field `field` whose message contains `word`.
    fn rejected_on(&self, field: &str, word: &str) -> Option<&Problem> {
        let ApiError::Rejected {
            status: 400,
            problems,
            ..
        } = self
        else {
            return None;
        };
        problems.iter().find(|p| {
            p.field
                .as_deref()
                .is_some_and(|f| f.eq_ignore_ascii_case(field))
                && p.message.to_ascii_lowercase().contains(word)
        })
    }

    /// The API's refusal of a CreateCluster because the local server already has a cluster:
    /// a 400 with a problem on `LocalServer` that says "already" (`{LocalServer}:This instance
    /// is already clustered with …`, `… is already part of a cluster`).
    pub fn already_clustered(&self) -> Option<&Problem> {
        self.rejected_on("LocalServer", "already")
    }
}

/// Everything the client needs besides the HTTP client itself. The key pair is optional until a
/// signed call needs it: ActivateInstance, which creates it, needs none.
#[derive(Clone, Debug)]
pub struct ClientSettings {
    pub credentials: Result<Credentials, MissingKeys>,
    pub scope: Scope,
    pub format: PayloadFormat,
}

/// The time a signature is made at; tests step it to tell attempts apart.
type Clock = Arc<dyn Fn() -> SystemTime + Send + Sync>;

/// One per provider process; cheap to clone.
#[derive(Clone)]
pub struct CloudBasicClient {
    http: HttpClient,
    settings: ClientSettings,
    clock: Clock,
}

impl fmt::Debug for CloudBasicClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CloudBasicClient")
            .field("http", &self.http)
            .field("settings", &self.settings)
            .finish()
    }
}

impl CloudBasicClient {
    pub fn new(http: HttpClient, settings: ClientSettings) -> Self {
        CloudBasicClient {
            http,
            settings,
            clock: Arc::new(SystemTime::now),
        }
    }

    #[cfg(test)]
    fn with_clock(mut self, clock: impl Fn() -> SystemTime + Send + Sync + 'static) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    pub fn format(&self) -> PayloadFormat {
        self.settings.format
    }

    /// The provider's `endpoint`, as the HTTP client joins paths to it.
    pub fn endpoint(&self) -> &str {
        self.http.base_url()
    }

    /// Activates an instance at `endpoint` (its API base URL; the provider's when `None`). A
    /// repeat would be refused as already activated, so the HTTP layer sends it once (again only
    /// when the connection was never made). An answer without both keys is an error: the keys
    /// cannot be asked for again.
    pub async fn activate_instance(
        &self,
        endpoint: Option<&str>,
        request: &ActivateInstance,
        cancel: &CancellationToken,
    ) -> Result<KeyPair, ApiError> {
        secrets::register(&request.password);
        if let Some(key) = &request.activation_key {
            secrets::register(key);
        }
        let http = match endpoint {
            Some(url) if url.trim_end_matches('/') != self.http.base_url() => {
                self.http.with_base_url(url)?
            }
            _ => self.http.clone(),
        };
        let action = "ActivateInstance";
        let (status, answer) = self
            .call_on(
                &http,
                request.body(),
                Signing::None,
                RetryPolicy::NotIdempotent,
                cancel,
            )
            .await?;
        if answer.unreadable {
            return Err(ApiError::Unreadable {
                action,
                status: status.as_u16(),
            });
        }
        let incomplete = |missing| ApiError::Incomplete {
            action,
            status: status.as_u16(),
            request_id: answer.request_id.clone(),
            missing,
        };
        let public_key = answer
            .value("publicKey")
            .ok_or_else(|| incomplete("publicKey"))?;
        let private_key = answer
            .value("privateKey")
            .ok_or_else(|| incomplete("privateKey"))?;
        secrets::register(private_key);
        Ok(KeyPair {
            public_key: public_key.to_string(),
            private_key: private_key.to_string(),
        })
    }

    /// A repeated CreateCluster would find the instance already clustered, so the HTTP layer
    /// sends it once (again only when the connection was never made); what to do after an
    /// ambiguous answer ([`ApiError::outcome_unknown`]) is the caller's decision. A success
    /// whose body is no answer of the API is such an ambiguous answer.
    pub async fn create_cluster(
        &self,
        request: &CreateCluster,
        cancel: &CancellationToken,
    ) -> Result<(), ApiError> {
        secrets::register(&request.private_key);
        let (status, answer) = self
            .call(request.body(), RetryPolicy::NotIdempotent, cancel)
            .await?;
        if answer.unreadable {
            return Err(ApiError::Unreadable {
                action: "CreateCluster",
                status: status.as_u16(),
            });
        }
        Ok(())
    }

    /// Setting the same remote, port and keys twice leaves the same cluster: safe to retry.
    pub async fn alter_cluster(
        &self,
        request: &AlterCluster,
        cancel: &CancellationToken,
    ) -> Result<(), ApiError> {
        secrets::register(&request.private_key);
        self.call(request.body(), RetryPolicy::Idempotent, cancel)
            .await
            .map(drop)
    }

    /// A repeated DeleteCluster would find no cluster left and fail, so it is sent once.
    pub async fn delete_cluster(
        &self,
        request: &DeleteCluster,
        cancel: &CancellationToken,
    ) -> Result<(), ApiError> {
        if let Some((_, private_key)) = &request.keys {
            secrets::register(private_key);
        }
        self.call(request.body(), RetryPolicy::NotIdempotent, cancel)
            .await
            .map(drop)
    }

    /// Sends one signed action to the provider's endpoint.
    async fn call(
        &self,
        body: ActionBody,
        retry: RetryPolicy,
        cancel: &CancellationToken,
    ) -> Result<(StatusCode, Answer), ApiError> {
        let credentials =
            self.settings
                .credentials
                .as_ref()
                .map_err(|missing| ApiError::MissingCredentials {
                    action: body.action,
                    missing: *missing,
                })?;
        self.call_on(&self.http, body, Signing::With(credentials), retry, cancel)
            .await
    }

    /// Sends one action through `http`; a success comes back with its status and what its body
    /// says.
    async fn call_on(
        &self,
        http: &HttpClient,
        body: ActionBody,
        signing: Signing<'_>,
        retry: RetryPolicy,
        cancel: &CancellationToken,
    ) -> Result<(StatusCode, Answer), ApiError> {
        let action = body.action;
        let format = self.settings.format;
        let path = format!("/api/{action}");
        let content_type = format.content_type();
        let request = http
            .post(&path)
            .header(CONTENT_TYPE, content_type)
            .body(body.encode(format));
        // Signed per attempt, over the request exactly as it goes on the wire.
        let sign_attempt = |request: &mut reqwest::Request| -> Result<(), ApiError> {
            let Signing::With(credentials) = signing else {
                tracing::debug!(action, %format, "calling CloudBasic (unsigned)");
                return Ok(());
            };
            let host = authority(request.url());
            let body = request
                .body()
                .and_then(reqwest::Body::as_bytes)
                .unwrap_or_default();
            let signed = signing::sign(
                &signing::Request {
                    method: "POST",
                    path: request.url().path(),
                    query: request.url().query(),
                    headers: &[("host", &host), ("content-type", content_type)],
                    body,
                    content_sha256_header: true,
                },
                credentials,
                &self.settings.scope,
                (self.clock)(),
            )?;
            let mut authorization = header_value(&signed.authorization)?;
            authorization.set_sensitive(true);
            let headers = request.headers_mut();
            // Host is set explicitly so that what goes on the wire is exactly what was signed.
            headers.insert(HOST, header_value(&host)?);
            headers.insert(AMZ_DATE, header_value(&signed.amz_date)?);
            headers.insert(AMZ_CONTENT_SHA256, header_value(&signed.content_sha256)?);
            headers.insert(AUTHORIZATION, authorization);
            tracing::debug!(action, %format, signed_headers = %signed.signed_headers, amz_date = %signed.amz_date, "calling CloudBasic");
            Ok(())
        };
        let response = http.send_with(request, sign_attempt, retry, cancel).await?;
        // Scrubbed before it is read as well as after: the reader shortens long texts, which
        // could cut a secret in two and leave half of it unrecognisable.
        let body = String::from_utf8_lossy(&response.body);
        let answer = read_answer(
            secrets::scrub(&body).as_bytes(),
            response.header("content-type"),
        );
        let status = response.status;
        tracing::debug!(action, status = status.as_u16(), request_id = ?answer.request_id, "CloudBasic answered");
        if status.is_success() {
            return Ok((status, answer));
        }
        // Problems are read from the body by this client, not by the HTTP room: scrubbed here.
        let mut problems: Vec<Problem> = answer
            .problems
            .into_iter()
            .map(|problem| Problem {
                field: problem.field.map(|f| secrets::scrub(&f).into_owned()),
                message: secrets::scrub(&problem.message).into_owned(),
            })
            .collect();
        if problems.is_empty() {
            // Not CloudBasic's error shape (a proxy page, an empty body): still give the words.
            problems.push(Problem {
                field: None,
                message: error_message(&response.body).unwrap_or_else(|| {
                    status
                        .canonical_reason()
                        .unwrap_or("no message")
                        .to_string()
                }),
            });
        }
        let request_id = answer.request_id.map(|id| secrets::scrub(&id).into_owned());
        Err(match status {
            StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => ApiError::Unauthorized {
                action,
                status: status.as_u16(),
                request_id,
                problems,
            },
            s if s.is_client_error() => ApiError::Rejected {
                action,
                status: s.as_u16(),
                request_id,
                problems,
            },
            s => ApiError::Server {
                action,
                status: s.as_u16(),
                request_id,
                problems,
            },
        })
    }
}

/// Whether a call is signed, and with which key pair.
#[derive(Clone, Copy)]
enum Signing<'a> {
    None,
    With(&'a Credentials),
}

fn header_value(text: &str) -> Result<HeaderValue, signing::SigningError> {
    HeaderValue::from_str(text).map_err(|_| {
        signing::SigningError::Sign("the signer produced a value that is not a valid header".into())
    })
}

/// `host[:port]` as the HTTP client sends it in `Host` (the port only when not the scheme's
/// default; IPv6 hosts in brackets).
fn authority(url: &reqwest::Url) -> String {
    let host = url.host_str().unwrap_or_default();
    match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::testing::{Recorded, Reply, TestServer};
    use crate::http::HttpSettings;
    use std::time::Duration;

    const SECRET: &str = "s3cret/Key+Value";

    async fn setup(format: PayloadFormat, replies: Vec<Reply>) -> (TestServer, CloudBasicClient) {
        let server = TestServer::script(replies).await;
        let http = HttpClient::new(HttpSettings {
            base_url: format!("{}/cloudbasic", server.base),
            retry_base: Duration::from_millis(5),
            retry_cap: Duration::from_millis(20),
            ..HttpSettings::default()
        })
        .unwrap();
        let client = CloudBasicClient::new(
            http,
            ClientSettings {
                credentials: Ok(Credentials::new("PUBKEY", SECRET)),
                scope: Scope {
                    region: "us-east-1".into(),
                    service: "cloudbasic".into(),
                },
                format,
            },
        );
        (server, client)
    }

    fn create() -> CreateCluster {
        CreateCluster {
            remote_server: "10.0.0.2".into(),
            local_server: "10.0.0.1".into(),
            port: 81,
            public_key: "REMOTEPUB".into(),
            private_key: "remote-private".into(),
        }
    }

    fn header<'a>(r: &'a Recorded, name: &str) -> &'a str {
        r.header(name)
            .unwrap_or_else(|| panic!("no {name} header in {r:?}"))
    }

    #[tokio::test]
    async fn create_is_a_signed_json_post() {
        let (server, client) = setup(
            PayloadFormat::Json,
            vec![Reply::json(200, r#"{"requestId":1}"#)],
        )
        .await;
        client
            .create_cluster(&create(), &CancellationToken::new())
            .await
            .unwrap();
        let r = &server.requests()[0];
        assert_eq!(r.method, "POST");
        assert_eq!(r.path, "/cloudbasic/api/CreateCluster");
        assert_eq!(header(r, "content-type"), "application/json");
        assert_eq!(
            r.json(),
            serde_json::json!({"remoteServer":"10.0.0.2","localServer":"10.0.0.1","port":81,"publicKey":"REMOTEPUB","privateKey":"remote-private"})
        );
        assert_eq!(
            header(r, "x-amz-content-sha256"),
            signing::sha256_hex(&r.body)
        );
        let authz = header(r, "authorization");
        assert!(
            authz.starts_with("AWS4-HMAC-SHA256 Credential=PUBKEY/"),
            "{authz}"
        );
        assert!(
            authz.contains("/us-east-1/cloudbasic/aws4_request, "),
            "{authz}"
        );
        assert!(
            authz.contains("SignedHeaders=content-type;host;x-amz-content-sha256;x-amz-date, "),
            "{authz}"
        );
        assert_eq!(header(r, "host"), server.base.trim_start_matches("http://"));
        assert!(!format!("{r:?}").contains(SECRET));
    }

    /// The signature the client sends is the one the simulator's independent verifier computes.
    #[tokio::test]
    async fn signature_verifies_independently() {
        let (server, client) = setup(PayloadFormat::Xml, vec![Reply::status(200)]).await;
        let alter = AlterCluster {
            remote_server: "db-b.internal".into(),
            port: 444,
            public_key: "REMOTEPUB".into(),
            private_key: "remote-private".into(),
        };
        client
            .alter_cluster(&alter, &CancellationToken::new())
            .await
            .unwrap();
        let r = &server.requests()[0];
        let headers: Vec<(String, String)> = r.headers.clone();
        let verified = crate::sim::cloudbasic::sigv4::verify(
            &crate::sim::cloudbasic::sigv4::Incoming {
                method: &r.method,
                path: &r.path,
                query: None,
                headers: &headers,
                body: &r.body,
            },
            |key| (key == "PUBKEY").then(|| SECRET.to_string()),
            SystemTime::now(),
        );
        assert!(verified.is_ok(), "{verified:?}");
        assert_eq!(
            String::from_utf8_lossy(&r.body),
            "<AlterClusterRequest><RemoteServer>db-b.internal</RemoteServer><Port>444</Port>\
             <PublicKey>REMOTEPUB</PublicKey><PrivateKey>remote-private</PrivateKey></AlterClusterRequest>"
        );
        assert_eq!(header(r, "content-type"), "application/xml");
    }

    #[tokio::test]
    async fn delete_sends_keys_only_when_given() {
        let (server, client) = setup(
            PayloadFormat::Json,
            vec![Reply::status(200), Reply::status(200)],
        )
        .await;
        let cancel = CancellationToken::new();
        client
            .delete_cluster(
                &DeleteCluster {
                    standalone_server: "10.0.0.1".into(),
                    keys: None,
                },
                &cancel,
            )
            .await
            .unwrap();
        client
            .delete_cluster(
                &DeleteCluster {
                    standalone_server: "10.0.0.2".into(),
                    keys: Some(("P".into(), "S".into())),
                },
                &cancel,
            )
            .await
            .unwrap();
        let r = server.requests();
        assert_eq!(r[0].path, "/cloudbasic/api/DeleteCluster");
        assert_eq!(
            r[0].json(),
            serde_json::json!({"standaloneServer": "10.0.0.1"})
        );
        assert_eq!(
            r[1].json(),
            serde_json::json!({"standaloneServer": "10.0.0.2", "publicKey": "P", "privateKey": "S"})
        );
    }

    #[tokio::test]
    async fn json_validation_errors_name_fields_and_carry_the_request_id() {
        let (server, client) = setup(
            PayloadFormat::Json,
            vec![Reply::json(
                400,
                r#"{"errors":["{RemoteServer}:Invalid value for RemoteServer"],"requestId":20}"#,
            )],
        )
        .await;
        let err = client
            .create_cluster(&create(), &CancellationToken::new())
            .await
            .unwrap_err();
        assert_eq!(server.count(), 1);
        assert_eq!(err.request_id(), Some("20"));
        assert_eq!(err.problems()[0].field.as_deref(), Some("RemoteServer"));
        let text = err.to_string();
        assert!(text.contains("request id 20"), "{text}");
        assert!(
            text.contains("RemoteServer: Invalid value for RemoteServer"),
            "{text}"
        );
        assert!(matches!(err, ApiError::Rejected { status: 400, .. }));
    }

    #[tokio::test]
    async fn xml_errors_and_refused_signatures() {
        let (_server, client) = setup(
            PayloadFormat::Xml,
            vec![Reply::status(403)
                .header("Content-Type", "application/xml")
                .body("<Error><RequestId>9</RequestId><Message>The request signature does not match</Message></Error>")],
        )
        .await;
        let err = client
            .create_cluster(&create(), &CancellationToken::new())
            .await
            .unwrap_err();
        assert!(
            matches!(err, ApiError::Unauthorized { status: 403, .. }),
            "{err:?}"
        );
        let text = err.to_string();
        assert!(
            text.contains("request id 9") && text.contains("signature does not match"),
            "{text}"
        );
        assert!(!text.contains(SECRET));
    }

    #[tokio::test]
    async fn alter_is_retried_create_is_not() {
        let (server, client) = setup(
            PayloadFormat::Json,
            vec![Reply::status(503), Reply::status(200), Reply::status(503)],
        )
        .await;
        let cancel = CancellationToken::new();
        let alter = AlterCluster {
            remote_server: "10.0.0.3".into(),
            port: 81,
            public_key: "P".into(),
            private_key: "S".into(),
        };
        client.alter_cluster(&alter, &cancel).await.unwrap();
        assert_eq!(server.count(), 2);
        let err = client.create_cluster(&create(), &cancel).await.unwrap_err();
        assert!(
            matches!(err, ApiError::Server { status: 503, .. }),
            "{err:?}"
        );
        assert_eq!(server.count(), 3);
        assert!(err.to_string().contains("Service Unavailable"), "{err}");
    }

    /// A retry is signed again: a new `X-Amz-Date` and signature, not the first attempt's.
    #[tokio::test]
    async fn every_attempt_is_signed_afresh() {
        let (server, client) = setup(
            PayloadFormat::Json,
            vec![Reply::status(503), Reply::status(200)],
        )
        .await;
        // Each signature is made one second after the previous one.
        let start = SystemTime::now();
        let ticks = std::sync::atomic::AtomicU64::new(0);
        let client = client.with_clock(move || {
            let n = ticks.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            start + Duration::from_secs(n)
        });
        let alter = AlterCluster {
            remote_server: "10.0.0.3".into(),
            port: 81,
            public_key: "REMOTEPUB".into(),
            private_key: "remote-private".into(),
        };
        client
            .alter_cluster(&alter, &CancellationToken::new())
            .await
            .unwrap();
        let r = server.requests();
        assert_eq!(r.len(), 2);
        assert_ne!(header(&r[0], "x-amz-date"), header(&r[1], "x-amz-date"));
        assert_ne!(
            header(&r[0], "authorization"),
            header(&r[1], "authorization")
        );
        assert_eq!(r[0].body, r[1].body);
        for request in &r {
            let verified = crate::sim::cloudbasic::sigv4::verify(
                &crate::sim::cloudbasic::sigv4::Incoming {
                    method: &request.method,
                    path: &request.path,
                    query: None,
                    headers: &request.headers,
                    body: &request.body,
                },
                |key| (key == "PUBKEY").then(|| SECRET.to_string()),
                SystemTime::now(),
            );
            assert!(verified.is_ok(), "{verified:?}");
        }
    }

    /// Without a key pair, a signed action fails before sending; the unsigned activation works.
    #[tokio::test]
    async fn signed_calls_need_the_key_pair_activation_does_not() {
        let server = TestServer::script(vec![Reply::json(
            200,
            r#"{"publicKey":"PK","privateKey":"SK","requestId":1}"#,
        )])
        .await;
        let http = HttpClient::new(HttpSettings {
            base_url: server.base.clone(),
            ..HttpSettings::default()
        })
        .unwrap();
        let client = CloudBasicClient::new(
            http,
            ClientSettings {
                credentials: Err(MissingKeys {
                    access_key: true,
                    secret_key: false,
                }),
                scope: Scope {
                    region: "us-east-1".into(),
                    service: "cloudbasic".into(),
                },
                format: PayloadFormat::Xml,
            },
        );
        let cancel = CancellationToken::new();
        let err = client.create_cluster(&create(), &cancel).await.unwrap_err();
        assert!(
            matches!(err, ApiError::MissingCredentials { .. }),
            "{err:?}"
        );
        let text = err.to_string();
        for needle in [
            "access_key is not set",
            "`secret_key`",
            "CLOUDBASIC_ACCESS_KEY",
            "CLOUDBASIC_SECRET_KEY",
        ] {
            assert!(text.contains(needle), "{needle}: {text}");
        }
        assert_eq!(server.count(), 0);

        let request = ActivateInstance {
            instance_id: "i-1".into(),
            email: "a@b".into(),
            password: "pw".into(),
            is_production: true,
            company: None,
            contact_person: Some("Ann".into()),
            activation_key: None,
            agree_to_eula: true,
        };
        let keys = client
            .activate_instance(None, &request, &cancel)
            .await
            .unwrap();
        assert_eq!(
            (keys.public_key.as_str(), keys.private_key.as_str()),
            ("PK", "SK")
        );
        let r = &server.requests()[0];
        assert!(r.header("authorization").is_none());
        assert_eq!(
            String::from_utf8_lossy(&r.body),
            "<ActivateInstanceRequest><Email>a@b</Email><InstanceId>i-1</InstanceId>\
             <Password>pw</Password><IsProduction>true</IsProduction>\
             <ContactPerson>Ann</ContactPerson><AgreeToEula>true</AgreeToEula></ActivateInstanceRequest>"
        );
        assert!(!format!("{request:?}").contains("pw\""));
    }

    #[tokio::test]
    async fn cancelled_calls_send_nothing() {
        let (server, client) = setup(PayloadFormat::Json, vec![Reply::status(200)]).await;
        let cancel = CancellationToken::new();
        cancel.cancel();
        let err = client.create_cluster(&create(), &cancel).await.unwrap_err();
        assert!(err.is_cancelled());
        assert_eq!(server.count(), 0);
    }

    #[test]
    fn authority_keeps_non_default_ports_and_ipv6_brackets() {
        let u = reqwest::Url::parse("http://[::1]:82/x").unwrap();
        assert_eq!(authority(&u), "[::1]:82");
        let u = reqwest::Url::parse("https://h.example.com:443/").unwrap();
        assert_eq!(authority(&u), "h.example.com");
    }
}
