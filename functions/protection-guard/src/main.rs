//! The Lambda entry point: configuration and clients once per cold start, then the runtime.
//! `protection-guard --print-event-pattern` prints the EventBridge patterns (and the table
//! of handled events they come from) as JSON and exits, for the Terraform module.

use lambda_runtime::{LambdaEvent, service_fn};
use phoenix_shared::{Config, Guard, Timestamp};
use protection_guard::confirm::Clients;
use serde_json::Value;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    if std::env::args().nth(1).as_deref() == Some("--print-event-pattern") {
        return Ok(phoenix_shared::print_json(
            &protection_guard::catalog::describe(),
        )?);
    }
    lambda_runtime::tracing::init_default_subscriber();
    let config = Config::from_env_or_exit(protection_guard::FUNCTION);
    let sdk = phoenix_shared::aws::load().await;
    let guard = Guard::new(config, &sdk);
    let clients = Clients::new(&sdk);
    let (guard, clients) = (&guard, &clients);
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
        let deadline = event.context.deadline();
        let work = protection_guard::handle(
            guard,
            clients,
            &event.payload,
            &event.context.request_id,
            Timestamp::now(),
        );
        guard
            .within_deadline(protection_guard::FUNCTION, deadline, work)
            .await
    }))
    .await
}
