//! `backup-events`: AWS Backup's EventBridge events (`source: aws.backup`) turned into
//! findings and metrics.
//!
//! | event | outcome |
//! |---|---|
//! | Backup Job FAILED, ABORTED, EXPIRED | open `backup-job-failed`: critical for required types, error otherwise |
//! | Backup Job PARTIAL | open `backup-job-failed`, error |
//! | Backup Job COMPLETED, no status message (or an accepted one) | resolve `backup-job-failed` and `backup-completed-with-issues` |
//! | Backup Job COMPLETED with a status message | resolve `backup-job-failed`, open `backup-completed-with-issues`, warning |
//! | Backup Job CREATED, PENDING, RUNNING, ABORTING | metrics only |
//! | Copy Job FAILED / COMPLETED | open / resolve `backup-copy-failed`, error |
//! | Restore Job FAILED / COMPLETED | open / resolve `restore-failed`, error; completion records `RestoreJobDurationSeconds` |
//! | Restore Job of a restore testing plan (`restoreTestingPlanArn`) | not routed (the printed pattern leaves it out); ignored if delivered: `restore-validator` judges restore tests |
//! | Recovery Point EXPIRED or PARTIAL / COMPLETED, AVAILABLE, DELETING | open / resolve `recovery-point-degraded`, warning |
//! | Backup Vault DELETED, Backup Plan DELETED | open `backup-vault-deleted` / `backup-plan-deleted`, critical |
//! | Region Setting opting a required type out / back in | open / resolve `backup-region-opt-out`, critical |
//! | any other event | logged, counted in `EventsIgnored` |

use phoenix_shared::alert::short_resource;
use phoenix_shared::checks;
use phoenix_shared::event::{Envelope, Rejection, as_bool, field, text, timestamp};
use phoenix_shared::metrics::Unit;
use phoenix_shared::runtime;
use phoenix_shared::{
    Config, Finding, Guard, HandlerError, MetricBatch, Observation, Severity, Timestamp,
};
use serde::Serialize;
use serde_json::{Map, Value};

pub const FUNCTION: &str = "backup-events";

pub use phoenix_shared::checks::BACKUP_COMPLETED_WITH_ISSUES as CHECK_COMPLETED_WITH_ISSUES;
pub use phoenix_shared::checks::BACKUP_COPY_FAILED as CHECK_COPY_FAILED;
pub use phoenix_shared::checks::BACKUP_JOB_FAILED as CHECK_JOB_FAILED;
pub use phoenix_shared::checks::BACKUP_PLAN_DELETED as CHECK_PLAN_DELETED;
pub use phoenix_shared::checks::BACKUP_REGION_OPT_OUT as CHECK_REGION_OPT_OUT;
pub use phoenix_shared::checks::BACKUP_VAULT_DELETED as CHECK_VAULT_DELETED;
pub use phoenix_shared::checks::RECOVERY_POINT_DEGRADED as CHECK_RECOVERY_POINT_DEGRADED;
pub use phoenix_shared::checks::RESTORE_FAILED as CHECK_RESTORE_FAILED;

const BACKUP_JOB: &str = "Backup Job State Change";
const COPY_JOB: &str = "Copy Job State Change";
const RESTORE_JOB: &str = "Restore Job State Change";
const RECOVERY_POINT: &str = "Recovery Point State Change";
const VAULT: &str = "Backup Vault State Change";
const PLAN: &str = "Backup Plan State Change";
const REGION_SETTING: &str = "Region Setting State Change";

/// The EventBridge detail types of `aws.backup` the function acts on; every other is
/// ignored (and counted), so the Terraform module routes only these.
pub const DETAIL_TYPES: &[&str] = &[
    BACKUP_JOB,
    COPY_JOB,
    RESTORE_JOB,
    RECOVERY_POINT,
    VAULT,
    PLAN,
    REGION_SETTING,
];

/// What `backup-events --print-event-pattern` prints for the Terraform module: one
/// EventBridge rule for the detail types the function acts on, restore tests' jobs left out.
pub fn describe() -> Value {
    serde_json::json!({
        "function": FUNCTION,
        "rules": {"backup": {
            "source": ["aws.backup"],
            "detail-type": DETAIL_TYPES,
            // A restore test's job is restore-validator's (this function would only ignore
            // it); no other detail type carries the field.
            "detail": {"restoreTestingPlanArn": [{"exists": false}]},
        }},
    })
}

