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

use phoenix_account::freshness::collect::{self, Clients};
use phoenix_account::freshness::{CHECKS, Judgement, judge, resolutions, trigger};
use phoenix_shared::metrics::Unit;
use phoenix_shared::runtime;
use phoenix_shared::{Guard, HandlerError, Timestamp};
use serde_json::Value;

pub const FUNCTION: &str = "backup-freshness";

/// The Lambda edge: the sweep's clients pace themselves under throttling.
pub const EDGE: runtime::Function<Clients> = runtime::Function {
    name: FUNCTION,
    describe: None,
    sweep: true,
    clients: |sdk, _| Ok(Clients::current(sdk)),
};

/// One Lambda invocation ([`handle`] with the invocation's facts).
pub async fn invoke(
    guard: &Guard,
    clients: &Clients,
    invocation: runtime::Invocation,
) -> Result<Value, HandlerError> {
    handle(
        guard,
        clients,
        &invocation.payload,
        &invocation.id,
        invocation.now,
    )
    .await
}

/// Runs one evaluation: read, decide, notify, count.
pub async fn handle(
    guard: &Guard,
    clients: &Clients,
    event: &Value,
    invocation: &str,
    now: Timestamp,
) -> Result<Value, HandlerError> {
    let (at, account_hint) = trigger(event, now);
    let config = &guard.config;
    let (snapshot, _coverage, protections) = collect::collect(
        clients,
        &config.required_resource_types,
        account_hint,
        config.region(),
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
    Ok(summary.to_json(FUNCTION))
}
