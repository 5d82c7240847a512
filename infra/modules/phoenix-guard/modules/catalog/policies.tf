# One policy per function: the actions its code calls (recorded next to the code in
# functions/<name>/aws-calls.txt and checked against it by tests/infra), on the narrowest
# resources each API allows. Every "*" resource names the APIs that accept nothing
# narrower.

locals {
  p = var.partition
  r = var.region
  a = var.account_id
  arn = {
    backup_plans          = "arn:${local.p}:backup:${local.r}:${local.a}:backup-plan:*"
    backup_vaults         = "arn:${local.p}:backup:${local.r}:${local.a}:backup-vault:*"
    recovery_points       = "arn:${local.p}:backup:${local.r}:${local.a}:recovery-point:*"
    restore_testing_plans = "arn:${local.p}:backup:${local.r}:${local.a}:restore-testing-plan:*"
    file_systems          = "arn:${local.p}:elasticfilesystem:${local.r}:${local.a}:file-system/*"
    db_instances          = "arn:${local.p}:rds:${local.r}:${local.a}:db:*"
    db_clusters           = "arn:${local.p}:rds:${local.r}:${local.a}:cluster:*"
    tables                = "arn:${local.p}:dynamodb:${local.r}:${local.a}:table/*"
    keys                  = "arn:${local.p}:kms:${local.r}:${local.a}:key/*"
    secrets               = "arn:${local.p}:secretsmanager:${local.r}:${local.a}:secret:*"
    # A multi-region trail is addressed in its home region.
    trails = "arn:${local.p}:cloudtrail:*:${local.a}:trail/*"
    rules  = "arn:${local.p}:events:${local.r}:${local.a}:rule/*"
    # Every bucket, none of their objects.
    buckets = "arn:${local.p}:s3:::*"
  }
  watched_buckets = distinct(concat(var.data_bucket_names, var.state_bucket_names))

  # The scheduled functions' metrics, one PutMetricData per run (what they read back, the
  # heartbeats and canaries, is there at once). The event-driven functions print theirs as
  # Embedded Metric Format, which CloudWatch Logs turns into metrics: no action needed.
  write_metrics = [
    {
      # PutMetricData accepts no resource; the namespace condition is its only scope.
      Sid       = "WriteMetrics"
      Effect    = "Allow"
      Action    = ["cloudwatch:PutMetricData"]
      Resource  = ["*"]
      Condition = { StringEquals = { "cloudwatch:namespace" = var.metric_namespace } }
    },
  ]

  # What every paging function does through phoenix-shared: page, keep the ledger.
  pipeline = [
    {
      Sid      = "PublishAlerts"
      Effect   = "Allow"
      Action   = ["sns:Publish"]
      Resource = compact([var.resources.alert_topic_arn, var.resources.chat_topic_arn])
    },
    {
      Sid      = "KeepTheLedger"
      Effect   = "Allow"
      Action   = ["dynamodb:UpdateItem"]
      Resource = [var.resources.findings_table_arn]
    },
    {
      # The alert topic, the findings table, the report bucket and the dead-letter queue
      # are encrypted with the guard's key.
      Sid      = "UseTheGuardKey"
      Effect   = "Allow"
      Action   = ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"]
      Resource = [var.resources.guard_key_arn]
    },
  ]

  # Reading a state object encrypted with a customer managed key (s3-deletion-guard
  # compares its versions; readiness-audit judges its destroy).
  decrypt_state = length(var.state_bucket_kms_key_arns) == 0 ? [] : [
    {
      Sid      = "DecryptState"
      Effect   = "Allow"
      Action   = ["kms:Decrypt"]
      Resource = var.state_bucket_kms_key_arns
    },
  ]

  # The sweeps list the open findings they may resolve.
  list_open_findings = [
    {
      Sid      = "ListOpenFindings"
      Effect   = "Allow"
      Action   = ["dynamodb:Scan"]
      Resource = [var.resources.findings_table_arn]
    },
  ]

  # backup-freshness's collection, which readiness-audit runs too.
  backup_reads = [
    {
      # ListBackupJobs, ListCopyJobs, ListBackupPlans, ListProtectedResources,
      # ListRecoveryPointsByResource, DescribeRegionSettings and DynamoDB's ListTables accept
      # no resource.
      Sid    = "ListBackupsAndTables"
      Effect = "Allow"
      Action = [
        "backup:DescribeRegionSettings",
        "backup:ListBackupJobs",
        "backup:ListBackupPlans",
        "backup:ListCopyJobs",
        "backup:ListProtectedResources",
        "backup:ListRecoveryPointsByResource",
        "dynamodb:ListTables",
      ]
      Resource = ["*"]
    },
    {
      Sid      = "ReadBackupPlans"
      Effect   = "Allow"
      Action   = ["backup:GetBackupPlan", "backup:GetBackupSelection", "backup:ListBackupSelections"]
      Resource = [local.arn.backup_plans]
    },
    {
      # Whether a copy destination in the account is logically air-gapped.
      Sid      = "ReadCopyDestinations"
      Effect   = "Allow"
      Action   = ["backup:DescribeBackupVault"]
      Resource = [local.arn.backup_vaults]
    },
    {
      Sid      = "ReadDataStores"
      Effect   = "Allow"
      Action   = ["elasticfilesystem:DescribeBackupPolicy", "elasticfilesystem:DescribeFileSystems", "rds:DescribeDBClusters", "rds:DescribeDBInstances", "dynamodb:DescribeTable", "dynamodb:ListTagsOfResource"]
      Resource = [local.arn.file_systems, local.arn.db_instances, local.arn.db_clusters, local.arn.tables]
    },
  ]

  # What the audit reads of an account beyond the backup reads (here and, through the reader
  # role, in every member account).
  audit_reads = [
    {
      # ListBackupVaults, ListRestoreJobs, ListRestoreTestingPlans, DescribeTrails,
      # ListRules, ListSecrets, ListAllMyBuckets, tag:GetResources and GetMetricData
      # accept no resource.
      Sid    = "ListTheAccount"
      Effect = "Allow"
      Action = [
        "backup:ListBackupVaults",
        "backup:ListRestoreJobs",
        "backup:ListRestoreTestingPlans",
        "cloudtrail:DescribeTrails",
        "cloudwatch:GetMetricData",
        "events:ListRules",
        "s3:ListAllMyBuckets",
        "secretsmanager:ListSecrets",
        "tag:GetResources",
      ]
      Resource = ["*"]
    },
    {
      Sid      = "ReadRestoreTestingPlans"
      Effect   = "Allow"
      Action   = ["backup:ListRestoreTestingSelections"]
      Resource = [local.arn.restore_testing_plans]
    },
    {
      Sid      = "ReadVaultsKeysAndTrails"
      Effect   = "Allow"
      Action   = ["backup:GetBackupVaultAccessPolicy", "kms:DescribeKey", "cloudtrail:GetTrailStatus"]
      Resource = [local.arn.backup_vaults, local.arn.keys, local.arn.trails]
    },
    {
      Sid      = "ReadBucketProtection"
      Effect   = "Allow"
      Action   = ["s3:GetBucketObjectLockConfiguration", "s3:GetBucketVersioning", "s3:GetLifecycleConfiguration"]
      Resource = [local.arn.buckets]
    },
    {
      # A table's point-in-time recovery (DescribeTable, for its deletion protection, is
      # among the backup reads).
      Sid      = "ReadTableProtection"
      Effect   = "Allow"
      Action   = ["dynamodb:DescribeContinuousBackups"]
      Resource = [local.arn.tables]
    },
    {
      # What a destroy of each stack would lose: the objects a destroyed bucket holds,
      # the recovery points a destroyed vault holds.
      Sid      = "JudgeADestroy"
      Effect   = "Allow"
      Action   = ["s3:ListBucket", "backup:ListRecoveryPointsByBackupVault"]
      Resource = [local.arn.buckets, local.arn.backup_vaults]
    },
  ]

  # The Terraform states the audit judges as destroyed.
  read_states = length(var.state_bucket_names) == 0 ? [] : [
    {
      Sid      = "ReadStates"
      Effect   = "Allow"
      Action   = ["s3:GetObject", "s3:ListBucket"]
      Resource = concat([for b in var.state_bucket_names : "arn:${local.p}:s3:::${b}"], [for b in var.state_bucket_names : "arn:${local.p}:s3:::${b}/*"])
    },
  ]

  # Organization mode: the sweeps read every member through its reader role, and take
  # their targets from their queues (Lambda's event source mapping polls with the
  # function's role).
  org = var.organization
  read_members = local.org == null ? [] : [
    {
      Sid      = "ReadMembers"
      Effect   = "Allow"
      Action   = ["sts:AssumeRole"]
      Resource = ["arn:${local.p}:iam::*:role/${local.org.reader_role_name}"]
    },
  ]
  import_in_members = local.org == null ? [] : [
    {
      Sid      = "ImportFindingsInMembers"
      Effect   = "Allow"
      Action   = ["sts:AssumeRole"]
      Resource = ["arn:${local.p}:iam::*:role/${local.org.findings_role_name}"]
    },
  ]
  validate_in_members = local.org == null ? [] : [
    {
      Sid      = "ValidateInMembers"
      Effect   = "Allow"
      Action   = ["sts:AssumeRole"]
      Resource = ["arn:${local.p}:iam::*:role/${local.org.validator_role_name}"]
    },
  ]
  take_sweeps = local.org == null ? {} : {
    for function, queue in local.org.sweep_queue_arns : function => [
      {
        Sid      = "TakeSweeps"
        Effect   = "Allow"
        Action   = ["sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:ReceiveMessage"]
        Resource = [queue]
      },
    ]
  }

  # protection-guard's reads of the resource a call changed (here and, through the reader
  # role, in the member account the call was made in).
  confirm_reads = [
    {
      # DescribeRegionSettings accepts no resource.
      Sid      = "ReadRegionSettings"
      Effect   = "Allow"
      Action   = ["backup:DescribeRegionSettings"]
      Resource = ["*"]
    },
    {
      Sid      = "ConfirmBackupChanges"
      Effect   = "Allow"
      Action   = ["backup:DescribeBackupVault", "backup:DescribeRecoveryPoint", "backup:GetBackupPlan", "backup:GetBackupSelection", "backup:ListTags"]
      Resource = [local.arn.backup_plans, local.arn.backup_vaults, local.arn.recovery_points]
    },
    {
      Sid      = "ConfirmDataStoreChanges"
      Effect   = "Allow"
      Action   = ["dynamodb:DescribeContinuousBackups", "dynamodb:DescribeTable", "elasticfilesystem:DescribeBackupPolicy", "elasticfilesystem:DescribeFileSystems", "rds:DescribeDBClusters", "rds:DescribeDBInstances"]
      Resource = [local.arn.file_systems, local.arn.db_instances, local.arn.db_clusters, local.arn.tables]
    },
    {
      Sid      = "ConfirmBucketChanges"
      Effect   = "Allow"
      Action   = ["s3:GetBucketObjectLockConfiguration", "s3:GetBucketTagging", "s3:GetBucketVersioning", "s3:GetLifecycleConfiguration"]
      Resource = [local.arn.buckets]
    },
    {
      Sid      = "ConfirmKeyAndSecretChanges"
      Effect   = "Allow"
      Action   = ["kms:DescribeKey", "kms:ListResourceTags", "secretsmanager:DescribeSecret"]
      Resource = [local.arn.keys, local.arn.secrets]
    },
    {
      Sid      = "ConfirmTrailAndRuleChanges"
      Effect   = "Allow"
      Action   = ["cloudtrail:GetEventSelectors", "cloudtrail:GetTrailStatus", "events:DescribeRule", "events:ListTargetsByRule"]
      Resource = [local.arn.trails, local.arn.rules]
    },
  ]

  # s3-deletion-guard's comparison of a state file's new version with the one before it
  # (here and, through the reader role, in the member account the state is in).
  compare_states = length(var.state_bucket_names) == 0 ? [] : [
    {
      Sid      = "CompareStateVersions"
      Effect   = "Allow"
      Action   = ["s3:GetObject", "s3:GetObjectVersion", "s3:ListBucketVersions"]
      Resource = concat([for b in var.state_bucket_names : "arn:${local.p}:s3:::${b}"], [for b in var.state_bucket_names : "arn:${local.p}:s3:::${b}/*"])
    },
  ]

  # What restore-validator reads of a restore test and the one write it makes: the verdict
  # (here and, through the validator role, in the member account the test ran in).
  validate_restores = [
    {
      # DescribeRestoreJob and PutRestoreValidationResult accept no resource.
      Sid      = "JudgeRestoreJobs"
      Effect   = "Allow"
      Action   = ["backup:DescribeRestoreJob", "backup:PutRestoreValidationResult"]
      Resource = ["*"]
    },
    {
      Sid      = "ReadRecoveryPoints"
      Effect   = "Allow"
      Action   = ["backup:DescribeRecoveryPoint"]
      Resource = [local.arn.recovery_points]
    },
    {
      # The restored resource and, for a database, its source.
      Sid      = "ReadRestoredResources"
      Effect   = "Allow"
      Action   = ["elasticfilesystem:DescribeFileSystems", "rds:DescribeDBClusters", "rds:DescribeDBInstances", "dynamodb:DescribeTable", "s3:ListBucket"]
      Resource = [local.arn.file_systems, local.arn.db_instances, local.arn.db_clusters, local.arn.tables, local.arn.buckets]
    },
  ]

  # The reader role of a member account: the sweeps' reads, protection-guard's confirming
  # reads and s3-deletion-guard's bucket and state reads, in every region, and nothing that
  # writes (its ARNs come from the member module's own evaluation of this catalog).
  reader_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = concat(local.backup_reads, local.audit_reads, local.read_states, local.decrypt_state, local.confirm_reads, local.compare_states)
  })

  # The restore validator role of a member account: restore-validator's reads and its one
  # write, the verdict on a restore test.
  validator_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = local.validate_restores
  })

  # Security Hub in an account: its own findings, under its default product. The findings
  # role of a member account holds the same (its ARNs are the member's own).
  import_findings = [
    {
      Sid      = "ImportOwnFindings"
      Effect   = "Allow"
      Action   = ["securityhub:BatchImportFindings"]
      Resource = ["arn:${local.p}:securityhub:*:${local.a}:product/${local.a}/default"]
    },
    {
      Sid      = "KeepOwnFindings"
      Effect   = "Allow"
      Action   = ["securityhub:BatchUpdateFindings", "securityhub:GetFindings"]
      Resource = ["arn:${local.p}:securityhub:*:${local.a}:hub/default"]
    },
  ]
  findings_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = local.import_findings
  })

  statements = {
    "backup-events" = local.pipeline

    "security-hub" = concat(local.import_findings, local.import_in_members)

    "backup-freshness" = concat(local.pipeline, local.write_metrics, local.list_open_findings, local.backup_reads, local.read_members, try(local.take_sweeps["backup-freshness"], []))

    "protection-guard" = concat(local.pipeline, [
      {
        # An open key-regeneration finding is re-judged against what it has seen.
        Sid      = "ReadOpenFindings"
        Effect   = "Allow"
        Action   = ["dynamodb:GetItem"]
        Resource = [var.resources.findings_table_arn]
      },
    ], local.confirm_reads, local.read_members)

    "s3-deletion-guard" = concat(local.pipeline, [
      {
        # Burst tallies are created in the findings table; the scheduled run lists the
        # bursts that went quiet.
        Sid      = "TallyDeletions"
        Effect   = "Allow"
        Action   = ["dynamodb:PutItem", "dynamodb:Scan"]
        Resource = [var.resources.findings_table_arn]
      },
      ], length(local.watched_buckets) == 0 ? [] : [
      {
        Sid      = "ReadWatchedBuckets"
        Effect   = "Allow"
        Action   = ["s3:GetBucketTagging", "s3:GetBucketVersioning"]
        Resource = [for b in local.watched_buckets : "arn:${local.p}:s3:::${b}"]
      },
    ], local.compare_states, local.decrypt_state, local.read_members)

    "restore-validator" = concat(local.pipeline, local.validate_restores, local.validate_in_members, length(var.restore_validator_function_arns) == 0 ? [] : [
      {
        # The team's own checks of the restored data, and nothing else.
        Sid      = "AskTheTeamsValidators"
        Effect   = "Allow"
        Action   = ["lambda:InvokeFunction"]
        Resource = var.restore_validator_function_arns
      },
    ])

    "readiness-audit" = concat(local.pipeline, local.write_metrics, local.list_open_findings, local.backup_reads, local.audit_reads, [
      {
        Sid      = "KeepTheReport"
        Effect   = "Allow"
        Action   = ["s3:GetObject", "s3:PutObject"]
        Resource = ["arn:${local.p}:s3:::${var.resources.report_bucket_name}/readiness/*"]
      },
      {
        # Without it, reading the report before the first one exists is AccessDenied, not
        # NoSuchKey.
        Sid      = "FindTheReport"
        Effect   = "Allow"
        Action   = ["s3:ListBucket"]
        Resource = ["arn:${local.p}:s3:::${var.resources.report_bucket_name}"]
      },
    ], local.read_states, local.decrypt_state, local.read_members, try(local.take_sweeps["readiness-audit"], []))

    "sweep-dispatcher" = concat(local.pipeline, local.write_metrics, [
      {
        # Organizations' ListAccounts, ListAccountsForParent,
        # ListOrganizationalUnitsForParent and ListTagsForResource are answered by the
        # management account for accounts not known before the listing; GetMetricData
        # accepts no resource.
        Sid    = "ListTheOrganization"
        Effect = "Allow"
        Action = [
          "cloudwatch:GetMetricData",
          "organizations:ListAccounts",
          "organizations:ListAccountsForParent",
          "organizations:ListOrganizationalUnitsForParent",
          "organizations:ListTagsForResource",
        ]
        Resource = ["*"]
      },
      {
        Sid      = "QueueSweeps"
        Effect   = "Allow"
        Action   = ["sqs:SendMessage"]
        Resource = local.org == null ? [] : values(local.org.sweep_queue_arns)
      },
      {
        Sid      = "KeepTheRollup"
        Effect   = "Allow"
        Action   = ["s3:GetObject", "s3:PutObject"]
        Resource = ["arn:${local.p}:s3:::${var.resources.report_bucket_name}/readiness/*"]
      },
      {
        Sid      = "FindTheReports"
        Effect   = "Allow"
        Action   = ["s3:ListBucket"]
        Resource = ["arn:${local.p}:s3:::${var.resources.report_bucket_name}"]
      },
    ])
  }

  # What the Lambda platform needs of every role: its log group, the dead-letter queue of
  # failed asynchronous invocations, and X-Ray when tracing is on.
  platform = {
    for name, _ in local.functions : name => concat([
      {
        Sid      = "WriteOwnLogs"
        Effect   = "Allow"
        Action   = ["logs:CreateLogStream", "logs:PutLogEvents"]
        Resource = ["${lookup(var.resources.log_group_arns, name, "-")}:*"]
      },
      {
        Sid      = "DeadLetters"
        Effect   = "Allow"
        Action   = ["sqs:SendMessage"]
        Resource = [var.resources.dead_letter_queue_arn]
      },
      {
        # The dead-letter queue is encrypted with the guard's key.
        Sid      = "DeadLetterKey"
        Effect   = "Allow"
        Action   = ["kms:Decrypt", "kms:GenerateDataKey"]
        Resource = [var.resources.guard_key_arn]
      },
      ], var.enable_xray ? [
      {
        # PutTraceSegments and PutTelemetryRecords accept no resource.
        Sid      = "Trace"
        Effect   = "Allow"
        Action   = ["xray:PutTelemetryRecords", "xray:PutTraceSegments"]
        Resource = ["*"]
      },
    ] : [])
  }

  policies = {
    for name, _ in local.functions : name => jsonencode({
      Version   = "2012-10-17"
      Statement = concat(local.statements[name], local.platform[name])
    })
  }
}
