//! `readiness-audit`: the whole phoenix checklist, on a schedule and on demand.
//!
//! One audit ([`phoenix_account::audit`]) reads the account, judges every item of the
//! checklist (pass, fail, or unknown with the reason), and scores it 0-100. The scheduled
//! function then publishes `PhoenixReadiness` and one metric per check, opens a finding for
//! every failing item and resolves the ones that pass (including the findings other
//! functions raised under the same names, and `backup-freshness`'s through its own logic),
//! sends one summary when the score changed, and stores the report in S3. The `phoenix`
//! command line runs the same audit read-only.

use phoenix_account::audit::checklist::{self, Item, Status};
use phoenix_account::audit::read::{Clients, Scope};
use phoenix_account::audit::report::{History, Report};
use phoenix_account::audit::{Audit, audit_scope};
use phoenix_account::freshness;
use phoenix_account::reach::{Reach, Reached};
use phoenix_shared::finding::Severity;
use phoenix_shared::ledger::OpenFinding;
use phoenix_shared::metrics::Unit;
use phoenix_shared::{Finding, Guard, HandlerError, MetricBatch, Observation, Timestamp, checks};
use phoenix_shared::{runtime, sweep};
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashSet};

pub const FUNCTION: &str = "readiness-audit";
/// The summary sent when the score changes: one per evaluation, never reminded.
pub use phoenix_shared::checks::READINESS_SCORE_CHANGED as SCORE_CHANGED;

fn finding(audit: &Audit, check: &str, resource: &str, rtype: &str, severity: Severity) -> Finding {
    let target = checks::Target {
        resource_type: rtype,
        id: resource,
        arn: resource,
        region: &audit.facts.region,
        min_retention_days: 0,
        command: "",
    };
    checks::finding(
        check,
        &audit.facts.account,
        &target,
        severity,
        String::new(),
        audit.facts.at,
    )
}

/// Backup and copy items: `backup-freshness`'s judgement opens and resolves their findings
/// (the audit runs the same judgement and delivers what it concluded).
fn judged_by_freshness(item: &Item) -> bool {
    matches!(
        item.area,
        checklist::Area::Backups | checklist::Area::Copies
    )
}

/// The finding a failing or unknown item opens (backup and copy items excepted:
/// `backup-freshness`'s logic opens those).
fn open_for(audit: &Audit, item: &Item) -> Option<Finding> {
    if judged_by_freshness(item) || item.status == Status::Pass {
        return None;
    }
    let unknown = item.status == Status::Unknown;
    let check = if unknown {
        checklist::UNKNOWN
    } else {
        item.check
    };
    let mut f = finding(
        audit,
        check,
        &item.resource,
        &item.resource_type,
        item.severity,
    );
    f.summary = format!(
        "{} {}: {}",
        item.resource_type_label(),
        item.name,
        item.detail
    );
    // The row's remedy as the checklist filled it in (with the item's name and the
    // policy's retention), so the page and the report read the same.
    f.remedy = item.fix.clone();
    f.details.insert("area".to_owned(), json!(item.area.id()));
    f.details.insert("check".to_owned(), json!(item.check));
    f.details
        .insert("evaluatedAt".to_owned(), json!(audit.facts.at));
    f.details
        .insert("readiness".to_owned(), json!(audit.report.score));
    Some(f)
}

