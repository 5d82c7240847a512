//! `sweep-dispatcher`: an organization's sweeps, from the central account.
//!
//! On its schedules (an input of `{"sweep": "backup-freshness", "time": <time>}`, or no
//! `sweep` for every queue) it lists the targets ([`phoenix_account::organization`]: the
//! organization's accounts, an OU, a tag or a list, in `PHOENIX_TARGET_REGIONS`) and sends
//! one SQS message per (account, region) to each sweep's queue (`PHOENIX_SWEEP_QUEUES`).
//! `backup-freshness` and `readiness-audit` consume those queues, a batch at a time, and
//! return only the targets that failed; a target that keeps failing reaches the dead-letter
//! queue, whose alarm pages. No scheduler of ours: EventBridge, SQS and Lambda's concurrency
//! do the fanning out.
//!
//! It also watches the watchers. Each member part's canary rule forwards a scheduled event
//! to the central bus every `PHOENIX_CANARY_MINUTES`; this function counts each arrival
//! (`MemberCanary`, by Account and Region) and, at each dispatch, opens
//! `member-canary-missing` for every target other than its own region of the central account
//! whose canary has not arrived for three intervals (its forwarding rule deleted, the bus
//! policy changed, the member never deployed), and resolves it when the canary is back.
//!
//! When it dispatches the readiness audit it first writes the organization's roll-up of the
//! previous round's reports (`readiness/<environment>/organization.json` and `.md`) and
//! publishes its score, the least ready target's, as `PhoenixReadiness` (the readiness
//! alarm's metric; each target's own is `PhoenixReadiness` by Account and Region).

pub mod canary;

use phoenix_account::Target;
use phoenix_account::organization;
use phoenix_account::rollup;
use phoenix_shared::checks::{self, FRESHNESS_UNKNOWN, MEMBER_CANARY_MISSING};
use phoenix_shared::event::{Envelope, Rejection, text};
use phoenix_shared::metrics::Unit;
use phoenix_shared::runtime;
use phoenix_shared::sweep::Request;
use phoenix_shared::{Guard, HandlerError, MetricBatch, Observation, Severity, Timestamp};
use serde_json::{Value, json};

pub const FUNCTION: &str = "sweep-dispatcher";

/// The member module's canary rule ends its name with this.
pub const CANARY_RULE_SUFFIX: &str = "-member-canary";

/// How many canary intervals may pass without one before it is missing: one late delivery
/// and one lost one are not an outage.
pub const CANARY_MISSES: i64 = 3;

/// What `sweep-dispatcher --print-event-pattern` prints for the Terraform module: the
/// members' canaries, as they arrive on the central bus.
pub fn describe() -> Value {
    json!({
        "function": FUNCTION,
        "rules": {"member-canary": {
            "source": ["aws.events"],
            "detail-type": ["Scheduled Event"],
            "resources": [{"suffix": CANARY_RULE_SUFFIX}],
        }},
    })
}

/// The account's clients (Organizations, CloudWatch, S3) and SQS's, each built on first use.
#[derive(Debug, Clone)]
pub struct Clients {
    pub account: phoenix_account::Clients,
    pub sqs: phoenix_shared::aws::Lazy<aws_sdk_sqs::Client>,
}

impl Clients {
    pub fn current(sdk: &aws_config::SdkConfig) -> Self {
        Self {
            account: phoenix_account::Clients::current(sdk),
            sqs: phoenix_shared::aws::Lazy::later(sdk, aws_sdk_sqs::Client::new),
        }
    }
}

/// The Lambda edge: a function with no queue to feed is a configuration error.
pub const EDGE: runtime::Function<Clients> = runtime::Function {
    name: FUNCTION,
    describe: Some(describe),
    sweep: false,
    emf_metrics: false,
    clients: |sdk, config| {
        if config.organization.sweep_queues.is_empty() {
            return Err("PHOENIX_SWEEP_QUEUES is not set (function=queue URL per sweep the dispatcher feeds)".to_owned());
        }
        Ok(Clients::current(sdk))
    },
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
        &invocation.account,
        &invocation.id,
        invocation.now,
    )
    .await
}

