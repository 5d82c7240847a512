variable "partition" {
  description = "AWS partition (aws, aws-cn, aws-us-gov)."
  type        = string
  default     = "aws"
}

variable "central_event_bus_arn" {
  description = "The central module's central_event_bus_arn."
  type        = string
}

variable "central_reader_principal_arns" {
  description = "The central module's reader_principal_arns: the only principals the reader role trusts."
  type        = list(string)
}

variable "central_validator_principal_arns" {
  description = "The central module's validator_principal_arns: the only principal the restore validator role trusts (empty: no validator role)."
  type        = list(string)
  default     = []
}

variable "central_findings_principal_arns" {
  description = "The central module's findings_principal_arns: the only principal the findings role trusts (empty: no findings role)."
  type        = list(string)
  default     = []
}

variable "organization_id" {
  description = "The organization's id (o-…), required of the reader role's callers."
  type        = string
}

variable "reader_region" {
  description = "The one region of each account whose stack instance creates the reader role (IAM is global)."
  type        = string
}

variable "name_prefix" {
  description = "Prefix of the rules (the central module's name_prefix)."
  type        = string
  default     = "phoenix-guard"
}

variable "reader_role_name" {
  description = "The central module's organization.reader_role_name."
  type        = string
  default     = "PhoenixGuardReader"
}

variable "validator_role_name" {
  description = "The central module's organization.validator_role_name."
  type        = string
  default     = "PhoenixGuardRestoreValidator"
}

variable "findings_role_name" {
  description = "The central module's organization.findings_role_name."
  type        = string
  default     = "PhoenixGuardFindings"
}

variable "canary_minutes" {
  description = "The canary's interval (the central module's organization.canary_minutes)."
  type        = number
  default     = 15
}

variable "data_bucket_names" {
  description = "Data buckets (names or * patterns), as in every member account."
  type        = list(string)
  default     = []
}

variable "state_bucket_names" {
  description = "Terraform state buckets (names or * patterns), as in every member account."
  type        = list(string)
  default     = []
}
