# Phoenix Guard next to the seeds' dev environment (Zulip on EFS, BookStack and Zulip upload
# buckets, Zitadel's RDS and master key, Terraform state in S3).
#
#   make package                      # target/lambda/<function>/bootstrap.zip and its architecture
#   cd infra/examples/complete
#   terraform init && terraform apply -var 'alert_emails=["platform@example.com"]'

provider "aws" {
  region = var.region

  default_tags {
    tags = {
      project     = "cochlearis"
      environment = "dev"
    }
  }
}

module "phoenix_guard" {
  source = "../../modules/phoenix-guard"

  environment   = "dev"
  artifacts_dir = var.artifacts_dir
  # What `make package` built (target/lambda/<function>/architecture); the module refuses
  # a mismatch at plan time.
  architecture = var.architecture

  # Zulip's and BookStack's uploads must survive; the state bucket is watched for data
  # stores a Terraform run destroyed and keys it regenerated.
  data_bucket_names  = ["cochlearis-dev-zulip-uploads", "cochlearis-dev-bookstack-uploads"]
  state_bucket_names = ["cochlearis-dev-tfstate"]

  # Zitadel cannot decrypt its database without this key.
  encryption_key_secrets = ["cochlearis-dev-zitadel-master-key"]

  # Zulip's data lives on EFS: a missed EFS backup is critical.
  required_resource_types = ["EFS", "RDS", "Aurora", "DynamoDB"]

  pagerduty_endpoint   = var.pagerduty_endpoint
  pagerduty_severities = ["critical", "error"]
  alert_emails         = var.alert_emails

  # Every notification in the team's Slack channel too (connect chat_topic_arn to an
  # Amazon Q Developer channel configuration), each page linking the runbook's section.
  enable_chat = true
  runbook_url = "https://wiki.example.com/platform/phoenix-guard-runbook"

  readiness_threshold = 90

  # "Tested monthly": on the 1st at 05:00 UTC AWS Backup restores the newest backup of
  # each required data store; restore-validator proves each restore whole and on time.
  restore_testing = {
    enabled = true
  }

  settings = {
    PHOENIX_REMIND_AFTER_HOURS        = "24"
    PHOENIX_MIN_BACKUP_RETENTION_DAYS = "7"
  }

  functions = {
    "backup-freshness" = { timeout = 600 }
  }

  tags = {
    owner = "platform"
  }
}

# Staging, not watched yet: with create = false the module creates and reads nothing, so
# watching it later is one variable (-var watch_staging=true), not a new module block.
module "phoenix_guard_staging" {
  source = "../../modules/phoenix-guard"

  create        = var.watch_staging
  environment   = "staging"
  artifacts_dir = var.artifacts_dir
  architecture  = var.architecture

  data_bucket_names  = ["cochlearis-staging-zulip-uploads", "cochlearis-staging-bookstack-uploads"]
  state_bucket_names = ["cochlearis-staging-tfstate"]
  alert_emails       = var.alert_emails
}

output "alert_topic_arn" {
  description = "Subscribe chat or ticketing here."
  value       = module.phoenix_guard.alert_topic_arn
}

output "report_bucket" {
  description = "readiness/dev/latest.md is the current readiness report."
  value       = module.phoenix_guard.report_bucket
}

output "dashboard_name" {
  description = "The CloudWatch dashboard."
  value       = module.phoenix_guard.dashboard_name
}

output "first_run_commands" {
  description = "Run the scheduled functions once, so that their heartbeat alarms settle."
  value       = module.phoenix_guard.first_run_commands
}
