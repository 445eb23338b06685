# The role bedrock-cost-monitor assumes in a member account: read only
# (Bedrock metrics, CloudTrail events, optionally invocation logs and the
# bill), plus, when asked, the daemon's own wake-up alarms. The actions are
# exactly those of the monitor module's task policy (../main.tf) for the
# monitored account; nothing here writes but the alarms named with the
# daemon's prefix.

data "aws_partition" "current" {}
data "aws_caller_identity" "current" {}

locals {
  partition  = data.aws_partition.current.partition
  account_id = data.aws_caller_identity.current.account_id
  # Bedrock delivers invocation logs under AWSLogs/<account>/BedrockModelInvocationLogs/.
  delivery = "AWSLogs/${local.account_id}/BedrockModelInvocationLogs/"
}

# Only the daemon's role, and with the external ID when one is set.
data "aws_iam_policy_document" "trust" {
  statement {
    sid     = "TheMonitorAssumes"
    effect  = "Allow"
    actions = ["sts:AssumeRole"]
    principals {
      type        = "AWS"
      identifiers = [var.trusted_role_arn]
    }
    dynamic "condition" {
      for_each = var.external_id == null ? [] : [var.external_id]
      content {
        test     = "StringEquals"
        variable = "sts:ExternalId"
        values   = [condition.value]
      }
    }
  }
}

data "aws_iam_policy_document" "read" {
  lifecycle {
    precondition {
      condition     = var.cloudwatch || var.cloudtrail || var.cost_explorer || var.organizations_list_accounts || length(var.invocation_log_groups) > 0 || length(var.invocation_log_buckets) > 0
      error_message = "member-role: allow at least one source (cloudwatch, cloudtrail, cost_explorer, invocation_log_groups or invocation_log_buckets) or organizations_list_accounts."
    }
    precondition {
      condition     = var.wakeup_alarm_prefix == null || length(var.wakeup_regions) > 0
      error_message = "member-role: wakeup_alarm_prefix needs wakeup_regions."
    }
  }

  # Neither action supports resource-level permissions or conditions that
  # narrow it to a namespace, so the resource must be "*".
  dynamic "statement" {
    for_each = var.cloudwatch ? [1] : []
    content {
      sid       = "ReadBedrockMetrics"
      effect    = "Allow"
      actions   = ["cloudwatch:GetMetricData", "cloudwatch:ListMetrics"]
      resources = ["*"]
    }
  }

  # LookupEvents has no resource-level permissions either: "*" is required.
  dynamic "statement" {
    for_each = var.cloudtrail ? [1] : []
    content {
      sid       = "ReadBedrockCallEvents"
      effect    = "Allow"
      actions   = ["cloudtrail:LookupEvents"]
      resources = ["*"]
    }
  }

  # Cost Explorer has one endpoint and no resource-level permissions.
  dynamic "statement" {
    for_each = var.cost_explorer ? [1] : []
    content {
      sid       = "ReadTheBill"
      effect    = "Allow"
      actions   = ["ce:GetCostAndUsage", "ce:GetDimensionValues"]
      resources = ["*"]
    }
  }

  # Member discovery, in the management or a delegated administrator
  # account only; ListAccounts has no resource-level permissions.
  dynamic "statement" {
    for_each = var.organizations_list_accounts ? [1] : []
    content {
      sid       = "ListOrganizationAccounts"
      effect    = "Allow"
      actions   = ["organizations:ListAccounts"]
      resources = ["*"]
    }
  }

  dynamic "statement" {
    for_each = length(var.invocation_log_groups) > 0 ? [1] : []
    content {
      sid     = "ReadInvocationLogs"
      effect  = "Allow"
      actions = ["logs:FilterLogEvents"]
      resources = flatten([
        for region, group in var.invocation_log_groups : [
          "arn:${local.partition}:logs:${region}:${local.account_id}:log-group:${group}",
          "arn:${local.partition}:logs:${region}:${local.account_id}:log-group:${group}:*",
        ]
      ])
    }
  }

  dynamic "statement" {
    for_each = var.invocation_log_buckets
    content {
      sid       = "ListInvocationLogs${replace(statement.key, "-", "")}"
      effect    = "Allow"
      actions   = ["s3:ListBucket"]
      resources = ["arn:${local.partition}:s3:::${statement.value.bucket}"]
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
      resources = [for region, b in var.invocation_log_buckets : "arn:${local.partition}:s3:::${b.bucket}/${b.prefix}${local.delivery}*"]
    }
  }

  # The daemon's wake-up alarms only, in the monitored regions.
  dynamic "statement" {
    for_each = var.wakeup_alarm_prefix == null ? [] : [var.wakeup_alarm_prefix]
    content {
      sid       = "KeepWakeupAlarms"
      effect    = "Allow"
      actions   = ["cloudwatch:PutMetricAlarm", "cloudwatch:DeleteAlarms", "cloudwatch:DescribeAlarms", "cloudwatch:TagResource"]
      resources = [for r in var.wakeup_regions : "arn:${local.partition}:cloudwatch:${r}:${local.account_id}:alarm:${statement.value}*"]
    }
  }
}

resource "aws_iam_role" "reader" {
  name                 = var.role_name
  description          = "bedrock-cost-monitor reads Bedrock usage of this account (assumed by ${var.trusted_role_arn})"
  assume_role_policy   = data.aws_iam_policy_document.trust.json
  max_session_duration = var.max_session_duration
  tags                 = var.tags
}

resource "aws_iam_role_policy" "read" {
  name   = var.role_name
  role   = aws_iam_role.reader.id
  policy = data.aws_iam_policy_document.read.json
}
