//! The simulated nodes and clusters: bootstrap state machine, membership, remove action.
//!
//! Everything advances lazily from elapsed time (one step per `pace`), computed by [`Nodes::tick`]
//! on every request, so no background task is needed:
//! - bootstrap: `initiated` → (1 pace) `creating_cluster`/`joining_cluster` → (2 paces)
//!   `completed` or `error`. Whether it succeeds is decided at that last moment, against the
//!   cluster as it is then.
//! - remove action: the node is `decommissioning` for 2 paces, then leaves its cluster and is
//!   reset to a fresh node (bootstrap `idle`, no uid), as a removed node is re-usable.

use std::collections::BTreeMap;
use std::time::{Duration, Instant, SystemTime};

use serde_json::{json, Value};

use super::request::{Action, BootstrapRequest};

pub const SOFTWARE_VERSION: &str = "7.4.2-54";
const DEFAULT_PERSISTENT_PATH: &str = "/var/opt/redislabs/persist";
const DEFAULT_EPHEMERAL_PATH: &str = "/var/opt/redislabs/tmp";
const TOTAL_MEMORY: u64 = 8 * 1024 * 1024 * 1024;
const CORES: u32 = 4;

/// The bootstrap error codes of the documentation, accepted by the forced-error back door.
pub const ERROR_CODES: &[&str] = &[
    "config_error",
    "connect_error",
    "access_denied",
    "invalid_license",
    "repair_required",
    "insufficient_node_memory",
    "insufficient_node_flash",
    "time_not_sync",
    "rack_id_required",
    "socket_directory_mismatch",
    "node_config_mismatch",
    "path_error",
    "internal_error",
];

/// How a bootstrap ended, or that none has run.
#[derive(Clone, Debug, Default)]
pub struct Outcome {
    /// `idle`, `completed` or `error` (running states are derived from [`Running`]).
    pub state: &'static str,
    pub start_time: Option<SystemTime>,
    pub end_time: Option<SystemTime>,
    pub error_code: Option<String>,
    pub error_message: Option<String>,
}

impl Outcome {
    fn idle() -> Self {
        Outcome {
            state: "idle",
            ..Outcome::default()
        }
    }
}

/// A bootstrap in progress.
#[derive(Clone, Debug)]
pub struct Running {
    pub request: BootstrapRequest,
    pub started: Instant,
    pub started_wall: SystemTime,
}

/// What a member node was bootstrapped with.
#[derive(Clone, Debug)]
pub struct Membership {
    pub cluster: String,
    pub uid: u32,
    pub addr: String,
    pub external_addr: Vec<String>,
    pub rack_id: Option<String>,
    pub persistent_path: String,
    pub ephemeral_path: String,
    pub bigstore_driver: Option<String>,
    /// When the remove action started, while it runs.
    pub removing_since: Option<Instant>,
}

/// One entry of `available_addrs`.
#[derive(Clone, Debug)]
pub struct Interface {
    pub address: String,
    pub format: &'static str,
    pub if_name: &'static str,
    pub private: bool,
}

impl Interface {
    fn json(&self) -> Value {
        json!({
            "address": self.address,
            "format": self.format,
            "if_name": self.if_name,
            "private": self.private,
        })
    }
}

/// The addresses of the `n`-th node (from 0): a public IPv4 on `eth1` (repeating after 250
/// nodes), the container bridge every host has (`172.17.0.1` on `docker0`, private), a
/// unique-local IPv6 and the node's own private IPv4 `10.0.x.y` on `eth0`. Listed in that
/// order, which is not sorted, so that a client that takes "the first private IPv4 in sorted
/// order" has to sort: the answer is `10.0.x.y`, the node's default address.
fn interfaces(n: u32) -> Vec<Interface> {
    let (high, low) = (n / 250, n % 250 + 1);
    vec![
        Interface {
            address: format!("203.0.113.{low}"),
            format: "ipv4",
            if_name: "eth1",
            private: false,
        },
        Interface {
            address: "172.17.0.1".to_string(),
            format: "ipv4",
            if_name: "docker0",
            private: true,
        },
        Interface {
            address: format!("fd00::10:0:{high}:{low}"),
            format: "ipv6",
            if_name: "eth0",
            private: true,
        },
        Interface {
            address: format!("10.0.{high}.{low}"),
            format: "ipv4",
            if_name: "eth0",
            private: true,
        },
    ]
}

