//! The `instaclustr_cluster` schema and its plan-time replace rules: which changes the API can
//! make in place and which need a new cluster.

use std::time::Duration;

use crate::framework::schema::{
    boolean, list_of, map_of, number, string, Block, Declare, NestedBlock, Schema, Timeouts,
};
use crate::framework::validators::{int_between, matches, one_of, private_ipv4_cidr};
use crate::framework::{Type, Value};

const MINUTE: Duration = Duration::from_secs(60);

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

pub fn schema() -> Schema {
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
            string().required().in_place().describe("Node size, e.g. `t3.small-v2`. Changed in place through the resize API, then the update waits until every node has the new size."),
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
            .replace()
            .semantic_eq(same_provider),
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
            .replace()
            .semantic_eq(same_racks),
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
            .replace()
            .semantic_eq(same_bundles),
        )
        .attr(
            "wait_for_state",
            string()
                .default("RUNNING")
                .state_only()
                .validate(one_of(&["RUNNING", "PROVISIONED", "NONE"]))
                .describe("Create waits until the cluster is `RUNNING` (default) or `PROVISIONED`, or returns as soon as it has an id (`NONE`)."),
        )
        .attr(
            "cluster_status",
            string().computed().recompute_when(&["node_size"]).describe("The API's `clusterStatus`."),
        )
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

/// What the API allocates when a create request has no `rackAllocation`.
const DEFAULT_RACKS: (i64, i64) = (3, 1);

/// A cluster created without `rack_allocation` gets the API's default 3 × 1, so "not set" and
/// an explicit 3 × 1 are the same allocation.
fn same_racks(a: &Value, b: &Value) -> bool {
    let racks = |v: &Value| -> Option<(i64, i64)> {
        if v.is_null() {
            return Some(DEFAULT_RACKS);
        }
        Some((
            v.get("number_of_racks")?.as_i64()?,
            v.get("nodes_per_rack")?.as_i64()?,
        ))
    };
    racks(a).is_some() && racks(a) == racks(b)
}

/// A map of strings where "not set" and `{}` both mean "none" to the API.
fn same_map(a: Option<&Value>, b: Option<&Value>) -> bool {
    let empty = |v: Option<&Value>| {
        v.is_none_or(|v| v.is_null() || v.entries().is_some_and(|m| m.is_empty()))
    };
    (empty(a) && empty(b)) || a == b
}

/// The same provider block: `tags = {}` is no tags.
fn same_provider(a: &Value, b: &Value) -> bool {
    let (Some(x), Some(y)) = (a.entries(), b.entries()) else {
        return a == b;
    };
    x.keys().chain(y.keys()).all(|k| {
        if k == "tags" {
            same_map(x.get(k), y.get(k))
        } else {
            x.get(k).unwrap_or(&Value::Null) == y.get(k).unwrap_or(&Value::Null)
        }
    })
}

/// The semantic version inside a bundle version (`4.0.1` in `apache-cassandra-4.0.1.ic4`): the
/// first run of dot-separated numbers with at least one dot.
fn semantic_version(v: &str) -> Option<&str> {
    let bytes = v.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i].is_ascii_digit() {
            let start = i;
            let mut end = i;
            let mut dots = 0;
            while end < bytes.len() && bytes[end].is_ascii_digit() {
                end += 1;
                if end + 1 < bytes.len() && bytes[end] == b'.' && bytes[end + 1].is_ascii_digit() {
                    dots += 1;
                    end += 1;
                }
            }
            if dots > 0 {
                return Some(&v[start..end]);
            }
            i = end;
        } else {
            i += 1;
        }
    }
    None
}

/// Bundles are the same when each has the same bundle, a version with the same semantic
/// version (as the official provider compares them: `4.0.1` = `apache-cassandra-4.0.1.ic4`),
/// and the same options (`options = {}` is no options).
fn same_bundles(a: &Value, b: &Value) -> bool {
    let (Some(x), Some(y)) = (a.elements(), b.elements()) else {
        return a == b;
    };
    let same_version = |p: Option<&Value>, q: Option<&Value>| match (
        p.and_then(Value::as_str),
        q.and_then(Value::as_str),
    ) {
        (Some(p), Some(q)) => {
            p == q || semantic_version(p).is_some_and(|v| Some(v) == semantic_version(q))
        }
        _ => p == q,
    };
    x.len() == y.len()
        && x.iter().zip(y).all(|(p, q)| {
            p.get("bundle") == q.get("bundle")
                && same_version(p.get("version"), q.get("version"))
                && same_map(p.get("options"), q.get("options"))
        })
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
    fn no_allocation_is_the_default_allocation() {
        let racks = |n: i64, p: i64| {
            Value::object([
                ("number_of_racks", Value::from(n)),
                ("nodes_per_rack", Value::from(p)),
            ])
        };
        assert!(same_racks(&Value::Null, &racks(3, 1)));
        assert!(same_racks(&racks(3, 1), &Value::Null));
        assert!(!same_racks(&Value::Null, &racks(2, 1)));
        assert!(same_racks(&racks(2, 2), &racks(2, 2)));
    }

    #[test]
    fn bundle_versions_compare_semantically_and_empty_maps_are_none() {
        let bundle = |v: &str, options: Value| {
            Value::list([Value::object([
                ("bundle", Value::from("APACHE_CASSANDRA")),
                ("version", Value::from(v)),
                ("options", options),
            ])])
        };
        let empty = Value::map(Vec::<(String, Value)>::new());
        assert!(same_bundles(
            &bundle("4.0.1", Value::Null),
            &bundle("apache-cassandra-4.0.1.ic4", empty.clone())
        ));
        assert!(!same_bundles(
            &bundle("4.0.1", Value::Null),
            &bundle("apache-cassandra-4.0.10", Value::Null)
        ));
        assert!(!same_bundles(
            &bundle("4.0.1", Value::Null),
            &bundle("4.1.3", Value::Null)
        ));
        let opts = Value::map([("authnAuthz", Value::from("true"))]);
        assert!(!same_bundles(
            &bundle("4.0.1", Value::Null),
            &bundle("4.0.1", opts)
        ));
        assert_eq!(
            semantic_version("apache-cassandra-3.11.8.ic2"),
            Some("3.11.8")
        );
        assert_eq!(semantic_version("v2"), None);

        let provider =
            |tags: Value| Value::object([("name", Value::from("AWS_VPC")), ("tags", tags)]);
        assert!(same_provider(&provider(Value::Null), &provider(empty)));
        assert!(!same_provider(
            &provider(Value::Null),
            &provider(Value::map([("team", Value::from("a"))]))
        ));
    }
}
