//! The update-behaviour matrix of `instaclustr_cluster`, argument by argument, with the real
//! Terraform CLI against `clusterform-sim`: every argument does what `schema.rs` declares
//! (replace, in place, state only, fixed) when it is added, changed and removed, spellings that
//! mean the same plan nothing the API would see, the official arguments this resource does not
//! implement are rejected at plan time, and an import followed by a plan with every optional
//! argument configured never replaces and warns about exactly what the API cannot report back.
//!
//! The long matrices run on one Terraform (the newest available: 1.11.4 when present), against
//! one simulator with fast pacing and clusters applied once; each case is a plan of an edited
//! configuration. The import scenario runs on every available Terraform.
//!
//! Assertions hold whether the simulator echoes versions and options as sent or in the API's
//! spelling (`apache-cassandra-4.0.1.ic1` for `4.0.1`, `authnAuthz` for `auth_n_authz`), and
//! whether it reports `dataCentreCustomName` or not: what the import could not read is taken
//! from the API's own cluster document.

mod support;

use std::collections::BTreeSet;

use serde_json::Value;
use support::matrix::{
    assert_in_place, fast_sim, forces_replacement_on, import_warning_lists, matrix_terraform,
    pairs, state_only_warning, write_requests, writes_sent, IMPORT_WARNING,
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
const SEARCH_SIZE: &str = "SRH-DEV-t4g.small-5";
const SEARCH_SIZE_BIGGER: &str = "SRH-PRD-m6g.large-250";
/// The simulator's lifecycle step: 10 ms, so that creates and resizes finish at the provider's
/// first poll.
const PACE: &str = "10ms";

// ---------------------------------------------------------------------------------------------
// Configuration
// ---------------------------------------------------------------------------------------------

#[derive(Clone)]
struct Bundle {
    bundle: String,
    version: String,
    options: Option<Vec<(String, String)>>,
}

impl Bundle {
    fn new(bundle: &str, version: &str, options: Option<&[(&str, &str)]>) -> Bundle {
        Bundle {
            bundle: bundle.to_owned(),
            version: version.to_owned(),
            options: options.map(pairs),
        }
    }
}

/// One `resource "instaclustr_cluster"` block, every argument of today's schema.
#[derive(Clone)]
struct Cluster {
    /// The resource label (`instaclustr_cluster.<label>`).
    label: String,
    cluster_name: String,
    node_size: Option<String>,
    data_centre: String,
    data_centre_custom_name: Option<String>,
    sla_tier: Option<String>,
    cluster_network: Option<String>,
    private_network_cluster: Option<bool>,
    pci_compliant_cluster: Option<bool>,
    /// The `cluster_provider` map, `name` included.
    cluster_provider: Vec<(String, String)>,
    tags: Option<Vec<(String, String)>>,
    /// Raw HCL values of `number_of_racks` and `nodes_per_rack` (`3`, `"03"`).
    rack_allocation: Option<(String, String)>,
    bundles: Vec<Bundle>,
    wait_for_state: Option<String>,
    /// `(operation, duration)` lines of a `timeouts` block.
    timeouts: Option<Vec<(String, String)>>,
    /// Raw HCL lines added at the end of the block (arguments this resource rejects).
    extra: Vec<String>,
}

fn racks(number: u32, per_rack: u32) -> Option<(String, String)> {
    Some((number.to_string(), per_rack.to_string()))
}

impl Cluster {
    /// Only the required arguments.
    fn bare(label: &str, cluster_name: &str) -> Cluster {
        Cluster {
            label: label.to_owned(),
            cluster_name: cluster_name.to_owned(),
            node_size: Some(NODE_SIZE.to_owned()),
            data_centre: "US_WEST_2".to_owned(),
            data_centre_custom_name: None,
            sla_tier: None,
            cluster_network: None,
            private_network_cluster: None,
            pci_compliant_cluster: None,
            cluster_provider: pairs(&[("name", "AWS_VPC")]),
            tags: None,
            rack_allocation: None,
            bundles: vec![Bundle::new("APACHE_CASSANDRA", "4.0.1", None)],
            wait_for_state: None,
            timeouts: None,
            extra: Vec::new(),
        }
    }

    /// Every optional argument set to a value that is not its default: bundle options in the
    /// official provider's snake_case for the primary bundle, in the API's spelling for the
    /// add-on.
    fn full(label: &str, cluster_name: &str) -> Cluster {
        let mut c = Cluster::bare(label, cluster_name);
        c.data_centre_custom_name = Some(format!("{cluster_name}_dc"));
        c.sla_tier = Some("PRODUCTION".to_owned());
        c.cluster_network = Some("10.0.0.0/16".to_owned());
        c.private_network_cluster = Some(true);
        c.pci_compliant_cluster = Some(true);
        c.cluster_provider = pairs(&[
            ("name", "AWS_VPC"),
            ("account_name", "acct_matrix"),
            ("custom_virtual_network_id", "vpc-0a1b2c3d"),
            ("resource_group", "rg_matrix"),
            (
                "disk_encryption_key",
                "arn:aws:kms:us-west-2:111122223333:key/k1",
            ),
        ]);
        c.tags = Some(pairs(&[("team", "data"), ("env", "test")]));
        c.rack_allocation = racks(2, 1);
        c.bundles = vec![
            Bundle::new(
                "APACHE_CASSANDRA",
                "4.0.1",
                Some(&[("auth_n_authz", "true"), ("client_encryption", "false")]),
            ),
            Bundle::new("SPARK", "3.0.1", Some(&[("sparkTier", "standard")])),
        ];
        c.wait_for_state = Some("PROVISIONED".to_owned());
        c.timeouts = Some(pairs(&[
            ("create", "45m"),
            ("update", "50m"),
            ("delete", "20m"),
        ]));
        c
    }

    /// Every optional argument set, to its default wherever it has one (the data centre's
    /// custom name to the name the API gives one by default).
    fn explicit_defaults(label: &str, cluster_name: &str) -> Cluster {
        let mut c = Cluster::full(label, cluster_name);
        c.data_centre_custom_name = Some("AWS_VPC_US_WEST_2".to_owned());
        c.sla_tier = Some("NON_PRODUCTION".to_owned());
        c.cluster_network = Some("10.224.0.0/12".to_owned());
        c.private_network_cluster = Some(false);
        c.pci_compliant_cluster = Some(false);
        c.rack_allocation = racks(3, 1);
        c.bundles.truncate(1);
        c.wait_for_state = Some("RUNNING".to_owned());
        c.timeouts = Some(pairs(&[
            ("create", "60m"),
            ("update", "60m"),
            ("delete", "30m"),
        ]));
        c
    }

    /// An OpenSearch cluster: no `node_size`, its sizes come from the bundle options.
    fn search(label: &str, cluster_name: &str) -> Cluster {
        let mut c = Cluster::bare(label, cluster_name);
        c.node_size = None;
        c.bundles = vec![Bundle::new(
            "OPENSEARCH",
            "1.3.4",
            Some(&[
                ("master_node_size", SEARCH_SIZE),
                ("dedicated_master_nodes", "false"),
            ]),
        )];
        c
    }

    /// Sets (`Some`) or removes (`None`) one key of `cluster_provider`.
    fn provider_key(&mut self, key: &str, value: Option<&str>) {
        self.cluster_provider.retain(|(k, _)| k != key);
        if let Some(v) = value {
            self.cluster_provider.push((key.to_owned(), v.to_owned()));
        }
    }

    /// Whether `cluster_provider` sets a key besides `name`, which an import cannot read back.
    fn provider_has_more_than_name(&self) -> bool {
        self.cluster_provider.iter().any(|(k, _)| k != "name")
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
        if let Some(v) = &self.node_size {
            line("node_size", hcl_string(v));
        }
        line("data_centre", hcl_string(&self.data_centre));
        if let Some(v) = &self.data_centre_custom_name {
            line("data_centre_custom_name", hcl_string(v));
        }
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
        line("cluster_provider", map(&self.cluster_provider));
        if let Some(tags) = &self.tags {
            line("tags", map(tags));
        }
        if let Some((number, per_rack)) = &self.rack_allocation {
            line(
                "rack_allocation",
                format!("{{ number_of_racks = {number}, nodes_per_rack = {per_rack} }}"),
            );
        }
        for extra in &self.extra {
            s.push_str(&format!("  {extra}\n"));
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

/// Whether the API's cluster document names the data centre (`dataCentreCustomName`, or the
/// data centre's `cdcName`).
fn reports_custom_name(doc: &Value) -> bool {
    doc["dataCentreCustomName"].is_string() || doc["dataCentres"][0]["cdcName"].is_string()
}

/// Whether the plan replaces exactly `addr` (and nothing else changes), with a
/// `forces replacement` mark on the line naming `attr` (the top-level argument or block).
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
    if !forces_replacement_on(plan, attr) {
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

/// Whether Terraform's (flattened) output quotes the configuration line of argument `name`, as
/// it does under a diagnostic whose path is that argument: `12: oidc_provider = …`.
fn quotes_line_of(flat: &str, name: &str) -> bool {
    let needle = format!(": {name} ");
    flat.match_indices(&needle)
        .any(|(i, _)| flat[..i].ends_with(|c: char| c.is_ascii_digit()))
}

/// The resize requests the simulator accepted for cluster `id`.
fn accepted_resizes(sim: &Sim, id: &str) -> Vec<Value> {
    write_requests(sim, "instaclustr")
        .into_iter()
        .filter(|r| {
            r["method"] == "POST"
                && r["path"]
                    .as_str()
                    .is_some_and(|p| p.contains(&format!("/{id}/")) && p.ends_with("/resize"))
                && r["status"].as_u64() == Some(202)
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// 1 and 3: in-place and state-only arguments
// ---------------------------------------------------------------------------------------------

/// `node_size` (in place): a change plans an update, apply sends the resize request, the next
/// plan is empty. `wait_for_state` (state only, any case, `""` = NONE): every change plans an
/// update with the warning naming it, apply sends nothing but GETs, the next plan is empty; an
/// explicit default equals unset. `timeouts` (exempt: state only, no warning) likewise without
/// the warning.
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
        c.node_size = Some(size.to_owned());
        wd.write_main_tf(&main_tf(&sim, &[&c]));
        let (plan, unknown) = plan_with_unknowns(&wd, &addr);
        assert_in_place(&plan, &addr, &case);
        plan.assert_not_contains("only updates Terraform state");
        plan.assert_not_contains("means the same as before");
        // Only what the resize changes is unknown; the rest keeps its prior value.
        let want: BTreeSet<String> = ["cluster_status".to_owned(), "nodes".to_owned()].into();
        assert_eq!(unknown, want, "{case}:\n{}", plan.describe());
        sim.clear_requests();
        wd.apply().assert_success();
        assert_eq!(state_id(&wd, &addr), id, "{case}: the cluster was replaced");
        let sent = write_requests(&sim, "instaclustr");
        assert!(
            sent.len() == 1 && accepted_resizes(&sim, &id).len() == 1,
            "{case}: expected exactly one accepted resize request, got {sent:#?}"
        );
        let reported = sim.instaclustr_cluster(&id).expect("cluster still there");
        assert_eq!(reported["nodeSize"], size, "{case}: simulator: {reported}");
        let attrs = wd.state_attributes(&addr).unwrap();
        assert_eq!(attrs["node_size"], size, "{case}: state: {attrs:#}");
        let nodes = attrs["nodes"].as_array().cloned().unwrap_or_default();
        assert!(
            !nodes.is_empty() && nodes.iter().all(|n| n["size"] == size),
            "{case}: the nodes in state do not all have the new size: {attrs:#}"
        );
        wd.plan().assert_no_changes();
    }

    // --- wait_for_state: state only, with the warning; any case, "" as NONE ---
    for (value, changes) in [
        (Some("PROVISIONED"), true),
        (Some("none"), true),
        // The official provider's "do not wait".
        (Some(""), true),
        (Some("Running"), true),
        (Some("RUNNING"), true),
        // An explicit default and unset are the same value: nothing to plan.
        (None, false),
        (Some("provisioned"), true),
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

/// Node sizes that depend on the bundle: an OpenSearch cluster's `master_node_size` option is
/// resized in place (its other options replace), and a bundle the API cannot resize makes a
/// `node_size` change a plan-time error (fixed).
#[test]
fn node_sizes_by_bundle() {
    let Some(tf) = matrix_terraform("node_sizes_by_bundle") else {
        return;
    };
    let sim = fast_sim(PACE);
    let wd = Workdir::new(&tf, &[PROVIDER]);
    let mut search = Cluster::search("search", "cf_matrix_search");
    let mut connect = Cluster::bare("connect", "cf_matrix_connect");
    connect.bundles = vec![Bundle::new("KAFKA_CONNECT", "2.7.1", None)];
    let search_addr = search.address();
    wd.write_main_tf(&main_tf(&sim, &[&search, &connect]));
    wd.init().assert_success();
    wd.apply().assert_success();
    wd.plan().assert_no_changes();
    let id = state_id(&wd, &search_addr);
    let attrs = wd.state_attributes(&search_addr).unwrap();
    assert_eq!(
        attrs["node_size"], SEARCH_SIZE,
        "node_size of a search cluster comes from master_node_size: {attrs:#}"
    );

    // --- fixed: KAFKA_CONNECT nodes cannot be resized ---
    let mut bigger = connect.clone();
    bigger.node_size = Some(NODE_SIZE_BIGGER.to_owned());
    wd.write_main_tf(&main_tf(&sim, &[&search, &bigger]));
    sim.clear_requests();
    let plan = wd.plan();
    plan.assert_error();
    assert!(
        plan.flat().contains("node_size cannot be changed"),
        "KAFKA_CONNECT node_size change: expected the fixed-argument error:\n{}",
        plan.describe()
    );
    assert!(
        writes_sent(&sim, "instaclustr").is_empty(),
        "a rejected plan wrote: {:?}",
        writes_sent(&sim, "instaclustr")
    );

    // --- replace: any other option of the search bundle ---
    let mut other = search.clone();
    other.bundles[0]
        .options
        .get_or_insert_with(Vec::new)
        .push(("security_plugin".to_owned(), "true".to_owned()));
    wd.write_main_tf(&main_tf(&sim, &[&other, &connect]));
    if let Err(e) = check_replaces(&wd.plan(), &search_addr, "bundle", "search option added") {
        panic!("{e}");
    }

    // --- in place: master_node_size, through the resize API ---
    search.bundles[0].options = Some(pairs(&[
        ("master_node_size", SEARCH_SIZE_BIGGER),
        ("dedicated_master_nodes", "false"),
    ]));
    wd.write_main_tf(&main_tf(&sim, &[&search, &connect]));
    let case = "bundle[0].options.master_node_size -> bigger";
    let plan = wd.plan();
    assert_in_place(&plan, &search_addr, case);
    plan.assert_not_contains("only updates Terraform state");
    sim.clear_requests();
    wd.apply().assert_success();
    assert_eq!(state_id(&wd, &search_addr), id, "{case}: replaced");
    let resizes = accepted_resizes(&sim, &id);
    assert_eq!(
        resizes.len(),
        1,
        "{case}: expected one accepted resize: {:#?}",
        write_requests(&sim, "instaclustr")
    );
    let reported = sim.instaclustr_cluster(&id).expect("cluster still there");
    assert_eq!(
        reported["nodeSize"], SEARCH_SIZE_BIGGER,
        "{case}: simulator: {reported}"
    );
    let attrs = wd.state_attributes(&search_addr).unwrap();
    let opts = &attrs["bundle"][0]["options"];
    assert_eq!(
        opts["master_node_size"], SEARCH_SIZE_BIGGER,
        "{case}: state: {attrs:#}"
    );
    assert_eq!(
        attrs["node_size"], SEARCH_SIZE_BIGGER,
        "{case}: node_size follows the master nodes' size: {attrs:#}"
    );
    let doc = sim.instaclustr_document(&id);
    let echoed = doc["bundles"][0]["options"]["masterNodeSize"].clone();
    let plan = wd.plan();
    if echoed == SEARCH_SIZE_BIGGER {
        plan.assert_no_changes();
    } else {
        // The API did not move the size option with the resize: the next plan resizes again.
        eprintln!(
            "NOTE: {case}: the simulator still reports masterNodeSize {echoed} after the resize \
             (it does not update size options yet); the plan after the resize was not checked"
        );
    }
    eprintln!("=== node_sizes_by_bundle: {tf}: ok");
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
/// argument; removing an optional + computed argument keeps what state has and plans nothing.
/// Two clusters are applied once (one bare, one with every optional argument set); each case
/// is a plan of an edited configuration. Plans send no write request. Then the spellings of
/// the same value (semantic equality) plan an update that sends nothing.
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
    let attrs = wd.state_attributes(&bare.address()).unwrap();
    assert_eq!(
        attrs["rack_allocation"],
        serde_json::json!({"number_of_racks": "3", "nodes_per_rack": "1"}),
        "rack_allocation unset: state holds the API's 3 x 1: {attrs:#}"
    );

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
        // Optional + computed: set and changed replace (removal: see below).
        (
            Base::Bare,
            "data_centre_custom_name unset -> set",
            "data_centre_custom_name",
            |c| c.data_centre_custom_name = Some("cf_matrix_dc_other".into()),
        ),
        (
            Base::Full,
            "data_centre_custom_name value -> value",
            "data_centre_custom_name",
            |c| c.data_centre_custom_name = Some("cf_matrix_dc_other".into()),
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
        // cluster_provider: a required map declared replace as a whole, key by key.
        (
            Base::Bare,
            "cluster_provider.name value -> value",
            "cluster_provider",
            |c| c.provider_key("name", Some("GCP")),
        ),
        (
            Base::Bare,
            "cluster_provider.account_name unset -> set",
            "cluster_provider",
            |c| c.provider_key("account_name", Some("acct_other")),
        ),
        (
            Base::Full,
            "cluster_provider.account_name set -> unset",
            "cluster_provider",
            |c| c.provider_key("account_name", None),
        ),
        (
            Base::Full,
            "cluster_provider.account_name value -> value",
            "cluster_provider",
            |c| c.provider_key("account_name", Some("acct_other")),
        ),
        (
            Base::Bare,
            "cluster_provider.custom_virtual_network_id unset -> set",
            "cluster_provider",
            |c| c.provider_key("custom_virtual_network_id", Some("vpc-99")),
        ),
        (
            Base::Full,
            "cluster_provider.custom_virtual_network_id set -> unset",
            "cluster_provider",
            |c| c.provider_key("custom_virtual_network_id", None),
        ),
        (
            Base::Full,
            "cluster_provider.custom_virtual_network_id value -> value",
            "cluster_provider",
            |c| c.provider_key("custom_virtual_network_id", Some("vpc-99")),
        ),
        (
            Base::Bare,
            "cluster_provider.resource_group unset -> set",
            "cluster_provider",
            |c| c.provider_key("resource_group", Some("rg_other")),
        ),
        (
            Base::Full,
            "cluster_provider.resource_group set -> unset",
            "cluster_provider",
            |c| c.provider_key("resource_group", None),
        ),
        (
            Base::Full,
            "cluster_provider.resource_group value -> value",
            "cluster_provider",
            |c| c.provider_key("resource_group", Some("rg_other")),
        ),
        (
            Base::Bare,
            "cluster_provider.disk_encryption_key unset -> set",
            "cluster_provider",
            |c| c.provider_key("disk_encryption_key", Some("k2")),
        ),
        (
            Base::Full,
            "cluster_provider.disk_encryption_key set -> unset",
            "cluster_provider",
            |c| c.provider_key("disk_encryption_key", None),
        ),
        (
            Base::Full,
            "cluster_provider.disk_encryption_key value -> value",
            "cluster_provider",
            |c| c.provider_key("disk_encryption_key", Some("k2")),
        ),
        // tags: a top-level optional map declared replace.
        (Base::Bare, "tags unset -> set", "tags", |c| {
            c.tags = Some(pairs(&[("team", "ops")]))
        }),
        (Base::Full, "tags set -> unset", "tags", |c| c.tags = None),
        (
            Base::Full,
            "tags value -> value (one tag changed)",
            "tags",
            |c| c.tags = Some(pairs(&[("team", "ops"), ("env", "test")])),
        ),
        (
            Base::Full,
            "tags value -> value (one tag added)",
            "tags",
            |c| c.tags = Some(pairs(&[("team", "data"), ("env", "test"), ("cost", "42")])),
        ),
        (
            Base::Full,
            "tags value -> value (one tag removed)",
            "tags",
            |c| c.tags = Some(pairs(&[("team", "data")])),
        ),
        // rack_allocation: an optional + computed map declared replace (unset = state's).
        (
            Base::Bare,
            "rack_allocation unset -> set (2 x 1, not the API's 3 x 1)",
            "rack_allocation",
            |c| c.rack_allocation = racks(2, 1),
        ),
        (
            Base::Full,
            "rack_allocation.number_of_racks value -> value",
            "rack_allocation",
            |c| c.rack_allocation = racks(3, 1),
        ),
        (
            Base::Full,
            "rack_allocation.nodes_per_rack value -> value",
            "rack_allocation",
            |c| c.rack_allocation = racks(2, 2),
        ),
        // bundle: a block list declared replace as a whole (node sizes aside).
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
            |c| c.bundles[0].options = Some(pairs(&[("auth_n_authz", "true")])),
        ),
        (
            Base::Bare,
            "bundle[0].options unset -> set (API spelling)",
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
                    ("auth_n_authz", "false"),
                    ("client_encryption", "false"),
                ]))
            },
        ),
        (
            Base::Full,
            "bundle[0].options value -> value (a false switch turned on)",
            "bundle",
            |c| {
                c.bundles[0].options = Some(pairs(&[
                    ("auth_n_authz", "true"),
                    ("client_encryption", "true"),
                ]))
            },
        ),
        (
            Base::Full,
            "bundle[0].options value -> value (one option added)",
            "bundle",
            |c| {
                c.bundles[0].options = Some(pairs(&[
                    ("auth_n_authz", "true"),
                    ("client_encryption", "false"),
                    ("lucene_enabled", "true"),
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
            c.bundles.push(Bundle::new("SPARK", "3.0.1", None))
        }),
        (Base::Full, "bundle removed (set -> unset)", "bundle", |c| {
            c.bundles.truncate(1)
        }),
        (Base::Full, "bundles reordered", "bundle", |c| {
            c.bundles.reverse()
        }),
    ];

    // Edits that plan nothing: explicit defaults, the API's allocation written out, and the
    // removal of an optional + computed argument (state keeps what it has).
    let unchanged: Vec<(Base, &str, Edit)> = vec![
        (
            Base::Bare,
            "explicit defaults (sla_tier, cluster_network, private_network_cluster, \
             pci_compliant_cluster, wait_for_state)",
            |c| {
                c.sla_tier = Some("NON_PRODUCTION".into());
                c.cluster_network = Some("10.224.0.0/12".into());
                c.private_network_cluster = Some(false);
                c.pci_compliant_cluster = Some(false);
                c.wait_for_state = Some("RUNNING".into());
            },
        ),
        (
            Base::Bare,
            "rack_allocation 3 x 1 (the API's allocation) on a cluster created without one",
            |c| c.rack_allocation = racks(3, 1),
        ),
        (Base::Full, "rack_allocation removed", |c| {
            c.rack_allocation = None
        }),
        (Base::Full, "data_centre_custom_name removed", |c| {
            c.data_centre_custom_name = None
        }),
    ];

    sim.clear_requests();
    let mut failures = Vec::new();
    let edit_one = |base: Base, edit: Edit| {
        let (mut b, mut f) = (bare.clone(), full.clone());
        let edited = match base {
            Base::Bare => &mut b,
            Base::Full => &mut f,
        };
        edit(edited);
        let addr = edited.address();
        wd.write_main_tf(&main_tf(&sim, &[&b, &f]));
        (addr, wd.plan())
    };
    for (base, case, attr, edit) in &cases {
        let (addr, plan) = edit_one(*base, *edit);
        if let Err(e) = check_replaces(&plan, &addr, attr, &format!("{case} ({base:?})")) {
            failures.push(e);
        }
    }
    for (base, case, edit) in &unchanged {
        let (_, plan) = edit_one(*base, *edit);
        if plan.exit_code != 0 {
            failures.push(format!(
                "{case} ({base:?}): expected no changes:\n{}",
                plan.describe()
            ));
        }
    }

    let sent = write_requests(&sim, "instaclustr");
    assert!(sent.is_empty(), "plans sent write requests: {sent:#?}");
    assert!(
        failures.is_empty(),
        "{} of {} replace cases failed:\n\n{}",
        failures.len(),
        cases.len() + unchanged.len(),
        failures.join("\n\n")
    );
    // The applied clusters are untouched: the original configuration still plans nothing.
    wd.write_main_tf(&main_tf(&sim, &[&bare, &full]));
    wd.plan().assert_no_changes();

    // Spellings of the same value (semantic equality) replace nothing: `tags = {}` and
    // `options = {}` for none, a bundle version with the same semantic version, rack counts
    // written differently, bundle options in the API's spelling or with a `false` switch
    // added. Terraform still sees the new spelling as an update (a block cannot be computed,
    // and a configured map is taken as written); it sends nothing, and neither does the way
    // back.
    // (base, case, edit, how the edit is undone when removing it would plan nothing)
    type Spelling<'a> = (Base, &'a str, Edit, Option<Edit>);
    let spellings: Vec<Spelling> = vec![
        (Base::Bare, "tags = {}", |c| c.tags = Some(Vec::new()), None),
        (
            Base::Bare,
            "bundle[0].options = {}",
            |c| c.bundles[0].options = Some(Vec::new()),
            None,
        ),
        (
            Base::Bare,
            "bundle[0].version = apache-cassandra-4.0.1.ic4",
            |c| c.bundles[0].version = "apache-cassandra-4.0.1.ic4".into(),
            None,
        ),
        // rack_allocation is computed: removed from the configuration it keeps state's
        // spelling (checked below), so the way back writes 3 x 1 out.
        (
            Base::Bare,
            "rack_allocation { number_of_racks = \"03\", nodes_per_rack = \"1\" }",
            |c| c.rack_allocation = Some(("\"03\"".into(), "\"1\"".into())),
            Some(|c| c.rack_allocation = racks(3, 1)),
        ),
        (
            Base::Full,
            "bundle[0].options in the API's spelling, the false switch left out",
            |c| c.bundles[0].options = Some(pairs(&[("authnAuthz", "true")])),
            None,
        ),
        (
            Base::Full,
            "bundle[0].options with a false switch added",
            |c| {
                c.bundles[0].options = Some(pairs(&[
                    ("auth_n_authz", "true"),
                    ("client_encryption", "false"),
                    ("lucene_enabled", "false"),
                ]))
            },
            None,
        ),
        (
            Base::Full,
            "bundle[1].version = spark:3.0.1 (the API's spelling)",
            |c| c.bundles[1].version = "spark:3.0.1".into(),
            None,
        ),
    ];
    for (base, what, edit, undo) in spellings {
        for back in [false, true] {
            let case = format!(
                "{what} on the {base:?} cluster{}",
                if back { ", undone" } else { "" }
            );
            let (mut b, mut f) = (bare.clone(), full.clone());
            let edited = match base {
                Base::Bare => &mut b,
                Base::Full => &mut f,
            };
            match (back, undo) {
                (false, _) => edit(edited),
                (true, Some(undo)) => undo(edited),
                (true, None) => {}
            }
            let addr = edited.address();
            wd.write_main_tf(&main_tf(&sim, &[&b, &f]));
            let plan = wd.plan();
            assert_in_place(&plan, &addr, &case);
            plan.assert_not_contains("only updates Terraform state");
            // The plan says the update sends nothing.
            plan.assert_contains("means the same as before");
            sim.clear_requests();
            wd.apply().assert_success();
            let sent = write_requests(&sim, "instaclustr");
            assert!(sent.is_empty(), "{case}: apply wrote: {sent:#?}");
            wd.plan().assert_no_changes();
            if undo.is_some() && !back {
                // Left out now, the argument keeps state's spelling.
                wd.write_main_tf(&main_tf(&sim, &[&bare, &full]));
                let plan = wd.plan();
                assert!(
                    plan.exit_code == 0,
                    "{case}, then removed: expected no changes:\n{}",
                    plan.describe()
                );
            }
        }
    }
    eprintln!(
        "=== replace_arguments: {tf}: ok ({} cases)",
        cases.len() + unchanged.len()
    );
}

// ---------------------------------------------------------------------------------------------
// Plan-time errors
// ---------------------------------------------------------------------------------------------

/// The official provider's arguments this resource does not implement are rejected at plan
/// time, each by name on its own attribute, alone and all together; so are an unknown key of
/// `cluster_provider`, an unknown snake_case bundle option, a missing `node_size` and other
/// invalid values. No case sends any API request.
#[test]
fn unsupported_and_invalid_arguments_fail_at_plan_time() {
    let Some(tf) = matrix_terraform("unsupported_and_invalid_arguments_fail_at_plan_time") else {
        return;
    };
    let sim = fast_sim(PACE);
    let wd = Workdir::new(&tf, &[PROVIDER]);
    let base = Cluster::bare("test", "cf_matrix_rejected");
    wd.write_main_tf(&main_tf(&sim, &[&base]));
    wd.init().assert_success();

    // (attribute, its HCL)
    let unsupported: &[(&str, &str)] = &[
        (
            "data_centres",
            "data_centres {\n    name        = \"second\"\n    data_centre = \"US_EAST_1\"\n  }",
        ),
        (
            "kafka_rest_proxy_user_password",
            "kafka_rest_proxy_user_password = \"pw_rest_1\"",
        ),
        (
            "kafka_schema_registry_user_password",
            "kafka_schema_registry_user_password = \"pw_registry_1\"",
        ),
        (
            "kafka_connect_credential",
            "kafka_connect_credential {\n    aws_access_key = \"AKIAEXAMPLE\"\n  }",
        ),
        (
            "private_link",
            "private_link {\n    iam_principal_arns = [\"arn:aws:iam::111122223333:root\"]\n  }",
        ),
        ("oidc_provider", "oidc_provider = \"oidc_1\""),
        (
            "bundles",
            "bundles = [{ bundle = \"APACHE_CASSANDRA\", version = \"4.0.1\" }]",
        ),
    ];
    let mut failures = Vec::new();
    // `needles`: texts the errors must contain; `pointed`: arguments whose configuration line
    // an error must quote (Terraform prints `NN:   <name> = …` under a diagnostic on it).
    let mut check = |case: &str, c: &Cluster, needles: &[String], pointed: &[&str]| {
        sim.clear_requests();
        wd.write_main_tf(&main_tf(&sim, &[c]));
        let plan = wd.plan();
        let flat = plan.flat();
        let missing: Vec<&String> = needles.iter().filter(|n| !flat.contains(*n)).collect();
        let unpointed: Vec<&&str> = pointed
            .iter()
            .filter(|name| !quotes_line_of(&flat, name))
            .collect();
        if plan.exit_code != 1
            || !plan.stderr.contains("Error")
            || !missing.is_empty()
            || !unpointed.is_empty()
        {
            failures.push(format!(
                "{case}: expected a plan-time error with {missing:?}, quoting the line of \
                 {unpointed:?}:\n{}",
                plan.describe()
            ));
        }
        let sent = sim.vendor_requests("instaclustr");
        if !sent.is_empty() {
            failures.push(format!("{case}: requests were sent: {sent:#?}"));
        }
    };
    // Terraform quotes the configuration line of a diagnostic's path only when the path ends
    // at an attribute; for a block it shows the resource's first line, wherever the provider
    // points. So only the attributes are checked for the quoted line.
    let is_block = |hcl: &str| hcl.trim_end().ends_with('}') && !hcl.contains(" = [{");
    let attributes: Vec<&str> = unsupported
        .iter()
        .filter(|(_, h)| !is_block(h))
        .map(|(n, _)| *n)
        .collect();
    assert_eq!(attributes.len(), 4, "{attributes:?}");
    for (name, hcl) in unsupported {
        let mut c = base.clone();
        c.extra.push((*hcl).to_owned());
        let pointed: &[&str] = if is_block(hcl) { &[] } else { &[name] };
        check(
            &format!("{name} set"),
            &c,
            &[format!("{name} is not supported")],
            pointed,
        );
    }
    let mut all = base.clone();
    all.extra = unsupported.iter().map(|(_, h)| (*h).to_owned()).collect();
    check(
        "every unsupported argument at once",
        &all,
        &unsupported
            .iter()
            .map(|(n, _)| format!("{n} is not supported"))
            .collect::<Vec<_>>(),
        &attributes,
    );

    let invalid: Vec<(&str, Edit, &[&str])> = vec![
        (
            "cluster_provider with an unknown key",
            |c| c.provider_key("region", Some("us-west-2")),
            &["region", "cluster_provider"],
        ),
        (
            "cluster_provider without name",
            |c| c.cluster_provider = pairs(&[("account_name", "acct")]),
            &["cluster_provider", "name"],
        ),
        (
            "bundle option with an unknown snake_case key",
            |c| c.bundles[0].options = Some(pairs(&[("auth_n_auth", "true")])),
            &["auth_n_auth"],
        ),
        (
            "bundle option with a value of the wrong type",
            |c| c.bundles[0].options = Some(pairs(&[("auth_n_authz", "maybe")])),
            &["auth_n_authz"],
        ),
        (
            "node_size missing for APACHE_CASSANDRA",
            |c| c.node_size = None,
            &["node_size"],
        ),
        (
            "node_size set for OPENSEARCH",
            |c| {
                *c = Cluster::search("test", "cf_matrix_rejected");
                c.node_size = Some(NODE_SIZE.into());
            },
            &["node_size"],
        ),
        (
            "rack_allocation without nodes_per_rack",
            |c| {
                c.extra
                    .push("rack_allocation = { number_of_racks = 3 }".into())
            },
            &["rack_allocation", "nodes_per_rack"],
        ),
        (
            "wait_for_state not a state",
            |c| c.wait_for_state = Some("SOON".into()),
            &["wait_for_state"],
        ),
        (
            "data_centre_custom_name empty",
            |c| c.data_centre_custom_name = Some(String::new()),
            &["data_centre_custom_name"],
        ),
    ];
    for (case, edit, needles) in invalid {
        let mut c = base.clone();
        edit(&mut c);
        let needles: Vec<String> = needles.iter().map(|n| n.to_string()).collect();
        check(case, &c, &needles, &[]);
    }
    assert!(
        failures.is_empty(),
        "{tf}: {} plan-time error case(s) failed:\n\n{}",
        failures.len(),
        failures.join("\n\n=====\n\n")
    );
    eprintln!("=== unsupported_and_invalid_arguments_fail_at_plan_time: {tf}: ok");
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
/// with one warning listing exactly what the API does not report back: `wait_for_state`
/// (never an API setting), `cluster_provider` when it sets keys besides `name` (they are not
/// read back), and `data_centre_custom_name` when configured but absent from the API's cluster
/// document; no state-only warning; apply sends no write request; the next plan is empty.
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
    let applied = wd.state_attributes(&addr).unwrap();

    let doc = sim.instaclustr_document(&id);
    let mut unreadable = vec!["wait_for_state"];
    if cluster.provider_has_more_than_name() {
        unreadable.push("cluster_provider");
    }
    if cluster.data_centre_custom_name.is_some() && !reports_custom_name(&doc) {
        unreadable.push("data_centre_custom_name");
    }

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
            assert_eq!(imported["cluster_id"], id.as_str(), "{case}: {imported:#}");
            for read in [
                "node_size",
                "rack_allocation",
                "default_data_centre_id",
                "private_contact_point",
            ] {
                assert_eq!(
                    imported[read], applied[read],
                    "{case}: {read} read back differently: {imported:#}"
                );
            }
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
        assert_one_import_warning_listing(&plan, &unreadable, &case);
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

/// [`support::matrix::assert_one_import_warning`], whose message names the arguments in the
/// order the plan walks them: compared as a set.
#[track_caller]
fn assert_one_import_warning_listing(plan: &PlanResult, names: &[&str], case: &str) {
    let want: BTreeSet<String> = names.iter().map(|n| n.to_string()).collect();
    assert_eq!(
        plan.flat().matches(IMPORT_WARNING).count(),
        1,
        "{case}: expected one import warning:\n{}",
        plan.describe()
    );
    plan.assert_not_contains("similar warning");
    assert_eq!(
        import_warning_lists(plan),
        vec![want],
        "{case}: the import warning should list exactly the arguments the API cannot \
         report back:\n{}",
        plan.describe()
    );
    plan.assert_not_contains("only updates Terraform state");
}

/// Import, then plan with every optional argument configured: once with explicit defaults
/// (`sla_tier = "NON_PRODUCTION"`, `rack_allocation = { 3 × 1 }`, `wait_for_state =
/// "RUNNING"`, …) and once with non-default values (two bundles, options in snake_case,
/// private network, PCI, 2 × 1 racks, tags, a custom data centre name, …). On every Terraform
/// version with `terraform import`; on 1.5+ also with an `import` block.
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
