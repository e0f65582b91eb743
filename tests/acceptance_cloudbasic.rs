//! Acceptance tests for `cloudbasic_cluster` and `cloudbasic_instance` with the real Terraform
//! CLI against `clusterform-sim`. Every scenario runs once per available Terraform version (see
//! `support::terraform_versions`), each run with its own simulator, key pairs and work dir,
//! except the narrow `cloudbasic_instance` cases, which run on one (`matrix_terraform`).
//!
//! The CloudBasic API has no read action, so the simulator's admin API is the only witness of
//! what the provider did: `/_admin/cloudbasic/clusters` (the clusters, with the format last
//! used) and `/_admin/cloudbasic/calls` (every action with its fields).

mod support;

use serde_json::{json, Value};
use support::{hcl_string, required_providers, Sim, Terraform, Workdir};

const PROVIDER: (&str, &str) = (
    "cloudbasic",
    env!("CARGO_BIN_EXE_terraform-provider-cloudbasic"),
);
const ADDR: &str = "cloudbasic_cluster.test";

// ---------------------------------------------------------------------------------------------
// Configuration
// ---------------------------------------------------------------------------------------------

#[derive(Clone)]
struct Keys {
    public: String,
    private: String,
}

/// Activates a new simulated instance (no Authorization needed; each instance id once) and
/// returns its key pair.
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
    endpoint: Option<String>,
    access_key: Option<String>,
    secret_key: Option<String>,
    payload_format: Option<String>,
    local_server: String,
    remote_server: String,
    /// Raw HCL, so that invalid values can be written too.
    port: String,
    remote_public_key: String,
    remote_private_key: String,
    standalone_server: Option<String>,
    with_resource: bool,
}

impl Cfg {
    /// A configuration for `sim` signed by a fresh local instance, naming a fresh remote one.
    fn new(sim: &Sim) -> Cfg {
        let local = activate(sim);
        let remote = activate(sim);
        Cfg {
            endpoint: Some(sim.vendor_url("cloudbasic")),
            access_key: Some(local.public),
            secret_key: Some(local.private),
            payload_format: None,
            local_server: "10.0.1.15".to_owned(),
            remote_server: "10.0.2.15".to_owned(),
            port: "81".to_owned(),
            remote_public_key: remote.public,
            remote_private_key: remote.private,
            standalone_server: None,
            with_resource: true,
        }
    }

    fn hcl(&self) -> String {
        let mut s = required_providers(&["cloudbasic"]);
        s.push_str("\nprovider \"cloudbasic\" {\n");
        for (name, value) in [
            ("endpoint", &self.endpoint),
            ("access_key", &self.access_key),
            ("secret_key", &self.secret_key),
            ("payload_format", &self.payload_format),
        ] {
            if let Some(v) = value {
                s.push_str(&format!("  {name} = {}\n", hcl_string(v)));
            }
        }
        s.push_str("}\n");
        if self.with_resource {
            s.push_str(&format!(
                "\nresource \"cloudbasic_cluster\" \"test\" {{\n  local_server       = {}\n  remote_server      = {}\n  port               = {}\n  remote_public_key  = {}\n  remote_private_key = {}\n",
                hcl_string(&self.local_server),
                hcl_string(&self.remote_server),
                self.port,
                hcl_string(&self.remote_public_key),
                hcl_string(&self.remote_private_key),
            ));
            if let Some(st) = &self.standalone_server {
                s.push_str(&format!("  standalone_server  = {}\n", hcl_string(st)));
            }
            s.push_str("}\n");
        }
        s
    }
}

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/// Runs `scenario` once per available Terraform version, each with a fresh simulator and work
/// dir.
fn for_each_terraform(name: &str, mut scenario: impl FnMut(&Terraform, &Sim, &Workdir)) {
    let versions = support::terraform_versions();
    if versions.is_empty() {
        eprintln!("SKIP: {name}: no Terraform binary available");
        return;
    }
    for tf in &versions {
        eprintln!("=== {name}: {tf}");
        let sim = Sim::start();
        let wd = Workdir::new(tf, &[PROVIDER]);
        scenario(tf, &sim, &wd);
        eprintln!("=== {name}: {tf}: ok");
    }
}

fn write_and_init(wd: &Workdir, cfg: &Cfg) {
    wd.write_main_tf(&cfg.hcl());
    wd.init().assert_success();
}

fn clusters(sim: &Sim) -> Vec<Value> {
    sim.admin_get("/_admin/cloudbasic/clusters")
        .as_array()
        .cloned()
        .unwrap_or_default()
}

