//! Building an account in the emulator through the AWS APIs themselves: EFS file systems,
//! RDS instances, DynamoDB tables, backup vaults, plans, selections and jobs, buckets, KMS
//! keys, secrets and trails. Each helper works in the region of the `SdkConfig` it is given,
//! so a test that evaluates a whole region can have one to itself.

use crate::Emulator;
use aws_config::{Region, SdkConfig};
use serde_json::{Value, json};

/// The IAM role AWS Backup assumes in selections and jobs.
pub const BACKUP_ROLE: &str = "arn:aws:iam::123456789012:role/phoenix-backup";

/// The same SDK configuration in another region.
pub fn in_region(sdk: &SdkConfig, region: &str) -> SdkConfig {
    sdk.to_builder()
        .region(Region::new(region.to_owned()))
        .build()
}

/// Creates an EFS file system with tags; returns (ARN, id).
pub async fn create_efs(sdk: &SdkConfig, token: &str, tags: &[(&str, &str)]) -> (String, String) {
    let efs = aws_sdk_efs::Client::new(sdk);
    let mut request = efs.create_file_system().creation_token(token);
    for (k, v) in tags {
        request = request.tags(
            aws_sdk_efs::types::Tag::builder()
                .key(*k)
                .value(*v)
                .build()
                .expect("tag"),
        );
    }
    let fs = request.send().await.expect("create file system");
    (
        fs.file_system_arn().expect("file system arn").to_owned(),
        fs.file_system_id().to_owned(),
    )
}

/// Creates a PostgreSQL RDS instance with tags; returns its ARN.
pub async fn create_rds(sdk: &SdkConfig, id: &str, tags: &[(&str, &str)]) -> String {
    let rds = aws_sdk_rds::Client::new(sdk);
    let mut request = rds
        .create_db_instance()
        .db_instance_identifier(id)
        .db_instance_class("db.t4g.micro")
        .engine("postgres")
        .allocated_storage(20)
        .master_username("phoenix")
        .master_user_password("not-a-secret-1");
    for (k, v) in tags {
        request = request.tags(aws_sdk_rds::types::Tag::builder().key(*k).value(*v).build());
    }
    let out = request.send().await.expect("create db instance");
    out.db_instance()
        .and_then(|d| d.db_instance_arn())
        .expect("db instance arn")
        .to_owned()
}

/// Creates a vault (`<name>-vault`) and a plan with one rule into it; returns the plan id.
pub async fn create_plan(
    sdk: &SdkConfig,
    name: &str,
    schedule: &str,
    start_window_minutes: i64,
) -> String {
    let vault = format!("{name}-vault");
    create_vault(sdk, &vault, None).await;
    add_plan(sdk, name, &vault, schedule, start_window_minutes).await
}

/// Creates a plan with one rule into an existing vault; returns the plan id.
pub async fn add_plan(
    sdk: &SdkConfig,
    name: &str,
    vault: &str,
    schedule: &str,
    start_window_minutes: i64,
) -> String {
    let backup = aws_sdk_backup::Client::new(sdk);
    let rule = aws_sdk_backup::types::BackupRuleInput::builder()
        .rule_name(format!("{name}-rule"))
        .target_backup_vault_name(vault)
        .schedule_expression(schedule)
        .schedule_expression_timezone("Etc/UTC")
        .start_window_minutes(start_window_minutes)
        .completion_window_minutes(600)
        .build()
        .expect("rule");
    let plan = aws_sdk_backup::types::BackupPlanInput::builder()
        .backup_plan_name(name)
        .rules(rule)
        .build()
        .expect("plan");
    backup
        .create_backup_plan()
        .backup_plan(plan)
        .send()
        .await
        .expect("create plan")
        .backup_plan_id()
        .expect("plan id")
        .to_owned()
}

/// Adds a selection of resources by ARN to a plan; returns the selection id.
pub async fn select(sdk: &SdkConfig, plan_id: &str, name: &str, resources: &[&str]) -> String {
    let backup = aws_sdk_backup::Client::new(sdk);
    let mut selection = aws_sdk_backup::types::BackupSelection::builder()
        .selection_name(name)
        .iam_role_arn(BACKUP_ROLE);
    for r in resources {
        selection = selection.resources(*r);
    }
    backup
        .create_backup_selection()
        .backup_plan_id(plan_id)
        .backup_selection(selection.build().expect("selection"))
        .send()
        .await
        .expect("create selection")
        .selection_id()
        .expect("selection id")
        .to_owned()
}

