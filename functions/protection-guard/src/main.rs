//! The Lambda entry point: configuration and clients once per cold start, then the runtime.
//! `protection-guard --print-event-pattern` prints the EventBridge patterns (and the table
//! of handled events they come from) as JSON and exits, for the Terraform module.

use lambda_runtime::{Diagnostic, LambdaEvent, service_fn};
use phoenix_shared::{Config, Guard, Timestamp};
use protection_guard::confirm::Clients;
use serde_json::Value;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    if std::env::args().nth(1).as_deref() == Some("--print-event-pattern") {
        println!("{:#}", protection_guard::catalog::describe());
        return Ok(());
    }
    lambda_runtime::tracing::init_default_subscriber();
    let config = match Config::from_env() {
        Ok(config) => config,
        Err(err) => {
            // One line naming the variable; Lambda reports the failed init with it.
            eprintln!("{}: configuration error: {err}", protection_guard::FUNCTION);
            std::process::exit(2);
        }
    };
    let sdk = phoenix_shared::aws::load().await;
    let guard = Guard::new(config, &sdk);
    let clients = Clients::new(&sdk);
    let (guard, clients) = (&guard, &clients);
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
        protection_guard::handle(
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
