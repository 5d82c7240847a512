//! `restore-validator`: proves each AWS Backup restore test brought the data back.
//!
//! An AWS Backup restore testing plan restores a recovery point on its schedule and keeps
//! the restored resource for its validation window; AWS Backup emits a `Restore Job State
//! Change` event carrying `restoreTestingPlanArn`. For each such event this function reads
//! the job (`DescribeRestoreJob`), the restored resource and its recovery point ([`read`]),
//! judges them ([`judge`]), reports the verdict to AWS Backup
//! (`PutRestoreValidationResult`, SUCCESSFUL or FAILED with the reason) and hands the
//! findings to the shared pipeline. It never deletes what it validated: restore testing
//! does that when the validation window ends.
//!
//! | the restore test | findings (about the source resource) | validation |
//! |---|---|---|
//! | COMPLETED, the restored resource holds what the recovery point did | resolve `restore-validation-failed`, `restore-test-failed`, `restore-validation-unknown` | SUCCESSFUL |
//! | COMPLETED, it does not (smaller beyond the tolerance, wrong engine, not available) | open `restore-validation-failed`: critical for required types, error otherwise | FAILED, with the reason |
//! | COMPLETED, a read refused (access denied) or the restored resource already gone | open `restore-validation-unknown`, error (never a pass) | none |
//! | COMPLETED, a read failed for now (throttled, timed out, a 5xx) | nothing: the invocation fails and Lambda tries again | none |
//! | COMPLETED, of a type it cannot read (EBS, FSx, …) | resolve `restore-test-failed`; counted as `Unsupported` | none |
//! | COMPLETED, slower than `PHOENIX_RECOVERY_TIME_MINUTES` / within it | open / resolve `restore-time-over-target`, warning | as above |
//! | FAILED | open `restore-test-failed`, error | none (only a completed job takes one) |
//! | a restore job no restore testing plan started, or another status | ignored (`backup-events` judges plain restores) | none |
//!
//! With a validator of the team's own for the type (`PHOENIX_RESTORE_VALIDATORS`, [`own`]),
//! the restore validates only when both agree; its message joins ours.
//!
//! A member account's restore test (forwarded to the central bus in an organization) is
//! read and reported in that account, through its validator role
//! (`PHOENIX_VALIDATOR_ROLE`); a member that refuses the role leaves a completed test
//! `restore-validation-unknown`, judged from its event alone.
//!
//! Metrics: `RestoreTimeSeconds` (ResourceType), `RestoreValidations` (ResourceType,
//! Result = Successful | Failed | Unknown | Unsupported), `RestoreJobs` (State, ResourceType).

pub mod judge;
pub mod own;
pub mod read;

use phoenix_account::reach::Reach;
use phoenix_account::schedule::format_duration;
use phoenix_shared::alert::short_resource;
use phoenix_shared::checks::{
    self, RESTORE_TEST_FAILED, RESTORE_TIME_OVER_TARGET, RESTORE_VALIDATION_FAILED,
    RESTORE_VALIDATION_UNKNOWN, Target,
};
use phoenix_shared::event::{Envelope, Rejection, text, timestamp};
use phoenix_shared::metrics::Unit;
use phoenix_shared::runtime;
use phoenix_shared::{Config, Guard, HandlerError, MetricBatch, Observation, Severity, Timestamp};
use serde::Serialize;
use serde_json::{Map, Value, json};
use std::sync::{Arc, OnceLock};

pub const FUNCTION: &str = "restore-validator";

const RESTORE_JOB: &str = "Restore Job State Change";

/// What `restore-validator --print-event-pattern` prints for the Terraform module: restore
/// jobs of restore testing plans that completed or failed.
pub fn describe() -> Value {
    json!({
        "function": FUNCTION,
        "rules": {"restore-tests": {
            "source": ["aws.backup"],
            "detail-type": [RESTORE_JOB],
            "detail": {
                "restoreTestingPlanArn": [{"exists": true}],
                "status": ["COMPLETED", "FAILED"],
            },
        }},
    })
}

