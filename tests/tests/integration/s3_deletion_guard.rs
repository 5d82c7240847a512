//! `s3-deletion-guard` against the emulator, over real HTTP: buckets (versioned and not) and
//! Terraform state versions are written through the S3 API, the function gets the
//! notifications S3 would send, and the tests read what a user would see: which pages, with
//! what dedup key, and which metric values.

use phoenix_shared::{Config, Guard, HandlerError, Timestamp};
use phoenix_tests::account::{create_bucket, create_state_bucket, s3_client};
use phoenix_tests::{World, attr_s, fixture};
use s3_deletion_guard::{Clients, Invocation, Outcome, handle};
use serde_json::{Value, json};
use std::sync::atomic::{AtomicU32, Ordering};

const ACCT: &str = "123456789012";

fn key(check: &str, resource: &str) -> String {
    format!("phoenix:{ACCT}:eu-west-1:{check}:{resource}")
}

/// A bucket name of this world (S3 names are global).
fn bucket(world: &World, label: &str) -> String {
    format!("{label}-{}", world.name).to_ascii_lowercase()
}

/// A fixture with some fields replaced (JSON pointers).
fn event(name: &str, patch: &[(&str, Value)]) -> Value {
    let mut event = fixture("s3-deletion-guard", &format!("{name}.json"));
    for (pointer, value) in patch {
        *event
            .pointer_mut(pointer)
            .unwrap_or_else(|| panic!("{name} has no {pointer}")) = value.clone();
    }
    event
}

/// A classic notification for one object.
fn classic(name: &str, bucket: &str, encoded_key: &str, version: Option<&str>) -> Value {
    event(
        name,
        &[
            ("/Records/0/s3/bucket/name", json!(bucket)),
            (
                "/Records/0/s3/bucket/arn",
                json!(format!("arn:aws:s3:::{bucket}")),
            ),
            ("/Records/0/s3/object/key", json!(encoded_key)),
            ("/Records/0/s3/object/versionId", json!(version)),
        ],
    )
}

static INVOCATION: AtomicU32 = AtomicU32::new(0);

async fn send_with(
    guard: &Guard,
    clients: &Clients,
    event: &Value,
) -> Result<Outcome, HandlerError> {
    let n = INVOCATION.fetch_add(1, Ordering::Relaxed);
    handle(
        guard,
        clients,
        event,
        Invocation {
            id: &format!("sdg-{n}"),
            account: ACCT,
            now: Timestamp::now(),
        },
    )
    .await
}

async fn put(world: &World, bucket: &str, key: &str, body: &str) -> Option<String> {
    phoenix_tests::account::put_object(&world.sdk, bucket, key, body).await
}

