//! The Lambda entry point: configuration and clients once per cold start, then the runtime.
//! `s3-deletion-guard --print-event-pattern` prints the EventBridge pattern and the classic
//! notification events it handles as JSON and exits, for the Terraform module.

use lambda_runtime::{LambdaEvent, service_fn};
use phoenix_shared::{Config, Guard, Timestamp};
use s3_deletion_guard::{Clients, Invocation};
use serde_json::Value;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    if std::env::args().nth(1).as_deref() == Some("--print-event-pattern") {
        return Ok(phoenix_shared::print_json(&s3_deletion_guard::describe())?);
    }
    lambda_runtime::tracing::init_default_subscriber();
    let config = Config::from_env_or_exit(s3_deletion_guard::FUNCTION);
    let sdk = phoenix_shared::aws::load().await;
    let clients = Clients::new(&sdk, &config);
    let guard = Guard::new(config, &sdk);
    let (guard, clients) = (&guard, &clients);
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
        // arn:aws:lambda:<region>:<account>:function:<name>: classic S3 notifications name
        // no account, so findings take the function's own (or PHOENIX_ACCOUNT_ID's).
        let account = event
            .context
            .invoked_function_arn
            .split(':')
            .nth(4)
            .filter(|a| !a.is_empty())
            .map(str::to_owned)
            .or_else(|| guard.config.account_id.clone())
            .unwrap_or_default();
        let deadline = event.context.deadline();
        let work = s3_deletion_guard::handle(
            guard,
            clients,
            &event.payload,
            Invocation {
                id: &event.context.request_id,
                account: &account,
                now: Timestamp::now(),
            },
        );
        guard
            .within_deadline(s3_deletion_guard::FUNCTION, deadline, work)
            .await
    }))
    .await
}
