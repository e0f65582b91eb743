//! Helpers shared by the update-behaviour matrices (`tests/matrix_*.rs`): which Terraform a long
//! matrix runs on, a quick simulator, what the simulator received, and how a plan marks a
//! replacement, an in-place update, a state-only change and an import.

use std::collections::BTreeSet;

use serde_json::Value;

use super::{
    flatten, hcl_string, terraform_versions, PlanResult, Sim, Terraform, SYSTEM_TERRAFORM,
};

/// The summary of the warning a plan after an import prints for the arguments the API cannot
/// report back (recorded in state only): the matrices count it and check it is absent elsewhere.
pub const IMPORT_WARNING: &str = "Arguments recorded in state only after import";

// ---------------------------------------------------------------------------------------------
// Terraform and simulator
// ---------------------------------------------------------------------------------------------

/// The Terraform a long matrix runs on, so it runs once instead of once per version: the newest
/// available 1.x (`/usr/local/bin/terraform`, 1.11.4, when present, else 1.0.3), else the newest
/// there is. Prints `=== {test}: {tf}`, or a visible SKIP line (and `None`) when there is none.
pub fn matrix_terraform(test: &str) -> Option<Terraform> {
    let versions = terraform_versions();
    let tf = versions
        .iter()
        .rev()
        .find(|t| !t.is_pre_1_0())
        .or(versions.last())
        .cloned();
    match &tf {
        Some(tf) => eprintln!("=== {test}: {tf}"),
        None => eprintln!("SKIP: {test}: no Terraform binary available"),
    }
    tf
}

/// The Terraform for a long matrix written against exactly two CLIs, so it runs once: the
/// system one ([`SYSTEM_TERRAFORM`], 1.11.4) when present, else 1.0.3 (never 0.13.5 or any
/// other). Prints `=== {test}: {tf}`, or a visible SKIP line (and `None`) when neither is there.
pub fn system_or_1_0_3_terraform(test: &str) -> Option<Terraform> {
    let versions = terraform_versions();
    let tf = versions
        .iter()
        .find(|t| t.path == std::path::Path::new(SYSTEM_TERRAFORM))
        .or_else(|| versions.iter().find(|t| t.version == "1.0.3"))
        .cloned();
    match &tf {
        Some(tf) => eprintln!("=== {test}: {tf}"),
        None => {
            eprintln!("SKIP: {test}: neither {SYSTEM_TERRAFORM} nor terraform 1.0.3 is available")
        }
    }
    tf
}

/// A simulator whose lifecycle steps take `pace` (`"10ms"`, `"20ms"`) instead of the default
/// 300 ms, so that the many creates and updates of a matrix finish within a poll or two.
pub fn fast_sim(pace: &str) -> Sim {
    Sim::start_with_args(&["--pace", pace])
}

/// The simulator's requests to `vendor` that are not GETs (creates, updates, deletes): what a
/// plan, a state-only change or an import must never send.
pub fn write_requests(sim: &Sim, vendor: &str) -> Vec<Value> {
    sim.vendor_requests(vendor)
        .into_iter()
        .filter(|r| r["method"] != "GET")
        .collect()
}

