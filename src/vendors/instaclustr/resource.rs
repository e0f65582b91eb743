//! `instaclustr_cluster`: create through the extended provisioning API and wait for the chosen
//! state, resize in place, delete and wait for DELETED, read back everything the API echoes.

use async_trait::async_trait;
use tokio_util::sync::CancellationToken;

use super::client::CreateCluster;
use super::client::{ApiError, ClusterDetail, ClusterSummary, DeleteOutcome, InstaclustrClient};
use super::model::{apply_detail, create_request, Cluster};
use super::resize::{resizes, Resize};
use super::schema::schema;
use super::waits;
use crate::framework::poll::{wait_until, Backoff, Misses, Poll, WaitError};
use crate::framework::reconcile::{
    create_reconciled, Created, Listed, Listing, ReconcileError, Target,
};
use crate::framework::schema::Schema;
use crate::framework::settings::Configured;
use crate::framework::shared_status::Priority;
use crate::framework::{Ctx, Diagnostic, Diagnostics, Failure, Outcome, Resource, Value};

pub struct ClusterResource {
    client: Configured<InstaclustrClient>,
    duplicate_names: Configured<bool>,
}

impl ClusterResource {
    pub fn new(client: Configured<InstaclustrClient>, duplicate_names: Configured<bool>) -> Self {
        ClusterResource {
            client,
            duplicate_names,
        }
    }
}

const DUPLICATES_HINT: &str = "Cluster names need not be unique in an Instaclustr account. If this account reuses names on purpose, set `allow_duplicate_cluster_names = true` in the provider block (environment: IC_ALLOW_DUPLICATE_CLUSTER_NAMES) to create another cluster with this name.";

const FIND_HINT: &str = "the Instaclustr console, or the `instaclustr_clusters` data source, which lists every cluster's id and name";

/// What the reconciliation of a create of `body` is about.
fn create_target(
    client: &InstaclustrClient,
    body: &CreateCluster,
    allow_duplicates: bool,
) -> Target {
    Target {
        refuse_existing: !allow_duplicates,
        existing_hint: Some(DUPLICATES_HINT.to_string()),
        find_hint: FIND_HINT.to_string(),
        ..Target::new(
            "Instaclustr cluster",
            &body.cluster_name,
            "cluster_name",
            &client.account(),
        )
    }
}

/// Lists the account, creates, and reconciles an unclear answer with another listing.
async fn reconciled_create(
    client: &InstaclustrClient,
    target: &Target,
    body: &CreateCluster,
    cancel: &CancellationToken,
) -> Result<Created, ReconcileError<ApiError>> {
    create_reconciled(
        target,
        cancel,
        || async {
            let all = client.list_clusters(cancel).await?;
            Ok(Listing::Clusters(
                all.into_iter().filter_map(listed).collect(),
            ))
        },
        || client.create_cluster(body, cancel),
    )
    .await
}

/// A list entry as the reconciliation sees it; entries without an id or a name are skipped.
fn listed(c: ClusterSummary) -> Option<Listed> {
    let gone = c
        .derived_status
        .as_deref()
        .is_some_and(|s| s.eq_ignore_ascii_case("DELETED") || s.eq_ignore_ascii_case("DELETING"));
    Some(Listed {
        id: c.id.filter(|id| !id.trim().is_empty())?,
        name: c.name?,
        gone,
    })
}

fn api_failure(what: &str, e: ApiError) -> Failure<Cluster> {
    Failure::new(format!("Instaclustr: {what} failed"), e.to_string())
}

