//! Test harness: the extended emulator, and one isolated Phoenix Guard world per test
//! (alert topic with an SQS subscriber, findings table, a unique `Environment`), with
//! read-back of alerts, ledger items and metrics through the real AWS APIs.
//!
//! This crate is test code: it may panic with a clear message when the world cannot be set
//! up, because nothing meaningful can be asserted after that.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

pub mod account;
pub mod browser;
pub mod emf;
pub mod load;
pub mod memory;
pub mod organization;
pub mod runtime_api;
pub mod story;

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_cloudwatch::primitives::DateTime;
use aws_sdk_cloudwatch::types::{Dimension, Metric, MetricDataQuery, MetricStat};
use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, KeySchemaElement, KeyType,
    ScalarAttributeType, TimeToLiveSpecification,
};
use aws_sdk_sns::config::Credentials;
use phoenix_shared::{Config, Guard};
use serde_json::Value;
use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering};

pub const ACCOUNT: &str = "123456789012";
pub const REGION: &str = "eu-west-1";

/// The repository's root directory.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ has a parent")
        .to_path_buf()
}

/// A running emulator (`tests/emulator/serve`), stopped when dropped. The emulator also
/// exits by itself when the process that started it ends.
#[derive(Debug)]
pub struct Emulator {
    child: Child,
    pub endpoint: String,
}

