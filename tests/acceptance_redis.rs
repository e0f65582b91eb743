//! Acceptance tests for `redis_bootstrap` with the real Terraform CLI against `clusterform-sim`.
//! Every scenario runs once per available Terraform version (see `support::terraform_versions`),
//! each run with its own simulator and work dir.
//!
//! Simulated nodes live at `<sim>/redis/<name>`; the simulator's admin API shows which cluster
//! each node belongs to (`/_admin/redis/nodes`), removes nodes behind Terraform's back and forces
//! bootstrap errors. As in the Instaclustr tests, the assertions lean on `-detailed-exitcode`, the
//! `Plan:` counts line and short substrings, which read the same on 0.13 and 1.x.

mod support;

use std::time::Instant;

use serde_json::{json, Value};
use support::{hcl_string, required_providers, Sim, Terraform, Workdir};

const PROVIDER: (&str, &str) = ("redis", env!("CARGO_BIN_EXE_terraform-provider-redis"));
const ADMIN_USER: &str = "admin@example.com";
const ADMIN_PASSWORD: &str = "Adm1n-Secret-pw";
const CLUSTER: &str = "cluster.example.com";

// ---------------------------------------------------------------------------------------------
// Configuration builders
// ---------------------------------------------------------------------------------------------

/// The `provider "redis"` block.
#[derive(Clone, Default)]
struct ProviderCfg {
    username: Option<String>,
    password: Option<String>,
    insecure: Option<bool>,
    /// Raw HCL expression, e.g. `file("sim-ca.pem")`.
    ca_cert_pem_expr: Option<String>,
}

impl ProviderCfg {
    /// The cluster's admin credentials, used by reads after an import.
    fn with_credentials() -> ProviderCfg {
        ProviderCfg {
            username: Some(ADMIN_USER.to_owned()),
            password: Some(ADMIN_PASSWORD.to_owned()),
            ..ProviderCfg::default()
        }
    }

    fn hcl(&self) -> String {
        let mut s = String::from("provider \"redis\" {\n");
        if let Some(u) = &self.username {
            s.push_str(&format!("  username    = {}\n", hcl_string(u)));
        }
        if let Some(p) = &self.password {
            s.push_str(&format!("  password    = {}\n", hcl_string(p)));
        }
        if let Some(i) = self.insecure {
            s.push_str(&format!("  insecure    = {i}\n"));
        }
        if let Some(e) = &self.ca_cert_pem_expr {
            s.push_str(&format!("  ca_cert_pem = {e}\n"));
        }
        s.push_str("}\n");
        s
    }
}

/// One `resource "redis_bootstrap" "<name>"` block.
#[derive(Clone)]
struct NodeCfg {
    name: String,
    endpoint: String,
    action: String,
    cluster_name: Option<String>,
    /// Raw HCL list expression, e.g. `[redis_bootstrap.node1.node_addr]`.
    join_nodes: Option<String>,
    node_addr: Option<String>,
    password: String,
    depends_on: Vec<String>,
    /// Raw extra lines inside the block.
    extra: String,
}

impl NodeCfg {
    /// The node that creates the cluster.
    fn create(name: &str, base: &str) -> NodeCfg {
        NodeCfg {
            name: name.to_owned(),
            endpoint: format!("{base}/{name}"),
            action: "create_cluster".to_owned(),
            cluster_name: Some(CLUSTER.to_owned()),
            join_nodes: None,
            node_addr: None,
            password: ADMIN_PASSWORD.to_owned(),
            depends_on: Vec::new(),
            extra: String::new(),
        }
    }

    /// A node that joins through the first node's address, after it.
    fn join(name: &str, base: &str, first: &str) -> NodeCfg {
        NodeCfg {
            action: "join_cluster".to_owned(),
            cluster_name: None,
            join_nodes: Some(format!("[redis_bootstrap.{first}.node_addr]")),
            depends_on: vec![format!("redis_bootstrap.{first}")],
            ..NodeCfg::create(name, base)
        }
    }

    fn addr(mut self, addr: &str) -> NodeCfg {
        self.node_addr = Some(addr.to_owned());
        self
    }

    fn address(&self) -> String {
        format!("redis_bootstrap.{}", self.name)
    }

    fn hcl(&self) -> String {
        let mut s = format!("resource \"redis_bootstrap\" \"{}\" {{\n", self.name);
        s.push_str(&format!(
            "  endpoint     = {}\n",
            hcl_string(&self.endpoint)
        ));
        s.push_str(&format!("  action       = {}\n", hcl_string(&self.action)));
        if let Some(c) = &self.cluster_name {
            s.push_str(&format!("  cluster_name = {}\n", hcl_string(c)));
        }
        if let Some(j) = &self.join_nodes {
            s.push_str(&format!("  join_nodes   = {j}\n"));
        }
        if let Some(a) = &self.node_addr {
            s.push_str(&format!("  node_addr    = {}\n", hcl_string(a)));
        }
        s.push_str(&format!("  username     = {}\n", hcl_string(ADMIN_USER)));
        s.push_str(&format!(
            "  password     = {}\n",
            hcl_string(&self.password)
        ));
        s.push_str(&self.extra);
        if !self.depends_on.is_empty() {
            s.push_str(&format!(
                "  depends_on   = [{}]\n",
                self.depends_on.join(", ")
            ));
        }
        s.push_str("}\n");
        s
    }
}

fn main_tf(provider: &ProviderCfg, nodes: &[&NodeCfg]) -> String {
    let mut s = required_providers(&["redis"]);
    s.push('\n');
    s.push_str(&provider.hcl());
    for n in nodes {
        s.push('\n');
        s.push_str(&n.hcl());
    }
    s
}

