output "reader_role_arn" {
  description = "The reader role the central functions assume (null where create_reader_role is false)."
  value       = one(aws_iam_role.reader[*].arn)
}

output "validator_role_arn" {
  description = "The restore validator role restore-validator assumes (null where it is not created)."
  value       = one(aws_iam_role.validator[*].arn)
}

output "findings_role_arn" {
  description = "The findings role security-hub assumes to import this account's findings (null where it is not created)."
  value       = one(aws_iam_role.findings[*].arn)
}

output "forwarding_rule_names" {
  description = "The rules that forward this region's events to the central bus, and the canary's."
  value       = concat([for r in aws_cloudwatch_event_rule.forward : r.name], aws_cloudwatch_event_rule.canary[*].name)
}
