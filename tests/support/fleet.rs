//! Many objects of one resource type against one simulator, for the reliability tests
//! (`tests/fault_matrix.rs`, `tests/load.rs`): the configuration of `n` objects, what the
//! simulator holds of them, and what state holds, so that a test can check "every object the
//! API made is in state, none exists twice, destroy leaves nothing an API can remove" the same
//! way for each of the four resources.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{json, Value};

use super::{hcl_string, required_providers, Sim, Workdir, IC_KEY, IC_USER};

/// The four resource types of the product.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Instaclustr,
    Css,
    CloudBasic,
    Redis,
}

pub const ALL: [Kind; 4] = [Kind::Instaclustr, Kind::Css, Kind::CloudBasic, Kind::Redis];

const REDIS_USER: &str = "admin@example.com";
const REDIS_PASSWORD: &str = "Adm1n-Secret-pw";

impl Kind {
    pub fn resource_type(self) -> &'static str {
        match self {
            Kind::Instaclustr => "instaclustr_cluster",
            Kind::Css => "css_cluster",
            Kind::CloudBasic => "cloudbasic_cluster",
            Kind::Redis => "redis_bootstrap",
        }
    }

    /// The simulator's name of the API the resource talks to (faults and request logs).
    pub fn vendor(self) -> &'static str {
        match self {
            Kind::Instaclustr => "instaclustr",
            Kind::Css => "css",
            Kind::CloudBasic => "cloudbasic",
            Kind::Redis => "redis",
        }
    }

    /// `(provider type, binary)` for [`Workdir::new`].
    pub fn provider(self) -> (&'static str, &'static str) {
        match self {
            Kind::Instaclustr => (
                "instaclustr",
                env!("CARGO_BIN_EXE_terraform-provider-instaclustr"),
            ),
            Kind::Css => ("css", env!("CARGO_BIN_EXE_terraform-provider-css")),
            Kind::CloudBasic => (
                "cloudbasic",
                env!("CARGO_BIN_EXE_terraform-provider-cloudbasic"),
            ),
            Kind::Redis => ("redis", env!("CARGO_BIN_EXE_terraform-provider-redis")),
        }
    }

    /// What a fault's `path_contains` needs to hit only the create request.
    pub fn create_path(self) -> &'static str {
        match self {
            Kind::Instaclustr => "/provisioning/v1/extended",
            Kind::Css => "/clusters",
            Kind::CloudBasic => "/api/CreateCluster",
            Kind::Redis => "/v1/bootstrap/",
        }
    }

    /// What a fault's `path_contains` needs to hit the reads a create waits with, and not the
    /// account listing before the create.
    pub fn wait_path(self) -> &'static str {
        match self {
            Kind::Instaclustr => "/provisioning/v1/",
            Kind::Css => "/clusters/",
            Kind::CloudBasic => "/api/",
            Kind::Redis => "/v1/bootstrap",
        }
    }

    /// The method of the requests a create waits with (CloudBasic has no read: its only
    /// requests are POSTs).
    pub fn read_method(self) -> &'static str {
        match self {
            Kind::CloudBasic => "POST",
            _ => "GET",
        }
    }

    /// Top-level fields of the answers the wait reads, to take away in a "missing fields" case.
    pub fn status_fields(self) -> Vec<&'static str> {
        match self {
            Kind::Instaclustr => vec!["clusterStatus"],
            Kind::Css => vec!["status"],
            Kind::CloudBasic => vec!["errors"],
            Kind::Redis => vec!["bootstrap_status.state"],
        }
    }

    /// A configuration of `n` objects (Redis: `n` nodes in clusters of five, the first of each
    /// creating it, the others joining) for `sim`.
    pub fn hcl(self, sim: &Sim, n: usize) -> String {
        let mut s = required_providers(&[self.provider().0]);
        s.push('\n');
        match self {
            Kind::Instaclustr => s.push_str(&format!(
                r#"provider "instaclustr" {{
  username         = {user}
  api_key          = {key}
  api_hostname     = {url}
  request_interval = "0s"
}}

resource "instaclustr_cluster" "fleet" {{
  count        = {n}
  cluster_name = "fleet-${{count.index}}"
  node_size    = "t3.small-v2"
  data_centre  = "US_WEST_2"

  cluster_provider = {{ name = "AWS_VPC" }}

  bundle {{
    bundle  = "APACHE_CASSANDRA"
    version = "4.0.1"
  }}
}}
"#,
                user = hcl_string(IC_USER),
                key = hcl_string(IC_KEY),
                url = hcl_string(&sim.instaclustr_url()),
            )),
            Kind::Css => s.push_str(&format!(
                r#"provider "css" {{
  iam_endpoint = {iam}
  endpoint     = {css}
  project_id   = "demo-project"
  domain_name  = "demo-domain"
  user_name    = "demo"
  password     = "demo-password"
}}

