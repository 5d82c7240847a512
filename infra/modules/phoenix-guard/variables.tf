variable "create" {
  description = "Create the guard at all. false: the module creates and reads nothing (not even the caller's identity), and its outputs are null or empty, for an environment or region switched off in the same configuration."
  type        = bool
  default     = true
}

variable "create_kms_key" {
  description = "Create the guard's KMS key. false: kms_key_arn names the team's own key (a flag, not kms_key_arn being null, decides, so that a key created in the same configuration works on the first plan)."
  type        = bool
  default     = true
}

variable "create_alert_topic" {
  description = "Create the alert topic the functions publish findings to. false: alert_topic_arn names the team's own."
  type        = bool
  default     = true
}

variable "create_alarm_topic" {
  description = "Create the alarm topic the guard's alarms notify. false: alarm_topic_arn names the team's own."
  type        = bool
  default     = true
}

variable "create_report_bucket" {
  description = "Create the report bucket. false: report_bucket_name names the team's own."
  type        = bool
  default     = true
}

variable "create_dashboard" {
  description = "Create the environment's CloudWatch dashboard (AWS bills dashboards beyond the account's first three)."
  type        = bool
  default     = true
}

variable "environment" {
  description = "Name of the environment the guard watches (dev, prod, ...): the Environment dimension of every metric and the environment named in every alert."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9-]{0,27}$", var.environment))
    error_message = "environment must be 1 to 28 lowercase letters, digits or '-' (it is part of bucket, queue and function names)."
  }
}

variable "name_prefix" {
  description = "Prefix of every name the module creates. protection-guard pages critical when a rule or function with this prefix is disabled or deleted."
  type        = string
  default     = "phoenix-guard"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,19}$", var.name_prefix))
    error_message = "name_prefix must start with a lowercase letter and have at most 20 lowercase letters, digits or '-'."
  }
}

variable "artifacts_dir" {
  description = "Directory holding each function's release package as <function>/bootstrap.zip: what `make package` writes to target/lambda/."
  type        = string
}

variable "architecture" {
  description = "Instruction set of the functions; must match the target the packages were built for (`make package` builds arm64)."
  type        = string
  default     = "arm64"

  validation {
    condition     = contains(["arm64", "x86_64"], var.architecture)
    error_message = "architecture must be arm64 or x86_64."
  }
}

variable "functions" {
  description = "Per-function overrides of memory (MB), timeout (seconds) and reserved concurrency, by function name."
  type = map(object({
    memory_size          = optional(number)
    timeout              = optional(number)
    reserved_concurrency = optional(number)
  }))
  default = {}

  validation {
    condition = alltrue([
      for name in keys(var.functions) : contains(["backup-events", "backup-freshness", "protection-guard", "s3-deletion-guard", "restore-validator", "readiness-audit", "sweep-dispatcher", "security-hub"], name)
    ])
    error_message = "functions may only name backup-events, backup-freshness, protection-guard, s3-deletion-guard, restore-validator, readiness-audit, sweep-dispatcher or security-hub."
  }

  validation {
    condition = alltrue([
      for f in values(var.functions) : (f.memory_size == null || (f.memory_size >= 128 && f.memory_size <= 10240)) && (f.timeout == null || (f.timeout >= 3 && f.timeout <= 900)) && (f.reserved_concurrency == null || f.reserved_concurrency >= 1)
    ])
    error_message = "memory_size must be 128 to 10240 MB, timeout 3 to 900 seconds, and reserved_concurrency at least 1."
  }
}

variable "reserve_concurrency" {
  description = "Reserve each function's concurrency (42 in all by default), so that a busy account cannot starve the guard and a burst of events cannot starve the account. Accounts whose concurrency quota is still AWS's initial 10 cannot reserve any: set false there."
  type        = bool
  default     = true
}