/// The three-node cluster of the issue: one create, two joins with depends_on.
fn three_nodes(base: &str) -> (NodeCfg, NodeCfg, NodeCfg) {
    (
        NodeCfg::create("node1", base).addr("10.1.0.1"),
        NodeCfg::join("node2", base, "node1").addr("10.1.0.2"),
        NodeCfg::join("node3", base, "node1").addr("10.1.0.3"),
    )
}

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/// Runs `scenario` once per available Terraform version with a fresh simulator and work dir.
fn for_each_terraform(scenario_name: &str, mut scenario: impl FnMut(&Terraform, &Sim, &Workdir)) {
    let versions = support::terraform_versions();
    if versions.is_empty() {
        eprintln!("SKIP: {scenario_name}: no Terraform binary available");
        return;
    }
    for tf in &versions {
        eprintln!("=== {scenario_name}: {tf}");
        let started = Instant::now();
        let sim = Sim::start();
        let wd = Workdir::new(tf, &[PROVIDER]);
        scenario(tf, &sim, &wd);
        eprintln!("=== {scenario_name}: {tf}: ok in {:.1?}", started.elapsed());
    }
}

fn init_with(wd: &Workdir, hcl: &str) {
    wd.write_main_tf(hcl);
    wd.init().assert_success();
}

/// `<sim>/redis`: node `n` lives at `<base>/n`.
fn redis_base(sim: &Sim) -> String {
    sim.vendor_url("redis")
}

/// The simulator's view of node `name` (`{name, addr, state, cluster, uid, status, error_code}`).
fn sim_node(sim: &Sim, name: &str) -> Value {
    sim.admin_get("/_admin/redis/nodes")
        .as_array()
        .and_then(|nodes| nodes.iter().find(|n| n["name"] == name).cloned())
        .unwrap_or(Value::Null)
}

/// Asserts which cluster (if any) node `name` belongs to in the simulator.
#[track_caller]
fn assert_member(sim: &Sim, tf: &Terraform, name: &str, cluster: Option<&str>) {
    let node = sim_node(sim, name);
    let actual = node["cluster"].as_str();
    assert_eq!(
        actual, cluster,
        "{tf}: node {name} in the simulator: {node:#}"
    );
}

/// Redis requests the simulator logged whose path contains `needle` and whose method is `method`.
fn requests_matching(sim: &Sim, method: &str, needle: &str) -> Vec<Value> {
    sim.vendor_requests("redis")
        .into_iter()
        .filter(|r| r["method"] == method && r["path"].as_str().unwrap_or("").contains(needle))
        .collect()
}

/// The state attributes of `addr`, panicking with the state when absent.
fn attrs(wd: &Workdir, addr: &str) -> Value {
    wd.state_attributes(addr)
        .unwrap_or_else(|| panic!("{addr} is not in state:\n{:#}", wd.state()))
}

// ---------------------------------------------------------------------------------------------
// Scenarios
// ---------------------------------------------------------------------------------------------

/// The cluster: node1 creates it, node2 and node3 join it (depends_on). Then the plan is
/// empty, and destroy removes the two joined nodes and leaves the cluster alone with a warning.
#[test]
fn three_node_cluster_plan_empty_then_destroy() {
    for_each_terraform(
        "three_node_cluster_plan_empty_then_destroy",
        |tf, sim, wd| {
            let base = redis_base(sim);
            let (n1, n2, n3) = three_nodes(&base);
            init_with(wd, &main_tf(&ProviderCfg::default(), &[&n1, &n2, &n3]));

            wd.apply().assert_success();
            for n in ["node1", "node2", "node3"] {
                assert_member(sim, tf, n, Some(CLUSTER));
            }
            let a1 = attrs(wd, "redis_bootstrap.node1");
            assert_eq!(a1["id"], base.clone() + "/node1", "{tf}: {a1:#}");
            assert_eq!(a1["state"], "completed", "{tf}: {a1:#}");
            assert_eq!(a1["node_uid"], "1", "{tf}: {a1:#}");
            assert!(
                a1["software_version"]
                    .as_str()
                    .is_some_and(|v| !v.is_empty()),
                "{tf}: {a1:#}"
            );
            assert!(
                a1["start_time"].is_string() && a1["end_time"].is_string(),
                "{tf}: {a1:#}"
            );
            let mut joined: Vec<String> = ["node2", "node3"]
                .iter()
                .map(|n| {
                    attrs(wd, &format!("redis_bootstrap.{n}"))["node_uid"]
                        .as_str()
                        .unwrap_or("")
                        .to_owned()
                })
                .collect();
            joined.sort();
            assert_eq!(joined, vec!["2", "3"], "{tf}: uids of the joined nodes");
            // One bootstrap request per node: never posted twice.
            for n in ["node1", "node2", "node3"] {
                let posts = requests_matching(sim, "POST", &format!("/{n}/v1/bootstrap/"));
                assert_eq!(posts.len(), 1, "{tf}: bootstrap POSTs to {n}: {posts:#?}");
            }

            wd.plan().assert_no_changes();

            let out = wd.destroy();
            out.assert_success();
            assert!(
                out.flat().contains("Redis Enterprise cluster left running"),
                "{tf}: no warning about the cluster left running:\n{}",
                out.describe()
            );
            assert!(
                wd.state_instances().is_empty(),
                "{tf}: state not empty after destroy"
            );
            assert_member(sim, tf, "node1", Some(CLUSTER));
            assert_member(sim, tf, "node2", None);
            assert_member(sim, tf, "node3", None);
            assert_eq!(
                requests_matching(sim, "POST", "/actions/remove").len(),
                2,
                "{tf}"
            );
        },
    );
}

