variable "region" {
  description = "Region of the environment (the guard runs next to it)."
  type        = string
  default     = "eu-west-1"
}

variable "pagerduty_endpoint" {
  description = "PagerDuty 'Amazon CloudWatch' integration URL; null for none."
  type        = string
  default     = null
  sensitive   = true
}

variable "alert_emails" {
  description = "Who gets every alert and alarm by email."
  type        = list(string)
  default     = []
}

variable "architecture" {
  description = "arm64 (Lambda's default here) or x86_64: what `make package` built."
  type        = string
  default     = "arm64"
}

variable "artifacts_dir" {
  description = "Where `make package` wrote <function>/bootstrap.zip (target/lambda, or $CARGO_TARGET_DIR/lambda)."
  type        = string
  default     = "../../../target/lambda"
}

variable "watch_staging" {
  description = "Deploy a second guard for staging (false: that module instance creates nothing)."
  type        = bool
  default     = false
}
