# Phoenix Guard: the functions, what triggers them, where their findings go, and the alarms
# that watch the guard itself. What each function is, which events reach it and what its
# role may do come from ./modules/catalog, which tests/infra evaluates.

data "aws_partition" "current" {}
data "aws_region" "current" {}
data "aws_caller_identity" "current" {}

locals {
  partition = data.aws_partition.current.partition
  # `id` is the region's name under AWS provider 5 and 6 alike (6 deprecates `name` and
  # adds `region`, which 5 lacks).
  region     = data.aws_region.current.id
  account_id = data.aws_caller_identity.current.account_id
  # The guard's key, alert and alarm topics and report bucket: the module's own, or the
  # team's (kms_key_arn, alert_topic_arn, alarm_topic_arn, report_bucket_name).
  kms_key_arn     = coalesce(var.kms_key_arn, try(aws_kms_key.guard[0].arn, null))
  alert_topic_arn = coalesce(var.alert_topic_arn, try(aws_sns_topic.alerts[0].arn, null))
  alarm_topic_arn = coalesce(var.alarm_topic_arn, try(aws_sns_topic.alarms[0].arn, null))
  report_bucket   = coalesce(var.report_bucket_name, try(aws_s3_bucket.reports[0].id, null))
  # Every name starts with the prefix (which protection-guard watches) and the environment,
  # so that several environments share an account.
  base_name = "${var.name_prefix}-${var.environment}"
  tags      = merge({ "phoenix:component" = "phoenix-guard", "phoenix:environment" = var.environment }, var.tags)

  function_names = {
    for name in keys(module.catalog.functions) : name => "${local.base_name}-${name}"
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
    findings_table_arn    = aws_dynamodb_table.findings.arn
    alert_topic_arn       = local.alert_topic_arn
    guard_key_arn         = local.kms_key_arn
    dead_letter_queue_arn = aws_sqs_queue.dead_letters.arn
    report_bucket_name    = local.report_bucket
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
# Unless kms_key_arn brings the team's own.
resource "aws_kms_key" "guard" {
  count                   = var.kms_key_arn == null ? 1 : 0
  description             = "Phoenix Guard (${var.environment}): alerts, findings, reports, dead letters and logs"
  enable_key_rotation     = true
  deletion_window_in_days = var.key_deletion_window_days
  policy                  = data.aws_iam_policy_document.guard_key.json
  tags                    = local.tags
}

resource "aws_kms_alias" "guard" {
  count         = var.kms_key_arn == null ? 1 : 0
  name          = "alias/${local.base_name}"
  target_key_id = aws_kms_key.guard[0].key_id
}

data "aws_iam_policy_document" "guard_key" {
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
