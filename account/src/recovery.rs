//! AWS Backup recovery points of one resource, in one model.

use crate::failure::Failure;
use crate::gate::Point;
use phoenix_shared::time::Timestamp;

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

/// The resource of every recovery point in a vault (`ListRecoveryPointsByBackupVault`),
/// one entry per point, every page.
pub async fn resources_in_vault(
    backup: &aws_sdk_backup::Client,
    vault: &str,
) -> Result<Vec<String>, Failure> {
    let mut resources = Vec::new();
    let mut pages = backup
        .list_recovery_points_by_backup_vault()
        .backup_vault_name(vault)
        .max_results(100)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|err| Failure::of("ListRecoveryPointsByBackupVault", &err))?;
        resources.extend(
            page.recovery_points()
                .iter()
                .map(|p| p.resource_arn().unwrap_or("(unnamed resource)").to_owned()),
        );
    }
    Ok(resources)
}