/// The Lambda response: what the invocation did, for logs and `cargo lambda invoke`.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Outcome {
    pub observations: usize,
    pub notified: Vec<String>,
    pub quiet: usize,
}

/// Handles one event end to end: classify, deliver, write metrics.
/// The Lambda edge: no clients beyond the pipeline's.
pub const EDGE: runtime::Function<()> = runtime::Function {
    name: FUNCTION,
    describe: Some(describe),
    sweep: false,
    emf_metrics: true,
    clients: |_, _| Ok(()),
};

/// One Lambda invocation ([`handle`] with the invocation's facts).
pub async fn invoke(
    guard: &Guard,
    _: &(),
    invocation: runtime::Invocation,
) -> Result<Outcome, HandlerError> {
    handle(guard, &invocation.payload, &invocation.id, invocation.now).await
}

pub async fn handle(
    guard: &Guard,
    event: &Value,
    invocation: &str,
    now: Timestamp,
) -> Result<Outcome, HandlerError> {
    let mut metrics = MetricBatch::new();
    let classified = Envelope::parse(event)
        .and_then(|envelope| classify(&envelope, &guard.config, now, &mut metrics));
    let result = match classified {
        Err(rejection) => Err(runtime::reject(FUNCTION, event, rejection, &mut metrics)),
        Ok(observations) => {
            let report = guard
                .deliver(&observations, invocation, now, &mut metrics)
                .await;
            let quiet = report.quiet.len();
            report
                .into_result()
                .map(|report| Outcome {
                    observations: observations.len(),
                    notified: report.notified(),
                    quiet,
                })
                .map_err(HandlerError::from)
        }
    };
    guard.flush_metrics(&metrics, now).await;
    result
}

/// Facts shared by every finding of one event.
struct Context<'a> {
    envelope: &'a Envelope,
    config: &'a Config,
    account: String,
    region: String,
    observed_at: Timestamp,
}

impl Context<'_> {
    fn finding(
        &self,
        check: &str,
        resource: &str,
        resource_type: &str,
        severity: Severity,
    ) -> Finding {
        self.finding_redone_by(check, resource, resource_type, severity, "")
    }

    /// A finding whose remedy ends with the command that redoes the failed job.
    fn finding_redone_by(
        &self,
        check: &str,
        resource: &str,
        resource_type: &str,
        severity: Severity,
        command: &str,
    ) -> Finding {
        let target = checks::Target {
            resource_type,
            id: short_resource(resource),
            arn: resource,
            region: &self.region,
            min_retention_days: self.config.min_backup_retention_days,
            command,
        };
        checks::finding(
            check,
            &self.account,
            &target,
            severity,
            String::new(),
            self.observed_at,
        )
    }

    /// A Backup ARN for things events name only by id (`backup-vault:<name>`, …).
    fn backup_arn(&self, kind: &str, name: &str) -> String {
        phoenix_shared::arn::build(
            "backup",
            &self.region,
            &self.account,
            &format!("{kind}:{name}"),
        )
    }
}

/// Turns one event into observations and metrics. `Err` only for an event that cannot be
/// used at all; events of no interest are counted in `EventsIgnored` and give no
/// observations.
pub fn classify(
    envelope: &Envelope,
    config: &Config,
    now: Timestamp,
    metrics: &mut MetricBatch,
) -> Result<Vec<Observation>, Rejection> {
    if envelope.source != "aws.backup" {
        return Ok(ignore(metrics, envelope, "not an AWS Backup event"));
    }
    let detail = &envelope.detail;
    let ctx = Context {
        envelope,
        config,
        account: envelope.account_or_default(),
        region: envelope.region_or(config.region()),
        observed_at: envelope
            .time
            .or_else(|| timestamp(detail, &["completionDate", "creationDate"]))
            .unwrap_or(now),
    };
    // The detail type as AWS spells it, whatever the event's case.
    let handled = DETAIL_TYPES
        .iter()
        .find(|t| t.eq_ignore_ascii_case(&envelope.detail_type))
        .copied();
    let observations = match handled {
        Some(BACKUP_JOB) => backup_job(&ctx, metrics)?,
        Some(COPY_JOB) => copy_job(&ctx, metrics)?,
        Some(RESTORE_JOB) if text(detail, &["restoreTestingPlanArn"]).is_some() => {
            return Ok(ignore(
                metrics,
                envelope,
                "a restore test's job: restore-validator judges it",
            ));
        }
        Some(RESTORE_JOB) => restore_job(&ctx, metrics)?,
        Some(RECOVERY_POINT) => recovery_point(&ctx, metrics)?,
        Some(VAULT) => deleted_container(&ctx, metrics, Container::Vault)?,
        Some(PLAN) => deleted_container(&ctx, metrics, Container::Plan)?,
        Some(REGION_SETTING) => region_setting(&ctx, metrics),
        _ => {
            return Ok(ignore(
                metrics,
                envelope,
                "a detail type this function does not act on",
            ));
        }
    };
    metrics.count(
        "EventsProcessed",
        &[("DetailType", &envelope.detail_type)],
        1,
    );
    Ok(observations)
}

