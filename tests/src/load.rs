//! The load test: thousands of AWS Backup and CloudTrail events through `backup-events` and
//! `protection-guard`, many at a time, against the emulator, with every alert on the topic
//! counted afterwards.
//!
//! The events come in units, one per resource, that repeat what AWS does to a resource's
//! events in production:
//! - a file system: its backup job FAILED event delivered twice at once (EventBridge
//!   delivers at least once), then the next night's COMPLETED event;
//! - a data bucket: CloudTrail's `PutBucketVersioning` Suspended delivered twice at once;
//!   versioning turned back on, and the Enabled call delivered twice at once.
//!
//! An invocation that fails (the copy that lost the race for a finding's claim) is delivered
//! again once its unit's copies are done, as Lambda's retry would be, before the resource's
//! next event. Units run concurrently. Expected: each resource's trigger and resolve,
//! each exactly once, and nothing else.

use crate::World;
use crate::account::{create_bucket, set_versioning};
use futures_util::stream::{self, StreamExt};
use phoenix_shared::{Guard, HandlerError, Timestamp};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Events in a file system's unit and in a bucket's.
const BACKUP_UNIT: usize = 3;
const TRAIL_UNIT: usize = 4;

#[derive(Debug)]
pub struct Load {
    pub events: usize,
    pub invocations: u64,
    pub retried: u64,
    pub alerts: usize,
    pub took: Duration,
    /// Invocation latencies, sorted.
    pub latencies: Vec<Duration>,
    /// Alerts missing, repeated or unexpected; empty when every promise was kept.
    pub problems: Vec<String>,
}

impl Load {
    pub fn events_per_second(&self) -> f64 {
        self.events as f64 / self.took.as_secs_f64()
    }

    pub fn percentile(&self, p: f64) -> Duration {
        if self.latencies.is_empty() {
            return Duration::ZERO;
        }
        let i = ((self.latencies.len() - 1) as f64 * p).round() as usize;
        self.latencies[i]
    }
}

struct Run<'a> {
    world: &'a World,
    guard: Guard,
    clients: protection_guard::confirm::Clients,
    invocations: AtomicU64,
    retried: AtomicU64,
    latencies: std::sync::Mutex<Vec<Duration>>,
}

enum Function {
    BackupEvents,
    ProtectionGuard,
}

impl Run<'_> {
    async fn invoke(&self, function: &Function, event: &Value) -> Result<(), HandlerError> {
        let n = self.invocations.fetch_add(1, Ordering::Relaxed);
        let id = format!("load-{n}");
        let started = Instant::now();
        let result = match function {
            Function::BackupEvents => {
                backup_events::handle(&self.guard, event, &id, Timestamp::now())
                    .await
                    .map(|_| ())
            }
            Function::ProtectionGuard => {
                protection_guard::handle(&self.guard, &self.clients, event, &id, Timestamp::now())
                    .await
                    .map(|_| ())
            }
        };
        self.latencies
            .lock()
            .expect("latencies")
            .push(started.elapsed());
        result
    }

    /// Two copies of `event` at once; a copy that fails is delivered again once both are done.
    async fn twice(&self, function: &Function, event: &Value) -> Result<(), String> {
        let (a, b) =
            futures_util::future::join(self.invoke(function, event), self.invoke(function, event))
                .await;
        self.until_delivered(function, event, a).await?;
        self.until_delivered(function, event, b).await
    }

    async fn once(&self, function: &Function, event: &Value) -> Result<(), String> {
        let first = self.invoke(function, event).await;
        self.until_delivered(function, event, first).await
    }

    /// Delivers `event` again while it fails, up to three tries in all (Lambda's
    /// asynchronous invocation).
    async fn until_delivered(
        &self,
        function: &Function,
        event: &Value,
        first: Result<(), HandlerError>,
    ) -> Result<(), String> {
        let mut result = first;
        let mut tries = 1;
        while let Err(err) = result {
            if tries == 3 {
                return Err(format!("{err} (after {tries} tries)"));
            }
            tries += 1;
            self.retried.fetch_add(1, Ordering::Relaxed);
            result = self.invoke(function, event).await;
        }
        Ok(())
    }
}

fn backup_event(fixture: &str, id: &str, resource: &str) -> Value {
    let mut event = crate::backup_fixture(fixture);
    event["id"] = json!(id);
    event["detail"]["resourceArn"] = json!(resource);
    event
}

fn versioning_event(fixture: &str, id: &str, bucket: &str) -> Value {
    let mut event = crate::fixture("protection-guard", fixture);
    event["id"] = json!(id);
    event["detail"]["eventID"] = json!(id);
    event["detail"]["requestParameters"]["bucketName"] = json!(bucket);
    event
}

