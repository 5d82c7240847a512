# Alarms on the guard's own metrics and on the guard itself, notified on ALARM and on OK so
# that PagerDuty opens and resolves one incident per alarm.
#
# Alarms about the guard (heartbeats, errors, throttles, dead letters) notify the alarm
# topic, which pages: no finding reports a guard that stopped. Alarms that count findings
# (missed backups, unprotected stores, violations, readiness) notify the alert topic by
# default, reaching email and chat but not PagerDuty's severity-filtered subscription: each
# finding already paged on its own, with its own dedup key, and a second incident for the
# same loss is noise (page_finding_alarms = true pages them too).

locals {
  alarm_actions         = [local.alarm_topic_arn]
  finding_alarm_actions = var.page_finding_alarms ? [local.alarm_topic_arn] : [local.alert_topic_arn]
  environment_dimension = {
    Environment = var.environment
  }
  # Errors and throttles of every function.
  function_health = merge([
    for function in keys(local.functions) : {
      "${function}-errors" = {
        function    = function
        metric      = "Errors"
        description = "${function} failed invocations (an alert not delivered, a ledger or AWS error). Lambda retries them; what still fails reaches the dead-letter queue."
      }
      "${function}-throttles" = {
        function    = function
        metric      = "Throttles"
        description = "${function} was throttled: its reserved concurrency is too low for the events arriving."
      }
    }
  ]...)
  # Findings that must never be non-zero, from backup-freshness's hourly sweep.
  sweep_alarms = {
    BackupsMissed        = "A data store's backup that should have happened did not (backup-freshness). The alert topic names each resource."
    ResourcesUnprotected = "A data store is in no backup plan (backup-freshness). The alert topic names each resource."
    # Written by readiness-audit once a Terraform state is known; its target is 0.
    DataStoresLostOnDestroy = "A terraform destroy of a stack in the state buckets would lose a data store now (readiness-audit). phoenix verify --pre-destroy --state names each one and why."
  }
}

resource "aws_cloudwatch_metric_alarm" "heartbeat" {
  for_each          = { for name, f in local.functions : name => f if f.scheduled }
  alarm_name        = "${local.base_name}-${each.key}-heartbeat"
  alarm_description = "Dead-man's switch: ${each.key} has not completed a run for ${var.heartbeat_missed_hours} hour(s). Nothing it watches is being checked. See its log group ${local.log_group_names[each.key]}."
  namespace         = var.metric_namespace
  metric_name       = "Heartbeat"
  dimensions = {
    Environment = var.environment
    Function    = each.key
  }
  statistic           = "Sum"
  period              = 3600
  evaluation_periods  = var.heartbeat_missed_hours
  datapoints_to_alarm = var.heartbeat_missed_hours
  comparison_operator = "LessThanThreshold"
  threshold           = 1
  treat_missing_data  = "breaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
  tags                = local.tags
}

resource "aws_cloudwatch_metric_alarm" "sweep" {
  for_each            = local.create ? local.sweep_alarms : {}
  alarm_name          = "${local.base_name}-${each.key}"
  alarm_description   = each.value
  namespace           = var.metric_namespace
  metric_name         = each.key
  dimensions          = local.environment_dimension
  statistic           = "Maximum"
  period              = 3600
  evaluation_periods  = 1
  comparison_operator = "GreaterThanThreshold"
  threshold           = 0
  # Written by every sweep, zero included; a sweep that stops is the heartbeat's alarm.
  treat_missing_data = "notBreaching"
  alarm_actions      = local.finding_alarm_actions
  ok_actions         = local.finding_alarm_actions
  tags               = local.tags
}

# ProtectionViolations carries a Check dimension; one alarm sums every check.
resource "aws_cloudwatch_metric_alarm" "protection_violations" {
  count               = local.create ? 1 : 0
  alarm_name          = "${local.base_name}-ProtectionViolations"
  alarm_description   = "Someone weakened destroy-protection (protection-guard): versioning suspended, deletion protection off, a vault, recovery point or key scheduled for deletion, CloudTrail stopped. The alert topic names the call and the caller."
  evaluation_periods  = 1
  comparison_operator = "GreaterThanThreshold"
  threshold           = 0
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.finding_alarm_actions
  ok_actions          = local.finding_alarm_actions
  tags                = local.tags

  metric_query {
    id          = "violations"
    label       = "ProtectionViolations (all checks)"
    expression  = "SELECT SUM(ProtectionViolations) FROM SCHEMA(\"${var.metric_namespace}\", Check, Environment) WHERE Environment = '${var.environment}'"
    period      = 300
    return_data = true
  }
}

resource "aws_cloudwatch_metric_alarm" "readiness" {
  count               = local.create ? 1 : 0
  alarm_name          = "${local.base_name}-PhoenixReadiness"
  alarm_description   = "Phoenix readiness of ${var.environment} is below ${var.readiness_threshold}/100 (readiness-audit). The report bucket's readiness/${var.environment}/latest.md lists what fails and how to fix it."
  namespace           = var.metric_namespace
  metric_name         = "PhoenixReadiness"
  dimensions          = local.environment_dimension
  statistic           = "Minimum"
  period              = 3600
  evaluation_periods  = 1
  comparison_operator = "LessThanThreshold"
  threshold           = var.readiness_threshold
  # No score means no audit, which the audit's heartbeat alarm reports.
  treat_missing_data = "ignore"
  alarm_actions      = local.finding_alarm_actions
  ok_actions         = local.finding_alarm_actions
  tags               = local.tags
}

resource "aws_cloudwatch_metric_alarm" "function_health" {
  for_each            = local.function_health
  alarm_name          = "${local.base_name}-${each.value.function}-${lower(each.value.metric)}"
  alarm_description   = each.value.description
  namespace           = "AWS/Lambda"
  metric_name         = each.value.metric
  dimensions          = { FunctionName = aws_lambda_function.function[each.value.function].function_name }
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  comparison_operator = "GreaterThanThreshold"
  threshold           = 0
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
  tags                = local.tags
}

resource "aws_cloudwatch_metric_alarm" "dead_letters" {
  count               = length(aws_sqs_queue.dead_letters)
  alarm_name          = "${local.base_name}-dead-letters"
  alarm_description   = "An event or invocation the guard could not handle after every retry is in ${aws_sqs_queue.dead_letters[0].name}: a finding may not have been paged."
  namespace           = "AWS/SQS"
  metric_name         = "ApproximateNumberOfMessagesVisible"
  dimensions          = { QueueName = aws_sqs_queue.dead_letters[0].name }
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

# A chat copy that could not be published is lost (its page went out, so a retry would stay
# quiet): the count pages instead.
resource "aws_cloudwatch_metric_alarm" "chat" {
  count               = length(aws_sns_topic.chat)
  alarm_name          = "${local.base_name}-chat-undelivered"
  alarm_description   = "A notification was paged but its chat copy could not be published to ${aws_sns_topic.chat[0].name}: the chat channel missed it. The functions' logs say why (\"chat notification not published\")."
  namespace           = var.metric_namespace
  metric_name         = "ChatPublishFailures"
  dimensions          = local.environment_dimension
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  comparison_operator = "GreaterThanThreshold"
  threshold           = 0
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
  tags                = local.tags
}
