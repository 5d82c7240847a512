//! `protection-guard`: pages within minutes when anyone weakens destroy-protection.
//!
//! It receives CloudTrail's `AWS API Call via CloudTrail` events for the calls listed in
//! [`catalog::HANDLED`] (the Terraform module builds its EventBridge patterns from that
//! list: `protection-guard --print-event-pattern`), reads what each call claims
//! ([`rules`]), confirms it against the resource's current state ([`confirm`]), and hands
//! the resulting findings to the shared pipeline:
//!
//! | the call, confirmed by a read | finding |
//! |---|---|
//! | weakened, and still weak now | opens the check: critical for data stores and the guard, error otherwise |
//! | weakened, but already restored when read | opens it at `info`: recorded and told once, never paged |
//! | weakened, and the read failed | opens it at full severity, saying confirmation failed |
//! | restored (versioning Enabled, key deletion cancelled, …) and the read agrees | resolves the check |
//! | refused by AWS for lack of permission | `destructive-call-denied`, warning: someone tried |
//! | refused for another reason | nothing changed: counted in `FailedCalls` |
//! | a resource tagged `phoenix:protect=false` with a `phoenix:reason` | nothing: counted in `FindingsSuppressed` |

pub mod call;
pub mod catalog;
pub mod confirm;
pub mod rules;

use call::ApiCall;
use catalog::{Class, Role};
use confirm::{Clients, Reading, Verdict};
use phoenix_shared::event::{Envelope, Rejection};
use phoenix_shared::{
    Config, Finding, Guard, HandlerError, MetricBatch, Observation, Severity, Timestamp,
};
use rules::{Classified, Suspect};
use serde::Serialize;
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;

pub const FUNCTION: &str = "protection-guard";

pub const PROTECT_TAG: &str = "phoenix:protect";
pub const REASON_TAG: &str = "phoenix:reason";
pub const DATA_TAG: &str = "phoenix:data";
pub const KEY_TAG: &str = "phoenix:encryption-key";

/// The Lambda response: what the invocation did.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Outcome {
    pub event: String,
    pub observations: usize,
    pub notified: Vec<String>,
    pub quiet: usize,
    /// Why nothing was observed, when nothing was.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ignored: Option<String>,
}

/// What one call amounts to, before delivery.
#[derive(Debug, Clone, PartialEq)]
pub enum Plan {
    Ignored(String),
    /// A call AWS refused; `denied` lists the findings for a refused destructive call.
    Failed {
        code: String,
        denied: Vec<Suspect>,
    },
    Suspects(Vec<Suspect>),
}

/// Parses and classifies an event. `Err` only for an event that cannot be used.
pub fn plan(event: &Value, config: &Config) -> Result<(ApiCall, Plan), Rejection> {
    let envelope = Envelope::parse(event)?;
    let call = ApiCall::from_envelope(&envelope, &config.aws_region)?;
    let classified = rules::classify(&call, config);
    let plan = match (&call.error_code, classified) {
        (Some(code), Ok(Classified::Suspects(suspects))) => Plan::Failed {
            code: code.clone(),
            denied: if call.was_denied() {
                suspects
                    .into_iter()
                    .filter(|s| s.role == Role::Weakens)
                    .collect()
            } else {
                Vec::new()
            },
        },
        // A refused call names no resource often (no requestParameters): still only counted.
        (Some(code), _) => Plan::Failed {
            code: code.clone(),
            denied: Vec::new(),
        },
        (None, Ok(Classified::Ignored(why))) => Plan::Ignored(why),
        (None, Ok(Classified::Suspects(suspects))) => Plan::Suspects(suspects),
        (None, Err(unusable)) => return Err(Rejection(unusable.0)),
    };
    Ok((call, plan))
}

fn tag_is(tags: Option<&BTreeMap<String, String>>, key: &str, value: &str) -> bool {
    tags.and_then(|t| t.get(key))
        .is_some_and(|v| v.trim().eq_ignore_ascii_case(value))
}

/// The severity of a confirmed weakening, by the resource's class.
fn class_severity(
    suspect: &Suspect,
    tags: Option<&BTreeMap<String, String>>,
    config: &Config,
) -> Severity {
    match suspect.class {
        Class::DataStore | Class::Guard => Severity::Critical,
        Class::Bucket
            if tag_is(tags, DATA_TAG, "true") || config.is_configured_data_bucket(&suspect.id) =>
        {
            Severity::Critical
        }
        Class::Secret
            if tag_is(tags, KEY_TAG, "true")
                || config.is_configured_key_secret(&suspect.id)
                || config.is_configured_key_secret(&suspect.resource) =>
        {
            Severity::Critical
        }
        _ => Severity::Error,
    }
}