variable "data_bucket_names" {
  description = "Buckets whose data must survive (names or * patterns): permanent deletions page, and their versioning and lifecycle are audited. Exact names get S3-to-EventBridge delivery switched on."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for b in var.data_bucket_names : can(regex("^[a-z0-9*][a-z0-9.*-]{0,62}$", b))])
    error_message = "data_bucket_names must be S3 bucket names, optionally with * wildcards."
  }
}

variable "state_bucket_names" {
  description = "Buckets holding Terraform state (names or * patterns): each new .tfstate version is compared with the previous one."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for b in var.state_bucket_names : can(regex("^[a-z0-9*][a-z0-9.*-]{0,62}$", b))])
    error_message = "state_bucket_names must be S3 bucket names, optionally with * wildcards."
  }
}

variable "state_bucket_kms_key_arns" {
  description = "KMS keys that encrypt objects in the state buckets (s3-deletion-guard decrypts state versions to compare them). Empty when they use SSE-S3."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for k in var.state_bucket_kms_key_arns : can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/", k))])
    error_message = "state_bucket_kms_key_arns must be KMS key ARNs (arn:aws:kms:<region>:<account>:key/<id>)."
  }
}

variable "manage_bucket_notifications" {
  description = "Switch on S3-to-EventBridge delivery for the exact data and state bucket names. The module then owns each bucket's notification configuration; turn it off when another configuration manages them, and enable EventBridge delivery there."
  type        = bool
  default     = true
}

variable "encryption_key_secrets" {
  description = "Secrets Manager secrets (names or * patterns) that hold encryption keys: regenerating one pages."
  type        = list(string)
  default     = []
}

variable "required_resource_types" {
  description = "AWS Backup resource types whose loss is critical."
  type        = list(string)
  default     = ["EFS", "RDS", "Aurora", "DynamoDB"]

  validation {
    condition     = length(var.required_resource_types) > 0 && alltrue([for t in var.required_resource_types : contains(["Aurora", "CloudFormation", "DocumentDB", "DynamoDB", "EBS", "EC2", "EFS", "FSx", "Neptune", "Redshift", "RDS", "S3", "SAP HANA on Amazon EC2", "Storage Gateway", "Timestream", "VirtualMachine"], t)])
    error_message = "required_resource_types must name AWS Backup resource types (EFS, RDS, Aurora, DynamoDB, S3, EBS, EC2, FSx, ...)."
  }
}

variable "settings" {
  description = "Further PHOENIX_* settings for every function (see the repository README), e.g. PHOENIX_REMIND_AFTER_HOURS. The ones this module sets itself cannot be overridden here."
  type        = map(string)
  default     = {}

  validation {
    condition = alltrue([
      for k in keys(var.settings) : can(regex("^PHOENIX_[A-Z_]+$", k)) && !contains(["PHOENIX_ALERT_TOPIC_ARN", "PHOENIX_FINDINGS_TABLE", "PHOENIX_METRIC_NAMESPACE", "PHOENIX_ENVIRONMENT", "PHOENIX_GUARD_PREFIX", "PHOENIX_DATA_BUCKETS", "PHOENIX_STATE_BUCKETS", "PHOENIX_ENCRYPTION_KEY_SECRETS", "PHOENIX_REQUIRED_RESOURCE_TYPES", "PHOENIX_REPORT_BUCKET"], k)
    ])
    error_message = "settings keys must be PHOENIX_* names other than those the module sets (topic, table, namespace, environment, prefix, buckets, secrets, required types, report bucket)."
  }
}

variable "metric_namespace" {
  description = "CloudWatch namespace of the guard's metrics."
  type        = string
  default     = "PhoenixGuard"

  validation {
    condition     = can(regex("^[A-Za-z0-9._/#:-]{1,255}$", var.metric_namespace)) && !startswith(var.metric_namespace, "AWS/")
    error_message = "metric_namespace must be a valid CloudWatch namespace and must not start with AWS/."
  }
}

