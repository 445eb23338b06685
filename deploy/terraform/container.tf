# The monitor's container definition: the only container of its own task
# (layout = "service", service.tf) or a sidecar in the application's task.

locals {
  # Exactly the variables the daemon reads (README, Configuration); the rest
  # of its configuration is the file baked into the image (BCM_CONFIG).
  bcm_environment = merge(
    {
      BCM_REGIONS = join(",", var.regions)
      BCM_LISTEN  = "0.0.0.0:${var.port}"
      # Sidecar: loopback, not in portMappings, only the task's containers
      # reach it. Service: the application's tasks reach it over the network.
      BCM_API_LISTEN = local.service ? "0.0.0.0:${var.api_port}" : "127.0.0.1:${var.api_port}"
      BCM_STORE      = var.store
    },
    local.use_dynamodb ? { BCM_DYNAMODB_TABLE = local.table_name, BCM_DYNAMODB_REGION = local.region } : { BCM_DATA_DIR = local.data_dir },
    local.has_topic ? { BCM_SNS_TOPIC_ARN = local.topic_arn } : {},
    var.wakeups ? {
      BCM_WAKEUPS_QUEUE_URL  = aws_sqs_queue.wakeups[0].id
      BCM_WAKEUPS_TOPIC_ARNS = join(",", [for r, arn in merge({ (local.region) = aws_sns_topic.wakeups[0].arn }, var.wakeup_topic_arns) : "${r}=${arn}"])
    } : {},
  )
  environment = merge(var.environment, local.bcm_environment)

  port_mappings = concat(
    [{ name = "${var.name}-http", containerPort = var.port, protocol = "tcp" }],
    local.service ? [{ name = "${var.name}-api", containerPort = var.api_port, protocol = "tcp" }] : [],
  )

  container_definition = merge({
    name  = var.name
    image = var.image

    # A sidecar is not essential: when the monitor stops or crashes, ECS must
    # not stop the application's task with it. Spend visibility is lost for
    # a while (the alert rules notice); serving users is not. In its own
    # task it is the task. The restart policy brings it back without
    # replacing the task either way.
    essential = local.service
    restartPolicy = {
      enabled              = true
      ignoredExitCodes     = [0]
      restartAttemptPeriod = 60
    }

    cpu               = var.cpu
    memoryReservation = var.memory_reservation
    memory            = var.memory

    portMappings = local.port_mappings

    environment = [for k in sort(keys(local.environment)) : { name = k, value = local.environment[k] }]

    # The binary checks its own /readyz: no shell or curl in the image.
    healthCheck = {
      command     = ["CMD", "/usr/local/bin/bedrock-cost-monitor", "healthcheck"]
      interval    = 30
      timeout     = 5
      retries     = 3
      startPeriod = var.health_check_start_period
    }

    # SIGTERM, then up to stop_timeout seconds to drain (the daemon needs
    # monitor.shutdown_deadline_secs, 20 by default), then SIGKILL.
    stopTimeout = var.stop_timeout

    readonlyRootFilesystem = true
    # The SQLite ledger needs one writable directory at the image's VOLUME
    # path (owned by the image's non-root user): EFS or task storage.
    mountPoints = local.use_dynamodb ? [] : [{
      sourceVolume  = local.data_volume
      containerPath = local.data_dir
      readOnly      = false
    }]

    linuxParameters = {
      capabilities = { drop = ["ALL"] }
    }

    logConfiguration = {
      logDriver = "awslogs"
      options = {
        awslogs-group         = local.log_group_name
        awslogs-region        = local.region
        awslogs-stream-prefix = var.name
      }
    }
    },
    # The decision API's bearer token, never in plain environment.
    local.service && var.api_token_secret_arn != null ? {
      secrets = [{ name = "BCM_API_TOKEN", valueFrom = var.api_token_secret_arn }]
    } : {},
  )

  # EFS: encrypted in transit, mounted as the access point's owner, with the
  # task role's IAM permissions (LedgerFileSystem). Task storage otherwise.
  task_volumes = local.use_dynamodb ? [] : [
    local.use_efs ? {
      name = local.data_volume
      efs_volume_configuration = {
        file_system_id     = var.sqlite_efs.file_system_id
        transit_encryption = "ENABLED"
        authorization_config = {
          access_point_id = var.sqlite_efs.access_point_id
          iam             = "ENABLED"
        }
      }
      } : {
      name                     = local.data_volume
      efs_volume_configuration = null
    }
  ]
}
