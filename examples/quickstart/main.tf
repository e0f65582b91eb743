# The quick start: the four modules of examples/modules, provisioned against the bundled
# simulator by scripts/demo.sh, which sets each provider's environment variables (IC_*, CSS_*)
# and the TF_VAR_* variables below to the simulator. Against the real APIs, set those to your
# accounts, instances and nodes instead.

terraform {
  required_version = ">= 0.13"

  required_providers {
    instaclustr = {
      source = "clusterform/instaclustr"
    }
    css = {
      source = "clusterform/css"
    }
    redis = {
      source = "clusterform/redis"
    }
  }
}

provider "instaclustr" {}
provider "css" {}
provider "redis" {}

# --- Instaclustr: a Cassandra cluster and its credentials ------------------------------------

module "cassandra" {
  source = "../modules/instaclustr-cluster"

  cluster_name   = "quickstart-cassandra"
  bundle         = "APACHE_CASSANDRA"
  bundle_version = "4.0.1"
  bundle_options = { auth_n_authz = true }
  node_size      = "t3.small-v2"
  data_centre    = "US_WEST_2"
  create_timeout = "15m"
}

# --- Huawei Cloud Search Service: three Elasticsearch nodes with daily snapshots -------------

module "search" {
  source = "../modules/css-cluster"

  name              = "quickstart-search"
  engine_version    = "7.10.2"
  instance_num      = 3
  flavor            = "ess.spec-4u8g"
  vpc_id            = "3a1f0c2e-8d4b-4b6e-9f1a-2c7d5e8b9a01"
  subnet_id         = "6b2e1d3f-9c5a-4c7f-8e2b-3d8e6f9c0b12"
  security_group_id = "9c3f2e4a-0d6b-4d8a-9f3c-4e9f7a0d1c23"
  tags              = { purpose = "quickstart" }
}

# --- CloudBasic: two instances activated and clustered into a Multi-AZ HA pair ---------------

variable "cloudbasic_local_endpoint" {
  description = "API base URL of the primary CloudBasic instance"
  type        = string
}

variable "cloudbasic_remote_endpoint" {
  description = "API base URL of the secondary CloudBasic instance"
  type        = string
}

module "ha_pair" {
  source = "../modules/cloudbasic-ha-pair"

  local_endpoint     = var.cloudbasic_local_endpoint
  remote_endpoint    = var.cloudbasic_remote_endpoint
  local_instance_id  = "i-0a1b2c3d4e5f60001"
  remote_instance_id = "i-0a1b2c3d4e5f60002"
  local_server       = "10.0.1.15"
  remote_server      = "10.0.2.15"
  admin_email        = "dba@example.com"
  admin_password     = "Quickstart-Pa55"
  agree_to_eula      = true
}

# --- Redis Enterprise: three nodes, one creates the cluster and two join ---------------------

variable "redis_nodes_url" {
  description = "Base URL under which the nodes' APIs live: <url>/node1, <url>/node2, <url>/node3"
  type        = string
}

module "redis" {
  source = "../modules/redis-enterprise-cluster"

  nodes = {
    node1 = "${var.redis_nodes_url}/node1"
    node2 = "${var.redis_nodes_url}/node2"
    node3 = "${var.redis_nodes_url}/node3"
  }
  cluster_name = "quickstart.example.com"
  username     = "admin@example.com"
  password     = "quickstart-Pa55"
}

# --- What the demo prints -------------------------------------------------------------------

output "cassandra_contact_points" {
  value = module.cassandra.private_contact_points
}

output "search_endpoint" {
  value = module.search.endpoint
}

output "ha_pair" {
  value = {
    primary            = module.ha_pair.local_server
    secondary          = module.ha_pair.remote_server
    primary_access_key = module.ha_pair.local_access_key
  }
}

output "redis_nodes" {
  value = module.redis.node_addrs
}
