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

variable "layout" {
  description = "\"service\" (default): the monitor runs as its own ECS task with its own task role, so the application's role holds none of its write permissions. \"sidecar\": the monitor joins the application's task and shares its task role (the application can then do whatever the monitor can; see README)."
  type        = string
  default     = "service"

  validation {
    condition     = contains(["service", "sidecar"], var.layout)
    error_message = "layout: \"service\" or \"sidecar\"."
  }
}

variable "task_role_arn" {
  description = "layout = \"sidecar\" only (required there): ARN of the application's existing ECS task role, which the sidecar shares. With layout = \"service\" the module creates the monitor's own role."
  type        = string
  default     = null

  validation {
    condition     = var.task_role_arn == null || can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:role/", var.task_role_arn))
    error_message = "task_role_arn: an IAM role ARN (arn:aws:iam::123456789012:role/NAME)."
  }
}

variable "execution_role_arn" {
  description = "layout = \"service\" only (required there): the task execution role of the monitor's task definition (image pull, awslogs; AmazonECSTaskExecutionRolePolicy covers both, plus secretsmanager:GetSecretValue on api_token_secret_arn)."
  type        = string
  default     = null

  validation {
    condition     = var.execution_role_arn == null || can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:role/", var.execution_role_arn))
    error_message = "execution_role_arn: an IAM role ARN."
  }
}

variable "api_token_secret_arn" {
  description = "layout = \"service\": a Secrets Manager secret (or SSM parameter) ARN holding the decision API's bearer token, given to the monitor as BCM_API_TOKEN (its monitor.toml must say [api] token_env = \"BCM_API_TOKEN\"). The application sends the same token. Without it the API answers anyone who reaches its port."
  type        = string
  default     = null
}

variable "task_cpu" {
  description = "layout = \"service\": CPU units of the monitor's task (Fargate sizes: 256 with 512 or more MiB)."
  type        = number
  default     = 256
}

variable "task_memory" {
  description = "layout = \"service\": memory of the monitor's task, MiB."
  type        = number
  default     = 512
}

variable "attach_policy_to_task_role" {
  description = "layout = \"sidecar\": attach the monitor's permissions to the application's task role as an inline policy named after var.name. Set false to merge task_role_policy_json into your own policy instead. (layout = \"service\" always attaches them to the monitor's own role.)"
  type        = bool
  default     = true
}

# ---------------------------------------------------------------------------
# Ledger store
# ---------------------------------------------------------------------------

variable "store" {
  description = "Ledger store (BCM_STORE): \"dynamodb\" (default: durable, shared by every replica) or \"sqlite\" (one task only; the file lives on sqlite_efs if given, else on task storage, which is lost whenever the task is replaced)."
  type        = string
  default     = "dynamodb"

  validation {
    condition     = contains(["dynamodb", "sqlite"], var.store)
    error_message = "store: \"dynamodb\" or \"sqlite\"."
  }
}

variable "sqlite_efs" {
  description = "store = \"sqlite\": an EFS file system (and access point, owned by uid/gid 65532) for the SQLite ledger, so it survives task replacement. SQLite needs a single writer: run exactly one task (desired_count = 1, deployment_maximum_percent = 100). Null: task storage (lost on replacement)."
  type = object({
    file_system_id  = string
    access_point_id = string
  })
  default = null
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
  description = "Customer managed KMS key ARN for the table. Default (null): the AWS managed key aws/dynamodb. When set, the monitor's role also gets the key permissions DynamoDB needs on its behalf."
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
  description = "Customer managed KMS key ARN for the topic. Default (null): the AWS managed key alias/aws/sns. When set, the monitor's role also gets kms:GenerateDataKey and kms:Decrypt on it; the key policy must allow the monitor's role too."
  type        = string
  default     = null

  validation {
    condition     = var.sns_kms_key_arn == null || can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/", var.sns_kms_key_arn))
    error_message = "sns_kms_key_arn: a KMS key ARN (arn:aws:kms:REGION:ACCOUNT:key/ID), not an alias."
  }
}

variable "additional_publisher_arns" {
  description = "IAM principal ARNs besides the monitor's role that may publish to the created topic (for a test publisher, say)."
  type        = list(string)
  default     = []
}

# ---------------------------------------------------------------------------
# Wake-ups
# ---------------------------------------------------------------------------

variable "wakeups" {
  description = "Create the wake-up queue and this region's alarm topic, grant the alarm and queue permissions, and set BCM_WAKEUPS_QUEUE_URL / BCM_WAKEUPS_TOPIC_ARNS. Every monitored region needs a topic of its own region: with several regions, create the others' topics (subscribed to this queue) and pass them in wakeup_topic_arns."
  type        = bool
  default     = false
}

