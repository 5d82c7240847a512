//! The Lambda entry point: configuration and clients once per cold start, then the runtime.

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
            eprintln!("{}: configuration error: {err}", backup_events::FUNCTION);
            std::process::exit(2);
        }
    };
    let sdk = phoenix_shared::aws::load().await;
    let guard = Guard::new(config, &sdk);
    let guard = &guard;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
        backup_events::handle(
            guard,
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
