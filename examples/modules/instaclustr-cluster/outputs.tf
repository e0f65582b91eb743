output "cluster_id" {
  description = "The cluster's UUID (also its import id)."
  value       = instaclustr_cluster.this.cluster_id
}

output "cluster_status" {
  description = "The API's clusterStatus (RUNNING once the apply is done)."
  value       = instaclustr_cluster.this.cluster_status
}

output "private_contact_points" {
  description = "Private address of the first node of each rack."
  value       = instaclustr_cluster.this.private_contact_point
}

output "public_contact_points" {
  description = "Public address of the first node of each rack (none for a private network cluster)."
  value       = instaclustr_cluster.this.public_contact_point
}

output "nodes" {
  description = "Every node: id, size, rack, private and public address, status."
  value       = instaclustr_cluster.this.nodes
}

output "cluster_password" {
  description = "The password Instaclustr generated for the cluster's default user."
  value       = data.instaclustr_cluster_credentials.this.cluster_password
  sensitive   = true
}

output "certificate_download" {
  description = "Where to download the cluster's CA certificate."
  value       = data.instaclustr_cluster_credentials.this.certificate_download
}
