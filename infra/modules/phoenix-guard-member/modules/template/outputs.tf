output "template_body" {
  description = "The member part as a CloudFormation template (JSON), for aws_cloudformation_stack_set."
  value       = jsonencode(local.template)
}
