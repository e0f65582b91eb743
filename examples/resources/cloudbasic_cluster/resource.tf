# The remote instance's API key pair (from its ActivateInstance or CreateUser
# call): the local instance uses it to reach the remote one.
variable "remote_private_key" {
  description = "privateKey of the remote instance's API key pair"
  type        = string
}

resource "cloudbasic_cluster" "example" {
  local_server       = "10.0.1.15" # this instance: the provider's endpoint
  remote_server      = "10.0.2.15" # the instance in the other availability zone
  port               = 444         # 81 without TLS, 444 with TLS
  remote_public_key  = "DFFCNBRXFYBHXKDASETJ"
  remote_private_key = var.remote_private_key

  # The server that stays primary when the cluster is destroyed; the default
  # is local_server. Changing it only changes state.
  standalone_server = "10.0.1.15"
}

output "cluster_id" {
  value = cloudbasic_cluster.example.id
}
