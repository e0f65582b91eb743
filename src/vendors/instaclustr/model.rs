//! The `instaclustr_cluster` model (one field per schema attribute) and its mapping to and from
//! the API's documents: the create request, and what a GET reports copied back into state.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use super::client::{self, ClusterDetail};
use super::equality::semantic_version;
use super::options::{self, OptionError};
use super::validation::{sized_by_options, WITHOUT_RACKS};

/// One field per schema attribute. Options even where the schema requires a value: an import
/// stub holds only the id, and what the API does not report must stay null (unreported), not
/// become "" or false.
#[derive(Serialize, Deserialize, Default, Clone, Debug, PartialEq)]
#[serde(default)]
pub struct Cluster {
    pub id: Option<String>,
    pub cluster_id: Option<String>,
    pub cluster_name: Option<String>,
    pub node_size: Option<String>,
    pub data_centre: Option<String>,
    pub data_centre_custom_name: Option<String>,
    pub sla_tier: Option<String>,
    pub cluster_network: Option<String>,
    pub private_network_cluster: Option<bool>,
    pub pci_compliant_cluster: Option<bool>,
    pub cluster_provider: Option<BTreeMap<String, String>>,
    pub tags: Option<BTreeMap<String, String>>,
    pub rack_allocation: Option<BTreeMap<String, String>>,
    pub bundle: Vec<Bundle>,
    pub wait_for_state: Option<String>,
    pub cluster_status: Option<String>,
    pub default_data_centre_id: Option<String>,
    pub public_contact_point: Option<Vec<String>>,
    pub private_contact_point: Option<Vec<String>>,
    pub nodes: Option<Vec<Node>>,
    pub default_user_password: Option<String>,
    // The official arguments this resource rejects: kept only so that state decodes.
    pub data_centres: Vec<serde_json::Value>,
    pub kafka_rest_proxy_user_password: Option<String>,
    pub kafka_schema_registry_user_password: Option<String>,
    pub kafka_connect_credential: Vec<serde_json::Value>,
    pub private_link: Vec<serde_json::Value>,
    pub oidc_provider: Option<String>,
    pub bundles: Option<serde_json::Value>,
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

impl Cluster {
    /// The primary bundle, upper case as the API names bundles.
    pub fn primary(&self) -> String {
        self.bundle
            .first()
            .map(|b| b.bundle.to_ascii_uppercase())
            .unwrap_or_default()
    }

    /// The wait a create asks for: `RUNNING`, `PROVISIONED` or `NONE` (`""` is the official
    /// provider's "do not wait").
    pub fn wait_target(&self) -> &'static str {
        match self
            .wait_for_state
            .as_deref()
            .map(str::to_ascii_uppercase)
            .as_deref()
        {
            Some("PROVISIONED") => "PROVISIONED",
            Some("NONE") | Some("") => "NONE",
            _ => "RUNNING",
        }
    }

    /// Every credential in the bundle options, for the secret register.
    pub fn option_secrets(&self) -> Vec<String> {
        self.bundle
            .iter()
            .flat_map(|b| b.options.iter().flat_map(options::secrets))
            .map(str::to_string)
            .collect()
    }
}

/// The size of the nodes a search cluster's `nodeSize` means: the data nodes with dedicated
/// masters, else the master-eligible ones.
fn search_node_size(b: &Bundle) -> String {
    let opts = b.options.as_ref();
    let key = if options::is_on(opts, "dedicatedMasterNodes") {
        "dataNodeSize"
    } else {
        "masterNodeSize"
    };
    options::get(opts, key).unwrap_or_default().to_string()
}

fn count(map: &BTreeMap<String, String>, key: &str) -> u32 {
    map.get(key)
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_default()
}

