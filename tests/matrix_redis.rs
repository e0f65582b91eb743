//! The update-behaviour matrix of `redis_bootstrap`, with the real Terraform CLI against
//! `clusterform-sim`: every argument of `src/vendors/redis/schema.rs` is changed on applied
//! nodes, and the plan (and for `password` the apply) must follow the argument's declared
//! behaviour. The rebootstrap rule: a change of a bootstrap setting replaces a `join_cluster`
//! node, and is a plan-time error on that attribute for a `create_cluster` node (it cannot be
//! bootstrapped twice).
//!
//! - [`redis_replace_fixed_and_state_only_matrix`] (one Terraform: `/usr/local/bin/terraform`
//!   when present, else 1.0.3): four nodes applied once — `node1` creates a cluster with every
//!   optional argument set, `node2` joins it with every optional argument set, `node3` joins it
//!   with none, `node4` creates a second cluster with none — then one plan per change of every
//!   argument (set → unset, unset → set, value → value), and `password` (state only) changed and
//!   applied on a create and a join node.
//! - [`redis_import_with_every_argument_configured`] (every Terraform): import of a create and a
//!   join node, then the first plan with every optional argument configured (explicit node
//!   defaults included) replaces nothing and records what the API cannot report back, with one
//!   warning per node naming exactly those arguments.

mod support;

use std::collections::BTreeSet;
use std::time::Instant;

use serde_json::Value;
use support::matrix::{
    backticked, fast_sim, forces_replacement_on, q, system_or_1_0_3_terraform, writes_sent,
    Failures, RawResource, IMPORT_WARNING,
};
use support::{required_providers, Sim, Workdir};

const PROVIDER: (&str, &str) = ("redis", env!("CARGO_BIN_EXE_terraform-provider-redis"));
const ADMIN_USER: &str = "admin@example.com";
const ADMIN_PASSWORD: &str = "Adm1n-Secret-pw";
const CLUSTER: &str = "cluster.example.com";
const CLUSTER2: &str = "cluster2.example.com";
const LICENSE: &str = "----- LICENSE START -----\nmatrix-license-1\n----- LICENSE END -----";
const LICENSE2: &str = "----- LICENSE START -----\nmatrix-license-2\n----- LICENSE END -----";
/// The node's own storage paths (what it uses when the bootstrap names none).
const DEFAULT_PERSISTENT_PATH: &str = "/var/opt/redislabs/persist";
const DEFAULT_EPHEMERAL_PATH: &str = "/var/opt/redislabs/tmp";
const FIXED_TEXT: &str = "cannot be bootstrapped a second time";
/// The simulator's lifecycle step.
const PACE: &str = "20ms";

/// The optional bootstrap settings every node may carry (the rebootstrap rule applies to all).
const OPTIONAL_SETTINGS: &[&str] = &[
    "license",
    "persistent_path",
    "ephemeral_path",
    "bigstore_path",
    "bigstore_driver",
    "node_addr",
    "external_addr",
    "rack_id",
];

// ---------------------------------------------------------------------------------------------
// Configuration
// ---------------------------------------------------------------------------------------------

/// The provider carries the cluster's admin credentials: reads fall back to them when a
/// resource's own password no longer works, and imports need them.
fn main_tf(nodes: &[RawResource]) -> String {
    let mut s = required_providers(&["redis"]);
    s.push_str(&format!(
        "\nprovider \"redis\" {{\n  username = {}\n  password = {}\n}}\n",
        q(ADMIN_USER),
        q(ADMIN_PASSWORD)
    ));
    for n in nodes {
        s.push('\n');
        s.push_str(&n.hcl());
    }
    s
}

fn node(label: &str, base: &str, action: &str) -> RawResource {
    let mut r = RawResource::new("redis_bootstrap", label);
    r.set("endpoint", &q(&format!("{base}/{label}")))
        .set("action", &q(action))
        .set("username", &q(ADMIN_USER))
        .set("password", &q(ADMIN_PASSWORD));
    r
}

fn create_node(label: &str, base: &str, cluster: &str) -> RawResource {
    let mut r = node(label, base, "create_cluster");
    r.set("cluster_name", &q(cluster));
    r
}