fn cluster(sim: &Sim, local: &str) -> Option<Value> {
    clusters(sim)
        .into_iter()
        .find(|c| c["localServer"] == local)
}

/// The actions the provider sent, oldest first.
fn calls(sim: &Sim) -> Vec<Value> {
    sim.admin_get("/_admin/cloudbasic/calls")
        .as_array()
        .cloned()
        .unwrap_or_default()
}

fn clear_calls(sim: &Sim) {
    sim.admin_post("/_admin/cloudbasic/calls/clear", None);
}

fn actions(calls: &[Value]) -> Vec<String> {
    calls
        .iter()
        .map(|c| c["action"].as_str().unwrap_or("?").to_owned())
        .collect()
}

fn attrs(wd: &Workdir) -> Value {
    wd.state_attributes(ADDR)
        .unwrap_or_else(|| panic!("{ADDR} is not in state:\n{:#}", wd.state()))
}

// ---------------------------------------------------------------------------------------------
// Scenarios
// ---------------------------------------------------------------------------------------------

/// Apply, empty plan, in-place AlterCluster, a state-only change, replacement on `local_server`,
/// destroy with `standaloneServer`: the whole life of a cluster in JSON mode.
#[test]
fn lifecycle_create_alter_replace_destroy() {
    for_each_terraform("lifecycle_create_alter_replace_destroy", |tf, sim, wd| {
        let mut cfg = Cfg::new(sim);
        write_and_init(wd, &cfg);

        wd.apply().assert_success();
        let a = attrs(wd);
        assert_eq!(a["id"], "10.0.1.15", "{tf}: {a:#}");
        assert_eq!(
            a["standalone_server"], "10.0.1.15",
            "{tf}: default not in state: {a:#}"
        );
        let c = cluster(sim, "10.0.1.15")
            .unwrap_or_else(|| panic!("{tf}: no cluster: {:#?}", clusters(sim)));
        assert_eq!(
            (
                &c["remoteServer"],
                &c["port"],
                &c["format"],
                &c["publicKey"]
            ),
            (
                &json!("10.0.2.15"),
                &json!(81),
                &json!("json"),
                &json!(cfg.remote_public_key)
            ),
            "{tf}: {c}"
        );
        let sent = calls(sim);
        assert_eq!(actions(&sent), ["CreateCluster"], "{tf}");
        assert_eq!(
            sent[0]["payloadHash"], "real",
            "{tf}: X-Amz-Content-Sha256 is not the body's hash"
        );
        assert_eq!(
            sent[0]["signedHeaders"], "content-type;host;x-amz-content-sha256;x-amz-date",
            "{tf}"
        );
        assert_eq!(sent[0]["fields"]["port"], "81", "{tf}: {}", sent[0]);

        wd.plan().assert_no_changes();

        // Port and remote server: one in-place AlterCluster.
        cfg.port = "444".to_owned();
        cfg.remote_server = "db-b.example.com".to_owned();
        wd.write_main_tf(&cfg.hcl());
        let plan = wd.plan();
        plan.assert_changes(0, 1, 0);
        plan.assert_contains("updated in-place");
        plan.assert_not_contains("must be replaced");
        clear_calls(sim);
        wd.apply().assert_success();
        let sent = calls(sim);
        assert_eq!(actions(&sent), ["AlterCluster"], "{tf}");
        assert_eq!(
            sent[0]["fields"],
            json!({"remoteServer": "db-b.example.com", "port": "444", "publicKey": cfg.remote_public_key, "privateKey": cfg.remote_private_key}),
            "{tf}"
        );
        let c = cluster(sim, "10.0.1.15").expect("cluster still there");
        assert_eq!(
            (&c["remoteServer"], &c["port"]),
            (&json!("db-b.example.com"), &json!(444)),
            "{tf}"
        );
        wd.plan().assert_no_changes();

        // standalone_server is state only: an update without a request.
        cfg.standalone_server = Some("10.0.2.15".to_owned());
        wd.write_main_tf(&cfg.hcl());
        wd.plan().assert_changes(0, 1, 0);
        clear_calls(sim);
        wd.apply().assert_success();
        assert!(
            calls(sim).is_empty(),
            "{tf}: a state-only change called the API: {:#?}",
            calls(sim)
        );
        cfg.standalone_server = None;
        wd.write_main_tf(&cfg.hcl());
        wd.apply().assert_success();

        // local_server: a replacement, dissolving the old cluster before creating the new one.
        cfg.local_server = "10.0.1.16".to_owned();
        wd.write_main_tf(&cfg.hcl());
        let plan = wd.plan();
        plan.assert_changes(1, 0, 1);
        plan.assert_contains("must be replaced");
        clear_calls(sim);
        wd.apply().assert_success();
        let sent = calls(sim);
        assert_eq!(actions(&sent), ["DeleteCluster", "CreateCluster"], "{tf}");
        assert_eq!(
            sent[0]["fields"],
            json!({"standaloneServer": "10.0.1.15"}),
            "{tf}"
        );
        assert_eq!(sent[1]["fields"]["localServer"], "10.0.1.16", "{tf}");
        assert!(cluster(sim, "10.0.1.15").is_none(), "{tf}");
        assert!(cluster(sim, "10.0.1.16").is_some(), "{tf}");
        assert_eq!(attrs(wd)["id"], "10.0.1.16", "{tf}");
        wd.plan().assert_no_changes();

        clear_calls(sim);
        wd.destroy().assert_success();
        let sent = calls(sim);
        assert_eq!(actions(&sent), ["DeleteCluster"], "{tf}");
        assert_eq!(
            sent[0]["fields"],
            json!({"standaloneServer": "10.0.1.16"}),
            "{tf}"
        );
        assert!(
            wd.state_instance(ADDR).is_none(),
            "{tf}: still in state after destroy"
        );
        assert!(clusters(sim).is_empty(), "{tf}: {:#?}", clusters(sim));
    });
}

