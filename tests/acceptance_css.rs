//! Acceptance tests for `css_cluster` with the real Terraform CLI against `clusterform-sim`
//! (IAM at `<sim>/iam`, CSS at `<sim>/css`). Every scenario runs once per available Terraform
//! version (see `support::terraform_versions`), sequentially, each run with its own simulator
//! and work dir.
//!
//! As in `acceptance_instaclustr.rs`, the tests rely on `-detailed-exitcode` and the
//! `Plan: A to add, C to change, D to destroy.` line, which read the same on 0.13 to 1.11.

mod support;

use std::thread;
use std::time::Duration;

use serde_json::{json, Value};
use support::{hcl_string, required_providers, wait_until, PlanResult, Sim, Terraform, Workdir};

const PROVIDER: (&str, &str) = ("css", env!("CARGO_BIN_EXE_terraform-provider-css"));
const ADDR: &str = "css_cluster.test";
const DOMAIN: &str = "demo-domain";
const USER: &str = "demo";
const PASSWORD: &str = "demo-password";
const PROJECT: &str = "demo-project";
const ADMIN_PASSWORD: &str = "Admin#2024pw";
const NEW_ADMIN_PASSWORD: &str = "Changed#2025pw";

// ---------------------------------------------------------------------------------------------
// Configuration builders
// ---------------------------------------------------------------------------------------------

/// The `provider "css"` block.
#[derive(Clone)]
struct ProviderCfg {
    iam_endpoint: String,
    endpoint: String,
    password: Option<String>,
    auth_token: Option<String>,
}

impl ProviderCfg {
    fn for_sim(sim: &Sim) -> ProviderCfg {
        ProviderCfg {
            iam_endpoint: sim.vendor_url("iam"),
            endpoint: sim.vendor_url("css"),
            password: Some(PASSWORD.to_owned()),
            auth_token: None,
        }
    }

    fn hcl(&self) -> String {
        let mut s = String::from("provider \"css\" {\n");
        s.push_str(&format!(
            "  iam_endpoint = {}\n",
            hcl_string(&self.iam_endpoint)
        ));
        s.push_str(&format!(
            "  endpoint     = {}\n",
            hcl_string(&self.endpoint)
        ));
        s.push_str(&format!("  project_id   = {}\n", hcl_string(PROJECT)));
        if let Some(token) = &self.auth_token {
            s.push_str(&format!("  auth_token   = {}\n", hcl_string(token)));
        } else {
            s.push_str(&format!("  domain_name  = {}\n", hcl_string(DOMAIN)));
            s.push_str(&format!("  user_name    = {}\n", hcl_string(USER)));
            if let Some(p) = &self.password {
                s.push_str(&format!("  password     = {}\n", hcl_string(p)));
            }
        }
        s.push_str("}\n");
        s
    }
}

/// The `resource "css_cluster" "test"` block.
#[derive(Clone)]
struct ClusterCfg {
    name: String,
    instance_num: String,
    flavor: String,
    volume_type: String,
    volume_size: String,
    secure: bool,
    https: bool,
    admin_password: Option<String>,
    /// `(start_time, keep_days)`; the prefix is left to its default.
    backup: Option<(String, u32)>,
    tags: Vec<(String, String)>,
    /// `count = N` (the resource address then takes an index).
    count: Option<u32>,
    /// Raw extra lines inside the resource block.
    extra: String,
}

impl ClusterCfg {
    fn new(name: &str) -> ClusterCfg {
        ClusterCfg {
            name: name.to_owned(),
            instance_num: "2".to_owned(),
            flavor: "ess.spec-4u8g".to_owned(),
            volume_type: "HIGH".to_owned(),
            volume_size: "40".to_owned(),
            secure: false,
            https: false,
            admin_password: None,
            backup: None,
            tags: Vec::new(),
            count: None,
            extra: String::new(),
        }
    }

    /// Security mode with HTTPS, an admin password, automatic snapshots and tags.
    fn full(name: &str) -> ClusterCfg {
        ClusterCfg {
            secure: true,
            https: true,
            admin_password: Some(ADMIN_PASSWORD.to_owned()),
            backup: Some(("16:00 GMT+08:00".to_owned(), 7)),
            tags: vec![
                ("team".to_owned(), "search".to_owned()),
                ("env".to_owned(), "test".to_owned()),
            ],
            ..ClusterCfg::new(name)
        }
    }

    fn hcl(&self) -> String {
        let mut s = String::from("resource \"css_cluster\" \"test\" {\n");
        if let Some(n) = self.count {
            s.push_str(&format!("  count = {n}\n"));
        }
        s.push_str(&format!(
            "  name              = {}\n",
            hcl_string(&self.name)
        ));
        s.push_str("  engine_version    = \"7.10.2\"\n");
        s.push_str(&format!("  instance_num      = {}\n", self.instance_num));
        s.push_str(&format!(
            "  flavor            = {}\n",
            hcl_string(&self.flavor)
        ));
        s.push_str("  vpc_id            = \"vpc-acc\"\n");
        s.push_str("  subnet_id         = \"subnet-acc\"\n");
        s.push_str("  security_group_id = \"sg-acc\"\n");
        if self.secure {
            s.push_str("  authority_enabled = true\n");
        }
        if self.https {
            s.push_str("  https_enabled     = true\n");
        }
        if let Some(p) = &self.admin_password {
            s.push_str(&format!("  admin_password    = {}\n", hcl_string(p)));
        }
        s.push_str(&format!(
            "\n  volume {{\n    volume_type = {}\n    size        = {}\n  }}\n",
            hcl_string(&self.volume_type),
            self.volume_size
        ));
        if let Some((start, keep)) = &self.backup {
            s.push_str(&format!(
                "\n  backup_strategy {{\n    start_time = {}\n    keep_days  = {keep}\n  }}\n",
                hcl_string(start)
            ));
        }
        if !self.tags.is_empty() {
            s.push_str("\n  tags = {\n");
            for (k, v) in &self.tags {
                s.push_str(&format!("    {k} = {}\n", hcl_string(v)));
            }
            s.push_str("  }\n");
        }
        s.push_str(&self.extra);
        s.push_str("}\n");
        s
    }
}

fn main_tf(provider: &ProviderCfg, cluster: Option<&ClusterCfg>) -> String {
    let mut s = required_providers(&["css"]);
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

/// Runs `scenario` once per available Terraform version, each with a fresh simulator (pace
/// 100 ms) and a fresh work dir.
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

fn init_with(wd: &Workdir, hcl: &str) {
    wd.write_main_tf(hcl);
    wd.init().assert_success();
}

fn state_id_of(wd: &Workdir, addr: &str) -> String {
    let attrs = wd
        .state_attributes(addr)
        .unwrap_or_else(|| panic!("{addr} is not in state:\n{:#}", wd.state()));
    attrs["id"]
        .as_str()
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| panic!("{addr} has no id in state: {attrs:#}"))
        .to_owned()
}

fn state_id(wd: &Workdir) -> String {
    state_id_of(wd, ADDR)
}

/// `GET /_admin/css/clusters`.
fn clusters(sim: &Sim) -> Vec<Value> {
    match sim.admin_get("/_admin/css/clusters") {
        Value::Array(a) => a,
        other => panic!("/_admin/css/clusters: expected an array, got {other}"),
    }
}

fn cluster(sim: &Sim, id: &str) -> Option<Value> {
    clusters(sim).into_iter().find(|c| c["id"] == id)
}

#[track_caller]
fn assert_nothing_left(sim: &Sim, tf: &Terraform) {
    let left = clusters(sim);
    assert!(
        left.is_empty(),
        "{tf}: the simulator still holds clusters: {left:#?}"
    );
}

/// The vendor's logged requests as `METHOD path status`.
fn requests(sim: &Sim, vendor: &str) -> Vec<String> {
    sim.vendor_requests(vendor)
        .iter()
        .map(|r| {
            format!(
                "{} {} {}",
                r["method"].as_str().unwrap_or(""),
                r["path"].as_str().unwrap_or(""),
                r["status"]
            )
        })
        .collect()
}

fn token_requests(sim: &Sim) -> usize {
    requests(sim, "iam")
        .iter()
        .filter(|r| r.starts_with("POST /v3/auth/tokens 201"))
        .count()
}

