variable "local_endpoint" {
  description = "API base URL of the local (primary) instance, e.g. http://10.0.1.15:82."
  type        = string
}

variable "remote_endpoint" {
  description = "API base URL of the remote (secondary) instance, e.g. http://10.0.2.15:82."
  type        = string
}

variable "local_instance_id" {
  description = "EC2 instance id of the local instance, needed to activate it."
  type        = string
}

variable "remote_instance_id" {
  description = "EC2 instance id of the remote instance, needed to activate it."
  type        = string
}

variable "local_server" {
  description = "Address of the local instance as the pair sees it (IPv4, IPv6 or DNS name)."
  type        = string
}

variable "remote_server" {
  description = "Address of the remote instance as the pair sees it (IPv4, IPv6 or DNS name)."
  type        = string
}

variable "port" {
  description = "Port the instances replicate over."
  type        = number
  default     = 444
}

variable "admin_email" {
  description = "Email of the first administrator of both instances."
  type        = string
}

variable "admin_password" {
  description = "Console password of the first administrator of both instances."
  type        = string
}

variable "agree_to_eula" {
  description = "Set to true to accept the CloudBasic EULA for both instances; activation needs it."
  type        = bool
}

variable "is_production" {
  description = "Activate both instances as production instances."
  type        = bool
  default     = false
}

variable "company" {
  description = "Company name sent with the activations."
  type        = string
  default     = null
}

variable "contact_person" {
  description = "Contact person sent with the activations."
  type        = string
  default     = null
}

variable "local_activation_key" {
  description = "Activation key of the local instance (BYOL / off-marketplace instances only)."
  type        = string
  default     = null
}

variable "remote_activation_key" {
  description = "Activation key of the remote instance (BYOL / off-marketplace instances only)."
  type        = string
  default     = null
}

variable "payload_format" {
  description = "Body format of the API calls: json or xml."
  type        = string
  default     = "json"
}

variable "insecure" {
  description = "Skip TLS verification (instances with self-signed certificates on port 445)."
  type        = bool
  default     = false
}
