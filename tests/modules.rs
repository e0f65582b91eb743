//! The modules of `examples/modules/` and every example configuration, through the real
//! Terraform CLI on every available version:
//! - each module is called from a root configuration as a team would, applied against
//!   `clusterform-sim`, planned again (no changes), and destroyed, leaving nothing behind;
//! - every directory of `examples/` passes `terraform fmt -check` and `terraform validate`
//!   (providers from a filesystem mirror, which 0.13.5 needs: it has no `dev_overrides`).

mod support;

use std::fs;
use std::path::{Path, PathBuf};

use serde_json::Value;
use support::{hcl_string, terraform_versions, Sim, Terraform, Workdir, IC_KEY, IC_USER};

const PROVIDERS: [(&str, &str); 4] = [
    (
        "instaclustr",
        env!("CARGO_BIN_EXE_terraform-provider-instaclustr"),
    ),
    ("css", env!("CARGO_BIN_EXE_terraform-provider-css")),
    (
        "cloudbasic",
        env!("CARGO_BIN_EXE_terraform-provider-cloudbasic"),
    ),
    ("redis", env!("CARGO_BIN_EXE_terraform-provider-redis")),
];

fn examples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples")
}

/// Copies the `.tf` files and READMEs of `src` (recursively) to `dest`, leaving out what
/// Terraform or the demo left behind in a developer's checkout.
fn copy_tree(src: &Path, dest: &Path) {
    fs::create_dir_all(dest).unwrap_or_else(|e| panic!("create {}: {e}", dest.display()));
    let entries = fs::read_dir(src).unwrap_or_else(|e| panic!("read {}: {e}", src.display()));
    for entry in entries {
        let entry = entry.expect("directory entry");
        let name = entry.file_name();
        let name = name.to_string_lossy();
        let path = entry.path();
        if path.is_dir() {
            if !name.starts_with('.') {
                copy_tree(&path, &dest.join(&*name));
            }
        } else if name.ends_with(".tf") || name.ends_with(".md") || name.ends_with(".sh") {
            fs::copy(&path, dest.join(&*name))
                .unwrap_or_else(|e| panic!("copy {}: {e}", path.display()));
        }
    }
}

/// Runs `scenario` once per available Terraform version, each with its own simulator and a
/// work dir whose `../modules` is a copy of `examples/modules`.
fn for_each_terraform(name: &str, mut scenario: impl FnMut(&Terraform, &Sim, &mut Workdir)) {
    let versions = terraform_versions();
    if versions.is_empty() {
        eprintln!("SKIP: {name}: no Terraform binary available");
        return;
    }
    for tf in &versions {
        eprintln!("=== {name}: {tf}");
        let sim = Sim::start_with_args(&["--pace", "50ms"]);
        let mut wd = Workdir::new(tf, &PROVIDERS);
        copy_tree(&examples().join("modules"), &wd.root().join("modules"));
        point_providers_at(&mut wd, &sim);
        scenario(tf, &sim, &mut wd);
        eprintln!("=== {name}: {tf}: ok");
    }
}

/// The environment a user of the simulator exports (as `scripts/demo.sh` does).
fn point_providers_at(wd: &mut Workdir, sim: &Sim) {
    wd.set_env("IC_USERNAME", IC_USER)
        .set_env("IC_API_KEY", IC_KEY)
        .set_env("IC_API_HOSTNAME", &sim.vendor_url("instaclustr"))
        .set_env("IC_REQUEST_INTERVAL", "0s")
        .set_env("CSS_REGION", "demo-region")
        .set_env("CSS_IAM_ENDPOINT", &sim.vendor_url("iam"))
        .set_env("CSS_ENDPOINT", &sim.vendor_url("css"))
        .set_env("CSS_PROJECT_ID", "demo-project")
        .set_env("CSS_DOMAIN_NAME", "demo-domain")
        .set_env("CSS_USER_NAME", "demo")
        .set_env("CSS_PASSWORD", "demo-password");
}