/// What a confirmed claim does to the ledger.
#[derive(Debug, Clone, PartialEq)]
pub enum Decision {
    Observe(Box<Observation>),
    /// The opt-out tags exempt the resource.
    Suppressed(String),
    /// The read shows the call does not matter, or a restore that is not (yet) true.
    Skip(String),
}

/// The resource a claim's finding is about: the ARN the confirming read returned (a
/// secret's full ARN, the key behind an alias, the identifier as AWS stores it), else the
/// canonical ARN of the call's own spelling.
pub fn resource_of(suspect: &Suspect, reading: &Reading) -> String {
    reading
        .arn
        .clone()
        .unwrap_or_else(|| suspect.resource.clone())
}

/// The detail that remembers, for an open `encryption-key-regenerated` finding, which
/// version held the key in use before the incident began.
pub const ORIGINAL_KEY_VERSION: &str = "originalKeyVersion";

/// Judges a regenerated key against what its open incident has seen (`prior`, the open
/// finding's details): the key in use before the incident began is the `AWSPREVIOUS`
/// version at its first observation; once no labelled version holds it, it is lost, however
/// many versions are still kept. Pure.
pub fn rejudge_key(reading: &mut Reading, prior: Option<&Map<String, Value>>) -> Option<String> {
    let versions = reading.key_versions.as_ref()?;
    let original = prior
        .and_then(|d| d.get(ORIGINAL_KEY_VERSION))
        .and_then(Value::as_str)
        .map(str::to_owned)
        .or_else(|| versions.previous.clone())?;
    if !versions.labelled.contains(&original) {
        reading.severity = Some(Severity::Critical);
        reading.seen = format!(
            "the key in use before this incident (version {original}) is no longer kept in any labelled version: {} new values since, so the original key is gone",
            if prior.is_some() {
                "two or more"
            } else {
                "several"
            }
        );
    }
    Some(original)
}

/// Decides the observation for one claim and its reading (pure).
pub fn decide(
    call: &ApiCall,
    suspect: &Suspect,
    reading: &Reading,
    config: &Config,
    now: Timestamp,
) -> Decision {
    let resource = resource_of(suspect, reading);
    let tags = reading.tags.as_ref();
    let mut finding = Finding {
        check: suspect.check.to_owned(),
        account: call.account.clone(),
        region: call.region.clone(),
        resource_arn: resource,
        resource_type: suspect.resource_type.to_owned(),
        severity: Severity::Error,
        summary: String::new(),
        impact: String::new(),
        remedy: String::new(),
        details: call.facts(),
        observed_at: call.time.unwrap_or(now),
        occurrence: None,
        progress: None,
    };
    finding.details.extend(suspect.details.clone());
    finding
        .details
        .insert("confirmation".to_owned(), json!(reading.seen));
    finding.details.extend(reading.extra.clone());

    if suspect.role == Role::Restores {
        if reading.verdict == Verdict::Holds {
            return Decision::Skip(format!(
                "{} {}, but the read still shows it weakened: {}",
                call.actor.principal, suspect.claim, reading.seen
            ));
        }
        finding.summary = format!("Restored: {} {}", suspect.claim, call.who());
        return Decision::Observe(Box::new(Observation::resolved(finding)));
    }
    if let Verdict::Irrelevant(why) = &reading.verdict {
        return Decision::Skip(why.clone());
    }
    if tag_is(tags, PROTECT_TAG, "false") {
        match tags
            .and_then(|t| t.get(REASON_TAG))
            .filter(|r| !r.trim().is_empty())
        {
            Some(why) => return Decision::Suppressed(format!("{PROTECT_TAG}=false: {why}")),
            None => {
                finding.details.insert(
                    "optOutIgnored".to_owned(),
                    json!(format!(
                        "{PROTECT_TAG}=false without a {REASON_TAG} tag is not honoured"
                    )),
                );
            }
        }
    }
    let (impact, remedy) = guidance(
        suspect.check,
        &Target {
            resource_type: suspect.resource_type,
            id: remedy_id(suspect, &finding.resource_arn),
            arn: &finding.resource_arn,
            region: &finding.region,
            min_retention_days: config.min_backup_retention_days,
        },
    );
    finding.impact = impact.to_owned();
    finding.remedy = remedy;
    let full = reading
        .severity
        .or(suspect.severity)
        .unwrap_or_else(|| class_severity(suspect, tags, config));
    let (severity, tail) = match &reading.verdict {
        Verdict::Restored => (
            Severity::Info,
            format!(" — already undone when checked: {}", reading.seen),
        ),
        Verdict::Unconfirmed(why) => (
            full,
            format!(" — NOT confirmed ({why}); paged on the event's facts"),
        ),
        _ => (full, format!(" — confirmed: {}", reading.seen)),
    };
    finding.severity = severity;
    let mut first = suspect.claim.clone();
    if let Some(c) = first.get_mut(..1) {
        c.make_ascii_uppercase();
    }
    finding.summary = format!("{first} {}{tail}", call.who());
    Decision::Observe(Box::new(Observation::open(finding)))
}