/// The resolve observations for open findings (of [`checklist::CHECKS`]) on resources whose
/// items all pass now. `backup-freshness`'s checks are resolved by its own logic.
fn audit_resolutions(
    audit: &Audit,
    open: &[OpenFinding],
    opened: &HashSet<String>,
) -> Vec<Observation> {
    let items = &audit.report.items;
    // (check, resource) pairs this audit vouches for, and why.
    let mut vouched: BTreeMap<(&str, &str), String> = BTreeMap::new();
    let mut unsure: HashSet<&str> = HashSet::new();
    for item in items.iter().filter(|i| !judged_by_freshness(i)) {
        match item.status {
            Status::Pass => {
                vouched.insert((item.check, item.resource.as_str()), item.detail.clone());
                for also in item.also_resolves {
                    vouched.insert((also, item.resource.as_str()), item.detail.clone());
                }
            }
            Status::Unknown => {
                unsure.insert(item.resource.as_str());
            }
            Status::Fail => {}
        }
    }
    let mut all_known: HashSet<&str> = items
        .iter()
        .filter(|i| !judged_by_freshness(i))
        .map(|i| i.resource.as_str())
        .filter(|r| !unsure.contains(r))
        .collect();
    // A state (or a state bucket's listing) that could not be read has an unknown item of
    // its own; read now, its stores' items stand for it.
    let read_locations: Vec<String> = audit
        .facts
        .stacks
        .iter()
        .filter(|s| s.judged.is_ok())
        .map(phoenix_account::audit::read::Stack::location)
        .chain(
            audit
                .facts
                .buckets
                .iter()
                .flatten()
                .filter(|b| b.state)
                .filter(|b| {
                    !audit
                        .facts
                        .stacks
                        .iter()
                        .any(|s| s.bucket == b.name && s.key.is_none())
                })
                .map(|b| format!("s3://{}", b.name)),
        )
        .collect();
    all_known.extend(read_locations.iter().map(String::as_str));
    // The Terraform state as a whole has no item once a state bucket is known: the bucket's
    // own items (whatever they find) vouch that one is.
    if let Some(bucket) = items
        .iter()
        .find(|i| i.area == checklist::Area::State && i.resource.starts_with("arn:"))
    {
        let scope = checklist::STATE_SCOPE;
        vouched.insert(
            (checklist::STATE_BUCKET_MISSING, scope),
            format!("{} is known to hold Terraform state", bucket.name),
        );
        all_known.insert(scope);
    }
    // A store no state holds any more (moved to a stack that is never destroyed, or gone)
    // is no longer lost by a destroy, once every state bucket was found and every state read.
    let stacks_read = audit.facts.buckets.is_ok()
        && audit.facts.bucket_tags_failure.is_none()
        && audit.facts.stacks.iter().all(|s| s.judged.is_ok());
    let in_a_state: HashSet<&str> = items
        .iter()
        .filter(|i| i.area == checklist::Area::Destroy)
        .map(|i| i.resource.as_str())
        .collect();
    open.iter()
        .filter(|o| !opened.contains(&o.dedup_key))
        .filter_map(|o| {
            let why = if o.check == checklist::DESTROY_WOULD_LOSE_DATA
                && stacks_read
                && !in_a_state.contains(o.resource_arn.as_str())
            {
                Some("no Terraform state holds it any more".to_owned())
            } else if o.check == checklist::UNKNOWN {
                // A listing that failed (`inventory:rds`) has no item of its own once it
                // works: it was read if this audit is not unsure of it.
                let listed_now = o.resource_arn.starts_with("inventory:")
                    && !unsure.contains(o.resource_arn.as_str());
                (listed_now || all_known.contains(o.resource_arn.as_str()))
                    .then(|| "it could be checked again".to_owned())
            } else {
                vouched
                    .get(&(o.check.as_str(), o.resource_arn.as_str()))
                    .cloned()
            }?;
            let rtype = if o.resource_type == "-" {
                ""
            } else {
                o.resource_type.as_str()
            };
            let mut f = finding(
                audit,
                &o.check,
                &o.resource_arn,
                rtype,
                o.severity.unwrap_or(Severity::Error),
            );
            f.summary = format!("{} resolved for {}: {why}", o.check, o.resource_arn);
            Some(Observation::resolved(f))
        })
        .collect()
}

/// The summary of a score change (`previous` is `None` on the first audit).
fn score_summary(audit: &Audit, previous: Option<u32>, place: &Place) -> Option<Observation> {
    let environment = place.environment.as_str();
    let now = audit.report.score;
    if previous == Some(now) {
        return None;
    }
    let failing = audit.report.failing();
    let (severity, verb) = match previous {
        Some(p) if p > now => (Severity::Warning, format!("dropped from {p} to {now}")),
        Some(p) => (Severity::Info, format!("rose from {p} to {now}")),
        None => (Severity::Info, format!("is {now} (first audit)")),
    };
    let mut f = finding(
        audit,
        SCORE_CHANGED,
        &format!("environment:{environment}"),
        "Environment",
        severity,
    );
    f.occurrence = Some(audit.facts.at.compact());
    f.summary = format!(
        "Phoenix readiness of {} {verb}; {} check(s) not passing",
        place.label(),
        failing.len()
    );
    f.details.insert("score".to_owned(), json!(now));
    f.details
        .insert("previousScore".to_owned(), json!(previous));
    f.details.insert(
        "failing".to_owned(),
        Value::Array(
            failing
                .iter()
                .take(20)
                .map(|i| json!(format!("{} {}: {}", i.check, i.name, i.detail)))
                .collect(),
        ),
    );
    Some(Observation::open(f))
}

