//! `css_cluster`: create and wait for status "200", grow in place through extend, change tags,
//! snapshot policy and admin password in place, delete and wait until the cluster is gone, read
//! back everything the API reports.

use std::collections::BTreeMap;
use std::future::Future;

use async_trait::async_trait;

use super::client::{
    ApiError, ClusterDetail, ClusterList, CreateCluster, CssClient, DeleteOutcome,
};
use super::model::Cluster;
use super::refresh::refresh;
use super::schema;
use super::token::{redact, Secret};
use super::waits;
use crate::framework::poll::{wait_until, Backoff, Misses, Poll, WaitError};
use crate::framework::reconcile::{
    create_reconciled, Created, Listed, Listing, ReconcileError, Target,
};
use crate::framework::schema::Schema;
use crate::framework::settings::Configured;
use crate::framework::shared_status::Priority;
use crate::framework::{AttrPath, Ctx, Diagnostic, Diagnostics, Failure, Outcome, Resource, Value};

pub struct ClusterResource {
    client: Configured<CssClient>,
}

impl ClusterResource {
    pub fn new(client: Configured<CssClient>) -> Self {
        ClusterResource { client }
    }

    fn client(&self) -> Result<&CssClient, Failure<Cluster>> {
        self.client.get().map_err(Failure::from)
    }
}

