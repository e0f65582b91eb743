//! The update-behaviour matrix of `instaclustr_cluster`, argument by argument, with the real
//! Terraform CLI against `clusterform-sim`: every argument does what `schema.rs` declares
//! (replace, in place, state only) when it is added, changed and removed, and an import followed
//! by a plan with every optional argument configured never replaces and warns about exactly what
//! the API cannot report back.
//!
//! The long matrices run on one Terraform (the newest available: 1.11.4 when present), against
//! one simulator with fast pacing and clusters applied once; each case is a plan of an edited
//! configuration. The import scenario runs on every available Terraform.

mod support;

use std::collections::BTreeSet;

use serde_json::Value;
use support::matrix::{
    assert_in_place, assert_one_import_warning, fast_sim, matrix_terraform, pairs,
    state_only_warning, write_requests, IMPORT_WARNING,
};
use support::{
    flatten, hcl_string, required_providers, PlanResult, Sim, Terraform, Workdir, IC_KEY, IC_USER,
};

const PROVIDER: (&str, &str) = (
    "instaclustr",
    env!("CARGO_BIN_EXE_terraform-provider-instaclustr"),
);
const NODE_SIZE: &str = "t3.small-v2";
const NODE_SIZE_BIGGER: &str = "m5l-250-v2";
/// The simulator's lifecycle step: 10 ms, so that creates and resizes finish at the provider's
/// first poll.
const PACE: &str = "10ms";

// ---------------------------------------------------------------------------------------------
// Configuration
// ---------------------------------------------------------------------------------------------

#[derive(Clone)]
struct CloudProvider {
    name: String,
    account_name: Option<String>,
    custom_virtual_network_id: Option<String>,
    disk_encryption_key: Option<String>,
    tags: Option<Vec<(String, String)>>,
}

#[derive(Clone)]
struct Bundle {
    bundle: String,
    version: String,
    options: Option<Vec<(String, String)>>,
}

/// One `resource "instaclustr_cluster"` block, every argument of today's schema.
#[derive(Clone)]
struct Cluster {
    /// The resource label (`instaclustr_cluster.<label>`).
    label: String,
    cluster_name: String,
    node_size: String,
    data_centre: String,
    sla_tier: Option<String>,
    cluster_network: Option<String>,
    private_network_cluster: Option<bool>,
    pci_compliant_cluster: Option<bool>,
    cluster_provider: CloudProvider,
    rack_allocation: Option<(u32, u32)>,
    bundles: Vec<Bundle>,
    wait_for_state: Option<String>,
    /// `(operation, duration)` lines of a `timeouts` block.
    timeouts: Option<Vec<(String, String)>>,
}

impl Cluster {
    /// Only the required arguments.
    fn bare(label: &str, cluster_name: &str) -> Cluster {
        Cluster {
            label: label.to_owned(),
            cluster_name: cluster_name.to_owned(),
            node_size: NODE_SIZE.to_owned(),
            data_centre: "US_WEST_2".to_owned(),
            sla_tier: None,
            cluster_network: None,
            private_network_cluster: None,
            pci_compliant_cluster: None,
            cluster_provider: CloudProvider {
                name: "AWS_VPC".to_owned(),
                account_name: None,
                custom_virtual_network_id: None,
                disk_encryption_key: None,
                tags: None,
            },
            rack_allocation: None,
            bundles: vec![Bundle {
                bundle: "APACHE_CASSANDRA".to_owned(),
                version: "4.0.1".to_owned(),
                options: None,
            }],
            wait_for_state: None,
            timeouts: None,
        }
    }

    /// Every optional argument set to a value that is not its default.
    fn full(label: &str, cluster_name: &str) -> Cluster {
        let mut c = Cluster::bare(label, cluster_name);
        c.sla_tier = Some("PRODUCTION".to_owned());
        c.cluster_network = Some("10.0.0.0/16".to_owned());
        c.private_network_cluster = Some(true);
        c.pci_compliant_cluster = Some(true);
        c.cluster_provider = CloudProvider {
            name: "AWS_VPC".to_owned(),
            account_name: Some("acct_matrix".to_owned()),
            custom_virtual_network_id: Some("vpc-0a1b2c3d".to_owned()),
            disk_encryption_key: Some("arn:aws:kms:us-west-2:111122223333:key/k1".to_owned()),
            tags: Some(pairs(&[("team", "data"), ("env", "test")])),
        };
        c.rack_allocation = Some((2, 1));
        c.bundles = vec![
            Bundle {
                bundle: "APACHE_CASSANDRA".to_owned(),
                version: "4.0.1".to_owned(),
                options: Some(pairs(&[
                    ("authnAuthz", "true"),
                    ("clientEncryption", "false"),
                ])),
            },
            Bundle {
                bundle: "SPARK".to_owned(),
                version: "3.0.1".to_owned(),
                options: Some(pairs(&[("sparkTier", "standard")])),
            },
        ];
        c.wait_for_state = Some("PROVISIONED".to_owned());
        c.timeouts = Some(pairs(&[
            ("create", "45m"),
            ("update", "50m"),
            ("delete", "20m"),
        ]));
        c
    }

