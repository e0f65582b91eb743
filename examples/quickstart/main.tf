# The quick start: one cluster of every kind, provisioned against the bundled simulator by
# scripts/demo.sh, which sets each provider's environment variables (IC_*, CSS_*, CLOUDBASIC_*)
# and TF_VAR_redis_nodes_url to the simulator. Against the real APIs, set those variables to
# your accounts (and the Redis endpoints to your nodes) instead.

terraform {
  required_providers {
    instaclustr = {
      source = "clusterform/instaclustr"
    }
    css = {
      source = "clusterform/css"
    }
    cloudbasic = {
      source = "clusterform/cloudbasic"
    }
    redis = {
      source = "clusterform/redis"
    }
  }
}

provider "instaclustr" {}
provider "css" {}
provider "cloudbasic" {}
provider "redis" {}

# --- Instaclustr: a Cassandra cluster -------------------------------------------------------

resource "instaclustr_cluster" "demo" {
  cluster_name = "quickstart-cassandra"
  node_size    = "t3.small-v2"
  data_centre  = "US_WEST_2"

  cluster_provider = {
    name = "AWS_VPC"
  }

  bundle {
    bundle  = "APACHE_CASSANDRA"
    version = "4.0.1"
    options = {
      auth_n_authz = true
    }
  }

  timeouts {
    create = "15m"
  }
}

# --- Huawei Cloud Search Service: a three-node Elasticsearch cluster ------------------------

resource "css_cluster" "demo" {
  name              = "quickstart-search"
  engine_version    = "7.10.2"
  instance_num      = 3
  flavor            = "ess.spec-4u8g"
  vpc_id            = "3a1f0c2e-8d4b-4b6e-9f1a-2c7d5e8b9a01"
  subnet_id         = "6b2e1d3f-9c5a-4c7f-8e2b-3d8e6f9c0b12"
  security_group_id = "9c3f2e4a-0d6b-4d8a-9f3c-4e9f7a0d1c23"

  volume {
    volume_type = "HIGH"
    size        = 40
  }

  tags = {
    purpose = "quickstart"
  }
}

# --- CloudBasic: a Multi-AZ HA pair -----------------------------------------------------------

variable "cloudbasic_remote_public_key" {
  description = "publicKey of the remote instance (the simulator's demo pair by default)"
  type        = string
  default     = "CBDEMOREMOTE00000002"
}

variable "cloudbasic_remote_private_key" {
  description = "privateKey of the remote instance (the simulator's demo pair by default)"
  type        = string
  sensitive   = true
  default     = "demo-remote-private-key-000000000000002"
}

resource "cloudbasic_cluster" "demo" {
  local_server       = "10.0.1.15"
  remote_server      = "10.0.2.15"
  port               = 444
  remote_public_key  = var.cloudbasic_remote_public_key
  remote_private_key = var.cloudbasic_remote_private_key
}

# --- Redis Enterprise: a three-node cluster, one create and two joins -------------------------

variable "redis_nodes_url" {
  description = "Base URL under which the nodes' APIs live: <url>/node1, <url>/node2, <url>/node3"
  type        = string
}

variable "redis_password" {
  type    = string
  default = "quickstart-Pa55"
}

resource "redis_bootstrap" "node1" {
  endpoint     = "${var.redis_nodes_url}/node1"
  action       = "create_cluster"
  cluster_name = "quickstart.example.com"
  username     = "admin@example.com"
  password     = var.redis_password
  node_addr    = "10.0.1.11"
}

resource "redis_bootstrap" "node2" {
  endpoint   = "${var.redis_nodes_url}/node2"
  action     = "join_cluster"
  join_nodes = [redis_bootstrap.node1.node_addr]
  username   = "admin@example.com"
  password   = var.redis_password
  node_addr  = "10.0.1.12"
  depends_on = [redis_bootstrap.node1]
}

resource "redis_bootstrap" "node3" {
  endpoint   = "${var.redis_nodes_url}/node3"
  action     = "join_cluster"
  join_nodes = [redis_bootstrap.node1.node_addr]
  username   = "admin@example.com"
  password   = var.redis_password
  node_addr  = "10.0.1.13"
  depends_on = [redis_bootstrap.node1]
}

output "redis_node_uids" {
  value = [redis_bootstrap.node1.node_uid, redis_bootstrap.node2.node_uid, redis_bootstrap.node3.node_uid]
}

output "instaclustr_cluster" {
  value = "${instaclustr_cluster.demo.id} (${instaclustr_cluster.demo.cluster_status})"
}

output "css_endpoint" {
  value = css_cluster.demo.endpoint
}

output "cloudbasic_cluster" {
  value = cloudbasic_cluster.demo.id
}