/// Why a wait for readiness ended without the cluster being ready.
#[derive(Debug, thiserror::Error)]
enum NotReady {
    #[error(transparent)]
    Api(#[from] ApiError),
    #[error("the cluster disappeared (CSS answers that it does not exist)")]
    Gone,
    #[error("the cluster reached status \"303\" (failed): {}", .0.failure_text())]
    Failed(Box<ClusterDetail>),
}

/// A failure whose text cannot contain the admin password, even if the API quoted it.
fn failure(what: &str, e: impl std::fmt::Display, secret: Option<&str>) -> Failure<Cluster> {
    let text = redact(&e.to_string(), &secret.into_iter().collect::<Vec<_>>());
    Failure::new(format!("CSS: {what} failed"), text)
}

fn wait_failure<E: std::fmt::Display>(
    what: &str,
    e: WaitError<E>,
    state: &Cluster,
) -> Failure<Cluster> {
    let secret = state.admin_password.as_deref();
    match e {
        WaitError::Check(e) => failure(what, e, secret).with_state(state.clone()),
        stopped => {
            let text = redact(
                &stopped.to_string(),
                &secret.into_iter().collect::<Vec<_>>(),
            );
            Failure::new(format!("CSS: {what} did not finish"), text).with_state(state.clone())
        }
    }
}

/// The create POST, reconciled against the project's cluster list: one cluster with the planned
/// name whatever happens to the answer (see [`crate::framework::reconcile`]).
async fn create_once(
    ctx: &Ctx,
    client: &CssClient,
    body: &CreateCluster,
    secret: Option<&str>,
) -> Result<String, Failure<Cluster>> {
    let target = create_target(client, body);
    let scrub = |text: &str| redact(text, &secret.into_iter().collect::<Vec<_>>());
    match reconciled_create(client, &target, body, ctx.cancel_token()).await {
        Ok(created) => {
            if let Some(unclear) = &created.adopted_after {
                ctx.warn(
                    "CSS: the create's answer was lost, the cluster was found",
                    scrub(&format!(
                        "The create request of {:?} got no usable answer ({unclear}), but the project's cluster list shows the new cluster: its id {} is in state, and nothing was created twice.",
                        body.cluster.name, created.id
                    )),
                );
            }
            Ok(created.id)
        }
        // The name is taken: by a cluster of this project that an import can bring in.
        Err(ReconcileError::Create(e @ ApiError::NameExists { .. })) => Err(Diagnostic::error(
            "CSS: creating the cluster failed",
            scrub(&e.to_string()),
        )
        .at(AttrPath::root("name"))
        .into()),
        Err(ReconcileError::Create(e)) => Err(failure("creating the cluster", e, secret)),
        Err(ReconcileError::Cancelled) => Err(failure(
            "creating the cluster",
            ctx.cancel_reason()
                .unwrap_or_else(|| "request cancelled".to_string()),
            secret,
        )),
        Err(other) => {
            let mut d = other.diagnostic(&target);
            d.detail = scrub(&d.detail);
            Err(d.into())
        }
    }
}

/// What the reconciliation of a create of `body` is about. CSS refuses a second cluster with a
/// name, so there is no setting to allow one.
fn create_target(client: &CssClient, body: &CreateCluster) -> Target {
    Target {
        scope: "project".to_string(),
        find_hint: "the CSS console of the project".to_string(),
        ..Target::new("CSS cluster", &body.cluster.name, "name", &client.account())
    }
}

/// Lists the project, creates, and reconciles an unclear answer with another listing.
async fn reconciled_create(
    client: &CssClient,
    target: &Target,
    body: &CreateCluster,
    cancel: &tokio_util::sync::CancellationToken,
) -> Result<Created, ReconcileError<ApiError>> {
    create_reconciled(
        target,
        cancel,
        || async {
            Ok(match client.list_clusters_if_offered(cancel).await? {
                ClusterList::Clusters(all) => {
                    Listing::Clusters(all.into_iter().filter_map(listed).collect())
                }
                ClusterList::NotOffered { status } => Listing::Unavailable(format!(
                    "the project's cluster list is not available here (it answered HTTP {status})"
                )),
            })
        },
        || client.create_cluster(body, cancel),
    )
    .await
}

/// A list entry as the reconciliation sees it; entries without an id or a name are skipped.
/// CSS drops deleted clusters from its list, so none is gone.
fn listed(c: ClusterDetail) -> Option<Listed> {
    Some(Listed {
        id: c.id.filter(|id| !id.trim().is_empty())?,
        name: c.name?,
        gone: false,
    })
}

/// Runs `call` until the API stops answering CSS.0011 ("another operation is in progress").
async fn retry_busy<F, Fut, T>(ctx: &Ctx, what: &str, mut call: F) -> Result<T, WaitError<ApiError>>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, ApiError>>,
{
    wait_until(ctx, what, Backoff::default(), || {
        let attempt = call();
        async move {
            match attempt.await {
                Ok(v) => Ok(Poll::Ready(v)),
                Err(ApiError::Busy(message)) => Ok(Poll::Pending(format!("busy: {message}"))),
                Err(e) => Err(e),
            }
        }
    })
    .await
}

impl ClusterResource {
    /// Polls until the cluster is ready (status "200", no action, every node "200") with
    /// `data_nodes` data nodes when given. "303" ends the wait with the API's failedReason.
    async fn wait_ready(
        &self,
        ctx: &Ctx,
        client: &CssClient,
        id: &str,
        data_nodes: Option<i64>,
    ) -> Result<ClusterDetail, WaitError<NotReady>> {
        let what = format!("cluster {id} to become available");
        let misses = Misses::default();
        let check = |priority: Priority| {
            let client = client.at(priority);
            let misses = &misses;
            async move {
                // An answer cut off or garbled on the way: the next poll asks again.
                let read = client.get_cluster(id, ctx.cancel_token()).await;
                let found = match misses.ride_out(read, |e| matches!(e, ApiError::Decode(_)))? {
                    Ok(found) => found,
                    Err(pending) => return Ok(Poll::Pending(pending)),
                };
                let Some(d) = found else {
                    return Err(NotReady::Gone);
                };
                judge_ready(d, data_nodes)
            }
        };
        match data_nodes {
            // Growing nodes is not visible in the listing's status: its wait reads the cluster.
            Some(_) => {
                wait_until(ctx, &what, Backoff::default(), || {
                    check(Priority::Background)
                })
                .await
            }
            None => {
                waits::shared_wait(client, ctx, "available", &what, id, waits::available, check)
                    .await
            }
        }
    }

    async fn update_tags(
        &self,
        ctx: &Ctx,
        client: &CssClient,
        id: &str,
        before: &BTreeMap<String, String>,
        after: &BTreeMap<String, String>,
    ) -> Result<(), ApiError> {
        let cancel = ctx.cancel_token();
        // A changed value is removed first, so an API that refuses to overwrite still works.
        for (key, value) in before {
            if after.get(key) != Some(value) {
                client.delete_tag(id, key, value, cancel).await?;
            }
        }
        for (key, value) in after {
            if before.get(key) != Some(value) {
                client.add_tag(id, key, value, cancel).await?;
            }
        }
        Ok(())
    }
}

/// What one read of the cluster says about a wait for it to be available (with `data_nodes`
/// data nodes, when given).
fn judge_ready(d: ClusterDetail, data_nodes: Option<i64>) -> Result<Poll<ClusterDetail>, NotReady> {
    let count = i64::try_from(d.data_nodes().count()).unwrap_or(i64::MAX);
    if d.status() == "303" {
        return Err(NotReady::Failed(Box::new(d)));
    }
    // Without a node list there is nothing to count: readiness has to do.
    let grown = d.instances.is_none() || data_nodes.is_none_or(|n| n == count);
    if d.is_ready() && grown {
        return Ok(Poll::Ready(d));
    }
    Ok(Poll::Pending(format!(
        "status {}, actions {:?}, {count} data nodes",
        d.status(),
        d.actions
    )))
}

#[async_trait]
impl Resource for ClusterResource {
    type Model = Cluster;

