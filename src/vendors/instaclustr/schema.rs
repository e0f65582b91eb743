//! The `instaclustr_cluster` schema: the official v1 provider's attributes (map attributes where
//! it has maps, its names, its defaults), each with the update behaviour the API allows.

use std::time::Duration;

use crate::framework::diagnostics::{AttrPath, Diagnostics};
use crate::framework::schema::{
    boolean, list_of, map_of, set_of, string, Attribute, Block, Declare, NestedBlock, Schema,
    Timeouts,
};
use crate::framework::validators::{matches, not_empty, private_ipv4_cidr};
use crate::framework::{Type, Value};

use super::equality::{same_bundles, same_map, same_racks};
use super::rules::{bundle_change, node_size_change, unsupported_change};
use super::validation::{cluster_provider_keys, rack_allocation_keys, wait_for_state_values};

const MINUTE: Duration = Duration::from_secs(60);

/// The official provider's schema version, kept so that `terraform state show` reads its state
/// right after `terraform state replace-provider` (see `upgrade`).
pub const VERSION: i64 = 0;

/// Keys of `cluster_provider` besides `name`; the API does not report them all back.
pub const PROVIDER_KEYS: &[&str] = &[
    "account_name",
    "custom_virtual_network_id",
    "resource_group",
    "disk_encryption_key",
];

/// Attributes of the official resource that this one does not implement; configuring one is a
/// plan-time error (see `validation::unsupported`).
pub const UNSUPPORTED: &[(&str, &str)] = &[
    ("data_centres", "multi-data-centre clusters are not supported: configure one data centre with `data_centre`"),
    ("kafka_rest_proxy_user_password", "setting the Kafka REST proxy user's password is not supported"),
    ("kafka_schema_registry_user_password", "setting the Kafka schema registry user's password is not supported"),
    ("kafka_connect_credential", "Kafka Connect credentials are not supported as a block: give them as bundle options (`aws_access_key`, `aws_secret_key`, …)"),
    ("private_link", "PrivateLink is not supported"),
    ("oidc_provider", "OIDC providers are not supported"),
    ("bundles", "`bundles` was removed from the official provider in 1.0: write `bundle` blocks"),
];

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
    let schema = Schema::new("An Instaclustr managed cluster (Cassandra, Kafka, OpenSearch, Redis, … as chosen by `bundle`), compatible with the official Instaclustr v1 provider's `instaclustr_cluster`.")
        .version(VERSION)
        .attr("id", string().computed().describe("Cluster UUID."))
        .attr("cluster_id", string().computed().describe("The cluster UUID again, under the official provider's name."))
        .attr(
            "cluster_name",
            string()
                .required()
                .replace()
                .validate(matches(
                    "^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$",
                    "1 to 32 letters, digits, underscores or hyphens, starting with a letter or digit",
                ))
                .describe("Cluster name: 1–32 letters, digits, underscores or hyphens."),
        )
        .attr(
            "node_size",
            string()
                .optional()
                .computed()
                // Search clusters take it from their size options: it follows a resize of them.
                .recompute_when(&["bundle"])
                .change_rule(node_size_change, "Changed in place through the resize API, then the update waits until the cluster is `RUNNING` with the new size. Required except for `OPENSEARCH` and `ELASTICSEARCH`, whose sizes come from the bundle options. A bundle that Instaclustr cannot resize makes a change a plan-time error.")
                .describe("Node size, e.g. `t3.small-v2`."),
        )
        .attr("data_centre", string().required().replace().describe("Data centre, e.g. `US_WEST_2`."))
        .attr(
            "data_centre_custom_name",
            string()
                .optional()
                .computed()
                .replace()
                .validate(not_empty())
                .describe("Name of the cluster data centre (`dataCentreCustomName`); unset, the API picks one."),
        )
        .attr(
            "sla_tier",
            string()
                .default("NON_PRODUCTION")
                .replace()
                .validate(crate::framework::validators::one_of(&["PRODUCTION", "NON_PRODUCTION"]))
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
        .attr(
            "cluster_provider",
            map_of(Type::String)
                .required()
                .replace()
                .validate(cluster_provider_keys())
                .unreported_keys(PROVIDER_KEYS)
                .describe("Where the cluster runs, written `cluster_provider = { name = \"AWS_VPC\" }`: `name` (required: `AWS_VPC`, `AZURE`, `AZURE_AZ`, `GCP`, …), `account_name`, `custom_virtual_network_id`, `resource_group`, `disk_encryption_key`."),
        )
        .attr(
            "tags",
            map_of(Type::String)
                .optional()
                .replace()
                .semantic_eq(same_map)
                .describe("Tags put on the cloud resources (`provider.tags`). No API changes them later, so a change replaces the cluster."),
        )
        .attr(
            "rack_allocation",
            map_of(Type::String)
                .optional()
                .computed()
                .replace()
                .validate(rack_allocation_keys())
                .semantic_eq(same_racks)
                .describe("How nodes are spread over racks, written `rack_allocation = { number_of_racks = 3, nodes_per_rack = 1 }`: `number_of_racks` 1–5 and `nodes_per_rack` 1–10, both required when set. Unset, state keeps what the API reports (3 × 1 for a new cluster). Not sent for `REDIS`, `APACHE_ZOOKEEPER` and `POSTGRESQL`, which place their nodes themselves."),
        )
        .block(
            "bundle",
            NestedBlock::list(
                Block::new("An application bundle; the first is the cluster's primary application.")
                    .attr("bundle", string().required().describe("Bundle, e.g. `APACHE_CASSANDRA`, `KAFKA`, `OPENSEARCH`."))
                    .attr("version", string().required().describe("Bundle version, e.g. `4.0.1`; equal to the API's spelling of the same version (`apache-cassandra-4.0.1.ic4`)."))
                    .attr(
                        "options",
                        map_of(Type::String).optional().describe(
                            "Bundle options, in the official provider's snake_case (`auth_n_authz = true`) or the API's own spelling (`authnAuthz`); sent under the API's names and types. Values appear in plan output: a map cannot hide credential options (`aws_secret_key`, …), although logs and diagnostics never show them.",
                        ),
                    ),
            )
            .min(1)
            .change_rule(bundle_change, "Changing a bundle replaces the cluster, except the node-size options (`master_node_size`, `data_node_size`, `kibana_node_size`, `opensearch_dashboards_node_size`, `zookeeper_node_size`), which are changed in place through the resize API.")
            .semantic_eq(same_bundles),
        )
        .attr(
            "wait_for_state",
            string()
                .default("RUNNING")
                .state_only()
                .validate(wait_for_state_values())
                .describe("Create waits until the cluster is `RUNNING` (default) or `PROVISIONED`, or returns as soon as it has an id (`NONE`, or `\"\"` as the official provider wrote it). Any case."),
        )
        .attr(
            "cluster_status",
            string().computed().recompute_when(&["node_size", "bundle"]).describe("The API's `clusterStatus`."),
        )
        .attr("default_data_centre_id", string().computed().describe("The cluster data centre's id (`cdcId`)."))
        .attr(
            "public_contact_point",
            list_of(Type::String).computed().describe("Public address of the first node of each rack (none for a private network cluster)."),
        )
        .attr(
            "private_contact_point",
            list_of(Type::String).computed().describe("Private address of the first node of each rack."),
        )
        .attr(
            "nodes",
            list_of(node_type())
                .computed()
                .recompute_when(&["node_size", "bundle"])
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
        });
    with_unsupported(schema)
}