fn join_node(label: &str, base: &str, first: &str) -> RawResource {
    let mut r = node(label, base, "join_cluster");
    r.set(
        "join_nodes",
        &format!("[redis_bootstrap.{first}.node_addr]"),
    )
    .set("depends_on", &format!("[redis_bootstrap.{first}]"));
    r
}

/// Every optional setting, with values ending in `n` (addresses `10.1.0.<n>`).
fn with_every_setting(r: &mut RawResource, n: u32) {
    r.set("license", &q(LICENSE))
        .set("persistent_path", &q(&format!("/data/persist{n}")))
        .set("ephemeral_path", &q(&format!("/data/tmp{n}")))
        .set("bigstore_path", &q(&format!("/data/flash{n}")))
        .set("bigstore_driver", &q("speedb"))
        .set("node_addr", &q(&format!("10.1.0.{n}")))
        .set("external_addr", &format!("[\"203.0.113.{n}\"]"))
        .set("rack_id", &q(&format!("rack-{n}")));
}

/// A value for `arg` different from whatever `with_every_setting` gave it.
fn other_value(arg: &str) -> String {
    match arg {
        "license" => q(LICENSE2),
        "persistent_path" => q("/data/other-persist"),
        "ephemeral_path" => q("/data/other-tmp"),
        "bigstore_path" => q("/data/other-flash"),
        "bigstore_driver" => q("rocksdb"),
        "node_addr" => q("10.1.0.77"),
        "external_addr" => "[\"198.51.100.77\"]".to_owned(),
        "rack_id" => q("rack-other"),
        other => panic!("no other value for {other}"),
    }
}

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

enum Expect {
    /// The node is replaced and `attr` carries `# forces replacement`.
    Replace,
    /// A plan-time error on `attr`: the create node cannot be bootstrapped twice.
    Fixed,
}

fn edit(nodes: &[RawResource], label: &str, f: impl FnOnce(&mut RawResource)) -> Vec<RawResource> {
    let mut out = nodes.to_vec();
    f(out
        .iter_mut()
        .find(|r| r.label == label)
        .unwrap_or_else(|| panic!("no node {label}")));
    out
}

/// Plans `nodes` and checks `expect` for `attr` of `label`. Any plan may only read.
#[allow(clippy::too_many_arguments)]
fn plan_case(
    wd: &Workdir,
    sim: &Sim,
    nodes: &[RawResource],
    label: &str,
    attr: &str,
    case: &str,
    expect: &Expect,
    failures: &mut Failures,
) {
    wd.write_main_tf(&main_tf(nodes));
    sim.clear_requests();
    let plan = wd.plan();
    let target = format!("redis_bootstrap.{label}");
    let what = format!("{target}: {attr} {case}");
    match expect {
        Expect::Replace => {
            let ok = plan.exit_code == 2
                && plan
                    .counts()
                    .is_some_and(|c| (c.add, c.change, c.destroy) == (1, 0, 1))
                && plan
                    .stdout
                    .contains(&format!("# {target} must be replaced"))
                && forces_replacement_on(&plan, attr);
            failures.check(
                ok,
                &format!(
                    "{what}: expected a replacement forced by {attr} (1 to add, 1 to destroy)"
                ),
                &plan,
            );
        }
        Expect::Fixed => {
            let flat = plan.flat();
            let ok = plan.exit_code == 1
                && flat.contains(&format!("Error: {attr} cannot be changed"))
                && flat.contains(FIXED_TEXT)
                && !flat.contains("must be replaced");
            failures.check(
                ok,
                &format!("{what}: expected a plan-time error on {attr} saying the node cannot be bootstrapped twice"),
                &plan,
            );
        }
    }
    let writes = writes_sent(sim, "redis");
    if !writes.is_empty() {
        failures.push(format!(
            "{what}: the plan sent more than reads: {writes:#?}"
        ));
    }
}

/// `terraform plan -json` (Terraform ≥ 0.15.3): the exit code and the diagnostics and planned
/// changes it printed, one JSON object per line.
fn plan_json(wd: &Workdir) -> (i32, Vec<Value>) {
    let out = wd.run(&[
        "plan",
        "-json",
        "-detailed-exitcode",
        "-input=false",
        "-no-color",
    ]);
    let lines = out
        .stdout
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .collect();
    (out.code().unwrap_or(-1), lines)
}