/// The identifier a remedy's command takes: the vault of a recovery point, else the id the
/// read used, except for keys and secrets, whose canonical ARN every command accepts.
fn remedy_id<'a>(suspect: &'a Suspect, arn: &'a str) -> &'a str {
    match suspect.resource_type {
        "KMSKey" | "Secret" => arn,
        _ => &suspect.id,
    }
}

/// A refused destructive call: a warning finding about its resource (told once).
pub fn denied_finding(call: &ApiCall, suspect: &Suspect, now: Timestamp) -> Finding {
    let mut details = call.facts();
    details.insert("attempted".to_owned(), json!(suspect.check));
    Finding {
        check: catalog::CALL_DENIED.to_owned(),
        account: call.account.clone(),
        region: call.region.clone(),
        resource_arn: suspect.resource.clone(),
        resource_type: suspect.resource_type.to_owned(),
        severity: Severity::Warning,
        summary: format!(
            "Denied: {} tried to {} ({}) {}",
            call.actor.principal,
            call.event_name,
            call.error_code.as_deref().unwrap_or("refused"),
            call.who()
        ),
        impact: "Nothing changed: AWS refused the call. Someone (or something) is trying to weaken destroy-protection."
            .to_owned(),
        remedy: "Ask the principal why; if nobody expects it, treat the credentials as compromised and rotate them."
            .to_owned(),
        details,
        observed_at: call.time.unwrap_or(now),
        occurrence: None,
        progress: None,
    }
}

/// What a remedy names: the resource as the confirming read or the call named it.
#[derive(Debug, Clone, Copy)]
pub struct Target<'a> {
    /// AWS Backup's type names where they exist (`RDS`, `Aurora`, …), as [`Suspect`] has it.
    pub resource_type: &'a str,
    /// The identifier the CLI takes (bucket, DB identifier, vault, key ARN, secret ARN, …).
    pub id: &'a str,
    /// The canonical ARN.
    pub arn: &'a str,
    pub region: &'a str,
    /// The least retention in days the policy asks for.
    pub min_retention_days: u64,
}

