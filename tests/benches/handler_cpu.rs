//! `cargo bench -p phoenix-tests --bench handler-cpu` (`make bench`): CPU time per event of
//! the event-driven handlers, AWS excluded. Every AWS call is answered inside the process,
//! at once, with a body shaped as AWS's: building, signing and sending each request and
//! parsing its answer are counted, waiting for AWS is not. Everything runs on one thread,
//! whose own CPU clock (`/proc/thread-self/schedstat`) is read around the events.
//! Each AWS call's own CPU cost is measured alone first (same client, inputs of the size the
//! handlers send) and subtracted, call by call, to give the handler's own CPU time: the
//! figure issue 8 sets a target for (at most 200 µs per event, AWS calls excluded).
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use aws_config::BehaviorVersion;
use aws_sdk_dynamodb::config::{Credentials, Region};
use aws_smithy_http_client::test_util::infallible_client_fn;
use phoenix_shared::{Config, Guard, Timestamp};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

const WARM_UP: usize = 200;
const EVENTS: usize = 3_000;
const TARGET: Duration = Duration::from_micros(200);

/// Requests answered, by operation, and the ones nothing here answers.
static CALLS_SEEN: Mutex<BTreeMap<String, u64>> = Mutex::new(BTreeMap::new());

fn thread_cpu() -> Duration {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat").expect("schedstat");
    let ns: u64 = text
        .split_whitespace()
        .next()
        .and_then(|n| n.parse().ok())
        .expect("CPU time");
    Duration::from_nanos(ns)
}

fn reply(status: u16, content_type: &str, body: impl Into<Vec<u8>>) -> http::Response<Vec<u8>> {
    http::Response::builder()
        .status(status)
        .header("content-type", content_type)
        .header("smithy-protocol", "rpc-v2-cbor")
        .header("x-amzn-requestid", "bench")
        .body(body.into())
        .unwrap()
}

