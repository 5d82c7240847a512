//! A DynamoDB table's own last lines of defence, point-in-time recovery and deletion
//! protection, read in one place for `protection-guard`'s confirmation and the audit. A
//! table that does not exist is an answer (`None`), not a failure.

use crate::failure::Failure;

const GONE: &[&str] = &["ResourceNotFoundException", "TableNotFoundException"];

/// Whether point-in-time recovery is on (`DescribeContinuousBackups`).
pub async fn point_in_time_recovery(
    dynamodb: &aws_sdk_dynamodb::Client,
    table: &str,
) -> Result<Option<bool>, Failure> {
    match dynamodb
        .describe_continuous_backups()
        .table_name(table)
        .send()
        .await
    {
        Ok(out) => Ok(Some(
            out.continuous_backups_description()
                .and_then(|d| d.point_in_time_recovery_description())
                .and_then(|p| p.point_in_time_recovery_status())
                .is_some_and(|s| s.as_str() == "ENABLED"),
        )),
        Err(err) => {
            let failure = Failure::of("DescribeContinuousBackups", &err);
            if GONE.contains(&failure.code.as_str()) {
                Ok(None)
            } else {
                Err(failure)
            }
        }
    }
}

/// Whether deletion protection is on (`DescribeTable`).
pub async fn deletion_protection(
    dynamodb: &aws_sdk_dynamodb::Client,
    table: &str,
) -> Result<Option<bool>, Failure> {
    match dynamodb.describe_table().table_name(table).send().await {
        Ok(out) => Ok(Some(
            out.table()
                .and_then(|t| t.deletion_protection_enabled())
                .unwrap_or(false),
        )),
        Err(err) => {
            let failure = Failure::of("DescribeTable", &err);
            if GONE.contains(&failure.code.as_str()) {
                Ok(None)
            } else {
                Err(failure)
            }
        }
    }
}
