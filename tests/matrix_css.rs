//! The update-behaviour matrix of `css_cluster`, with the real Terraform CLI against
//! `clusterform-sim`: every argument of `src/vendors/css/schema.rs` is changed on an applied
//! cluster and the plan (and, for in-place arguments, the apply) must follow the argument's
//! declared behaviour.
//!
//! - [`css_replace_and_in_place_matrix`] (one Terraform: `/usr/local/bin/terraform` when present,
//!   else 1.0.3): three clusters applied once (`a` with every optional argument set to a
//!   non-default value, `b` with none, `c` in security mode without HTTPS), then one plan per
//!   change of every replace argument (set → unset, unset → set, value → value, and the
//!   `instance_num` rule), then every in-place argument changed, applied and checked against the
//!   simulator's request log, each followed by an empty plan.
//! - [`css_import_with_every_argument_configured`] (every Terraform): import, then the first plan
//!   with every optional argument configured (explicit defaults included) only updates the admin
//!   password, which the API never reports, and the apply sends exactly that.

mod support;

use std::time::Instant;

use serde_json::Value;
use support::matrix::{
    fast_sim, forces_replacement_on, q, system_or_1_0_3_terraform, writes_sent, Failures,
    RawResource, IMPORT_WARNING,
};
use support::{required_providers, PlanResult, Sim, Terraform, Workdir};

const PROVIDER: (&str, &str) = ("css", env!("CARGO_BIN_EXE_terraform-provider-css"));
const DOMAIN: &str = "demo-domain";
const USER: &str = "demo";
const PASSWORD: &str = "demo-password";
const PROJECT: &str = "demo-project";
const ADMIN_PASSWORD: &str = "Admin#2024pw";
const NEW_ADMIN_PASSWORD: &str = "Changed#2025pw";
/// The simulator's lifecycle step: creates take a few tens of milliseconds.
const PACE: &str = "20ms";

// ---------------------------------------------------------------------------------------------
// Configuration
// ---------------------------------------------------------------------------------------------

fn provider_hcl(sim: &Sim) -> String {
    format!(
        "provider \"css\" {{\n  iam_endpoint = {}\n  endpoint     = {}\n  project_id   = {}\n  domain_name  = {}\n  user_name    = {}\n  password     = {}\n}}\n",
        q(&sim.vendor_url("iam")),
        q(&sim.vendor_url("css")),
        q(PROJECT),
        q(DOMAIN),
        q(USER),
        q(PASSWORD)
    )
}

fn main_tf(sim: &Sim, clusters: &[RawResource]) -> String {
    let mut s = required_providers(&["css"]);
    s.push('\n');
    s.push_str(&provider_hcl(sim));
    for c in clusters {
        s.push('\n');
        s.push_str(&c.hcl());
    }
    s
}

/// The required arguments, with `instance_num` nodes.
fn minimal(label: &str, name: &str, instance_num: u32) -> RawResource {
    let mut r = RawResource::new("css_cluster", label);
    r.set("name", &q(name))
        .set("engine_version", &q("7.10.2"))
        .set("instance_num", &instance_num.to_string())
        .set("flavor", &q("ess.spec-4u8g"))
        .set("vpc_id", &q("vpc-mx"))
        .set("subnet_id", &q("subnet-mx"))
        .set("security_group_id", &q("sg-mx"))
        .block(
            "volume",
            Some(&[("volume_type", "\"HIGH\""), ("size", "40")]),
        );
    r
}

/// `a`: every optional argument set, none to its default.
fn cluster_a() -> RawResource {
    let mut r = minimal("a", "es-mx-a", 2);
    r.set("engine_type", &q("opensearch"))
        .set("availability_zone", &q("demo-az1,demo-az2"))
        .set("https_enabled", "true")
        .set("authority_enabled", "true")
        .set("admin_password", &q(ADMIN_PASSWORD))
        .set("tags", "{\n    team = \"search\"\n    env  = \"test\"\n  }")
        .block(
            "backup_strategy",
            Some(&[
                ("start_time", "\"16:00 GMT+08:00\""),
                ("prefix", "\"snap\""),
                ("keep_days", "5"),
            ]),
        );
    r
}