fn count_matching(lines: &[String], prefix: &str, contains: &str) -> usize {
    lines
        .iter()
        .filter(|l| l.starts_with(prefix) && l.contains(contains))
        .count()
}

/// A token straight from the simulated IAM, as a user of `auth_token` would get one.
fn fetch_token(sim: &Sim) -> String {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let resp = reqwest::Client::new()
            .post(format!("{}/v3/auth/tokens", sim.vendor_url("iam")))
            .json(&json!({"auth": {
                "identity": {"methods": ["password"], "password": {"user": {
                    "name": USER, "password": PASSWORD, "domain": {"name": DOMAIN}}}},
                "scope": {"project": {"id": PROJECT}}
            }}))
            .send()
            .await
            .expect("token request");
        assert_eq!(resp.status().as_u16(), 201);
        resp.headers()
            .get("x-subject-token")
            .and_then(|v| v.to_str().ok())
            .expect("X-Subject-Token")
            .to_owned()
    })
}

// ---------------------------------------------------------------------------------------------
// Scenarios
// ---------------------------------------------------------------------------------------------

/// Apply, an empty plan, in-place changes of tags, snapshot policy, admin password and node
/// count (each followed by an empty plan), a shrink that plans a replacement, a cluster deleted
/// behind Terraform's back that is planned again, and a destroy that leaves nothing.
#[test]
fn lifecycle_apply_update_grow_drift_destroy() {
    for_each_terraform(
        "lifecycle_apply_update_grow_drift_destroy",
        |tf, sim, wd| {
            let provider = ProviderCfg::for_sim(sim);
            let mut cfg = ClusterCfg::full("es-acc-life");
            init_with(wd, &main_tf(&provider, Some(&cfg)));

            // Apply, and the cluster is available when apply returns.
            wd.apply().assert_success();
            let id = state_id(wd);
            let c = cluster(sim, &id).unwrap_or_else(|| panic!("{tf}: {id} not in the simulator"));
            assert_eq!(c["status"], "200", "{tf}: apply returned before 200: {c}");
            assert_eq!(c["readyInstances"], 2, "{tf}: {c}");
            assert_eq!(c["passwordSet"], true, "{tf}: {c}");
            assert_eq!(c["backup"]["enable"], "true", "{tf}: {c}");
            assert_eq!(c["backup"]["prefix"], "snapshot", "{tf}: {c}");
            assert_eq!(c["tags"], json!({"team": "search", "env": "test"}), "{tf}");
            let attrs = wd.state_attributes(ADDR).unwrap();
            assert_eq!(attrs["status"], "200", "{tf}: {attrs:#}");
            assert_eq!(
                attrs["engine_type"], "elasticsearch",
                "{tf}: default not in state"
            );
            assert_eq!(attrs["availability_zone"], "demo-az1", "{tf}: {attrs:#}");
            assert_eq!(
                attrs["backup_strategy"]["prefix"], "snapshot",
                "{tf}: {attrs:#}"
            );
            assert_eq!(attrs["nodes"].as_array().map(Vec::len), Some(2), "{tf}");
            assert!(attrs["endpoint"]
                .as_str()
                .is_some_and(|e| e.ends_with(":9200")));
            wd.plan().assert_no_changes();

            // Tags, snapshot policy and admin password change in place.
            cfg.tags = vec![
                ("team".to_owned(), "search-platform".to_owned()),
                ("owner".to_owned(), "alice".to_owned()),
            ];
            cfg.backup = Some(("02:00 GMT+01:00".to_owned(), 30));
            cfg.admin_password = Some(NEW_ADMIN_PASSWORD.to_owned());
            wd.write_main_tf(&main_tf(&provider, Some(&cfg)));
            let plan = wd.plan();
            plan.assert_changes(0, 1, 0);
            plan.assert_not_contains("must be replaced");
            plan.assert_not_contains(NEW_ADMIN_PASSWORD);
            sim.clear_requests();
            wd.apply().assert_success();
            assert_eq!(
                state_id(wd),
                id,
                "{tf}: in-place update replaced the cluster"
            );
            let sent = requests(sim, "css");
            assert_eq!(
                count_matching(&sent, "POST", "/password/reset 200"),
                1,
                "{tf}: {sent:#?}"
            );
            assert_eq!(
                count_matching(&sent, "POST", "/index_snapshot/policy 200"),
                1,
                "{tf}: {sent:#?}"
            );
            assert_eq!(
                count_matching(&sent, "DELETE", "/tags/"),
                2,
                "{tf}: {sent:#?}"
            );
            assert_eq!(
                count_matching(&sent, "POST", "/tags 204"),
                2,
                "{tf}: {sent:#?}"
            );
            assert_eq!(
                count_matching(&sent, "POST", "/extend"),
                0,
                "{tf}: {sent:#?}"
            );
            let c = cluster(sim, &id).unwrap();
            assert_eq!(
                c["tags"],
                json!({"team": "search-platform", "owner": "alice"}),
                "{tf}"
            );
            assert_eq!(c["backup"]["keepday"], 30, "{tf}: {c}");
            assert_eq!(c["backup"]["period"], "02:00 GMT+01:00", "{tf}: {c}");
            wd.plan().assert_no_changes();

            // Removing the backup block turns snapshots off, in place.
            cfg.backup = None;
            wd.write_main_tf(&main_tf(&provider, Some(&cfg)));
            wd.plan().assert_changes(0, 1, 0);
            wd.apply().assert_success();
            assert_eq!(
                cluster(sim, &id).unwrap()["backup"]["enable"],
                "false",
                "{tf}"
            );
            wd.plan().assert_no_changes();

            // Growth is in place through extend; the apply waits for the new nodes.
            cfg.instance_num = "3".to_owned();
            wd.write_main_tf(&main_tf(&provider, Some(&cfg)));
            let plan = wd.plan();
            plan.assert_changes(0, 1, 0);
            plan.assert_contains("updated in-place");
            plan.assert_not_contains("must be replaced");
            sim.clear_requests();
            wd.apply().assert_success();
            assert_eq!(state_id(wd), id, "{tf}: growth replaced the cluster");
            let sent = requests(sim, "css");
            assert_eq!(
                count_matching(&sent, "POST", "/extend 200"),
                1,
                "{tf}: {sent:#?}"
            );
            let c = cluster(sim, &id).unwrap();
            assert_eq!(
                (c["instanceNum"].clone(), c["readyInstances"].clone()),
                (json!(3), json!(3)),
                "{tf}: {c}"
            );
            let attrs = wd.state_attributes(ADDR).unwrap();
            assert_eq!(
                attrs["nodes"].as_array().map(Vec::len),
                Some(3),
                "{tf}: {attrs:#}"
            );
            assert_eq!(attrs["instance_num"], 3, "{tf}");
            wd.plan().assert_no_changes();

            // Shrinking needs a new cluster.
            cfg.instance_num = "2".to_owned();
            wd.write_main_tf(&main_tf(&provider, Some(&cfg)));
            let plan = wd.plan();
            plan.assert_changes(1, 0, 1);
            plan.assert_contains("must be replaced");
            cfg.instance_num = "3".to_owned();
            wd.write_main_tf(&main_tf(&provider, Some(&cfg)));

            // Deleted behind Terraform's back: dropped from state and planned again.
            sim.admin_post(&format!("/_admin/css/clusters/{id}/delete"), None);
            wd.plan().assert_changes(1, 0, 0);
            wd.apply().assert_success();
            let new_id = state_id(wd);
            assert_ne!(new_id, id, "{tf}: no new cluster after drift");
            assert_eq!(cluster(sim, &new_id).unwrap()["status"], "200", "{tf}");
            wd.plan().assert_no_changes();

            wd.destroy().assert_success();
            assert!(
                wd.state_instance(ADDR).is_none(),
                "{tf}: still in state after destroy"
            );
            assert_nothing_left(sim, tf);
        },
    );
}

