# bedrock-cost-monitor on ECS: the monitor's permissions, the ledger table,
# the alert topic, the log group and the monitor's container definition.
#
# layout = "service" (default): the monitor gets its own task role and task
# definition (service.tf), so the application's task role holds none of its
# write permissions. layout = "sidecar": the container joins the
# application's task and shares the application's task role; every
# container of a task gets the same credentials, so the application can do
# whatever the monitor can.

data "aws_partition" "current" {}
data "aws_region" "current" {}
data "aws_caller_identity" "current" {}

locals {
  partition  = data.aws_partition.current.partition
  region     = data.aws_region.current.region
  account_id = data.aws_caller_identity.current.account_id

  service      = var.layout == "service"
  use_dynamodb = var.store == "dynamodb"
  # The role the monitor runs with: its own (service) or the application's (sidecar).
  monitor_role_arn = local.service ? one(aws_iam_role.monitor[*].arn) : var.task_role_arn
  # Who may publish to the alert topic; the topic policy allows and denies by this one list.
  publisher_arns = concat([local.monitor_role_arn], var.additional_publisher_arns)
  table_name     = coalesce(var.dynamodb_table_name, var.name)
  table_arn = (
    !local.use_dynamodb ? null :
    var.create_dynamodb_table ? one(aws_dynamodb_table.ledger[*].arn) :
    "arn:${local.partition}:dynamodb:${local.region}:${local.account_id}:table/${local.table_name}"
  )

  # Decided from inputs only (known at plan time), not from the topic's ARN.
  has_topic  = var.create_sns_topic || var.sns_topic_arn != null
  topic_name = var.sns_fifo ? "${var.name}-alerts.fifo" : "${var.name}-alerts"
  topic_arn  = var.create_sns_topic ? one(aws_sns_topic.alerts[*].arn) : var.sns_topic_arn

  # The role name is the last segment of its ARN (after any path).
  task_role_name = local.service ? one(aws_iam_role.monitor[*].name) : regex("[^/]+$", coalesce(var.task_role_arn, "unset"))

  log_group_name = coalesce(var.log_group_name, "/ecs/${var.name}")

  # Where the SQLite ledger lives in the image (deploy/docker/Dockerfile).
  data_dir    = "/var/lib/bedrock-cost-monitor"
  data_volume = "${var.name}-data"
  use_efs     = !local.use_dynamodb && var.sqlite_efs != null
}

# ---------------------------------------------------------------------------
# Task-role permissions (least privilege; see README.md for each one)
# ---------------------------------------------------------------------------

# The read permissions in the monitored account (metrics, CloudTrail, the
# bill, invocation logs, organisation discovery, the wake-up alarms): the
# same statements as the member role's (member-role/), from one module.
module "reader_policy" {
  source = "./reader-policy"

  partition                   = local.partition
  account_id                  = local.account_id
  cloudwatch                  = true
  cloudtrail                  = true
  cost_explorer               = var.cost_explorer
  organizations_list_accounts = var.organizations_list_accounts
  invocation_log_groups       = var.invocation_log_groups
  invocation_log_buckets      = var.invocation_log_buckets
  wakeup_alarm_prefix         = var.wakeups ? var.wakeup_alarm_prefix : null
  wakeup_regions              = var.regions
}

