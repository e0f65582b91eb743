//! `data "redis_node"`: a node's own view of itself (`GET /v1/bootstrap`), before and after
//! bootstrap, so a module can pick `node_addr` from the addresses the node reports and check
//! that a node is idle before bootstrapping it.
//!
//! The read is anonymous until someone gives credentials (the data source's own pair, else the
//! provider's); a node that already belongs to a cluster needs them, and says so with a 401. A
//! node whose services are still starting (503, 429, refused connection) is asked again for
//! [`STARTUP_GRACE`], as `redis_bootstrap` does before its first POST.

use std::time::{Duration, Instant};

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use super::addresses::NodeAddress;
use super::client::{ApiError, BootstrapInfo, Credentials, NodeClient, RedisClient};
use super::provider::UNTRUSTED_CERTIFICATE_HINT;
use super::schema::endpoint_problem;
use super::start::{ROUNDS, STARTUP_GRACE};
use crate::framework::poll::{wait_until, Backoff, Misses, Poll, WaitError};
use crate::framework::schema::{list_of, number, string, Schema};
use crate::framework::settings::Configured;
use crate::framework::validators::{not_empty, Check};
use crate::framework::{AttrPath, Ctx, DataSource, Diagnostic, Diagnostics, Type, Value};

pub struct NodeDataSource {
    client: Configured<RedisClient>,
}

impl NodeDataSource {
    pub fn new(client: Configured<RedisClient>) -> Self {
        NodeDataSource { client }
    }
}

/// One field per schema attribute.
#[derive(Serialize, Deserialize, Default, Clone, PartialEq)]
#[serde(default)]
pub struct Node {
    pub id: Option<String>,
    pub endpoint: Option<String>,
    pub username: Option<String>,
    pub password: Option<String>,
    pub state: Option<String>,
    pub start_time: Option<String>,
    pub end_time: Option<String>,
    pub error_code: Option<String>,
    pub error_message: Option<String>,
    pub uid: Option<String>,
    pub software_version: Option<String>,
    pub cores: Option<u64>,
    pub total_memory: Option<u64>,
    pub persistent_storage_path: Option<String>,
    pub ephemeral_storage_path: Option<String>,
    pub available_addrs: Option<Vec<Address>>,
}

/// Written by hand so the password cannot reach a log line through `{:?}`.
impl std::fmt::Debug for Node {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Node")
            .field("endpoint", &self.endpoint)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "<redacted>"))
            .field("state", &self.state)
            .field("uid", &self.uid)
            .finish_non_exhaustive()
    }
}

/// One element of `available_addrs`.
#[derive(Serialize, Deserialize, Default, Clone, Debug, PartialEq)]
#[serde(default)]
pub struct Address {
    pub address: Option<String>,
    pub format: Option<String>,
    pub if_name: Option<String>,
    pub private: Option<bool>,
}

impl From<&NodeAddress> for Address {
    fn from(a: &NodeAddress) -> Self {
        Address {
            address: Some(a.address.clone()),
            format: a.format.clone(),
            if_name: a.if_name.clone(),
            private: a.private,
        }
    }
}

fn address_type() -> Type {
    Type::object([
        ("address", Type::String),
        ("format", Type::String),
        ("if_name", Type::String),
        ("private", Type::Bool),
    ])
}

impl Node {
    /// The configuration with everything the node reported filled in.
    pub fn from_info(config: Node, info: &BootstrapInfo) -> Node {
        let status = info.bootstrap_status.clone().unwrap_or_default();
        let local = info.local_node_info.clone().unwrap_or_default();
        let addresses = local.all_addresses();
        Node {
            id: config.endpoint.clone(),
            state: status.state.clone(),
            start_time: status.start_time.clone(),
            end_time: status.end_time.clone(),
            error_code: status.error_code.clone(),
            error_message: status.error_message(),
            uid: info.uid().map(str::to_string),
            software_version: local.software_version,
            cores: local.cores,
            total_memory: local.total_memory,
            persistent_storage_path: local.persistent_storage_path,
            ephemeral_storage_path: local.ephemeral_storage_path,
            available_addrs: Some(addresses.entries.iter().map(Address::from).collect()),
            ..config
        }
    }

