# AWS Backup restore testing (opt-in, var.restore_testing): a plan that restores the newest
# recovery point of every required resource on its schedule, and keeps the copy for the
# validation window so that restore-validator can read it and report the verdict.

locals {
  restore_testing = local.create ? module.catalog.restore_testing : null
  # A flag, not whether iam_role_arn is null, decides: a role made in the same configuration
  # has no ARN until apply.
  restore_testing_role = local.restore_testing != null && var.restore_testing.create_iam_role
}

data "aws_iam_policy_document" "restore_testing_trust" {
  count = local.restore_testing_role ? 1 : 0
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["backup.amazonaws.com"]
    }
  }
}

# The role AWS Backup restores with, unless create_iam_role = false and iam_role_arn names one.
resource "aws_iam_role" "restore_testing" {
  count              = local.restore_testing_role ? 1 : 0
  name               = "${local.base_name}-restore-testing"
  assume_role_policy = data.aws_iam_policy_document.restore_testing_trust[0].json
  tags               = local.tags
}

resource "aws_iam_role_policy_attachment" "restore_testing" {
  for_each = local.restore_testing_role ? toset(concat(
    ["AWSBackupServiceRolePolicyForRestores"],
    contains(keys(local.restore_testing.selections), "S3") ? ["AWSBackupServiceRolePolicyForS3Restore"] : [],
  )) : toset([])
  role       = aws_iam_role.restore_testing[0].name
  policy_arn = "arn:${local.partition}:iam::aws:policy/service-role/${each.key}"
}

resource "aws_backup_restore_testing_plan" "this" {
  count                        = local.restore_testing == null ? 0 : 1
  name                         = local.restore_testing.plan_name
  schedule_expression          = local.restore_testing.schedule
  schedule_expression_timezone = local.restore_testing.schedule_timezone
  start_window_hours           = local.restore_testing.start_window_hours
  tags                         = local.tags

  recovery_point_selection {
    algorithm             = local.restore_testing.recovery_point_selection.algorithm
    include_vaults        = local.restore_testing.recovery_point_selection.include_vaults
    recovery_point_types  = local.restore_testing.recovery_point_selection.recovery_point_types
    selection_window_days = local.restore_testing.recovery_point_selection.selection_window_days
  }
}

resource "aws_backup_restore_testing_selection" "this" {
  for_each                   = local.restore_testing == null ? {} : local.restore_testing.selections
  name                       = each.value.name
  restore_testing_plan_name  = aws_backup_restore_testing_plan.this[0].name
  protected_resource_type    = each.value.protected_resource_type
  protected_resource_arns    = each.value.protected_resource_arns
  restore_metadata_overrides = each.value.restore_metadata_overrides
  validation_window_hours    = each.value.validation_window_hours
  iam_role_arn               = coalesce(var.restore_testing.iam_role_arn, one(aws_iam_role.restore_testing[*].arn))
}