/// Why a wait for readiness ended without the cluster being ready.
#[derive(Debug, thiserror::Error)]
enum NotReady {
    #[error(transparent)]
    Api(#[from] ApiError),
    #[error("the cluster reached status {0}: Instaclustr could not provision it. It stays in state (tainted), so the next apply replaces it and destroy removes it.")]
    Failed(String),
}

fn wait_failure<E: std::fmt::Display>(
    what: &str,
    e: WaitError<E>,
    state: Cluster,
) -> Failure<Cluster> {
    match e {
        WaitError::Check(e) => {
            Failure::new(format!("Instaclustr: {what} failed"), e.to_string()).with_state(state)
        }
        stopped => Failure::new(
            format!("Instaclustr: {what} did not finish"),
            stopped.to_string(),
        )
        .with_state(state),
    }
}

/// A resize is done when no data centre reports a target size any more and the nodes show
/// the new size: all of them, or for one class at least one.
fn resize_done(d: &ClusterDetail, r: &Resize) -> bool {
    let pending = d.data_centres.iter().any(|dc| {
        dc.resize_target_node_size
            .as_deref()
            .is_some_and(|t| !t.is_empty())
    });
    let has = |n: &super::client::Node| n.size.as_deref() == Some(r.size.as_str());
    !pending
        && match r.purpose {
            None => d.nodes().all(has),
            Some(_) => d.nodes().any(has),
        }
}

fn status_of(d: &ClusterDetail) -> &str {
    d.cluster_status.as_deref().unwrap_or("UNKNOWN")
}

/// Credentials in bundle options never reach a log line or a diagnostic.
fn register_secrets(m: &Cluster) {
    for secret in m.option_secrets() {
        crate::http::secrets::register(&secret);
    }
}

/// After the resizes, state is the plan with what the API last reported of the cluster.
fn apply_detail_onto(state: &mut Cluster, read: &Cluster) {
    state.cluster_status = read.cluster_status.clone();
    state.nodes = read.nodes.clone();
    state.public_contact_point = read.public_contact_point.clone();
    state.private_contact_point = read.private_contact_point.clone();
    state.default_data_centre_id = read.default_data_centre_id.clone();
    // Unknown in the plan when a size option changed the size it derives from.
    if state.node_size.is_none() {
        state.node_size = read.node_size.clone();
    }
}

impl ClusterResource {
    fn client(&self) -> Result<&InstaclustrClient, Failure<Cluster>> {
        self.client.get().map_err(Failure::from)
    }

    /// The create POST, reconciled against the account's cluster list: one cluster with the
    /// planned name whatever happens to the answer (see [`crate::framework::reconcile`]).
    async fn create_once(
        &self,
        ctx: &Ctx,
        client: &InstaclustrClient,
        body: &CreateCluster,
        allow_duplicates: bool,
    ) -> Result<String, Failure<Cluster>> {
        let target = create_target(client, body, allow_duplicates);
        let outcome = reconciled_create(client, &target, body, ctx.cancel_token()).await;
        match outcome {
            Ok(created) => {
                if let Some(unclear) = &created.adopted_after {
                    ctx.warn(
                        "Instaclustr: the create's answer was lost, the cluster was found",
                        format!(
                            "The create request of {:?} got no usable answer ({unclear}), but the account's cluster list shows the new cluster: its id {} is in state, and nothing was created twice.",
                            body.cluster_name, created.id
                        ),
                    );
                }
                Ok(created.id)
            }
            Err(ReconcileError::Create(e)) => Err(api_failure("creating the cluster", e)),
            Err(ReconcileError::Cancelled) => Err(Failure::new(
                "Instaclustr: creating the cluster failed",
                ctx.cancel_reason()
                    .unwrap_or_else(|| "request cancelled".to_string()),
            )),
            Err(other) => Err(other.diagnostic(&target).into()),
        }
    }

    /// Polls until the cluster reaches `target` (RUNNING or PROVISIONED) with the nodes a
    /// resize asked for. FAILED ends the wait with an error; DEFERRED with a warning. Waits
    /// for the status alone share the account's listing with the other waits of this process.
    async fn wait_ready(
        &self,
        ctx: &Ctx,
        id: &str,
        target: &str,
        resized: Option<&Resize>,
    ) -> Result<ClusterDetail, WaitError<NotReady>> {
        let client = self
            .client()
            .map_err(|_| WaitError::Check(NotReady::Api(ApiError::NotFound)))?;
        let what = format!("cluster {id} to reach {target}");
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
                    return Err(NotReady::Api(ApiError::NotFound));
                };
                judge_ready(ctx, id, target, resized, d)
            }
        };
        match resized {
            // A resize is not visible in the listing: its wait reads the cluster.
            Some(_) => {
                wait_until(ctx, &what, Backoff::default(), || {
                    check(Priority::Background)
                })
                .await
            }
            None => {
                let kind = if target == "PROVISIONED" {
                    "PROVISIONED"
                } else {
                    "RUNNING"
                };
                waits::shared_wait(
                    client,
                    ctx,
                    kind,
                    &what,
                    id,
                    |listed| waits::toward(target, listed),
                    check,
                )
                .await
            }
        }
    }
}