resource "css_cluster" "fleet" {{
  count             = {n}
  name              = "fleet-${{count.index}}"
  engine_version    = "7.10.2"
  instance_num      = 1
  flavor            = "ess.spec-4u8g"
  vpc_id            = "vpc-fleet"
  subnet_id         = "subnet-fleet"
  security_group_id = "sg-fleet"

  volume {{
    volume_type = "HIGH"
    size        = 40
  }}
}}
"#,
                iam = hcl_string(&sim.vendor_url("iam")),
                css = hcl_string(&sim.vendor_url("css")),
            )),
            Kind::CloudBasic => {
                // A provider configuration speaks for one local instance, which holds one
                // cluster: n local instances (one provider alias each), all clustered with one
                // remote instance.
                let remote = activate(sim, "i-0fleet0remote");
                for i in 0..n {
                    let local = activate(sim, &format!("i-0fleet{i:06}"));
                    s.push_str(&format!(
                        r#"provider "cloudbasic" {{
  alias      = "local{i}"
  endpoint   = {endpoint}
  access_key = {access}
  secret_key = {secret}
}}

resource "cloudbasic_cluster" "fleet{i}" {{
  provider           = cloudbasic.local{i}
  local_server       = "10.0.{third}.{fourth}"
  remote_server      = "10.0.200.15"
  port               = 81
  remote_public_key  = {public}
  remote_private_key = {private}
}}

"#,
                        endpoint = hcl_string(&sim.vendor_url("cloudbasic")),
                        access = hcl_string(&local.0),
                        secret = hcl_string(&local.1),
                        public = hcl_string(&remote.0),
                        private = hcl_string(&remote.1),
                        third = 1 + i / 200,
                        fourth = 1 + i % 200,
                    ))
                }
            }
            Kind::Redis => {
                let clusters = n.div_ceil(5);
                let members: Vec<String> = (0..n)
                    .filter(|i| i % 5 != 0)
                    .map(|i| format!("    \"c{}n{}\" = \"{}\"", i / 5, i % 5, i / 5))
                    .collect();
                s.push_str(&format!(
                    r#"provider "redis" {{
  username = {user}
  password = {password}
}}

locals {{
  clusters = [for k in range({clusters}) : tostring(k)]
  members = {{
{members}
  }}
}}

resource "redis_bootstrap" "first" {{
  for_each     = toset(local.clusters)
  endpoint     = "{base}/c${{each.key}}n0"
  action       = "create_cluster"
  cluster_name = "c${{each.key}}.example.com"
  node_addr    = "10.1.${{each.key}}.100"
  username     = {user}
  password     = {password}
}}

resource "redis_bootstrap" "member" {{
  for_each   = local.members
  endpoint   = "{base}/${{each.key}}"
  action     = "join_cluster"
  join_nodes = [redis_bootstrap.first[each.value].node_addr]
  node_addr  = "10.1.${{each.value}}.${{substr(each.key, -1, 1)}}"
  username   = {user}
  password   = {password}
}}
"#,
                    user = hcl_string(REDIS_USER),
                    password = hcl_string(REDIS_PASSWORD),
                    base = sim.vendor_url("redis"),
                    members = members.join("\n"),
                ))
            }
        }
        s
    }

    /// The objects the simulator holds that an API could remove, by the id state records
    /// (Instaclustr/CSS cluster ids, CloudBasic local servers, Redis node endpoints), with the
    /// name a duplicate would share.
    pub fn live_objects(self, sim: &Sim) -> Vec<Object> {
        match self {
            Kind::Instaclustr => sim
                .instaclustr_live_clusters()
                .into_iter()
                .map(|c| Object::new(&c["id"], &c["clusterName"]))
                .collect(),
            Kind::Css => array(sim.admin_get("/_admin/css/clusters"))
                .into_iter()
                .map(|c| Object::new(&c["id"], &c["name"]))
                .collect(),
            Kind::CloudBasic => array(sim.admin_get("/_admin/cloudbasic/clusters"))
                .into_iter()
                .map(|c| Object::new(&c["localServer"], &c["localServer"]))
                .collect(),
            Kind::Redis => {
                let base = sim.vendor_url("redis");
                array(sim.admin_get("/_admin/redis/nodes"))
                    .into_iter()
                    .filter(|n| !n["cluster"].is_null())
                    .map(|n| {
                        let name = n["name"].as_str().unwrap_or("?");
                        Object::new(&json!(format!("{base}/{name}")), &n["name"])
                    })
                    .collect()
            }
        }
    }

    /// What may still exist after a destroy: the node that created a Redis cluster (no API
    /// dissolves a cluster), nothing else.
    pub fn survives_destroy(self, object: &Object) -> bool {
        self == Kind::Redis && object.name.ends_with("n0")
    }
}

