//! Node purposes, the node layout of a new cluster and resizes by purpose (see the module docs
//! of [`super`] for the rules).

use std::net::Ipv4Addr;

use serde_json::{Map, Value};

use super::{Bundle, Errors, Node, Spec};

/// Dedicated master nodes of an OpenSearch/Elasticsearch cluster: always three, as the API's
/// quorum needs.
const DEDICATED_MASTERS: u64 = 3;
const DEFAULT_ZOOKEEPERS: u64 = 3;
const MAX_ZOOKEEPERS: u64 = 10;

/// Every option that holds a node size, set together by a whole-cluster resize.
const SIZE_OPTIONS: &[&str] = &[
    "masterNodeSize",
    "dataNodeSize",
    "kibanaNodeSize",
    "openSearchDashboardsNodeSize",
    "zookeeperNodeSize",
];

/// Nodes added next to the `racks × nodesPerRack` ones, all of one purpose and size.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Group {
    pub purpose: String,
    pub size: String,
    pub count: u64,
}

/// A resize in progress: to `size`, for the nodes of `purpose` (all nodes when `None`).
#[derive(Clone, Debug)]
pub(super) struct Resize {
    pub size: String,
    pub purpose: Option<String>,
}

/// The purpose of the `racks × nodesPerRack` nodes, which carry the top-level `nodeSize`.
pub(super) fn main_purpose(bundle: &Bundle) -> String {
    let dedicated = bundle.options.get("dedicatedMasterNodes") == Some(&Value::Bool(true));
    match bundle.bundle.as_str() {
        "APACHE_CASSANDRA" => "CASSANDRA".to_owned(),
        "KAFKA" => "KAFKA_BROKER".to_owned(),
        p @ ("OPENSEARCH" | "ELASTICSEARCH") if dedicated => format!("{p}_DATA_AND_INGEST"),
        p @ ("OPENSEARCH" | "ELASTICSEARCH") => format!("{p}_MASTER"),
        // REDIS, CADENCE, POSTGRESQL and any other bundle: one purpose named after the bundle.
        other => other.to_owned(),
    }
}

/// The option that holds the size of `purpose`'s nodes, if any.
fn size_option(purpose: &str) -> Option<&'static str> {
    match purpose {
        "OPENSEARCH_MASTER" | "ELASTICSEARCH_MASTER" => Some("masterNodeSize"),
        "OPENSEARCH_DATA_AND_INGEST" | "ELASTICSEARCH_DATA_AND_INGEST" => Some("dataNodeSize"),
        "ELASTICSEARCH_KIBANA" => Some("kibanaNodeSize"),
        "OPENSEARCH_DASHBOARDS" => Some("openSearchDashboardsNodeSize"),
        "KAFKA_DEDICATED_ZOOKEEPER" => Some("zookeeperNodeSize"),
        _ => None,
    }
}

/// Validates the primary bundle's topology options and returns the extra node groups.
/// `node_size` is `None` when the request lacks it (that error is reported elsewhere).
pub(super) fn extra_groups(
    primary: &Bundle,
    node_size: Option<&str>,
    errors: &mut Errors,
) -> Vec<Group> {
    let Some(opts) = primary.options.as_object() else {
        return Vec::new();
    };
    match primary.bundle.as_str() {
        "KAFKA" => zookeeper_groups(opts, errors),
        p @ ("OPENSEARCH" | "ELASTICSEARCH") => search_groups(p, opts, node_size, errors),
        _ => Vec::new(),
    }
}

fn zookeeper_groups(opts: &Map<String, Value>, errors: &mut Errors) -> Vec<Group> {
    if !flag(opts, "dedicatedZookeeper", errors) {
        return Vec::new();
    }
    let size = size(
        opts,
        "zookeeperNodeSize",
        Some("is required when dedicatedZookeeper is true"),
        errors,
    );
    let count = zookeeper_count(opts, errors);
    match size {
        Some(size) => vec![Group {
            purpose: "KAFKA_DEDICATED_ZOOKEEPER".to_owned(),
            size,
            count,
        }],
        None => Vec::new(),
    }
}