    fn type_name(&self) -> &'static str {
        "css_cluster"
    }

    fn schema(&self) -> Schema {
        schema::schema()
    }

    fn validate(&self, config: &Value, diags: &mut Diagnostics) {
        schema::validate(config, diags);
    }

    async fn create(&self, ctx: &Ctx, plan: Cluster) -> Outcome<Cluster, Cluster> {
        let client = self.client()?;
        let secret = plan.admin_password.as_deref();
        let id = create_once(ctx, client, &plan.create_request(), secret).await?;
        tracing::info!(id = id.as_str(), "css cluster created");
        let mut state = plan.clone();
        state.id = Some(id.clone());
        // From here on every failure keeps the id in state (tainted), so nothing leaks.
        match self.wait_ready(ctx, client, &id, None).await {
            Ok(detail) => {
                state.apply_detail(&detail);
                Ok(state)
            }
            Err(WaitError::Check(NotReady::Failed(detail))) => {
                let e = format!(
                    "{}. The cluster stays in state (tainted), so the next apply replaces it \
                     and destroy removes it.",
                    NotReady::Failed(detail.clone())
                );
                state.apply_detail(&detail);
                Err(failure("creating the cluster", e, secret).with_state(state))
            }
            Err(e) => Err(wait_failure("creating the cluster", e, &state)),
        }
    }

    async fn read(&self, ctx: &Ctx, state: Cluster) -> Outcome<Option<Cluster>, Cluster> {
        let client = self.client()?;
        let Some(id) = state.id.clone() else {
            return Ok(None);
        };
        let secret = state.admin_password.clone();
        refresh(ctx, client, &id, state)
            .await
            .map_err(|e| failure("reading the cluster", e, secret.as_deref()))
    }

    async fn update(&self, ctx: &Ctx, prior: Cluster, plan: Cluster) -> Outcome<Cluster, Cluster> {
        let client = self.client()?;
        let cancel = ctx.cancel_token();
        let id = prior.id.clone().unwrap_or_default();
        let secret = plan.password().map(str::to_string);
        let secret = secret.as_deref();
        // What has been applied so far: the state to keep if a later step fails.
        let mut done = prior.clone();

        let (want, had) = (
            plan.instance_num.unwrap_or(0),
            prior.instance_num.unwrap_or(0),
        );
        if want > had {
            // Nodes to add = target minus what the cluster has now, not minus state: an earlier
            // apply may have started an extend whose wait then failed.
            let current = client
                .get_cluster(&id, cancel)
                .await
                .map_err(|e| failure("reading the cluster", e, secret).with_state(done.clone()))?
                .filter(|d| d.instances.is_some())
                .map(|d| i64::try_from(d.data_nodes().count()).unwrap_or(i64::MAX))
                .unwrap_or(had);
            if want > current {
                let add = u32::try_from(want - current).unwrap_or(u32::MAX);
                retry_busy(ctx, &format!("cluster {id} to accept extend"), || {
                    client.extend(&id, add, cancel)
                })
                .await
                .map_err(|e| wait_failure("growing the cluster", e, &done))?;
            }
            // The nodes are on their way: state must not ask for them a second time.
            done.instance_num = plan.instance_num;
            let detail = self
                .wait_ready(ctx, client, &id, Some(want))
                .await
                .map_err(|e| wait_failure("growing the cluster", e, &done))?;
            done.apply_detail(&detail);
        }

        // Removing the password from the configuration cannot unset it on the cluster.
        match plan.password_reset(&prior) {
            Some((_, password)) if plan.authority() => {
                let password = Secret::new(password.to_string());
                retry_busy(ctx, &format!("cluster {id} to accept a password reset"), || {
                    client.reset_password(&id, &password, cancel)
                })
                .await
                .map_err(|e| wait_failure("resetting the admin password", e, &done))?;
            }
            Some((argument, _)) => ctx.warn(
                format!("{argument} was not sent"),
                "The cluster is not in security mode (authority_enabled = false), so it has no admin password to reset; nothing was sent.",
            ),
            None => {}
        }
        done.admin_password = plan.admin_password.clone();
        done.admin_password_wo_version = plan.admin_password_wo_version;

        if plan.backup_strategy != prior.backup_strategy {
            // A removed block turns automatic snapshots off, with the last settings.
            let policy = match (&plan.backup_strategy, &prior.backup_strategy) {
                (Some(b), _) => Some(b.policy(true)),
                (None, Some(b)) => Some(b.policy(false)),
                (None, None) => None,
            };
            if let Some(policy) = policy {
                retry_busy(
                    ctx,
                    &format!("cluster {id} to accept the snapshot policy"),
                    || client.set_snapshot_policy(&id, &policy, cancel),
                )
                .await
                .map_err(|e| wait_failure("changing the snapshot policy", e, &done))?;
            }
            done.backup_strategy = plan.backup_strategy.clone();
        }

        let before = prior.tags.clone().unwrap_or_default();
        let after = plan.tags.clone().unwrap_or_default();
        if before != after {
            self.update_tags(ctx, client, &id, &before, &after)
                .await
                .map_err(|e| failure("changing the tags", e, secret).with_state(done.clone()))?;
        }
        done.tags = plan.tags.clone();

        let mut state = plan.clone();
        state.id = Some(id.clone());
        match refresh(ctx, client, &id, state.clone()).await {
            Ok(Some(read)) => state = read,
            // Gone right after an update: the next refresh drops it from state.
            Ok(None) => {}
            Err(e) => return Err(failure("reading the cluster", e, secret).with_state(done)),
        }
        Ok(state)
    }

