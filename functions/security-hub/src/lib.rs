//! security-hub: every notification on the alert topic, also a finding in AWS Security Hub,
//! where the organization's other posture findings are.
//!
//! The alert topic invokes it (an SNS subscription, so the page never waits on it). Each
//! Phoenix Guard alert in the event is read ([`asff::read`]) and imported with
//! `BatchImportFindings` into the finding's own account and region, under that account's
//! default product: Security Hub takes such findings only from their own account, so in an
//! organization the function assumes the member's findings role (`PHOENIX_FINDINGS_ROLE`).
//! A reminder or an escalation updates the same finding (same `Id`); a resolve archives it
//! (`RecordState` `ARCHIVED`) and resolves its workflow with `BatchUpdateFindings` (an
//! import may not change `Workflow`); a finding that opens again becomes `ACTIVE`, and
//! Security Hub sets its workflow back to `NEW`.
//!
//! Ordering: SNS delivers without order and Lambda retries, so a late copy of an older
//! notification must not undo a newer one: the stored finding is read first, and a
//! notification whose observation (`LastObservedAt`, then `UpdatedAt`) is older than the
//! stored one is skipped.
//!
//! Faults: a failed import is logged, counted (`SecurityHubImportFailures` by `Account`) and
//! fails the invocation, so Lambda retries it and then sends it to the failure destination
//! (whose alarm pages); imports are idempotent, so a retry repeats nothing harmful. Another
//! publisher's message on a shared topic is ignored; an alert that cannot be read is
//! rejected.

pub mod asff;

use asff::{NotAnAlert, Record};
use aws_config::SdkConfig;
use aws_config::sts::AssumeRoleProvider;
use aws_sdk_securityhub::Client;
use aws_sdk_securityhub::config::{Region, SharedCredentialsProvider};
use aws_sdk_securityhub::error::DisplayErrorContext;
use aws_sdk_securityhub::types::{
    AwsSecurityFinding, AwsSecurityFindingFilters, AwsSecurityFindingIdentifier,
    FindingProviderFields, FindingProviderSeverity, Partition, Recommendation, RecordState,
    Remediation, Resource, Severity, SeverityLabel, StringFilter, StringFilterComparison,
    WorkflowStatus, WorkflowUpdate,
};
use phoenix_shared::Timestamp;
use phoenix_shared::error::HandlerError;
use phoenix_shared::event::Rejection;
use phoenix_shared::guard::Guard;
use phoenix_shared::metrics::MetricBatch;
use phoenix_shared::runtime;
use serde::Serialize;
use serde_json::Value;
use std::collections::HashMap;
use std::sync::Mutex;

pub const FUNCTION: &str = "security-hub";
/// How the assumed sessions are named in the members' CloudTrail.
pub const SESSION: &str = "phoenix-guard-security-hub";

/// What one invocation did.
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize)]
pub struct Outcome {
    /// Findings imported as active, by `Id`.
    pub imported: Vec<String>,
    /// Findings archived and resolved.
    pub resolved: Vec<String>,
    /// Notifications older than what Security Hub already holds.
    pub stale: Vec<String>,
    /// Messages that were not Phoenix Guard alerts.
    pub ignored: usize,
}

/// The Security Hub clients of every (account, region) reached so far. Another account is
/// reached through its findings role; the SDK caches the assumed credentials and renews
/// them before they expire.
#[derive(Debug)]
pub struct Hubs {
    sdk: SdkConfig,
    role: Option<String>,
    held: Mutex<HashMap<(String, String), Client>>,
}

/// Why a finding did not reach Security Hub.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub id: String,
    pub account: String,
    pub reason: String,
}

impl Hubs {
    /// `role`: the findings role's name in every other account (`None`: only the own
    /// account is reachable).
    pub fn new(sdk: &SdkConfig, role: Option<String>) -> Self {
        Self {
            sdk: sdk.clone(),
            role: role.filter(|r| !r.trim().is_empty()),
            held: Mutex::new(HashMap::new()),
        }
    }

