//! `instaclustr_cluster`: create through the extended provisioning API and wait for the chosen
//! state, resize in place, delete and wait for DELETED, read back everything the API echoes.

use std::collections::BTreeMap;
use std::time::Duration;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use super::client::{self, ApiError, ClusterDetail, DeleteOutcome, InstaclustrClient};
use crate::framework::poll::{wait_until, Backoff, Poll, WaitError};
use crate::framework::schema::{
    boolean, list_of, map_of, number, string, Block, NestedBlock, Schema, Timeouts,
};
use crate::framework::settings::Configured;
use crate::framework::validators::{int_between, matches, one_of, private_ipv4_cidr};
use crate::framework::{Ctx, Failure, Outcome, Resource, Type, Value};

const MINUTE: Duration = Duration::from_secs(60);

/// What the API allocates when a create request has no `rackAllocation`.
const DEFAULT_RACKS: RackAllocation = RackAllocation {
    number_of_racks: 3,
    nodes_per_rack: 1,
};

#[derive(Serialize, Deserialize, Default, Clone, Debug, PartialEq)]
#[serde(default)]
pub struct Cluster {
    pub id: Option<String>,
    pub cluster_name: String,
    pub node_size: String,
    pub data_centre: String,
    pub sla_tier: String,
    pub cluster_network: String,
    pub private_network_cluster: bool,
    pub pci_compliant_cluster: bool,
    pub cluster_provider: Option<CloudProvider>,
    pub rack_allocation: Option<RackAllocation>,
    pub bundle: Vec<Bundle>,
    pub wait_for_state: String,
    pub cluster_status: Option<String>,
    pub data_centre_id: Option<String>,
    pub nodes: Option<Vec<Node>>,
    pub default_user_password: Option<String>,
}

#[derive(Serialize, Deserialize, Default, Clone, Debug, PartialEq)]
#[serde(default)]
pub struct CloudProvider {
    pub name: String,
    pub account_name: Option<String>,
    pub custom_virtual_network_id: Option<String>,
    pub disk_encryption_key: Option<String>,
    pub tags: Option<BTreeMap<String, String>>,
}

#[derive(Serialize, Deserialize, Default, Clone, Copy, Debug, PartialEq)]
#[serde(default)]
pub struct RackAllocation {
    pub number_of_racks: u32,
    pub nodes_per_rack: u32,
}

#[derive(Serialize, Deserialize, Default, Clone, Debug, PartialEq)]
#[serde(default)]
pub struct Bundle {
    pub bundle: String,
    pub version: String,
    pub options: Option<BTreeMap<String, String>>,
}

#[derive(Serialize, Deserialize, Default, Clone, Debug, PartialEq)]
#[serde(default)]
pub struct Node {
    pub id: Option<String>,
    pub size: Option<String>,
    pub rack: Option<String>,
    pub public_address: Option<String>,
    pub private_address: Option<String>,
    pub status: Option<String>,
}

pub struct ClusterResource {
    client: Configured<InstaclustrClient>,
}

impl ClusterResource {
    pub fn new(client: Configured<InstaclustrClient>) -> Self {
        ClusterResource { client }
    }
}

fn node_type() -> Type {
    Type::object(
        [
            "id",
            "size",
            "rack",
            "public_address",
            "private_address",
            "status",
        ]
        .map(|k| (k, Type::String)),
    )
}

