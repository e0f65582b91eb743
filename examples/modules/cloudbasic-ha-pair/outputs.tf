output "cluster_id" {
  description = "The pair's id: the local server (also the import id of the cluster)."
  value       = cloudbasic_cluster.this.id
}

output "local_server" {
  description = "The primary of the pair."
  value       = cloudbasic_cluster.this.local_server
}

output "remote_server" {
  description = "The secondary of the pair."
  value       = cloudbasic_cluster.this.remote_server
}

output "local_access_key" {
  description = "Access key (publicKey) of the local instance's first administrator."
  value       = cloudbasic_instance.local.access_key
}

output "local_secret_key" {
  description = "Secret key (privateKey) paired with local_access_key."
  value       = cloudbasic_instance.local.secret_key
  sensitive   = true
}

output "remote_access_key" {
  description = "Access key (publicKey) of the remote instance's first administrator."
  value       = cloudbasic_instance.remote.access_key
}

output "remote_secret_key" {
  description = "Secret key (privateKey) paired with remote_access_key."
  value       = cloudbasic_instance.remote.secret_key
  sensitive   = true
}