/// The first private IPv4 in string order, as a node picks its address.
fn default_addr(interfaces: &[Interface]) -> String {
    interfaces
        .iter()
        .filter(|i| i.private && i.format == "ipv4")
        .map(|i| i.address.clone())
        .min()
        .unwrap_or_default()
}

#[derive(Clone, Debug)]
pub struct Node {
    pub name: String,
    /// The address the node uses unless bootstrapped with `node.identity.addr`: the first
    /// private IPv4 of `interfaces` in string order.
    pub default_addr: String,
    /// What `available_addrs` reports, in this (unsorted) order.
    pub interfaces: Vec<Interface>,
    pub outcome: Outcome,
    pub running: Option<Running>,
    pub member: Option<Membership>,
    /// Set by the admin back door: the next bootstrap ends in `error` with (code, message).
    pub forced_error: Option<(String, String)>,
}

impl Node {
    /// The bootstrap state as `GET /v1/bootstrap` reports it.
    pub fn state(&self, now: Instant, pace: Duration) -> &'static str {
        match &self.running {
            Some(r) if now.saturating_duration_since(r.started) >= pace => {
                r.request.action.running_state()
            }
            Some(_) => "initiated",
            None => self.outcome.state,
        }
    }

    /// The address other nodes reach this one at.
    pub fn addr(&self) -> &str {
        self.member
            .as_ref()
            .map(|m| m.addr.as_str())
            .unwrap_or(&self.default_addr)
    }

    /// Whether a join address names this node: its name, its address or an external address.
    fn answers_to(&self, address: &str) -> bool {
        let address = address.trim();
        address.eq_ignore_ascii_case(&self.name)
            || address.eq_ignore_ascii_case(self.addr())
            || self
                .member
                .iter()
                .flat_map(|m| m.external_addr.iter())
                .any(|a| a.eq_ignore_ascii_case(address))
    }
}

#[derive(Clone, Debug)]
pub struct Cluster {
    pub name: String,
    pub created: SystemTime,
    pub username: String,
    pub password: String,
    pub next_uid: u32,
}

/// All nodes (by name) and clusters (by lower-case name).
#[derive(Debug, Default)]
pub struct Nodes {
    pub nodes: BTreeMap<String, Node>,
    pub clusters: BTreeMap<String, Cluster>,
    addresses_handed_out: u32,
}

/// Why a bootstrap ends in `error`: (error_code, message).
type BootstrapError = (String, String);

fn fail(code: &str, message: impl Into<String>) -> BootstrapError {
    (code.to_owned(), message.into())
}

impl Nodes {
    /// The node called `name`, created as a fresh (idle) node on first use.
    pub fn node_mut(&mut self, name: &str) -> &mut Node {
        let handed_out = &mut self.addresses_handed_out;
        self.nodes.entry(name.to_owned()).or_insert_with(|| {
            *handed_out += 1;
            let n = *handed_out - 1;
            let interfaces = interfaces(n);
            let default_addr = default_addr(&interfaces);
            tracing::info!(node = name, addr = %default_addr, "redis node created");
            Node {
                name: name.to_owned(),
                default_addr,
                interfaces,
                outcome: Outcome::idle(),
                running: None,
                member: None,
                forced_error: None,
            }
        })
    }

    pub fn cluster_of(&self, node: &Node) -> Option<&Cluster> {
        node.member
            .as_ref()
            .and_then(|m| self.clusters.get(&m.cluster.to_ascii_lowercase()))
    }

    /// Members of `cluster`, by uid.
    pub fn members(&self, cluster: &str) -> Vec<&Node> {
        let mut members: Vec<&Node> = self
            .nodes
            .values()
            .filter(|n| {
                n.member
                    .as_ref()
                    .is_some_and(|m| m.cluster.eq_ignore_ascii_case(cluster))
            })
            .collect();
        members.sort_by_key(|n| n.member.as_ref().map(|m| m.uid));
        members
    }

