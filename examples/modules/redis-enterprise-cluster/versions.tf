terraform {
  required_version = ">= 0.13"

  required_providers {
    redis = {
      source = "clusterform/redis"
    }
  }
}
