# A CloudBasic Multi-AZ HA pair in one apply: activate both instances, then cluster them
# through the local instance's API, signed with the key pair its activation returned.
#
# The module holds its own provider configurations (the second one takes its credentials
# from the local activation), so it cannot be used with count, for_each or depends_on.

# Activation needs no signature: this configuration has no credentials.
provider "cloudbasic" {
  alias          = "activation"
  endpoint       = var.local_endpoint
  payload_format = var.payload_format
  insecure       = var.insecure
}

# Every signed call on the local instance uses the pair its activation returned.
provider "cloudbasic" {
  alias          = "local"
  endpoint       = var.local_endpoint
  access_key     = cloudbasic_instance.local.access_key
  secret_key     = cloudbasic_instance.local.secret_key
  payload_format = var.payload_format
  insecure       = var.insecure
}

resource "cloudbasic_instance" "local" {
  provider = cloudbasic.activation

  instance_id    = var.local_instance_id
  email          = var.admin_email
  password       = var.admin_password
  is_production  = var.is_production
  company        = var.company
  contact_person = var.contact_person
  activation_key = var.local_activation_key
  agree_to_eula  = var.agree_to_eula
}

resource "cloudbasic_instance" "remote" {
  provider = cloudbasic.activation

  endpoint       = var.remote_endpoint
  instance_id    = var.remote_instance_id
  email          = var.admin_email
  password       = var.admin_password
  is_production  = var.is_production
  company        = var.company
  contact_person = var.contact_person
  activation_key = var.remote_activation_key
  agree_to_eula  = var.agree_to_eula
}

resource "cloudbasic_cluster" "this" {
  provider = cloudbasic.local

  local_server       = var.local_server
  remote_server      = var.remote_server
  port               = var.port
  remote_public_key  = cloudbasic_instance.remote.access_key
  remote_private_key = cloudbasic_instance.remote.secret_key
}
