//! Where a finding's resource is in the AWS Management Console: the page an operator opens
//! from a page or a chat message. Built from the resource's ARN and region; `None` for a
//! resource the console has no page for (a scope such as `account:<id>`, a restore job).

use std::fmt::Write as _;

/// The console's host for `region`'s partition and `service`'s page.
fn host(region: &str) -> String {
    match crate::arn::partition(region) {
        "aws-cn" => format!("{region}.console.amazonaws.cn"),
        "aws-us-gov" => format!("{region}.console.amazonaws-us-gov.com"),
        _ => format!("{region}.console.aws.amazon.com"),
    }
}

/// Percent-encodes what a console URL's path segment or query value must not hold raw.
fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~' | b'/') {
            out.push(char::from(b));
        } else {
            // Writing to a String cannot fail.
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// The console page of the resource `arn` names, in `region` (the finding's, for ARNs that
/// leave theirs out, such as a bucket's).
pub fn url(arn: &str, region: &str) -> Option<String> {
    let mut parts = arn.splitn(6, ':');
    let (Some("arn"), Some(_), Some(service), Some(arn_region), Some(_), Some(resource)) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        return None;
    };
    let region = if arn_region.is_empty() {
        region
    } else {
        arn_region
    };
    if region.is_empty() {
        return None;
    }
    let console = host(region);
    let (kind, id) = resource.split_once(['/', ':']).unwrap_or((resource, ""));
    let page = match (service, kind) {
        ("s3", _) => {
            let s3 = console.replacen(&format!("{region}.console"), "s3.console", 1);
            return Some(match resource.split_once('/') {
                Some((bucket, key)) if !key.is_empty() => format!(
                    "https://{s3}/s3/object/{}?region={region}&prefix={}",
                    encode(bucket),
                    encode(key)
                ),
                _ => format!(
                    "https://{s3}/s3/buckets/{}?region={region}",
                    encode(resource.trim_end_matches('/'))
                ),
            });
        }
        ("elasticfilesystem", "file-system") => {
            format!("efs/home?region={region}#/file-systems/{id}")
        }
        ("rds", "db") => format!("rds/home?region={region}#database:id={id};is-cluster=false"),
        ("rds", "cluster") => format!("rds/home?region={region}#database:id={id};is-cluster=true"),
        ("dynamodb", "table") => format!(
            "dynamodbv2/home?region={region}#table?name={}",
            encode(id.split('/').next().unwrap_or(id))
        ),
        ("backup", "backup-vault") => {
            format!(
                "backup/home?region={region}#/backupvaults/details/{}",
                encode(id)
            )
        }
        ("backup", "backup-plan") => {
            format!(
                "backup/home?region={region}#/backupplan/details/{}",
                encode(id)
            )
        }
        ("backup", "recovery-point") => format!("backup/home?region={region}#/backupvaults"),
        ("secretsmanager", "secret") => {
            // The console takes the name, without the six characters AWS appends.
            let name = match id.rsplit_once('-') {
                Some((name, suffix)) if suffix.len() == 6 => name,
                _ => id,
            };
            format!(
                "secretsmanager/secret?name={}&region={region}",
                encode(name)
            )
        }
        ("kms", "key") => format!("kms/home?region={region}#/kms/keys/{}", encode(id)),
        ("cloudtrail", "trail") => {
            format!("cloudtrail/home?region={region}#/trails/{}", encode(arn))
        }
        ("events", "rule") => {
            let (bus, name) = id.split_once('/').unwrap_or(("default", id));
            format!(
                "events/home?region={region}#/eventbus/{}/rules/{}",
                encode(bus),
                encode(name)
            )
        }
        _ => return None,
    };
    Some(format!("https://{console}/{page}"))
}

#[cfg(test)]
mod tests {
    use super::url;

    #[test]
    fn each_kind_of_resource_opens_its_own_console_page() {
        let cases = [
            (
                "arn:aws:elasticfilesystem:eu-west-1:111122223333:file-system/fs-0abc",
                "https://eu-west-1.console.aws.amazon.com/efs/home?region=eu-west-1#/file-systems/fs-0abc",
            ),
            (
                "arn:aws:rds:eu-west-1:111122223333:db:zitadel-dev-db",
                "https://eu-west-1.console.aws.amazon.com/rds/home?region=eu-west-1#database:id=zitadel-dev-db;is-cluster=false",
            ),
            (
                "arn:aws:rds:eu-west-1:111122223333:cluster:app",
                "https://eu-west-1.console.aws.amazon.com/rds/home?region=eu-west-1#database:id=app;is-cluster=true",
            ),
            (
                "arn:aws:s3:::cochlearis-dev-zulip-uploads",
                "https://s3.console.aws.amazon.com/s3/buckets/cochlearis-dev-zulip-uploads?region=eu-west-1",
            ),
            (
                "arn:aws:s3:::tfstate/env:/dev/app terraform.tfstate",
                "https://s3.console.aws.amazon.com/s3/object/tfstate?region=eu-west-1&prefix=env%3A/dev/app%20terraform.tfstate",
            ),
            (
                "arn:aws:dynamodb:us-east-1:111122223333:table/sessions",
                "https://us-east-1.console.aws.amazon.com/dynamodbv2/home?region=us-east-1#table?name=sessions",
            ),
            (
                "arn:aws:backup:eu-west-1:111122223333:backup-vault:Default",
                "https://eu-west-1.console.aws.amazon.com/backup/home?region=eu-west-1#/backupvaults/details/Default",
            ),
            (
                "arn:aws:secretsmanager:eu-west-1:111122223333:secret:zitadel-masterkey-AbC123",
                "https://eu-west-1.console.aws.amazon.com/secretsmanager/secret?name=zitadel-masterkey&region=eu-west-1",
            ),
            (
                "arn:aws:events:eu-west-1:111122223333:rule/phoenix-guard-backup-events",
                "https://eu-west-1.console.aws.amazon.com/events/home?region=eu-west-1#/eventbus/default/rules/phoenix-guard-backup-events",
            ),
            (
                "arn:aws-cn:kms:cn-north-1:111122223333:key/1234abcd",
                "https://cn-north-1.console.amazonaws.cn/kms/home?region=cn-north-1#/kms/keys/1234abcd",
            ),
        ];
        for (arn, want) in cases {
            assert_eq!(url(arn, "eu-west-1").as_deref(), Some(want), "{arn}");
        }
    }

    #[test]
    fn a_scope_or_an_unknown_service_has_no_page() {
        for arn in [
            "account:111122223333",
            "arn:aws:backup:eu-west-1:111122223333:restore-job/1",
            "arn:aws:ec2:eu-west-1:111122223333:volume/vol-1",
            "",
        ] {
            assert_eq!(url(arn, "eu-west-1"), None, "{arn}");
        }
        assert_eq!(url("arn:aws:s3:::bucket", ""), None);
    }
}
