output "functions" {
  description = "The functions, by crate name, with their default sizing and whether they are scheduled."
  value       = local.functions
}

output "event_rules" {
  description = "EventBridge pattern rules by name: the function each routes to and its pattern (JSON)."
  value       = local.event_rules
}

output "eventbridge_buckets" {
  description = "Buckets (exact names) whose S3 events must be delivered to EventBridge."
  value       = local.eventbridge_buckets
}

output "policies" {
  description = "Each function's IAM policy document (JSON)."
  value       = local.policies
}

output "restore_testing" {
  description = "The restore testing plan and its selections by resource type (null when restore testing is off); `untestable` lists required types restore testing cannot test."
  value       = local.restore_testing
}

output "reader_policy" {
  description = "The reader role's IAM policy (JSON): what the central functions read in a member account, and nothing that writes."
  value       = local.reader_policy
}

output "validator_policy" {
  description = "The restore validator role's IAM policy (JSON): what restore-validator reads of a member's restore test, and the verdict it reports there."
  value       = local.validator_policy
}

output "central_event_rules" {
  description = "The pattern rules of the central bus in organization mode: event_rules with no bucket names (each member's own rules chose its buckets)."
  value       = local.central_event_rules
}

output "findings_policy" {
  description = "The findings role's policy in a member account: Security Hub imports and updates of that account's own findings, under its default product (evaluated by the member module with the member's account id)."
  value       = local.findings_policy
}