    async fn delete(&self, ctx: &Ctx, state: Cluster) -> Outcome<(), Cluster> {
        let client = self.client()?;
        let Some(id) = state.id.clone() else {
            return Ok(());
        };
        let cancel = ctx.cancel_token();
        let outcome = retry_busy(ctx, &format!("cluster {id} to accept deletion"), || {
            client.delete_cluster(&id, cancel)
        })
        .await
        .map_err(|e| wait_failure("deleting the cluster", e, &state))?;
        if outcome == DeleteOutcome::AlreadyGone {
            return Ok(());
        }
        let what = format!("cluster {id} to be deleted");
        let check = |priority: Priority| {
            let client = client.at(priority);
            let id = &id;
            async move {
                match client.get_cluster(id, cancel).await? {
                    None => Ok(Poll::Ready(())),
                    Some(d) => Ok::<_, ApiError>(Poll::Pending(format!(
                        "status {}, actions {:?}",
                        d.status(),
                        d.actions
                    ))),
                }
            }
        };
        waits::shared_wait(client, ctx, "deleted", &what, &id, waits::deleted, check)
            .await
            .map_err(|e| wait_failure("deleting the cluster", e, &state))?;
        tracing::info!(id = id.as_str(), "css cluster deleted");
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};
    use std::time::Duration;

    use tokio_util::sync::CancellationToken;

    use super::*;
    use crate::http::testing::{Recorded, Reply, TestServer};
    use crate::http::{HttpClient, HttpSettings};
    use crate::vendors::css::token::TokenSource;

    /// What the fake API does with the n-th create request (0-based): act or not, and answer.
    type OnCreate = Box<dyn Fn(usize) -> (bool, Reply) + Send + Sync>;

    /// A fake project: the list answers its clusters (or `list_status` when set); a create adds
    /// one when `on_create` says it acts.
    async fn project(
        existing: &[(&str, &str)],
        list_status: Option<u16>,
        on_create: OnCreate,
    ) -> (TestServer, CssClient) {
        let clusters: Arc<Mutex<Vec<(String, String)>>> = Arc::new(Mutex::new(
            existing
                .iter()
                .map(|(id, name)| (id.to_string(), name.to_string()))
                .collect(),
        ));
        let creates = Mutex::new(0usize);
        let server = TestServer::start(move |req: &Recorded, _| {
            let mut all = clusters.lock().unwrap();
            if req.method == "GET" {
                if let Some(status) = list_status {
                    return Reply::json(
                        status,
                        r#"{"errCode":"CSS.0001","externalMessage":"no such endpoint"}"#,
                    );
                }
                let list: Vec<_> = all
                    .iter()
                    .map(|(id, name)| serde_json::json!({"id": id, "name": name, "status": "100"}))
                    .collect();
                let body = serde_json::json!({"clusters": list, "totalSize": list.len()});
                return Reply::json(200, &body.to_string());
            }
            let mut n = creates.lock().unwrap();
            let (acts, reply) = on_create(*n);
            *n += 1;
            if acts {
                let name = req.json()["cluster"]["name"]
                    .as_str()
                    .unwrap_or("")
                    .to_string();
                all.push((format!("new-{n}"), name));
            }
            reply
        })
        .await;
        let http = HttpClient::new(HttpSettings {
            base_url: format!("{}/css", server.base),
            retry_base: Duration::from_millis(5),
            retry_cap: Duration::from_millis(20),
            ..HttpSettings::default()
        })
        .unwrap();
        let tokens = Arc::new(TokenSource::fixed(Secret::new("tok")));
        (server, CssClient::new(http, "p1".into(), tokens))
    }

