//! The Lambda entry point: configuration and clients once per cold start, then the runtime.
//! `backup-events --print-event-pattern` prints the EventBridge pattern of the detail types
//! it acts on as JSON and exits, for the Terraform module.

use lambda_runtime::{LambdaEvent, service_fn};
use phoenix_shared::{Config, Guard, Timestamp};
use serde_json::Value;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    if std::env::args().nth(1).as_deref() == Some("--print-event-pattern") {
        return Ok(phoenix_shared::print_json(&backup_events::describe())?);
    }
    lambda_runtime::tracing::init_default_subscriber();
    let config = Config::from_env_or_exit(backup_events::FUNCTION);
    let sdk = phoenix_shared::aws::load().await;
    let guard = Guard::new(config, &sdk);
    let guard = &guard;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
        let deadline = event.context.deadline();
        let work = backup_events::handle(
            guard,
            &event.payload,
            &event.context.request_id,
            Timestamp::now(),
        );
        guard
            .within_deadline(backup_events::FUNCTION, deadline, work)
            .await
    }))
    .await
}
