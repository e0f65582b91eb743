variable "admin_password" {
  type = string
  # On Terraform 0.14 and newer, add `sensitive = true` (0.13 does not know it); the
  # provider marks `password` sensitive either way, so plans never show it.
}

# The node's own view of itself: read anonymously while the node is idle, with
# the admin credentials once it belongs to a cluster.
data "redis_node" "node1" {
  endpoint = "https://node1.example.com:9443"
  username = "admin@example.com"
  password = var.admin_password
}

resource "redis_bootstrap" "node1" {
  endpoint     = data.redis_node.node1.endpoint
  action       = "create_cluster"
  cluster_name = "cluster.example.com"
  username     = "admin@example.com"
  password     = var.admin_password

  # The node's first private IPv4 address, in sorted order.
  node_addr = sort([
    for a in data.redis_node.node1.available_addrs : a.address
    if a.private && a.format == "ipv4"
  ])[0]
}

output "node1_state" {
  value = data.redis_node.node1.state
}

output "node1_memory_gib" {
  value = data.redis_node.node1.total_memory / pow(1024, 3)
}
