//! `data "css_cluster"`: one cluster of the project, looked up by `id` (its detail) or by `name`
//! (the cluster list, then the detail of the one match). What it exports is what the resource
//! reads back, through the same mapping ([`super::refresh`]); the admin password never.

use std::collections::BTreeMap;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use super::client::{ApiError, CssClient};
use super::model::{BackupStrategy, Cluster, Node, Volume};
use super::refresh::refresh;
use super::schema::node_type;
use crate::framework::schema::{boolean, list_of, map_of, number, string, Schema};
use crate::framework::settings::Configured;
use crate::framework::validators::not_empty;
use crate::framework::{AttrPath, Ctx, DataSource, Diagnostic, Diagnostics, Type, Value};

pub struct ClusterLookup {
    client: Configured<CssClient>,
}

impl ClusterLookup {
    pub fn new(client: Configured<CssClient>) -> Self {
        ClusterLookup { client }
    }
}

/// The data source's model. Blocks of the resource (`volume`, `backup_strategy`) are computed
/// lists of one object here, so `volume[0].size` reads the same on both.
#[derive(Serialize, Deserialize, Default, Debug, Clone, PartialEq)]
#[serde(default)]
pub struct FoundCluster {
    pub id: Option<String>,
    pub name: Option<String>,
    pub engine_type: Option<String>,
    pub engine_version: Option<String>,
    pub instance_num: Option<i64>,
    pub flavor: Option<String>,
    pub volume: Option<Vec<Volume>>,
    pub vpc_id: Option<String>,
    pub subnet_id: Option<String>,
    pub security_group_id: Option<String>,
    pub availability_zone: Option<String>,
    pub https_enabled: Option<bool>,
    pub authority_enabled: Option<bool>,
    pub backup_strategy: Option<Vec<BackupStrategy>>,
    pub tags: Option<BTreeMap<String, String>>,
    pub status: Option<String>,
    pub endpoint: Option<String>,
    pub created: Option<String>,
    pub nodes: Option<Vec<Node>>,
}

impl From<Cluster> for FoundCluster {
    fn from(c: Cluster) -> Self {
        FoundCluster {
            id: c.id,
            name: c.name,
            engine_type: c.engine_type,
            engine_version: c.engine_version,
            instance_num: c.instance_num,
            flavor: c.flavor,
            volume: Some(c.volume.into_iter().collect()),
            vpc_id: c.vpc_id,
            subnet_id: c.subnet_id,
            security_group_id: c.security_group_id,
            availability_zone: c.availability_zone,
            https_enabled: c.https_enabled,
            authority_enabled: c.authority_enabled,
            backup_strategy: Some(c.backup_strategy.into_iter().collect()),
            tags: c.tags,
            status: c.status,
            endpoint: c.endpoint,
            created: c.created,
            nodes: c.nodes,
        }
    }
}

fn volume_type() -> Type {
    Type::object([("volume_type", Type::String), ("size", Type::Number)])
}

fn backup_type() -> Type {
    Type::object([
        ("start_time", Type::String),
        ("prefix", Type::String),
        ("keep_days", Type::Number),
    ])
}

pub fn schema() -> Schema {
    Schema::new("One CSS cluster of the project, looked up by `id` or by `name`, with everything the API reports about it (never the admin password).")
        .attr(
            "id",
            string()
                .optional()
                .computed()
                .validate(not_empty())
                .conflicts_with(&["name"])
                .describe("The cluster's id. Set either `id` or `name`; when looking up by name, the id of the cluster found."),
        )
        .attr(
            "name",
            string()
                .optional()
                .computed()
                .validate(not_empty())
                .describe("The cluster's name, matched exactly. Set either `id` or `name`; a name that several clusters of the project share is an error that lists their ids."),
        )
        .attr("engine_type", string().computed().describe("Search engine (`datastore.type`), e.g. `elasticsearch`."))
        .attr("engine_version", string().computed().describe("Engine version (`datastore.version`)."))
        .attr("instance_num", number().computed().describe("Number of data nodes."))
        .attr("flavor", string().computed().describe("Node flavor (`specCode` of the data nodes)."))
        .attr(
            "volume",
            list_of(volume_type())
                .computed()
                .describe("The data disk of every node, as a list of one object: `volume_type`, `size` (GB), e.g. `volume[0].size`."),
        )
        .attr("vpc_id", string().computed().describe("VPC of the nodes."))
        .attr("subnet_id", string().computed().describe("Subnet of the nodes."))
        .attr("security_group_id", string().computed().describe("Security group of the nodes."))
        .attr(
            "availability_zone",
            string()
                .computed()
                .describe("Availability zones of the data nodes, separated by commas."),
        )
        .attr("https_enabled", boolean().computed().describe("Whether the cluster serves HTTPS."))
        .attr("authority_enabled", boolean().computed().describe("Whether the cluster is in security mode."))
        .attr(
            "backup_strategy",
            list_of(backup_type())
                .computed()
                .describe("Automatic snapshots (the snapshot policy), as a list of one object: `start_time`, `prefix`, `keep_days`; empty when they are off."),
        )
        .attr("tags", map_of(Type::String).computed().describe("Tags of the cluster."))
        .attr(
            "status",
            string()
                .computed()
                .describe("`\"100\"` while an operation runs, `\"200\"` available, `\"303\"` failed."),
        )
        .attr("endpoint", string().computed().describe("Address of the cluster inside the VPC, `ip:9200`."))
        .attr("created", string().computed().describe("When the cluster was created."))
        .attr(
            "nodes",
            list_of(node_type())
                .computed()
                .describe("The cluster's nodes: `id`, `name`, `type`, `status`, `ip`, `spec_code`, `availability_zone`."),
        )
}

