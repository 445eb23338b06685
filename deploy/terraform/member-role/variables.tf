# The read-only role bedrock-cost-monitor assumes in one member account of
# an organisation. Apply it in each member account (or roll out the
# equivalent CloudFormation template, deploy/cloudformation/member-role.yaml,
# with a service-managed StackSet).

variable "trusted_role_arn" {
  description = "The daemon's role, the only principal that may assume this one: the monitor module's output monitor_role_arn (or the role the daemon runs with)."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:role/", var.trusted_role_arn))
    error_message = "trusted_role_arn: an IAM role ARN."
  }
}

variable "role_name" {
  description = "Name of the role. Every member account uses the same one, so the daemon's sts:AssumeRole permission can name arn:aws:iam::*:role/<name> (the monitor module's member_role_name)."
  type        = string
  default     = "bedrock-cost-monitor-reader"

  validation {
    condition     = can(regex("^[A-Za-z0-9+=,.@_-]{1,64}$", var.role_name))
    error_message = "role_name: 1 to 64 of letters, digits and +=,.@_-."
  }
}

variable "external_id" {
  description = "When set, AssumeRole must pass this external ID (aws.assume_role_external_id in the daemon's configuration)."
  type        = string
  default     = null
  sensitive   = true
}

variable "cloudwatch" {
  description = "Grant cloudwatch:GetMetricData and cloudwatch:ListMetrics: the Bedrock token and invocation metrics, the daemon's main source."
  type        = bool
  default     = true
}

variable "cloudtrail" {
  description = "Grant cloudtrail:LookupEvents: Bedrock runtime calls per principal, for attribution."
  type        = bool
  default     = true
}

variable "cost_explorer" {
  description = "Grant ce:GetCostAndUsage and ce:GetDimensionValues for the reconciliation with the bill (Cost Explorer must be enabled for the account; each request costs $0.01)."
  type        = bool
  default     = false
}

variable "organizations_list_accounts" {
  description = "Also grant organizations:ListAccounts (resource \"*\"), for the copy of this role in the organisation's management account or a delegated administrator account (the only accounts where ListAccounts answers), when the daemon runs elsewhere and discovers the members through this role."
  type        = bool
  default     = false
}

variable "invocation_log_groups" {
  description = "Region => the CloudWatch Logs group of that region's Bedrock model invocation logs in this account. Grants logs:FilterLogEvents on those groups only. Empty: no log access."
  type        = map(string)
  default     = {}
}

variable "invocation_log_buckets" {
  description = "Region => the S3 destination of that region's Bedrock model invocation logs: bucket and key prefix. Grants s3:ListBucket under this account's delivery prefix (<prefix>AWSLogs/<this account>/BedrockModelInvocationLogs/) and s3:GetObject on it only. A bucket of another account (a central log bucket) must also allow the role in its bucket policy."
  type = map(object({
    bucket = string
    prefix = optional(string, "")
  }))
  default = {}
}

variable "wakeup_alarm_prefix" {
  description = "wakeups.alarm_prefix when the daemon keeps wake-up alarms in this account (they must live beside the metrics they watch): the alarms it may create, change and delete, in wakeup_regions. Null: no alarm permission."
  type        = string
  default     = null
}

variable "wakeup_regions" {
  description = "With wakeup_alarm_prefix: the monitored regions whose alarms the role may keep."
  type        = list(string)
  default     = []
}

variable "max_session_duration" {
  description = "Longest session, seconds (the daemon refreshes its credentials before they expire)."
  type        = number
  default     = 3600
}

variable "tags" {
  description = "Tags of the role."
  type        = map(string)
  default     = {}
}
