//! Acceptance tests for `instaclustr_cluster` with the real Terraform CLI against
//! `clusterform-sim`. Every scenario runs once per available Terraform version (see
//! `support::terraform_versions`), sequentially, each run with its own simulator and work dir.
//!
//! Terraform's wording differs between 0.13 and 1.x ("No changes. Infrastructure is up-to-date."
//! vs "No changes. Your infrastructure matches the configuration."), so the tests lean on
//! `-detailed-exitcode` and on the `Plan: A to add, C to change, D to destroy.` line, which is the
//! same everywhere, and only on short substrings otherwise.

mod support;

use std::time::Duration;

use serde_json::{json, Value};
use support::{
    hcl_string, required_providers, wait_until, Sim, Terraform, Workdir, IC_KEY, IC_USER,
    PROVIDER_VERSION,
};

const PROVIDER: (&str, &str) = (
    "instaclustr",
    env!("CARGO_BIN_EXE_terraform-provider-instaclustr"),
);
const ADDR: &str = "instaclustr_cluster.test";
const NODE_SIZE: &str = "t3.small-v2";
const NODE_SIZE_BIGGER: &str = "m5l-250-v2";

// ---------------------------------------------------------------------------------------------
// Configuration builders
// ---------------------------------------------------------------------------------------------

/// The `provider "instaclustr"` block.
#[derive(Clone)]
struct ProviderCfg {
    username: Option<String>,
    api_key: Option<String>,
    api_hostname: String,
    request_interval: String,
}

impl ProviderCfg {
    fn for_sim(sim: &Sim) -> ProviderCfg {
        ProviderCfg {
            username: Some(IC_USER.to_owned()),
            api_key: Some(IC_KEY.to_owned()),
            api_hostname: sim.instaclustr_url(),
            request_interval: "0s".to_owned(),
        }
    }

    fn hcl(&self) -> String {
        let mut s = String::from("provider \"instaclustr\" {\n");
        if let Some(u) = &self.username {
            s.push_str(&format!("  username         = {}\n", hcl_string(u)));
        }
        if let Some(k) = &self.api_key {
            s.push_str(&format!("  api_key          = {}\n", hcl_string(k)));
        }
        s.push_str(&format!(
            "  api_hostname     = {}\n",
            hcl_string(&self.api_hostname)
        ));
        s.push_str(&format!(
            "  request_interval = {}\n",
            hcl_string(&self.request_interval)
        ));
        s.push_str("}\n");
        s
    }
}

/// The `resource "instaclustr_cluster" "test"` block, in the official v1 provider's shape.
#[derive(Clone)]
struct ClusterCfg {
    cluster_name: String,
    /// `None`: left out (only OPENSEARCH and ELASTICSEARCH may leave it out).
    node_size: Option<String>,
    data_centre: String,
    sla_tier: Option<String>,
    /// The `cluster_provider` map as raw HCL.
    cluster_provider: String,
    rack_allocation: Option<(u32, u32)>,
    /// The `bundle` block's `options` map as raw HCL.
    options: Option<String>,
    /// Raw extra lines inside the resource block.
    extra: String,
}

impl ClusterCfg {
    fn new(name: &str) -> ClusterCfg {
        ClusterCfg {
            cluster_name: name.to_owned(),
            node_size: Some(NODE_SIZE.to_owned()),
            data_centre: "US_WEST_2".to_owned(),
            sla_tier: None,
            cluster_provider: "{ name = \"AWS_VPC\" }".to_owned(),
            rack_allocation: None,
            options: None,
            extra: String::new(),
        }
    }

    fn hcl(&self) -> String {
        let mut s = String::from("resource \"instaclustr_cluster\" \"test\" {\n");
        s.push_str(&format!(
            "  cluster_name = {}\n",
            hcl_string(&self.cluster_name)
        ));
        if let Some(size) = &self.node_size {
            s.push_str(&format!("  node_size    = {}\n", hcl_string(size)));
        }
        s.push_str(&format!(
            "  data_centre  = {}\n",
            hcl_string(&self.data_centre)
        ));
        if let Some(tier) = &self.sla_tier {
            s.push_str(&format!("  sla_tier     = {}\n", hcl_string(tier)));
        }
        s.push_str(&format!(
            "\n  cluster_provider = {}\n",
            self.cluster_provider
        ));
        if let Some((racks, nodes)) = self.rack_allocation {
            s.push_str(&format!(
                "  rack_allocation = {{ number_of_racks = {racks}, nodes_per_rack = {nodes} }}\n"
            ));
        }
        s.push_str("\n  bundle {\n    bundle  = \"APACHE_CASSANDRA\"\n    version = \"4.0.1\"\n");
        if let Some(options) = &self.options {
            s.push_str(&format!("    options = {options}\n"));
        }
        s.push_str("  }\n");
        s.push_str(&self.extra);
        s.push_str("}\n");
        s
    }
}

fn main_tf(provider: &ProviderCfg, cluster: Option<&ClusterCfg>) -> String {
    let mut s = required_providers(&["instaclustr"]);
    s.push('\n');
    s.push_str(&provider.hcl());
    if let Some(c) = cluster {
        s.push('\n');
        s.push_str(&c.hcl());
    }
    s
}

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/// Runs `scenario` once per available Terraform version, each with a fresh simulator and an
/// initialised work dir whose main.tf is `config(&sim)`.
fn for_each_terraform(scenario_name: &str, mut scenario: impl FnMut(&Terraform, &Sim, &Workdir)) {
    let versions = support::terraform_versions();
    if versions.is_empty() {
        eprintln!("SKIP: {scenario_name}: no Terraform binary available");
        return;
    }
    for tf in &versions {
        eprintln!("=== {scenario_name}: {tf}");
        let sim = Sim::start();
        let wd = Workdir::new(tf, &[PROVIDER]);
        scenario(tf, &sim, &wd);
        eprintln!("=== {scenario_name}: {tf}: ok");
    }
}

/// Writes main.tf and runs `terraform init`, asserting success.
fn init_with(wd: &Workdir, hcl: &str) {
    wd.write_main_tf(hcl);
    wd.init().assert_success();
}

/// The cluster id Terraform holds in state.
fn state_id(wd: &Workdir) -> String {
    let attrs = wd
        .state_attributes(ADDR)
        .unwrap_or_else(|| panic!("{ADDR} is not in state:\n{:#}", wd.state()));
    attrs["id"]
        .as_str()
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| panic!("{ADDR} has no id in state: {attrs:#}"))
        .to_owned()
}

fn status_of(c: &Value) -> &str {
    c["clusterStatus"].as_str().unwrap_or("")
}

