# The functions: one per crate, from the release packages, each with its own role, log
# group and dead-letter queue.

locals {
  functions = {
    for name, f in module.catalog.functions : name => {
      description = f.description
      scheduled   = f.scheduled
      memory_size = coalesce(try(var.functions[name].memory_size, null), f.memory_size)
      timeout     = coalesce(try(var.functions[name].timeout, null), f.timeout)
      # A sweep fed by its queue runs as many targets at once as the queue allows.
      concurrency = max(
        coalesce(try(var.functions[name].reserved_concurrency, null), f.concurrency),
        contains(local.sweep_functions, name) ? local.org.sweep_concurrency : 0,
      )
      package = "${var.artifacts_dir}/${name}/bootstrap.zip"
      # Written by `make package` from the binary's ELF header.
      built_for = try(trimspace(file("${var.artifacts_dir}/${name}/architecture")), "unknown")
    } if local.create
  }

  # The environment-variable contract of every function (README: Configuration).
  environment = merge(var.settings, local.organization_environment, {
    PHOENIX_ALERT_TOPIC_ARN         = local.alert_topic_arn
    PHOENIX_FINDINGS_TABLE          = one(aws_dynamodb_table.findings[*].name)
    PHOENIX_METRIC_NAMESPACE        = var.metric_namespace
    PHOENIX_ENVIRONMENT             = var.environment
    PHOENIX_GUARD_PREFIX            = var.name_prefix
    PHOENIX_REQUIRED_RESOURCE_TYPES = join(",", var.required_resource_types)
    PHOENIX_DATA_BUCKETS            = join(",", var.data_bucket_names)
    PHOENIX_STATE_BUCKETS           = join(",", var.state_bucket_names)
    PHOENIX_ENCRYPTION_KEY_SECRETS  = join(",", var.encryption_key_secrets)
    PHOENIX_REPORT_BUCKET           = local.report_bucket
    PHOENIX_RESTORE_VALIDATORS      = join(",", [for t, f in var.restore_validators : "${t}=${f}"])
    PHOENIX_CHAT_TOPIC_ARN          = try(aws_sns_topic.chat[0].arn, "")
    PHOENIX_RUNBOOK_URL             = var.runbook_url == null ? "" : var.runbook_url
  })
}

resource "aws_cloudwatch_log_group" "function" {
  for_each          = local.functions
  name              = local.log_group_names[each.key]
  retention_in_days = var.log_retention_days
  kms_key_id        = coalesce(var.log_kms_key_arn, local.kms_key_arn)
  tags              = local.tags
}

data "aws_iam_policy_document" "lambda_assume" {
  count = local.create ? 1 : 0
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
}

resource "aws_iam_role" "function" {
  for_each             = local.functions
  name                 = local.function_names[each.key]
  description          = "Phoenix Guard ${each.key} (${var.environment}): exactly the calls its code makes"
  assume_role_policy   = data.aws_iam_policy_document.lambda_assume[0].json
  max_session_duration = 3600
  tags                 = local.tags
}

resource "aws_iam_role_policy" "function" {
  for_each = local.functions
  name     = "calls"
  role     = aws_iam_role.function[each.key].id
  policy   = module.catalog.policies[each.key]
}

resource "aws_lambda_function" "function" {
  # checkov:skip=CKV_AWS_117:The functions call only public AWS APIs; a VPC would add NAT or endpoints and cold-start latency without protecting anything.
  # checkov:skip=CKV_AWS_272:Packages are built by `make package` from this repository; code signing is an organisation's choice and needs a signing profile outside this module.
  for_each      = local.functions
  function_name = local.function_names[each.key]
  description   = each.value.description
  role          = aws_iam_role.function[each.key].arn

  filename         = each.value.package
  source_code_hash = filebase64sha256(each.value.package)
  runtime          = "provided.al2023"
  handler          = "bootstrap"
  architectures    = [var.architecture]

  memory_size                    = each.value.memory_size
  timeout                        = each.value.timeout
  reserved_concurrent_executions = var.reserve_concurrency ? each.value.concurrency : -1
  kms_key_arn                    = local.kms_key_arn

  environment {
    variables = { for k, v in local.environment : k => v if v != null && v != "" && (k != "PHOENIX_REPORT_BUCKET" || contains(["readiness-audit", "sweep-dispatcher"], each.key)) }
  }

  logging_config {
    log_format            = "JSON"
    log_group             = aws_cloudwatch_log_group.function[each.key].name
    application_log_level = var.log_level
    system_log_level      = "WARN"
  }

  tracing_config {
    mode = var.enable_xray ? "Active" : "PassThrough"
  }

  dead_letter_config {
    target_arn = aws_sqs_queue.dead_letters[0].arn
  }

  tags = local.tags

  lifecycle {
    # A package of the other architecture deploys, then fails every invocation: a guard
    # that silently watches nothing. Refuse it at plan time.
    # (Checked per function, not as a validation of artifacts_dir: with create = false no
    # package is needed.)
    precondition {
      condition     = fileexists(each.value.package)
      error_message = "${each.key}: ${each.value.package} does not exist. Run `make package` first (it writes <function>/bootstrap.zip under target/lambda), or point artifacts_dir at its output."
    }
    precondition {
      condition     = each.value.built_for == var.architecture
      error_message = "${each.key}: the package in ${var.artifacts_dir} was built for ${each.value.built_for}, not ${var.architecture}. Set architecture = \"${each.value.built_for}\", or rebuild with PHOENIX_LAMBDA_ARCH=${var.architecture} make package."
    }
  }

  depends_on = [aws_iam_role_policy.function]
}

# Lambda retries a failed asynchronous invocation twice (the functions fail an invocation
# whose alert was not delivered); what still fails goes to the dead-letter queue.
resource "aws_lambda_function_event_invoke_config" "function" {
  for_each                     = local.functions
  function_name                = aws_lambda_function.function[each.key].function_name
  maximum_retry_attempts       = 2
  maximum_event_age_in_seconds = 21600
}
