//! What a restore test left behind, read through each service's API: the restore job
//! (`DescribeRestoreJob`), its recovery point's size (`DescribeRecoveryPoint`), the restored
//! resource and, for a database, its source. A resource that does not exist is an answer
//! (`None`), not a failure.

use crate::judge::{Engine, Restored};
use phoenix_account::Clients;
use phoenix_account::failure::Failure;
use phoenix_shared::Timestamp;

/// The resource types whose restored resources this function can read and judge.
pub const VALIDATED_TYPES: &[&str] = &["EFS", "RDS", "Aurora", "DynamoDB", "S3"];

/// A restore job as AWS Backup describes it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Job {
    pub id: String,
    pub status: Option<String>,
    pub status_message: Option<String>,
    pub resource_type: Option<String>,
    pub source: Option<String>,
    pub created_resource: Option<String>,
    pub recovery_point: Option<String>,
    pub vault_arn: Option<String>,
    pub created: Option<Timestamp>,
    pub completed: Option<Timestamp>,
    pub plan: Option<String>,
    pub validation_status: Option<String>,
}

fn ts(value: Option<&aws_sdk_backup::primitives::DateTime>) -> Option<Timestamp> {
    value.map(|d| Timestamp::from_epoch_seconds(d.secs()))
}

fn owned(value: Option<&str>) -> Option<String> {
    value.filter(|v| !v.is_empty()).map(str::to_owned)
}

/// `DescribeRestoreJob`; `None` when AWS Backup knows no such job.
pub async fn restore_job(
    backup: &aws_sdk_backup::Client,
    id: &str,
) -> Result<Option<Job>, Failure> {
    match backup
        .describe_restore_job()
        .restore_job_id(id)
        .send()
        .await
    {
        Ok(out) => Ok(Some(Job {
            id: out.restore_job_id().unwrap_or(id).to_owned(),
            status: out.status().map(|s| s.as_str().to_owned()),
            status_message: owned(out.status_message()),
            resource_type: owned(out.resource_type()),
            source: owned(out.source_resource_arn()),
            created_resource: owned(out.created_resource_arn()),
            recovery_point: owned(out.recovery_point_arn()),
            vault_arn: owned(out.backup_vault_arn()),
            created: ts(out.creation_date()),
            completed: ts(out.completion_date()),
            plan: owned(out.created_by().and_then(|c| c.restore_testing_plan_arn())),
            validation_status: out.validation_status().map(|s| s.as_str().to_owned()),
        })),
        Err(err) => {
            let failure = Failure::of("DescribeRestoreJob", &err);
            if failure.code == "ResourceNotFoundException" {
                Ok(None)
            } else {
                Err(failure)
            }
        }
    }
}

/// The recovery point's `BackupSizeInBytes` (`DescribeRecoveryPoint`); `None` when the vault
/// is not known, the point is gone or it states no size.
pub async fn point_size(
    backup: &aws_sdk_backup::Client,
    vault_arn: Option<&str>,
    point_arn: Option<&str>,
) -> Result<Option<i64>, Failure> {
    let (Some(vault), Some(point)) = (vault_arn.map(phoenix_shared::arn::vault_name), point_arn)
    else {
        return Ok(None);
    };
    match backup
        .describe_recovery_point()
        .backup_vault_name(vault)
        .recovery_point_arn(point)
        .send()
        .await
    {
        Ok(out) => Ok(out.backup_size_in_bytes()),
        Err(err) => {
            let failure = Failure::of("DescribeRecoveryPoint", &err);
            if failure.code == "ResourceNotFoundException" {
                Ok(None)
            } else {
                Err(failure)
            }
        }
    }
}

/// The part of an ARN after `marker` (`file-system/`, `:db:`, `table/`, …).
fn after<'a>(arn: &'a str, marker: &str) -> Option<&'a str> {
    arn.split_once(marker)
        .map(|(_, rest)| rest)
        .filter(|r| !r.is_empty())
}

fn gone<T>(failure: Failure, codes: &[&str]) -> Result<Option<T>, Failure> {
    if codes.contains(&failure.code.as_str()) {
        Ok(None)
    } else {
        Err(failure)
    }
}