variable "backup_freshness_schedule" {
  description = "When backup-freshness sweeps (EventBridge schedule expression). Its heartbeat alarm expects one run per hour."
  type        = string
  default     = "cron(5 * * * ? *)"

  validation {
    condition     = can(regex("^(rate|cron)\\(.+\\)$", var.backup_freshness_schedule))
    error_message = "backup_freshness_schedule must be a rate(...) or cron(...) expression."
  }
}

variable "readiness_audit_schedule" {
  description = "When readiness-audit runs (EventBridge schedule expression); by default half an hour after each backup-freshness sweep, so it reads that sweep's heartbeat."
  type        = string
  default     = "cron(35 * * * ? *)"

  validation {
    condition     = can(regex("^(rate|cron)\\(.+\\)$", var.readiness_audit_schedule))
    error_message = "readiness_audit_schedule must be a rate(...) or cron(...) expression."
  }
}

variable "deletion_burst_schedule" {
  description = "When s3-deletion-guard tells the bursts of permanent deletions that have gone quiet their final count (EventBridge schedule expression)."
  type        = string
  default     = "rate(15 minutes)"

  validation {
    condition     = can(regex("^(rate|cron)\\(.+\\)$", var.deletion_burst_schedule))
    error_message = "deletion_burst_schedule must be a rate(...) or cron(...) expression."
  }
}

variable "heartbeat_missed_hours" {
  description = "Hours without a Heartbeat from a scheduled function before its dead-man's-switch alarm fires (the functions run hourly)."
  type        = number
  default     = 2

  validation {
    condition     = var.heartbeat_missed_hours >= 1 && var.heartbeat_missed_hours <= 24 && floor(var.heartbeat_missed_hours) == var.heartbeat_missed_hours
    error_message = "heartbeat_missed_hours must be a whole number from 1 to 24."
  }
}

variable "readiness_threshold" {
  description = "The PhoenixReadiness score (0-100) below which the readiness alarm fires."
  type        = number
  default     = 90

  validation {
    condition     = var.readiness_threshold >= 0 && var.readiness_threshold <= 100
    error_message = "readiness_threshold must be between 0 and 100."
  }
}

variable "kms_key_arn" {
  description = "With create_kms_key = false, the team's own KMS key for everything the guard stores and sends. Its key policy must let SNS, CloudWatch alarms, EventBridge and CloudWatch Logs use it, as the module's own key policy does."
  type        = string
  default     = null
}

variable "alert_topic_arn" {
  description = "With create_alert_topic = false, the team's own SNS topic for findings. It must be Standard (PagerDuty subscribes over HTTPS) and let CloudWatch alarms publish."
  type        = string
  default     = null
}

variable "alarm_topic_arn" {
  description = "With create_alarm_topic = false, the team's own SNS topic for the guard's alarms. It must let CloudWatch alarms publish."
  type        = string
  default     = null
}

variable "report_bucket_name" {
  description = "With create_report_bucket = false, the team's own bucket for the readiness reports (else the module creates one, versioned, encrypted and private). The functions write under readiness/."
  type        = string
  default     = null
}

variable "log_level" {
  description = "The functions' log level (Lambda's application log level, which the functions' logging follows): TRACE, DEBUG, INFO, WARN, ERROR or FATAL."
  type        = string
  default     = "INFO"

  validation {
    condition     = contains(["TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"], var.log_level)
    error_message = "log_level must be one of TRACE, DEBUG, INFO, WARN, ERROR, FATAL."
  }
}

variable "enable_chat" {
  description = "Create the chat topic: every notification is also published there as an Amazon Q Developer in chat applications custom notification (title, what happened, the remedy as next steps, threaded by the dedup key). Connect the chat_topic_arn output to a Slack or Teams channel configuration."
  type        = bool
  default     = false
}

variable "enable_security_hub" {
  description = "Also import every notification into AWS Security Hub, as a finding of the account it is about (the security-hub function, subscribed to the alert topic): updated on reminders, archived and resolved when it resolves. Security Hub must be enabled in each account and region the findings belong to; in organization mode each member needs the findings role (the member module's central_findings_principal_arns)."
  type        = bool
  default     = false
}

