# The role bedrock-cost-monitor assumes in a member account: read only
# (Bedrock metrics, CloudTrail events, optionally invocation logs and the
# bill), plus, when asked, the daemon's own wake-up alarms. The statements
# come from ../reader-policy, the same ones the monitor module's task policy
# (../main.tf) grants for the monitored account; nothing here writes but the
# alarms named with the daemon's prefix.

data "aws_partition" "current" {}
data "aws_caller_identity" "current" {}

locals {
  partition  = data.aws_partition.current.partition
  account_id = data.aws_caller_identity.current.account_id
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

module "reader_policy" {
  source = "../reader-policy"

  partition                   = local.partition
  account_id                  = local.account_id
  cloudwatch                  = var.cloudwatch
  cloudtrail                  = var.cloudtrail
  cost_explorer               = var.cost_explorer
  organizations_list_accounts = var.organizations_list_accounts
  invocation_log_groups       = var.invocation_log_groups
  invocation_log_buckets      = var.invocation_log_buckets
  wakeup_alarm_prefix         = var.wakeup_alarm_prefix
  wakeup_regions              = var.wakeup_regions
}

data "aws_iam_policy_document" "read" {
  source_policy_documents = [module.reader_policy.json]

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