pub fn create_request(plan: &Cluster) -> Result<client::CreateCluster, OptionError> {
    let provider = plan.cluster_provider.clone().unwrap_or_default();
    let key = |k: &str| provider.get(k).cloned();
    let bundles = plan
        .bundle
        .iter()
        .map(|b| {
            Ok(client::Bundle {
                bundle: b.bundle.clone(),
                version: b.version.clone(),
                options: b
                    .options
                    .as_ref()
                    .filter(|o| !o.is_empty())
                    .map(options::to_api)
                    .transpose()?,
            })
        })
        .collect::<Result<Vec<_>, OptionError>>()?;
    let primary = plan.primary();
    let node_size = match plan.bundle.first() {
        Some(b) if sized_by_options(&primary) => search_node_size(b),
        _ => plan.node_size.clone().unwrap_or_default(),
    };
    let rack_allocation = plan
        .rack_allocation
        .as_ref()
        .filter(|_| !WITHOUT_RACKS.contains(&primary.as_str()))
        .map(|r| client::RackAllocation {
            number_of_racks: count(r, "number_of_racks"),
            nodes_per_rack: count(r, "nodes_per_rack"),
        });
    Ok(client::CreateCluster {
        cluster_name: plan.cluster_name.clone().unwrap_or_default(),
        bundles,
        provider: client::ProviderSpec {
            name: key("name").unwrap_or_default(),
            account_name: key("account_name"),
            custom_virtual_network_id: key("custom_virtual_network_id"),
            tags: plan.tags.clone().filter(|t| !t.is_empty()),
            resource_group: key("resource_group"),
            disk_encryption_key: key("disk_encryption_key"),
        },
        sla_tier: plan.sla_tier.clone().unwrap_or_default(),
        node_size,
        data_centre: plan.data_centre.clone().unwrap_or_default(),
        data_centre_custom_name: plan.data_centre_custom_name.clone(),
        cluster_network: plan.cluster_network.clone().unwrap_or_default(),
        private_network_cluster: plan.private_network_cluster.unwrap_or(false),
        pci_compliant_cluster: plan.pci_compliant_cluster.unwrap_or(false),
        rack_allocation,
    })
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
    m.cluster_id = m.id.clone();
    if let Some(v) = &d.cluster_name {
        m.cluster_name = Some(v.clone());
    }
}

/// Dedicated ZooKeeper nodes have their own sizes (`zk-…`, `KDZ-…`), never the cluster's.
fn is_zookeeper_size(size: &str) -> bool {
    size.starts_with("zk-") || size.starts_with("KDZ-")
}

/// The size every (non-ZooKeeper) node reports, when they agree: during a resize they report
/// mixed sizes, and then the requested size in state is all there is to say.
fn uniform_node_size(d: &ClusterDetail) -> Option<String> {
    let mut sizes = d
        .nodes()
        .filter_map(|n| n.size.clone())
        .filter(|s| !is_zookeeper_size(s));
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
    if let Some(v) = d
        .data_centre_custom_name
        .clone()
        .or_else(|| dc.and_then(|c| c.cdc_name.clone()))
    {
        m.data_centre_custom_name = Some(v);
    }
    if let Some(v) = &d.sla_tier {
        m.sla_tier = Some(v.to_ascii_uppercase());
    }
    if let Some(v) = d
        .cluster_network
        .clone()
        .or_else(|| dc.and_then(|c| c.cdc_network.clone()))
    {
        m.cluster_network = Some(v);
    }
    if let Some(v) = d
        .private_network_cluster
        .or_else(|| dc.and_then(|c| c.private_ip_only))
    {
        m.private_network_cluster = Some(v);
    }
    if let Some(v) = d.pci_compliant_cluster {
        m.pci_compliant_cluster = Some(v);
    } else if let Some(v) = &d.pci_compliance {
        m.pci_compliant_cluster =
            Some(v.eq_ignore_ascii_case("ENABLED") || v.eq_ignore_ascii_case("true"));
    }
}