fn search_groups(
    p: &str,
    opts: &Map<String, Value>,
    node_size: Option<&str>,
    errors: &mut Errors,
) -> Vec<Group> {
    let mut groups = Vec::new();
    let required = format!("is required for {p} clusters");
    let master = size(opts, "masterNodeSize", Some(&required), errors);
    if flag(opts, "dedicatedMasterNodes", errors) {
        if let Some(size) = master {
            groups.push(Group {
                purpose: format!("{p}_MASTER"),
                size,
                count: DEDICATED_MASTERS,
            });
        }
        check_data_node_size(opts, node_size, errors);
    }
    let (key, purpose) = match p {
        "ELASTICSEARCH" => ("kibanaNodeSize", "ELASTICSEARCH_KIBANA"),
        _ => ("openSearchDashboardsNodeSize", "OPENSEARCH_DASHBOARDS"),
    };
    if let Some(size) = size(opts, key, None, errors) {
        groups.push(Group {
            purpose: purpose.to_owned(),
            size,
            count: 1,
        });
    }
    groups
}

/// With dedicated masters the data nodes are the `nodeSize` nodes, so a differing
/// `dataNodeSize` would leave two answers to "how big are the data nodes".
fn check_data_node_size(opts: &Map<String, Value>, node_size: Option<&str>, errors: &mut Errors) {
    let data = size(opts, "dataNodeSize", None, errors);
    if let (Some(data), Some(node_size)) = (data, node_size) {
        if data != node_size {
            errors.push((
                option_path("dataNodeSize"),
                format!("must equal nodeSize ({node_size}) when dedicatedMasterNodes is true"),
            ));
        }
    }
}

fn option_path(key: &str) -> String {
    // Topology comes from the primary bundle only, which is always the first.
    format!("bundles[0].options.{key}")
}

/// A boolean option (already normalised from "true"/"false"); absent is false.
fn flag(opts: &Map<String, Value>, key: &str, errors: &mut Errors) -> bool {
    match opts.get(key) {
        None => false,
        Some(Value::Bool(b)) => *b,
        Some(_) => {
            errors.push((
                option_path(key),
                "must be a boolean (true/false, or \"true\"/\"false\")".to_owned(),
            ));
            false
        }
    }
}

/// A node size option; `required` is the error message when it is missing.
fn size(
    opts: &Map<String, Value>,
    key: &str,
    required: Option<&str>,
    errors: &mut Errors,
) -> Option<String> {
    match (opts.get(key), required) {
        (Some(Value::String(s)), _) if !s.trim().is_empty() => Some(s.clone()),
        (None, None) => None,
        (None, Some(message)) => {
            errors.push((option_path(key), message.to_owned()));
            None
        }
        (Some(_), _) => {
            errors.push((
                option_path(key),
                "must be a non-empty string (a node size)".to_owned(),
            ));
            None
        }
    }
}

fn zookeeper_count(opts: &Map<String, Value>, errors: &mut Errors) -> u64 {
    let count = match opts.get("zookeeperNodeCount") {
        None => return DEFAULT_ZOOKEEPERS,
        Some(Value::Number(n)) => n.as_u64(),
        Some(Value::String(s)) => s.parse().ok(),
        Some(_) => None,
    };
    match count {
        Some(n) if (1..=MAX_ZOOKEEPERS).contains(&n) => n,
        _ => {
            errors.push((
                option_path("zookeeperNodeCount"),
                format!("must be an integer between 1 and {MAX_ZOOKEEPERS}"),
            ));
            DEFAULT_ZOOKEEPERS
        }
    }
}

/// The nodes of a new cluster: `racks × nodesPerRack` nodes of the main purpose, then the extra
/// groups dealt round the racks (so three dedicated masters sit in three racks).
pub(super) fn make_nodes(spec: &Spec, extras: &[Group]) -> Vec<Node> {
    let racks = rack_names(spec);
    let main = spec.bundles.first().map(main_purpose).unwrap_or_default();
    let mut nodes = Vec::new();
    for rack in &racks {
        for _ in 0..spec.nodes_per_rack {
            push_node(&mut nodes, spec, rack, &main, &spec.node_size);
        }
    }
    for group in extras {
        for i in 0..group.count {
            // racks ≥ 1 by validation; `max` only keeps the modulo total.
            let rack = &racks[i as usize % racks.len().max(1)];
            push_node(&mut nodes, spec, rack, &group.purpose, &group.size);
        }
    }
    nodes
}

/// Racks are named after the data centre: `US_WEST_2` → `us-west-2a`, `us-west-2b`, ….
fn rack_names(spec: &Spec) -> Vec<String> {
    let prefix = spec.data_centre.to_ascii_lowercase().replace('_', "-");
    // racks ≤ 5 by validation, so the letter stays within a–e.
    (0..spec.racks.max(1))
        .map(|r| format!("{prefix}{}", char::from(b'a' + r as u8)))
        .collect()
}