/// Why a weakening matters for a rebuild, and how to undo it: a command with the real
/// names, for the resource's kind (`modify-db-cluster` for Aurora, not `modify-db-instance`).
pub fn guidance(check: &str, t: &Target<'_>) -> (&'static str, String) {
    use catalog as c;
    let (id, arn, region, days) = (t.id, t.arn, t.region, t.min_retention_days);
    let aurora = t.resource_type == "Aurora";
    let (modify_db, id_flag) = if aurora {
        ("modify-db-cluster", "--db-cluster-identifier")
    } else {
        ("modify-db-instance", "--db-instance-identifier")
    };
    let describe_snapshots = if aurora {
        "describe-db-cluster-snapshots"
    } else {
        "describe-db-snapshots"
    };
    let rds_tf = if aurora {
        "aws_rds_cluster"
    } else {
        "aws_db_instance"
    };
    match check {
        c::VERSIONING_SUSPENDED => (
            "New writes and deletes in this bucket keep no previous version: an overwrite, a delete or a terraform destroy loses data for good.",
            format!(
                "aws s3api put-bucket-versioning --bucket {id} --versioning-configuration Status=Enabled (and keep it in Terraform: aws_s3_bucket_versioning)."
            ),
        ),
        c::LIFECYCLE_WEAKENED => (
            "The lifecycle deletes objects or old versions sooner than the retention policy allows: what it deletes cannot be restored.",
            format!(
                "Restore a lifecycle rule on {id} that keeps noncurrent versions for at least the policy's days and does not expire current objects early (aws_s3_bucket_lifecycle_configuration); review it with aws s3api get-bucket-lifecycle-configuration --bucket {id}."
            ),
        ),
        c::BUCKET_DELETED => (
            "The bucket and every object and version in it are gone.",
            format!(
                "Re-create {id} through Terraform and restore its objects from a backup or replica (aws backup list-recovery-points-by-resource --region {region} --resource-arn {arn}), if one exists."
            ),
        ),
        c::POLICY_BLINDS_GUARD => (
            "Phoenix Guard can no longer read this bucket's protection settings: the next weakening goes unseen.",
            format!(
                "Remove the Deny on the guard's reads from the policy of {id} (aws s3api get-bucket-policy --bucket {id}), or exempt Phoenix Guard's role from it."
            ),
        ),
        c::DELETION_PROTECTION_OFF => (
            "The database can now be deleted by one call or one terraform destroy.",
            format!(
                "aws rds {modify_db} --region {region} {id_flag} {id} --deletion-protection --apply-immediately, and set deletion_protection = true in Terraform ({rds_tf})."
            ),
        ),
        c::BACKUP_RETENTION_LOW => (
            "Fewer days of automated backups (none at 0): point-in-time recovery reaches back less far, or not at all.",
            format!(
                "aws rds {modify_db} --region {region} {id_flag} {id} --backup-retention-period {days} --apply-immediately, and set backup_retention_period = {days} in Terraform ({rds_tf})."
            ),
        ),
        c::DB_DELETED => (
            "The database is gone and nothing was kept to restore it from (no final snapshot, or its automated backups were deleted with it).",
            format!(
                "Look for a recent snapshot or recovery point of it (aws rds {describe_snapshots} --region {region} {id_flag} {id}; aws backup list-recovery-points-by-resource --region {region} --resource-arn {arn}), restore from it now, and set skip_final_snapshot = false and delete_automated_backups = false in Terraform ({rds_tf}).",
            ),
        ),
        c::AUTOMATED_BACKUPS_DELETED => (
            "The retained automated backups of a deleted database are gone: it can no longer be restored from them.",
            format!(
                "Check for manual snapshots or AWS Backup recovery points of the database whose retained backups ({id}) were deleted (aws rds {describe_snapshots} --region {region} --snapshot-type manual; aws backup list-recovery-points-by-resource); keep deletion of retained backups out of reach of day-to-day roles.",
            ),
        ),
        c::EFS_DELETED => (
            "The file system and its data are gone; only its recovery points (if any) remain.",
            format!(
                "Find its latest recovery point (aws backup list-recovery-points-by-resource --region {region} --resource-arn {arn}), restore it (aws backup start-restore-job) and re-point the services that mount it."
            ),
        ),
        c::EFS_BACKUP_DISABLED => (
            "EFS automatic backups are off: unless a backup plan selects this file system, nothing backs it up.",
            format!(
                "aws efs put-backup-policy --region {region} --file-system-id {id} --backup-policy Status=ENABLED, or make sure a backup plan selects it."
            ),
        ),
        c::VAULT_DELETED => (
            "Every recovery point in this vault is gone, and plans that target it can no longer back anything up.",
            format!(
                "aws backup create-backup-vault --region {region} --backup-vault-name {id} (better: re-apply the Terraform that defines it), take on-demand backups of everything its plans covered, and lock the vault."
            ),
        ),
        c::RECOVERY_POINT_DELETED => (
            "A restorable copy of the resource is gone: the environment can only be rebuilt from older or newer points.",
            format!(
                "Take an on-demand backup of the resource now; lock vault {id} so points cannot be deleted before their retention ends (aws backup put-backup-vault-lock-configuration --region {region} --backup-vault-name {id} --min-retention-days {days})."
            ),
        ),
        c::PLAN_DELETED | c::SELECTION_DELETED => (
            "Resources this plan selected get no new backups from now on: each day without them is data a rebuild loses.",
            format!(
                "Re-apply the Terraform that defines backup plan {id} and its selections (aws_backup_plan, aws_backup_selection); check every resource it covered is in a plan again."
            ),
        ),
        c::PLAN_WEAKENED => (
            "The plan keeps recovery points too briefly or runs too seldom: a rebuild can lose more data than the policy allows.",
            format!(
                "Restore the schedule and lifecycle of backup plan {id} to the policy (daily or better, retention of at least {days} days) in Terraform (aws_backup_plan); review it with aws backup get-backup-plan --region {region} --backup-plan-id {id}."
            ),
        ),
        c::VAULT_LOCK_REMOVED => (
            "Without the vault lock, anyone with the right permissions can delete recovery points or shorten their retention.",
            format!(
                "aws backup put-backup-vault-lock-configuration --region {region} --backup-vault-name {id} --min-retention-days {days} (add --changeable-for-days 3 for compliance mode; Terraform: aws_backup_vault_lock_configuration)."
            ),
        ),
        c::VAULT_POLICY_OPEN => (
            "The vault's access policy lets any principal delete its recovery points.",
            format!(
                "Replace the access policy of vault {id} with one that denies backup:DeleteRecoveryPoint to everyone but a break-glass role (aws backup put-backup-vault-access-policy --region {region} --backup-vault-name {id} --policy file://policy.json)."
            ),
        ),
        c::REGION_OPT_OUT => (
            "No resource of this type in the region is backed up any more, whatever the backup plans say.",
            format!(
                "aws backup update-region-settings --region {region} --resource-type-opt-in-preference {id}=true."
            ),
        ),
        c::KEY_DELETION_SCHEDULED => (
            "When the pending window ends the key is deleted, and everything encrypted with it (backups included) can never be decrypted.",
            format!(
                "aws kms cancel-key-deletion --key-id {arn} && aws kms enable-key --key-id {arn}."
            ),
        ),
        c::KEY_DISABLED => (
            "Nothing encrypted with this key can be read or restored while it is disabled.",
            format!("aws kms enable-key --key-id {arn}."),
        ),
        c::SECRET_DELETED => (
            "The secret will be gone: an application that needs it after a rebuild cannot start or cannot decrypt its data.",
            format!(
                "aws secretsmanager restore-secret --secret-id {arn} (possible until the recovery window ends; a forced deletion cannot be undone)."
            ),
        ),
        c::KEY_REGENERATED => (
            "Data encrypted with the previous key (databases, backups) will not decrypt with the new one after a restore.",
            format!(
                "Keep the previous value: list the versions (aws secretsmanager list-secret-version-ids --secret-id {arn} --include-deprecated), store the previous key safely, and in Terraform add lifecycle {{ ignore_changes = [secret_string] }} so apply stops regenerating it."
            ),
        ),
        c::TRAIL_STOPPED => (
            "CloudTrail no longer records management calls: Phoenix Guard cannot see the next weakening of destroy-protection.",
            format!("aws cloudtrail start-logging --name {arn}."),
        ),
        c::TRAIL_DELETED => (
            "CloudTrail no longer records management calls: Phoenix Guard cannot see the next weakening of destroy-protection.",
            format!(
                "Re-create trail {id} through Terraform (aws_cloudtrail, with management write events), then aws cloudtrail start-logging --name {id}."
            ),
        ),
        c::TRAIL_WEAKENED => (
            "CloudTrail no longer records management calls: Phoenix Guard cannot see the next weakening of destroy-protection.",
            format!(
                "aws cloudtrail put-event-selectors --trail-name {arn} --event-selectors '[{{\"ReadWriteType\":\"All\",\"IncludeManagementEvents\":true}}]', and aws cloudtrail start-logging --name {arn} if it stopped."
            ),
        ),
        c::GUARD_RULE_DISABLED => (
            "Phoenix Guard itself is blinded: events it should check no longer reach it.",
            format!(
                "aws events enable-rule --region {region} --name {id}{}, then find out who disabled it and why.",
                event_bus_flag(arn)
            ),
        ),
        _ => (
            "Phoenix Guard itself is blinded: events it should check no longer reach it.",
            format!(
                "Re-apply Phoenix Guard's Terraform module (it re-creates {id}), then find out who changed it and why."
            ),
        ),
    }
}

