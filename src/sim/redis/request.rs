//! Parsing of the bootstrap object (`POST /v1/bootstrap/{action}` and `/validate/{action}`).
//!
//! Only the shape is judged here (types, required fields): what a node would refuse at once with
//! 400. Whether the configuration *works* (a reachable cluster, right credentials, a valid
//! license) is decided when the simulated bootstrap finishes, as on a real node, and ends in the
//! `error` state instead (see `node.rs`).

use serde_json::{Map, Value};

/// The two bootstrap actions the simulator performs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    CreateCluster,
    JoinCluster,
}

impl Action {
    /// The action of a URL path segment; `Err` carries the 400 message.
    pub fn parse(segment: &str) -> Result<Action, String> {
        match segment {
            "create_cluster" => Ok(Action::CreateCluster),
            "join_cluster" => Ok(Action::JoinCluster),
            "recover_cluster" => {
                Err("recover_cluster is not simulated by clusterform-sim".to_owned())
            }
            other => Err(format!(
                "unknown bootstrap action {other:?} (create_cluster, join_cluster)"
            )),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Action::CreateCluster => "create_cluster",
            Action::JoinCluster => "join_cluster",
        }
    }

    /// The bootstrap state while the action runs.
    pub fn running_state(self) -> &'static str {
        match self {
            Action::CreateCluster => "creating_cluster",
            Action::JoinCluster => "joining_cluster",
        }
    }
}

/// A bootstrap object that passed the shape checks.
#[derive(Clone, Debug)]
pub struct BootstrapRequest {
    pub action: Action,
    /// `cluster.name`: the new cluster's FQDN (create), or the cluster to join (join, optional).
    pub cluster_name: Option<String>,
    /// `cluster.nodes`: addresses of existing members (join).
    pub join_nodes: Vec<String>,
    pub username: String,
    pub password: String,
    pub license: Option<String>,
    pub persistent_path: Option<String>,
    pub ephemeral_path: Option<String>,
    pub bigstore_path: Option<String>,
    pub bigstore_driver: Option<String>,
    /// `node.identity.addr`.
    pub addr: Option<String>,
    pub external_addr: Vec<String>,
    pub rack_id: Option<String>,
}

/// Parses and shape-checks a bootstrap object for `action`; `Err` is the 400 message.
pub fn parse(action: Action, body: &Value) -> Result<BootstrapRequest, String> {
    let obj = body
        .as_object()
        .ok_or("the bootstrap object must be a JSON object")?;
    if let Some(given) = opt_str(obj, "action", "action")? {
        if given != action.as_str() {
            return Err(format!(
                "action {given:?} in the body does not match the URL's {:?}",
                action.as_str()
            ));
        }
    }

    let credentials = opt_obj(obj, "credentials", "credentials")?
        .ok_or("credentials (username and password) are required")?;
    let username = required_str(credentials, "username", "credentials.username")?;
    let password = required_str(credentials, "password", "credentials.password")?;

    let cluster = opt_obj(obj, "cluster", "cluster")?.ok_or("cluster is required")?;
    let cluster_name = opt_str(cluster, "name", "cluster.name")?
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned);
    let join_nodes = str_list(cluster, "nodes", "cluster.nodes")?;
    match action {
        Action::CreateCluster => {
            let name = cluster_name
                .as_deref()
                .ok_or("cluster.name is required to create a cluster")?;
            if let Some(problem) = fqdn_problem(name) {
                return Err(format!(
                    "cluster.name {name:?} is not a valid FQDN: {problem}"
                ));
            }
        }
        Action::JoinCluster => {
            if join_nodes.is_empty() && cluster_name.is_none() {
                return Err(
                    "cluster.nodes (addresses of existing members) or cluster.name is required to join a cluster"
                        .to_owned(),
                );
            }
        }
    }

    let mut req = BootstrapRequest {
        action,
        cluster_name,
        join_nodes,
        username: username.to_owned(),
        password: password.to_owned(),
        license: opt_str(obj, "license", "license")?
            .filter(|s| !s.trim().is_empty())
            .map(str::to_owned),
        persistent_path: None,
        ephemeral_path: None,
        bigstore_path: None,
        bigstore_driver: None,
        addr: None,
        external_addr: Vec::new(),
        rack_id: None,
    };
    // `dns_suffixes` and every other documented field are accepted and ignored.
    if let Some(node) = opt_obj(obj, "node", "node")? {
        if let Some(paths) = opt_obj(node, "paths", "node.paths")? {
            req.persistent_path = non_empty(opt_str(
                paths,
                "persistent_path",
                "node.paths.persistent_path",
            )?);
            req.ephemeral_path = non_empty(opt_str(
                paths,
                "ephemeral_path",
                "node.paths.ephemeral_path",
            )?);
            req.bigstore_path =
                non_empty(opt_str(paths, "bigstore_path", "node.paths.bigstore_path")?);
        }
        req.bigstore_driver = non_empty(opt_str(node, "bigstore_driver", "node.bigstore_driver")?);
        if let Some(identity) = opt_obj(node, "identity", "node.identity")? {
            req.addr = non_empty(opt_str(identity, "addr", "node.identity.addr")?);
            req.external_addr = str_list(identity, "external_addr", "node.identity.external_addr")?;
            req.rack_id = non_empty(opt_str(identity, "rack_id", "node.identity.rack_id")?);
            opt_str(identity, "name", "node.identity.name")?;
        }
    }
    Ok(req)
}