/// Neither `id` nor `name`: nothing to look up. Both set is the schema's conflict; an unknown
/// one may still become set, so it is judged once known.
pub fn validate(config: &Value, diags: &mut Diagnostics) {
    if config.is_null() || !config.is_known() {
        return;
    }
    let unset = |name: &str| config.get(name).is_none_or(Value::is_null);
    if unset("id") && unset("name") {
        diags.push(missing_id_or_name());
    }
}

fn missing_id_or_name() -> Diagnostic {
    Diagnostic::error(
        "Missing id or name",
        "data \"css_cluster\" looks a cluster up by `id` or by `name`: set one of them.",
    )
    .at(AttrPath::root("id"))
}

fn read_failed(e: ApiError) -> Diagnostics {
    Diagnostic::error("CSS: reading the cluster failed", e.to_string()).into()
}

/// The one cluster of the project called `name`.
async fn id_by_name(ctx: &Ctx, client: &CssClient, name: &str) -> Result<String, Diagnostics> {
    let all = client
        .list_clusters(ctx.cancel_token())
        .await
        .map_err(|e| Diagnostic::error("CSS: listing the clusters failed", e.to_string()))?;
    let ids: Vec<String> = all
        .into_iter()
        .filter(|c| c.name.as_deref() == Some(name))
        .filter_map(|c| c.id)
        .collect();
    match ids.as_slice() {
        [id] => Ok(id.clone()),
        [] => Err(Diagnostic::error(
            "CSS cluster not found",
            format!("No CSS cluster named {name:?} exists in this project."),
        )
        .at(AttrPath::root("name"))
        .into()),
        several => Err(Diagnostic::error(
            "Several CSS clusters have this name",
            format!(
                "{} CSS clusters of this project are named {name:?}: {}. Look the one you mean up by `id` instead.",
                several.len(),
                several.join(", ")
            ),
        )
        .at(AttrPath::root("name"))
        .into()),
    }
}

#[async_trait]
impl DataSource for ClusterLookup {
    type Model = FoundCluster;

    fn type_name(&self) -> &'static str {
        "css_cluster"
    }

    fn schema(&self) -> Schema {
        schema()
    }

    fn validate(&self, config: &Value, diags: &mut Diagnostics) {
        validate(config, diags);
    }

    async fn read(&self, ctx: &Ctx, config: FoundCluster) -> Result<FoundCluster, Diagnostics> {
        let client = self.client.get()?;
        let (id, by) = match (&config.id, &config.name) {
            (Some(id), _) => (id.clone(), "id"),
            (None, Some(name)) => (id_by_name(ctx, client, name).await?, "name"),
            // Validation stops this before any read.
            (None, None) => return Err(missing_id_or_name().into()),
        };
        // No tags reported reads as `{}`, not null: a map users can count and index.
        let base = Cluster {
            tags: Some(BTreeMap::new()),
            ..Cluster::default()
        };
        match refresh(ctx, client, &id, base).await.map_err(read_failed)? {
            Some(found) => Ok(found.into()),
            None => Err(Diagnostic::error(
                "CSS cluster not found",
                match by {
                    "id" => format!("No CSS cluster with id {id:?} exists in this project."),
                    _ => format!(
                        "The CSS cluster named {:?} (id {id}) disappeared while it was read.",
                        config.name.as_deref().unwrap_or_default()
                    ),
                },
            )
            .at(AttrPath::root(by))
            .into()),
        }
    }
}

#[cfg(test)]
mod tests;
