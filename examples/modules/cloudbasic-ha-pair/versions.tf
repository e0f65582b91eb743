terraform {
  required_version = ">= 0.13"

  required_providers {
    cloudbasic = {
      source = "clusterform/cloudbasic"
    }
  }
}
