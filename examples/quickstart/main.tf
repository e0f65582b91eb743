# The quick start: one Instaclustr cluster, provisioned against the bundled simulator by
# scripts/demo.sh (which sets IC_USERNAME, IC_API_KEY, IC_API_HOSTNAME and IC_REQUEST_INTERVAL).
# Against the real API, set those variables to your account instead.

terraform {
  required_providers {
    instaclustr = {
      source = "clusterform/instaclustr"
    }
  }
}

provider "instaclustr" {}

resource "instaclustr_cluster" "demo" {
  cluster_name = "quickstart_cassandra"
  node_size    = "t3.small-v2"
  data_centre  = "US_WEST_2"

  cluster_provider {
    name = "AWS_VPC"
  }

  bundle {
    bundle  = "APACHE_CASSANDRA"
    version = "4.0.1"
    options = {
      authnAuthz = "true"
    }
  }

  timeouts {
    create = "15m"
  }
}

output "cluster_id" {
  value = instaclustr_cluster.demo.id
}

output "cluster_status" {
  value = instaclustr_cluster.demo.cluster_status
}
