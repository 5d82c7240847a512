# Phoenix Guard over an organization, its member part deployed by a service-managed
# CloudFormation StackSet: AWS Organizations deploys it to every account of the chosen OUs
# in every listed region, and to accounts that join later. Run from the management account
# (or a StackSets delegated administrator), after the central module exists (its outputs
# are read here from its state, or passed in).
#
#   cd infra/examples/organization-stacksets
#   terraform init && terraform apply -var organization_id=o-exampleorgid \
#     -var 'target_ou_ids=["ou-ab12-workloads"]' \
#     -var central_event_bus_arn=arn:aws:events:eu-west-1:123456789012:event-bus/phoenix-guard-org-central \
#     -var 'central_reader_principal_arns=["arn:aws:iam::123456789012:role/phoenix-guard-org-backup-freshness"]' \
#     -var 'central_validator_principal_arns=["arn:aws:iam::123456789012:role/phoenix-guard-org-restore-validator"]'

provider "aws" {
  region = "eu-west-1"
}

module "member_template" {
  source = "../../modules/phoenix-guard-member/modules/template"

  central_event_bus_arn            = var.central_event_bus_arn
  central_reader_principal_arns    = var.central_reader_principal_arns
  central_validator_principal_arns = var.central_validator_principal_arns
  central_findings_principal_arns  = var.central_findings_principal_arns
  organization_id                  = var.organization_id
  # The reader role is created by the stack instance in this region of each account.
  reader_region = "eu-west-1"
}

resource "aws_cloudformation_stack_set" "member" {
  name             = "phoenix-guard-member"
  description      = "Phoenix Guard's member part in every account and region of the organization's workloads"
  permission_model = "SERVICE_MANAGED"
  capabilities     = ["CAPABILITY_NAMED_IAM"]
  template_body    = module.member_template.template_body

  auto_deployment {
    enabled                          = true
    retain_stacks_on_account_removal = false
  }

  operation_preferences {
    region_concurrency_type      = "PARALLEL"
    max_concurrent_percentage    = 25
    failure_tolerance_percentage = 10
  }

  lifecycle {
    ignore_changes = [administration_role_arn]
  }
}

resource "aws_cloudformation_stack_set_instance" "member" {
  for_each       = toset(var.regions)
  stack_set_name = aws_cloudformation_stack_set.member.name
  region         = each.value

  deployment_targets {
    organizational_unit_ids = var.target_ou_ids
  }
}
