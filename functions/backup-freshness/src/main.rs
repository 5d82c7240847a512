//! The Lambda entry point: configuration and clients once per cold start, then the runtime.

use backup_freshness::collect::Clients;
use lambda_runtime::{LambdaEvent, service_fn};
use phoenix_shared::{Config, Guard, Timestamp};
use serde_json::Value;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let config = Config::from_env_or_exit(backup_freshness::FUNCTION);
    // The pipeline keeps tight timeouts; the sweep's clients pace themselves under throttling.
    let guard = Guard::new(config, &phoenix_shared::aws::load().await);
    let clients = Clients::new(&phoenix_shared::aws::load_for_sweeps().await);
    let (guard, clients) = (&guard, &clients);
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
        let deadline = event.context.deadline();
        let work = backup_freshness::handle(
            guard,
            clients,
            &event.payload,
            &event.context.request_id,
            Timestamp::now(),
        );
        guard
            .within_deadline(backup_freshness::FUNCTION, deadline, work)
            .await
    }))
    .await
}
