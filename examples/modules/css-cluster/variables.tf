variable "name" {
  description = "Cluster name: 4–32 characters, letter first, letters, digits, `_` and `-`."
  type        = string
}

variable "engine_type" {
  description = "Search engine: elasticsearch or opensearch."
  type        = string
  default     = "elasticsearch"
}

variable "engine_version" {
  description = "Engine version, e.g. 7.10.2."
  type        = string
}

variable "instance_num" {
  description = "Number of nodes, 1–32. Grows in place; fewer nodes replace the cluster."
  type        = number
  default     = 3
}

variable "flavor" {
  description = "Node flavor (flavorRef), e.g. ess.spec-4u8g."
  type        = string
}

variable "volume_type" {
  description = "Disk type of every node: COMMON, HIGH, ULTRAHIGH or ESSD."
  type        = string
  default     = "HIGH"
}

variable "volume_size" {
  description = "Disk size of every node in GB, a multiple of 10."
  type        = number
  default     = 40
}

variable "vpc_id" {
  description = "VPC the nodes are placed in."
  type        = string
}

variable "subnet_id" {
  description = "Subnet (network id) of the nodes."
  type        = string
}

variable "security_group_id" {
  description = "Security group of the nodes."
  type        = string
}

variable "availability_zone" {
  description = "Availability zone; null lets the API choose."
  type        = string
  default     = null
}

variable "admin_password" {
  description = "Password of the `admin` user; set it to turn on security mode and HTTPS. Null leaves both off."
  type        = string
  default     = null
}

variable "snapshot_start_time" {
  description = "Daily automatic snapshot time, \"HH:MM GMT+HH:MM\"."
  type        = string
  default     = "02:00 GMT+08:00"
}

variable "snapshot_prefix" {
  description = "Name prefix of the automatic snapshots."
  type        = string
  default     = "snapshot"
}

variable "snapshot_keep_days" {
  description = "How many days automatic snapshots are kept, 1–90."
  type        = number
  default     = 7
}

variable "tags" {
  description = "Tags of the cluster; changed in place."
  type        = map(string)
  default     = {}
}

variable "create_timeout" {
  description = "How long the create may take."
  type        = string
  default     = "60m"
}