/// Starts a backup job of `resource` into the plan's vault, then moves it through the
/// emulator's seeding endpoint to `state`, created `hours_ago` hours ago. Returns the job id.
pub async fn backup_job(
    sdk: &SdkConfig,
    plan_name: &str,
    resource: &str,
    state: &str,
    hours_ago: f64,
    message: Option<&str>,
) -> String {
    backup_job_into(
        sdk,
        &format!("{plan_name}-vault"),
        resource,
        state,
        hours_ago,
        message,
    )
    .await
}

/// [`backup_job`] into a named vault.
pub async fn backup_job_into(
    sdk: &SdkConfig,
    vault: &str,
    resource: &str,
    state: &str,
    hours_ago: f64,
    message: Option<&str>,
) -> String {
    let backup = aws_sdk_backup::Client::new(sdk);
    let job = backup
        .start_backup_job()
        .backup_vault_name(vault)
        .resource_arn(resource)
        .iam_role_arn(BACKUP_ROLE)
        .send()
        .await
        .expect("start backup job");
    let id = job.backup_job_id().expect("job id").to_owned();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs_f64();
    let created = now - hours_ago * 3600.0;
    let mut seed = json!({
        "State": state,
        "CreationDate": created,
        "CompletionDate": created + 600.0,
    });
    if let Some(message) = message {
        seed["StatusMessage"] = Value::from(message);
    }
    Emulator::shared().control("POST", &format!("/_phoenix/backup/jobs/{id}"), &seed);
    id
}

/// Makes every later call of `operation` that names `resource` fail with AccessDenied.
pub fn deny(service: &str, operation: &str, resource: &str) -> String {
    let answer = Emulator::shared().control(
        "POST",
        "/_phoenix/faults",
        &json!({
            "Service": service,
            "Operation": operation,
            "ResourceArn": resource,
            "Status": 403,
            "Code": "AccessDeniedException",
            "Message": "User: arn:aws:sts::123456789012:assumed-role/phoenix/backup-freshness is not authorized",
        }),
    );
    answer["Id"].as_str().expect("fault id").to_owned()
}

/// An EventBridge `Scheduled Event` at `time` (RFC 3339).
pub fn scheduled_event(time: &str) -> Value {
    json!({
        "version": "0",
        "id": "53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa",
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": "123456789012",
        "time": time,
        "region": "eu-west-1",
        "resources": ["arn:aws:events:eu-west-1:123456789012:rule/phoenix-backup-freshness"],
        "detail": {}
    })
}

/// A DynamoDB table (on-demand, one string key) with point-in-time recovery and deletion
/// protection as given; its ARN.
pub async fn create_table(sdk: &SdkConfig, name: &str, pitr: bool, protected: bool) -> String {
    use aws_sdk_dynamodb::types::{
        AttributeDefinition, BillingMode, KeySchemaElement, KeyType,
        PointInTimeRecoverySpecification, ScalarAttributeType,
    };
    let dynamodb = aws_sdk_dynamodb::Client::new(sdk);
    let created = dynamodb
        .create_table()
        .table_name(name)
        .billing_mode(BillingMode::PayPerRequest)
        .deletion_protection_enabled(protected)
        .attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name("id")
                .attribute_type(ScalarAttributeType::S)
                .build()
                .expect("attribute"),
        )
        .key_schema(
            KeySchemaElement::builder()
                .attribute_name("id")
                .key_type(KeyType::Hash)
                .build()
                .expect("key"),
        )
        .send()
        .await
        .expect("create table");
    if pitr {
        dynamodb
            .update_continuous_backups()
            .table_name(name)
            .point_in_time_recovery_specification(
                PointInTimeRecoverySpecification::builder()
                    .point_in_time_recovery_enabled(true)
                    .build()
                    .expect("pitr"),
            )
            .send()
            .await
            .expect("enable point-in-time recovery");
    }
    created
        .table_description()
        .and_then(|t| t.table_arn())
        .expect("table arn")
        .to_owned()
}

