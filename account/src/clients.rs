//! The SDK clients for one target: an account and region, with the credentials that reach it.
//!
//! Each client is built the first time a reader asks for it and kept for the life of the
//! value. Building one costs a few milliseconds (its HTTPS connector parses the trust
//! store), so a cold start builds only what its first event uses: a protection-guard
//! invocation about a key builds the KMS client and nothing else.
//!
//! Today the functions and the command line build the [`Clients::current`] target, from the
//! environment's SDK configuration. A target in another account is the same type over an
//! SDK configuration whose credentials come from assuming a role there.

use aws_config::SdkConfig;
use std::sync::OnceLock;

/// Where reads go: an account and a region. Either may be unknown (the caller's own account
/// before anything named it; no region configured).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Target {
    pub account: Option<String>,
    pub region: Option<String>,
}

/// One target's clients, each built on first use.
#[derive(Debug, Clone)]
pub struct Clients {
    sdk: SdkConfig,
    target: Target,
    backup: OnceLock<aws_sdk_backup::Client>,
    cloudtrail: OnceLock<aws_sdk_cloudtrail::Client>,
    cloudwatch: OnceLock<aws_sdk_cloudwatch::Client>,
    dynamodb: OnceLock<aws_sdk_dynamodb::Client>,
    efs: OnceLock<aws_sdk_efs::Client>,
    events: OnceLock<aws_sdk_eventbridge::Client>,
    kms: OnceLock<aws_sdk_kms::Client>,
    organizations: OnceLock<aws_sdk_organizations::Client>,
    rds: OnceLock<aws_sdk_rds::Client>,
    s3: OnceLock<aws_sdk_s3::Client>,
    secrets: OnceLock<aws_sdk_secretsmanager::Client>,
    tagging: OnceLock<aws_sdk_resourcegroupstagging::Client>,
}

impl Clients {
    /// The target the SDK configuration itself reaches (its credentials, its region).
    pub fn current(sdk: &SdkConfig) -> Self {
        let region = sdk.region().map(ToString::to_string);
        Self::for_target(
            sdk,
            Target {
                account: None,
                region,
            },
        )
    }

    /// A target reached through `sdk` (credentials and region already set for it).
    pub fn for_target(sdk: &SdkConfig, target: Target) -> Self {
        Self {
            sdk: sdk.clone(),
            target,
            backup: OnceLock::new(),
            cloudtrail: OnceLock::new(),
            cloudwatch: OnceLock::new(),
            dynamodb: OnceLock::new(),
            efs: OnceLock::new(),
            events: OnceLock::new(),
            kms: OnceLock::new(),
            organizations: OnceLock::new(),
            rds: OnceLock::new(),
            s3: OnceLock::new(),
            secrets: OnceLock::new(),
            tagging: OnceLock::new(),
        }
    }

    pub fn target(&self) -> &Target {
        &self.target
    }

    /// How many clients have been built so far (what a cold start paid for).
    pub fn built(&self) -> usize {
        [
            self.backup.get().is_some(),
            self.cloudtrail.get().is_some(),
            self.cloudwatch.get().is_some(),
            self.dynamodb.get().is_some(),
            self.efs.get().is_some(),
            self.events.get().is_some(),
            self.kms.get().is_some(),
            self.organizations.get().is_some(),
            self.rds.get().is_some(),
            self.s3.get().is_some(),
            self.secrets.get().is_some(),
            self.tagging.get().is_some(),
        ]
        .into_iter()
        .filter(|built| *built)
        .count()
    }

    pub fn backup(&self) -> &aws_sdk_backup::Client {
        self.backup
            .get_or_init(|| aws_sdk_backup::Client::new(&self.sdk))
    }

    pub fn cloudtrail(&self) -> &aws_sdk_cloudtrail::Client {
        self.cloudtrail
            .get_or_init(|| aws_sdk_cloudtrail::Client::new(&self.sdk))
    }

    pub fn cloudwatch(&self) -> &aws_sdk_cloudwatch::Client {
        self.cloudwatch
            .get_or_init(|| aws_sdk_cloudwatch::Client::new(&self.sdk))
    }

    pub fn dynamodb(&self) -> &aws_sdk_dynamodb::Client {
        self.dynamodb
            .get_or_init(|| aws_sdk_dynamodb::Client::new(&self.sdk))
    }

    pub fn efs(&self) -> &aws_sdk_efs::Client {
        self.efs.get_or_init(|| aws_sdk_efs::Client::new(&self.sdk))
    }

    pub fn events(&self) -> &aws_sdk_eventbridge::Client {
        self.events
            .get_or_init(|| aws_sdk_eventbridge::Client::new(&self.sdk))
    }

    pub fn kms(&self) -> &aws_sdk_kms::Client {
        self.kms.get_or_init(|| aws_sdk_kms::Client::new(&self.sdk))
    }

    /// AWS Organizations answers in the management account or a delegated administrator.
    pub fn organizations(&self) -> &aws_sdk_organizations::Client {
        self.organizations
            .get_or_init(|| aws_sdk_organizations::Client::new(&self.sdk))
    }

    pub fn rds(&self) -> &aws_sdk_rds::Client {
        self.rds.get_or_init(|| aws_sdk_rds::Client::new(&self.sdk))
    }

    /// Path-style addressing against a custom endpoint (the emulator), virtual-hosted
    /// against AWS.
    pub fn s3(&self) -> &aws_sdk_s3::Client {
        self.s3
            .get_or_init(|| phoenix_shared::aws::s3_client(&self.sdk))
    }

    pub fn secrets(&self) -> &aws_sdk_secretsmanager::Client {
        self.secrets
            .get_or_init(|| aws_sdk_secretsmanager::Client::new(&self.sdk))
    }

    pub fn tagging(&self) -> &aws_sdk_resourcegroupstagging::Client {
        self.tagging
            .get_or_init(|| aws_sdk_resourcegroupstagging::Client::new(&self.sdk))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_config::{BehaviorVersion, Region};

    #[test]
    fn a_client_is_built_when_first_asked_for_and_then_kept() {
        let sdk = SdkConfig::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("eu-west-1"))
            .build();
        let clients = Clients::current(&sdk);
        assert_eq!(clients.built(), 0);
        assert_eq!(clients.target().region.as_deref(), Some("eu-west-1"));
        let first = clients.kms().config().region().cloned();
        assert_eq!(clients.built(), 1);
        let _ = clients.kms();
        assert_eq!(clients.built(), 1, "asking again builds nothing");
        assert_eq!(first, Some(Region::new("eu-west-1")));
    }
}