/// AWS's answer to one request, by protocol: JSON (DynamoDB), query/XML (SNS), REST-XML
/// (S3), rpc-v2-cbor (CloudWatch).
fn answer<B>(request: &http::Request<B>) -> http::Response<Vec<u8>> {
    let target = request
        .headers()
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let host = request.uri().host().unwrap_or_default().to_owned();
    let path = request.uri().path().to_owned();
    let query = request.uri().query().unwrap_or_default().to_owned();
    let (operation, response) = if let Some(op) = target.strip_prefix("DynamoDB_20120810.") {
        let body = if op == "UpdateItem" {
            // What the deletion tally reads back (ALL_NEW); the ledger reads its own fields
            // from ALL_OLD and finds none: a finding never seen before.
            json!({"Attributes": {
                "episode": {"S": "20261124T091405Z"},
                "deleted": {"N": "1"},
                "last_seen": {"N": "1795425245"},
                "samples": {"L": []}
            }})
            .to_string()
        } else {
            "{}".to_owned()
        };
        (
            format!("dynamodb:{op}"),
            reply(200, "application/x-amz-json-1.0", body),
        )
    } else if path.ends_with("/operation/PutMetricData") {
        // An empty CBOR map: PutMetricData has no output members.
        (
            "cloudwatch:PutMetricData".to_owned(),
            reply(200, "application/cbor", vec![0xa0]),
        )
    } else if host.starts_with("backup.") {
        // AWS Backup (REST-JSON): the restore test restore-validator judges.
        let restore = json!({
            "RestoreJobId": "5F6E7D8C-9B0A-4F1E-8D2C-3B4A5F6E7D8C",
            "Status": "COMPLETED",
            "ResourceType": "EFS",
            "RecoveryPointArn": "arn:aws:backup:eu-west-1:123456789012:recovery-point:e7a9c1b3-5d7f-4a9c-8e0b-2d4f6a8c0e1f",
            "SourceResourceArn": "arn:aws:elasticfilesystem:eu-west-1:123456789012:file-system/fs-0c5e2a7d1b9f4e8a1",
            "BackupVaultArn": "arn:aws:backup:eu-west-1:123456789012:backup-vault:cochlearis-dev-backup-vault",
            "CreatedResourceArn": "arn:aws:elasticfilesystem:eu-west-1:123456789012:file-system/fs-0d9e8f7a6b5c4d3e2",
            "CreationDate": 1_795_424_800.0,
            "CompletionDate": 1_795_425_250.0,
            "CreatedBy": {"RestoreTestingPlanArn": "arn:aws:backup:eu-west-1:123456789012:restore-testing-plan:monthly"},
        });
        if path.ends_with("/validations") {
            (
                "backup:PutRestoreValidationResult".to_owned(),
                reply(200, "application/json", "{}"),
            )
        } else if path.starts_with("/restore-jobs/") {
            (
                "backup:DescribeRestoreJob".to_owned(),
                reply(200, "application/json", restore.to_string()),
            )
        } else if path.contains("/recovery-points/") {
            (
                "backup:DescribeRecoveryPoint".to_owned(),
                reply(
                    200,
                    "application/json",
                    json!({"BackupSizeInBytes": 1_887_437_312_i64, "Status": "COMPLETED"})
                        .to_string(),
                ),
            )
        } else {
            (
                format!("backup:? {path}"),
                reply(404, "application/json", "{}"),
            )
        }
    } else if host.starts_with("elasticfilesystem.") {
        (
            "elasticfilesystem:DescribeFileSystems".to_owned(),
            reply(
                200,
                "application/json",
                json!({"FileSystems": [{
                    "OwnerId": "123456789012", "CreationToken": "restore",
                    "FileSystemId": "fs-0d9e8f7a6b5c4d3e2", "CreationTime": 1_795_424_900.0,
                    "LifeCycleState": "available", "NumberOfMountTargets": 0,
                    "SizeInBytes": {"Value": 1_887_440_000_i64},
                    "PerformanceMode": "generalPurpose", "Tags": []
                }]})
                .to_string(),
            ),
        )
    } else if host.starts_with("sns.") {
        (
            "sns:Publish".to_owned(),
            reply(
                200,
                "text/xml",
                "<PublishResponse xmlns=\"http://sns.amazonaws.com/doc/2010-03-31/\"><PublishResult>\
                 <MessageId>5f2d7e8a-0c1b-4a3d-9e6f-7a8b9c0d1e2f</MessageId></PublishResult>\
                 <ResponseMetadata><RequestId>bench</RequestId></ResponseMetadata></PublishResponse>",
            ),
        )
    } else if host.contains(".s3.") || host.starts_with("s3.") {
        if query.contains("versioning") {
            (
                "s3:GetBucketVersioning".to_owned(),
                reply(
                    200,
                    "application/xml",
                    "<VersioningConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">\
                     <Status>Suspended</Status></VersioningConfiguration>",
                ),
            )
        } else if query.contains("tagging") {
            (
                "s3:GetBucketTagging".to_owned(),
                reply(
                    200,
                    "application/xml",
                    "<Tagging xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><TagSet>\
                     <Tag><Key>phoenix:data</Key><Value>true</Value></Tag></TagSet></Tagging>",
                ),
            )
        } else {
            (
                format!("s3:? {path}?{query}"),
                reply(404, "application/xml", ""),
            )
        }
    } else {
        (
            format!("unanswered {host} {path} {target}"),
            reply(400, "application/json", "{}"),
        )
    };
    *CALLS_SEEN.lock().unwrap().entry(operation).or_default() += 1;
    response
}

async fn sdk() -> aws_config::SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new("eu-west-1"))
        .credentials_provider(Credentials::new("AKIDBENCH", "secret", None, None, "bench"))
        .http_client(infallible_client_fn(|request| answer(&request)))
        .timeout_config(phoenix_shared::aws::timeouts())
        .load()
        .await
}

