//! The `redis_bootstrap` schema and its plan-time checks: single attributes through validators,
//! the choice between `cluster_name` and `join_nodes` through [`validate_config`].

use std::time::Duration;

use crate::framework::plan::ChangeRequest;
use crate::framework::schema::{list_of, string, Change, Declare, Schema, Timeouts};
use crate::framework::validators::{not_empty, one_of, Check};
use crate::framework::{AttrPath, Diagnostic, Diagnostics, Type, Value};

const MINUTE: Duration = Duration::from_secs(60);

/// The bootstrap settings cannot change on a running node. A joined node is replaced: removed
/// from its cluster and joined again with the new settings. The node that created the cluster
/// cannot be bootstrapped twice (no API dissolves a cluster), so there a change is an error.
/// The node's role is the one it has now, i.e. the prior `action`.
pub fn rebootstrap(req: &ChangeRequest, _: &mut Diagnostics) -> Change {
    let role = req.context.prior.get("action").and_then(Value::as_str);
    if role == Some("create_cluster") {
        Change::Fixed
    } else {
        Change::Replace
    }
}

const REBOOTSTRAP_DOC: &str = "Changing this replaces a `join_cluster` node (it is removed from its cluster and joined again); on the `create_cluster` node a change is an error at plan time, because that node cannot be bootstrapped twice.";

const CREATE_NODE_FIXED: &str = "this node created its cluster and cannot be bootstrapped a second time (no API dissolves a cluster); only a `join_cluster` node can be replaced";

/// An http(s) URL with a host and neither query, fragment nor credentials.
pub fn endpoint_problem(value: &Value) -> Option<String> {
    let text = value.as_str()?;
    let url = match reqwest::Url::parse(text.trim()) {
        Ok(url) => url,
        Err(e) => {
            return Some(format!(
                "{text:?} is not a URL ({e}); expected e.g. \"https://node1:9443\"."
            ))
        }
    };
    if !matches!(url.scheme(), "http" | "https") {
        return Some(format!("{text:?} must start with https:// (or http://)."));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Some(format!("{text:?} has no host."));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Some(format!("{text:?} must not have a query or fragment."));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Some(
            "the endpoint must not carry credentials; use username and password.".to_string(),
        );
    }
    None
}

/// A cluster FQDN: at most 64 characters, dot-separated labels of 1–63 letters, digits and
/// hyphens that neither start nor end with a hyphen.
pub fn cluster_name_problem(value: &Value) -> Option<String> {
    let name = value.as_str()?;
    if name.is_empty() {
        return Some("must not be empty.".to_string());
    }
    if name.chars().count() > 64 {
        return Some(format!(
            "{name:?} is {} characters long; at most 64 are allowed.",
            name.chars().count()
        ));
    }
    for label in name.split('.') {
        let problem = if label.is_empty() {
            Some("has an empty label (two dots in a row, or a dot at either end)".to_string())
        } else if label.len() > 63 {
            Some(format!("has a label longer than 63 characters ({label:?})"))
        } else if !label
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        {
            Some(format!(
                "has characters other than letters, digits and hyphens in {label:?}"
            ))
        } else if label.starts_with('-') || label.ends_with('-') {
            Some(format!(
                "has a label starting or ending with a hyphen ({label:?})"
            ))
        } else {
            None
        };
        if let Some(p) = problem {
            return Some(format!("{name:?} is not a valid FQDN: it {p}."));
        }
    }
    None
}

