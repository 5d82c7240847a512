//! The load test at a size CI can afford: 600 Backup and CloudTrail events, 16 units at a
//! time, every expected alert exactly once. `make load` runs 10,000 and prints throughput
//! (`tests/examples/load.rs`).

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_and_duplicated_events_page_and_resolve_each_resource_exactly_once() {
    let load = phoenix_tests::load::replay(600, 16).await;
    eprintln!(
        "{} events, {} invocations ({} retried), {} alerts in {:.1?}: {:.0} events/s",
        load.events,
        load.invocations,
        load.retried,
        load.alerts,
        load.took,
        load.events_per_second()
    );
    assert!(
        load.problems.is_empty(),
        "{} problems, first ones:\n{}",
        load.problems.len(),
        load.problems[..load.problems.len().min(20)].join("\n")
    );
    // Each resource's trigger and resolve: 120 file systems and 60 buckets.
    assert_eq!((load.events, load.alerts), (600, 360));
}
