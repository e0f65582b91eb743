terraform {
  required_providers {
    css = {
      source = "clusterform/css"
    }
  }
}

# Credentials are best kept out of the configuration: leave `user_name` and
# `password` unset and export CSS_USER_NAME and CSS_PASSWORD instead (or give
# a ready token in CSS_AUTH_TOKEN).
provider "css" {
  region      = "cn-north-4"
  project_id  = "0123456789abcdef0123456789abcdef"
  domain_name = "my-account"
  # user_name = "terraform"          # or CSS_USER_NAME
  # password  = var.iam_password     # or CSS_PASSWORD

  # The endpoints default to https://iam.<region>.myhuaweicloud.com and
  # https://css.<region>.myhuaweicloud.com.
  # iam_endpoint = "https://iam.cn-north-4.myhuaweicloud.com"
  # endpoint     = "https://css.cn-north-4.myhuaweicloud.com"
}
