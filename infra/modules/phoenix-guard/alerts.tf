# Where findings and alarms go. Functions publish findings to the alert topic (one message
# per transition, with severity attributes for filter policies). The alarms about the guard
# itself publish to the alarm topic, which pages unfiltered; the alarms that count findings
# publish to the alert topic, where PagerDuty's severity filter leaves them out (alarms.tf).

# Unless create_alert_topic / create_alarm_topic = false and alert_topic_arn /
# alarm_topic_arn bring the team's own (which must let CloudWatch
# alarms publish, and the guard's key be usable by SNS).
resource "aws_sns_topic" "alerts" {
  count             = local.create_alert_topic ? 1 : 0
  name              = "${local.base_name}-alerts"
  display_name      = "Phoenix Guard ${var.environment}"
  kms_master_key_id = local.kms_key_arn
  tags              = local.tags
}

# Amazon Q Developer in chat applications reads this topic: each notification as a custom
# notification, threaded by its dedup key. Connect it to a Slack or Teams channel
# configuration (its chat_topic_arn output); subscriptions stay Standard SNS.
resource "aws_sns_topic" "chat" {
  count             = local.create_chat ? 1 : 0
  name              = "${local.base_name}-chat"
  display_name      = "Phoenix Guard ${var.environment} chat"
  kms_master_key_id = local.kms_key_arn
  tags              = local.tags
}

resource "aws_sns_topic" "alarms" {
  count             = local.create_alarm_topic ? 1 : 0
  name              = "${local.base_name}-alarms"
  display_name      = "Phoenix Guard ${var.environment} alarms"
  kms_master_key_id = local.kms_key_arn
  tags              = local.tags
}

# Both topics take CloudWatch alarms (alarms.tf says which goes where); the functions
# publish to the alert topic through their roles.
data "aws_iam_policy_document" "topic" {
  for_each = local.own_topics
  statement {
    sid       = "CloudWatchAlarmsPublish"
    actions   = ["sns:Publish"]
    resources = [each.value]
    principals {
      type        = "Service"
      identifiers = ["cloudwatch.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
}

resource "aws_sns_topic_policy" "topic" {
  for_each = local.own_topics
  arn      = each.value
  policy   = data.aws_iam_policy_document.topic[each.key].json
}

locals {
  topics = {
    alerts = local.alert_topic_arn
    alarms = local.alarm_topic_arn
  }
  # The topics the module created, whose policies it writes.
  own_topics = merge(
    { for t in aws_sns_topic.alerts : "alerts" => t.arn },
    { for t in aws_sns_topic.alarms : "alarms" => t.arn },
  )
  email_subscriptions = {
    for pair in setproduct(keys(local.topics), local.create ? var.alert_emails : []) : "${pair[0]}-${pair[1]}" => {
      topic = pair[0]
      email = pair[1]
    }
  }
}

# PagerDuty's Amazon CloudWatch integration reads the alarm-shaped `https` message the
# functions render (AlarmName = the dedup key), and CloudWatch's own alarm messages.
resource "aws_sns_topic_subscription" "pagerduty" {
  # Only whether an endpoint is set is used for for_each; the URL itself stays sensitive.
  for_each               = !local.create || nonsensitive(var.pagerduty_endpoint == null) ? {} : local.topics
  topic_arn              = each.value
  protocol               = "https"
  endpoint               = var.pagerduty_endpoint
  endpoint_auto_confirms = true
  raw_message_delivery   = false
  filter_policy          = each.key == "alerts" ? jsonencode({ severity = var.pagerduty_severities }) : null
}

resource "aws_sns_topic_subscription" "email" {
  for_each  = local.email_subscriptions
  topic_arn = local.topics[each.value.topic]
  protocol  = "email"
  endpoint  = each.value.email
}

# Security Hub (enable_security_hub): the security-hub function takes every message of the
# alert topic. The page never waits on it; what it cannot import is retried by Lambda and
# then lands in the dead-letter queue, whose alarm pages.
resource "aws_sns_topic_subscription" "security_hub" {
  count     = local.create_security_hub ? 1 : 0
  topic_arn = local.alert_topic_arn
  protocol  = "lambda"
  endpoint  = aws_lambda_function.function["security-hub"].arn
}

resource "aws_lambda_permission" "security_hub" {
  count         = local.create_security_hub ? 1 : 0
  statement_id  = "AlertTopicInvokes"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.function["security-hub"].function_name
  principal     = "sns.amazonaws.com"
  source_arn    = local.alert_topic_arn
}