variable "runbook_url" {
  description = "The team's runbook (https://…): pages and chat messages link to its section for the finding's check, <runbook_url>#<check>. Null: no runbook link."
  type        = string
  default     = null

  validation {
    condition     = var.runbook_url == null || can(regex("^https?://", var.runbook_url))
    error_message = "runbook_url must be an http(s) URL."
  }
}

variable "pagerduty_endpoint" {
  description = "PagerDuty 'Amazon CloudWatch' integration URL (https://events.pagerduty.com/integration/<key>/enqueue). Null: no PagerDuty subscription."
  type        = string
  default     = null
  sensitive   = true

  validation {
    condition     = var.pagerduty_endpoint == null || can(regex("^https://events\\.(eu\\.)?pagerduty\\.com/", var.pagerduty_endpoint))
    error_message = "pagerduty_endpoint must be a PagerDuty events URL (https://events.pagerduty.com/... or https://events.eu.pagerduty.com/...)."
  }
}

variable "page_finding_alarms" {
  description = "Page the alarms that count findings (BackupsMissed, ResourcesUnprotected, DataStoresLostOnDestroy, ProtectionViolations, PhoenixReadiness) through the alarm topic. Off by default: every finding already pages on its own, so these reach email and chat through the alert topic instead. Alarms about the guard itself always page."
  type        = bool
  default     = false
}

variable "pagerduty_severities" {
  description = "Finding severities that reach PagerDuty (a filter policy on the alert topic). A resolution carries its finding's severity, so it reaches PagerDuty too. Alarms always page."
  type        = list(string)
  default     = ["critical", "error"]

  validation {
    condition     = length(var.pagerduty_severities) > 0 && alltrue([for s in var.pagerduty_severities : contains(["critical", "error", "warning", "info"], s)])
    error_message = "pagerduty_severities must be a non-empty subset of critical, error, warning, info."
  }
}

variable "alert_emails" {
  description = "Addresses that get every alert and alarm by email (each must confirm its subscription)."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for e in var.alert_emails : can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", e))])
    error_message = "alert_emails must be email addresses."
  }
}

variable "log_retention_days" {
  description = "Days the functions' logs are kept (a year by default: the logs are the trail of every page and every check that could not run)."
  type        = number
  default     = 365

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be a retention CloudWatch Logs accepts (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, ...)."
  }
}

variable "log_kms_key_arn" {
  description = "KMS key for the functions' log groups. Null: the guard's own key."
  type        = string
  default     = null

  validation {
    condition     = var.log_kms_key_arn == null || can(regex("^arn:aws[a-z-]*:kms:", var.log_kms_key_arn))
    error_message = "log_kms_key_arn must be a KMS key ARN."
  }
}

variable "enable_xray" {
  description = "Send X-Ray traces from the functions."
  type        = bool
  default     = false
}

variable "report_retention_days" {
  description = "Days older versions of the readiness report are kept in the report bucket."
  type        = number
  default     = 400

  validation {
    condition     = var.report_retention_days >= 1
    error_message = "report_retention_days must be at least 1."
  }
}

variable "key_deletion_window_days" {
  description = "Waiting period before the guard's KMS key is deleted after a destroy."
  type        = number
  default     = 30

  validation {
    condition     = var.key_deletion_window_days >= 7 && var.key_deletion_window_days <= 30
    error_message = "key_deletion_window_days must be between 7 and 30."
  }
}

variable "deletion_protection" {
  description = "Protect the findings table from deletion (the ledger of open findings and their dedup keys)."
  type        = bool
  default     = true
}

variable "tags" {
  description = "Tags for every resource."
  type        = map(string)
  default     = {}
}

