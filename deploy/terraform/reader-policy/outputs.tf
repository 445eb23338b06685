output "json" {
  description = "The read permissions as an IAM policy document (JSON), for source_policy_documents."
  value       = data.aws_iam_policy_document.read.json
}
