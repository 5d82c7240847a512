//! The team's own validator for a resource type (`PHOENIX_RESTORE_VALIDATORS`): a Lambda
//! function that checks the data itself (a row count, a known checksum file) and answers
//! pass or fail with a message. Its answer joins the verdict.
//!
//! It is invoked synchronously with
//! `{"restoreJobId", "resourceType", "createdResourceArn", "sourceResourceArn",
//! "recoveryPointArn", "restoreTestingPlanArn"}` and answers an object with `status`
//! (`pass` / `fail`, also `passed`, `failed`, `SUCCESSFUL`, `FAILED`, any case) or `valid`
//! (a boolean), and `message`.

use crate::read::Job;
use phoenix_shared::event::{boolean, text};
use serde_json::{Value, json};

/// What the team's validator said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    pub pass: bool,
    pub message: String,
}

/// Why its answer could not be used; `transient` when asking again may help.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unanswered {
    pub reason: String,
    pub transient: bool,
}

/// The event the validator receives.
pub fn request(job: &Job, resource_type: &str) -> Value {
    json!({
        "restoreJobId": job.id,
        "resourceType": resource_type,
        "createdResourceArn": job.created_resource,
        "sourceResourceArn": job.source,
        "recoveryPointArn": job.recovery_point,
        "restoreTestingPlanArn": job.plan,
    })
}

/// Reads a validator's answer leniently (pure).
pub fn answer(
    function: &str,
    payload: &[u8],
    function_error: Option<&str>,
) -> Result<Answer, Unanswered> {
    let excerpt: String = String::from_utf8_lossy(payload).chars().take(300).collect();
    if let Some(kind) = function_error {
        return Err(Unanswered {
            reason: format!("the validator {function} failed ({kind}): {excerpt}"),
            transient: false,
        });
    }
    let value: Value = serde_json::from_slice(payload).map_err(|_| Unanswered {
        reason: format!("the validator {function} answered no JSON object: {excerpt}"),
        transient: false,
    })?;
    // An answer wrapped by an API-style handler ({"statusCode", "body": "<json>"}).
    let value = match text(&value, &["body"]).and_then(|b| serde_json::from_str::<Value>(&b).ok()) {
        Some(inner) if inner.is_object() => inner,
        _ => value,
    };
    let pass = boolean(&value, &["valid", "pass", "passed"]).or_else(|| {
        text(&value, &["status", "result", "validationStatus"]).and_then(|s| {
            match s.to_ascii_lowercase().as_str() {
                "pass" | "passed" | "successful" | "success" | "ok" | "valid" => Some(true),
                "fail" | "failed" | "failure" | "invalid" => Some(false),
                _ => None,
            }
        })
    });
    let Some(pass) = pass else {
        return Err(Unanswered {
            reason: format!("the validator {function} said neither pass nor fail: {excerpt}"),
            transient: false,
        });
    };
    let message = text(&value, &["message", "reason", "validationStatusMessage"])
        .unwrap_or_else(|| if pass { "passed" } else { "failed" }.to_owned());
    Ok(Answer { pass, message })
}

/// Invokes the validator and reads its answer.
pub async fn ask(
    lambda: &aws_sdk_lambda::Client,
    function: &str,
    request: &Value,
) -> Result<Answer, Unanswered> {
    let out = lambda
        .invoke()
        .function_name(function)
        .payload(aws_sdk_lambda::primitives::Blob::new(request.to_string()))
        .send()
        .await
        .map_err(|err| Unanswered {
            reason: format!("Invoke {function}: {}", phoenix_shared::aws::reason(&err)),
            transient: phoenix_shared::aws::is_transient(&err),
        })?;
    let payload = out
        .payload()
        .map(aws_sdk_lambda::primitives::Blob::as_ref)
        .unwrap_or_default();
    answer(function, payload, out.function_error())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_answer_is_read_in_the_shapes_validators_write() {
        let pass = |body: &str| answer("check", body.as_bytes(), None);
        assert_eq!(
            pass(r#"{"status": "pass", "message": "412 users, checksum ok"}"#),
            Ok(Answer {
                pass: true,
                message: "412 users, checksum ok".to_owned()
            })
        );
        assert_eq!(
            pass(r#"{"valid": false, "reason": "users table empty"}"#).map(|a| a.pass),
            Ok(false)
        );
        assert_eq!(
            pass(r#"{"status": "FAILED"}"#).map(|a| a.message),
            Ok("failed".to_owned())
        );
        assert_eq!(
            pass(
                r#"{"statusCode": 200, "body": "{\"status\":\"SUCCESSFUL\",\"message\":\"ok\"}"}"#
            )
            .map(|a| a.pass),
            Ok(true)
        );
        assert!(
            matches!(pass(r#"{"status": "maybe"}"#), Err(u) if !u.transient && u.reason.contains("neither pass nor fail"))
        );
        assert!(matches!(pass("not json"), Err(u) if u.reason.contains("no JSON object")));
        assert!(matches!(
            answer("check", br#"{"errorMessage":"boom"}"#, Some("Unhandled")),
            Err(u) if u.reason == r#"the validator check failed (Unhandled): {"errorMessage":"boom"}"#
        ));
    }
}