fn config(world: &World, edit: impl FnOnce(&mut Config)) -> Config {
    let mut config = world.config.clone();
    edit(&mut config);
    config
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_permanent_deletion_in_an_unversioned_data_bucket_pages_and_a_delete_marker_is_only_counted()
 {
    let world = World::new("sdg-delete").await;
    let uploads = bucket(&world, "zulip-uploads");
    let versioned = bucket(&world, "bookstack-uploads");
    let logs = bucket(&world, "access-logs");
    create_bucket(&world.sdk, &uploads, &[("phoenix:data", "true")], false).await;
    create_bucket(&world.sdk, &versioned, &[("phoenix:data", "true")], true).await;
    create_bucket(&world.sdk, &logs, &[], false).await;
    let guard = world.guard();
    let clients = Clients::new(&world.sdk, &world.config);

    put(
        &world,
        &uploads,
        "user_uploads/2/7a/Meeting notes.pdf",
        "minutes",
    )
    .await;
    s3_client(&world.sdk)
        .delete_object()
        .bucket(&uploads)
        .key("user_uploads/2/7a/Meeting notes.pdf")
        .send()
        .await
        .expect("delete");
    let deleted = classic(
        "classic-delete-unversioned",
        &uploads,
        "user_uploads/2/7a/Meeting+notes.pdf",
        None,
    );
    let outcome = send_with(&guard, &clients, &deleted)
        .await
        .expect("delivered");
    assert_eq!(outcome.permanently_deleted, 1);

    let mut alerts = world.alerts().await;
    alerts.sort_by(|a, b| a.check().cmp(b.check()));
    let arn = format!("arn:aws:s3:::{uploads}");
    let pages: Vec<(&str, &str, &str)> = alerts
        .iter()
        .map(|a| (a.event_action(), a.check(), a.severity()))
        .collect();
    assert_eq!(
        pages,
        [
            ("trigger", "bucket-unversioned", "critical"),
            ("trigger", "data-permanently-deleted", "critical"),
        ]
    );
    assert_eq!(alerts[0].dedup_key(), key("bucket-unversioned", &arn));
    let loss = &alerts[1];
    let prefix = key("data-permanently-deleted", &format!("{arn}@"));
    assert!(
        loss.dedup_key().starts_with(&prefix),
        "{}",
        loss.dedup_key()
    );
    let summary = loss.body["payload"]["summary"].as_str().unwrap();
    assert!(
        summary.starts_with(&format!(
            "1 object deleted for good from data bucket {uploads} by AWS:AROA3EXAMPLE:terraform"
        )),
        "{summary}"
    );
    assert!(
        summary.contains("user_uploads/2/7a/Meeting notes.pdf"),
        "decoded key: {summary}"
    );

    // The same notification again (a redelivery): counted once, paged once.
    send_with(&guard, &clients, &deleted)
        .await
        .expect("delivered");
    assert!(world.alerts().await.is_empty());
    assert_eq!(
        world
            .metric_sum("ObjectsPermanentlyDeleted", &[("Bucket", &uploads)])
            .await,
        Some(1.0)
    );

    // A delete marker in a versioned data bucket: recoverable, counted, not paged.
    put(&world, &versioned, "images/diagram.png", "png").await;
    let marker = s3_client(&world.sdk)
        .delete_object()
        .bucket(&versioned)
        .key("images/diagram.png")
        .send()
        .await
        .expect("delete")
        .version_id;
    let outcome = send_with(
        &guard,
        &clients,
        &classic(
            "classic-delete-marker",
            &versioned,
            "images/diagram.png",
            marker.as_deref(),
        ),
    )
    .await
    .expect("delivered");
    assert_eq!((outcome.recoverable, outcome.permanently_deleted), (1, 0));
    assert!(world.alerts().await.is_empty());
    assert_eq!(
        world
            .metric_sum("RecoverableDeletes", &[("Bucket", &versioned)])
            .await,
        Some(1.0)
    );

    // Removing that delete marker (an undelete) reaches the guard as the deletion of a
    // specific version, which S3 reports like a permanent one: paged, saying so.
    s3_client(&world.sdk)
        .delete_object()
        .bucket(&versioned)
        .key("images/diagram.png")
        .set_version_id(marker.clone())
        .send()
        .await
        .expect("remove the marker");
    send_with(
        &guard,
        &clients,
        &classic(
            "classic-delete-version",
            &versioned,
            "images/diagram.png",
            marker.as_deref(),
        ),
    )
    .await
    .expect("delivered");
    let undelete = world.only_alert().await;
    assert_eq!(undelete.check(), "data-permanently-deleted");
    let hint = undelete.body["payload"]["custom_details"]["ifThisWasAnUndelete"]
        .as_str()
        .unwrap_or_default();
    assert!(hint.contains("the object is back"), "{:#}", undelete.body);

    // A bucket that is neither data nor state: nothing at all.
    let outcome = send_with(
        &guard,
        &clients,
        &classic(
            "classic-delete-unversioned",
            &logs,
            "2026/11/23/log.gz",
            None,
        ),
    )
    .await
    .expect("ignored");
    assert!(outcome.ignored.is_some(), "{outcome:?}");
    assert!(world.alerts().await.is_empty());
    assert_eq!(
        world
            .metric_sum("ObjectsPermanentlyDeleted", &[("Bucket", &logs)])
            .await,
        None
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_burst_of_thousands_of_deletions_in_two_buckets_pages_once_per_bucket_with_the_exact_count()
 {
    const PER_BUCKET: usize = 1000;
    const CONTAINERS: usize = 8;
    let world = World::new("sdg-burst").await;
    let a = bucket(&world, "zulip-uploads");
    let b = bucket(&world, "bookstack-uploads");
    create_bucket(&world.sdk, &a, &[], false).await;
    create_bucket(&world.sdk, &b, &[], false).await;
    // Data buckets named by configuration this time, not by tag.
    let config = config(&world, |c| c.data_buckets = vec![a.clone(), b.clone()]);
    let guard = std::sync::Arc::new(Guard::new(config.clone(), &world.sdk));

    // Every object deleted once, interleaved across buckets, a tenth of them delivered twice
    // (S3 delivers at least once); EventBridge and classic shapes mixed.
    let mut events = Vec::new();
    for i in 0..PER_BUCKET {
        for bucket in [&a, &b] {
            let event = if i % 2 == 0 {
                classic(
                    "classic-delete-unversioned",
                    bucket,
                    &format!("uploads/{i}/file+{i}.png"),
                    None,
                )
            } else {
                event(
                    "eventbridge-object-deleted-permanent",
                    &[
                        ("/detail/bucket/name", json!(bucket)),
                        (
                            "/detail/object/key",
                            json!(format!("uploads/{i}/file {i}.png")),
                        ),
                        ("/detail/object/sequencer", json!(format!("{i:016X}"))),
                    ],
                )
            };
            if i % 10 == 0 {
                events.push(event.clone());
            }
            events.push(event);
        }
    }
    let total = events.len();
    // Concurrent containers, each taking events in turn; a failed invocation is retried, as
    // Lambda retries asynchronous invocations.
    let queue = std::sync::Arc::new(std::sync::Mutex::new(events));
    let mut tasks = Vec::new();
    for _ in 0..CONTAINERS {
        let (queue, guard, sdk, config) = (
            queue.clone(),
            guard.clone(),
            world.sdk.clone(),
            config.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let clients = Clients::new(&sdk, &config);
            let mut retries = 0;
            loop {
                let Some(event) = queue.lock().unwrap().pop() else {
                    return retries;
                };
                let mut attempt = 0;
                while let Err(err) = send_with(&guard, &clients, &event).await {
                    attempt += 1;
                    retries += 1;
                    assert!(attempt < 5, "still failing after retries: {err}");
                }
            }
        }));
    }
    let mut retries = 0;
    for t in tasks {
        retries += t.await.expect("container");
    }
    println!("{total} deliveries, {retries} retried invocations");

    let alerts = world.alerts().await;
    // The updates of a growing burst (10, 100, 1,000 deletions) are not pages: they fold
    // into the incident. Each step is told at most once, with at least its count.
    let mut updates = std::collections::HashMap::<String, Vec<i64>>::new();
    for a in alerts.iter().filter(|a| a.notification() == "update") {
        let so_far = a.body["payload"]["custom_details"]["deletedSoFar"]
            .as_i64()
            .unwrap_or_default();
        updates
            .entry(a.dedup_key().to_owned())
            .or_default()
            .push(so_far);
    }
    for (key, counts) in &updates {
        assert!(counts.len() <= 3, "{key}: {counts:?}");
        assert!(counts.iter().all(|c| *c >= 10), "{key}: {counts:?}");
    }
    let mut pages: Vec<(String, String)> = alerts
        .iter()
        .filter(|a| a.notification() != "update")
        .map(|a| (a.check().to_owned(), a.dedup_key().to_owned()))
        .collect();
    pages.sort();
    let losses: Vec<&(String, String)> = pages
        .iter()
        .filter(|(check, _)| check == "data-permanently-deleted")
        .collect();
    assert_eq!(
        losses.len(),
        2,
        "one page per bucket, not {total}: {pages:#?}"
    );
    assert!(
        updates.keys().all(|k| losses.iter().any(|(_, l)| l == k)),
        "updates only on the bursts' own incidents: {updates:?}"
    );
    assert_eq!(
        pages
            .iter()
            .filter(|(c, _)| c == "bucket-unversioned")
            .count(),
        2,
        "{pages:#?}"
    );
    for bucket in [&a, &b] {
        assert_eq!(
            world
                .metric_sum("ObjectsPermanentlyDeleted", &[("Bucket", bucket)])
                .await,
            Some(PER_BUCKET as f64),
            "{bucket}: every deletion counted once ({retries} retries)"
        );
        let tally = world
            .ledger_item(&format!("tally:{ACCT}:eu-west-1:{bucket}"))
            .await
            .expect("tally item");
        assert_eq!(
            tally["deleted"].as_n().unwrap(),
            &PER_BUCKET.to_string(),
            "{bucket}"
        );
        let samples = tally["samples"].as_l().unwrap();
        assert!(
            (5..=5 + CONTAINERS).contains(&samples.len()),
            "{}",
            samples.len()
        );
        let episode = attr_s(&tally, "episode").unwrap();
        assert!(
            losses.iter().any(|(_, k)| k
                == &key(
                    "data-permanently-deleted",
                    &format!("arn:aws:s3:::{bucket}@{episode}")
                )),
            "{bucket} {episode}"
        );
    }
}

/// An epoch second to start the quiet-period tests at.
const START: i64 = 1_795_400_000;

/// A world with an unversioned data bucket whose bursts end after a quiet minute.
async fn quiet_after_a_minute(label: &str) -> (World, String, Guard, Clients) {
    let world = World::new(label).await;
    let uploads = bucket(&world, "uploads");
    create_bucket(&world.sdk, &uploads, &[("phoenix:data", "true")], false).await;
    let guard = Guard::new(
        config(&world, |c| c.deletion_quiet_seconds = 60),
        &world.sdk,
    );
    let clients = Clients::new(&world.sdk, &guard.config);
    (world, uploads, guard, clients)
}

/// A permanent deletion delivered as it happens: S3's event time is when it is handled.
fn deletion_at(bucket: &str, key: &str, epoch: i64) -> Value {
    let mut event = classic("classic-delete-unversioned", bucket, key, None);
    event["Records"][0]["eventTime"] = json!(Timestamp::from_epoch_seconds(epoch).to_string());
    event
}

/// Handles `event` as if it were `epoch`.
async fn handle_at(
    guard: &Guard,
    clients: &Clients,
    event: impl std::borrow::Borrow<Value>,
    epoch: i64,
) -> Outcome {
    let n = INVOCATION.fetch_add(1, Ordering::Relaxed);
    handle(
        guard,
        clients,
        event.borrow(),
        Invocation {
            id: &format!("at-{n}"),
            account: ACCT,
            now: Timestamp::from_epoch_seconds(epoch),
        },
    )
    .await
    .expect("delivered")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deletion_after_the_quiet_period_is_a_new_incident() {
    let (world, uploads, guard, clients) = quiet_after_a_minute("sdg-quiet").await;
    let at = |seconds: i64, name: &str| {
        let event = deletion_at(&uploads, name, START + seconds);
        let (guard, clients) = (&guard, &clients);
        async move { handle_at(guard, clients, &event, START + seconds).await }
    };
    at(0, "a").await;
    at(50, "b").await;
    at(100, "c").await; // 50 s after the last one: still the same burst
    let first: Vec<String> = world
        .alerts()
        .await
        .iter()
        .filter(|a| a.check() == "data-permanently-deleted")
        .map(|a| a.dedup_key().to_owned())
        .collect();
    assert_eq!(first.len(), 1);
    at(200, "d").await; // quiet for 100 s: a new incident
    let second = world.alerts().await;
    assert_eq!(second.len(), 2, "{second:#?}");
    let (ended, new): (Vec<_>, Vec<_>) = second.iter().partition(|a| a.dedup_key() == first[0]);
    // The old burst is told its final size on its own incident ...
    assert_eq!(ended.len(), 1, "{second:#?}");
    assert_eq!(ended[0].notification(), "update");
    assert!(
        ended[0].body["payload"]["summary"]
            .as_str()
            .unwrap()
            .starts_with("Burst over: 3 objects deleted"),
        "{:#}",
        ended[0].body
    );
    // ... and the new one is an incident of its own.
    assert_eq!(new.len(), 1, "{second:#?}");
    assert_eq!(new[0].check(), "data-permanently-deleted");
    assert_eq!(new[0].notification(), "trigger");
    assert!(
        new[0].body["payload"]["summary"]
            .as_str()
            .unwrap()
            .starts_with("1 object deleted"),
        "the new burst counts from one"
    );
}

/// A burst's page grows with it: an update on the same dedup key at 10 deletions (100,
/// 1,000, … likewise), and its final count once the bucket has been quiet, told by the
/// scheduled run; nobody is paged twice and nothing is told twice.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_is_updated_at_ten_deletions_and_told_its_final_count_when_it_goes_quiet() {
    let (world, uploads, guard, clients) = quiet_after_a_minute("sdg-grows").await;
    let run = |event: Value, seconds: i64| handle_at(&guard, &clients, event, START + seconds);
    for i in 0..12 {
        let key = format!("uploads/file-{i:02}.png");
        run(deletion_at(&uploads, &key, START + i), i).await;
    }
    let alerts = world.alerts().await;
    let burst: Vec<&phoenix_tests::ReceivedAlert> = alerts
        .iter()
        .filter(|a| a.check() == "data-permanently-deleted")
        .collect();
    assert_eq!(burst.len(), 2, "{alerts:#?}");
    assert_eq!(burst[0].notification(), "trigger");
    assert_eq!(burst[1].notification(), "update");
    assert_eq!(burst[0].dedup_key(), burst[1].dedup_key());
    assert_eq!(
        burst[1].event_action(),
        "trigger",
        "PagerDuty folds it into the incident"
    );
    assert_eq!(
        burst[1].attributes.get("state").map(String::as_str),
        Some("ALARM")
    );
    let details = &burst[1].body["payload"]["custom_details"];
    assert_eq!(details["deletedSoFar"], 10, "{details:#}");
    assert!(
        details["bytes"]
            .as_str()
            .unwrap_or_default()
            .contains("no object size")
    );
    assert_eq!(details["sampleKeys"].as_array().map(Vec::len), Some(5));

    // The scheduled run while deletions still come: nothing to tell.
    let schedule = phoenix_tests::account::scheduled_event("2026-11-23T10:00:00Z");
    run(schedule.clone(), 30).await;
    assert!(world.alerts().await.is_empty());
    // Quiet for longer than the quiet period: the final count, on the same incident.
    run(schedule.clone(), 11 + 61).await;
    let ended = world.only_alert().await;
    assert_eq!(ended.notification(), "update");
    assert_eq!(ended.dedup_key(), burst[0].dedup_key());
    assert!(
        ended.body["payload"]["summary"]
            .as_str()
            .unwrap()
            .starts_with("Burst over: 12 objects deleted for good from bucket"),
        "{:#}",
        ended.body
    );
    assert_eq!(ended.body["payload"]["custom_details"]["deleted"], 12);
    // Told once.
    run(schedule, 11 + 3600).await;
    assert!(world.alerts().await.is_empty());
}

/// A permanent deletion, its duplicate, and a second deletion in the same bucket, in every
/// order: one page for the burst, and the burst counts exactly two deletions.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_order_of_two_deletions_and_a_duplicate_pages_once_and_counts_two() {
    let world = World::new("sdg-orders").await;
    let guard = world.guard();
    let clients = Clients::new(&world.sdk, &guard.config);
    for (n, order) in phoenix_tests::ORDERS_OF_THREE.iter().enumerate() {
        let b = bucket(&world, &format!("orders-{n}"));
        create_bucket(&world.sdk, &b, &[("phoenix:data", "true")], false).await;
        let deletion = |key: &str, at: &str| {
            let mut e = classic("classic-delete-unversioned", &b, key, None);
            e["Records"][0]["eventTime"] = json!(at);
            e
        };
        let first = deletion("a.png", "2026-11-23T09:14:05Z");
        let second = deletion("b.png", "2026-11-23T09:14:09Z");
        let unit = [&first, &first, &second];
        for i in order {
            send_with(&guard, &clients, unit[*i])
                .await
                .expect("delivered");
        }
        let pages: Vec<_> = world
            .alerts()
            .await
            .into_iter()
            .filter(|a| a.check() == "data-permanently-deleted")
            .collect();
        assert_eq!(pages.len(), 1, "order {order:?}: {pages:#?}");
        assert_eq!(pages[0].event_action(), "trigger");
        let tally = world
            .ledger_item(&format!("tally:{ACCT}:eu-west-1:{b}"))
            .await
            .expect("the burst's tally");
        assert_eq!(
            tally["deleted"].as_n().ok().map(String::as_str),
            Some("2"),
            "order {order:?}"
        );
    }
}

