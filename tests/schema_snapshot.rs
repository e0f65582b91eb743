//! The schemas of the four providers as Terraform itself reports them
//! (`terraform providers schema -json`, Terraform 1.0.3), compared with the committed snapshots
//! in `tests/snapshots/providers-schema/<name>.json`. A schema is the providers' public contract:
//! a renamed attribute, a changed type or a lost `ForceNew` breaks configurations and states, so
//! such a change has to be made on purpose (with a CHANGELOG entry), never by accident.
//!
//! To accept a deliberate change: `UPDATE_SNAPSHOTS=1 cargo test --test schema_snapshot`, then
//! review the diff of `tests/snapshots/` and say what changed in CHANGELOG.md.
//!
//! Terraform 1.0.3 is fixed so that the JSON format does not move with the CLI; without it the
//! test is skipped with a visible `SKIP:` line (`CLUSTERFORM_REQUIRE_TERRAFORM=1` makes a
//! missing 1.0.3 a failure, as for every acceptance test).

mod support;

use std::io::Write as _;
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};
use support::fleet;
use support::{required_providers, terraform_versions, Workdir, PROVIDER_NAMESPACE};

const SNAPSHOT_TERRAFORM: &str = "1.0.3";
const UPDATE_HINT: &str = "If the change is deliberate, run `UPDATE_SNAPSHOTS=1 cargo test --test schema_snapshot`, \
review the diff of tests/snapshots/providers-schema/, and add a CHANGELOG.md entry: a schema change \
is a change of the providers' public interface.";
/// At most this many differences are listed per provider; the rest are counted.
const DIFF_LINES: usize = 20;

fn snapshot_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots/providers-schema")
}

/// The same JSON with every object's keys sorted, pretty-printed, with a final newline.
fn normalized(value: &Value) -> String {
    fn sort(value: &Value) -> Value {
        match value {
            Value::Object(map) => {
                let mut keys: Vec<&String> = map.keys().collect();
                keys.sort();
                Value::Object(
                    keys.into_iter()
                        .map(|k| (k.clone(), sort(&map[k])))
                        .collect::<Map<_, _>>(),
                )
            }
            Value::Array(items) => Value::Array(items.iter().map(sort).collect()),
            other => other.clone(),
        }
    }
    let mut text = serde_json::to_string_pretty(&sort(value)).unwrap();
    text.push('\n');
    text
}

/// The JSON paths where `want` and `got` part ways: `path: removed|added|<old> -> <new>`.
fn differences(path: &str, want: &Value, got: &Value, out: &mut Vec<String>) {
    match (want, got) {
        (Value::Object(w), Value::Object(g)) => {
            for (k, wv) in w {
                let p = format!("{path}.{k}");
                match g.get(k) {
                    Some(gv) => differences(&p, wv, gv, out),
                    None => out.push(format!("{p}: removed")),
                }
            }
            for k in g.keys().filter(|k| !w.contains_key(*k)) {
                out.push(format!("{path}.{k}: added"));
            }
        }
        (Value::Array(w), Value::Array(g)) if w.len() == g.len() => {
            for (i, (wv, gv)) in w.iter().zip(g).enumerate() {
                differences(&format!("{path}[{i}]"), wv, gv, out);
            }
        }
        (w, g) if w != g => {
            let short = |v: &Value| {
                let s = v.to_string();
                if s.chars().count() > 60 {
                    format!("{}…", s.chars().take(60).collect::<String>())
                } else {
                    s
                }
            };
            out.push(format!("{path}: {} -> {}", short(w), short(g)));
        }
        _ => {}
    }
}

