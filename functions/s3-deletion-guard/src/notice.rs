//! Reading S3's two notification shapes into one model, leniently.
//!
//! * Classic notifications: `{"Records": [...]}` with `eventName` such as
//!   `ObjectRemoved:Delete`, keys URL-encoded (`+` for a space). They may arrive wrapped by SNS
//!   (`Records[].Sns.Message`) or SQS (`Records[].body`), whose text holds the same document.
//!   Configuring a notification sends an `s3:TestEvent` message without `Records`.
//! * EventBridge: `detail-type` `Object Deleted` / `Object Created`, kebab-case keys, keys not
//!   encoded, `deletion-type` and `reason` saying what kind of delete it was.

use phoenix_shared::Timestamp;
use phoenix_shared::event::{Envelope, Rejection, field, text};
use serde_json::Value;

/// What happened to an object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// Deleted with no version left behind for it: an unversioned delete, or a specific
    /// version deleted.
    PermanentlyDeleted,
    /// A delete marker was created: every version is still there.
    DeleteMarkerCreated,
    /// A lifecycle rule expired the object or a noncurrent version for good: retention
    /// working as configured (the rule itself is judged by `protection-guard`).
    Expired,
    /// A lifecycle rule put a delete marker on the current version.
    ExpiredToDeleteMarker,
    /// A delete whose kind the event does not say; the bucket's versioning decides.
    DeletedUnknownKind,
    /// A new object or version was written.
    Created,
}

impl Change {
    pub const fn is_deletion(self) -> bool {
        !matches!(self, Self::Created)
    }
}

/// One object change, from either delivery path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub change: Change,
    /// The event's own name, e.g. `ObjectRemoved:Delete` or `Object Deleted`.
    pub event_name: String,
    pub bucket: String,
    /// Decoded: the object's real key.
    pub key: String,
    pub version_id: Option<String>,
    pub sequencer: Option<String>,
    pub region: Option<String>,
    pub account: Option<String>,
    pub time: Option<Timestamp>,
    pub requester: Option<String>,
    pub source_ip: Option<String>,
}

impl Notice {
    /// Identifies this change among all others of the object, for counting each once:
    /// the version when there is one, else S3's sequencer, else the time.
    pub fn identity(&self) -> String {
        let which = self
            .version_id
            .clone()
            .or_else(|| self.sequencer.clone())
            .or_else(|| self.time.map(|t| t.to_string()))
            .unwrap_or_default();
        format!("{}/{}#{which}", self.bucket, self.key)
    }
}

/// What an event holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Parsed {
    /// S3's `s3:TestEvent`, sent when a notification is configured.
    TestEvent,
    /// Object changes; records this function has no use for (restores, tagging, replication)
    /// are counted in `skipped`, records too broken to use in `unusable` with the reason.
    Notices {
        notices: Vec<Notice>,
        skipped: usize,
        unusable: Vec<String>,
    },
}

/// Reads an event. `Err` only when it is not an S3 notification in either shape.
pub fn parse(event: &Value) -> Result<Parsed, Rejection> {
    if let Some(records) = field(event, "Records").and_then(Value::as_array) {
        let mut out = (Vec::new(), 0, Vec::new());
        for record in records {
            classic_record(record, &mut out, 0);
        }
        let (notices, skipped, unusable) = out;
        return Ok(Parsed::Notices {
            notices,
            skipped,
            unusable,
        });
    }
    if text(event, &["Event"]).is_some_and(|e| e.ends_with("TestEvent")) {
        return Ok(Parsed::TestEvent);
    }
    let envelope = Envelope::parse(event)?;
    let detail_type = envelope.detail_type.to_ascii_lowercase();
    let change = match detail_type.as_str() {
        "object deleted" => eventbridge_deletion(&envelope.detail),
        "object created" => Change::Created,
        _ => {
            return Ok(Parsed::Notices {
                notices: Vec::new(),
                skipped: 1,
                unusable: Vec::new(),
            });
        }
    };
    let detail = &envelope.detail;
    let bucket = field(detail, "bucket")
        .and_then(|b| text(b, &["name"]))
        .or_else(|| {
            envelope
                .resources
                .iter()
                .find(|r| r.contains(":s3:::"))
                .map(|r| phoenix_shared::arn::bucket_name(r))
        });
    let object = field(detail, "object");
    let key = object.and_then(|o| raw_text(o, "key"));
    let (Some(bucket), Some(key)) = (bucket, key) else {
        return Err(Rejection(format!(
            "an S3 `{}` event without a bucket name or object key",
            envelope.detail_type
        )));
    };
    let notice = Notice {
        change,
        event_name: envelope.detail_type.clone(),
        bucket,
        key,
        version_id: object.and_then(|o| text(o, &["version-id", "versionId"])),
        sequencer: object.and_then(|o| text(o, &["sequencer"])),
        region: envelope.region.clone(),
        account: envelope.account.clone(),
        time: envelope.time,
        requester: text(detail, &["requester"]),
        source_ip: text(detail, &["source-ip-address"]),
    };
    Ok(Parsed::Notices {
        notices: vec![notice],
        skipped: 0,
        unusable: Vec::new(),
    })
}

