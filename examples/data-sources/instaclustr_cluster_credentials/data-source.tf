data "instaclustr_cluster_credentials" "example" {
  cluster_id = instaclustr_cluster.example.cluster_id
}

output "certificate_download" {
  value = data.instaclustr_cluster_credentials.example.certificate_download
}

output "cluster_password" {
  value     = data.instaclustr_cluster_credentials.example.cluster_password
  sensitive = true
}
