//! `instaclustr_cluster` as a drop-in for the official Instaclustr v1 provider, with the real
//! Terraform CLI against `clusterform-sim`, on every available Terraform version:
//! - configurations written the official way (map syntax, snake_case bundle options, names
//!   with hyphens, trailing commas, no `node_size` for OpenSearch, `wait_for_state` in lower
//!   case) validate, apply, plan nothing and destroy; a node-size option resizes in place;
//! - the official provider's data sources read what the API reports;
//! - a state in the official provider's shape goes through `state replace-provider`, `state
//!   show` and a plan with no changes; so does a state of clusterform 0.1.0.

mod support;

use std::time::Duration;

use serde_json::{json, Value};
use support::{required_providers, wait_until, Sim, Terraform, Workdir};

const PROVIDER: (&str, &str) = (
    "instaclustr",
    env!("CARGO_BIN_EXE_terraform-provider-instaclustr"),
);
const PACE: &str = "20ms";

fn provider_block(sim: &Sim) -> String {
    format!(
        "provider \"instaclustr\" {{\n  username         = \"{}\"\n  api_key          = \"{}\"\n  api_hostname     = \"{}\"\n  request_interval = \"0s\"\n}}\n",
        support::IC_USER,
        support::IC_KEY,
        sim.instaclustr_url()
    )
}

/// Four clusters in the style of the official provider's docs and acceptance tests, written
/// here from its schema (not copied): each line as such users write it.
const OFFICIAL_STYLE: &str = r#"
resource "instaclustr_cluster" "dc_test_cluster" {
  cluster_name = "tf-dc-test"
  node_size = "t3.small-v2"
  data_centre = "US_EAST_1"
  sla_tier = "NON_PRODUCTION"
  cluster_network = "10.0.0.0/16"
  private_network_cluster = false
  pci_compliant_cluster = false
  cluster_provider = {
    name = "AWS_VPC",
  }
  rack_allocation = {
    number_of_racks = 3
    nodes_per_rack = 1
  }
  bundle {
    bundle = "APACHE_CASSANDRA"
    version = "3.11.8"
    options = {
      auth_n_authz = true
      use_private_broadcast_rpc_address = false
      client_encryption = false,
      lucene_enabled = false
      continuous_backup_enabled = true
    }
  }
  wait_for_state = "running"
}

resource "instaclustr_cluster" "kafka" {
  cluster_name = "tf-kafka-test"
  node_size = "KFK-PRD-r6g.large-250"
  data_centre = "US_WEST_2"
  cluster_network = "192.168.0.0/18"
  cluster_provider = { name = "AWS_VPC" }
  rack_allocation = { number_of_racks = 3, nodes_per_rack = 1 }
  bundle {
    bundle = "KAFKA"
    version = "2.7.1"
    options = {
      client_encryption = false,
      auto_create_topics = true,
      delete_topics = true,
      number_partitions = 10,
      zookeeper_node_count = 3,
    }
  }
  bundle {
    bundle = "KAFKA_SCHEMA_REGISTRY"
    version = "5.0.4"
  }
  bundle {
    bundle = "KAFKA_REST_PROXY"
    version = "5.0.0"
  }
  wait_for_state = "RUNNING"
}

resource "instaclustr_cluster" "resizable_cluster" {
  cluster_name = "tf-resizable-test"
  data_centre = "US_EAST_1"
  sla_tier = "NON_PRODUCTION"
  cluster_network = "192.168.0.0/18"
  private_network_cluster = false
  wait_for_state = "RUNNING"
  cluster_provider        = {
    name = "AWS_VPC"
  }
  rack_allocation         = {
    number_of_racks = 3
    nodes_per_rack  = 1
  }
  bundle {
    bundle = "OPENSEARCH"
    version = "1.3.4"
    options = {
      dedicated_master_nodes = false,
      master_node_size = "SRH-DEV-t4g.small-5",
      opensearch_dashboards_node_size = "__DASHBOARDS__",
      security_plugin = true,
      client_encryption = true
    }
  }
}

