//! The fault matrix: every resource type against every kind of API misbehaviour, through the
//! real Terraform CLI and the simulator's fault injection (`/_admin/faults`, see
//! `src/sim/admin.rs`). One Terraform version (the newest 1.x), a fresh simulator and work dir
//! per cell.
//!
//! Each cell applies one object with the fault queued, then checks what must hold whatever the
//! outcome: every object the API made is in state (tainted is fine) and nothing exists twice. A
//! transient case (5xx bursts, 429s, resets, an answer slower than usual but within the client
//! timeout, a token that expires) must succeed; the others (garbled bodies, answers slower than
//! the client timeout, missing fields) may fail, but only with a diagnostic, and the next apply
//! without the fault must then finish the job. Destroy must leave nothing an API can remove.
//!
//! The table of outcomes is printed at the end of each resource's test (`--nocapture` shows
//! it): `ok` = apply succeeded, `failed cleanly` = apply failed with a diagnostic and the next one
//! succeeded.

mod support;

use std::fmt::Write as _;
use std::time::Instant;

use serde_json::{json, Value};
use support::fleet::{self, Kind};
use support::matrix::matrix_terraform;
use support::{Sim, Terraform, TfOutput, Workdir};

/// The client timeout of every provider in this matrix, so "slower than the timeout" is quick.
const CLIENT_TIMEOUT: &str = "3s";
const WITHIN_TIMEOUT_MS: u64 = 1_500;
const BEYOND_TIMEOUT_MS: u64 = 5_000;

/// Whether a case must succeed.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Expect {
    Success,
    SuccessOrCleanFailure,
}

struct Case {
    name: &'static str,
    expect: Expect,
    /// The faults to queue, or `None` when the case does not apply to this resource.
    faults: fn(Kind) -> Option<Vec<Value>>,
    /// Extra simulator set-up before the apply (token lifetimes, pace).
    setup: fn(&Sim),
}

fn no_setup(_: &Sim) {}

fn on_create(kind: Kind, fault: Value) -> Value {
    let mut fault = fault;
    fault["vendor"] = json!(kind.vendor());
    fault["method"] = json!("POST");
    fault["path_contains"] = json!(kind.create_path());
    fault
}

/// A fault on every read (the account listing before a create too); `None` for CloudBasic,
/// whose create is one request and which has no read.
fn on_gets(kind: Kind, fault: Value) -> Option<Value> {
    if kind == Kind::CloudBasic {
        return None;
    }
    let mut fault = fault;
    fault["vendor"] = json!(kind.vendor());
    fault["method"] = json!(kind.read_method());
    Some(fault)
}

/// A fault on the reads a create waits with (not the listing before it).
fn on_reads(kind: Kind, fault: Value) -> Option<Value> {
    let mut fault = on_gets(kind, fault)?;
    fault["path_contains"] = json!(kind.wait_path());
    Some(fault)
}

fn on_all(kind: Kind, fault: Value) -> Value {
    let mut fault = fault;
    fault["vendor"] = json!(kind.vendor());
    fault
}