fn ignore(metrics: &mut MetricBatch, envelope: &Envelope, why: &str) -> Vec<Observation> {
    let about = format!(
        "{} / {} / {}",
        envelope.source,
        envelope.detail_type,
        envelope.id.as_deref().unwrap_or("-")
    );
    runtime::ignore(FUNCTION, &about, why, metrics);
    Vec::new()
}

/// The state of a job or recovery point, upper-cased, from whichever key carries it.
fn state_of(detail: &Value, keys: &[&str], what: &str) -> Result<String, Rejection> {
    text(detail, keys)
        .map(|s| s.to_ascii_uppercase())
        .ok_or_else(|| {
            Rejection(format!(
                "{what} event without a usable {}",
                keys.join(" or ")
            ))
        })
}

/// The resource type as AWS Backup spells it: the event's, else inferred from the ARN.
fn resource_type(detail: &Value, resource: Option<&str>) -> String {
    if let Some(given) = text(detail, &["resourceType"]) {
        return phoenix_shared::arn::backup_type_spelled(&given);
    }
    resource
        .and_then(phoenix_shared::arn::backup_type)
        .unwrap_or("Unknown")
        .to_owned()
}

/// Copies the named fields that are present into a details map.
fn details_of(detail: &Value, keys: &[&str]) -> Map<String, Value> {
    keys.iter()
        .filter_map(|k| text(detail, &[k]).map(|v| ((*k).to_owned(), Value::String(v))))
        .collect()
}

/// The resource a job event is about; when only a job id is known, a Backup job ARN.
fn job_resource(
    ctx: &Context<'_>,
    resource_keys: &[&str],
    id_key: &str,
    kind: &str,
) -> Option<String> {
    text(&ctx.envelope.detail, resource_keys)
        .or_else(|| text(&ctx.envelope.detail, &[id_key]).map(|id| ctx.backup_arn(kind, &id)))
}

const JOB_FIELDS: &[&str] = &[
    "backupJobId",
    "state",
    "statusMessage",
    "backupVaultName",
    "backupVaultArn",
    "creationDate",
    "completionDate",
    "startBy",
    "expectedCompletionDate",
    "retryCount",
    "iamRoleArn",
];

/// The command that backs `resource` up now, with the vault and role the failed job used;
/// without them, where to do it.
fn on_demand_backup(ctx: &Context<'_>, detail: &Value, resource: &str) -> String {
    match (
        text(detail, &["backupVaultName"]).or_else(|| {
            text(detail, &["backupVaultArn"]).map(|a| phoenix_shared::arn::vault_name(&a))
        }),
        text(detail, &["iamRoleArn"]),
    ) {
        (Some(vault), Some(role)) if resource.starts_with("arn:") => format!(
            "aws backup start-backup-job --region {} --backup-vault-name {vault} --resource-arn {resource} \
             --iam-role-arn {role}",
            ctx.region
        ),
        _ => {
            format!("AWS Backup console, Protected resources, {resource}, Create on-demand backup")
        }
    }
}

