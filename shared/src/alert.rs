//! Alerts: rendering a finding's notification as one SNS message, and publishing it.
//!
//! One message serves every subscriber through `MessageStructure=json`:
//! - `default` and `email`: human text (what happened, to which resource, why it matters for
//!   a rebuild, what to do);
//! - `https`: CloudWatch-alarm-shaped JSON whose `AlarmName` is the dedup key, so PagerDuty's
//!   Amazon CloudWatch integration opens one incident per finding and resolves it on `OK`;
//! - `sqs` and `lambda`: the whole finding with PagerDuty Events API v2 fields (`links` to
//!   the resource's console page and the check's runbook section), for ticketing or a
//!   forwarder to the Events API; an info finding's own announcement (a weakening already
//!   undone, a score that rose) is a change event (`event_type: change`), not an incident.
//!
//! [`render_chat`] renders the same notification as an Amazon Q Developer in chat
//! applications custom notification, threaded by the dedup key, for the chat topic.
//!
//! Message attributes (`severity`, `check`, `state`, `resource_type`, `environment`,
//! `notification`) let subscription filter policies route by urgency.

use crate::error::AlertError;
use crate::finding::{Finding, Severity};
use crate::time::Timestamp;
use aws_sdk_sns::types::MessageAttributeValue;
use serde_json::{Map, Value, json};
use std::fmt::Write as _;

/// SNS's limit is 256 KB; stay clear of it with room for attributes.
const MAX_MESSAGE_BYTES: usize = 240 * 1024;
/// PagerDuty truncates summaries at 1024 characters.
const MAX_SUMMARY_CHARS: usize = 1024;
/// SNS subjects must be under 100 characters.
const MAX_SUBJECT_CHARS: usize = 99;
/// Long detail values are cut so one noisy status message cannot crowd out the rest.
const MAX_DETAIL_CHARS: usize = 2000;

/// Which transition of a finding a message announces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Notification {
    /// The finding opened (or reopened after being resolved).
    Trigger,
    /// The finding is still open long after the last notification.
    Reminder,
    /// The finding is still open and became more severe.
    Escalation,
    /// An occurrence (a burst of deletions) grew past a step, or ended: its new size, on the
    /// same dedup key.
    Update,
    /// The finding no longer holds.
    Resolve,
}

impl Notification {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Trigger => "trigger",
            Self::Reminder => "reminder",
            Self::Escalation => "escalation",
            Self::Update => "update",
            Self::Resolve => "resolve",
        }
    }

    /// The CloudWatch alarm state the message represents.
    pub const fn alarm_state(self) -> &'static str {
        match self {
            Self::Resolve => "OK",
            _ => "ALARM",
        }
    }

    /// The PagerDuty Events API v2 action: reminders and escalations re-trigger the same
    /// dedup key, which updates the open incident rather than opening another.
    pub const fn event_action(self) -> &'static str {
        match self {
            Self::Resolve => "resolve",
            _ => "trigger",
        }
    }
}

/// Everything a message says beyond the finding itself.
#[derive(Debug, Clone)]
pub struct AlertContext<'a> {
    pub finding: &'a Finding,
    pub notification: Notification,
    /// The severity to announce: the finding's, or for a resolve the one it was opened with.
    pub severity: Severity,
    pub environment: &'a str,
    pub namespace: &'a str,
    /// The earliest observation of the finding while open (an event's time, not when it
    /// was processed), if known; never later than the finding's `observed_at`.
    pub first_seen: Option<Timestamp>,
    /// How many times the condition has been observed while open.
    pub occurrences: i64,
    /// When this message is sent.
    pub sent_at: Timestamp,
    /// The team's runbook (`PHOENIX_RUNBOOK_URL`): each check is its section, `#<check>`.
    pub runbook_url: Option<&'a str>,
}

