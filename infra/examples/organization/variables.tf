variable "organization_id" {
  description = "The organization's id (o-…)."
  type        = string
}

variable "prod_account_id" {
  description = "The production member account."
  type        = string
}

variable "staging_account_id" {
  description = "The staging member account."
  type        = string
}

variable "artifacts_dir" {
  description = "Where `make package` wrote the functions' packages."
  type        = string
  default     = "../../../target/lambda"
}

variable "architecture" {
  description = "The packages' architecture (target/lambda/<function>/architecture)."
  type        = string
  default     = "arm64"
}

variable "alert_emails" {
  description = "Addresses that get every alert and alarm."
  type        = list(string)
  default     = []
}