const UNSUPPORTED_DOC: &str = "Configuring it is a plan-time error.";

fn unsupported_text(name: &str) -> String {
    let why = UNSUPPORTED
        .iter()
        .find(|(n, _)| *n == name)
        .map_or("", |(_, why)| why);
    format!("Official provider argument, not supported here: {why}.")
}

/// The official arguments this resource rejects, declared with their official types so that
/// HCL using them gets this provider's diagnostic, and state written by the official provider
/// decodes as it is.
fn with_unsupported(schema: Schema) -> Schema {
    let options = || map_of(Type::String).optional();
    let data_centre_bundles = Block::new("A bundle of the data centre.")
        .attr("bundle", string().optional())
        .attr("version", string().optional())
        .attr("options", options());
    let data_centre = Block::new(&unsupported_text("data_centres"))
        .attr("name", string().optional())
        .attr("data_centre", string().optional())
        .attr("network", string().optional())
        .attr("node_size", string().optional())
        .attr("rack_allocation", options())
        .attr("provider", options())
        .block("bundles", NestedBlock::set(data_centre_bundles));
    let credential = [
        "aws_access_key",
        "aws_secret_key",
        "azure_storage_account_name",
        "azure_storage_account_key",
        "sasl_jaas_config",
    ]
    .into_iter()
    .fold(
        Block::new(&unsupported_text("kafka_connect_credential")),
        |b, k| b.attr(k, string().optional().sensitive()),
    );
    let private_link = Block::new(&unsupported_text("private_link"))
        .attr("iam_principal_arns", list_of(Type::String).optional());
    let attr = |s: Schema, name: &str, a: Attribute| {
        s.attr(
            name,
            a.change_rule(unsupported_change, UNSUPPORTED_DOC)
                .describe(&unsupported_text(name)),
        )
    };
    let block = |s: Schema, name: &str, b: NestedBlock| {
        s.block(name, b.change_rule(unsupported_change, UNSUPPORTED_DOC))
    };
    let s = block(schema, "data_centres", NestedBlock::set(data_centre));
    let s = attr(
        s,
        "kafka_rest_proxy_user_password",
        string().optional().sensitive(),
    );
    let s = attr(
        s,
        "kafka_schema_registry_user_password",
        string().optional().sensitive(),
    );
    let s = block(
        s,
        "kafka_connect_credential",
        NestedBlock::list(credential).max(1),
    );
    let s = block(s, "private_link", NestedBlock::list(private_link).max(1));
    let s = attr(s, "oidc_provider", string().optional());
    attr(
        s,
        "bundles",
        set_of(Type::Map(Box::new(Type::String))).optional(),
    )
}

/// Every unsupported argument that the configuration sets, as an error on its path.
pub fn reject_unsupported(config: &Value, diags: &mut Diagnostics) {
    for (name, why) in UNSUPPORTED {
        let v = config.get(name).unwrap_or(&Value::Null);
        let empty = v.is_null() || v.elements().is_some_and(|e| e.is_empty());
        if !empty {
            diags.push(
                crate::framework::Diagnostic::error(
                    format!("{name} is not supported"),
                    format!("The official Instaclustr provider's `{name}` is not supported by clusterform's instaclustr_cluster: {why}. Remove it from the configuration."),
                )
                .at(AttrPath::root(name)),
            );
        }
    }
}
