//! `redis_bootstrap`: turns a freshly installed Redis Enterprise node into the first node of a
//! new cluster (`create_cluster`) or a member of an existing one (`join_cluster`).
//!
//! Create finds or starts the bootstrap (`start`: a bootstrap already running or done is
//! adopted, never posted twice, once `adopt` has checked it against the configuration) and polls
//! `GET /v1/bootstrap` until `completed` or `error`; Read finds the node by uid; Delete removes a joined node from its cluster and only
//! forgets a created one (no API dissolves a cluster).

use std::time::{Duration, Instant};

use async_trait::async_trait;

use super::adopt::{check_configuration, Verdict};
use super::client::{
    Action, ApiError, BootstrapInfo, Credentials, NodeClient, RedisClient, RemoveOutcome,
};
use super::model::{bootstrap_request, recover_settings, Bootstrap};
use super::provider::UNTRUSTED_CERTIFICATE_HINT;
use super::schema::{endpoint_problem, schema, validate_config};
use super::start::{is_running, start_or_adopt, StartError, Started, ROUNDS, STARTUP_GRACE};
use crate::framework::poll::{wait_until, Backoff, Misses, Poll, WaitError};
use crate::framework::schema::Schema;
use crate::framework::settings::Configured;
use crate::framework::{Ctx, Diagnostic, Diagnostics, Failure, Outcome, Resource, Value};

/// A node that accepted (or was already running) a bootstrap but still reports `idle` this long
/// afterwards never started one: waiting out the whole timeout would only hide that.
const IDLE_GRACE: Duration = Duration::from_secs(60);

/// Bootstraps take from seconds to minutes; there is no rate limit to respect.
const POLL: Backoff = Backoff {
    first: Duration::from_millis(500),
    max: Duration::from_secs(15),
    factor: 1.5,
};

pub struct BootstrapResource {
    client: Configured<RedisClient>,
}

impl BootstrapResource {
    pub fn new(client: Configured<RedisClient>) -> Self {
        BootstrapResource { client }
    }
}

// ---------------------------------------------------------------------------------------------
// Failures

/// Why a wait ended without the node being where we want it.
#[derive(Debug, thiserror::Error)]
enum WaitFailed {
    #[error(transparent)]
    Api(#[from] ApiError),
    #[error("the bootstrap ended in state error with error_code {code}: {message}")]
    Bootstrap { code: String, message: String },
    #[error("the node accepted the bootstrap request but still reports state idle after {0:?}; it never started")]
    NeverStarted(Duration),
    #[error("the remove action failed: {0}")]
    RemoveFailed(String),
}

/// A diagnostic for an API error, with the fix spelled out for an untrusted certificate.
fn api_failure(what: &str, endpoint: &str, e: &ApiError) -> Failure<Bootstrap> {
    let mut detail = format!("{endpoint}: {e}");
    if e.is_certificate_error() {
        detail.push_str(UNTRUSTED_CERTIFICATE_HINT);
    }
    Failure::new(format!("Redis Enterprise: {what} failed"), detail)
}

fn wait_failure(what: &str, endpoint: &str, e: WaitError<WaitFailed>) -> Failure<Bootstrap> {
    match e {
        WaitError::Check(WaitFailed::Api(api)) => api_failure(what, endpoint, &api),
        WaitError::Check(WaitFailed::Bootstrap { code, message }) => Failure::new(
            format!("Redis Enterprise: bootstrap failed with {code}"),
            format!(
                "{endpoint}: the bootstrap ended in state error.\n  error_code: {code}\n  message: {message}\n\n\
                 The node is not part of a cluster: fix the configuration and apply again."
            ),
        ),
        other => Failure::new(format!("Redis Enterprise: {what} did not finish"), format!("{endpoint}: {other}")),
    }
}

/// The error for a node already bootstrapped with another configuration than `plan`'s.
fn configuration_differs(endpoint: &str, differences: &[String]) -> Failure<Bootstrap> {
    let list: String = differences.iter().map(|d| format!("\n  - {d}")).collect();
    Failure::new(
        "Redis Enterprise: node already bootstrapped with another configuration",
        format!(
            "{endpoint} was already bootstrapped, and not as this resource describes:{list}\n\n\
             This apply started no bootstrap there. If this is the node you mean, bring it under Terraform with \
             `terraform import <address of this redis_bootstrap> {endpoint}` and make the configuration match it; \
             otherwise point endpoint at a node that is not bootstrapped yet."
        ),
    )
}

/// The node's uid when `GET /v1/bootstrap` does not tell it: the cluster's only node, or the one
/// with this node's address. Best effort: `None` when the node list cannot tell either.
async fn find_own_uid(
    ctx: &Ctx,
    node: &NodeClient,
    info: &BootstrapInfo,
    node_addr: Option<&str>,
) -> Option<String> {
    let nodes = match node.nodes(ctx.cancel_token()).await {
        Ok(nodes) => nodes,
        Err(e) => {
            tracing::debug!(error = %e, "cannot list the cluster's nodes to find this node's uid");
            return None;
        }
    };
    if let [only] = nodes.as_slice() {
        return only.uid.clone();
    }
    let mut own: Vec<&str> = node_addr.into_iter().collect();
    own.extend(info.local_node_info.iter().flat_map(|l| l.addresses()));
    nodes
        .iter()
        .find(|n| {
            n.addr
                .as_deref()
                .is_some_and(|a| own.iter().any(|o| o.eq_ignore_ascii_case(a)))
        })
        .and_then(|n| n.uid.clone())
}

// ---------------------------------------------------------------------------------------------
// Operations

impl BootstrapResource {
    fn client(&self) -> Result<&RedisClient, Failure<Bootstrap>> {
        self.client.get().map_err(Failure::from)
    }

