//! Reading older `instaclustr_cluster` states into the current shape.
//!
//! Every shape has schema version 0, the official provider's, which the current schema keeps:
//! Terraform 1.11's `terraform state show` refuses a state whose schema version differs from
//! the provider's, and users run it right after `terraform state replace-provider`, before any
//! plan has upgraded the state. The shapes are told apart by their attributes instead:
//! - the current one has attributes only clusterform reads back (`cluster_status`, `nodes`);
//! - the official Instaclustr v1 provider's, after `terraform state replace-provider`:
//!   `cluster_id`, maps of strings, `wait_for_state` defaulting to `""`, empty lists for the
//!   blocks it has and we reject, `oidc_provider` read back as `""`;
//! - clusterform 0.1.0's: `cluster_provider` and `rack_allocation` as blocks (objects with
//!   nulls and numbers), tags inside `cluster_provider`, `data_centre_id`.

use serde_json::{Map, Value};

use crate::framework::Diagnostic;

/// 0.1.0 wrote `cluster_provider` as a block: an object with every attribute, nulls and the
/// `tags` object included, and `rack_allocation` with numbers. Its `data_centre_id` is no
/// help: Terraform strips attributes the schema does not have before the provider sees the
/// state when the schema versions agree.
fn is_clusterform_0_1(s: &Map<String, Value>) -> bool {
    let not_all_strings = |key: &str| match s.get(key) {
        Some(Value::Object(o)) => o.values().any(|v| !v.is_string()),
        Some(Value::Array(_)) => true,
        _ => false,
    };
    s.contains_key("data_centre_id")
        || not_all_strings("cluster_provider")
        || not_all_strings("rack_allocation")
}

/// Attributes of the current shape that the official provider's never had.
const CURRENT_ONLY: &[&str] = &["cluster_status", "nodes", "default_user_password"];

/// Blocks of the official resource: state holds a list, empty when unused.
const LIST_BLOCKS: &[&str] = &["data_centres", "kafka_connect_credential", "private_link"];

pub fn upgrade(_version: i64, state: Value) -> Result<Value, Diagnostic> {
    let Value::Object(mut s) = state else {
        return Err(Diagnostic::error(
            "Stored instaclustr_cluster state is not an object",
            "The state cannot be read; remove it with `terraform state rm` and import the cluster again.",
        ));
    };
    if is_clusterform_0_1(&s) {
        from_clusterform_0_1(&mut s);
    } else if CURRENT_ONLY.iter().any(|k| s.contains_key(*k)) {
        return Ok(Value::Object(s));
    } else {
        from_official(&mut s);
    }
    common(&mut s);
    Ok(Value::Object(s))
}

/// What both shapes need: the official name of the id, lists for the rejected blocks, maps of
/// strings where the schema has them.
fn common(s: &mut Map<String, Value>) {
    if s.get("cluster_id").is_none_or(Value::is_null) {
        let id = s.get("id").cloned().unwrap_or(Value::Null);
        s.insert("cluster_id".into(), id);
    }
    for block in LIST_BLOCKS {
        if s.get(*block).is_none_or(Value::is_null) {
            s.insert((*block).into(), Value::Array(Vec::new()));
        }
    }
    for map in ["cluster_provider", "tags", "rack_allocation"] {
        if let Some(v) = s.get_mut(map) {
            *v = strings(v);
        }
    }
}

/// An object's values as strings (numbers and booleans as their text), nulls dropped; a
/// block written as a one-element list counts as its element.
fn strings(v: &Value) -> Value {
    let object = match v {
        Value::Array(items) => items.first(),
        other => Some(other),
    };
    let Some(Value::Object(o)) = object else {
        return Value::Null;
    };
    let out: Map<String, Value> = o
        .iter()
        .filter_map(|(k, v)| match v {
            Value::Null | Value::Object(_) | Value::Array(_) => None,
            Value::String(s) => Some((k.clone(), Value::String(s.clone()))),
            other => Some((k.clone(), Value::String(other.to_string()))),
        })
        .collect();
    Value::Object(out)
}