    async fn client(
        &self,
        own_account: &str,
        account: &str,
        region: &str,
    ) -> Result<Client, String> {
        let key = (account.to_owned(), region.to_owned());
        if let Some(client) = self.held.lock().ok().and_then(|h| h.get(&key).cloned()) {
            return Ok(client);
        }
        let regional = self.sdk.to_builder().region(Region::new(region.to_owned()));
        let sdk = if account == own_account || own_account.is_empty() {
            regional.build()
        } else {
            let Some(role) = &self.role else {
                return Err(format!(
                    "the finding belongs to account {account} and no findings role is configured (PHOENIX_FINDINGS_ROLE)"
                ));
            };
            let arn = format!(
                "arn:{}:iam::{account}:role/{role}",
                phoenix_shared::arn::partition(region)
            );
            let provider = AssumeRoleProvider::builder(arn)
                .session_name(SESSION)
                .configure(&self.sdk)
                .build()
                .await;
            regional
                .credentials_provider(SharedCredentialsProvider::new(provider))
                .build()
        };
        let client = Client::new(&sdk);
        if let Ok(mut held) = self.held.lock() {
            held.insert(key, client.clone());
        }
        Ok(client)
    }

    /// Imports one notification: `Ok(true)` when done, `Ok(false)` when Security Hub already
    /// holds a newer state of the finding.
    pub async fn import(&self, own_account: &str, record: &Record) -> Result<bool, String> {
        let client = self
            .client(own_account, &record.account, &record.region)
            .await?;
        let equals = |value: &str| {
            StringFilter::builder()
                .value(value)
                .comparison(StringFilterComparison::Equals)
                .build()
        };
        let held = client
            .get_findings()
            .filters(
                AwsSecurityFindingFilters::builder()
                    .id(equals(&record.id))
                    .product_arn(equals(&record.product_arn))
                    .build(),
            )
            .max_results(1)
            .send()
            .await
            .map_err(|e| format!("GetFindings: {}", DisplayErrorContext(&e)))?;
        // Ordered as the ledger orders observations: by when the condition was observed,
        // then by when it was told (a second's resolution).
        let ours = (record.last_observed, Some(record.updated_at));
        let newer = held.findings().iter().any(|f| {
            let theirs = (
                f.last_observed_at().and_then(Timestamp::parse),
                f.updated_at().and_then(Timestamp::parse),
            );
            theirs > ours
        });
        if newer {
            return Ok(false);
        }
        let out = client
            .batch_import_findings()
            .findings(finding(record))
            .send()
            .await
            .map_err(|e| format!("BatchImportFindings: {}", DisplayErrorContext(&e)))?;
        if let Some(refused) = out.failed_findings().first() {
            return Err(format!(
                "BatchImportFindings refused the finding: {} {}",
                refused.error_code().unwrap_or("?"),
                refused.error_message().unwrap_or_default()
            ));
        }
        if record.resolved {
            let out = client
                .batch_update_findings()
                .finding_identifiers(
                    AwsSecurityFindingIdentifier::builder()
                        .id(&record.id)
                        .product_arn(&record.product_arn)
                        .build(),
                )
                .workflow(
                    WorkflowUpdate::builder()
                        .status(WorkflowStatus::Resolved)
                        .build(),
                )
                .send()
                .await
                .map_err(|e| format!("BatchUpdateFindings: {}", DisplayErrorContext(&e)))?;
            if let Some(left) = out.unprocessed_findings().first() {
                return Err(format!(
                    "BatchUpdateFindings left the finding unresolved: {} {}",
                    left.error_code().unwrap_or("?"),
                    left.error_message().unwrap_or_default()
                ));
            }
        }
        Ok(true)
    }
}

/// The ASFF finding of one notification.
pub fn finding(r: &Record) -> AwsSecurityFinding {
    let label = SeverityLabel::from(r.severity_label);
    let mut remediation = Recommendation::builder().text(&r.recommendation);
    if let Some(url) = &r.recommendation_url {
        remediation = remediation.url(url);
    }
    let mut provider = FindingProviderFields::builder().severity(
        FindingProviderSeverity::builder()
            .label(label.clone())
            .original(&r.severity_original)
            .build(),
    );
    let mut f = AwsSecurityFinding::builder()
        .schema_version(asff::SCHEMA_VERSION)
        .id(&r.id)
        .product_arn(&r.product_arn)
        .generator_id(&r.generator_id)
        .aws_account_id(&r.account)
        .region(&r.region)
        .created_at(r.first_observed.unwrap_or(r.updated_at).to_string())
        .updated_at(r.updated_at.to_string())
        .severity(
            Severity::builder()
                .label(label)
                .original(&r.severity_original)
                .build(),
        )
        .title(&r.title)
        .description(&r.description)
        .remediation(
            Remediation::builder()
                .recommendation(remediation.build())
                .build(),
        )
        .resources(
            Resource::builder()
                .r#type(r.resource.kind)
                .id(&r.resource.id)
                .partition(Partition::from(r.resource.partition))
                .region(&r.resource.region)
                .build(),
        )
        .record_state(if r.resolved {
            RecordState::Archived
        } else {
            RecordState::Active
        });
    for t in &r.types {
        f = f.types(t);
        provider = provider.types(t);
    }
    for (name, value) in &r.product_fields {
        f = f.product_fields(name, value);
    }
    if let Some(url) = &r.source_url {
        f = f.source_url(url);
    }
    if let Some(first) = r.first_observed {
        f = f.first_observed_at(first.to_string());
    }
    if let Some(last) = r.last_observed {
        f = f.last_observed_at(last.to_string());
    }
    f.finding_provider_fields(provider.build()).build()
}