/// One object in the simulator.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Object {
    pub id: String,
    pub name: String,
}

impl Object {
    fn new(id: &Value, name: &Value) -> Object {
        Object {
            id: id.as_str().unwrap_or_default().to_owned(),
            name: name.as_str().unwrap_or_default().to_owned(),
        }
    }
}

/// The ids of every instance of `kind` in `wd`'s state, with whether it is tainted.
pub fn state_ids(wd: &Workdir, kind: Kind) -> BTreeMap<String, bool> {
    let prefix = format!("{}.", kind.resource_type());
    wd.state_instances()
        .into_iter()
        .filter(|(addr, _)| addr.starts_with(&prefix))
        .map(|(_, inst)| {
            (
                inst["attributes"]["id"].as_str().unwrap_or("").to_owned(),
                inst["status"] == "tainted",
            )
        })
        .collect()
}

/// What is wrong with the simulator against state: objects state does not know (leaks) and
/// names that exist more than once (duplicates). Empty when all is well.
pub fn leaks_and_duplicates(sim: &Sim, wd: &Workdir, kind: Kind) -> Vec<String> {
    let objects = kind.live_objects(sim);
    let in_state = state_ids(wd, kind);
    let mut problems = Vec::new();
    for object in &objects {
        if !in_state.contains_key(&object.id) {
            problems.push(format!(
                "leak: {} {:?} ({}) is not in state",
                kind.vendor(),
                object.id,
                object.name
            ));
        }
    }
    let mut seen = BTreeSet::new();
    for object in &objects {
        if !seen.insert(&object.name) {
            problems.push(format!(
                "duplicate: {} has two or more objects named {:?}",
                kind.vendor(),
                object.name
            ));
        }
    }
    problems
}

/// Objects a destroy should have removed but did not.
pub fn left_after_destroy(sim: &Sim, kind: Kind) -> Vec<Object> {
    kind.live_objects(sim)
        .into_iter()
        .filter(|o| !kind.survives_destroy(o))
        .collect()
}

fn array(v: Value) -> Vec<Value> {
    match v {
        Value::Array(a) => a,
        _ => Vec::new(),
    }
}

/// Activates a simulated CloudBasic instance (no signature needed): its `(public, private)` pair.
fn activate(sim: &Sim, instance_id: &str) -> (String, String) {
    let v = sim.admin_post(
        "/cloudbasic/api/ActivateInstance",
        Some(json!({
            "email": "ops@example.com",
            "instanceId": instance_id,
            "password": "Console-pw-1",
            "isProduction": false,
            "agreeToEula": true
        })),
    );
    (
        v["publicKey"].as_str().unwrap_or_default().to_owned(),
        v["privateKey"].as_str().unwrap_or_default().to_owned(),
    )
}
