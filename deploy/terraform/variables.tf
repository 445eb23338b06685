# ---------------------------------------------------------------------------
# What is deployed
# ---------------------------------------------------------------------------

variable "name" {
  description = "Prefix of every resource the module creates, and the container name."
  type        = string
  default     = "bedrock-cost-monitor"

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{1,200}$", var.name))
    error_message = "name: letters, digits, '-' and '_' only (it names a container, a table, a topic and a log group)."
  }
}

variable "image" {
  description = "Container image of the monitor (built from deploy/docker/Dockerfile), ideally pinned by digest."
  type        = string
}

variable "regions" {
  description = "AWS regions whose Bedrock usage is monitored (BCM_REGIONS). List every region the application calls."
  type        = list(string)

  validation {
    condition     = length(var.regions) > 0 && alltrue([for r in var.regions : can(regex("^[a-z]{2}(-gov)?-[a-z]+-[0-9]$", r))])
    error_message = "regions: at least one AWS region name such as us-east-1."
  }
}

variable "task_role_arn" {
  description = "ARN of the application's existing ECS task role: the sidecar runs with it. The topic policy lets only this role publish."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:role/", var.task_role_arn))
    error_message = "task_role_arn: an IAM role ARN (arn:aws:iam::123456789012:role/NAME)."
  }
}

variable "attach_policy_to_task_role" {
  description = "Attach the monitor's permissions to the task role as an inline policy named after var.name. Set false to merge task_role_policy_json into your own policy instead."
  type        = bool
  default     = true
}

# ---------------------------------------------------------------------------
# Ledger store
# ---------------------------------------------------------------------------

variable "store" {
  description = "Ledger store (BCM_STORE): \"dynamodb\" (shared by every task of the service: one sidecar per task) or \"sqlite\" (one task only; data on task storage)."
  type        = string
  default     = "dynamodb"

  validation {
    condition     = contains(["dynamodb", "sqlite"], var.store)
    error_message = "store: \"dynamodb\" or \"sqlite\"."
  }
}

variable "create_dynamodb_table" {
  description = "Create the ledger table (store = \"dynamodb\"). Set false to use an existing table named dynamodb_table_name."
  type        = bool
  default     = true
}

variable "dynamodb_table_name" {
  description = "Ledger table name (BCM_DYNAMODB_TABLE). Default: var.name."
  type        = string
  default     = null
}

variable "dynamodb_deletion_protection" {
  description = "Refuse to delete the ledger table (it holds the spend history and which alerts were sent). Turn off only to destroy it on purpose."
  type        = bool
  default     = true
}

variable "dynamodb_kms_key_arn" {
  description = "Customer managed KMS key ARN for the table. Default (null): the AWS managed key aws/dynamodb. When set, the task role also gets the key permissions DynamoDB needs on its behalf."
  type        = string
  default     = null

  validation {
    condition     = var.dynamodb_kms_key_arn == null || can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/", var.dynamodb_kms_key_arn))
    error_message = "dynamodb_kms_key_arn: a KMS key ARN (arn:aws:kms:REGION:ACCOUNT:key/ID), not an alias."
  }
}

# ---------------------------------------------------------------------------
# Alerts
# ---------------------------------------------------------------------------

variable "create_sns_topic" {
  description = "Create the alert topic. Set false to use sns_topic_arn, or leave both unset to write alerts to the log only."
  type        = bool
  default     = true
}

variable "sns_topic_arn" {
  description = "An existing alert topic (BCM_SNS_TOPIC_ARN), used when create_sns_topic = false."
  type        = string
  default     = null
}

variable "sns_fifo" {
  description = "Create a FIFO topic (NAME-alerts.fifo). The daemon sends MessageGroupId = budget and MessageDeduplicationId = the alert's dedupe key, so content-based deduplication stays off."
  type        = bool
  default     = false
}

variable "sns_kms_key_arn" {
  description = "Customer managed KMS key ARN for the topic. Default (null): the AWS managed key alias/aws/sns. When set, the task role also gets kms:GenerateDataKey and kms:Decrypt on it; the key policy must allow the task role too."
  type        = string
  default     = null

  validation {
    condition     = var.sns_kms_key_arn == null || can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/", var.sns_kms_key_arn))
    error_message = "sns_kms_key_arn: a KMS key ARN (arn:aws:kms:REGION:ACCOUNT:key/ID), not an alias."
  }
}

