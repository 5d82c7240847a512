# The findings ledger, the readiness reports and the dead letters.

resource "aws_dynamodb_table" "findings" {
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
    kms_key_arn = aws_kms_key.guard.arn
  }

  tags = local.tags
}

resource "aws_s3_bucket" "reports" {
  # checkov:skip=CKV_AWS_18:The report bucket holds the guard's own generated reports; access logging would need a second bucket per environment and the reports are rewritten hourly.
  # checkov:skip=CKV_AWS_144:A report is regenerated every hour from the account itself; replicating it to another region protects nothing that cannot be recomputed.
  # checkov:skip=CKV2_AWS_62:Nothing consumes report writes as events; readers fetch latest.json or latest.md.
  # S3 allows a prefix of 37 characters.
  bucket_prefix = substr("${local.base_name}-reports-", 0, 37)
  force_destroy = false
  tags          = local.tags
}

resource "aws_s3_bucket_versioning" "reports" {
  bucket = aws_s3_bucket.reports.id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "reports" {
  bucket = aws_s3_bucket.reports.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = aws_kms_key.guard.arn
    }
    bucket_key_enabled = true
  }
}

resource "aws_s3_bucket_public_access_block" "reports" {
  bucket                  = aws_s3_bucket.reports.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_ownership_controls" "reports" {
  bucket = aws_s3_bucket.reports.id
  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "reports" {
  bucket = aws_s3_bucket.reports.id

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
  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["s3:*"]
    resources = [aws_s3_bucket.reports.arn, "${aws_s3_bucket.reports.arn}/*"]
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
  bucket     = aws_s3_bucket.reports.id
  policy     = data.aws_iam_policy_document.reports.json
  depends_on = [aws_s3_bucket_public_access_block.reports]
}

# Failed asynchronous invocations (after Lambda's two retries) and events EventBridge could
# not deliver land here; an alarm pages on the first one.
resource "aws_sqs_queue" "dead_letters" {
  name                              = "${local.base_name}-dead-letters"
  message_retention_seconds         = 1209600
  kms_master_key_id                 = aws_kms_key.guard.arn
  kms_data_key_reuse_period_seconds = 300
  tags                              = local.tags
}

data "aws_iam_policy_document" "dead_letters" {
  statement {
    sid       = "EventBridgeDeadLetters"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.dead_letters.arn]
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
  queue_url = aws_sqs_queue.dead_letters.id
  policy    = data.aws_iam_policy_document.dead_letters.json
}