fn schema() -> Schema {
    Schema::new("An Instaclustr managed cluster (Cassandra, Kafka, Redis, … as chosen by `bundle`).")
        .attr("id", string().computed().describe("Cluster UUID."))
        .attr(
            "cluster_name",
            string()
                .required()
                .replace()
                .validate(matches("^[A-Za-z0-9_]{1,32}$", "1 to 32 letters, digits or underscores"))
                .describe("Cluster name: 1–32 letters, digits or underscores."),
        )
        .attr(
            "node_size",
            string().required().describe("Node size, e.g. `t3.small-v2`. Changed in place through the resize API."),
        )
        .attr(
            "data_centre",
            string().required().replace().describe("Data centre, e.g. `US_WEST_2`."),
        )
        .attr(
            "sla_tier",
            string()
                .default("NON_PRODUCTION")
                .replace()
                .validate(one_of(&["PRODUCTION", "NON_PRODUCTION"]))
                .describe("`PRODUCTION` or `NON_PRODUCTION`."),
        )
        .attr(
            "cluster_network",
            string()
                .default("10.224.0.0/12")
                .replace()
                .validate(private_ipv4_cidr(12, 22))
                .describe("Private IPv4 CIDR of the cluster network, prefix /12 to /22."),
        )
        .attr(
            "private_network_cluster",
            boolean().default(false).replace().describe("Nodes get private addresses only."),
        )
        .attr(
            "pci_compliant_cluster",
            boolean().default(false).replace().describe("Create a PCI-compliant cluster."),
        )
        .block(
            "cluster_provider",
            NestedBlock::single(
                Block::new("Where the cluster runs.")
                    .attr(
                        "name",
                        string()
                            .required()
                            .validate(one_of(&["AWS_VPC", "AZURE_AZ", "GCP"]))
                            .describe("`AWS_VPC`, `AZURE_AZ` or `GCP`."),
                    )
                    .attr("account_name", string().optional().describe("Provider account to run in."))
                    .attr("custom_virtual_network_id", string().optional().describe("An existing VPC/VNet to use."))
                    .attr("disk_encryption_key", string().optional().describe("KMS key for disk encryption."))
                    .attr("tags", map_of(Type::String).optional().describe("Tags put on the cloud resources.")),
            )
            .required()
            .replace_if(provider_replaced),
        )
        .block(
            "rack_allocation",
            NestedBlock::single(
                Block::new("How nodes are spread over racks.")
                    .attr(
                        "number_of_racks",
                        number().required().validate(int_between(1, 5)).describe("1 to 5."),
                    )
                    .attr(
                        "nodes_per_rack",
                        number().required().validate(int_between(1, 10)).describe("1 to 10."),
                    ),
            )
            .replace(),
        )
        .block(
            "bundle",
            NestedBlock::list(
                Block::new("An application bundle; the first is the cluster's primary application.")
                    .attr("bundle", string().required().describe("Bundle, e.g. `APACHE_CASSANDRA`."))
                    .attr("version", string().required().describe("Bundle version, e.g. `4.0.1`."))
                    .attr(
                        "options",
                        map_of(Type::String).optional().describe(
                            "Bundle options, keys as the API spells them (e.g. `authnAuthz`); \"true\"/\"false\" are sent as JSON booleans.",
                        ),
                    ),
            )
            .min(1)
            .replace_if(bundles_replaced),
        )
        .attr(
            "wait_for_state",
            string()
                .default("RUNNING")
                .validate(one_of(&["RUNNING", "PROVISIONED", "NONE"]))
                .describe("Create waits until the cluster is `RUNNING` (default) or `PROVISIONED`, or returns as soon as it has an id (`NONE`)."),
        )
        .attr("cluster_status", string().computed().describe("The API's `clusterStatus`."))
        .attr("data_centre_id", string().computed().describe("The cluster data centre id (`cdcId`)."))
        .attr(
            "nodes",
            list_of(node_type())
                .computed()
                .recompute_when(&["node_size"])
                .describe("The cluster's nodes."),
        )
        .attr(
            "default_user_password",
            string().computed().sensitive().describe("Password of the default user (`instaclustrUserPassword`)."),
        )
        .timeouts(Timeouts {
            create: Some(60 * MINUTE),
            update: Some(60 * MINUTE),
            delete: Some(30 * MINUTE),
            read: None,
        })
}

/// Two values of an optional argument that the API may not report back: only a change from one
/// value to another counts. Setting or clearing one (as the first plan after an import does
/// when the API did not echo it) is recorded in place instead of replacing the cluster.
fn both_set_and_differ(prior: &Value, planned: &Value) -> bool {
    !prior.is_null() && !planned.is_null() && prior != planned
}

/// `cluster_provider` replaces the cluster when its name changes, or when another argument
/// changes from one value to another.
fn provider_replaced(prior: &Value, planned: &Value) -> bool {
    let get = |v: &'_ Value, k: &str| v.get(k).cloned().unwrap_or(Value::Null);
    if prior.is_null() || planned.is_null() || get(prior, "name") != get(planned, "name") {
        return true;
    }
    [
        "account_name",
        "custom_virtual_network_id",
        "disk_encryption_key",
        "tags",
    ]
    .iter()
    .any(|k| both_set_and_differ(&get(prior, k), &get(planned, k)))
}

