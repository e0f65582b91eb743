//! `data "instaclustr_cluster_credentials"`: the default user's password and the certificate
//! download link of one cluster, from its detail.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use super::client::InstaclustrClient;
use crate::framework::schema::{string, Schema};
use crate::framework::settings::Configured;
use crate::framework::validators::not_empty;
use crate::framework::{AttrPath, Ctx, DataSource, Diagnostic, Diagnostics};

pub struct ClusterCredentials {
    client: Configured<InstaclustrClient>,
}

impl ClusterCredentials {
    pub fn new(client: Configured<InstaclustrClient>) -> Self {
        ClusterCredentials { client }
    }
}

#[derive(Serialize, Deserialize, Default, Debug)]
#[serde(default)]
pub struct Credentials {
    pub id: Option<String>,
    pub cluster_id: Option<String>,
    pub cluster_password: Option<String>,
    pub certificate_download: Option<String>,
}

#[async_trait]
impl DataSource for ClusterCredentials {
    type Model = Credentials;

    fn type_name(&self) -> &'static str {
        "instaclustr_cluster_credentials"
    }

    fn schema(&self) -> Schema {
        Schema::new("The default user's password and the certificate download link of a cluster.")
            .attr(
                "id",
                string().computed().describe("`<cluster_id>-credentials`."),
            )
            .attr(
                "cluster_id",
                string()
                    .required()
                    .validate(not_empty())
                    .describe("The cluster's id, e.g. `instaclustr_cluster.example.cluster_id`."),
            )
            .attr(
                "cluster_password",
                string().computed().sensitive().describe(
                    "Password of the cluster's default user (`instaclustrUserPassword`).",
                ),
            )
            .attr(
                "certificate_download",
                string().computed().describe(
                    "Where to download the cluster's certificates (`clusterCertificateDownload`).",
                ),
            )
    }

    async fn read(&self, ctx: &Ctx, config: Credentials) -> Result<Credentials, Diagnostics> {
        let client = self.client.get()?;
        let id = config.cluster_id.clone().unwrap_or_default();
        let detail = client
            .get_cluster(&id, ctx.cancel_token())
            .await
            .map_err(|e| {
                Diagnostic::error("Instaclustr: reading the cluster failed", e.to_string())
            })?;
        let Some(d) = detail.filter(|d| d.cluster_status.as_deref() != Some("DELETED")) else {
            return Err(Diagnostic::error(
                "Instaclustr: cluster not found",
                format!("No cluster with id {id:?} exists in this account."),
            )
            .at(AttrPath::root("cluster_id"))
            .into());
        };
        Ok(Credentials {
            id: Some(format!("{id}-credentials")),
            cluster_id: Some(id),
            cluster_password: d.instaclustr_user_password,
            certificate_download: d.cluster_certificate_download,
        })
    }
}
