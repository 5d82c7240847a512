//! The users' environment from `../shared/seeds/` ("cochlearis" dev), built through the AWS
//! APIs, and the seeds' Phase 1 fixes applied the same way. Used by the demo, the readiness
//! tests and the benchmark.
//!
//! Today (60% ready by the users' own count): Zulip's data on EFS in no backup plan (one
//! manual backup from the migration, 40 days old, sits in an unlocked vault); Zulip's and
//! BookStack's upload buckets without versioning or lifecycle rules; Zitadel's RDS database
//! with 7-day automated backups (exempt from AWS Backup for that reason) and deletion
//! protection off; Zitadel's master-key secret; a versioned state bucket; a logging trail;
//! Phoenix Guard's own rules; no restore drill ever. The stack's Terraform state sits in the
//! state bucket: a `terraform destroy` of it today loses the file system, the database (no
//! final snapshot, automated backups deleted with it) and the generated master key.

use crate::account::{
    add_copy_rule, add_plan, backup_job_into, copy_job, create_bucket, create_efs,
    create_guard_rules, create_key, create_rds, create_secret, create_state_bucket, create_trail,
    create_vault, finish_restore, lock_vault, protect_rds, put_object,
    restore_testing_plan_selecting, run_restore_tests, select, set_lifecycle, set_versioning,
    sized_backup,
};
use aws_config::SdkConfig;
use serde_json::{Value, json};

pub const VAULT: &str = "cochlearis-dev-backup-vault";
pub const PLAN: &str = "cochlearis-dev-efs-backup";
pub const ZULIP_UPLOADS: &str = "cochlearis-dev-zulip-uploads";
pub const BOOKSTACK_UPLOADS: &str = "cochlearis-dev-bookstack-uploads";
pub const STATE_BUCKET: &str = "cochlearis-dev-tfstate";
pub const ZITADEL_DB: &str = "cochlearis-dev-zitadel";
pub const MASTER_KEY: &str = "cochlearis-dev-zitadel-master-key";
pub const TRAIL: &str = "cochlearis-dev-trail";
/// The monthly restore testing plan Phase 2 adds (letters, digits and underscores only).
pub const DRILL_PLAN: &str = "cochlearis_dev_monthly_drill";
/// Where the stack's state lives in the state bucket (an S3 backend with a workspace).
pub const STATE_KEY: &str = "env:/dev/cochlearis/terraform.tfstate";

/// What was built, for the fixes and the assertions.
#[derive(Debug, Clone)]
pub struct Cochlearis {
    /// Bucket names are global (in moto across accounts too): tests add a suffix.
    pub zulip_uploads: String,
    pub bookstack_uploads: String,
    pub state_bucket: String,
    pub efs_arn: String,
    pub efs_id: String,
    pub rds_arn: String,
    pub vault_arn: String,
    pub vault_key: String,
    pub secret_arn: String,
    pub rules: Vec<String>,
}

/// Builds the environment as the seeds describe it today; `suffix` goes on bucket names.
pub async fn seed(sdk: &SdkConfig, suffix: &str) -> Cochlearis {
    let zulip_uploads = format!("{ZULIP_UPLOADS}{suffix}");
    let bookstack_uploads = format!("{BOOKSTACK_UPLOADS}{suffix}");
    let state_bucket = format!("{STATE_BUCKET}{suffix}");
    let vault_key = create_key(sdk, &[("Name", "cochlearis-dev-backup")]).await;
    let vault_arn = create_vault(sdk, VAULT, Some(&vault_key)).await;
    let (efs_arn, efs_id) = create_efs(
        sdk,
        "cochlearis-dev-zulip-data",
        &[("Name", "cochlearis-dev-zulip-data")],
    )
    .await;
    // The one manual backup taken when Zulip moved to EFS.
    backup_job_into(sdk, VAULT, &efs_arn, "COMPLETED", 40.0 * 24.0, None).await;
    let rds_arn = create_rds(
        sdk,
        ZITADEL_DB,
        &[
            ("phoenix:backup", "exempt"),
            ("phoenix:reason", "RDS automated backups, 7-day retention"),
        ],
    )
    .await;
    protect_rds(sdk, ZITADEL_DB, false, 7).await;
    for bucket in [&zulip_uploads, &bookstack_uploads] {
        create_bucket(sdk, bucket, &[("phoenix:data", "true")], false).await;
    }
    create_state_bucket(sdk, &state_bucket).await;
    let secret_arn = create_secret(
        sdk,
        MASTER_KEY,
        "{\"key\":\"demo-master-key-0001\"}",
        &[("phoenix:encryption-key", "true")],
    )
    .await;
    create_trail(sdk, &format!("{TRAIL}{suffix}")).await;
    let rules = create_guard_rules(sdk, "phoenix-guard").await;
    let env = Cochlearis {
        zulip_uploads,
        bookstack_uploads,
        state_bucket,
        efs_arn,
        efs_id,
        rds_arn,
        vault_arn,
        vault_key,
        secret_arn,
        rules,
    };
    put_object(
        sdk,
        &env.state_bucket,
        STATE_KEY,
        &stack_state(&env, false).to_string(),
    )
    .await;
    env
}

