# Phoenix Guard over an organization: the central module in the security tooling account,
# and the member part in every account and region it sweeps (here prod and staging, in two
# regions each, through the OrganizationAccountAccessRole of each account).
#
#   make package
#   cd infra/examples/organization
#   terraform init && terraform apply -var organization_id=o-exampleorgid \
#     -var prod_account_id=111111111111 -var staging_account_id=222222222222

provider "aws" {
  region = "eu-west-1"
}

module "phoenix_guard" {
  source = "../../modules/phoenix-guard"

  environment   = "org"
  artifacts_dir = var.artifacts_dir
  architecture  = var.architecture

  organization = {
    organization_id = var.organization_id
    accounts        = "organization"
    regions         = ["eu-west-1", "us-east-1"]
  }

  # The members' uploads and states, by name pattern (the central s3-deletion-guard judges a
  # member's bucket by these or by its phoenix:data / phoenix:terraform-state tag).
  data_bucket_names  = ["cochlearis-*-uploads"]
  state_bucket_names = ["cochlearis-*-tfstate"]

  # Every finding also in Security Hub, in the member account it is about (each member's
  # findings role imports it there; the organization's aggregation region sees them all).
  enable_security_hub = true

  alert_emails = var.alert_emails
}

locals {
  member = {
    central_event_bus_arn            = module.phoenix_guard.central_event_bus_arn
    central_reader_principal_arns    = module.phoenix_guard.reader_principal_arns
    central_validator_principal_arns = module.phoenix_guard.validator_principal_arns
    central_findings_principal_arns  = module.phoenix_guard.findings_principal_arns
    organization_id                  = var.organization_id
  }
}

# One provider per account and region (Terraform cannot loop over providers).
provider "aws" {
  alias  = "prod_eu_west_1"
  region = "eu-west-1"
  assume_role {
    role_arn = "arn:aws:iam::${var.prod_account_id}:role/OrganizationAccountAccessRole"
  }
}

provider "aws" {
  alias  = "prod_us_east_1"
  region = "us-east-1"
  assume_role {
    role_arn = "arn:aws:iam::${var.prod_account_id}:role/OrganizationAccountAccessRole"
  }
}

provider "aws" {
  alias  = "staging_eu_west_1"
  region = "eu-west-1"
  assume_role {
    role_arn = "arn:aws:iam::${var.staging_account_id}:role/OrganizationAccountAccessRole"
  }
}

provider "aws" {
  alias  = "staging_us_east_1"
  region = "us-east-1"
  assume_role {
    role_arn = "arn:aws:iam::${var.staging_account_id}:role/OrganizationAccountAccessRole"
  }
}

module "member_prod_eu_west_1" {
  source    = "../../modules/phoenix-guard-member"
  providers = { aws = aws.prod_eu_west_1 }

  central_event_bus_arn            = local.member.central_event_bus_arn
  central_reader_principal_arns    = local.member.central_reader_principal_arns
  central_validator_principal_arns = local.member.central_validator_principal_arns
  central_findings_principal_arns  = local.member.central_findings_principal_arns
  organization_id                  = local.member.organization_id
  data_bucket_names                = ["cochlearis-prod-zulip-uploads", "cochlearis-prod-bookstack-uploads"]
  state_bucket_names               = ["cochlearis-prod-tfstate"]
}

module "member_prod_us_east_1" {
  source    = "../../modules/phoenix-guard-member"
  providers = { aws = aws.prod_us_east_1 }

  central_event_bus_arn            = local.member.central_event_bus_arn
  central_reader_principal_arns    = local.member.central_reader_principal_arns
  central_validator_principal_arns = local.member.central_validator_principal_arns
  central_findings_principal_arns  = local.member.central_findings_principal_arns
  organization_id                  = local.member.organization_id
  # The account's reader role is made once, in eu-west-1.
  create_reader_role = false
}

module "member_staging_eu_west_1" {
  source    = "../../modules/phoenix-guard-member"
  providers = { aws = aws.staging_eu_west_1 }

  central_event_bus_arn            = local.member.central_event_bus_arn
  central_reader_principal_arns    = local.member.central_reader_principal_arns
  central_validator_principal_arns = local.member.central_validator_principal_arns
  central_findings_principal_arns  = local.member.central_findings_principal_arns
  organization_id                  = local.member.organization_id
}

module "member_staging_us_east_1" {
  source    = "../../modules/phoenix-guard-member"
  providers = { aws = aws.staging_us_east_1 }

  central_event_bus_arn            = local.member.central_event_bus_arn
  central_reader_principal_arns    = local.member.central_reader_principal_arns
  central_validator_principal_arns = local.member.central_validator_principal_arns
  central_findings_principal_arns  = local.member.central_findings_principal_arns
  organization_id                  = local.member.organization_id
  create_reader_role               = false
}
