//! The update-behaviour matrix of `cloudbasic_cluster`, argument by argument, with the real
//! Terraform CLI against `clusterform-sim`: `remote_server`, `port`, `remote_public_key` and
//! `remote_private_key` are in place (AlterCluster), `local_server` replaces, `standalone_server`
//! is state only (default = `local_server`); after an import only `local_server` is known, and
//! the first plan sends the in-place arguments and records `standalone_server` with one warning.
//!
//! The CloudBasic API has no read action, so the simulator's admin API is the witness of what
//! the provider sent: `/_admin/cloudbasic/calls` (every signed action with its fields) and
//! `/_admin/requests` (every HTTP request).
//!
//! The matrix runs on one Terraform (the newest available: 1.11.4 when present) against one
//! applied cluster; the import scenario runs on every available Terraform.

mod support;

use serde_json::{json, Value};
use support::matrix::{
    assert_in_place, assert_one_import_warning, matrix_terraform, state_only_warning,
    IMPORT_WARNING,
};
use support::{hcl_string, required_providers, Sim, Terraform, Workdir};

const PROVIDER: (&str, &str) = (
    "cloudbasic",
    env!("CARGO_BIN_EXE_terraform-provider-cloudbasic"),
);
const ADDR: &str = "cloudbasic_cluster.test";
const LOCAL: &str = "10.0.1.15";
const REMOTE: &str = "10.0.2.15";

// ---------------------------------------------------------------------------------------------
// Configuration
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Debug)]
struct Keys {
    public: String,
    private: String,
}

/// Activates a new simulated instance (no signature needed; each instance id once) and returns
/// its key pair.
fn activate(sim: &Sim) -> Keys {
    static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(1);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let v = sim.admin_post(
        "/cloudbasic/api/ActivateInstance",
        Some(
            json!({"email": "ops@example.com", "instanceId": format!("i-{n:017x}"),
            "password": "Console-pw-1", "isProduction": false, "agreeToEula": true}),
        ),
    );
    Keys {
        public: v["publicKey"].as_str().expect("publicKey").to_owned(),
        private: v["privateKey"].as_str().expect("privateKey").to_owned(),
    }
}

#[derive(Clone)]
struct Cfg {
    endpoint: String,
    signer: Keys,
    local_server: String,
    remote_server: String,
    port: u32,
    remote: Keys,
    standalone_server: Option<String>,
}

impl Cfg {
    /// A configuration signed by a fresh local instance, naming a fresh remote one.
    fn new(sim: &Sim) -> Cfg {
        Cfg {
            endpoint: sim.vendor_url("cloudbasic"),
            signer: activate(sim),
            local_server: LOCAL.to_owned(),
            remote_server: REMOTE.to_owned(),
            port: 81,
            remote: activate(sim),
            standalone_server: None,
        }
    }

    fn hcl(&self) -> String {
        let mut s = required_providers(&["cloudbasic"]);
        s.push_str(&format!(
            "\nprovider \"cloudbasic\" {{\n  endpoint   = {}\n  access_key = {}\n  secret_key = {}\n}}\n",
            hcl_string(&self.endpoint),
            hcl_string(&self.signer.public),
            hcl_string(&self.signer.private),
        ));
        s.push_str(&format!(
            "\nresource \"cloudbasic_cluster\" \"test\" {{\n  local_server       = {}\n  remote_server      = {}\n  port               = {}\n  remote_public_key  = {}\n  remote_private_key = {}\n",
            hcl_string(&self.local_server),
            hcl_string(&self.remote_server),
            self.port,
            hcl_string(&self.remote.public),
            hcl_string(&self.remote.private),
        ));
        if let Some(st) = &self.standalone_server {
            s.push_str(&format!("  standalone_server  = {}\n", hcl_string(st)));
        }
        s.push_str("}\n");
        s
    }
}

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/// The actions the provider sent, oldest first.
fn calls(sim: &Sim) -> Vec<Value> {
    sim.admin_get("/_admin/cloudbasic/calls")
        .as_array()
        .cloned()
        .unwrap_or_default()
}

/// Clears both the action log and the HTTP request log.
fn clear_logs(sim: &Sim) {
    sim.admin_post("/_admin/cloudbasic/calls/clear", None);
    sim.clear_requests();
}

fn actions(calls: &[Value]) -> Vec<String> {
    calls
        .iter()
        .map(|c| c["action"].as_str().unwrap_or("?").to_owned())
        .collect()
}

fn cluster(sim: &Sim, local: &str) -> Option<Value> {
    sim.admin_get("/_admin/cloudbasic/clusters")
        .as_array()
        .into_iter()
        .flatten()
        .find(|c| c["localServer"] == local)
        .cloned()
}

fn attrs(wd: &Workdir) -> Value {
    wd.state_attributes(ADDR)
        .unwrap_or_else(|| panic!("{ADDR} is not in state:\n{:#}", wd.state()))
}

