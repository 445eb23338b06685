output "task_role_policy_json" {
  description = "The monitor's permissions as an IAM policy document (JSON). Attached to the task role when attach_policy_to_task_role; otherwise merge it, e.g. with source_policy_documents of your own aws_iam_policy_document."
  value       = data.aws_iam_policy_document.task.json
}

output "container_definition" {
  description = "The sidecar's container definition as an object: concat it with the application's containers and jsonencode the list."
  value       = local.container_definition
}

output "container_definition_json" {
  description = "The sidecar's container definition as JSON (one object, not a list)."
  value       = jsonencode(local.container_definition)
}

output "task_volumes" {
  description = "Volumes the task definition must declare for the sidecar (the SQLite data directory; empty with DynamoDB)."
  value       = local.task_volumes
}

output "dynamodb_table_name" {
  description = "Ledger table name (null with store = \"sqlite\")."
  value       = local.use_dynamodb ? local.table_name : null
}

output "dynamodb_table_arn" {
  description = "Ledger table ARN (null with store = \"sqlite\")."
  value       = local.table_arn
}

output "sns_topic_arn" {
  description = "Alert topic ARN (null when alerts go to the log only)."
  value       = local.topic_arn
}

output "log_group_name" {
  description = "Log group of the sidecar."
  value       = local.log_group_name
}

output "metrics_port" {
  description = "Port Prometheus scrapes (/metrics) on every task."
  value       = var.port
}

output "api_url" {
  description = "Where the application's container asks /api/v1/decision (loopback, inside the task)."
  value       = "http://127.0.0.1:${var.api_port}"
}