/// `payload_format = "xml"`: every request is XML, the simulator answers in XML, and an error
/// answer (here an unknown remote key) still lands on the attribute with its request id.
#[test]
fn xml_mode_end_to_end() {
    for_each_terraform("xml_mode_end_to_end", |tf, sim, wd| {
        let mut cfg = Cfg::new(sim);
        cfg.payload_format = Some("xml".to_owned());
        let good_key = cfg.remote_public_key.clone();
        cfg.remote_public_key = "NOTAKEYOFTHISSIM0000".to_owned();
        write_and_init(wd, &cfg);

        let out = wd.apply();
        out.assert_failure();
        out.assert_contains("remote_public_key");
        out.assert_contains("request id");
        out.assert_contains("Invalid value for PublicKey");
        assert!(
            wd.state_instance(ADDR).is_none(),
            "{tf}: a rejected create reached state"
        );

        cfg.remote_public_key = good_key;
        wd.write_main_tf(&cfg.hcl());
        wd.apply().assert_success();
        wd.plan().assert_no_changes();

        cfg.port = "4432".to_owned();
        wd.write_main_tf(&cfg.hcl());
        wd.plan().assert_changes(0, 1, 0);
        wd.apply().assert_success();
        let c = cluster(sim, "10.0.1.15").expect("cluster");
        assert_eq!(
            (&c["format"], &c["port"]),
            (&json!("xml"), &json!(4432)),
            "{tf}: {c}"
        );

        wd.destroy().assert_success();
        let sent = calls(sim);
        assert_eq!(
            actions(&sent),
            [
                "CreateCluster",
                "CreateCluster",
                "AlterCluster",
                "DeleteCluster"
            ],
            "{tf}"
        );
        assert!(sent.iter().all(|c| c["format"] == "xml"), "{tf}: {sent:#?}");
        assert_eq!(
            sent[3]["fields"],
            json!({"StandaloneServer": "10.0.1.15"}),
            "{tf}"
        );
        assert!(clusters(sim).is_empty(), "{tf}");
    });
}

/// Invalid arguments fail at plan time, on the attribute, without a single request.
#[test]
fn invalid_input_is_rejected_at_plan() {
    for_each_terraform("invalid_input_is_rejected_at_plan", |tf, sim, wd| {
        let good = Cfg::new(sim);
        write_and_init(wd, &good);
        let mut port = good.clone();
        port.port = "70000".to_owned();
        let mut public = good.clone();
        public.remote_public_key = String::new();
        let mut private = good.clone();
        private.remote_private_key = String::new();
        let mut local = good.clone();
        local.local_server = "not a host!".to_owned();
        let mut format = good.clone();
        format.payload_format = Some("yaml".to_owned());
        let mut endpoint = good.clone();
        endpoint.endpoint = Some("10.0.0.5:82".to_owned());

        for (attr, cfg) in [
            ("port", &port),
            ("remote_public_key", &public),
            ("remote_private_key", &private),
            ("local_server", &local),
            ("payload_format", &format),
            ("endpoint", &endpoint),
        ] {
            sim.clear_requests();
            wd.write_main_tf(&cfg.hcl());
            let plan = wd.plan();
            plan.assert_error();
            assert!(
                plan.flat().contains(attr),
                "{tf}: the error does not name {attr}:\n{}",
                plan.describe()
            );
            let sent = sim.vendor_requests("cloudbasic");
            assert!(
                sent.is_empty(),
                "{tf}: invalid {attr} sent requests: {sent:#?}"
            );
        }
        assert!(clusters(sim).is_empty(), "{tf}");
    });
}