variable "restore_testing" {
  description = "An AWS Backup restore testing plan for the required resource types, validated by restore-validator (the seeds' \"tested monthly\"). Off by default; every field has a default."
  type = object({
    enabled                    = optional(bool, false)
    schedule                   = optional(string, "cron(0 5 1 * ? *)")
    schedule_timezone          = optional(string, "Etc/UTC")
    start_window_hours         = optional(number, 8)
    selection_window_days      = optional(number, 30)
    validation_window_hours    = optional(number, 4)
    resource_types             = optional(list(string))
    protected_resource_arns    = optional(map(list(string)), {})
    restore_metadata_overrides = optional(map(map(string)), {})
    create_iam_role            = optional(bool, true)
    iam_role_arn               = optional(string)
  })
  default = {}

  validation {
    condition     = !var.restore_testing.enabled || var.restore_testing.create_iam_role == (var.restore_testing.iam_role_arn == null)
    error_message = "restore_testing.iam_role_arn names the team's own restore role, which needs restore_testing.create_iam_role = false; with create_iam_role = false, iam_role_arn is required."
  }

  validation {
    condition     = var.restore_testing.validation_window_hours >= 1 && var.restore_testing.validation_window_hours <= 168
    error_message = "restore_testing.validation_window_hours must be from 1 to 168: restore-validator reads the restored resource before restore testing deletes it."
  }

  validation {
    condition     = var.restore_testing.selection_window_days >= 1 && var.restore_testing.selection_window_days <= 365
    error_message = "restore_testing.selection_window_days must be from 1 to 365."
  }

  validation {
    condition     = var.restore_testing.start_window_hours >= 1 && var.restore_testing.start_window_hours <= 168
    error_message = "restore_testing.start_window_hours must be from 1 to 168."
  }
}

variable "restore_validators" {
  description = "The team's own restore validators by AWS Backup resource type: a Lambda function ARN that checks the restored data itself (a row count, a checksum file) and answers pass or fail; restore-validator invokes it for each restore test of that type and may invoke nothing else."
  type        = map(string)
  default     = {}

  validation {
    condition     = alltrue([for t, f in var.restore_validators : contains(["Aurora", "DocumentDB", "DynamoDB", "EBS", "EC2", "EFS", "FSx", "Neptune", "RDS", "S3"], t) && can(regex("^arn:aws[a-z-]*:lambda:[a-z0-9-]+:[0-9]{12}:function:[A-Za-z0-9_-]+(:[A-Za-z0-9_$-]+)?$", f))])
    error_message = "restore_validators maps resource types restore testing supports to Lambda function ARNs."
  }
}

variable "organization" {
  description = "Organization mode (null: this account and region only). accounts: organization, ou:<ids>, tag:<key>=<value> or a comma-separated list of account ids; regions: where to sweep (empty: this region); organization_id: the o-… id that may forward to the central bus; reader_role_name, validator_role_name and findings_role_name: the phoenix-guard-member module's read-only role, restore validator role and Security Hub findings role in every member; canary_minutes: the members' canary interval; sweep_concurrency and sweep_batch_size: how many targets are swept at once, and per invocation."
  type = object({
    organization_id     = string
    accounts            = optional(string, "organization")
    regions             = optional(list(string), [])
    reader_role_name    = optional(string, "PhoenixGuardReader")
    validator_role_name = optional(string, "PhoenixGuardRestoreValidator")
    findings_role_name  = optional(string, "PhoenixGuardFindings")
    canary_minutes      = optional(number, 15)
    sweep_concurrency   = optional(number, 10)
    sweep_batch_size    = optional(number, 5)
  })
  default = null

  validation {
    condition     = var.organization == null || can(regex("^o-[a-z0-9]{10,32}$", var.organization.organization_id))
    error_message = "organization.organization_id must be the organization's id (o-…)."
  }
  validation {
    condition     = var.organization == null || try(var.organization.sweep_concurrency >= 2 && var.organization.sweep_concurrency <= 1000, false)
    error_message = "organization.sweep_concurrency must be between 2 and 1000 (an SQS event source's maximum concurrency)."
  }
  validation {
    condition     = var.organization == null || try(var.organization.sweep_batch_size >= 1 && var.organization.sweep_batch_size <= 10, false)
    error_message = "organization.sweep_batch_size must be between 1 and 10."
  }
}
