//! `instaclustr_cluster`: create through the extended provisioning API and wait for the chosen
//! state, resize in place, delete and wait for DELETED, read back everything the API echoes.

use async_trait::async_trait;

use super::client::{ApiError, ClusterDetail, DeleteOutcome, InstaclustrClient};
use super::model::{apply_detail, create_request, Cluster};
use super::schema::schema;
use crate::framework::poll::{wait_until, Backoff, Poll, WaitError};
use crate::framework::schema::Schema;
use crate::framework::settings::Configured;
use crate::framework::{Ctx, Failure, Outcome, Resource};

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

fn status_of(d: &ClusterDetail) -> &str {
    d.cluster_status.as_deref().unwrap_or("UNKNOWN")
}

impl ClusterResource {
    fn client(&self) -> Result<&InstaclustrClient, Failure<Cluster>> {
        self.client.get().map_err(Failure::from)
    }

    /// Polls until the cluster reaches `target` (RUNNING or PROVISIONED) with every node of
    /// `size` when given. FAILED ends the wait with an error; DEFERRED with a warning.
    async fn wait_ready(
        &self,
        ctx: &Ctx,
        id: &str,
        target: &str,
        size: Option<&str>,
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
            let sized = size.is_none_or(|s| d.nodes().all(|n| n.size.as_deref() == Some(s)));
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

    async fn create(&self, ctx: &Ctx, plan: Cluster) -> Outcome<Cluster, Cluster> {
        let client = self.client()?;
        let id = client
            .create_cluster(&create_request(&plan), ctx.cancel_token())
            .await
            .map_err(|e| api_failure("creating the cluster", e))?;
        tracing::info!(id = id.as_str(), "cluster created");
        let mut state = plan.clone();
        state.id = Some(id.clone());
        // From here on every failure keeps the id in state, so nothing leaks.
        let target = plan.wait_for_state.as_deref().unwrap_or("RUNNING");
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
                Ok(Some(m))
            }
        }
    }

    /// Only `node_size` reaches the API (resize, then wait for every node to have it); the other
    /// changes an update can see are state only, and call nothing.
    async fn update(&self, ctx: &Ctx, prior: Cluster, plan: Cluster) -> Outcome<Cluster, Cluster> {
        let mut state = plan.clone();
        let id = prior.id.clone().unwrap_or_default();
        state.id = Some(id.clone());
        let Some(size) = plan
            .node_size
            .clone()
            .filter(|s| Some(s) != prior.node_size.as_ref())
        else {
            return Ok(state);
        };
        let client = self.client()?;
        let cdc = prior.data_centre_id.clone().unwrap_or_default();
        client
            .resize(&id, &cdc, &size, ctx.cancel_token())
            .await
            .map_err(|e| api_failure("resizing the nodes", e).with_state(prior.clone()))?;
        let mut resized = prior.clone();
        resized.node_size = Some(size.clone());
        let d = self
            .wait_ready(ctx, &id, "RUNNING", Some(&size))
            .await
            .map_err(|e| wait_failure("resizing", e, resized))?;
        apply_detail(&mut state, &d);
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