resource "instaclustr_cluster" "validRedis" {
  cluster_name = "tf-redis-test"
  node_size = "r5.large-100-r"
  data_centre = "US_WEST_2"
  sla_tier = "PRODUCTION"
  cluster_network = "192.168.0.0/18"
  private_network_cluster = true
  pci_compliant_cluster   = false
  cluster_provider = { name = "AWS_VPC" }
  bundle {
    bundle = "REDIS"
    version = "redis:6.0.9"
    options = {
      master_nodes = 3,
      replica_nodes = 3,
      password_auth = false,
      client_encryption = false
    }
  }
  wait_for_state = "RUNNING"
}

data "instaclustr_cluster_credentials" "cluster_credentials" {
  cluster_id = "${instaclustr_cluster.dc_test_cluster.id}"
}

data "instaclustr_clusters" "clusters" {
  depends_on = [instaclustr_cluster.kafka]
}

output "certificate_download" {
  value = data.instaclustr_cluster_credentials.cluster_credentials.certificate_download
}

output "cluster_password" {
  value     = data.instaclustr_cluster_credentials.cluster_credentials.cluster_password
  sensitive = true
}

output "cluster_names" {
  value = sort([for c in data.instaclustr_clusters.clusters.cluster : c.cluster_name])
}
"#;

fn official_config(sim: &Sim, dashboards: &str) -> String {
    format!(
        "{}\n{}{}",
        required_providers(&["instaclustr"]),
        provider_block(sim),
        OFFICIAL_STYLE.replace("__DASHBOARDS__", dashboards)
    )
}

fn each_terraform(name: &str, mut scenario: impl FnMut(&Terraform)) {
    let versions = support::terraform_versions();
    if versions.is_empty() {
        eprintln!("SKIP: {name}: no Terraform binary available");
    }
    for tf in &versions {
        eprintln!("=== {name}: {tf}");
        scenario(tf);
        eprintln!("=== {name}: {tf}: ok");
    }
}

fn output(wd: &Workdir, name: &str) -> Value {
    let out = wd.run(&["output", "-json", name]);
    out.assert_success();
    serde_json::from_str(out.stdout.trim()).unwrap_or(Value::Null)
}

fn state_id(wd: &Workdir, addr: &str) -> String {
    wd.state_attributes(addr)
        .and_then(|a| a["id"].as_str().map(str::to_string))
        .unwrap_or_else(|| panic!("{addr} has no id in state"))
}