data "aws_iam_policy_document" "task" {
  source_policy_documents = [module.reader_policy.json]

  lifecycle {
    precondition {
      condition     = local.service || var.task_role_arn != null
      error_message = "layout = \"sidecar\" needs task_role_arn: the application's task role, which the sidecar shares."
    }
  }

  # Wake-ups: read and delete the notifications of the one queue.
  dynamic "statement" {
    for_each = var.wakeups ? [1] : []
    content {
      sid       = "ReadWakeupQueue"
      effect    = "Allow"
      actions   = ["sqs:ReceiveMessage", "sqs:DeleteMessage"]
      resources = [aws_sqs_queue.wakeups[0].arn]
    }
  }

  # The shared ledger: minute rows, watermarks, the alert outbox and the
  # polling lease, all in one table. It has no secondary index.
  dynamic "statement" {
    for_each = local.use_dynamodb ? [local.table_arn] : []
    content {
      sid    = "LedgerTable"
      effect = "Allow"
      # Exactly the operations the store sends (src/ledger/dynamodb/).
      actions = [
        "dynamodb:BatchGetItem",
        "dynamodb:DeleteItem",
        "dynamodb:DescribeTable",
        "dynamodb:DescribeTimeToLive",
        "dynamodb:GetItem",
        "dynamodb:PutItem",
        "dynamodb:Query",
        "dynamodb:TransactWriteItems",
        "dynamodb:UpdateItem",
      ]
      resources = [statement.value]
    }
  }

  # The SQLite ledger on EFS: mount and write through the access point only.
  dynamic "statement" {
    for_each = local.use_efs ? [var.sqlite_efs] : []
    content {
      sid       = "LedgerFileSystem"
      effect    = "Allow"
      actions   = ["elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite"]
      resources = ["arn:${local.partition}:elasticfilesystem:${local.region}:${local.account_id}:file-system/${statement.value.file_system_id}"]
      condition {
        test     = "StringEquals"
        variable = "elasticfilesystem:AccessPointArn"
        values   = ["arn:${local.partition}:elasticfilesystem:${local.region}:${local.account_id}:access-point/${statement.value.access_point_id}"]
      }
    }
  }

  # A customer managed table key is used by DynamoDB on the caller's behalf.
  dynamic "statement" {
    for_each = local.use_dynamodb && var.dynamodb_kms_key_arn != null ? [var.dynamodb_kms_key_arn] : []
    content {
      sid       = "LedgerTableKey"
      effect    = "Allow"
      actions   = ["kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey"]
      resources = [statement.value]
      condition {
        test     = "StringEquals"
        variable = "kms:ViaService"
        values   = ["dynamodb.${local.region}.amazonaws.com"]
      }
    }
  }

  # Budget alerts go to one topic only.
  dynamic "statement" {
    for_each = local.has_topic ? [local.topic_arn] : []
    content {
      sid       = "PublishAlerts"
      effect    = "Allow"
      actions   = ["sns:Publish"]
      resources = [statement.value]
    }
  }

  # Publishing to a topic encrypted with a customer managed key needs a data
  # key from it; SNS asks KMS on the publisher's behalf.
  dynamic "statement" {
    for_each = local.has_topic && var.sns_kms_key_arn != null ? [var.sns_kms_key_arn] : []
    content {
      sid       = "AlertTopicKey"
      effect    = "Allow"
      actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
      resources = [statement.value]
      condition {
        test     = "StringEquals"
        variable = "kms:ViaService"
        values   = ["sns.${local.region}.amazonaws.com"]
      }
    }
  }

  # Monitoring an organisation's members: the one role name in each
  # account, within the organisation when its ID is given.
  dynamic "statement" {
    for_each = var.member_role_name == null ? [] : [var.member_role_name]
    content {
      sid       = "AssumeMemberRoles"
      effect    = "Allow"
      actions   = ["sts:AssumeRole"]
      resources = ["arn:${local.partition}:iam::*:role/${statement.value}"]
      dynamic "condition" {
        for_each = var.member_organization_id == null ? [] : [var.member_organization_id]
        content {
          test     = "StringEquals"
          variable = "aws:ResourceOrgID"
          values   = [condition.value]
        }
      }
    }
  }

  # Monitoring other accounts: only the listed roles.
  dynamic "statement" {
    for_each = length(var.assume_role_arns) > 0 ? [var.assume_role_arns] : []
    content {
      sid       = "AssumeMonitoringRoles"
      effect    = "Allow"
      actions   = ["sts:AssumeRole"]
      resources = statement.value
    }
  }
}

# An inline policy of its own, so the role's other policies are untouched:
# on the monitor's own role (service), or on the application's (sidecar).
resource "aws_iam_role_policy" "task" {
  count = local.service || var.attach_policy_to_task_role ? 1 : 0

  name   = var.name
  role   = local.task_role_name
  policy = data.aws_iam_policy_document.task.json
}

# ---------------------------------------------------------------------------
# Ledger table (store = "dynamodb")
# ---------------------------------------------------------------------------

resource "aws_dynamodb_table" "ledger" {
  #checkov:skip=CKV_AWS_119:The key is the caller's choice (dynamodb_kms_key_arn); without one the table is still encrypted at rest, with the AWS managed key aws/dynamodb, which needs no key policy.
  count = local.use_dynamodb && var.create_dynamodb_table ? 1 : 0

  name = local.table_name
  # On-demand: a few writes a minute, no capacity to plan or to throttle on.
  billing_mode = "PAY_PER_REQUEST"
  hash_key     = "pk"
  range_key    = "sk"

  attribute {
    name = "pk"
    type = "S"
  }

  attribute {
    name = "sk"
    type = "S"
  }

  # Rows the daemon no longer needs (old minute rows, expired leases) carry
  # an epoch-seconds expiry.
  ttl {
    attribute_name = "expires_at"
    enabled        = true
  }

  point_in_time_recovery {
    enabled = true
  }

  server_side_encryption {
    enabled     = true
    kms_key_arn = var.dynamodb_kms_key_arn
  }

  deletion_protection_enabled = var.dynamodb_deletion_protection

  tags = var.tags
}

# ---------------------------------------------------------------------------
# Alert topic
# ---------------------------------------------------------------------------

resource "aws_sns_topic" "alerts" {
  count = var.create_sns_topic ? 1 : 0

  name              = local.topic_name
  kms_master_key_id = coalesce(var.sns_kms_key_arn, "alias/aws/sns")

  fifo_topic = var.sns_fifo
  # The daemon sets MessageDeduplicationId itself (the alert's dedupe key):
  # deduplicating on content would drop a legitimate repeat with equal text.
  content_based_deduplication = var.sns_fifo ? false : null

  tags = var.tags
}

