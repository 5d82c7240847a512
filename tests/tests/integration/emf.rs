//! The harness's stand-in for CloudWatch Logs' metric extraction (`phoenix_tests::emf`),
//! held to the Embedded Metric Format specification: what the event-driven functions' metrics
//! go through in every other test.

use aws_sdk_cloudwatch::types::StandardUnit;
use phoenix_tests::emf::extract;

#[test]
fn a_document_yields_each_metric_per_dimension_set() {
    let line = r#"{"Environment":"dev","Function":"backup-events","EventsRejected":1,
        "Latency":[3,4],
        "_aws":{"Timestamp":1795316645000,"CloudWatchMetrics":[{"Namespace":"PhoenixGuard",
        "Dimensions":[["Environment","Function"],["Environment"]],
        "Metrics":[{"Name":"EventsRejected","Unit":"Count"},{"Name":"Latency"}]}]}}"#;
    let data = extract(line);
    assert_eq!(data.len(), 6);
    assert!(data.iter().all(|(ns, _)| ns == "PhoenixGuard"));
    let first = &data[0].1;
    assert_eq!(first.metric_name(), Some("EventsRejected"));
    assert_eq!(first.dimensions().len(), 2);
    assert_eq!(first.unit(), Some(&StandardUnit::Count));
}

#[test]
fn what_breaks_the_specification_stays_a_log_line() {
    for line in [
        "plain text",
        r#"{"level":"INFO","message":"alert published"}"#,
        r#"{"X":1,"_aws":{"CloudWatchMetrics":[]}}"#,
        r#"{"X":1,"_aws":{"Timestamp":1,"CloudWatchMetrics":[{"Namespace":"N","Dimensions":[["Missing"]],"Metrics":[{"Name":"X"}]}]}}"#,
    ] {
        assert!(extract(line).is_empty(), "{line}");
    }
}
