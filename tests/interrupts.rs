//! Ctrl-C during the long operations of `instaclustr_cluster` (a create, a resize, a delete),
//! on every Terraform version: Terraform sends StopProvider, the provider's wait ends at once,
//! the cluster id stays in state, and the next run without the interrupt finishes the job.
//!
//! How long Terraform took from the SIGINT to its exit is printed (`=== interrupt …: … s`),
//! never asserted: the machines are shared and noisy. The simulator's lifecycle steps take ten
//! minutes while an interrupt is due, so only a prompt stop ends the command soon.

mod support;

use std::cell::Cell;
use std::time::Instant;

use serde_json::{json, Value};
use support::fleet::{self, Kind};
use support::{Sim, TfOutput, Workdir};

/// `Workdir::state_attributes` takes the address without the index (its first instance).
const ADDR: &str = "instaclustr_cluster.fleet";
const SLOW_PACE_MS: u64 = 600_000;
const FAST_PACE_MS: u64 = 20;

/// Runs `args`, sends SIGINT as soon as `due` says so, and returns the output with the seconds
/// from the SIGINT to Terraform's exit.
fn interrupted(wd: &Workdir, args: &[&str], due: &mut dyn FnMut() -> bool) -> (TfOutput, f64) {
    let sent = Cell::new(None);
    let out = wd.run_interrupted(args, &mut || {
        let now = due();
        if now {
            sent.set(Some(Instant::now()));
        }
        now
    });
    let seconds = sent
        .get()
        .map(|at| at.elapsed().as_secs_f64())
        .unwrap_or_else(|| panic!("the interrupt was never sent:\n{}", out.describe()));
    (out, seconds)
}

fn requests_to(sim: &Sim, method: &str, suffix: &str) -> usize {
    sim.vendor_requests("instaclustr")
        .iter()
        .filter(|r| r["method"] == method && r["path"].as_str().unwrap_or("").ends_with(suffix))
        .count()
}

fn state_id(wd: &Workdir) -> Option<String> {
    wd.state_attributes(ADDR)
        .and_then(|a| a["id"].as_str().map(str::to_owned))
}

fn cluster_status(sim: &Sim, id: &str) -> Value {
    sim.instaclustr_cluster(id)
        .map(|c| c["clusterStatus"].clone())
        .unwrap_or(Value::Null)
}

#[test]
fn interrupting_a_create_a_resize_and_a_delete() {
    let versions = support::terraform_versions();
    if versions.is_empty() {
        eprintln!("SKIP: interrupting_a_create_a_resize_and_a_delete: no Terraform binary");
        return;
    }
    let apply = ["apply", "-auto-approve", "-input=false", "-no-color"];
    let destroy = ["destroy", "-auto-approve", "-input=false", "-no-color"];
    for tf in &versions {
        let sim = support::matrix::fast_sim("20ms");
        let wd = Workdir::new(tf, &[Kind::Instaclustr.provider()]);
        let small = Kind::Instaclustr.hcl(&sim, 1);
        let bigger = small.replace("t3.small-v2", "m5l-250-v2");
        wd.write_main_tf(&small);
        wd.init().assert_success();

        // A create: interrupted once the API has the cluster.
        sim.set_config(json!({ "pace_ms": SLOW_PACE_MS }));
        let (out, create_secs) =
            interrupted(&wd, &apply, &mut || !sim.instaclustr_clusters().is_empty());
        let id = state_id(&wd).unwrap_or_else(|| {
            panic!(
                "{tf}: the interrupted create left no id in state (leak):\n{}",
                out.describe()
            )
        });
        assert!(
            fleet::leaks_and_duplicates(&sim, &wd, Kind::Instaclustr).is_empty(),
            "{tf}: {:?}",
            fleet::leaks_and_duplicates(&sim, &wd, Kind::Instaclustr)
        );
        sim.set_config(json!({ "pace_ms": FAST_PACE_MS }));
        wd.apply().assert_success();
        let id = state_id(&wd).unwrap_or(id);
        assert_eq!(cluster_status(&sim, &id), "RUNNING", "{tf}");
        assert!(
            fleet::leaks_and_duplicates(&sim, &wd, Kind::Instaclustr).is_empty(),
            "{tf}: after the next apply: {:?}",
            fleet::leaks_and_duplicates(&sim, &wd, Kind::Instaclustr)
        );

        // A resize: interrupted once the resize request has been sent.
        wd.write_main_tf(&bigger);
        sim.clear_requests();
        sim.set_config(json!({ "pace_ms": SLOW_PACE_MS }));
        let (out, resize_secs) = interrupted(&wd, &apply, &mut || {
            requests_to(&sim, "POST", "/resize") > 0
        });
        assert_eq!(
            state_id(&wd).as_deref(),
            Some(id.as_str()),
            "{tf}: the interrupted resize lost the cluster:\n{}",
            out.describe()
        );
        sim.set_config(json!({ "pace_ms": FAST_PACE_MS }));
        wd.apply().assert_success();
        wd.plan().assert_no_changes();
        let c = sim.instaclustr_cluster(&id).expect("the cluster");
        assert_eq!(c["nodeSize"], "m5l-250-v2", "{tf}: {c}");
        assert_eq!(c["clusterStatus"], "RUNNING", "{tf}: {c}");

        // A delete: interrupted once the delete request has been sent.
        sim.clear_requests();
        sim.set_config(json!({ "pace_ms": SLOW_PACE_MS }));
        let (out, delete_secs) =
            interrupted(&wd, &destroy, &mut || requests_to(&sim, "DELETE", &id) > 0);
        assert_eq!(
            state_id(&wd).as_deref(),
            Some(id.as_str()),
            "{tf}: the interrupted delete dropped the cluster from state before it was gone:\n{}",
            out.describe()
        );
        sim.set_config(json!({ "pace_ms": FAST_PACE_MS }));
        wd.destroy().assert_success();
        assert!(
            fleet::left_after_destroy(&sim, Kind::Instaclustr).is_empty(),
            "{tf}: {:?}",
            fleet::left_after_destroy(&sim, Kind::Instaclustr)
        );
        eprintln!(
            "=== interrupt on {tf}: SIGINT to exit: create {create_secs:.1} s, resize \
             {resize_secs:.1} s, delete {delete_secs:.1} s"
        );
    }
}