/// `bundle` replaces the cluster when bundles are added, removed or changed, or when options
/// change from one value to another.
fn bundles_replaced(prior: &Value, planned: &Value) -> bool {
    let (before, after) = match (prior.elements(), planned.elements()) {
        (Some(b), Some(a)) if b.len() == a.len() => (b, a),
        _ => return true,
    };
    before.iter().zip(after).any(|(b, a)| {
        let get = |v: &'_ Value, k: &str| v.get(k).cloned().unwrap_or(Value::Null);
        get(b, "bundle") != get(a, "bundle")
            || get(b, "version") != get(a, "version")
            || both_set_and_differ(&get(b, "options"), &get(a, "options"))
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

/// `"true"`/`"false"` options become JSON booleans, as the API expects; everything else is sent
/// as the string the user wrote.
fn options_to_api(
    options: &Option<BTreeMap<String, String>>,
) -> Option<serde_json::Map<String, serde_json::Value>> {
    options.as_ref().map(|o| {
        o.iter()
            .map(|(k, v)| {
                let value = match v.as_str() {
                    "true" => serde_json::Value::Bool(true),
                    "false" => serde_json::Value::Bool(false),
                    _ => serde_json::Value::String(v.clone()),
                };
                (k.clone(), value)
            })
            .collect()
    })
}

fn options_from_api(
    options: &serde_json::Map<String, serde_json::Value>,
) -> BTreeMap<String, String> {
    options
        .iter()
        .map(|(k, v)| {
            let text = match v {
                serde_json::Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            (k.clone(), text)
        })
        .collect()
}

fn create_request(plan: &Cluster) -> client::CreateCluster {
    let provider = plan.cluster_provider.clone().unwrap_or_default();
    client::CreateCluster {
        cluster_name: plan.cluster_name.clone(),
        bundles: plan
            .bundle
            .iter()
            .map(|b| client::Bundle {
                bundle: b.bundle.clone(),
                version: b.version.clone(),
                options: options_to_api(&b.options),
            })
            .collect(),
        provider: client::ProviderSpec {
            name: provider.name,
            account_name: provider.account_name,
            custom_virtual_network_id: provider.custom_virtual_network_id,
            tags: provider.tags,
            disk_encryption_key: provider.disk_encryption_key,
        },
        sla_tier: plan.sla_tier.clone(),
        node_size: plan.node_size.clone(),
        data_centre: plan.data_centre.clone(),
        cluster_network: plan.cluster_network.clone(),
        private_network_cluster: plan.private_network_cluster,
        pci_compliant_cluster: plan.pci_compliant_cluster,
        rack_allocation: plan.rack_allocation.map(|r| client::RackAllocation {
            number_of_racks: r.number_of_racks,
            nodes_per_rack: r.nodes_per_rack,
        }),
    }
}

/// Copies what the API reports into the model. Arguments the API does not echo keep their
/// state value, so a quiet API never produces a diff.
fn apply_detail(m: &mut Cluster, d: &ClusterDetail) {
    let importing = m.cluster_name.is_empty();
    if let Some(v) = &d.id {
        m.id = Some(v.clone());
    }
    if let Some(v) = &d.cluster_name {
        m.cluster_name = v.clone();
    }
    let dc = d.data_centres.first();
    if let Some(v) = d
        .node_size
        .clone()
        .or_else(|| d.nodes().find_map(|n| n.size.clone()))
    {
        // During a resize nodes report mixed sizes; the requested size is what state tracks.
        if importing || d.node_size.is_some() {
            m.node_size = v;
        }
    }
    if let Some(v) = d
        .data_centre
        .clone()
        .or_else(|| dc.and_then(|c| c.name.clone()))
    {
        m.data_centre = v;
    }
    if let Some(v) = &d.sla_tier {
        m.sla_tier = v.clone();
    }
    if let Some(v) = d
        .cluster_network
        .clone()
        .or_else(|| dc.and_then(|c| c.cdc_network.clone()))
    {
        m.cluster_network = v;
    }
    if let Some(v) = d.private_network_cluster {
        m.private_network_cluster = v;
    }
    if let Some(v) = d.pci_compliant_cluster {
        m.pci_compliant_cluster = v;
    } else if let Some(v) = &d.pci_compliance {
        m.pci_compliant_cluster =
            v.eq_ignore_ascii_case("ENABLED") || v.eq_ignore_ascii_case("true");
    }
    let provider_name = d
        .provider
        .as_ref()
        .and_then(|p| p.name.clone())
        .or_else(|| dc.and_then(|c| c.provider.clone()));
    if provider_name.is_some() || d.provider.is_some() {
        let cp = m
            .cluster_provider
            .get_or_insert_with(CloudProvider::default);
        if let Some(n) = provider_name {
            cp.name = n;
        }
        if let Some(p) = &d.provider {
            if p.account_name.is_some() {
                cp.account_name = p.account_name.clone();
            }
            if p.custom_virtual_network_id.is_some() {
                cp.custom_virtual_network_id = p.custom_virtual_network_id.clone();
            }
            if p.disk_encryption_key.is_some() {
                cp.disk_encryption_key = p.disk_encryption_key.clone();
            }
            // An empty tag map from the API means "none": keep state's null rather than diff.
            if let Some(tags) = &p.tags {
                if !tags.is_empty() || cp.tags.is_some() {
                    cp.tags = Some(tags.clone());
                }
            }
        }
    }
    // Only track racks the user configured: the API reports its default allocation for
    // clusters created without one, which must not become a diff. An import cannot know the
    // configuration, so it records an allocation only when it differs from that default.
    if let Some(r) = &d.rack_allocation {
        if let (Some(n), Some(p)) = (r.number_of_racks, r.nodes_per_rack) {
            let read = RackAllocation {
                number_of_racks: n,
                nodes_per_rack: p,
            };
            if m.rack_allocation.is_some() || (importing && read != DEFAULT_RACKS) {
                m.rack_allocation = Some(read);
            }
        }
    }
    if let Some(bundles) = &d.bundles {
        let read: Vec<Bundle> = bundles
            .iter()
            .enumerate()
            .map(|(i, b)| {
                let bundle = b.bundle.clone().unwrap_or_default();
                let prev = m.bundle.get(i).filter(|p| p.bundle == bundle);
                let options = match &b.options {
                    // Not echoed at all: the API says nothing, state stays as it was.
                    None => prev.and_then(|p| p.options.clone()),
                    // Echoed empty: no options, written as the user wrote "none" (null or {}).
                    Some(o) if o.is_empty() => prev
                        .and_then(|p| p.options.clone())
                        .filter(|o| o.is_empty()),
                    Some(o) => Some(options_from_api(o)),
                };
                Bundle {
                    bundle,
                    version: b.version.clone().unwrap_or_default(),
                    options,
                }
            })
            .collect();
        if !read.is_empty() {
            m.bundle = read;
        }
    } else if m.bundle.is_empty() {
        if let (Some(b), Some(v)) = (&d.bundle_type, &d.bundle_version) {
            m.bundle = vec![Bundle {
                bundle: b.clone(),
                version: v.clone(),
                options: None,
            }];
        }
    }
    m.cluster_status = d.cluster_status.clone();
    m.data_centre_id = d.data_centre_id().map(str::to_string);
    m.nodes = Some(
        d.nodes()
            .map(|n| Node {
                id: n.id.clone(),
                size: n.size.clone(),
                rack: n.rack.clone(),
                public_address: n.public_address.clone(),
                private_address: n.private_address.clone(),
                status: n.node_status.clone(),
            })
            .collect(),
    );
    if d.instaclustr_user_password.is_some() {
        m.default_user_password = d.instaclustr_user_password.clone();
    }
    if m.wait_for_state.is_empty() {
        m.wait_for_state = "RUNNING".to_string();
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
        let detail = if plan.wait_for_state == "NONE" {
            client
                .get_cluster(&id, ctx.cancel_token())
                .await
                .map_err(|e| api_failure("reading the new cluster", e).with_state(state.clone()))?
        } else {
            Some(
                self.wait_ready(ctx, &id, &plan.wait_for_state, None)
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

    async fn update(&self, ctx: &Ctx, prior: Cluster, plan: Cluster) -> Outcome<Cluster, Cluster> {
        let client = self.client()?;
        let mut state = plan.clone();
        let id = prior.id.clone().unwrap_or_default();
        state.id = Some(id.clone());
        if prior.node_size != plan.node_size {
            let cdc = prior.data_centre_id.clone().unwrap_or_default();
            client
                .resize(&id, &cdc, &plan.node_size, ctx.cancel_token())
                .await
                .map_err(|e| api_failure("resizing the nodes", e).with_state(prior.clone()))?;
            let mut resized = prior.clone();
            resized.node_size = plan.node_size.clone();
            let d = self
                .wait_ready(ctx, &id, "RUNNING", Some(&plan.node_size))
                .await
                .map_err(|e| wait_failure("resizing", e, resized))?;
            apply_detail(&mut state, &d);
        } else if let Some(d) = client
            .get_cluster(&id, ctx.cancel_token())
            .await
            .map_err(|e| api_failure("reading the cluster", e).with_state(prior.clone()))?
        {
            apply_detail(&mut state, &d);
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema_builds_with_defaults_shown() {
        let s = schema();
        assert!(s.block.attributes["sla_tier"].computed);
        assert!(s.block.blocks.contains_key("timeouts"));
    }

    #[test]
    fn unreadable_arguments_appearing_after_import_do_not_replace() {
        let bundle = |options: Value| {
            Value::list([Value::object([
                ("bundle", Value::from("APACHE_CASSANDRA")),
                ("version", Value::from("4.0.1")),
                ("options", options),
            ])])
        };
        let opts = |v: &str| Value::map([("authnAuthz", Value::from(v))]);
        assert!(!bundles_replaced(
            &bundle(Value::Null),
            &bundle(opts("true"))
        ));
        assert!(bundles_replaced(
            &bundle(opts("false")),
            &bundle(opts("true"))
        ));
        assert!(bundles_replaced(&bundle(Value::Null), &Value::list([])));
        let provider = |name: &str, tags: Value| {
            Value::object([
                ("name", Value::from(name)),
                ("account_name", Value::Null),
                ("custom_virtual_network_id", Value::Null),
                ("disk_encryption_key", Value::Null),
                ("tags", tags),
            ])
        };
        let tags = Value::map([("team", Value::from("a"))]);
        assert!(!provider_replaced(
            &provider("AWS_VPC", Value::Null),
            &provider("AWS_VPC", tags.clone())
        ));
        assert!(provider_replaced(
            &provider("AWS_VPC", Value::Null),
            &provider("GCP", Value::Null)
        ));
        assert!(provider_replaced(
            &provider("AWS_VPC", Value::map([("team", Value::from("b"))])),
            &provider("AWS_VPC", tags)
        ));
    }

    /// What an import reads from a GET that carries only the documented fields (no echo of
    /// the create request): everything a basic configuration holds.
    #[test]
    fn import_from_the_documented_fields_alone() {
        let detail: ClusterDetail = serde_json::from_value(serde_json::json!({
            "id": "c-1", "clusterName": "orders", "clusterStatus": "RUNNING", "cdcId": "dc-1",
            "bundleType": "APACHE_CASSANDRA", "bundleVersion": "4.0.1", "slaTier": "NON_PRODUCTION",
            "pciCompliance": "DISABLED", "instaclustrUserPassword": "pw",
            "dataCentres": [{
                "id": "dc-1", "name": "US_WEST_2", "provider": "AWS_VPC", "cdcNetwork": "10.224.0.0/12",
                "nodeCount": 1, "cdcStatus": "RUNNING",
                "nodes": [{"id": "n-1", "size": "t3.small-v2", "rack": "us-west-2a",
                           "publicAddress": ["203.0.113.1"], "privateAddress": ["10.224.0.10"],
                           "nodeStatus": "RUNNING"}]
            }]
        }))
        .unwrap();
        let mut m = Cluster {
            id: Some("c-1".into()),
            ..Cluster::default()
        };
        apply_detail(&mut m, &detail);
        assert_eq!(m.cluster_name, "orders");
        assert_eq!(m.node_size, "t3.small-v2");
        assert_eq!(m.data_centre, "US_WEST_2");
        assert_eq!(m.sla_tier, "NON_PRODUCTION");
        assert_eq!(m.cluster_network, "10.224.0.0/12");
        assert!(!m.pci_compliant_cluster);
        assert_eq!(
            m.cluster_provider.as_ref().map(|p| p.name.as_str()),
            Some("AWS_VPC")
        );
        assert_eq!(
            m.bundle,
            vec![Bundle {
                bundle: "APACHE_CASSANDRA".into(),
                version: "4.0.1".into(),
                options: None
            }]
        );
        assert_eq!(m.rack_allocation, None);
        assert_eq!(m.data_centre_id.as_deref(), Some("dc-1"));
        let nodes = m.nodes.unwrap_or_default();
        assert_eq!(nodes[0].private_address.as_deref(), Some("10.224.0.10"));
    }

    #[test]
    fn options_become_booleans() {
        let o = BTreeMap::from([
            ("authnAuthz".to_string(), "true".to_string()),
            ("x".to_string(), "v".to_string()),
        ]);
        let api = options_to_api(&Some(o.clone())).unwrap();
        assert_eq!(api["authnAuthz"], serde_json::Value::Bool(true));
        assert_eq!(options_from_api(&api), o);
    }
}
