# The member part as a CloudFormation template (JSON), for a service-managed StackSet that
# AWS Organizations deploys to every account and region of the chosen OUs, including
# accounts created later. It is the Terraform member module's twin: the same patterns and
# the same reader, validator and findings policies, all from the central module's catalog.
# Pure (no provider), so tests/infra evaluates it.

terraform {
  required_version = ">= 1.5.0"
}

module "catalog" {
  source = "../../../phoenix-guard/modules/catalog"

  partition = var.partition
  # A StackSet instance runs in each account and region: the reader reads its own account
  # (IAM is per account; another account's resources answer only to their own policies).
  region           = "*"
  account_id       = "*"
  metric_namespace = "PhoenixGuard"
  resources = {
    findings_table_arn    = "-"
    alert_topic_arn       = "-"
    guard_key_arn         = "-"
    dead_letter_queue_arn = "-"
    report_bucket_name    = "-"
    log_group_arns        = {}
  }
  data_bucket_names         = var.data_bucket_names
  state_bucket_names        = var.state_bucket_names
  state_bucket_kms_key_arns = []
  enable_xray               = false
}

locals {
  # As the Terraform member module: every pattern a central function handles.
  forwarded = module.catalog.event_rules
  # The roles the central functions assume, in the reader region, as the Terraform member
  # module's: the reader always, the validator and findings roles when they have principals.
  roles = {
    ReaderRole = {
      name        = var.reader_role_name
      description = "Phoenix Guard member: what the central sweeps read in this account, and nothing that writes"
      principals  = var.central_reader_principal_arns
      policy_name = "reads"
      policy      = module.catalog.reader_policy
    }
    ValidatorRole = {
      name        = var.validator_role_name
      description = "Phoenix Guard member: reads a restore test's restored resource and reports the validation result to AWS Backup"
      principals  = var.central_validator_principal_arns
      policy_name = "validate-restores"
      policy      = module.catalog.validator_policy
    }
    FindingsRole = {
      name        = var.findings_role_name
      description = "Phoenix Guard member: imports this account's Phoenix Guard findings into its Security Hub"
      principals  = var.central_findings_principal_arns
      policy_name = "import-findings"
      policy      = module.catalog.findings_policy
    }
  }
  # CloudFormation logical ids: letters and digits.
  logical = { for name, _ in local.forwarded : name => join("", [for w in split("-", name) : title(w)]) }

  forward_target = {
    Arn     = var.central_event_bus_arn
    Id      = "central"
    RoleArn = { "Fn::GetAtt" = ["ForwardRole", "Arn"] }
  }

  template = {
    AWSTemplateFormatVersion = "2010-09-09"
    Description              = "Phoenix Guard member part: forwards this region's events and canary to the central bus; the read-only reader role in the reader region"
    Conditions = {
      ReaderRegion = { "Fn::Equals" = [{ Ref = "AWS::Region" }, var.reader_region] }
    }
    Resources = merge(
      {
        ForwardRole = {
          Type = "AWS::IAM::Role"
          Properties = {
            Description        = "Phoenix Guard member: forwards this region's events and canary to the central bus"
            MaxSessionDuration = 3600
            AssumeRolePolicyDocument = {
              Version = "2012-10-17"
              Statement = [{
                Effect    = "Allow"
                Principal = { Service = "events.amazonaws.com" }
                Action    = "sts:AssumeRole"
                Condition = { StringEquals = { "aws:SourceAccount" = { Ref = "AWS::AccountId" } } }
              }]
            }
            Policies = [{
              PolicyName = "forward"
              PolicyDocument = {
                Version   = "2012-10-17"
                Statement = [{ Sid = "ForwardToTheCentralBus", Effect = "Allow", Action = "events:PutEvents", Resource = var.central_event_bus_arn }]
              }
            }]
          }
        }
        Canary = {
          Type = "AWS::Events::Rule"
          Properties = {
            Name               = "${var.name_prefix}-member-canary"
            Description        = "Tells the central Phoenix Guard every ${var.canary_minutes} minute(s) that this region's events reach it"
            ScheduleExpression = var.canary_minutes == 1 ? "rate(1 minute)" : "rate(${var.canary_minutes} minutes)"
            State              = "ENABLED"
            Targets            = [local.forward_target]
          }
        }
      },
      {
        for id, role in local.roles : id => {
          Type      = "AWS::IAM::Role"
          Condition = "ReaderRegion"
          Properties = {
            RoleName           = role.name
            Description        = role.description
            MaxSessionDuration = 3600
            AssumeRolePolicyDocument = {
              Version = "2012-10-17"
              Statement = [{
                Effect    = "Allow"
                Principal = { AWS = role.principals }
                Action    = "sts:AssumeRole"
                Condition = { StringEquals = { "aws:PrincipalOrgID" = var.organization_id } }
              }]
            }
            Policies = [{ PolicyName = role.policy_name, PolicyDocument = jsondecode(role.policy) }]
          }
        } if id == "ReaderRole" || length(role.principals) > 0
      },
      {
        for name, r in local.forwarded : "Forward${local.logical[name]}" => {
          Type = "AWS::Events::Rule"
          Properties = {
            Name         = "${var.name_prefix}-${name}"
            Description  = "Forwards to the central Phoenix Guard the events ${r.function} handles (${r.rule})"
            EventPattern = jsondecode(r.pattern)
            State        = "ENABLED"
            Targets      = [local.forward_target]
          }
        }
      },
    )
  }
}
