//! `backup-freshness`: the scheduled check for the backup that never happened.
//!
//! AWS Backup emits nothing for a job that never started, so once per schedule (hourly by
//! default) this function reads the account and decides, for every resource of the
//! required types:
//!
//! - is it in a backup plan at all (`resource-unprotected`)?
//! - is its newest good recovery point younger than its RPO (`backup-missed`, or
//!   `backup-never-completed` when there is none)?
//! - could that be decided (`check-unknown` when a read failed: never reported healthy)?
//!
//! and hands open and resolved observations to the shared pipeline. The evaluation time is
//! the scheduled event's time, so a retried run reaches the same verdicts.
//! The reading and the verdicts are [`phoenix_account::freshness`]'s (the readiness audit
//! judges backups the same way); this crate delivers them.
//!
//! In an organization the dispatcher sends one SQS message per (account, region); each is
//! swept through the member's reader role ([`phoenix_account::reach`]) and only the targets
//! that failed are returned to the queue. A target whose role cannot be assumed is
//! `check-unknown` about the whole account and region.

use phoenix_account::freshness::collect::{self, Clients};
use phoenix_account::freshness::{CHECKS, Judgement, judge, resolutions, trigger};
use phoenix_account::reach::{Reach, Reached};
use phoenix_shared::metrics::Unit;
use phoenix_shared::{Guard, HandlerError, Timestamp};
use phoenix_shared::{runtime, sweep};
use serde_json::{Value, json};

pub const FUNCTION: &str = "backup-freshness";

/// The Lambda edge: the sweep's clients pace themselves under throttling; other accounts
/// are reached through `PHOENIX_READER_ROLE`.
pub const EDGE: runtime::Function<Reach> = runtime::Function {
    name: FUNCTION,
    describe: None,
    sweep: true,
    emf_metrics: false,
    clients: |sdk, config| {
        Ok(Reach::new(
            sdk,
            config.organization.reader_role.clone(),
            "phoenix-guard-backup-freshness",
        ))
    },
};

/// One Lambda invocation: a schedule's event sweeps the own account and region ([`handle`]);
/// an SQS batch from the dispatcher sweeps each target it names ([`handle_batch`]).
pub async fn invoke(
    guard: &Guard,
    reach: &Reach,
    invocation: runtime::Invocation,
) -> Result<Value, HandlerError> {
    if sweep::is_batch(&invocation.payload) {
        return handle_batch(guard, reach, invocation).await;
    }
    handle(
        guard,
        reach.home(),
        &invocation.payload,
        &invocation.id,
        invocation.now,
    )
    .await
}

/// Sweeps every target of an SQS batch; the response names the messages to deliver again.
pub async fn handle_batch(
    guard: &Guard,
    reach: &Reach,
    invocation: runtime::Invocation,
) -> Result<Value, HandlerError> {
    let (own, id, now) = (
        invocation.account.as_str(),
        invocation.id.as_str(),
        invocation.now,
    );
    sweep::batch(
        FUNCTION,
        guard,
        invocation.payload,
        now,
        |request| async move { sweep_target(guard, reach, own, &request, id, now).await },
    )
    .await
}

/// One target of a batch: reached (or `check-unknown` about it), then swept as [`handle`].
pub async fn sweep_target(
    guard: &Guard,
    reach: &Reach,
    own_account: &str,
    request: &sweep::Request,
    invocation: &str,
    now: Timestamp,
) -> Result<(), HandlerError> {
    let at = request.time.unwrap_or(now);
    let claim = request.claim(invocation);
    match reach.request(own_account, request, at).await {
        Reached::Clients(clients) => {
            let account = Some(request.account.clone());
            sweep_one(guard, &clients, account, &request.region, at, &claim, now)
                .await
                .map(|_| ())
        }
        Reached::Later(failure) => Err(HandlerError::Unavailable(failure.to_string())),
        Reached::Unknown(finding) => {
            sweep::unreachable(FUNCTION, guard, *finding, &claim, now).await
        }
    }
}

/// Runs one evaluation of the own account and region: read, decide, notify, count.
pub async fn handle(
    guard: &Guard,
    clients: &Clients,
    event: &Value,
    invocation: &str,
    now: Timestamp,
) -> Result<Value, HandlerError> {
    let (at, account_hint) = trigger(event, now);
    sweep_one(
        guard,
        clients,
        account_hint,
        guard.config.region(),
        at,
        invocation,
        now,
    )
    .await
}

/// Reads one target, decides, notifies, counts.
async fn sweep_one(
    guard: &Guard,
    clients: &Clients,
    account_hint: Option<String>,
    region: &str,
    at: Timestamp,
    invocation: &str,
    now: Timestamp,
) -> Result<Value, HandlerError> {
    let config = &guard.config;
    let (snapshot, _coverage, protections) = collect::collect(
        clients,
        &config.required_resource_types,
        account_hint,
        region,
        at,
        config.backup_grace_seconds,
        config.require_copy,
    )
    .await;
    let mut judgement = judge(&snapshot, protections, at);
    let mut owed_scan: Option<String> = None;
    let resolved = match guard
        .open_findings(&snapshot.account, &snapshot.region, &CHECKS)
        .await
    {
        Ok(open) => resolutions(&snapshot, &judgement, &open, config),
        Err(err) => {
            tracing::error!(error = %err, "open findings could not be listed; nothing is resolved this run");
            judgement.metrics.count("LedgerErrors", &[], 1);
            owed_scan = Some(err.dedup_key);
            Vec::new()
        }
    };
    let Judgement {
        opens: mut observations,
        mut metrics,
        mut summary,
        ..
    } = judgement;
    observations.extend(resolved);
    let report = guard
        .deliver(&observations, invocation, now, &mut metrics)
        .await;
    summary.alerts_sent = report.sent.len();

    metrics.count("ResourcesChecked", &[], summary.resources_checked);
    metrics.count("ResourcesExempt", &[], summary.exempt);
    metrics.count("ResourcesUnprotected", &[], summary.unprotected);
    metrics.count("BackupsMissed", &[], summary.missed);
    metrics.count("ChecksUnknown", &[], summary.unknown);
    metrics.add("Heartbeat", &[("Function", FUNCTION)], 1.0, Unit::Count);
    guard.flush_metrics(&metrics, now).await;
    tracing::info!(
        evaluated_at = %at,
        resources = summary.resources_checked,
        unprotected = summary.unprotected,
        missed = summary.missed,
        unknown = summary.unknown,
        alerts = summary.alerts_sent,
        "freshness evaluated"
    );

    let mut report = report;
    if let Some(scope) = owed_scan {
        report.owed.push(scope);
    }
    report.into_result()?;
    let mut result = summary.to_json(FUNCTION);
    result["account"] = json!(snapshot.account);
    result["region"] = json!(snapshot.region);
    Ok(result)
}