    /// Every optional argument set, to its default wherever it has one.
    fn explicit_defaults(label: &str, cluster_name: &str) -> Cluster {
        let mut c = Cluster::full(label, cluster_name);
        c.sla_tier = Some("NON_PRODUCTION".to_owned());
        c.cluster_network = Some("10.224.0.0/12".to_owned());
        c.private_network_cluster = Some(false);
        c.pci_compliant_cluster = Some(false);
        c.rack_allocation = Some((3, 1));
        c.bundles.truncate(1);
        c.wait_for_state = Some("RUNNING".to_owned());
        c.timeouts = Some(pairs(&[
            ("create", "60m"),
            ("update", "60m"),
            ("delete", "30m"),
        ]));
        c
    }

    fn address(&self) -> String {
        format!("instaclustr_cluster.{}", self.label)
    }

    fn hcl(&self) -> String {
        fn map(items: &[(String, String)]) -> String {
            let body: Vec<String> = items
                .iter()
                .map(|(k, v)| format!("{} = {}", hcl_string(k), hcl_string(v)))
                .collect();
            format!("{{ {} }}", body.join(", "))
        }
        let mut s = format!(
            "resource \"instaclustr_cluster\" {} {{\n",
            hcl_string(&self.label)
        );
        let mut line = |name: &str, value: String| s.push_str(&format!("  {name} = {value}\n"));
        line("cluster_name", hcl_string(&self.cluster_name));
        line("node_size", hcl_string(&self.node_size));
        line("data_centre", hcl_string(&self.data_centre));
        if let Some(v) = &self.sla_tier {
            line("sla_tier", hcl_string(v));
        }
        if let Some(v) = &self.cluster_network {
            line("cluster_network", hcl_string(v));
        }
        if let Some(v) = self.private_network_cluster {
            line("private_network_cluster", v.to_string());
        }
        if let Some(v) = self.pci_compliant_cluster {
            line("pci_compliant_cluster", v.to_string());
        }
        if let Some(v) = &self.wait_for_state {
            line("wait_for_state", hcl_string(v));
        }
        let p = &self.cluster_provider;
        s.push_str("\n  cluster_provider {\n");
        s.push_str(&format!("    name = {}\n", hcl_string(&p.name)));
        for (name, value) in [
            ("account_name", &p.account_name),
            ("custom_virtual_network_id", &p.custom_virtual_network_id),
            ("disk_encryption_key", &p.disk_encryption_key),
        ] {
            if let Some(v) = value {
                s.push_str(&format!("    {name} = {}\n", hcl_string(v)));
            }
        }
        if let Some(tags) = &p.tags {
            s.push_str(&format!("    tags = {}\n", map(tags)));
        }
        s.push_str("  }\n");
        if let Some((racks, nodes)) = self.rack_allocation {
            s.push_str(&format!(
                "\n  rack_allocation {{\n    number_of_racks = {racks}\n    nodes_per_rack  = {nodes}\n  }}\n"
            ));
        }
        for b in &self.bundles {
            s.push_str(&format!(
                "\n  bundle {{\n    bundle  = {}\n    version = {}\n",
                hcl_string(&b.bundle),
                hcl_string(&b.version)
            ));
            if let Some(o) = &b.options {
                s.push_str(&format!("    options = {}\n", map(o)));
            }
            s.push_str("  }\n");
        }
        if let Some(t) = &self.timeouts {
            s.push_str("\n  timeouts {\n");
            for (op, d) in t {
                s.push_str(&format!("    {op} = {}\n", hcl_string(d)));
            }
            s.push_str("  }\n");
        }
        s.push_str("}\n");
        s
    }
}

