# `terraform test` for the catalog (it needs no provider): what the module decides for a
# single account and for an organization, asserted on its outputs. tests/infra/check runs
# it; tests/infra/test_infra.py holds the same outputs to the functions' code.

variables {
  partition        = "aws"
  region           = "eu-west-1"
  account_id       = "111122223333"
  metric_namespace = "PhoenixGuard"
  resources = {
    findings_table_arn    = "arn:aws:dynamodb:eu-west-1:111122223333:table/findings"
    alert_topic_arn       = "arn:aws:sns:eu-west-1:111122223333:alerts"
    guard_key_arn         = "arn:aws:kms:eu-west-1:111122223333:key/guard"
    dead_letter_queue_arn = "arn:aws:sqs:eu-west-1:111122223333:dead-letters"
    report_bucket_name    = "reports"
    log_group_arns        = {}
  }
  data_bucket_names         = ["cochlearis-*-uploads"]
  state_bucket_names        = ["cochlearis-dev-tfstate"]
  state_bucket_kms_key_arns = []
  enable_xray               = false
}

run "one_account" {
  command = apply

  assert {
    condition     = !contains(keys(output.functions), "sweep-dispatcher")
    error_message = "A single account has no dispatcher."
  }

  assert {
    condition     = alltrue([for name, f in output.functions : f.timeout > 0 && f.memory_size >= 128])
    error_message = "Every function has a timeout and at least 128 MB."
  }

  assert {
    condition     = !strcontains(output.policies["backup-freshness"], "sts:AssumeRole")
    error_message = "Without an organization no role may assume another."
  }

  assert {
    condition     = jsondecode(output.event_rules["s3-deletion-guard-deletions"].pattern).detail.bucket.name[0] == { wildcard = "cochlearis-*-uploads" }
    error_message = "A bucket pattern with * is an EventBridge wildcard."
  }

  assert {
    condition     = !can(jsondecode(output.central_event_rules["s3-deletion-guard-deletions"].pattern).detail)
    error_message = "The central bus's deletion rule names no bucket."
  }

  assert {
    condition     = output.eventbridge_buckets == toset(["cochlearis-dev-tfstate"])
    error_message = "Only exact bucket names get S3-to-EventBridge delivery."
  }
}

run "organization" {
  command = apply

  variables {
    organization = {
      reader_role_name    = "PhoenixGuardReader"
      validator_role_name = "PhoenixGuardRestoreValidator"
      sweep_queue_arns = {
        "backup-freshness" = "arn:aws:sqs:eu-west-1:111122223333:freshness-targets"
        "readiness-audit"  = "arn:aws:sqs:eu-west-1:111122223333:audit-targets"
      }
    }
  }

  assert {
    condition     = contains(keys(output.functions), "sweep-dispatcher")
    error_message = "An organization has a dispatcher."
  }

  assert {
    condition     = strcontains(output.policies["restore-validator"], "role/PhoenixGuardRestoreValidator") && !strcontains(output.policies["restore-validator"], "role/PhoenixGuardReader")
    error_message = "restore-validator assumes the validator role only."
  }

  assert {
    condition     = length(regexall("\"sts:AssumeRole\"", output.policies["readiness-audit"])) == 1
    error_message = "A sweep assumes exactly one role."
  }

  assert {
    condition     = !can(regex(":(Put|Create|Update|Delete)", output.reader_policy))
    error_message = "The reader role writes nothing."
  }
}
