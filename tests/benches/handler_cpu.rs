//! `cargo bench -p phoenix-tests --bench handler-cpu` (`make bench`): CPU time per event of
//! the event-driven handlers, AWS excluded. Every AWS call is answered inside the process,
//! at once, with a body shaped as AWS's: building, signing and sending each request and
//! parsing its answer are counted, waiting for AWS is not. Everything runs on one thread,
//! whose own CPU clock (`/proc/thread-self/schedstat`) is read around the events.
//! Target (issue 8): at most 200 µs per event for each of the three.
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
static CALLS: Mutex<BTreeMap<String, u64>> = Mutex::new(BTreeMap::new());

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
    *CALLS.lock().unwrap().entry(operation).or_default() += 1;
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
    CALLS.lock().unwrap().clear();
    let events: Vec<Value> = (WARM_UP..WARM_UP + EVENTS).map(&event).collect();
    let (cpu, wall) = (thread_cpu(), Instant::now());
    for (i, e) in events.into_iter().enumerate() {
        assert!(handle(e, format!("bench-{i}")).await, "event {i} failed");
    }
    let n = u32::try_from(EVENTS).unwrap();
    Figures {
        cpu: (thread_cpu() - cpu) / n,
        wall: wall.elapsed() / n,
        calls: std::mem::take(&mut *CALLS.lock().unwrap()),
    }
}

fn report(function: &str, what: &str, f: &Figures) {
    let per_event: Vec<String> = f
        .calls
        .iter()
        .map(|(op, n)| format!("{op} {:.2}", *n as f64 / EVENTS as f64))
        .collect();
    println!(
        "handler-cpu: {function:<18} {:>6.1} µs CPU per event ({:.0}% of the {} µs target), {:>6.1} µs wall; {what}",
        f.cpu.as_secs_f64() * 1e6,
        f.cpu.as_secs_f64() / TARGET.as_secs_f64() * 100.0,
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
        let guard = Guard::new(config(), &sdk);
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
        );

        // protection-guard: versioning suspended on a data bucket, a different bucket each
        // time, confirmed by reading its versioning and tags: a page.
        let clients = protection_guard::confirm::Clients::new(&sdk);
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
        );
    });
}
