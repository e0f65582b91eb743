variable "nodes" {
  description = "The nodes, by a name you choose: name => the node's API base URL (https://node1:9443)."
  type        = map(string)
}

variable "create_node" {
  description = "The name (key of nodes) of the node that creates the cluster; null = the first name in sorted order. The others join it."
  type        = string
  default     = null
}

variable "node_addrs" {
  description = "name => the address a node uses in the cluster. A node without an entry uses the first private IPv4 address it reports, in sorted order."
  type        = map(string)
  default     = {}
}

variable "cluster_name" {
  description = "The cluster's FQDN, at most 64 characters."
  type        = string
}

variable "username" {
  description = "The cluster administrator's email."
  type        = string
}

variable "password" {
  description = "The cluster administrator's password; also authenticates the node reads once the nodes are members."
  type        = string
}

variable "license" {
  description = "License key; null runs the trial license."
  type        = string
  default     = null
}

variable "persistent_path" {
  description = "Persistent storage path of every node; null keeps the node's default."
  type        = string
  default     = null
}

variable "ephemeral_path" {
  description = "Ephemeral storage path of every node; null keeps the node's default."
  type        = string
  default     = null
}