/// The clients a validation reads through: the restore test's account's, each built on
/// first use, and Lambda's (in the function's own account) for the team's own validators.
#[derive(Debug, Clone)]
pub struct Clients {
    pub account: Arc<phoenix_account::Clients>,
    lambda: Arc<OnceLock<aws_sdk_lambda::Client>>,
    sdk: aws_config::SdkConfig,
}

impl Clients {
    /// The target the SDK configuration reaches.
    pub fn current(sdk: &aws_config::SdkConfig) -> Self {
        Self {
            account: Arc::new(phoenix_account::Clients::current(sdk)),
            lambda: Arc::new(OnceLock::new()),
            sdk: sdk.clone(),
        }
    }

    pub fn lambda(&self) -> &aws_sdk_lambda::Client {
        self.lambda
            .get_or_init(|| aws_sdk_lambda::Client::new(&self.sdk))
    }
}

/// Every account's clients: the function's own, and a member's through its validator role
/// (`PHOENIX_VALIDATOR_ROLE`), which reads the restored resource and reports the verdict
/// to that member's AWS Backup.
#[derive(Debug)]
pub struct Accounts {
    reach: Reach,
    home: Clients,
}

impl Accounts {
    pub fn new(sdk: &aws_config::SdkConfig, config: &Config) -> Self {
        Self {
            reach: Reach::new(
                sdk,
                config.organization.validator_role.clone(),
                "phoenix-guard-restore-validator",
            ),
            home: Clients::current(sdk),
        }
    }

    /// The clients of the restore test's `account` and `region`, seen from `own`.
    pub async fn reach(
        &self,
        own: &str,
        account: Option<String>,
        region: Option<String>,
    ) -> Result<Clients, phoenix_account::failure::Failure> {
        let target = phoenix_account::Target { account, region };
        let account = self
            .reach
            .clients(own, &target, std::time::SystemTime::now())
            .await?;
        Ok(Clients {
            account,
            ..self.home.clone()
        })
    }
}

/// The Lambda edge: the restore test's account's clients, each built on first use.
pub const EDGE: runtime::Function<Accounts> = runtime::Function {
    name: FUNCTION,
    describe: Some(describe),
    sweep: false,
    emf_metrics: true,
    clients: |sdk, config| Ok(Accounts::new(sdk, config)),
};

/// The Lambda response: what the invocation did.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct Outcome {
    #[serde(skip_serializing_if = "String::is_empty")]
    pub restore_job: String,
    /// SUCCESSFUL or FAILED as reported to AWS Backup; absent when nothing was reported.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub validation: Option<String>,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub message: String,
    pub notified: Vec<String>,
    pub quiet: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ignored: Option<String>,
}

/// A restore test's event, as far as the event says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    pub account: String,
    pub region: String,
    pub job: read::Job,
    pub observed_at: Option<Timestamp>,
}

/// What an event is to this function.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Parsed {
    Ignored(String),
    Test(Box<Event>),
}

/// Reads an event leniently. `Err` only for an event that cannot be used: a restore test's
/// event with no status or no restore job id.
pub fn parse(event: &Value, config: &Config) -> Result<Parsed, Rejection> {
    let envelope = Envelope::parse(event)?;
    if envelope.source != "aws.backup" || !envelope.detail_type.eq_ignore_ascii_case(RESTORE_JOB) {
        return Ok(Parsed::Ignored(format!(
            "{} / {} is not a restore job's event",
            envelope.source, envelope.detail_type
        )));
    }
    let detail = &envelope.detail;
    let Some(plan) = text(detail, &["restoreTestingPlanArn"]) else {
        return Ok(Parsed::Ignored(
            "a restore job no restore testing plan started".to_owned(),
        ));
    };
    let status = text(detail, &["status", "state"])
        .map(|s| s.to_ascii_uppercase())
        .ok_or_else(|| Rejection("a restore test's event with no status".to_owned()))?;
    if status != "COMPLETED" && status != "FAILED" {
        return Ok(Parsed::Ignored(format!("a restore test {status}")));
    }
    let id = text(detail, &["restoreJobId"])
        .ok_or_else(|| Rejection(format!("a restore test {status} with no restoreJobId")))?;
    Ok(Parsed::Test(Box::new(Event {
        account: envelope.account_or_default(),
        region: envelope.region_or(config.region()),
        observed_at: envelope.time,
        job: read::Job {
            id,
            status: Some(status),
            status_message: text(detail, &["statusMessage"]),
            resource_type: text(detail, &["resourceType"]),
            source: text(detail, &["sourceResourceArn"]),
            created_resource: text(detail, &["createdResourceArn"]),
            recovery_point: text(detail, &["recoveryPointArn"]),
            vault_arn: text(detail, &["backupVaultArn"]),
            created: timestamp(detail, &["creationDate"]),
            completed: timestamp(detail, &["completionDate"]),
            plan: Some(plan),
            validation_status: None,
        },
    })))
}

