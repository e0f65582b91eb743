terraform {
  required_version = ">= 0.13"

  required_providers {
    css = {
      source = "clusterform/css"
    }
  }
}
