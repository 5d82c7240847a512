//! An organization in the emulator, built through the AWS APIs: the management account's
//! organization and member accounts (AWS Organizations), each member's reader role (IAM),
//! the dispatcher's queues (SQS), and the events the member parts forward (canaries).

use aws_config::SdkConfig;
use serde_json::{Value, json};

/// The reader role's name, as the member module creates it.
pub const READER_ROLE: &str = "PhoenixGuardReader";
/// The restore validator role's name, as the member module creates it.
pub const VALIDATOR_ROLE: &str = "PhoenixGuardRestoreValidator";
/// The member module's default findings role name.
pub const FINDINGS_ROLE: &str = "PhoenixGuardFindings";

/// An SDK configuration in `account`, through the harness's role there (moto tells
/// accounts apart by the credentials).
pub async fn sdk_in(account: &str) -> SdkConfig {
    use aws_sdk_sns::config::SharedCredentialsProvider;
    let credentials = crate::credentials_in(account).await;
    crate::Emulator::shared()
        .sdk_config()
        .await
        .to_builder()
        .credentials_provider(SharedCredentialsProvider::new(credentials))
        .build()
}

/// Creates the organization of the management account `sdk` is in, and `members` accounts
/// in it; their ids, in order.
pub async fn create_organization(sdk: &SdkConfig, members: &[&str]) -> Vec<String> {
    let org = aws_sdk_organizations::Client::new(sdk);
    org.create_organization()
        .feature_set(aws_sdk_organizations::types::OrganizationFeatureSet::All)
        .send()
        .await
        .expect("create organization");
    let mut ids = Vec::new();
    for name in members {
        let created = org
            .create_account()
            .account_name(*name)
            .email(format!("{name}@example.com"))
            .send()
            .await
            .expect("create account");
        let request = created
            .create_account_status()
            .and_then(|s| s.id())
            .expect("request id")
            .to_owned();
        let status = org
            .describe_create_account_status()
            .create_account_request_id(request)
            .send()
            .await
            .expect("account status");
        ids.push(
            status
                .create_account_status()
                .and_then(|s| s.account_id())
                .expect("account id")
                .to_owned(),
        );
    }
    ids
}

/// The member module's reader role in the account `sdk` is in, trusting `central`.
pub async fn create_reader_role(sdk: &SdkConfig, central: &str) {
    create_role_trusting(sdk, READER_ROLE, central).await;
}

/// The member module's restore validator role in the account `sdk` is in, trusting
/// `central`.
pub async fn create_validator_role(sdk: &SdkConfig, central: &str) {
    create_role_trusting(sdk, VALIDATOR_ROLE, central).await;
}

/// The member's findings role (Security Hub imports), trusting the central account.
pub async fn create_findings_role(sdk: &SdkConfig, central: &str) {
    create_role_trusting(sdk, FINDINGS_ROLE, central).await;
}

async fn create_role_trusting(sdk: &SdkConfig, name: &str, central: &str) {
    let trust = json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": {"AWS": format!("arn:aws:iam::{central}:root")},
            "Action": "sts:AssumeRole",
        }],
    });
    aws_sdk_iam::Client::new(sdk)
        .create_role()
        .role_name(name)
        .assume_role_policy_document(trust.to_string())
        .send()
        .await
        .unwrap_or_else(|e| panic!("create the role {name}: {e:?}"));
}

/// A standard queue; its URL.
pub async fn create_queue(sdk: &SdkConfig, name: &str) -> String {
    aws_sdk_sqs::Client::new(sdk)
        .create_queue()
        .queue_name(name)
        .send()
        .await
        .expect("create queue")
        .queue_url
        .expect("queue url")
}

/// Up to `max` messages from a queue, hidden from other receivers for `hidden_seconds`, as
/// the SQS event Lambda's event source mapping delivers them (with the receipt handles kept
/// for deleting the ones that succeeded).
pub async fn receive_batch(
    sdk: &SdkConfig,
    queue: &str,
    max: i32,
    hidden_seconds: i32,
) -> (Value, Vec<(String, String)>) {
    let out = aws_sdk_sqs::Client::new(sdk)
        .receive_message()
        .queue_url(queue)
        .max_number_of_messages(max)
        .visibility_timeout(hidden_seconds)
        .send()
        .await
        .expect("receive");
    let mut records = Vec::new();
    let mut handles = Vec::new();
    for m in out.messages() {
        let id = m.message_id().unwrap_or_default().to_owned();
        handles.push((
            id.clone(),
            m.receipt_handle().unwrap_or_default().to_owned(),
        ));
        records.push(json!({
            "messageId": id,
            "receiptHandle": m.receipt_handle(),
            "body": m.body(),
            "attributes": {"ApproximateReceiveCount": "1"},
            "messageAttributes": {},
            "md5OfBody": m.md5_of_body(),
            "eventSource": "aws:sqs",
            "eventSourceARN": "arn:aws:sqs:eu-west-1:000000000000:sweeps",
            "awsRegion": "eu-west-1",
        }));
    }
    (json!({"Records": records}), handles)
}

/// Every message now on a queue, as SQS batches of ten.
pub async fn drain(sdk: &SdkConfig, queue: &str) -> Vec<Value> {
    let sqs = aws_sdk_sqs::Client::new(sdk);
    let mut batches = Vec::new();
    loop {
        let (batch, handles) = receive_batch(sdk, queue, 10, 0).await;
        if handles.is_empty() {
            return batches;
        }
        for (_, handle) in handles {
            sqs.delete_message()
                .queue_url(queue)
                .receipt_handle(handle)
                .send()
                .await
                .expect("delete message");
        }
        batches.push(batch);
    }
}

/// The scheduled event a member's canary rule forwards to the central bus.
pub fn canary_event(account: &str, region: &str, time: &str) -> Value {
    json!({
        "version": "0",
        "id": format!("canary-{account}-{region}-{time}"),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": account,
        "time": time,
        "region": region,
        "resources": [format!("arn:aws:events:{region}:{account}:rule/phoenix-guard-member-canary")],
        "detail": {}
    })
}