fn main_tf(sim: &Sim, clusters: &[&Cluster]) -> String {
    let mut s = required_providers(&["instaclustr"]);
    s.push_str(&format!(
        "\nprovider \"instaclustr\" {{\n  username         = {}\n  api_key          = {}\n  api_hostname     = {}\n  request_interval = \"0s\"\n}}\n",
        hcl_string(IC_USER),
        hcl_string(IC_KEY),
        hcl_string(&sim.instaclustr_url())
    ));
    for c in clusters {
        s.push('\n');
        s.push_str(&c.hcl());
    }
    s
}

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

fn state_id(wd: &Workdir, addr: &str) -> String {
    wd.state_attributes(addr)
        .and_then(|a| a["id"].as_str().map(str::to_owned))
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| panic!("{addr} has no id in state:\n{:#}", wd.state()))
}

/// Whether the plan replaces exactly `addr` (and nothing else changes), with a
/// `forces replacement` mark on a line naming `attr` (the top-level argument or block).
fn check_replaces(plan: &PlanResult, addr: &str, attr: &str, case: &str) -> Result<(), String> {
    let fail = |why: &str| Err(format!("{case}: {why}:\n{}", plan.describe()));
    if plan.exit_code != 2 || plan.counts().map(|c| (c.add, c.change, c.destroy)) != Some((1, 0, 1))
    {
        return fail(&format!(
            "expected a replacement of {addr} (Plan: 1 to add, 0 to change, 1 to destroy)"
        ));
    }
    if !flatten(&plan.stdout).contains(&format!("{addr} must be replaced")) {
        return fail(&format!("{addr} is not the one replaced"));
    }
    let marked = plan
        .stdout
        .lines()
        .filter(|l| l.contains("forces replacement"))
        .any(|l| {
            let l = l.trim_start_matches([' ', '~', '+', '-', '#']);
            l.starts_with(&format!("{attr} ")) || l.starts_with(&format!("\"{attr}\""))
        });
    if !marked {
        return fail(&format!("no `forces replacement` mark on {attr}"));
    }
    Ok(())
}

/// `terraform plan -detailed-exitcode -out=matrix.tfplan`, and the top-level attributes of
/// `addr` that the saved plan leaves unknown (`after_unknown` of `terraform show -json`).
fn plan_with_unknowns(wd: &Workdir, addr: &str) -> (PlanResult, BTreeSet<String>) {
    let output = wd.run(&[
        "plan",
        "-detailed-exitcode",
        "-input=false",
        "-no-color",
        "-out=matrix.tfplan",
    ]);
    let plan = PlanResult {
        exit_code: output.code().unwrap_or(-1),
        stdout: output.stdout.clone(),
        stderr: output.stderr.clone(),
        output,
    };
    let show = wd.run(&["show", "-json", "-no-color", "matrix.tfplan"]);
    show.assert_success();
    wd.remove_file("matrix.tfplan");
    let json: Value = serde_json::from_str(show.stdout.trim())
        .unwrap_or_else(|e| panic!("show -json is not JSON ({e}):\n{}", show.describe()));
    fn any_true(v: &Value) -> bool {
        match v {
            Value::Bool(b) => *b,
            Value::Array(a) => a.iter().any(any_true),
            Value::Object(o) => o.values().any(any_true),
            _ => false,
        }
    }
    let unknown = json["resource_changes"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|r| r["address"] == addr)
        .flat_map(|r| r["change"]["after_unknown"].as_object().cloned())
        .flatten()
        .filter(|(_, v)| any_true(v))
        .map(|(k, _)| k)
        .collect();
    (plan, unknown)
}

// ---------------------------------------------------------------------------------------------
// 1 and 3: in-place and state-only arguments
// ---------------------------------------------------------------------------------------------