/// The resources of `units` file-system units and `buckets` bucket units, and the alerts
/// each must produce: (action, dedup key).
fn plan(world: &World, file_systems: usize, buckets: usize) -> (Vec<Unit>, Vec<(String, String)>) {
    let key = |check: &str, resource: &str| {
        format!(
            "phoenix:{}:{}:{check}:{resource}",
            world.account,
            crate::REGION
        )
    };
    let mut units = Vec::new();
    let mut expected = Vec::new();
    for i in 0..file_systems {
        let arn = format!(
            "arn:aws:elasticfilesystem:{}:{}:file-system/fs-{i:017x}",
            crate::REGION,
            world.account
        );
        expected.push(("trigger".to_owned(), key("backup-job-failed", &arn)));
        expected.push(("resolve".to_owned(), key("backup-job-failed", &arn)));
        units.push(Unit::FileSystem { index: i, arn });
    }
    for i in 0..buckets {
        let name = format!("load-{}-{i}", world.name).to_ascii_lowercase();
        let arn = format!("arn:aws:s3:::{name}");
        expected.push(("trigger".to_owned(), key("s3-versioning-suspended", &arn)));
        expected.push(("resolve".to_owned(), key("s3-versioning-suspended", &arn)));
        units.push(Unit::Bucket { index: i, name });
    }
    (units, expected)
}

enum Unit {
    FileSystem { index: usize, arn: String },
    Bucket { index: usize, name: String },
}

async fn play(run: &Run<'_>, unit: &Unit) -> Result<(), String> {
    match unit {
        Unit::FileSystem { index, arn } => {
            let failed = backup_event(
                "backup-job-failed-efs.json",
                &format!("failed-{index}"),
                arn,
            );
            run.twice(&Function::BackupEvents, &failed).await?;
            let completed = backup_event(
                "backup-job-completed-efs.json",
                &format!("completed-{index}"),
                arn,
            );
            run.once(&Function::BackupEvents, &completed).await
        }
        Unit::Bucket { index, name } => {
            let suspended = versioning_event(
                "s3-put-bucket-versioning-suspended.json",
                &format!("suspended-{index}"),
                name,
            );
            run.twice(&Function::ProtectionGuard, &suspended).await?;
            set_versioning(&run.world.sdk, name, true).await;
            let enabled = versioning_event(
                "s3-put-bucket-versioning-enabled.json",
                &format!("enabled-{index}"),
                name,
            );
            run.twice(&Function::ProtectionGuard, &enabled).await
        }
    }
}

/// Replays about `events` events (60% Backup, 40% CloudTrail), `concurrency` units at a
/// time, in a fresh world; then reads every alert off the topic.
pub async fn replay(events: usize, concurrency: usize) -> Load {
    let world = World::new("load").await;
    let file_systems = events * 6 / 10 / BACKUP_UNIT;
    let buckets = (events - file_systems * BACKUP_UNIT) / TRAIL_UNIT;
    let (units, expected) = plan(&world, file_systems, buckets);
    // The buckets exist, marked as data, with versioning suspended, before the calls arrive.
    stream::iter(units.iter().filter_map(|u| match u {
        Unit::Bucket { name, .. } => Some(name),
        Unit::FileSystem { .. } => None,
    }))
    .for_each_concurrent(concurrency, |name| {
        let sdk = &world.sdk;
        async move {
            create_bucket(sdk, name, &[("phoenix:data", "true")], true).await;
            set_versioning(sdk, name, false).await;
        }
    })
    .await;

    let run = Run {
        world: &world,
        guard: world.guard(),
        clients: protection_guard::confirm::Clients::current(&world.sdk),
        invocations: AtomicU64::new(0),
        retried: AtomicU64::new(0),
        latencies: std::sync::Mutex::new(Vec::new()),
    };
    let started = Instant::now();
    // The alerts are read off the queue while the events are replayed: the emulator's queue
    // slows down as it fills, and reading it at the end would take longer than the replay.
    let done = std::sync::atomic::AtomicBool::new(false);
    let replayed = async {
        let failures: Vec<String> = stream::iter(&units)
            .map(|unit| play(&run, unit))
            .buffer_unordered(concurrency)
            .filter_map(|r| async move { r.err() })
            .collect()
            .await;
        let took = started.elapsed();
        done.store(true, Ordering::SeqCst);
        (failures, took)
    };
    let read = async {
        let mut alerts = Vec::new();
        while !done.load(Ordering::SeqCst) {
            let batch = world.alerts().await;
            if batch.is_empty() {
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            alerts.extend(batch);
        }
        alerts.extend(world.alerts().await);
        alerts
    };
    let ((failures, took), alerts) = futures_util::future::join(replayed, read).await;
    let mut seen: BTreeMap<(String, String), usize> = BTreeMap::new();
    for alert in &alerts {
        *seen
            .entry((
                alert.event_action().to_owned(),
                alert.dedup_key().to_owned(),
            ))
            .or_default() += 1;
    }
    let mut problems: Vec<String> = failures
        .into_iter()
        .map(|f| format!("an invocation kept failing: {f}"))
        .collect();
    for want in &expected {
        match seen.remove(want) {
            Some(1) => {}
            Some(n) => problems.push(format!("{} {} sent {n} times", want.0, want.1)),
            None => problems.push(format!("{} {} never sent", want.0, want.1)),
        }
    }
    for ((action, key), n) in seen {
        problems.push(format!("unexpected {action} {key} ({n}x)"));
    }
    let mut latencies = run.latencies.into_inner().expect("latencies");
    latencies.sort();
    Load {
        events: file_systems * BACKUP_UNIT + buckets * TRAIL_UNIT,
        invocations: run.invocations.load(Ordering::Relaxed),
        retried: run.retried.load(Ordering::Relaxed),
        alerts: alerts.len(),
        took,
        latencies,
        problems,
    }
}