fn config() -> Config {
    Config::from_lookup(|key| match key {
        "PHOENIX_ALERT_TOPIC_ARN" => Some("arn:aws:sns:eu-west-1:123456789012:alerts".into()),
        "PHOENIX_FINDINGS_TABLE" => Some("findings".into()),
        "PHOENIX_ENVIRONMENT" => Some("bench".into()),
        "AWS_REGION" => Some("eu-west-1".into()),
        _ => None,
    })
    .expect("config")
}

struct Figures {
    cpu: Duration,
    wall: Duration,
    calls: BTreeMap<String, u64>,
}

/// Runs `event(i)` through `handle` for the warm-up, then measures `EVENTS` more.
async fn measure<F, Fut>(event: impl Fn(usize) -> Value, handle: F) -> Figures
where
    F: Fn(Value, String) -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    for i in 0..WARM_UP {
        assert!(
            handle(event(i), format!("warm-{i}")).await,
            "event {i} failed"
        );
    }
    CALLS_SEEN.lock().unwrap().clear();
    let events: Vec<Value> = (WARM_UP..WARM_UP + EVENTS).map(&event).collect();
    let (cpu, wall) = (thread_cpu(), Instant::now());
    for (i, e) in events.into_iter().enumerate() {
        assert!(handle(e, format!("bench-{i}")).await, "event {i} failed");
    }
    let n = u32::try_from(EVENTS).unwrap();
    Figures {
        cpu: (thread_cpu() - cpu) / n,
        wall: wall.elapsed() / n,
        calls: std::mem::take(&mut *CALLS_SEEN.lock().unwrap()),
    }
}