/// A versioned bucket tagged `phoenix:terraform-state=true`, as a Terraform S3 backend
/// wants it.
pub async fn create_state_bucket(sdk: &SdkConfig, name: &str) {
    create_bucket(sdk, name, &[("phoenix:terraform-state", "true")], true).await;
}

/// Creates a bucket with tags and, when `versioned`, versioning enabled.
pub async fn create_bucket(sdk: &SdkConfig, name: &str, tags: &[(&str, &str)], versioned: bool) {
    make_bucket(sdk, name, false).await;
    tag_bucket(sdk, name, tags).await;
    if versioned {
        set_versioning(sdk, name, true).await;
    }
}

/// A bucket created with Object Lock (and so versioning) enabled, no default retention yet.
pub async fn create_locked_bucket(sdk: &SdkConfig, name: &str, tags: &[(&str, &str)]) {
    make_bucket(sdk, name, true).await;
    set_versioning(sdk, name, true).await;
    tag_bucket(sdk, name, tags).await;
}

/// `CreateBucket` in the emulator's region, with Object Lock when `locked`.
async fn make_bucket(sdk: &SdkConfig, name: &str, locked: bool) {
    s3_client(sdk)
        .create_bucket()
        .bucket(name)
        .object_lock_enabled_for_bucket(locked)
        .create_bucket_configuration(
            aws_sdk_s3::types::CreateBucketConfiguration::builder()
                .location_constraint(aws_sdk_s3::types::BucketLocationConstraint::EuWest1)
                .build(),
        )
        .send()
        .await
        .expect("create bucket");
}

/// Sets a bucket's tags (none: nothing is called).
async fn tag_bucket(sdk: &SdkConfig, name: &str, tags: &[(&str, &str)]) {
    if tags.is_empty() {
        return;
    }
    let tag_set = tags
        .iter()
        .map(|(k, v)| {
            aws_sdk_s3::types::Tag::builder()
                .key(*k)
                .value(*v)
                .build()
                .expect("tag")
        })
        .collect::<Vec<_>>();
    s3_client(sdk)
        .put_bucket_tagging()
        .bucket(name)
        .tagging(
            aws_sdk_s3::types::Tagging::builder()
                .set_tag_set(Some(tag_set))
                .build()
                .expect("tagging"),
        )
        .send()
        .await
        .expect("tag bucket");
}

/// Sets a bucket's default Object Lock retention (`mode`, `days`).
pub async fn set_default_retention(sdk: &SdkConfig, bucket: &str, mode: &str, days: i32) {
    use aws_sdk_s3::types::{
        DefaultRetention, ObjectLockConfiguration, ObjectLockEnabled, ObjectLockRetentionMode,
        ObjectLockRule,
    };
    s3_client(sdk)
        .put_object_lock_configuration()
        .bucket(bucket)
        .object_lock_configuration(
            ObjectLockConfiguration::builder()
                .object_lock_enabled(ObjectLockEnabled::Enabled)
                .rule(
                    ObjectLockRule::builder()
                        .default_retention(
                            DefaultRetention::builder()
                                .mode(ObjectLockRetentionMode::from(mode))
                                .days(days)
                                .build(),
                        )
                        .build(),
                )
                .build(),
        )
        .send()
        .await
        .expect("put object lock configuration");
}

/// Writes an object through the S3 API; returns its version id (versioned buckets).
pub async fn put_object(sdk: &SdkConfig, bucket: &str, key: &str, body: &str) -> Option<String> {
    s3_client(sdk)
        .put_object()
        .bucket(bucket)
        .key(key)
        .body(aws_sdk_s3::primitives::ByteStream::from(
            body.as_bytes().to_vec(),
        ))
        .send()
        .await
        .expect("put object")
        .version_id
}

