terraform {
  required_providers {
    instaclustr = {
      source = "clusterform/instaclustr"
    }
  }
}

# Credentials are best kept out of the configuration: leave `username` and
# `api_key` unset and export IC_USERNAME and IC_API_KEY instead.
provider "instaclustr" {
  # username       = "my-account"          # or IC_USERNAME
  # api_key        = var.instaclustr_key    # or IC_API_KEY
  # api_hostname   = "https://api.instaclustr.com"
  request_interval = "2.5s"
  # allow_duplicate_cluster_names = true   # only for accounts that reuse names
}
