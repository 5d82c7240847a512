//! AWS Backup recovery points of one resource, in one model.

use crate::failure::Failure;
use phoenix_shared::time::Timestamp;

/// A completed recovery point of a resource.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Point {
    pub arn: String,
    pub vault: String,
    pub completed: Timestamp,
}

/// The completed recovery points of a resource (`ListRecoveryPointsByResource`), every
/// page, in any vault: when each was taken and where it is kept.
pub async fn completed_points(
    backup: &aws_sdk_backup::Client,
    resource_arn: &str,
) -> Result<Vec<Point>, Failure> {
    let mut points = Vec::new();
    let mut pages = backup
        .list_recovery_points_by_resource()
        .resource_arn(resource_arn)
        .max_results(100)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|err| Failure::of("ListRecoveryPointsByResource", &err))?;
        for point in page.recovery_points() {
            let good = point
                .status()
                .is_some_and(|s| matches!(s.as_str(), "COMPLETED" | "AVAILABLE"));
            // The listing gives the creation time only: a completed point's age is counted
            // from when its backup started, which errs on the old side.
            let completed = point.creation_date();
            if let (true, Some(arn), Some(completed)) =
                (good, point.recovery_point_arn(), completed)
            {
                points.push(Point {
                    arn: arn.to_owned(),
                    vault: point.backup_vault_name().unwrap_or_default().to_owned(),
                    completed: Timestamp::from_epoch_seconds(completed.secs()),
                });
            }
        }
    }
    Ok(points)
}