/// The restored resource of a type in [`VALIDATED_TYPES`]; `None` when it does not exist
/// (or the ARN names none).
pub async fn restored(
    clients: &Clients,
    resource_type: &str,
    arn: &str,
) -> Result<Option<Restored>, Failure> {
    match resource_type {
        "EFS" => {
            let Some(id) = after(arn, "file-system/") else {
                return Ok(None);
            };
            match clients
                .efs()
                .describe_file_systems()
                .file_system_id(id)
                .send()
                .await
            {
                Ok(out) => Ok(out.file_systems().first().map(|fs| Restored::FileSystem {
                    state: fs.life_cycle_state().as_str().to_owned(),
                    bytes: fs.size_in_bytes().map_or(0, |s| s.value()),
                })),
                Err(err) => gone(
                    Failure::of("DescribeFileSystems", &err),
                    &["FileSystemNotFound"],
                ),
            }
        }
        "RDS" => {
            let Some(id) = after(arn, ":db:") else {
                return Ok(None);
            };
            Ok(instance(clients, id)
                .await?
                .map(|(status, engine)| Restored::Instance { status, engine }))
        }
        "Aurora" => {
            let Some(id) = after(arn, ":cluster:") else {
                return Ok(None);
            };
            Ok(cluster(clients, id)
                .await?
                .map(|(status, engine)| Restored::Cluster { status, engine }))
        }
        "DynamoDB" => {
            let Some(name) = after(arn, "table/") else {
                return Ok(None);
            };
            match clients
                .dynamodb()
                .describe_table()
                .table_name(name)
                .send()
                .await
            {
                Ok(out) => Ok(out.table().map(|t| Restored::Table {
                    status: t
                        .table_status()
                        .map(|s| s.as_str().to_owned())
                        .unwrap_or_default(),
                    items: t.item_count().unwrap_or(0),
                    bytes: t.table_size_bytes().unwrap_or(0),
                })),
                Err(err) => gone(
                    Failure::of("DescribeTable", &err),
                    &["ResourceNotFoundException"],
                ),
            }
        }
        "S3" => {
            let Some(bucket) = after(arn, ":::") else {
                return Ok(None);
            };
            let (mut objects, mut bytes) = (0_u64, 0_i64);
            let mut pages = clients
                .s3()
                .list_objects_v2()
                .bucket(bucket)
                .into_paginator()
                .send();
            while let Some(page) = pages.next().await {
                match page {
                    Ok(page) => {
                        for object in page.contents() {
                            objects += 1;
                            bytes = bytes.saturating_add(object.size().unwrap_or(0));
                        }
                    }
                    Err(err) => {
                        return gone(Failure::of("ListObjectsV2", &err), &["NoSuchBucket"]);
                    }
                }
            }
            Ok(Some(Restored::Bucket { objects, bytes }))
        }
        _ => Ok(None),
    }
}

/// The source database's engine, for RDS and Aurora; `None` for other types or a source
/// that no longer exists.
pub async fn source_engine(
    clients: &Clients,
    resource_type: &str,
    arn: Option<&str>,
) -> Result<Option<Engine>, Failure> {
    let Some(arn) = arn else { return Ok(None) };
    match resource_type {
        "RDS" => match after(arn, ":db:") {
            Some(id) => Ok(instance(clients, id).await?.map(|(_, e)| e)),
            None => Ok(None),
        },
        "Aurora" => match after(arn, ":cluster:") {
            Some(id) => Ok(cluster(clients, id).await?.map(|(_, e)| e)),
            None => Ok(None),
        },
        _ => Ok(None),
    }
}

async fn instance(clients: &Clients, id: &str) -> Result<Option<(String, Engine)>, Failure> {
    match clients
        .rds()
        .describe_db_instances()
        .db_instance_identifier(id)
        .send()
        .await
    {
        Ok(out) => Ok(out.db_instances().first().map(|db| {
            (
                db.db_instance_status().unwrap_or_default().to_owned(),
                Engine {
                    engine: db.engine().unwrap_or_default().to_owned(),
                    version: db.engine_version().unwrap_or_default().to_owned(),
                    storage_gib: i64::from(db.allocated_storage().unwrap_or(0)),
                },
            )
        })),
        Err(err) => gone(
            Failure::of("DescribeDBInstances", &err),
            &["DBInstanceNotFound", "DBInstanceNotFoundFault"],
        ),
    }
}

async fn cluster(clients: &Clients, id: &str) -> Result<Option<(String, Engine)>, Failure> {
    match clients
        .rds()
        .describe_db_clusters()
        .db_cluster_identifier(id)
        .send()
        .await
    {
        Ok(out) => Ok(out.db_clusters().first().map(|c| {
            (
                c.status().unwrap_or_default().to_owned(),
                Engine {
                    engine: c.engine().unwrap_or_default().to_owned(),
                    version: c.engine_version().unwrap_or_default().to_owned(),
                    storage_gib: i64::from(c.allocated_storage().unwrap_or(0)),
                },
            )
        })),
        Err(err) => gone(
            Failure::of("DescribeDBClusters", &err),
            &["DBClusterNotFoundFault", "DBClusterNotFound"],
        ),
    }
}
