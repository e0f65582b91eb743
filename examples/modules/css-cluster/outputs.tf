output "id" {
  description = "The cluster's id (also its import id)."
  value       = css_cluster.this.id
}

output "endpoint" {
  description = "Where the cluster answers, ip:9200."
  value       = css_cluster.this.endpoint
}

output "scheme" {
  description = "https in security mode, else http."
  value       = local.secure ? "https" : "http"
}

output "status" {
  description = "The API's status: \"200\" once the cluster is available."
  value       = css_cluster.this.status
}

output "node_addresses" {
  description = "The private address of every node."
  value       = [for n in css_cluster.this.nodes : n.ip]
}