/// Waits until the simulator no longer has the cluster, or shows it DELETED.
fn wait_gone_or_deleted(sim: &Sim, id: &str) {
    wait_until(
        Duration::from_secs(30),
        &format!("cluster {id} to be DELETED or gone"),
        || match sim.instaclustr_cluster(id) {
            None => Some(()),
            Some(c) if status_of(&c) == "DELETED" => Some(()),
            Some(_) => None,
        },
    );
}

/// Whether `tf` has a feature that came with `version`; says so visibly when it has not.
fn at_least(tf: &Terraform, version: (u32, u32, u32), feature: &str) -> bool {
    let ok = tf.version_tuple() >= version;
    if !ok {
        eprintln!(
            "SKIP: {tf}: no {feature} before {}.{}",
            version.0, version.1
        );
    }
    ok
}

/// The Instaclustr requests that could change something (anything but a GET).
fn write_requests(sim: &Sim) -> Vec<Value> {
    sim.vendor_requests("instaclustr")
        .into_iter()
        .filter(|r| r["method"] != "GET")
        .collect()
}

/// Asserts that the simulator holds no cluster that isn't DELETED (or gone).
#[track_caller]
fn assert_no_live_clusters(sim: &Sim, tf: &Terraform) {
    let live = sim.instaclustr_live_clusters();
    assert!(
        live.is_empty(),
        "{tf}: the simulator still has live clusters after destroy: {live:#?}"
    );
}

/// Instaclustr requests that the simulator answered with `status`.
fn requests_with_status(sim: &Sim, status: u64) -> Vec<Value> {
    sim.vendor_requests("instaclustr")
        .into_iter()
        .filter(|r| r["status"].as_u64() == Some(status))
        .collect()
}

/// A JSON count the API may write as a number or as a string of digits.
fn count(v: &Value) -> Option<u64> {
    v.as_u64()
        .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
}

// ---------------------------------------------------------------------------------------------
// Harness self-checks: these need Terraform and the simulator, not a working provider.
// ---------------------------------------------------------------------------------------------

/// `terraform init` of an empty configuration works with the harness CLI config on every version.
#[test]
fn harness_init_empty_config() {
    let versions = support::terraform_versions();
    for tf in &versions {
        eprintln!("=== harness_init_empty_config: {tf}");
        let wd = Workdir::new(tf, &[PROVIDER]);
        wd.write_main_tf("");
        wd.init().assert_success();
        let plan = wd.plan();
        plan.assert_no_changes();
        let show = wd.show_json();
        assert!(
            show["format_version"].is_string(),
            "{tf}: show -json: {show}"
        );
    }
}

/// `terraform init` installs the freshly built provider from the work dir's filesystem mirror,
/// without the network (the provider is not started by init).
#[test]
fn harness_init_installs_provider_from_mirror() {
    for tf in &support::terraform_versions() {
        eprintln!("=== harness_init_installs_provider_from_mirror: {tf}");
        let wd = Workdir::new(tf, &[PROVIDER]);
        wd.write_main_tf(&required_providers(&["instaclustr"]));
        let out = wd.init();
        out.assert_success();
        out.assert_contains(&format!("clusterform/instaclustr v{PROVIDER_VERSION}"));
        let tree = if tf.is_pre_1_0() {
            "plugins"
        } else {
            "providers"
        };
        let bin = wd
            .path()
            .join(format!(
                ".terraform/{tree}/registry.terraform.io/clusterform/instaclustr/{PROVIDER_VERSION}/linux_amd64"
            ))
            .join(format!("terraform-provider-instaclustr_v{PROVIDER_VERSION}"));
        assert!(
            bin.exists(),
            "{tf}: {} not installed:\n{}",
            bin.display(),
            out.describe()
        );
    }
}

/// The simulator starts, answers the admin API, and stops.
#[test]
fn harness_sim_admin_api() {
    let sim = Sim::start();
    assert!(sim.url().starts_with("http://127.0.0.1:"), "{}", sim.url());
    sim.clear_requests();
    assert_eq!(sim.requests()["total"], json!(0));
    assert!(sim.instaclustr_clusters().is_empty());
    sim.set_config(json!({ "pace_ms": 100, "rate_limit_ms": 0 }));
    sim.inject_fault(
        json!({ "vendor": "instaclustr", "method": "GET", "status": 503, "times": 1 }),
    );
}

// ---------------------------------------------------------------------------------------------
// Scenarios
// ---------------------------------------------------------------------------------------------