    /// The data source's own credentials, when both halves are set.
    fn credentials(&self) -> Option<Credentials> {
        match (&self.username, &self.password) {
            (Some(u), Some(p)) if !u.is_empty() && !p.is_empty() => Some(Credentials {
                username: u.clone(),
                password: p.clone(),
            }),
            _ => None,
        }
    }
}

/// `GET /v1/bootstrap`, asked again while the node is not ready (for at most `grace`) and
/// through a few answers that got lost on the way.
pub async fn read_when_ready(
    ctx: &Ctx,
    node: &NodeClient,
    rounds: Backoff,
    grace: Duration,
) -> Result<BootstrapInfo, WaitError<ApiError>> {
    let since = Instant::now();
    let misses = Misses::default();
    let what = format!("{} to answer", node.endpoint());
    wait_until(ctx, &what, rounds, || async {
        match node.bootstrap_status(ctx.cancel_token()).await {
            Ok(info) => Ok(Poll::Ready(info)),
            Err(e) if e.node_not_ready() && since.elapsed() < grace => {
                tracing::info!(endpoint = %node.endpoint(), error = %e, "node not ready; asking again");
                Ok(Poll::Pending(format!("not ready ({e})")))
            }
            Err(e) if !e.node_not_ready() && misses.tolerate(e.is_transient()) => {
                Ok(Poll::Pending(format!("no usable answer ({e})")))
            }
            Err(e) => Err(e),
        }
    })
    .await
}

fn read_failure(endpoint: &str, sent_credentials: bool, e: &ApiError) -> Diagnostic {
    let mut detail = format!("{endpoint}: {e}");
    match e {
        ApiError::Unauthorized { .. } if sent_credentials => detail.push_str(
            "\n\nThe node belongs to a cluster whose admin credentials are not these: check username and password \
             of this data source (or of the provider block, REDIS_USERNAME and REDIS_PASSWORD, which it uses when it sets none).",
        ),
        ApiError::Unauthorized { .. } => detail.push_str(
            "\n\nThe node belongs to a cluster and answers only with its admin credentials: set username and password \
             on this data source, or in the provider block (or REDIS_USERNAME and REDIS_PASSWORD).",
        ),
        e if e.is_certificate_error() => detail.push_str(UNTRUSTED_CERTIFICATE_HINT),
        _ => {}
    }
    let diag = Diagnostic::error("Redis Enterprise: reading the node failed", detail);
    if matches!(e, ApiError::Unauthorized { .. }) {
        diag.at(AttrPath::root("username"))
    } else {
        diag.at(AttrPath::root("endpoint"))
    }
}

#[async_trait]
impl DataSource for NodeDataSource {
    type Model = Node;