/// `b`: no optional argument at all.
fn cluster_b() -> RawResource {
    minimal("b", "es-mx-b", 1)
}

/// `c`: security mode without HTTPS.
fn cluster_c() -> RawResource {
    let mut r = minimal("c", "es-mx-c", 1);
    r.set("authority_enabled", "true")
        .set("admin_password", &q(ADMIN_PASSWORD));
    r
}

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

fn state_id(wd: &Workdir, addr: &str) -> String {
    wd.state_attributes(addr)
        .and_then(|a| a["id"].as_str().map(str::to_owned))
        .unwrap_or_else(|| panic!("{addr} has no id in state:\n{:#}", wd.state()))
}

/// `GET /_admin/css/clusters`, one by id.
fn sim_cluster(sim: &Sim, id: &str) -> Value {
    sim.admin_get("/_admin/css/clusters")
        .as_array()
        .and_then(|a| a.iter().find(|c| c["id"] == id).cloned())
        .unwrap_or_else(|| panic!("cluster {id} is not in the simulator"))
}

/// `(method, path suffix)` pairs, as many as expected of each.
fn writes_match(got: &[String], want: &[(&str, String)]) -> bool {
    if got.len() != want.len() {
        return false;
    }
    let mut left: Vec<&String> = got.iter().collect();
    for (method, suffix) in want {
        let Some(i) = left.iter().position(|w| {
            w.strip_prefix(method)
                .and_then(|rest| rest.strip_prefix(' '))
                .is_some_and(|path| path.ends_with(suffix.as_str()))
        }) else {
            return false;
        };
        left.remove(i);
    }
    true
}

/// What a plan must show.
enum Expect {
    /// `addr` is replaced, and one of these names carries `# forces replacement`.
    Replace(&'static [&'static str]),
    /// No change at all.
    Nothing,
}

/// Plans `clusters` and checks `expect` for `target`; the plan must touch nothing else.
fn plan_case(
    wd: &Workdir,
    sim: &Sim,
    clusters: &[RawResource],
    target: &str,
    case: &str,
    expect: &Expect,
    failures: &mut Failures,
) {
    wd.write_main_tf(&main_tf(sim, clusters));
    let plan = wd.plan();
    let what = format!("{target}: {case}");
    match expect {
        Expect::Replace(leaves) => {
            let counts = plan.counts();
            let ok = plan.exit_code == 2
                && counts.is_some_and(|c| (c.add, c.change, c.destroy) == (1, 0, 1))
                && plan
                    .stdout
                    .contains(&format!("# {target} must be replaced"))
                && leaves.iter().any(|l| forces_replacement_on(&plan, l));
            failures.check(
                ok,
                &format!(
                    "{what}: expected a replacement of {target} forced by {leaves:?} (1 to add, 1 to destroy)"
                ),
                &plan,
            );
        }
        Expect::Nothing => failures.check(
            plan.exit_code == 0,
            &format!("{what}: expected no changes"),
            &plan,
        ),
    }
}

/// Plans an in-place change of `target`, applies it and checks the writes the simulator got,
/// then that the next plan is empty and the cluster kept its id.
#[allow(clippy::too_many_arguments)]
fn in_place_case(
    tf: &Terraform,
    wd: &Workdir,
    sim: &Sim,
    clusters: &[RawResource],
    target: &str,
    case: &str,
    want: &[(&str, String)],
) -> PlanResult {
    wd.write_main_tf(&main_tf(sim, clusters));
    let id = state_id(wd, target);
    let plan = wd.plan();
    plan.assert_changes(0, 1, 0);
    assert!(
        plan.stdout
            .contains(&format!("# {target} will be updated in-place")),
        "{tf}: {target}: {case}: not an in-place update of {target}:\n{}",
        plan.describe()
    );
    plan.assert_not_contains("must be replaced");
    sim.clear_requests();
    wd.apply().assert_success();
    let got = writes_sent(sim, "css");
    assert!(
        writes_match(&got, want),
        "{tf}: {target}: {case}: the simulator received {got:#?}, expected {want:#?}"
    );
    assert_eq!(
        state_id(wd, target),
        id,
        "{tf}: {target}: {case}: the update replaced the cluster"
    );
    let again = wd.plan();
    assert_eq!(
        again.exit_code,
        0,
        "{tf}: {target}: {case}: the plan after the apply is not empty:\n{}",
        again.describe()
    );
    plan
}