/// Plans `cfg`, expects an in-place update without a state-only warning, applies it, and checks
/// that exactly one AlterCluster carried the configured remote settings and that the simulator's
/// cluster holds them; then the next plan is empty.
fn apply_in_place(tf: &Terraform, sim: &Sim, wd: &Workdir, cfg: &Cfg, case: &str) {
    wd.write_main_tf(&cfg.hcl());
    let plan = wd.plan();
    assert_in_place(&plan, ADDR, case);
    plan.assert_not_contains("only updates Terraform state");
    clear_logs(sim);
    wd.apply().assert_success();
    let sent = calls(sim);
    assert_eq!(actions(&sent), ["AlterCluster"], "{tf}: {case}: {sent:#?}");
    assert_eq!(
        sent[0]["fields"],
        json!({
            "remoteServer": cfg.remote_server,
            "port": cfg.port.to_string(),
            "publicKey": cfg.remote.public,
            "privateKey": cfg.remote.private,
        }),
        "{tf}: {case}"
    );
    let c = cluster(sim, &cfg.local_server).expect("cluster still there");
    assert_eq!(
        (&c["remoteServer"], &c["port"], &c["publicKey"]),
        (
            &json!(cfg.remote_server),
            &json!(cfg.port),
            &json!(cfg.remote.public)
        ),
        "{tf}: {case}: simulator: {c}"
    );
    wd.plan().assert_no_changes();
}

// ---------------------------------------------------------------------------------------------
// Matrix: in place, replace, state only
// ---------------------------------------------------------------------------------------------

/// Every argument of `cloudbasic_cluster` on one applied cluster:
/// - `remote_server`, `port`: a change plans an in-place update; apply sends one AlterCluster
///   with it; the next plan is empty.
/// - `remote_public_key`, `remote_private_key`: a change of either alone plans an in-place
///   update (the simulator accepts only a matching pair, so the apply changes both: a new remote
///   instance's pair), and apply sends it in one AlterCluster.
/// - `local_server`: value → value plans a replacement (plan only).
/// - `standalone_server`: unset → set, value → value and set → unset (back to the default
///   `local_server`) plan an update with the warning naming it; apply sends no request at all;
///   an explicit value equal to the default plans nothing.
#[test]
fn every_argument_follows_its_declared_behaviour() {
    let Some(tf) = matrix_terraform("every_argument_follows_its_declared_behaviour") else {
        return;
    };
    let sim = Sim::start();
    let wd = Workdir::new(&tf, &[PROVIDER]);
    let mut cfg = Cfg::new(&sim);
    wd.write_main_tf(&cfg.hcl());
    wd.init().assert_success();
    wd.apply().assert_success();
    assert_eq!(actions(&calls(&sim)), ["CreateCluster"], "{tf}");
    wd.plan().assert_no_changes();

    // --- replace: local_server (required, so value → value only) ---
    clear_logs(&sim);
    for local in ["10.0.1.16", "db-a.example.com", "fd00::15"] {
        let mut moved = cfg.clone();
        moved.local_server = local.to_owned();
        wd.write_main_tf(&moved.hcl());
        let plan = wd.plan();
        plan.assert_changes(1, 0, 1);
        plan.assert_contains(&format!("{ADDR} must be replaced"));
        assert!(
            plan.stdout
                .lines()
                .any(|l| l.contains("local_server") && l.contains("forces replacement")),
            "{tf}: local_server -> {local}: no `forces replacement` on local_server:\n{}",
            plan.describe()
        );
    }
    assert!(calls(&sim).is_empty(), "{tf}: plans called the API");

    // --- in place, one argument at a time ---
    cfg.remote_server = "db-b.example.com".to_owned();
    apply_in_place(&tf, &sim, &wd, &cfg, "remote_server value -> value");
    cfg.remote_server = "10.0.2.99".to_owned();
    apply_in_place(&tf, &sim, &wd, &cfg, "remote_server value -> value (again)");
    cfg.port = 444;
    apply_in_place(&tf, &sim, &wd, &cfg, "port value -> value");

    let other = activate(&sim);
    clear_logs(&sim);
    for (case, public, private) in [
        (
            "remote_public_key alone",
            &other.public,
            &cfg.remote.private,
        ),
        (
            "remote_private_key alone",
            &cfg.remote.public,
            &other.private,
        ),
    ] {
        let mut one = cfg.clone();
        one.remote = Keys {
            public: public.clone(),
            private: private.clone(),
        };
        wd.write_main_tf(&one.hcl());
        let plan = wd.plan();
        assert_in_place(&plan, ADDR, &format!("{tf}: {case}"));
        plan.assert_not_contains("only updates Terraform state");
    }
    assert!(calls(&sim).is_empty(), "{tf}: plans called the API");
    cfg.remote = other;
    apply_in_place(
        &tf,
        &sim,
        &wd,
        &cfg,
        "remote_public_key + remote_private_key value -> value",
    );

    // --- state only: standalone_server ---
    for (value, changes) in [
        // Unset = local_server; the same value written out plans nothing.
        (Some(LOCAL), false),
        (Some("10.0.2.99"), true),
        (Some("db-b.example.com"), true),
        // Back to unset: the default local_server, a change.
        (None, true),
    ] {
        let case = format!("standalone_server -> {value:?}");
        cfg.standalone_server = value.map(str::to_owned);
        wd.write_main_tf(&cfg.hcl());
        let plan = wd.plan();
        if !changes {
            plan.assert_no_changes();
            continue;
        }
        assert_in_place(&plan, ADDR, &format!("{tf}: {case}"));
        if !tf.is_pre_1_0() {
            assert!(
                plan.flat()
                    .contains(&state_only_warning("standalone_server")),
                "{tf}: {case}: no state-only warning naming standalone_server:\n{}",
                plan.describe()
            );
        }
        plan.assert_not_contains(IMPORT_WARNING);
        clear_logs(&sim);
        wd.apply().assert_success();
        let sent = sim.vendor_requests("cloudbasic");
        assert!(
            sent.is_empty() && calls(&sim).is_empty(),
            "{tf}: {case}: a state-only change called the API: {sent:#?}"
        );
        assert_eq!(
            attrs(&wd)["standalone_server"],
            value.unwrap_or(LOCAL),
            "{tf}: {case}"
        );
        wd.plan().assert_no_changes();
    }

    // The last state-only value is what destroy sends.
    clear_logs(&sim);
    wd.destroy().assert_success();
    let sent = calls(&sim);
    assert_eq!(actions(&sent), ["DeleteCluster"], "{tf}");
    assert_eq!(
        sent[0]["fields"],
        json!({"standaloneServer": LOCAL}),
        "{tf}"
    );
    eprintln!("=== every_argument_follows_its_declared_behaviour: {tf}: ok");
}