/// Enables or suspends a bucket's versioning through the S3 API.
pub async fn set_versioning(sdk: &SdkConfig, bucket: &str, enabled: bool) {
    let status = if enabled {
        aws_sdk_s3::types::BucketVersioningStatus::Enabled
    } else {
        aws_sdk_s3::types::BucketVersioningStatus::Suspended
    };
    s3_client(sdk)
        .put_bucket_versioning()
        .bucket(bucket)
        .versioning_configuration(
            aws_sdk_s3::types::VersioningConfiguration::builder()
                .status(status)
                .build(),
        )
        .send()
        .await
        .expect("put bucket versioning");
}

/// An S3 client that addresses buckets by path, as the emulator needs.
pub fn s3_client(sdk: &SdkConfig) -> aws_sdk_s3::Client {
    phoenix_shared::aws::s3_client(sdk)
}

/// Creates a KMS key with tags; returns its id.
pub async fn create_key(sdk: &SdkConfig, tags: &[(&str, &str)]) -> String {
    let mut request = aws_sdk_kms::Client::new(sdk)
        .create_key()
        .description("phoenix test key");
    for (k, v) in tags {
        request = request.tags(
            aws_sdk_kms::types::Tag::builder()
                .tag_key(*k)
                .tag_value(*v)
                .build()
                .expect("tag"),
        );
    }
    let out = request.send().await.expect("create key");
    out.key_metadata()
        .expect("key metadata")
        .key_id()
        .to_owned()
}

/// Creates a secret holding `value` with tags; returns its ARN.
pub async fn create_secret(
    sdk: &SdkConfig,
    name: &str,
    value: &str,
    tags: &[(&str, &str)],
) -> String {
    let mut request = aws_sdk_secretsmanager::Client::new(sdk)
        .create_secret()
        .name(name)
        .secret_string(value);
    for (k, v) in tags {
        request = request.tags(
            aws_sdk_secretsmanager::types::Tag::builder()
                .key(*k)
                .value(*v)
                .build(),
        );
    }
    request
        .send()
        .await
        .expect("create secret")
        .arn()
        .expect("secret arn")
        .to_owned()
}

/// Creates a logging CloudTrail trail (and its log bucket); returns the trail's name.
pub async fn create_trail(sdk: &SdkConfig, name: &str) -> String {
    create_bucket(sdk, &format!("{name}-logs"), &[], false).await;
    let cloudtrail = aws_sdk_cloudtrail::Client::new(sdk);
    cloudtrail
        .create_trail()
        .name(name)
        .s3_bucket_name(format!("{name}-logs"))
        .send()
        .await
        .expect("create trail");
    cloudtrail
        .start_logging()
        .name(name)
        .send()
        .await
        .expect("start logging");
    name.to_owned()
}

/// Creates a backup vault, encrypted with `key` when given; returns its ARN.
pub async fn create_vault(sdk: &SdkConfig, name: &str, key: Option<&str>) -> String {
    aws_sdk_backup::Client::new(sdk)
        .create_backup_vault()
        .backup_vault_name(name)
        .set_encryption_key_arn(key.map(str::to_owned))
        .send()
        .await
        .expect("create vault")
        .backup_vault_arn()
        .expect("vault arn")
        .to_owned()
}

/// Locks a vault with a minimum retention; with `changeable_for_days` the lock is in
/// compliance mode (it becomes immutable then), without it in governance mode.
pub async fn lock_vault(
    sdk: &SdkConfig,
    name: &str,
    min_days: i64,
    changeable_for_days: Option<i64>,
) {
    aws_sdk_backup::Client::new(sdk)
        .put_backup_vault_lock_configuration()
        .backup_vault_name(name)
        .min_retention_days(min_days)
        .set_changeable_for_days(changeable_for_days)
        .send()
        .await
        .expect("lock vault");
}

/// Sets a vault's access policy.
pub async fn set_vault_policy(sdk: &SdkConfig, name: &str, policy: &Value) {
    aws_sdk_backup::Client::new(sdk)
        .put_backup_vault_access_policy()
        .backup_vault_name(name)
        .policy(policy.to_string())
        .send()
        .await
        .expect("put vault access policy");
}