/// The job as AWS Backup describes it, with the event filling what the description lacks.
/// A job the description still shows unfinished keeps the event's final status.
pub fn merged(event: read::Job, described: read::Job) -> read::Job {
    let final_status = |s: &Option<String>| {
        s.as_deref()
            .is_some_and(|s| matches!(s, "COMPLETED" | "FAILED" | "ABORTED"))
    };
    read::Job {
        id: described.id,
        status: if final_status(&described.status) {
            described.status
        } else {
            event.status
        },
        status_message: described.status_message.or(event.status_message),
        resource_type: described.resource_type.or(event.resource_type),
        source: described.source.or(event.source),
        created_resource: described.created_resource.or(event.created_resource),
        recovery_point: described.recovery_point.or(event.recovery_point),
        vault_arn: described.vault_arn.or(event.vault_arn),
        created: described.created.or(event.created),
        completed: described.completed.or(event.completed),
        plan: described.plan.or(event.plan),
        validation_status: described.validation_status,
    }
}

/// One Lambda invocation: the restore test is judged in its own account (a member's,
/// forwarded to the central bus, through its validator role).
pub async fn invoke(
    guard: &Guard,
    accounts: &Accounts,
    invocation: runtime::Invocation,
) -> Result<Outcome, HandlerError> {
    let payload = &invocation.payload;
    let reached = accounts
        .reach(
            &invocation.account,
            text(payload, &["account"]),
            text(payload, &["region"]),
        )
        .await;
    match reached {
        Ok(clients) => handle(guard, &clients, payload, &invocation.id, invocation.now).await,
        Err(failure) if failure.transient => Err(HandlerError::Unavailable(failure.to_string())),
        Err(failure) => {
            let why = failure.to_string();
            tracing::error!(function = FUNCTION, reason = %why, "the restore test's account cannot be reached");
            judge_reaching(guard, Err(&why), payload, &invocation.id, invocation.now).await
        }
    }
}

/// Handles one event end to end: read, judge, report, deliver, count.
pub async fn handle(
    guard: &Guard,
    clients: &Clients,
    event: &Value,
    invocation: &str,
    now: Timestamp,
) -> Result<Outcome, HandlerError> {
    judge_reaching(guard, Ok(clients), event, invocation, now).await
}

/// [`handle`], with the restore test's account reached (`Ok`) or why it could not be
/// (`Err`: the test is judged from its event alone, and a completed one is unknown).
async fn judge_reaching(
    guard: &Guard,
    clients: Result<&Clients, &str>,
    event: &Value,
    invocation: &str,
    now: Timestamp,
) -> Result<Outcome, HandlerError> {
    let mut metrics = MetricBatch::new();
    let result = run(guard, clients, event, invocation, now, &mut metrics).await;
    guard.flush_metrics(&metrics, now).await;
    result
}

