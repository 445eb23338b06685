terraform {
  required_version = ">= 1.3.0"

  required_providers {
    aws = {
      source = "hashicorp/aws"
      # deletion_protection_enabled (aws_dynamodb_table) needs 4.59 or later.
      version = ">= 5.0, < 7.0"
    }
  }
}