/// The metrics of an audit: the score (with `dimensions`: an organization's target names its
/// account and region), and per check the items not passing.
pub fn metrics(report: &Report, dimensions: &[(&str, &str)], metrics: &mut MetricBatch) {
    metrics.add(
        "PhoenixReadiness",
        dimensions,
        f64::from(report.score),
        Unit::None,
    );
    let mut per_check: BTreeMap<&str, u32> = BTreeMap::new();
    for item in &report.items {
        let n = per_check.entry(item.check).or_default();
        if item.status != Status::Pass {
            *n += 1;
        }
    }
    for (check, n) in per_check {
        metrics.count("ReadinessChecksFailing", &[("Check", check)], n);
    }
    metrics.count(
        "ReadinessChecksUnknown",
        &[],
        u32::try_from(report.unknown()).unwrap_or(u32::MAX),
    );
    // The seeds' "data loss on rebuild", whose target is 0: published once any Terraform
    // state was judged (no state, no figure; an unknown store is counted by the unknowns).
    let destroy: Vec<&Item> = report
        .items
        .iter()
        .filter(|i| i.area == checklist::Area::Destroy)
        .collect();
    if !destroy.is_empty() {
        let lost = destroy
            .iter()
            .filter(|i| {
                i.status == Status::Fail
                    && checklist::DESTROYED_STORE_KINDS.contains(&i.resource_type.as_str())
            })
            .count();
        metrics.count(
            "DataStoresLostOnDestroy",
            &[],
            u32::try_from(lost).unwrap_or(u32::MAX),
        );
    }
}

/// Where the report lives in the report bucket.
pub fn report_key(environment: &str, name: &str) -> String {
    format!("readiness/{environment}/{name}")
}

/// Where an organization target's report lives in the report bucket (the roll-up lists
/// them: [`phoenix_account::rollup`]).
pub fn target_report_key(environment: &str, account: &str, region: &str, name: &str) -> String {
    format!(
        "{}{account}/{region}/{name}",
        phoenix_account::rollup::prefix(environment)
    )
}

/// Where one audit's results go: the environment, and for an organization's target its
/// account and region (its report's keys, its score's dimensions, its summary's name).
#[derive(Debug, Clone)]
struct Place {
    environment: String,
    target: Option<(String, String)>,
}

impl Place {
    fn own(environment: &str) -> Self {
        Self {
            environment: environment.to_owned(),
            target: None,
        }
    }

    fn target(environment: &str, account: &str, region: &str) -> Self {
        Self {
            environment: environment.to_owned(),
            target: Some((account.to_owned(), region.to_owned())),
        }
    }

    fn key(&self, name: &str) -> String {
        match &self.target {
            Some((account, region)) => target_report_key(&self.environment, account, region, name),
            None => report_key(&self.environment, name),
        }
    }

    fn dimensions(&self) -> Vec<(&str, &str)> {
        match &self.target {
            Some((account, region)) => {
                vec![("Account", account.as_str()), ("Region", region.as_str())]
            }
            None => Vec::new(),
        }
    }

    /// How the score summary names what it scored.
    fn label(&self) -> String {
        match &self.target {
            Some((account, region)) => {
                format!("{} (account {account}, {region})", self.environment)
            }
            None => self.environment.clone(),
        }
    }
}

/// The score of the previous stored report: `Ok(None)` when there is none.
async fn previous_score(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    key: String,
) -> Result<Option<u32>, String> {
    let doc = phoenix_account::audit::read::stored_json(s3, bucket, &key)
        .await
        .map_err(|f| f.to_string())?;
    Ok(doc.and_then(|doc| {
        doc.get("score")
            .and_then(Value::as_u64)
            .and_then(|s| u32::try_from(s).ok())
    }))
}

async fn store(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    key: String,
    body: String,
    content_type: &str,
) -> Result<(), String> {
    s3.put_object()
        .bucket(bucket)
        .key(&key)
        .content_type(content_type)
        .body(body.into_bytes().into())
        .send()
        .await
        .map(|_| ())
        .map_err(|e| format!("PutObject {key}: {}", phoenix_shared::aws::reason(&e)))
}

