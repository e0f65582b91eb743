terraform {
  required_providers {
    cloudbasic = {
      source = "clusterform/cloudbasic"
    }
  }
}

# The provider talks to the API of one CloudBasic instance: the `local_server` of
# the clusters it manages. Keep its key pair out of the configuration: leave
# `access_key` and `secret_key` unset and export CLOUDBASIC_ACCESS_KEY and
# CLOUDBASIC_SECRET_KEY instead.
provider "cloudbasic" {
  endpoint = "http://10.0.1.15:82" # or CLOUDBASIC_ENDPOINT; HTTPS is on port 445
  # access_key      = "UQOPWUVNBALABCABCABC"  # or CLOUDBASIC_ACCESS_KEY
  # secret_key      = var.cloudbasic_secret    # or CLOUDBASIC_SECRET_KEY
  # region          = "us-east-1"              # or CLOUDBASIC_REGION
  # signing_service = "cloudbasic"
  # insecure        = true                     # or CLOUDBASIC_INSECURE (self-signed certificate)
  payload_format = "json"
}
