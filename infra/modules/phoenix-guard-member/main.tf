# Phoenix Guard's member part, for each account and region of an organization: the events
# the central functions handle are forwarded to the central bus (AWS service events reach
# only the default bus of their own account and region), a canary tells the central
# dispatcher that forwarding works, a read-only role lets the central functions read the
# account, a validator role lets restore-validator report on its restore tests, and a
# findings role lets security-hub import the account's findings into its Security Hub. The
# patterns and the roles' policies come from the central module's catalog, so
# the member forwards exactly what the functions handle and reads exactly what they read.
#
# Shaped for one instance per account and region: a Terraform loop over provider aliases
# (examples/organization), or a per-account pipeline.

# With create = false nothing below exists (tests/infra checks each block).
data "aws_partition" "current" {
  count = local.create ? 1 : 0
}
data "aws_caller_identity" "current" {
  count = local.create ? 1 : 0
}

locals {
  create = var.create
  # (Placeholders where nothing is created: only the catalog, which creates nothing, reads them.)
  partition  = coalesce(one(data.aws_partition.current[*].partition), "aws")
  account_id = coalesce(one(data.aws_caller_identity.current[*].account_id), "-")
  tags       = merge({ "phoenix:component" = "phoenix-guard-member" }, var.tags)
  # Every pattern a central function handles: each acts on a member's event in the member's
  # own account (backup-events reads nothing; protection-guard and s3-deletion-guard read
  # through the reader role; restore-validator reads and reports through the validator
  # role). The bucket-scoped patterns name this account's buckets.
  forwarded = local.create ? module.catalog.event_rules : {}
  # IAM is global: both roles are made once per account, where create_reader_role is true.
  create_reader_role    = local.create && var.create_reader_role
  create_validator_role = local.create_reader_role && length(var.central_validator_principal_arns) > 0
  create_findings_role  = local.create_reader_role && length(var.central_findings_principal_arns) > 0
}

module "catalog" {
  source = "../phoenix-guard/modules/catalog"

  partition = local.partition
  # The reader role is global: it reads every region of the account.
  region           = "*"
  account_id       = local.account_id
  metric_namespace = "PhoenixGuard"
  # The central module's own resources play no part here.
  resources = {
    findings_table_arn    = "-"
    alert_topic_arn       = "-"
    guard_key_arn         = "-"
    dead_letter_queue_arn = "-"
    report_bucket_name    = "-"
    log_group_arns        = {}
  }
  data_bucket_names         = var.data_bucket_names
  state_bucket_names        = var.state_bucket_names
  state_bucket_kms_key_arns = []
  enable_xray               = false
}

data "aws_iam_policy_document" "forward_assume" {
  count = local.create ? 1 : 0
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["events.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
}

data "aws_iam_policy_document" "forward" {
  count = local.create ? 1 : 0
  statement {
    sid       = "ForwardToTheCentralBus"
    actions   = ["events:PutEvents"]
    resources = [var.central_event_bus_arn]
  }
}

resource "aws_iam_role" "forward" {
  count                = local.create ? 1 : 0
  name_prefix          = "${var.name_prefix}-fwd-"
  description          = "Phoenix Guard member: forwards this region's events and canary to the central bus"
  assume_role_policy   = data.aws_iam_policy_document.forward_assume[0].json
  max_session_duration = 3600
  tags                 = local.tags
}

resource "aws_iam_role_policy" "forward" {
  count  = length(aws_iam_role.forward)
  name   = "forward"
  role   = aws_iam_role.forward[0].id
  policy = data.aws_iam_policy_document.forward[0].json
}

resource "aws_cloudwatch_event_rule" "forward" {
  for_each      = local.forwarded
  name          = "${var.name_prefix}-${each.key}"
  description   = "Forwards to the central Phoenix Guard the events ${each.value.function} handles (${each.value.rule})"
  event_pattern = each.value.pattern
  state         = "ENABLED"
  tags          = local.tags
}

resource "aws_cloudwatch_event_target" "forward" {
  for_each  = local.forwarded
  rule      = aws_cloudwatch_event_rule.forward[each.key].name
  target_id = "central"
  arn       = var.central_event_bus_arn
  role_arn  = aws_iam_role.forward[0].arn
}

# The dispatcher pages member-canary-missing for this account and region when these stop
# arriving (a forwarding rule deleted, the role or the bus policy changed).
resource "aws_cloudwatch_event_rule" "canary" {
  count               = local.create ? 1 : 0
  name                = "${var.name_prefix}-member-canary"
  description         = "Tells the central Phoenix Guard every ${var.canary_minutes} minute(s) that this region's events reach it"
  schedule_expression = var.canary_minutes == 1 ? "rate(1 minute)" : "rate(${var.canary_minutes} minutes)"
  state               = "ENABLED"
  tags                = local.tags
}

resource "aws_cloudwatch_event_target" "canary" {
  count     = length(aws_cloudwatch_event_rule.canary)
  rule      = aws_cloudwatch_event_rule.canary[0].name
  target_id = "central"
  arn       = var.central_event_bus_arn
  role_arn  = aws_iam_role.forward[0].arn
}

resource "aws_s3_bucket_notification" "eventbridge" {
  for_each    = local.create && var.manage_bucket_notifications ? module.catalog.eventbridge_buckets : toset([])
  bucket      = each.value
  eventbridge = true
}

data "aws_iam_policy_document" "reader_assume" {
  count = local.create_reader_role ? 1 : 0
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "AWS"
      identifiers = var.central_reader_principal_arns
    }
    condition {
      test     = "StringEquals"
      variable = "aws:PrincipalOrgID"
      values   = [var.organization_id]
    }
  }
}