/// ` --event-bus-name BUS` for a rule on a custom bus (`rule/BUS/NAME`), else nothing.
fn event_bus_flag(rule_arn: &str) -> String {
    let resource = rule_arn.rsplit(':').next().unwrap_or_default();
    match resource
        .strip_prefix("rule/")
        .and_then(|r| r.split_once('/'))
    {
        Some((bus, _)) => format!(" --event-bus-name {bus}"),
        None => String::new(),
    }
}

/// Handles one event end to end: classify, confirm, deliver, write metrics.
pub async fn handle(
    guard: &Guard,
    clients: &Clients,
    event: &Value,
    invocation: &str,
    now: Timestamp,
) -> Result<Outcome, HandlerError> {
    let mut metrics = MetricBatch::new();
    let result = match plan(event, &guard.config) {
        Err(rejection) => {
            tracing::error!(
                function = FUNCTION,
                reason = %rejection,
                event = %truncated(event),
                "event rejected: it cannot be used; it goes to the failure destination"
            );
            metrics.count("EventsRejected", &[("Function", FUNCTION)], 1);
            Err(HandlerError::Rejected(rejection))
        }
        Ok((call, plan)) => {
            let mut ignored = None;
            let mut observations = Vec::new();
            match plan {
                Plan::Ignored(why) => {
                    tracing::info!(function = FUNCTION, source = %call.source, event_name = %call.event_name, "event ignored: {why}");
                    metrics.count("EventsIgnored", &[("Function", FUNCTION)], 1);
                    ignored = Some(why);
                }
                Plan::Failed { code, denied } => {
                    tracing::info!(function = FUNCTION, event_name = %call.event_name, error_code = %code, principal = %call.actor.principal, "the call failed: it changed nothing");
                    metrics.count("FailedCalls", &[], 1);
                    if !denied.is_empty() {
                        metrics.count("DestructiveCallsDenied", &[], 1);
                    }
                    observations.extend(
                        denied
                            .iter()
                            .map(|s| Observation::open(denied_finding(&call, s, now))),
                    );
                    ignored = Some(format!("the call failed with {code}"));
                }
                Plan::Suspects(suspects) => {
                    let at = call.time.unwrap_or(now);
                    for suspect in &suspects {
                        let mut reading = confirm::read(clients, suspect, &guard.config, at).await;
                        if reading.key_versions.is_some() {
                            // Re-judged against the open incident: a second new value loses
                            // the key the first one kept as AWSPREVIOUS.
                            let key = phoenix_shared::finding::dedup_key(
                                &call.account,
                                &call.region,
                                suspect.check,
                                &resource_of(suspect, &reading),
                            );
                            let prior = match guard.open_details(&key).await {
                                Ok(prior) => prior,
                                Err(err) => {
                                    guard.flush_metrics(&metrics, now).await;
                                    return Err(HandlerError::Unavailable(err.to_string()));
                                }
                            };
                            if let Some(original) = rejudge_key(&mut reading, prior.as_ref()) {
                                reading
                                    .extra
                                    .insert(ORIGINAL_KEY_VERSION.to_owned(), json!(original));
                            }
                        }
                        if let Verdict::Unconfirmed(why) = &reading.verdict {
                            tracing::warn!(function = FUNCTION, check = suspect.check, resource = %suspect.resource, reason = %why, "confirmation failed; paging on the event's facts");
                            metrics.count("ConfirmationsFailed", &[("Check", suspect.check)], 1);
                        }
                        match decide(&call, suspect, &reading, &guard.config, now) {
                            Decision::Observe(observation) => {
                                if observation.desired == phoenix_shared::Desired::Open
                                    && observation.finding.severity > Severity::Info
                                {
                                    metrics.count(
                                        "ProtectionViolations",
                                        &[("Check", suspect.check)],
                                        1,
                                    );
                                }
                                observations.push(*observation);
                            }
                            Decision::Suppressed(why) => {
                                tracing::info!(function = FUNCTION, check = suspect.check, resource = %suspect.resource, "suppressed by the resource's opt-out: {why}");
                                metrics.count("FindingsSuppressed", &[("Check", suspect.check)], 1);
                            }
                            Decision::Skip(why) => {
                                tracing::info!(function = FUNCTION, check = suspect.check, resource = %suspect.resource, "nothing to observe: {why}");
                                metrics.count("EventsIgnored", &[("Function", FUNCTION)], 1);
                                ignored.get_or_insert(why);
                            }
                        }
                    }
                }
            }
            metrics.count(
                "EventsProcessed",
                &[("EventName", catalog::normalize(&call.event_name))],
                1,
            );
            let report = guard
                .deliver(&observations, invocation, now, &mut metrics)
                .await;
            let quiet = report.quiet.len();
            report
                .into_result()
                .map(|report| Outcome {
                    event: call.event_name.clone(),
                    observations: observations.len(),
                    notified: report.notified(),
                    quiet,
                    ignored: if observations.is_empty() {
                        ignored
                    } else {
                        None
                    },
                })
                .map_err(HandlerError::from)
        }
    };
    guard.flush_metrics(&metrics, now).await;
    result
}

/// The first 2 KB of an event, for error logs. CloudTrail records carry no secret values.
fn truncated(event: &Value) -> String {
    event.to_string().chars().take(2048).collect()
}