    /// The member of `cluster` with `uid`.
    pub fn member_by_uid(&self, cluster: &str, uid: &str) -> Option<&Node> {
        let uid: u32 = uid.trim().parse().ok()?;
        self.members(cluster)
            .into_iter()
            .find(|n| n.member.as_ref().is_some_and(|m| m.uid == uid))
    }

    /// Starts a bootstrap on an idle or failed node.
    pub fn start(&mut self, name: &str, request: BootstrapRequest, now: Instant) {
        let node = self.node_mut(name);
        tracing::info!(
            node = name,
            action = request.action.as_str(),
            "redis bootstrap started"
        );
        node.running = Some(Running {
            request,
            started: now,
            started_wall: SystemTime::now(),
        });
    }

    /// Finishes every bootstrap and remove action whose time has come, oldest first, so a join
    /// sees the cluster as the earlier steps left it.
    pub fn tick(&mut self, now: Instant, pace: Duration) {
        let mut due: Vec<(Instant, String, bool)> = Vec::new();
        for node in self.nodes.values() {
            if let Some(r) = &node.running {
                let at = r.started + pace * 2;
                if at <= now {
                    due.push((at, node.name.clone(), true));
                }
            }
            if let Some(since) = node.member.as_ref().and_then(|m| m.removing_since) {
                let at = since + pace * 2;
                if at <= now {
                    due.push((at, node.name.clone(), false));
                }
            }
        }
        due.sort();
        for (_, name, is_bootstrap) in due {
            if is_bootstrap {
                self.finish_bootstrap(&name, pace);
            } else {
                self.leave_cluster(&name);
            }
        }
    }

    fn finish_bootstrap(&mut self, name: &str, pace: Duration) {
        let Some(node) = self.nodes.get_mut(name) else {
            return;
        };
        let Some(running) = node.running.take() else {
            return;
        };
        let forced = node.forced_error.take();
        let end = running.started_wall + pace * 2;
        let result = match forced {
            Some(err) => Err(err),
            None => self.check(name, &running.request),
        };
        let outcome = match result {
            Ok(()) => {
                self.admit(name, &running.request);
                Outcome {
                    state: "completed",
                    start_time: Some(running.started_wall),
                    end_time: Some(end),
                    ..Outcome::default()
                }
            }
            Err((code, message)) => {
                tracing::info!(node = name, error_code = %code, "redis bootstrap failed");
                Outcome {
                    state: "error",
                    start_time: Some(running.started_wall),
                    end_time: Some(end),
                    error_code: Some(code),
                    error_message: Some(message),
                }
            }
        };
        if let Some(node) = self.nodes.get_mut(name) {
            node.outcome = outcome;
        }
    }

    /// Decides whether `request` on node `name` can succeed now (also used by `validate`).
    pub fn check(&self, name: &str, request: &BootstrapRequest) -> Result<(), BootstrapError> {
        for (field, path) in [
            ("persistent_path", &request.persistent_path),
            ("ephemeral_path", &request.ephemeral_path),
            ("bigstore_path", &request.bigstore_path),
        ] {
            if let Some(p) = path {
                if !p.starts_with('/') {
                    return Err(fail(
                        "path_error",
                        format!("{field} {p:?} is not an absolute path"),
                    ));
                }
            }
        }
        match request.action {
            Action::CreateCluster => {
                if let Some(license) = &request.license {
                    if !license_is_valid(license) {
                        return Err(fail(
                            "invalid_license",
                            "the license is not valid (expected a ----- LICENSE START ----- … ----- LICENSE END ----- block)",
                        ));
                    }
                }
                let cluster = request.cluster_name.as_deref().unwrap_or_default();
                if self.clusters.contains_key(&cluster.to_ascii_lowercase()) {
                    return Err(fail(
                        "config_error",
                        format!("a cluster named {cluster} already exists"),
                    ));
                }
                Ok(())
            }
            Action::JoinCluster => {
                let cluster = self.join_target(name, request).ok_or_else(|| {
                    let tried = if request.join_nodes.is_empty() {
                        request.cluster_name.clone().unwrap_or_default()
                    } else {
                        request.join_nodes.join(", ")
                    };
                    fail(
                        "connect_error",
                        format!("failed to connect to a cluster member at {tried}: no active cluster node answers there"),
                    )
                })?;
                if cluster.username != request.username || cluster.password != request.password {
                    return Err(fail(
                        "access_denied",
                        format!(
                            "the cluster {} rejected the given admin credentials",
                            cluster.name
                        ),
                    ));
                }
                if let Some(addr) = &request.addr {
                    if let Some(other) = self
                        .members(&cluster.name)
                        .into_iter()
                        .find(|n| n.name != name && n.addr().eq_ignore_ascii_case(addr))
                    {
                        return Err(fail(
                            "config_error",
                            format!("address {addr} is already used by node {}", other.name),
                        ));
                    }
                }
                Ok(())
            }
        }
    }