/// A canary's arrival is counted; anything else is a schedule's dispatch.
pub async fn handle(
    guard: &Guard,
    clients: &Clients,
    event: &Value,
    own_account: &str,
    invocation: &str,
    now: Timestamp,
) -> Result<Value, HandlerError> {
    let mut metrics = MetricBatch::default();
    if let Some(canary) = canary_of(event) {
        let (account, region) = match canary {
            Ok(place) => place,
            Err(rejection) => {
                let err = runtime::reject(FUNCTION, event, rejection, &mut metrics);
                guard.flush_metrics(&metrics, now).await;
                return Err(err);
            }
        };
        metrics.count(
            canary::METRIC,
            &[("Account", &account), ("Region", &region)],
            1,
        );
        // A canary not counted would page for a member that is fine: retried.
        if !guard.flush_metrics(&metrics, now).await {
            return Err(HandlerError::Unavailable(
                "the canary could not be counted (PutMetricData)".to_owned(),
            ));
        }
        tracing::info!(account, region, "member canary arrived");
        return Ok(json!({"function": FUNCTION, "canary": {"account": account, "region": region}}));
    }
    dispatch(guard, clients, event, own_account, invocation, now, metrics).await
}

/// `Some` for a member's canary (its account and region, or why they cannot be read).
fn canary_of(event: &Value) -> Option<Result<(String, String), Rejection>> {
    let is_canary = text(event, &["detail-type"]).as_deref() == Some("Scheduled Event")
        && event
            .get("resources")
            .and_then(Value::as_array)
            .is_some_and(|r| {
                r.iter()
                    .filter_map(Value::as_str)
                    .any(|arn| arn.ends_with(CANARY_RULE_SUFFIX))
            });
    if !is_canary {
        return None;
    }
    Some(Envelope::parse(event).and_then(|e| {
        match (
            e.account.filter(|a| !a.is_empty()),
            e.region.filter(|r| !r.is_empty()),
        ) {
            (Some(account), Some(region)) => Ok((account, region)),
            _ => Err(Rejection(
                "a canary that names no account or region".to_owned(),
            )),
        }
    }))
}

/// The sweeps an event asks for: `sweep` (a name or a list), else every configured queue.
fn sweeps<'a>(
    event: &Value,
    queues: &'a [(String, String)],
) -> Result<Vec<&'a (String, String)>, Rejection> {
    let named: Vec<String> = match event.get("sweep").or_else(|| event.get("sweeps")) {
        None | Some(Value::Null) => return Ok(queues.iter().collect()),
        Some(Value::String(s)) => vec![s.trim().to_owned()],
        Some(Value::Array(list)) => list
            .iter()
            .filter_map(Value::as_str)
            .map(|s| s.trim().to_owned())
            .collect(),
        Some(other) => {
            return Err(Rejection(format!(
                "sweep must be a function name or a list of them, not {other}"
            )));
        }
    };
    named
        .iter()
        .map(|name| {
            queues.iter().find(|(f, _)| f == name).ok_or_else(|| {
                Rejection(format!(
                    "no queue for sweep {name} (PHOENIX_SWEEP_QUEUES names {})",
                    queues
                        .iter()
                        .map(|(f, _)| f.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ))
            })
        })
        .collect()
}

