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
            .replace(),
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
            .replace(),
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
}