/// (a) apply, then an empty plan; destroy leaves nothing alive in the simulator.
#[test]
fn apply_then_plan_is_empty_then_destroy() {
    for_each_terraform("apply_then_plan_is_empty_then_destroy", |tf, sim, wd| {
        let cluster = ClusterCfg::new("cf_acc_basic");
        init_with(wd, &main_tf(&ProviderCfg::for_sim(sim), Some(&cluster)));

        wd.apply().assert_success();
        let id = state_id(wd);
        let c = sim
            .instaclustr_cluster(&id)
            .unwrap_or_else(|| panic!("{tf}: cluster {id} from state is not in the simulator"));
        assert_eq!(c["clusterName"], "cf_acc_basic", "{tf}: {c}");
        assert_eq!(
            status_of(&c),
            "RUNNING",
            "{tf}: apply returned before RUNNING: {c}"
        );
        let attrs = wd.state_attributes(ADDR).unwrap();
        assert_eq!(attrs["cluster_status"], "RUNNING", "{tf}: {attrs:#}");
        assert_eq!(
            attrs["sla_tier"], "NON_PRODUCTION",
            "{tf}: default not in state: {attrs:#}"
        );
        // The official provider's computed attributes.
        assert_eq!(attrs["cluster_id"], id.as_str(), "{tf}: {attrs:#}");
        assert!(
            attrs["default_data_centre_id"]
                .as_str()
                .is_some_and(|s| !s.is_empty()),
            "{tf}: no default_data_centre_id: {attrs:#}"
        );
        assert!(
            attrs.get("data_centre_id").is_none(),
            "{tf}: the old name is still in state: {attrs:#}"
        );
        let private = attrs["private_contact_point"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        let public = attrs["public_contact_point"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        assert!(
            !private.is_empty() && private.len() == public.len(),
            "{tf}: one private and one public contact point per rack expected: {attrs:#}"
        );
        assert_eq!(
            attrs["cluster_provider"],
            json!({ "name": "AWS_VPC" }),
            "{tf}: {attrs:#}"
        );
        // Unset, rack_allocation is what the API allocated: 3 racks of 1 node.
        assert_eq!(
            attrs["rack_allocation"],
            json!({ "number_of_racks": "3", "nodes_per_rack": "1" }),
            "{tf}: {attrs:#}"
        );
        // `terraform show -json` agrees with the state file (format 0.1 on 0.13.5, 0.2 on 1.0.3).
        let show = wd.show_json();
        let shown = show["values"]["root_module"]["resources"]
            .as_array()
            .and_then(|rs| rs.iter().find(|r| r["address"] == ADDR))
            .unwrap_or_else(|| panic!("{tf}: {ADDR} not in `terraform show -json`: {show:#}"));
        assert_eq!(shown["values"]["id"], id.as_str(), "{tf}: {shown:#}");

        wd.plan().assert_no_changes();

        wd.destroy().assert_success();
        assert!(
            wd.state_instance(ADDR).is_none(),
            "{tf}: still in state after destroy"
        );
        assert_no_live_clusters(sim, tf);
    });
}

/// (b) import by id into an empty state with the same config, then an empty plan.
#[test]
fn import_then_plan_is_empty() {
    for_each_terraform("import_then_plan_is_empty", |tf, sim, wd| {
        let cluster = ClusterCfg::new("cf_acc_import");
        let config = main_tf(&ProviderCfg::for_sim(sim), Some(&cluster));
        init_with(wd, &config);
        wd.apply().assert_success();
        let id = state_id(wd);

        // Start from an empty state with the same configuration.
        wd.remove_file("terraform.tfstate");
        wd.remove_file("terraform.tfstate.backup");
        assert!(wd.state_instance(ADDR).is_none());

        let out = wd.import(ADDR, &id);
        out.assert_success();
        out.assert_contains("Import successful");
        assert_eq!(state_id(wd), id, "{tf}: imported id differs");

        // The API never reports wait_for_state: the first plan records its default in state
        // only, with the import warning, and never replaces. The rack allocation the API
        // reports (its default 3 × 1) equals "not set", so it goes without a replacement too.
        let plan = wd.plan();
        plan.assert_changes(0, 1, 0);
        plan.assert_not_contains("must be replaced");
        // Terraform 0.13 drops a plan's warnings (its plan walk keeps errors only).
        if !tf.is_pre_1_0() {
            plan.assert_contains("Arguments recorded in state only after import");
            plan.assert_contains("`wait_for_state`");
        }
        sim.clear_requests();
        wd.apply().assert_success();
        let writes = write_requests(sim);
        assert!(
            writes.is_empty(),
            "{tf}: a state-only update wrote: {writes:?}"
        );
        wd.plan().assert_no_changes();

        wd.destroy().assert_success();
        assert_no_live_clusters(sim, tf);
    });
}

/// (c) a cluster deleted behind Terraform's back drops out of state and is planned again.
#[test]
fn drift_deleted_outside_terraform_is_recreated() {
    for_each_terraform(
        "drift_deleted_outside_terraform_is_recreated",
        |tf, sim, wd| {
            let cluster = ClusterCfg::new("cf_acc_drift");
            init_with(wd, &main_tf(&ProviderCfg::for_sim(sim), Some(&cluster)));
            wd.apply().assert_success();
            let old_id = state_id(wd);

            sim.instaclustr_delete_behind_back(&old_id);
            wait_gone_or_deleted(sim, &old_id);

            let plan = wd.plan();
            plan.assert_changes(1, 0, 0);

            wd.apply().assert_success();
            let new_id = state_id(wd);
            assert_ne!(new_id, old_id, "{tf}: apply did not create a new cluster");
            let c = sim
                .instaclustr_cluster(&new_id)
                .unwrap_or_else(|| panic!("{tf}: new cluster {new_id} not in the simulator"));
            assert_eq!(status_of(&c), "RUNNING", "{tf}: {c}");
            wd.plan().assert_no_changes();

            wd.destroy().assert_success();
            assert_no_live_clusters(sim, tf);
        },
    );
}

/// (d) changing node_size is an in-place update through the resize API.
#[test]
fn node_size_change_is_in_place_resize() {
    for_each_terraform("node_size_change_is_in_place_resize", |tf, sim, wd| {
        let provider = ProviderCfg::for_sim(sim);
        let mut cluster = ClusterCfg::new("cf_acc_resize");
        init_with(wd, &main_tf(&provider, Some(&cluster)));
        wd.apply().assert_success();
        let id = state_id(wd);

        cluster.node_size = Some(NODE_SIZE_BIGGER.to_owned());
        wd.write_main_tf(&main_tf(&provider, Some(&cluster)));
        let plan = wd.plan();
        plan.assert_changes(0, 1, 0);
        plan.assert_contains("updated in-place");
        plan.assert_not_contains("must be replaced");

        sim.clear_requests();
        wd.apply().assert_success();
        assert_eq!(state_id(wd), id, "{tf}: resize replaced the cluster");
        let resizes: Vec<Value> = sim
            .vendor_requests("instaclustr")
            .into_iter()
            .filter(|r| {
                r["method"] == "POST" && r["path"].as_str().unwrap_or("").ends_with("/resize")
            })
            .collect();
        assert!(
            !resizes.is_empty(),
            "{tf}: no resize request was sent: {:#}",
            sim.requests()
        );
        let c = sim.instaclustr_cluster(&id).expect("cluster still there");
        assert_eq!(c["nodeSize"], NODE_SIZE_BIGGER, "{tf}: simulator: {c}");
        assert_eq!(
            status_of(&c),
            "RUNNING",
            "{tf}: apply returned before RUNNING: {c}"
        );
        let attrs = wd.state_attributes(ADDR).unwrap();
        assert_eq!(
            attrs["node_size"], NODE_SIZE_BIGGER,
            "{tf}: state: {attrs:#}"
        );

        wd.plan().assert_no_changes();
        wd.destroy().assert_success();
        assert_no_live_clusters(sim, tf);
    });
}

/// (e) changing data_centre plans a replacement.
#[test]
fn data_centre_change_forces_replacement() {
    for_each_terraform("data_centre_change_forces_replacement", |tf, sim, wd| {
        let provider = ProviderCfg::for_sim(sim);
        let mut cluster = ClusterCfg::new("cf_acc_replace");
        init_with(wd, &main_tf(&provider, Some(&cluster)));
        wd.apply().assert_success();
        let old_id = state_id(wd);

        cluster.data_centre = "US_EAST_1".to_owned();
        wd.write_main_tf(&main_tf(&provider, Some(&cluster)));
        let plan = wd.plan();
        plan.assert_changes(1, 0, 1);
        plan.assert_contains("must be replaced");

        wd.apply().assert_success();
        let new_id = state_id(wd);
        assert_ne!(new_id, old_id, "{tf}: replacement kept the old id");
        // Delete waits for DELETED (or 404) before Terraform creates the replacement.
        let old = sim.instaclustr_cluster(&old_id);
        assert!(
            old.as_ref().is_none_or(|c| status_of(c) == "DELETED"),
            "{tf}: old cluster not deleted: {old:?}"
        );
        wd.plan().assert_no_changes();
        wd.destroy().assert_success();
        assert_no_live_clusters(sim, tf);
    });
}

/// The official provider's shape reaches the API translated: `cluster_provider` keys, top-level
/// `tags` (as `provider.tags`), `rack_allocation`, and snake_case bundle options under the API's
/// names and types. State keeps the configuration's spelling and the next plan is empty; left
/// out, `rack_allocation` keeps what state has; the same options and version in the API's
/// spelling plan an update that sends nothing.
#[test]
fn official_shape_reaches_the_api_translated() {
    for_each_terraform(
        "official_shape_reaches_the_api_translated",
        |tf, sim, wd| {
            let provider = ProviderCfg::for_sim(sim);
            let mut cluster = ClusterCfg::new("cf_acc_shape");
            cluster.cluster_provider =
                "{ name = \"AWS_VPC\", account_name = \"acct_acc\" }".to_owned();
            cluster.rack_allocation = Some((2, 1));
            cluster.options = Some("{ auth_n_authz = true, client_encryption = false }".to_owned());
            cluster.extra = "\n  tags = { team = \"acc\" }\n  wait_for_state = \"running\"\n  \
             data_centre_custom_name = \"cf_acc_shape_dc\"\n"
                .to_owned();
            init_with(wd, &main_tf(&provider, Some(&cluster)));
            wd.apply().assert_success();
            let id = state_id(wd);

            let doc = sim.instaclustr_document(&id);
            let sent = &doc["bundles"][0];
            let options = sent["options"].as_object().cloned().unwrap_or_default();
            assert_eq!(
                options.get("authnAuthz"),
                Some(&json!(true)),
                "{tf}: auth_n_authz did not reach the API as authnAuthz = true: {doc:#}"
            );
            assert!(
                options
                    .get("clientEncryption")
                    .is_none_or(|v| v == &json!(false)),
                "{tf}: client_encryption = false reached the API as something else: {doc:#}"
            );
            assert!(
                options.keys().all(|k| !k.contains('_')),
                "{tf}: a snake_case key reached the API: {doc:#}"
            );
            // "4.0.1" as sent, or in the API's spelling of the same version.
            assert!(
                sent["version"]
                    .as_str()
                    .is_some_and(|v| v == "4.0.1" || v.contains("-4.0.1.") || v.contains(":4.0.1")),
                "{tf}: version: {doc:#}"
            );
            assert_eq!(doc["provider"]["name"], "AWS_VPC", "{tf}: {doc:#}");
            assert_eq!(doc["provider"]["accountName"], "acct_acc", "{tf}: {doc:#}");
            assert_eq!(
                doc["provider"]["tags"],
                json!({ "team": "acc" }),
                "{tf}: {doc:#}"
            );
            assert_eq!(
                (
                    count(&doc["rackAllocation"]["numberOfRacks"]),
                    count(&doc["rackAllocation"]["nodesPerRack"])
                ),
                (Some(2), Some(1)),
                "{tf}: {doc:#}"
            );

            let attrs = wd.state_attributes(ADDR).unwrap();
            assert_eq!(
                attrs["bundle"][0]["options"],
                json!({ "auth_n_authz": "true", "client_encryption": "false" }),
                "{tf}: state does not keep the configuration's spelling: {attrs:#}"
            );
            assert_eq!(attrs["bundle"][0]["version"], "4.0.1", "{tf}: {attrs:#}");
            assert_eq!(
                attrs["cluster_provider"],
                json!({ "name": "AWS_VPC", "account_name": "acct_acc" }),
                "{tf}: {attrs:#}"
            );
            assert_eq!(attrs["tags"], json!({ "team": "acc" }), "{tf}: {attrs:#}");
            assert_eq!(attrs["wait_for_state"], "running", "{tf}: {attrs:#}");
            wd.plan().assert_no_changes();

            // Left out, rack_allocation keeps what state has.
            let mut no_racks = cluster.clone();
            no_racks.rack_allocation = None;
            wd.write_main_tf(&main_tf(&provider, Some(&no_racks)));
            wd.plan().assert_no_changes();

            // The same options and version in the API's spelling: an update that sends nothing.
            let mut api_spelling = no_racks.clone();
            api_spelling.options = Some("{ authnAuthz = true }".to_owned());
            let hcl = main_tf(&provider, Some(&api_spelling)).replace(
                "version = \"4.0.1\"",
                "version = \"apache-cassandra-4.0.1.ic1\"",
            );
            wd.write_main_tf(&hcl);
            let plan = wd.plan();
            plan.assert_changes(0, 1, 0);
            plan.assert_not_contains("must be replaced");
            if !tf.is_pre_1_0() {
                plan.assert_contains("means the same as before");
            }
            sim.clear_requests();
            wd.apply().assert_success();
            let writes = write_requests(sim);
            assert!(writes.is_empty(), "{tf}: a new spelling wrote: {writes:?}");
            assert_eq!(state_id(wd), id, "{tf}: replaced");
            wd.plan().assert_no_changes();

            wd.destroy().assert_success();
            assert_no_live_clusters(sim, tf);
        },
    );
}

/// (f) invalid arguments fail at plan time, on the attribute, and send no request.
#[test]
fn invalid_arguments_fail_plan_without_requests() {
    for_each_terraform(
        "invalid_arguments_fail_plan_without_requests",
        |tf, sim, wd| {
            let provider = ProviderCfg::for_sim(sim);
            init_with(wd, &main_tf(&provider, None));

            let bad_name = ClusterCfg::new("bad name!");
            let mut bad_tier = ClusterCfg::new("cf_acc_bad_tier");
            bad_tier.sla_tier = Some("GOLD".to_owned());
            let mut bad_racks = ClusterCfg::new("cf_acc_bad_racks");
            bad_racks.rack_allocation = Some((9, 1));
            let mut bad_provider_key = ClusterCfg::new("cf_acc_bad_provider");
            bad_provider_key.cluster_provider =
                "{ name = \"AWS_VPC\", regoin = \"us-west-2\" }".to_owned();
            let mut bad_option = ClusterCfg::new("cf_acc_bad_option");
            bad_option.options = Some("{ auth_n_auth = true }".to_owned());
            let mut no_size = ClusterCfg::new("cf_acc_no_size");
            no_size.node_size = None;
            // Official arguments not implemented here, one attribute and one block.
            let mut oidc = ClusterCfg::new("cf_acc_oidc");
            oidc.extra = "  oidc_provider = \"oidc_1\"\n".to_owned();
            let mut data_centres = ClusterCfg::new("cf_acc_data_centres");
            data_centres.extra =
                "\n  data_centres {\n    data_centre = \"US_EAST_1\"\n  }\n".to_owned();

            for (attr, cfg) in [
                ("cluster_name", &bad_name),
                ("sla_tier", &bad_tier),
                ("number_of_racks", &bad_racks),
                ("\"regoin\"", &bad_provider_key),
                ("\"auth_n_auth\"", &bad_option),
                ("node_size", &no_size),
                ("oidc_provider is not supported", &oidc),
                ("data_centres is not supported", &data_centres),
            ] {
                sim.clear_requests();
                wd.write_main_tf(&main_tf(&provider, Some(cfg)));
                let plan = wd.plan();
                plan.assert_error();
                assert!(
                    plan.flat().contains(attr),
                    "{tf}: the error does not mention {attr}:\n{}",
                    plan.describe()
                );
                assert!(
                    plan.stderr.contains("Error"),
                    "{tf}: no error diagnostic on stderr:\n{}",
                    plan.describe()
                );
                let sent = sim.vendor_requests("instaclustr");
                assert!(
                    sent.is_empty(),
                    "{tf}: invalid {attr} still sent requests: {sent:#?}\n{}",
                    plan.describe()
                );
            }
            assert!(
                sim.instaclustr_clusters().is_empty(),
                "{tf}: a cluster was created"
            );
        },
    );
}

/// (g) a cluster whose provisioning FAILED: apply fails, the id stays in state (tainted) so
/// nothing leaks, and destroy deletes it.
#[test]
fn failed_provisioning_taints_and_destroy_cleans_up() {
    for_each_terraform(
        "failed_provisioning_taints_and_destroy_cleans_up",
        |tf, sim, wd| {
            let cluster = ClusterCfg::new("cf_acc_failed");
            init_with(wd, &main_tf(&ProviderCfg::for_sim(sim), Some(&cluster)));

            sim.instaclustr_next_create_outcome("FAILED");
            let out = wd.apply();
            out.assert_failure();
            out.assert_contains("FAILED");

            let inst = wd.state_instance(ADDR).unwrap_or_else(|| {
                panic!(
                    "{tf}: the failed cluster is not in state (leak):\n{}",
                    out.describe()
                )
            });
            assert_eq!(inst["status"], "tainted", "{tf}: not tainted: {inst:#}");
            let id = inst["attributes"]["id"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
            let c = sim
                .instaclustr_cluster(&id)
                .unwrap_or_else(|| panic!("{tf}: state id {id:?} is not a simulator cluster"));
            assert_eq!(status_of(&c), "FAILED", "{tf}: {c}");

            wd.destroy().assert_success();
            assert!(
                wd.state_instance(ADDR).is_none(),
                "{tf}: still in state after destroy"
            );
            assert_no_live_clusters(sim, tf);
        },
    );
}

// Ctrl-C during a create, a resize and a delete: tests/interrupts.rs.

/// (h) a 429 and a 503 on GET while waiting do not fail the apply.
#[test]
fn transient_429_and_503_are_retried() {
    for_each_terraform("transient_429_and_503_are_retried", |tf, sim, wd| {
        let cluster = ClusterCfg::new("cf_acc_retry");
        init_with(wd, &main_tf(&ProviderCfg::for_sim(sim), Some(&cluster)));

        sim.inject_fault(json!({
            "vendor": "instaclustr", "method": "GET", "status": 429, "retry_after": 1, "times": 1
        }));
        sim.inject_fault(
            json!({ "vendor": "instaclustr", "method": "GET", "status": 503, "times": 1 }),
        );

        wd.apply().assert_success();
        assert_eq!(
            requests_with_status(sim, 429).len(),
            1,
            "{tf}: {:#}",
            sim.requests()
        );
        assert_eq!(
            requests_with_status(sim, 503).len(),
            1,
            "{tf}: {:#}",
            sim.requests()
        );
        let id = state_id(wd);
        assert_eq!(status_of(&sim.instaclustr_cluster(&id).unwrap()), "RUNNING");

        wd.plan().assert_no_changes();
        wd.destroy().assert_success();
        assert_no_live_clusters(sim, tf);
    });
}

/// `request_interval` spaces the provider's requests: with the simulator limiting to one request
/// per second, a provider told to wait 1 s between requests never sees a 429.
#[test]
fn request_interval_is_honoured() {
    for_each_terraform("request_interval_is_honoured", |tf, sim, wd| {
        let mut provider = ProviderCfg::for_sim(sim);
        provider.request_interval = "1s".to_owned();
        let cluster = ClusterCfg::new("cf_acc_spacing");
        init_with(wd, &main_tf(&provider, Some(&cluster)));
        sim.set_config(json!({ "rate_limit_ms": 1000 }));

        wd.apply().assert_success();
        let limited = requests_with_status(sim, 429);
        if !limited.is_empty() {
            // Arrival gaps as the simulator measured them (its window runs from one admitted
            // request's arrival to the next), to tell "no spacing" from "spacing a hair short".
            let at: Vec<u64> = sim
                .vendor_requests("instaclustr")
                .iter()
                .filter_map(|r| r["at_ms"].as_u64())
                .collect();
            let gaps: Vec<u64> = at.windows(2).map(|w| w[1] - w[0]).collect();
            panic!(
                "{tf}: the provider did not space its requests by request_interval = \"1s\" as \
                 the simulator saw them (arrival gaps in ms: {gaps:?}; note that spacing request \
                 *starts* lets a connect delay on the first request shrink the gap below 1 s):\n{:#}",
                sim.requests()
            );
        }
        assert!(
            sim.vendor_requests("instaclustr").len() >= 2,
            "{tf}: expected a create and at least one poll: {:#}",
            sim.requests()
        );

        sim.set_config(json!({ "rate_limit_ms": 0 }));
        wd.destroy().assert_success();
        assert_no_live_clusters(sim, tf);
    });
}

/// (i) no username in HCL or env: one clear error naming `username` and `IC_USERNAME`; with
/// `IC_USERNAME` in the environment the same configuration plans fine.
#[test]
fn missing_credentials_are_a_clear_error() {
    for_each_terraform("missing_credentials_are_a_clear_error", |tf, sim, wd| {
        let mut provider = ProviderCfg::for_sim(sim);
        provider.username = None;
        let cluster = ClusterCfg::new("cf_acc_nocreds");
        init_with(wd, &main_tf(&provider, Some(&cluster)));

        let plan = wd.plan();
        plan.assert_error();
        let flat = plan.flat();
        assert!(
            flat.contains("username"),
            "{tf}: error does not name `username`:\n{}",
            plan.describe()
        );
        assert!(
            flat.contains("IC_USERNAME"),
            "{tf}: error does not name IC_USERNAME:\n{}",
            plan.describe()
        );
        assert!(
            sim.vendor_requests("instaclustr").is_empty(),
            "{tf}: requests were sent without credentials: {:#}",
            sim.requests()
        );

        // The environment variable is an equal source of the same setting.
        let wd_env = Workdir::new(tf, &[PROVIDER]).with_env("IC_USERNAME", IC_USER);
        init_with(&wd_env, &main_tf(&provider, Some(&cluster)));
        wd_env.plan().assert_changes(1, 0, 0);
    });
}

/// Apply returns what the API reported, so an API that reports something other than what was
/// asked is caught by Terraform's own check ("Provider produced inconsistent result after
/// apply") instead of being papered over with the plan. The cluster id still reaches state, and
/// destroy removes the cluster.
#[test]
fn a_lying_api_answer_is_caught_by_terraform() {
    for_each_terraform(
        "a_lying_api_answer_is_caught_by_terraform",
        |tf, sim, wd| {
            let cluster = ClusterCfg::new("cf_acc_lie");
            init_with(wd, &main_tf(&ProviderCfg::for_sim(sim), Some(&cluster)));
            // Every read of the new cluster claims a tier nobody asked for.
            sim.inject_fault(json!({
                "vendor": "instaclustr", "method": "GET", "path_contains": "/provisioning/v1/",
                "patch": { "slaTier": "PRODUCTION" }, "times": 10000
            }));
            let out = wd.apply();
            out.assert_failure();
            assert!(
                out.flat().contains("inconsistent result after apply"),
                "{tf}: the lie was not caught:\n{}",
                out.describe()
            );
            assert!(out.flat().contains("sla_tier"), "{tf}:\n{}", out.describe());
            let id = state_id(wd);
            assert!(
                sim.instaclustr_cluster(&id).is_some(),
                "{tf}: state id {id:?} unknown"
            );

            sim.clear_faults();
            wd.destroy().assert_success();
            assert_no_live_clusters(sim, tf);
        },
    );
}

/// A provider block whose values are known only after apply (here the API key comes out of a
/// resource created in the same run) still plans; the apply then configures the provider with
/// the known values. Needs `terraform_data` (Terraform 1.4+).
#[test]
fn unknown_provider_configuration_plans() {
    for_each_terraform("unknown_provider_configuration_plans", |tf, sim, wd| {
        if !at_least(tf, (1, 4, 0), "terraform_data") {
            return;
        }
        let mut provider = ProviderCfg::for_sim(sim);
        provider.api_key = None;
        let hcl = main_tf(&provider, Some(&ClusterCfg::new("cf_acc_unknown_cfg"))).replace(
            "provider \"instaclustr\" {\n",
            "provider \"instaclustr\" {\n  api_key = terraform_data.key.output\n",
        ) + &format!(
            "\nresource \"terraform_data\" \"key\" {{\n  input = {}\n}}\n",
            hcl_string(IC_KEY)
        );
        init_with(wd, &hcl);
        let plan = wd.plan();
        plan.assert_changes(2, 0, 0);
        assert!(
            sim.vendor_requests("instaclustr").is_empty(),
            "{tf}: plan called the API"
        );
        wd.apply().assert_success();
        wd.plan().assert_no_changes();
        wd.destroy().assert_success();
        assert_no_live_clusters(sim, tf);
    });
}

/// An `import` block (Terraform 1.5+) follows the same import rule as `terraform import`: the
/// first plan imports and never replaces, records what the API cannot report in state only
/// with the one warning, and after the apply the plan is empty.
#[test]
fn import_block_follows_the_import_rule() {
    for_each_terraform("import_block_follows_the_import_rule", |tf, sim, wd| {
        if !at_least(tf, (1, 5, 0), "import blocks") {
            return;
        }
        let mut cluster = ClusterCfg::new("cf_acc_import_block");
        cluster.sla_tier = Some("NON_PRODUCTION".to_owned());
        cluster.rack_allocation = Some((3, 1));
        let config = main_tf(&ProviderCfg::for_sim(sim), Some(&cluster));
        init_with(wd, &config);
        wd.apply().assert_success();
        let id = state_id(wd);
        wd.remove_file("terraform.tfstate");
        wd.remove_file("terraform.tfstate.backup");

        wd.write_main_tf(&format!(
            "{config}\nimport {{\n  to = {ADDR}\n  id = {}\n}}\n",
            hcl_string(&id)
        ));
        let plan = wd.plan();
        plan.assert_not_contains("must be replaced");
        plan.assert_contains("1 to import");
        plan.assert_contains("Arguments recorded in state only after import");
        plan.assert_contains("`wait_for_state`");
        // The one change is the recorded wait_for_state: the explicitly configured default
        // allocation matches what the API reports.
        plan.assert_changes(0, 1, 0);
        plan.assert_not_contains("- rack_allocation");
        plan.assert_not_contains("+ rack_allocation");
        sim.clear_requests();
        wd.apply().assert_success();
        let writes = write_requests(sim);
        assert!(writes.is_empty(), "{tf}: the import wrote: {writes:?}");
        assert_eq!(state_id(wd), id, "{tf}");
        wd.write_main_tf(&config);
        wd.plan().assert_no_changes();
        wd.destroy().assert_success();
        assert_no_live_clusters(sim, tf);
    });
}

/// A failed first apply after an import keeps the import's record: the next plan still records
/// what the API cannot report in state only and replaces nothing.
#[test]
fn a_failed_apply_after_import_keeps_the_import_rule() {
    for_each_terraform(
        "a_failed_apply_after_import_keeps_the_import_rule",
        |tf, sim, wd| {
            let cluster = ClusterCfg::new("cf_acc_import_fail");
            let config = main_tf(&ProviderCfg::for_sim(sim), Some(&cluster));
            init_with(wd, &config);
            wd.apply().assert_success();
            let id = state_id(wd);
            wd.remove_file("terraform.tfstate");
            wd.remove_file("terraform.tfstate.backup");
            wd.import(ADDR, &id).assert_success();

            // The first apply also resizes (in place), and the resize fails.
            let mut bigger = cluster.clone();
            bigger.node_size = Some(NODE_SIZE_BIGGER.to_owned());
            wd.write_main_tf(&main_tf(&ProviderCfg::for_sim(sim), Some(&bigger)));
            sim.inject_fault(json!({
                "vendor": "instaclustr", "method": "POST", "path_contains": "resize",
                "status": 400, "times": 1
            }));
            wd.apply().assert_failure();

            let plan = wd.plan();
            plan.assert_changes(0, 1, 0);
            plan.assert_not_contains("must be replaced");
            if !tf.is_pre_1_0() {
                plan.assert_contains("Arguments recorded in state only after import");
            }
            wd.apply().assert_success();
            wd.plan().assert_no_changes();
            wd.destroy().assert_success();
            assert_no_live_clusters(sim, tf);
        },
    );
}

// ---------------------------------------------------------------------------------------------
// Creates whose answer is lost, and clusters left by an interrupted create
// ---------------------------------------------------------------------------------------------

/// The create requests the provider sent.
fn create_posts(sim: &Sim) -> Vec<Value> {
    sim.vendor_requests("instaclustr")
        .into_iter()
        .filter(|r| r["method"] == "POST" && r["path"].as_str().unwrap_or("").contains("extended"))
        .collect()
}

/// After a create whose answer was unclear: the apply succeeded with exactly one live cluster
/// of the name, whose id is in state; the plan is empty and destroy leaves nothing.
#[track_caller]
fn assert_one_cluster_then_clean_up(tf: &Terraform, sim: &Sim, wd: &Workdir, name: &str) {
    let live: Vec<Value> = sim
        .instaclustr_live_clusters()
        .into_iter()
        .filter(|c| c["clusterName"] == name)
        .collect();
    assert_eq!(
        live.len(),
        1,
        "{tf}: expected one cluster {name:?}: {live:#?}"
    );
    assert_eq!(state_id(wd), live[0]["id"].as_str().unwrap_or(""), "{tf}");
    wd.plan().assert_no_changes();
    wd.destroy().assert_success();
    assert_no_live_clusters(sim, tf);
}

/// (a) The API creates the cluster and then answers 503: the provider finds the new cluster in
/// the account's list and adopts it instead of failing or creating a second one. Needs the
/// simulator's `act` faults.
#[test]
fn a_create_answered_503_after_acting_is_adopted() {
    for_each_terraform(
        "a_create_answered_503_after_acting_is_adopted",
        |tf, sim, wd| {
            let cluster = ClusterCfg::new("cf_acc_acted_503");
            init_with(wd, &main_tf(&ProviderCfg::for_sim(sim), Some(&cluster)));
            sim.inject_fault(json!({
                "vendor": "instaclustr", "method": "POST", "path_contains": "extended",
                "status": 503, "act": true
            }));
            let out = wd.apply();
            out.assert_success();
            assert!(
                out.flat().contains("the cluster was found"),
                "{tf}: no warning about the adopted cluster:\n{}",
                out.describe()
            );
            assert_eq!(create_posts(sim).len(), 1, "{tf}: {:#}", sim.requests());
            assert_one_cluster_then_clean_up(tf, sim, wd, "cf_acc_acted_503");
        },
    );
}

/// (b) The API creates the cluster and closes the connection without an answer: adopted too.
/// Needs the simulator's `act` + `drop` faults.
#[test]
fn a_create_answer_dropped_after_acting_is_adopted() {
    for_each_terraform(
        "a_create_answer_dropped_after_acting_is_adopted",
        |tf, sim, wd| {
            let cluster = ClusterCfg::new("cf_acc_acted_drop");
            init_with(wd, &main_tf(&ProviderCfg::for_sim(sim), Some(&cluster)));
            sim.inject_fault(json!({
                "vendor": "instaclustr", "method": "POST", "path_contains": "extended",
                "act": true, "drop": true
            }));
            wd.apply().assert_success();
            assert_eq!(create_posts(sim).len(), 1, "{tf}: {:#}", sim.requests());
            assert_one_cluster_then_clean_up(tf, sim, wd, "cf_acc_acted_drop");
        },
    );
}

/// A success answer whose body cannot be read (the simulator acted, then garbled the body):
/// the id is lost, and found in the list.
#[test]
fn a_create_answered_with_an_unreadable_body_is_adopted() {
    for_each_terraform(
        "a_create_answered_with_an_unreadable_body_is_adopted",
        |tf, sim, wd| {
            let cluster = ClusterCfg::new("cf_acc_garbled");
            init_with(wd, &main_tf(&ProviderCfg::for_sim(sim), Some(&cluster)));
            sim.inject_fault(json!({
                "vendor": "instaclustr", "method": "POST", "path_contains": "extended",
                "garble": "invalid"
            }));
            wd.apply().assert_success();
            assert_eq!(create_posts(sim).len(), 1, "{tf}: {:#}", sim.requests());
            assert_one_cluster_then_clean_up(tf, sim, wd, "cf_acc_garbled");
        },
    );
}

/// (c) A 503 that created nothing: the list shows no new cluster, so the create is sent again,
/// and there is one cluster.
#[test]
fn a_create_answered_503_without_acting_is_sent_again() {
    for_each_terraform(
        "a_create_answered_503_without_acting_is_sent_again",
        |tf, sim, wd| {
            let cluster = ClusterCfg::new("cf_acc_plain_503");
            init_with(wd, &main_tf(&ProviderCfg::for_sim(sim), Some(&cluster)));
            sim.inject_fault(json!({
                "vendor": "instaclustr", "method": "POST", "path_contains": "extended",
                "status": 503
            }));
            wd.apply().assert_success();
            let posts = create_posts(sim);
            assert_eq!(posts.len(), 2, "{tf}: {posts:#?}");
            assert_eq!(posts[0]["status"], 503, "{tf}: {posts:#?}");
            // One listing before the create, one after its 503.
            let lists = sim
                .vendor_requests("instaclustr")
                .into_iter()
                .filter(|r| r["method"] == "GET" && r["path"] == "/provisioning/v1")
                .count();
            assert_eq!(lists, 2, "{tf}: {:#}", sim.requests());
            assert_one_cluster_then_clean_up(tf, sim, wd, "cf_acc_plain_503");
        },
    );
}

/// The body the provider sends for `ClusterCfg::new(name)`, for creating "its" cluster behind
/// Terraform's back.
fn create_body(name: &str) -> Value {
    json!({
        "clusterName": name,
        "bundles": [{"bundle": "APACHE_CASSANDRA", "version": "4.0.1"}],
        "provider": {"name": "AWS_VPC"},
        "slaTier": "NON_PRODUCTION",
        "nodeSize": NODE_SIZE,
        "dataCentre": "US_WEST_2",
        "clusterNetwork": "10.224.0.0/12",
        "privateNetworkCluster": false,
        "pciCompliantCluster": false
    })
}

/// (d) Crash recovery: a provider killed mid-create left a cluster with the planned name and
/// no id in state. The next apply creates nothing and fails on `cluster_name` with the cluster's
/// id and the import command; after that import the apply succeeds. With
/// `allow_duplicate_cluster_names = true` another configuration creates a second cluster.
#[test]
fn a_cluster_left_by_an_interrupted_create_is_imported_not_duplicated() {
    for_each_terraform(
        "a_cluster_left_by_an_interrupted_create_is_imported_not_duplicated",
        |tf, sim, wd| {
            let name = "cf_acc_left_behind";
            let (status, created) = sim.instaclustr_api(
                reqwest::Method::POST,
                "/provisioning/v1/extended/",
                Some(create_body(name)),
            );
            assert!(
                status < 300,
                "{tf}: direct create answered {status}: {created}"
            );
            let left = created["id"].as_str().expect("id").to_owned();
            wait_until(Duration::from_secs(60), "the left cluster to run", || {
                (sim.instaclustr_cluster(&left)
                    .map(|c| status_of(&c).to_owned())
                    == Some("RUNNING".to_owned()))
                .then_some(())
            });

            let provider = ProviderCfg::for_sim(sim);
            let cluster = ClusterCfg::new(name);
            let config = main_tf(&provider, Some(&cluster));
            init_with(wd, &config);
            sim.clear_requests();
            let out = wd.apply();
            out.assert_failure();
            let flat = out.flat();
            for needle in [
                format!("Instaclustr cluster named \"{name}\" already exists"),
                format!("terraform import <this resource's address> {left}"),
                format!("id = \"{left}\""),
                "allow_duplicate_cluster_names".to_owned(),
                // The diagnostic is attached to the resource's cluster_name.
                "cluster_name".to_owned(),
            ] {
                assert!(
                    flat.contains(needle.as_str()),
                    "{tf}: {needle:?} missing:\n{}",
                    out.describe()
                );
            }
            assert!(
                create_posts(sim).is_empty(),
                "{tf}: a create was sent: {:#}",
                sim.requests()
            );
            assert!(
                wd.state_instance(ADDR).is_none(),
                "{tf}: state holds {ADDR}"
            );
            assert_eq!(sim.instaclustr_live_clusters().len(), 1, "{tf}");

            // What the diagnostic says to do.
            wd.import(ADDR, &left).assert_success();
            wd.apply().assert_success();
            assert_eq!(state_id(wd), left, "{tf}");
            wd.plan().assert_no_changes();
            assert!(create_posts(sim).is_empty(), "{tf}: {:#}", sim.requests());

            // An account that reuses names on purpose.
            let twin = Workdir::new(tf, &[PROVIDER]);
            let allowing = config.replace(
                "provider \"instaclustr\" {\n",
                "provider \"instaclustr\" {\n  allow_duplicate_cluster_names = true\n",
            );
            init_with(&twin, &allowing);
            sim.clear_requests();
            assert_second_cluster_created(tf, sim, &twin, &twin.apply(), name, &left);
            if twin.state_instance(ADDR).is_some() {
                twin.destroy().assert_success();
            }
            wd.destroy().assert_success();
            assert_no_live_clusters(sim, tf);
        },
    );
}

/// With duplicate names allowed, an apply next to a cluster of the same name (`left`) sends its
/// create. Nothing says the real API refuses a name twice (api-facts), so it makes a second one;
/// a simulator that refuses duplicate names itself (409) shows that the request still went out,
/// with the API's own refusal rather than the provider's import advice.
#[track_caller]
fn assert_second_cluster_created(
    tf: &Terraform,
    sim: &Sim,
    wd: &Workdir,
    out: &support::TfOutput,
    name: &str,
    left: &str,
) {
    let posts = create_posts(sim);
    assert_eq!(
        posts.len(),
        1,
        "{tf}: the create was not sent: {:#}",
        sim.requests()
    );
    if posts[0]["status"] == 409 {
        eprintln!(
            "NOTE: {tf}: the simulator refuses a second cluster named {name:?} (409), so only \
             the sending of the create is checked"
        );
        out.assert_failure();
        assert!(out.flat().contains("HTTP 409"), "{tf}:\n{}", out.describe());
        assert!(
            !out.flat().contains("terraform import"),
            "{tf}: the provider refused instead of the API:\n{}",
            out.describe()
        );
        return;
    }
    out.assert_success();
    let second = state_id(wd);
    assert_ne!(second, left, "{tf}");
    let named: Vec<Value> = sim
        .instaclustr_live_clusters()
        .into_iter()
        .filter(|c| c["clusterName"] == name)
        .collect();
    assert_eq!(named.len(), 2, "{tf}: {named:#?}");
}

/// `IC_ALLOW_DUPLICATE_CLUSTER_NAMES` is an equal source of the setting.
#[test]
fn duplicate_names_can_be_allowed_from_the_environment() {
    for_each_terraform(
        "duplicate_names_can_be_allowed_from_the_environment",
        |tf, sim, wd| {
            let name = "cf_acc_env_dupes";
            let (status, body) = sim.instaclustr_api(
                reqwest::Method::POST,
                "/provisioning/v1/extended/",
                Some(create_body(name)),
            );
            assert!(status < 300, "{tf}: {status} {body}");
            let config = main_tf(&ProviderCfg::for_sim(sim), Some(&ClusterCfg::new(name)));
            let wd_env =
                Workdir::new(tf, &[PROVIDER]).with_env("IC_ALLOW_DUPLICATE_CLUSTER_NAMES", "true");
            init_with(&wd_env, &config);
            let left = body["id"].as_str().unwrap_or_default().to_owned();
            sim.clear_requests();
            assert_second_cluster_created(tf, sim, &wd_env, &wd_env.apply(), name, &left);
            if wd_env.state_instance(ADDR).is_some() {
                wd_env.destroy().assert_success();
            }

            init_with(wd, &config);
            let out = wd.apply();
            out.assert_failure();
            out.assert_contains("already exists");
        },
    );
}

/// Two resources of one configuration with the same `cluster_name`, created in parallel by one
/// provider process: their creates take turns, so the second sees the first one's cluster and
/// stops with its id instead of creating another.
#[test]
fn two_resources_with_one_name_do_not_both_create() {
    for_each_terraform(
        "two_resources_with_one_name_do_not_both_create",
        |tf, sim, wd| {
            let name = "cf_acc_same_name";
            let one = ClusterCfg::new(name).hcl();
            let hcl = format!(
                "{}\n{}",
                main_tf(&ProviderCfg::for_sim(sim), Some(&ClusterCfg::new(name))),
                one.replace("\"test\"", "\"twin\"")
            );
            init_with(wd, &hcl);
            let out = wd.apply();
            out.assert_failure();
            let live = sim.instaclustr_live_clusters();
            assert_eq!(live.len(), 1, "{tf}: {live:#?}");
            let id = live[0]["id"].as_str().unwrap_or_default();
            let flat = out.flat();
            assert!(
                flat.contains(&format!("named \"{name}\" already exists"))
                    && flat.contains(&format!("terraform import <this resource's address> {id}")),
                "{tf}:\n{}",
                out.describe()
            );
            assert_eq!(create_posts(sim).len(), 1, "{tf}: {:#}", sim.requests());
            wd.destroy().assert_success();
            assert_no_live_clusters(sim, tf);
        },
    );
}