/// Import by `local_server`, then a plan that fills the remote settings in place (never a
/// replacement), an apply that sends AlterCluster, and an empty plan.
#[test]
fn import_then_plan_updates_remote_settings_in_place() {
    for_each_terraform(
        "import_then_plan_updates_remote_settings_in_place",
        |tf, sim, wd| {
            let cfg = Cfg::new(sim);
            write_and_init(wd, &cfg);
            wd.apply().assert_success();
            wd.remove_file("terraform.tfstate");
            wd.remove_file("terraform.tfstate.backup");

            let bad = wd.import(ADDR, "not a host");
            bad.assert_failure();
            bad.assert_contains("Invalid import id");

            clear_calls(sim);
            let out = wd.import(ADDR, "10.0.1.15");
            out.assert_success();
            out.assert_contains("Import successful");
            let a = attrs(wd);
            assert_eq!(
                (&a["id"], &a["local_server"]),
                (&json!("10.0.1.15"), &json!("10.0.1.15")),
                "{tf}: {a:#}"
            );
            // Read fills no defaults: what the import cannot know stays null.
            assert!(
                a["remote_server"].is_null()
                    && a["port"].is_null()
                    && a["standalone_server"].is_null(),
                "{tf}: import invented values: {a:#}"
            );
            assert!(calls(sim).is_empty(), "{tf}: import called the API");

            // The remote settings are sent in place; standalone_server (state only, and never
            // readable) is recorded with the one import warning.
            let plan = wd.plan();
            plan.assert_changes(0, 1, 0);
            plan.assert_not_contains("must be replaced");
            // Terraform 0.13 drops a plan's warnings (its plan walk keeps errors only).
            if !tf.is_pre_1_0() {
                plan.assert_contains("Arguments recorded in state only after import");
                plan.assert_contains("`standalone_server`");
            }
            wd.apply().assert_success();
            assert_eq!(actions(&calls(sim)), ["AlterCluster"], "{tf}");
            assert_eq!(attrs(wd)["standalone_server"], json!("10.0.1.15"), "{tf}");
            wd.plan().assert_no_changes();

            wd.destroy().assert_success();
            assert!(clusters(sim).is_empty(), "{tf}");
        },
    );
}

/// A missing endpoint is an error naming it and its variable (the key pair is not needed to
/// configure: see `a_signed_call_without_credentials_fails_before_sending`); the variables work
/// as well as HCL; a wrong secret is refused by the API with a clear message.
#[test]
fn provider_settings_and_credentials() {
    for name in [
        "CLOUDBASIC_ENDPOINT",
        "CLOUDBASIC_ACCESS_KEY",
        "CLOUDBASIC_SECRET_KEY",
    ] {
        std::env::remove_var(name);
    }
    for_each_terraform("provider_settings_and_credentials", |tf, sim, wd| {
        let full = Cfg::new(sim);
        let mut bare = full.clone();
        bare.endpoint = None;
        bare.access_key = None;
        bare.secret_key = None;
        write_and_init(wd, &bare);
        sim.clear_requests();
        let plan = wd.plan();
        plan.assert_error();
        let flat = plan.flat();
        for needle in ["endpoint", "CLOUDBASIC_ENDPOINT"] {
            assert!(
                flat.contains(needle),
                "{tf}: no {needle}:\n{}",
                plan.describe()
            );
        }
        assert!(
            !flat.contains("CLOUDBASIC_ACCESS_KEY"),
            "{tf}: the key pair is not needed to configure:\n{}",
            plan.describe()
        );
        assert!(sim.vendor_requests("cloudbasic").is_empty(), "{tf}");

        let mut env_wd = Workdir::new(tf, &[PROVIDER]);
        env_wd
            .set_env(
                "CLOUDBASIC_ENDPOINT",
                full.endpoint.as_deref().unwrap_or_default(),
            )
            .set_env(
                "CLOUDBASIC_ACCESS_KEY",
                full.access_key.as_deref().unwrap_or_default(),
            )
            .set_env("CLOUDBASIC_SECRET_KEY", "wrong-secret");
        write_and_init(&env_wd, &bare);
        env_wd.plan().assert_changes(1, 0, 0);
        let out = env_wd.apply();
        out.assert_failure();
        out.assert_contains("refused the request signature");
        out.assert_contains("403");
        assert!(env_wd.state_instance(ADDR).is_none(), "{tf}");

        // HCL wins over the environment.
        let mut with_secret = bare.clone();
        with_secret.secret_key = full.secret_key.clone();
        env_wd.write_main_tf(&with_secret.hcl());
        env_wd.apply().assert_success();
        env_wd.destroy().assert_success();
        assert!(clusters(sim).is_empty(), "{tf}");
    });
}

