//! `data "instaclustr_clusters"`: every cluster of the account, from one list request.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use super::client::InstaclustrClient;
use crate::framework::schema::{list_of, string, Schema};
use crate::framework::settings::Configured;
use crate::framework::{Ctx, DataSource, Diagnostic, Diagnostics, Type};

pub struct AccountClusters {
    client: Configured<InstaclustrClient>,
}

impl AccountClusters {
    pub fn new(client: Configured<InstaclustrClient>) -> Self {
        AccountClusters { client }
    }
}

#[derive(Serialize, Deserialize, Default, Debug)]
#[serde(default)]
pub struct Clusters {
    pub id: Option<String>,
    pub cluster: Option<Vec<Summary>>,
}

#[derive(Serialize, Deserialize, Default, Debug)]
#[serde(default)]
pub struct Summary {
    pub cluster_id: Option<String>,
    pub cluster_name: Option<String>,
    pub node_count: Option<u32>,
    pub running_node_count: Option<u32>,
    pub derived_status: Option<String>,
    pub sla_tier: Option<String>,
    pub pci_compliance: Option<String>,
}

fn summary_type() -> Type {
    Type::object([
        ("cluster_id", Type::String),
        ("cluster_name", Type::String),
        ("node_count", Type::Number),
        ("running_node_count", Type::Number),
        ("derived_status", Type::String),
        ("sla_tier", Type::String),
        ("pci_compliance", Type::String),
    ])
}

#[async_trait]
impl DataSource for AccountClusters {
    type Model = Clusters;

    fn type_name(&self) -> &'static str {
        "instaclustr_clusters"
    }

    fn schema(&self) -> Schema {
        Schema::new("Every cluster of the account, as the cluster list reports them.")
            .attr("id", string().computed().describe("Always `instaclustr-clusters` (the official value): there is one list per account."))
            .attr(
                "cluster",
                list_of(summary_type()).computed().describe(
                    "One object per cluster: `cluster_id`, `cluster_name`, `node_count`, `running_node_count`, `derived_status`, `sla_tier`, `pci_compliance`.",
                ),
            )
    }

    async fn read(&self, ctx: &Ctx, _config: Clusters) -> Result<Clusters, Diagnostics> {
        let client = self.client.get()?;
        let list = client
            .list_clusters(ctx.cancel_token())
            .await
            .map_err(|e| {
                Diagnostic::error("Instaclustr: listing the clusters failed", e.to_string())
            })?;
        Ok(Clusters {
            id: Some("instaclustr-clusters".to_string()),
            cluster: Some(
                list.into_iter()
                    .map(|c| Summary {
                        cluster_id: c.id,
                        cluster_name: c.name,
                        node_count: c.node_count,
                        running_node_count: c.running_node_count,
                        derived_status: c.derived_status,
                        sla_tier: c.sla_tier,
                        pci_compliance: c.pci_compliance,
                    })
                    .collect(),
            ),
        })
    }
}