/// init, apply, a plan that shows no changes, destroy: what every module must survive.
fn apply_plan_destroy(wd: &Workdir, hcl: &str, check_applied: impl FnOnce(&Value)) {
    wd.write_main_tf(hcl);
    wd.init().assert_success();
    wd.apply().assert_success();
    check_applied(&outputs(wd));
    wd.plan().assert_no_changes();
    wd.destroy().assert_success();
}

/// The root module's outputs, `name => value`, from state (format 4 on every version).
fn outputs(wd: &Workdir) -> Value {
    let state = wd.state();
    let mut out = serde_json::Map::new();
    if let Some(map) = state["outputs"].as_object() {
        for (name, o) in map {
            out.insert(name.clone(), o["value"].clone());
        }
    }
    Value::Object(out)
}

// ---------------------------------------------------------------------------------------------
// The modules
// ---------------------------------------------------------------------------------------------

#[test]
fn instaclustr_cluster_module() {
    for_each_terraform("instaclustr_cluster_module", |_tf, sim, wd| {
        let hcl = r#"
module "cassandra" {
  source = "../modules/instaclustr-cluster"

  cluster_name   = "module-cassandra"
  bundle_version = "4.0.1"
  bundle_options = { auth_n_authz = true }
  node_size      = "t3.small-v2"
  data_centre    = "US_WEST_2"
}

output "id" { value = module.cassandra.cluster_id }
output "status" { value = module.cassandra.cluster_status }
output "contact_points" { value = module.cassandra.private_contact_points }
output "certificate" { value = module.cassandra.certificate_download }
output "password" {
  value     = module.cassandra.cluster_password
  sensitive = true
}
"#;
        apply_plan_destroy(wd, hcl, |out| {
            let id = out["id"].as_str().expect("cluster id output");
            let doc = sim.instaclustr_document(id);
            assert_eq!(out["status"], "RUNNING", "{out:#}");
            assert_eq!(out["password"], doc["instaclustrUserPassword"], "{doc:#}");
            assert_eq!(
                out["certificate"], doc["clusterCertificateDownload"],
                "{doc:#}"
            );
            assert_eq!(
                out["contact_points"].as_array().map(Vec::len),
                Some(3),
                "{out:#}"
            );
        });
        assert!(
            sim.instaclustr_live_clusters().is_empty(),
            "destroy left clusters: {:#?}",
            sim.instaclustr_live_clusters()
        );
    });
}

#[test]
fn css_cluster_module() {
    for_each_terraform("css_cluster_module", |_tf, sim, wd| {
        let hcl = r#"
module "search" {
  source = "../modules/css-cluster"

  name              = "module-search"
  engine_version    = "7.10.2"
  instance_num      = 2
  flavor            = "ess.spec-4u8g"
  vpc_id            = "3a1f0c2e-8d4b-4b6e-9f1a-2c7d5e8b9a01"
  subnet_id         = "6b2e1d3f-9c5a-4c7f-8e2b-3d8e6f9c0b12"
  security_group_id = "9c3f2e4a-0d6b-4d8a-9f3c-4e9f7a0d1c23"
  admin_password    = "Module#2024pw"
  snapshot_keep_days = 14
  tags              = { team = "search", env = "test" }
}

output "id" { value = module.search.id }
output "endpoint" { value = module.search.endpoint }
output "scheme" { value = module.search.scheme }
output "nodes" { value = module.search.node_addresses }
"#;
        apply_plan_destroy(wd, hcl, |out| {
            let id = out["id"].as_str().expect("cluster id output");
            assert_eq!(out["scheme"], "https", "{out:#}");
            assert_eq!(out["nodes"].as_array().map(Vec::len), Some(2), "{out:#}");
            let clusters = sim.admin_get("/_admin/css/clusters");
            let cluster = clusters
                .as_array()
                .and_then(|c| c.iter().find(|c| c["id"] == id))
                .unwrap_or_else(|| panic!("no cluster {id}: {clusters:#}"));
            assert_eq!(cluster["httpsEnable"], true, "{cluster:#}");
            assert_eq!(cluster["tags"]["team"], "search", "{cluster:#}");
            assert_eq!(cluster["tags"]["env"], "test", "{cluster:#}");
            let policy = cluster["backup"].to_string();
            assert!(
                policy.contains("14"),
                "snapshot policy not sent: {cluster:#}"
            );
        });
        let left = sim.admin_get("/_admin/css/clusters");
        assert_eq!(
            left.as_array().map(Vec::len),
            Some(0),
            "destroy left: {left:#}"
        );
    });
}

