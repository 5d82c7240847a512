variable "create" {
  description = "Create the member part at all. false: the module creates and reads nothing, and its outputs are null or empty (an account or region switched off in the same configuration)."
  type        = bool
  default     = true
}

variable "central_event_bus_arn" {
  description = "The central account's bus (the phoenix-guard module's central_event_bus_arn output) that this account's events and canary are forwarded to."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:events:[a-z0-9-]+:[0-9]{12}:event-bus/.+$", var.central_event_bus_arn))
    error_message = "central_event_bus_arn must be an EventBridge bus ARN."
  }
}

variable "central_reader_principal_arns" {
  description = "The central functions' roles that read members (the phoenix-guard module's reader_principal_arns output): the only principals the reader role trusts."
  type        = list(string)
}

variable "central_validator_principal_arns" {
  description = "The central restore-validator's role (the phoenix-guard module's validator_principal_arns output): the only principal the validator role trusts. Empty: no validator role, and this account's restore tests are paged as restore-validation-unknown."
  type        = list(string)
  default     = []
}

variable "central_findings_principal_arns" {
  description = "The central security-hub function's role (the phoenix-guard module's findings_principal_arns output): the only principal the findings role trusts. Empty: no findings role, and this account's findings do not reach its Security Hub."
  type        = list(string)
  default     = []
}

variable "organization_id" {
  description = "The organization's id (o-…): the reader role trusts the central roles only as members of it."
  type        = string

  validation {
    condition     = can(regex("^o-[a-z0-9]{10,32}$", var.organization_id))
    error_message = "organization_id must be the organization's id (o-…)."
  }
}

variable "name_prefix" {
  description = "Prefix of the forwarding rules, the canary and the forwarding role (the central module's name_prefix: its audit of this account judges the rules with this prefix)."
  type        = string
  default     = "phoenix-guard"
}

variable "create_reader_role" {
  description = "Create the account's roles, the reader and (with central_validator_principal_arns, central_findings_principal_arns) the restore validator and the findings role (IAM is global: true in one region of the account, false in the others)."
  type        = bool
  default     = true
}

variable "reader_role_name" {
  description = "The reader role's name (the central module's organization.reader_role_name)."
  type        = string
  default     = "PhoenixGuardReader"
}

variable "validator_role_name" {
  description = "The restore validator role's name (the central module's organization.validator_role_name)."
  type        = string
  default     = "PhoenixGuardRestoreValidator"
}

variable "findings_role_name" {
  description = "The findings role's name (the central module's organization.findings_role_name)."
  type        = string
  default     = "PhoenixGuardFindings"
}

variable "canary_minutes" {
  description = "How often the canary is sent to the central bus (the central module's organization.canary_minutes)."
  type        = number
  default     = 15

  validation {
    condition     = var.canary_minutes >= 1 && var.canary_minutes <= 1440 && floor(var.canary_minutes) == var.canary_minutes
    error_message = "canary_minutes must be a whole number from 1 to 1440."
  }
}

variable "data_bucket_names" {
  description = "This account's buckets whose data must survive (names or * patterns): their object deletions are forwarded. The central s3-deletion-guard judges a bucket by its phoenix:data=true tag or by the central module's data_bucket_names, so tag them or name them there too."
  type        = list(string)
  default     = []
}

variable "state_bucket_names" {
  description = "This account's buckets holding Terraform state (names or * patterns): their object events are forwarded, and the reader role may read them."
  type        = list(string)
  default     = []
}

variable "manage_bucket_notifications" {
  description = "Switch on S3-to-EventBridge delivery for the exact bucket names (owns their notification configuration)."
  type        = bool
  default     = true
}

variable "tags" {
  description = "Tags for every resource."
  type        = map(string)
  default     = {}
}
