output "reader_role_arn" {
  description = "The reader role the central functions assume (null where create_reader_role is false)."
  value       = var.create_reader_role ? aws_iam_role.reader[0].arn : null
}

output "validator_role_arn" {
  description = "The restore validator role restore-validator assumes (null where it is not created)."
  value       = local.create_validator_role ? aws_iam_role.validator[0].arn : null
}

output "findings_role_arn" {
  description = "The findings role security-hub assumes to import this account's findings (null where it is not created)."
  value       = local.create_findings_role ? aws_iam_role.findings[0].arn : null
}

output "forwarding_rule_names" {
  description = "The rules that forward this region's events to the central bus, and the canary's."
  value       = concat([for r in aws_cloudwatch_event_rule.forward : r.name], [aws_cloudwatch_event_rule.canary.name])
}
