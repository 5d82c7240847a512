# What invokes each function: schedules for the sweeps, and EventBridge rules whose patterns
# are the ones the functions print themselves (modules/catalog/rules).

locals {
  # The sweeps' schedules: in an organization the dispatcher receives them and queues one
  # message per target ({"sweep": <function>, "time": <the schedule's time>}).
  sweep_schedules = {
    "backup-freshness" = var.backup_freshness_schedule
    "readiness-audit"  = var.readiness_audit_schedule
  }
  schedules = merge(
    {
      for sweep, expression in local.sweep_schedules : "${sweep}-schedule" => {
        function   = local.org == null ? sweep : "sweep-dispatcher"
        sweep      = local.org == null ? null : sweep
        expression = expression
      }
    },
    {
      # Event-driven, plus a schedule of its own: it tells each burst of deletions that went
      # quiet its final count.
      "s3-deletion-guard-schedule" = { function = "s3-deletion-guard", sweep = null, expression = var.deletion_burst_schedule }
    },
  )
  # Pattern rules on the default bus, and in an organization on the central bus too (the
  # members' events arrive there, already chosen by each member's rules: no bucket names).
  buses = local.org == null ? { "" = null } : { "" = null, "central-" = aws_cloudwatch_event_bus.central[0].name }
  # Schedule rules and pattern rules, by rule name suffix.
  rules = !local.create ? {} : merge(
    {
      for name, s in local.schedules : name => {
        function            = s.function
        sweep               = s.sweep
        bus                 = null
        schedule_expression = s.expression
        event_pattern       = null
        description         = s.sweep == null ? "Runs ${s.function} (${s.expression})" : "Dispatches ${s.sweep} to every target of the organization (${s.expression})"
      }
    },
    merge([
      for prefix, bus in local.buses : {
        for name, r in(prefix == "" ? module.catalog.event_rules : module.catalog.central_event_rules) : "${prefix}${name}" => {
          function            = r.function
          sweep               = null
          bus                 = bus
          schedule_expression = null
          event_pattern       = r.pattern
          description         = "Routes to ${r.function} the events it handles (${r.rule}), as the function prints them"
        }
      }
    ]...),
  )
}

resource "aws_cloudwatch_event_rule" "function" {
  for_each            = local.rules
  name                = "${local.base_name}-${each.key}"
  event_bus_name      = each.value.bus
  description         = each.value.description
  schedule_expression = each.value.schedule_expression
  event_pattern       = each.value.event_pattern
  state               = "ENABLED"
  tags                = local.tags
}

resource "aws_cloudwatch_event_target" "function" {
  for_each       = local.rules
  rule           = aws_cloudwatch_event_rule.function[each.key].name
  event_bus_name = each.value.bus
  target_id      = each.value.function
  arn            = aws_lambda_function.function[each.value.function].arn

  dynamic "input_transformer" {
    for_each = each.value.sweep == null ? [] : [each.value.sweep]
    content {
      input_paths    = { time = "$.time" }
      input_template = "{\"sweep\": \"${input_transformer.value}\", \"time\": <time>}"
    }
  }

  retry_policy {
    maximum_event_age_in_seconds = 86400
    maximum_retry_attempts       = 185
  }

  dead_letter_config {
    arn = aws_sqs_queue.dead_letters[0].arn
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
  for_each    = local.create && var.manage_bucket_notifications ? module.catalog.eventbridge_buckets : toset([])
  bucket      = each.value
  eventbridge = true
}