fn edit(
    clusters: &[RawResource],
    label: &str,
    f: impl FnOnce(&mut RawResource),
) -> Vec<RawResource> {
    let mut out = clusters.to_vec();
    let r = out
        .iter_mut()
        .find(|r| r.label == label)
        .unwrap_or_else(|| panic!("no cluster {label}"));
    f(r);
    out
}

// ---------------------------------------------------------------------------------------------
// Scenarios
// ---------------------------------------------------------------------------------------------

/// Matrices 1 and 2 for `css_cluster` on one Terraform version (see the module docs).
#[test]
fn css_replace_and_in_place_matrix() {
    let Some(tf) = system_or_1_0_3_terraform("css_replace_and_in_place_matrix") else {
        return;
    };
    let started = Instant::now();
    let sim = fast_sim(PACE);
    let wd = Workdir::new(&tf, &[PROVIDER]);
    let base = vec![cluster_a(), cluster_b(), cluster_c()];
    wd.write_main_tf(&main_tf(&sim, &base));
    wd.init().assert_success();
    wd.apply().assert_success();
    wd.plan().assert_no_changes();
    let ids: Vec<String> = base.iter().map(|c| state_id(&wd, &c.addr())).collect();
    let (a, b) = (&ids[0], &ids[1]);
    sim.clear_requests();

    // ---- Replace arguments (plan only) ----
    type Edit = Box<dyn Fn(&mut RawResource)>;
    let cases: Vec<(&str, &str, Edit, Expect)> = vec![
        // Required arguments: value → value.
        (
            "a",
            "name changed",
            Box::new(|r| {
                r.set("name", &q("es-mx-a2"));
            }),
            Expect::Replace(&["name"]),
        ),
        (
            "a",
            "engine_version changed",
            Box::new(|r| {
                r.set("engine_version", &q("7.6.2"));
            }),
            Expect::Replace(&["engine_version"]),
        ),
        (
            "a",
            "flavor changed",
            Box::new(|r| {
                r.set("flavor", &q("ess.spec-8u16g"));
            }),
            Expect::Replace(&["flavor"]),
        ),
        (
            "a",
            "vpc_id changed",
            Box::new(|r| {
                r.set("vpc_id", &q("vpc-other"));
            }),
            Expect::Replace(&["vpc_id"]),
        ),
        (
            "a",
            "subnet_id changed",
            Box::new(|r| {
                r.set("subnet_id", &q("subnet-other"));
            }),
            Expect::Replace(&["subnet_id"]),
        ),
        (
            "a",
            "security_group_id changed",
            Box::new(|r| {
                r.set("security_group_id", &q("sg-other"));
            }),
            Expect::Replace(&["security_group_id"]),
        ),
        (
            "a",
            "volume.volume_type changed",
            Box::new(|r| {
                r.block_set("volume", "volume_type", "\"ULTRAHIGH\"");
            }),
            Expect::Replace(&["volume", "volume_type"]),
        ),
        (
            "a",
            "volume.size changed",
            Box::new(|r| {
                r.block_set("volume", "size", "80");
            }),
            Expect::Replace(&["volume", "size"]),
        ),
        // The instance_num rule: shrinking replaces (growing is in place, below).
        (
            "a",
            "instance_num shrunk 2 -> 1",
            Box::new(|r| {
                r.set("instance_num", "1");
            }),
            Expect::Replace(&["instance_num"]),
        ),
        // engine_type (default "elasticsearch").
        (
            "a",
            "engine_type set -> unset (the default)",
            Box::new(|r| {
                r.unset("engine_type");
            }),
            Expect::Replace(&["engine_type"]),
        ),
        (
            "a",
            "engine_type value -> value",
            Box::new(|r| {
                r.set("engine_type", &q("elasticsearch"));
            }),
            Expect::Replace(&["engine_type"]),
        ),
        (
            "b",
            "engine_type unset -> set",
            Box::new(|r| {
                r.set("engine_type", &q("opensearch"));
            }),
            Expect::Replace(&["engine_type"]),
        ),
        (
            "b",
            "engine_type unset -> its default",
            Box::new(|r| {
                r.set("engine_type", &q("elasticsearch"));
            }),
            Expect::Nothing,
        ),
        // availability_zone (optional + computed, zones compared as a set).
        (
            "a",
            "availability_zone value -> value",
            Box::new(|r| {
                r.set("availability_zone", &q("demo-az1"));
            }),
            Expect::Replace(&["availability_zone"]),
        ),
        (
            "a",
            "availability_zone set -> unset (keeps what the API reports)",
            Box::new(|r| {
                r.unset("availability_zone");
            }),
            Expect::Nothing,
        ),
        (
            "b",
            "availability_zone unset -> set",
            Box::new(|r| {
                r.set("availability_zone", &q("demo-az2"));
            }),
            Expect::Replace(&["availability_zone"]),
        ),
        (
            "b",
            "availability_zone unset -> the zone the API chose",
            Box::new(|r| {
                r.set("availability_zone", &q("demo-az1"));
            }),
            Expect::Nothing,
        ),
        // https_enabled (default false).
        (
            "a",
            "https_enabled set -> unset",
            Box::new(|r| {
                r.unset("https_enabled");
            }),
            Expect::Replace(&["https_enabled"]),
        ),
        (
            "a",
            "https_enabled value -> value",
            Box::new(|r| {
                r.set("https_enabled", "false");
            }),
            Expect::Replace(&["https_enabled"]),
        ),
        (
            "c",
            "https_enabled unset -> set",
            Box::new(|r| {
                r.set("https_enabled", "true");
            }),
            Expect::Replace(&["https_enabled"]),
        ),
        (
            "b",
            "https_enabled unset -> its default",
            Box::new(|r| {
                r.set("https_enabled", "false");
            }),
            Expect::Nothing,
        ),
        // authority_enabled (default false).
        (
            "c",
            "authority_enabled set -> unset",
            Box::new(|r| {
                r.unset("authority_enabled");
            }),
            Expect::Replace(&["authority_enabled"]),
        ),
        (
            "c",
            "authority_enabled value -> value",
            Box::new(|r| {
                r.set("authority_enabled", "false");
            }),
            Expect::Replace(&["authority_enabled"]),
        ),
        (
            "b",
            "authority_enabled unset -> set",
            Box::new(|r| {
                r.set("authority_enabled", "true")
                    .set("admin_password", &q(ADMIN_PASSWORD));
            }),
            Expect::Replace(&["authority_enabled"]),
        ),
        (
            "b",
            "authority_enabled unset -> its default",
            Box::new(|r| {
                r.set("authority_enabled", "false");
            }),
            Expect::Nothing,
        ),
    ];
    let mut failures = Failures::default();
    for (label, case, f, expect) in &cases {
        let cfg = edit(&base, label, f);
        plan_case(
            &wd,
            &sim,
            &cfg,
            &format!("css_cluster.{label}"),
            case,
            expect,
            &mut failures,
        );
    }
    failures.assert_none(&tf);
    eprintln!(
        "=== css_replace_and_in_place_matrix: {} replace plans done after {:.1?}",
        cases.len(),
        started.elapsed()
    );

    // No plan may have sent anything but reads.
    let writes = writes_sent(&sim, "css");
    assert!(writes.is_empty(), "{tf}: plans sent writes: {writes:#?}");

    // The same zones in another order and spelling: no replacement. Terraform requires the plan
    // to carry the configured spelling, so this is an update that only rewrites state.
    let mut cfg = edit(&base, "a", |r| {
        r.set("availability_zone", &q("demo-az2, demo-az1"));
    });
    wd.write_main_tf(&main_tf(&sim, &cfg));
    let plan = wd.plan();
    plan.assert_not_contains("must be replaced");
    if plan.exit_code == 2 {
        plan.assert_changes(0, 1, 0);
        plan.assert_contains("means the same as before");
        sim.clear_requests();
        wd.apply().assert_success();
        let writes = writes_sent(&sim, "css");
        assert!(
            writes.is_empty(),
            "{tf}: a respelt zone list sent {writes:#?}"
        );
        let zone = wd.state_attributes("css_cluster.a").unwrap()["availability_zone"].clone();
        assert_eq!(
            zone, "demo-az2, demo-az1",
            "{tf}: the configured spelling is not kept"
        );
        wd.plan().assert_no_changes();
    } else {
        plan.assert_no_changes();
    }

    // ---- In-place arguments (apply each) ----
    let tags_of = |id: &str| format!("/css-cluster/{id}/tags");

    // instance_num growing → extend.
    cfg = edit(&cfg, "b", |r| {
        r.set("instance_num", "2");
    });
    in_place_case(
        &tf,
        &wd,
        &sim,
        &cfg,
        "css_cluster.b",
        "instance_num grown 1 -> 2",
        &[("POST", format!("/clusters/{b}/extend"))],
    );
    let c = sim_cluster(&sim, b);
    assert_eq!(
        (c["instanceNum"].as_u64(), c["readyInstances"].as_u64()),
        (Some(2), Some(2)),
        "{tf}: {c}"
    );
    let nodes = wd.state_attributes("css_cluster.b").unwrap()["nodes"]
        .as_array()
        .map(Vec::len);
    assert_eq!(nodes, Some(2), "{tf}: the nodes in state after growing");

    // admin_password changed → password reset.
    cfg = edit(&cfg, "a", |r| {
        r.set("admin_password", &q(NEW_ADMIN_PASSWORD));
    });
    in_place_case(
        &tf,
        &wd,
        &sim,
        &cfg,
        "css_cluster.a",
        "admin_password changed",
        &[("POST", format!("/clusters/{a}/password/reset"))],
    );

    // admin_password removed: a plan-time error naming it. In security mode the configuration
    // itself needs the password; outside it the no-removal rule applies (no API removes it).
    wd.write_main_tf(&main_tf(
        &sim,
        &edit(&cfg, "a", |r| {
            r.unset("admin_password");
        }),
    ));
    sim.clear_requests();
    let plan = wd.plan();
    plan.assert_error();
    assert!(
        plan.flat().contains("Error: Missing admin_password"),
        "{tf}: removing admin_password in security mode is not an error naming it:\n{}",
        plan.describe()
    );
    assert!(
        writes_sent(&sim, "css").is_empty(),
        "{tf}: {:#?}",
        writes_sent(&sim, "css")
    );

    // Outside security mode the API has no admin password: setting one is an in-place update
    // that is kept in state only, with a warning, and sends nothing.
    cfg = edit(&cfg, "b", |r| {
        r.set("admin_password", &q(ADMIN_PASSWORD));
    });
    wd.write_main_tf(&main_tf(&sim, &cfg));
    let plan = wd.plan();
    plan.assert_changes(0, 1, 0);
    plan.assert_contains("# css_cluster.b will be updated in-place");
    plan.assert_contains("admin_password is not used");
    sim.clear_requests();
    let out = wd.apply();
    out.assert_success();
    out.assert_contains("admin_password was not sent");
    assert!(
        writes_sent(&sim, "css").is_empty(),
        "{tf}: {:#?}",
        writes_sent(&sim, "css")
    );
    wd.plan().assert_no_changes();
    wd.write_main_tf(&main_tf(
        &sim,
        &edit(&cfg, "b", |r| {
            r.unset("admin_password");
        }),
    ));
    sim.clear_requests();
    let plan = wd.plan();
    plan.assert_error();
    assert!(
        plan.flat()
            .contains("Error: admin_password cannot be removed"),
        "{tf}: removing admin_password is not an error naming it:\n{}",
        plan.describe()
    );
    assert!(
        writes_sent(&sim, "css").is_empty(),
        "{tf}: {:#?}",
        writes_sent(&sim, "css")
    );

    // backup_strategy added (defaults filled), changed, removed → snapshot policy.
    let policy = |id: &str| ("POST", format!("/clusters/{id}/index_snapshot/policy"));
    cfg = edit(&cfg, "b", |r| {
        r.block(
            "backup_strategy",
            Some(&[("start_time", "\"02:00 GMT+01:00\"")]),
        );
    });
    in_place_case(
        &tf,
        &wd,
        &sim,
        &cfg,
        "css_cluster.b",
        "backup_strategy added",
        &[policy(b)],
    );
    let backup = &sim_cluster(&sim, b)["backup"];
    assert_eq!(
        (
            backup["enable"].as_str(),
            backup["prefix"].as_str(),
            backup["keepday"].as_i64(),
            backup["period"].as_str()
        ),
        (
            Some("true"),
            Some("snapshot"),
            Some(7),
            Some("02:00 GMT+01:00")
        ),
        "{tf}: {backup}"
    );
    let state_backup = wd.state_attributes("css_cluster.b").unwrap()["backup_strategy"].clone();
    assert_eq!(state_backup["prefix"], "snapshot", "{tf}: {state_backup}");
    assert_eq!(state_backup["keep_days"], 7, "{tf}: {state_backup}");

    for (arg, raw) in [
        ("keep_days", "30"),
        ("prefix", "\"snap2\""),
        ("start_time", "\"03:30 GMT-03:30\""),
    ] {
        cfg = edit(&cfg, "a", |r| {
            r.block_set("backup_strategy", arg, raw);
        });
        in_place_case(
            &tf,
            &wd,
            &sim,
            &cfg,
            "css_cluster.a",
            &format!("backup_strategy.{arg} changed"),
            &[policy(a)],
        );
    }
    let backup = &sim_cluster(&sim, a)["backup"];
    assert_eq!(
        (
            backup["enable"].as_str(),
            backup["prefix"].as_str(),
            backup["keepday"].as_i64(),
            backup["period"].as_str()
        ),
        (
            Some("true"),
            Some("snap2"),
            Some(30),
            Some("03:30 GMT-03:30")
        ),
        "{tf}: {backup}"
    );

    cfg = edit(&cfg, "a", |r| {
        r.block("backup_strategy", None);
    });
    in_place_case(
        &tf,
        &wd,
        &sim,
        &cfg,
        "css_cluster.a",
        "backup_strategy removed",
        &[policy(a)],
    );
    assert_eq!(sim_cluster(&sim, a)["backup"]["enable"], "false", "{tf}");

    // tags added, changed, removed → tags API.
    cfg = edit(&cfg, "b", |r| {
        r.set("tags", "{ owner = \"alice\" }");
    });
    in_place_case(
        &tf,
        &wd,
        &sim,
        &cfg,
        "css_cluster.b",
        "tags added",
        &[("POST", tags_of(b))],
    );
    assert_eq!(
        sim_cluster(&sim, b)["tags"],
        serde_json::json!({"owner": "alice"}),
        "{tf}"
    );

    cfg = edit(&cfg, "a", |r| {
        r.set(
            "tags",
            "{\n    team  = \"platform\"\n    env   = \"test\"\n    owner = \"bob\"\n  }",
        );
    });
    in_place_case(
        &tf,
        &wd,
        &sim,
        &cfg,
        "css_cluster.a",
        "tags changed (one value changed, one key added)",
        &[
            ("DELETE", format!("{}/team", tags_of(a))),
            ("POST", tags_of(a)),
            ("POST", tags_of(a)),
        ],
    );
    assert_eq!(
        sim_cluster(&sim, a)["tags"],
        serde_json::json!({"team": "platform", "env": "test", "owner": "bob"}),
        "{tf}"
    );

    cfg = edit(&cfg, "a", |r| {
        r.unset("tags");
    });
    in_place_case(
        &tf,
        &wd,
        &sim,
        &cfg,
        "css_cluster.a",
        "tags removed",
        &[
            ("DELETE", format!("{}/team", tags_of(a))),
            ("DELETE", format!("{}/env", tags_of(a))),
            ("DELETE", format!("{}/owner", tags_of(a))),
        ],
    );
    assert_eq!(sim_cluster(&sim, a)["tags"], serde_json::json!({}), "{tf}");

    // timeouts: exempt from the matrix, always state only and without a warning.
    cfg = edit(&cfg, "c", |r| {
        r.block("timeouts", Some(&[("update", "\"90m\"")]));
    });
    let plan = in_place_case(&tf, &wd, &sim, &cfg, "css_cluster.c", "timeouts added", &[]);
    // (css_cluster.b warns that its admin_password is not used; nothing may be about c.)
    plan.assert_not_contains("with css_cluster.c");
    plan.assert_not_contains("only updates Terraform state");

    eprintln!(
        "=== css_replace_and_in_place_matrix: {tf}: ok in {:.1?}",
        started.elapsed()
    );
}

