//! `tests/bench/plan-gate`: the pre-apply gate on a large plan. Writes a `terraform show
//! -json` plan of N changes (default 5,000), S of them destroying data stores (default 500:
//! EFS, RDS, DynamoDB and S3 in equal parts, half of each decided by its own settings), the
//! rest bulky changes of other types with the prior state and configuration a real plan
//! repeats; seeds the emulator with what the verdicts read (fresh recovery points for half
//! the file systems, objects in half the buckets); then reads the plan streamed, reads the
//! facts and judges, printing wall time per phase, the peak memory of the reading, and the
//! AWS calls made per data store.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use phoenix_tests::account::{backup_job_into, create_bucket, create_vault, put_object};
use phoenix_tests::memory::{peak_mb, reset_peak, resident_mb};
use phoenix_tests::{Emulator, World};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::io::Write;
use std::time::Instant;

/// The `i`th data store's destroy: its type, `before`, and whether its settings decide it.
fn store(i: usize, account: &str, prefix: &str) -> (String, Value) {
    let half = (i / 4).is_multiple_of(2);
    match i % 4 {
        0 => (
            "aws_efs_file_system".to_owned(),
            json!({"arn": format!("arn:aws:elasticfilesystem:eu-west-1:{account}:file-system/fs-{i:08x}"),
                   "id": format!("fs-{i:08x}"), "encrypted": true}),
        ),
        1 => (
            "aws_db_instance".to_owned(),
            json!({"arn": format!("arn:aws:rds:eu-west-1:{account}:db:db-{i}"), "identifier": format!("db-{i}"),
                   "skip_final_snapshot": !half, "final_snapshot_identifier": format!("db-{i}-final"),
                   "deletion_protection": false, "password": "bench-planted"}),
        ),
        2 => (
            "aws_dynamodb_table".to_owned(),
            json!({"arn": format!("arn:aws:dynamodb:eu-west-1:{account}:table/t-{i}"), "name": format!("t-{i}"),
                   "point_in_time_recovery": [{"enabled": half}], "deletion_protection_enabled": false}),
        ),
        _ => (
            "aws_s3_bucket".to_owned(),
            json!({"arn": format!("arn:aws:s3:::{prefix}-{i}"), "bucket": format!("{prefix}-{i}"),
                   "force_destroy": true}),
        ),
    }
}

