output "task_role_policy_json" {
  description = "The monitor's permissions as an IAM policy document (JSON). Attached to the monitor's own role (layout = \"service\"), or to the application's task role when attach_policy_to_task_role (layout = \"sidecar\"); otherwise merge it, e.g. with source_policy_documents of your own aws_iam_policy_document."
  value       = data.aws_iam_policy_document.task.json
}

output "monitor_role_arn" {
  description = "The role the monitor runs with: its own (layout = \"service\") or the application's task role (\"sidecar\"). Name it in the trust policy of a role in a monitored account, and in customer managed key policies."
  value       = local.monitor_role_arn
}

output "task_definition_arn" {
  description = "layout = \"service\": the monitor's task definition, for your aws_ecs_service (null with \"sidecar\")."
  value       = one(aws_ecs_task_definition.monitor[*].arn)
}

output "container_definition" {
  description = "The monitor's container definition as an object. layout = \"sidecar\": concat it with the application's containers and jsonencode the list."
  value       = local.container_definition
}

output "container_definition_json" {
  description = "The monitor's container definition as JSON (one object, not a list)."
  value       = jsonencode(local.container_definition)
}

output "task_volumes" {
  description = "Volumes the task definition must declare for the monitor (the SQLite data directory, on EFS when sqlite_efs is set; empty with DynamoDB). The service layout's task definition already has them."
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
  description = "Log group of the monitor."
  value       = local.log_group_name
}

output "metrics_port" {
  description = "Port Prometheus scrapes (/metrics) on every task."
  value       = var.port
}

output "api_port" {
  description = "Port of the decision API: on the monitor's tasks (service; reach it through your service discovery name), or on loopback inside the task (sidecar)."
  value       = var.api_port
}

output "api_url" {
  description = "layout = \"sidecar\": where the application's container asks /api/v1/decision (loopback, inside the task). Null with \"service\": the URL is your service discovery name and api_port."
  value       = local.service ? null : "http://127.0.0.1:${var.api_port}"
}

output "wakeup_queue_arn" {
  description = "wakeups = true: the queue the alarm topics deliver to; subscribe other regions' topics to it (null otherwise)."
  value       = one(aws_sqs_queue.wakeups[*].arn)
}

output "wakeup_topic_arn" {
  description = "wakeups = true: this region's alarm topic (null otherwise)."
  value       = one(aws_sns_topic.wakeups[*].arn)
}
