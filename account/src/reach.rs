//! Reaching every target of an organization from the central account: the clients for an
//! (account, region), through the member account's reader role.
//!
//! The central account's own region uses the function's credentials. Any other target
//! (another account, or another region of the own account once a reader role is named) is
//! reached by `sts:AssumeRole` into `arn:<partition>:iam::<account>:role/
//! <reader role>`; the temporary credentials and the clients built on them are kept per
//! (account, region) for the life of a warm container and assumed again a few minutes before
//! they expire. A refused assume-role (the role is missing, or does not trust this function)
//! is a [`Failure`] that is not transient: the caller reports the target as unknown, never
//! as healthy.

use crate::clients::{Clients, Target};
use crate::failure::Failure;
use aws_config::SdkConfig;
use aws_sdk_s3::config::{Credentials, Region, SharedCredentialsProvider};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, SystemTime};

/// How long assumed credentials are asked for (the role's maximum session is at least this).
pub const SESSION_SECONDS: i32 = 3600;
/// Assumed credentials are renewed this long before they expire: a sweep that starts with
/// them finishes with them.
pub const RENEW_BEFORE: Duration = Duration::from_secs(15 * 60);

/// One target's clients and when their credentials expire (`None`: the function's own).
#[derive(Debug, Clone)]
struct Held {
    clients: Arc<Clients>,
    expires: Option<SystemTime>,
}

/// The clients of every target reached so far, keyed by (account, region).
#[derive(Debug)]
pub struct Reach {
    sdk: SdkConfig,
    home: Arc<Clients>,
    role_name: Option<String>,
    session: String,
    sts: OnceLock<aws_sdk_sts::Client>,
    held: Mutex<HashMap<(String, String), Held>>,
}

impl Reach {
    /// From the function's SDK configuration: `role_name` is the role assumed in every other
    /// account, the reader role (restore-validator's is its validator role; `None`: only the
    /// own account is reachable), `session` names the assumed sessions in the members'
    /// CloudTrail.
    pub fn new(sdk: &SdkConfig, role_name: Option<String>, session: &str) -> Self {
        Self {
            sdk: sdk.clone(),
            home: Arc::new(Clients::current(sdk)),
            role_name: role_name.filter(|r| !r.trim().is_empty()),
            session: session.to_owned(),
            sts: OnceLock::new(),
            held: Mutex::new(HashMap::new()),
        }
    }

    /// The function's own account and region.
    pub fn home(&self) -> &Clients {
        &self.home
    }

    /// Whether `account` is `own` (the account the function runs in), or unnamed.
    pub fn is_own(account: Option<&str>, own: &str) -> bool {
        account.is_none_or(|a| a.is_empty() || a == own)
    }

    /// How many targets have clients held now.
    pub fn held(&self) -> usize {
        self.held.lock().map(|h| h.len()).unwrap_or_default()
    }

    /// The clients for `target` at `now`, seen from account `own`: the home clients for the
    /// own account and region, held ones while their credentials last, else newly assumed
    /// ones.
    pub async fn clients(
        &self,
        own_account: &str,
        target: &Target,
        now: SystemTime,
    ) -> Result<Arc<Clients>, Failure> {
        let home_region = self.sdk.region().map(ToString::to_string);
        let region = target.region.clone().or_else(|| home_region.clone());
        let own = Self::is_own(target.account.as_deref(), own_account);
        if own && region == home_region {
            return Ok(self.home.clone());
        }
        let region = region.unwrap_or_default();
        let key = (target.account.clone().unwrap_or_default(), region.clone());
        if let Some(held) = self.fresh(&key, now) {
            return Ok(held);
        }
        // The function's own role reads its own region only; another region of its own
        // account goes through the reader role too, when there is one (the member part is
        // deployed there as everywhere else).
        let (sdk, expires) = if own && self.role_name.is_none() {
            (
                self.sdk
                    .to_builder()
                    .region(Region::new(region.clone()))
                    .build(),
                None,
            )
        } else {
            let account = target.account.as_deref().unwrap_or(own_account);
            let (credentials, expires) = self.assume(account, &region).await?;
            (
                self.sdk
                    .to_builder()
                    .region(Region::new(region.clone()))
                    .credentials_provider(SharedCredentialsProvider::new(credentials))
                    .build(),
                expires,
            )
        };
        let clients = Arc::new(Clients::for_target(
            &sdk,
            Target {
                account: target
                    .account
                    .clone()
                    .or_else(|| Some(own_account.to_owned())),
                region: Some(region),
            },
        ));
        if let Ok(mut held) = self.held.lock() {
            held.insert(
                key,
                Held {
                    clients: clients.clone(),
                    expires,
                },
            );
        }
        Ok(clients)
    }

    fn fresh(&self, key: &(String, String), now: SystemTime) -> Option<Arc<Clients>> {
        let held = self.held.lock().ok()?;
        let entry = held.get(key)?;
        match entry.expires {
            Some(expires) if now + RENEW_BEFORE >= expires => None,
            _ => Some(entry.clients.clone()),
        }
    }

    /// The reader role's ARN in `account`.
    pub fn role_arn(&self, account: &str, region: &str) -> Option<String> {
        self.role_name.as_ref().map(|name| {
            format!(
                "arn:{}:iam::{account}:role/{name}",
                phoenix_shared::arn::partition(region)
            )
        })
    }