/// The Lambda edge: the sweep's clients (other accounts through `PHOENIX_READER_ROLE`), and
/// the report bucket the audit writes to.
pub const EDGE: runtime::Function<Reach> = runtime::Function {
    name: FUNCTION,
    describe: None,
    sweep: true,
    emf_metrics: false,
    clients: |sdk, config| match config.report_bucket {
        Some(_) => Ok(Reach::new(
            sdk,
            config.organization.reader_role.clone(),
            "phoenix-guard-readiness-audit",
        )),
        None => Err(
            "PHOENIX_REPORT_BUCKET is not set (the S3 bucket the readiness report is written to)"
                .to_owned(),
        ),
    },
};

/// One Lambda invocation: a schedule's event audits the own account and region
/// ([`handle`]); an SQS batch from the dispatcher audits each target it names.
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

/// Audits every target of an SQS batch; the response names the messages to deliver again.
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
        |request| async move { audit_target(guard, reach, own, &request, id, now).await },
    )
    .await
}

/// One target of a batch: reached (or `check-unknown` about it), audited, its report stored
/// under the target's own keys in the central report bucket.
pub async fn audit_target(
    guard: &Guard,
    reach: &Reach,
    own_account: &str,
    request: &sweep::Request,
    invocation: &str,
    now: Timestamp,
) -> Result<(), HandlerError> {
    let at = request.time.unwrap_or(now);
    let claim = request.claim(invocation);
    let clients = match reach.request(own_account, request, at).await {
        Reached::Clients(clients) => clients,
        Reached::Later(failure) => return Err(HandlerError::Unavailable(failure.to_string())),
        Reached::Unknown(finding) => {
            sweep::unreachable(FUNCTION, guard, (*finding).clone(), &claim, now).await?;
            // The roll-up lists it too, as unknown: not ready until shown to be.
            let place = Place::target(&guard.config.environment, &request.account, &request.region);
            let body = json!({
                "environment": guard.config.environment,
                "account": request.account,
                "region": request.region,
                "evaluatedAt": at,
                "score": 0,
                "unreachable": true,
                "items": [{
                    "area": checklist::Area::Guard.id(),
                    "check": finding.check,
                    "resource": finding.resource_arn,
                    "resourceType": "Account",
                    "name": format!("account {}", request.account),
                    "status": "unknown",
                    "severity": finding.severity.as_str(),
                    "detail": finding.summary,
                    "fix": finding.remedy,
                }],
            });
            let bucket = guard.config.report_bucket.clone().unwrap_or_default();
            return store(
                reach.home().s3(),
                &bucket,
                place.key("latest.json"),
                body.to_string(),
                "application/json",
            )
            .await
            .map_err(|why| {
                HandlerError::Unavailable(format!(
                    "the readiness report could not be stored: {why}"
                ))
            });
        }
    };
    let scope = Scope {
        account: Some(request.account.clone()),
        region: request.region.clone(),
        member: !Reach::is_own(Some(&request.account), own_account),
        this_function: Some(FUNCTION),
    };
    let place = Place::target(&guard.config.environment, &request.account, &request.region);
    audit_one(
        guard,
        &clients,
        reach.home(),
        scope,
        &place,
        at,
        &claim,
        now,
    )
    .await
    .map(|_| ())
}

/// Runs one scheduled audit of the own account and region: read, judge, notify, count, store.
pub async fn handle(
    guard: &Guard,
    clients: &Clients,
    event: &Value,
    invocation: &str,
    now: Timestamp,
) -> Result<Value, HandlerError> {
    let config = &guard.config;
    let (at, account_hint) = freshness::trigger(event, now);
    let scope = Scope {
        account: account_hint.or_else(|| config.account_id.clone()),
        region: config.region().to_owned(),
        member: false,
        this_function: Some(FUNCTION),
    };
    let place = Place::own(&config.environment);
    audit_one(guard, clients, clients, scope, &place, at, invocation, now).await
}