/// Neither the provider's secret key nor the remote private key appears in the log, even at
/// TRACE.
#[test]
fn secrets_stay_out_of_trace_logs() {
    for_each_terraform("secrets_stay_out_of_trace_logs", |tf, sim, _| {
        let cfg = Cfg::new(sim);
        // A work dir of its own: the harness's cannot take extra environment variables.
        let mut wd_log = Workdir::new(tf, &[PROVIDER]);
        let log = wd_log.root().join("trace.log");
        wd_log
            .set_env("TF_LOG", "TRACE")
            .set_env("TF_LOG_PATH", &log.display().to_string());
        write_and_init(&wd_log, &cfg);
        wd_log.apply().assert_success();
        wd_log.destroy().assert_success();
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        let provider_lines: Vec<&str> = text
            .lines()
            .filter(|l| l.contains("terraform-provider-cloudbasic"))
            .collect();
        assert!(
            provider_lines.iter().any(|l| l.contains("CreateCluster")),
            "{tf}: no provider log lines about CreateCluster in {}",
            log.display()
        );
        // The whole log, Terraform's own lines included: nothing the provider sends back
        // (diagnostics, state) may carry the secrets either.
        for secret in [
            cfg.secret_key.as_deref().unwrap_or("-"),
            &cfg.remote_private_key,
        ] {
            let leaks: Vec<&str> = text.lines().filter(|l| l.contains(secret)).collect();
            assert!(
                leaks.is_empty(),
                "{tf}: a secret reached the log: {leaks:#?}"
            );
        }
    });
}

/// The cluster's remote settings as the simulator holds them.
fn remote_settings(c: &Value) -> (Value, Value, Value) {
    (
        c["remoteServer"].clone(),
        c["port"].clone(),
        c["publicKey"].clone(),
    )
}

/// CreateCluster is applied, then its answer is lost (a 503, a dropped connection, a success
/// body that is no answer): sent again, it is refused because the local server already has a
/// cluster; that cluster is adopted, AlterCluster sets the configured remote settings on it,
/// and a warning says exactly that. Plan is empty afterwards and destroy removes the cluster.
#[test]
fn a_create_whose_answer_is_lost_after_acting_is_adopted() {
    for_each_terraform(
        "a_create_whose_answer_is_lost_after_acting_is_adopted",
        |tf, sim, wd| {
            let cfg = Cfg::new(sim);
            write_and_init(wd, &cfg);
            for (kind, fault) in [
                ("503", json!({"status": 503, "act": true})),
                ("drop", json!({"drop": true, "act": true})),
                ("garbled 200", json!({"garble": "invalid"})),
            ] {
                clear_calls(sim);
                let mut fault = fault;
                fault["vendor"] = json!("cloudbasic");
                fault["method"] = json!("POST");
                fault["path_contains"] = json!("CreateCluster");
                sim.inject_fault(fault);
                let out = wd.apply();
                out.assert_success();
                let sent = calls(sim);
                assert_eq!(
                    actions(&sent),
                    ["CreateCluster", "CreateCluster", "AlterCluster"],
                    "{tf}, {kind}: {sent:#?}"
                );
                assert_eq!(sent[1]["status"], 400, "{tf}, {kind}: {sent:#?}");
                let c = cluster(sim, "10.0.1.15")
                    .unwrap_or_else(|| panic!("{tf}, {kind}: no cluster: {:#?}", clusters(sim)));
                assert_eq!(
                    remote_settings(&c),
                    (json!("10.0.2.15"), json!(81), json!(cfg.remote_public_key)),
                    "{tf}, {kind}: {c:#}"
                );
                if !tf.is_pre_1_0() {
                    // Terraform 0.13 never displays warnings.
                    out.assert_contains("adopted the cluster that already exists on 10.0.1.15");
                    out.assert_contains("AlterCluster was sent with the configured remote_server");
                }
                let a = attrs(wd);
                assert_eq!(a["id"], "10.0.1.15", "{tf}, {kind}: {a:#}");
                wd.plan().assert_no_changes();
                wd.destroy().assert_success();
                assert!(
                    clusters(sim).is_empty(),
                    "{tf}, {kind}: {:#?}",
                    clusters(sim)
                );
            }
        },
    );
}