const CASES: &[Case] = &[
    Case {
        name: "503 burst on the create (not acted)",
        expect: Expect::Success,
        faults: |k| Some(vec![on_create(k, json!({"status": 503, "times": 2}))]),
        setup: no_setup,
    },
    Case {
        name: "503 after the API acted on the create",
        expect: Expect::Success,
        faults: |k| Some(vec![on_create(k, json!({"status": 503, "act": true}))]),
        setup: no_setup,
    },
    Case {
        name: "500/502/504 burst on reads",
        expect: Expect::Success,
        faults: |k| {
            [500, 502, 504]
                .into_iter()
                .map(|s| on_gets(k, json!({"status": s})))
                .collect()
        },
        setup: no_setup,
    },
    Case {
        name: "429 with Retry-After",
        expect: Expect::Success,
        faults: |k| {
            Some(vec![on_all(
                k,
                json!({"status": 429, "retry_after": 1, "times": 3}),
            )])
        },
        setup: no_setup,
    },
    Case {
        name: "429 without Retry-After",
        expect: Expect::Success,
        faults: |k| Some(vec![on_all(k, json!({"status": 429, "times": 3}))]),
        setup: no_setup,
    },
    Case {
        name: "connection reset on the create (not acted)",
        expect: Expect::Success,
        faults: |k| Some(vec![on_create(k, json!({"drop": true}))]),
        setup: no_setup,
    },
    Case {
        name: "connection reset after the API acted on the create",
        expect: Expect::Success,
        faults: |k| Some(vec![on_create(k, json!({"drop": true, "act": true}))]),
        setup: no_setup,
    },
    Case {
        name: "connection resets on reads",
        expect: Expect::Success,
        faults: |k| on_reads(k, json!({"drop": true, "times": 2})).map(|f| vec![f]),
        setup: no_setup,
    },
    Case {
        name: "slow answers within the client timeout",
        expect: Expect::Success,
        faults: |k| {
            Some(vec![on_all(
                k,
                json!({"delay_ms": WITHIN_TIMEOUT_MS, "times": 3}),
            )])
        },
        setup: no_setup,
    },
    Case {
        name: "create answer slower than the client timeout",
        expect: Expect::SuccessOrCleanFailure,
        faults: |k| Some(vec![on_create(k, json!({"delay_ms": BEYOND_TIMEOUT_MS}))]),
        setup: no_setup,
    },
    Case {
        name: "read answer slower than the client timeout",
        expect: Expect::SuccessOrCleanFailure,
        faults: |k| on_reads(k, json!({"delay_ms": BEYOND_TIMEOUT_MS})).map(|f| vec![f]),
        setup: no_setup,
    },
    Case {
        name: "truncated create answer",
        expect: Expect::SuccessOrCleanFailure,
        faults: |k| Some(vec![on_create(k, json!({"garble": "truncate"}))]),
        setup: no_setup,
    },
    Case {
        name: "truncated first read (the listing before a create)",
        expect: Expect::SuccessOrCleanFailure,
        faults: |k| on_gets(k, json!({"garble": "truncate"})).map(|f| vec![f]),
        setup: no_setup,
    },
    Case {
        name: "truncated read answer",
        expect: Expect::SuccessOrCleanFailure,
        faults: |k| on_reads(k, json!({"garble": "truncate"})).map(|f| vec![f]),
        setup: no_setup,
    },
    Case {
        name: "invalid JSON/XML read answer",
        expect: Expect::SuccessOrCleanFailure,
        faults: |k| on_reads(k, json!({"garble": "invalid"})).map(|f| vec![f]),
        setup: no_setup,
    },
    Case {
        name: "invalid create answer",
        expect: Expect::SuccessOrCleanFailure,
        faults: |k| Some(vec![on_create(k, json!({"garble": "invalid"}))]),
        setup: no_setup,
    },
    Case {
        name: "missing fields in read answers",
        expect: Expect::SuccessOrCleanFailure,
        faults: |k| on_reads(k, json!({"remove": k.status_fields(), "times": 2})).map(|f| vec![f]),
        setup: no_setup,
    },
    Case {
        name: "unexpected fields in every answer",
        expect: Expect::Success,
        faults: |k| {
            Some(vec![on_all(
                k,
                json!({
                    "patch": {"clusterformUnexpected": {"nested": [1, "two", null]}},
                    "times": 50
                }),
            )])
        },
        setup: no_setup,
    },
    Case {
        name: "IAM token expires mid-create",
        expect: Expect::Success,
        faults: |k| (k == Kind::Css).then(Vec::new),
        setup: |sim| {
            sim.admin_post("/_admin/iam/config", Some(json!({"token_ttl_ms": 1000})));
            sim.set_config(json!({"pace_ms": 1000}));
        },
    },
];

/// The outcome of one cell.
enum Outcome {
    NotApplicable,
    Ok { seconds: f64 },
    FailedCleanly { seconds: f64, error: String },
    Broken(String),
}

impl Outcome {
    fn cell(&self) -> String {
        match self {
            Outcome::NotApplicable => "n/a".into(),
            Outcome::Ok { seconds } => format!("ok ({seconds:.1} s)"),
            Outcome::FailedCleanly { seconds, error } => {
                format!("failed cleanly ({seconds:.1} s): {error}")
            }
            Outcome::Broken(why) => format!("BROKEN: {why}"),
        }
    }
}

/// The first error line Terraform printed, without the `Error: ` prefix.
fn first_error(out: &TfOutput) -> String {
    out.combined()
        .lines()
        .find_map(|l| {
            let l = l.trim().trim_start_matches('│').trim();
            l.strip_prefix("Error: ").map(str::to_owned)
        })
        .unwrap_or_else(|| "(no `Error:` line)".into())
}