/// `cluster_provider` holds `name` and the keys state already has, with the API's values
/// where it reports them: keys the configuration never set do not appear (as the official
/// provider reads it), so they never become a diff.
fn apply_provider(m: &mut Cluster, d: &ClusterDetail) {
    let reported = d.provider.as_ref().or(d.cluster_provider.first());
    let name = reported
        .and_then(|p| p.name.clone())
        .or_else(|| d.data_centres.first().and_then(|c| c.provider.clone()));
    let Some(name) = name else { return };
    let map = m.cluster_provider.get_or_insert_with(BTreeMap::new);
    map.insert("name".into(), name);
    if let Some(p) = reported {
        for (key, value) in [
            ("account_name", &p.account_name),
            ("custom_virtual_network_id", &p.custom_virtual_network_id),
            ("resource_group", &p.resource_group),
            ("disk_encryption_key", &p.disk_encryption_key),
        ] {
            if let (Some(slot), Some(v)) = (map.get_mut(key), value) {
                *slot = v.clone();
            }
        }
        // An empty tag map from the API means "none": keep state's null rather than diff.
        if let Some(tags) = &p.tags {
            if !tags.is_empty() || m.tags.is_some() {
                m.tags = Some(tags.clone());
            }
        }
    }
}

/// The allocation as the API reports it, else as its nodes show it (distinct racks, nodes per
/// rack). Bundles that take no allocation keep state's.
fn apply_racks(m: &mut Cluster, d: &ClusterDetail) {
    let primary = d
        .bundle_type
        .clone()
        .unwrap_or_else(|| m.primary())
        .to_ascii_uppercase();
    if WITHOUT_RACKS.contains(&primary.as_str()) {
        return;
    }
    let reported = d
        .rack_allocation
        .and_then(|r| Some((r.number_of_racks?, r.nodes_per_rack?)));
    let counted = || {
        let nodes: Vec<_> = d
            .nodes()
            .filter(|n| !n.size.as_deref().is_some_and(is_zookeeper_size))
            .collect();
        let racks: BTreeSet<_> = nodes.iter().filter_map(|n| n.rack.as_deref()).collect();
        let r = u32::try_from(racks.len()).ok().filter(|r| *r > 0)?;
        Some((r, u32::try_from(nodes.len()).ok()? / r))
    };
    if let Some((racks, per_rack)) = reported.or_else(counted) {
        m.rack_allocation = Some(BTreeMap::from([
            ("number_of_racks".to_string(), racks.to_string()),
            ("nodes_per_rack".to_string(), per_rack.to_string()),
        ]));
    }
}

/// What the API reports of the bundles: the echo of the create request where it has one,
/// else the primary bundle's type, version and options followed by the add-ons.
fn reported_bundles(d: &ClusterDetail) -> Vec<client::BundleDetail> {
    if let Some(b) = d.bundles.as_ref().filter(|b| !b.is_empty()) {
        return b.clone();
    }
    let Some(primary) = d.bundle_type.clone() else {
        return Vec::new();
    };
    let mut out = vec![client::BundleDetail {
        bundle: Some(primary),
        version: d.bundle_version.clone(),
        options: d.bundle_options.clone(),
    }];
    out.extend(d.addon_bundles.iter().cloned());
    out
}

fn apply_bundles(m: &mut Cluster, d: &ClusterDetail) {
    let read: Vec<Bundle> = reported_bundles(d)
        .iter()
        .enumerate()
        .map(|(i, b)| {
            let bundle = b.bundle.clone().unwrap_or_default();
            let prev = m.bundle.get(i).filter(|p| p.bundle == bundle);
            let options = match &b.options {
                // Not reported: the API says nothing, state stays as it was.
                None => prev.and_then(|p| p.options.clone()),
                // Reported empty: no options, written as the user wrote "none" (null or {}).
                Some(o) if o.is_empty() => prev
                    .and_then(|p| p.options.clone())
                    .filter(|o| o.is_empty()),
                Some(o) => Some(options::from_api(o)),
            };
            Bundle {
                bundle,
                version: b
                    .version
                    .clone()
                    .or_else(|| prev.map(|p| p.version.clone()))
                    .unwrap_or_default(),
                options,
            }
        })
        .collect();
    if !read.is_empty() {
        m.bundle = read;
    }
}

