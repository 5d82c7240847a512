//! Lenient event models.
//!
//! Real AWS events are irregular: a number arrives as a string of digits, `{}` stands where a
//! string is expected, keys change case between producers, dates are not always ISO 8601. The
//! accessors here read a field by any of its known spellings and convert what can be
//! converted; they answer `None` instead of failing. Only the envelope fields without which
//! an event cannot be routed at all make [`Envelope::parse`] fail.

use crate::time::Timestamp;
use serde_json::{Map, Value};
use std::fmt;

/// Looks a key up exactly, then ignoring ASCII case (`ResourceTypeOptInPreference` and
/// `resourceTypeOptInPreference` are both seen in the wild).
pub fn field<'a>(object: &'a Value, key: &str) -> Option<&'a Value> {
    let map = object.as_object()?;
    map.get(key).or_else(|| {
        map.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v)
    })
}

/// The first of `keys` whose value is usable as text. Numbers and booleans are rendered;
/// empty strings, `null`, `{}` and `[]` count as absent.
pub fn text(object: &Value, keys: &[&str]) -> Option<String> {
    keys.iter().find_map(|key| match field(object, key)? {
        Value::String(s) => {
            let trimmed = s.trim();
            (!trimmed.is_empty()).then(|| trimmed.to_owned())
        }
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    })
}

/// The first of `keys` whose value is a finite number or a string holding one.
pub fn number(object: &Value, keys: &[&str]) -> Option<f64> {
    keys.iter()
        .find_map(|key| match field(object, key)? {
            Value::Number(n) => n.as_f64(),
            Value::String(s) => s.trim().parse::<f64>().ok(),
            _ => None,
        })
        .filter(|n| n.is_finite())
}

/// The first of `keys` holding a boolean: `true`/`false`, their strings in any case, or 0/1.
pub fn boolean(object: &Value, keys: &[&str]) -> Option<bool> {
    keys.iter().find_map(|key| as_bool(field(object, key)?))
}

/// Reads one JSON value as a boolean, leniently (see [`boolean`]).
pub fn as_bool(value: &Value) -> Option<bool> {
    match value {
        Value::Bool(b) => Some(*b),
        Value::String(s) => match s.trim().to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" => Some(true),
            "false" | "0" | "no" => Some(false),
            _ => None,
        },
        Value::Number(n) => match n.as_i64() {
            Some(1) => Some(true),
            Some(0) => Some(false),
            _ => None,
        },
        _ => None,
    }
}

/// The first of `keys` holding a date in any shape [`Timestamp::from_json`] accepts.
pub fn timestamp(object: &Value, keys: &[&str]) -> Option<Timestamp> {
    keys.iter()
        .find_map(|key| Timestamp::from_json(field(object, key)?))
}

/// Resource tags as the SDKs return them (key and value each optional in some services'
/// models), as a map; a tag without a key is dropped, a missing value reads as empty.
pub fn tag_map<'a>(
    tags: impl IntoIterator<Item = (Option<&'a str>, Option<&'a str>)>,
) -> std::collections::BTreeMap<String, String> {
    tags.into_iter()
        .filter_map(|(key, value)| Some((key?.to_owned(), value.unwrap_or_default().to_owned())))
        .collect()
}

/// Why an event could not be used at all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection(pub String);

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An EventBridge event. `detail` is kept as JSON and read through the accessors above.
#[derive(Debug, Clone, PartialEq)]
pub struct Envelope {
    pub id: Option<String>,
    pub detail_type: String,
    pub source: String,
    pub account: Option<String>,
    pub region: Option<String>,
    pub time: Option<Timestamp>,
    pub resources: Vec<String>,
    pub detail: Value,
}

