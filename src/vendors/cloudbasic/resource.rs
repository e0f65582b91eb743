//! `cloudbasic_cluster`: one Multi-AZ HA cluster between the provider's instance
//! (`local_server`) and a remote instance.
//!
//! The API can create, alter and delete a cluster but never describe one, so this resource is
//! write-only and says so: Read returns the state Terraform already holds (it cannot notice a
//! change made outside Terraform), and import records only what its id names. Nothing here
//! invents a read.

use async_trait::async_trait;

use super::client::{ApiError, CloudBasicClient};
use super::model::{
    alter_request, attribute_for, create_request, delete_request, remote_settings_changed, Cluster,
};
use super::schema::schema;
use super::validate::{host, HOST_RULE};
use crate::framework::schema::Schema;
use crate::framework::settings::Configured;
use crate::framework::{AttrPath, Ctx, Diagnostic, Diagnostics, Failure, Outcome, Resource, Value};

pub struct ClusterResource {
    client: Configured<CloudBasicClient>,
}

impl ClusterResource {
    pub fn new(client: Configured<CloudBasicClient>) -> Self {
        ClusterResource { client }
    }

    fn client(&self) -> Result<&CloudBasicClient, Failure<Cluster>> {
        self.client.get().map_err(Failure::from)
    }
}

/// One diagnostic per problem the API named, on the attribute it concerns; the request id goes
/// into every detail so the vendor's support can find the call.
fn api_failure(action: &str, err: &ApiError) -> Failure<Cluster> {
    let problems = err.problems();
    if problems.is_empty() || !matches!(err, ApiError::Rejected { .. }) {
        return Failure::new(format!("CloudBasic: {action} failed"), err.to_string());
    }
    let diagnostics: Vec<Diagnostic> = problems
        .iter()
        .map(|p| {
            let attribute = p.field.as_deref().and_then(attribute_for);
            let summary = match (&p.field, attribute) {
                (Some(field), Some(attr)) => {
                    format!("CloudBasic rejected {attr} ({field}): {}", p.message)
                }
                (Some(field), None) => format!("CloudBasic rejected {field}: {}", p.message),
                (None, _) => format!("CloudBasic rejected the request: {}", p.message),
            };
            let d = Diagnostic::error(summary, format!("{err}."));
            match attribute {
                Some(attr) => d.at(AttrPath::root(attr)),
                None => d,
            }
        })
        .collect();
    Diagnostics::from(diagnostics).into()
}

#[async_trait]
impl Resource for ClusterResource {
    type Model = Cluster;

    fn type_name(&self) -> &'static str {
        "cloudbasic_cluster"
    }

    fn schema(&self) -> Schema {
        schema()
    }

    async fn create(&self, ctx: &Ctx, plan: Cluster) -> Outcome<Cluster, Cluster> {
        let client = self.client()?;
        let request = create_request(&plan)?;
        let mut state = plan;
        state.id = Some(state.local_server.clone());
        if state.standalone_server.is_none() {
            state.standalone_server = Some(state.local_server.clone());
        }
        match client.create_cluster(&request, ctx.cancel_token()).await {
            Ok(()) => {
                tracing::info!(local_server = %request.local_server, remote_server = %request.remote_server, "cluster created");
                Ok(state)
            }
            // No answer after sending: the cluster may exist. Keeping it in state (Terraform
            // then marks it tainted) means the next apply dissolves it before creating again,
            // rather than forgetting a live cluster.
            Err(e) if e.outcome_unknown() => Err(Failure::new(
                "CloudBasic: CreateCluster may or may not have been applied",
                format!(
                    "{e}. The cluster is kept in state as tainted: the next apply deletes it \
                     (DeleteCluster) and creates it again."
                ),
            )
            .with_state(state)),
            Err(e) => Err(api_failure("CreateCluster", &e)),
        }
    }

    /// There is no read action: the prior state is all there is to know. A cluster changed or
    /// dissolved outside Terraform is therefore not noticed (see the resource documentation).
    async fn read(&self, _ctx: &Ctx, state: Cluster) -> Outcome<Option<Cluster>, Cluster> {
        let mut state = state;
        if state.id.is_none() && !state.local_server.is_empty() {
            state.id = Some(state.local_server.clone());
        }
        Ok(Some(state))
    }

    async fn update(&self, ctx: &Ctx, prior: Cluster, plan: Cluster) -> Outcome<Cluster, Cluster> {
        let mut state = plan.clone();
        state.id = Some(plan.local_server.clone());
        // standalone_server is only used on destroy: a change of it alone is state only.
        if !remote_settings_changed(&prior, &plan) {
            return Ok(state);
        }
        let client = self.client()?;
        let request = alter_request(&plan)?;
        client
            .alter_cluster(&request, ctx.cancel_token())
            .await
            .map_err(|e| api_failure("AlterCluster", &e))?;
        tracing::info!(local_server = %plan.local_server, remote_server = %request.remote_server, port = request.port, "cluster altered");
        Ok(state)
    }

    async fn delete(&self, ctx: &Ctx, state: Cluster) -> Outcome<(), Cluster> {
        let client = self.client()?;
        let request = delete_request(&state);
        client
            .delete_cluster(&request, ctx.cancel_token())
            .await
            .map_err(|e| api_failure("DeleteCluster", &e))?;
        tracing::info!(local_server = %state.local_server, standalone_server = %request.standalone_server, "cluster deleted");
        Ok(())
    }

    /// The import id is `local_server`: that is all an import can know, since the API cannot be
    /// asked for the rest. The next plan fills the remote settings in place (AlterCluster).
    fn import_stub(
        &self,
        id: &str,
    ) -> Result<std::collections::BTreeMap<String, Value>, Diagnostic> {
        let id = id.trim();
        if !host(id) {
            return Err(Diagnostic::error(
                "Invalid import id",
                format!(
                    "{id:?} is not {HOST_RULE}. Import a cloudbasic_cluster by its local_server, \
                     e.g. `terraform import cloudbasic_cluster.example 10.0.1.15`."
                ),
            ));
        }
        Ok(std::collections::BTreeMap::from([
            ("id".to_string(), Value::from(id)),
            ("local_server".to_string(), Value::from(id)),
        ]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejected_fields_land_on_their_attributes() {
        let err = ApiError::Rejected {
            action: "CreateCluster",
            status: 400,
            request_id: Some("20".into()),
            problems: vec![super::super::body::Problem::parse(
                "{Port}:Invalid value for Port",
            )],
        };
        let failure = api_failure("CreateCluster", &err);
        let d = &failure.diagnostics.0[0];
        assert_eq!(d.path, Some(AttrPath::root("port")));
        assert!(d.summary.contains("port") && d.summary.contains("Invalid value for Port"));
        assert!(d.detail.contains("request id 20"), "{}", d.detail);
    }

    #[test]
    fn import_needs_a_host() {
        let r = ClusterResource::new(Configured::default());
        let stub = r.import_stub("db-a.example.com").unwrap();
        assert_eq!(stub["local_server"], Value::from("db-a.example.com"));
        assert_eq!(stub["id"], Value::from("db-a.example.com"));
        assert!(r.import_stub("no spaces allowed").is_err());
    }
}
