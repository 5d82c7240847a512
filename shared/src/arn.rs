//! Canonical resource ARNs: one spelling per resource, whatever spelling an event used.
//!
//! A finding's dedup key ends in its resource's ARN, so two spellings of one resource would
//! be two incidents, and the observation that resolves one never reaches the other. AWS
//! accepts several spellings for most resources: RDS identifiers in any case (stored in
//! lower case), a secret by name, partial ARN or full ARN (with its random suffix), a KMS
//! key by id, ARN or alias, a bucket by name or ARN. Whenever AWS itself returned the ARN
//! (response elements, a confirmation read) that is the canonical one; otherwise these
//! functions build the ARN AWS would return from what the event names.

/// The partition of a region: `aws-cn` for China, `aws-us-gov` for GovCloud, else `aws`.
pub fn partition(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "aws-cn"
    } else if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else {
        "aws"
    }
}

/// `arn:<partition>:<service>:<region>:<account>:<resource>`.
pub fn build(service: &str, region: &str, account: &str, resource: &str) -> String {
    format!(
        "arn:{}:{service}:{region}:{account}:{resource}",
        partition(region)
    )
}

/// The parts of an ARN: `(partition, service, region, account, resource)`.
pub fn split(arn: &str) -> Option<(&str, &str, &str, &str, &str)> {
    let rest = arn.strip_prefix("arn:")?;
    let mut parts = rest.splitn(5, ':');
    Some((
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
    ))
}

/// AWS Backup's resource type names, so that every metric and finding spells a type alike.
pub const BACKUP_TYPES: &[&str] = &[
    "Aurora",
    "CloudFormation",
    "DocumentDB",
    "DynamoDB",
    "EBS",
    "EC2",
    "EFS",
    "FSx",
    "Neptune",
    "RDS",
    "Redshift",
    "S3",
    "SAP HANA on Amazon EC2",
    "Storage Gateway",
    "Timestream",
    "VirtualMachine",
];

/// A resource type as AWS Backup spells it (`efs` → `EFS`); one it does not know, as given.
pub fn backup_type_spelled(given: &str) -> String {
    BACKUP_TYPES
        .iter()
        .find(|t| t.eq_ignore_ascii_case(given))
        .map_or_else(|| given.to_owned(), |t| (*t).to_owned())
}

/// AWS Backup's resource type of a resource named by its ARN, where the ARN tells.
pub fn backup_type(arn: &str) -> Option<&'static str> {
    let (_, service, _, _, resource) = split(arn)?;
    Some(match service {
        "elasticfilesystem" => "EFS",
        "rds" if resource.starts_with("cluster:") => "Aurora",
        "rds" => "RDS",
        "dynamodb" => "DynamoDB",
        "ec2" if resource.starts_with("volume/") => "EBS",
        "ec2" => "EC2",
        "s3" => "S3",
        "fsx" => "FSx",
        "redshift" => "Redshift",
        "storagegateway" => "Storage Gateway",
        _ => return None,
    })
}

/// A bucket named by name or by any S3 ARN (with or without a region or account, or an
/// object path): `arn:<partition>:s3:::<name>`. Bucket names are lower case by rule.
pub fn bucket(name_or_arn: &str, region: &str) -> String {
    let (part, name) = match split(name_or_arn) {
        Some((part, "s3", _, _, resource)) => (part.to_owned(), resource),
        _ => (partition(region).to_owned(), name_or_arn),
    };
    let name = name.split('/').next().unwrap_or(name);
    format!("arn:{part}:s3:::{name}")
}

/// An object in a bucket: `arn:<partition>:s3:::<bucket>/<key>`.
pub fn s3_object(bucket: &str, key: &str, region: &str) -> String {
    format!("arn:{}:s3:::{bucket}/{key}", partition(region))
}

/// The name of a bucket named by name or ARN.
pub fn bucket_name(name_or_arn: &str) -> String {
    let name = match split(name_or_arn) {
        Some((_, "s3", _, _, resource)) => resource,
        _ => name_or_arn,
    };
    name.split('/').next().unwrap_or(name).to_owned()
}

/// An RDS DB instance (`db`) or cluster (`cluster`) named by identifier or ARN, in any
/// case: AWS stores the identifier in lower case and every read answers it so.
pub fn rds(kind: &str, id_or_arn: &str, region: &str, account: &str) -> String {
    match split(id_or_arn) {
        Some((part, "rds", r, a, resource)) => {
            let r = if r.is_empty() { region } else { r };
            let a = if a.is_empty() { account } else { a };
            format!("arn:{part}:rds:{r}:{a}:{}", resource.to_ascii_lowercase())
        }
        _ => build(
            "rds",
            region,
            account,
            &format!("{kind}:{}", id_or_arn.to_ascii_lowercase()),
        ),
    }
}

/// The identifier of an RDS instance or cluster named by identifier or ARN, lower case.
pub fn rds_id(id_or_arn: &str) -> String {
    id_or_arn
        .rsplit(':')
        .next()
        .unwrap_or(id_or_arn)
        .to_ascii_lowercase()
}

/// A backup vault named by name or ARN (with or without its region or account).
pub fn vault(name_or_arn: &str, region: &str, account: &str) -> String {
    let name = vault_name(name_or_arn);
    match split(name_or_arn) {
        Some((part, "backup", r, a, _)) => {
            let r = if r.is_empty() { region } else { r };
            let a = if a.is_empty() { account } else { a };
            format!("arn:{part}:backup:{r}:{a}:backup-vault:{name}")
        }
        _ => build("backup", region, account, &format!("backup-vault:{name}")),
    }
}