#[test]
fn official_style_configurations_apply_plan_nothing_and_destroy() {
    each_terraform("official style", |tf| {
        let sim = Sim::start_with_args(&["--pace", PACE]);
        let wd = Workdir::new(tf, &[PROVIDER]);
        wd.write_main_tf(&official_config(&sim, "SRH-DEV-t4g.small-5"));
        wd.init().assert_success();
        wd.run(&["validate", "-no-color"]).assert_success();
        wd.plan().assert_changes(4, 0, 0);
        wd.apply().assert_success();
        wd.plan().assert_no_changes();

        // What the API received: the official keys under the API's names and types.
        let cassandra =
            sim.instaclustr_document(&state_id(&wd, "instaclustr_cluster.dc_test_cluster"));
        let options = &cassandra["bundles"][0]["options"];
        assert_eq!(options["authnAuthz"], json!(true), "{cassandra:#}");
        assert_eq!(options["continuousBackupEnabled"], json!(true));
        let kafka = sim.instaclustr_document(&state_id(&wd, "instaclustr_cluster.kafka"));
        assert_eq!(
            kafka["bundles"][0]["options"]["numberPartitions"],
            json!(10),
            "{kafka:#}"
        );
        let search =
            sim.instaclustr_document(&state_id(&wd, "instaclustr_cluster.resizable_cluster"));
        assert_eq!(search["nodeSize"], "SRH-DEV-t4g.small-5", "{search:#}");

        // The official data sources.
        let cert = output(&wd, "certificate_download");
        assert_eq!(cert, cassandra["clusterCertificateDownload"]);
        assert_eq!(
            output(&wd, "cluster_password"),
            cassandra["instaclustrUserPassword"]
        );
        assert_eq!(
            output(&wd, "cluster_names"),
            json!([
                "tf-dc-test",
                "tf-kafka-test",
                "tf-redis-test",
                "tf-resizable-test"
            ])
        );

        // The dashboards node size is resized in place, for those nodes only.
        wd.write_main_tf(&official_config(&sim, "SRH-DEV-t4g.small-30"));
        let plan = wd.plan();
        plan.assert_changes(0, 1, 0);
        plan.assert_not_contains("forces replacement");
        wd.apply().assert_success();
        let search =
            sim.instaclustr_document(&state_id(&wd, "instaclustr_cluster.resizable_cluster"));
        let sizes: Vec<&str> = search["dataCentres"][0]["nodes"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|n| n["size"].as_str())
            .collect();
        assert_eq!(
            sizes
                .iter()
                .filter(|s| **s == "SRH-DEV-t4g.small-30")
                .count(),
            1,
            "only the dashboards node is resized: {sizes:?}"
        );
        wd.plan().assert_no_changes();

        wd.destroy().assert_success();
        assert!(sim.instaclustr_live_clusters().is_empty());
    });
}

/// Creates a cluster straight through the API, as the official provider would have, and
/// waits until it runs.
fn cluster_made_elsewhere(sim: &Sim, name: &str, tags: Option<Value>) -> String {
    let mut provider = json!({"name": "AWS_VPC"});
    if let Some(t) = tags {
        provider["tags"] = t;
    }
    let (status, body) = sim.instaclustr_api(
        reqwest::Method::POST,
        "/provisioning/v1/extended/",
        Some(json!({
            "clusterName": name,
            "bundles": [{"bundle": "APACHE_CASSANDRA", "version": "3.11.8",
                         "options": {"authnAuthz": true, "clientEncryption": false}}],
            "provider": provider,
            "slaTier": "NON_PRODUCTION",
            "nodeSize": "t3.small-v2",
            "dataCentre": "US_EAST_1",
            "clusterNetwork": "10.0.0.0/16",
            "privateNetworkCluster": "false",
            "pciCompliantCluster": "false",
            "rackAllocation": {"numberOfRacks": "3", "nodesPerRack": "1"},
        })),
    );
    assert_eq!(status, 202, "create: {body}");
    let id = body["id"].as_str().unwrap_or_default().to_string();
    wait_until(Duration::from_secs(30), "the cluster to run", || {
        (sim.instaclustr_document(&id)["clusterStatus"] == "RUNNING").then_some(())
    });
    id
}

const MIGRATED: &str = r#"
resource "instaclustr_cluster" "migrated" {
  cluster_name = "tf-migrated"
  node_size = "t3.small-v2"
  data_centre = "US_EAST_1"
  cluster_network = "10.0.0.0/16"
  cluster_provider = {
    name = "AWS_VPC"
  }
  rack_allocation = {
    number_of_racks = 3
    nodes_per_rack = 1
  }
  bundle {
    bundle = "APACHE_CASSANDRA"
    version = "3.11.8"
    options = {
      auth_n_authz = true
      client_encryption = false
    }
  }
}
"#;