    /// The cluster a join request reaches: the first address that names an active member of
    /// some cluster, else a cluster called `cluster.name`.
    fn join_target(&self, joiner: &str, request: &BootstrapRequest) -> Option<&Cluster> {
        for address in &request.join_nodes {
            let member = self.nodes.values().find(|n| {
                n.name != joiner
                    && n.member
                        .as_ref()
                        .is_some_and(|m| m.removing_since.is_none())
                    && n.answers_to(address)
            });
            if let Some(cluster) = member.and_then(|n| self.cluster_of(n)) {
                return Some(cluster);
            }
        }
        request
            .cluster_name
            .as_ref()
            .and_then(|c| self.clusters.get(&c.to_ascii_lowercase()))
    }

    /// Makes node `name` a member after a successful bootstrap.
    fn admit(&mut self, name: &str, request: &BootstrapRequest) {
        let cluster_key = match request.action {
            Action::CreateCluster => {
                let cluster_name = request.cluster_name.clone().unwrap_or_default();
                let key = cluster_name.to_ascii_lowercase();
                self.clusters.insert(
                    key.clone(),
                    Cluster {
                        name: cluster_name,
                        created: SystemTime::now(),
                        username: request.username.clone(),
                        password: request.password.clone(),
                        next_uid: 1,
                    },
                );
                key
            }
            Action::JoinCluster => match self.join_target(name, request) {
                Some(c) => c.name.to_ascii_lowercase(),
                None => return,
            },
        };
        let Some(cluster) = self.clusters.get_mut(&cluster_key) else {
            return;
        };
        let uid = cluster.next_uid;
        cluster.next_uid += 1;
        let cluster_name = cluster.name.clone();
        let Some(node) = self.nodes.get_mut(name) else {
            return;
        };
        node.member = Some(Membership {
            cluster: cluster_name.clone(),
            uid,
            addr: request
                .addr
                .clone()
                .unwrap_or_else(|| node.default_addr.clone()),
            external_addr: request.external_addr.clone(),
            rack_id: request.rack_id.clone(),
            persistent_path: request
                .persistent_path
                .clone()
                .unwrap_or_else(|| DEFAULT_PERSISTENT_PATH.to_owned()),
            ephemeral_path: request
                .ephemeral_path
                .clone()
                .unwrap_or_else(|| DEFAULT_EPHEMERAL_PATH.to_owned()),
            bigstore_driver: request.bigstore_driver.clone(),
            removing_since: None,
        });
        tracing::info!(node = name, cluster = %cluster_name, uid, "redis node joined its cluster");
    }

    /// Takes node `name` out of its cluster and resets it to a fresh node; a cluster left
    /// without members is forgotten.
    pub fn leave_cluster(&mut self, name: &str) {
        let Some(node) = self.nodes.get_mut(name) else {
            return;
        };
        let Some(member) = node.member.take() else {
            return;
        };
        node.outcome = Outcome::idle();
        node.running = None;
        tracing::info!(node = name, cluster = %member.cluster, uid = member.uid, "redis node left its cluster");
        if self.members(&member.cluster).is_empty() {
            self.clusters.remove(&member.cluster.to_ascii_lowercase());
        }
    }
}

