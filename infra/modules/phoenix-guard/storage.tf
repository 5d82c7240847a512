# The findings ledger, the readiness reports and the dead letters.

resource "aws_dynamodb_table" "findings" {
  count                       = local.create ? 1 : 0
  name                        = "${local.base_name}-findings"
  billing_mode                = "PAY_PER_REQUEST"
  hash_key                    = "dedup_key"
  deletion_protection_enabled = var.deletion_protection

  attribute {
    name = "dedup_key"
    type = "S"
  }

  # Notified one-off findings (bursts, state versions, score changes) expire 30 days after
  # they were paged; lasting findings carry no expiry.
  ttl {
    attribute_name = "expires_at"
    enabled        = true
  }

  point_in_time_recovery {
    enabled = true
  }

  server_side_encryption {
    enabled     = true
    kms_key_arn = local.kms_key_arn
  }

  tags = local.tags

  lifecycle {
    # The longest name is a rule's: <prefix>-<environment>-protection-guard-elasticfilesystem
    # (EventBridge and Lambda allow 64 characters).
    precondition {
      condition     = length(local.base_name) <= 29
      error_message = "name_prefix and environment together may have at most 28 characters (names would exceed AWS's 64)."
    }
    # What the team brings is named exactly when the module is told not to create it.
    precondition {
      condition     = var.create_kms_key == (var.kms_key_arn == null)
      error_message = "kms_key_arn names the team's own key, which needs create_kms_key = false; with create_kms_key = false, kms_key_arn is required."
    }
    precondition {
      condition     = var.create_alert_topic == (var.alert_topic_arn == null)
      error_message = "alert_topic_arn names the team's own alert topic, which needs create_alert_topic = false; with create_alert_topic = false, alert_topic_arn is required."
    }
    precondition {
      condition     = var.create_alarm_topic == (var.alarm_topic_arn == null)
      error_message = "alarm_topic_arn names the team's own alarm topic, which needs create_alarm_topic = false; with create_alarm_topic = false, alarm_topic_arn is required."
    }
    precondition {
      condition     = var.create_report_bucket == (var.report_bucket_name == null)
      error_message = "report_bucket_name names the team's own report bucket, which needs create_report_bucket = false; with create_report_bucket = false, report_bucket_name is required."
    }
  }
}

# Unless create_report_bucket = false and report_bucket_name brings the team's own (then its versioning, encryption, public
# access and retention are the team's to keep).
resource "aws_s3_bucket" "reports" {
  # checkov:skip=CKV_AWS_18:The report bucket holds the guard's own generated reports; access logging would need a second bucket per environment and the reports are rewritten hourly.
  # checkov:skip=CKV_AWS_144:A report is regenerated every hour from the account itself; replicating it to another region protects nothing that cannot be recomputed.
  # checkov:skip=CKV2_AWS_62:Nothing consumes report writes as events; readers fetch latest.json or latest.md.
  # S3 allows a prefix of 37 characters.
  count         = local.create_report_bucket ? 1 : 0
  bucket_prefix = substr("${local.base_name}-reports-", 0, 37)
  force_destroy = false
  tags          = local.tags
}

resource "aws_s3_bucket_versioning" "reports" {
  count  = length(aws_s3_bucket.reports)
  bucket = aws_s3_bucket.reports[0].id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "reports" {
  count  = length(aws_s3_bucket.reports)
  bucket = aws_s3_bucket.reports[0].id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = local.kms_key_arn
    }
    bucket_key_enabled = true
  }
}

resource "aws_s3_bucket_public_access_block" "reports" {
  count                   = length(aws_s3_bucket.reports)
  bucket                  = aws_s3_bucket.reports[0].id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_ownership_controls" "reports" {
  count  = length(aws_s3_bucket.reports)
  bucket = aws_s3_bucket.reports[0].id
  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "reports" {
  count  = length(aws_s3_bucket.reports)
  bucket = aws_s3_bucket.reports[0].id

  rule {
    id     = "expire-old-report-versions"
    status = "Enabled"
    filter {}
    noncurrent_version_expiration {
      noncurrent_days = var.report_retention_days
    }
    abort_incomplete_multipart_upload {
      days_after_initiation = 7
    }
  }

  depends_on = [aws_s3_bucket_versioning.reports]
}

data "aws_iam_policy_document" "reports" {
  count = length(aws_s3_bucket.reports)
  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["s3:*"]
    resources = [aws_s3_bucket.reports[0].arn, "${aws_s3_bucket.reports[0].arn}/*"]
    principals {
      type        = "*"
      identifiers = ["*"]
    }
    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}

resource "aws_s3_bucket_policy" "reports" {
  count      = length(aws_s3_bucket.reports)
  bucket     = aws_s3_bucket.reports[0].id
  policy     = data.aws_iam_policy_document.reports[0].json
  depends_on = [aws_s3_bucket_public_access_block.reports]
}

# Failed asynchronous invocations (after Lambda's two retries) and events EventBridge could
# not deliver land here; an alarm pages on the first one.
resource "aws_sqs_queue" "dead_letters" {
  count                             = local.create ? 1 : 0
  name                              = "${local.base_name}-dead-letters"
  message_retention_seconds         = 1209600
  kms_master_key_id                 = local.kms_key_arn
  kms_data_key_reuse_period_seconds = 300
  tags                              = local.tags
}

data "aws_iam_policy_document" "dead_letters" {
  count = length(aws_sqs_queue.dead_letters)
  statement {
    sid       = "EventBridgeDeadLetters"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.dead_letters[0].arn]
    principals {
      type        = "Service"
      identifiers = ["events.amazonaws.com"]
    }
    condition {
      test     = "ArnLike"
      variable = "aws:SourceArn"
      values   = ["arn:${local.partition}:events:${local.region}:${local.account_id}:rule/${local.base_name}-*"]
    }
  }
}

resource "aws_sqs_queue_policy" "dead_letters" {
  count     = length(aws_sqs_queue.dead_letters)
  queue_url = aws_sqs_queue.dead_letters[0].id
  policy    = data.aws_iam_policy_document.dead_letters[0].json
}
