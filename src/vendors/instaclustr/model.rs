//! The `instaclustr_cluster` model (one field per schema attribute) and its mapping to and from
//! the API's documents: the create request, and what a GET reports copied back into state.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::client::{self, ClusterDetail};

/// One field per schema attribute. Options even where the schema requires a value: an import
/// stub holds only the id, and what the API does not report must stay null (unreported), not
/// become "" or false.
#[derive(Serialize, Deserialize, Default, Clone, Debug, PartialEq)]
#[serde(default)]
pub struct Cluster {
    pub id: Option<String>,
    pub cluster_name: Option<String>,
    pub node_size: Option<String>,
    pub data_centre: Option<String>,
    pub sla_tier: Option<String>,
    pub cluster_network: Option<String>,
    pub private_network_cluster: Option<bool>,
    pub pci_compliant_cluster: Option<bool>,
    pub cluster_provider: Option<CloudProvider>,
    pub rack_allocation: Option<RackAllocation>,
    pub bundle: Vec<Bundle>,
    pub wait_for_state: Option<String>,
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

pub fn create_request(plan: &Cluster) -> client::CreateCluster {
    let provider = plan.cluster_provider.clone().unwrap_or_default();
    client::CreateCluster {
        cluster_name: plan.cluster_name.clone().unwrap_or_default(),
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
        sla_tier: plan.sla_tier.clone().unwrap_or_default(),
        node_size: plan.node_size.clone().unwrap_or_default(),
        data_centre: plan.data_centre.clone().unwrap_or_default(),
        cluster_network: plan.cluster_network.clone().unwrap_or_default(),
        private_network_cluster: plan.private_network_cluster.unwrap_or(false),
        pci_compliant_cluster: plan.pci_compliant_cluster.unwrap_or(false),
        rack_allocation: plan.rack_allocation.map(|r| client::RackAllocation {
            number_of_racks: r.number_of_racks,
            nodes_per_rack: r.nodes_per_rack,
        }),
    }
}

/// Copies what the API reports into the model. Arguments the API does not report keep their
/// state value (null after an import, so planning knows the API did not say), and no default
/// is filled in: apply and read return what the API said.
pub fn apply_detail(m: &mut Cluster, d: &ClusterDetail) {
    apply_identity(m, d);
    apply_placement(m, d);
    apply_provider(m, d);
    apply_racks(m, d);
    apply_bundles(m, d);
    apply_computed(m, d);
}

fn apply_identity(m: &mut Cluster, d: &ClusterDetail) {
    if let Some(v) = &d.id {
        m.id = Some(v.clone());
    }
    if let Some(v) = &d.cluster_name {
        m.cluster_name = Some(v.clone());
    }
}

/// The size every node reports, when they agree: during a resize they report mixed sizes, and
/// then the requested size in state is all there is to say.
fn uniform_node_size(d: &ClusterDetail) -> Option<String> {
    let mut sizes = d.nodes().filter_map(|n| n.size.clone());
    let first = sizes.next()?;
    sizes.all(|s| s == first).then_some(first)
}

/// The top-level arguments. Some are reported per data centre or per node only, so the first
/// data centre and the nodes stand in where the cluster-level field is missing.
fn apply_placement(m: &mut Cluster, d: &ClusterDetail) {
    let dc = d.data_centres.first();
    if let Some(v) = d.node_size.clone().or_else(|| uniform_node_size(d)) {
        m.node_size = Some(v);
    }
    if let Some(v) = d
        .data_centre
        .clone()
        .or_else(|| dc.and_then(|c| c.name.clone()))
    {
        m.data_centre = Some(v);
    }
    if let Some(v) = &d.sla_tier {
        m.sla_tier = Some(v.clone());
    }
    if let Some(v) = d
        .cluster_network
        .clone()
        .or_else(|| dc.and_then(|c| c.cdc_network.clone()))
    {
        m.cluster_network = Some(v);
    }
    if let Some(v) = d.private_network_cluster {
        m.private_network_cluster = Some(v);
    }
    if let Some(v) = d.pci_compliant_cluster {
        m.pci_compliant_cluster = Some(v);
    } else if let Some(v) = &d.pci_compliance {
        m.pci_compliant_cluster =
            Some(v.eq_ignore_ascii_case("ENABLED") || v.eq_ignore_ascii_case("true"));
    }
}

fn apply_provider(m: &mut Cluster, d: &ClusterDetail) {
    let dc = d.data_centres.first();
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
}

/// The allocation as the API reports it; a cluster created without one reports the API's
/// default, which the schema declares equal to "not set" so that it never becomes a diff.
fn apply_racks(m: &mut Cluster, d: &ClusterDetail) {
    if let Some(r) = &d.rack_allocation {
        if let (Some(n), Some(p)) = (r.number_of_racks, r.nodes_per_rack) {
            m.rack_allocation = Some(RackAllocation {
                number_of_racks: n,
                nodes_per_rack: p,
            });
        }
    }
}

fn apply_bundles(m: &mut Cluster, d: &ClusterDetail) {
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
}

fn apply_computed(m: &mut Cluster, d: &ClusterDetail) {
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
}

#[cfg(test)]
mod tests {
    use super::*;

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
        assert_eq!(m.cluster_name.as_deref(), Some("orders"));
        assert_eq!(m.node_size.as_deref(), Some("t3.small-v2"));
        assert_eq!(m.data_centre.as_deref(), Some("US_WEST_2"));
        assert_eq!(m.sla_tier.as_deref(), Some("NON_PRODUCTION"));
        assert_eq!(m.cluster_network.as_deref(), Some("10.224.0.0/12"));
        assert_eq!(m.pci_compliant_cluster, Some(false));
        assert_eq!(
            m.private_network_cluster, None,
            "not reported: stays unknown to state"
        );
        assert_eq!(m.wait_for_state, None, "never reported, never filled in");
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
