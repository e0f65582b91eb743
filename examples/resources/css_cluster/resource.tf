variable "css_admin_password" {
  type = string
  # On Terraform 0.14 and newer, add `sensitive = true` (0.13 does not know it); the
  # provider marks admin_password sensitive either way, so plans never show it.
}

resource "css_cluster" "example" {
  name           = "orders-search"
  engine_type    = "elasticsearch"
  engine_version = "7.10.2"
  instance_num   = 3 # grows in place; fewer nodes means a new cluster
  flavor         = "ess.spec-4u8g"

  volume {
    volume_type = "HIGH"
    size        = 100 # GB, a multiple of 10
  }

  vpc_id            = "3a1f0c2e-8d4b-4b6e-9f1a-2c7d5e8b9a01"
  subnet_id         = "6b2e1d3f-9c5a-4c7f-8e2b-3d8e6f9c0b12"
  security_group_id = "9c3f2e4a-0d6b-4d8a-9f3c-4e9f7a0d1c23"
  availability_zone = "cn-north-4a"

  # Security mode: users log in as `admin` with this password; HTTPS needs it.
  authority_enabled = true
  https_enabled     = true
  admin_password    = var.css_admin_password

  # Daily snapshots at 02:00 Beijing time, kept for two weeks.
  backup_strategy {
    start_time = "02:00 GMT+08:00"
    keep_days  = 14
  }

  tags = {
    team = "orders"
  }

  timeouts {
    create = "90m"
  }
}

output "css_endpoint" {
  value = css_cluster.example.endpoint
}

output "css_node_addresses" {
  value = [for n in css_cluster.example.nodes : n.ip]
}
