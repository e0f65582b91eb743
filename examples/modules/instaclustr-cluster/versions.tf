terraform {
  required_version = ">= 0.13"

  required_providers {
    instaclustr = {
      source = "clusterform/instaclustr"
    }
  }
}
