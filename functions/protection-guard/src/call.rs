//! A CloudTrail record (`detail` of `AWS API Call via CloudTrail`), read leniently.
//!
//! Real records vary: `userIdentity.type`, `requestID` and `userAgent` may be missing (KMS
//! service events have no identity type), ARNs are spelled `arn`, `ARN` or `aRN`,
//! `requestParameters` is `null` on many failed calls, dates in responses are not always
//! ISO. Nothing here fails except a record without the fields that say which call it was.

use phoenix_shared::Timestamp;
use phoenix_shared::event::{Envelope, Rejection, arn_part, field, text, timestamp};
use serde_json::{Map, Value};

/// Who made the call, for the page: "who did it".
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Actor {
    /// The principal's ARN, else the role behind an assumed-role session, else its id.
    pub principal: String,
    /// The role behind an assumed-role session (`sessionContext.sessionIssuer.arn`), with
    /// its path: only AWS creates roles under `aws-service-role/`.
    pub issuer: Option<String>,
    pub identity_type: Option<String>,
    pub source_ip: Option<String>,
    pub user_agent: Option<String>,
    pub access_key_id: Option<String>,
    pub mfa: Option<String>,
}

/// One API call as CloudTrail recorded it.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiCall {
    pub source: String,
    pub detail_type: String,
    pub event_name: String,
    pub event_id: Option<String>,
    pub request_id: Option<String>,
    pub account: String,
    pub region: String,
    /// When the call was made (`eventTime`, else the envelope's time).
    pub time: Option<Timestamp>,
    pub actor: Actor,
    /// `errorCode` of a call AWS refused: it changed nothing.
    pub error_code: Option<String>,
    pub error_message: Option<String>,
    /// `requestParameters` (an empty object when absent or `null`).
    pub request: Value,
    /// `responseElements` (an empty object when absent or `null`).
    pub response: Value,
    /// ARNs from the record's `resources` list and the envelope's.
    pub resources: Vec<String>,
}

fn object_or_empty(value: Option<&Value>) -> Value {
    match value {
        Some(Value::Object(map)) => Value::Object(map.clone()),
        // Seen from intermediaries that re-encode the record.
        Some(Value::String(s)) => match serde_json::from_str::<Value>(s) {
            Ok(v @ Value::Object(_)) => v,
            _ => Value::Object(Map::new()),
        },
        _ => Value::Object(Map::new()),
    }
}

/// The path of AWS Backup restore testing's service-linked role, whose calls clean up the
/// copies it restored (its managed policy lets it touch only what it tagged).
const RESTORE_TESTING_ROLE: &str = ":role/aws-service-role/restore-testing.backup.amazonaws.com/";

impl Actor {
    /// Whether the call is AWS Backup restore testing cleaning up after a test.
    pub fn is_restore_testing(&self) -> bool {
        self.issuer
            .as_deref()
            .is_some_and(|arn| arn.contains(RESTORE_TESTING_ROLE))
    }
}

impl ApiCall {
    /// Reads the record. `Err` only when it names no call (`eventName`) at all.
    pub fn from_envelope(envelope: &Envelope, fallback_region: &str) -> Result<Self, Rejection> {
        let detail = &envelope.detail;
        let event_name = text(detail, &["eventName"]).ok_or_else(|| {
            Rejection(format!(
                "a {} event from {} without a usable detail.eventName",
                envelope.detail_type, envelope.source
            ))
        })?;
        let identity = field(detail, "userIdentity")
            .cloned()
            .unwrap_or(Value::Null);
        let issuer = field(&identity, "sessionContext")
            .and_then(|c| field(c, "sessionIssuer"))
            .cloned()
            .unwrap_or(Value::Null);
        let principal = text(&identity, &["arn"])
            .or_else(|| text(&issuer, &["arn"]))
            .or_else(|| text(&identity, &["principalId"]))
            .or_else(|| text(&identity, &["invokedBy"]))
            .or_else(|| text(&identity, &["userName"]))
            .unwrap_or_else(|| "an unidentified principal".to_owned());
        let mfa = field(&identity, "sessionContext")
            .and_then(|c| field(c, "attributes"))
            .and_then(|a| text(a, &["mfaAuthenticated"]));
        let actor = Actor {
            principal,
            issuer: text(&issuer, &["arn"]),
            identity_type: text(&identity, &["type"]),
            source_ip: text(detail, &["sourceIPAddress"]),
            user_agent: text(detail, &["userAgent"]),
            access_key_id: text(&identity, &["accessKeyId"]),
            mfa,
        };

        let mut resources: Vec<String> = match field(detail, "resources") {
            Some(Value::Array(items)) => items
                .iter()
                .filter_map(|r| text(r, &["ARN", "arn"]))
                .collect(),
            _ => Vec::new(),
        };
        resources.extend(envelope.resources.iter().cloned());

        let account = text(detail, &["recipientAccountId"])
            .or_else(|| envelope.account.clone())
            .or_else(|| text(&identity, &["accountId"]))
            .or_else(|| resources.iter().find_map(|r| arn_part(r, 4)))
            .unwrap_or_else(|| "unknown".to_owned());
        let region = text(detail, &["awsRegion"])
            .or_else(|| envelope.region.clone())
            .unwrap_or_else(|| fallback_region.to_owned());

        Ok(Self {
            source: envelope.source.clone(),
            detail_type: envelope.detail_type.clone(),
            event_name,
            event_id: text(detail, &["eventID"]).or_else(|| envelope.id.clone()),
            request_id: text(detail, &["requestID"]),
            account,
            region,
            time: timestamp(detail, &["eventTime"]).or(envelope.time),
            actor,
            error_code: text(detail, &["errorCode"]),
            error_message: text(detail, &["errorMessage"]),
            request: object_or_empty(field(detail, "requestParameters")),
            response: object_or_empty(field(detail, "responseElements")),
            resources,
        })
    }

