//! The Lambda entry point: configuration and clients once per cold start, then the runtime.

use lambda_runtime::{LambdaEvent, service_fn};
use phoenix_shared::{Config, Guard, Timestamp};
use readiness_audit::read::Clients;
use serde_json::Value;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let config = Config::from_env_or_exit(readiness_audit::FUNCTION);
    if config.report_bucket.is_none() {
        eprintln!(
            "{}: configuration error: PHOENIX_REPORT_BUCKET is not set (the S3 bucket the readiness report is written to)",
            readiness_audit::FUNCTION
        );
        std::process::exit(2);
    }
    let guard = Guard::new(config, &phoenix_shared::aws::load().await);
    let clients = Clients::new(&phoenix_shared::aws::load_for_sweeps().await);
    let (guard, clients) = (&guard, &clients);
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
        let deadline = event.context.deadline();
        // Boxed: the audit's future is deep enough that nesting it in the deadline's
        // timeout overflows the compiler's layout query limit.
        let work = Box::pin(readiness_audit::handle(
            guard,
            clients,
            &event.payload,
            &event.context.request_id,
            Timestamp::now(),
        ));
        guard
            .within_deadline(readiness_audit::FUNCTION, deadline, work)
            .await
    }))
    .await
}