/// The simulator's license rule: a `----- LICENSE START -----` … `----- LICENSE END -----` block.
fn license_is_valid(license: &str) -> bool {
    let text = license.trim();
    text.starts_with("----- LICENSE START -----") && text.ends_with("----- LICENSE END -----")
}

pub fn timestamp(t: SystemTime) -> String {
    humantime::format_rfc3339_seconds(t).to_string()
}

/// `GET /v1/nodes` element. `uid` is a JSON number here, as in the documentation's examples.
pub fn node_json(node: &Node) -> Value {
    let Some(m) = &node.member else {
        return Value::Null;
    };
    let status = if m.removing_since.is_some() {
        "decommissioning"
    } else {
        "active"
    };
    json!({
        "uid": m.uid,
        "addr": m.addr,
        "external_addr": m.external_addr,
        "status": status,
        "software_version": SOFTWARE_VERSION,
        "cores": CORES,
        "total_memory": TOTAL_MEMORY,
        "rack_id": m.rack_id.clone().unwrap_or_default(),
        "persistent_storage_path": m.persistent_path,
        "ephemeral_storage_path": m.ephemeral_path,
        "bigstore_driver": m.bigstore_driver.clone().unwrap_or_default(),
        "os_version": "Ubuntu 22.04.4 LTS",
        "architecture": "x86_64",
        "accept_servers": true,
        "shard_count": 0,
    })
}

