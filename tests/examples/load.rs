//! `make load`: the load test at full size. Replays 10,000 AWS Backup and CloudTrail events
//! (or `--events N`, `--concurrency C`) through `backup-events` and `protection-guard`
//! against the emulator, then checks every expected alert arrived exactly once and prints
//! the throughput. Exits 1 when an alert was missing, repeated or unexpected.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

fn arg(name: &str, default: usize) -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .map_or(default, |v| v.parse().expect("a number"))
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let events = arg("--events", 10_000);
    let concurrency = arg("--concurrency", 32);
    let load = phoenix_tests::load::replay(events, concurrency).await;
    println!(
        "load: {} events ({} invocations, {} retried after losing a claim race) at concurrency {concurrency}",
        load.events, load.invocations, load.retried
    );
    println!(
        "load: {:.1} s, {:.0} events/s; invocation latency p50 {:.1?}, p99 {:.1?}, max {:.1?}",
        load.took.as_secs_f64(),
        load.events_per_second(),
        load.percentile(0.5),
        load.percentile(0.99),
        load.percentile(1.0)
    );
    println!(
        "load: {} alerts, {} problems",
        load.alerts,
        load.problems.len()
    );
    for problem in load.problems.iter().take(20) {
        println!("  {problem}");
    }
    if !load.problems.is_empty() {
        std::process::exit(1);
    }
}