/// The resource address a JSON diagnostic is about: its `address`, else the block its snippet
/// names (`resource "redis_bootstrap" "node1"`).
fn diagnostic_address(d: &Value) -> Option<String> {
    if let Some(a) = d["address"].as_str() {
        return Some(a.to_owned());
    }
    let context = d["snippet"]["context"].as_str()?;
    let parts: Vec<&str> = context.split('"').collect();
    match parts.as_slice() {
        [_, ty, _, name, ..] => Some(format!("{ty}.{name}")),
        _ => None,
    }
}

// ---------------------------------------------------------------------------------------------
// Scenarios
// ---------------------------------------------------------------------------------------------

/// Matrices 2 and 3 for `redis_bootstrap` on one Terraform version (see the module docs).
#[test]
fn redis_replace_fixed_and_state_only_matrix() {
    let Some(tf) = system_or_1_0_3_terraform("redis_replace_fixed_and_state_only_matrix") else {
        return;
    };
    let started = Instant::now();
    let sim = fast_sim(PACE);
    let wd = Workdir::new(&tf, &[PROVIDER]);
    let redis = sim.vendor_url("redis");
    let mut node1 = create_node("node1", &redis, CLUSTER);
    with_every_setting(&mut node1, 1);
    let mut node2 = join_node("node2", &redis, "node1");
    with_every_setting(&mut node2, 2);
    let node3 = join_node("node3", &redis, "node1");
    let node4 = create_node("node4", &redis, CLUSTER2);
    let base = vec![node1, node2, node3, node4];
    wd.write_main_tf(&main_tf(&base));
    wd.init().assert_success();
    wd.apply().assert_success();
    wd.plan().assert_no_changes();
    let clusters = sim.admin_get("/_admin/redis/clusters");
    let members = |name: &str| -> usize {
        clusters
            .as_array()
            .and_then(|a| a.iter().find(|c| c["name"] == name))
            .and_then(|c| c["nodes"].as_array().map(Vec::len))
            .unwrap_or(0)
    };
    assert_eq!(
        (members(CLUSTER), members(CLUSTER2)),
        (3, 1),
        "{tf}: {clusters:#}"
    );

    let mut failures = Failures::default();
    let mut plans = 0;
    let mut run =
        |label: &str, attr: &str, case: &str, expect: Expect, f: &dyn Fn(&mut RawResource)| {
            let nodes = edit(&base, label, f);
            plan_case(&wd, &sim, &nodes, label, attr, case, &expect, &mut failures);
            plans += 1;
        };

    // Required settings and the action-dependent ones, value → value.
    let new_endpoint = q(&format!("{redis}/node9"));
    for (label, expect) in [("node2", Expect::Replace), ("node1", Expect::Fixed)] {
        run(label, "endpoint", "value -> value", expect, &|r| {
            r.set("endpoint", &new_endpoint);
        });
    }
    for (label, expect) in [("node2", Expect::Replace), ("node1", Expect::Fixed)] {
        run(label, "username", "value -> value", expect, &|r| {
            r.set("username", &q("other@example.com"));
        });
    }
    run(
        "node2",
        "action",
        "join_cluster -> create_cluster",
        Expect::Replace,
        &|r| {
            r.set("action", &q("create_cluster"))
                .set("cluster_name", &q("cluster3.example.com"))
                .unset("join_nodes")
                .unset("depends_on");
        },
    );
    run(
        "node1",
        "action",
        "create_cluster -> join_cluster",
        Expect::Fixed,
        &|r| {
            r.set("action", &q("join_cluster"))
                .set("join_nodes", "[\"10.1.0.2\"]")
                .unset("cluster_name");
        },
    );
    run(
        "node1",
        "cluster_name",
        "value -> value",
        Expect::Fixed,
        &|r| {
            r.set("cluster_name", &q("renamed.example.com"));
        },
    );
    run(
        "node4",
        "cluster_name",
        "value -> value",
        Expect::Fixed,
        &|r| {
            r.set("cluster_name", &q("renamed2.example.com"));
        },
    );
    for label in ["node2", "node3"] {
        run(
            label,
            "join_nodes",
            "value -> value",
            Expect::Replace,
            &|r| {
                r.set("join_nodes", "[\"10.1.0.1\", \"node1\"]");
            },
        );
    }

    // Every optional setting: set → unset and value → value on the nodes that have them,
    // unset → set on those that do not.
    for &arg in OPTIONAL_SETTINGS {
        let other = other_value(arg);
        for (label, expect) in [("node2", Expect::Replace), ("node1", Expect::Fixed)] {
            run(label, arg, "set -> unset", expect, &|r| {
                r.unset(arg);
            });
        }
        for (label, expect) in [("node2", Expect::Replace), ("node1", Expect::Fixed)] {
            run(label, arg, "value -> value", expect, &|r| {
                r.set(arg, &other);
            });
        }
        for (label, expect) in [("node3", Expect::Replace), ("node4", Expect::Fixed)] {
            run(label, arg, "unset -> set", expect, &|r| {
                assert!(!r.has(arg));
                r.set(arg, &other);
            });
        }
    }
    failures.assert_none(&tf);
    eprintln!(
        "=== redis_replace_fixed_and_state_only_matrix: {plans} plans done after {:.1?}",
        started.elapsed()
    );

    // ---- password: state only, on a join node and on the create node ----
    let mut cfg = base.clone();
    for label in ["node3", "node1"] {
        cfg = edit(&cfg, label, |r| {
            r.set("password", &q("a-new-password-1"));
        });
        wd.write_main_tf(&main_tf(&cfg));
        let target = format!("redis_bootstrap.{label}");
        let plan = wd.plan();
        plan.assert_changes(0, 1, 0);
        assert!(
            plan.stdout
                .contains(&format!("# {target} will be updated in-place")),
            "{tf}: {target}: a password change is not an in-place update:\n{}",
            plan.describe()
        );
        plan.assert_not_contains("must be replaced");
        if !tf.is_pre_1_0() {
            let flat = plan.flat();
            assert!(
                flat.contains("Warning: Changing password only updates Terraform state")
                    && flat.contains(&format!("with {target}")),
                "{tf}: {target}: no warning on password:\n{}",
                plan.describe()
            );
        }
        sim.clear_requests();
        wd.apply().assert_success();
        let writes = writes_sent(&sim, "redis");
        assert!(
            writes.is_empty(),
            "{tf}: {target}: a state-only change sent {writes:#?}"
        );
        let attrs = wd.state_attributes(&target).unwrap();
        assert_eq!(attrs["password"], "a-new-password-1", "{tf}: {attrs:#}");
        let again = wd.plan();
        assert_eq!(
            again.exit_code,
            0,
            "{tf}: {target}: the plan after a password change is not empty:\n{}",
            again.describe()
        );
    }
    // timeouts: exempt from the matrix, always state only and without a warning.
    cfg = edit(&cfg, "node3", |r| {
        r.block("timeouts", Some(&[("create", "\"45m\"")]));
    });
    wd.write_main_tf(&main_tf(&cfg));
    let plan = wd.plan();
    plan.assert_changes(0, 1, 0);
    plan.assert_contains("# redis_bootstrap.node3 will be updated in-place");
    plan.assert_not_contains("Warning");
    sim.clear_requests();
    wd.apply().assert_success();
    let writes = writes_sent(&sim, "redis");
    assert!(
        writes.is_empty(),
        "{tf}: a timeouts change sent {writes:#?}"
    );
    wd.plan().assert_no_changes();

    eprintln!(
        "=== redis_replace_fixed_and_state_only_matrix: {tf}: ok in {:.1?}",
        started.elapsed()
    );
}

