# A cluster managed in another configuration, found by its name.
data "css_cluster" "orders" {
  name = "es-orders"
}

output "orders_endpoint" {
  value = data.css_cluster.orders.endpoint
}

output "orders_disk_gb" {
  value = data.css_cluster.orders.volume[0].size * data.css_cluster.orders.instance_num
}

output "orders_snapshots_kept_days" {
  value = length(data.css_cluster.orders.backup_strategy) > 0 ? data.css_cluster.orders.backup_strategy[0].keep_days : 0
}

# The same kind of lookup by id, e.g. an id passed in from elsewhere.
variable "logs_cluster_id" {
  type = string
}

data "css_cluster" "logs" {
  id = var.logs_cluster_id
}

output "logs_tags" {
  value = data.css_cluster.logs.tags
}