/// `node_size` (in place): a change plans an update, apply sends the resize request, the next
/// plan is empty. `wait_for_state` (state only): every change plans an update with the warning
/// naming it, apply sends nothing but GETs, the next plan is empty; an explicit default equals
/// unset. `timeouts` (exempt: state only, no warning) likewise without the warning.
#[test]
fn in_place_and_state_only_arguments() {
    let Some(tf) = matrix_terraform("in_place_and_state_only_arguments") else {
        return;
    };
    let sim = fast_sim(PACE);
    let wd = Workdir::new(&tf, &[PROVIDER]);
    let mut c = Cluster::bare("test", "cf_matrix_inplace");
    let addr = c.address();
    wd.write_main_tf(&main_tf(&sim, &[&c]));
    wd.init().assert_success();
    wd.apply().assert_success();
    let id = state_id(&wd, &addr);
    wd.plan().assert_no_changes();

    // --- node_size: in place, through the resize API ---
    for size in [NODE_SIZE_BIGGER, NODE_SIZE] {
        let case = format!("node_size -> {size}");
        c.node_size = size.to_owned();
        wd.write_main_tf(&main_tf(&sim, &[&c]));
        let (plan, unknown) = plan_with_unknowns(&wd, &addr);
        assert_in_place(&plan, &addr, &case);
        plan.assert_not_contains("only updates Terraform state");
        // Only what the resize changes is unknown; the rest keeps its prior value.
        let want: BTreeSet<String> = ["cluster_status".to_owned(), "nodes".to_owned()].into();
        assert_eq!(unknown, want, "{case}:\n{}", plan.describe());
        sim.clear_requests();
        wd.apply().assert_success();
        assert_eq!(state_id(&wd, &addr), id, "{case}: the cluster was replaced");
        let sent = write_requests(&sim, "instaclustr");
        let resize_path = format!("/{id}/");
        assert!(
            sent.len() == 1
                && sent[0]["method"] == "POST"
                && sent[0]["path"]
                    .as_str()
                    .is_some_and(|p| p.contains(&resize_path) && p.ends_with("/resize"))
                && sent[0]["status"].as_u64() == Some(202),
            "{case}: expected exactly one accepted resize request, got {sent:#?}"
        );
        let reported = sim.instaclustr_cluster(&id).expect("cluster still there");
        assert_eq!(reported["nodeSize"], size, "{case}: simulator: {reported}");
        let attrs = wd.state_attributes(&addr).unwrap();
        assert_eq!(attrs["node_size"], size, "{case}: state: {attrs:#}");
        wd.plan().assert_no_changes();
    }

    // --- wait_for_state: state only, with the warning ---
    for (value, changes) in [
        (Some("PROVISIONED"), true),
        (Some("NONE"), true),
        (Some("RUNNING"), true),
        // An explicit default and unset are the same value: nothing to plan.
        (None, false),
        (Some("PROVISIONED"), true),
        // Unset goes back to the default RUNNING: a change like any other.
        (None, true),
    ] {
        let case = format!("wait_for_state -> {value:?}");
        c.wait_for_state = value.map(str::to_owned);
        wd.write_main_tf(&main_tf(&sim, &[&c]));
        let (plan, unknown) = plan_with_unknowns(&wd, &addr);
        if !changes {
            plan.assert_no_changes();
            continue;
        }
        assert_in_place(&plan, &addr, &case);
        if !tf.is_pre_1_0() {
            assert!(
                plan.flat().contains(&state_only_warning("wait_for_state")),
                "{case}: no state-only warning naming wait_for_state:\n{}",
                plan.describe()
            );
        }
        plan.assert_not_contains(IMPORT_WARNING);
        assert!(
            unknown.is_empty(),
            "{case}: unknown {unknown:?}:\n{}",
            plan.describe()
        );
        sim.clear_requests();
        wd.apply().assert_success();
        let sent = write_requests(&sim, "instaclustr");
        assert!(
            sent.is_empty(),
            "{case}: a state-only change wrote: {sent:#?}"
        );
        let attrs = wd.state_attributes(&addr).unwrap();
        assert_eq!(
            attrs["wait_for_state"],
            value.unwrap_or("RUNNING"),
            "{case}: state: {attrs:#}"
        );
        wd.plan().assert_no_changes();
    }

    // --- timeouts: state only without a warning (the convention's exemption) ---
    for value in [
        Some(pairs(&[("update", "90m")])),
        Some(pairs(&[("create", "2h"), ("delete", "45m")])),
        None,
    ] {
        let case = format!("timeouts -> {value:?}");
        c.timeouts = value;
        wd.write_main_tf(&main_tf(&sim, &[&c]));
        let plan = wd.plan();
        assert_in_place(&plan, &addr, &case);
        plan.assert_not_contains("only updates Terraform state");
        sim.clear_requests();
        wd.apply().assert_success();
        let sent = write_requests(&sim, "instaclustr");
        assert!(
            sent.is_empty(),
            "{case}: a timeouts change wrote: {sent:#?}"
        );
        wd.plan().assert_no_changes();
    }
    eprintln!("=== in_place_and_state_only_arguments: {tf}: ok");
}

// ---------------------------------------------------------------------------------------------
// 2: replace arguments
// ---------------------------------------------------------------------------------------------

/// Which of the two applied clusters a case edits.
#[derive(Clone, Copy, Debug)]
enum Base {
    /// Only the required arguments.
    Bare,
    /// Every optional argument set, none to its default.
    Full,
}

