# A Redis Enterprise Software cluster: one node creates it, every other node joins.
#
# Each node's cluster address comes from node_addrs when given, else from what the node
# itself reports (data "redis_node"): its first private IPv4 address in sorted order, so a
# node listing its addresses in another order never plans a change.

locals {
  create_node = var.create_node != null ? var.create_node : sort(keys(var.nodes))[0]

  reported_private_ipv4 = {
    for name, node in data.redis_node.this :
    name => sort([for a in node.available_addrs : a.address if a.private && a.format == "ipv4"])
  }

  node_addrs = {
    for name in keys(var.nodes) :
    name => lookup(var.node_addrs, name, "") != "" ? var.node_addrs[name] : local.reported_private_ipv4[name][0]
  }

  joining_nodes = { for name, endpoint in var.nodes : name => endpoint if name != local.create_node }
}

data "redis_node" "this" {
  for_each = var.nodes

  endpoint = each.value
  username = var.username
  password = var.password
}

resource "redis_bootstrap" "create" {
  endpoint        = var.nodes[local.create_node]
  action          = "create_cluster"
  cluster_name    = var.cluster_name
  username        = var.username
  password        = var.password
  license         = var.license
  node_addr       = local.node_addrs[local.create_node]
  persistent_path = var.persistent_path
  ephemeral_path  = var.ephemeral_path
}

resource "redis_bootstrap" "join" {
  for_each = local.joining_nodes

  endpoint        = each.value
  action          = "join_cluster"
  join_nodes      = [redis_bootstrap.create.node_addr]
  username        = var.username
  password        = var.password
  node_addr       = local.node_addrs[each.key]
  persistent_path = var.persistent_path
  ephemeral_path  = var.ephemeral_path
}