/// The name of a backup vault named by name or ARN.
pub fn vault_name(name_or_arn: &str) -> String {
    name_or_arn
        .rsplit(':')
        .next()
        .unwrap_or(name_or_arn)
        .to_owned()
}

/// A KMS key by id, key ARN, alias name or alias ARN. A key ARN is kept; a bare id becomes
/// its key ARN; an alias stays an alias ARN (only a read knows the key behind it).
pub fn kms_key(key: &str, region: &str, account: &str) -> String {
    if key.starts_with("arn:") {
        key.to_owned()
    } else if key.starts_with("alias/") {
        build("kms", region, account, key)
    } else {
        build("kms", region, account, &format!("key/{key}"))
    }
}

/// Whether an ARN names a KMS key itself (not an alias).
pub fn is_kms_key_arn(arn: &str) -> bool {
    matches!(split(arn), Some((_, "kms", _, _, resource)) if resource.starts_with("key/"))
}

/// A secret by name or ARN. A full ARN (from AWS) is kept; a name becomes the ARN without
/// the random suffix, which only AWS knows: callers prefer the ARN an answer or read gave.
pub fn secret(id: &str, region: &str, account: &str) -> String {
    if id.starts_with("arn:") {
        id.to_owned()
    } else {
        build("secretsmanager", region, account, &format!("secret:{id}"))
    }
}

/// Whether an ARN is a full Secrets Manager secret ARN (with AWS's six-character suffix),
/// as AWS returns it, not a partial one a caller typed.
pub fn is_full_secret_arn(arn: &str) -> bool {
    match split(arn) {
        Some((_, "secretsmanager", _, _, resource)) => {
            resource.rsplit_once('-').is_some_and(|(_, suffix)| {
                suffix.len() == 6 && suffix.chars().all(|c| c.is_ascii_alphanumeric())
            })
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_spelling_of_a_bucket_is_one_arn() {
        let want = "arn:aws:s3:::zulip-dev-uploads";
        for spelling in [
            "zulip-dev-uploads",
            "arn:aws:s3:::zulip-dev-uploads",
            "arn:aws:s3:eu-west-1::zulip-dev-uploads",
            "arn:aws:s3:eu-west-1:123456789012:zulip-dev-uploads",
            "arn:aws:s3:::zulip-dev-uploads/some/key",
        ] {
            assert_eq!(bucket(spelling, "eu-west-1"), want, "{spelling}");
            assert_eq!(bucket_name(spelling), "zulip-dev-uploads", "{spelling}");
        }
        assert_eq!(bucket("b", "cn-north-1"), "arn:aws-cn:s3:::b");
    }

    #[test]
    fn every_spelling_of_a_database_is_one_arn() {
        let want = "arn:aws:rds:eu-west-1:123456789012:db:zitadel-dev-db";
        for spelling in [
            "Zitadel-Dev-DB",
            "zitadel-dev-db",
            "ZITADEL-DEV-DB",
            "arn:aws:rds:eu-west-1:123456789012:db:Zitadel-Dev-DB",
            "arn:aws:rds:eu-west-1:123456789012:db:zitadel-dev-db",
        ] {
            assert_eq!(
                rds("db", spelling, "eu-west-1", "123456789012"),
                want,
                "{spelling}"
            );
            assert_eq!(rds_id(spelling), "zitadel-dev-db");
        }
    }

    #[test]
    fn every_spelling_of_a_vault_is_one_arn() {
        let want = "arn:aws:backup:eu-west-1:123456789012:backup-vault:cochlearis-dev";
        for spelling in [
            "cochlearis-dev",
            "arn:aws:backup:eu-west-1:123456789012:backup-vault:cochlearis-dev",
            "arn:aws:backup::123456789012:backup-vault:cochlearis-dev",
            "arn:aws:backup:::backup-vault:cochlearis-dev",
        ] {
            assert_eq!(
                vault(spelling, "eu-west-1", "123456789012"),
                want,
                "{spelling}"
            );
        }
    }

    #[test]
    fn keys_and_secrets_keep_what_aws_returned() {
        assert_eq!(
            kms_key("1234abcd-12ab", "eu-west-1", "1"),
            "arn:aws:kms:eu-west-1:1:key/1234abcd-12ab"
        );
        assert_eq!(
            kms_key("alias/zitadel", "eu-west-1", "1"),
            "arn:aws:kms:eu-west-1:1:alias/zitadel"
        );
        assert!(is_kms_key_arn("arn:aws:kms:eu-west-1:1:key/1234abcd-12ab"));
        assert!(!is_kms_key_arn("arn:aws:kms:eu-west-1:1:alias/zitadel"));
        assert!(is_full_secret_arn(
            "arn:aws:secretsmanager:eu-west-1:1:secret:zitadel/master-key-AbC123"
        ));
        assert!(!is_full_secret_arn(
            "arn:aws:secretsmanager:eu-west-1:1:secret:zitadel/master-key"
        ));
        assert_eq!(
            secret("zitadel/master-key", "eu-west-1", "1"),
            "arn:aws:secretsmanager:eu-west-1:1:secret:zitadel/master-key"
        );
    }
}