#[test]
fn cloudbasic_ha_pair_module() {
    for_each_terraform("cloudbasic_ha_pair_module", |_tf, sim, wd| {
        let endpoint = hcl_string(&sim.vendor_url("cloudbasic"));
        let hcl = format!(
            r#"
module "pair" {{
  source = "../modules/cloudbasic-ha-pair"

  local_endpoint     = {endpoint}
  remote_endpoint    = {endpoint}
  local_instance_id  = "i-0000000000000a001"
  remote_instance_id = "i-0000000000000b002"
  local_server       = "10.0.1.15"
  remote_server      = "10.0.2.15"
  admin_email        = "dba@example.com"
  admin_password     = "Module-Pa55word"
  agree_to_eula      = true
}}

output "cluster_id" {{ value = module.pair.cluster_id }}
output "local_access_key" {{ value = module.pair.local_access_key }}
output "remote_access_key" {{ value = module.pair.remote_access_key }}
"#
        );
        apply_plan_destroy(wd, &hcl, |out| {
            assert_eq!(out["cluster_id"], "10.0.1.15", "{out:#}");
            let clusters = sim.admin_get("/_admin/cloudbasic/clusters");
            let cluster = clusters
                .as_array()
                .and_then(|c| c.iter().find(|c| c["localServer"] == "10.0.1.15"))
                .unwrap_or_else(|| panic!("no cluster for 10.0.1.15: {clusters:#}"));
            assert_eq!(
                cluster["accessKey"], out["local_access_key"],
                "the cluster must be signed by the local activation's key: {cluster:#}"
            );
            assert_eq!(
                cluster["publicKey"], out["remote_access_key"],
                "the cluster must use the remote activation's key: {cluster:#}"
            );
        });
        let clusters = sim.admin_get("/_admin/cloudbasic/clusters");
        assert!(
            !clusters.to_string().contains("10.0.1.15"),
            "destroy left the pair clustered: {clusters:#}"
        );
    });
}