/// The official provider's defaults that mean "not set" become ours: `wait_for_state = ""`
/// (do not wait) turns into the default `RUNNING`, so an unset argument plans nothing, and an
/// `oidc_provider` read back as `""` into null.
fn from_official(s: &mut Map<String, Value>) {
    let wait = s
        .get("wait_for_state")
        .and_then(Value::as_str)
        .unwrap_or("");
    if wait.is_empty() {
        s.insert("wait_for_state".into(), Value::String("RUNNING".into()));
    }
    if s.get("oidc_provider").and_then(Value::as_str) == Some("") {
        s.insert("oidc_provider".into(), Value::Null);
    }
}

/// 0.1.0's blocks become maps; its `data_centre_id` is the official `default_data_centre_id`;
/// tags move out of `cluster_provider` to the top level.
fn from_clusterform_0_1(s: &mut Map<String, Value>) {
    if let Some(dc) = s.remove("data_centre_id") {
        s.insert("default_data_centre_id".into(), dc);
    }
    let provider = match s.get("cluster_provider") {
        Some(Value::Array(items)) => items.first().cloned(),
        other => other.cloned(),
    };
    if let Some(Value::Object(p)) = provider {
        let tags = p.get("tags").cloned().unwrap_or(Value::Null);
        if s.get("tags").is_none_or(Value::is_null) {
            s.insert("tags".into(), tags);
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn the_official_shape_gets_our_defaults() {
        let official = json!({
            "id": "c-1", "cluster_id": "c-1", "cluster_name": "tf-test", "node_size": "t3.small-v2",
            "data_centre": "US_WEST_2", "data_centre_custom_name": "AWS_VPC_US_WEST_2",
            "cluster_provider": {"name": "AWS_VPC"}, "tags": null,
            "rack_allocation": {"number_of_racks": "3", "nodes_per_rack": "1"},
            "bundle": [{"bundle": "APACHE_CASSANDRA", "version": "3.11.8", "options": {"auth_n_authz": "true"}}],
            "bundles": null, "data_centres": [], "private_link": [], "kafka_connect_credential": null,
            "oidc_provider": "", "wait_for_state": "", "timeouts": null
        });
        let up = upgrade(0, official).unwrap();
        assert_eq!(up["wait_for_state"], "RUNNING");
        assert_eq!(up["oidc_provider"], Value::Null);
        assert_eq!(up["kafka_connect_credential"], json!([]));
        assert_eq!(up["rack_allocation"]["number_of_racks"], "3");
        assert_eq!(up["bundle"][0]["options"]["auth_n_authz"], "true");
        let explicit = upgrade(
            0,
            json!({"id": "c", "cluster_id": "c", "wait_for_state": "PROVISIONED"}),
        )
        .unwrap();
        assert_eq!(explicit["wait_for_state"], "PROVISIONED");
    }

    #[test]
    fn clusterform_0_1_blocks_become_maps() {
        let old = json!({
            "id": "c-1", "cluster_name": "orders", "cluster_status": "RUNNING", "nodes": [],
            "cluster_provider": {"name": "AWS_VPC", "account_name": null, "custom_virtual_network_id": null,
                                 "disk_encryption_key": null, "tags": {"team": "orders"}},
            "rack_allocation": {"number_of_racks": 3, "nodes_per_rack": 1},
            "bundle": [{"bundle": "APACHE_CASSANDRA", "version": "4.0.1", "options": null}],
            "wait_for_state": "RUNNING"
        });
        let up = upgrade(0, old).unwrap();
        assert_eq!(up["cluster_id"], "c-1");
        assert_eq!(up["cluster_provider"], json!({"name": "AWS_VPC"}));
        assert_eq!(up["tags"], json!({"team": "orders"}));
        assert_eq!(
            up["rack_allocation"],
            json!({"number_of_racks": "3", "nodes_per_rack": "1"})
        );
        assert_eq!(up["data_centres"], json!([]));
    }

    #[test]
    fn the_current_shape_is_left_alone() {
        let v = json!({"id": "c", "cluster_id": "c", "wait_for_state": "", "nodes": [], "oidc_provider": null});
        assert_eq!(upgrade(0, v.clone()).unwrap(), v);
    }
}