pub fn schema() -> Schema {
    Schema::new(
        "Bootstraps a Redis Enterprise Software node: creates a new cluster on it, or joins it to an existing cluster.",
    )
    .attr("id", string().computed().describe("Equals `endpoint`."))
    .attr(
        "endpoint",
        string()
            .required()
            .change_rule(rebootstrap, REBOOTSTRAP_DOC)
            .fixed_because(CREATE_NODE_FIXED)
            .validate(Check(endpoint_problem))
            .describe("Base URL of the node's REST API, e.g. `https://node1.example.com:9443` (a path prefix is allowed)."),
    )
    .attr(
        "action",
        string()
            .required()
            .change_rule(rebootstrap, REBOOTSTRAP_DOC)
            .fixed_because(CREATE_NODE_FIXED)
            .validate(one_of(&["create_cluster", "join_cluster"]))
            .describe("`create_cluster` (this node starts a new cluster) or `join_cluster` (it joins the cluster of `join_nodes`)."),
    )
    .attr(
        "cluster_name",
        string()
            .optional()
            .change_rule(rebootstrap, REBOOTSTRAP_DOC)
            .fixed_because(CREATE_NODE_FIXED)
            .validate(Check(cluster_name_problem))
            .describe("FQDN of the new cluster, at most 64 characters. Required for `create_cluster`, not allowed for `join_cluster`."),
    )
    .attr(
        "join_nodes",
        list_of(Type::String)
            .optional()
            .change_rule(rebootstrap, REBOOTSTRAP_DOC)
            .fixed_because(CREATE_NODE_FIXED)
            .describe("Addresses of existing cluster members to join through. Required for `join_cluster`, not allowed for `create_cluster`."),
    )
    .attr(
        "username",
        string()
            .required()
            .change_rule(rebootstrap, REBOOTSTRAP_DOC)
            .fixed_because(CREATE_NODE_FIXED)
            .validate(not_empty())
            .describe("Cluster administrator user (usually an e-mail address): created with the cluster, or checked when joining."),
    )
    .attr(
        "password",
        string()
            .required()
            .sensitive()
            .state_only()
            .validate(not_empty())
            .describe("Cluster administrator password: what later reads authenticate with."),
    )
    .attr(
        "license",
        string()
            .optional()
            .sensitive()
            .change_rule(rebootstrap, REBOOTSTRAP_DOC)
            .fixed_because(CREATE_NODE_FIXED)
            .describe("License key; without one the cluster starts on a trial license."),
    )
    .attr(
        "persistent_path",
        string()
            .optional()
            .change_rule(rebootstrap, REBOOTSTRAP_DOC)
            .fixed_because(CREATE_NODE_FIXED)
            .describe("Persistent storage path (`node.paths.persistent_path`)."),
    )
    .attr(
        "ephemeral_path",
        string()
            .optional()
            .change_rule(rebootstrap, REBOOTSTRAP_DOC)
            .fixed_because(CREATE_NODE_FIXED)
            .describe("Ephemeral storage path (`node.paths.ephemeral_path`)."),
    )
    .attr(
        "bigstore_path",
        string()
            .optional()
            .change_rule(rebootstrap, REBOOTSTRAP_DOC)
            .fixed_because(CREATE_NODE_FIXED)
            .describe("Flash storage path for Auto Tiering (`node.paths.bigstore_path`)."),
    )
    .attr(
        "bigstore_driver",
        string()
            .optional()
            .change_rule(rebootstrap, REBOOTSTRAP_DOC)
            .fixed_because(CREATE_NODE_FIXED)
            .describe("Flash storage driver for Auto Tiering, e.g. `speedb`."),
    )
    .attr(
        "node_addr",
        string()
            .optional()
            .change_rule(rebootstrap, REBOOTSTRAP_DOC)
            .fixed_because(CREATE_NODE_FIXED)
            .describe("Internal address of this node (`node.identity.addr`); the node picks one when unset."),
    )
    .attr(
        "external_addr",
        list_of(Type::String)
            .optional()
            .change_rule(rebootstrap, REBOOTSTRAP_DOC)
            .fixed_because(CREATE_NODE_FIXED)
            .describe("External addresses of this node (`node.identity.external_addr`)."),
    )
    .attr(
        "rack_id",
        string()
            .optional()
            .change_rule(rebootstrap, REBOOTSTRAP_DOC)
            .fixed_because(CREATE_NODE_FIXED)
            .describe("Rack or zone of this node, for rack-aware clusters (`node.identity.rack_id`)."),
    )
    .attr("state", string().computed().describe("The node's bootstrap state (`completed` once applied)."))
    .attr("node_uid", string().computed().describe("The node's uid in its cluster."))
    .attr("software_version", string().computed().describe("Redis Enterprise Software version of the node."))
    .attr("start_time", string().computed().describe("When the bootstrap started."))
    .attr("end_time", string().computed().describe("When the bootstrap ended."))
    .timeouts(Timeouts {
        create: Some(30 * MINUTE),
        delete: Some(30 * MINUTE),
        read: None,
        update: None,
    })
}