/// Import by id into an empty state with the same configuration: the first plan shows only the
/// admin password (the API never returns it) as an in-place update; after that apply, no
/// changes. Then a replacing change (a new name) deletes the old cluster before creating the
/// new one.
#[test]
fn import_then_only_admin_password_then_replacement() {
    for_each_terraform(
        "import_then_only_admin_password_then_replacement",
        |tf, sim, wd| {
            let provider = ProviderCfg::for_sim(sim);
            let mut cfg = ClusterCfg::full("es-acc-import");
            init_with(wd, &main_tf(&provider, Some(&cfg)));
            wd.apply().assert_success();
            let id = state_id(wd);

            wd.remove_file("terraform.tfstate");
            wd.remove_file("terraform.tfstate.backup");
            let out = wd.import(ADDR, &id);
            out.assert_success();
            out.assert_contains("Import successful");
            assert_eq!(state_id(wd), id, "{tf}: imported id differs");
            let attrs = wd.state_attributes(ADDR).unwrap();
            assert_eq!(attrs["admin_password"], Value::Null, "{tf}: {attrs:#}");
            assert_eq!(attrs["name"], "es-acc-import", "{tf}: {attrs:#}");

            let plan = wd.plan();
            plan.assert_changes(0, 1, 0);
            plan.assert_contains("admin_password");
            plan.assert_not_contains("must be replaced");
            sim.clear_requests();
            wd.apply().assert_success();
            let sent = requests(sim, "css");
            assert_eq!(
                count_matching(&sent, "POST", "/password/reset 200"),
                1,
                "{tf}: {sent:#?}"
            );
            wd.plan().assert_no_changes();

            // A new name is a new cluster: the old one is deleted (and gone) first.
            cfg.name = "es-acc-renamed".to_owned();
            wd.write_main_tf(&main_tf(&provider, Some(&cfg)));
            let plan = wd.plan();
            plan.assert_changes(1, 0, 1);
            plan.assert_contains("must be replaced");
            wd.apply().assert_success();
            let new_id = state_id(wd);
            assert_ne!(new_id, id, "{tf}: replacement kept the old id");
            assert!(cluster(sim, &id).is_none(), "{tf}: old cluster still there");
            assert_eq!(cluster(sim, &new_id).unwrap()["name"], "es-acc-renamed");
            wd.plan().assert_no_changes();
            wd.destroy().assert_success();
            assert_nothing_left(sim, tf);
        },
    );
}

/// A plain cluster (no security mode, no tags, no backup) imports with no changes at all.
#[test]
fn import_of_a_plain_cluster_plans_nothing() {
    for_each_terraform("import_of_a_plain_cluster_plans_nothing", |tf, sim, wd| {
        let cfg = ClusterCfg::new("es-acc-plain");
        init_with(wd, &main_tf(&ProviderCfg::for_sim(sim), Some(&cfg)));
        wd.apply().assert_success();
        let id = state_id(wd);
        wd.remove_file("terraform.tfstate");
        wd.remove_file("terraform.tfstate.backup");
        wd.import(ADDR, &id).assert_success();
        wd.plan().assert_no_changes();
        wd.destroy().assert_success();
        assert_nothing_left(sim, tf);
    });
}

/// Invalid arguments fail at plan time, on the attribute, without a single IAM or CSS request.
#[test]
fn invalid_arguments_fail_plan_without_requests() {
    for_each_terraform(
        "invalid_arguments_fail_plan_without_requests",
        |tf, sim, wd| {
            let provider = ProviderCfg::for_sim(sim);
            init_with(wd, &main_tf(&provider, None));
            let base = ClusterCfg::new("es-acc-bad");
            let with = |f: &dyn Fn(&mut ClusterCfg)| {
                let mut c = base.clone();
                f(&mut c);
                c
            };
            let cases: Vec<(&str, ClusterCfg)> = vec![
                ("name", with(&|c| c.name = "abc".into())),
                ("name", with(&|c| c.name = "9lives".into())),
                ("instance_num", with(&|c| c.instance_num = "33".into())),
                ("instance_num", with(&|c| c.instance_num = "0".into())),
                ("size", with(&|c| c.volume_size = "45".into())),
                ("volume_type", with(&|c| c.volume_type = "SSD".into())),
                ("https_enabled", with(&|c| c.https = true)),
                ("admin_password", with(&|c| c.secure = true)),
                (
                    "admin_password",
                    with(&|c| {
                        c.secure = true;
                        c.admin_password = Some("alllowercase1".into());
                    }),
                ),
                ("start_time", with(&|c| c.backup = Some(("4pm".into(), 7)))),
                (
                    "keep_days",
                    with(&|c| c.backup = Some(("16:00 GMT+08:00".into(), 91))),
                ),
            ];
            for (attr, cfg) in cases {
                sim.clear_requests();
                wd.write_main_tf(&main_tf(&provider, Some(&cfg)));
                let plan = wd.plan();
                plan.assert_error();
                assert!(
                    plan.flat().contains(attr),
                    "{tf}: the error does not mention {attr}:\n{}",
                    plan.describe()
                );
                let sent = sim.requests();
                assert_eq!(
                    sent["total"], 0,
                    "{tf}: invalid {attr} still sent requests: {sent:#}"
                );
            }
            assert_nothing_left(sim, tf);
        },
    );
}