fn eventbridge_deletion(detail: &Value) -> Change {
    let lifecycle = text(detail, &["reason"]).is_some_and(|r| {
        r.to_ascii_lowercase()
            .replace(' ', "")
            .contains("lifecycle")
    });
    let kind = text(detail, &["deletion-type", "deletionType"])
        .map(|k| k.to_ascii_lowercase().replace([' ', '-', '_'], ""));
    match (kind.as_deref(), lifecycle) {
        (Some("permanentlydeleted"), false) => Change::PermanentlyDeleted,
        (Some("permanentlydeleted"), true) => Change::Expired,
        (Some("deletemarkercreated"), false) => Change::DeleteMarkerCreated,
        (Some("deletemarkercreated"), true) => Change::ExpiredToDeleteMarker,
        _ => Change::DeletedUnknownKind,
    }
}

type Sink = (Vec<Notice>, usize, Vec<String>);

fn classic_record(record: &Value, out: &mut Sink, depth: u8) {
    // S3 -> SNS -> Lambda and S3 -> SQS -> Lambda: the S3 document is the message text.
    let wrapped = field(record, "Sns")
        .and_then(|sns| raw_text(sns, "Message"))
        .or_else(|| raw_text(record, "body"));
    if let Some(message) = wrapped {
        if depth > 1 {
            out.2
                .push("notification wrapped more than twice".to_owned());
            return;
        }
        match serde_json::from_str::<Value>(&message) {
            Ok(inner) => match field(&inner, "Records").and_then(Value::as_array) {
                Some(records) => records
                    .iter()
                    .for_each(|r| classic_record(r, out, depth + 1)),
                // A wrapped s3:TestEvent, or some other message on the topic or queue.
                None => out.1 += 1,
            },
            Err(err) => out.2.push(format!("wrapped message is not JSON: {err}")),
        }
        return;
    }
    let name = text(record, &["eventName"]).unwrap_or_default();
    let short = name.strip_prefix("s3:").unwrap_or(&name);
    let change = match short {
        "ObjectRemoved:Delete" => Change::PermanentlyDeleted,
        "ObjectRemoved:DeleteMarkerCreated" => Change::DeleteMarkerCreated,
        "LifecycleExpiration:Delete" => Change::Expired,
        "LifecycleExpiration:DeleteMarkerCreated" => Change::ExpiredToDeleteMarker,
        s if s.starts_with("ObjectRemoved") => Change::DeletedUnknownKind,
        s if s.starts_with("ObjectCreated") => Change::Created,
        "" => {
            out.2.push("a record without eventName".to_owned());
            return;
        }
        _ => {
            out.1 += 1;
            return;
        }
    };
    let s3 = field(record, "s3");
    let bucket = s3.and_then(|s| field(s, "bucket")).and_then(|b| {
        text(b, &["name"]).or_else(|| {
            text(b, &["arn"])
                .filter(|a| a.contains(":s3:::"))
                .map(|a| phoenix_shared::arn::bucket_name(&a))
        })
    });
    let object = s3.and_then(|s| field(s, "object"));
    let key = object
        .and_then(|o| raw_text(o, "key"))
        .map(|k| url_decode(&k));
    let (Some(bucket), Some(key)) = (bucket, key) else {
        out.2.push(format!(
            "a `{name}` record without a bucket name or object key"
        ));
        return;
    };
    out.0.push(Notice {
        change,
        event_name: short.to_owned(),
        bucket,
        key,
        version_id: object.and_then(|o| text(o, &["versionId"])),
        sequencer: object.and_then(|o| text(o, &["sequencer"])),
        region: text(record, &["awsRegion"]),
        account: None,
        time: phoenix_shared::event::timestamp(record, &["eventTime"]),
        requester: field(record, "userIdentity").and_then(|u| text(u, &["principalId"])),
        source_ip: field(record, "requestParameters").and_then(|p| text(p, &["sourceIPAddress"])),
    });
}

/// A string field as it is (keys may start or end with spaces); numbers rendered.
fn raw_text(object: &Value, key: &str) -> Option<String> {
    match field(object, key)? {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Decodes a classic notification's key: `+` is a space, `%XX` a byte; malformed escapes stay
/// as they are, bytes that are not UTF-8 become U+FFFD.
pub fn url_decode(raw: &str) -> String {
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = bytes
                    .get(i + 1..i + 3)
                    .and_then(|h| std::str::from_utf8(h).ok())
                    .and_then(|h| u8::from_str_radix(h, 16).ok());
                match hex {
                    Some(b) => {
                        out.push(b);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_decode_plus_and_percent_escapes_and_keep_malformed_ones() {
        assert_eq!(
            url_decode("user+uploads/a%2Bb%20c.png"),
            "user uploads/a+b c.png"
        );
        assert_eq!(url_decode("caf%C3%A9"), "café");
        assert_eq!(url_decode("100%"), "100%");
        assert_eq!(url_decode("%zz%4"), "%zz%4");
        assert_eq!(url_decode("%FF"), "\u{FFFD}");
    }
}
