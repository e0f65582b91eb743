# The cluster's admin password; plans show it as (sensitive value) either way.
variable "admin_password" {
  type = string
}

# The first node creates the cluster...
resource "redis_bootstrap" "node1" {
  endpoint     = "https://node1.example.com:9443"
  action       = "create_cluster"
  cluster_name = "cluster.example.com"
  username     = "admin@example.com"
  password     = var.admin_password
  node_addr    = "10.0.1.11"
  rack_id      = "zone-a"

  timeouts {
    create = "20m"
  }
}

# ...and the others join it through its address.
resource "redis_bootstrap" "node2" {
  endpoint   = "https://node2.example.com:9443"
  action     = "join_cluster"
  join_nodes = [redis_bootstrap.node1.node_addr]
  username   = "admin@example.com"
  password   = var.admin_password
  node_addr  = "10.0.1.12"
  rack_id    = "zone-b"

  depends_on = [redis_bootstrap.node1]
}

resource "redis_bootstrap" "node3" {
  endpoint   = "https://node3.example.com:9443"
  action     = "join_cluster"
  join_nodes = [redis_bootstrap.node1.node_addr]
  username   = "admin@example.com"
  password   = var.admin_password
  node_addr  = "10.0.1.13"
  rack_id    = "zone-c"

  depends_on = [redis_bootstrap.node1]
}

output "node_uids" {
  value = [for n in [redis_bootstrap.node1, redis_bootstrap.node2, redis_bootstrap.node3] : n.node_uid]
}