#[test]
fn provider_schemas_match_the_snapshots() {
    let Some(tf) = terraform_versions()
        .into_iter()
        .find(|t| t.version == SNAPSHOT_TERRAFORM)
    else {
        // Straight to stderr: libtest would swallow an `eprintln!` of a passing test.
        let _ = writeln!(
            std::io::stderr(),
            "SKIP: provider_schemas_match_the_snapshots: terraform {SNAPSHOT_TERRAFORM} not available \
             (run scripts/install-terraform.sh, or include it in CLUSTERFORM_TF_VERSIONS)"
        );
        return;
    };
    let providers: Vec<(&str, &str)> = fleet::ALL.iter().map(|k| k.provider()).collect();
    let names: Vec<&str> = providers.iter().map(|(name, _)| *name).collect();
    let wd = Workdir::new(&tf, &providers);
    wd.write_main_tf(&required_providers(&names));
    wd.init().assert_success();
    let out = wd.run(&["providers", "schema", "-json"]);
    out.assert_success();
    let reported: Value = serde_json::from_str(&out.stdout)
        .unwrap_or_else(|e| panic!("providers schema -json is not JSON ({e}):\n{}", out.stdout));
    let format_version = &reported["format_version"];

    let update = std::env::var("UPDATE_SNAPSHOTS").is_ok_and(|v| v == "1");
    let mut failures = Vec::new();
    for name in &names {
        let address = format!("registry.terraform.io/{PROVIDER_NAMESPACE}/{name}");
        let schema = reported["provider_schemas"]
            .get(&address)
            .unwrap_or_else(|| panic!("no {address} in providers schema -json:\n{reported:#}"));
        // One file per provider, self-describing: which address, in which JSON format.
        let got = serde_json::json!({
            "format_version": format_version,
            "address": address,
            "schema": schema,
        });
        let text = normalized(&got);
        let path = snapshot_dir().join(format!("{name}.json"));
        let on_disk = std::fs::read_to_string(&path).ok();
        if on_disk.as_deref() == Some(text.as_str()) {
            continue;
        }
        if update {
            std::fs::create_dir_all(snapshot_dir()).unwrap();
            std::fs::write(&path, &text).unwrap();
            eprintln!("rewrote {}", path.display());
            continue;
        }
        let Some(on_disk) = on_disk else {
            failures.push(format!("{name}: no snapshot {}", path.display()));
            continue;
        };
        let want: Value = serde_json::from_str(&on_disk)
            .unwrap_or_else(|e| panic!("{}: not JSON: {e}", path.display()));
        let mut diffs = Vec::new();
        differences(name, &want, &got, &mut diffs);
        if diffs.is_empty() {
            diffs.push("formatting only (the snapshot is not in normalized form)".to_string());
        }
        let more = diffs.len().saturating_sub(DIFF_LINES);
        diffs.truncate(DIFF_LINES);
        if more > 0 {
            diffs.push(format!("… and {more} more"));
        }
        failures.push(format!(
            "{name} ({}):\n    {}",
            path.display(),
            diffs.join("\n    ")
        ));
    }
    assert!(
        failures.is_empty(),
        "the provider schemas reported by terraform {SNAPSHOT_TERRAFORM} differ from the snapshots \
         (snapshot -> now):\n  {}\n{UPDATE_HINT}",
        failures.join("\n  ")
    );
}

#[test]
fn differences_name_the_paths_that_changed() {
    let want = serde_json::json!({"a": {"b": 1, "gone": true}, "l": [1, 2]});
    let got = serde_json::json!({"a": {"b": 2, "new": "x"}, "l": [1, 3]});
    let mut diffs = Vec::new();
    differences("p", &want, &got, &mut diffs);
    assert_eq!(
        diffs,
        vec![
            "p.a.b: 1 -> 2",
            "p.a.gone: removed",
            "p.a.new: added",
            "p.l[1]: 2 -> 3"
        ]
    );
    assert_eq!(
        normalized(&serde_json::json!({"z": 1, "a": {"y": 1, "b": 2}})),
        "{\n  \"a\": {\n    \"b\": 2,\n    \"y\": 1\n  },\n  \"z\": 1\n}\n"
    );
}