/// Null, or absent: what "not set" looks like in a configuration.
fn unset(v: Option<&Value>) -> bool {
    v.is_none_or(Value::is_null)
}

/// The checks across attributes: which of `cluster_name` and `join_nodes` the action needs.
/// Unknown values are judged once known.
pub fn validate_config(config: &Value, diags: &mut Diagnostics) {
    let Some(action) = config.get("action").and_then(Value::as_str) else {
        return;
    };
    let cluster_name = config.get("cluster_name");
    let join_nodes = config.get("join_nodes");
    let error = |attr: &str, summary: &str, detail: String| {
        Diagnostic::error(summary, detail).at(AttrPath::root(attr))
    };
    match action {
        "create_cluster" => {
            if unset(cluster_name) {
                diags.push(error(
                    "cluster_name",
                    "Missing cluster_name",
                    "cluster_name (the new cluster's FQDN) is required when action is \"create_cluster\".".into(),
                ));
            }
            if !unset(join_nodes) {
                diags.push(error(
                    "join_nodes",
                    "join_nodes not allowed",
                    "join_nodes is only for action \"join_cluster\"; a node that creates a cluster joins no one.".into(),
                ));
            }
        }
        "join_cluster" => {
            if !unset(cluster_name) {
                diags.push(error(
                    "cluster_name",
                    "cluster_name not allowed",
                    "cluster_name is only for action \"create_cluster\"; a joining node takes the name of the cluster it joins.".into(),
                ));
            }
            match join_nodes.and_then(Value::elements) {
                _ if unset(join_nodes) => diags.push(error(
                    "join_nodes",
                    "Missing join_nodes",
                    "join_nodes (addresses of existing cluster members) is required when action is \"join_cluster\".".into(),
                )),
                Some([]) => diags.push(error(
                    "join_nodes",
                    "Empty join_nodes",
                    "join_nodes needs at least one address of an existing cluster member.".into(),
                )),
                _ => {}
            }
        }
        // `one_of` on the attribute reports anything else.
        _ => {}
    }
    for list in ["join_nodes", "external_addr"] {
        let items = config
            .get(list)
            .and_then(Value::elements)
            .unwrap_or_default();
        for (i, item) in items.iter().enumerate() {
            if item.as_str().is_some_and(|s| s.trim().is_empty()) {
                diags.push(
                    Diagnostic::error(
                        format!("Invalid value for {list}[{i}]"),
                        "addresses must not be empty.",
                    )
                    .at(AttrPath::root(list).index(i)),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(pairs: &[(&str, Value)]) -> Value {
        Value::object(pairs.iter().map(|(k, v)| (k.to_string(), v.clone())))
    }

    fn errors_at(config: &Value) -> Vec<String> {
        let mut d = Diagnostics::new();
        validate_config(config, &mut d);
        d.iter()
            .map(|d| d.path.as_ref().map(|p| p.to_string()).unwrap_or_default())
            .collect()
    }

    #[test]
    fn action_decides_which_of_cluster_name_and_join_nodes_is_needed() {
        let nodes = Value::list([Value::from("10.0.0.1")]);
        assert!(errors_at(&config(&[
            ("action", "create_cluster".into()),
            ("cluster_name", "c.example.com".into())
        ]))
        .is_empty());
        assert_eq!(
            errors_at(&config(&[("action", "create_cluster".into())])),
            vec!["cluster_name"]
        );
        assert_eq!(
            errors_at(&config(&[
                ("action", "create_cluster".into()),
                ("cluster_name", "c".into()),
                ("join_nodes", nodes.clone())
            ])),
            vec!["join_nodes"]
        );
        assert!(errors_at(&config(&[
            ("action", "join_cluster".into()),
            ("join_nodes", nodes.clone())
        ]))
        .is_empty());
        assert_eq!(
            errors_at(&config(&[("action", "join_cluster".into())])),
            vec!["join_nodes"]
        );
        assert_eq!(
            errors_at(&config(&[
                ("action", "join_cluster".into()),
                ("join_nodes", Value::list([]))
            ])),
            vec!["join_nodes"]
        );
        assert_eq!(
            errors_at(&config(&[
                ("action", "join_cluster".into()),
                ("join_nodes", nodes),
                ("cluster_name", "c".into())
            ])),
            vec!["cluster_name"]
        );
        // Unknown values are judged later.
        assert!(errors_at(&config(&[("action", Value::Unknown)])).is_empty());
        assert!(errors_at(&config(&[
            ("action", "join_cluster".into()),
            ("join_nodes", Value::Unknown)
        ]))
        .is_empty());
        assert_eq!(
            errors_at(&config(&[
                ("action", "join_cluster".into()),
                ("join_nodes", Value::list([Value::from(" ")]))
            ])),
            vec!["join_nodes[0]"]
        );
    }

    #[test]
    fn cluster_names_follow_fqdn_rules() {
        let ok = |s: &str| cluster_name_problem(&Value::from(s)).is_none();
        assert!(ok("cluster.example.com"));
        assert!(ok("c1"));
        assert!(ok(&format!("{}.{}", "a".repeat(31), "b".repeat(32))));
        assert!(
            !ok(&format!("{}.{}", "a".repeat(32), "b".repeat(32))),
            "65 characters"
        );
        assert!(!ok(""));
        assert!(!ok("bad_name.example.com"));
        assert!(!ok("-bad.example.com"));
        assert!(!ok("bad-.example.com"));
        assert!(!ok("a..b"));
        assert!(!ok("a.b."));
        assert!(!ok(&format!("{}.com", "a".repeat(64))));
    }

    #[test]
    fn endpoints_must_be_http_urls() {
        let ok = |s: &str| endpoint_problem(&Value::from(s)).is_none();
        assert!(ok("https://node1:9443"));
        assert!(ok("http://127.0.0.1:8080/redis/node1"));
        assert!(!ok("node1:9443"));
        assert!(!ok("ftp://node1"));
        assert!(!ok("https://"));
        assert!(!ok("https://node1:9443?x=1"));
        assert!(!ok("https://admin:pw@node1:9443"));
    }

    #[test]
    fn the_create_node_is_fixed_a_joined_node_replaced() {
        let private = crate::framework::Private::default();
        let pick = |action: &str| {
            let prior = config(&[("action", action.into())]);
            let context = crate::framework::plan::PlanContext {
                prior: &prior,
                config: &Value::Null,
                private: &private,
            };
            let req = ChangeRequest {
                path: &AttrPath::root("license"),
                prior: &Value::Null,
                planned: &Value::from("x"),
                config: &Value::from("x"),
                planned_resource: &Value::Null,
                context: &context,
            };
            rebootstrap(&req, &mut Diagnostics::new())
        };
        assert_eq!(pick("create_cluster"), Change::Fixed);
        assert_eq!(pick("join_cluster"), Change::Replace);
        let s = schema();
        assert!(s.block.attributes["password"].sensitive);
        assert!(s.block.attributes["license"].sensitive);
        assert!(s.block.blocks.contains_key("timeouts"));
    }
}