fn run_cell(tf: &Terraform, kind: Kind, case: &Case) -> Outcome {
    let Some(faults) = (case.faults)(kind) else {
        return Outcome::NotApplicable;
    };
    let sim = support::matrix::fast_sim("20ms");
    let wd = Workdir::new(tf, &[kind.provider()])
        .with_env("CLUSTERFORM_REQUEST_TIMEOUT", CLIENT_TIMEOUT);
    let mut hcl = kind.hcl(&sim, 1);
    if kind == Kind::CloudBasic {
        // Its JSON mode is covered by tests/acceptance_cloudbasic.rs; here the XML parser meets
        // the faults.
        hcl = hcl.replace(
            "provider \"cloudbasic\" {\n",
            "provider \"cloudbasic\" {\n  payload_format = \"xml\"\n",
        );
    }
    wd.write_main_tf(&hcl);
    let init = wd.init();
    if !init.success() {
        return Outcome::Broken(format!("init failed:\n{}", init.describe()));
    }
    (case.setup)(&sim);
    for fault in &faults {
        sim.inject_fault(fault.clone());
    }

    let started = Instant::now();
    let apply = wd.apply();
    let seconds = started.elapsed().as_secs_f64();
    let problems = fleet::leaks_and_duplicates(&sim, &wd, kind);
    if !problems.is_empty() {
        return Outcome::Broken(format!("{}\n{}", problems.join("\n"), apply.describe()));
    }
    let text = apply.combined();
    if text.contains("panic") || text.contains("plugin exited") || text.contains("crashed") {
        return Outcome::Broken(format!("the provider crashed:\n{}", apply.describe()));
    }
    let outcome = if apply.success() {
        Outcome::Ok { seconds }
    } else if case.expect == Expect::Success {
        return Outcome::Broken(format!(
            "a transient fault failed the apply:\n{}",
            apply.describe()
        ));
    } else {
        // The next apply, without the fault, finishes the job.
        sim.clear_faults();
        let again = wd.apply();
        if !again.success() {
            return Outcome::Broken(format!(
                "the apply after the failed one did not finish the job:\n{}\nfirst apply:\n{}",
                again.describe(),
                apply.describe()
            ));
        }
        let problems = fleet::leaks_and_duplicates(&sim, &wd, kind);
        if !problems.is_empty() {
            return Outcome::Broken(format!("after the second apply: {}", problems.join("\n")));
        }
        // The whole diagnostic, so the log shows whether it is clear.
        eprintln!(
            "--- {}: the failed apply said:\n{}",
            case.name, apply.stderr
        );
        Outcome::FailedCleanly {
            seconds,
            error: first_error(&apply),
        }
    };

    sim.clear_faults();
    sim.set_config(json!({"pace_ms": 20}));
    if fleet::state_ids(&wd, kind).len() != 1 {
        return Outcome::Broken(format!(
            "state should hold exactly one object: {:?}",
            fleet::state_ids(&wd, kind)
        ));
    }
    let destroy = wd.destroy();
    if !destroy.success() {
        return Outcome::Broken(format!("destroy failed:\n{}", destroy.describe()));
    }
    let left = fleet::left_after_destroy(&sim, kind);
    if !left.is_empty() {
        return Outcome::Broken(format!("destroy left {left:?}"));
    }
    outcome
}

fn run_matrix(kind: Kind) {
    let test = format!("fault_matrix_{}", kind.resource_type());
    let Some(tf) = matrix_terraform(&test) else {
        return;
    };
    let mut table = format!(
        "| case ({}) | outcome |\n| --- | --- |\n",
        kind.resource_type()
    );
    let mut broken = Vec::new();
    for case in CASES {
        let outcome = run_cell(&tf, kind, case);
        eprintln!("=== {test}: {}: {}", case.name, outcome.cell());
        let cell = outcome.cell();
        let short = cell.lines().next().unwrap_or_default();
        let _ = writeln!(table, "| {} | {} |", case.name, short);
        if let Outcome::Broken(why) = outcome {
            broken.push(format!("{}: {why}", case.name));
        }
    }
    eprintln!("=== {test}: matrix on {tf}\n{table}");
    assert!(
        broken.is_empty(),
        "{test} on {tf}: {} broken cell(s):\n\n{}",
        broken.len(),
        broken.join("\n\n")
    );
}

#[test]
fn fault_matrix_instaclustr_cluster() {
    run_matrix(Kind::Instaclustr);
}

#[test]
fn fault_matrix_css_cluster() {
    run_matrix(Kind::Css);
}

#[test]
fn fault_matrix_cloudbasic_cluster() {
    run_matrix(Kind::CloudBasic);
}

#[test]
fn fault_matrix_redis_bootstrap() {
    run_matrix(Kind::Redis);
}