    /// Whether AWS refused the call for lack of permission (someone tried).
    pub fn was_denied(&self) -> bool {
        self.error_code.as_deref().is_some_and(|code| {
            let code = code.rsplit('.').next().unwrap_or(code);
            matches!(
                code,
                "AccessDenied"
                    | "AccessDeniedException"
                    | "UnauthorizedOperation"
                    | "UnauthorizedAccess"
            ) || code.ends_with("AccessDenied")
        })
    }

    /// A request parameter as text, by any of its spellings.
    pub fn param(&self, keys: &[&str]) -> Option<String> {
        text(&self.request, keys)
    }

    /// A response element as text, by any of its spellings.
    pub fn answer(&self, keys: &[&str]) -> Option<String> {
        text(&self.response, keys)
    }

    /// The facts every finding of this call carries: who, from where, when, which call.
    /// Never a secret: CloudTrail does not log secret values, and nothing else is copied.
    pub fn facts(&self) -> Map<String, Value> {
        let mut facts = Map::new();
        let mut put = |k: &str, v: Option<&String>| {
            if let Some(v) = v {
                facts.insert(k.to_owned(), Value::String(v.clone()));
            }
        };
        put("eventName", Some(&self.event_name));
        put("principal", Some(&self.actor.principal));
        put("principalType", self.actor.identity_type.as_ref());
        put("sourceIPAddress", self.actor.source_ip.as_ref());
        put("userAgent", self.actor.user_agent.as_ref());
        put("accessKeyId", self.actor.access_key_id.as_ref());
        put("mfaAuthenticated", self.actor.mfa.as_ref());
        put("eventID", self.event_id.as_ref());
        put("requestID", self.request_id.as_ref());
        put("errorCode", self.error_code.as_ref());
        put("errorMessage", self.error_message.as_ref());
        if let Some(time) = self.time {
            facts.insert("eventTime".to_owned(), Value::String(time.to_string()));
        }
        facts
    }

    /// "by <principal> from <ip> at <time>", for summaries.
    pub fn who(&self) -> String {
        let mut who = format!("by {}", self.actor.principal);
        if let Some(ip) = &self.actor.source_ip {
            who.push_str(&format!(" from {ip}"));
        }
        if let Some(time) = self.time {
            who.push_str(&format!(" at {time}"));
        }
        who
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn call(detail: Value) -> Result<ApiCall, Rejection> {
        let envelope = Envelope::parse(&json!({
            "detail-type": "AWS API Call via CloudTrail",
            "source": "aws.kms",
            "account": "111122223333",
            "region": "eu-west-1",
            "time": "2026-11-20T10:00:00Z",
            "detail": detail,
        }))?;
        ApiCall::from_envelope(&envelope, "us-east-1")
    }

    #[test]
    fn a_record_without_identity_type_request_id_or_parameters_still_reads() {
        let c = call(json!({
            "eventName": "ScheduleKeyDeletion",
            "userIdentity": {"accountId": "111122223333", "invokedBy": "kms.amazonaws.com"},
            "requestParameters": null,
            "resources": [{"aRN": "arn:aws:kms:eu-west-1:111122223333:key/k-1"}],
        }))
        .expect("usable");
        assert_eq!(c.actor.principal, "kms.amazonaws.com");
        assert_eq!(c.actor.identity_type, None);
        assert_eq!(c.request, json!({}));
        assert_eq!(
            c.resources,
            vec!["arn:aws:kms:eu-west-1:111122223333:key/k-1"]
        );
        assert_eq!(
            c.time.map(|t| t.to_string()).as_deref(),
            Some("2026-11-20T10:00:00Z")
        );
    }

    #[test]
    fn an_assumed_role_is_named_by_its_session_and_denials_are_recognised() {
        let c = call(json!({
            "eventName": "DisableKey",
            "eventTime": "2026-11-20T09:59:58Z",
            "sourceIPAddress": "203.0.113.7",
            "errorCode": "AccessDenied",
            "userIdentity": {
                "type": "AssumedRole",
                "arn": "arn:aws:sts::111122223333:assumed-role/dev/alice",
                "sessionContext": {"sessionIssuer": {"arn": "arn:aws:iam::111122223333:role/dev"},
                                   "attributes": {"mfaAuthenticated": "false"}}
            }
        }))
        .expect("usable");
        assert_eq!(
            c.actor.principal,
            "arn:aws:sts::111122223333:assumed-role/dev/alice"
        );
        assert!(c.was_denied());
        assert!(
            c.who().contains("from 203.0.113.7 at 2026-11-20T09:59:58Z"),
            "{}",
            c.who()
        );
        assert_eq!(c.facts()["mfaAuthenticated"], "false");
    }

    #[test]
    fn a_record_without_an_event_name_is_rejected_with_the_reason() {
        let err = call(json!({"eventSource": "kms.amazonaws.com"})).expect_err("unusable");
        assert!(err.0.contains("eventName"), "{err}");
    }
}