/// What one read of the cluster says about a wait for `target` (and a resize, if any).
fn judge_ready(
    ctx: &Ctx,
    id: &str,
    target: &str,
    resized: Option<&Resize>,
    d: ClusterDetail,
) -> Result<Poll<ClusterDetail>, NotReady> {
    let status = status_of(&d).to_string();
    let sized = resized.is_none_or(|r| resize_done(&d, r));
    let reached = match target {
        "PROVISIONED" => matches!(status.as_str(), "PROVISIONED" | "JOINING" | "RUNNING"),
        _ => status == "RUNNING",
    };
    match status.as_str() {
        "FAILED" => Err(NotReady::Failed(status)),
        "DEFERRED" => {
            ctx.warn(
                "Instaclustr deferred the cluster's provisioning",
                format!("Cluster {id} is DEFERRED: Instaclustr will provision it later. Terraform stopped waiting; run `terraform refresh` to follow it."),
            );
            Ok(Poll::Ready(d))
        }
        _ if reached && sized => Ok(Poll::Ready(d)),
        _ => Ok(Poll::Pending(status)),
    }
}

#[async_trait]
impl Resource for ClusterResource {
    type Model = Cluster;

    fn type_name(&self) -> &'static str {
        "instaclustr_cluster"
    }

    fn schema(&self) -> Schema {
        schema()
    }

    fn validate(&self, config: &Value, diags: &mut Diagnostics) {
        super::validation::validate(config, diags);
    }

    fn upgrades_state(&self) -> bool {
        true
    }

    fn upgrade_state(
        &self,
        version: i64,
        state: serde_json::Value,
    ) -> Result<serde_json::Value, Diagnostic> {
        super::upgrade::upgrade(version, state)
    }

    async fn create(&self, ctx: &Ctx, plan: Cluster) -> Outcome<Cluster, Cluster> {
        register_secrets(&plan);
        let client = self.client()?;
        let allow_duplicates = *self.duplicate_names.get()?;
        let body = create_request(&plan)
            .map_err(|e| Failure::new("Instaclustr: invalid bundle options", e.to_string()))?;
        let id = self
            .create_once(ctx, client, &body, allow_duplicates)
            .await?;
        tracing::info!(id = id.as_str(), "cluster created");
        let mut state = plan.clone();
        state.id = Some(id.clone());
        state.cluster_id = Some(id.clone());
        // From here on every failure keeps the id in state, so nothing leaks.
        let target = plan.wait_target();
        let detail = if target == "NONE" {
            client
                .get_cluster(&id, ctx.cancel_token())
                .await
                .map_err(|e| api_failure("reading the new cluster", e).with_state(state.clone()))?
        } else {
            Some(
                self.wait_ready(ctx, &id, target, None)
                    .await
                    .map_err(|e| wait_failure("provisioning", e, state.clone()))?,
            )
        };
        if let Some(d) = detail {
            apply_detail(&mut state, &d);
        }
        Ok(state)
    }

    async fn read(&self, ctx: &Ctx, state: Cluster) -> Outcome<Option<Cluster>, Cluster> {
        register_secrets(&state);
        let client = self.client()?;
        let Some(id) = state.id.clone() else {
            return Ok(None);
        };
        let detail = client
            .get_cluster(&id, ctx.cancel_token())
            .await
            .map_err(|e| api_failure("reading the cluster", e))?;
        match detail {
            None => Ok(None),
            Some(d) if status_of(&d) == "DELETED" => Ok(None),
            Some(d) => {
                let mut m = state;
                apply_detail(&mut m, &d);
                if ctx.is_import() {
                    super::model::write_the_official_way(&mut m.bundle);
                }
                register_secrets(&m);
                Ok(Some(m))
            }
        }
    }

    /// Node sizes reach the API, one resize at a time, each waited for until the cluster is
    /// RUNNING with the new size; the other changes an update can see are state only.
    async fn update(&self, ctx: &Ctx, prior: Cluster, plan: Cluster) -> Outcome<Cluster, Cluster> {
        let mut state = plan.clone();
        let id = prior.id.clone().unwrap_or_default();
        state.id = Some(id.clone());
        let steps = resizes(&prior, &plan);
        if steps.is_empty() {
            return Ok(state);
        }
        let client = self.client()?;
        let cdc = prior.default_data_centre_id.clone().unwrap_or_default();
        let mut done = prior.clone();
        for step in &steps {
            client
                .resize(&id, &cdc, &step.size, step.purpose, ctx.cancel_token())
                .await
                .map_err(|e| api_failure("resizing the nodes", e).with_state(done.clone()))?;
            let d = self
                .wait_ready(ctx, &id, "RUNNING", Some(step))
                .await
                .map_err(|e| wait_failure("resizing", e, done.clone()))?;
            apply_detail(&mut done, &d);
        }
        apply_detail_onto(&mut state, &done);
        Ok(state)
    }

    async fn delete(&self, ctx: &Ctx, state: Cluster) -> Outcome<(), Cluster> {
        let client = self.client()?;
        let Some(id) = state.id.clone() else {
            return Ok(());
        };
        // 409 means dependencies are still being torn down: try again until the timeout.
        let outcome = wait_until(
            ctx,
            &format!("cluster {id} to accept deletion"),
            Backoff::default(),
            || async {
                match client.delete_cluster(&id, ctx.cancel_token()).await {
                    Ok(o) => Ok(Poll::Ready(o)),
                    Err(ApiError::Conflict(m)) => Ok(Poll::Pending(format!("409 {m}"))),
                    Err(e) => Err(e),
                }
            },
        )
        .await
        .map_err(|e| wait_failure("deleting the cluster", e, state.clone()))?;
        if outcome == DeleteOutcome::AlreadyGone {
            return Ok(());
        }
        let what = format!("cluster {id} to be deleted");
        let check = |priority: Priority| {
            let client = client.at(priority);
            let id = &id;
            async move {
                match client.get_cluster(id, ctx.cancel_token()).await? {
                    None => Ok(Poll::Ready(())),
                    Some(d) if status_of(&d) == "DELETED" => Ok(Poll::Ready(())),
                    Some(d) => Ok::<_, ApiError>(Poll::Pending(status_of(&d).to_string())),
                }
            }
        };
        waits::shared_wait(client, ctx, "DELETED", &what, &id, waits::deleted, check)
            .await
            .map_err(|e| wait_failure("deleting the cluster", e, state.clone()))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};
    use std::time::Duration;

    use super::*;
    use crate::http::testing::{Recorded, Reply, TestServer};
    use crate::http::{HttpClient, HttpSettings};

    /// What the fake API does with the n-th create request (0-based).
    type OnCreate = Box<dyn Fn(usize) -> (bool, Reply) + Send + Sync>;

    /// A fake account: the list answers the clusters it holds (404 when none); a create adds
    /// one when `on_create` says it acts and answers what it says.
    async fn account(
        existing: &[(&str, &str, &str)],
        on_create: OnCreate,
    ) -> (TestServer, InstaclustrClient) {
        let clusters: Arc<Mutex<Vec<(String, String, String)>>> = Arc::new(Mutex::new(
            existing
                .iter()
                .map(|(id, name, status)| (id.to_string(), name.to_string(), status.to_string()))
                .collect(),
        ));
        let creates = Mutex::new(0usize);
        let server = TestServer::start(move |req: &Recorded, _| {
            let mut all = clusters.lock().unwrap();
            if req.method == "GET" {
                if all.is_empty() {
                    return Reply::json(404, r#"{"message":"no clusters"}"#);
                }
                let list: Vec<_> = all
                    .iter()
                    .map(|(id, name, status)| serde_json::json!({"id": id, "name": name, "derivedStatus": status}))
                    .collect();
                return Reply::json(200, &serde_json::Value::Array(list).to_string());
            }
            let mut n = creates.lock().unwrap();
            let (acts, reply) = on_create(*n);
            *n += 1;
            if acts {
                let id = format!("new-{n}");
                all.push((id, req.json()["clusterName"].as_str().unwrap_or("").to_string(), "GENESIS".into()));
            }
            reply
        })
        .await;
        let http = HttpClient::new(HttpSettings {
            base_url: format!("{}/instaclustr", server.base),
            retry_base: Duration::from_millis(5),
            retry_cap: Duration::from_millis(20),
            ..HttpSettings::default()
        })
        .unwrap();
        (
            server,
            InstaclustrClient::new(http, "alice".into(), "key".into()),
        )
    }

    fn body(name: &str) -> CreateCluster {
        CreateCluster {
            cluster_name: name.into(),
            ..CreateCluster::default()
        }
    }

    async fn create(
        client: &InstaclustrClient,
        name: &str,
        allow_duplicates: bool,
    ) -> Result<Created, ReconcileError<ApiError>> {
        let body = body(name);
        let target = Target {
            settle: Duration::ZERO,
            ..create_target(client, &body, allow_duplicates)
        };
        reconciled_create(client, &target, &body, &CancellationToken::new()).await
    }

    fn calls(server: &TestServer) -> Vec<String> {
        server
            .requests()
            .iter()
            .map(|r| format!("{} {}", r.method, r.path))
            .collect()
    }

    const LIST: &str = "GET /instaclustr/provisioning/v1";
    const POST: &str = "POST /instaclustr/provisioning/v1/extended/";

    #[tokio::test]
    async fn a_cluster_created_behind_a_503_is_adopted() {
        let (server, client) = account(&[], Box::new(|_| (true, Reply::json(503, "{}")))).await;
        let created = create(&client, "orders", false).await.unwrap();
        assert_eq!(created.id, "new-1");
        assert!(created.adopted_after.unwrap().contains("HTTP 503"));
        assert_eq!(calls(&server), [LIST, POST, LIST]);
    }

    #[tokio::test]
    async fn a_cluster_created_behind_a_dropped_answer_is_adopted() {
        let (server, client) = account(
            &[("old", "billing", "RUNNING")],
            Box::new(|_| (true, Reply::hang_up())),
        )
        .await;
        let created = create(&client, "orders", false).await.unwrap();
        assert_eq!(created.id, "new-1");
        assert_eq!(calls(&server), [LIST, POST, LIST]);
    }

    #[tokio::test]
    async fn a_503_without_a_cluster_is_sent_again() {
        let (server, client) = account(
            &[],
            Box::new(|n| match n {
                0 => (false, Reply::json(503, "{}")),
                _ => (true, Reply::json(202, r#"{"id":"new-1"}"#)),
            }),
        )
        .await;
        let created = create(&client, "orders", false).await.unwrap();
        assert_eq!(created.id, "new-1");
        assert_eq!(created.adopted_after, None);
        assert_eq!(calls(&server), [LIST, POST, LIST, POST]);
    }

    #[tokio::test]
    async fn a_cluster_left_by_an_interrupted_create_stops_the_next() {
        let existing = [
            ("left-1", "orders", "RUNNING"),
            ("dead", "orders", "DELETED"),
        ];
        let (server, client) = account(
            &existing,
            Box::new(|_| (true, Reply::json(202, r#"{"id":"new-1"}"#))),
        )
        .await;
        let err = create(&client, "orders", false).await.unwrap_err();
        let body = body("orders");
        let d = err.diagnostic(&create_target(&client, &body, false));
        assert_eq!(
            d.summary,
            "Instaclustr cluster named \"orders\" already exists"
        );
        assert!(
            d.detail
                .contains("terraform import <this resource's address> left-1"),
            "{}",
            d.detail
        );
        assert!(
            d.detail.contains("allow_duplicate_cluster_names = true"),
            "{}",
            d.detail
        );
        assert_eq!(
            d.path,
            Some(crate::framework::AttrPath::root("cluster_name"))
        );
        assert_eq!(calls(&server), [LIST]);

        // Names may repeat on purpose: then the create goes ahead, on the listing of a moment
        // ago (nothing was created since).
        let created = create(&client, "orders", true).await.unwrap();
        assert_eq!(created.id, "new-1");
        assert_eq!(calls(&server), [LIST, POST]);
    }

    #[test]
    fn list_entries_without_an_id_or_a_name_are_skipped() {
        let entry = |id: Option<&str>, name: Option<&str>, status: &str| ClusterSummary {
            id: id.map(str::to_string),
            name: name.map(str::to_string),
            derived_status: Some(status.to_string()),
            ..ClusterSummary::default()
        };
        assert_eq!(listed(entry(None, Some("a"), "RUNNING")), None);
        assert_eq!(listed(entry(Some(" "), Some("a"), "RUNNING")), None);
        assert_eq!(listed(entry(Some("1"), None, "RUNNING")), None);
        assert!(
            !listed(entry(Some("1"), Some("a"), "PROVISIONING"))
                .unwrap()
                .gone
        );
        assert!(
            listed(entry(Some("1"), Some("a"), "deleting"))
                .unwrap()
                .gone
        );
        assert!(listed(entry(Some("1"), Some("a"), "DELETED")).unwrap().gone);
    }
}