pub const EDGE: runtime::Function<Hubs> = runtime::Function {
    name: FUNCTION,
    describe: None,
    sweep: false,
    emf_metrics: true,
    clients: |sdk, config| Ok(Hubs::new(sdk, config.organization.findings_role.clone())),
};

/// One Lambda invocation ([`handle`] with the invocation's facts).
pub async fn invoke(
    guard: &Guard,
    hubs: &Hubs,
    invocation: runtime::Invocation,
) -> Result<Outcome, HandlerError> {
    handle(
        guard,
        hubs,
        &invocation.payload,
        &invocation.account,
        invocation.now,
    )
    .await
}

/// Imports the alerts of one SNS event (`Records[].Sns.Message`).
pub async fn handle(
    guard: &Guard,
    hubs: &Hubs,
    event: &Value,
    own_account: &str,
    now: Timestamp,
) -> Result<Outcome, HandlerError> {
    let mut metrics = MetricBatch::new();
    let Some(records) = event.get("Records").and_then(Value::as_array) else {
        let err = runtime::reject(
            FUNCTION,
            event,
            Rejection("not an SNS event: no `Records`".to_owned()),
            &mut metrics,
        );
        guard.flush_metrics(&metrics, now).await;
        return Err(err);
    };
    let mut outcome = Outcome::default();
    let mut failures: Vec<Failure> = Vec::new();
    let mut rejected: Vec<String> = Vec::new();
    for record in records {
        let Some(message) = record.pointer("/Sns/Message").and_then(Value::as_str) else {
            runtime::reject_record(FUNCTION, record, "no `Sns.Message`", &mut metrics);
            rejected.push("a record without `Sns.Message`".to_owned());
            continue;
        };
        let alert = match asff::read(message, own_account) {
            Ok(alert) => alert,
            Err(NotAnAlert::Foreign) => {
                runtime::ignore(
                    FUNCTION,
                    "message",
                    "not a Phoenix Guard alert",
                    &mut metrics,
                );
                outcome.ignored += 1;
                continue;
            }
            Err(NotAnAlert::Incomplete(field)) => {
                let why = format!("a Phoenix Guard alert without a usable `{field}`");
                runtime::reject_record(FUNCTION, record, &why, &mut metrics);
                rejected.push(why);
                continue;
            }
        };
        match hubs.import(own_account, &alert).await {
            Ok(true) => {
                tracing::info!(id = %alert.id, account = %alert.account, resolved = alert.resolved, "finding imported into Security Hub");
                let state = if alert.resolved { "resolved" } else { "active" };
                metrics.count("SecurityHubFindingsImported", &[("State", state)], 1);
                if alert.resolved {
                    outcome.resolved.push(alert.id);
                } else {
                    outcome.imported.push(alert.id);
                }
            }
            Ok(false) => {
                tracing::info!(id = %alert.id, "Security Hub holds a newer state of this finding; this notification is skipped");
                outcome.stale.push(alert.id);
            }
            Err(reason) => {
                tracing::error!(id = %alert.id, account = %alert.account, region = %alert.region, %reason, "finding not imported into Security Hub; the invocation will be retried");
                metrics.count(
                    "SecurityHubImportFailures",
                    &[("Account", &alert.account)],
                    1,
                );
                failures.push(Failure {
                    id: alert.id,
                    account: alert.account,
                    reason,
                });
            }
        }
    }
    guard.flush_metrics(&metrics, now).await;
    if let Some(first) = failures.first() {
        return Err(HandlerError::Unavailable(format!(
            "{} finding(s) not imported into Security Hub; first {} in account {}: {}",
            failures.len(),
            first.id,
            first.account,
            first.reason
        )));
    }
    if let Some(why) = rejected.first() {
        return Err(HandlerError::Rejected(Rejection(why.clone())));
    }
    Ok(outcome)
}