fn backup_job(ctx: &Context<'_>, metrics: &mut MetricBatch) -> Result<Vec<Observation>, Rejection> {
    let detail = &ctx.envelope.detail;
    let state = state_of(detail, &["state", "status"], "Backup Job State Change")?;
    let resource = job_resource(ctx, &["resourceArn"], "backupJobId", "backup-job");
    let rtype = resource_type(detail, resource.as_deref());
    metrics.count(
        "BackupJobs",
        &[("State", &state), ("ResourceType", &rtype)],
        1,
    );

    let message = text(detail, &["statusMessage"]);
    let mut details = details_of(detail, JOB_FIELDS);
    if let Some(created_by) = field(detail, "createdBy") {
        details.extend(details_of(
            created_by,
            &["backupPlanId", "backupPlanArn", "backupPlanRuleId"],
        ));
        if text(created_by, &["backupPlanId"]).is_some_and(|id| id.starts_with("aws/efs/")) {
            details.insert("automaticEfsBackup".to_owned(), Value::Bool(true));
        }
    }

    match state.as_str() {
        "FAILED" | "ABORTED" | "EXPIRED" | "PARTIAL" => {
            let resource = resource.ok_or_else(|| {
                Rejection(format!(
                    "Backup Job State Change {state} names neither resourceArn nor backupJobId"
                ))
            })?;
            let severity = if state != "PARTIAL" && ctx.config.is_required_type(&rtype) {
                Severity::Critical
            } else {
                Severity::Error
            };
            let why = message.clone().unwrap_or_else(|| match state.as_str() {
                "EXPIRED" => "the job did not start within its plan rule's start window".to_owned(),
                "ABORTED" => "the job was stopped before it finished".to_owned(),
                "PARTIAL" => "only part of the resource was backed up".to_owned(),
                _ => "AWS Backup gave no status message".to_owned(),
            });
            let on_demand = on_demand_backup(ctx, detail, &resource);
            let mut f =
                ctx.finding_redone_by(CHECK_JOB_FAILED, &resource, &rtype, severity, &on_demand);
            f.summary = format!(
                "{rtype} backup of {} {state}: {why}",
                short_resource(&resource)
            );
            f.details = details;
            Ok(vec![Observation::open(f)])
        }
        "COMPLETED" => {
            let Some(resource) = text(detail, &["resourceArn"]) else {
                tracing::warn!(
                    function = FUNCTION,
                    "completed backup job without resourceArn: nothing to resolve"
                );
                return Ok(Vec::new());
            };
            let mut failed = ctx.finding(CHECK_JOB_FAILED, &resource, &rtype, Severity::Error);
            failed.summary = format!("{rtype} backup of {} completed", short_resource(&resource));
            failed.details = details.clone();
            let mut issues = ctx.finding(
                CHECK_COMPLETED_WITH_ISSUES,
                &resource,
                &rtype,
                Severity::Warning,
            );
            issues.details = details;
            let accepted = message
                .as_deref()
                .is_some_and(|m| ctx.config.is_suppressed(&resource, m));
            if accepted {
                metrics.count(
                    "FindingsSuppressed",
                    &[("Check", CHECK_COMPLETED_WITH_ISSUES)],
                    1,
                );
            }
            match message {
                Some(message) if !accepted => {
                    issues.summary = format!(
                        "{rtype} backup of {} completed with issues: {message}",
                        short_resource(&resource)
                    );
                    Ok(vec![
                        Observation::resolved(failed),
                        Observation::open(issues),
                    ])
                }
                _ => {
                    issues.summary = format!(
                        "{rtype} backup of {} completed cleanly",
                        short_resource(&resource)
                    );
                    Ok(vec![
                        Observation::resolved(failed),
                        Observation::resolved(issues),
                    ])
                }
            }
        }
        _ => Ok(Vec::new()),
    }
}

fn copy_job(ctx: &Context<'_>, metrics: &mut MetricBatch) -> Result<Vec<Observation>, Rejection> {
    let detail = &ctx.envelope.detail;
    let state = state_of(detail, &["state", "status"], "Copy Job State Change")?;
    let resource = job_resource(ctx, &["resourceArn"], "copyJobId", "copy-job");
    let rtype = resource_type(detail, resource.as_deref());
    metrics.count(
        "CopyJobs",
        &[("State", &state), ("ResourceType", &rtype)],
        1,
    );
    let desired_open = match state.as_str() {
        "FAILED" => true,
        "COMPLETED" => false,
        _ => return Ok(Vec::new()),
    };
    let resource = resource.ok_or_else(|| {
        Rejection(format!(
            "Copy Job State Change {state} names neither resourceArn nor copyJobId"
        ))
    })?;
    let destination = text(detail, &["destinationBackupVaultArn"])
        .unwrap_or_else(|| "its destination".to_owned());
    let copy = match (
        text(detail, &["sourceRecoveryPointArn"]),
        text(detail, &["sourceBackupVaultArn"]),
        text(detail, &["iamRoleArn"]),
    ) {
        (Some(point), Some(source), Some(role)) if destination.starts_with("arn:") => format!(
            "aws backup start-copy-job --region {} --recovery-point-arn {point} --source-backup-vault-name {} \
             --destination-backup-vault-arn {destination} --iam-role-arn {role}",
            ctx.region,
            phoenix_shared::arn::vault_name(&source)
        ),
        _ => format!(
            "start a copy job of the newest recovery point of {resource} to {destination} \
             (AWS Backup console, Protected resources)"
        ),
    };
    let mut f = ctx.finding_redone_by(CHECK_COPY_FAILED, &resource, &rtype, Severity::Error, &copy);
    f.details = details_of(
        detail,
        &[
            "copyJobId",
            "state",
            "statusMessage",
            "sourceBackupVaultArn",
            "destinationBackupVaultArn",
            "destinationRecoveryPointArn",
            "creationDate",
            "completionDate",
        ],
    );
    if desired_open {
        let why =
            text(detail, &["statusMessage"]).unwrap_or_else(|| "no status message".to_owned());
        f.summary = format!(
            "{rtype} backup copy of {} to {destination} FAILED: {why}",
            short_resource(&resource)
        );
        Ok(vec![Observation::open(f)])
    } else {
        f.summary = format!(
            "{rtype} backup copy of {} completed",
            short_resource(&resource)
        );
        Ok(vec![Observation::resolved(f)])
    }
}