/// CPU time of one AWS call of each kind the handlers make, alone, with inputs of the size
/// the handlers send (a PagerDuty alert of about 3 KB, a ledger update with its condition).
async fn call_costs(sdk: &aws_config::SdkConfig) -> BTreeMap<String, Duration> {
    use aws_sdk_dynamodb::types::AttributeValue;
    const CALLS: u32 = 2_000;
    let dynamodb = aws_sdk_dynamodb::Client::new(sdk);
    let sns = aws_sdk_sns::Client::new(sdk);
    let cloudwatch = aws_sdk_cloudwatch::Client::new(sdk);
    let s3 = phoenix_shared::aws::s3_client(sdk);
    let backup = aws_sdk_backup::Client::new(sdk);
    let efs = aws_sdk_efs::Client::new(sdk);
    let key = "phoenix:123456789012:eu-west-1:backup-job-failed:arn:aws:elasticfilesystem:eu-west-1:123456789012:file-system/fs-0c5e2a7d1b9f4e8a1";
    let message = format!("{{\"payload\":{{\"summary\":\"{}\"}}}}", "x".repeat(3_000));
    let mut costs = BTreeMap::new();
    for op in [
        "dynamodb:UpdateItem",
        "dynamodb:PutItem",
        "sns:Publish",
        "cloudwatch:PutMetricData",
        "s3:GetBucketVersioning",
        "s3:GetBucketTagging",
        "backup:DescribeRestoreJob",
        "backup:DescribeRecoveryPoint",
        "backup:PutRestoreValidationResult",
        "elasticfilesystem:DescribeFileSystems",
    ] {
        let started = thread_cpu();
        for i in 0..CALLS {
            let ok = match op {
                "dynamodb:UpdateItem" => dynamodb
                    .update_item()
                    .table_name("findings")
                    .key("dedup_key", AttributeValue::S(key.to_owned()))
                    .condition_expression("attribute_not_exists(claim_id) OR claim_until < :now")
                    .update_expression("SET claim_id = :claim, claim_until = :until, last_seen = :now, severity = :severity")
                    .expression_attribute_values(":claim", AttributeValue::S(format!("bench-{i}#0")))
                    .expression_attribute_values(":until", AttributeValue::N("1795425350".to_owned()))
                    .expression_attribute_values(":now", AttributeValue::N("1795425300".to_owned()))
                    .expression_attribute_values(":severity", AttributeValue::S("critical".to_owned()))
                    .return_values(aws_sdk_dynamodb::types::ReturnValue::AllOld)
                    .send()
                    .await
                    .is_ok(),
                "dynamodb:PutItem" => dynamodb
                    .put_item()
                    .table_name("findings")
                    .item("dedup_key", AttributeValue::S(format!("seen:{key}:{i}")))
                    .item("counted", AttributeValue::Bool(false))
                    .item("sighted_at", AttributeValue::N("1795425300".to_owned()))
                    .item("expires_at", AttributeValue::N("1795511700".to_owned()))
                    .condition_expression("attribute_not_exists(dedup_key)")
                    .send()
                    .await
                    .is_ok(),
                "sns:Publish" => {
                    let attribute = |v: &str| {
                        aws_sdk_sns::types::MessageAttributeValue::builder()
                            .data_type("String")
                            .string_value(v)
                            .build()
                            .unwrap()
                    };
                    sns.publish()
                        .topic_arn("arn:aws:sns:eu-west-1:123456789012:alerts")
                        .subject("[critical] backup-job-failed")
                        .message(&message)
                        .message_attributes("severity", attribute("critical"))
                        .message_attributes("check", attribute("backup-job-failed"))
                        .message_attributes("notification", attribute("trigger"))
                        .message_attributes("environment", attribute("bench"))
                        .message_attributes("resource_type", attribute("EFS"))
                        .message_attributes("alarm_state", attribute("ALARM"))
                        .send()
                        .await
                        .is_ok()
                }
                "cloudwatch:PutMetricData" => {
                    let datum = |name: &str| {
                        aws_sdk_cloudwatch::types::MetricDatum::builder()
                            .metric_name(name)
                            .dimensions(aws_sdk_cloudwatch::types::Dimension::builder().name("Environment").value("bench").build())
                            .dimensions(aws_sdk_cloudwatch::types::Dimension::builder().name("Function").value("backup-events").build())
                            .value(1.0)
                            .unit(aws_sdk_cloudwatch::types::StandardUnit::Count)
                            .build()
                    };
                    cloudwatch
                        .put_metric_data()
                        .namespace("PhoenixGuard")
                        .metric_data(datum("BackupJobs"))
                        .metric_data(datum("EventsProcessed"))
                        .metric_data(datum("AlertsPublished"))
                        .metric_data(datum("FindingsOpened"))
                        .send()
                        .await
                        .is_ok()
                }
                "s3:GetBucketVersioning" => s3
                    .get_bucket_versioning()
                    .bucket(format!("uploads-{i}"))
                    .send()
                    .await
                    .is_ok(),
                "backup:DescribeRestoreJob" => backup
                    .describe_restore_job()
                    .restore_job_id(format!("job-{i}"))
                    .send()
                    .await
                    .is_ok(),
                "backup:DescribeRecoveryPoint" => backup
                    .describe_recovery_point()
                    .backup_vault_name("cochlearis-dev-backup-vault")
                    .recovery_point_arn("arn:aws:backup:eu-west-1:123456789012:recovery-point:e7a9c1b3-5d7f-4a9c-8e0b-2d4f6a8c0e1f")
                    .send()
                    .await
                    .is_ok(),
                "backup:PutRestoreValidationResult" => backup
                    .put_restore_validation_result()
                    .restore_job_id(format!("job-{i}"))
                    .validation_status(aws_sdk_backup::types::RestoreValidationStatus::Successful)
                    .validation_status_message("the restored file system holds 1.8 GiB (recovery point 1.8 GiB)")
                    .send()
                    .await
                    .is_ok(),
                "elasticfilesystem:DescribeFileSystems" => efs
                    .describe_file_systems()
                    .file_system_id("fs-0d9e8f7a6b5c4d3e2")
                    .send()
                    .await
                    .is_ok(),
                _ => s3
                    .get_bucket_tagging()
                    .bucket(format!("uploads-{i}"))
                    .send()
                    .await
                    .is_ok(),
            };
            assert!(ok, "{op} failed");
        }
        costs.insert(op.to_owned(), (thread_cpu() - started) / CALLS);
    }
    CALLS_SEEN.lock().unwrap().clear();
    costs
}

