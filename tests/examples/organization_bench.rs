//! Benchmark: an organization's freshness sweep through the dispatcher and the queue.
//!
//! Seeds A member accounts (default 50) through AWS Organizations, each with its reader
//! role and, in each of 2 regions, R EFS file systems (default 200) in a daily plan with a
//! fresh recovery point, 1% of them never backed up. Then the dispatcher queues one message
//! per (account, region), and C workers (default 10, the event source mapping's maximum
//! concurrency) each play one warm Lambda container of `backup-freshness`: take up to 5
//! messages, sweep them (through `account::reach`), delete the ones not returned. Prints
//! the wall time, the Lambda time (sum of invocation durations, and GB-seconds at 512 MB),
//! AWS API calls per resource and per target (counted by the emulator), and the figures
//! the hourly sweep of a larger organization would take.
//! Run with `tests/bench/organization [ACCOUNTS] [RESOURCES_PER_REGION] [CONCURRENCY]`.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)] // benchmark code

use futures_util::stream::{self, StreamExt};
use phoenix_account::reach::Reach;
use phoenix_shared::Timestamp;
use phoenix_shared::config::TargetAccounts;
use phoenix_shared::runtime::Invocation;
use phoenix_tests::account::{backup_job, create_plan, in_region, select};
use phoenix_tests::organization::{
    READER_ROLE, create_organization, create_queue, create_reader_role, receive_batch, sdk_in,
};
use phoenix_tests::{Emulator, World};
use serde_json::{Value, json};
use std::time::{Duration, Instant};

const REGIONS: [&str; 2] = ["eu-west-1", "us-east-1"];
const BATCH: i32 = 5;
const MEMORY_GB: f64 = 0.5;

