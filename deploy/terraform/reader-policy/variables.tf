# Inputs are required: each caller states every switch (its own variables
# carry the defaults and the documentation).

variable "partition" {
  description = "The AWS partition of the account (aws, aws-cn, aws-us-gov)."
  type        = string
}

variable "account_id" {
  description = "The account whose log groups, delivery prefixes and alarms are named."
  type        = string
}

variable "cloudwatch" {
  description = "Grant cloudwatch:GetMetricData and cloudwatch:ListMetrics."
  type        = bool
}

variable "cloudtrail" {
  description = "Grant cloudtrail:LookupEvents."
  type        = bool
}

variable "cost_explorer" {
  description = "Grant ce:GetCostAndUsage and ce:GetDimensionValues."
  type        = bool
}

variable "organizations_list_accounts" {
  description = "Grant organizations:ListAccounts."
  type        = bool
}

variable "invocation_log_groups" {
  description = "Region => log group of Bedrock model invocation logs: logs:FilterLogEvents on those groups."
  type        = map(string)
}

variable "invocation_log_buckets" {
  description = "Region => bucket and key prefix of Bedrock model invocation logs: s3:ListBucket and s3:GetObject under the delivery prefix."
  type = map(object({
    bucket = string
    prefix = string
  }))
}

variable "wakeup_alarm_prefix" {
  description = "The wake-up alarms' name prefix: their cloudwatch alarm permissions in wakeup_regions. Null: none."
  type        = string
}

variable "wakeup_regions" {
  description = "The regions of the wake-up alarms."
  type        = list(string)
}
