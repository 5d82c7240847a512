# Organization mode (var.organization): the central bus the member parts
# (../phoenix-guard-member) forward their events and canaries to, the dispatcher's queues
# and the sweeps that consume them. Off (null), the guard watches its own account and region.

locals {
  org             = local.create ? var.organization : null
  sweep_functions = local.org == null ? toset([]) : toset(["backup-freshness", "readiness-audit"])
  # The functions that read a member account through its reader role: the sweeps, and the
  # two that act on a member's forwarded events in that member's account.
  member_readers = local.org == null ? [] : concat(sort(tolist(local.sweep_functions)), ["protection-guard", "s3-deletion-guard"])
  # The organization's settings, for the sweeps and the dispatcher (README: Configuration).
  organization_environment = local.org == null ? {} : {
    PHOENIX_TARGET_ACCOUNTS = local.org.accounts
    PHOENIX_TARGET_REGIONS  = join(",", local.org.regions)
    PHOENIX_READER_ROLE     = local.org.reader_role_name
    PHOENIX_VALIDATOR_ROLE  = local.org.validator_role_name
    PHOENIX_FINDINGS_ROLE   = var.enable_security_hub ? local.org.findings_role_name : ""
    PHOENIX_CANARY_MINUTES  = tostring(local.org.canary_minutes)
    PHOENIX_SWEEP_QUEUES    = join(",", [for f in sort(tolist(local.sweep_functions)) : "${f}=${aws_sqs_queue.targets[f].url}"])
  }
}

resource "aws_cloudwatch_event_bus" "central" {
  count = local.org == null ? 0 : 1
  name  = "${local.base_name}-central"
  tags  = local.tags
}

data "aws_iam_policy_document" "central_bus" {
  count = local.org == null ? 0 : 1
  statement {
    sid       = "MembersForward"
    actions   = ["events:PutEvents"]
    resources = [aws_cloudwatch_event_bus.central[0].arn]
    principals {
      type        = "AWS"
      identifiers = ["*"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:PrincipalOrgID"
      values   = [local.org.organization_id]
    }
  }
}

resource "aws_cloudwatch_event_bus_policy" "central" {
  count          = local.org == null ? 0 : 1
  event_bus_name = aws_cloudwatch_event_bus.central[0].name
  policy         = data.aws_iam_policy_document.central_bus[0].json
}

# One message per (account, region) target; a target that fails three times in a row is
# kept here, and pages.
resource "aws_sqs_queue" "targets_dead" {
  for_each                          = local.sweep_functions
  name                              = "${local.base_name}-${each.key}-targets-dead"
  message_retention_seconds         = 1209600
  kms_master_key_id                 = local.kms_key_arn
  kms_data_key_reuse_period_seconds = 300
  tags                              = local.tags
}

resource "aws_sqs_queue" "targets" {
  for_each = local.sweep_functions
  name     = "${local.base_name}-${each.key}-targets"
  # Lambda's advice for an SQS event source: six times the function's timeout.
  visibility_timeout_seconds        = 6 * local.functions[each.key].timeout
  message_retention_seconds         = 86400
  kms_master_key_id                 = local.kms_key_arn
  kms_data_key_reuse_period_seconds = 300
  redrive_policy = jsonencode({
    deadLetterTargetArn = aws_sqs_queue.targets_dead[each.key].arn
    maxReceiveCount     = 3
  })
  tags = local.tags
}

resource "aws_lambda_event_source_mapping" "targets" {
  for_each                = local.sweep_functions
  event_source_arn        = aws_sqs_queue.targets[each.key].arn
  function_name           = aws_lambda_function.function[each.key].arn
  batch_size              = local.org.sweep_batch_size
  function_response_types = ["ReportBatchItemFailures"]

  scaling_config {
    maximum_concurrency = local.org.sweep_concurrency
  }
}

resource "aws_cloudwatch_metric_alarm" "targets_dead" {
  for_each            = local.sweep_functions
  alarm_name          = "${local.base_name}-${each.key}-targets-failing"
  alarm_description   = "A target of ${each.key} failed three sweeps in a row and was set aside in ${aws_sqs_queue.targets_dead[each.key].name}: that account and region is not being checked. Its log group ${local.log_group_names[each.key]} says why; redrive the queue once fixed."
  namespace           = "AWS/SQS"
  metric_name         = "ApproximateNumberOfMessagesVisible"
  dimensions          = { QueueName = aws_sqs_queue.targets_dead[each.key].name }
  statistic           = "Maximum"
  period              = 300
  evaluation_periods  = 1
  comparison_operator = "GreaterThanThreshold"
  threshold           = 0
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
  tags                = local.tags
}