/// Import by endpoint with the provider's credentials. The creating node plans no change at
/// all, whatever it was bootstrapped with; joined nodes only record `join_nodes`, which no API
/// reports (state only, never a replacement). Settings that differ from the node's defaults
/// (address, rack, paths) are read back.
#[test]
fn import_then_plan() {
    for_each_terraform("import_then_plan", |tf, sim, wd| {
        let base = redis_base(sim);
        let (n1, mut n2, mut n3) = three_nodes(&base);
        n2.extra =
            "  rack_id         = \"rack-b\"\n  persistent_path = \"/data/persist\"\n".to_owned();
        // node3 keeps the address the node picks itself.
        n3.node_addr = None;
        let nodes = [&n1, &n2, &n3];
        let provider = ProviderCfg::with_credentials();
        init_with(wd, &main_tf(&provider, &nodes));
        wd.apply().assert_success();
        let uids: Vec<Value> = nodes
            .iter()
            .map(|n| attrs(wd, &n.address())["node_uid"].clone())
            .collect();

        wd.remove_file("terraform.tfstate");
        wd.remove_file("terraform.tfstate.backup");

        // Without credentials in the provider an import cannot read a cluster member.
        wd.write_main_tf(&main_tf(&ProviderCfg::default(), &nodes));
        let out = wd.import("redis_bootstrap.node1", &n1.endpoint);
        out.assert_failure();
        assert!(
            out.flat().contains("REDIS_USERNAME"),
            "{tf}:\n{}",
            out.describe()
        );

        wd.write_main_tf(&main_tf(&provider, &nodes));
        for (n, uid) in nodes.iter().zip(&uids) {
            let out = wd.import(&n.address(), &n.endpoint);
            out.assert_success();
            out.assert_contains("Import successful");
            let a = attrs(wd, &n.address());
            assert_eq!(&a["node_uid"], uid, "{tf}: {a:#}");
            assert_eq!(a["action"], n.action.as_str(), "{tf}: {a:#}");
        }
        let a1 = attrs(wd, "redis_bootstrap.node1");
        assert_eq!(a1["cluster_name"], CLUSTER, "{tf}: {a1:#}");
        assert_eq!(a1["node_addr"], "10.1.0.1", "{tf}: {a1:#}");
        let a2 = attrs(wd, "redis_bootstrap.node2");
        assert_eq!(a2["rack_id"], "rack-b", "{tf}: {a2:#}");
        assert_eq!(a2["persistent_path"], "/data/persist", "{tf}: {a2:#}");
        assert!(
            attrs(wd, "redis_bootstrap.node3")["node_addr"].is_null(),
            "{tf}"
        );

        let plan = wd.plan();
        plan.assert_changes(0, 2, 0);
        plan.assert_not_contains("must be replaced");
        plan.assert_not_contains("redis_bootstrap.node1 will be updated");
        assert!(
            plan.flat().contains("join_nodes"),
            "{tf}:\n{}",
            plan.describe()
        );

        sim.clear_requests();
        wd.apply().assert_success();
        assert!(
            requests_matching(sim, "POST", "/v1/").is_empty(),
            "{tf}: recording join_nodes called the API: {:#}",
            sim.requests()
        );
        wd.plan().assert_no_changes();
        wd.destroy().assert_success();
        assert_member(sim, tf, "node2", None);
        assert_member(sim, tf, "node3", None);
    });
}

/// A joined node removed behind Terraform's back drops out of state and is joined again.
#[test]
fn node_removed_outside_terraform_is_joined_again() {
    for_each_terraform(
        "node_removed_outside_terraform_is_joined_again",
        |tf, sim, wd| {
            let base = redis_base(sim);
            let (n1, n2, _) = three_nodes(&base);
            init_with(wd, &main_tf(&ProviderCfg::default(), &[&n1, &n2]));
            wd.apply().assert_success();
            let old_uid = attrs(wd, "redis_bootstrap.node2")["node_uid"].clone();

            sim.admin_post("/_admin/redis/nodes/node2/remove", None);
            assert_member(sim, tf, "node2", None);

            let plan = wd.plan();
            plan.assert_changes(1, 0, 0);
            assert!(
                plan.flat().contains("redis_bootstrap.node2"),
                "{tf}:\n{}",
                plan.describe()
            );

            wd.apply().assert_success();
            assert_member(sim, tf, "node2", Some(CLUSTER));
            let new_uid = attrs(wd, "redis_bootstrap.node2")["node_uid"].clone();
            assert_ne!(new_uid, old_uid, "{tf}: a rejoined node gets a new uid");
            wd.plan().assert_no_changes();
            wd.destroy().assert_success();
        },
    );
}

/// Bootstraps that end in `error`: the apply fails with the node's error_code and message, the
/// resource stays out of state (the node is unchanged), and the next apply bootstraps again.
#[test]
fn bootstrap_error_fails_apply_with_code_and_message() {
    for_each_terraform(
        "bootstrap_error_fails_apply_with_code_and_message",
        |tf, sim, wd| {
            let base = redis_base(sim);
            let (n1, n2, _) = three_nodes(&base);
            init_with(wd, &main_tf(&ProviderCfg::default(), &[&n1]));

            sim.admin_post(
            "/_admin/redis/nodes/node1/next_bootstrap_error",
            Some(json!({"error_code": "insufficient_node_memory", "message": "node has 1 GB, needs 2 GB"})),
        );
            let out = wd.apply();
            out.assert_failure();
            let flat = out.flat();
            assert!(
                flat.contains("insufficient_node_memory"),
                "{tf}:\n{}",
                out.describe()
            );
            assert!(
                flat.contains("node has 1 GB, needs 2 GB"),
                "{tf}:\n{}",
                out.describe()
            );
            assert!(
                wd.state_instance("redis_bootstrap.node1").is_none(),
                "{tf}: failed node in state"
            );
            assert_eq!(sim_node(sim, "node1")["state"], "error", "{tf}");

            // From `error` a new bootstrap is allowed.
            wd.apply().assert_success();
            assert_member(sim, tf, "node1", Some(CLUSTER));

            // A join with the wrong admin password is refused by the cluster: access_denied.
            let mut wrong = n2.clone();
            wrong.password = "not-the-password".to_owned();
            wd.write_main_tf(&main_tf(&ProviderCfg::default(), &[&n1, &wrong]));
            let out = wd.apply();
            out.assert_failure();
            assert!(
                out.flat().contains("access_denied"),
                "{tf}:\n{}",
                out.describe()
            );
            assert!(
                !out.combined().contains("not-the-password"),
                "{tf}: password in output"
            );
            assert!(wd.state_instance("redis_bootstrap.node2").is_none(), "{tf}");

            wd.write_main_tf(&main_tf(&ProviderCfg::default(), &[&n1]));
            wd.destroy().assert_success();
        },
    );
}