/// Audits through `clients` and stores the report through `home` (the central account's).
#[allow(clippy::too_many_arguments)]
async fn audit_one(
    guard: &Guard,
    clients: &Clients,
    home: &Clients,
    scope: Scope<'_>,
    place: &Place,
    at: Timestamp,
    invocation: &str,
    now: Timestamp,
) -> Result<Value, HandlerError> {
    let config = &guard.config;
    let mut audit = audit_scope(clients, config, scope, at).await;
    let mut batch = std::mem::take(&mut audit.judgement.metrics);
    let bucket = config.report_bucket.clone().unwrap_or_default();

    let history_key = place.key("history.json");
    let (previous, history) = tokio::join!(
        previous_score(home.s3(), &bucket, place.key("latest.json")),
        phoenix_account::audit::read::history(home.s3(), &bucket, &history_key),
    );
    let mut owed: Vec<String> = Vec::new();

    // Opens: backup-freshness's, then the audit's own (one per key).
    let mut observations: Vec<Observation> = audit.judgement.opens.clone();
    let mut opened: HashSet<String> = observations.iter().map(|o| o.finding.dedup_key()).collect();
    for item in &audit.report.items {
        if let Some(f) = open_for(&audit, item)
            && opened.insert(f.dedup_key())
        {
            observations.push(Observation::open(f));
        }
    }
    let checks: Vec<&str> = freshness::CHECKS
        .iter()
        .chain(checklist::CHECKS)
        .copied()
        .collect();
    match guard
        .open_findings(&audit.facts.account, &audit.facts.region, &checks)
        .await
    {
        Ok(open) => {
            let resolved_backups =
                freshness::resolutions(&audit.facts.backups, &audit.judgement, &open, config);
            observations.extend(resolved_backups);
            observations.extend(audit_resolutions(&audit, &open, &opened));
        }
        Err(err) => {
            tracing::error!(error = %err, "open findings could not be listed; nothing is resolved this run");
            batch.count("LedgerErrors", &[], 1);
            owed.push(err.dedup_key);
        }
    }
    match &previous {
        Ok(previous) => observations.extend(score_summary(&audit, *previous, place)),
        Err(why) => {
            tracing::error!(reason = %why, "the previous report could not be read; the score summary waits for the retry");
            owed.push(place.key("latest.json"));
        }
    }

    let delivered = guard
        .deliver(&observations, invocation, now, &mut batch)
        .await;
    metrics(&audit.report, &place.dimensions(), &mut batch);
    batch.add("Heartbeat", &[("Function", FUNCTION)], 1.0, Unit::Count);
    guard.flush_metrics(&batch, now).await;

    tracing::info!(
        evaluated_at = %at,
        score = audit.report.score,
        failing = audit.report.failing().len(),
        alerts = delivered.sent.len(),
        "readiness evaluated"
    );
    let alerts_sent = delivered.sent.len();
    let mut delivered = delivered;
    delivered.owed.extend(owed);
    delivered.into_result()?;

    // The report is stored only once everything was delivered: a retry then compares with
    // the same previous score, and its summary has the same key, so it is not lost or sent
    // twice.
    let json = audit.report.to_json().to_string();
    let markdown = audit.report.to_markdown();
    // The scores so far: a history that cannot be read now is not overwritten (the page
    // shows this audit alone).
    let scores = match &history {
        Ok(history) => history.clone(),
        Err(why) => {
            tracing::warn!(reason = %why, "the score history could not be read; it is kept as it is");
            History::default()
        }
    }
    .with(at, audit.report.score);
    let html = phoenix_account::audit::html::render(&audit.report, &scores);
    let full = place.key(&format!("history/{}.json", at.compact()));
    let results = tokio::join!(
        store(home.s3(), &bucket, full, json.clone(), "application/json"),
        store(
            home.s3(),
            &bucket,
            place.key("latest.md"),
            markdown,
            "text/markdown; charset=utf-8"
        ),
        store(
            home.s3(),
            &bucket,
            place.key("latest.html"),
            html,
            "text/html; charset=utf-8"
        ),
        async {
            match history {
                Ok(_) => {
                    store(
                        home.s3(),
                        &bucket,
                        history_key.clone(),
                        scores.to_json().to_string(),
                        "application/json",
                    )
                    .await
                }
                Err(_) => Ok(()),
            }
        },
    );
    results
        .0
        .and(results.1)
        .and(results.2)
        .and(results.3)
        .and(
            store(
                home.s3(),
                &bucket,
                place.key("latest.json"),
                json,
                "application/json",
            )
            .await,
        )
        .map_err(|why| {
            HandlerError::Unavailable(format!("the readiness report could not be stored: {why}"))
        })?;
    let mut summary = audit.report.summary_json();
    summary["function"] = json!(FUNCTION);
    summary["alertsSent"] = json!(alerts_sent);
    Ok(summary)
}