/// `GET /v1/bootstrap`. `uid` is a JSON *string* in `local_node_info`, as real servers send it.
pub fn bootstrap_json(node: &Node, now: Instant, pace: Duration) -> Value {
    let mut status = serde_json::Map::new();
    status.insert("state".into(), json!(node.state(now, pace)));
    let (start, end) = match &node.running {
        Some(r) => (Some(r.started_wall), None),
        None => (node.outcome.start_time, node.outcome.end_time),
    };
    if let Some(t) = start {
        status.insert("start_time".into(), json!(timestamp(t)));
    }
    if let Some(t) = end {
        status.insert("end_time".into(), json!(timestamp(t)));
    }
    if node.running.is_none() {
        if let Some(code) = &node.outcome.error_code {
            status.insert("error_code".into(), json!(code));
            status.insert(
                "error_details".into(),
                json!({ "message": node.outcome.error_message.clone().unwrap_or_default() }),
            );
        }
    }
    let mut info = json!({
        "software_version": SOFTWARE_VERSION,
        "cores": CORES,
        "total_memory": TOTAL_MEMORY,
        "persistent_storage_path": node.member.as_ref().map_or(DEFAULT_PERSISTENT_PATH, |m| m.persistent_path.as_str()),
        "ephemeral_storage_path": node.member.as_ref().map_or(DEFAULT_EPHEMERAL_PATH, |m| m.ephemeral_path.as_str()),
        "available_addrs": node.interfaces.iter().map(Interface::json).collect::<Vec<_>>(),
        "os_version": "Ubuntu 22.04.4 LTS",
        "architecture": "x86_64",
    });
    if let (Some(m), Some(obj)) = (&node.member, info.as_object_mut()) {
        obj.insert("uid".into(), json!(m.uid.to_string()));
    }
    json!({ "bootstrap_status": Value::Object(status), "local_node_info": info })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::redis::request::parse;

    const PACE: Duration = Duration::from_millis(100);

    fn create(name: &str) -> BootstrapRequest {
        parse(
            Action::CreateCluster,
            &json!({"cluster": {"name": name}, "credentials": {"username": "a@b.c", "password": "pw"},
                    "node": {"identity": {"addr": "10.9.0.1"}}}),
        )
        .unwrap()
    }

    fn join(nodes: &[&str], password: &str) -> BootstrapRequest {
        parse(
            Action::JoinCluster,
            &json!({"cluster": {"nodes": nodes}, "credentials": {"username": "a@b.c", "password": password}}),
        )
        .unwrap()
    }

    #[test]
    fn nodes_report_unsorted_addresses_whose_first_private_ipv4_is_the_default() {
        let mut n = Nodes::default();
        n.node_mut("a");
        let b = n.node_mut("b").clone();
        assert_eq!(b.default_addr, "10.0.0.2");
        let listed: Vec<&str> = b.interfaces.iter().map(|i| i.address.as_str()).collect();
        let mut sorted = listed.clone();
        sorted.sort();
        assert_ne!(listed, sorted, "listed in sorted order");
        let doc = bootstrap_json(&b, Instant::now(), PACE);
        let addrs = doc["local_node_info"]["available_addrs"]
            .as_array()
            .unwrap();
        assert_eq!(addrs.len(), 4);
        assert!(addrs.iter().all(|a| a["address"].is_string()
            && a["if_name"].is_string()
            && a["private"].is_boolean()
            && matches!(a["format"].as_str(), Some("ipv4" | "ipv6"))));
        let mut private_v4: Vec<&str> = addrs
            .iter()
            .filter(|a| a["private"] == true && a["format"] == "ipv4")
            .filter_map(|a| a["address"].as_str())
            .collect();
        private_v4.sort();
        assert_eq!(private_v4[0], b.default_addr);
    }

    #[test]
    fn create_then_join_then_remove() {
        let mut n = Nodes::default();
        let t0 = Instant::now();
        n.start("n1", create("c.example.com"), t0);
        assert_eq!(n.node_mut("n1").state(t0, PACE), "initiated");
        assert_eq!(n.node_mut("n1").state(t0 + PACE, PACE), "creating_cluster");
        n.tick(t0 + PACE * 2, PACE);
        assert_eq!(n.node_mut("n1").state(t0 + PACE * 2, PACE), "completed");
        assert_eq!(n.node_mut("n1").member.as_ref().unwrap().uid, 1);

        n.start("n2", join(&["10.9.0.1"], "pw"), t0 + PACE * 2);
        n.start("n3", join(&["n1"], "wrong"), t0 + PACE * 2);
        n.start("n4", join(&["10.1.1.1"], "pw"), t0 + PACE * 2);
        n.tick(t0 + PACE * 4, PACE);
        assert_eq!(n.node_mut("n2").member.as_ref().unwrap().uid, 2);
        assert_eq!(
            n.node_mut("n3").outcome.error_code.as_deref(),
            Some("access_denied")
        );
        assert_eq!(
            n.node_mut("n4").outcome.error_code.as_deref(),
            Some("connect_error")
        );
        assert_eq!(n.members("C.example.com").len(), 2);

        n.node_mut("n2").member.as_mut().unwrap().removing_since = Some(t0 + PACE * 4);
        n.tick(t0 + PACE * 6, PACE);
        assert!(n.node_mut("n2").member.is_none());
        assert_eq!(n.node_mut("n2").state(t0 + PACE * 6, PACE), "idle");
        n.leave_cluster("n1");
        assert!(n.clusters.is_empty());
    }

    #[test]
    fn forced_errors_and_duplicates() {
        let mut n = Nodes::default();
        let t0 = Instant::now();
        n.node_mut("n1").forced_error =
            Some(("insufficient_node_memory".into(), "only 1 GB".into()));
        n.start("n1", create("c"), t0);
        n.tick(t0 + PACE * 2, PACE);
        let node = n.node_mut("n1");
        assert_eq!(node.outcome.state, "error");
        assert!(node.forced_error.is_none());
        let json = bootstrap_json(node, t0 + PACE * 2, PACE);
        assert_eq!(
            json["bootstrap_status"]["error_details"]["message"],
            "only 1 GB"
        );
        assert!(json["local_node_info"].get("uid").is_none());

        n.start("n1", create("c"), t0 + PACE * 2);
        n.tick(t0 + PACE * 4, PACE);
        n.start("n2", create("C"), t0 + PACE * 4);
        n.tick(t0 + PACE * 6, PACE);
        assert_eq!(
            n.node_mut("n2").outcome.error_code.as_deref(),
            Some("config_error")
        );
        let json = bootstrap_json(n.node_mut("n1"), t0 + PACE * 6, PACE);
        assert_eq!(json["local_node_info"]["uid"], "1");
    }
}