type Edit = fn(&mut Cluster);

/// Every replace argument, at every depth: set → unset, unset → set (optional ones) and
/// value → value each plan a replacement of exactly the edited cluster, marked on the
/// argument. Two clusters are applied once (one bare, one with every optional argument set);
/// each case is a plan of an edited configuration. Plans send no write request.
#[test]
fn replace_arguments() {
    let Some(tf) = matrix_terraform("replace_arguments") else {
        return;
    };
    let sim = fast_sim(PACE);
    let wd = Workdir::new(&tf, &[PROVIDER]);
    let bare = Cluster::bare("bare", "cf_matrix_bare");
    let full = Cluster::full("full", "cf_matrix_full");
    wd.write_main_tf(&main_tf(&sim, &[&bare, &full]));
    wd.init().assert_success();
    wd.apply().assert_success();
    wd.plan().assert_no_changes();

    // (base, case name, top-level argument or block marked, edit)
    let cases: Vec<(Base, &str, &str, Edit)> = vec![
        // Required top-level strings: value → value.
        (
            Base::Bare,
            "cluster_name value -> value",
            "cluster_name",
            |c| c.cluster_name = "cf_matrix_renamed".into(),
        ),
        (
            Base::Bare,
            "data_centre value -> value",
            "data_centre",
            |c| c.data_centre = "US_EAST_1".into(),
        ),
        // Optional top-level arguments with defaults.
        (Base::Bare, "sla_tier unset -> set", "sla_tier", |c| {
            c.sla_tier = Some("PRODUCTION".into())
        }),
        (Base::Full, "sla_tier set -> unset", "sla_tier", |c| {
            c.sla_tier = None
        }),
        (Base::Full, "sla_tier value -> value", "sla_tier", |c| {
            c.sla_tier = Some("NON_PRODUCTION".into())
        }),
        (
            Base::Bare,
            "cluster_network unset -> set",
            "cluster_network",
            |c| c.cluster_network = Some("10.0.0.0/16".into()),
        ),
        (
            Base::Full,
            "cluster_network set -> unset",
            "cluster_network",
            |c| c.cluster_network = None,
        ),
        (
            Base::Full,
            "cluster_network value -> value",
            "cluster_network",
            |c| c.cluster_network = Some("192.168.0.0/20".into()),
        ),
        (
            Base::Bare,
            "private_network_cluster unset -> set",
            "private_network_cluster",
            |c| c.private_network_cluster = Some(true),
        ),
        (
            Base::Full,
            "private_network_cluster set -> unset",
            "private_network_cluster",
            |c| c.private_network_cluster = None,
        ),
        (
            Base::Full,
            "private_network_cluster value -> value",
            "private_network_cluster",
            |c| c.private_network_cluster = Some(false),
        ),
        (
            Base::Bare,
            "pci_compliant_cluster unset -> set",
            "pci_compliant_cluster",
            |c| c.pci_compliant_cluster = Some(true),
        ),
        (
            Base::Full,
            "pci_compliant_cluster set -> unset",
            "pci_compliant_cluster",
            |c| c.pci_compliant_cluster = None,
        ),
        (
            Base::Full,
            "pci_compliant_cluster value -> value",
            "pci_compliant_cluster",
            |c| c.pci_compliant_cluster = Some(false),
        ),
        // cluster_provider: a required block declared replace as a whole.
        (
            Base::Bare,
            "cluster_provider.name value -> value",
            "cluster_provider",
            |c| c.cluster_provider.name = "GCP".into(),
        ),
        (
            Base::Bare,
            "cluster_provider.account_name unset -> set",
            "cluster_provider",
            |c| c.cluster_provider.account_name = Some("acct_other".into()),
        ),
        (
            Base::Full,
            "cluster_provider.account_name set -> unset",
            "cluster_provider",
            |c| c.cluster_provider.account_name = None,
        ),
        (
            Base::Full,
            "cluster_provider.account_name value -> value",
            "cluster_provider",
            |c| c.cluster_provider.account_name = Some("acct_other".into()),
        ),
        (
            Base::Bare,
            "cluster_provider.custom_virtual_network_id unset -> set",
            "cluster_provider",
            |c| c.cluster_provider.custom_virtual_network_id = Some("vpc-99".into()),
        ),
        (
            Base::Full,
            "cluster_provider.custom_virtual_network_id set -> unset",
            "cluster_provider",
            |c| c.cluster_provider.custom_virtual_network_id = None,
        ),
        (
            Base::Full,
            "cluster_provider.custom_virtual_network_id value -> value",
            "cluster_provider",
            |c| c.cluster_provider.custom_virtual_network_id = Some("vpc-99".into()),
        ),
        (
            Base::Bare,
            "cluster_provider.disk_encryption_key unset -> set",
            "cluster_provider",
            |c| c.cluster_provider.disk_encryption_key = Some("k2".into()),
        ),
        (
            Base::Full,
            "cluster_provider.disk_encryption_key set -> unset",
            "cluster_provider",
            |c| c.cluster_provider.disk_encryption_key = None,
        ),
        (
            Base::Full,
            "cluster_provider.disk_encryption_key value -> value",
            "cluster_provider",
            |c| c.cluster_provider.disk_encryption_key = Some("k2".into()),
        ),
        (
            Base::Bare,
            "cluster_provider.tags unset -> set",
            "cluster_provider",
            |c| c.cluster_provider.tags = Some(pairs(&[("team", "ops")])),
        ),
        (
            Base::Full,
            "cluster_provider.tags set -> unset",
            "cluster_provider",
            |c| c.cluster_provider.tags = None,
        ),
        (
            Base::Full,
            "cluster_provider.tags value -> value (one tag changed)",
            "cluster_provider",
            |c| c.cluster_provider.tags = Some(pairs(&[("team", "ops"), ("env", "test")])),
        ),
        (
            Base::Full,
            "cluster_provider.tags value -> value (one tag added)",
            "cluster_provider",
            |c| {
                c.cluster_provider.tags =
                    Some(pairs(&[("team", "data"), ("env", "test"), ("cost", "42")]))
            },
        ),
        (
            Base::Full,
            "cluster_provider.tags value -> value (one tag removed)",
            "cluster_provider",
            |c| c.cluster_provider.tags = Some(pairs(&[("team", "data")])),
        ),
        // rack_allocation: an optional block declared replace (unset = the API's 3 × 1).
        (
            Base::Bare,
            "rack_allocation unset -> set",
            "rack_allocation",
            |c| c.rack_allocation = Some((2, 1)),
        ),
        (
            Base::Full,
            "rack_allocation set -> unset",
            "rack_allocation",
            |c| c.rack_allocation = None,
        ),
        (
            Base::Full,
            "rack_allocation.number_of_racks value -> value",
            "rack_allocation",
            |c| c.rack_allocation = Some((3, 1)),
        ),
        (
            Base::Full,
            "rack_allocation.nodes_per_rack value -> value",
            "rack_allocation",
            |c| c.rack_allocation = Some((2, 2)),
        ),
        // bundle: a block list declared replace as a whole.
        (
            Base::Bare,
            "bundle[0].bundle value -> value",
            "bundle",
            |c| c.bundles[0].bundle = "KAFKA".into(),
        ),
        (
            Base::Bare,
            "bundle[0].version value -> value",
            "bundle",
            |c| c.bundles[0].version = "4.1.3".into(),
        ),
        (
            Base::Bare,
            "bundle[0].options unset -> set",
            "bundle",
            |c| c.bundles[0].options = Some(pairs(&[("authnAuthz", "true")])),
        ),
        (
            Base::Full,
            "bundle[0].options set -> unset",
            "bundle",
            |c| c.bundles[0].options = None,
        ),
        (
            Base::Full,
            "bundle[0].options value -> value (one option changed)",
            "bundle",
            |c| {
                c.bundles[0].options = Some(pairs(&[
                    ("authnAuthz", "false"),
                    ("clientEncryption", "false"),
                ]))
            },
        ),
        (
            Base::Full,
            "bundle[0].options value -> value (one option added)",
            "bundle",
            |c| {
                c.bundles[0].options = Some(pairs(&[
                    ("authnAuthz", "true"),
                    ("clientEncryption", "false"),
                    ("luceneEnabled", "true"),
                ]))
            },
        ),
        (
            Base::Full,
            "bundle[1].bundle value -> value",
            "bundle",
            |c| c.bundles[1].bundle = "ZEPPELIN".into(),
        ),
        (
            Base::Full,
            "bundle[1].version value -> value",
            "bundle",
            |c| c.bundles[1].version = "3.0.2".into(),
        ),
        (
            Base::Full,
            "bundle[1].options value -> value",
            "bundle",
            |c| c.bundles[1].options = Some(pairs(&[("sparkTier", "premium")])),
        ),
        (Base::Bare, "bundle added (unset -> set)", "bundle", |c| {
            c.bundles.push(Bundle {
                bundle: "SPARK".into(),
                version: "3.0.1".into(),
                options: None,
            })
        }),
        (Base::Full, "bundle removed (set -> unset)", "bundle", |c| {
            c.bundles.truncate(1)
        }),
        (Base::Full, "bundles reordered", "bundle", |c| {
            c.bundles.reverse()
        }),
    ];

    sim.clear_requests();
    let mut failures = Vec::new();
    for (base, case, attr, edit) in &cases {
        let (mut b, mut f) = (bare.clone(), full.clone());
        let edited = match base {
            Base::Bare => &mut b,
            Base::Full => &mut f,
        };
        edit(edited);
        let addr = edited.address();
        wd.write_main_tf(&main_tf(&sim, &[&b, &f]));
        let plan = wd.plan();
        if let Err(e) = check_replaces(&plan, &addr, attr, &format!("{case} ({base:?})")) {
            failures.push(e);
        }
    }

    // Non-changes: explicit defaults of the optional + computed arguments plan nothing.
    let mut same = bare.clone();
    same.sla_tier = Some("NON_PRODUCTION".into());
    same.cluster_network = Some("10.224.0.0/12".into());
    same.private_network_cluster = Some(false);
    same.pci_compliant_cluster = Some(false);
    wd.write_main_tf(&main_tf(&sim, &[&same, &full]));
    let plan = wd.plan();
    if plan.exit_code != 0 {
        failures.push(format!(
            "explicit defaults on the bare cluster (sla_tier, cluster_network, \
             private_network_cluster, pci_compliant_cluster) should plan nothing:\n{}",
            plan.describe()
        ));
    }

    let sent = write_requests(&sim, "instaclustr");
    assert!(sent.is_empty(), "plans sent write requests: {sent:#?}");
    assert!(
        failures.is_empty(),
        "{} of {} replace cases failed:\n\n{}",
        failures.len(),
        cases.len() + 1,
        failures.join("\n\n")
    );
    // The applied clusters are untouched: the original configuration still plans nothing.
    wd.write_main_tf(&main_tf(&sim, &[&bare, &full]));
    wd.plan().assert_no_changes();

    // Spellings of the same value (each block's semantic equality) replace nothing:
    // rack_allocation written out as the API's default 3 × 1 on a cluster created without one,
    // `tags = {}` and `options = {}` for none, and a bundle version with the same semantic
    // version. A block cannot be computed, so Terraform still sees the new spelling as an
    // update; it sends nothing, and neither does the way back.
    let spellings: Vec<(&str, Edit)> = vec![
        ("rack_allocation 3 x 1 (the API's default)", |c| {
            c.rack_allocation = Some((3, 1))
        }),
        ("cluster_provider.tags = {}", |c| {
            c.cluster_provider.tags = Some(Vec::new())
        }),
        ("bundle[0].options = {}", |c| {
            c.bundles[0].options = Some(Vec::new())
        }),
        ("bundle[0].version = apache-cassandra-4.0.1.ic4", |c| {
            c.bundles[0].version = "apache-cassandra-4.0.1.ic4".into()
        }),
    ];
    for (what, edit) in spellings {
        for back in [false, true] {
            let case = format!(
                "{what} on the bare cluster{}",
                if back { ", undone" } else { "" }
            );
            let mut b = bare.clone();
            if !back {
                edit(&mut b);
            }
            wd.write_main_tf(&main_tf(&sim, &[&b, &full]));
            let plan = wd.plan();
            assert_in_place(&plan, &b.address(), &case);
            plan.assert_not_contains("only updates Terraform state");
            // The plan says the update sends nothing.
            plan.assert_contains("means the same as before");
            sim.clear_requests();
            wd.apply().assert_success();
            let sent = write_requests(&sim, "instaclustr");
            assert!(sent.is_empty(), "{case}: apply wrote: {sent:#?}");
            wd.plan().assert_no_changes();
        }
    }
    eprintln!(
        "=== replace_arguments: {tf}: ok ({} cases)",
        cases.len() + 1
    );
}