/// Gives a bucket one lifecycle rule that deletes noncurrent versions after `noncurrent_days`.
pub async fn set_lifecycle(sdk: &SdkConfig, bucket: &str, noncurrent_days: i32) {
    use aws_sdk_s3::types::{
        BucketLifecycleConfiguration, ExpirationStatus, LifecycleRule, LifecycleRuleFilter,
        NoncurrentVersionExpiration,
    };
    let rule = LifecycleRule::builder()
        .id("retain-versions")
        .status(ExpirationStatus::Enabled)
        .filter(LifecycleRuleFilter::builder().prefix("").build())
        .noncurrent_version_expiration(
            NoncurrentVersionExpiration::builder()
                .noncurrent_days(noncurrent_days)
                .build(),
        )
        .build()
        .expect("rule");
    s3_client(sdk)
        .put_bucket_lifecycle_configuration()
        .bucket(bucket)
        .lifecycle_configuration(
            BucketLifecycleConfiguration::builder()
                .rules(rule)
                .build()
                .expect("lifecycle"),
        )
        .send()
        .await
        .expect("put lifecycle");
}

/// Sets deletion protection and automated-backup retention of an RDS instance.
pub async fn protect_rds(
    sdk: &SdkConfig,
    id: &str,
    deletion_protection: bool,
    retention_days: i32,
) {
    aws_sdk_rds::Client::new(sdk)
        .modify_db_instance()
        .db_instance_identifier(id)
        .deletion_protection(deletion_protection)
        .backup_retention_period(retention_days)
        .apply_immediately(true)
        .send()
        .await
        .expect("modify db instance");
}

/// Phoenix Guard's own EventBridge rules, as the Terraform module creates them.
pub async fn create_guard_rules(sdk: &SdkConfig, prefix: &str) -> Vec<String> {
    let events = aws_sdk_eventbridge::Client::new(sdk);
    let mut arns = Vec::new();
    for (name, pattern) in [
        ("backup-events", json!({"source": ["aws.backup"]})),
        (
            "protection-guard",
            json!({"detail-type": ["AWS API Call via CloudTrail"]}),
        ),
    ] {
        let out = events
            .put_rule()
            .name(format!("{prefix}-{name}"))
            .event_pattern(pattern.to_string())
            .send()
            .await
            .expect("put rule");
        arns.push(out.rule_arn().expect("rule arn").to_owned());
    }
    for name in ["backup-freshness", "readiness-audit"] {
        let out = events
            .put_rule()
            .name(format!("{prefix}-{name}"))
            .schedule_expression("rate(1 hour)")
            .send()
            .await
            .expect("put rule");
        arns.push(out.rule_arn().expect("rule arn").to_owned());
    }
    arns
}

/// A completed backup of `resource` into `vault` whose recovery point holds `bytes`, taken
/// `hours_ago`; the backup job's id.
pub async fn sized_backup(
    sdk: &SdkConfig,
    vault: &str,
    resource: &str,
    bytes: i64,
    hours_ago: f64,
) -> String {
    let id = backup_job_into(sdk, vault, resource, "COMPLETED", hours_ago, None).await;
    Emulator::shared().control(
        "POST",
        &format!("/_phoenix/backup/jobs/{id}"),
        &json!({"BackupSizeInBytes": bytes}),
    );
    id
}

/// An AWS Backup restore testing plan (monthly, the latest recovery point of the last 30
/// days in any vault) with one selection per resource type, each selecting every protected
/// resource of its type; the plan's ARN.
pub async fn restore_testing_plan(sdk: &SdkConfig, name: &str, types: &[&str]) -> String {
    let every: Vec<(&str, &[&str])> = types.iter().map(|t| (*t, &["*"][..])).collect();
    restore_testing_plan_selecting(sdk, name, &every).await
}