/// Why `name` is not a cluster FQDN (at most 64 characters; dot-separated labels of 1–63
/// letters, digits and hyphens, not starting or ending with a hyphen), or `None`.
pub fn fqdn_problem(name: &str) -> Option<String> {
    if name.len() > 64 {
        return Some(format!("{} characters, at most 64 allowed", name.len()));
    }
    for label in name.split('.') {
        if label.is_empty() {
            return Some("empty label".to_owned());
        }
        if label.len() > 63 {
            return Some(format!("label {label:?} is longer than 63 characters"));
        }
        if !label
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        {
            return Some(format!(
                "label {label:?} has characters other than letters, digits and hyphens"
            ));
        }
        if label.starts_with('-') || label.ends_with('-') {
            return Some(format!("label {label:?} starts or ends with a hyphen"));
        }
    }
    None
}

fn non_empty(s: Option<&str>) -> Option<String> {
    s.map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

fn opt_str<'a>(
    obj: &'a Map<String, Value>,
    key: &str,
    path: &str,
) -> Result<Option<&'a str>, String> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(format!("{path} must be a string")),
    }
}

fn required_str<'a>(obj: &'a Map<String, Value>, key: &str, path: &str) -> Result<&'a str, String> {
    match opt_str(obj, key, path)? {
        Some(s) if !s.is_empty() => Ok(s),
        _ => Err(format!("{path} is required")),
    }
}

fn opt_obj<'a>(
    obj: &'a Map<String, Value>,
    key: &str,
    path: &str,
) -> Result<Option<&'a Map<String, Value>>, String> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Object(o)) => Ok(Some(o)),
        Some(_) => Err(format!("{path} must be an object")),
    }
}

fn str_list(obj: &Map<String, Value>, key: &str, path: &str) -> Result<Vec<String>, String> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(items)) => items
            .iter()
            .map(|item| match item {
                Value::String(s) if !s.trim().is_empty() => Ok(s.trim().to_owned()),
                _ => Err(format!("{path} must be an array of non-empty strings")),
            })
            .collect(),
        Some(_) => Err(format!("{path} must be an array of strings")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn create_body() -> Value {
        json!({
            "action": "create_cluster",
            "cluster": {"name": "cluster.example.com"},
            "credentials": {"username": "admin@example.com", "password": "secret"},
            "node": {"paths": {"persistent_path": "/data"}, "identity": {"addr": "10.0.0.1", "external_addr": ["203.0.113.1"]}}
        })
    }

    #[test]
    fn accepts_the_documented_object() {
        let req = parse(Action::CreateCluster, &create_body()).unwrap();
        assert_eq!(req.cluster_name.as_deref(), Some("cluster.example.com"));
        assert_eq!(req.addr.as_deref(), Some("10.0.0.1"));
        assert_eq!(req.external_addr, vec!["203.0.113.1"]);
        assert_eq!(req.persistent_path.as_deref(), Some("/data"));
    }

    #[test]
    fn refuses_bad_shapes() {
        assert!(
            parse(Action::JoinCluster, &create_body()).is_err(),
            "action mismatch"
        );
        let mut no_creds = create_body();
        no_creds["credentials"]["password"] = json!("");
        assert!(parse(Action::CreateCluster, &no_creds)
            .unwrap_err()
            .contains("password"));
        let join = json!({"cluster": {}, "credentials": {"username": "a", "password": "b"}});
        assert!(parse(Action::JoinCluster, &join).is_err());
        let join = json!({"cluster": {"nodes": ["10.0.0.1"]}, "credentials": {"username": "a", "password": "b"}});
        assert_eq!(
            parse(Action::JoinCluster, &join).unwrap().join_nodes,
            vec!["10.0.0.1"]
        );
        let mut bad_name = create_body();
        bad_name["cluster"]["name"] = json!("-bad.example.com");
        assert!(parse(Action::CreateCluster, &bad_name).is_err());
    }

    #[test]
    fn fqdn_rules() {
        assert_eq!(fqdn_problem("a.example.com"), None);
        assert_eq!(fqdn_problem("single"), None);
        assert!(fqdn_problem(&"a".repeat(65)).is_some());
        assert!(fqdn_problem(&format!("{}.com", "a".repeat(64))).is_some());
        assert!(fqdn_problem("a..b").is_some());
        assert!(fqdn_problem("a_b.com").is_some());
        assert!(fqdn_problem("a-.com").is_some());
    }
}
