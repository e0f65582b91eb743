//! Plan-time checks of an `instaclustr_cluster` configuration: map keys, bundle options
//! (names and types), the node sizes each bundle needs, and the official arguments this
//! resource rejects. Every diagnostic names the attribute (or the map key) at fault.

use crate::framework::diagnostics::{AttrPath, Diagnostic, Diagnostics};
use crate::framework::validators::{map_keys, one_of_any_case, Validator};
use crate::framework::Value;

use super::equality::string_map;
use super::options;
use super::schema::reject_unsupported;

/// Cloud providers the API knows.
pub const PROVIDER_NAMES: &[&str] = &[
    "AWS_VPC",
    "AZURE",
    "AZURE_AZ",
    "GCP",
    "SOFTLAYER_BARE_METAL",
    "ONPREMISES",
];

/// Bundles that place their nodes themselves: the API takes no rack allocation for them, and
/// the official provider sends none.
pub const WITHOUT_RACKS: &[&str] = &["REDIS", "APACHE_ZOOKEEPER", "POSTGRESQL"];

/// Bundles whose node sizes come from their options (`master_node_size`, `data_node_size`).
pub fn sized_by_options(bundle: &str) -> bool {
    matches!(bundle, "OPENSEARCH" | "ELASTICSEARCH")
}

const PROVIDER_KEYS: &[&str] = &[
    "name",
    "account_name",
    "custom_virtual_network_id",
    "resource_group",
    "disk_encryption_key",
];

struct ProviderName;

impl Validator for ProviderName {
    fn validate(&self, value: &Value, path: &AttrPath, diags: &mut Diagnostics) {
        let Some(name) = value.get("name").and_then(Value::as_str) else {
            return;
        };
        if !PROVIDER_NAMES.contains(&name) {
            diags.push(
                Diagnostic::error(
                    format!("Invalid value for {path}"),
                    format!(
                        "{name:?} is not a cloud provider the API knows; expected one of {}.",
                        PROVIDER_NAMES.join(", ")
                    ),
                )
                .at(path.clone().key("name")),
            );
        }
    }
}

struct All(Vec<Box<dyn Validator>>);

impl Validator for All {
    fn validate(&self, value: &Value, path: &AttrPath, diags: &mut Diagnostics) {
        for v in &self.0 {
            v.validate(value, path, diags);
        }
    }
}

pub fn cluster_provider_keys() -> impl Validator {
    All(vec![
        Box::new(map_keys(PROVIDER_KEYS, &["name"])),
        Box::new(ProviderName),
    ])
}

struct RackCounts;

impl Validator for RackCounts {
    fn validate(&self, value: &Value, path: &AttrPath, diags: &mut Diagnostics) {
        for (key, lo, hi) in [("number_of_racks", 1, 5), ("nodes_per_rack", 1, 10)] {
            let Some(text) = value.get(key).and_then(Value::as_str) else {
                continue;
            };
            let ok = text
                .trim()
                .parse::<i64>()
                .is_ok_and(|n| (lo..=hi).contains(&n));
            if !ok {
                diags.push(
                    Diagnostic::error(
                        format!("Invalid value for {path}"),
                        format!("{key} must be a whole number from {lo} to {hi}, not {text:?}."),
                    )
                    .at(path.clone().key(key)),
                );
            }
        }
    }
}

pub fn rack_allocation_keys() -> impl Validator {
    const KEYS: &[&str] = &["number_of_racks", "nodes_per_rack"];
    All(vec![Box::new(map_keys(KEYS, KEYS)), Box::new(RackCounts)])
}

pub fn wait_for_state_values() -> impl Validator {
    one_of_any_case(&["RUNNING", "PROVISIONED", "NONE", ""])
}

/// The checks across attributes. `config` may hold unknown values: only known ones are judged.
pub fn validate(config: &Value, diags: &mut Diagnostics) {
    reject_unsupported(config, diags);
    let bundles = config
        .get("bundle")
        .and_then(Value::elements)
        .unwrap_or(&[]);
    for (i, b) in bundles.iter().enumerate() {
        check_options(b, &AttrPath::root("bundle").index(i).attr("options"), diags);
    }
    let Some(first) = bundles.first() else { return };
    let Some(primary) = first.get("bundle").and_then(Value::as_str) else {
        return;
    };
    let node_size = config.get("node_size").unwrap_or(&Value::Null);
    if sized_by_options(primary) {
        if !node_size.is_null() {
            diags.push(
                Diagnostic::error(
                    "node_size is not used for this bundle",
                    format!("{primary} clusters take their node sizes from the bundle options `master_node_size` and `data_node_size` (and `kibana_node_size` / `opensearch_dashboards_node_size`): remove node_size."),
                )
                .at(AttrPath::root("node_size")),
            );
        }
        check_search_sizes(first, diags);
    } else if node_size.is_null() {
        diags.push(
            Diagnostic::error(
                "Missing node_size",
                format!("A {primary} cluster needs node_size (only OPENSEARCH and ELASTICSEARCH take their sizes from bundle options)."),
            )
            .at(AttrPath::root("node_size")),
        );
    }
    let racks = config.get("rack_allocation").unwrap_or(&Value::Null);
    if primary == "REDIS" && !racks.is_null() {
        diags.push(
            Diagnostic::error(
                "rack_allocation is not supported for REDIS",
                "Instaclustr places Redis nodes from the bundle options `master_nodes` and `replica_nodes`: remove rack_allocation.",
            )
            .at(AttrPath::root("rack_allocation")),
        );
    }
}