/// Bundles as configurations for the official provider write them, for the state an import
/// reads (there is no configuration to take the spelling from): semantic versions (`4.0.1`,
/// not `apache-cassandra-4.0.1.ic1`) and snake_case option keys. A configuration in the API's
/// spelling then plans an update that sends nothing, and says so.
pub fn write_the_official_way(bundles: &mut [Bundle]) {
    for b in bundles {
        if let Some(v) = semantic_version(&b.version) {
            b.version = v.to_string();
        }
        if let Some(o) = &mut b.options {
            *o = std::mem::take(o)
                .into_iter()
                .map(|(k, v)| {
                    (
                        options::lookup(&k).map_or(k, |known| known.hcl.to_string()),
                        v,
                    )
                })
                .collect();
        }
    }
}

/// The first node of each rack, as the official provider picks contact points; ZooKeeper
/// nodes serve no clients.
fn contact_points(d: &ClusterDetail) -> (Vec<String>, Vec<String>) {
    let mut seen = BTreeSet::new();
    let (mut public, mut private) = (Vec::new(), Vec::new());
    for n in d.nodes() {
        if n.size.as_deref().is_some_and(is_zookeeper_size) {
            continue;
        }
        if !seen.insert(n.rack.clone().unwrap_or_default()) {
            continue;
        }
        public.extend(n.public_address.clone());
        private.extend(n.private_address.clone());
    }
    (public, private)
}

