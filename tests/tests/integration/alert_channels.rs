//! Where operators already look, beyond the alert topic: the chat topic's Amazon Q Developer
//! custom notifications (threaded by the dedup key), and the PagerDuty body's links. Read
//! back as a subscriber of each topic receives them.

use phoenix_shared::Timestamp;
use phoenix_tests::World;
use phoenix_tests::organization::{create_queue, drain};
use serde_json::{Value, json};

const RUNBOOK: &str = "https://wiki.example.com/phoenix-guard";

/// A chat topic with a raw SQS subscriber standing in for Amazon Q Developer; its ARN and
/// the queue's URL.
async fn chat_topic(world: &World) -> (String, String) {
    let sns = aws_sdk_sns::Client::new(&world.sdk);
    let topic = sns
        .create_topic()
        .name(format!("chat-{}", world.name))
        .send()
        .await
        .expect("chat topic")
        .topic_arn
        .expect("topic arn");
    let queue = create_queue(&world.sdk, &format!("chat-{}", world.name)).await;
    let queue_arn = aws_sdk_sqs::Client::new(&world.sdk)
        .get_queue_attributes()
        .queue_url(&queue)
        .attribute_names(aws_sdk_sqs::types::QueueAttributeName::QueueArn)
        .send()
        .await
        .expect("queue attributes")
        .attributes
        .and_then(|a| {
            a.get(&aws_sdk_sqs::types::QueueAttributeName::QueueArn)
                .cloned()
        })
        .expect("queue arn");
    sns.subscribe()
        .topic_arn(&topic)
        .protocol("sqs")
        .endpoint(queue_arn)
        .attributes("RawMessageDelivery", "true")
        .send()
        .await
        .expect("subscribe");
    (topic, queue)
}

/// The custom notifications the chat subscriber received.
async fn chat_messages(world: &World, queue: &str) -> Vec<Value> {
    drain(&world.sdk, queue)
        .await
        .iter()
        .flat_map(|batch| batch["Records"].as_array().cloned().unwrap_or_default())
        .map(|r| serde_json::from_str(r["body"].as_str().unwrap_or_default()).expect("JSON body"))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_backup_reaches_chat_threaded_and_pagerduty_with_links_and_its_resolve_joins_the_thread()
 {
    let mut world = World::new("chat").await;
    let (topic, queue) = chat_topic(&world).await;
    let delivery = world.config.delivery.as_mut().expect("delivery");
    delivery.chat_topic_arn = Some(topic);
    delivery.runbook_url = Some(RUNBOOK.to_owned());
    let failed = phoenix_tests::backup_fixture("backup-job-failed-efs.json");
    let mut completed = phoenix_tests::backup_fixture("backup-job-completed-efs.json");
    completed["detail"]["resourceArn"] = failed["detail"]["resourceArn"].clone();
    completed["time"] = json!("2026-11-23T10:00:00Z");
    let now = Timestamp::now();
    for (event, id) in [
        (&failed, "failed"),
        (&failed, "redelivered"),
        (&completed, "completed"),
    ] {
        backup_events::handle(&world.guard(), event, id, now)
            .await
            .expect("delivered");
    }

    let pages = world.alerts().await;
    assert_eq!(
        pages.iter().map(|p| p.event_action()).collect::<Vec<_>>(),
        ["trigger", "resolve"],
        "{pages:#?}"
    );
    let trigger = &pages[0];
    let fs = failed["detail"]["resourceArn"].as_str().unwrap_or_default();
    let id = fs.rsplit('/').next().unwrap_or_default();
    assert_eq!(
        trigger.body["links"],
        json!([
            {"href": format!("https://eu-west-1.console.aws.amazon.com/efs/home?region=eu-west-1#/file-systems/{id}"),
             "text": format!("{id} in the AWS console")},
            {"href": format!("{RUNBOOK}#backup-job-failed"), "text": "Runbook: backup-job-failed"},
        ])
    );
    assert_eq!(trigger.body["payload"]["group"], json!(world.name));
    assert_eq!(trigger.body["payload"]["class"], "backup-job-failed");

    let chat = chat_messages(&world, &queue).await;
    assert_eq!(chat.len(), 2, "one message per notification: {chat:#?}");
    for message in &chat {
        assert_eq!(
            (message["version"].as_str(), message["source"].as_str()),
            (Some("1.0"), Some("custom"))
        );
        assert_eq!(
            message["metadata"]["threadId"],
            json!(trigger.dedup_key()),
            "one thread"
        );
    }
    assert_eq!(chat[0]["metadata"]["eventType"], "trigger");
    assert!(
        chat[0]["content"]["title"]
            .as_str()
            .unwrap_or_default()
            .contains("backup-job-failed"),
        "{:#}",
        chat[0]
    );
    assert!(
        !chat[0]["content"]["nextSteps"]
            .as_array()
            .expect("steps")
            .is_empty()
    );
    assert_eq!(chat[1]["metadata"]["eventType"], "resolve");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_chat_topic_that_refuses_loses_only_the_chat_copy_and_is_counted() {
    let mut world = World::new("chat-gone").await;
    let delivery = world.config.delivery.as_mut().expect("delivery");
    delivery.chat_topic_arn = Some(format!(
        "arn:aws:sns:eu-west-1:{}:no-such-chat-topic",
        world.account
    ));
    let failed = phoenix_tests::backup_fixture("backup-job-failed-efs.json");
    backup_events::handle(&world.guard(), &failed, "failed", Timestamp::now())
        .await
        .expect("the page is delivered");
    assert_eq!(world.only_alert().await.event_action(), "trigger");
    assert_eq!(
        world.metric_sum("ChatPublishFailures", &[]).await,
        Some(1.0)
    );
}
