# The read permissions the monitor needs in a monitored account, in one
# place: the monitor module's task policy (../main.tf) and the member role
# (../member-role/main.tf) both merge this document into their own
# (source_policy_documents), so the two cannot drift apart. Each statement
# is there only when its switch or input asks for it.

locals {
  # Bedrock delivers invocation logs under AWSLogs/<account>/BedrockModelInvocationLogs/.
  delivery = "AWSLogs/${var.account_id}/BedrockModelInvocationLogs/"

  # None of these actions supports resource-level permissions, so each
  # statement's resource must be "*".
  unscoped = [
    # Token, invocation, error, throttle and latency metrics of AWS/Bedrock.
    # Nor do they have conditions that narrow them to a namespace.
    { sid = "ReadBedrockMetrics", on = var.cloudwatch, actions = ["cloudwatch:GetMetricData", "cloudwatch:ListMetrics"] },
    # Bedrock runtime calls per principal from CloudTrail's event history.
    { sid = "ReadBedrockCallEvents", on = var.cloudtrail, actions = ["cloudtrail:LookupEvents"] },
    # Reconciliation with the bill (sources.cost_explorer); Cost Explorer
    # has one endpoint (us-east-1).
    { sid = "ReadTheBill", on = var.cost_explorer, actions = ["ce:GetCostAndUsage", "ce:GetDimensionValues"] },
    # Discovering an organisation's member accounts, which answers in the
    # management or a delegated administrator account only.
    { sid = "ListOrganizationAccounts", on = var.organizations_list_accounts, actions = ["organizations:ListAccounts"] },
  ]
}

data "aws_iam_policy_document" "read" {
  # The actions without resource-level permissions, in the order above.
  dynamic "statement" {
    for_each = [for st in local.unscoped : st if st.on]
    content {
      sid       = statement.value.sid
      effect    = "Allow"
      actions   = statement.value.actions
      resources = ["*"]
    }
  }

  # Model invocation logs: FilterLogEvents on the configured groups only.
  dynamic "statement" {
    for_each = length(var.invocation_log_groups) > 0 ? [1] : []
    content {
      sid     = "ReadInvocationLogs"
      effect  = "Allow"
      actions = ["logs:FilterLogEvents"]
      resources = flatten([
        for region, group in var.invocation_log_groups : [
          "arn:${var.partition}:logs:${region}:${var.account_id}:log-group:${group}",
          "arn:${var.partition}:logs:${region}:${var.account_id}:log-group:${group}:*",
        ]
      ])
    }
  }

  # Model invocation logs delivered to S3: list and read under this
  # account's delivery prefix only (<prefix>AWSLogs/<account>/BedrockModelInvocationLogs/).
  dynamic "statement" {
    for_each = var.invocation_log_buckets
    content {
      sid       = "ListInvocationLogs${replace(statement.key, "-", "")}"
      effect    = "Allow"
      actions   = ["s3:ListBucket"]
      resources = ["arn:${var.partition}:s3:::${statement.value.bucket}"]
      condition {
        test     = "StringLike"
        variable = "s3:prefix"
        values   = ["${statement.value.prefix}${local.delivery}*"]
      }
    }
  }

  dynamic "statement" {
    for_each = length(var.invocation_log_buckets) > 0 ? [1] : []
    content {
      sid       = "ReadInvocationLogObjects"
      effect    = "Allow"
      actions   = ["s3:GetObject"]
      resources = [for region, b in var.invocation_log_buckets : "arn:${var.partition}:s3:::${b.bucket}/${b.prefix}${local.delivery}*"]
    }
  }

  # Wake-ups: the daemon's own alarms only (named with its prefix, in every
  # monitored region; they live beside the metrics they watch, so in the
  # monitored account). Tagging on create needs cloudwatch:TagResource.
  dynamic "statement" {
    for_each = var.wakeup_alarm_prefix == null ? [] : [var.wakeup_alarm_prefix]
    content {
      sid       = "KeepWakeupAlarms"
      effect    = "Allow"
      actions   = ["cloudwatch:PutMetricAlarm", "cloudwatch:DeleteAlarms", "cloudwatch:DescribeAlarms", "cloudwatch:TagResource"]
      resources = [for r in var.wakeup_regions : "arn:${var.partition}:cloudwatch:${r}:${var.account_id}:alarm:${statement.value}*"]
    }
  }
}
