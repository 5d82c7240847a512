# One dashboard per environment: is it rebuildable, how old is each backup, what happened to
# the jobs, who weakened what, what was lost, and is the guard itself healthy.

locals {
  ns                     = var.metric_namespace
  env                    = var.environment
  dead_letter_queue_name = one(aws_sqs_queue.dead_letters[*].name)
  search = {
    hours_since_backup = "SEARCH('{${local.ns},Environment,ResourceId,ResourceType} MetricName=\"HoursSinceLastRecoveryPoint\" Environment=\"${local.env}\"', 'Maximum', 3600)"
    job_outcomes       = "SEARCH('{${local.ns},Environment,ResourceType,State} MetricName=\"BackupJobs\" Environment=\"${local.env}\"', 'Sum', 3600)"
    violations         = "SEARCH('{${local.ns},Check,Environment} MetricName=\"ProtectionViolations\" Environment=\"${local.env}\"', 'Sum', 300)"
    deletions          = "SEARCH('{${local.ns},Bucket,Environment} MetricName=\"ObjectsPermanentlyDeleted\" Environment=\"${local.env}\"', 'Sum', 300)"
    failing_checks     = "SEARCH('{${local.ns},Check,Environment} MetricName=\"ReadinessChecksFailing\" Environment=\"${local.env}\"', 'Maximum', 3600)"
  }
  function_metric = {
    for metric in ["Errors", "Throttles", "Duration"] : metric => [
      for name in keys(local.functions) : ["AWS/Lambda", metric, "FunctionName", local.function_names[name], { label = name }]
    ]
  }
  widgets = [
    { x = 0, y = 0, width = 6, height = 6, type = "metric", properties = { title = "Phoenix readiness (0-100)", view = "singleValue", region = local.region, stat = "Minimum", period = 3600, metrics = [[local.ns, "PhoenixReadiness", "Environment", local.env]] } },
    { x = 6, y = 0, width = 18, height = 6, type = "metric", properties = { title = "Readiness over time, and failing checks", view = "timeSeries", region = local.region, period = 3600, yAxis = { left = { min = 0, max = 100 } }, metrics = [[local.ns, "PhoenixReadiness", "Environment", local.env, { stat = "Minimum" }], [{ expression = local.search.failing_checks, id = "failing", yAxis = "right" }]] } },
    { x = 0, y = 6, width = 12, height = 6, type = "metric", properties = { title = "Hours since the last recovery point, per resource", view = "timeSeries", region = local.region, metrics = [[{ expression = local.search.hours_since_backup, id = "hours" }]] } },
    { x = 12, y = 6, width = 12, height = 6, type = "metric", properties = { title = "Backup job outcomes", view = "timeSeries", stacked = true, region = local.region, metrics = [[{ expression = local.search.job_outcomes, id = "jobs" }]] } },
    { x = 0, y = 12, width = 8, height = 6, type = "metric", properties = { title = "Missed backups, unprotected stores, stores a destroy would lose", view = "timeSeries", region = local.region, stat = "Maximum", period = 3600, metrics = [[local.ns, "BackupsMissed", "Environment", local.env], [local.ns, "ResourcesUnprotected", "Environment", local.env], [local.ns, "DataStoresLostOnDestroy", "Environment", local.env]] } },
    { x = 8, y = 12, width = 8, height = 6, type = "metric", properties = { title = "Protection violations, per check", view = "timeSeries", region = local.region, metrics = [[{ expression = local.search.violations, id = "violations" }]] } },
    { x = 16, y = 12, width = 8, height = 6, type = "metric", properties = { title = "Objects permanently deleted, per bucket", view = "timeSeries", region = local.region, metrics = [[{ expression = local.search.deletions, id = "deleted" }]] } },
    { x = 0, y = 18, width = 8, height = 6, type = "metric", properties = { title = "Function errors", view = "timeSeries", region = local.region, stat = "Sum", period = 300, metrics = local.function_metric["Errors"] } },
    { x = 8, y = 18, width = 8, height = 6, type = "metric", properties = { title = "Function throttles", view = "timeSeries", region = local.region, stat = "Sum", period = 300, metrics = local.function_metric["Throttles"] } },
    { x = 16, y = 18, width = 8, height = 6, type = "metric", properties = { title = "Function duration (p99)", view = "timeSeries", region = local.region, stat = "p99", period = 300, metrics = local.function_metric["Duration"] } },
    { x = 0, y = 24, width = 12, height = 6, type = "metric", properties = { title = "Heartbeats of the scheduled sweeps", view = "timeSeries", region = local.region, stat = "Sum", period = 3600, metrics = [for name, f in local.functions : [local.ns, "Heartbeat", "Environment", local.env, "Function", name] if f.scheduled] } },
    { x = 12, y = 24, width = 12, height = 6, type = "metric", properties = { title = "Dead letters", view = "timeSeries", region = local.region, stat = "Maximum", period = 300, metrics = [["AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", local.dead_letter_queue_name]] } },
  ]
}

resource "aws_cloudwatch_dashboard" "guard" {
  count          = local.create_dashboard ? 1 : 0
  dashboard_name = local.base_name
  dashboard_body = jsonencode({ widgets = local.widgets })
}