#[test]
fn redis_enterprise_cluster_module() {
    for_each_terraform("redis_enterprise_cluster_module", |_tf, sim, wd| {
        let nodes = sim.vendor_url("redis");
        let hcl = format!(
            r#"
module "redis" {{
  source = "../modules/redis-enterprise-cluster"

  nodes = {{
    b = "{nodes}/node2"
    a = "{nodes}/node1"
    c = "{nodes}/node3"
  }}
  node_addrs   = {{ c = "10.0.9.33" }}
  cluster_name = "module.example.com"
  username     = "admin@example.com"
  password     = "module-Pa55"
}}

output "create_node" {{ value = module.redis.create_node }}
output "addrs" {{ value = module.redis.node_addrs }}
output "uids" {{ value = module.redis.node_uids }}
"#
        );
        wd.write_main_tf(&hcl);
        wd.init().assert_success();
        wd.apply().assert_success();
        let out = outputs(wd);
        assert_eq!(out["create_node"], "a", "{out:#}");
        assert_eq!(out["addrs"]["c"], "10.0.9.33", "{out:#}");
        let members = sim.admin_get("/_admin/redis/nodes");
        for (key, node) in [("a", "node1"), ("b", "node2")] {
            let reported = members
                .as_array()
                .and_then(|m| m.iter().find(|m| m["name"] == node))
                .unwrap_or_else(|| panic!("no node {node}: {members:#}"));
            assert_eq!(out["addrs"][key], reported["addr"], "{members:#}");
            assert!(
                reported["addr"]
                    .as_str()
                    .is_some_and(|a| a.starts_with("10.")),
                "the first private IPv4 in sorted order: {members:#}"
            );
        }
        assert_eq!(out["uids"].as_object().map(|m| m.len()), Some(3), "{out:#}");
        // The nodes now list their addresses the other way round: nothing may change.
        for node in ["node1", "node2", "node3"] {
            sim.admin_post(&format!("/_admin/redis/nodes/{node}/reverse_addrs"), None);
        }
        wd.plan().assert_no_changes();
        wd.destroy().assert_success();
        let left = sim.admin_get("/_admin/redis/clusters");
        let members = left.to_string();
        assert!(
            !members.contains("node2") && !members.contains("node3"),
            "destroy left joined nodes in the cluster: {left:#}"
        );
    });
}

/// The names declared as `<keyword> "<name>"` in `text`.
fn declared(text: &str, keyword: &str) -> Vec<String> {
    let prefix = format!("{keyword} \"");
    text.lines()
        .filter_map(|line| line.strip_prefix(&prefix))
        .filter_map(|rest| rest.split('"').next())
        .map(str::to_owned)
        .collect()
}

#[test]
fn every_module_documents_its_inputs_and_outputs() {
    let dir = examples().join("modules");
    let mut modules: Vec<PathBuf> = fs::read_dir(&dir)
        .expect("read examples/modules")
        .map(|e| e.expect("directory entry").path())
        .filter(|p| p.is_dir())
        .collect();
    modules.sort();
    assert!(modules.len() >= 4, "modules: {modules:?}");
    let mut missing = Vec::new();
    for module in &modules {
        let read = |name: &str| {
            fs::read_to_string(module.join(name))
                .unwrap_or_else(|e| panic!("{}/{name}: {e}", module.display()))
        };
        let readme = read("README.md");
        for (file, keyword) in [("variables.tf", "variable"), ("outputs.tf", "output")] {
            let names = declared(&read(file), keyword);
            assert!(
                !names.is_empty(),
                "{}/{file} declares nothing",
                module.display()
            );
            for name in names {
                if !readme.contains(&format!("| `{name}` |")) {
                    missing.push(format!("{}: {keyword} `{name}`", module.display()));
                }
            }
        }
    }
    assert!(
        missing.is_empty(),
        "README tables lack these (add a row `| `name` | … |`):\n{}",
        missing.join("\n")
    );
}

// ---------------------------------------------------------------------------------------------
// Formatting and validation of every example
// ---------------------------------------------------------------------------------------------

/// Every directory under `examples/` that holds a `.tf` file, relative to `examples/`.
fn example_dirs() -> Vec<PathBuf> {
    fn walk(dir: &Path, rel: &Path, out: &mut Vec<PathBuf>) {
        let mut has_tf = false;
        let mut entries: Vec<_> = fs::read_dir(dir)
            .unwrap_or_else(|e| panic!("read {}: {e}", dir.display()))
            .map(|e| e.expect("directory entry").path())
            .collect();
        entries.sort();
        for path in entries {
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            if path.is_dir() {
                if !name.starts_with('.') {
                    walk(&path, &rel.join(&name), out);
                }
            } else if name.ends_with(".tf") {
                has_tf = true;
            }
        }
        if has_tf {
            out.push(rel.to_path_buf());
        }
    }
    let mut out = Vec::new();
    walk(&examples(), Path::new(""), &mut out);
    out
}