/// A Terraform state file: an EFS file system, an RDS instance, and two generated values.
fn state(serial: u64, efs: Option<&str>, master_key: &str, admin_password: &str) -> String {
    let mut resources = vec![
        json!({"module": "module.zitadel.module.database", "mode": "managed", "type": "aws_db_instance", "name": "main",
               "provider": "provider[\"registry.terraform.io/hashicorp/aws\"]",
               "instances": [{"schema_version": 2, "attributes": {"id": "db-ABCDEFGHIJKL", "arn": "arn:aws:rds:eu-west-1:123456789012:db:cochlearis-dev-zitadel",
                   "deletion_protection": false, "backup_retention_period": 7, "tags": {"Name": "zitadel"}}, "sensitive_attributes": []}]}),
        json!({"module": "module.zitadel", "mode": "managed", "type": "random_password", "name": "master_key",
               "instances": [{"schema_version": 3, "attributes": {"id": "none", "length": 32, "result": master_key, "special": false}}]}),
        json!({"module": "module.zitadel", "mode": "managed", "type": "random_password", "name": "admin_password",
               "instances": [{"schema_version": 3, "attributes": {"id": "none", "length": 24, "result": admin_password}}]}),
        json!({"mode": "data", "type": "aws_caller_identity", "name": "current", "instances": [{"attributes": {"id": "123456789012"}}]}),
    ];
    if let Some(fs) = efs {
        resources.push(json!({"module": "module.efs", "mode": "managed", "type": "aws_efs_file_system", "name": "zulip",
            "instances": [{"attributes": {"id": fs, "arn": format!("arn:aws:elasticfilesystem:eu-west-1:123456789012:file-system/{fs}"), "encrypted": true}}]}));
    }
    json!({"version": 4, "terraform_version": "1.9.8", "serial": serial, "lineage": "3f0c1ad2-6a3e-4b59-9d2f-1a7c5e0b9c11",
           "outputs": {}, "resources": resources, "check_results": null})
    .to_string()
}