fn report(function: &str, what: &str, f: &Figures, costs: &BTreeMap<String, Duration>) {
    let per_event: Vec<String> = f
        .calls
        .iter()
        .map(|(op, n)| format!("{op} {:.2}", *n as f64 / EVENTS as f64))
        .collect();
    let in_calls: f64 = f
        .calls
        .iter()
        .map(|(op, n)| costs.get(op).map_or(0.0, Duration::as_secs_f64) * *n as f64 / EVENTS as f64)
        .sum();
    let own = f.cpu.as_secs_f64() - in_calls;
    println!(
        "handler-cpu: {function:<18} {:>6.1} µs CPU per event, of which {:>5.1} µs in the AWS calls and {:>5.1} µs the handler's own ({:.0}% of the {} µs target); {:>6.1} µs wall; {what}",
        f.cpu.as_secs_f64() * 1e6,
        in_calls * 1e6,
        own * 1e6,
        own / TARGET.as_secs_f64() * 100.0,
        TARGET.as_micros(),
        f.wall.as_secs_f64() * 1e6,
    );
    println!(
        "handler-cpu: {:<18} AWS calls per event: {}",
        "",
        per_event.join(", ")
    );
    if let Some(odd) = f
        .calls
        .keys()
        .find(|k| k.starts_with("unanswered") || k.contains('?'))
    {
        println!(
            "handler-cpu: {:<18} WARNING: a call had no realistic answer: {odd}",
            ""
        );
    }
}

/// Issue 23's measurement: the same four data points an event-driven handler writes, as one
/// `PutMetricData` call (its CPU, measured above) and as Embedded Metric Format lines written
/// to a file descriptor (what CloudWatch Logs turns into metrics, with no call and no
/// CloudWatch client); and what the CloudWatch client itself costs a cold start.
fn emf_versus_put_metric_data(sdk: &aws_config::SdkConfig, costs: &BTreeMap<String, Duration>) {
    use phoenix_shared::metrics::MetricPublisher;
    use std::io::Write as _;
    const FLUSHES: u32 = 20_000;
    let publisher = MetricPublisher::new(
        phoenix_shared::aws::Lazy::later(sdk, aws_sdk_cloudwatch::Client::new),
        "PhoenixGuard",
        "bench",
    );
    let batch = four_data_points();
    let at = Timestamp::from_epoch_seconds(1_795_425_300);
    // A pipe is what Lambda gives stdout; /dev/null costs the same write(2) without a reader.
    let mut out = std::io::LineWriter::new(std::fs::File::create("/dev/null").expect("/dev/null"));
    let mut bytes = 0;
    let started = thread_cpu();
    for _ in 0..FLUSHES {
        for line in publisher.emf_lines(&batch, at) {
            bytes += line.len() + 1;
            writeln!(out, "{line}").expect("write");
        }
    }
    let emf = (thread_cpu() - started) / FLUSHES;
    let put = costs
        .get("cloudwatch:PutMetricData")
        .copied()
        .unwrap_or_default();
    println!(
        "handler-cpu: metrics, 4 data points: PutMetricData {:.1} µs CPU per flush (plus a round trip and its share of a TLS connection); EMF {:.1} µs CPU and {} bytes of log per flush, no call",
        put.as_secs_f64() * 1e6,
        emf.as_secs_f64() * 1e6,
        bytes / FLUSHES as usize
    );
    let started = thread_cpu();
    let clients: Vec<_> = (0..200)
        .map(|_| aws_sdk_cloudwatch::Client::new(sdk))
        .collect();
    let build = (thread_cpu() - started) / 200;
    drop(clients);
    println!(
        "handler-cpu: building a CloudWatch client: {:.1} µs CPU (a cold start without one also skips its first TLS handshake to monitoring.<region>.amazonaws.com)",
        build.as_secs_f64() * 1e6
    );
}

