terraform {
  required_version = ">= 1.3.0"

  required_providers {
    aws = {
      source = "hashicorp/aws"
      # data.aws_region's `region` attribute is new in 6.0.
      version = ">= 6.0, < 7.0"
    }
  }
}
