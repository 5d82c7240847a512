output "function_arns" {
  description = "ARN of each function, by function name."
  value       = { for name, f in aws_lambda_function.function : name => f.arn }
}

output "role_arns" {
  description = "ARN of each function's role, by function name."
  value       = { for name, r in aws_iam_role.function : name => r.arn }
}

output "alert_topic_arn" {
  description = "SNS topic the functions publish findings to (subscribe chat or ticketing here; filter on the severity attribute)."
  value       = local.alert_topic_arn
}

output "alarm_topic_arn" {
  description = "SNS topic the guard's CloudWatch alarms notify."
  value       = local.alarm_topic_arn
}

output "findings_table_name" {
  description = "DynamoDB table of open findings and their dedup keys."
  value       = one(aws_dynamodb_table.findings[*].name)
}

output "report_bucket" {
  description = "Bucket holding readiness/<environment>/latest.json, latest.md, latest.html, history.json and the history of reports."
  value       = local.report_bucket
}

output "kms_key_arn" {
  description = "The guard's KMS key (alerts, findings, reports, dead letters, logs)."
  value       = local.kms_key_arn
}

output "dead_letter_queue_url" {
  description = "SQS queue of invocations and events that failed every retry."
  value       = one(aws_sqs_queue.dead_letters[*].id)
}

output "dashboard_name" {
  description = "CloudWatch dashboard of the environment's readiness and the guard's health (null unless create_dashboard)."
  value       = one(aws_cloudwatch_dashboard.guard[*].dashboard_name)
}

output "event_rule_names" {
  description = "EventBridge rules (schedules and event patterns), by rule key."
  value       = { for k, r in aws_cloudwatch_event_rule.function : k => r.name }
}

output "first_run_commands" {
  description = "Run each scheduled function once after the first apply: until its first Heartbeat its dead-man's-switch alarm counts the silence as breaching."
  value = [
    for name, f in local.functions : "aws lambda invoke --invocation-type Event --function-name ${local.function_names[name]} --payload '{}' --cli-binary-format raw-in-base64-out /dev/null" if f.scheduled
  ]
}

output "restore_testing_plan_arn" {
  description = "ARN of the restore testing plan (null unless restore_testing.enabled)."
  value       = one(aws_backup_restore_testing_plan.this[*].arn)
}

output "chat_topic_arn" {
  description = "The chat topic for an Amazon Q Developer in chat applications channel configuration (null unless enable_chat)."
  value       = one(aws_sns_topic.chat[*].arn)
}

output "central_event_bus_arn" {
  description = "Organization mode: the bus every phoenix-guard-member forwards to (its central_event_bus_arn); null otherwise."
  value       = local.org == null ? null : aws_cloudwatch_event_bus.central[0].arn
}

output "reader_principal_arns" {
  description = "Organization mode: the roles each member's reader role must trust (the member module's central_reader_principal_arns); empty otherwise."
  value       = [for f in local.member_readers : aws_iam_role.function[f].arn]
}

output "validator_principal_arns" {
  description = "Organization mode: the role each member's restore validator role must trust (the member module's central_validator_principal_arns); empty otherwise."
  value       = local.org == null ? [] : [aws_iam_role.function["restore-validator"].arn]
}

output "findings_principal_arns" {
  description = "Organization mode with enable_security_hub: the role each member's findings role must trust (the member module's central_findings_principal_arns); empty otherwise."
  value       = local.org == null || !var.enable_security_hub ? [] : [aws_iam_role.function["security-hub"].arn]
}

output "sweep_queue_urls" {
  description = "Organization mode: the queue of (account, region) targets each sweep consumes."
  value       = { for f in local.sweep_functions : f => aws_sqs_queue.targets[f].url }
}
