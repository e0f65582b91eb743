//! `instaclustr_cluster`: create through the extended provisioning API and wait for the chosen
//! state, resize in place, delete and wait for DELETED, read back everything the API echoes.

use async_trait::async_trait;

use super::client::{ApiError, ClusterDetail, DeleteOutcome, InstaclustrClient};
use super::model::{apply_detail, create_request, Cluster};
use super::resize::{resizes, Resize};
use super::schema::schema;
use crate::framework::poll::{wait_until, Backoff, Poll, WaitError};
use crate::framework::schema::Schema;
use crate::framework::settings::Configured;
use crate::framework::{Ctx, Diagnostic, Diagnostics, Failure, Outcome, Resource, Value};

pub struct ClusterResource {
    client: Configured<InstaclustrClient>,
}

impl ClusterResource {
    pub fn new(client: Configured<InstaclustrClient>) -> Self {
        ClusterResource { client }
    }
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

    /// Polls until the cluster reaches `target` (RUNNING or PROVISIONED) with the nodes a
    /// resize asked for. FAILED ends the wait with an error; DEFERRED with a warning.
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
        wait_until(ctx, &what, Backoff::default(), || async {
            let Some(d) = client.get_cluster(id, ctx.cancel_token()).await? else {
                return Err(NotReady::Api(ApiError::NotFound));
            };
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
        })
        .await
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
        let body = create_request(&plan)
            .map_err(|e| Failure::new("Instaclustr: invalid bundle options", e.to_string()))?;
        let id = client
            .create_cluster(&body, ctx.cancel_token())
            .await
            .map_err(|e| api_failure("creating the cluster", e))?;
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
        wait_until(
            ctx,
            &format!("cluster {id} to be deleted"),
            Backoff::default(),
            || async {
                match client.get_cluster(&id, ctx.cancel_token()).await? {
                    None => Ok(Poll::Ready(())),
                    Some(d) if status_of(&d) == "DELETED" => Ok(Poll::Ready(())),
                    Some(d) => Ok::<_, ApiError>(Poll::Pending(status_of(&d).to_string())),
                }
            },
        )
        .await
        .map_err(|e| wait_failure("deleting the cluster", e, state.clone()))?;
        Ok(())
    }
}