    fn body(name: &str) -> CreateCluster {
        let mut plan = Cluster {
            name: Some(name.into()),
            ..Cluster::default()
        };
        plan.instance_num = Some(1);
        plan.create_request()
    }

    async fn create(client: &CssClient, name: &str) -> Result<Created, ReconcileError<ApiError>> {
        let body = body(name);
        let target = Target {
            settle: Duration::ZERO,
            ..create_target(client, &body)
        };
        reconciled_create(client, &target, &body, &CancellationToken::new()).await
    }

    fn calls(server: &TestServer) -> Vec<String> {
        server
            .requests()
            .iter()
            .map(|r| format!("{} {}", r.method, r.path.split('?').next().unwrap_or("")))
            .collect()
    }

    const LIST: &str = "GET /css/v1.0/p1/clusters";
    const POST: &str = "POST /css/v1.0/p1/clusters";

    #[tokio::test]
    async fn a_cluster_created_behind_a_503_is_adopted() {
        let (server, client) =
            project(&[], None, Box::new(|_| (true, Reply::json(503, "{}")))).await;
        let created = create(&client, "es-orders").await.unwrap();
        assert_eq!(created.id, "new-1");
        assert_eq!(calls(&server), [LIST, POST, LIST]);
    }

    #[tokio::test]
    async fn a_503_without_a_cluster_is_sent_again() {
        let (server, client) = project(
            &[],
            None,
            Box::new(|n| match n {
                0 => (false, Reply::hang_up()),
                _ => (true, Reply::json(200, r#"{"cluster":{"id":"new-1"}}"#)),
            }),
        )
        .await;
        let created = create(&client, "es-orders").await.unwrap();
        assert_eq!(created.id, "new-1");
        assert_eq!(calls(&server), [LIST, POST, LIST, POST]);
    }

    #[tokio::test]
    async fn a_cluster_left_by_an_interrupted_create_stops_the_next() {
        let (server, client) = project(
            &[("left-1", "es-orders")],
            None,
            Box::new(|_| (true, Reply::json(200, r#"{"cluster":{"id":"x"}}"#))),
        )
        .await;
        let err = create(&client, "es-orders").await.unwrap_err();
        let body = body("es-orders");
        let d = err.diagnostic(&create_target(&client, &body));
        assert_eq!(d.summary, "CSS cluster named \"es-orders\" already exists");
        assert_eq!(d.path, Some(AttrPath::root("name")));
        assert!(d
            .detail
            .contains("terraform import <this resource's address> left-1"));
        assert!(!d.detail.contains("allow_duplicate"), "{}", d.detail);
        assert_eq!(calls(&server), [LIST]);
    }

    #[tokio::test]
    async fn without_a_list_endpoint_creates_go_ahead_and_unclear_ones_may_exist() {
        let (server, client) = project(
            &[],
            Some(404),
            Box::new(|_| (true, Reply::json(200, r#"{"cluster":{"id":"new-1"}}"#))),
        )
        .await;
        assert_eq!(create(&client, "es-orders").await.unwrap().id, "new-1");
        assert_eq!(calls(&server), [LIST, POST]);

        let (server, client) =
            project(&[], Some(501), Box::new(|_| (true, Reply::json(503, "{}")))).await;
        let err = create(&client, "es-orders").await.unwrap_err();
        let body = body("es-orders");
        let d = err.diagnostic(&create_target(&client, &body));
        assert_eq!(d.summary, "CSS cluster \"es-orders\" may exist");
        assert!(d.detail.contains("it answered HTTP 501"), "{}", d.detail);
        assert!(
            d.detail.contains("the CSS console of the project"),
            "{}",
            d.detail
        );
        assert_eq!(calls(&server), [LIST, POST]);
    }
}
