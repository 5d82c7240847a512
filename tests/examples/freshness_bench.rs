//! Benchmark: `backup-freshness` over a large account in the emulator.
//!
//! Seeds N resources (default 10,000: 40 RDS instances, the emulator's limit, 20% DynamoDB
//! tables, the rest EFS file systems) and 50 daily plans
//! that select them by tag, with recovery points through real `StartBackupJob` calls: 97%
//! fresh, 2% stale, 1% never backed up. Then runs one evaluation and prints resources
//! evaluated, AWS API calls made (counted by the emulator, by operation and per resource),
//! wall time and the process's peak memory during the evaluation. Run with `tests/bench/freshness [N]`.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)] // benchmark code

use futures_util::stream::{self, StreamExt};
use phoenix_account::freshness::collect::Clients;
use phoenix_shared::Timestamp;
use phoenix_tests::account::{BACKUP_ROLE, backup_job, create_plan, in_region, scheduled_event};
use phoenix_tests::{Emulator, World};
use std::time::Instant;

const PLANS: usize = 50;
const REGION: &str = "ap-southeast-2";

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .map(|a| a.parse().expect("N is a number of resources"))
        .unwrap_or(10_000);
    let emulator = Emulator::shared();
    let mut world = World::new("bench").await;
    world.config.aws_region = Some(REGION.to_owned());
    let sdk = in_region(&world.sdk, REGION);
    let seeding = Instant::now();

    for p in 0..PLANS {
        let plan = create_plan(&sdk, &format!("plan-{p}"), "cron(0 3 ? * * *)", 60).await;
        let selection = aws_sdk_backup::types::BackupSelection::builder()
            .selection_name(format!("tagged-{p}"))
            .iam_role_arn(BACKUP_ROLE)
            .list_of_tags(
                aws_sdk_backup::types::Condition::builder()
                    .condition_type(aws_sdk_backup::types::ConditionType::Stringequals)
                    .condition_key("backup-plan")
                    .condition_value(format!("plan-{p}"))
                    .build()
                    .expect("tag condition"),
            )
            .build()
            .expect("selection");
        aws_sdk_backup::Client::new(&sdk)
            .create_backup_selection()
            .backup_plan_id(&plan)
            .backup_selection(selection)
            .send()
            .await
            .expect("selection");
    }

    let efs = aws_sdk_efs::Client::new(&sdk);
    let rds = aws_sdk_rds::Client::new(&sdk);
    let dynamodb = aws_sdk_dynamodb::Client::new(&sdk);
    let arns: Vec<String> = stream::iter(0..n)
        .map(|i| {
            let (efs, rds, dynamodb) = (efs.clone(), rds.clone(), dynamodb.clone());
            async move {
                let plan = format!("plan-{}", i % PLANS);
                match i % 5 {
                    // moto caps an account at 40 DB instances; the rest are EFS.
                    0 if i / 5 < 40 => rds
                        .create_db_instance()
                        .db_instance_identifier(format!("db-{i}"))
                        .db_instance_class("db.t4g.micro")
                        .engine("postgres")
                        .allocated_storage(20)
                        .master_username("phoenix")
                        .master_user_password("not-a-secret-1")
                        .tags(
                            aws_sdk_rds::types::Tag::builder()
                                .key("backup-plan")
                                .value(&plan)
                                .build(),
                        )
                        .send()
                        .await
                        .expect("db")
                        .db_instance()
                        .and_then(|d| d.db_instance_arn())
                        .expect("arn")
                        .to_owned(),
                    1 => {
                        let out = dynamodb
                            .create_table()
                            .table_name(format!("table-{i}"))
                            .attribute_definitions(
                                aws_sdk_dynamodb::types::AttributeDefinition::builder()
                                    .attribute_name("pk")
                                    .attribute_type(aws_sdk_dynamodb::types::ScalarAttributeType::S)
                                    .build()
                                    .expect("attr"),
                            )
                            .key_schema(
                                aws_sdk_dynamodb::types::KeySchemaElement::builder()
                                    .attribute_name("pk")
                                    .key_type(aws_sdk_dynamodb::types::KeyType::Hash)
                                    .build()
                                    .expect("key"),
                            )
                            .billing_mode(aws_sdk_dynamodb::types::BillingMode::PayPerRequest)
                            .tags(
                                aws_sdk_dynamodb::types::Tag::builder()
                                    .key("backup-plan")
                                    .value(&plan)
                                    .build()
                                    .expect("tag"),
                            )
                            .send()
                            .await
                            .expect("table");
                        out.table_description()
                            .and_then(|t| t.table_arn())
                            .expect("arn")
                            .to_owned()
                    }
                    _ => efs
                        .create_file_system()
                        .creation_token(format!("fs-{i}"))
                        .tags(
                            aws_sdk_efs::types::Tag::builder()
                                .key("backup-plan")
                                .value(&plan)
                                .build()
                                .expect("tag"),
                        )
                        .send()
                        .await
                        .expect("fs")
                        .file_system_arn()
                        .expect("arn")
                        .to_owned(),
                }
            }
        })
        .buffer_unordered(8)
        .collect()
        .await;
    let sdk_ref = &sdk;
    stream::iter(arns.iter().enumerate())
        .map(|(i, arn)| async move {
            let plan = format!("plan-{}", i % PLANS);
            match i % 100 {
                0 => {} // never backed up
                1 | 2 => {
                    backup_job(sdk_ref, &plan, arn, "COMPLETED", 40.0, None).await;
                }
                _ => {
                    backup_job(sdk_ref, &plan, arn, "COMPLETED", 5.0, None).await;
                }
            }
        })
        .buffer_unordered(8)
        .collect::<Vec<()>>()
        .await;
    let seeded = seeding.elapsed();

    emulator.control("DELETE", "/_phoenix/stats", &serde_json::json!({}));
    let clients = Clients::current(&sdk);
    let guard = world.guard();
    let now = Timestamp::now();
    let before_mb = phoenix_tests::memory::resident_mb();
    phoenix_tests::memory::reset_peak();
    let started = Instant::now();
    let result = backup_freshness::handle(
        &guard,
        &clients,
        &scheduled_event(&now.to_string()),
        "bench-1",
        now,
    )
    .await;
    let wall = started.elapsed();
    let peak_mb = phoenix_tests::memory::peak_mb();
    let stats = emulator.control("GET", "/_phoenix/stats", &serde_json::json!({}));

    let mut calls: Vec<(String, u64)> = stats["Calls"]
        .as_object()
        .expect("calls")
        .iter()
        .map(|(k, v)| (k.clone(), v.as_u64().unwrap_or(0)))
        .collect();
    calls.sort_by_key(|c| std::cmp::Reverse(c.1));
    let total: u64 = calls.iter().map(|(_, c)| c).sum();
    let aws_reads: u64 = calls
        .iter()
        .filter(|(k, _)| {
            !k.starts_with("dynamodb.UpdateItem")
                && !k.starts_with("sns.")
                && !k.starts_with("monitoring.")
        })
        .filter(|(k, _)| !k.starts_with("dynamodb.Scan"))
        .map(|(_, c)| c)
        .sum();
    println!(
        "backup-freshness benchmark ({} build, emulator on loopback)",
        if cfg!(debug_assertions) {
            "debug"
        } else {
            "release"
        }
    );
    println!(
        "seeded {n} resources and {PLANS} plans in {:.1} s",
        seeded.as_secs_f64()
    );
    match &result {
        Ok(summary) => println!("result: {summary}"),
        Err(err) => println!("result: error {err}"),
    }
    println!("wall time of one evaluation: {:.2} s", wall.as_secs_f64());
    println!(
        "memory: {before_mb:.0} MB resident before the evaluation (the seeding's clients), peak {peak_mb:.0} MB during it (+{:.0} MB)",
        peak_mb - before_mb
    );
    println!(
        "AWS API calls: {total} in all, {aws_reads} reads of the account ({:.3} per resource)",
        aws_reads as f64 / n.max(1) as f64
    );
    for (operation, count) in calls {
        println!("  {count:>7}  {operation}");
    }
}
