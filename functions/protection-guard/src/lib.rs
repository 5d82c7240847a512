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
//! | made by AWS Backup restore testing's service-linked role (deleting a restored copy) | ignored |

pub mod call;
pub mod catalog;
pub mod confirm;
pub mod rules;

use call::ApiCall;
use catalog::{Class, Role};
use confirm::{Clients, Reading, Verdict};
use phoenix_account::reach::Reach;
use phoenix_shared::checks::{self, Target};
use phoenix_shared::event::{Envelope, Rejection, text};
use phoenix_shared::runtime;
use phoenix_shared::{
    Config, Finding, Guard, HandlerError, MetricBatch, Observation, Severity, Timestamp, tags,
};
use rules::{Classified, Suspect};
use serde::Serialize;
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;

pub const FUNCTION: &str = "protection-guard";

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
    let call = ApiCall::from_envelope(&envelope, config.region())?;
    if call.actor.is_restore_testing() {
        let why = format!(
            "AWS Backup restore testing ({}) cleaning up the copy it restored",
            call.actor.principal
        );
        return Ok((call, Plan::Ignored(why)));
    }
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
    tags::says(tags.and_then(|t| t.get(key)).map(String::as_str), value)
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
            if tag_is(tags, tags::DATA, "true")
                || config.is_configured_data_bucket(&suspect.id) =>
        {
            Severity::Critical
        }
        Class::Secret
            if tag_is(tags, tags::ENCRYPTION_KEY, "true")
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
    let target = Target {
        resource_type: suspect.resource_type,
        id: remedy_id(suspect, &resource),
        arn: &resource,
        region: &call.region,
        min_retention_days: config.min_backup_retention_days,
        command: "",
    };
    let mut finding = checks::finding(
        suspect.check,
        &call.account,
        &target,
        Severity::Error,
        String::new(),
        call.time.unwrap_or(now),
    );
    finding.details = call.facts();
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
    if tag_is(tags, tags::PROTECT, "false") {
        match tags
            .and_then(|t| t.get(tags::REASON))
            .filter(|r| !r.trim().is_empty())
        {
            Some(why) => return Decision::Suppressed(format!("{}=false: {why}", tags::PROTECT)),
            None => {
                finding.details.insert(
                    "optOutIgnored".to_owned(),
                    json!(format!(
                        "{}=false without a {} tag is not honoured",
                        tags::PROTECT,
                        tags::REASON
                    )),
                );
            }
        }
    }
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
    let target = Target {
        resource_type: suspect.resource_type,
        id: &suspect.id,
        arn: &suspect.resource,
        region: &call.region,
        min_retention_days: 0,
        command: "",
    };
    let summary = format!(
        "Denied: {} tried to {} ({}) {}",
        call.actor.principal,
        call.event_name,
        call.error_code.as_deref().unwrap_or("refused"),
        call.who()
    );
    let mut finding = checks::finding(
        catalog::CALL_DENIED,
        &call.account,
        &target,
        Severity::Warning,
        summary,
        call.time.unwrap_or(now),
    );
    finding.details = details;
    finding
}

/// The Lambda edge: the confirming reads' clients, for the function's own account and, in
/// an organization, for each member's through its reader role (`PHOENIX_READER_ROLE`).
pub const EDGE: runtime::Function<Reach> = runtime::Function {
    name: FUNCTION,
    describe: Some(catalog::describe),
    sweep: false,
    emf_metrics: true,
    clients: |sdk, config| {
        Ok(Reach::new(
            sdk,
            config.organization.reader_role.clone(),
            "phoenix-guard-protection-guard",
        ))
    },
};

/// One Lambda invocation: the call is confirmed in its own account and region (a member's
/// call, forwarded to the central bus, through the member's reader role).
pub async fn invoke(
    guard: &Guard,
    reach: &Reach,
    invocation: runtime::Invocation,
) -> Result<Outcome, HandlerError> {
    let payload = &invocation.payload;
    let target = phoenix_account::Target {
        account: text(payload, &["account"]),
        region: text(payload, &["region"]),
    };
    match reach
        .clients(&invocation.account, &target, std::time::SystemTime::now())
        .await
    {
        Ok(clients) => {
            handle_reaching(guard, Ok(&clients), payload, &invocation.id, invocation.now).await
        }
        Err(failure) if failure.transient => Err(HandlerError::Unavailable(failure.to_string())),
        Err(failure) => {
            let why = failure.to_string();
            handle_reaching(guard, Err(&why), payload, &invocation.id, invocation.now).await
        }
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
    handle_reaching(guard, Ok(clients), event, invocation, now).await
}

/// [`handle`], with the call's account reached (`Ok`) or why it could not be (`Err`: every
/// confirmation is then unconfirmed, and the page goes out on the call's facts).
async fn handle_reaching(
    guard: &Guard,
    clients: Result<&Clients, &str>,
    event: &Value,
    invocation: &str,
    now: Timestamp,
) -> Result<Outcome, HandlerError> {
    let mut metrics = MetricBatch::new();
    let result = match plan(event, &guard.config) {
        Err(rejection) => Err(runtime::reject(FUNCTION, event, rejection, &mut metrics)),
        Ok((call, plan)) => {
            let mut ignored = None;
            let mut observations = Vec::new();
            match plan {
                Plan::Ignored(why) => {
                    let about = format!("{} {}", call.source, call.event_name);
                    runtime::ignore(FUNCTION, &about, &why, &mut metrics);
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
                        let mut reading = match clients {
                            Ok(clients) => confirm::read(clients, suspect, &guard.config, at).await,
                            Err(why) => Reading::unreachable(why),
                        };
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
                                let about = format!("{} {}", suspect.check, suspect.resource);
                                runtime::ignore(FUNCTION, &about, &why, &mut metrics);
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
