output "cluster_name" {
  description = "The cluster's FQDN."
  value       = redis_bootstrap.create.cluster_name
}

output "create_node" {
  description = "The name of the node that created the cluster."
  value       = local.create_node
}

output "node_addrs" {
  description = "name => the address each node uses in the cluster."
  value       = local.node_addrs
}

output "node_uids" {
  description = "name => the node's uid in the cluster."
  value = merge(
    { (local.create_node) = redis_bootstrap.create.node_uid },
    { for name, node in redis_bootstrap.join : name => node.node_uid },
  )
}

output "software_versions" {
  description = "name => the Redis Enterprise version each node runs."
  value = merge(
    { (local.create_node) = redis_bootstrap.create.software_version },
    { for name, node in redis_bootstrap.join : name => node.software_version },
  )
}