/// A bootstrap already in progress: the provider sees it before posting and waits for it
/// instead of posting a second one.
#[test]
fn bootstrap_already_running_is_waited_for() {
    for_each_terraform("bootstrap_already_running_is_waited_for", |tf, sim, wd| {
        let base = redis_base(sim);
        let n1 = NodeCfg::create("node1", &base);
        init_with(wd, &main_tf(&ProviderCfg::default(), &[&n1]));

        // Someone else starts the same bootstrap, slowly enough to still run when Terraform asks.
        sim.set_config(json!({"pace_ms": 2500}));
        sim.admin_post(
            "/redis/node1/v1/bootstrap/create_cluster",
            Some(json!({
                "action": "create_cluster",
                "cluster": {"name": CLUSTER},
                "credentials": {"username": ADMIN_USER, "password": ADMIN_PASSWORD}
            })),
        );
        wd.apply().assert_success();
        sim.set_config(json!({"pace_ms": 100}));

        let posts = requests_matching(sim, "POST", "/node1/v1/bootstrap/create_cluster");
        assert_eq!(
            posts.len(),
            1,
            "{tf}: only the test's POST, none from Terraform: {posts:#?}"
        );
        assert_member(sim, tf, "node1", Some(CLUSTER));
        assert_eq!(attrs(wd, "redis_bootstrap.node1")["state"], "completed");
        wd.plan().assert_no_changes();
        wd.destroy().assert_success();
    });
}

/// Ctrl-C during a bootstrap: the wait ends at once and the node, which is changing, stays in
/// state as tainted. Once the bootstrap is done the next apply replaces the resource: the
/// created cluster is only forgotten, and the new create finds the finished bootstrap, checks
/// it against the configuration, adopts it, and posts nothing.
#[test]
fn interrupt_during_bootstrap_keeps_the_node_tainted() {
    for_each_terraform(
        "interrupt_during_bootstrap_keeps_the_node_tainted",
        |tf, sim, wd| {
            let base = redis_base(sim);
            let n1 = NodeCfg::create("node1", &base);
            init_with(wd, &main_tf(&ProviderCfg::default(), &[&n1]));
            // Each bootstrap step now takes ten minutes: only an interrupt ends the apply soon.
            sim.set_config(json!({"pace_ms": 600_000}));
            let started = Instant::now();
            let out = wd.run_interrupted(
                &["apply", "-auto-approve", "-input=false", "-no-color"],
                &mut || sim_node(sim, "node1")["state"] == "initiated",
            );
            let took = started.elapsed();
            // Terraform 0.13 reports an interrupted apply as complete (exit 0); the tainted
            // resource in state below is what matters there.
            if !tf.is_pre_1_0() {
                out.assert_failure();
            }
            out.assert_contains("Interrupt received");
            assert!(
                took.as_secs() < 120,
                "{tf}: the interrupted apply took {took:?}:\n{}",
                out.describe()
            );
            let inst = wd
                .state_instance("redis_bootstrap.node1")
                .unwrap_or_else(|| {
                    panic!(
                        "{tf}: the interrupted bootstrap is not in state:\n{}",
                        out.describe()
                    )
                });
            assert_eq!(inst["status"], "tainted", "{tf}: not tainted: {inst:#}");
            assert_eq!(
                inst["attributes"]["id"],
                n1.endpoint.as_str(),
                "{tf}: {inst:#}"
            );

            // The bootstrap finishes; the tainted resource is replaced without a second bootstrap.
            sim.set_config(json!({"pace_ms": 100}));
            wd.plan().assert_changes(1, 0, 1);
            wd.apply().assert_success();
            let posts = requests_matching(sim, "POST", "/node1/v1/bootstrap/");
            let statuses: Vec<&Value> = posts.iter().map(|p| &p["status"]).collect();
            assert_eq!(statuses, vec![&json!(200)], "{tf}: {posts:#?}");
            let a1 = attrs(wd, "redis_bootstrap.node1");
            assert_eq!(a1["state"], "completed", "{tf}: {a1:#}");
            assert_eq!(a1["node_uid"], "1", "{tf}: {a1:#}");
            wd.plan().assert_no_changes();
            wd.destroy().assert_success();
        },
    );
}

/// Invalid arguments fail at plan time, on the attribute, without a single request.
#[test]
fn invalid_arguments_fail_plan_without_requests() {
    for_each_terraform(
        "invalid_arguments_fail_plan_without_requests",
        |tf, sim, wd| {
            let base = redis_base(sim);
            init_with(wd, &main_tf(&ProviderCfg::default(), &[]));

            let mut bad_action = NodeCfg::create("node1", &base);
            bad_action.action = "destroy_cluster".to_owned();
            let mut create_without_name = NodeCfg::create("node1", &base);
            create_without_name.cluster_name = None;
            let mut create_with_join_nodes = NodeCfg::create("node1", &base);
            create_with_join_nodes.join_nodes = Some("[\"10.0.0.9\"]".to_owned());
            let mut join_without_nodes = NodeCfg::create("node1", &base);
            join_without_nodes.action = "join_cluster".to_owned();
            join_without_nodes.cluster_name = None;
            let mut join_with_name = NodeCfg::create("node1", &base);
            join_with_name.action = "join_cluster".to_owned();
            join_with_name.join_nodes = Some("[\"10.0.0.9\"]".to_owned());
            let mut bad_fqdn = NodeCfg::create("node1", &base);
            bad_fqdn.cluster_name = Some("bad_name!.example.com".to_owned());
            let mut long_fqdn = NodeCfg::create("node1", &base);
            long_fqdn.cluster_name =
                Some(format!("{}.{}.example.com", "a".repeat(40), "b".repeat(20)));
            let mut bad_endpoint = NodeCfg::create("node1", &base);
            bad_endpoint.endpoint = "node1.example.com:9443".to_owned();

            for (attr, cfg) in [
                ("action", &bad_action),
                ("cluster_name", &create_without_name),
                ("join_nodes", &create_with_join_nodes),
                ("join_nodes", &join_without_nodes),
                ("cluster_name", &join_with_name),
                ("cluster_name", &bad_fqdn),
                ("cluster_name", &long_fqdn),
                ("endpoint", &bad_endpoint),
            ] {
                sim.clear_requests();
                wd.write_main_tf(&main_tf(&ProviderCfg::default(), &[cfg]));
                let plan = wd.plan();
                plan.assert_error();
                assert!(
                    plan.flat().contains(attr),
                    "{tf}: the error does not mention {attr}:\n{}",
                    plan.describe()
                );
                let sent = sim.vendor_requests("redis");
                assert!(
                    sent.is_empty(),
                    "{tf}: invalid {attr} sent requests: {sent:#?}"
                );
            }

            // Half of the provider's credentials: one error naming the other half and its variable.
            let half = ProviderCfg {
                username: Some(ADMIN_USER.to_owned()),
                ..ProviderCfg::default()
            };
            wd.write_main_tf(&main_tf(&half, &[&NodeCfg::create("node1", &base)]));
            let plan = wd.plan();
            plan.assert_error();
            assert!(
                plan.flat().contains("REDIS_PASSWORD"),
                "{tf}:\n{}",
                plan.describe()
            );
            assert!(sim.vendor_requests("redis").is_empty(), "{tf}");
        },
    );
}

