# The restore testing plan the module creates when asked: one selection per required type
# AWS Backup can restore-test, every protected resource of the type by default. Names may
# hold only letters, digits and underscores.

locals {
  # The types AWS Backup restore testing supports.
  restore_testable = ["Aurora", "DocumentDB", "DynamoDB", "EBS", "EC2", "EFS", "FSx", "Neptune", "RDS", "S3"]

  restore_testing = var.restore_testing == null ? null : {
    plan_name          = substr(replace(var.restore_testing.name, "/[^A-Za-z0-9_]/", "_"), 0, 50)
    schedule           = var.restore_testing.schedule
    schedule_timezone  = var.restore_testing.schedule_timezone
    start_window_hours = var.restore_testing.start_window_hours
    recovery_point_selection = {
      # The newest recovery point proves the backups a rebuild would use.
      algorithm             = "LATEST_WITHIN_WINDOW"
      include_vaults        = ["*"]
      recovery_point_types  = ["SNAPSHOT"]
      selection_window_days = var.restore_testing.selection_window_days
    }
    selections = {
      for t in var.restore_testing.resource_types : t => {
        name                       = "${lower(replace(t, "/[^A-Za-z0-9]/", "_"))}_all"
        protected_resource_type    = t
        protected_resource_arns    = lookup(var.restore_testing.protected_resource_arns, t, ["*"])
        restore_metadata_overrides = lookup(var.restore_testing.restore_metadata_overrides, t, {})
        # restore-validator reads the restored resource: it must outlive the restore.
        validation_window_hours = var.restore_testing.validation_window_hours
      } if contains(local.restore_testable, t)
    }
    untestable = [for t in var.restore_testing.resource_types : t if !contains(local.restore_testable, t)]
  }
}
