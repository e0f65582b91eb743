//! Load with faults: 50 objects of one resource type in one `terraform apply -parallelism=10`
//! against the simulator, with about 10 % of the requests failing transiently (503s, 429s,
//! dropped connections, creates answered 503 after the API acted). Everything must succeed,
//! nothing may leak or exist twice, and destroy must leave nothing an API can remove.
//! Instaclustr runs with `request_interval = "0s"` and the simulator's rate limit off;
//! CloudBasic as 50 local servers on one instance; Redis as ten five-node clusters.
//!
//! One Terraform version (the newest 1.x); timings and fault counts are printed, not asserted.

mod support;

use std::time::Instant;

use serde_json::{json, Value};
use support::fleet::{self, Kind};
use support::matrix::{fast_sim, matrix_terraform};
use support::Workdir;

const OBJECTS: usize = 50;

/// About one request in ten meets a fault.
fn faults(kind: Kind) -> Vec<Value> {
    let vendor = kind.vendor();
    vec![
        json!({"vendor": vendor, "method": "POST", "path_contains": kind.create_path(),
               "status": 503, "act": true, "probability": 0.03}),
        json!({"vendor": vendor, "status": 503, "probability": 0.05}),
        json!({"vendor": vendor, "status": 429, "retry_after": 1, "probability": 0.02}),
        json!({"vendor": vendor, "status": 429, "probability": 0.01}),
        json!({"vendor": vendor, "drop": true, "probability": 0.01}),
    ]
}

fn faulted(sim: &support::Sim, vendor: &str) -> (usize, usize) {
    // The test's own activations of CloudBasic instances are not the provider's requests.
    let requests: Vec<Value> = sim
        .vendor_requests(vendor)
        .into_iter()
        .filter(|r| {
            !r["path"]
                .as_str()
                .unwrap_or("")
                .contains("ActivateInstance")
        })
        .collect();
    let faulted = requests.iter().filter(|r| r.get("fault").is_some()).count();
    (requests.len(), faulted)
}

fn run_load(kind: Kind) {
    let test = format!("load_{}", kind.resource_type());
    let Some(tf) = matrix_terraform(&test) else {
        return;
    };
    let sim = fast_sim("20ms");
    let wd = Workdir::new(&tf, &[kind.provider()]);
    wd.write_main_tf(&kind.hcl(&sim, OBJECTS));
    wd.init().assert_success();
    for fault in faults(kind) {
        sim.inject_fault(fault);
    }

    let started = Instant::now();
    let apply = wd.run(&[
        "apply",
        "-auto-approve",
        "-input=false",
        "-no-color",
        "-parallelism=10",
    ]);
    let apply_secs = started.elapsed().as_secs_f64();
    let problems = fleet::leaks_and_duplicates(&sim, &wd, kind);
    assert!(
        problems.is_empty(),
        "{test} on {tf}: {}\n{}",
        problems.join("\n"),
        apply.describe()
    );
    apply.assert_success();
    let in_state = fleet::state_ids(&wd, kind);
    assert_eq!(in_state.len(), OBJECTS, "{test} on {tf}: {in_state:?}");
    assert!(
        in_state.values().all(|tainted| !tainted),
        "{test} on {tf}: tainted objects after a successful apply: {in_state:?}"
    );
    assert_eq!(kind.live_objects(&sim).len(), OBJECTS, "{test} on {tf}");
    let (requests, faulted_requests) = faulted(&sim, kind.vendor());

    let started = Instant::now();
    let destroy = wd.run(&[
        "destroy",
        "-auto-approve",
        "-input=false",
        "-no-color",
        "-parallelism=10",
    ]);
    let destroy_secs = started.elapsed().as_secs_f64();
    destroy.assert_success();
    let left = fleet::left_after_destroy(&sim, kind);
    assert!(left.is_empty(), "{test} on {tf}: destroy left {left:?}");
    let (all_requests, all_faulted) = faulted(&sim, kind.vendor());
    eprintln!(
        "=== {test} on {tf}: {OBJECTS} objects, apply {apply_secs:.1} s ({requests} requests, \
         {faulted_requests} faulted), destroy {destroy_secs:.1} s ({} requests, {} faulted); \
         0 leaks, 0 duplicates",
        all_requests - requests,
        all_faulted - faulted_requests,
    );
}

#[test]
fn load_instaclustr_cluster() {
    run_load(Kind::Instaclustr);
}

#[test]
fn load_css_cluster() {
    run_load(Kind::Css);
}

#[test]
fn load_cloudbasic_cluster() {
    run_load(Kind::CloudBasic);
}

#[test]
fn load_redis_bootstrap() {
    run_load(Kind::Redis);
}