#[allow(clippy::too_many_lines)]
async fn dispatch(
    guard: &Guard,
    clients: &Clients,
    event: &Value,
    own_account: &str,
    invocation: &str,
    now: Timestamp,
    mut metrics: MetricBatch,
) -> Result<Value, HandlerError> {
    let config = &guard.config;
    let org = &config.organization;
    let at = phoenix_shared::event::timestamp(event, &["time", "scheduledTime"]).unwrap_or(now);
    let sweeps = match sweeps(event, &org.sweep_queues) {
        Ok(sweeps) => sweeps,
        Err(rejection) => {
            let err = runtime::reject(FUNCTION, event, rejection, &mut metrics);
            guard.flush_metrics(&metrics, now).await;
            return Err(err);
        }
    };
    let mut observations: Vec<Observation> = Vec::new();
    let listing = organization::targets(
        clients.account.organizations(),
        org,
        own_account,
        config.region(),
    )
    .await;
    let scope = "organization:accounts";
    let listing_finding = |summary: String| {
        let target = checks::Target {
            resource_type: "Organization",
            id: scope,
            arn: scope,
            region: config.region(),
            min_retention_days: 0,
            command: "",
        };
        checks::finding(
            FRESHNESS_UNKNOWN,
            own_account,
            &target,
            Severity::Error,
            summary,
            at,
        )
    };
    let targets: Vec<Target> = match listing {
        Ok(targets) => {
            if org.spans_accounts() {
                observations.push(Observation::resolved(listing_finding(
                    "The organization's accounts can be listed again".to_owned(),
                )));
            }
            targets
        }
        Err(failure) if failure.transient => {
            return Err(HandlerError::Unavailable(failure.to_string()));
        }
        Err(failure) => {
            // No target is swept: every account is unknown, and that pages.
            observations.push(Observation::open(listing_finding(format!(
                "The organization's accounts could not be listed, so none was swept: {failure}"
            ))));
            Vec::new()
        }
    };

    // The members' canaries: every target but the central account's own region.
    let members: Vec<&Target> = targets
        .iter()
        .filter(|t| {
            !(t.account.as_deref() == Some(own_account)
                && t.region.as_deref() == Some(config.region()))
        })
        .collect();
    let mut canaries_missing = 0_u32;
    let mut unsent: Vec<String> = Vec::new();
    if org.spans_accounts() && !members.is_empty() {
        let window = org.canary_seconds * CANARY_MISSES;
        match canary::newest(
            clients.account.cloudwatch(),
            &config.metric_namespace,
            &config.environment,
            &members,
            at,
            window,
        )
        .await
        {
            Ok(seen) => {
                for (target, newest) in members.iter().zip(seen) {
                    let account = target.account.as_deref().unwrap_or_default();
                    let region = target.region.as_deref().unwrap_or_default();
                    let mut f = canary_finding(account, region, at);
                    match newest {
                        Some(when) => {
                            f.summary = format!(
                                "The canary of account {account} in {region} arrives again (newest {when})"
                            );
                            observations.push(Observation::resolved(f));
                        }
                        None => {
                            canaries_missing += 1;
                            f.summary = format!(
                                "No canary from account {account} in {region} for {} minutes: its events no longer reach Phoenix Guard",
                                window / 60
                            );
                            observations.push(Observation::open(f));
                        }
                    }
                }
            }
            Err(why) => {
                // Not judged: the sweeps are still queued, then the invocation fails so
                // that Lambda tries again (a target queued twice is swept twice and pages
                // nothing twice); what keeps failing reaches the dead-letter queue.
                tracing::error!(reason = %why, "the canaries could not be read");
                metrics.count("ChecksUnknown", &[("Check", MEMBER_CANARY_MISSING)], 1);
                unsent.push(format!("member canaries not judged: {why}"));
            }
        }
    }

    // The roll-up of the previous round of audits, before the next one starts.
    let mut rollup_written = None;
    if sweeps.iter().any(|(f, _)| f == "readiness-audit")
        && let Some(bucket) = &config.report_bucket
    {
        rollup_written = Some(
            match write_rollup(clients, bucket, &config.environment).await {
                Ok((n, score)) => {
                    // The organization's readiness is its least ready target's: the one
                    // figure the readiness alarm watches.
                    if let Some(score) = score {
                        metrics.add("PhoenixReadiness", &[], f64::from(score), Unit::None);
                    }
                    json!({"targets": n, "score": score})
                }
                Err(why) => {
                    tracing::error!(reason = %why, "the organization's roll-up was not written");
                    json!({"error": why})
                }
            },
        );
    }

    let mut sent = 0_usize;
    for (sweep, queue) in &sweeps {
        let requests: Vec<Request> = targets
            .iter()
            .map(|t| Request {
                sweep: sweep.clone(),
                account: t.account.clone().unwrap_or_default(),
                region: t.region.clone().unwrap_or_default(),
                time: Some(at),
            })
            .collect();
        match send(clients.sqs.get(), queue, &requests).await {
            Ok(n) => sent += n,
            Err(why) => unsent.push(format!("{sweep}: {why}")),
        }
        metrics.count(
            "TargetsDispatched",
            &[("Sweep", sweep.as_str())],
            u32::try_from(requests.len()).unwrap_or(u32::MAX),
        );
    }

    let report = guard
        .deliver(&observations, invocation, now, &mut metrics)
        .await;
    metrics.count("MemberCanariesMissing", &[], canaries_missing);
    metrics.add("Heartbeat", &[("Function", FUNCTION)], 1.0, Unit::Count);
    guard.flush_metrics(&metrics, now).await;
    tracing::info!(
        targets = targets.len(),
        messages = sent,
        canaries_missing,
        alerts = report.sent.len(),
        "sweeps dispatched"
    );
    let alerts = report.sent.len();
    report.into_result()?;
    if !unsent.is_empty() {
        // Retried whole: a target queued twice is swept twice and pages nothing twice.
        return Err(HandlerError::Unavailable(format!(
            "the dispatch is to be done again: {}",
            unsent.join("; ")
        )));
    }
    Ok(json!({
        "function": FUNCTION,
        "evaluatedAt": at,
        "targets": targets.len(),
        "messages": sent,
        "sweeps": sweeps.iter().map(|(f, _)| f).collect::<Vec<_>>(),
        "canariesMissing": canaries_missing,
        "rollup": rollup_written,
        "alertsSent": alerts,
    }))
}

