//! Which node sizes of a cluster can change in place, and the resize requests a change takes:
//! the node classes of each bundle (as the official provider's resize reads them) and the
//! purpose the API names each class by.

use std::collections::BTreeMap;

use super::model::Cluster;
use super::options;
use super::validation::sized_by_options;

/// One class of nodes with its own size: the API's node purpose and the bundle option that
/// holds the size (`None`: `node_size`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Class {
    pub purpose: &'static str,
    pub option: Option<&'static str>,
}

/// One resize request: every node (`purpose` none) or one class.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Resize {
    pub size: String,
    pub purpose: Option<&'static str>,
}

/// Bundle options that hold a node size.
pub const SIZE_OPTIONS: &[&str] = &[
    "masterNodeSize",
    "dataNodeSize",
    "kibanaNodeSize",
    "openSearchDashboardsNodeSize",
    "zookeeperNodeSize",
];

const fn class(purpose: &'static str, option: Option<&'static str>) -> Class {
    Class { purpose, option }
}

/// The node classes of a cluster whose primary bundle is `primary`; empty when the API
/// cannot resize it.
pub fn classes(primary: &str, opts: Option<&BTreeMap<String, String>>) -> Vec<Class> {
    let has = |key: &str| options::get(opts, key).is_some();
    match primary {
        "APACHE_CASSANDRA" => vec![class("CASSANDRA", None)],
        "REDIS" => vec![class("REDIS", None)],
        "CADENCE" => vec![class("CADENCE", None)],
        "POSTGRESQL" => vec![class("POSTGRESQL", None)],
        "KAFKA" => {
            let mut out = vec![class("KAFKA_BROKER", None)];
            if options::is_on(opts, "dedicatedZookeeper") {
                out.push(class(
                    "KAFKA_DEDICATED_ZOOKEEPER",
                    Some("zookeeperNodeSize"),
                ));
            }
            out
        }
        "OPENSEARCH" | "ELASTICSEARCH" => {
            let search = primary == "OPENSEARCH";
            let mut out = vec![class(
                if search {
                    "OPENSEARCH_MASTER"
                } else {
                    "ELASTICSEARCH_MASTER"
                },
                Some("masterNodeSize"),
            )];
            if options::is_on(opts, "dedicatedMasterNodes") {
                out.push(class(
                    if search {
                        "OPENSEARCH_DATA_AND_INGEST"
                    } else {
                        "ELASTICSEARCH_DATA_AND_INGEST"
                    },
                    Some("dataNodeSize"),
                ));
            }
            if search && has("openSearchDashboardsNodeSize") {
                out.push(class(
                    "OPENSEARCH_DASHBOARDS",
                    Some("openSearchDashboardsNodeSize"),
                ));
            }
            if !search && has("kibanaNodeSize") {
                out.push(class("ELASTICSEARCH_KIBANA", Some("kibanaNodeSize")));
            }
            out
        }
        _ => Vec::new(),
    }
}

/// The size options a resize may change in place for this bundle: those of its classes, and
/// without dedicated masters `data_node_size`, which then names the master nodes' size again.
pub fn resizable_options(
    primary: &str,
    opts: Option<&BTreeMap<String, String>>,
) -> Vec<&'static str> {
    let mut keys: Vec<&'static str> = classes(primary, opts)
        .iter()
        .filter_map(|c| c.option)
        .collect();
    if sized_by_options(primary) && !options::is_on(opts, "dedicatedMasterNodes") {
        keys.push("dataNodeSize");
    }
    keys
}

fn size_of<'a>(cluster: &'a Cluster, class: &Class) -> Option<&'a str> {
    match class.option {
        None => cluster.node_size.as_deref(),
        Some(key) => options::get(cluster.bundle.first()?.options.as_ref(), key),
    }
}

/// The resizes that take `prior` to `planned`. When every class changes to one size, one
/// request resizes every node, as the official provider does for search and Kafka clusters.
pub fn resizes(prior: &Cluster, planned: &Cluster) -> Vec<Resize> {
    let primary = planned.primary();
    let all = classes(
        &primary,
        planned.bundle.first().and_then(|b| b.options.as_ref()),
    );
    let changed: Vec<Resize> = all
        .iter()
        .filter_map(|c| match (size_of(prior, c), size_of(planned, c)) {
            (Some(from), Some(to)) if from != to => Some(Resize {
                size: to.to_string(),
                purpose: Some(c.purpose),
            }),
            _ => None,
        })
        .collect();
    let one_size = changed.windows(2).all(|w| w[0].size == w[1].size);
    let whole = matches!(primary.as_str(), "KAFKA" | "OPENSEARCH" | "ELASTICSEARCH");
    if whole && !changed.is_empty() && changed.len() == all.len() && one_size {
        return vec![Resize {
            size: changed[0].size.clone(),
            purpose: None,
        }];
    }
    changed
}

#[cfg(test)]
mod tests {
    use super::super::model::Bundle;
    use super::*;

    fn cluster(primary: &str, node_size: Option<&str>, opts: &[(&str, &str)]) -> Cluster {
        Cluster {
            node_size: node_size.map(str::to_string),
            bundle: vec![Bundle {
                bundle: primary.into(),
                version: "1.0.0".into(),
                options: Some(
                    opts.iter()
                        .map(|(k, v)| (k.to_string(), v.to_string()))
                        .collect(),
                ),
            }],
            ..Cluster::default()
        }
    }

    #[test]
    fn cassandra_resizes_its_nodes_by_purpose() {
        let r = resizes(
            &cluster("APACHE_CASSANDRA", Some("a"), &[]),
            &cluster("APACHE_CASSANDRA", Some("b"), &[]),
        );
        assert_eq!(
            r,
            [Resize {
                size: "b".into(),
                purpose: Some("CASSANDRA")
            }]
        );
        assert!(resizes(
            &cluster("KAFKA_CONNECT", Some("a"), &[]),
            &cluster("KAFKA_CONNECT", Some("b"), &[])
        )
        .is_empty());
    }

    #[test]
    fn search_classes_resize_one_by_one_or_all_at_once() {
        let before = [
            ("master_node_size", "m1"),
            ("opensearch_dashboards_node_size", "d1"),
        ];
        let dashboards = [
            ("master_node_size", "m1"),
            ("opensearch_dashboards_node_size", "d2"),
        ];
        let r = resizes(
            &cluster("OPENSEARCH", None, &before),
            &cluster("OPENSEARCH", None, &dashboards),
        );
        assert_eq!(
            r,
            [Resize {
                size: "d2".into(),
                purpose: Some("OPENSEARCH_DASHBOARDS")
            }]
        );
        let all = [
            ("master_node_size", "x"),
            ("opensearch_dashboards_node_size", "x"),
        ];
        let r = resizes(
            &cluster("OPENSEARCH", None, &before),
            &cluster("OPENSEARCH", None, &all),
        );
        assert_eq!(
            r,
            [Resize {
                size: "x".into(),
                purpose: None
            }]
        );
        let keys = resizable_options("OPENSEARCH", None);
        assert!(keys.contains(&"masterNodeSize") && keys.contains(&"dataNodeSize"));
    }
}