/// Writes the plan, one change at a time; its size in bytes.
fn write_plan(
    path: &std::path::Path,
    changes: usize,
    stores: usize,
    account: &str,
    prefix: &str,
) -> u64 {
    let mut out = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    let policy = "x".repeat(1500);
    let other = |i: usize| {
        json!({"arn": format!("arn:aws:iam::{account}:policy/p{i}"), "name": format!("p{i}"),
               "policy": policy, "tags_all": {"team": "platform"}})
    };
    write!(out, r#"{{"format_version":"1.2","terraform_version":"1.11.4","planned_values":{{"root_module":{{}}}},"resource_changes":["#).unwrap();
    for i in 0..changes {
        if i > 0 {
            out.write_all(b",").unwrap();
        }
        let (kind, before, actions) = if i < stores {
            let (kind, before) = store(i, account, prefix);
            (kind, before, json!(["delete"]))
        } else {
            ("aws_iam_policy".to_owned(), other(i), json!(["update"]))
        };
        let after = if i < stores { Value::Null } else { other(i) };
        let change = json!({
            "address": format!("module.app{}.{kind}.r{i}", i % 40), "module_address": format!("module.app{}", i % 40),
            "mode": "managed", "type": kind, "name": format!("r{i}"),
            "change": {"actions": actions, "before": before, "after": after, "after_unknown": {},
                       "before_sensitive": {"password": true}, "after_sensitive": {}}
        });
        serde_json::to_writer(&mut out, &change).unwrap();
    }
    // What a real plan repeats: the prior state and the configuration.
    out.write_all(br#"],"prior_state":{"values":{"root_module":{"resources":["#)
        .unwrap();
    for i in 0..changes {
        if i > 0 {
            out.write_all(b",").unwrap();
        }
        serde_json::to_writer(
            &mut out,
            &json!({"address": format!("r{i}"), "values": other(i)}),
        )
        .unwrap();
    }
    out.write_all(br#"]}}},"configuration":{"root_module":{}}}"#)
        .unwrap();
    out.flush().unwrap();
    std::fs::metadata(path).unwrap().len()
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let arg = |n: usize, default: usize| {
        std::env::args()
            .nth(n)
            .and_then(|a| a.parse().ok())
            .unwrap_or(default)
    };
    let (changes, stores) = (arg(1, 5000), arg(2, 500));
    assert!(
        stores <= changes,
        "usage: plan-gate [CHANGES] [DATA_STORES]"
    );
    let account = "219900000001";
    let world = World::in_account("plan-gate", account).await;
    let prefix = format!("bench-{}", std::process::id());

    // What the verdicts read: fresh recovery points for half the file systems, objects in
    // half the buckets.
    let started = Instant::now();
    create_vault(&world.sdk, "bench", None).await;
    for i in 0..stores {
        let (kind, before) = store(i, account, &prefix);
        let half = (i / 4).is_multiple_of(2);
        match kind.as_str() {
            "aws_efs_file_system" if half => {
                backup_job_into(
                    &world.sdk,
                    "bench",
                    before["arn"].as_str().unwrap(),
                    "COMPLETED",
                    2.0,
                    None,
                )
                .await;
            }
            "aws_s3_bucket" => {
                let bucket = before["bucket"].as_str().unwrap();
                create_bucket(&world.sdk, bucket, &[], false).await;
                if half {
                    put_object(&world.sdk, bucket, "a.png", "0123456789").await;
                }
            }
            _ => {}
        }
    }
    println!(
        "emulator seeded in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    let path = std::env::temp_dir().join(format!("phoenix-bench-plan-{}.json", std::process::id()));
    let size = write_plan(&path, changes, stores, account, &prefix);
    println!(
        "plan: {changes} changes, {stores} destroying data stores, {:.1} MB",
        size as f64 / 1e6
    );

    reset_peak();
    let resident = resident_mb();
    let started = Instant::now();
    let plan = phoenix_terraform::plan::read(std::fs::File::open(&path).unwrap()).unwrap();
    let read_s = started.elapsed().as_secs_f64();
    let peak = peak_mb();
    std::fs::remove_file(&path).ok();
    println!(
        "read (streamed): {:.2} s, {} judged change(s) kept, {} other(s) counted; peak memory {peak:.1} MB ({:+.1} MB over the {resident:.1} MB resident before)",
        read_s,
        plan.changes.len(),
        plan.other_changes,
        peak - resident
    );

    let clients = phoenix_account::Clients::current(&world.sdk);
    let before = Emulator::shared().calls_in(account);
    let started = Instant::now();
    let facts = phoenix_account::gate::read::facts(
        &clients,
        &plan,
        phoenix_shared::Timestamp::now(),
        86_400,
    )
    .await;
    let facts_s = started.elapsed().as_secs_f64();
    let after = Emulator::shared().calls_in(account);
    let made: BTreeMap<&str, u64> = after
        .iter()
        .map(|(k, v)| (k.as_str(), v - before.get(k).copied().unwrap_or(0)))
        .filter(|(_, n)| *n > 0)
        .collect();
    let total: u64 = made.values().sum();
    let started = Instant::now();
    let judged = phoenix_account::gate::judge(&plan, &facts, &world.config);
    let judge_s = started.elapsed().as_secs_f64();
    let mut verdicts: BTreeMap<&str, usize> = BTreeMap::new();
    for j in &judged {
        *verdicts.entry(j.verdict.as_str()).or_default() += 1;
    }
    println!(
        "facts: {facts_s:.2} s, {total} AWS call(s), {:.2} per data store: {made:?}",
        total as f64 / stores.max(1) as f64
    );
    println!("judge: {:.3} s; verdicts {verdicts:?}", judge_s);
    println!(
        "total (read + facts + judge): {:.2} s",
        read_s + facts_s + judge_s
    );
    assert!(
        !format!("{plan:?}{judged:?}").contains("bench-planted"),
        "a sensitive value was kept"
    );
}