    fn node_client(
        &self,
        endpoint: &str,
        credentials: Option<Credentials>,
    ) -> Result<NodeClient, Failure<Bootstrap>> {
        self.client()?
            .node(endpoint, credentials)
            .map_err(|e| api_failure("reaching the node", endpoint, &e))
    }

    /// `GET /v1/bootstrap` of a node expected to be a cluster member, with the resource's
    /// credentials; when those are missing or refused, with the provider's (after import, or
    /// after an admin password changed outside Terraform).
    async fn member_status(
        &self,
        ctx: &Ctx,
        state: &Bootstrap,
    ) -> Result<(NodeClient, BootstrapInfo), Failure<Bootstrap>> {
        let endpoint = state.endpoint();
        let own = state.credentials();
        let provider = self.client()?.provider_credentials().cloned();
        let mut candidates: Vec<Option<Credentials>> = Vec::new();
        for c in [own, provider] {
            if c.is_some() && !candidates.contains(&c) {
                candidates.push(c);
            }
        }
        if candidates.is_empty() {
            candidates.push(None);
        }
        let last = candidates.len() - 1;
        for (i, credentials) in candidates.into_iter().enumerate() {
            let node = self.node_client(endpoint, credentials)?;
            match node.bootstrap_status(ctx.cancel_token()).await {
                Ok(info) => return Ok((node, info)),
                // No bootstrap API there any more: the node is gone, as if it reported nothing.
                Err(ApiError::NotFound(_)) => return Ok((node, BootstrapInfo::default())),
                Err(ApiError::Unauthorized { .. }) if i < last => continue,
                Err(e @ ApiError::Unauthorized { .. }) if node.credentials().is_none() => {
                    let mut f = api_failure("reading the node", endpoint, &e);
                    for d in &mut f.diagnostics.0 {
                        d.detail.push_str(
                            "\n\nThe node belongs to a cluster and needs its admin credentials: set username and password \
                             in the provider block (or REDIS_USERNAME and REDIS_PASSWORD).",
                        );
                    }
                    return Err(f);
                }
                Err(e) => return Err(api_failure("reading the node", endpoint, &e)),
            }
        }
        Err(Failure::new(
            "Redis Enterprise: reading the node failed",
            format!("{endpoint}: no credentials to try"),
        ))
    }

