//! KMS keys: what `DescribeKey` says about one key, in one model.

use crate::failure::Failure;
use phoenix_shared::time::Timestamp;

/// A key as `DescribeKey` reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Key {
    /// As AWS returned it (absent if it did not).
    pub arn: Option<String>,
    pub key_id: String,
    /// `Enabled`, `Disabled`, `PendingDeletion`, … (`Unknown` when AWS gives none).
    pub state: String,
    pub deletion_date: Option<Timestamp>,
}

/// `DescribeKey` on a key id, ARN or alias: `None` when no such key exists (any longer).
pub async fn describe(kms: &aws_sdk_kms::Client, id: &str) -> Result<Option<Key>, Failure> {
    let out = match kms.describe_key().key_id(id).send().await {
        Ok(out) => out,
        Err(err) => {
            let failure = Failure::of("DescribeKey", &err);
            return if failure.code == "NotFoundException" {
                Ok(None)
            } else {
                Err(failure)
            };
        }
    };
    let Some(meta) = out.key_metadata() else {
        return Err(Failure {
            operation: "DescribeKey",
            code: String::new(),
            reason: "the answer has no KeyMetadata".to_owned(),
            transient: false,
        });
    };
    Ok(Some(Key {
        arn: meta.arn().map(str::to_owned),
        key_id: meta.key_id().to_owned(),
        state: meta
            .key_state()
            .map_or_else(|| "Unknown".to_owned(), |s| s.as_str().to_owned()),
        deletion_date: meta
            .deletion_date()
            .map(|d| Timestamp::from_epoch_seconds(d.secs())),
    }))
}