fn restore_job(
    ctx: &Context<'_>,
    metrics: &mut MetricBatch,
) -> Result<Vec<Observation>, Rejection> {
    let detail = &ctx.envelope.detail;
    // Restore events use `status`, except CREATED which uses `state`.
    let state = state_of(detail, &["status", "state"], "Restore Job State Change")?;
    let resource = job_resource(
        ctx,
        &["sourceResourceArn", "recoveryPointArn", "resourceArn"],
        "restoreJobId",
        "restore-job",
    );
    let rtype = resource_type(detail, resource.as_deref());
    metrics.count(
        "RestoreJobs",
        &[("State", &state), ("ResourceType", &rtype)],
        1,
    );
    let desired_open = match state.as_str() {
        "FAILED" => true,
        "COMPLETED" => false,
        _ => return Ok(Vec::new()),
    };
    let resource = resource.ok_or_else(|| {
        Rejection(format!(
            "Restore Job State Change {state} names no resource, recovery point or restoreJobId"
        ))
    })?;
    let mut f = ctx.finding(CHECK_RESTORE_FAILED, &resource, &rtype, Severity::Error);
    f.details = details_of(
        detail,
        &[
            "restoreJobId",
            "status",
            "statusMessage",
            "recoveryPointArn",
            "createdResourceArn",
            "backupVaultArn",
            "restoreTestingPlanArn",
            "creationDate",
            "completionDate",
        ],
    );
    if desired_open {
        let why =
            text(detail, &["statusMessage"]).unwrap_or_else(|| "no status message".to_owned());
        f.summary = format!(
            "{rtype} restore of {} FAILED: {why}",
            short_resource(&resource)
        );
        return Ok(vec![Observation::open(f)]);
    }
    let started = timestamp(detail, &["creationDate"]);
    let finished = timestamp(detail, &["completionDate"]).or(ctx.envelope.time);
    match (started, finished) {
        (Some(start), Some(end)) if end >= start => {
            let seconds = end.seconds_since(start);
            // Whole seconds of a duration fit an f64 exactly.
            metrics.add(
                "RestoreJobDurationSeconds",
                &[("ResourceType", &rtype)],
                seconds as f64,
                Unit::Seconds,
            );
            f.details
                .insert("durationSeconds".to_owned(), Value::from(seconds));
        }
        _ => tracing::warn!(
            function = FUNCTION,
            "completed restore without usable creation and completion dates"
        ),
    }
    f.summary = format!("{rtype} restore of {} completed", short_resource(&resource));
    Ok(vec![Observation::resolved(f)])
}

fn recovery_point(
    ctx: &Context<'_>,
    metrics: &mut MetricBatch,
) -> Result<Vec<Observation>, Rejection> {
    let detail = &ctx.envelope.detail;
    let status = state_of(detail, &["status", "state"], "Recovery Point State Change")?;
    let source = text(detail, &["resourceArn"]);
    let rtype = resource_type(detail, source.as_deref());
    metrics.count(
        "RecoveryPoints",
        &[("State", &status), ("ResourceType", &rtype)],
        1,
    );
    let desired_open = match status.as_str() {
        "EXPIRED" | "PARTIAL" => true,
        "COMPLETED" | "AVAILABLE" | "DELETING" => false,
        _ => return Ok(Vec::new()),
    };
    let point = text(detail, &["recoveryPointArn"])
        .or_else(|| ctx.envelope.resources.first().cloned())
        .ok_or_else(|| {
            Rejection(format!(
                "Recovery Point State Change {status} names no recovery point"
            ))
        })?;
    let mut f = ctx.finding(
        CHECK_RECOVERY_POINT_DEGRADED,
        &point,
        &rtype,
        Severity::Warning,
    );
    f.details = details_of(
        detail,
        &[
            "status",
            "resourceArn",
            "backupVaultName",
            "storageClass",
            "isEncrypted",
            "creationDate",
        ],
    );
    if desired_open {
        let of = source
            .as_deref()
            .map_or_else(String::new, |s| format!(" of {}", short_resource(s)));
        f.summary = format!("{rtype} recovery point{of} is {status}");
        Ok(vec![Observation::open(f)])
    } else {
        f.summary = format!("{rtype} recovery point is {status}");
        Ok(vec![Observation::resolved(f)])
    }
}