fn apply_computed(m: &mut Cluster, d: &ClusterDetail) {
    m.cluster_status = d.cluster_status.clone();
    m.default_data_centre_id = d.data_centre_id().map(str::to_string);
    let (public, private) = contact_points(d);
    m.public_contact_point = Some(public);
    m.private_contact_point = Some(private);
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

    /// What an import reads from a GET shaped as the official client reads it (no echo of
    /// the create request): everything a basic configuration holds.
    #[test]
    fn import_from_the_official_clients_fields_alone() {
        let detail: ClusterDetail = serde_json::from_value(serde_json::json!({
            "id": "c-1", "clusterName": "orders", "clusterStatus": "RUNNING", "cdcId": "dc-1",
            "bundleType": "APACHE_CASSANDRA", "bundleVersion": "apache-cassandra-4.0.1.ic4",
            "bundleOptions": {"authnAuthz": true, "clientEncryption": false},
            "addonBundles": [{"bundle": "SPARK", "version": "apache-spark:2.3.2.ic1"}],
            "slaTier": "non_production", "pciCompliance": "DISABLED", "instaclustrUserPassword": "pw",
            "clusterProvider": [{"name": "AWS_VPC", "accountName": "acct"}],
            "dataCentres": [{
                "id": "dc-1", "name": "US_WEST_2", "cdcName": "AWS_VPC_US_WEST_2", "provider": "AWS_VPC",
                "cdcNetwork": "10.224.0.0/12", "privateIPOnly": false, "nodeCount": 2, "cdcStatus": "RUNNING",
                "nodes": [
                    {"id": "n-1", "size": "t3.small-v2", "rack": "us-west-2a",
                     "publicAddress": ["203.0.113.1"], "privateAddress": ["10.224.0.10"], "nodeStatus": "RUNNING"},
                    {"id": "n-2", "size": "t3.small-v2", "rack": "us-west-2b",
                     "publicAddress": ["203.0.113.2"], "privateAddress": ["10.224.0.11"], "nodeStatus": "RUNNING"}
                ]
            }]
        }))
        .unwrap();
        let mut m = Cluster {
            id: Some("c-1".into()),
            ..Cluster::default()
        };
        apply_detail(&mut m, &detail);
        assert_eq!(m.cluster_id.as_deref(), Some("c-1"));
        assert_eq!(m.node_size.as_deref(), Some("t3.small-v2"));
        assert_eq!(m.data_centre.as_deref(), Some("US_WEST_2"));
        assert_eq!(
            m.data_centre_custom_name.as_deref(),
            Some("AWS_VPC_US_WEST_2")
        );
        assert_eq!(m.sla_tier.as_deref(), Some("NON_PRODUCTION"));
        assert_eq!(m.private_network_cluster, Some(false));
        assert_eq!(m.pci_compliant_cluster, Some(false));
        assert_eq!(m.wait_for_state, None, "never reported, never filled in");
        let provider = m.cluster_provider.clone().unwrap_or_default();
        assert_eq!(
            provider.keys().collect::<Vec<_>>(),
            ["name"],
            "only name after an import"
        );
        assert_eq!(m.bundle.len(), 2);
        assert_eq!(m.bundle[0].version, "apache-cassandra-4.0.1.ic4");
        let opts = m.bundle[0].options.clone().unwrap_or_default();
        assert_eq!(opts.get("authnAuthz").map(String::as_str), Some("true"));
        assert_eq!(m.bundle[1].bundle, "SPARK");
        let racks = m.rack_allocation.clone().unwrap_or_default();
        assert_eq!(racks.get("number_of_racks").map(String::as_str), Some("2"));
        assert_eq!(racks.get("nodes_per_rack").map(String::as_str), Some("1"));
        assert_eq!(m.default_data_centre_id.as_deref(), Some("dc-1"));
        assert_eq!(
            m.private_contact_point,
            Some(vec!["10.224.0.10".to_string(), "10.224.0.11".to_string()])
        );
    }

    #[test]
    fn an_import_writes_bundles_the_official_way() {
        let mut b = vec![Bundle {
            bundle: "APACHE_CASSANDRA".into(),
            version: "apache-cassandra-4.0.1.ic1".into(),
            options: Some(BTreeMap::from([
                ("authnAuthz".to_string(), "true".to_string()),
                ("somethingNew".to_string(), "x".to_string()),
            ])),
        }];
        write_the_official_way(&mut b);
        assert_eq!(b[0].version, "4.0.1");
        let keys: Vec<&String> = b[0].options.iter().flat_map(|o| o.keys()).collect();
        assert_eq!(keys, ["auth_n_authz", "somethingNew"]);
    }

    #[test]
    fn create_sends_the_apis_names_and_the_search_node_size() {
        let plan = Cluster {
            cluster_name: Some("tf-search".into()),
            cluster_provider: Some(BTreeMap::from([
                ("name".to_string(), "AWS_VPC".to_string()),
                ("resource_group".to_string(), "rg".to_string()),
            ])),
            rack_allocation: Some(BTreeMap::from([
                ("number_of_racks".to_string(), "3".to_string()),
                ("nodes_per_rack".to_string(), "1".to_string()),
            ])),
            bundle: vec![Bundle {
                bundle: "OPENSEARCH".into(),
                version: "1.3.4".into(),
                options: Some(BTreeMap::from([
                    (
                        "master_node_size".to_string(),
                        "SRH-DEV-t4g.small-5".to_string(),
                    ),
                    ("dedicated_master_nodes".to_string(), "false".to_string()),
                ])),
            }],
            ..Cluster::default()
        };
        let body = serde_json::to_value(create_request(&plan).unwrap()).unwrap();
        assert_eq!(body["nodeSize"], "SRH-DEV-t4g.small-5");
        assert_eq!(
            body["bundles"][0]["options"]["masterNodeSize"],
            "SRH-DEV-t4g.small-5"
        );
        assert_eq!(body["bundles"][0]["options"]["dedicatedMasterNodes"], false);
        assert_eq!(body["provider"]["resourceGroup"], "rg");
        assert_eq!(body["rackAllocation"]["numberOfRacks"], 3);
    }
}