/// [`restore_testing_plan`] with one selection per (type, resource ARNs).
pub async fn restore_testing_plan_selecting(
    sdk: &SdkConfig,
    name: &str,
    selections: &[(&str, &[&str])],
) -> String {
    use aws_sdk_backup::types::{
        RestoreTestingPlanForCreate, RestoreTestingRecoveryPointSelection,
        RestoreTestingRecoveryPointSelectionAlgorithm, RestoreTestingRecoveryPointType,
        RestoreTestingSelectionForCreate,
    };
    let backup = aws_sdk_backup::Client::new(sdk);
    let plan = backup
        .create_restore_testing_plan()
        .restore_testing_plan(
            RestoreTestingPlanForCreate::builder()
                .restore_testing_plan_name(name)
                .schedule_expression("cron(0 5 1 * ? *)")
                .recovery_point_selection(
                    RestoreTestingRecoveryPointSelection::builder()
                        .algorithm(
                            RestoreTestingRecoveryPointSelectionAlgorithm::LatestWithinWindow,
                        )
                        .include_vaults("*")
                        .recovery_point_types(RestoreTestingRecoveryPointType::Snapshot)
                        .selection_window_days(30)
                        .build(),
                )
                .build()
                .expect("restore testing plan"),
        )
        .send()
        .await
        .expect("create restore testing plan");
    for (rtype, arns) in selections {
        backup
            .create_restore_testing_selection()
            .restore_testing_plan_name(name)
            .restore_testing_selection(
                RestoreTestingSelectionForCreate::builder()
                    .restore_testing_selection_name(format!("{}_all", rtype.to_lowercase()))
                    .iam_role_arn(BACKUP_ROLE)
                    .protected_resource_type(*rtype)
                    .set_protected_resource_arns(Some(
                        arns.iter().map(|a| (*a).to_owned()).collect(),
                    ))
                    .validation_window_hours(24)
                    .build()
                    .expect("restore testing selection"),
            )
            .send()
            .await
            .expect("create restore testing selection");
    }
    plan.restore_testing_plan_arn().to_owned()
}

/// The restore testing plan's schedule fires in `account`: one restore job per selected
/// resource, by job id.
pub fn run_restore_tests(account: &str, plan: &str) -> Vec<String> {
    let answer = Emulator::shared().control(
        "POST",
        &format!("/_phoenix/backup/restore-testing/plans/{plan}/run"),
        &json!({"Account": account, "Region": crate::REGION}),
    );
    answer["RestoreJobIds"]
        .as_array()
        .expect("restore job ids")
        .iter()
        .filter_map(Value::as_str)
        .map(str::to_owned)
        .collect()
}

/// A restore job ends `status` after `minutes`, finishing now; `seed` adds to what the
/// emulator is told (`StatusMessage`, `RestoredSizeBytes`, …).
pub fn finish_restore(job: &str, status: &str, minutes: f64, seed: Value) {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs_f64();
    let mut body = json!({
        "Status": status,
        "CreationDate": now - minutes * 60.0,
        "CompletionDate": now,
    });
    if let (Some(body), Value::Object(extra)) = (body.as_object_mut(), seed) {
        body.extend(extra);
    }
    Emulator::shared().control(
        "POST",
        &format!("/_phoenix/backup/restore-jobs/{job}"),
        &body,
    );
}

/// The `Restore Job State Change` event AWS Backup emits for a restore job as it stands.
pub async fn restore_event(sdk: &SdkConfig, account: &str, job: &str) -> Value {
    let backup = aws_sdk_backup::Client::new(sdk);
    let out = backup
        .describe_restore_job()
        .restore_job_id(job)
        .send()
        .await
        .expect("describe restore job");
    let date = |d: Option<&aws_sdk_backup::primitives::DateTime>| {
        d.and_then(|d| {
            d.fmt(aws_sdk_backup::primitives::DateTimeFormat::DateTime)
                .ok()
        })
    };
    let mut detail = json!({
        "restoreJobId": job,
        "status": out.status().map(|s| s.as_str()),
        "resourceType": out.resource_type(),
        "recoveryPointArn": out.recovery_point_arn(),
        "sourceResourceArn": out.source_resource_arn(),
        "backupVaultArn": out.backup_vault_arn(),
        "createdResourceArn": out.created_resource_arn(),
        "backupSizeInBytes": out.backup_size_in_bytes().map(|b| b.to_string()),
        "creationDate": date(out.creation_date()),
        "completionDate": date(out.completion_date()),
        "statusMessage": out.status_message(),
        "restoreTestingPlanArn": out.created_by().and_then(|c| c.restore_testing_plan_arn()),
    });
    if let Some(map) = detail.as_object_mut() {
        map.retain(|_, v| !v.is_null());
    }
    json!({
        "version": "0",
        "id": format!("restore-{job}"),
        "detail-type": "Restore Job State Change",
        "source": "aws.backup",
        "account": account,
        "time": date(out.completion_date()),
        "region": crate::REGION,
        "resources": [],
        "detail": detail,
    })
}