#[derive(Clone, Copy)]
enum Container {
    Vault,
    Plan,
}

fn deleted_container(
    ctx: &Context<'_>,
    metrics: &mut MetricBatch,
    container: Container,
) -> Result<Vec<Observation>, Rejection> {
    let detail = &ctx.envelope.detail;
    let (what, kind, name_key, arn_key) = match container {
        Container::Vault => (
            "Backup Vault",
            "backup-vault",
            "backupVaultName",
            "backupVaultArn",
        ),
        Container::Plan => (
            "Backup Plan",
            "backup-plan",
            "backupPlanId",
            "backupPlanArn",
        ),
    };
    let state = state_of(
        detail,
        &["state", "status"],
        &format!("{what} State Change"),
    )?;
    metrics.count(
        match container {
            Container::Vault => "BackupVaultChanges",
            Container::Plan => "BackupPlanChanges",
        },
        &[("State", &state)],
        1,
    );
    if state != "DELETED" {
        return Ok(Vec::new());
    }
    let resource = text(detail, &[arn_key])
        .or_else(|| ctx.envelope.resources.first().cloned())
        .or_else(|| text(detail, &[name_key]).map(|name| ctx.backup_arn(kind, &name)))
        .ok_or_else(|| Rejection(format!("{what} State Change DELETED names no {kind}")))?;
    let name = text(detail, &[name_key]).unwrap_or_else(|| short_resource(&resource).to_owned());
    let (check, rtype) = match container {
        Container::Vault => (CHECK_VAULT_DELETED, "BackupVault"),
        Container::Plan => (CHECK_PLAN_DELETED, "BackupPlan"),
    };
    let mut f = ctx.finding(check, &resource, rtype, Severity::Critical);
    f.details = details_of(
        detail,
        &[name_key, "versionId", "state", "isLocked", "creationDate"],
    );
    match container {
        Container::Vault => {
            f.summary = format!("Backup vault {name} was DELETED");
        }
        Container::Plan => {
            f.summary = format!("Backup plan {name} was DELETED");
        }
    }
    Ok(vec![Observation::open(f)])
}

fn region_setting(ctx: &Context<'_>, metrics: &mut MetricBatch) -> Vec<Observation> {
    let detail = &ctx.envelope.detail;
    let Some(Value::Object(preferences)) = field(detail, "ResourceTypeOptInPreference") else {
        return ignore(
            metrics,
            ctx.envelope,
            "a region setting change without ResourceTypeOptInPreference",
        );
    };
    let mut observations = Vec::new();
    for (given_type, value) in preferences {
        if !ctx.config.is_required_type(given_type) {
            continue;
        }
        let Some(opted_in) = as_bool(value) else {
            tracing::warn!(function = FUNCTION, resource_type = %given_type, "opt-in preference is not a boolean");
            continue;
        };
        let resource = phoenix_shared::arn::build(
            "backup",
            &ctx.region,
            &ctx.account,
            &format!("region-setting/{given_type}"),
        );
        let mut f = ctx.finding(
            CHECK_REGION_OPT_OUT,
            &resource,
            given_type,
            Severity::Critical,
        );
        f.details
            .insert("ResourceType".to_owned(), Value::String(given_type.clone()));
        f.details
            .insert("optedIn".to_owned(), Value::Bool(opted_in));
        if opted_in {
            f.summary = format!(
                "AWS Backup is opted in for {given_type} in {} again",
                ctx.region
            );
            observations.push(Observation::resolved(f));
        } else {
            f.summary = format!(
                "AWS Backup was opted OUT for {given_type} in {}",
                ctx.region
            );
            observations.push(Observation::open(f));
        }
    }
    observations
}
