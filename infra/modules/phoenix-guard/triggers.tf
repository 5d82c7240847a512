# What invokes each function: schedules for the sweeps, and EventBridge rules whose patterns
# are the ones the functions print themselves (modules/catalog/rules).

locals {
  schedules = {
    "backup-freshness" = var.backup_freshness_schedule
    "readiness-audit"  = var.readiness_audit_schedule
    # Event-driven, plus a schedule of its own: it tells each burst of deletions that went
    # quiet its final count.
    "s3-deletion-guard" = var.deletion_burst_schedule
  }
  # Schedule rules and pattern rules, by rule name suffix.
  rules = merge(
    {
      for function, expression in local.schedules : "${function}-schedule" => {
        function            = function
        schedule_expression = expression
        event_pattern       = null
        description         = "Runs ${function} (${expression})"
      }
    },
    {
      for name, r in module.catalog.event_rules : name => {
        function            = r.function
        schedule_expression = null
        event_pattern       = r.pattern
        description         = "Routes to ${r.function} the events it handles (${r.rule}), as the function prints them"
      }
    },
  )
}

resource "aws_cloudwatch_event_rule" "function" {
  for_each            = local.rules
  name                = "${local.base_name}-${each.key}"
  description         = each.value.description
  schedule_expression = each.value.schedule_expression
  event_pattern       = each.value.event_pattern
  state               = "ENABLED"
  tags                = local.tags
}

resource "aws_cloudwatch_event_target" "function" {
  for_each  = local.rules
  rule      = aws_cloudwatch_event_rule.function[each.key].name
  target_id = each.value.function
  arn       = aws_lambda_function.function[each.value.function].arn

  retry_policy {
    maximum_event_age_in_seconds = 86400
    maximum_retry_attempts       = 185
  }

  dead_letter_config {
    arn = aws_sqs_queue.dead_letters.arn
  }
}

resource "aws_lambda_permission" "events" {
  for_each      = local.rules
  statement_id  = "events-${each.key}"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.function[each.value.function].function_name
  principal     = "events.amazonaws.com"
  source_arn    = aws_cloudwatch_event_rule.function[each.key].arn
}

# S3 delivers a bucket's object events to EventBridge only when asked to. This resource owns
# the bucket's whole notification configuration (see manage_bucket_notifications).
resource "aws_s3_bucket_notification" "eventbridge" {
  for_each    = var.manage_bucket_notifications ? module.catalog.eventbridge_buckets : toset([])
  bucket      = each.value
  eventbridge = true
}