/// [`write_requests`] as `METHOD path` lines, short enough to compare and print in a message.
pub fn writes_sent(sim: &Sim, vendor: &str) -> Vec<String> {
    write_requests(sim, vendor)
        .iter()
        .map(|r| {
            format!(
                "{} {}",
                r["method"].as_str().unwrap_or(""),
                r["path"].as_str().unwrap_or("")
            )
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Configuration
// ---------------------------------------------------------------------------------------------

/// [`hcl_string`] under a short name: matrix configurations quote a value on almost every line.
pub fn q(s: &str) -> String {
    hcl_string(s)
}

/// Owned `(key, value)` pairs from literals, for maps and block bodies of a configuration.
pub fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
    items
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// A resource block as raw HCL pieces: top-level arguments (meta-arguments such as `depends_on`
/// too), then single nested blocks, so that a matrix case can set, change or remove any one of
/// them and write values a typed builder would refuse.
#[derive(Clone)]
pub struct RawResource {
    /// The resource type (`css_cluster`).
    pub ty: String,
    /// The resource label (`<ty>.<label>`).
    pub label: String,
    attrs: Vec<(String, String)>,
    blocks: Vec<(String, Vec<(String, String)>)>,
}

impl RawResource {
    /// A block of type `ty` without any argument.
    pub fn new(ty: &str, label: &str) -> RawResource {
        RawResource {
            ty: ty.to_owned(),
            label: label.to_owned(),
            attrs: Vec::new(),
            blocks: Vec::new(),
        }
    }

    /// `<ty>.<label>`.
    pub fn addr(&self) -> String {
        format!("{}.{}", self.ty, self.label)
    }

    /// Sets `name` to the raw HCL expression `raw`.
    pub fn set(&mut self, name: &str, raw: &str) -> &mut RawResource {
        set_raw(&mut self.attrs, name, raw);
        self
    }

    /// Removes the top-level argument `name`.
    pub fn unset(&mut self, name: &str) -> &mut RawResource {
        self.attrs.retain(|(k, _)| k != name);
        self
    }

    /// Whether the top-level argument `name` is set.
    pub fn has(&self, name: &str) -> bool {
        self.attrs.iter().any(|(k, _)| k == name)
    }

    /// Sets the nested block `name` to `body` (raw HCL values), or removes it (`None`).
    pub fn block(&mut self, name: &str, body: Option<&[(&str, &str)]>) -> &mut RawResource {
        let body: Option<Vec<(String, String)>> = body.map(pairs);
        match (self.blocks.iter().position(|(k, _)| k == name), body) {
            (Some(i), Some(b)) => self.blocks[i].1 = b,
            (Some(i), None) => {
                self.blocks.remove(i);
            }
            (None, Some(b)) => self.blocks.push((name.to_owned(), b)),
            (None, None) => {}
        }
        self
    }

    /// Sets one argument inside the nested block `block` (which must exist).
    pub fn block_set(&mut self, block: &str, name: &str, raw: &str) -> &mut RawResource {
        let (_, body) = self
            .blocks
            .iter_mut()
            .find(|(k, _)| k == block)
            .unwrap_or_else(|| panic!("no block {block} in {}", self.label));
        set_raw(body, name, raw);
        self
    }

    /// The `resource "<ty>" "<label>" { … }` block.
    pub fn hcl(&self) -> String {
        let mut s = format!("resource \"{}\" \"{}\" {{\n", self.ty, self.label);
        for (k, v) in &self.attrs {
            s.push_str(&format!("  {k} = {v}\n"));
        }
        for (name, body) in &self.blocks {
            s.push_str(&format!("\n  {name} {{\n"));
            for (k, v) in body {
                s.push_str(&format!("    {k} = {v}\n"));
            }
            s.push_str("  }\n");
        }
        s.push_str("}\n");
        s
    }
}

/// Sets `name` to `raw` in an ordered argument list: in place when present, else at the end.
fn set_raw(args: &mut Vec<(String, String)>, name: &str, raw: &str) {
    match args.iter_mut().find(|(k, _)| k == name) {
        Some(slot) => slot.1 = raw.to_owned(),
        None => args.push((name.to_owned(), raw.to_owned())),
    }
}

// ---------------------------------------------------------------------------------------------
// Plans
// ---------------------------------------------------------------------------------------------

/// `Changing <attr> only updates Terraform state`: the plan-time warning of a state-only change,
/// which a state-only argument's change must print and no other change may.
pub fn state_only_warning(attr: &str) -> String {
    format!("Changing {attr} only updates Terraform state")
}

/// The names a text lists in backticks (`` `a`, `b` `` → {a, b}): how the provider's warnings
/// name arguments.
pub fn backticked(text: &str) -> BTreeSet<String> {
    text.split('`')
        .skip(1)
        .step_by(2)
        .map(str::to_owned)
        .collect()
}

/// The names each import warning of a plan lists, one set per warning, from the detail
/// "The API does not report `a`, `b` back, so …": the import matrices compare them with what
/// the API cannot read.
pub fn import_warning_lists(plan: &PlanResult) -> Vec<BTreeSet<String>> {
    let flat = plan.flat();
    let mut out = Vec::new();
    let mut rest = flat.as_str();
    while let Some(i) = rest.find("The API does not report ") {
        rest = &rest[i + "The API does not report ".len()..];
        let end = rest.find(" back,").unwrap_or(rest.len());
        out.push(backticked(&rest[..end]));
        rest = &rest[end..];
    }
    out
}

/// The first plan after an import prints exactly one [`IMPORT_WARNING`] (not folded into a
/// "similar warning"), listing exactly `names`, and no state-only warning: what every import
/// matrix asserts of a resource with arguments the API never reports.
#[track_caller]
pub fn assert_one_import_warning(plan: &PlanResult, names: &[&str], case: &str) {
    let lists = import_warning_lists(plan);
    let want: BTreeSet<String> = names.iter().map(|n| n.to_string()).collect();
    assert_eq!(
        plan.flat().matches(IMPORT_WARNING).count(),
        1,
        "{case}: expected one import warning:\n{}",
        plan.describe()
    );
    plan.assert_not_contains("similar warning");
    assert_eq!(
        lists,
        vec![want],
        "{case}: the import warning should list exactly the arguments the API cannot \
         report back:\n{}",
        plan.describe()
    );
    plan.assert_not_contains("only updates Terraform state");
}

/// The plan updates exactly `addr` in place (Plan: 0 to add, 1 to change, 0 to destroy),
/// without a replacement: what an in-place or state-only argument's change must plan.
#[track_caller]
pub fn assert_in_place(plan: &PlanResult, addr: &str, case: &str) {
    if plan.exit_code != 2 || plan.counts().map(|c| (c.add, c.change, c.destroy)) != Some((0, 1, 0))
    {
        panic!(
            "{case}: expected one in-place update (Plan: 0 to add, 1 to change, 0 to destroy):\n{}",
            plan.describe()
        );
    }
    let text = flatten(&plan.stdout);
    assert!(
        text.contains(&format!("{addr} will be updated in-place")),
        "{case}: {addr} is not updated in place:\n{}",
        plan.describe()
    );
    plan.assert_not_contains("must be replaced");
}

/// Whether the plan marks `leaf` (an attribute or block name) with `# forces replacement`: on
/// its line, or, for a list or block spread over several lines, on the line that closes it
/// (where Terraform 1.0 puts the mark). A replace argument's change must carry the mark.
pub fn forces_replacement_on(plan: &PlanResult, leaf: &str) -> bool {
    const MARK: &str = "# forces replacement";
    let lines: Vec<&str> = plan.stdout.lines().collect();
    lines.iter().enumerate().any(|(i, line)| {
        let t = line
            .trim_start()
            .trim_start_matches(['~', '+', '-', '/'])
            .trim_start();
        let named = t
            .strip_prefix(leaf)
            .is_some_and(|rest| rest.starts_with(' ') || rest.starts_with('='));
        if !named {
            return false;
        }
        if line.contains(MARK) {
            return true;
        }
        let opens = line.trim_end().ends_with('[') || line.trim_end().ends_with('{');
        opens
            && lines[i + 1..]
                .iter()
                .find(|l| l.trim_start().starts_with([']', '}']))
                .is_some_and(|close| close.contains(MARK))
    })
}

/// Collects every mismatch of a matrix, so that one run reports all failing cases at once
/// instead of stopping at the first.
#[derive(Default)]
pub struct Failures(Vec<String>);

impl Failures {
    /// Records `what` with the plan's output unless `ok`.
    pub fn check(&mut self, ok: bool, what: &str, plan: &PlanResult) {
        if !ok {
            self.0.push(format!("{what}\n{}", plan.describe()));
        }
    }

    /// Records a failure that has no plan to show.
    pub fn push(&mut self, failure: String) {
        self.0.push(failure);
    }

    /// Panics with every recorded failure, if there is any.
    #[track_caller]
    pub fn assert_none(&self, tf: &Terraform) {
        if !self.0.is_empty() {
            panic!(
                "{tf}: {} case(s) of the matrix failed:\n\n{}",
                self.0.len(),
                self.0.join("\n\n=====\n\n")
            );
        }
    }
}
