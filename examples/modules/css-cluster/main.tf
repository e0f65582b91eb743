# One CSS cluster with daily automatic snapshots and tags. With an admin password the
# cluster runs in security mode behind HTTPS; without one, both stay off.

locals {
  secure = var.admin_password != null
}

resource "css_cluster" "this" {
  name              = var.name
  engine_type       = var.engine_type
  engine_version    = var.engine_version
  instance_num      = var.instance_num
  flavor            = var.flavor
  vpc_id            = var.vpc_id
  subnet_id         = var.subnet_id
  security_group_id = var.security_group_id
  availability_zone = var.availability_zone

  authority_enabled = local.secure
  https_enabled     = local.secure
  admin_password    = var.admin_password

  volume {
    volume_type = var.volume_type
    size        = var.volume_size
  }

  backup_strategy {
    start_time = var.snapshot_start_time
    prefix     = var.snapshot_prefix
    keep_days  = var.snapshot_keep_days
  }

  tags = var.tags

  timeouts {
    create = var.create_timeout
  }
}