/// One invocation's typical metrics: four counts.
fn four_data_points() -> phoenix_shared::MetricBatch {
    let mut batch = phoenix_shared::MetricBatch::new();
    for name in [
        "BackupJobs",
        "EventsProcessed",
        "AlertsPublished",
        "FindingsOpened",
    ] {
        batch.add(
            name,
            &[("Function", "backup-events")],
            1.0,
            phoenix_shared::metrics::Unit::Count,
        );
    }
    batch
}

/// The event-driven functions' metrics as deployed (EMF lines), written to /dev/null (opened
/// once, as Lambda's stdout pipe is) with a write per line.
fn emf_to_dev_null() -> phoenix_shared::metrics::MetricSink {
    let null = std::sync::Mutex::new(std::fs::File::create("/dev/null").expect("/dev/null"));
    phoenix_shared::metrics::MetricSink::EmfTo(std::sync::Arc::new(move |lines: Vec<String>| {
        use std::io::Write as _;
        if let Ok(mut null) = null.lock() {
            for line in lines {
                let _ = writeln!(null, "{line}");
            }
        }
        Box::pin(async {})
    }))
}

/// Wall time of one metrics flush as an invocation sees it: `PutMetricData` over real HTTP
/// to the local emulator (a round trip on loopback; in AWS add the network and, on a cold
/// start, a TLS handshake) against printing the same batch as EMF lines.
async fn flush_latency_against_the_emulator() {
    use phoenix_shared::metrics::MetricPublisher;
    const FLUSHES: u32 = 200;
    let emulator_sdk = phoenix_tests::Emulator::shared().sdk_config().await;
    let batch = four_data_points();
    let at = Timestamp::now();
    let api = MetricPublisher::new(
        phoenix_shared::aws::Lazy::later(&emulator_sdk, aws_sdk_cloudwatch::Client::new),
        "PhoenixGuardBench",
        "bench",
    );
    // The first call builds the client and opens the connection: a cold start's flush.
    let started = std::time::Instant::now();
    api.publish(&batch, at).await.expect("PutMetricData");
    let cold = started.elapsed();
    let started = std::time::Instant::now();
    for _ in 0..FLUSHES {
        api.publish(&batch, at).await.expect("PutMetricData");
    }
    let warm = started.elapsed() / FLUSHES;
    let emf = api.clone().with_sink(emf_to_dev_null());
    let started = std::time::Instant::now();
    for _ in 0..FLUSHES {
        emf.publish_or_log(&batch, at).await;
    }
    let printed = started.elapsed() / FLUSHES;
    println!(
        "handler-cpu: metrics flush latency, 4 data points: PutMetricData to the emulator {:.2} ms warm, {:.1} ms first (client and connection); EMF lines {:.3} ms",
        warm.as_secs_f64() * 1e3,
        cold.as_secs_f64() * 1e3,
        printed.as_secs_f64() * 1e3
    );
}

fn fixture(function: &str, name: &str) -> Value {
    phoenix_tests::fixture(function, name)
}