/// A create that ends in "303": the apply fails with the API's failedReason, the id stays in
/// state (tainted), a second configuration with the same name gets a clear "already exists"
/// error naming that cluster, and destroy removes the failed one.
#[test]
fn failed_create_taints_and_name_collision_is_clear() {
    for_each_terraform(
        "failed_create_taints_and_name_collision_is_clear",
        |tf, sim, wd| {
            let provider = ProviderCfg::for_sim(sim);
            let cfg = ClusterCfg::new("es-acc-fail");
            init_with(wd, &main_tf(&provider, Some(&cfg)));
            sim.admin_post(
                "/_admin/css/next_create_failure",
                Some(json!({"errorCode": "CSS.6000", "errorMsg": "no capacity in demo-az1"})),
            );
            let out = wd.apply();
            out.assert_failure();
            let flat = out.flat();
            assert!(
                flat.contains("no capacity in demo-az1"),
                "{tf}: {}",
                out.describe()
            );
            assert!(flat.contains("303"), "{tf}: {}", out.describe());
            let inst = wd
                .state_instance(ADDR)
                .unwrap_or_else(|| panic!("{tf}: the failed cluster is not in state (leak)"));
            assert_eq!(inst["status"], "tainted", "{tf}: not tainted: {inst:#}");
            let id = inst["attributes"]["id"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
            assert_eq!(
                cluster(sim, &id).map(|c| c["status"].clone()),
                Some(json!("303")),
                "{tf}"
            );

            // Another configuration wants the same name.
            let other = Workdir::new(tf, &[PROVIDER]);
            init_with(&other, &main_tf(&provider, Some(&cfg)));
            let out = other.apply();
            out.assert_failure();
            let flat = out.flat();
            assert!(
                flat.contains("named \"es-acc-fail\" already exists"),
                "{tf}: unclear collision error:\n{}",
                out.describe()
            );
            assert!(
                flat.contains(&id),
                "{tf}: the error does not name {id}:\n{}",
                out.describe()
            );
            assert!(
                other.state_instance(ADDR).is_none(),
                "{tf}: collision left state"
            );

            wd.destroy().assert_success();
            assert!(
                wd.state_instance(ADDR).is_none(),
                "{tf}: still in state after destroy"
            );
            assert_nothing_left(sim, tf);
        },
    );
}

/// Token expiry in the middle of a long create: tokens live 1 s and a create takes about 3 s,
/// so the provider renews its token while waiting and the create still succeeds. Then all
/// tokens are revoked in the middle of another create: the 401 is answered by one renewal.
#[test]
fn token_expiry_and_revocation_during_a_long_create() {
    for_each_terraform(
        "token_expiry_and_revocation_during_a_long_create",
        |tf, sim, wd| {
            sim.admin_post("/_admin/iam/config", Some(json!({"token_ttl_ms": 1000})));
            sim.set_config(json!({"pace_ms": 1000}));
            let provider = ProviderCfg::for_sim(sim);
            init_with(
                wd,
                &main_tf(&provider, Some(&ClusterCfg::new("es-acc-token"))),
            );
            sim.clear_requests();
            wd.apply().assert_success();
            let id = state_id(wd);
            assert_eq!(cluster(sim, &id).unwrap()["status"], "200", "{tf}");
            assert!(
                token_requests(sim) > 1,
                "{tf}: the token was not renewed during a create longer than its life: {:#?}",
                requests(sim, "iam")
            );
            wd.destroy().assert_success();

            // Revocation: long-lived tokens, so only the 401 can trigger a renewal.
            sim.admin_post(
                "/_admin/iam/config",
                Some(json!({"token_ttl_ms": 3_600_000})),
            );
            sim.set_config(json!({"pace_ms": 700}));
            sim.clear_requests();
            let out = thread::scope(|s| {
                let apply = s.spawn(|| wd.apply());
                // Once the create has been accepted, pull the rug.
                wait_until(Duration::from_secs(60), "the create request", || {
                    (!clusters(sim).is_empty()).then_some(())
                });
                sim.admin_post("/_admin/iam/revoke", None);
                apply.join().expect("apply thread")
            });
            out.assert_success();
            let css = requests(sim, "css");
            assert!(
                css.iter().any(|r| r.ends_with(" 401")),
                "{tf}: no request saw the revoked token: {css:#?}"
            );
            assert_eq!(token_requests(sim), 2, "{tf}: {:#?}", requests(sim, "iam"));
            assert_eq!(
                cluster(sim, &state_id(wd)).unwrap()["status"],
                "200",
                "{tf}"
            );
            sim.set_config(json!({"pace_ms": 100}));
            wd.destroy().assert_success();
            assert_nothing_left(sim, tf);
        },
    );
}

/// Ten creates started at once by one apply share a single IAM token request.
#[test]
fn ten_concurrent_creates_share_one_token() {
    for_each_terraform("ten_concurrent_creates_share_one_token", |tf, sim, wd| {
        let cfg = ClusterCfg {
            name: "es-acc-par-${count.index}".to_owned(),
            count: Some(10),
            ..ClusterCfg::new("unused")
        };
        // `${…}` must reach Terraform unescaped, so this name is not passed through hcl_string.
        let hcl = main_tf(&ProviderCfg::for_sim(sim), Some(&cfg))
            .replace("$${count.index}", "${count.index}");
        init_with(wd, &hcl);
        sim.clear_requests();
        wd.apply().assert_success();
        let live = clusters(sim);
        assert_eq!(live.len(), 10, "{tf}: {live:#?}");
        assert!(live.iter().all(|c| c["status"] == "200"), "{tf}: {live:#?}");
        let creates = count_matching(&requests(sim, "css"), "POST", "/clusters 200");
        assert_eq!(creates, 10, "{tf}");
        assert_eq!(
            token_requests(sim),
            1,
            "{tf}: concurrent creates fetched more than one token: {:#?}",
            requests(sim, "iam")
        );
        wd.destroy().assert_success();
        assert_nothing_left(sim, tf);
    });
}

/// `auth_token` replaces IAM: no token request is sent, and a revoked token is a clear error.
/// Missing credentials are one configure-time error naming the setting and its variable, with
/// no request; the environment variable is an equal source. Credentials appear neither in
/// errors nor in the provider's logs.
#[test]
fn credentials_token_env_and_secrecy() {
    for_each_terraform("credentials_token_env_and_secrecy", |tf, sim, wd| {
        // auth_token.
        let token = fetch_token(sim);
        let mut provider = ProviderCfg::for_sim(sim);
        provider.auth_token = Some(token.clone());
        let cfg = ClusterCfg::new("es-acc-token-auth");
        init_with(wd, &main_tf(&provider, Some(&cfg)));
        sim.clear_requests();
        wd.apply().assert_success();
        assert_eq!(requests(sim, "iam"), Vec::<String>::new(), "{tf}");
        sim.admin_post("/_admin/iam/revoke", None);
        let plan = wd.plan();
        plan.assert_error();
        assert!(
            plan.flat().contains("auth_token"),
            "{tf}: {}",
            plan.describe()
        );
        plan.assert_not_contains(&token);
        // Password credentials take over once the token is gone from the configuration.
        wd.write_main_tf(&main_tf(&ProviderCfg::for_sim(sim), Some(&cfg)));
        wd.destroy().assert_success();
        assert_nothing_left(sim, tf);

        // Missing password: one clear error, no request.
        let mut no_password = ProviderCfg::for_sim(sim);
        no_password.password = None;
        let wd2 = Workdir::new(tf, &[PROVIDER]);
        init_with(&wd2, &main_tf(&no_password, Some(&cfg)));
        sim.clear_requests();
        let plan = wd2.plan();
        plan.assert_error();
        let flat = plan.flat();
        assert!(
            flat.contains("password") && flat.contains("CSS_PASSWORD"),
            "{tf}: {}",
            plan.describe()
        );
        assert_eq!(sim.requests()["total"], 0, "{tf}");
        let mut wd3 = Workdir::new(tf, &[PROVIDER]).with_env("CSS_PASSWORD", PASSWORD);
        init_with(&wd3, &main_tf(&no_password, Some(&cfg)));
        wd3.plan().assert_changes(1, 0, 0);

        // A wrong password is refused without being quoted, also in TRACE logs.
        let log = wd3.root().join("provider-trace.log");
        wd3.set_env("CSS_PASSWORD", "Wrong#Password1");
        wd3.set_env("TF_LOG", "TRACE");
        wd3.set_env("TF_LOG_PATH", &log.display().to_string());
        let out = wd3.apply();
        out.assert_failure();
        assert!(
            out.flat().contains("IAM refused the credentials"),
            "{tf}: {}",
            out.describe()
        );
        out.assert_not_contains("Wrong#Password1");
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        let provider_lines: Vec<&str> = text
            .lines()
            .filter(|l| l.contains("terraform-provider-css"))
            .collect();
        assert!(
            !provider_lines.is_empty(),
            "{tf}: no provider log lines in {}",
            log.display()
        );
        for line in provider_lines {
            assert!(
                !line.contains("Wrong#Password1") && !line.contains("MIIsim"),
                "{tf}: a credential reached the log: {line}"
            );
        }
        assert_nothing_left(sim, tf);
    });
}

// ---------------------------------------------------------------------------------------------
// Creates whose answer is lost, and clusters left by an interrupted create
// ---------------------------------------------------------------------------------------------

/// The create requests the provider sent, as `METHOD path status` lines.
fn create_posts(sim: &Sim) -> Vec<String> {
    requests(sim, "css")
        .into_iter()
        .filter(|r| r.starts_with(&format!("POST /v1.0/{PROJECT}/clusters ")))
        .collect()
}

/// The project's cluster listings the provider sent.
fn listings(sim: &Sim) -> usize {
    requests(sim, "css")
        .iter()
        .filter(|r| r.starts_with(&format!("GET /v1.0/{PROJECT}/clusters ")))
        .count()
}

/// A fault on the next create request only.
fn create_fault(kind: Value) -> Value {
    let mut fault = json!({"vendor": "css", "method": "POST", "path_contains": "/clusters"});
    if let (Some(f), Value::Object(k)) = (fault.as_object_mut(), kind) {
        f.extend(k);
    }
    fault
}

/// After a create whose answer was unclear: exactly one cluster of the name, its id in state,
/// an empty plan, and nothing left after destroy.
#[track_caller]
fn assert_one_cluster_then_clean_up(tf: &Terraform, sim: &Sim, wd: &Workdir, name: &str) {
    let named: Vec<Value> = clusters(sim)
        .into_iter()
        .filter(|c| c["name"] == name)
        .collect();
    assert_eq!(
        named.len(),
        1,
        "{tf}: expected one cluster {name:?}: {named:#?}"
    );
    assert_eq!(state_id(wd), named[0]["id"].as_str().unwrap_or(""), "{tf}");
    wd.plan().assert_no_changes();
    wd.destroy().assert_success();
    assert_nothing_left(sim, tf);
}

/// CSS creates the cluster, then answers 503 (a), or closes the connection without an answer
/// (b): the provider finds the new cluster in the project's list and adopts it. Needs the
/// simulator's `act` faults.
#[test]
fn a_create_whose_answer_is_lost_after_acting_is_adopted() {
    for_each_terraform(
        "a_create_whose_answer_is_lost_after_acting_is_adopted",
        |tf, sim, wd| {
            let provider = ProviderCfg::for_sim(sim);
            for (name, kind) in [
                ("es-acc-acted-503", json!({"status": 503, "act": true})),
                ("es-acc-acted-drop", json!({"act": true, "drop": true})),
            ] {
                init_with(wd, &main_tf(&provider, Some(&ClusterCfg::new(name))));
                sim.clear_requests();
                sim.inject_fault(create_fault(kind));
                let out = wd.apply();
                out.assert_success();
                assert!(
                    out.flat().contains("the cluster was found"),
                    "{tf}: no warning about the adopted cluster:\n{}",
                    out.describe()
                );
                assert_eq!(
                    create_posts(sim).len(),
                    1,
                    "{tf}: {:#?}",
                    requests(sim, "css")
                );
                assert_one_cluster_then_clean_up(tf, sim, wd, name);
            }
        },
    );
}

/// (c) A 503 that created nothing: the list shows no new cluster, the create is sent again,
/// and there is one cluster.
#[test]
fn a_create_answered_503_without_acting_is_sent_again() {
    for_each_terraform(
        "a_create_answered_503_without_acting_is_sent_again",
        |tf, sim, wd| {
            let name = "es-acc-plain-503";
            init_with(
                wd,
                &main_tf(&ProviderCfg::for_sim(sim), Some(&ClusterCfg::new(name))),
            );
            sim.clear_requests();
            sim.inject_fault(create_fault(json!({"status": 503})));
            wd.apply().assert_success();
            let posts = create_posts(sim);
            assert_eq!(posts.len(), 2, "{tf}: {posts:#?}");
            assert!(posts[0].ends_with(" 503"), "{tf}: {posts:#?}");
            assert_eq!(listings(sim), 2, "{tf}: {:#?}", requests(sim, "css"));
            assert_one_cluster_then_clean_up(tf, sim, wd, name);
        },
    );
}

/// Creates the cluster `ClusterCfg::new(name)` describes straight through the CSS API, as a
/// provider killed before the id reached state leaves it; returns its id.
fn create_behind_terraforms_back(sim: &Sim, name: &str) -> String {
    let token = fetch_token(sim);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let body = json!({"cluster": {
        "name": name,
        "instanceNum": 2,
        "instance": {
            "flavorRef": "ess.spec-4u8g",
            "volume": {"volume_type": "HIGH", "size": 40},
            "nics": {"vpcId": "vpc-acc", "netId": "subnet-acc", "securityGroupId": "sg-acc"}
        },
        "datastore": {"type": "elasticsearch", "version": "7.10.2"},
        "httpsEnable": false,
        "authorityEnable": false
    }});
    let url = format!("{}/v1.0/{PROJECT}/clusters", sim.vendor_url("css"));
    let created: Value = rt.block_on(async {
        let resp = reqwest::Client::new()
            .post(&url)
            .header("X-Auth-Token", token)
            .json(&body)
            .send()
            .await
            .expect("create request");
        assert!(
            resp.status().is_success(),
            "direct create: {}",
            resp.status()
        );
        resp.json().await.expect("create answer")
    });
    created["cluster"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("no id in {created}"))
        .to_owned()
}

/// (d) Crash recovery: a cluster with the planned name but no id in state stops the create on
/// `name` with its id and the import command, and nothing is sent; after the import the apply
/// succeeds with that cluster.
#[test]
fn a_cluster_left_by_an_interrupted_create_is_imported_not_duplicated() {
    for_each_terraform(
        "a_cluster_left_by_an_interrupted_create_is_imported_not_duplicated",
        |tf, sim, wd| {
            let name = "es-acc-left-behind";
            let left = create_behind_terraforms_back(sim, name);
            init_with(
                wd,
                &main_tf(&ProviderCfg::for_sim(sim), Some(&ClusterCfg::new(name))),
            );
            sim.clear_requests();
            let out = wd.apply();
            out.assert_failure();
            let flat = out.flat();
            for needle in [
                format!("CSS cluster named \"{name}\" already exists"),
                format!("terraform import <this resource's address> {left}"),
                format!("id = \"{left}\""),
                // The diagnostic is attached to the resource's name.
                format!("name = \"{name}\""),
            ] {
                assert!(
                    flat.contains(needle.as_str()),
                    "{tf}: {needle:?} missing:\n{}",
                    out.describe()
                );
            }
            assert!(
                create_posts(sim).is_empty(),
                "{tf}: {:#?}",
                requests(sim, "css")
            );
            assert!(
                wd.state_instance(ADDR).is_none(),
                "{tf}: state holds {ADDR}"
            );

            wd.import(ADDR, &left).assert_success();
            wd.apply().assert_success();
            assert_eq!(state_id(wd), left, "{tf}");
            wd.plan().assert_no_changes();
            assert!(
                create_posts(sim).is_empty(),
                "{tf}: {:#?}",
                requests(sim, "css")
            );
            wd.destroy().assert_success();
            assert_nothing_left(sim, tf);
        },
    );
}

/// An API without the list endpoint (here: its list answers 404): the create goes ahead without
/// the duplicate check. When such a create's answer is lost, nothing can be reconciled: the
/// apply fails saying the cluster may exist and how to import it; the next apply (with the list
/// back) names the cluster, and after the import all is well.
#[test]
fn without_a_cluster_list_a_lost_answer_may_exist() {
    for_each_terraform(
        "without_a_cluster_list_a_lost_answer_may_exist",
        |tf, sim, wd| {
            let provider = ProviderCfg::for_sim(sim);
            let list_missing = json!({
                "vendor": "css", "method": "GET", "path_contains": "/clusters", "status": 404,
                "body": {"errCode": "CSS.0001", "externalMessage": "no such endpoint"}
            });

            let name = "es-acc-nolist";
            init_with(wd, &main_tf(&provider, Some(&ClusterCfg::new(name))));
            sim.inject_fault(list_missing.clone());
            wd.apply().assert_success();
            wd.destroy().assert_success();

            let name = "es-acc-nolist-lost";
            init_with(wd, &main_tf(&provider, Some(&ClusterCfg::new(name))));
            sim.clear_requests();
            sim.inject_fault(list_missing);
            sim.inject_fault(create_fault(json!({"status": 503, "act": true})));
            let out = wd.apply();
            out.assert_failure();
            let flat = out.flat();
            for needle in [
                format!("CSS cluster \"{name}\" may exist"),
                "it answered HTTP 404".to_owned(),
                "terraform import <this resource's address> <its id>".to_owned(),
            ] {
                assert!(
                    flat.contains(needle.as_str()),
                    "{tf}: {needle:?} missing:\n{}",
                    out.describe()
                );
            }
            assert_eq!(
                create_posts(sim).len(),
                1,
                "{tf}: {:#?}",
                requests(sim, "css")
            );
            let made: Vec<Value> = clusters(sim)
                .into_iter()
                .filter(|c| c["name"] == name)
                .collect();
            assert_eq!(made.len(), 1, "{tf}: {made:#?}");
            let id = made[0]["id"].as_str().unwrap_or_default().to_owned();

            let out = wd.apply();
            out.assert_failure();
            assert!(
                out.flat()
                    .contains(&format!("terraform import <this resource's address> {id}")),
                "{tf}:\n{}",
                out.describe()
            );
            wd.import(ADDR, &id).assert_success();
            wd.apply().assert_success();
            wd.destroy().assert_success();
            assert_nothing_left(sim, tf);
        },
    );
}

// ---------------------------------------------------------------------------------------------
// Write-only admin password (Terraform 1.11+)
// ---------------------------------------------------------------------------------------------

const WO_PASSWORD: &str = "Wr1te#Only2025";
const WO_ROTATED: &str = "R0tated#Secret26";
const WO_UNSEEN: &str = "Unseen#Change27";

/// A pass-through to the simulator's CSS API that keeps the JSON body of every POST: the
/// simulator never shows a password it was sent, so this is where a test reads which one went
/// out. Only the CSS endpoint goes through it; IAM is reached directly.
struct BodyTap {
    url: String,
    posts: std::sync::Arc<std::sync::Mutex<Vec<(String, Value)>>>,
    _rt: tokio::runtime::Runtime,
}

#[derive(Clone)]
struct TapState {
    upstream: String,
    client: reqwest::Client,
    posts: std::sync::Arc<std::sync::Mutex<Vec<(String, Value)>>>,
}

impl BodyTap {
    fn start(upstream: String) -> BodyTap {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("tap runtime");
        let listener = rt
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .expect("tap listener");
        let url = format!("http://{}", listener.local_addr().expect("tap address"));
        let posts = std::sync::Arc::default();
        let state = TapState {
            upstream,
            client: {
                let _guard = rt.enter();
                reqwest::Client::builder()
                    .no_proxy()
                    .build()
                    .expect("tap client")
            },
            posts: std::sync::Arc::clone(&posts),
        };
        let app = axum::Router::new().fallback(tap_forward).with_state(state);
        rt.spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        BodyTap {
            url,
            posts,
            _rt: rt,
        }
    }

    /// The bodies of the POSTs whose path ends with `suffix`, oldest first.
    fn posted(&self, suffix: &str) -> Vec<Value> {
        self.posts
            .lock()
            .unwrap()
            .iter()
            .filter(|(path, _)| path.ends_with(suffix))
            .map(|(_, body)| body.clone())
            .collect()
    }

    fn clear(&self) {
        self.posts.lock().unwrap().clear();
    }
}

async fn tap_forward(
    axum::extract::State(tap): axum::extract::State<TapState>,
    request: axum::extract::Request,
) -> axum::response::Response {
    use axum::http::header::{CONTENT_LENGTH, HOST, TRANSFER_ENCODING};
    use axum::response::IntoResponse;
    let (parts, body) = request.into_parts();
    let bytes = axum::body::to_bytes(body, 64 << 20)
        .await
        .unwrap_or_default();
    if parts.method == axum::http::Method::POST {
        if let Ok(json) = serde_json::from_slice::<Value>(&bytes) {
            let path = parts.uri.path().to_owned();
            tap.posts.lock().unwrap().push((path, json));
        }
    }
    let target = parts.uri.path_and_query().map_or("/", |p| p.as_str());
    let mut out = tap
        .client
        .request(parts.method.clone(), format!("{}{target}", tap.upstream));
    for (name, value) in &parts.headers {
        if name != HOST && name != CONTENT_LENGTH {
            out = out.header(name, value);
        }
    }
    match out.body(bytes).send().await {
        Ok(resp) => {
            let status = resp.status();
            let headers = resp.headers().clone();
            let body = resp.bytes().await.unwrap_or_default();
            let mut answer = axum::response::Response::new(axum::body::Body::from(body));
            *answer.status_mut() = status;
            for (name, value) in &headers {
                if name != CONTENT_LENGTH && name != TRANSFER_ENCODING {
                    answer.headers_mut().insert(name, value.clone());
                }
            }
            answer
        }
        Err(e) => (axum::http::StatusCode::BAD_GATEWAY, e.to_string()).into_response(),
    }
}

/// Terraform 1.11 announces write-only support; older ones cannot keep such a value out of
/// state.
fn knows_write_only(tf: &Terraform) -> bool {
    tf.version_tuple() >= (1, 11, 0)
}

/// Runs `scenario` on each available Terraform that `wanted` accepts, with a fresh simulator,
/// a CSS tap in front of it and a work dir of its own (mutable, for `TF_VAR_…`).
fn for_each_terraform_tapped(
    scenario_name: &str,
    wanted: fn(&Terraform) -> bool,
    why_not: &str,
    mut scenario: impl FnMut(&Terraform, &Sim, &BodyTap, &mut Workdir),
) {
    let versions = support::terraform_versions();
    if versions.is_empty() {
        eprintln!("SKIP: {scenario_name}: no Terraform binary available");
    }
    for tf in &versions {
        if !wanted(tf) {
            eprintln!("SKIP: {scenario_name}: {tf}: {why_not}");
            continue;
        }
        eprintln!("=== {scenario_name}: {tf}");
        let sim = Sim::start();
        let tap = BodyTap::start(sim.vendor_url("css"));
        let mut wd = Workdir::new(tf, &[PROVIDER]);
        scenario(tf, &sim, &tap, &mut wd);
        eprintln!("=== {scenario_name}: {tf}: ok");
    }
}

/// The provider block with the CSS endpoint behind the tap.
fn tapped_provider(sim: &Sim, tap: &BodyTap) -> ProviderCfg {
    ProviderCfg {
        endpoint: tap.url.clone(),
        ..ProviderCfg::for_sim(sim)
    }
}

/// A secure cluster whose admin password comes from the ephemeral variable `admin_pw`
/// (`TF_VAR_admin_pw`), so that not even the plan file's copy of the configuration holds it.
fn write_only_cluster(name: &str, version: Option<u32>) -> ClusterCfg {
    let mut cfg = ClusterCfg::new(name);
    cfg.secure = true;
    cfg.extra = String::from("  admin_password_wo = var.admin_pw\n");
    if let Some(v) = version {
        cfg.extra
            .push_str(&format!("  admin_password_wo_version = {v}\n"));
    }
    cfg
}

fn write_only_main_tf(provider: &ProviderCfg, cluster: &ClusterCfg) -> String {
    let mut s = main_tf(provider, Some(cluster));
    s.push_str(
        "\nvariable \"admin_pw\" {\n  type      = string\n  sensitive = true\n  ephemeral = true\n}\n",
    );
    s
}

/// Every member of the plan file (a zip: the plan, the prior states, the configuration) as
/// text, unpacked.
fn plan_file_text(wd: &Workdir, name: &str) -> String {
    let out = std::process::Command::new("unzip")
        .arg("-p")
        .arg(wd.path().join(name))
        .output()
        .unwrap_or_else(|e| panic!("unzip {name}: {e} (is unzip installed?)"));
    assert!(out.status.success(), "unzip -p {name}: {out:?}");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn raw_file(wd: &Workdir, name: &str) -> String {
    std::fs::read_to_string(wd.path().join(name)).unwrap_or_default()
}

#[track_caller]
fn assert_no_secret(tf: &Terraform, what: &str, text: &str, secrets: &[&str]) {
    for s in secrets {
        assert!(
            !text.contains(s),
            "{tf}: {what} holds a write-only password"
        );
    }
}

/// With Terraform 1.11: the write-only password is in neither the plan file (unpacked), nor
/// `terraform show -json` of it, nor the state; create sends it; a new value under the same
/// version plans nothing; a bumped version is an in-place update that sends the new value
/// through the password reset API; setting both passwords is a plan-time error.
#[test]
fn write_only_admin_password_stays_out_of_plan_and_state_and_rotates_by_version() {
    for_each_terraform_tapped(
        "write_only_admin_password_stays_out_of_plan_and_state_and_rotates_by_version",
        knows_write_only,
        "write-only attributes need Terraform 1.11 or later",
        |tf, sim, tap, wd| {
            let provider = tapped_provider(sim, tap);
            let mut cfg = write_only_cluster("es-acc-wo", Some(1));
            wd.set_env("TF_VAR_admin_pw", WO_PASSWORD);
            init_with(wd, &write_only_main_tf(&provider, &cfg));

            let out = wd.run(&["plan", "-input=false", "-no-color", "-out=create.tfplan"]);
            out.assert_success();
            out.assert_contains("admin_password_wo");
            out.assert_not_contains(WO_PASSWORD);
            let unpacked = plan_file_text(wd, "create.tfplan");
            assert!(
                unpacked.contains("admin_password_wo = var.admin_pw"),
                "{tf}: the unpacked plan file lacks its copy of the configuration"
            );
            assert_no_secret(tf, "the plan file", &unpacked, &[WO_PASSWORD]);
            let shown = wd.run(&["show", "-json", "-no-color", "create.tfplan"]);
            shown.assert_success();
            assert_no_secret(tf, "show -json of the plan", &shown.stdout, &[WO_PASSWORD]);
            let plan: Value = serde_json::from_str(shown.stdout.trim()).unwrap();
            let after = &plan["resource_changes"][0]["change"]["after"];
            assert_eq!(after["admin_password_wo"], Value::Null, "{tf}: {after:#}");
            assert_eq!(after["admin_password_wo_version"], 1, "{tf}: {after:#}");

            wd.run(&["apply", "-input=false", "-no-color", "create.tfplan"])
                .assert_success();
            let id = state_id(wd);
            let created = tap.posted("/clusters");
            assert_eq!(created.len(), 1, "{tf}: {created:#?}");
            assert_eq!(
                created[0]["cluster"]["adminPwd"], WO_PASSWORD,
                "{tf}: create did not send the write-only password"
            );
            assert_eq!(cluster(sim, &id).unwrap()["passwordSet"], true, "{tf}");
            assert_no_secret(
                tf,
                "the state",
                &raw_file(wd, "terraform.tfstate"),
                &[WO_PASSWORD],
            );
            let attrs = wd.state_attributes(ADDR).unwrap();
            assert_eq!(attrs["admin_password_wo"], Value::Null, "{tf}: {attrs:#}");
            assert_eq!(attrs["admin_password"], Value::Null, "{tf}: {attrs:#}");
            assert_eq!(attrs["admin_password_wo_version"], 1, "{tf}: {attrs:#}");
            wd.plan().assert_no_changes();

            // A new value under the same version: Terraform cannot see it, nothing is planned.
            wd.set_env("TF_VAR_admin_pw", WO_UNSEEN);
            wd.plan().assert_no_changes();

            // A new version sends the value through the password reset API, in place.
            wd.set_env("TF_VAR_admin_pw", WO_ROTATED);
            cfg = write_only_cluster("es-acc-wo", Some(2));
            wd.write_main_tf(&write_only_main_tf(&provider, &cfg));
            let out = wd.run(&["plan", "-input=false", "-no-color", "-out=rotate.tfplan"]);
            out.assert_success();
            out.assert_contains("updated in-place");
            out.assert_contains("admin_password_wo_version = 1 -> 2");
            out.assert_not_contains("must be replaced");
            assert_no_secret(
                tf,
                "the rotation's plan file",
                &plan_file_text(wd, "rotate.tfplan"),
                &[WO_ROTATED, WO_PASSWORD],
            );
            tap.clear();
            sim.clear_requests();
            wd.run(&["apply", "-input=false", "-no-color", "rotate.tfplan"])
                .assert_success();
            assert_eq!(state_id(wd), id, "{tf}: rotation replaced the cluster");
            let resets = tap.posted("/password/reset");
            assert_eq!(resets, vec![json!({"newpassword": WO_ROTATED})], "{tf}");
            let sent = requests(sim, "css");
            assert_eq!(
                count_matching(&sent, "POST", "/password/reset 200"),
                1,
                "{tf}: {sent:#?}"
            );
            for file in ["terraform.tfstate", "terraform.tfstate.backup"] {
                assert_no_secret(
                    tf,
                    file,
                    &raw_file(wd, file),
                    &[WO_ROTATED, WO_UNSEEN, WO_PASSWORD],
                );
            }
            wd.plan().assert_no_changes();

            // Both passwords at once: a plan-time error on the write-only one, nothing sent.
            let mut both = cfg.clone();
            both.admin_password = Some(ADMIN_PASSWORD.to_owned());
            wd.write_main_tf(&write_only_main_tf(&provider, &both));
            sim.clear_requests();
            let plan = wd.plan();
            plan.assert_error();
            let flat = plan.flat();
            assert!(
                flat.contains("admin_password_wo conflicts with admin_password")
                    && flat.contains("admin_password_wo is the write-only form of admin_password"),
                "{tf}: {}",
                plan.describe()
            );
            assert_eq!(count_matching(&requests(sim, "css"), "POST", ""), 0, "{tf}");

            wd.write_main_tf(&write_only_main_tf(&provider, &cfg));
            wd.destroy().assert_success();
            assert_nothing_left(sim, tf);
        },
    );
}

/// With Terraform 1.11: a cluster made with the plain `admin_password` moves to the
/// write-only one (the removal of `admin_password` is no error then, and the update sends the
/// write-only value); after an import, the API reports no version, so, as for
/// `admin_password`, the first plan is an in-place update that resets the password.
#[test]
fn admin_password_moves_to_write_only_and_import_resets_it() {
    for_each_terraform_tapped(
        "admin_password_moves_to_write_only_and_import_resets_it",
        knows_write_only,
        "write-only attributes need Terraform 1.11 or later",
        |tf, sim, tap, wd| {
            let provider = tapped_provider(sim, tap);
            let mut plain = ClusterCfg::new("es-acc-wo-move");
            plain.secure = true;
            plain.admin_password = Some(ADMIN_PASSWORD.to_owned());
            wd.set_env("TF_VAR_admin_pw", WO_PASSWORD);
            init_with(wd, &write_only_main_tf(&provider, &plain));
            wd.apply().assert_success();
            let id = state_id(wd);
            assert!(
                raw_file(wd, "terraform.tfstate").contains(ADMIN_PASSWORD),
                "{tf}: the plain password is stored, as documented"
            );

            let moved = write_only_cluster("es-acc-wo-move", Some(1));
            wd.write_main_tf(&write_only_main_tf(&provider, &moved));
            let plan = wd.plan();
            plan.assert_changes(0, 1, 0);
            plan.assert_not_contains("cannot be removed");
            tap.clear();
            wd.apply().assert_success();
            assert_eq!(state_id(wd), id, "{tf}");
            assert_eq!(
                tap.posted("/password/reset"),
                vec![json!({"newpassword": WO_PASSWORD})],
                "{tf}"
            );
            assert_no_secret(
                tf,
                "the state",
                &raw_file(wd, "terraform.tfstate"),
                &[ADMIN_PASSWORD, WO_PASSWORD],
            );
            wd.plan().assert_no_changes();

            wd.remove_file("terraform.tfstate");
            wd.remove_file("terraform.tfstate.backup");
            wd.import(ADDR, &id).assert_success();
            let attrs = wd.state_attributes(ADDR).unwrap();
            assert_eq!(
                attrs["admin_password_wo_version"],
                Value::Null,
                "{tf}: {attrs:#}"
            );
            let plan = wd.plan();
            plan.assert_changes(0, 1, 0);
            plan.assert_contains("admin_password_wo_version");
            plan.assert_not_contains("must be replaced");
            tap.clear();
            wd.apply().assert_success();
            assert_eq!(
                tap.posted("/password/reset"),
                vec![json!({"newpassword": WO_PASSWORD})],
                "{tf}"
            );
            wd.plan().assert_no_changes();
            wd.destroy().assert_success();
            assert_nothing_left(sim, tf);
        },
    );
}

/// Terraform before 1.11 does not know write-only attributes and would store the value: the
/// provider refuses it when validating, naming the plain attribute, before any request, and
/// nothing reaches the state. The value comes from a variable (0.13 and 1.0 have no ephemeral
/// ones), which is still unknown while Terraform validates: refused all the same.
#[test]
fn write_only_admin_password_is_refused_before_terraform_1_11() {
    for_each_terraform_tapped(
        "write_only_admin_password_is_refused_before_terraform_1_11",
        |tf| !knows_write_only(tf),
        "this Terraform supports write-only attributes (see the 1.11 scenarios)",
        |tf, sim, tap, wd| {
            let provider = tapped_provider(sim, tap);
            let mut cfg = write_only_cluster("es-acc-wo-old", None);
            let variable = "\nvariable \"admin_pw\" {\n  type = string\n}\n";
            wd.set_env("TF_VAR_admin_pw", WO_PASSWORD);
            init_with(wd, &(main_tf(&provider, Some(&cfg)) + variable));
            sim.clear_requests();
            for out in [wd.plan().output, wd.apply()] {
                out.assert_failure();
                let flat = out.flat();
                assert!(
                    flat.contains("admin_password_wo needs Terraform 1.11 or later")
                        && flat.contains(
                            "admin_password_wo is write-only and needs Terraform 1.11 or later; use admin_password instead."
                        ),
                    "{tf}: {}",
                    out.describe()
                );
                out.assert_not_contains(WO_PASSWORD);
            }
            assert_eq!(requests(sim, "css"), Vec::<String>::new(), "{tf}");
            assert!(wd.state_instance(ADDR).is_none(), "{tf}: {:#}", wd.state());
            assert_no_secret(
                tf,
                "the state",
                &raw_file(wd, "terraform.tfstate"),
                &[WO_PASSWORD],
            );

            // The plain attribute works as always.
            cfg.extra.clear();
            cfg.admin_password = Some(ADMIN_PASSWORD.to_owned());
            wd.write_main_tf(&(main_tf(&provider, Some(&cfg)) + variable));
            wd.apply().assert_success();
            wd.plan().assert_no_changes();
            wd.destroy().assert_success();
            assert_nothing_left(sim, tf);
        },
    );
}

// ---------------------------------------------------------------------------------------------
// data "css_cluster"
// ---------------------------------------------------------------------------------------------

/// A configuration of data sources only: the provider block, then `body`.
fn data_main_tf(provider: &ProviderCfg, body: &str) -> String {
    format!(
        "{}\n{}\n{body}",
        required_providers(&["css"]),
        provider.hcl()
    )
}

fn output(wd: &Workdir, name: &str) -> Value {
    let out = wd.run(&["output", "-json", name]);
    out.assert_success();
    serde_json::from_str(out.stdout.trim())
        .unwrap_or_else(|e| panic!("output {name} is not JSON ({e}):\n{}", out.describe()))
}

/// `GET /v1.0/{project}/clusters/{id}` straight from the simulated CSS, as the API reports it.
fn api_detail(sim: &Sim, id: &str) -> Value {
    let token = fetch_token(sim);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let url = format!("{}/v1.0/{PROJECT}/clusters/{id}", sim.vendor_url("css"));
    rt.block_on(async {
        let resp = reqwest::Client::new()
            .get(&url)
            .header("X-Auth-Token", token)
            .send()
            .await
            .expect("detail request");
        assert!(
            resp.status().is_success(),
            "detail of {id}: {}",
            resp.status()
        );
        resp.json().await.expect("detail answer")
    })
}

const LOOKUPS: &str = r#"
data "css_cluster" "by_name" {
  name = "es-acc-data"
}

data "css_cluster" "by_id" {
  id = "__ID__"
}

output "by_name_id" {
  value = data.css_cluster.by_name.id
}

output "by_name" {
  value = {
    name         = data.css_cluster.by_name.name
    instance_num = data.css_cluster.by_name.instance_num
    size         = data.css_cluster.by_name.volume[0].size
    volume_type  = data.css_cluster.by_name.volume[0].volume_type
    endpoint     = data.css_cluster.by_name.endpoint
    tags         = data.css_cluster.by_name.tags
    keep_days    = data.css_cluster.by_name.backup_strategy[0].keep_days
    nodes        = length(data.css_cluster.by_name.nodes)
    https        = data.css_cluster.by_name.https_enabled
  }
}

output "by_id" {
  value = {
    name         = data.css_cluster.by_id.name
    instance_num = data.css_cluster.by_id.instance_num
    size         = data.css_cluster.by_id.volume[0].size
    volume_type  = data.css_cluster.by_id.volume[0].volume_type
    endpoint     = data.css_cluster.by_id.endpoint
    tags         = data.css_cluster.by_id.tags
    keep_days    = data.css_cluster.by_id.backup_strategy[0].keep_days
    nodes        = length(data.css_cluster.by_id.nodes)
    https        = data.css_cluster.by_id.https_enabled
  }
}
"#;

/// One configuration creates a cluster; another (as a second team would) reads it by name and
/// by id: both report what the simulator holds, the admin password stays out of that state, and
/// a second plan of the reader changes nothing.
#[test]
fn data_source_reads_a_cluster_by_name_and_by_id() {
    for_each_terraform(
        "data_source_reads_a_cluster_by_name_and_by_id",
        |tf, sim, wd| {
            let provider = ProviderCfg::for_sim(sim);
            init_with(
                wd,
                &main_tf(&provider, Some(&ClusterCfg::full("es-acc-data"))),
            );
            wd.apply().assert_success();
            let id = state_id(wd);

            let reader = Workdir::new(tf, &[PROVIDER]);
            init_with(
                &reader,
                &data_main_tf(&provider, &LOOKUPS.replace("__ID__", &id)),
            );
            reader.apply().assert_success();

            let detail = api_detail(sim, &id);
            let held =
                cluster(sim, &id).unwrap_or_else(|| panic!("{tf}: {id} not in the simulator"));
            let first_node = &detail["instances"][0];
            let want = json!({
                "name": detail["name"],
                "instance_num": held["instanceNum"],
                "size": first_node["volume"]["size"],
                "volume_type": first_node["volume"]["type"],
                "endpoint": detail["endpoint"],
                "tags": held["tags"],
                "keep_days": held["backup"]["keepday"],
                "nodes": detail["instances"].as_array().map(Vec::len),
                "https": detail["httpsEnable"],
            });
            assert_eq!(
                want,
                json!({
                    "name": "es-acc-data", "instance_num": 2, "size": 40, "volume_type": "HIGH",
                    "endpoint": want["endpoint"], "tags": {"team": "search", "env": "test"},
                    "keep_days": 7, "nodes": 2, "https": true,
                }),
                "{tf}: the simulator does not hold what the configuration asked for"
            );
            assert!(
                want["endpoint"]
                    .as_str()
                    .is_some_and(|e| e.ends_with(":9200")),
                "{tf}: {want}"
            );
            assert_eq!(output(&reader, "by_name_id"), json!(id), "{tf}");
            assert_eq!(output(&reader, "by_name"), want, "{tf}: by name");
            assert_eq!(output(&reader, "by_id"), want, "{tf}: by id");

            let state = raw_file(&reader, "terraform.tfstate");
            assert!(
                !state.contains(ADMIN_PASSWORD),
                "{tf}: the reader's state holds the admin password"
            );
            reader.plan().assert_no_changes();

            wd.destroy().assert_success();
            assert_nothing_left(sim, tf);
        },
    );
}

/// The lookup's narrow failures, on one Terraform: a name two clusters share lists both ids, an
/// unknown name or id says so on its attribute, and neither or both of `id` and `name` fail the
/// plan on the attribute without a request.
#[test]
fn data_source_lookup_errors() {
    let Some(tf) = support::matrix::matrix_terraform("data_source_lookup_errors") else {
        return;
    };
    let sim = Sim::start();
    let wd = Workdir::new(&tf, &[PROVIDER]);
    let provider = ProviderCfg::for_sim(&sim);
    // CSS refuses to create a second cluster with a name: the admin back door renames one.
    let first = create_behind_terraforms_back(&sim, "es-acc-twin");
    let second = create_behind_terraforms_back(&sim, "es-acc-twin-b");
    sim.admin_post(
        &format!("/_admin/css/clusters/{second}/name"),
        Some(json!({"name": "es-acc-twin"})),
    );
    init_with(&wd, &data_main_tf(&provider, ""));

    let plan_fails = |body: &str, needles: &[&str]| -> PlanResult {
        wd.write_main_tf(&data_main_tf(&provider, body));
        let plan = wd.plan();
        plan.assert_error();
        let flat = plan.flat();
        for needle in needles {
            assert!(
                flat.contains(needle),
                "{tf}: {needle:?} missing:\n{}",
                plan.describe()
            );
        }
        plan
    };

    plan_fails(
        "data \"css_cluster\" \"x\" {\n  name = \"es-acc-twin\"\n}\n",
        &[
            "Several CSS clusters have this name",
            &format!("named \"es-acc-twin\": {first}, {second}"),
            // On the attribute.
            "name = \"es-acc-twin\"",
        ],
    );
    plan_fails(
        "data \"css_cluster\" \"x\" {\n  name = \"es-acc-nobody\"\n}\n",
        &[
            "No CSS cluster named \"es-acc-nobody\"",
            "name = \"es-acc-nobody\"",
        ],
    );
    plan_fails(
        "data \"css_cluster\" \"x\" {\n  id = \"no-such-cluster\"\n}\n",
        &[
            "No CSS cluster with id \"no-such-cluster\"",
            "id = \"no-such-cluster\"",
        ],
    );

    for (body, needles) in [
        (
            "data \"css_cluster\" \"x\" {}\n".to_string(),
            vec!["Missing id or name"],
        ),
        (
            format!("data \"css_cluster\" \"x\" {{\n  id   = \"{first}\"\n  name = \"es-acc-twin\"\n}}\n"),
            vec!["id conflicts with name", "Set id or name, not both"],
        ),
    ] {
        sim.clear_requests();
        plan_fails(&body, &needles);
        let sent = sim.requests();
        assert_eq!(sent["total"], 0, "{tf}: an invalid lookup sent requests: {sent:#}");
    }
}