async fn run(
    guard: &Guard,
    clients: Result<&Clients, &str>,
    event: &Value,
    invocation: &str,
    now: Timestamp,
    metrics: &mut MetricBatch,
) -> Result<Outcome, HandlerError> {
    let config = &guard.config;
    let parsed = match parse(event, config) {
        Err(rejection) => return Err(runtime::reject(FUNCTION, event, rejection, metrics)),
        Ok(Parsed::Ignored(why)) => {
            runtime::ignore(FUNCTION, "restore job", &why, metrics);
            return Ok(Outcome {
                ignored: Some(why),
                ..Outcome::default()
            });
        }
        Ok(Parsed::Test(parsed)) => *parsed,
    };
    let Event {
        account,
        region,
        job,
        observed_at,
    } = parsed;
    let described = match clients {
        Ok(clients) => read::restore_job(clients.account.backup(), &job.id).await,
        // Unreachable: the event's own account of the job.
        Err(_) => Ok(Some(job.clone())),
    };
    let job = match described {
        Ok(Some(described)) => merged(job, described),
        Ok(None) => {
            let rejection = Rejection(format!("AWS Backup knows no restore job {}", job.id));
            return Err(runtime::reject(FUNCTION, event, rejection, metrics));
        }
        Err(failure) => {
            tracing::error!(function = FUNCTION, restore_job = %job.id, error = %failure, "the restore job could not be read; retrying");
            return Err(HandlerError::Unavailable(failure.to_string()));
        }
    };
    let rtype = phoenix_shared::arn::backup_type_spelled(
        job.resource_type
            .as_deref()
            .or_else(|| {
                job.source
                    .as_deref()
                    .and_then(phoenix_shared::arn::backup_type)
            })
            .unwrap_or("unknown"),
    );
    let status = job.status.clone().unwrap_or_default();
    metrics.count(
        "RestoreJobs",
        &[("State", &status), ("ResourceType", &rtype)],
        1,
    );
    let subject = job
        .source
        .clone()
        .or_else(|| job.recovery_point.clone())
        .unwrap_or_else(|| format!("restore-job/{}", job.id));
    let command = format!(
        "aws backup describe-restore-job --region {region} --restore-job-id {}",
        job.id
    );
    let target = Target {
        resource_type: &rtype,
        id: short_resource(&subject),
        arn: &subject,
        region: &region,
        min_retention_days: config.min_backup_retention_days,
        command: &command,
    };
    let at = job.completed.or(observed_at).unwrap_or(now);
    let mut details = Map::new();
    for (key, value) in [
        ("restoreJobId", Some(&job.id)),
        ("restoreTestingPlanArn", job.plan.as_ref()),
        ("recoveryPointArn", job.recovery_point.as_ref()),
        ("createdResourceArn", job.created_resource.as_ref()),
        ("statusMessage", job.status_message.as_ref()),
    ] {
        if let Some(value) = value {
            details.insert(key.to_owned(), Value::from(value.as_str()));
        }
    }
    let duration = match (job.created, job.completed) {
        (Some(start), Some(end)) if end >= start && status == "COMPLETED" => {
            Some(end.seconds_since(start))
        }
        _ => None,
    };
    if let Some(seconds) = duration {
        details.insert("durationSeconds".to_owned(), Value::from(seconds));
    }
    let finding = |check: &str, severity: Severity, summary: String| {
        let mut f = checks::finding(check, &account, &target, severity, summary, at);
        f.details = details.clone();
        f
    };
    let short = short_resource(&subject).to_owned();
    let mut observations = Vec::new();
    let mut report: Option<(bool, String)> = None;
    let mut outcome = Outcome {
        restore_job: job.id.clone(),
        ..Outcome::default()
    };

    if status == "FAILED" {
        let why = job
            .status_message
            .clone()
            .unwrap_or_else(|| "no status message".to_owned());
        outcome.message = why.clone();
        observations.push(Observation::open(finding(
            RESTORE_TEST_FAILED,
            Severity::Error,
            format!("{rtype} restore test of {short} FAILED: {why}"),
        )));
    } else {
        let verdict = match clients {
            Ok(clients) => validate(clients, config, &job, &rtype).await,
            Err(_) if !read::VALIDATED_TYPES.contains(&rtype.as_str()) => Validation::Unsupported,
            Err(why) => Validation::Unknown(format!(
                "account {account} could not be reached to read the restored resource: {why}"
            )),
        };
        if let Validation::Retry(why) = &verdict {
            // Nothing is delivered: the retry judges the whole test again.
            tracing::error!(function = FUNCTION, restore_job = %job.id, reason = %why, "a read failed; retrying");
            metrics.count(
                "RestoreValidations",
                &[("ResourceType", &rtype), ("Result", "Retried")],
                1,
            );
            return Err(HandlerError::Unavailable(why.clone()));
        }
        if let Some(seconds) = duration {
            // Whole seconds of a duration fit an f64 exactly.
            metrics.add(
                "RestoreTimeSeconds",
                &[("ResourceType", &rtype)],
                seconds as f64,
                Unit::Seconds,
            );
            let target_seconds = config.recovery_time_target_seconds;
            let timing = finding(
                RESTORE_TIME_OVER_TARGET,
                Severity::Warning,
                format!(
                    "{rtype} restore test of {short} took {}; the recovery-time target is {}",
                    format_duration(seconds),
                    format_duration(target_seconds)
                ),
            );
            observations.push(if seconds > target_seconds {
                Observation::open(timing)
            } else {
                Observation::resolved(timing)
            });
        }
        let result = match &verdict {
            Validation::Judged(v) if v.valid => "Successful",
            Validation::Judged(_) => "Failed",
            Validation::Unknown(_) => "Unknown",
            Validation::Retry(_) => "Retried",
            Validation::Unsupported => "Unsupported",
        };
        metrics.count(
            "RestoreValidations",
            &[("ResourceType", &rtype), ("Result", result)],
            1,
        );
        let resolve = |check: &str| {
            Observation::resolved(finding(
                check,
                Severity::Info,
                format!("{rtype} restore test of {short} validated"),
            ))
        };
        match verdict {
            Validation::Judged(v) if v.valid => {
                outcome.message.clone_from(&v.message);
                for check in [
                    RESTORE_VALIDATION_FAILED,
                    RESTORE_TEST_FAILED,
                    RESTORE_VALIDATION_UNKNOWN,
                ] {
                    observations.push(resolve(check));
                }
                report = Some((true, v.message));
            }
            Validation::Judged(v) => {
                outcome.message.clone_from(&v.message);
                let severity = if config
                    .required_resource_types
                    .iter()
                    .any(|t| t.eq_ignore_ascii_case(&rtype))
                {
                    Severity::Critical
                } else {
                    Severity::Error
                };
                observations.push(Observation::open(finding(
                    RESTORE_VALIDATION_FAILED,
                    severity,
                    format!(
                        "{rtype} restore test of {short} did not validate: {}",
                        v.message
                    ),
                )));
                observations.push(resolve(RESTORE_TEST_FAILED));
                observations.push(resolve(RESTORE_VALIDATION_UNKNOWN));
                report = Some((false, v.message));
            }
            Validation::Unknown(why) => {
                outcome.message.clone_from(&why);
                observations.push(Observation::open(finding(
                    RESTORE_VALIDATION_UNKNOWN,
                    Severity::Error,
                    format!("{rtype} restore test of {short} could not be validated: {why}"),
                )));
                observations.push(resolve(RESTORE_TEST_FAILED));
            }
            Validation::Retry(_) => {}
            Validation::Unsupported => {
                outcome.message = format!("{rtype} restores are not validated by this function");
                tracing::info!(function = FUNCTION, resource_type = %rtype, restore_job = %job.id, "restored resource type not validated");
                observations.push(resolve(RESTORE_TEST_FAILED));
            }
        }
    }

    let delivered = guard.deliver(&observations, invocation, now, metrics).await;
    outcome.notified = delivered.notified();
    outcome.quiet = delivered.quiet.len();
    delivered.into_result()?;
    if let (Some((valid, message)), Ok(clients)) = (report, clients) {
        let status = if valid { "SUCCESSFUL" } else { "FAILED" };
        put_result(clients.account.backup(), &job.id, status, &message)
            .await
            .map_err(|reason| {
                tracing::error!(function = FUNCTION, restore_job = %job.id, %reason, "the validation result could not be reported; retrying");
                HandlerError::Unavailable(reason)
            })?;
        outcome.validation = Some(status.to_owned());
    }
    tracing::info!(
        function = FUNCTION,
        restore_job = %job.id,
        resource_type = %rtype,
        validation = outcome.validation.as_deref().unwrap_or("-"),
        message = %outcome.message,
        "restore test judged"
    );
    Ok(outcome)
}