variable "additional_publisher_arns" {
  description = "IAM principal ARNs besides the task role that may publish to the created topic (for a test publisher, say)."
  type        = list(string)
  default     = []
}

# ---------------------------------------------------------------------------
# Other accounts
# ---------------------------------------------------------------------------

variable "assume_role_arns" {
  description = "Roles in other accounts the monitor may assume (aws.assume_role_arn in its configuration). Each needs the same read permissions and a trust policy that names the task role."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for a in var.assume_role_arns : can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:role/", a))])
    error_message = "assume_role_arns: IAM role ARNs."
  }
}

# ---------------------------------------------------------------------------
# Model invocation logs
# ---------------------------------------------------------------------------

variable "invocation_log_buckets" {
  description = "Region => the S3 destination of that region's Bedrock model invocation logs: bucket and key prefix (sources.invocation_logs.regions.<region>.s3_bucket / s3_prefix). Grants s3:ListBucket under the delivery prefix and s3:GetObject on it only."
  type = map(object({
    bucket = string
    prefix = optional(string, "")
  }))
  default = {}
}

variable "invocation_log_groups" {
  description = "Region => the CloudWatch Logs group that region's Bedrock model invocation logs are delivered to (sources.invocation_logs.regions in the image's monitor.toml). Grants logs:FilterLogEvents on those groups only. Empty: the source is off."
  type        = map(string)
  default     = {}
}

# ---------------------------------------------------------------------------
# The container
# ---------------------------------------------------------------------------

variable "port" {
  description = "Port of /metrics, /healthz and /readyz (BCM_LISTEN = 0.0.0.0:PORT), the one Prometheus scrapes."
  type        = number
  default     = 9470
}

variable "api_port" {
  description = "Loopback port of the enforcement API /api/v1 (BCM_API_LISTEN = 127.0.0.1:PORT); not mapped, so only the task's containers reach it."
  type        = number
  default     = 9471

  validation {
    condition     = var.api_port != var.port
    error_message = "api_port must differ from port: the API has its own listener."
  }
}

variable "cpu" {
  description = "CPU units reserved for the sidecar (1024 = one vCPU)."
  type        = number
  default     = 128
}

variable "memory_reservation" {
  description = "Soft memory limit of the sidecar, MiB."
  type        = number
  default     = 128
}

variable "memory" {
  description = "Hard memory limit of the sidecar, MiB: past it ECS kills the sidecar, never the application."
  type        = number
  default     = 512
}

variable "stop_timeout" {
  description = "Seconds between SIGTERM and SIGKILL. Keep it above monitor.shutdown_deadline_secs (20 by default): the daemon finishes its runs within that deadline."
  type        = number
  default     = 30

  validation {
    condition     = var.stop_timeout >= 2 && var.stop_timeout <= 120
    error_message = "stop_timeout: 2 to 120 seconds (Fargate's maximum)."
  }
}

variable "health_check_start_period" {
  description = "Seconds after start during which failed health checks do not count: the first collection (a catch-up or the initial backfill) must finish before /readyz answers 200."
  type        = number
  default     = 120
}

variable "environment" {
  description = "Extra environment variables for the sidecar (RUST_LOG, say). The BCM_* variables are set by the module."
  type        = map(string)
  default     = {}
}

# ---------------------------------------------------------------------------
# Logs
# ---------------------------------------------------------------------------

variable "create_log_group" {
  description = "Create the CloudWatch Logs group of the sidecar. Set false to use log_group_name as is."
  type        = bool
  default     = true
}

variable "log_group_name" {
  description = "Log group for the awslogs driver. Default: /ecs/NAME."
  type        = string
  default     = null
}

variable "log_retention_days" {
  description = "Retention of the created log group, days."
  type        = number
  default     = 30
}

variable "log_kms_key_arn" {
  description = "KMS key ARN for the created log group. Default (null): CloudWatch Logs' own encryption at rest."
  type        = string
  default     = null
}

variable "tags" {
  description = "Tags for every resource the module creates."
  type        = map(string)
  default     = {}
}
