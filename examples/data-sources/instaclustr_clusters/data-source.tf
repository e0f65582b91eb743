data "instaclustr_clusters" "all" {}

output "running_clusters" {
  value = [
    for c in data.instaclustr_clusters.all.cluster : c.cluster_name
    if c.derived_status == "RUNNING"
  ]
}