/// A rendered SNS message.
#[derive(Debug, Clone, PartialEq)]
pub struct Alert {
    pub dedup_key: String,
    pub subject: String,
    /// The JSON object of per-protocol strings sent with `MessageStructure=json`.
    pub message: String,
    pub attributes: Vec<(&'static str, String)>,
}

/// Renders the message for one notification of one finding.
pub fn render(ctx: &AlertContext<'_>) -> Alert {
    let dedup_key = ctx.finding.dedup_key();
    let message = match render_message(ctx, &dedup_key, &ctx.finding.details) {
        Some(m) if m.len() <= MAX_MESSAGE_BYTES => m,
        _ => {
            // Details too large for SNS: send the alert without them rather than not at all.
            let mut note = Map::new();
            note.insert(
                "details_omitted".to_owned(),
                Value::String("the finding's details exceeded the SNS message size".to_owned()),
            );
            render_message(ctx, &dedup_key, &note).unwrap_or_default()
        }
    };
    Alert {
        subject: subject(ctx),
        message,
        attributes: vec![
            ("severity", ctx.severity.as_str().to_owned()),
            ("check", ctx.finding.check.clone()),
            ("state", ctx.notification.alarm_state().to_owned()),
            ("resource_type", non_empty(&ctx.finding.resource_type)),
            ("environment", non_empty(ctx.environment)),
            ("notification", ctx.notification.as_str().to_owned()),
        ],
        dedup_key,
    }
}

fn non_empty(s: &str) -> String {
    if s.is_empty() {
        "unknown".to_owned()
    } else {
        s.to_owned()
    }
}

fn render_message(
    ctx: &AlertContext<'_>,
    dedup_key: &str,
    details: &Map<String, Value>,
) -> Option<String> {
    let details = trimmed_details(details);
    let human = human_text(ctx, dedup_key, &details);
    let structured = serde_json::to_string(&structured(ctx, dedup_key, &details)).ok()?;
    let alarm = serde_json::to_string(&alarm_shaped(ctx, dedup_key)).ok()?;
    serde_json::to_string(&json!({
        "default": human,
        "email": human,
        "https": alarm,
        "sqs": structured,
        "lambda": structured,
    }))
    .ok()
}

/// `ALARM: [critical] backup-job-failed: fs-0abc (dev)`; ASCII, one line, under 100 chars.
fn subject(ctx: &AlertContext<'_>) -> String {
    let f = ctx.finding;
    let prefix = match ctx.notification {
        Notification::Trigger | Notification::Resolve => "",
        Notification::Reminder => "still open: ",
        Notification::Escalation => "escalated: ",
        Notification::Update => "update: ",
    };
    let raw = format!(
        "{}: {prefix}[{}] {}: {} ({})",
        ctx.notification.alarm_state(),
        ctx.severity,
        f.check,
        short_resource(&f.resource_arn),
        ctx.environment
    );
    let ascii: String = raw
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() || c == ' ' {
                c
            } else {
                '?'
            }
        })
        .collect();
    truncate_chars(&ascii, MAX_SUBJECT_CHARS)
}

/// The last path element of an ARN (`fs-0abc` of `...:file-system/fs-0abc`).
pub fn short_resource(arn: &str) -> &str {
    let tail = arn.rsplit(['/', ':']).find(|s| !s.is_empty());
    tail.unwrap_or(arn)
}

/// `s` cut to `max` characters, the last one `~` when anything was cut (ASCII: SNS
/// subjects take nothing else).
pub fn truncate_chars(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_owned();
    }
    let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
    out.push('~');
    out
}

fn trimmed_details(details: &Map<String, Value>) -> Map<String, Value> {
    details
        .iter()
        .map(|(k, v)| {
            let v = match v {
                Value::String(s) if s.chars().count() > MAX_DETAIL_CHARS => {
                    Value::String(truncate_chars(s, MAX_DETAIL_CHARS))
                }
                other => other.clone(),
            };
            (k.clone(), v)
        })
        .collect()
}