// ---------------------------------------------------------------------------------------------
// 4: import
// ---------------------------------------------------------------------------------------------

/// How a test imports.
#[derive(Clone, Copy, Debug, PartialEq)]
enum ImportBy {
    /// `terraform import <addr> <id>`, then `terraform plan`.
    Command,
    /// An `import { to, id }` block in the configuration (Terraform 1.5+): one plan imports
    /// and plans.
    Block,
}

/// Applies `cluster`, forgets it, imports it by id and plans with the same configuration: no
/// replacement, one in-place update (what the import could not read is recorded in state only)
/// with one warning listing exactly `wait_for_state` (the only argument the API never reports:
/// the simulator echoes everything else, and the model reads it back), no per-attribute
/// state-only warning; apply sends no write request; the next plan is empty.
fn import_round_trip(tf: &Terraform, sim: &Sim, cluster: &Cluster, by: ImportBy) {
    let addr = cluster.address();
    let case = format!("{tf}: {addr} imported by {by:?}");
    let wd = Workdir::new(tf, &[PROVIDER]);
    let config = main_tf(sim, &[cluster]);
    wd.write_main_tf(&config);
    wd.init().assert_success();
    wd.apply().assert_success();
    wd.plan().assert_no_changes();
    let id = state_id(&wd, &addr);

    wd.remove_file("terraform.tfstate");
    wd.remove_file("terraform.tfstate.backup");
    let plan = match by {
        ImportBy::Command => {
            let out = wd.import(&addr, &id);
            out.assert_success();
            out.assert_contains("Import successful");
            let imported = wd.state_attributes(&addr).unwrap();
            assert!(
                imported["wait_for_state"].is_null(),
                "{case}: the import invented wait_for_state: {imported:#}"
            );
            wd.plan()
        }
        ImportBy::Block => {
            wd.write_main_tf(&format!(
                "{config}\nimport {{\n  to = {addr}\n  id = {}\n}}\n",
                hcl_string(&id)
            ));
            wd.plan()
        }
    };

    let wanted_import = if by == ImportBy::Block {
        ", 1 to import"
    } else {
        ""
    };
    assert!(
        plan.exit_code == 2
            && plan.counts().map(|c| (c.add, c.change, c.destroy)) == Some((0, 1, 0))
            && flatten(&plan.stdout).contains(&format!("{addr} will be updated in-place"))
            && (by == ImportBy::Command || plan.flat().contains("1 to import")),
        "{case}: expected one in-place update{wanted_import}, no replacement:\n{}",
        plan.describe()
    );
    plan.assert_not_contains("must be replaced");
    if !tf.is_pre_1_0() {
        assert_one_import_warning(&plan, &["wait_for_state"], &case);
    }

    sim.clear_requests();
    wd.apply().assert_success();
    let sent = write_requests(sim, "instaclustr");
    assert!(
        sent.is_empty(),
        "{case}: the first apply after import wrote: {sent:#?}"
    );
    assert_eq!(state_id(&wd, &addr), id, "{case}: replaced");
    let attrs = wd.state_attributes(&addr).unwrap();
    assert_eq!(
        attrs["wait_for_state"],
        cluster.wait_for_state.as_deref().unwrap_or("RUNNING"),
        "{case}: {attrs:#}"
    );
    wd.plan().assert_no_changes();
}