fn main() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let sdk = sdk().await;
        let costs = call_costs(&sdk).await;
        for (op, cost) in &costs {
            println!(
                "handler-cpu: one {op:<26} alone: {:>5.1} µs CPU",
                cost.as_secs_f64() * 1e6
            );
        }
        emf_versus_put_metric_data(&sdk, &costs);
        flush_latency_against_the_emulator().await;
        // As deployed: the event-driven functions print their metrics (EMF), here into
        // /dev/null as Lambda's stdout pipe would take them.
        let guard = Guard::new(config(), &sdk).with_metric_sink(emf_to_dev_null());
        let now = Timestamp::from_epoch_seconds(1_795_425_300);

        // backup-events: a failed EFS backup job on a file system of its own each time (a
        // page), then the next night's completed job (a resolve).
        let failed = fixture("backup-events", "backup-job-failed-efs.json");
        let completed = fixture("backup-events", "backup-job-completed-efs.json");
        let figures = measure(
            |i| {
                let mut e = if i % 2 == 0 {
                    failed.clone()
                } else {
                    completed.clone()
                };
                e["detail"]["resourceArn"] = json!(format!(
                    "arn:aws:elasticfilesystem:eu-west-1:123456789012:file-system/fs-{:017x}",
                    i / 2
                ));
                e
            },
            |e, id| {
                let guard = &guard;
                async move { backup_events::handle(guard, &e, &id, now).await.is_ok() }
            },
        )
        .await;
        report(
            "backup-events",
            "failed job / completed job, alternately",
            &figures,
            &costs,
        );

        // protection-guard: versioning suspended on a data bucket, a different bucket each
        // time, confirmed by reading its versioning and tags: a page.
        let clients = protection_guard::confirm::Clients::current(&sdk);
        let suspended = fixture(
            "protection-guard",
            "s3-put-bucket-versioning-suspended.json",
        );
        let figures = measure(
            |i| {
                let mut e = suspended.clone();
                e["detail"]["requestParameters"]["bucketName"] = json!(format!("uploads-{i}"));
                e
            },
            |e, id| {
                let (guard, clients) = (&guard, &clients);
                async move {
                    protection_guard::handle(guard, clients, &e, &id, now)
                        .await
                        .is_ok()
                }
            },
        )
        .await;
        report(
            "protection-guard",
            "PutBucketVersioning Suspended, confirmed",
            &figures,
            &costs,
        );

        // s3-deletion-guard: objects deleted for good from one unversioned data bucket, one
        // event each (its tags are cached after the first): each joins the burst.
        let clients = s3_deletion_guard::Clients::new(&sdk, &config());
        let deleted = fixture(
            "s3-deletion-guard",
            "eventbridge-object-deleted-permanent.json",
        );
        let figures = measure(
            |i| {
                let mut e = deleted.clone();
                e["id"] = json!(format!("event-{i}"));
                e["detail"]["object"]["key"] = json!(format!("user_uploads/2/{i:x}/notes.pdf"));
                e
            },
            |e, id| {
                let (guard, clients) = (&guard, &clients);
                async move {
                    let invocation = s3_deletion_guard::Invocation {
                        id: &id,
                        account: "123456789012",
                        now,
                    };
                    s3_deletion_guard::handle(guard, clients, &e, invocation)
                        .await
                        .is_ok()
                }
            },
        )
        .await;
        report(
            "s3-deletion-guard",
            "an object deleted for good, one bucket",
            &figures,
            &costs,
        );

        // restore-validator: a completed EFS restore test, judged whole and on time, its
        // verdict reported; a different restore job each time (resolves nothing open).
        let clients = restore_validator::Clients::current(&sdk);
        let restored = fixture("restore-validator", "restore-test-completed.json");
        let figures = measure(
            |i| {
                let mut e = restored.clone();
                e["detail"]["restoreJobId"] = json!(format!("job-{i}"));
                e
            },
            |e, id| {
                let (guard, clients) = (&guard, &clients);
                async move {
                    restore_validator::handle(guard, clients, &e, &id, now)
                        .await
                        .is_ok()
                }
            },
        )
        .await;
        report(
            "restore-validator",
            "a completed EFS restore test, validated and reported",
            &figures,
            &costs,
        );
    });
}