data "aws_iam_policy_document" "topic" {
  count = var.create_sns_topic ? 1 : 0

  statement {
    sid       = "MonitorPublishes"
    effect    = "Allow"
    actions   = ["sns:Publish"]
    resources = [aws_sns_topic.alerts[0].arn]
    principals {
      type        = "AWS"
      identifiers = local.publisher_arns
    }
  }

  # Identity policies in the account could otherwise let anyone publish fake
  # budget alerts: publishing is denied to every other principal.
  statement {
    sid       = "OnlyTheMonitorPublishes"
    effect    = "Deny"
    actions   = ["sns:Publish"]
    resources = [aws_sns_topic.alerts[0].arn]
    principals {
      type        = "AWS"
      identifiers = ["*"]
    }
    condition {
      test     = "ArnNotEquals"
      variable = "aws:PrincipalArn"
      values   = local.publisher_arns
    }
  }

  statement {
    sid       = "TlsOnly"
    effect    = "Deny"
    actions   = ["sns:Publish"]
    resources = [aws_sns_topic.alerts[0].arn]
    principals {
      type        = "AWS"
      identifiers = ["*"]
    }
    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}

resource "aws_sns_topic_policy" "alerts" {
  count = var.create_sns_topic ? 1 : 0

  arn    = aws_sns_topic.alerts[0].arn
  policy = data.aws_iam_policy_document.topic[0].json
}

# ---------------------------------------------------------------------------
# Wake-ups: the alarms' topic (this region) and the queue the daemon polls
# ---------------------------------------------------------------------------

resource "aws_sqs_queue" "wakeups" {
  count = var.wakeups ? 1 : 0

  name                    = "${var.name}-wakeups"
  sqs_managed_sse_enabled = true
  # A notification older than this is worthless: polling has covered it.
  message_retention_seconds = 3600
  # Long polls of 20 s; a message read but not deleted (a replica that died)
  # comes back after this and coalesces with any other.
  visibility_timeout_seconds = 60

  tags = var.tags
}

resource "aws_sns_topic" "wakeups" {
  #checkov:skip=CKV_AWS_26:CloudWatch alarms cannot publish to a topic encrypted with the AWS managed key alias/aws/sns (its key policy cannot be changed to admit cloudwatch.amazonaws.com); the notifications name alarm states, not usage.
  count = var.wakeups ? 1 : 0

  name = "${var.name}-wakeups"
  tags = var.tags
}

data "aws_iam_policy_document" "wakeup_topic" {
  count = var.wakeups ? 1 : 0

  statement {
    sid       = "AlarmsOfThisAccountPublish"
    effect    = "Allow"
    actions   = ["sns:Publish"]
    resources = [aws_sns_topic.wakeups[0].arn]
    principals {
      type        = "Service"
      identifiers = ["cloudwatch.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
    condition {
      test     = "ArnLike"
      variable = "aws:SourceArn"
      values   = ["arn:${local.partition}:cloudwatch:${local.region}:${local.account_id}:alarm:${var.wakeup_alarm_prefix}*"]
    }
  }
}

resource "aws_sns_topic_policy" "wakeups" {
  count = var.wakeups ? 1 : 0

  arn    = aws_sns_topic.wakeups[0].arn
  policy = data.aws_iam_policy_document.wakeup_topic[0].json
}

data "aws_iam_policy_document" "wakeup_queue" {
  count = var.wakeups ? 1 : 0

  # This region's topic and those of wakeup_topic_arns (other regions, or
  # the monitored account's topics when the monitor assumes a role there).
  statement {
    sid       = "TheWakeupTopicsDeliver"
    effect    = "Allow"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.wakeups[0].arn]
    principals {
      type        = "Service"
      identifiers = ["sns.amazonaws.com"]
    }
    condition {
      test     = "ArnEquals"
      variable = "aws:SourceArn"
      values   = distinct(concat([aws_sns_topic.wakeups[0].arn], values(var.wakeup_topic_arns)))
    }
  }
}

resource "aws_sqs_queue_policy" "wakeups" {
  count = var.wakeups ? 1 : 0

  queue_url = aws_sqs_queue.wakeups[0].id
  policy    = data.aws_iam_policy_document.wakeup_queue[0].json
}

resource "aws_sns_topic_subscription" "wakeups" {
  count = var.wakeups ? 1 : 0

  topic_arn = aws_sns_topic.wakeups[0].arn
  protocol  = "sqs"
  endpoint  = aws_sqs_queue.wakeups[0].arn
}

# ---------------------------------------------------------------------------
# Logs
# ---------------------------------------------------------------------------

resource "aws_cloudwatch_log_group" "sidecar" {
  #checkov:skip=CKV_AWS_158:The key is the caller's choice (log_kms_key_arn); the log holds no secrets (job outcomes, model IDs, counts) and CloudWatch Logs encrypts it at rest without one.
  #checkov:skip=CKV_AWS_338:A year of the monitor's operational log is not needed; the spend history lives in the ledger. Retention is log_retention_days.
  count = var.create_log_group ? 1 : 0

  name              = local.log_group_name
  retention_in_days = var.log_retention_days
  kms_key_id        = var.log_kms_key_arn

  tags = var.tags
}
