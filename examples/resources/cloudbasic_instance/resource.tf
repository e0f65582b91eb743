# A whole Multi-AZ HA pair in one apply: activate both instances, then cluster
# them from the local instance, signing with the key pair its activation
# returned and naming the remote instance's pair.

variable "console_password" {
  description = "Password of the first administrator of both instances"
  type        = string
  # On Terraform 0.14 and newer, add `sensitive = true` (0.13 does not know it); the
  # provider marks `password` sensitive either way, so plans never show it.
}

# ActivateInstance needs no signature: this provider block has no key pair.
provider "cloudbasic" {
  endpoint = "http://10.0.1.15:82"
}

resource "cloudbasic_instance" "local" {
  instance_id   = "i-0a1b2c3d4e5f60001"
  email         = "dba@example.com"
  password      = var.console_password
  company       = "Example Ltd"
  agree_to_eula = true
  # endpoint defaults to the provider's: http://10.0.1.15:82
}

resource "cloudbasic_instance" "remote" {
  endpoint      = "http://10.0.2.15:82" # the remote instance's own API
  instance_id   = "i-0a1b2c3d4e5f60002"
  email         = "dba@example.com"
  password      = var.console_password
  company       = "Example Ltd"
  agree_to_eula = true
}

# Signs with the local instance's new key pair.
provider "cloudbasic" {
  alias      = "local"
  endpoint   = cloudbasic_instance.local.endpoint
  access_key = cloudbasic_instance.local.access_key
  secret_key = cloudbasic_instance.local.secret_key
}

resource "cloudbasic_cluster" "ha" {
  provider           = cloudbasic.local
  local_server       = "10.0.1.15"
  remote_server      = "10.0.2.15"
  port               = 81
  remote_public_key  = cloudbasic_instance.remote.access_key
  remote_private_key = cloudbasic_instance.remote.secret_key
}