    /// Polls the bootstrap until `completed` (Ready) or `error` (failure).
    async fn wait_bootstrap(
        &self,
        ctx: &Ctx,
        node: &NodeClient,
    ) -> Result<BootstrapInfo, WaitError<WaitFailed>> {
        let posted = Instant::now();
        let what = format!("the bootstrap of {} to complete", node.endpoint());
        let misses = Misses::default();
        wait_until(ctx, &what, POLL, || async {
            let read = node.bootstrap_status(ctx.cancel_token()).await;
            let info = match misses.ride_out(read, ApiError::is_transient)? {
                Ok(info) => info,
                Err(pending) => return Ok(Poll::Pending(pending)),
            };
            let state = info.state().unwrap_or("unknown").to_string();
            match state.as_str() {
                "completed" => Ok(Poll::Ready(info)),
                "error" => {
                    let status = info.bootstrap_status.unwrap_or_default();
                    Err(WaitFailed::Bootstrap {
                        code: status
                            .error_code
                            .clone()
                            .unwrap_or_else(|| "unknown".to_string()),
                        message: status
                            .error_message()
                            .unwrap_or_else(|| "(the node gave no details)".to_string()),
                    })
                }
                "idle" if posted.elapsed() > IDLE_GRACE => {
                    Err(WaitFailed::NeverStarted(IDLE_GRACE))
                }
                _ => Ok(Poll::Pending(state)),
            }
        })
        .await
    }

    /// Fills what an import cannot know from state: action, cluster name and credentials.
    async fn complete_import(
        &self,
        ctx: &Ctx,
        node: &NodeClient,
        uid: Option<&str>,
        m: &mut Bootstrap,
    ) -> Result<(), Failure<Bootstrap>> {
        let endpoint = m.endpoint().to_string();
        // The node that created a cluster has its first uid; joiners come after it. Without a
        // node list, uid 1 is the creator (uids are handed out from 1 in join order).
        let lowest = match node.nodes(ctx.cancel_token()).await {
            Ok(all) => all
                .iter()
                .filter_map(|n| n.uid.as_deref().and_then(|u| u.trim().parse::<u64>().ok()))
                .min(),
            Err(e) => {
                tracing::debug!(error = %e, "cannot list the cluster's nodes; assuming uid 1 created it");
                None
            }
        };
        let mine = uid.and_then(|u| u.trim().parse::<u64>().ok());
        let creator = match (mine, lowest) {
            (Some(mine), Some(lowest)) => mine == lowest,
            _ => mine == Some(1),
        };
        if creator {
            m.action = Some(Action::CreateCluster.as_str().to_string());
            match node.cluster(ctx.cancel_token()).await {
                Ok(cluster) => m.cluster_name = cluster.name,
                // Left unset: the first plan records the configured name in state only (the import rule).
                Err(e) => {
                    tracing::warn!(endpoint = %endpoint, error = %e, "cannot read the cluster name")
                }
            }
        } else {
            m.action = Some(Action::JoinCluster.as_str().to_string());
        }
        if let Some(c) = node.credentials() {
            m.username = Some(c.username.clone());
            m.password = Some(c.password.clone());
        }
        m.id = Some(endpoint.clone());
        m.endpoint = Some(endpoint);
        Ok(())
    }