/// `member-canary-missing` about one member account and region.
fn canary_finding(account: &str, region: &str, at: Timestamp) -> phoenix_shared::Finding {
    let scope = format!("canary:{account}:{region}");
    let target = checks::Target {
        resource_type: "Account",
        id: account,
        arn: &scope,
        region,
        min_retention_days: 0,
        command: "",
    };
    checks::finding(
        MEMBER_CANARY_MISSING,
        account,
        &target,
        Severity::Error,
        String::new(),
        at,
    )
}

/// Sends the requests ten at a time; entries SQS refused are sent once more. Returns how
/// many went, or why some did not.
async fn send(
    sqs: &aws_sdk_sqs::Client,
    queue: &str,
    requests: &[Request],
) -> Result<usize, String> {
    use aws_sdk_sqs::types::SendMessageBatchRequestEntry;
    let mut sent = 0;
    for chunk in requests.chunks(10) {
        let mut pending: Vec<(String, String)> = chunk
            .iter()
            .enumerate()
            .map(|(i, r)| (format!("t{i}"), r.to_json().to_string()))
            .collect();
        for attempt in 0..2 {
            let entries: Vec<SendMessageBatchRequestEntry> = pending
                .iter()
                .filter_map(|(id, body)| {
                    SendMessageBatchRequestEntry::builder()
                        .id(id)
                        .message_body(body)
                        .build()
                        .ok()
                })
                .collect();
            let out = sqs
                .send_message_batch()
                .queue_url(queue)
                .set_entries(Some(entries))
                .send()
                .await
                .map_err(|e| format!("SendMessageBatch: {}", phoenix_shared::aws::reason(&e)))?;
            sent += out.successful().len();
            let failed: Vec<&str> = out.failed().iter().map(|f| f.id()).collect();
            if failed.is_empty() {
                break;
            }
            if attempt == 1 {
                let why = out
                    .failed()
                    .iter()
                    .map(|f| format!("{}: {}", f.code(), f.message().unwrap_or_default()))
                    .collect::<Vec<_>>()
                    .join(", ");
                return Err(format!(
                    "SendMessageBatch refused {} message(s): {why}",
                    failed.len()
                ));
            }
            pending.retain(|(id, _)| failed.contains(&id.as_str()));
        }
    }
    Ok(sent)
}

/// Reads the targets' latest reports and writes the organization's roll-up; `Err` says why
/// not (the dispatch goes on: the roll-up is a view, the reports are the record).
async fn write_rollup(
    clients: &Clients,
    bucket: &str,
    environment: &str,
) -> Result<(usize, Option<u32>), String> {
    let s3 = clients.account.s3();
    let rollup = rollup::read(s3, bucket, environment)
        .await
        .map_err(|f| f.to_string())?;
    let key = |ext: &str| format!("readiness/{environment}/organization.{ext}");
    for (ext, body, content_type) in [
        ("json", rollup.to_json().to_string(), "application/json"),
        (
            "md",
            rollup.to_markdown(environment),
            "text/markdown; charset=utf-8",
        ),
    ] {
        s3.put_object()
            .bucket(bucket)
            .key(key(ext))
            .content_type(content_type)
            .body(body.into_bytes().into())
            .send()
            .await
            .map_err(|e| {
                format!(
                    "PutObject {}: {}",
                    key(ext),
                    phoenix_shared::aws::reason(&e)
                )
            })?;
    }
    Ok((rollup.targets.len(), rollup.score()))
}