variable "wakeup_alarm_prefix" {
  description = "wakeups.alarm_prefix: the alarms the monitor may create, change and delete, in every monitored region."
  type        = string
  default     = "bedrock-cost-monitor-wake-"

  validation {
    condition     = can(regex("^[A-Za-z0-9._-]{1,200}$", var.wakeup_alarm_prefix))
    error_message = "wakeup_alarm_prefix: 1 to 200 letters, digits, '.', '_' or '-'."
  }
}

variable "wakeup_topic_arns" {
  description = "Region => alarm topic ARN, each subscribed to the wake-up queue and admitted by its policy: the monitored regions other than this one, and, when the monitor assumes a role in another account (aws.assume_role_arn), every region's topic in that account (an entry for this region replaces the topic created here; the configuration refuses topics outside the monitored account)."
  type        = map(string)
  default     = {}
}

# ---------------------------------------------------------------------------
# Other accounts
# ---------------------------------------------------------------------------

variable "assume_role_arns" {
  description = "Roles in other accounts the monitor may assume (aws.assume_role_arn in its configuration). Each needs the same read permissions and a trust policy that names the monitor's role (output monitor_role_arn)."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for a in var.assume_role_arns : can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:role/", a))])
    error_message = "assume_role_arns: IAM role ARNs."
  }
}

variable "organizations_list_accounts" {
  description = "Grant organizations:ListAccounts (resource \"*\": it has no resource-level permissions), to discover the member accounts of an organisation. ListAccounts answers only in the management account or a delegated administrator account: set this where the monitor runs in one of those; otherwise grant it to a role there (member-role's organizations_list_accounts) and list that role in assume_role_arns."
  type        = bool
  default     = false
}

variable "member_role_name" {
  description = "The role the monitor assumes in every member account of an organisation (member-role/, or deploy/cloudformation/member-role.yaml rolled out with a StackSet): grants sts:AssumeRole on arn:aws:iam::*:role/<name>. Null: none."
  type        = string
  default     = null

  validation {
    condition     = var.member_role_name == null || can(regex("^[A-Za-z0-9+=,.@_-]{1,64}$", var.member_role_name))
    error_message = "member_role_name: a role name (1 to 64 of letters, digits and +=,.@_-), not an ARN."
  }
}

variable "member_organization_id" {
  description = "With member_role_name: the organisation ID (o-...) the member roles must belong to (condition aws:ResourceOrgID), so a role of that name in an account outside the organisation cannot be assumed. Null: any account's role of that name."
  type        = string
  default     = null

  validation {
    condition     = var.member_organization_id == null || can(regex("^o-[a-z0-9]{10,32}$", var.member_organization_id))
    error_message = "member_organization_id: an organisation ID, o- and 10 to 32 lowercase letters or digits."
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
# Reconciliation with the bill
# ---------------------------------------------------------------------------

variable "cost_explorer" {
  description = "Grant ce:GetCostAndUsage and ce:GetDimensionValues (resource \"*\": Cost Explorer has no resource-level permissions) for the daily reconciliation with the bill (sources.cost_explorer.enabled in the image's monitor.toml). Cost Explorer must also be enabled for the account; each request costs $0.01."
  type        = bool
  default     = false
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
  description = "Port of the decision API /api/v1. layout = \"sidecar\": BCM_API_LISTEN = 127.0.0.1:PORT, not mapped, so only the task's containers reach it. layout = \"service\": 0.0.0.0:PORT, mapped, for the application's tasks (allow it from their security group only, and set api_token_secret_arn)."
  type        = number
  default     = 9471

  validation {
    condition     = var.api_port != var.port
    error_message = "api_port must differ from port: the API has its own listener."
  }
}

variable "cpu" {
  description = "CPU units reserved for the monitor's container (1024 = one vCPU)."
  type        = number
  default     = 128
}

variable "memory_reservation" {
  description = "Soft memory limit of the monitor's container, MiB."
  type        = number
  default     = 128
}

variable "memory" {
  description = "Hard memory limit of the monitor's container, MiB: past it ECS kills the monitor, never the application."
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
  description = "Extra environment variables for the monitor (RUST_LOG, say). The BCM_* variables are set by the module."
  type        = map(string)
  default     = {}
}

# ---------------------------------------------------------------------------
# Logs
# ---------------------------------------------------------------------------

variable "create_log_group" {
  description = "Create the CloudWatch Logs group of the monitor. Set false to use log_group_name as is."
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
