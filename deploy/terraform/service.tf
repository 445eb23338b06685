# layout = "service": the monitor as its own ECS task, with a task role of
# its own. The application's task role then holds none of the monitor's
# permissions: it cannot publish an alert, write the ledger or read the
# monitor's credentials (they are served to the monitor's task only). The
# application asks the decision API over the network instead.
#
# The module creates the role and the task definition; the ECS service that
# runs it (cluster, subnets, security group, service discovery) is the
# caller's, as the application's own service is (README).

data "aws_iam_policy_document" "monitor_trust" {
  count = local.service ? 1 : 0

  statement {
    sid     = "EcsTasksOfThisAccount"
    effect  = "Allow"
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["ecs-tasks.amazonaws.com"]
    }
    # Only tasks of this account may get the role (confused deputy).
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
    condition {
      test     = "ArnLike"
      variable = "aws:SourceArn"
      values   = ["arn:${local.partition}:ecs:${local.region}:${local.account_id}:*"]
    }
  }
}

resource "aws_iam_role" "monitor" {
  count = local.service ? 1 : 0

  name               = "${var.name}-task"
  assume_role_policy = data.aws_iam_policy_document.monitor_trust[0].json

  tags = var.tags
}

resource "aws_ecs_task_definition" "monitor" {
  count = local.service ? 1 : 0

  family                   = var.name
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = var.task_cpu
  memory                   = var.task_memory
  task_role_arn            = aws_iam_role.monitor[0].arn
  execution_role_arn       = var.execution_role_arn

  runtime_platform {
    operating_system_family = "LINUX"
    cpu_architecture        = "X86_64"
  }

  container_definitions = jsonencode([local.container_definition])

  dynamic "volume" {
    for_each = local.task_volumes
    content {
      name = volume.value.name
      dynamic "efs_volume_configuration" {
        for_each = volume.value.efs_volume_configuration == null ? [] : [volume.value.efs_volume_configuration]
        content {
          file_system_id     = efs_volume_configuration.value.file_system_id
          transit_encryption = "ENABLED"
          authorization_config {
            access_point_id = efs_volume_configuration.value.authorization_config.access_point_id
            iam             = efs_volume_configuration.value.authorization_config.iam
          }
        }
      }
    }
  }

  lifecycle {
    precondition {
      condition     = var.execution_role_arn != null
      error_message = "layout = \"service\" needs execution_role_arn: the monitor's task pulls its image and writes its log with it."
    }
  }

  tags = var.tags
}