fn arg(n: usize, default: usize) -> usize {
    std::env::args()
        .nth(n)
        .map_or(default, |a| a.parse().expect("a whole number"))
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let (accounts, per_region, concurrency) = (arg(1, 50), arg(2, 200), arg(3, 10));
    let emulator = Emulator::shared();
    let mut central = World::in_account("org-bench", "350000000001").await;
    let seeding = Instant::now();
    let names: Vec<String> = (0..accounts).map(|i| format!("member-{i}")).collect();
    let name_refs: Vec<&str> = names.iter().map(String::as_str).collect();
    let members = create_organization(&central.sdk, &name_refs).await;
    let central_account = central.account.clone();
    // The central account's member part, for its other region.
    create_reader_role(&central.sdk, &central_account).await;
    stream::iter(members.clone())
        .for_each_concurrent(4, |member| {
            let central_account = central_account.clone();
            async move {
                let sdk = sdk_in(&member).await;
                create_reader_role(&sdk, &central_account).await;
                for region in REGIONS {
                    let sdk = in_region(&sdk, region);
                    let plan = create_plan(&sdk, "daily", "cron(0 3 ? * * *)", 35).await;
                    let arns: Vec<String> = stream::iter(0..per_region)
                        .map(|i| {
                            let efs = aws_sdk_efs::Client::new(&sdk);
                            async move {
                                efs.create_file_system()
                                    .creation_token(format!("fs-{i}"))
                                    .send()
                                    .await
                                    .expect("fs")
                                    .file_system_arn()
                                    .expect("arn")
                                    .to_owned()
                            }
                        })
                        .buffer_unordered(4)
                        .collect()
                        .await;
                    let refs: Vec<&str> = arns.iter().map(String::as_str).collect();
                    select(&sdk, &plan, "everything", &refs).await;
                    let sdk = &sdk;
                    stream::iter(arns.iter().enumerate().filter(|(i, _)| i % 100 != 0))
                        .for_each_concurrent(4, |(_, arn)| async move {
                            backup_job(sdk, "daily", arn, "COMPLETED", 5.0, None).await;
                        })
                        .await;
                }
            }
        })
        .await;
    let seeded = seeding.elapsed();

    let queue = create_queue(&central.sdk, "org-bench-freshness").await;
    let org = &mut central.config.organization;
    org.accounts = TargetAccounts::Organization;
    org.regions = REGIONS.iter().map(|r| (*r).to_owned()).collect();
    org.reader_role = Some(READER_ROLE.to_owned());
    org.sweep_queues = vec![("backup-freshness".to_owned(), queue.clone())];
    let guard = central.guard();

    emulator.control("DELETE", "/_phoenix/stats", &json!({}));
    let now = Timestamp::now();
    let started = Instant::now();
    let dispatched = sweep_dispatcher::handle(
        &guard,
        &sweep_dispatcher::Clients::current(&central.sdk),
        &json!({"sweep": "backup-freshness", "time": now.to_string()}),
        &central.account,
        "dispatch",
        now,
    )
    .await
    .expect("dispatched");
    let dispatch_time = started.elapsed();

    // C warm containers, each with its own reach (and so its own assumed credentials).
    let sweeps_started = Instant::now();
    let results: Vec<(Duration, usize, usize, usize)> = stream::iter(0..concurrency)
        .map(|worker| {
            let (guard, sdk, queue, account) =
                (&guard, &central.sdk, &queue, central.account.clone());
            async move {
                let reach = Reach::new(sdk, Some(READER_ROLE.to_owned()), "bench");
                let sqs = aws_sdk_sqs::Client::new(sdk);
                let (mut busy, mut invocations, mut targets, mut failed) =
                    (Duration::ZERO, 0, 0, 0);
                loop {
                    let (batch, handles) = receive_batch(sdk, queue, BATCH, 900).await;
                    if handles.is_empty() {
                        break;
                    }
                    let took = Instant::now();
                    let response = backup_freshness::invoke(
                        guard,
                        &reach,
                        Invocation {
                            payload: batch,
                            id: format!("w{worker}-{invocations}"),
                            account: account.clone(),
                            now,
                        },
                    )
                    .await
                    .expect("a partial batch response");
                    busy += took.elapsed();
                    invocations += 1;
                    targets += handles.len();
                    let returned: Vec<&str> = response["batchItemFailures"]
                        .as_array()
                        .map(|f| {
                            f.iter()
                                .filter_map(|x| x["itemIdentifier"].as_str())
                                .collect()
                        })
                        .unwrap_or_default();
                    failed += returned.len();
                    for (id, handle) in &handles {
                        if !returned.contains(&id.as_str()) {
                            sqs.delete_message()
                                .queue_url(queue)
                                .receipt_handle(handle)
                                .send()
                                .await
                                .expect("delete");
                        }
                    }
                }
                (busy, invocations, targets, failed)
            }
        })
        .buffer_unordered(concurrency)
        .collect()
        .await;
    let sweep_wall = sweeps_started.elapsed();
    let stats = emulator.control("GET", "/_phoenix/stats", &json!({}));

    let lambda: Duration = results.iter().map(|r| r.0).sum();
    let invocations: usize = results.iter().map(|r| r.1).sum();
    let swept: usize = results.iter().map(|r| r.2).sum();
    let failed: usize = results.iter().map(|r| r.3).sum();
    let target_count = accounts * REGIONS.len() + REGIONS.len();
    let resources = accounts * REGIONS.len() * per_region;
    let calls: Vec<(String, u64)> = stats["Calls"]
        .as_object()
        .expect("calls")
        .iter()
        .map(|(k, v)| (k.clone(), v.as_u64().unwrap_or(0)))
        .collect();
    let total: u64 = calls.iter().map(|(_, c)| c).sum();
    let reads: u64 = calls
        .iter()
        .filter(|(k, _)| {
            ![
                "dynamodb.UpdateItem",
                "dynamodb.Scan",
                "sns.",
                "monitoring.",
                "sqs.",
                "sts.",
                "organizations.",
            ]
            .iter()
            .any(|p| k.starts_with(p))
        })
        .map(|(_, c)| c)
        .sum();
    let per_target = lambda.as_secs_f64() / swept.max(1) as f64;
    println!(
        "organization benchmark ({} build, emulator on loopback, 2 cores)",
        if cfg!(debug_assertions) {
            "debug"
        } else {
            "release"
        }
    );
    println!(
        "seeded {accounts} member accounts x {} regions x {per_region} file systems ({resources} resources) in {:.0} s",
        REGIONS.len(),
        seeded.as_secs_f64()
    );
    println!(
        "dispatch: {} targets queued in {:.2} s ({dispatched})",
        dispatched["messages"],
        dispatch_time.as_secs_f64()
    );
    println!(
        "sweep: {swept} targets ({target_count} expected, {failed} returned to the queue) in {invocations} invocations of up to {BATCH}, at concurrency {concurrency}: wall {:.1} s",
        sweep_wall.as_secs_f64()
    );
    println!(
        "Lambda time: {:.1} s in all, {per_target:.2} s per target; {:.1} GB-s at {:.0} MB",
        lambda.as_secs_f64(),
        lambda.as_secs_f64() * MEMORY_GB,
        MEMORY_GB * 1024.0
    );
    println!(
        "AWS API calls: {total} in all, {reads} reads of the members ({:.3} per resource, {:.1} per target)",
        reads as f64 / resources.max(1) as f64,
        reads as f64 / swept.max(1) as f64
    );
    let mut sorted = calls.clone();
    sorted.sort_by_key(|c| std::cmp::Reverse(c.1));
    for (operation, count) in sorted.iter().take(20) {
        println!("  {count:>7}  {operation}");
    }
    // An hour holds 3600 s of each of the mapping's concurrent containers.
    let hourly = (3600.0 * concurrency as f64 / per_target.max(0.001)) as u64;
    println!(
        "one hourly sweep at concurrency {concurrency}: about {hourly} targets of {per_region} resources ({:.0} accounts of 2 regions) at this per-target time",
        hourly as f64 / 2.0
    );
    let value: Value = json!({"targets": swept, "failed": failed});
    assert_eq!(value["failed"], 0, "every target swept");
}