/// Import, then plan with every optional argument configured: once with explicit defaults
/// (`sla_tier = "NON_PRODUCTION"`, `rack_allocation { 3 × 1 }`, `wait_for_state = "RUNNING"`,
/// …) and once with non-default values (two bundles, private network, PCI, 2 × 1 racks, …).
/// On every Terraform version with `terraform import`; on 1.5+ also with an `import` block.
#[test]
fn import_then_plan_with_every_optional_argument() {
    let versions = support::terraform_versions();
    if versions.is_empty() {
        eprintln!("SKIP: import_then_plan_with_every_optional_argument: no Terraform binary");
        return;
    }
    let sim = fast_sim(PACE);
    for (i, tf) in versions.iter().enumerate() {
        eprintln!("=== import_then_plan_with_every_optional_argument: {tf}");
        let defaults = Cluster::explicit_defaults("defaults", &format!("cf_import_defaults_{i}"));
        import_round_trip(tf, &sim, &defaults, ImportBy::Command);
        let custom = Cluster::full("custom", &format!("cf_import_custom_{i}"));
        import_round_trip(tf, &sim, &custom, ImportBy::Command);
        if tf.version_tuple() >= (1, 5, 0) {
            let defaults =
                Cluster::explicit_defaults("defaults", &format!("cf_block_defaults_{i}"));
            import_round_trip(tf, &sim, &defaults, ImportBy::Block);
            let custom = Cluster::full("custom", &format!("cf_block_custom_{i}"));
            import_round_trip(tf, &sim, &custom, ImportBy::Block);
        }
        eprintln!("=== import_then_plan_with_every_optional_argument: {tf}: ok");
    }
}