/// HTTPS with the simulator's self-signed certificate: refused by default with a clear
/// certificate error, accepted with `ca_cert_pem` (HCL or REDIS_CA_CERT_PEM) or `insecure`.
#[test]
fn https_verification_ca_cert_and_insecure() {
    let versions = support::terraform_versions();
    for tf in &versions {
        eprintln!("=== https_verification_ca_cert_and_insecure: {tf}");
        let started = Instant::now();
        let wd = Workdir::new(tf, &[PROVIDER]);
        let ca_file = wd.path().join("sim-ca.pem");
        let ca_path = ca_file.display().to_string();
        let sim = Sim::start_with_args(&[
            "--pace",
            "100ms",
            "--tls-listen",
            "127.0.0.1:0",
            "--tls-cert-out",
            &ca_path,
        ]);
        let tls = sim.admin_get("/_admin/redis/tls");
        let https = tls["url"].as_str().expect("https url").to_owned();
        assert!(https.starts_with("https://127.0.0.1:"), "{tls}");
        let pem = std::fs::read_to_string(&ca_file).expect("certificate written by --tls-cert-out");
        assert_eq!(tls["ca_cert_pem"].as_str(), Some(pem.as_str()));

        let base = format!("{https}/redis");
        let n1 = NodeCfg::create("node1", &base).addr("10.2.0.1");
        let n2 = NodeCfg::join("node2", &base, "node1").addr("10.2.0.2");

        // Verification is on by default: the self-signed certificate is refused.
        init_with(&wd, &main_tf(&ProviderCfg::default(), &[&n1]));
        let out = wd.apply();
        out.assert_failure();
        let flat = out.flat();
        assert!(
            flat.contains("certificate"),
            "{tf}: no certificate error:\n{}",
            out.describe()
        );
        assert!(
            flat.contains("ca_cert_pem"),
            "{tf}: no hint at ca_cert_pem:\n{}",
            out.describe()
        );
        assert!(
            sim.vendor_requests("redis").is_empty(),
            "{tf}: a request got through"
        );
        assert!(wd.state_instance("redis_bootstrap.node1").is_none(), "{tf}");

        // Trusting the simulator's certificate.
        let with_ca = ProviderCfg {
            ca_cert_pem_expr: Some("file(\"sim-ca.pem\")".to_owned()),
            ..ProviderCfg::default()
        };
        wd.write_main_tf(&main_tf(&with_ca, &[&n1]));
        wd.apply().assert_success();
        assert_member(&sim, tf, "node1", Some(CLUSTER));

        // Not verifying at all.
        let insecure = ProviderCfg {
            insecure: Some(true),
            ..ProviderCfg::default()
        };
        wd.write_main_tf(&main_tf(&insecure, &[&n1, &n2]));
        wd.apply().assert_success();
        assert_member(&sim, tf, "node2", Some(CLUSTER));

        // The CA bundle from the environment works like the HCL setting.
        let mut wd = wd;
        wd.write_main_tf(&main_tf(&ProviderCfg::default(), &[&n1, &n2]));
        wd.set_env("REDIS_CA_CERT_PEM", &pem);
        wd.plan().assert_no_changes();
        wd.destroy().assert_success();
        assert_member(&sim, tf, "node2", None);
        eprintln!(
            "=== https_verification_ca_cert_and_insecure: {tf}: ok in {:.1?}",
            started.elapsed()
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Resilience: credentials, injected faults, crash recovery
// ---------------------------------------------------------------------------------------------

/// The requests of the simulator's log that drew a 401, as `METHOD path` lines.
fn unauthorized_requests(sim: &Sim) -> Vec<String> {
    sim.vendor_requests("redis")
        .into_iter()
        .filter(|r| r["status"] == 401)
        .map(|r| {
            format!(
                "{} {}",
                r["method"].as_str().unwrap_or(""),
                r["path"].as_str().unwrap_or("")
            )
        })
        .collect()
}

/// Credentials go with every request that has them: a whole apply, plan, refresh and destroy
/// of a three-node cluster (and an import with the provider's credentials) draws no 401, which
/// real clusters would log as failed logins.
#[test]
fn no_request_draws_a_401() {
    for_each_terraform("no_request_draws_a_401", |tf, sim, wd| {
        let base = redis_base(sim);
        let (n1, n2, n3) = three_nodes(&base);
        init_with(
            wd,
            &main_tf(&ProviderCfg::with_credentials(), &[&n1, &n2, &n3]),
        );
        wd.apply().assert_success();
        wd.plan().assert_no_changes();
        wd.run(&["refresh", "-input=false", "-no-color"])
            .assert_success();
        wd.run(&["state", "rm", "redis_bootstrap.node3"])
            .assert_success();
        wd.import("redis_bootstrap.node3", &n3.endpoint)
            .assert_success();
        wd.plan();
        wd.destroy().assert_success();
        let unauthorized = unauthorized_requests(sim);
        let total = sim.vendor_requests("redis").len();
        eprintln!(
            "{tf}: {} of {total} Redis requests drew a 401: {unauthorized:#?}",
            unauthorized.len()
        );
        assert!(unauthorized.is_empty(), "{tf}: {unauthorized:#?}");
    });
}

/// Bootstrap POSTs to the nodes of `names` that reached the API (not answered by a fault).
fn bootstraps_started(sim: &Sim, name: &str) -> usize {
    requests_matching(sim, "POST", &format!("/{name}/v1/bootstrap/"))
        .iter()
        .filter(|r| r["status"] == 200)
        .count()
}

/// What a direct call to the simulated node API answered: (status, body).
fn bootstrap_directly(sim: &Sim, node: &str, body: Value) {
    let action = body["action"]
        .as_str()
        .unwrap_or("create_cluster")
        .to_owned();
    sim.admin_post(&format!("/redis/{node}/v1/bootstrap/{action}"), Some(body));
}

fn create_body(cluster: &str, addr: &str) -> Value {
    json!({
        "action": "create_cluster",
        "cluster": {"name": cluster},
        "node": {"identity": {"addr": addr}},
        "credentials": {"username": ADMIN_USER, "password": ADMIN_PASSWORD}
    })
}

fn join_body(through: &str, addr: &str) -> Value {
    json!({
        "action": "join_cluster",
        "cluster": {"nodes": [through]},
        "node": {"identity": {"addr": addr}},
        "credentials": {"username": ADMIN_USER, "password": ADMIN_PASSWORD}
    })
}

fn wait_for_state(sim: &Sim, name: &str, want: &str) {
    support::wait_until(
        std::time::Duration::from_secs(30),
        &format!("node {name} to be {want}"),
        || (sim_node(sim, name)["state"] == want).then_some(()),
    );
}

/// A burst of 503s (as while a node's services start) and 429s on the bootstrap POSTs and on
/// the GETs: the apply waits them out and bootstraps every node exactly once.
#[test]
fn bursts_of_503_and_429_are_waited_out() {
    for_each_terraform("bursts_of_503_and_429_are_waited_out", |tf, sim, wd| {
        let base = redis_base(sim);
        let (n1, n2, n3) = three_nodes(&base);
        init_with(wd, &main_tf(&ProviderCfg::default(), &[&n1, &n2, &n3]));
        for (method, path, status, times) in [
            ("POST", "/node1/v1/bootstrap/", 503, 3),
            ("POST", "/node1/v1/bootstrap/", 429, 2),
            ("POST", "/node2/v1/bootstrap/", 429, 1),
            ("POST", "/node2/v1/bootstrap/", 503, 2),
            ("GET", "/node1/v1/bootstrap", 503, 3),
            ("GET", "/node3/v1/bootstrap", 429, 3),
            ("GET", "/v1/nodes", 503, 2),
            ("GET", "/v1/cluster", 429, 1),
        ] {
            let mut fault = json!({"vendor": "redis", "method": method, "path_contains": path,
                                   "status": status, "times": times});
            if status == 429 {
                fault["retry_after"] = json!(1);
            }
            sim.inject_fault(fault);
        }
        let started = Instant::now();
        wd.apply().assert_success();
        eprintln!(
            "{tf}: apply through the faults took {:.1?}",
            started.elapsed()
        );
        for n in ["node1", "node2", "node3"] {
            assert_member(sim, tf, n, Some(CLUSTER));
            assert_eq!(bootstraps_started(sim, n), 1, "{tf}: bootstraps of {n}");
        }
        let faulted = sim
            .vendor_requests("redis")
            .iter()
            .filter(|r| r["status"] == 503 || r["status"] == 429)
            .count();
        assert!(faulted >= 12, "{tf}: only {faulted} faults were hit");
        wd.plan().assert_no_changes();
        wd.destroy().assert_success();
    });
}

/// The node starts the bootstrap and then answers 503 (or drops the connection): the provider
/// finds the bootstrap running, waits for it, and never posts a second one.
#[test]
fn an_answer_lost_after_the_node_acted_is_not_a_second_bootstrap() {
    for_each_terraform(
        "an_answer_lost_after_the_node_acted_is_not_a_second_bootstrap",
        |tf, sim, wd| {
            let base = redis_base(sim);
            let n1 = NodeCfg::create("node1", &base).addr("10.1.0.1");
            let n2 = NodeCfg::join("node2", &base, "node1").addr("10.1.0.2");
            init_with(wd, &main_tf(&ProviderCfg::default(), &[&n1, &n2]));
            sim.inject_fault(json!({"vendor": "redis", "method": "POST",
                "path_contains": "/node1/v1/bootstrap/create_cluster", "status": 503, "act": true}));
            sim.inject_fault(json!({"vendor": "redis", "method": "POST",
                "path_contains": "/node2/v1/bootstrap/join_cluster", "act": true, "drop": true}));
            let out = wd.apply();
            out.assert_success();
            for n in ["node1", "node2"] {
                assert_member(sim, tf, n, Some(CLUSTER));
                let posts = requests_matching(sim, "POST", &format!("/{n}/v1/bootstrap/"));
                assert_eq!(posts.len(), 1, "{tf}: bootstrap POSTs to {n}: {posts:#?}");
            }
            assert_eq!(attrs(wd, "redis_bootstrap.node1")["node_uid"], "1", "{tf}");
            assert_eq!(attrs(wd, "redis_bootstrap.node2")["node_uid"], "2", "{tf}");
            // Its own bootstrap is not reported as someone else's.
            out.assert_not_contains("adopted an existing bootstrap");
            wd.plan().assert_no_changes();
            wd.destroy().assert_success();
        },
    );
}

/// A provider killed mid-create leaves bootstrapped nodes that state does not know. The next
/// apply finds them (one done, one still joining), checks that they are what the configuration
/// describes, and adopts them without a second POST; the third node is bootstrapped as usual.
#[test]
fn crash_recovery_adopts_bootstraps_made_with_this_configuration() {
    for_each_terraform(
        "crash_recovery_adopts_bootstraps_made_with_this_configuration",
        |tf, sim, wd| {
            let base = redis_base(sim);
            let (n1, n2, n3) = three_nodes(&base);
            init_with(wd, &main_tf(&ProviderCfg::default(), &[&n1, &n2, &n3]));

            // What the killed run got done: node1 created the cluster, node2 was joining.
            bootstrap_directly(sim, "node1", create_body(CLUSTER, "10.1.0.1"));
            wait_for_state(sim, "node1", "completed");
            sim.set_config(json!({"pace_ms": 1500}));
            bootstrap_directly(sim, "node2", join_body("10.1.0.1", "10.1.0.2"));
            sim.clear_requests();

            let out = wd.apply();
            out.assert_success();
            sim.set_config(json!({"pace_ms": 100}));
            for n in ["node1", "node2", "node3"] {
                assert_member(sim, tf, n, Some(CLUSTER));
            }
            for n in ["node1", "node2"] {
                let posts = requests_matching(sim, "POST", &format!("/{n}/v1/bootstrap/"));
                assert!(
                    posts.is_empty(),
                    "{tf}: Terraform posted to {n}: {posts:#?}"
                );
            }
            assert_eq!(bootstraps_started(sim, "node3"), 1, "{tf}");
            let a1 = attrs(wd, "redis_bootstrap.node1");
            assert_eq!(a1["node_uid"], "1", "{tf}: {a1:#}");
            assert_eq!(a1["state"], "completed", "{tf}: {a1:#}");
            assert_eq!(attrs(wd, "redis_bootstrap.node2")["node_uid"], "2", "{tf}");
            if !tf.is_pre_1_0() {
                // Terraform 0.13 does not show warnings of a successful apply.
                out.assert_contains("adopted an existing bootstrap");
            }
            wd.plan().assert_no_changes();
            wd.destroy().assert_success();
            assert_member(sim, tf, "node2", None);
        },
    );
}

/// A node bootstrapped with another configuration is not adopted: a clear error that names the
/// endpoint, what differs, and the import command; nothing is posted, nothing lands in state.
#[test]
fn a_node_bootstrapped_otherwise_is_a_clear_error() {
    for_each_terraform(
        "a_node_bootstrapped_otherwise_is_a_clear_error",
        |tf, sim, wd| {
            let base = redis_base(sim);
            let n1 = NodeCfg::create("node1", &base).addr("10.1.0.1");
            init_with(wd, &main_tf(&ProviderCfg::default(), &[&n1]));
            bootstrap_directly(sim, "node1", create_body("other.example.com", "10.1.0.9"));
            wait_for_state(sim, "node1", "completed");
            sim.clear_requests();

            let out = wd.apply();
            out.assert_failure();
            let flat = out.flat();
            for needle in [
                "node already bootstrapped with another configuration",
                "cluster_name: configured \"cluster.example.com\", the node belongs to cluster \"other.example.com\"",
                "node_addr: configured \"10.1.0.1\", the node has \"10.1.0.9\"",
                "terraform import <address of this redis_bootstrap>",
                n1.endpoint.as_str(),
            ] {
                assert!(flat.contains(needle), "{tf}: no {needle:?} in:\n{}", out.describe());
            }
            assert!(
                requests_matching(sim, "POST", "/v1/bootstrap/").is_empty(),
                "{tf}"
            );
            assert!(wd.state_instance("redis_bootstrap.node1").is_none(), "{tf}");

            // Other admin credentials: the node's cluster refuses ours.
            let n2 = NodeCfg::create("node2", &base);
            let mut other = create_body(CLUSTER, "10.1.0.2");
            other["credentials"]["password"] = json!("someone-elses-pw");
            bootstrap_directly(sim, "node2", other);
            wait_for_state(sim, "node2", "completed");
            wd.write_main_tf(&main_tf(&ProviderCfg::default(), &[&n2]));
            let out = wd.apply();
            out.assert_failure();
            out.assert_contains("username/password");
            assert!(!out.combined().contains("someone-elses-pw"), "{tf}");
            assert!(wd.state_instance("redis_bootstrap.node2").is_none(), "{tf}");
        },
    );
}

/// The storm: 30 % 503s and 10 % 429s on every request to the node API, through a
/// whole apply, plan and destroy of a three-node cluster.
#[test]
fn random_503s_and_429s_on_the_whole_api() {
    for_each_terraform("random_503s_and_429s_on_the_whole_api", |tf, sim, wd| {
        let base = redis_base(sim);
        let (n1, n2, n3) = three_nodes(&base);
        init_with(wd, &main_tf(&ProviderCfg::default(), &[&n1, &n2, &n3]));
        sim.inject_fault(json!({"vendor": "redis", "probability": 0.3, "status": 503}));
        sim.inject_fault(
            json!({"vendor": "redis", "probability": 0.1, "status": 429, "retry_after": 1}),
        );
        let started = Instant::now();
        wd.apply().assert_success();
        for n in ["node1", "node2", "node3"] {
            assert_member(sim, tf, n, Some(CLUSTER));
            assert_eq!(bootstraps_started(sim, n), 1, "{tf}: bootstraps of {n}");
        }
        wd.plan().assert_no_changes();
        wd.destroy().assert_success();
        let all = sim.vendor_requests("redis");
        let faulted = all
            .iter()
            .filter(|r| r["status"] == 503 || r["status"] == 429)
            .count();
        eprintln!(
            "{tf}: {faulted} of {} requests answered 503 or 429; apply, plan and destroy took {:.1?}",
            all.len(),
            started.elapsed()
        );
        sim.clear_faults();
    });
}

// ---------------------------------------------------------------------------------------------
// data "redis_node"
// ---------------------------------------------------------------------------------------------

/// A `data "redis_node"` block, with the admin credentials when `credentials` is set.
fn node_data_hcl(label: &str, endpoint: &str, credentials: bool) -> String {
    let mut s = format!(
        "data \"redis_node\" \"{label}\" {{\n  endpoint = {}\n",
        hcl_string(endpoint)
    );
    if credentials {
        s.push_str(&format!("  username = {}\n", hcl_string(ADMIN_USER)));
        s.push_str(&format!("  password = {}\n", hcl_string(ADMIN_PASSWORD)));
    }
    s.push_str("}\n");
    s
}

/// The documented recipe: the first private IPv4 of the node's addresses, in sorted order.
fn first_private_ipv4(label: &str) -> String {
    format!(
        "sort([for a in data.redis_node.{label}.available_addrs : a.address if a.private && a.format == \"ipv4\"])[0]"
    )
}

/// `terraform output -json` parsed.
fn outputs(wd: &Workdir) -> Value {
    let out = wd.run(&["output", "-json", "-no-color"]);
    out.assert_success();
    serde_json::from_str(out.stdout.trim())
        .unwrap_or_else(|e| panic!("output -json is not JSON ({e}):\n{}", out.describe()))
}

/// The data source on an idle node (read anonymously) reports the node's state, resources and
/// address objects; on a cluster member it needs credentials, and says which. One Terraform
/// version: the flow through Terraform is the next test's, on all three.
#[test]
fn node_data_source_reads_idle_and_member_nodes() {
    let Some(tf) =
        support::matrix::matrix_terraform("node_data_source_reads_idle_and_member_nodes")
    else {
        return;
    };
    let started = Instant::now();
    let sim = Sim::start();
    let wd = Workdir::new(&tf, &[PROVIDER]);
    let base = redis_base(&sim);
    let idle = format!("{base}/fresh");
    let head = format!(
        "{}\n{}",
        required_providers(&["redis"]),
        ProviderCfg::default().hcl()
    );
    let idle_hcl = format!(
        "{head}\n{}\noutput \"idle\" {{\n  value     = data.redis_node.idle\n  sensitive = true\n}}\n\noutput \"pick\" {{\n  value = {}\n}}\n",
        node_data_hcl("idle", &idle, false),
        first_private_ipv4("idle")
    );
    init_with(&wd, &idle_hcl);
    wd.apply().assert_success();
    let out = outputs(&wd);
    let node = &out["idle"]["value"];
    assert_eq!(node["id"], idle.as_str(), "{tf}: {node:#}");
    assert_eq!(node["state"], "idle", "{tf}: {node:#}");
    assert!(node["uid"].is_null(), "{tf}: {node:#}");
    assert!(
        node["cores"].as_u64().is_some_and(|c| c > 0),
        "{tf}: {node:#}"
    );
    assert!(
        node["total_memory"].as_u64().is_some_and(|m| m > 0),
        "{tf}: {node:#}"
    );
    assert!(node["software_version"].is_string(), "{tf}: {node:#}");
    assert!(
        node["persistent_storage_path"].is_string(),
        "{tf}: {node:#}"
    );
    let addrs = node["available_addrs"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert!(addrs.len() >= 3, "{tf}: {node:#}");
    for a in &addrs {
        assert!(
            a["address"].is_string() && a["if_name"].is_string(),
            "{tf}: {a}"
        );
        assert!(a["private"].is_boolean(), "{tf}: {a}");
        assert!(
            matches!(a["format"].as_str(), Some("ipv4" | "ipv6")),
            "{tf}: {a}"
        );
    }
    let default_addr = sim_node(&sim, "fresh")["default_addr"].clone();
    assert_eq!(out["pick"]["value"], default_addr, "{tf}: {out:#}");
    assert!(
        requests_matching(&sim, "GET", "/fresh/v1/bootstrap")
            .iter()
            .all(|r| r["status"] == 200),
        "{tf}: {:#?}",
        sim.vendor_requests("redis")
    );

    // A cluster member answers only with credentials: without them the read fails naming both.
    bootstrap_directly(&sim, "member", create_body(CLUSTER, "10.7.0.1"));
    wait_for_state(&sim, "member", "completed");
    let member = format!("{base}/member");
    wd.write_main_tf(&format!(
        "{head}\n{}",
        node_data_hcl("member", &member, false)
    ));
    let plan = wd.plan();
    plan.assert_error();
    for needle in ["username", "password", "belongs to a cluster"] {
        assert!(
            plan.flat().contains(needle),
            "{tf}: no {needle:?}:\n{}",
            plan.describe()
        );
    }
    wd.write_main_tf(&format!(
        "{head}\n{}\noutput \"member\" {{\n  value = data.redis_node.member\n  sensitive = true\n}}\n",
        node_data_hcl("member", &member, true)
    ));
    wd.apply().assert_success();
    let node = &outputs(&wd)["member"]["value"];
    assert_eq!(node["state"], "completed", "{tf}: {node:#}");
    assert_eq!(node["uid"], "1", "{tf}: {node:#}");
    assert!(node["end_time"].is_string(), "{tf}: {node:#}");
    eprintln!(
        "=== node_data_source_reads_idle_and_member_nodes: {tf}: ok in {:.1?}",
        started.elapsed()
    );
}

/// The module pattern: each `redis_bootstrap` takes `node_addr` from its node's
/// `data "redis_node"` (first private IPv4 in sorted order). Create and one join, then the
/// second plan is empty: the data sources are read again, now with credentials, and give the
/// same addresses. Destroy removes the joined node.
#[test]
fn node_addr_from_the_data_source_plans_nothing_after_bootstrap() {
    for_each_terraform(
        "node_addr_from_the_data_source_plans_nothing_after_bootstrap",
        |tf, sim, wd| {
            let base = redis_base(sim);
            let mut n1 = NodeCfg::create("node1", &base);
            n1.extra = format!("  node_addr    = {}\n", first_private_ipv4("node1"));
            let mut n2 = NodeCfg::join("node2", &base, "node1");
            n2.extra = format!("  node_addr    = {}\n", first_private_ipv4("node2"));
            let mut hcl = main_tf(&ProviderCfg::default(), &[&n1, &n2]);
            for n in [&n1, &n2] {
                hcl.push('\n');
                hcl.push_str(&node_data_hcl(&n.name, &n.endpoint, true));
            }
            init_with(wd, &hcl);

            wd.apply().assert_success();
            assert_member(sim, tf, "node1", Some(CLUSTER));
            assert_member(sim, tf, "node2", Some(CLUSTER));
            for n in ["node1", "node2"] {
                let seen = sim_node(sim, n);
                let a = attrs(wd, &format!("redis_bootstrap.{n}"));
                assert_eq!(
                    a["node_addr"], seen["default_addr"],
                    "{tf}: {a:#} vs {seen:#}"
                );
                assert_eq!(seen["addr"], seen["default_addr"], "{tf}: {seen:#}");
            }

            wd.plan().assert_no_changes();
            assert!(
                unauthorized_requests(sim).is_empty(),
                "{tf}: {:#?}",
                unauthorized_requests(sim)
            );

            wd.destroy().assert_success();
            assert_member(sim, tf, "node1", Some(CLUSTER));
            assert_member(sim, tf, "node2", None);
        },
    );
}
