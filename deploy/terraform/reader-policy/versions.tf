terraform {
  required_version = ">= 1.3.0"

  # No version constraint here: the calling modules pin the AWS provider.
  required_providers {
    aws = {
      source = "hashicorp/aws"
    }
  }
}