/// What validation found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Validation {
    Judged(judge::Verdict),
    /// A read was refused or the restored resource was already gone: nothing was proven,
    /// and trying again will not help.
    Unknown(String),
    /// A read failed in a way that may pass in a minute (throttled, timed out, a 5xx): the
    /// invocation fails so that Lambda tries it again.
    Retry(String),
    Unsupported,
}

async fn validate(clients: &Clients, config: &Config, job: &read::Job, rtype: &str) -> Validation {
    if !read::VALIDATED_TYPES.contains(&rtype) {
        return Validation::Unsupported;
    }
    let Some(created) = job.created_resource.as_deref() else {
        return Validation::Unknown("the restore job names no restored resource".to_owned());
    };
    let account = &clients.account;
    let (restored, size, source) = tokio::join!(
        read::restored(account, rtype, created),
        read::point_size(
            account.backup(),
            job.vault_arn.as_deref(),
            job.recovery_point.as_deref()
        ),
        read::source_engine(account, rtype, job.source.as_deref()),
    );
    let failed = |failure: phoenix_account::failure::Failure| {
        if failure.transient {
            Validation::Retry(failure.to_string())
        } else {
            Validation::Unknown(failure.to_string())
        }
    };
    let restored = match restored {
        Ok(Some(r)) => r,
        Ok(None) => {
            return Validation::Unknown(format!(
                "the restored resource {created} no longer exists (was the selection's validation window 0 hours?)"
            ));
        }
        Err(failure) => return failed(failure),
    };
    let size = match size {
        Ok(size) => size,
        Err(failure) => return failed(failure),
    };
    let source = match source {
        Ok(source) => source,
        Err(failure) => return failed(failure),
    };
    let verdict = judge::judge(
        &restored,
        size,
        source.as_ref(),
        config.restore_size_tolerance_percent,
    );
    // The team's own check of the data, when there is one for the type: its answer joins.
    let Some((_, function)) = config
        .restore_validators
        .iter()
        .find(|(t, _)| t.eq_ignore_ascii_case(rtype))
    else {
        return Validation::Judged(verdict);
    };
    match own::ask(clients.lambda(), function, &own::request(job, rtype)).await {
        Ok(answer) => Validation::Judged(judge::Verdict {
            valid: verdict.valid && answer.pass,
            message: format!(
                "{}; {function}: {}{}",
                verdict.message,
                if answer.pass { "" } else { "FAILED: " },
                answer.message
            ),
        }),
        Err(unanswered) if unanswered.transient => Validation::Retry(unanswered.reason),
        Err(unanswered) => Validation::Unknown(unanswered.reason),
    }
}

/// The longest `ValidationStatusMessage` sent: the verdict's first characters.
const MESSAGE_CHARS: usize = 1000;

async fn put_result(
    backup: &aws_sdk_backup::Client,
    job: &str,
    status: &str,
    message: &str,
) -> Result<(), String> {
    backup
        .put_restore_validation_result()
        .restore_job_id(job)
        .validation_status(aws_sdk_backup::types::RestoreValidationStatus::from(status))
        .validation_status_message(message.chars().take(MESSAGE_CHARS).collect::<String>())
        .send()
        .await
        .map(|_| ())
        .map_err(|e| {
            format!(
                "PutRestoreValidationResult: {}",
                phoenix_shared::aws::reason(&e)
            )
        })
}