    async fn assume(
        &self,
        account: &str,
        region: &str,
    ) -> Result<(Credentials, Option<SystemTime>), Failure> {
        const OPERATION: &str = "sts:AssumeRole";
        let Some(role) = self.role_arn(account, region) else {
            return Err(Failure {
                operation: OPERATION,
                code: "NoReaderRole".to_owned(),
                reason: format!(
                    "account {account} is not this account and no reader role is configured (PHOENIX_READER_ROLE)"
                ),
                transient: false,
            });
        };
        let sts = self.sts.get_or_init(|| aws_sdk_sts::Client::new(&self.sdk));
        let out = sts
            .assume_role()
            .role_arn(&role)
            .role_session_name(&self.session)
            .duration_seconds(SESSION_SECONDS)
            .send()
            .await
            .map_err(|err| {
                let mut failure = Failure::of(OPERATION, &err);
                failure.reason = format!("{role}: {}", failure.reason);
                failure
            })?;
        let Some(c) = out.credentials() else {
            return Err(Failure {
                operation: OPERATION,
                code: "NoCredentials".to_owned(),
                reason: format!("{role}: STS answered without credentials"),
                transient: true,
            });
        };
        let expires = SystemTime::try_from(*c.expiration()).ok();
        Ok((
            Credentials::new(
                c.access_key_id(),
                c.secret_access_key(),
                Some(c.session_token().to_owned()),
                expires,
                "phoenix-reader",
            ),
            expires,
        ))
    }
}

/// The scope a target's unknown finding is about: `account:<id>`.
pub fn scope(account: &str) -> String {
    format!("account:{account}")
}

/// The finding for a target that could not be reached: `check-unknown` about the whole
/// account and region, never a pass.
pub fn unreachable(
    failure: &Failure,
    account: &str,
    region: &str,
    at: phoenix_shared::Timestamp,
) -> phoenix_shared::Finding {
    let mut finding = about(
        account,
        region,
        at,
        format!("Account {account} in {region} could not be read: {failure}"),
    );
    finding
        .details
        .insert("operation".to_owned(), failure.operation.into());
    finding
        .details
        .insert("errorCode".to_owned(), failure.code.clone().into());
    finding
}

fn about(
    account: &str,
    region: &str,
    at: phoenix_shared::Timestamp,
    summary: String,
) -> phoenix_shared::Finding {
    let scope = scope(account);
    let target = phoenix_shared::checks::Target {
        resource_type: "Account",
        id: account,
        arn: &scope,
        region,
        min_retention_days: 0,
        command: "",
    };
    phoenix_shared::checks::finding(
        phoenix_shared::checks::FRESHNESS_UNKNOWN,
        account,
        &target,
        phoenix_shared::Severity::Error,
        summary,
        at,
    )
}

/// A queued target, as a sweep finds it.
#[derive(Debug)]
pub enum Reached {
    /// Its clients.
    Clients(Arc<Clients>),
    /// Refused for good: its `check-unknown`, to page.
    Unknown(Box<phoenix_shared::Finding>),
    /// Not now (throttled, timed out): the message is to be delivered again.
    Later(Failure),
}

impl Reach {
    /// The clients for the target a sweep request names, seen from `own_account`; a refusal
    /// is the target's `check-unknown` at `at`.
    pub async fn request(
        &self,
        own_account: &str,
        request: &phoenix_shared::sweep::Request,
        at: phoenix_shared::Timestamp,
    ) -> Reached {
        let target = Target {
            account: Some(request.account.clone()),
            region: Some(request.region.clone()),
        };
        match self.clients(own_account, &target, SystemTime::now()).await {
            Ok(clients) => Reached::Clients(clients),
            Err(failure) if failure.transient => Reached::Later(failure),
            Err(failure) => Reached::Unknown(Box::new(unreachable(
                &failure,
                &request.account,
                &request.region,
                at,
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_config::BehaviorVersion;

    const OWN: &str = "111111111111";

    fn reach(role: Option<&str>) -> Reach {
        let sdk = SdkConfig::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("eu-west-1"))
            .build();
        Reach::new(&sdk, role.map(str::to_owned), "phoenix-guard")
    }

    #[tokio::test]
    async fn without_a_reader_role_the_own_account_in_another_region_uses_its_own_credentials() {
        let reach = reach(None);
        let target = Target {
            account: Some("111111111111".to_owned()),
            region: Some("us-east-1".to_owned()),
        };
        let Ok(clients) = reach.clients(OWN, &target, SystemTime::now()).await else {
            panic!("own account")
        };
        assert_eq!(
            clients.kms().config().region().map(ToString::to_string),
            Some("us-east-1".to_owned())
        );
        assert_eq!(reach.held(), 1);
        let home = reach
            .clients(OWN, &Target::default(), SystemTime::now())
            .await
            .map(|c| c.target().region.clone());
        assert_eq!(home, Ok(Some("eu-west-1".to_owned())));
        assert_eq!(reach.held(), 1, "the home target is not held twice");
    }

    #[tokio::test]
    async fn another_account_without_a_reader_role_is_refused_for_good() {
        let reach = reach(None);
        let target = Target {
            account: Some("222222222222".to_owned()),
            region: Some("eu-west-1".to_owned()),
        };
        let failure = reach.clients(OWN, &target, SystemTime::now()).await.err();
        assert_eq!(failure.as_ref().map(|f| f.transient), Some(false));
        assert_eq!(failure.map(|f| f.code), Some("NoReaderRole".to_owned()));
    }

    #[test]
    fn the_reader_role_is_named_in_the_target_partition() {
        let reach = reach(Some("PhoenixGuardReader"));
        assert_eq!(
            reach.role_arn("222222222222", "cn-north-1").as_deref(),
            Some("arn:aws-cn:iam::222222222222:role/PhoenixGuardReader")
        );
        assert!(Reach::is_own(Some(OWN), OWN));
        assert!(Reach::is_own(None, OWN));
        assert!(!Reach::is_own(Some("222222222222"), OWN));
    }
}