impl Envelope {
    /// Parses the envelope. Fails only when the event cannot be routed: it is not an object,
    /// or it names no `detail-type` or `source`. A `detail` that arrives as a JSON-encoded
    /// string (double encoding by an intermediary) is decoded; a missing or unusable `detail`
    /// becomes `{}`.
    pub fn parse(event: &Value) -> Result<Self, Rejection> {
        if !event.is_object() {
            return Err(Rejection(format!(
                "the event is {} where an EventBridge event object was expected",
                kind_of(event)
            )));
        }
        let detail_type = text(event, &["detail-type", "detailType", "detail_type"])
            .ok_or_else(|| Rejection("the event has no usable `detail-type`".to_owned()))?;
        let source = text(event, &["source"])
            .ok_or_else(|| Rejection("the event has no usable `source`".to_owned()))?;
        let detail = match field(event, "detail") {
            Some(Value::Object(map)) => Value::Object(map.clone()),
            Some(Value::String(s)) => match serde_json::from_str::<Value>(s) {
                Ok(v @ Value::Object(_)) => v,
                _ => Value::Object(Map::new()),
            },
            _ => Value::Object(Map::new()),
        };
        let resources = match field(event, "resources") {
            Some(Value::Array(items)) => items
                .iter()
                .filter_map(|v| v.as_str())
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect(),
            Some(Value::String(s)) if !s.trim().is_empty() => vec![s.trim().to_owned()],
            _ => Vec::new(),
        };
        Ok(Self {
            id: text(event, &["id"]),
            detail_type,
            source,
            account: text(event, &["account"]),
            region: text(event, &["region"]),
            time: timestamp(event, &["time"]),
            resources,
            detail,
        })
    }

    /// The account: the envelope's, else the one named in the first resource ARN.
    pub fn account_or_default(&self) -> String {
        self.account
            .clone()
            .or_else(|| self.resources.iter().find_map(|r| arn_part(r, 4)))
            .unwrap_or_else(|| "unknown".to_owned())
    }

    /// The region: the envelope's, else the fallback (the function's own region).
    pub fn region_or(&self, fallback: &str) -> String {
        self.region.clone().unwrap_or_else(|| fallback.to_owned())
    }
}

/// One colon-separated part of an ARN (`arn:partition:service:region:account:resource`).
pub fn arn_part(arn: &str, index: usize) -> Option<String> {
    if !arn.starts_with("arn:") {
        return None;
    }
    arn.splitn(6, ':')
        .nth(index)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

/// A short human name for a JSON value's type, for error messages.
pub fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn text_skips_empty_objects_and_renders_numbers() {
        let v = json!({"a": {}, "b": "  x ", "n": 42, "e": "", "z": null});
        assert_eq!(text(&v, &["a", "b"]), Some("x".to_owned()));
        assert_eq!(text(&v, &["n"]), Some("42".to_owned()));
        assert_eq!(text(&v, &["e", "z", "missing"]), None);
    }

    #[test]
    fn numbers_and_booleans_from_strings() {
        let v = json!({"size": "1024", "pct": 99.5, "bad": "NaN", "flag": "TRUE", "one": 1});
        assert_eq!(number(&v, &["size"]), Some(1024.0));
        assert_eq!(number(&v, &["pct"]), Some(99.5));
        assert_eq!(number(&v, &["bad"]), None);
        assert_eq!(boolean(&v, &["flag"]), Some(true));
        assert_eq!(boolean(&v, &["one"]), Some(true));
        assert_eq!(boolean(&v, &["size"]), None);
    }

    #[test]
    fn tags_without_a_key_are_dropped_and_missing_values_read_empty() {
        let tags = tag_map([
            (Some("phoenix:data"), Some("true")),
            (None, Some("x")),
            (Some("Name"), None),
        ]);
        assert_eq!(tags.len(), 2);
        assert_eq!(tags["phoenix:data"], "true");
        assert_eq!(tags["Name"], "");
    }

    #[test]
    fn field_falls_back_to_case_insensitive_match() {
        let v = json!({"resourceTypeOptInPreference": {"EFS": false}});
        assert!(field(&v, "ResourceTypeOptInPreference").is_some());
    }

    #[test]
    fn envelope_decodes_string_detail_and_rejects_unroutable_events() {
        let env = Envelope::parse(&json!({
            "detail-type": "Backup Job State Change",
            "source": "aws.backup",
            "detail": "{\"state\":\"FAILED\"}",
            "resources": "arn:aws:backup:eu-west-1:111122223333:recovery-point:x"
        }))
        .expect("routable");
        assert_eq!(text(&env.detail, &["state"]), Some("FAILED".to_owned()));
        assert_eq!(env.account_or_default(), "111122223333");

        let err = Envelope::parse(&json!([1, 2])).expect_err("array");
        assert!(err.0.contains("an array"), "{err}");
        let err = Envelope::parse(&json!({"source": "aws.backup"})).expect_err("no type");
        assert!(err.0.contains("detail-type"), "{err}");
    }
}
