variable "organization_id" {
  description = "The organization's id (o-…)."
  type        = string
}

variable "target_ou_ids" {
  description = "The organizational units whose accounts get the member part."
  type        = list(string)
}

variable "regions" {
  description = "The regions the member part is deployed to (the central module's organization.regions)."
  type        = list(string)
  default     = ["eu-west-1", "us-east-1"]
}

variable "central_event_bus_arn" {
  description = "The central module's central_event_bus_arn output."
  type        = string
}

variable "central_reader_principal_arns" {
  description = "The central module's reader_principal_arns output."
  type        = list(string)
}

variable "central_validator_principal_arns" {
  description = "The central module's validator_principal_arns output."
  type        = list(string)
  default     = []
}

variable "central_findings_principal_arns" {
  description = "The central module's findings_principal_arns output (with enable_security_hub)."
  type        = list(string)
  default     = []
}