impl Emulator {
    /// Starts an emulator on a free port and waits until it listens.
    pub fn start() -> Self {
        let serve = repo_root().join("tests/emulator/serve");
        let mut child = Command::new(&serve)
            .arg("0")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", serve.display()));
        let stdout = child.stdout.take().expect("piped stdout");
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("read the emulator's first line");
        let endpoint = line
            .trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| {
                panic!(
                    "the emulator did not start (first line {line:?}); run `make test`, which creates .venv, \
                     or tests/setup"
                )
            })
            .to_owned();
        Self { child, endpoint }
    }

    /// One emulator per test binary, started on first use.
    pub fn shared() -> &'static Emulator {
        static EMULATOR: OnceLock<Emulator> = OnceLock::new();
        EMULATOR.get_or_init(Emulator::start)
    }

    /// The calls the emulator answered for `account`, by `service.Operation` (the service
    /// by its signing name: CloudWatch is `monitoring`).
    pub fn calls_in(&self, account: &str) -> std::collections::BTreeMap<String, u64> {
        let stats = self.control(
            "GET",
            &format!("/_phoenix/stats?account={account}"),
            &serde_json::json!({}),
        );
        stats["Calls"]
            .as_object()
            .map(|calls| {
                calls
                    .iter()
                    .map(|(k, v)| (k.clone(), v.as_u64().unwrap_or(0)))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Calls one of the emulator's `/_phoenix/` control endpoints (seeding, faults,
    /// request counts) and returns its JSON answer; panics on an error status.
    pub fn control(&self, method: &str, path: &str, body: &Value) -> Value {
        use std::io::{Read, Write};
        let address = self
            .endpoint
            .strip_prefix("http://")
            .expect("http endpoint");
        let payload = body.to_string();
        let mut stream = std::net::TcpStream::connect(address).expect("connect to the emulator");
        write!(
            stream,
            "{method} {path} HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/json\r\n\
             Content-Length: {}\r\nConnection: close\r\n\r\n{payload}",
            payload.len()
        )
        .expect("send the control request");
        let mut response = String::new();
        stream
            .read_to_string(&mut response)
            .expect("read the control answer");
        let (head, body) = response.split_once("\r\n\r\n").expect("an HTTP response");
        assert!(
            head.starts_with("HTTP/1.1 200") || head.starts_with("HTTP/1.0 200"),
            "{method} {path}: {head}\n{body}"
        );
        serde_json::from_str(body).unwrap_or(Value::Null)
    }

    /// SDK configuration pointing at the emulator, with Phoenix Guard's timeouts.
    pub async fn sdk_config(&self) -> SdkConfig {
        aws_config::defaults(BehaviorVersion::latest())
            .endpoint_url(&self.endpoint)
            .region(Region::new(REGION))
            .credentials_provider(Credentials::new(
                "testing",
                "testing",
                None,
                None,
                "phoenix-tests",
            ))
            .timeout_config(phoenix_shared::aws::timeouts())
            .load()
            .await
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Credentials in `account`, from an STS AssumeRole of the harness's role there (which is
/// how moto tells accounts apart).
pub async fn credentials_in(account: &str) -> Credentials {
    use aws_config::sts::AssumeRoleProvider;
    use aws_sdk_sns::config::ProvideCredentials;
    let base = Emulator::shared().sdk_config().await;
    AssumeRoleProvider::builder(format!("arn:aws:iam::{account}:role/phoenix-tests"))
        .session_name("phoenix-tests")
        .configure(&base)
        .build()
        .await
        .provide_credentials()
        .await
        .expect("assume the harness role in the emulator")
}

/// The event Lambda receives from an SNS subscription for one message (`Records[].Sns`),
/// with the alert topic's structured body (the `lambda` part of an alert, which is the same
/// as the `sqs` part [`ReceivedAlert::body`] holds) as `Message`.
pub fn sns_delivery(topic_arn: &str, message: &Value) -> Value {
    serde_json::json!({"Records": [{
        "EventSource": "aws:sns",
        "EventVersion": "1.0",
        "EventSubscriptionArn": format!("{topic_arn}:0b1c2d3e-5f60-4718-9a2b-3c4d5e6f7a8b"),
        "Sns": {
            "Type": "Notification",
            "MessageId": "95df01b4-ee98-5cb9-9903-4c221d41eb5e",
            "TopicArn": topic_arn,
            "Subject": null,
            "Message": message.to_string(),
            "Timestamp": "2026-11-30T10:00:00.000Z",
            "SignatureVersion": "1",
            "MessageAttributes": {},
        },
    }]})
}

/// An alert as an SQS subscriber of the topic receives it (raw delivery: the `sqs` part of
/// the message, and the message attributes).
#[derive(Debug, Clone)]
pub struct ReceivedAlert {
    pub body: Value,
    pub attributes: HashMap<String, String>,
}

impl ReceivedAlert {
    /// The Events API action (`trigger`, `resolve`), or `change` for a change event.
    pub fn event_action(&self) -> &str {
        if self.body["event_type"] == "change" {
            return "change";
        }
        self.body["event_action"].as_str().unwrap_or_default()
    }
    pub fn dedup_key(&self) -> &str {
        self.body["dedup_key"].as_str().unwrap_or_default()
    }
    pub fn check(&self) -> &str {
        self.body["finding"]["check"].as_str().unwrap_or_default()
    }
    pub fn severity(&self) -> &str {
        self.body["finding"]["severity"]
            .as_str()
            .unwrap_or_default()
    }
    pub fn notification(&self) -> &str {
        self.body["notification"].as_str().unwrap_or_default()
    }
}

/// The six orders in which three deliveries of one unit of events (a failure, a success, a
/// duplicate) can arrive: EventBridge delivers at least once and in no promised order.
pub const ORDERS_OF_THREE: [[usize; 3]; 6] = [
    [0, 1, 2],
    [0, 2, 1],
    [1, 0, 2],
    [1, 2, 0],
    [2, 0, 1],
    [2, 1, 0],
];

/// Every alert any test reads: the finding was first seen no later than it was last seen
/// (both are observation times), and it was notified no earlier than it was first seen.
pub fn assert_seen_in_order(body: &Value) {
    let finding = &body["finding"];
    let time = |k: &str| {
        finding[k].as_str().map(|t| {
            phoenix_shared::Timestamp::parse(t).unwrap_or_else(|| panic!("{k} {t:?} is not a time"))
        })
    };
    let last = time("last_seen").unwrap_or_else(|| panic!("an alert without last_seen: {body:#}"));
    if let Some(first) = time("first_seen") {
        assert!(
            first <= last,
            "first_seen {first} is later than last_seen {last}: {body:#}"
        );
    }
    assert!(
        time("notified_at").is_some(),
        "an alert without notified_at: {body:#}"
    );
}

/// One isolated world: its own topic, queue, table and environment name.
#[derive(Debug, Clone)]
pub struct World {
    pub name: String,
    /// The account the world lives in ([`ACCOUNT`] unless made with [`World::in_account`]).
    pub account: String,
    /// Its credentials (moto tells accounts apart by the access key).
    pub credentials: Credentials,
    pub sdk: SdkConfig,
    pub topic_arn: String,
    pub queue_url: String,
    pub table: String,
    pub config: Config,
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

impl World {
    /// Creates the topic, the subscribed queue and the findings table, all through the APIs.
    pub async fn new(label: &str) -> Self {
        let sdk = Emulator::shared().sdk_config().await;
        let credentials = Credentials::new("testing", "testing", None, None, "phoenix-tests");
        Self::build(label, ACCOUNT, credentials, sdk).await
    }

    /// A world in an account of its own, for checks that read a whole account (the
    /// readiness audit lists every bucket). Its credentials come from an STS AssumeRole
    /// into that account, which is how moto tells accounts apart.
    pub async fn in_account(label: &str, account: &str) -> Self {
        let base = Emulator::shared().sdk_config().await;
        let credentials = credentials_in(account).await;
        let sdk = base
            .to_builder()
            .credentials_provider(aws_sdk_sns::config::SharedCredentialsProvider::new(
                credentials.clone(),
            ))
            .build();
        Self::build(label, account, credentials, sdk).await
    }

    async fn build(label: &str, account: &str, credentials: Credentials, sdk: SdkConfig) -> Self {
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let name = format!("{label}-{}-{n}", std::process::id());

        let sns = aws_sdk_sns::Client::new(&sdk);
        let sqs = aws_sdk_sqs::Client::new(&sdk);
        let topic_arn = sns
            .create_topic()
            .name(format!("alerts-{name}"))
            .send()
            .await
            .expect("create topic")
            .topic_arn
            .expect("topic arn");
        let queue_url = sqs
            .create_queue()
            .queue_name(format!("alerts-{name}"))
            .send()
            .await
            .expect("create queue")
            .queue_url
            .expect("queue url");
        let queue_arn = format!("arn:aws:sqs:{REGION}:{account}:alerts-{name}");
        sns.subscribe()
            .topic_arn(&topic_arn)
            .protocol("sqs")
            .endpoint(&queue_arn)
            .attributes("RawMessageDelivery", "true")
            .send()
            .await
            .expect("subscribe queue");

        let table = format!("findings-{name}");
        create_findings_table(&aws_sdk_dynamodb::Client::new(&sdk), &table).await;

        let config = Config::from_lookup(|key| match key {
            "PHOENIX_ALERT_TOPIC_ARN" => Some(topic_arn.clone()),
            "PHOENIX_FINDINGS_TABLE" => Some(table.clone()),
            "PHOENIX_ENVIRONMENT" => Some(name.clone()),
            "AWS_REGION" => Some(REGION.to_owned()),
            // Copies outside the region are required by default; the tests of copies (and
            // the story's region-outage chapter) ask for them, the rest keep to their subject.
            "PHOENIX_REQUIRE_COPY" => Some("none".to_owned()),
            _ => None,
        })
        .expect("valid config");

        Self {
            name,
            account: account.to_owned(),
            credentials,
            sdk,
            topic_arn,
            queue_url,
            table,
            config,
        }
    }

    /// The pipeline over the emulator, with this world's configuration. Its metrics are EMF
    /// lines that [`emf`], standing in for CloudWatch Logs, writes to the emulator's
    /// CloudWatch before the flush returns: every metric a test reads has gone through the
    /// format the event-driven functions print.
    pub fn guard(&self) -> Guard {
        Guard::new(self.config.clone(), &self.sdk).with_metric_sink(
            phoenix_shared::metrics::MetricSink::EmfTo(emf::reader(&self.sdk)),
        )
    }

    /// The environment variables a Lambda binary needs to run against this world.
    pub fn lambda_env(&self, endpoint: &str) -> Vec<(String, String)> {
        let mut env: Vec<(String, String)> = vec![
            ("PHOENIX_ALERT_TOPIC_ARN".into(), self.topic_arn.clone()),
            ("PHOENIX_FINDINGS_TABLE".into(), self.table.clone()),
            ("PHOENIX_ENVIRONMENT".into(), self.name.clone()),
            // cargo lambda's context carries no account in the function ARN; Lambda's does.
            ("PHOENIX_ACCOUNT_ID".into(), self.account.clone()),
            (
                "PHOENIX_REQUIRE_COPY".into(),
                self.config.require_copy.as_str().to_owned(),
            ),
            ("AWS_ENDPOINT_URL".into(), endpoint.to_owned()),
            ("AWS_REGION".into(), REGION.into()),
        ];
        env.extend(self.credential_env());
        env
    }

    /// `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY` (and the session token) of this world.
    pub fn credential_env(&self) -> Vec<(String, String)> {
        let mut env = vec![
            (
                "AWS_ACCESS_KEY_ID".into(),
                self.credentials.access_key_id().to_owned(),
            ),
            (
                "AWS_SECRET_ACCESS_KEY".into(),
                self.credentials.secret_access_key().to_owned(),
            ),
        ];
        if let Some(token) = self.credentials.session_token() {
            env.push(("AWS_SESSION_TOKEN".into(), token.to_owned()));
        }
        env
    }

    /// Every alert delivered since the last call (the queue is drained).
    pub async fn alerts(&self) -> Vec<ReceivedAlert> {
        let sqs = aws_sdk_sqs::Client::new(&self.sdk);
        let mut out = Vec::new();
        loop {
            let received = sqs
                .receive_message()
                .queue_url(&self.queue_url)
                .max_number_of_messages(10)
                .message_attribute_names("All")
                .send()
                .await
                .expect("receive");
            let messages = received.messages.unwrap_or_default();
            if messages.is_empty() {
                return out;
            }
            for m in messages {
                let body: Value = serde_json::from_str(m.body().unwrap_or_default())
                    .unwrap_or_else(|e| panic!("alert body is not JSON ({e}): {:?}", m.body()));
                let attributes = m
                    .message_attributes()
                    .map(|attrs| {
                        attrs
                            .iter()
                            .map(|(k, v)| {
                                (k.clone(), v.string_value().unwrap_or_default().to_owned())
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                assert_seen_in_order(&body);
                out.push(ReceivedAlert { body, attributes });
                if let Some(handle) = m.receipt_handle() {
                    sqs.delete_message()
                        .queue_url(&self.queue_url)
                        .receipt_handle(handle)
                        .send()
                        .await
                        .expect("delete");
                }
            }
        }
    }

    /// The one alert delivered since the last read; panics, listing them, when there are
    /// none or several.
    pub async fn only_alert(&self) -> ReceivedAlert {
        let mut alerts = self.alerts().await;
        assert_eq!(
            alerts.len(),
            1,
            "expected exactly one alert, got {alerts:#?}"
        );
        alerts.remove(0)
    }

    /// The ledger item of a dedup key, as stored.
    pub async fn ledger_item(&self, dedup_key: &str) -> Option<HashMap<String, AttributeValue>> {
        aws_sdk_dynamodb::Client::new(&self.sdk)
            .get_item()
            .table_name(&self.table)
            .key("dedup_key", AttributeValue::S(dedup_key.to_owned()))
            .consistent_read(true)
            .send()
            .await
            .expect("get item")
            .item
    }

    /// The sum of a metric over the last hours, for this world's environment plus `dims`
    /// (read back through CloudWatch's GetMetricData). `None` when nothing was written.
    pub async fn metric_sum(&self, name: &str, dims: &[(&str, &str)]) -> Option<f64> {
        self.metric_stat(name, dims, "Sum").await
    }

    /// One statistic of a metric over the last hours, as [`World::metric_sum`].
    pub async fn metric_stat(&self, name: &str, dims: &[(&str, &str)], stat: &str) -> Option<f64> {
        let cloudwatch = aws_sdk_cloudwatch::Client::new(&self.sdk);
        let mut dimensions = vec![
            Dimension::builder()
                .name("Environment")
                .value(&self.name)
                .build(),
        ];
        dimensions.extend(
            dims.iter()
                .map(|(k, v)| Dimension::builder().name(*k).value(*v).build()),
        );
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .expect("clock")
            .as_secs() as i64;
        let query = MetricDataQuery::builder()
            .id("m")
            .metric_stat(
                MetricStat::builder()
                    .metric(
                        Metric::builder()
                            .namespace(&self.config.metric_namespace)
                            .metric_name(name)
                            .set_dimensions(Some(dimensions))
                            .build(),
                    )
                    .period(86_400)
                    .stat(stat)
                    .build(),
            )
            .build();
        let output = cloudwatch
            .get_metric_data()
            .metric_data_queries(query)
            .start_time(DateTime::from_secs(now - 43_200))
            .end_time(DateTime::from_secs(now + 43_200))
            .send()
            .await
            .expect("get metric data");
        let values = output
            .metric_data_results()
            .first()
            .map(|r| r.values().to_vec())
            .unwrap_or_default();
        if values.is_empty() {
            None
        } else if stat == "Sum" || stat == "SampleCount" {
            Some(values.iter().sum())
        } else {
            values.first().copied()
        }
    }
}

/// Creates a findings table as the Terraform module does: `dedup_key` string key, TTL on
/// `expires_at`, on-demand billing.
pub async fn create_findings_table(client: &aws_sdk_dynamodb::Client, table: &str) {
    client
        .create_table()
        .table_name(table)
        .attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name("dedup_key")
                .attribute_type(ScalarAttributeType::S)
                .build()
                .expect("attribute"),
        )
        .key_schema(
            KeySchemaElement::builder()
                .attribute_name("dedup_key")
                .key_type(KeyType::Hash)
                .build()
                .expect("key"),
        )
        .billing_mode(BillingMode::PayPerRequest)
        // As the Terraform module tags it: the ledger is rebuilt empty, so backup-freshness
        // must not page about it.
        .tags(
            aws_sdk_dynamodb::types::Tag::builder()
                .key("phoenix:backup")
                .value("exempt")
                .build()
                .expect("tag"),
        )
        .tags(
            aws_sdk_dynamodb::types::Tag::builder()
                .key("phoenix:reason")
                .value("Phoenix Guard's findings ledger; starts empty after a rebuild")
                .build()
                .expect("tag"),
        )
        .send()
        .await
        .expect("create table");
    client
        .update_time_to_live()
        .table_name(table)
        .time_to_live_specification(
            TimeToLiveSpecification::builder()
                .attribute_name("expires_at")
                .enabled(true)
                .build()
                .expect("ttl"),
        )
        .send()
        .await
        .expect("enable ttl");
}

/// A fixture file of `functions/backup-events/fixtures/`, parsed.
pub fn backup_fixture(name: &str) -> Value {
    fixture("backup-events", name)
}

/// A fixture file of `functions/<function>/fixtures/`, parsed.
pub fn fixture(function: &str, name: &str) -> Value {
    let path = repo_root()
        .join("functions")
        .join(function)
        .join("fixtures")
        .join(name);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("fixture {}: {e}", path.display()));
    serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("fixture {} is not JSON: {e}", path.display()))
}

/// A string attribute of a ledger item.
pub fn attr_s(item: &HashMap<String, AttributeValue>, key: &str) -> Option<String> {
    item.get(key).and_then(|v| v.as_s().ok()).cloned()
}

/// `PATH` with the project's virtualenv first (cargo-lambda, zig).
pub fn venv_path() -> String {
    let bin = repo_root().join(".venv/bin");
    format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    )
}

/// `cargo lambda <args> --invoke-address 127.0.0.1 --invoke-port <port>`, run from the
/// repository root with the virtualenv's cargo-lambda on `PATH`.
fn cargo_lambda(args: &[&str], port: u16) -> Command {
    let mut command = Command::new("cargo");
    command
        .current_dir(repo_root())
        .env("PATH", venv_path())
        .arg("lambda")
        .args(args)
        .args([
            "--invoke-address",
            "127.0.0.1",
            "--invoke-port",
            &port.to_string(),
        ]);
    command
}

/// Functions served by `cargo lambda watch` (Lambda's runtime API), in their own process
/// group, stopped with the whole group when dropped.
#[derive(Debug)]
pub struct LambdaWatch {
    child: Child,
    port: u16,
    log: PathBuf,
    /// How much of the log [`LambdaWatch::deliver_metrics`] has read.
    metrics_read: std::sync::Mutex<usize>,
}

impl LambdaWatch {
    /// Starts `cargo lambda watch` with these environment variables for the functions and
    /// waits until its invoke endpoint listens.
    pub fn start(env: &[(String, String)]) -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("free port")
            .port();
        let log =
            std::env::temp_dir().join(format!("phoenix-watch-{}-{port}.log", std::process::id()));
        let mut command = cargo_lambda(&["watch", "--ignore-changes"], port);
        for (key, value) in env {
            command.args(["--env-var", &format!("{key}={value}")]);
        }
        let file = std::fs::File::create(&log).expect("log file");
        let child = std::os::unix::process::CommandExt::process_group(
            command
                .stdin(Stdio::null())
                .stdout(Stdio::from(file.try_clone().expect("clone")))
                .stderr(Stdio::from(file)),
            0,
        )
        .spawn()
        .expect("cargo lambda watch (make test and make demo install cargo-lambda into .venv)");
        let watch = Self {
            child,
            port,
            log,
            metrics_read: std::sync::Mutex::new(0),
        };
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                std::time::Instant::now() < deadline,
                "cargo lambda watch did not listen: {}",
                watch.log()
            );
            std::thread::sleep(std::time::Duration::from_millis(200));
        }
        watch
    }

    /// `cargo lambda invoke FUNCTION --data-file PATH`.
    pub fn invoke(&self, function: &str, data_file: &Path) -> std::process::Output {
        cargo_lambda(&["invoke", function], self.port)
            .args(["--output-format", "json", "--data-file"])
            .arg(data_file)
            .output()
            .expect("cargo lambda invoke")
    }

    /// `cargo lambda invoke FUNCTION` with an event built by the caller (written to a file
    /// of its own first).
    pub fn invoke_event(&self, function: &str, event: &Value) -> std::process::Output {
        static FILES: AtomicU32 = AtomicU32::new(0);
        let n = FILES.fetch_add(1, Ordering::Relaxed);
        let path = std::env::temp_dir().join(format!(
            "phoenix-event-{function}-{}-{n}.json",
            std::process::id()
        ));
        std::fs::write(&path, event.to_string()).expect("event file");
        let output = self.invoke(function, &path);
        let _ = std::fs::remove_file(&path);
        output
    }

    /// Invokes `backup-events` with one of its fixtures.
    pub fn invoke_fixture(&self, fixture: &str) -> std::process::Output {
        self.invoke(
            "backup-events",
            &repo_root()
                .join("functions/backup-events/fixtures")
                .join(fixture),
        )
    }

    /// CloudWatch Logs' part for the binaries: the EMF lines the functions printed since
    /// the last call become metrics in the emulator's CloudWatch ([`emf`]).
    pub async fn deliver_metrics(&self, sdk: &SdkConfig) {
        let log = self.log();
        let lines: Vec<String> = {
            let Ok(mut read) = self.metrics_read.lock() else {
                return;
            };
            let start = (*read).min(log.len());
            *read = log.len();
            log[start..]
                .lines()
                // A line of the function's stdout, as watch relays it, ends in the JSON.
                .filter_map(|l| l.find("{\"").map(|at| l[at..].to_owned()))
                .collect()
        };
        emf::put(sdk, &lines).await;
    }

    /// What watch and the functions printed so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for LambdaWatch {
    fn drop(&mut self) {
        // The whole process group (watch and what it started). `--` matters: without it
        // procps kill may read the negative group id as an option.
        let group = format!("-{}", self.child.id());
        let _ = Command::new("kill")
            .args(["-s", "TERM", "--", &group])
            .status();
        let _ = self.child.wait();
    }
}

/// Switches Security Hub on in the account of `sdk` (through the API, as a team would).
pub async fn enable_security_hub(sdk: &SdkConfig) {
    aws_sdk_securityhub::Client::new(sdk)
        .enable_security_hub()
        .send()
        .await
        .expect("enable Security Hub");
}

/// Every finding Security Hub holds in the account and region of `sdk`.
pub async fn security_hub_findings(
    sdk: &SdkConfig,
) -> Vec<aws_sdk_securityhub::types::AwsSecurityFinding> {
    aws_sdk_securityhub::Client::new(sdk)
        .get_findings()
        .send()
        .await
        .expect("get findings")
        .findings
        .unwrap_or_default()
}