/// A state as the official provider v1.29.4 writes it (schema version 0, its attribute names,
/// maps of strings, empty lists for unused blocks, `wait_for_state = ""`), written by hand
/// from its schema.
fn official_state(id: &str, terraform_version: &str) -> String {
    let attributes = json!({
        "id": id, "cluster_id": id, "cluster_name": "tf-migrated", "node_size": "t3.small-v2",
        "data_centre": "US_EAST_1", "data_centre_custom_name": "AWS_VPC_US_EAST_1", "data_centres": [],
        "default_data_centre_id": "cdc-unknown", "sla_tier": "NON_PRODUCTION", "cluster_network": "10.0.0.0/16",
        "private_network_cluster": false, "pci_compliant_cluster": false,
        "public_contact_point": [], "private_contact_point": [],
        "cluster_provider": {"name": "AWS_VPC"}, "tags": null,
        "rack_allocation": {"nodes_per_rack": "1", "number_of_racks": "3"},
        "oidc_provider": "", "private_link": [], "bundles": null,
        "bundle": [{"bundle": "APACHE_CASSANDRA", "version": "3.11.8",
                    "options": {"auth_n_authz": "true", "client_encryption": "false"}}],
        "kafka_rest_proxy_user_password": null, "kafka_schema_registry_user_password": null,
        "wait_for_state": "", "kafka_connect_credential": [], "timeouts": null
    });
    state_file("instaclustr/instaclustr", attributes, terraform_version)
}

/// A local state file holding `instaclustr_cluster.migrated` (schema version 0) of `provider`.
fn state_file(provider: &str, attributes: Value, terraform_version: &str) -> String {
    json!({
        "version": 4, "terraform_version": terraform_version, "serial": 4,
        "lineage": "0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b", "outputs": {},
        "resources": [{
            "mode": "managed", "type": "instaclustr_cluster", "name": "migrated",
            "provider": format!("provider[\"registry.terraform.io/{provider}\"]"),
            "instances": [{"schema_version": 0, "attributes": attributes, "dependencies": []}]
        }]
    })
    .to_string()
}

#[test]
fn an_official_state_moves_over_with_replace_provider_and_plans_nothing() {
    each_terraform("official state", |tf| {
        let sim = Sim::start_with_args(&["--pace", PACE]);
        let id = cluster_made_elsewhere(&sim, "tf-migrated", None);
        let wd = Workdir::new(tf, &[PROVIDER]);
        wd.write_main_tf(&format!(
            "{}\n{}{MIGRATED}",
            required_providers(&["instaclustr"]),
            provider_block(&sim)
        ));
        wd.write_file("terraform.tfstate", &official_state(&id, &tf.version));
        // Before init, which would otherwise look for the official provider.
        wd.run(&[
            "state",
            "replace-provider",
            "-auto-approve",
            "registry.terraform.io/instaclustr/instaclustr",
            "registry.terraform.io/clusterform/instaclustr",
        ])
        .assert_success();
        wd.init().assert_success();
        wd.state_show("instaclustr_cluster.migrated")
            .assert_success()
            .assert_contains("tf-migrated");
        wd.plan().assert_no_changes();
        // After a refresh, state holds what clusterform reads back, and still plans nothing.
        wd.apply().assert_success();
        let attrs = wd
            .state_attributes("instaclustr_cluster.migrated")
            .unwrap_or_default();
        assert_eq!(attrs["wait_for_state"], "RUNNING");
        assert_eq!(attrs["cluster_status"], "RUNNING");
        wd.plan().assert_no_changes();
        wd.destroy().assert_success();
        assert!(sim.instaclustr_live_clusters().is_empty());
    });
}