resource "aws_iam_role" "reader" {
  count                = local.create_reader_role ? 1 : 0
  name                 = var.reader_role_name
  description          = "Phoenix Guard member: what the central sweeps read in this account, and nothing that writes"
  assume_role_policy   = data.aws_iam_policy_document.reader_assume[0].json
  max_session_duration = 3600
  tags                 = local.tags
}

resource "aws_iam_role_policy" "reader" {
  count  = length(aws_iam_role.reader)
  name   = "reads"
  role   = aws_iam_role.reader[0].id
  policy = module.catalog.reader_policy
}

data "aws_iam_policy_document" "validator_assume" {
  count = local.create_validator_role ? 1 : 0
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "AWS"
      identifiers = var.central_validator_principal_arns
    }
    condition {
      test     = "StringEquals"
      variable = "aws:PrincipalOrgID"
      values   = [var.organization_id]
    }
  }
}

# What restore-validator reads of this account's restore tests, and its one write here: the
# verdict AWS Backup shows on each test.
resource "aws_iam_role" "validator" {
  count                = local.create_validator_role ? 1 : 0
  name                 = var.validator_role_name
  description          = "Phoenix Guard member: reads a restore test's restored resource and reports the validation result to AWS Backup"
  assume_role_policy   = data.aws_iam_policy_document.validator_assume[0].json
  max_session_duration = 3600
  tags                 = local.tags
}

resource "aws_iam_role_policy" "validator" {
  count  = local.create_validator_role ? 1 : 0
  name   = "validate-restores"
  role   = aws_iam_role.validator[0].id
  policy = module.catalog.validator_policy
}

data "aws_iam_policy_document" "findings_assume" {
  count = local.create_findings_role ? 1 : 0
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "AWS"
      identifiers = var.central_findings_principal_arns
    }
    condition {
      test     = "StringEquals"
      variable = "aws:PrincipalOrgID"
      values   = [var.organization_id]
    }
  }
}

# Security Hub takes a finding only from the account it belongs to: the central security-hub
# function imports this account's findings, and resolves them, through this role.
resource "aws_iam_role" "findings" {
  count                = local.create_findings_role ? 1 : 0
  name                 = var.findings_role_name
  description          = "Phoenix Guard member: imports this account's Phoenix Guard findings into its Security Hub"
  assume_role_policy   = data.aws_iam_policy_document.findings_assume[0].json
  max_session_duration = 3600
  tags                 = local.tags
}

resource "aws_iam_role_policy" "findings" {
  count  = local.create_findings_role ? 1 : 0
  name   = "import-findings"
  role   = aws_iam_role.findings[0].id
  policy = module.catalog.findings_policy
}