    async fn remove_joined_node(
        &self,
        ctx: &Ctx,
        state: &Bootstrap,
    ) -> Result<(), Failure<Bootstrap>> {
        let endpoint = state.endpoint().to_string();
        let (node, mut info) = self.member_status(ctx, state).await?;
        if is_running(info.state()) {
            // A bootstrap still under way (a create that timed out) is waited out first: a
            // half-joined node cannot be removed.
            info = self
                .wait_bootstrap(ctx, &node)
                .await
                .or_else(|e| match e {
                    WaitError::Check(WaitFailed::Bootstrap { .. }) => Ok(BootstrapInfo::default()),
                    other => Err(other),
                })
                .map_err(|e| {
                    wait_failure("waiting for the bootstrap before removal", &endpoint, e)
                })?;
        }
        if info.state() != Some("completed") {
            tracing::info!(endpoint = %endpoint, state = ?info.state(), "node belongs to no cluster; nothing to remove");
            return Ok(());
        }
        let uid = match (info.uid(), state.node_uid.as_deref()) {
            (Some(live), Some(known)) if live != known => {
                ctx.warn(
                    "Redis Enterprise node was replaced",
                    format!(
                        "{endpoint} is now node {live}, not node {known} as recorded: the recorded node already left. \
                         The current node was left alone."
                    ),
                );
                return Ok(());
            }
            (Some(live), _) => live.to_string(),
            (None, Some(known)) => known.to_string(),
            (None, None) => {
                return Err(Failure::new(
                    "Redis Enterprise: cannot remove the node",
                    format!("{endpoint}: the node reports no uid, so it cannot be removed from its cluster."),
                ))
            }
        };
        let outcome = node
            .remove_node(&uid, ctx.cancel_token())
            .await
            .map_err(|e| api_failure("removing the node from its cluster", &endpoint, &e))?;
        tracing::info!(endpoint = %endpoint, uid = %uid, ?outcome, "remove action");
        if outcome == RemoveOutcome::NodeGone {
            return Ok(());
        }
        let what = format!("node {uid} to leave its cluster");
        let misses = Misses::default();
        wait_until(ctx, &what, POLL, || async {
            // A removed node is reset to a fresh node, or at least stops being this uid.
            let now = match node.bootstrap_status(ctx.cancel_token()).await {
                Ok(now) => now,
                Err(ApiError::NotFound(_) | ApiError::NotMember(_)) => return Ok(Poll::Ready(())),
                Err(e) if misses.tolerate(e.is_transient()) => {
                    return Ok(Poll::Pending(format!("no answer ({e})")))
                }
                Err(e) => return Err(e.into()),
            };
            if now.state() != Some("completed") || now.uid().is_some_and(|u| u != uid) {
                return Ok(Poll::Ready(()));
            }
            match node.remove_status(&uid, ctx.cancel_token()).await {
                Ok(None) | Err(ApiError::NotMember(_)) => Ok(Poll::Ready(())),
                Ok(Some(s)) if s.failed() => Err(WaitFailed::RemoveFailed(
                    s.error.or(s.message).or(s.status).unwrap_or_default(),
                )),
                Ok(Some(s)) => {
                    misses.reset();
                    Ok(Poll::Pending(format!(
                        "{} {}%",
                        s.status.unwrap_or_else(|| "running".to_string()),
                        s.progress.unwrap_or_else(|| "?".to_string())
                    )))
                }
                Err(e) if misses.tolerate(e.is_transient()) => {
                    Ok(Poll::Pending(format!("no answer ({e})")))
                }
                Err(e) => Err(e.into()),
            }
        })
        .await
        .map_err(|e| wait_failure("removing the node from its cluster", &endpoint, e))
    }
}

#[async_trait]
impl Resource for BootstrapResource {
    type Model = Bootstrap;

    fn type_name(&self) -> &'static str {
        "redis_bootstrap"
    }

    fn schema(&self) -> Schema {
        schema()
    }

    fn validate(&self, config: &Value, diags: &mut Diagnostics) {
        validate_config(config, diags);
    }