/// A 503 from a proxy in front of the API (it never acted): sent again, CreateCluster succeeds;
/// nothing is altered, nothing warned about.
#[test]
fn a_create_answered_503_without_acting_is_sent_again() {
    for_each_terraform(
        "a_create_answered_503_without_acting_is_sent_again",
        |tf, sim, wd| {
            let cfg = Cfg::new(sim);
            write_and_init(wd, &cfg);
            sim.inject_fault(json!({"vendor": "cloudbasic", "method": "POST",
                "path_contains": "CreateCluster", "status": 503, "times": 2}));
            let out = wd.apply();
            out.assert_success();
            out.assert_not_contains("adopted");
            let logged: Vec<Value> = sim
                .vendor_requests("cloudbasic")
                .into_iter()
                .filter(|r| r["path"] == "/api/CreateCluster")
                .collect();
            let statuses: Vec<&Value> = logged.iter().map(|r| &r["status"]).collect();
            assert_eq!(
                statuses,
                [&json!(503), &json!(503), &json!(200)],
                "{tf}: {logged:#?}"
            );
            assert_eq!(actions(&calls(sim)), ["CreateCluster"], "{tf}");
            wd.plan().assert_no_changes();
            wd.destroy().assert_success();
            assert!(clusters(sim).is_empty(), "{tf}");
        },
    );
}

/// A first CreateCluster refused because the local server already has a cluster is an error
/// on `local_server` that tells how to import it; after the import, the plan updates in place.
#[test]
fn an_existing_cluster_is_an_error_that_says_import() {
    for_each_terraform(
        "an_existing_cluster_is_an_error_that_says_import",
        |tf, sim, wd| {
            let cfg = Cfg::new(sim);
            write_and_init(wd, &cfg);
            wd.apply().assert_success();
            wd.run(&["state", "rm", ADDR]).assert_success();
            clear_calls(sim);

            let out = wd.apply();
            out.assert_failure();
            out.assert_contains("10.0.1.15 already has a cluster");
            out.assert_contains("terraform import <address of this cloudbasic_cluster> 10.0.1.15");
            assert_eq!(actions(&calls(sim)), ["CreateCluster"], "{tf}: sent once");
            assert!(wd.state_instance(ADDR).is_none(), "{tf}");

            wd.import(ADDR, "10.0.1.15").assert_success();
            wd.plan().assert_changes(0, 1, 0);
            wd.apply().assert_success();
            wd.plan().assert_no_changes();
            wd.destroy().assert_success();
            assert!(clusters(sim).is_empty(), "{tf}");
        },
    );
}

// ---------------------------------------------------------------------------------------------
// cloudbasic_instance
// ---------------------------------------------------------------------------------------------

const LOCAL_INSTANCE: &str = "cloudbasic_instance.local";
const REMOTE_INSTANCE: &str = "cloudbasic_instance.remote";
const HA_CLUSTER: &str = "cloudbasic_cluster.ha";

/// The provider block without a key pair, for activations.
fn activation_provider(sim: &Sim) -> String {
    let mut s = required_providers(&["cloudbasic"]);
    s.push_str(&format!(
        "\nprovider \"cloudbasic\" {{\n  endpoint = {}\n}}\n",
        hcl_string(&sim.vendor_url("cloudbasic"))
    ));
    s
}

/// One `cloudbasic_instance`; `extra` holds more argument lines.
fn instance_hcl(label: &str, instance_id: &str, email: &str, extra: &str) -> String {
    format!(
        r#"
resource "cloudbasic_instance" "{label}" {{
  instance_id   = "{instance_id}"
  email         = "{email}"
  password      = "Console-pw-1"
  agree_to_eula = true
{extra}}}
"#
    )
}

