//! The cold-start bench's baseline: the same runtime crate, features, tokio flavour, log
//! subscriber and release profile as the functions, and nothing else (no SDK, no
//! configuration), so the ratios the bench prints are what Phoenix Guard adds.

use lambda_runtime::{LambdaEvent, service_fn};
use serde_json::{Value, json};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    lambda_runtime::tracing::init_default_subscriber();
    lambda_runtime::run(service_fn(|_event: LambdaEvent<Value>| async {
        Ok::<Value, lambda_runtime::Error>(json!({ "statusCode": 200, "body": "hello" }))
    }))
    .await
}
