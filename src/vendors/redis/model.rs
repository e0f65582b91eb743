//! The `redis_bootstrap` model: one field per schema attribute, and how it maps to the bootstrap
//! object the node receives and to what the node reports back.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::client::{
    Action, BootstrapInfo, BootstrapRequest, ClusterIdentity, Credentials, NodeIdentity, NodeInfo,
    NodePaths, NodeSpec,
};

/// The storage paths a node uses when the bootstrap names none.
pub const DEFAULT_PERSISTENT_PATH: &str = "/var/opt/redislabs/persist";
pub const DEFAULT_EPHEMERAL_PATH: &str = "/var/opt/redislabs/tmp";

/// One field per schema attribute. Required attributes are `Option`s too: after an import they
/// are null until Read fills what the API can tell.
#[derive(Serialize, Deserialize, Default, Clone, PartialEq)]
#[serde(default)]
pub struct Bootstrap {
    pub id: Option<String>,
    pub endpoint: Option<String>,
    pub action: Option<String>,
    pub cluster_name: Option<String>,
    pub join_nodes: Option<Vec<String>>,
    pub username: Option<String>,
    pub password: Option<String>,
    pub license: Option<String>,
    pub persistent_path: Option<String>,
    pub ephemeral_path: Option<String>,
    pub bigstore_path: Option<String>,
    pub bigstore_driver: Option<String>,
    pub node_addr: Option<String>,
    pub external_addr: Option<Vec<String>>,
    pub rack_id: Option<String>,
    pub state: Option<String>,
    pub node_uid: Option<String>,
    pub software_version: Option<String>,
    pub start_time: Option<String>,
    pub end_time: Option<String>,
}

/// Written by hand so the password and license cannot reach a log line through `{:?}`.
impl fmt::Debug for Bootstrap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let redacted = |v: &Option<String>| v.as_ref().map(|_| "<redacted>");
        f.debug_struct("Bootstrap")
            .field("id", &self.id)
            .field("endpoint", &self.endpoint)
            .field("action", &self.action)
            .field("cluster_name", &self.cluster_name)
            .field("join_nodes", &self.join_nodes)
            .field("username", &self.username)
            .field("password", &redacted(&self.password))
            .field("license", &redacted(&self.license))
            .field("node_addr", &self.node_addr)
            .field("state", &self.state)
            .field("node_uid", &self.node_uid)
            .finish_non_exhaustive()
    }
}

impl Bootstrap {
    pub fn endpoint(&self) -> &str {
        self.endpoint
            .as_deref()
            .or(self.id.as_deref())
            .unwrap_or_default()
    }

    pub fn action(&self) -> Option<Action> {
        self.action.as_deref().and_then(Action::parse)
    }

    /// The resource's own admin credentials, when both halves are there.
    pub fn credentials(&self) -> Option<Credentials> {
        match (&self.username, &self.password) {
            (Some(u), Some(p)) if !u.is_empty() && !p.is_empty() => Some(Credentials {
                username: u.clone(),
                password: p.clone(),
            }),
            _ => None,
        }
    }

    /// Copies the bootstrap outcome the node reports into the computed attributes.
    pub fn record(&mut self, info: &BootstrapInfo) {
        if let Some(status) = &info.bootstrap_status {
            self.state = status.state.clone().or(self.state.take());
            if status.start_time.is_some() {
                self.start_time = status.start_time.clone();
            }
            if status.end_time.is_some() {
                self.end_time = status.end_time.clone();
            }
        }
        if let Some(uid) = info.uid() {
            self.node_uid = Some(uid.to_string());
        }
        if let Some(v) = info
            .local_node_info
            .as_ref()
            .and_then(|n| n.software_version.clone())
        {
            self.software_version = Some(v);
        }
    }
}

/// The bootstrap object for the planned resource.
pub fn bootstrap_request(plan: &Bootstrap, action: Action) -> BootstrapRequest {
    let cluster = match action {
        Action::CreateCluster => ClusterIdentity {
            name: plan.cluster_name.clone(),
            nodes: Vec::new(),
        },
        Action::JoinCluster => ClusterIdentity {
            name: None,
            nodes: plan.join_nodes.clone().unwrap_or_default(),
        },
    };
    let paths = NodePaths {
        persistent_path: plan.persistent_path.clone(),
        ephemeral_path: plan.ephemeral_path.clone(),
        bigstore_path: plan.bigstore_path.clone(),
    };
    let identity = NodeIdentity {
        addr: plan.node_addr.clone(),
        external_addr: plan.external_addr.clone().unwrap_or_default(),
        rack_id: plan.rack_id.clone(),
    };
    let node = NodeSpec {
        paths: (paths != NodePaths::default()).then_some(paths),
        bigstore_driver: plan.bigstore_driver.clone(),
        identity: (identity != NodeIdentity::default()).then_some(identity),
    };
    BootstrapRequest {
        action: action.as_str().to_string(),
        cluster,
        node: (node != NodeSpec::default()).then_some(node),
        credentials: Credentials {
            username: plan.username.clone().unwrap_or_default(),
            password: plan.password.clone().unwrap_or_default(),
        },
        license: plan.license.clone().filter(|l| !l.trim().is_empty()),
    }
}