/// The whole HA pair in one configuration: both instances activated by a provider without
/// keys, a second provider block signing with the local instance's new keys, and the cluster on
/// it naming the remote instance's keys.
fn ha_pair_hcl(sim: &Sim) -> String {
    let mut s = activation_provider(sim);
    s.push_str(&instance_hcl(
        "local",
        "i-0aaaaaaaaaaaaaaa1",
        "ops@example.com",
        "  company       = \"Example Ltd\"\n",
    ));
    s.push_str(&instance_hcl(
        "remote",
        "i-0bbbbbbbbbbbbbbb2",
        "ops@example.com",
        &format!(
            "  endpoint      = {}\n",
            hcl_string(&sim.vendor_url("cloudbasic"))
        ),
    ));
    s.push_str(
        r#"
provider "cloudbasic" {
  alias      = "local"
  endpoint   = cloudbasic_instance.local.endpoint
  access_key = cloudbasic_instance.local.access_key
  secret_key = cloudbasic_instance.local.secret_key
}

resource "cloudbasic_cluster" "ha" {
  provider           = cloudbasic.local
  local_server       = "10.0.1.15"
  remote_server      = "10.0.2.15"
  port               = 81
  remote_public_key  = cloudbasic_instance.remote.access_key
  remote_private_key = cloudbasic_instance.remote.secret_key
}
"#,
    );
    s
}

fn instances(sim: &Sim) -> Vec<Value> {
    sim.admin_get("/_admin/cloudbasic/instances")
        .as_array()
        .cloned()
        .unwrap_or_default()
}

/// One apply activates both instances and clusters them, the cluster signed by the local
/// instance's new key; the next plan is empty; destroy dissolves the cluster and forgets the
/// instances with a warning each.
#[test]
fn ha_pair_in_one_apply() {
    for_each_terraform("ha_pair_in_one_apply", |tf, sim, wd| {
        let started = std::time::Instant::now();
        wd.write_main_tf(&ha_pair_hcl(sim));
        wd.init().assert_success();
        let plan = wd.plan();
        plan.assert_changes(3, 0, 0);
        // The endpoint default is shown in the plan, not "known after apply".
        plan.assert_contains(&sim.vendor_url("cloudbasic"));

        wd.apply().assert_success();
        let local = wd
            .state_attributes(LOCAL_INSTANCE)
            .unwrap_or_else(|| panic!("{tf}: no local instance:\n{:#}", wd.state()));
        let remote = wd
            .state_attributes(REMOTE_INSTANCE)
            .expect("remote instance");
        assert_eq!(local["id"], "i-0aaaaaaaaaaaaaaa1", "{tf}: {local:#}");
        assert_eq!(
            local["endpoint"],
            json!(sim.vendor_url("cloudbasic")),
            "{tf}"
        );
        assert_eq!(local["is_production"], json!(false), "{tf}");
        for a in [&local, &remote] {
            assert_eq!(
                a["access_key"].as_str().map(str::len),
                Some(20),
                "{tf}: {a:#}"
            );
            assert_eq!(a["secret_key"].as_str().map(str::len), Some(40), "{tf}");
        }
        let activated = instances(sim);
        assert_eq!(activated.len(), 2, "{tf}: {activated:#?}");
        let local_activation = activated
            .iter()
            .find(|i| i["instanceId"] == "i-0aaaaaaaaaaaaaaa1")
            .expect("local activation");
        assert_eq!(
            (&local_activation["publicKey"], &local_activation["company"]),
            (&local["access_key"], &json!("Example Ltd")),
            "{tf}"
        );

        let c = cluster(sim, "10.0.1.15")
            .unwrap_or_else(|| panic!("{tf}: no cluster: {:#?}", clusters(sim)));
        assert_eq!(
            c["accessKey"], local["access_key"],
            "{tf}: not signed by local: {c}"
        );
        assert_eq!(c["publicKey"], remote["access_key"], "{tf}: {c}");
        assert_eq!(c["privateKey"], remote["secret_key"], "{tf}: {c}");
        let sent = calls(sim);
        assert_eq!(actions(&sent), ["CreateCluster"], "{tf}");
        assert_eq!(sent[0]["accessKey"], local["access_key"], "{tf}");
        let ha = wd.state_attributes(HA_CLUSTER).expect("cluster in state");
        assert_eq!(ha["id"], "10.0.1.15", "{tf}: {ha:#}");

        wd.plan().assert_no_changes();

        let out = wd.destroy();
        out.assert_success();
        if !tf.is_pre_1_0() {
            // Terraform 0.13 never displays warnings.
            out.assert_contains("instance i-0aaaaaaaaaaaaaaa1 stays activated");
            out.assert_contains("instance i-0bbbbbbbbbbbbbbb2 stays activated");
        }
        assert!(clusters(sim).is_empty(), "{tf}: {:#?}", clusters(sim));
        assert_eq!(
            actions(&calls(sim)),
            ["CreateCluster", "DeleteCluster"],
            "{tf}"
        );
        assert!(
            wd.state_instances().is_empty(),
            "{tf}: {:#?}",
            wd.state_instances()
        );
        eprintln!("=== ha_pair_in_one_apply: {tf}: {:?}", started.elapsed());
    });
}

