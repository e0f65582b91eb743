resource "instaclustr_cluster" "example" {
  cluster_name = "orders-cassandra"
  node_size    = "t3.small-v2"
  data_centre  = "US_WEST_2"
  sla_tier     = "NON_PRODUCTION"

  cluster_provider = {
    name = "AWS_VPC"
  }

  tags = {
    team = "orders"
  }

  rack_allocation = {
    number_of_racks = 3
    nodes_per_rack  = 1
  }

  bundle {
    bundle  = "APACHE_CASSANDRA"
    version = "4.0.1"
    options = {
      auth_n_authz      = true
      client_encryption = false
    }
  }

  # Return once every node is RUNNING (the default); "PROVISIONED" returns a
  # little earlier, "NONE" as soon as the cluster has an id.
  wait_for_state = "RUNNING"

  timeouts {
    create = "90m"
    delete = "30m"
  }
}

output "cluster_id" {
  value = instaclustr_cluster.example.cluster_id
}

output "contact_points" {
  value = instaclustr_cluster.example.private_contact_point
}