    async fn create(&self, ctx: &Ctx, plan: Bootstrap) -> Outcome<Bootstrap, Bootstrap> {
        let endpoint = plan.endpoint().to_string();
        let Some(action) = plan.action() else {
            return Err(Failure::new(
                "Redis Enterprise: invalid action",
                "action must be create_cluster or join_cluster.",
            ));
        };
        let node = self.node_client(&endpoint, plan.credentials())?;
        let request = bootstrap_request(&plan, action);
        let mut state = plan.clone();
        state.id = Some(endpoint.clone());
        state.state = Some("initiated".to_string());
        let started = match start_or_adopt(ctx, &node, &request, ROUNDS, STARTUP_GRACE).await {
            Ok(started) => started,
            Err(StartError::Api(ApiError::Unauthorized { status })) => {
                return Err(configuration_differs(
                    &endpoint,
                    &[format!(
                        "username/password: the node belongs to an active cluster that does not accept them (HTTP {status})"
                    )],
                ))
            }
            Err(StartError::Api(e)) => return Err(api_failure("starting the bootstrap", &endpoint, &e)),
            Err(e) => {
                let f = Failure::new(
                    "Redis Enterprise: starting the bootstrap failed",
                    format!("{endpoint}: {e}"),
                );
                // The node may be bootstrapping: keep it (tainted) so the next plan reads it.
                return Err(if e.may_have_started() { f.with_state(state) } else { f });
            }
        };
        let adopted = match &started {
            Started::Posted => None,
            Started::Adopted {
                before_posting,
                info,
            } => {
                tracing::info!(endpoint = %endpoint, state = ?info.state(), before_posting, "a bootstrap already runs or ran on the node; waiting for it instead of posting");
                Some((*before_posting, (**info).clone()))
            }
        };
        // From here on the node is changing: a wait that stops without an answer keeps the
        // resource in state (tainted), so the next plan reads where the node got to. A
        // bootstrap that ends in `error` leaves the node outside any cluster: nothing to keep.
        let info = match adopted.as_ref().map(|(_, info)| info) {
            Some(info) if info.state() == Some("completed") => info.clone(),
            _ => match self.wait_bootstrap(ctx, &node).await {
                Ok(info) => info,
                Err(e @ WaitError::Check(WaitFailed::Bootstrap { .. })) => {
                    return Err(wait_failure("bootstrap", &endpoint, e))
                }
                Err(e) => return Err(wait_failure("bootstrap", &endpoint, e).with_state(state)),
            },
        };
        state.record(&info);
        if state.node_uid.is_none() {
            state.node_uid = find_own_uid(ctx, &node, &info, plan.node_addr.as_deref()).await;
        }
        if let Some((before_posting, found)) = adopted {
            match check_configuration(ctx, &node, &plan, state.node_uid.as_deref()).await {
                Ok(Verdict::Same) => {}
                Ok(Verdict::Differs(differences)) => {
                    return Err(configuration_differs(&endpoint, &differences))
                }
                Ok(Verdict::Unconfirmed(what)) => ctx.warn(
                    "Redis Enterprise: adopted a bootstrap that could not be fully checked",
                    format!(
                        "{endpoint} was already bootstrapped, and this resource adopted it without posting another bootstrap. \
                         Everything the API reports matches the configuration, but this could not be checked:\n  {what}"
                    ),
                ),
                Err(e) => {
                    // Bootstrapped, and perhaps by this resource: keep it (tainted) so the next
                    // apply checks again instead of forgetting the node.
                    return Err(api_failure("checking the bootstrapped node against the configuration", &endpoint, &e)
                        .with_state(state));
                }
            }
            if before_posting {
                ctx.warn(
                    "Redis Enterprise: adopted an existing bootstrap",
                    format!(
                        "{endpoint} was already {} with this configuration before this apply sent anything \
                         (an earlier run probably stopped before it could record it). It was adopted: no second bootstrap was posted.",
                        if found.state() == Some("completed") { "bootstrapped" } else { "bootstrapping" }
                    ),
                );
            }
        }
        Ok(state)
    }

    async fn read(&self, ctx: &Ctx, state: Bootstrap) -> Outcome<Option<Bootstrap>, Bootstrap> {
        let importing = ctx.is_import();
        let endpoint = state.endpoint().to_string();
        let (node, info) = self.member_status(ctx, &state).await?;
        let mut m = state;
        match info.state() {
            Some("completed") => {}
            s if is_running(s) && !importing => {
                // A create that stopped waiting: still on its way, keep it (tainted) as it is.
                m.record(&info);
                return Ok(Some(m));
            }
            other if importing => {
                return Err(Failure::new(
                    "Redis Enterprise: nothing to import",
                    format!(
                        "{endpoint}: the node is not part of a cluster (bootstrap state {}).",
                        other.unwrap_or("unknown")
                    ),
                ))
            }
            // idle or error: the node left its cluster (and was reset) or never joined one.
            _ => return Ok(None),
        }
        let uid = match (info.uid(), m.node_uid.as_deref()) {
            // Same endpoint, another node: the one this resource made is gone.
            (Some(live), Some(known)) if live != known => return Ok(None),
            (Some(live), _) => Some(live.to_string()),
            (None, Some(known)) => Some(known.to_string()),
            (None, None) => find_own_uid(ctx, &node, &info, m.node_addr.as_deref()).await,
        };
        let mut found = None;
        if let Some(uid) = &uid {
            match node.node(uid, ctx.cancel_token()).await {
                Ok(Some(n)) => found = Some(n),
                Ok(None) | Err(ApiError::NotMember(_)) if importing => {
                    return Err(Failure::new(
                        "Redis Enterprise: nothing to import",
                        format!("{endpoint}: node {uid} is not in the cluster."),
                    ))
                }
                Ok(None) | Err(ApiError::NotMember(_)) => return Ok(None),
                Err(e) => return Err(api_failure("reading the node", &endpoint, &e)),
            }
        }
        if importing {
            self.complete_import(ctx, &node, uid.as_deref(), &mut m)
                .await?;
            if let Some(n) = &found {
                recover_settings(&mut m, n, &info);
            }
        }
        m.record(&info);
        if let Some(v) = found.and_then(|n| n.software_version) {
            m.software_version = Some(v);
        }
        if m.node_uid.is_none() {
            m.node_uid = uid;
        }
        Ok(Some(m))
    }