/// The narrow cases, on one Terraform: a fixed argument's change and `agree_to_eula = false`
/// are plan errors on the attribute (no request); import is refused with the reason.
#[test]
fn instance_fixed_arguments_eula_and_import() {
    let Some(tf) = support::matrix::matrix_terraform("instance_fixed_arguments_eula_and_import")
    else {
        return;
    };
    let started = std::time::Instant::now();
    let sim = Sim::start();
    let wd = Workdir::new(&tf, &[PROVIDER]);
    let base = activation_provider(&sim);
    let one = |email: &str, extra: &str| {
        format!(
            "{base}{}",
            instance_hcl("local", "i-0ccccccccccccccc3", email, extra)
        )
    };
    wd.write_main_tf(&one("ops@example.com", ""));
    wd.init().assert_success();
    wd.apply().assert_success();
    assert_eq!(instances(&sim).len(), 1);

    sim.clear_requests();
    wd.write_main_tf(&one("other@example.com", ""));
    let plan = wd.plan();
    plan.assert_error();
    plan.assert_contains("email cannot be changed");
    assert!(sim.vendor_requests("cloudbasic").is_empty());

    // A new instance that does not agree to the EULA: refused at plan, before any request.
    wd.write_main_tf(&format!(
        "{}{}",
        one("ops@example.com", ""),
        instance_hcl("other", "i-0ddddddddddddddd4", "ops@example.com", "")
            .replace("agree_to_eula = true", "agree_to_eula = false")
    ));
    let plan = wd.plan();
    plan.assert_error();
    plan.assert_contains("agree_to_eula");
    assert!(plan.flat().contains("must be true"), "{}", plan.describe());
    assert!(sim.vendor_requests("cloudbasic").is_empty());

    // Import: refused, saying why.
    wd.write_main_tf(&format!(
        "{}{}",
        one("ops@example.com", ""),
        instance_hcl("other", "i-0ddddddddddddddd4", "ops@example.com", "")
    ));
    let out = wd.import("cloudbasic_instance.other", "i-0ddddddddddddddd4");
    out.assert_failure();
    out.assert_contains("cloudbasic_instance cannot be imported");
    out.assert_contains("key pair");
    assert!(sim.vendor_requests("cloudbasic").is_empty());

    wd.write_main_tf(&one("ops@example.com", ""));
    wd.destroy().assert_success();
    eprintln!(
        "=== instance_fixed_arguments_eula_and_import: {tf}: {:?}",
        started.elapsed()
    );
}

/// A cluster whose provider has no key pair anywhere (neither HCL nor environment): the plan
/// goes through, and the apply fails with one error naming both arguments and both variables,
/// before any request.
#[test]
fn a_signed_call_without_credentials_fails_before_sending() {
    let Some(tf) =
        support::matrix::matrix_terraform("a_signed_call_without_credentials_fails_before_sending")
    else {
        return;
    };
    let sim = Sim::start();
    for name in ["CLOUDBASIC_ACCESS_KEY", "CLOUDBASIC_SECRET_KEY"] {
        std::env::remove_var(name);
    }
    let wd = Workdir::new(&tf, &[PROVIDER]);
    let remote = activate(&sim);
    let mut cfg = Cfg::new(&sim);
    cfg.access_key = None;
    cfg.secret_key = None;
    cfg.remote_public_key = remote.public;
    cfg.remote_private_key = remote.private;
    write_and_init(&wd, &cfg);
    sim.clear_requests();
    wd.plan().assert_changes(1, 0, 0);
    let out = wd.apply();
    out.assert_failure();
    let text = out.combined();
    assert_eq!(text.matches("Error:").count(), 1, "{}", out.describe());
    let flat = out.flat();
    for needle in [
        "access_key",
        "secret_key",
        "CLOUDBASIC_ACCESS_KEY",
        "CLOUDBASIC_SECRET_KEY",
        "No request was sent",
    ] {
        assert!(
            flat.contains(needle),
            "{tf}: no {needle}:\n{}",
            out.describe()
        );
    }
    assert!(
        sim.vendor_requests("cloudbasic").is_empty(),
        "{tf}: {:#?}",
        sim.vendor_requests("cloudbasic")
    );
    assert!(wd.state_instance(ADDR).is_none(), "{tf}");
}