/// The stack's state as its S3 backend stores it (version 4): today's, or after Phase 1 and
/// the fixes the pre-destroy gate asks for (`fixed`).
pub fn stack_state(env: &Cochlearis, fixed: bool) -> Value {
    let resource = |module: &str, kind: &str, name: &str, attributes: Value| {
        json!({"module": module, "mode": "managed", "type": kind, "name": name,
               "provider": "provider[\"registry.terraform.io/hashicorp/aws\"]",
               "instances": [{"schema_version": 0, "attributes": attributes,
                              "sensitive_attributes": []}]})
    };
    let bucket = |module: &str, name: &str| {
        resource(
            module,
            "aws_s3_bucket",
            "uploads",
            json!({
            "arn": format!("arn:aws:s3:::{name}"), "bucket": name, "id": name,
            // Today the buckets go with the stack, objects, versions and all.
            "force_destroy": !fixed, "object_lock_enabled": false}),
        )
    };
    let mut resources = vec![
        resource(
            "module.efs",
            "aws_efs_file_system",
            "main",
            json!({
            "arn": env.efs_arn, "id": env.efs_id, "encrypted": true,
            "creation_token": "cochlearis-dev-zulip-data"}),
        ),
        bucket("module.zulip", &env.zulip_uploads),
        bucket("module.bookstack", &env.bookstack_uploads),
        resource(
            "module.zitadel.module.database",
            "aws_db_instance",
            "main",
            json!({
            "arn": env.rds_arn, "id": ZITADEL_DB, "identifier": ZITADEL_DB,
            "deletion_protection": fixed, "skip_final_snapshot": !fixed,
            "final_snapshot_identifier": if fixed { json!(format!("{ZITADEL_DB}-final")) } else { Value::Null },
            "delete_automated_backups": true, "backup_retention_period": 7,
            "password": "story-planted-db-password"}),
        ),
        resource(
            "module.zitadel",
            "aws_secretsmanager_secret",
            "master_key",
            json!({
            "arn": env.secret_arn, "id": env.secret_arn, "name": MASTER_KEY,
            "recovery_window_in_days": 30,
            "tags": {"phoenix:encryption-key": "true"}}),
        ),
        resource(
            "module.zitadel",
            "random_password",
            "admin_password",
            json!({
            "id": "none", "length": 32, "result": "story-planted-admin-password"}),
        ),
        resource(
            "module.zulip",
            "aws_ecs_service",
            "app",
            json!({
            "id": "arn:aws:ecs:eu-west-1:123456789012:service/cochlearis-dev/zulip"}),
        ),
    ];
    if !fixed {
        // Phase 1.3's fix moves the generated key out of the stack (a `removed` block
        // with destroy = false): the secret keeps it, recoverable for 30 days.
        resources.push(resource(
            "module.zitadel",
            "random_password",
            "master_key",
            json!({
            "id": "none", "length": 64, "result": "story-planted-master-key"}),
        ));
    }
    json!({"version": 4, "terraform_version": "1.11.4", "serial": if fixed { 42 } else { 41 },
           "lineage": "cochlearis-dev", "outputs": {}, "resources": resources})
}

/// The vault in another region that the Zulip EFS backups are copied to.
pub const DR_VAULT: &str = "cochlearis-dev-dr-vault";
/// Its region: far enough from eu-west-1 that one outage does not take both.
pub const DR_REGION: &str = "eu-central-1";