fn tf_text(dir: &Path) -> String {
    let mut text = String::new();
    for entry in fs::read_dir(dir).expect("read example dir") {
        let path = entry.expect("directory entry").path();
        if path.extension().is_some_and(|e| e == "tf") {
            text.push_str(&fs::read_to_string(&path).expect("read example"));
            text.push('\n');
        }
    }
    text
}

/// The providers a configuration uses, from the prefixes of its resource and data types.
fn providers_used(text: &str) -> Vec<&'static str> {
    PROVIDERS
        .iter()
        .map(|(name, _)| *name)
        .filter(|name| {
            text.contains(&format!("resource \"{name}_"))
                || text.contains(&format!("data \"{name}_"))
                || text.contains(&format!("provider \"{name}\""))
        })
        .collect()
}

/// Resource examples a data-source example refers to (`instaclustr_cluster.example`) without
/// declaring them: the docs show them together, so they are validated together.
fn referenced_resource_examples(text: &str) -> Vec<PathBuf> {
    let dir = examples().join("resources");
    let mut out = Vec::new();
    for entry in fs::read_dir(&dir).expect("read examples/resources") {
        let path = entry.expect("directory entry").path();
        let ty = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let declares = text.contains(&format!("resource \"{ty}\""));
        let refers = text.contains(&format!("{ty}.example"));
        if refers && !declares {
            out.push(path.join("resource.tf"));
        }
    }
    out
}

#[test]
fn examples_are_formatted() {
    let versions = terraform_versions();
    if versions.is_empty() {
        eprintln!("SKIP: examples_are_formatted: no Terraform binary available");
    }
    for tf in &versions {
        let wd = Workdir::new(tf, &[]);
        copy_tree(&examples(), wd.path());
        let out = wd.run(&["fmt", "-check", "-recursive", "-diff", "-no-color"]);
        assert!(
            out.success(),
            "{tf}: `terraform fmt -check -recursive examples` wants changes \
             (run `terraform fmt -recursive examples`):\n{}",
            out.describe()
        );
        eprintln!("=== examples_are_formatted: {tf}: ok");
    }
}

#[test]
fn examples_validate() {
    let versions = terraform_versions();
    if versions.is_empty() {
        eprintln!("SKIP: examples_validate: no Terraform binary available");
    }
    let dirs = example_dirs();
    assert!(dirs.len() >= 10, "examples found: {dirs:?}");
    for tf in &versions {
        let mut failures = Vec::new();
        for rel in &dirs {
            let src = examples().join(rel);
            let wd = Workdir::new(tf, &PROVIDERS);
            copy_tree(&src, wd.path());
            // `../modules/<name>` of the quick start.
            copy_tree(&examples().join("modules"), &wd.root().join("modules"));
            let text = tf_text(&src);
            for extra in referenced_resource_examples(&text) {
                let name = format!(
                    "with_{}.tf",
                    extra
                        .parent()
                        .and_then(Path::file_name)
                        .map(|n| n.to_string_lossy().into_owned())
                        .unwrap_or_default()
                );
                fs::copy(&extra, wd.path().join(name)).expect("copy resource example");
            }
            if !text.contains("required_providers") {
                wd.write_file(
                    "versions_for_validate.tf",
                    &support::required_providers(&providers_used(&text)),
                );
            }
            let init = wd.run(&["init", "-backend=false", "-input=false", "-no-color"]);
            let out = if init.success() {
                wd.run(&["validate", "-no-color"])
            } else {
                init
            };
            if out.success() {
                eprintln!("    {tf}: examples/{} is valid", rel.display());
            } else {
                failures.push(format!("examples/{}:\n{}", rel.display(), out.describe()));
            }
        }
        assert!(
            failures.is_empty(),
            "{tf}: {} example(s) fail `terraform validate`:\n{}",
            failures.len(),
            failures.join("\n")
        );
        eprintln!("=== examples_validate: {tf}: ok");
    }
}