    fn type_name(&self) -> &'static str {
        "redis_node"
    }

    fn schema(&self) -> Schema {
        Schema::new("A Redis Enterprise Software node's own view of itself (`GET /v1/bootstrap`), before and after bootstrap: its bootstrap state, resources and network addresses.")
            .attr("id", string().computed().describe("Equals `endpoint`."))
            .attr(
                "endpoint",
                string()
                    .required()
                    .validate(Check(endpoint_problem))
                    .describe("Base URL of the node's REST API, e.g. `https://node1.example.com:9443` (a path prefix is allowed)."),
            )
            .attr(
                "username",
                string().optional().validate(not_empty()).describe(
                    "Cluster administrator user. Needed once the node belongs to a cluster (before that the node answers anyone); defaults to the provider's `username`.",
                ),
            )
            .attr(
                "password",
                string()
                    .optional()
                    .sensitive()
                    .validate(not_empty())
                    .describe("Password of `username`; defaults to the provider's `password`. Set both or neither."),
            )
            .attr("state", string().computed().describe("Bootstrap state: `idle`, `initiated`, `creating_cluster`, `recovering_cluster`, `joining_cluster`, `error` or `completed`."))
            .attr("start_time", string().computed().describe("When the last bootstrap started, as the node reports it."))
            .attr("end_time", string().computed().describe("When the last bootstrap ended."))
            .attr("error_code", string().computed().describe("Why the last bootstrap failed (state `error`), e.g. `config_error` or `insufficient_node_memory`."))
            .attr("error_message", string().computed().describe("The node's words on the failure (`error_details.message`)."))
            .attr("uid", string().computed().describe("The node's uid in its cluster; null before bootstrap. Nodes send it as a number or a string; it is always a string here."))
            .attr("software_version", string().computed().describe("Redis Enterprise Software version, e.g. `7.4.2-54`."))
            .attr("cores", number().computed().describe("CPU cores."))
            .attr("total_memory", number().computed().describe("Memory in bytes."))
            .attr("persistent_storage_path", string().computed().describe("Where the node keeps persistent data."))
            .attr("ephemeral_storage_path", string().computed().describe("Where the node keeps ephemeral data."))
            .attr(
                "available_addrs",
                list_of(address_type()).computed().describe(
                    "The node's addresses, in the node's order: objects with `address`, `format` (`ipv4` or `ipv6`), `if_name` (network interface) and `private` (bool). \
                     Read from `available_addrs` or, on newer versions, `available_addresses`. An entry the node sends as a bare string has only `address` (the rest null). \
                     An entry that cannot be read at all fails the read, so the list is never silently shorter than the node's.",
                ),
            )
    }

    fn validate(&self, config: &Value, diags: &mut Diagnostics) {
        let given = |name: &str| match config.get(name) {
            None => Some(false),
            Some(v) if v.is_null() => Some(false),
            Some(v) if v.is_known() => Some(true),
            // Unknown: it may yet be null.
            Some(_) => None,
        };
        for (set, missing) in [("username", "password"), ("password", "username")] {
            if given(set) == Some(true) && given(missing) == Some(false) {
                diags.push(
                    Diagnostic::error(
                        format!("Missing {missing}"),
                        format!("{set} is set, so {missing} is needed too: set both (or neither, to use the provider's)."),
                    )
                    .at(AttrPath::root(missing)),
                );
            }
        }
    }

    async fn read(&self, ctx: &Ctx, config: Node) -> Result<Node, Diagnostics> {
        let client = self.client.get()?;
        let endpoint = config.endpoint.clone().unwrap_or_default();
        let credentials = config
            .credentials()
            .or_else(|| client.provider_credentials().cloned());
        let sent_credentials = credentials.is_some();
        let node = client
            .node(&endpoint, credentials)
            .map_err(|e| read_failure(&endpoint, sent_credentials, &e))?;
        let info = match read_when_ready(ctx, &node, ROUNDS, STARTUP_GRACE).await {
            Ok(info) => info,
            Err(WaitError::Check(e)) => {
                return Err(read_failure(&endpoint, sent_credentials, &e).into())
            }
            Err(stopped) => {
                return Err(Diagnostic::error(
                    "Redis Enterprise: reading the node did not finish",
                    format!("{endpoint}: {stopped}"),
                )
                .into())
            }
        };
        let local = info.local_node_info.clone().unwrap_or_default();
        let unreadable = local.all_addresses().unreadable;
        if !unreadable.is_empty() {
            return Err(Diagnostic::error(
                "Redis Enterprise: the node's address list cannot be read",
                format!(
                    "{endpoint} reported available_addrs entries that are neither an address object \
                     ({{address, format, if_name, private}}) nor an address string:\n  {}\n\n\
                     They are not left out, since a configuration that picks an address from the list would silently pick from a shorter one.",
                    unreadable.join("\n  ")
                ),
            )
            .at(AttrPath::root("available_addrs"))
            .into());
        }
        Ok(Node::from_info(config, &info))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::testing::{Reply, TestServer};
    use crate::http::{HttpClient, HttpSettings};
    use tokio_util::sync::CancellationToken;

    const IDLE: &str = r#"{"bootstrap_status":{"state":"idle"},
        "local_node_info":{"software_version":"7.4.2-54","cores":4,"total_memory":8589934592,
          "available_addrs":[{"address":"203.0.113.1","format":"ipv4","if_name":"eth1","private":false},
                             {"address":"10.0.0.1","format":"ipv4","if_name":"eth0","private":true}]}}"#;

    fn fast() -> Backoff {
        Backoff {
            first: Duration::from_millis(10),
            max: Duration::from_millis(20),
            factor: 2.0,
        }
    }

    /// A node client that sends each request once, so the replies map one to one.
    async fn node(replies: Vec<Reply>) -> (TestServer, NodeClient) {
        let server = TestServer::script(replies).await;
        let http = HttpClient::new(HttpSettings {
            max_attempts: 1,
            ..HttpSettings::default()
        })
        .unwrap();
        let node = RedisClient::new(http, None)
            .node(&server.base, None)
            .unwrap();
        (server, node)
    }

    fn ctx() -> Ctx {
        Ctx::new(&CancellationToken::new(), Duration::from_secs(10))
    }

    #[tokio::test]
    async fn a_starting_node_is_asked_again_within_the_grace() {
        let (server, node) = node(vec![
            Reply::json(503, r#"{"message":"services starting"}"#),
            Reply::json(503, r#"{"message":"services starting"}"#),
            Reply::json(200, IDLE),
        ])
        .await;
        let info = read_when_ready(&ctx(), &node, fast(), Duration::from_secs(5))
            .await
            .unwrap();
        assert_eq!(info.state(), Some("idle"));
        assert_eq!(server.count(), 3);

        let (_server, node) = node_always_503().await;
        let err = read_when_ready(&ctx(), &node, fast(), Duration::from_millis(50))
            .await
            .unwrap_err();
        assert!(
            matches!(err, WaitError::Check(ApiError::Server { status: 503, .. })),
            "{err}"
        );
    }

    async fn node_always_503() -> (TestServer, NodeClient) {
        node((0..200).map(|_| Reply::json(503, "{}")).collect()).await
    }

    #[tokio::test]
    async fn a_401_is_not_waited_out() {
        let (server, node) = node(vec![Reply::json(401, "{}")]).await;
        let err = read_when_ready(&ctx(), &node, fast(), Duration::from_secs(5))
            .await
            .unwrap_err();
        let WaitError::Check(e) = err else {
            panic!("{err}")
        };
        assert_eq!(server.count(), 1);
        let anonymous = read_failure("https://n1:9443", false, &e);
        assert!(
            anonymous.detail.contains("set username and password"),
            "{anonymous:?}"
        );
        let refused = read_failure("https://n1:9443", true, &e);
        assert!(
            refused.detail.contains("check username and password"),
            "{refused:?}"
        );
    }

    #[test]
    fn the_model_carries_what_the_node_reports() {
        let info: BootstrapInfo = serde_json::from_str(
            r#"{"bootstrap_status":{"state":"error","error_code":"config_error","error_details":{"message":"bad name"}},
                "local_node_info":{"uid":3,"cores":"4","total_memory":8589934592,
                  "available_addresses":[{"address":"10.0.0.3","format":"ipv4","if_name":"eth0","private":true},"10.0.9.9"]}}"#,
        )
        .unwrap();
        let config = Node {
            endpoint: Some("https://n3:9443".into()),
            password: Some("pw".into()),
            ..Node::default()
        };
        let m = Node::from_info(config, &info);
        assert_eq!(m.id.as_deref(), Some("https://n3:9443"));
        assert_eq!(m.password.as_deref(), Some("pw"));
        assert_eq!(m.uid.as_deref(), Some("3"));
        assert_eq!((m.cores, m.total_memory), (Some(4), Some(8_589_934_592)));
        assert_eq!(m.error_message.as_deref(), Some("bad name"));
        let addrs = m.available_addrs.unwrap();
        assert_eq!(addrs[0].private, Some(true));
        assert_eq!(addrs[1].address.as_deref(), Some("10.0.9.9"));
        assert_eq!(addrs[1].format, None);
        assert!(!format!(
            "{:?}",
            Node {
                password: Some("pw".into()),
                ..Node::default()
            }
        )
        .contains("pw\""));
    }
}
