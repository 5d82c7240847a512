//! The Lambda entry point: configuration and clients once per cold start, then the runtime.

use backup_freshness::collect::Clients;
use lambda_runtime::{Diagnostic, LambdaEvent, service_fn};
use phoenix_shared::{Config, Guard, Timestamp};
use serde_json::Value;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let config = match Config::from_env() {
        Ok(config) => config,
        Err(err) => {
            // One line naming the variable; Lambda reports the failed init with it.
            eprintln!("{}: configuration error: {err}", backup_freshness::FUNCTION);
            std::process::exit(2);
        }
    };
    // The pipeline keeps tight timeouts; the sweep's clients pace themselves under throttling.
    let guard = Guard::new(config, &phoenix_shared::aws::load().await);
    let clients = Clients::new(&phoenix_shared::aws::load_for_sweeps().await);
    let (guard, clients) = (&guard, &clients);
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
        backup_freshness::handle(
            guard,
            clients,
            &event.payload,
            &event.context.request_id,
            Timestamp::now(),
        )
        .await
        .map_err(|err| Diagnostic {
            error_type: err.error_type().to_owned(),
            error_message: err.to_string(),
        })
    }))
    .await
}
