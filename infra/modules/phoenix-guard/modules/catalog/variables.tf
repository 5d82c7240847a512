variable "partition" {
  description = "AWS partition of the account (aws, aws-cn, aws-us-gov)."
  type        = string
}

variable "region" {
  description = "Region the guard runs in."
  type        = string
}

variable "account_id" {
  description = "Account the guard watches."
  type        = string
}

variable "metric_namespace" {
  description = "CloudWatch namespace the functions write to; PutMetricData is allowed in this namespace only."
  type        = string
}

variable "resources" {
  description = "ARNs and names of the guard's own resources that the roles are scoped to."
  type = object({
    findings_table_arn    = string
    alert_topic_arn       = string
    guard_key_arn         = string
    dead_letter_queue_arn = string
    report_bucket_name    = string
    log_group_arns        = map(string)
    # The chat topic the functions also publish to, when there is one.
    chat_topic_arn = optional(string)
  })
}

variable "data_bucket_names" {
  description = "Names (or * patterns) of buckets whose data must survive."
  type        = list(string)
}

variable "state_bucket_names" {
  description = "Names (or * patterns) of buckets that hold Terraform state."
  type        = list(string)
}

variable "state_bucket_kms_key_arns" {
  description = "KMS keys that encrypt the state buckets' objects, which s3-deletion-guard must decrypt to compare state versions."
  type        = list(string)
}

variable "enable_xray" {
  description = "Whether the functions send X-Ray traces."
  type        = bool
}

variable "restore_testing" {
  description = "The restore testing plan to create, already resolved by the root module (null for none): its name, schedule, recovery point window, validation window and the resource types with their overrides."
  type = object({
    name                       = string
    schedule                   = string
    schedule_timezone          = string
    start_window_hours         = number
    selection_window_days      = number
    validation_window_hours    = number
    resource_types             = list(string)
    protected_resource_arns    = map(list(string))
    restore_metadata_overrides = map(map(string))
  })
  default = null
}

variable "restore_validator_function_arns" {
  description = "The team's own restore validators (Lambda function ARNs) that restore-validator may invoke."
  type        = list(string)
  default     = []
}

variable "organization" {
  description = "Organization mode, resolved by the root module (null: the one account): the reader, restore validator and findings roles' names in every member account and the sweep queue of each function the dispatcher feeds."
  type = object({
    reader_role_name    = string
    validator_role_name = string
    findings_role_name  = optional(string, "PhoenixGuardFindings")
    sweep_queue_arns    = map(string)
  })
  default = null
}

variable "security_hub" {
  description = "Whether the security-hub function exists: every notification also imported into Security Hub."
  type        = bool
  default     = false
}