/// After an import: the bootstrap settings a node reports, where they differ from what the node
/// would have chosen itself (those were set by hand, so the configuration has them too).
pub fn recover_settings(m: &mut Bootstrap, node: &NodeInfo, info: &BootstrapInfo) {
    let set = |v: &Option<String>, default: Option<&str>| {
        v.as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty() && Some(*s) != default)
            .map(str::to_string)
    };
    let local = info.local_node_info.as_ref();
    // A node bootstrapped without an address takes one of its own (see `default_address`).
    let all = local.map(|l| l.all_addresses()).unwrap_or_default();
    m.node_addr = set(&node.addr, all.default_address());
    m.rack_id = set(&node.rack_id, None);
    m.bigstore_driver = set(&node.bigstore_driver, None);
    let external: Vec<String> = node
        .external_addr
        .iter()
        .filter(|a| !a.trim().is_empty())
        .cloned()
        .collect();
    m.external_addr = (!external.is_empty()).then_some(external);
    let persistent = node
        .persistent_storage_path
        .clone()
        .or_else(|| local.and_then(|l| l.persistent_storage_path.clone()));
    let ephemeral = node
        .ephemeral_storage_path
        .clone()
        .or_else(|| local.and_then(|l| l.ephemeral_storage_path.clone()));
    m.persistent_path = set(&persistent, Some(DEFAULT_PERSISTENT_PATH));
    m.ephemeral_path = set(&ephemeral, Some(DEFAULT_EPHEMERAL_PATH));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_leaves_out_what_is_unset() {
        let plan = Bootstrap {
            endpoint: Some("https://n1:9443".into()),
            action: Some("create_cluster".into()),
            cluster_name: Some("c.example.com".into()),
            username: Some("a@b.c".into()),
            password: Some("pw".into()),
            rack_id: Some("r1".into()),
            ..Bootstrap::default()
        };
        let json = serde_json::to_value(bootstrap_request(&plan, Action::CreateCluster)).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "action": "create_cluster",
                "cluster": {"name": "c.example.com"},
                "node": {"identity": {"rack_id": "r1"}},
                "credentials": {"username": "a@b.c", "password": "pw"}
            })
        );
        assert!(!format!("{plan:?}").contains("\"pw\""));
    }

    #[test]
    fn import_recovers_only_settings_that_differ_from_the_node_defaults() {
        let info: BootstrapInfo = serde_json::from_value(serde_json::json!({
            "bootstrap_status": {"state": "completed"},
            "local_node_info": {"uid": "2", "available_addrs": ["10.0.0.2"],
                                "persistent_storage_path": DEFAULT_PERSISTENT_PATH}
        }))
        .unwrap();
        let chosen: NodeInfo = serde_json::from_value(serde_json::json!({
            "uid": 2, "addr": "10.0.0.2", "external_addr": [], "rack_id": "",
            "ephemeral_storage_path": DEFAULT_EPHEMERAL_PATH, "bigstore_driver": ""
        }))
        .unwrap();
        let mut m = Bootstrap::default();
        recover_settings(&mut m, &chosen, &info);
        assert_eq!(m, Bootstrap::default(), "defaults stay null");

        let by_hand: NodeInfo = serde_json::from_value(serde_json::json!({
            "uid": 2, "addr": "10.1.0.2", "external_addr": ["203.0.113.2"], "rack_id": "rack-b",
            "persistent_storage_path": "/data/persist", "bigstore_driver": "speedb"
        }))
        .unwrap();
        recover_settings(&mut m, &by_hand, &info);
        assert_eq!(m.node_addr.as_deref(), Some("10.1.0.2"));
        assert_eq!(m.external_addr, Some(vec!["203.0.113.2".to_string()]));
        assert_eq!(m.rack_id.as_deref(), Some("rack-b"));
        assert_eq!(m.persistent_path.as_deref(), Some("/data/persist"));
        assert_eq!(m.ephemeral_path, None);
        assert_eq!(m.bigstore_driver.as_deref(), Some("speedb"));
    }
}