/// Every key is an option the API knows (in either spelling) with a value of its type.
fn check_options(bundle: &Value, path: &AttrPath, diags: &mut Diagnostics) {
    let Some(entries) = bundle.get("options").and_then(Value::entries) else {
        return;
    };
    for (key, value) in entries {
        let at = path.clone().key(key);
        let problem = match options::api_name(key) {
            Err(e) => Some(e),
            Ok(_) => value
                .as_str()
                .and_then(|text| options::api_value(key, text).err()),
        };
        if let Some(e) = problem {
            diags.push(
                Diagnostic::error(format!("Invalid bundle option {key:?}"), e.to_string()).at(at),
            );
        }
    }
}

/// OpenSearch / Elasticsearch sizes, as the official provider requires them: a master node
/// size always; a data node size with dedicated masters; without them, no data node size or
/// the master's.
fn check_search_sizes(bundle: &Value, diags: &mut Diagnostics) {
    let field = bundle.get("options").unwrap_or(&Value::Null);
    if !field.is_wholly_known() {
        return;
    }
    let opts = string_map(field).unwrap_or_default();
    let path = AttrPath::root("bundle").index(0).attr("options");
    let master = options::get(Some(&opts), "masterNodeSize");
    let data = options::get(Some(&opts), "dataNodeSize");
    let mut fail = |key: &str, text: String| {
        diags.push(Diagnostic::error("Invalid bundle options", text).at(path.clone().key(key)));
    };
    let Some(master) = master else {
        fail(
            "master_node_size",
            "OPENSEARCH and ELASTICSEARCH bundles need the option `master_node_size`.".into(),
        );
        return;
    };
    if options::is_on(Some(&opts), "dedicatedMasterNodes") {
        if data.is_none() {
            fail(
                "data_node_size",
                "With `dedicated_master_nodes = true` the option `data_node_size` is required."
                    .into(),
            );
        }
    } else if data.is_some_and(|d| d != master) {
        fail("data_node_size", "Without dedicated master nodes every node is master-eligible: `data_node_size` must be left out or equal `master_node_size`.".into());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(primary: &str, node_size: Option<&str>, options: &[(&str, &str)]) -> Value {
        let options = Value::map(
            options
                .iter()
                .map(|(k, v)| (k.to_string(), Value::from(*v))),
        );
        Value::object([
            ("node_size", node_size.map_or(Value::Null, Value::from)),
            (
                "bundle",
                Value::list([Value::object([
                    ("bundle", Value::from(primary)),
                    ("version", Value::from("1.0.0")),
                    ("options", options),
                ])]),
            ),
        ])
    }

    fn paths(c: &Value) -> Vec<String> {
        let mut d = Diagnostics::new();
        validate(c, &mut d);
        d.iter()
            .map(|d| d.path.as_ref().map(|p| p.to_string()).unwrap_or_default())
            .collect()
    }

    #[test]
    fn node_size_is_required_unless_the_bundle_options_carry_sizes() {
        assert_eq!(paths(&config("APACHE_CASSANDRA", None, &[])), ["node_size"]);
        assert!(paths(&config("APACHE_CASSANDRA", Some("t3.small-v2"), &[])).is_empty());
        assert!(paths(&config("OPENSEARCH", None, &[("master_node_size", "m")])).is_empty());
        assert_eq!(
            paths(&config(
                "OPENSEARCH",
                Some("t3"),
                &[("master_node_size", "m")]
            )),
            ["node_size"]
        );
        assert_eq!(
            paths(&config("OPENSEARCH", None, &[])),
            [r#"bundle[0].options["master_node_size"]"#]
        );
        let mismatch = [("master_node_size", "m"), ("data_node_size", "d")];
        assert_eq!(
            paths(&config("OPENSEARCH", None, &mismatch)),
            [r#"bundle[0].options["data_node_size"]"#]
        );
        let dedicated = [
            ("master_node_size", "m"),
            ("dedicated_master_nodes", "true"),
        ];
        assert_eq!(
            paths(&config("ELASTICSEARCH", None, &dedicated)),
            [r#"bundle[0].options["data_node_size"]"#]
        );
    }

    #[test]
    fn option_names_and_values_are_checked() {
        let c = config(
            "KAFKA",
            Some("k"),
            &[
                ("number_partitions", "ten"),
                ("auth_n_auth", "true"),
                ("customThing", "x"),
            ],
        );
        assert_eq!(
            paths(&c),
            [
                r#"bundle[0].options["auth_n_auth"]"#,
                r#"bundle[0].options["number_partitions"]"#
            ]
        );
    }
}
