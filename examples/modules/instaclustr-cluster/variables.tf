variable "cluster_name" {
  description = "Cluster name: 1–32 letters, digits, underscores or hyphens."
  type        = string
}

variable "bundle" {
  description = "The cluster's application bundle, e.g. APACHE_CASSANDRA, KAFKA, OPENSEARCH."
  type        = string
  default     = "APACHE_CASSANDRA"
}

variable "bundle_version" {
  description = "Version of the bundle, e.g. 4.0.1."
  type        = string
}

variable "bundle_options" {
  description = "Bundle options in snake_case, e.g. { auth_n_authz = true }."
  type        = map(string)
  default     = {}
}

variable "node_size" {
  description = "Node size, e.g. t3.small-v2. Changed in place through the resize API."
  type        = string
}

variable "data_centre" {
  description = "Data centre, e.g. US_WEST_2."
  type        = string
}

variable "cloud_provider" {
  description = "Where the cluster runs: AWS_VPC, AZURE_AZ, GCP, …"
  type        = string
  default     = "AWS_VPC"
}

variable "sla_tier" {
  description = "PRODUCTION or NON_PRODUCTION."
  type        = string
  default     = "NON_PRODUCTION"
}

variable "cluster_network" {
  description = "Private IPv4 CIDR of the cluster network, /12 to /22."
  type        = string
  default     = "10.224.0.0/12"
}

variable "private_network_cluster" {
  description = "Give the nodes private addresses only."
  type        = bool
  default     = false
}

variable "tags" {
  description = "Tags put on the cloud resources. No API changes them later: a change replaces the cluster."
  type        = map(string)
  default     = {}
}

variable "create_timeout" {
  description = "How long the create may take (the cluster is RUNNING when it returns)."
  type        = string
  default     = "60m"
}