fn push_node(nodes: &mut Vec<Node>, spec: &Spec, rack: &str, purpose: &str, size: &str) {
    let i = nodes.len() as u32;
    // ≤ 60 nodes (50 + 10 zookeepers) and a network of at least /22 (1024 addresses): always inside it.
    let private = Ipv4Addr::from(spec.network_base.wrapping_add(10 + i));
    let public = (!spec.private_network)
        .then(|| Ipv4Addr::new(203, 0, 113, fastrand::u8(1..=254)).to_string());
    nodes.push(Node {
        id: uuid::Uuid::new_v4().to_string(),
        size: size.to_owned(),
        rack: rack.to_owned(),
        purpose: purpose.to_owned(),
        public_address: public,
        private_address: private.to_string(),
    });
}

/// `Err` (the message for `nodePurpose`) when no node of the cluster has `purpose`.
pub(super) fn check_purpose(nodes: &[Node], purpose: &str) -> Result<(), String> {
    if nodes.iter().any(|n| n.purpose == purpose) {
        return Ok(());
    }
    let mut have: Vec<&str> = Vec::new();
    for n in nodes {
        if !have.contains(&n.purpose.as_str()) {
            have.push(&n.purpose);
        }
    }
    Err(format!(
        "the cluster has no node of purpose {purpose} (its purposes: {})",
        have.join(", ")
    ))
}

/// Completes a resize: the nodes concerned, the size options that describe them and, when the
/// main purpose is concerned, the top-level `nodeSize`.
pub(super) fn apply_resize(spec: &mut Spec, nodes: &mut [Node], resize: &Resize) {
    let purpose = resize.purpose.as_deref();
    let concerned = |p: &str| purpose.is_none_or(|want| want == p);
    for node in nodes.iter_mut().filter(|n| concerned(&n.purpose)) {
        node.size.clone_from(&resize.size);
    }
    let main = spec.bundles.first().map(main_purpose);
    let keys: Vec<&str> = match purpose {
        None => SIZE_OPTIONS.to_vec(),
        Some(p) => size_option(p).into_iter().collect(),
    };
    let options = spec
        .bundles
        .first_mut()
        .and_then(|b| b.options.as_object_mut());
    if let Some(options) = options {
        // Only options the client sent: adding one would show it a change it never asked for.
        for key in keys {
            if let Some(value) = options.get_mut(key) {
                *value = Value::String(resize.size.clone());
            }
        }
    }
    if purpose.is_none() || purpose == main.as_deref() {
        spec.node_size.clone_from(&resize.size);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn bundle(name: &str, options: Value) -> Bundle {
        Bundle {
            bundle: name.to_owned(),
            version: "1".to_owned(),
            options,
        }
    }

    #[test]
    fn main_purposes() {
        let cases = [
            ("APACHE_CASSANDRA", json!({}), "CASSANDRA"),
            ("KAFKA", json!({"dedicatedZookeeper": true}), "KAFKA_BROKER"),
            ("REDIS", json!({}), "REDIS"),
            ("OPENSEARCH", json!({}), "OPENSEARCH_MASTER"),
            (
                "ELASTICSEARCH",
                json!({"dedicatedMasterNodes": true}),
                "ELASTICSEARCH_DATA_AND_INGEST",
            ),
        ];
        for (name, options, want) in cases {
            assert_eq!(main_purpose(&bundle(name, options)), want, "{name}");
        }
    }

    #[test]
    fn search_topology_rules() {
        let mut errors = Errors::new();
        let b = bundle(
            "OPENSEARCH",
            json!({"dedicatedMasterNodes": true, "masterNodeSize": "m",
                   "openSearchDashboardsNodeSize": "d", "kibanaNodeSize": "ignored"}),
        );
        let groups = extra_groups(&b, Some("n"), &mut errors);
        assert!(errors.is_empty(), "{errors:?}");
        let got: Vec<(&str, &str, u64)> = groups
            .iter()
            .map(|g| (g.purpose.as_str(), g.size.as_str(), g.count))
            .collect();
        assert_eq!(
            got,
            [
                ("OPENSEARCH_MASTER", "m", 3),
                ("OPENSEARCH_DASHBOARDS", "d", 1)
            ]
        );

        let b = bundle(
            "ELASTICSEARCH",
            json!({"dedicatedMasterNodes": "yes", "dataNodeSize": "x"}),
        );
        extra_groups(&b, Some("n"), &mut errors);
        let names: Vec<&str> = errors.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(
            names,
            [
                "bundles[0].options.masterNodeSize",
                "bundles[0].options.dedicatedMasterNodes"
            ]
        );
    }
}
