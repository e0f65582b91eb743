terraform {
  required_providers {
    redis = {
      source = "clusterform/redis"
    }
  }
}

# Nodes answer on HTTPS (port 9443) with self-signed certificates. Trust the
# CA that signed them, or (for a throw-away lab) turn verification off.
provider "redis" {
  ca_cert_pem = file("${path.module}/redis-ca.pem") # or REDIS_CA_CERT_PEM
  # insecure  = true                                # or REDIS_INSECURE

  # Only needed to import existing nodes: reads then use these credentials.
  # username = "admin@example.com"                  # or REDIS_USERNAME
  # password = var.redis_admin_password             # or REDIS_PASSWORD
}
