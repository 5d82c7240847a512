//! `tests/bench/state-memory`: peak memory of comparing two versions of a large Terraform
//! state, streamed as `s3-deletion-guard` does, then of loading one whole, for comparison.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use aws_sdk_s3::primitives::ByteStream;
use phoenix_tests::account::{create_bucket, s3_client};
use phoenix_tests::memory::peak_mb;
use phoenix_tests::{Emulator, World};
use s3_deletion_guard::notice::{Change, Notice};
use std::io::Write;
use std::time::Instant;

/// Writes a state of about `mb` megabytes to a file, one resource at a time: many
/// resources with bulky attributes, among them data stores and generated keys.
fn write_state(path: &std::path::Path, mb: usize, serial: u64, drop_one: bool) {
    let mut out = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    write!(out, r#"{{"version":4,"terraform_version":"1.9.8","serial":{serial},"lineage":"bench","outputs":{{}},"resources":["#).unwrap();
    let policy = "x".repeat(1500);
    let mut written = 0usize;
    let mut i = 0usize;
    while written < mb * 1_000_000 {
        if i > 0 {
            out.write_all(b",").unwrap();
        }
        let record = match i % 50 {
            0 if !(drop_one && i == 0) => format!(
                r#"{{"module":"module.app{i}","mode":"managed","type":"aws_efs_file_system","name":"data","instances":[{{"attributes":{{"id":"fs-{i:08}","arn":"arn:aws:elasticfilesystem:eu-west-1:123456789012:file-system/fs-{i:08}","tags":{{"Name":"app{i}"}}}}}}]}}"#
            ),
            1 => format!(
                r#"{{"module":"module.app{i}","mode":"managed","type":"random_password","name":"master_key","instances":[{{"attributes":{{"id":"none","result":"value-{i}-{serial}"}}}}]}}"#
            ),
            _ => format!(
                r#"{{"module":"module.app{i}","mode":"managed","type":"aws_iam_policy","name":"p","instances":[{{"schema_version":0,"attributes":{{"id":"arn:aws:iam::123456789012:policy/p{i}","policy":"{policy}","tags_all":{{"a":"b"}}}},"sensitive_attributes":[],"dependencies":["module.app{i}.aws_iam_role.r"]}}]}}"#
            ),
        };
        written += record.len();
        out.write_all(record.as_bytes()).unwrap();
        i += 1;
    }
    out.write_all(b"]}").unwrap();
    out.flush().unwrap();
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let mb: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(50);
    let emulator = Emulator::shared();
    let world = World::new("state-bench").await;
    let bucket = format!("tfstate-{}", world.name).to_ascii_lowercase();
    create_bucket(&world.sdk, &bucket, &[], true).await;
    let s3 = s3_client(&world.sdk);
    // Uploading tens of megabytes to the emulator takes longer than the functions' 15 s.
    let uploads = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&world.sdk)
            .force_path_style(true)
            .timeout_config(
                aws_sdk_s3::config::timeout::TimeoutConfig::builder()
                    .operation_timeout(std::time::Duration::from_secs(600))
                    .operation_attempt_timeout(std::time::Duration::from_secs(600))
                    .build(),
            )
            .build(),
    );
    let dir = std::env::temp_dir();
    let mut versions = Vec::new();
    for (serial, drop_one) in [(1, false), (2, true)] {
        let path = dir.join(format!("phoenix-bench-state-{serial}.json"));
        write_state(&path, mb, serial, drop_one);
        let size = std::fs::metadata(&path).unwrap().len();
        let out = uploads
            .put_object()
            .bucket(&bucket)
            .key("terraform.tfstate")
            .body(ByteStream::from_path(&path).await.unwrap())
            .send()
            .await
            .expect("put state");
        versions.push((out.version_id.unwrap(), size));
        std::fs::remove_file(&path).ok();
    }
    let notice = Notice {
        change: Change::Created,
        event_name: "Object Created".into(),
        bucket: bucket.clone(),
        key: "terraform.tfstate".into(),
        version_id: Some(versions[1].0.clone()),
        sequencer: None,
        region: None,
        account: None,
        time: None,
        requester: None,
        source_ip: None,
    };
    println!(
        "emulator {}; state versions of {:.1} MB and {:.1} MB",
        emulator.endpoint,
        versions[0].1 as f64 / 1e6,
        versions[1].1 as f64 / 1e6
    );
    let baseline = peak_mb();
    let started = Instant::now();
    let before = s3_deletion_guard::state::summarize_version(&s3, &notice, &versions[0].0)
        .await
        .unwrap();
    let after = s3_deletion_guard::state::summarize_version(&s3, &notice, &versions[1].0)
        .await
        .unwrap();
    let changes = phoenix_terraform::state::compare(&before, &after, &world.config);
    let streamed = peak_mb();
    println!(
        "streamed comparison: {} + {} instances, {} data store(s) destroyed, {} key(s) regenerated, {:.2} s",
        before.instances,
        after.instances,
        changes.destroyed.len(),
        changes.rekeyed.len(),
        started.elapsed().as_secs_f64()
    );
    println!(
        "peak memory: {baseline:.1} MB before, {streamed:.1} MB after both versions (+{:.1} MB)",
        streamed - baseline
    );

    // For comparison: one version read whole and parsed into a JSON tree.
    let started = Instant::now();
    let body = s3
        .get_object()
        .bucket(&bucket)
        .key("terraform.tfstate")
        .version_id(&versions[0].0)
        .send()
        .await
        .unwrap()
        .body
        .collect()
        .await
        .unwrap()
        .into_bytes();
    let tree: serde_json::Value = serde_json::from_slice(&body).unwrap();
    let whole = peak_mb();
    println!(
        "whole-file load of one version (bytes + serde_json::Value, {} resources): {:.2} s, peak {whole:.1} MB (+{:.1} MB over the streamed peak)",
        tree["resources"].as_array().map_or(0, Vec::len),
        started.elapsed().as_secs_f64(),
        whole - streamed
    );
}