/// The seeds' risk matrix, last row ("AWS region outage: total loss → cross-region
/// backup"): a vault in another region, the EFS plan's rule copying to it, and the first
/// copy completed. Returns what was done, one line.
pub async fn cross_region_copy(sdk: &SdkConfig, env: &Cochlearis) -> String {
    let account = env.efs_arn.split(':').nth(4).unwrap_or_default().to_owned();
    create_vault(&crate::account::in_region(sdk, DR_REGION), DR_VAULT, None).await;
    let dr = format!("arn:aws:backup:{DR_REGION}:{account}:backup-vault:{DR_VAULT}");
    let backup = aws_sdk_backup::Client::new(sdk);
    let plans = backup.list_backup_plans().send().await.expect("plans");
    let plan = plans
        .backup_plans_list()
        .iter()
        .find(|p| p.backup_plan_name() == Some(PLAN))
        .and_then(|p| p.backup_plan_id())
        .expect("Phase 1's plan")
        .to_owned();
    add_copy_rule(sdk, &plan, &dr).await;
    copy_job(sdk, VAULT, &env.efs_arn, &dr, "COMPLETED", 0.3, None).await;
    format!(
        "risk matrix: the EFS plan's rule copies every recovery point to {DR_VAULT} in {DR_REGION}; first copy completed"
    )
}

/// The seeds' Phase 1 ("Enable Phoenix"), done through the APIs, with the two things a
/// score of 100 also asks for: a locked vault and a timed restore drill (Phase 2's "test
/// restore procedures"). Returns what was done, one line each.
pub async fn phase_one(sdk: &SdkConfig, env: &Cochlearis) -> Vec<String> {
    let plan = add_plan(sdk, PLAN, VAULT, "cron(0 3 * * ? *)", 60).await;
    select(sdk, &plan, "cochlearis-dev-efs", &[&env.efs_arn]).await;
    // The first backup of the new plan, started on demand right away: Zulip's 1.8 GiB.
    sized_backup(sdk, VAULT, &env.efs_arn, 1_887_437_312, 0.5).await;
    lock_vault(sdk, VAULT, 7, Some(3)).await;
    for bucket in [&env.zulip_uploads, &env.bookstack_uploads] {
        set_versioning(sdk, bucket, true).await;
        set_lifecycle(sdk, bucket, 90).await;
    }
    protect_rds(sdk, ZITADEL_DB, true, 7).await;
    // Phase 2's "test restore procedures", monthly: a restore testing plan selecting the
    // EFS, its first run restored in 7.5 minutes and validated by the team's own check (the
    // demo lets restore-validator judge the next ones).
    restore_testing_plan_selecting(sdk, DRILL_PLAN, &[("EFS", &[env.efs_arn.as_str()])]).await;
    let account = env.efs_arn.split(':').nth(4).unwrap_or_default();
    for job in run_restore_tests(account, DRILL_PLAN) {
        finish_restore(&job, "COMPLETED", 7.5, json!({}));
        aws_sdk_backup::Client::new(sdk)
            .put_restore_validation_result()
            .restore_job_id(&job)
            .validation_status(aws_sdk_backup::types::RestoreValidationStatus::Successful)
            .validation_status_message("the team's check: the Zulip uploads' marker file is there")
            .send()
            .await
            .expect("validation result");
    }
    put_object(
        sdk,
        &env.state_bucket,
        STATE_KEY,
        &stack_state(env, true).to_string(),
    )
    .await;
    vec![
        format!(
            "1.1 backup plan {PLAN} (daily 03:00 UTC, into {VAULT}) selecting the Zulip EFS; first backup completed"
        ),
        format!(
            "    vault lock on {VAULT}: minimum retention 7 days, compliance mode after 3 days"
        ),
        format!(
            "1.2 versioning Enabled and a 90-day noncurrent-version rule on {} and {}",
            env.zulip_uploads, env.bookstack_uploads
        ),
        format!(
            "    deletion protection on for RDS {ZITADEL_DB}, and a final snapshot when it is destroyed"
        ),
        "1.3 the generated master key moved out of the stack (removed { destroy = false }); its secret keeps a 30-day recovery window"
            .to_owned(),
        "    force_destroy off on the upload buckets: a destroy stops at a bucket that holds data"
            .to_owned(),
        format!(
            "2.1 restore testing plan {DRILL_PLAN} (monthly) selecting the Zulip EFS: restored in 7.5 minutes, validated"
        ),
    ]
}