    /// Only `password` changes in place, and it lives in state alone: nothing to call.
    async fn update(
        &self,
        _ctx: &Ctx,
        prior: Bootstrap,
        plan: Bootstrap,
    ) -> Outcome<Bootstrap, Bootstrap> {
        let mut state = plan;
        state.id = prior.id.or(state.id);
        Ok(state)
    }

    async fn delete(&self, ctx: &Ctx, state: Bootstrap) -> Outcome<(), Bootstrap> {
        match state.action() {
            Some(Action::JoinCluster) => self.remove_joined_node(ctx, &state).await,
            _ => {
                let cluster = state.cluster_name.as_deref().unwrap_or("(unknown name)");
                ctx.warn(
                    "Redis Enterprise cluster left running",
                    format!(
                        "{} created cluster {cluster}. No API dissolves a cluster, so destroying this resource only \
                         removed it from Terraform state: the cluster and its first node keep running.",
                        state.endpoint()
                    ),
                );
                Ok(())
            }
        }
    }

    fn import_stub(
        &self,
        id: &str,
    ) -> Result<std::collections::BTreeMap<String, Value>, Diagnostic> {
        let id = id.trim();
        if let Some(problem) = endpoint_problem(&Value::from(id)) {
            return Err(Diagnostic::error(
                "Invalid import id",
                format!("The import id of redis_bootstrap is the node's endpoint URL: {problem}"),
            ));
        }
        Ok(std::collections::BTreeMap::from([
            ("id".to_string(), Value::from(id)),
            ("endpoint".to_string(), Value::from(id)),
        ]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::testing::{Reply, TestServer};
    use crate::http::{HttpClient, HttpSettings};
    use tokio_util::sync::CancellationToken;

    async fn node_client(replies: Vec<Reply>) -> (TestServer, NodeClient) {
        let server = TestServer::script(replies).await;
        let http = HttpClient::new(HttpSettings::default()).unwrap();
        let node = RedisClient::new(http, None)
            .node(&server.base, None)
            .unwrap();
        (server, node)
    }

    #[tokio::test]
    async fn own_uid_is_found_by_address_when_the_bootstrap_status_lacks_it() {
        let nodes = r#"[{"uid":1,"addr":"10.0.0.1"},{"uid":"2","addr":"10.0.0.2"}]"#;
        let (server, node) = node_client(vec![
            Reply::json(200, nodes),
            Reply::json(200, nodes),
            Reply::json(200, r#"[{"uid":7,"addr":"10.0.0.7"}]"#),
            Reply::json(404, "{}"),
        ])
        .await;
        let ctx = Ctx::new(&CancellationToken::new(), Duration::from_secs(5));
        let info: BootstrapInfo = serde_json::from_str(
            r#"{"bootstrap_status":{"state":"completed"},"local_node_info":{"available_addrs":["10.0.0.2"]}}"#,
        )
        .unwrap();
        assert_eq!(
            find_own_uid(&ctx, &node, &info, None).await.as_deref(),
            Some("2")
        );
        let bare = BootstrapInfo::default();
        assert_eq!(
            find_own_uid(&ctx, &node, &bare, Some("10.0.0.1"))
                .await
                .as_deref(),
            Some("1")
        );
        // The only node of a cluster is this one, whatever its address.
        assert_eq!(
            find_own_uid(&ctx, &node, &bare, None).await.as_deref(),
            Some("7")
        );
        assert_eq!(find_own_uid(&ctx, &node, &bare, None).await, None);
        assert_eq!(server.requests()[0].path, "/v1/nodes");
    }
}