fn created(bucket: &str, key: &str, version: &str) -> Value {
    event(
        "eventbridge-object-created-tfstate",
        &[
            ("/detail/bucket/name", json!(bucket)),
            ("/detail/object/key", json!(key)),
            ("/detail/object/version-id", json!(version)),
        ],
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_state_version_that_drops_a_file_system_and_regenerates_a_master_key_pages_both_without_the_value()
 {
    let world = World::new("sdg-state").await;
    let states = bucket(&world, "tfstate");
    create_state_bucket(&world.sdk, &states).await;
    let guard = world.guard();
    let clients = Clients::new(&world.sdk, &world.config);
    let key_path = "env:/dev/cochlearis/terraform.tfstate";

    let v1 = put(
        &world,
        &states,
        key_path,
        &state(
            41,
            Some("fs-0123456789abcdef0"),
            "OLD-master-key-value-0001",
            "pw-1",
        ),
    )
    .await
    .expect("v1");
    let outcome = send_with(&guard, &clients, &created(&states, key_path, &v1))
        .await
        .expect("first");
    assert_eq!(outcome.state_changes, 1);
    assert!(
        world.alerts().await.is_empty(),
        "the first version has nothing to compare with"
    );

    // An apply that changes nothing that matters: the admin password is no encryption key.
    let v2 = put(
        &world,
        &states,
        key_path,
        &state(
            42,
            Some("fs-0123456789abcdef0"),
            "OLD-master-key-value-0001",
            "pw-2",
        ),
    )
    .await
    .expect("v2");
    send_with(&guard, &clients, &created(&states, key_path, &v2))
        .await
        .expect("quiet");
    assert!(world.alerts().await.is_empty());

    // Then a destroy-and-rebuild: the file system is gone, the master key regenerated.
    let v3 = put(
        &world,
        &states,
        key_path,
        &state(43, None, "NEW-master-key-value-0002", "pw-2"),
    )
    .await
    .expect("v3");
    send_with(&guard, &clients, &created(&states, key_path, &v3))
        .await
        .expect("delivered");
    let mut alerts = world.alerts().await;
    alerts.sort_by(|a, b| a.check().cmp(b.check()));
    let pages: Vec<(&str, &str)> = alerts.iter().map(|a| (a.check(), a.severity())).collect();
    assert_eq!(
        pages,
        [
            ("encryption-key-regenerated", "critical"),
            ("protected-resource-destroyed", "critical")
        ]
    );
    let efs = "arn:aws:elasticfilesystem:eu-west-1:123456789012:file-system/fs-0123456789abcdef0";
    assert_eq!(
        alerts[1].dedup_key(),
        key("protected-resource-destroyed", &format!("{efs}@{v3}"))
    );
    let rekeyed =
        format!("arn:aws:s3:::{states}/{key_path}#module.zitadel.random_password.master_key");
    assert_eq!(
        alerts[0].dedup_key(),
        key("encryption-key-regenerated", &format!("{rekeyed}@{v3}"))
    );
    for alert in &alerts {
        let text = alert.body.to_string();
        assert!(
            !text.contains("master-key-value"),
            "a key value leaked: {text}"
        );
    }
    assert_eq!(
        world.metric_sum("StateChangesChecked", &[]).await,
        Some(3.0)
    );
    assert_eq!(
        world.metric_sum("ProtectedResourcesDestroyed", &[]).await,
        Some(1.0)
    );

    // The same notification again pages nothing more.
    send_with(&guard, &clients, &created(&states, key_path, &v3))
        .await
        .expect("again");
    assert!(world.alerts().await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn state_that_cannot_be_compared_is_a_finding_of_its_own() {
    let world = World::new("sdg-unreadable").await;
    let unversioned = bucket(&world, "tfstate-plain");
    let versioned = bucket(&world, "tfstate");
    create_bucket(&world.sdk, &unversioned, &[], false).await;
    create_bucket(&world.sdk, &versioned, &[], true).await;
    // Named by configuration: a pattern matching both of this world's buckets.
    let pattern = format!("tfstate*{}", world.name.to_ascii_lowercase());
    let guard = Guard::new(
        config(&world, |c| c.state_buckets = vec![pattern]),
        &world.sdk,
    );
    let clients = Clients::new(&world.sdk, &guard.config);

    put(
        &world,
        &unversioned,
        "terraform.tfstate",
        &state(1, None, "k", "p"),
    )
    .await;
    send_with(
        &guard,
        &clients,
        &created(&unversioned, "terraform.tfstate", "null"),
    )
    .await
    .expect("delivered");
    let mut alerts = world.alerts().await;
    alerts.sort_by(|a, b| a.check().cmp(b.check()));
    let checks: Vec<(&str, &str)> = alerts.iter().map(|a| (a.check(), a.severity())).collect();
    assert_eq!(
        checks,
        [
            ("bucket-unversioned", "critical"),
            ("state-unreadable", "error")
        ]
    );
    assert!(
        alerts[1].body["payload"]["summary"]
            .as_str()
            .unwrap()
            .contains("keeps no previous version")
    );

    put(&world, &versioned, "app.tfstate", &state(1, None, "k", "p"))
        .await
        .expect("v1");
    let broken = put(
        &world,
        &versioned,
        "app.tfstate",
        "<html>502 Bad Gateway</html>",
    )
    .await
    .expect("v2");
    send_with(
        &guard,
        &clients,
        &created(&versioned, "app.tfstate", &broken),
    )
    .await
    .expect("delivered");
    let alerts = world.alerts().await;
    assert_eq!(alerts.len(), 1, "{alerts:#?}");
    assert_eq!(alerts[0].check(), "state-unreadable");
    assert!(
        alerts[0].body["payload"]["summary"]
            .as_str()
            .unwrap()
            .contains("not valid Terraform state JSON")
    );

    // A good version after it compares again and resolves the finding.
    put(&world, &versioned, "app.tfstate", &state(2, None, "k", "p"))
        .await
        .expect("v3");
    let fixed_again = put(&world, &versioned, "app.tfstate", &state(3, None, "k", "p"))
        .await
        .expect("v4");
    send_with(
        &guard,
        &clients,
        &created(&versioned, "app.tfstate", &fixed_again),
    )
    .await
    .expect("delivered");
    let alerts = world.alerts().await;
    assert_eq!(
        alerts
            .iter()
            .map(|a| (a.event_action(), a.check()))
            .collect::<Vec<_>>(),
        [("resolve", "state-unreadable")]
    );
}

#[test]
fn versioning_suspended_is_the_same_incident_in_both_functions() {
    assert_eq!(
        s3_deletion_guard::VERSIONING_SUSPENDED,
        protection_guard::catalog::VERSIONING_SUSPENDED
    );
    assert_eq!(
        s3_deletion_guard::KEY_REGENERATED,
        protection_guard::catalog::KEY_REGENERATED
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bucket_whose_tags_cannot_be_read_fails_the_invocation_for_a_retry_and_counts_nothing() {
    let world = World::new("sdg-denied").await;
    let uploads = bucket(&world, "uploads");
    create_bucket(&world.sdk, &uploads, &[("phoenix:data", "true")], false).await;
    let guard = world.guard();
    let clients = Clients::new(&world.sdk, &world.config);
    let fault = phoenix_tests::Emulator::shared().control(
        "POST",
        "/_phoenix/faults",
        &json!({"Service": "s3", "Operation": "GetBucketTagging", "ResourceArn": uploads,
                "Status": 403, "Code": "AccessDenied", "Message": "Access Denied"}),
    );
    let deleted = classic("classic-delete-unversioned", &uploads, "a.txt", None);
    let err = send_with(&guard, &clients, &deleted)
        .await
        .expect_err("cannot tell");
    assert_eq!(err.error_type(), "PhoenixGuard.RetryNeeded");
    assert!(err.to_string().contains("AccessDenied"), "{err}");
    assert!(world.alerts().await.is_empty());
    assert_eq!(
        world
            .metric_sum(
                "ConfirmationsFailed",
                &[("Check", "data-permanently-deleted")]
            )
            .await,
        Some(1.0)
    );

    // The retry after the fault is lifted counts the deletion once and pages.
    let id = fault["Id"].as_str().unwrap();
    phoenix_tests::Emulator::shared().control(
        "DELETE",
        &format!("/_phoenix/faults/{id}"),
        &json!({}),
    );
    send_with(&guard, &clients, &deleted)
        .await
        .expect("delivered");
    let checks: Vec<String> = world
        .alerts()
        .await
        .iter()
        .map(|a| a.check().to_owned())
        .collect();
    assert!(
        checks.contains(&"data-permanently-deleted".to_owned()),
        "{checks:?}"
    );
    assert_eq!(
        world
            .metric_sum("ObjectsPermanentlyDeleted", &[("Bucket", &uploads)])
            .await,
        Some(1.0)
    );
}