/// A state of clusterform 0.1.0: blocks, `data_centre_id`, tags inside `cluster_provider`.
fn clusterform_0_1_state(id: &str, terraform_version: &str) -> String {
    let attributes = json!({
        "id": id, "cluster_name": "tf-migrated", "node_size": "t3.small-v2", "data_centre": "US_EAST_1",
        "sla_tier": "NON_PRODUCTION", "cluster_network": "10.0.0.0/16",
        "private_network_cluster": false, "pci_compliant_cluster": false,
        "cluster_provider": {"name": "AWS_VPC", "account_name": null, "custom_virtual_network_id": null,
                             "disk_encryption_key": null, "tags": {"team": "orders"}},
        "rack_allocation": {"number_of_racks": 3, "nodes_per_rack": 1},
        "bundle": [{"bundle": "APACHE_CASSANDRA", "version": "3.11.8",
                    "options": {"authnAuthz": "true", "clientEncryption": "false"}}],
        "wait_for_state": "RUNNING", "cluster_status": "RUNNING", "data_centre_id": "cdc-unknown",
        "nodes": [], "default_user_password": "old",
        "timeouts": {"create": "15m", "update": null, "delete": null}
    });
    state_file("clusterform/instaclustr", attributes, terraform_version)
}

#[test]
fn a_clusterform_0_1_state_is_upgraded_and_plans_nothing() {
    each_terraform("0.1.0 state", |tf| {
        let sim = Sim::start_with_args(&["--pace", PACE]);
        let id = cluster_made_elsewhere(&sim, "tf-migrated", Some(json!({"team": "orders"})));
        let wd = Workdir::new(tf, &[PROVIDER]);
        let config = MIGRATED
            .replace(
                "  bundle {",
                "  tags = {\n    team = \"orders\"\n  }\n  bundle {",
            )
            .replace("auth_n_authz = true", "authnAuthz = true")
            .replace("client_encryption = false", "clientEncryption = false")
            .replace(
                "  bundle {",
                "  timeouts {\n    create = \"15m\"\n  }\n  bundle {",
            );
        wd.write_main_tf(&format!(
            "{}\n{}{config}",
            required_providers(&["instaclustr"]),
            provider_block(&sim)
        ));
        wd.write_file(
            "terraform.tfstate",
            &clusterform_0_1_state(&id, &tf.version),
        );
        wd.init().assert_success();
        wd.plan().assert_no_changes();
        wd.apply().assert_success();
        let attrs = wd
            .state_attributes("instaclustr_cluster.migrated")
            .unwrap_or_default();
        assert_eq!(attrs["tags"], json!({"team": "orders"}));
        assert_eq!(attrs["cluster_provider"], json!({"name": "AWS_VPC"}));
        assert!(attrs["default_data_centre_id"]
            .as_str()
            .is_some_and(|s| s != "cdc-unknown"));
        wd.destroy().assert_success();
    });
}

/// An import of a cluster that an official-style configuration describes: the first plan
/// replaces nothing and sends nothing (only `wait_for_state`, which no API reports, is
/// recorded in state), and the apply after it leaves the cluster alone.
#[test]
fn an_import_under_an_official_style_configuration_replaces_nothing() {
    each_terraform("import, official style", |tf| {
        let sim = Sim::start_with_args(&["--pace", PACE]);
        let id = cluster_made_elsewhere(&sim, "tf-migrated", None);
        let wd = Workdir::new(tf, &[PROVIDER]);
        wd.write_main_tf(&format!(
            "{}\n{}{MIGRATED}",
            required_providers(&["instaclustr"]),
            provider_block(&sim)
        ));
        wd.init().assert_success();
        wd.import("instaclustr_cluster.migrated", &id)
            .assert_success();
        let plan = wd.plan();
        plan.assert_changes(0, 1, 0);
        plan.assert_not_contains("forces replacement");
        // Terraform 0.13 prints unchanged blocks too; a changed one is marked `~`.
        plan.assert_not_contains("~ bundle");
        plan.assert_not_contains("means the same");
        sim.clear_requests();
        wd.apply().assert_success();
        let writes: Vec<Value> = sim
            .vendor_requests("instaclustr")
            .into_iter()
            .filter(|r| r["method"] != "GET")
            .collect();
        assert!(
            writes.is_empty(),
            "{tf}: the apply after import sent {writes:#?}"
        );
        wd.plan().assert_no_changes();
    });
}