/// Adds a copy action to every rule of a plan (UpdateBackupPlan): each recovery point is
/// then also copied to `destination_vault_arn`.
pub async fn add_copy_rule(sdk: &SdkConfig, plan_id: &str, destination_vault_arn: &str) {
    use aws_sdk_backup::types::{BackupPlanInput, BackupRuleInput, CopyAction};
    let backup = aws_sdk_backup::Client::new(sdk);
    let got = backup
        .get_backup_plan()
        .backup_plan_id(plan_id)
        .send()
        .await
        .expect("get plan");
    let plan = got.backup_plan().expect("plan");
    let mut input = BackupPlanInput::builder().backup_plan_name(plan.backup_plan_name());
    for rule in plan.rules() {
        let copy = CopyAction::builder()
            .destination_backup_vault_arn(destination_vault_arn)
            .build()
            .expect("copy action");
        input = input.rules(
            BackupRuleInput::builder()
                .rule_name(rule.rule_name())
                .target_backup_vault_name(rule.target_backup_vault_name())
                .set_schedule_expression(rule.schedule_expression().map(str::to_owned))
                .set_schedule_expression_timezone(
                    rule.schedule_expression_timezone().map(str::to_owned),
                )
                .set_start_window_minutes(rule.start_window_minutes())
                .set_completion_window_minutes(rule.completion_window_minutes())
                .set_copy_actions(Some(
                    rule.copy_actions()
                        .iter()
                        .cloned()
                        .chain(std::iter::once(copy))
                        .collect(),
                ))
                .build()
                .expect("rule"),
        );
    }
    backup
        .update_backup_plan()
        .backup_plan_id(plan_id)
        .backup_plan(input.build().expect("plan input"))
        .send()
        .await
        .expect("update plan");
}

/// A copy job of `resource`'s newest completed recovery point in `vault` to
/// `destination_vault_arn`, ended `state` `hours_ago` (with `message`); its id.
pub async fn copy_job(
    sdk: &SdkConfig,
    vault: &str,
    resource: &str,
    destination_vault_arn: &str,
    state: &str,
    hours_ago: f64,
    message: Option<&str>,
) -> String {
    let backup = aws_sdk_backup::Client::new(sdk);
    let points = backup
        .list_recovery_points_by_resource()
        .resource_arn(resource)
        .send()
        .await
        .expect("recovery points");
    let point = points
        .recovery_points()
        .iter()
        .filter(|p| p.backup_vault_name() == Some(vault))
        .filter(|p| p.status() == Some(&aws_sdk_backup::types::RecoveryPointStatus::Completed))
        .filter_map(|p| p.recovery_point_arn())
        .next_back()
        .expect("a completed recovery point to copy")
        .to_owned();
    let id = backup
        .start_copy_job()
        .recovery_point_arn(point)
        .source_backup_vault_name(vault)
        .destination_backup_vault_arn(destination_vault_arn)
        .iam_role_arn(BACKUP_ROLE)
        .send()
        .await
        .expect("start copy job")
        .copy_job_id()
        .expect("copy job id")
        .to_owned();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs_f64();
    let done = now - hours_ago * 3600.0;
    let mut seed = json!({"State": state, "CreationDate": done - 900.0, "CompletionDate": done});
    if let Some(message) = message {
        seed["StatusMessage"] = Value::from(message);
    }
    Emulator::shared().control("POST", &format!("/_phoenix/backup/copy-jobs/{id}"), &seed);
    id
}

/// A logically air-gapped backup vault (CreateLogicallyAirGappedBackupVault); its ARN.
pub async fn create_air_gapped_vault(sdk: &SdkConfig, name: &str) -> String {
    aws_sdk_backup::Client::new(sdk)
        .create_logically_air_gapped_backup_vault()
        .backup_vault_name(name)
        .min_retention_days(7)
        .max_retention_days(35)
        .send()
        .await
        .expect("create air-gapped vault")
        .backup_vault_arn()
        .expect("vault arn")
        .to_owned()
}
