# Phoenix Guard: the functions, what triggers them, where their findings go, and the alarms
# that watch the guard itself. What each function is, which events reach it and what its
# role may do come from ./modules/catalog, which tests/infra evaluates.

# With create = false nothing below exists: every resource and data source has a count or
# for_each that is empty then (tests/infra checks each one).
data "aws_partition" "current" {
  count = local.create ? 1 : 0
}
data "aws_region" "current" {
  count = local.create ? 1 : 0
}
data "aws_caller_identity" "current" {
  count = local.create ? 1 : 0
}

locals {
  create = var.create
  # What the module creates itself, and what the team brings (create_kms_key = false with
  # kms_key_arn, and so on). Flags decide, not whether an ARN is null: an ARN created in the
  # same configuration is unknown at plan time, and a count cannot depend on it.
  create_kms_key       = local.create && var.create_kms_key
  create_alert_topic   = local.create && var.create_alert_topic
  create_alarm_topic   = local.create && var.create_alarm_topic
  create_report_bucket = local.create && var.create_report_bucket
  create_dashboard     = local.create && var.create_dashboard
  create_chat          = local.create && var.enable_chat
  create_security_hub  = local.create && var.enable_security_hub

  # (Placeholders where nothing is created: only the catalog, which creates nothing, reads them.)
  partition = coalesce(one(data.aws_partition.current[*].partition), "aws")
  # `id` is the region's name under AWS provider 5 and 6 alike (6 deprecates `name` and
  # adds `region`, which 5 lacks).
  region          = coalesce(one(data.aws_region.current[*].id), "-")
  account_id      = coalesce(one(data.aws_caller_identity.current[*].account_id), "-")
  kms_key_arn     = var.create_kms_key ? one(aws_kms_key.guard[*].arn) : var.kms_key_arn
  alert_topic_arn = var.create_alert_topic ? one(aws_sns_topic.alerts[*].arn) : var.alert_topic_arn
  alarm_topic_arn = var.create_alarm_topic ? one(aws_sns_topic.alarms[*].arn) : var.alarm_topic_arn
  report_bucket   = var.create_report_bucket ? one(aws_s3_bucket.reports[*].id) : var.report_bucket_name
  # Every name starts with the prefix (which protection-guard watches) and the environment,
  # so that several environments share an account.
  base_name = "${var.name_prefix}-${var.environment}"
  tags      = merge({ "phoenix:component" = "phoenix-guard", "phoenix:environment" = var.environment }, var.tags)

  function_names = {
    for name in keys(module.catalog.functions) : name => "${local.base_name}-${name}" if local.create
  }
  log_group_names = {
    for name, function_name in local.function_names : name => "/aws/lambda/${function_name}"
  }
}

module "catalog" {
  source = "./modules/catalog"

  partition        = local.partition
  region           = local.region
  account_id       = local.account_id
  metric_namespace = var.metric_namespace
  security_hub     = var.enable_security_hub
  organization = local.org == null ? null : {
    reader_role_name    = local.org.reader_role_name
    validator_role_name = local.org.validator_role_name
    findings_role_name  = local.org.findings_role_name
    sweep_queue_arns    = { for f in local.sweep_functions : f => aws_sqs_queue.targets[f].arn }
  }
  resources = {
    findings_table_arn    = coalesce(one(aws_dynamodb_table.findings[*].arn), "-")
    alert_topic_arn       = coalesce(local.alert_topic_arn, "-")
    guard_key_arn         = coalesce(local.kms_key_arn, "-")
    dead_letter_queue_arn = coalesce(one(aws_sqs_queue.dead_letters[*].arn), "-")
    report_bucket_name    = coalesce(local.report_bucket, "-")
    chat_topic_arn        = one(aws_sns_topic.chat[*].arn)
    log_group_arns = {
      for name, log_group in local.log_group_names : name => "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:${log_group}"
    }
  }
  data_bucket_names         = var.data_bucket_names
  state_bucket_names        = var.state_bucket_names
  state_bucket_kms_key_arns = var.state_bucket_kms_key_arns
  enable_xray               = var.enable_xray
  # Only what restore-validator may invoke: the functions named, not their aliases' others.
  restore_validator_function_arns = distinct(values(var.restore_validators))
  restore_testing = !var.restore_testing.enabled ? null : {
    name                       = "${local.base_name}-restore-tests"
    schedule                   = var.restore_testing.schedule
    schedule_timezone          = var.restore_testing.schedule_timezone
    start_window_hours         = var.restore_testing.start_window_hours
    selection_window_days      = var.restore_testing.selection_window_days
    validation_window_hours    = var.restore_testing.validation_window_hours
    resource_types             = coalesce(var.restore_testing.resource_types, var.required_resource_types)
    protected_resource_arns    = var.restore_testing.protected_resource_arns
    restore_metadata_overrides = var.restore_testing.restore_metadata_overrides
  }
}

# One key for everything the guard stores or sends: alerts, alarms, the findings table, the
# report bucket, the dead-letter queue and (unless log_kms_key_arn is given) the logs.
# Unless create_kms_key = false and kms_key_arn brings the team's own.
resource "aws_kms_key" "guard" {
  count                   = local.create_kms_key ? 1 : 0
  description             = "Phoenix Guard (${var.environment}): alerts, findings, reports, dead letters and logs"
  enable_key_rotation     = true
  deletion_window_in_days = var.key_deletion_window_days
  policy                  = data.aws_iam_policy_document.guard_key[0].json
  tags                    = local.tags
}

resource "aws_kms_alias" "guard" {
  count         = length(aws_kms_key.guard)
  name          = "alias/${local.base_name}"
  target_key_id = aws_kms_key.guard[0].key_id
}

data "aws_iam_policy_document" "guard_key" {
  count = local.create_kms_key ? 1 : 0
  # checkov:skip=CKV_AWS_109:In a key policy, "*" is the key itself; the account statement delegates to IAM, as AWS's default key policy does.
  # checkov:skip=CKV_AWS_111:In a key policy, "*" is the key itself; the account statement delegates to IAM, as AWS's default key policy does.
  # checkov:skip=CKV_AWS_356:In a key policy, "*" is the key itself, not every resource.
  # AWS's default key policy: the account's IAM policies decide who administers and uses
  # the key (the functions' roles use it only through their own statements).
  statement {
    sid       = "AccountAdministersTheKeyThroughIam"
    actions   = ["kms:*"]
    resources = ["*"]
    principals {
      type        = "AWS"
      identifiers = ["arn:${local.partition}:iam::${local.account_id}:root"]
    }
  }

  statement {
    sid       = "AlarmsAndEventBridgeEncryptMessages"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
    resources = ["*"]
    principals {
      type        = "Service"
      identifiers = ["cloudwatch.amazonaws.com", "events.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }

  statement {
    sid       = "LogsEncryptTheGuardsLogGroups"
    actions   = ["kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey", "kms:GenerateDataKeyWithoutPlaintext", "kms:ReEncryptFrom", "kms:ReEncryptTo"]
    resources = ["*"]
    principals {
      type        = "Service"
      identifiers = ["logs.${local.region}.amazonaws.com"]
    }
    condition {
      test     = "ArnLike"
      variable = "kms:EncryptionContext:aws:logs:arn"
      values   = ["arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:/aws/lambda/${local.base_name}-*"]
    }
  }
}