/// Matrix 4 for `css_cluster`, on every Terraform version: import, then plan with every
/// optional argument configured.
#[test]
fn css_import_with_every_argument_configured() {
    let versions = support::terraform_versions();
    if versions.is_empty() {
        eprintln!("SKIP: css_import_with_every_argument_configured: no Terraform binary available");
        return;
    }
    for tf in &versions {
        eprintln!("=== css_import_with_every_argument_configured: {tf}");
        let started = Instant::now();
        let sim = fast_sim(PACE);
        let wd = Workdir::new(tf, &[PROVIDER]);
        let mut r = minimal("imp", "es-mx-imp", 1);
        r.set("engine_type", &q("elasticsearch"))
            .set("availability_zone", &q("demo-az1"))
            .set("https_enabled", "false")
            .set("authority_enabled", "true")
            .set("admin_password", &q(ADMIN_PASSWORD))
            .set("tags", "{ team = \"search\" }")
            .block(
                "backup_strategy",
                Some(&[
                    ("start_time", "\"16:00 GMT+08:00\""),
                    ("prefix", "\"snapshot\""),
                    ("keep_days", "7"),
                ]),
            )
            .block(
                "timeouts",
                Some(&[("create", "\"30m\""), ("update", "\"45m\"")]),
            );
        let addr = r.addr();
        wd.write_main_tf(&main_tf(&sim, &[r]));
        wd.init().assert_success();
        wd.apply().assert_success();
        let id = state_id(&wd, &addr);

        wd.remove_file("terraform.tfstate");
        wd.remove_file("terraform.tfstate.backup");
        sim.clear_requests();
        wd.import(&addr, &id).assert_success();
        assert!(
            writes_sent(&sim, "css").is_empty(),
            "{tf}: import wrote: {:#?}",
            writes_sent(&sim, "css")
        );
        let attrs = wd.state_attributes(&addr).unwrap();
        assert_eq!(attrs["admin_password"], Value::Null, "{tf}: {attrs:#}");

        let plan = wd.plan();
        plan.assert_changes(0, 1, 0);
        plan.assert_not_contains("must be replaced");
        plan.assert_not_contains("forces replacement");
        plan.assert_not_contains(ADMIN_PASSWORD);
        assert!(
            plan.stdout
                .lines()
                .any(|l| l.trim_start().starts_with("+ admin_password")
                    || l.trim_start().starts_with("~ admin_password")),
            "{tf}: the admin password is not planned as an update:\n{}",
            plan.describe()
        );
        if !tf.is_pre_1_0() {
            // The API reports every other argument back, and admin_password is in place (sent),
            // so nothing is recorded in state only.
            plan.assert_not_contains(IMPORT_WARNING);
        }
        sim.clear_requests();
        wd.apply().assert_success();
        let got = writes_sent(&sim, "css");
        assert!(
            writes_match(&got, &[("POST", format!("/clusters/{id}/password/reset"))]),
            "{tf}: the first apply after import sent {got:#?}"
        );
        wd.plan().assert_no_changes();
        eprintln!(
            "=== css_import_with_every_argument_configured: {tf}: ok in {:.1?}",
            started.elapsed()
        );
    }
}
