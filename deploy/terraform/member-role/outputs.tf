output "role_arn" {
  description = "The role's ARN: what the daemon assumes in this account (aws.assume_role_arn, or derived from the role name for each discovered member)."
  value       = aws_iam_role.reader.arn
}

output "role_name" {
  description = "The role's name, the same in every member account."
  value       = aws_iam_role.reader.name
}

output "policy_json" {
  description = "The role's permissions as an IAM policy document (JSON)."
  value       = data.aws_iam_policy_document.read.json
}
