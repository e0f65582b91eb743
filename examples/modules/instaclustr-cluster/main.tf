# One Instaclustr cluster, waited for until every node is RUNNING, and the credentials
# Instaclustr generated for it, read through the credentials data source.

resource "instaclustr_cluster" "this" {
  cluster_name            = var.cluster_name
  node_size               = var.node_size
  data_centre             = var.data_centre
  sla_tier                = var.sla_tier
  cluster_network         = var.cluster_network
  private_network_cluster = var.private_network_cluster
  tags                    = var.tags

  cluster_provider = {
    name = var.cloud_provider
  }

  bundle {
    bundle  = var.bundle
    version = var.bundle_version
    options = var.bundle_options
  }

  wait_for_state = "RUNNING"

  timeouts {
    create = var.create_timeout
  }
}

data "instaclustr_cluster_credentials" "this" {
  cluster_id = instaclustr_cluster.this.cluster_id
}