fn human_text(ctx: &AlertContext<'_>, dedup_key: &str, details: &Map<String, Value>) -> String {
    let f = ctx.finding;
    let mut out = String::new();
    let headline = match ctx.notification {
        Notification::Trigger => {
            format!("{} [{}]", f.summary, ctx.severity.as_str().to_uppercase())
        }
        Notification::Reminder => format!(
            "Still open: {} [{}]",
            f.summary,
            ctx.severity.as_str().to_uppercase()
        ),
        Notification::Escalation => format!(
            "Escalated to {}: {}",
            ctx.severity.as_str().to_uppercase(),
            f.summary
        ),
        Notification::Update => format!(
            "Update: {} [{}]",
            f.summary,
            ctx.severity.as_str().to_uppercase()
        ),
        Notification::Resolve => format!("Resolved: {}", f.summary),
    };
    // Writing to a String cannot fail.
    let _ = writeln!(out, "{headline}\n");
    let _ = writeln!(out, "Environment:   {}", ctx.environment);
    let _ = writeln!(
        out,
        "Resource:      {} ({})",
        f.resource_arn, f.resource_type
    );
    let _ = writeln!(out, "Check:         {}", f.check);
    let _ = writeln!(out, "Account:       {} in {}", f.account, f.region);
    if let Some(first) = ctx.first_seen {
        let _ = writeln!(out, "First seen:    {first}");
    }
    let _ = writeln!(out, "Last observed: {}", f.observed_at);
    let _ = writeln!(out, "Notified:      {}", ctx.sent_at);
    if ctx.occurrences > 1 {
        let _ = writeln!(out, "Occurrences:   {}", ctx.occurrences);
    }
    if ctx.notification != Notification::Resolve {
        if !f.impact.is_empty() {
            let _ = writeln!(out, "\nWhy it matters for a rebuild:\n  {}", f.impact);
        }
        if !f.remedy.is_empty() {
            let _ = writeln!(out, "\nWhat to do:\n  {}", f.remedy);
        }
    }
    if !details.is_empty() {
        let _ = writeln!(out, "\nDetails:");
        for (k, v) in details {
            let shown = match v {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            let _ = writeln!(out, "  {k}: {shown}");
        }
    }
    let _ = writeln!(out, "\nDedup key: {dedup_key}");
    out
}

/// The shape PagerDuty's Amazon CloudWatch integration understands.
fn alarm_shaped(ctx: &AlertContext<'_>, dedup_key: &str) -> Value {
    let f = ctx.finding;
    let (new_state, old_state) = match ctx.notification {
        Notification::Resolve => ("OK", "ALARM"),
        Notification::Trigger => ("ALARM", "OK"),
        Notification::Reminder | Notification::Escalation | Notification::Update => {
            ("ALARM", "ALARM")
        }
    };
    let reason = if ctx.notification == Notification::Resolve {
        format!("Resolved: {}", f.summary)
    } else {
        format!("{} {}", f.summary, f.impact).trim().to_owned()
    };
    json!({
        "AlarmName": dedup_key,
        "AlarmDescription": truncate_chars(&format!("[{}] {}", ctx.severity, f.summary), MAX_SUMMARY_CHARS),
        "AWSAccountId": f.account,
        "NewStateValue": new_state,
        "OldStateValue": old_state,
        "NewStateReason": truncate_chars(&reason, MAX_SUMMARY_CHARS),
        "StateChangeTime": ctx.sent_at.to_string(),
        "Region": f.region,
        "Trigger": {
            "MetricName": f.check,
            "Namespace": ctx.namespace,
            "StatisticType": "Statistic",
            "Statistic": "MAXIMUM",
            "Unit": null,
            "Dimensions": [
                {"name": "Environment", "value": ctx.environment},
                {"name": "ResourceType", "value": f.resource_type},
            ],
            "Period": 60,
            "EvaluationPeriods": 1,
            "ComparisonOperator": "GreaterThanThreshold",
            "Threshold": 0.0,
        },
    })
}

/// The finding's links: its resource's console page, and its check's runbook section.
fn links(ctx: &AlertContext<'_>) -> Vec<(String, String)> {
    let f = ctx.finding;
    let mut out = Vec::new();
    if let Some(href) = crate::console::url(&f.resource_arn, &f.region) {
        out.push((
            href,
            format!("{} in the AWS console", short_resource(&f.resource_arn)),
        ));
    }
    if let Some(runbook) = ctx.runbook_url.filter(|u| !u.trim().is_empty()) {
        out.push((
            format!("{}#{}", runbook.trim().trim_end_matches('#'), f.check),
            format!("Runbook: {}", f.check),
        ));
    }
    out
}

/// Whether the notification is a record rather than an incident: an info finding's own
/// announcement. PagerDuty takes it as a change event (its resolve, like any, is an event).
fn is_change(ctx: &AlertContext<'_>) -> bool {
    ctx.severity == Severity::Info && ctx.notification != Notification::Resolve
}

/// The finding with PagerDuty Events API v2 fields.
fn structured(ctx: &AlertContext<'_>, dedup_key: &str, details: &Map<String, Value>) -> Value {
    let f = ctx.finding;
    let mut custom = details.clone();
    custom.insert("impact".to_owned(), Value::String(f.impact.clone()));
    custom.insert("remedy".to_owned(), Value::String(f.remedy.clone()));
    custom.insert(
        "resource_arn".to_owned(),
        Value::String(f.resource_arn.clone()),
    );
    custom.insert("occurrences".to_owned(), Value::from(ctx.occurrences));
    if let Some(first) = ctx.first_seen {
        custom.insert("first_seen".to_owned(), Value::String(first.to_string()));
    }
    let links: Vec<Value> = links(ctx)
        .into_iter()
        .map(|(href, text)| json!({"href": href, "text": text}))
        .collect();
    let summary = truncate_chars(&f.summary, MAX_SUMMARY_CHARS);
    // A change event has no action, severity or grouping: PagerDuty records it on the
    // service's timeline (`/v2/change/enqueue`) and pages nobody.
    let (event, payload) = if is_change(ctx) {
        (
            json!({"event_type": "change"}),
            json!({
                "summary": summary,
                "source": f.resource_arn,
                "timestamp": f.observed_at.to_string(),
                "custom_details": custom,
            }),
        )
    } else {
        (
            json!({"event_action": ctx.notification.event_action()}),
            json!({
                "summary": summary,
                "source": f.resource_arn,
                "severity": ctx.severity.as_str(),
                "timestamp": f.observed_at.to_string(),
                "component": f.resource_type,
                "group": ctx.environment,
                "class": f.check,
                "custom_details": custom,
            }),
        )
    };
    let mut body = json!({
        "dedup_key": dedup_key,
        "notification": ctx.notification.as_str(),
        "payload": payload,
        "links": links,
        "finding": {
            "check": f.check,
            "account": f.account,
            "region": f.region,
            "environment": ctx.environment,
            "resource_arn": f.resource_arn,
            "resource_type": f.resource_type,
            "severity": ctx.severity.as_str(),
            "state": if ctx.notification == Notification::Resolve { "resolved" } else { "open" },
            "summary": f.summary,
            "impact": f.impact,
            "remedy": f.remedy,
            "details": details,
            "first_seen": ctx.first_seen.map(|t| t.to_string()),
            "last_seen": f.observed_at.to_string(),
            "notified_at": ctx.sent_at.to_string(),
        },
    });
    if let (Value::Object(body), Value::Object(event)) = (&mut body, event) {
        body.extend(event);
    }
    body
}

/// Amazon Q Developer in chat applications' limits on a custom notification's title and
/// description (client-markdown).
const MAX_CHAT_TITLE_CHARS: usize = 250;
const MAX_CHAT_DESCRIPTION_CHARS: usize = 8000;

/// The notification as an Amazon Q Developer in chat applications custom notification (the
/// chat topic's message): a title, what happened and why it matters, the remedy as next
/// steps, keywords to filter on, and the dedup key as the thread, so that a reminder and
/// the resolve land under the trigger.
pub fn render_chat(ctx: &AlertContext<'_>) -> String {
    let f = ctx.finding;
    let dedup_key = f.dedup_key();
    let title = match ctx.notification {
        Notification::Resolve => format!(
            "Resolved: {} on {}",
            f.check,
            short_resource(&f.resource_arn)
        ),
        Notification::Reminder => format!(
            "Still open [{}]: {} on {}",
            ctx.severity,
            f.check,
            short_resource(&f.resource_arn)
        ),
        Notification::Escalation => format!(
            "Escalated to {}: {} on {}",
            ctx.severity,
            f.check,
            short_resource(&f.resource_arn)
        ),
        Notification::Update | Notification::Trigger => format!(
            "[{}] {} on {}",
            ctx.severity,
            f.check,
            short_resource(&f.resource_arn)
        ),
    };
    let mut description = String::new();
    let _ = writeln!(description, "{}", f.summary);
    if ctx.notification != Notification::Resolve && !f.impact.is_empty() {
        let _ = writeln!(
            description,
            "\n*Why it matters for a rebuild:* {}",
            f.impact
        );
    }
    let _ = writeln!(
        description,
        "\n*Resource:* `{}` ({}), account {} in {}, {}",
        f.resource_arn, f.resource_type, f.account, f.region, ctx.environment
    );
    for (href, text) in links(ctx) {
        let _ = writeln!(description, "[{text}]({href})");
    }
    let next_steps: Vec<String> =
        if ctx.notification == Notification::Resolve || f.remedy.is_empty() {
            Vec::new()
        } else {
            f.remedy
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(str::to_owned)
                .collect()
        };
    let mut context = Map::new();
    for (key, value) in [
        ("dedupKey", Some(dedup_key.clone())),
        ("account", Some(f.account.clone())),
        ("region", Some(f.region.clone())),
        ("firstSeen", ctx.first_seen.map(|t| t.to_string())),
        ("lastSeen", Some(f.observed_at.to_string())),
    ] {
        if let Some(value) = value {
            context.insert(key.to_owned(), Value::String(value));
        }
    }
    json!({
        "version": "1.0",
        "source": "custom",
        "id": format!("{dedup_key}#{}#{}", ctx.notification.as_str(), ctx.sent_at),
        "content": {
            "textType": "client-markdown",
            "title": truncate_chars(&title, MAX_CHAT_TITLE_CHARS),
            "description": truncate_chars(description.trim_end(), MAX_CHAT_DESCRIPTION_CHARS),
            "nextSteps": next_steps,
            "keywords": [ctx.severity.as_str(), f.check.as_str(), ctx.environment, f.resource_type.as_str()],
        },
        "metadata": {
            "threadId": dedup_key,
            "summary": subject(ctx),
            "eventType": ctx.notification.as_str(),
            "relatedResources": [f.resource_arn],
            "additionalContext": context,
        },
    })
    .to_string()
}

/// Publishes rendered alerts to the alert topic.
#[derive(Debug, Clone)]
pub struct AlertPublisher {
    client: crate::aws::Lazy<aws_sdk_sns::Client>,
    topic_arn: String,
}

impl AlertPublisher {
    pub fn new(
        client: impl Into<crate::aws::Lazy<aws_sdk_sns::Client>>,
        topic_arn: impl Into<String>,
    ) -> Self {
        Self {
            client: client.into(),
            topic_arn: topic_arn.into(),
        }
    }

    /// Publishes one message as it is (no per-protocol structure): the chat topic's custom
    /// notification. The SNS message id on success.
    pub async fn publish_plain(
        &self,
        dedup_key: &str,
        message: &str,
    ) -> Result<String, AlertError> {
        let output = self
            .client
            .get()
            .publish()
            .topic_arn(&self.topic_arn)
            .message(message)
            .send()
            .await
            .map_err(|e| AlertError::Publish {
                dedup_key: dedup_key.to_owned(),
                reason: aws_sdk_sns::error::DisplayErrorContext(&e).to_string(),
            })?;
        Ok(output.message_id.unwrap_or_default())
    }

    /// Publishes one alert; the SNS message id on success.
    pub async fn publish(&self, alert: &Alert) -> Result<String, AlertError> {
        let mut request = self
            .client
            .get()
            .publish()
            .topic_arn(&self.topic_arn)
            .subject(&alert.subject)
            .message(&alert.message)
            .message_structure("json");
        for (name, value) in &alert.attributes {
            let attribute = MessageAttributeValue::builder()
                .data_type("String")
                .string_value(value)
                .build()
                .map_err(|e| AlertError::Publish {
                    dedup_key: alert.dedup_key.clone(),
                    reason: e.to_string(),
                })?;
            request = request.message_attributes(*name, attribute);
        }
        let output = request.send().await.map_err(|e| AlertError::Publish {
            dedup_key: alert.dedup_key.clone(),
            reason: aws_sdk_sns::error::DisplayErrorContext(&e).to_string(),
        })?;
        Ok(output.message_id.unwrap_or_default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finding() -> Finding {
        let mut details = Map::new();
        details.insert(
            "statusMessage".to_owned(),
            Value::String("Access \"denied\"".to_owned()),
        );
        Finding {
            check: "backup-job-failed".to_owned(),
            account: "111122223333".to_owned(),
            region: "eu-west-1".to_owned(),
            resource_arn: "arn:aws:elasticfilesystem:eu-west-1:111122223333:file-system/fs-0abc"
                .to_owned(),
            resource_type: "EFS".to_owned(),
            severity: Severity::Critical,
            summary: "EFS backup of fs-0abc FAILED: Access \"denied\"".to_owned(),
            impact: "No new recovery point: a rebuild today loses the data since the last one."
                .to_owned(),
            remedy: "Fix the cause and start an on-demand backup.".to_owned(),
            details,
            observed_at: Timestamp::from_epoch_seconds(1_795_316_645),
            occurrence: None,
            progress: None,
        }
    }

    fn ctx(f: &Finding, n: Notification) -> AlertContext<'_> {
        AlertContext {
            finding: f,
            notification: n,
            severity: f.severity,
            environment: "dev",
            namespace: "PhoenixGuard",
            first_seen: Some(Timestamp::from_epoch_seconds(1_795_300_000)),
            occurrences: 1,
            sent_at: Timestamp::from_epoch_seconds(1_795_316_700),
            runbook_url: Some("https://wiki.example.com/phoenix-runbook"),
        }
    }

    fn part(alert: &Alert, protocol: &str) -> String {
        let outer: Value = serde_json::from_str(&alert.message).expect("outer JSON");
        outer[protocol].as_str().expect("string part").to_owned()
    }

    #[test]
    fn every_protocol_gets_its_shape() {
        let f = finding();
        let alert = render(&ctx(&f, Notification::Trigger));
        assert_eq!(
            alert.subject,
            "ALARM: [critical] backup-job-failed: fs-0abc (dev)"
        );
        let https: Value = serde_json::from_str(&part(&alert, "https")).expect("alarm JSON");
        assert_eq!(https["AlarmName"], Value::String(f.dedup_key()));
        assert_eq!(https["NewStateValue"], "ALARM");
        let sqs: Value = serde_json::from_str(&part(&alert, "sqs")).expect("sqs JSON");
        assert_eq!(sqs["event_action"], "trigger");
        assert_eq!(sqs["payload"]["severity"], "critical");
        assert_eq!(sqs["payload"]["class"], "backup-job-failed");
        assert_eq!(part(&alert, "lambda"), part(&alert, "sqs"));
        let email = part(&alert, "email");
        assert!(email.contains("Why it matters for a rebuild"), "{email}");
        assert_eq!(email, part(&alert, "default"));
        assert!(alert.attributes.contains(&("state", "ALARM".to_owned())));
    }

    #[test]
    fn a_page_links_the_resource_console_page_and_the_checks_runbook_section() {
        let f = finding();
        let alert = render(&ctx(&f, Notification::Trigger));
        let sqs: Value = serde_json::from_str(&part(&alert, "sqs")).expect("sqs JSON");
        assert_eq!(
            sqs["links"],
            json!([
                {"href": "https://eu-west-1.console.aws.amazon.com/efs/home?region=eu-west-1#/file-systems/fs-0abc",
                 "text": "fs-0abc in the AWS console"},
                {"href": "https://wiki.example.com/phoenix-runbook#backup-job-failed",
                 "text": "Runbook: backup-job-failed"},
            ])
        );
        assert_eq!(sqs["payload"]["component"], "EFS");
        assert_eq!(sqs["payload"]["group"], "dev");
        assert_eq!(
            sqs["payload"]["custom_details"]["statusMessage"],
            "Access \"denied\""
        );
        // No runbook configured: the console link alone.
        let mut quiet = ctx(&f, Notification::Trigger);
        quiet.runbook_url = None;
        let sqs: Value = serde_json::from_str(&part(&render(&quiet), "sqs")).expect("sqs JSON");
        assert_eq!(sqs["links"].as_array().map(Vec::len), Some(1));
    }

    #[test]
    fn an_info_record_is_a_change_event_and_its_resolve_an_event() {
        let mut f = finding();
        f.severity = Severity::Info;
        let mut record = ctx(&f, Notification::Trigger);
        record.severity = Severity::Info;
        let sqs: Value = serde_json::from_str(&part(&render(&record), "sqs")).expect("sqs JSON");
        assert_eq!(sqs["event_type"], "change");
        assert_eq!(sqs.get("event_action"), None);
        assert_eq!(sqs["payload"].get("severity"), None);
        assert_eq!(sqs["payload"]["source"], json!(f.resource_arn));
        assert_eq!(sqs["dedup_key"], json!(f.dedup_key()));
        record.notification = Notification::Resolve;
        let sqs: Value = serde_json::from_str(&part(&render(&record), "sqs")).expect("sqs JSON");
        assert_eq!(sqs["event_action"], "resolve");
        assert_eq!(sqs.get("event_type"), None);
    }

    #[test]
    fn the_chat_message_is_a_custom_notification_threaded_by_the_dedup_key() {
        let f = finding();
        let trigger: Value =
            serde_json::from_str(&render_chat(&ctx(&f, Notification::Trigger))).expect("JSON");
        assert_eq!(trigger["version"], "1.0");
        assert_eq!(trigger["source"], "custom");
        assert_eq!(trigger["content"]["textType"], "client-markdown");
        assert_eq!(
            trigger["content"]["title"],
            "[critical] backup-job-failed on fs-0abc"
        );
        let description = trigger["content"]["description"]
            .as_str()
            .unwrap_or_default();
        assert!(description.starts_with(&f.summary), "{description}");
        assert!(
            description.contains("Why it matters for a rebuild"),
            "{description}"
        );
        assert!(description.contains("[Runbook: backup-job-failed](https://wiki.example.com/phoenix-runbook#backup-job-failed)"), "{description}");
        assert_eq!(
            trigger["content"]["nextSteps"],
            json!(["Fix the cause and start an on-demand backup."])
        );
        assert_eq!(
            trigger["content"]["keywords"],
            json!(["critical", "backup-job-failed", "dev", "EFS"])
        );
        assert_eq!(trigger["metadata"]["threadId"], json!(f.dedup_key()));
        assert_eq!(
            trigger["metadata"]["relatedResources"],
            json!([f.resource_arn])
        );
        let resolve: Value =
            serde_json::from_str(&render_chat(&ctx(&f, Notification::Resolve))).expect("JSON");
        assert_eq!(
            resolve["metadata"]["threadId"],
            trigger["metadata"]["threadId"]
        );
        assert_eq!(
            resolve["content"]["title"],
            "Resolved: backup-job-failed on fs-0abc"
        );
        assert_eq!(resolve["content"]["nextSteps"], json!([]));
        assert_ne!(resolve["id"], trigger["id"]);
    }

    #[test]
    fn resolve_is_ok_everywhere() {
        let f = finding();
        let alert = render(&ctx(&f, Notification::Resolve));
        assert!(
            alert
                .subject
                .starts_with("OK: [critical] backup-job-failed")
        );
        let https: Value = serde_json::from_str(&part(&alert, "https")).expect("alarm JSON");
        assert_eq!(https["NewStateValue"], "OK");
        let sqs: Value = serde_json::from_str(&part(&alert, "sqs")).expect("sqs JSON");
        assert_eq!(sqs["event_action"], "resolve");
    }

    #[test]
    fn subject_is_short_ascii_single_line_and_huge_details_are_dropped() {
        let mut f = finding();
        f.resource_arn = format!("arn:aws:s3:::bucket/{}\nnext", "ü".repeat(300));
        f.details
            .insert("blob".to_owned(), Value::String("x".repeat(100)));
        for i in 0..400 {
            f.details
                .insert(format!("k{i}"), Value::String("y".repeat(1500)));
        }
        let alert = render(&ctx(&f, Notification::Reminder));
        assert!(alert.subject.len() < 100, "{}", alert.subject);
        assert!(alert.subject.is_ascii() && !alert.subject.contains('\n'));
        assert!(alert.subject.starts_with("ALARM: still open: "));
        assert!(alert.message.len() <= MAX_MESSAGE_BYTES);
        assert!(part(&alert, "sqs").contains("details_omitted"));
    }
}