/// Matrix 4 for `redis_bootstrap`, on every Terraform version.
#[test]
fn redis_import_with_every_argument_configured() {
    let versions = support::terraform_versions();
    if versions.is_empty() {
        eprintln!(
            "SKIP: redis_import_with_every_argument_configured: no Terraform binary available"
        );
        return;
    }
    for tf in &versions {
        eprintln!("=== redis_import_with_every_argument_configured: {tf}");
        let started = Instant::now();
        let sim = fast_sim(PACE);
        let wd = Workdir::new(tf, &[PROVIDER]);
        let redis = sim.vendor_url("redis");
        // Every optional argument; one storage path of each node is the node's own default.
        let mut node1 = create_node("node1", &redis, CLUSTER);
        with_every_setting(&mut node1, 1);
        node1.set("persistent_path", &q(DEFAULT_PERSISTENT_PATH));
        let mut node2 = join_node("node2", &redis, "node1");
        with_every_setting(&mut node2, 2);
        node2.set("ephemeral_path", &q(DEFAULT_EPHEMERAL_PATH));
        let nodes = vec![node1, node2];
        // What the API cannot report back: the license, the flash path, the join addresses and
        // a setting equal to the node's default (indistinguishable from an unset one).
        let unreported: Vec<(String, BTreeSet<String>)> = vec![
            (
                "redis_bootstrap.node1".to_owned(),
                ["bigstore_path", "license", "persistent_path"]
                    .map(String::from)
                    .into(),
            ),
            (
                "redis_bootstrap.node2".to_owned(),
                ["bigstore_path", "ephemeral_path", "join_nodes", "license"]
                    .map(String::from)
                    .into(),
            ),
        ];
        wd.write_main_tf(&main_tf(&nodes));
        wd.init().assert_success();
        wd.apply().assert_success();

        wd.remove_file("terraform.tfstate");
        wd.remove_file("terraform.tfstate.backup");
        sim.clear_requests();
        for n in &nodes {
            let endpoint = format!("{redis}/{}", n.label);
            wd.import(&n.addr(), &endpoint).assert_success();
        }
        assert!(
            writes_sent(&sim, "redis").is_empty(),
            "{tf}: import wrote: {:#?}",
            writes_sent(&sim, "redis")
        );
        for (addr, names) in &unreported {
            let attrs = wd.state_attributes(addr).unwrap();
            for name in names {
                assert_eq!(attrs[name], Value::Null, "{tf}: {addr}.{name}: {attrs:#}");
            }
        }

        let plan = wd.plan();
        plan.assert_changes(0, 2, 0);
        plan.assert_not_contains("must be replaced");
        plan.assert_not_contains("forces replacement");
        plan.assert_not_contains("cannot be changed");
        if !tf.is_pre_1_0() {
            // One warning per node, naming exactly what it records (read from -json, where
            // Terraform does not fold warnings with the same summary into one).
            let (code, lines) = plan_json(&wd);
            assert_eq!(code, 2, "{tf}: plan -json: {lines:#?}");
            let mut got: Vec<(String, BTreeSet<String>)> = lines
                .iter()
                .filter(|l| l["type"] == "diagnostic")
                .map(|l| &l["diagnostic"])
                .filter(|d| d["summary"] == IMPORT_WARNING)
                .map(|d| {
                    assert_eq!(d["severity"], "warning", "{tf}: {d:#}");
                    (
                        diagnostic_address(d).unwrap_or_else(|| format!("(no address) {d}")),
                        backticked(d["detail"].as_str().unwrap_or_default()),
                    )
                })
                .collect();
            got.sort();
            assert_eq!(got, unreported, "{tf}: the import warnings");
            let others: Vec<&Value> = lines
                .iter()
                .filter(|l| {
                    l["type"] == "diagnostic" && l["diagnostic"]["summary"] != IMPORT_WARNING
                })
                .collect();
            assert!(others.is_empty(), "{tf}: other diagnostics: {others:#?}");
        }
        sim.clear_requests();
        wd.apply().assert_success();
        let writes = writes_sent(&sim, "redis");
        assert!(
            writes.is_empty(),
            "{tf}: recording after import sent {writes:#?}"
        );
        for (addr, names) in &unreported {
            let attrs = wd.state_attributes(addr).unwrap();
            for name in names {
                assert!(
                    !attrs[name].is_null(),
                    "{tf}: {addr}.{name} still null: {attrs:#}"
                );
            }
        }
        wd.plan().assert_no_changes();
        eprintln!(
            "=== redis_import_with_every_argument_configured: {tf}: ok in {:.1?}",
            started.elapsed()
        );
    }
}