// ---------------------------------------------------------------------------------------------
// Import
// ---------------------------------------------------------------------------------------------

/// Import by `local_server` and plan with every optional argument configured
/// (`standalone_server`: once as its explicit default, once as the remote server): no
/// replacement, one in-place update whose one import warning lists exactly
/// `standalone_server` (nothing but `local_server` is readable; the in-place arguments are sent,
/// not recorded); apply sends exactly one AlterCluster with the configured remote settings; the
/// next plan is empty. On every Terraform version.
#[test]
fn import_then_plan_with_every_optional_argument() {
    let versions = support::terraform_versions();
    if versions.is_empty() {
        eprintln!("SKIP: import_then_plan_with_every_optional_argument: no Terraform binary");
        return;
    }
    for tf in &versions {
        eprintln!("=== import_then_plan_with_every_optional_argument: {tf}");
        let sim = Sim::start();
        let wd = Workdir::new(tf, &[PROVIDER]);
        let mut variants = vec![(LOCAL, false), (REMOTE, false)];
        if tf.version_tuple() >= (1, 5, 0) {
            variants.push((REMOTE, true));
        }
        for (standalone, by_block) in variants {
            let case = format!(
                "{tf}: standalone_server = {standalone:?}, imported by {}",
                if by_block {
                    "an import block"
                } else {
                    "terraform import"
                }
            );
            let mut cfg = Cfg::new(&sim);
            cfg.standalone_server = Some(standalone.to_owned());
            wd.write_main_tf(&cfg.hcl());
            wd.init().assert_success();
            wd.apply().assert_success();
            wd.plan().assert_no_changes();
            wd.remove_file("terraform.tfstate");
            wd.remove_file("terraform.tfstate.backup");

            clear_logs(&sim);
            let plan = if by_block {
                wd.write_main_tf(&format!(
                    "{}\nimport {{\n  to = {ADDR}\n  id = {}\n}}\n",
                    cfg.hcl(),
                    hcl_string(LOCAL)
                ));
                let plan = wd.plan();
                assert!(
                    plan.flat().contains("1 to import"),
                    "{case}: nothing to import:\n{}",
                    plan.describe()
                );
                plan
            } else {
                let out = wd.import(ADDR, LOCAL);
                out.assert_success();
                out.assert_contains("Import successful");
                wd.plan()
            };
            assert!(
                calls(&sim).is_empty(),
                "{case}: import or plan called the API"
            );
            assert_in_place(&plan, ADDR, &format!("{case}: first plan after import"));
            if !tf.is_pre_1_0() {
                assert_one_import_warning(&plan, &["standalone_server"], &case);
            }

            wd.apply().assert_success();
            let sent = calls(&sim);
            assert_eq!(actions(&sent), ["AlterCluster"], "{case}: {sent:#?}");
            assert_eq!(
                sent[0]["fields"],
                json!({
                    "remoteServer": cfg.remote_server,
                    "port": cfg.port.to_string(),
                    "publicKey": cfg.remote.public,
                    "privateKey": cfg.remote.private,
                }),
                "{case}"
            );
            let a = attrs(&wd);
            assert_eq!(a["standalone_server"], standalone, "{case}: {a:#}");
            wd.plan().assert_no_changes();

            clear_logs(&sim);
            wd.destroy().assert_success();
            let sent = calls(&sim);
            assert_eq!(actions(&sent), ["DeleteCluster"], "{case}");
            assert_eq!(
                sent[0]["fields"]["standaloneServer"], standalone,
                "{case}: {sent:#?}"
            );
        }
        eprintln!("=== import_then_plan_with_every_optional_argument: {tf}: ok");
    }
}
