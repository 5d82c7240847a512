//! Configuration read once at cold start from environment variables.
//!
//! | variable | meaning | default |
//! |---|---|---|
//! | `PHOENIX_ALERT_TOPIC_ARN` | SNS topic alerts are published to | required |
//! | `PHOENIX_FINDINGS_TABLE` | DynamoDB findings ledger (`dedup_key` string key, TTL `expires_at`) | required |
//! | `PHOENIX_CHAT_TOPIC_ARN` | SNS topic that also gets each notification as an Amazon Q Developer in chat applications custom notification | unset |
//! | `PHOENIX_RUNBOOK_URL` | the team's runbook: pages and chat link to `<url>#<check>` | unset |
//! | `PHOENIX_METRIC_NAMESPACE` | CloudWatch namespace | `PhoenixGuard` |
//! | `PHOENIX_ENVIRONMENT` | environment name, the `Environment` dimension | `default` |
//! | `PHOENIX_REMIND_AFTER_HOURS` | re-notify a finding still open after this long; 0 never | `24` |
//! | `PHOENIX_REQUIRED_RESOURCE_TYPES` | comma-separated AWS Backup resource types that must be recoverable | `EFS,RDS,Aurora,DynamoDB` |
//! | `PHOENIX_BACKUP_GRACE_HOURS` | added to every rule-derived RPO before a backup counts as missed | `1` |
//! | `PHOENIX_SUPPRESSIONS` | JSON list of accepted "completed with issues" messages, see [`Suppression`] | `[]` |
//! | `PHOENIX_GUARD_PREFIX` | name prefix of Phoenix Guard's own rules and functions (blinding them is critical) | `phoenix-guard` |
//! | `PHOENIX_DATA_BUCKETS` | comma-separated `*` patterns of bucket names whose data must survive (besides the `phoenix:data=true` tag) | empty |
//! | `PHOENIX_ENCRYPTION_KEY_SECRETS` | comma-separated `*` patterns of secret names or ARNs that hold encryption keys (besides the `phoenix:encryption-key=true` tag) | empty |
//! | `PHOENIX_MIN_BACKUP_RETENTION_DAYS` | the least retention, in days, of RDS automated backups and backup plan rules | `7` |
//! | `PHOENIX_MAX_BACKUP_INTERVAL_HOURS` | the longest a backup plan rule may leave between runs | `24` |
//! | `PHOENIX_MIN_VERSION_RETENTION_DAYS` | how long a data bucket must keep noncurrent versions, and the shortest expiration of current objects | `30` |
//! | `PHOENIX_STATE_BUCKETS` | comma-separated `*` patterns of buckets holding Terraform state (besides the `phoenix:terraform-state=true` tag) | empty |
//! | `PHOENIX_ENCRYPTION_KEY_RESOURCES` | comma-separated `*` patterns of Terraform resource names (`random_password.<name>`: the name) whose value is an encryption key | `*key*` |
//! | `PHOENIX_ACCOUNT_ID` | the account findings name when an event does not (classic S3 notifications) and the function's ARN does not either (local runtimes) | from the function's ARN |
//! | `PHOENIX_DELETION_QUIET_MINUTES` | permanent deletions in one bucket belong to one incident until the bucket has been quiet this long | `60` |
//! | `PHOENIX_REPORT_BUCKET` | S3 bucket the readiness report is written to (required by `readiness-audit`) | unset |
//! | `PHOENIX_RESTORE_DRILL_DAYS` | a restore drill of each required resource type must have succeeded within this many days | `31` |
//! | `PHOENIX_RECOVERY_TIME_MINUTES` | the recovery-time target a restore drill must meet | `15` |
//! | `PHOENIX_RESTORE_SIZE_TOLERANCE_PERCENT` | how much smaller than its recovery point a restored resource may be and still pass validation (`restore-validator`) | `10` |
//! | `PHOENIX_RESTORE_VALIDATORS` | comma-separated `Type=function` pairs: a Lambda function (name or ARN) of the team's own that `restore-validator` also asks about each restore of that type | empty |
//! | `PHOENIX_REQUIRE_COPY` | where a copy of every required resource's backups must also exist: `region` (another region), `account` (another account), `region-and-account` (both) or `none` | `region` |
//! | `PHOENIX_HEARTBEAT_MAX_AGE_HOURS` | a scheduled function whose last `Heartbeat` is older than this counts as stopped | `2` |

use crate::pattern::glob_match;
use serde::Deserialize;
use thiserror::Error;

pub const DEFAULT_NAMESPACE: &str = "PhoenixGuard";
pub const DEFAULT_ENVIRONMENT: &str = "default";
pub const DEFAULT_REMIND_AFTER_HOURS: u64 = 24;
pub const DEFAULT_BACKUP_GRACE_HOURS: u64 = 1;
pub const DEFAULT_REQUIRED_TYPES: &[&str] = &["EFS", "RDS", "Aurora", "DynamoDB"];
pub const DEFAULT_GUARD_PREFIX: &str = "phoenix-guard";
pub const DEFAULT_MIN_BACKUP_RETENTION_DAYS: u64 = 7;
pub const DEFAULT_MAX_BACKUP_INTERVAL_HOURS: u64 = 24;
pub const DEFAULT_MIN_VERSION_RETENTION_DAYS: u64 = 30;
pub const DEFAULT_KEY_RESOURCES: &str = "*key*";
pub const DEFAULT_DELETION_QUIET_MINUTES: u64 = 60;
pub const DEFAULT_RESTORE_DRILL_DAYS: u64 = 31;
pub const DEFAULT_RECOVERY_TIME_MINUTES: u64 = 15;
pub const DEFAULT_RESTORE_SIZE_TOLERANCE_PERCENT: u64 = 10;
pub const DEFAULT_HEARTBEAT_MAX_AGE_HOURS: u64 = 2;

/// A configuration value that stops the cold start. The message names the variable.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum ConfigError {
    #[error("{name} is not set: {purpose}")]
    Missing {
        name: &'static str,
        purpose: &'static str,
    },
    #[error("{name} is malformed ({value:?}): {expected}")]
    Malformed {
        name: &'static str,
        value: String,
        expected: String,
    },
}

/// An accepted "completed with issues" message: a backup job that completes with a status
/// message matching `message` (a `*` glob, case-insensitive) on a resource matching
/// `resource` (a `*` glob over the ARN; absent means every resource) opens no finding.
///
/// In `PHOENIX_SUPPRESSIONS` an entry is either an object `{"message": "...", "resource":
/// "..."}` or a bare string, which is a message pattern for every resource.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
enum SuppressionEntry {
    Message(String),
    Scoped {
        message: String,
        #[serde(default)]
        resource: Option<String>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suppression {
    pub message: String,
    pub resource: Option<String>,
}

impl Suppression {
    pub fn matches(&self, resource_arn: &str, message: &str) -> bool {
        let resource_ok = self
            .resource
            .as_deref()
            .is_none_or(|pattern| glob_match(pattern, resource_arn, false));
        resource_ok && glob_match(&self.message, message, true)
    }
}

/// Where findings are delivered: the section a function needs and the `phoenix` command
/// line, which pages nobody and records nothing, does not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    pub alert_topic_arn: String,
    pub findings_table: String,
    /// `PHOENIX_CHAT_TOPIC_ARN`: the topic Amazon Q Developer in chat applications reads,
    /// which gets each notification as a custom notification too.
    pub chat_topic_arn: Option<String>,
    /// `PHOENIX_RUNBOOK_URL`: the team's runbook; a page links to its check's section.
    pub runbook_url: Option<String>,
}

/// Whether `arn` is an SNS topic's ARN.
fn is_topic_arn(arn: &str) -> bool {
    let parts: Vec<&str> = arn.split(':').collect();
    parts.len() == 6 && parts[0] == "arn" && parts[2] == "sns" && !parts[5].is_empty()
}

impl Delivery {
    /// The section from its two settings: both required when `required`; otherwise absent
    /// when neither is set, and read as required once either is.
    fn read(
        get: &impl Fn(&str) -> Option<String>,
        required: bool,
    ) -> Result<Option<Self>, ConfigError> {
        let (topic, table) = (
            get("PHOENIX_ALERT_TOPIC_ARN"),
            get("PHOENIX_FINDINGS_TABLE"),
        );
        if !required && topic.is_none() && table.is_none() {
            return Ok(None);
        }
        let alert_topic_arn = topic.ok_or(ConfigError::Missing {
            name: "PHOENIX_ALERT_TOPIC_ARN",
            purpose: "the ARN of the SNS topic that alerts are published to",
        })?;
        if !is_topic_arn(&alert_topic_arn) {
            return Err(ConfigError::Malformed {
                name: "PHOENIX_ALERT_TOPIC_ARN",
                value: alert_topic_arn,
                expected: "an SNS topic ARN, arn:<partition>:sns:<region>:<account>:<name>"
                    .to_owned(),
            });
        }
        let findings_table = table.ok_or(ConfigError::Missing {
            name: "PHOENIX_FINDINGS_TABLE",
            purpose: "the name of the DynamoDB table that records findings",
        })?;
        let table_ok = (3..=255).contains(&findings_table.len())
            && findings_table
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'));
        if !table_ok {
            return Err(ConfigError::Malformed {
                name: "PHOENIX_FINDINGS_TABLE",
                value: findings_table,
                expected: "a DynamoDB table name: 3-255 characters of A-Z a-z 0-9 _ - .".to_owned(),
            });
        }
        let chat_topic_arn = get("PHOENIX_CHAT_TOPIC_ARN");
        if let Some(chat) = chat_topic_arn.as_ref().filter(|a| !is_topic_arn(a)) {
            return Err(ConfigError::Malformed {
                name: "PHOENIX_CHAT_TOPIC_ARN",
                value: chat.clone(),
                expected: "an SNS topic ARN, arn:<partition>:sns:<region>:<account>:<name>"
                    .to_owned(),
            });
        }
        let runbook_url = get("PHOENIX_RUNBOOK_URL");
        if let Some(url) = runbook_url
            .as_ref()
            .filter(|u| !u.starts_with("https://") && !u.starts_with("http://"))
        {
            return Err(ConfigError::Malformed {
                name: "PHOENIX_RUNBOOK_URL",
                value: url.clone(),
                expected: "an http(s) URL, e.g. https://wiki.example.com/phoenix-guard-runbook"
                    .to_owned(),
            });
        }
        Ok(Some(Self {
            alert_topic_arn,
            findings_table,
            chat_topic_arn,
            runbook_url,
        }))
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// Always present for a function (its cold start requires it); absent for the command
    /// line unless set.
    pub delivery: Option<Delivery>,
    pub metric_namespace: String,
    pub environment: String,
    /// Seconds after the last notification of a still-open finding before a reminder; 0 never.
    pub remind_after_seconds: i64,
    pub required_resource_types: Vec<String>,
    /// Added to a backup rule's cadence and start window to give a resource's RPO.
    pub backup_grace_seconds: i64,
    pub suppressions: Vec<Suppression>,
    /// The function's own region (`AWS_REGION`, else `AWS_DEFAULT_REGION`), for events that
    /// do not name one; absent until the SDK's region chain fills it
    /// ([`crate::runtime::serve`], the command line).
    pub aws_region: Option<String>,
    /// Name prefix of Phoenix Guard's own EventBridge rules and Lambda functions.
    pub guard_prefix: String,
    /// `*` patterns of bucket names whose objects must survive a rebuild.
    pub data_buckets: Vec<String>,
    /// `*` patterns of secret names or ARNs that hold encryption keys.
    pub encryption_key_secrets: Vec<String>,
    /// The least retention of RDS automated backups and backup plan rules, in days.
    pub min_backup_retention_days: u64,
    /// The longest gap a backup plan rule may leave between runs, in seconds.
    pub max_backup_interval_seconds: i64,
    /// How many days a data bucket keeps noncurrent versions, at the least.
    pub min_version_retention_days: u64,
    /// `*` patterns of bucket names that hold Terraform state.
    pub state_buckets: Vec<String>,
    /// `*` patterns of Terraform resource names whose generated value is an encryption key.
    pub key_resources: Vec<String>,
    /// How long a bucket stays quiet before its next permanent deletion is a new incident.
    pub deletion_quiet_seconds: i64,
    /// The account to name when neither the event nor the function's ARN does.
    pub account_id: Option<String>,
    /// Where `readiness-audit` writes its report.
    pub report_bucket: Option<String>,
    pub restore_drill_max_age_seconds: i64,
    pub recovery_time_target_seconds: i64,
    /// How many percent fewer bytes than its recovery point a restored resource may hold.
    pub restore_size_tolerance_percent: u64,
    /// Where copies of the required resources' backups must exist.
    pub require_copy: CopyRequirement,
    /// The team's own restore validators: (AWS Backup resource type, Lambda function).
    pub restore_validators: Vec<(String, String)>,
    pub heartbeat_max_age_seconds: i64,
    /// The accounts and regions the sweeps cover, and how they are reached.
    pub organization: Organization,
}

/// `PHOENIX_CANARY_MINUTES`' default: how often each member part's canary arrives.
pub const DEFAULT_CANARY_MINUTES: u64 = 15;

/// `PHOENIX_TARGET_ACCOUNTS`: which accounts the sweeps cover.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum TargetAccounts {
    /// Unset: the account the function runs in, alone.
    #[default]
    Own,
    /// `organization`: every active account of the organization.
    Organization,
    /// `ou:ou-ab12-cdef34gh,ou-…`: every active account under these units, at any depth.
    Units(Vec<String>),
    /// `tag:key=value`: every active account with this tag.
    Tagged { key: String, value: String },
    /// `111111111111,222222222222`: these accounts.
    List(Vec<String>),
}

/// An organization's targets: where the sweeps go and how they get there.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Organization {
    pub accounts: TargetAccounts,
    /// `PHOENIX_TARGET_REGIONS`: empty means the function's own region.
    pub regions: Vec<String>,
    /// `PHOENIX_READER_ROLE`: the read-only role's name in every member account.
    pub reader_role: Option<String>,
    /// `PHOENIX_VALIDATOR_ROLE`: the role in every member account that reads a restore
    /// test's restored resource and reports its validation to AWS Backup (the one write
    /// the central account makes in a member).
    pub validator_role: Option<String>,
    /// `PHOENIX_FINDINGS_ROLE`: the role in every member account that imports that account's
    /// findings into its Security Hub (`security-hub`; Security Hub takes a finding only
    /// from its own account).
    pub findings_role: Option<String>,
    /// `PHOENIX_SWEEP_QUEUES`: `function=queue URL` per sweep the dispatcher feeds.
    pub sweep_queues: Vec<(String, String)>,
    /// `PHOENIX_CANARY_MINUTES`: the members' canary interval.
    pub canary_seconds: i64,
}

impl Organization {
    /// Whether the sweeps cover more than the own account (the dispatcher's targets).
    pub fn spans_accounts(&self) -> bool {
        self.accounts != TargetAccounts::Own
    }

    fn read(get: &impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let accounts = match get("PHOENIX_TARGET_ACCOUNTS") {
            None => TargetAccounts::Own,
            Some(raw) => parse_accounts(&raw).ok_or_else(|| ConfigError::Malformed {
                name: "PHOENIX_TARGET_ACCOUNTS",
                value: raw.clone(),
                expected: "organization, ou:<unit ids>, tag:<key>=<value>, or a list of 12-digit account ids".to_owned(),
            })?,
        };
        let regions: Vec<String> = patterns(get("PHOENIX_TARGET_REGIONS"));
        if let Some(bad) = regions.iter().find(|r| !is_region_name(r)) {
            return Err(ConfigError::Malformed {
                name: "PHOENIX_TARGET_REGIONS",
                value: bad.clone(),
                expected: "region names, e.g. eu-west-1,us-east-1".to_owned(),
            });
        }
        let mut sweep_queues = Vec::new();
        for entry in patterns(get("PHOENIX_SWEEP_QUEUES")) {
            match entry.split_once('=') {
                Some((function, url))
                    if !function.trim().is_empty() && url.trim().starts_with("http") =>
                {
                    sweep_queues.push((function.trim().to_owned(), url.trim().to_owned()));
                }
                _ => {
                    return Err(ConfigError::Malformed {
                        name: "PHOENIX_SWEEP_QUEUES",
                        value: entry,
                        expected: "function=queue URL pairs, e.g. backup-freshness=https://sqs.eu-west-1.amazonaws.com/123456789012/phoenix-guard-freshness".to_owned(),
                    });
                }
            }
        }
        let canary_minutes = whole_number(
            get,
            "PHOENIX_CANARY_MINUTES",
            DEFAULT_CANARY_MINUTES,
            1..=24 * 60,
            "minutes",
        )?;
        let canary_seconds = i64::try_from(canary_minutes * 60).unwrap_or(i64::MAX);
        Ok(Self {
            accounts,
            regions,
            reader_role: get("PHOENIX_READER_ROLE"),
            validator_role: get("PHOENIX_VALIDATOR_ROLE"),
            findings_role: get("PHOENIX_FINDINGS_ROLE"),
            sweep_queues,
            canary_seconds,
        })
    }
}

fn is_account_id(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit())
}

fn is_region_name(s: &str) -> bool {
    s.split('-').count() >= 3
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

fn parse_accounts(raw: &str) -> Option<TargetAccounts> {
    let raw = raw.trim();
    if raw.eq_ignore_ascii_case("organization") {
        return Some(TargetAccounts::Organization);
    }
    if let Some(units) = raw.strip_prefix("ou:") {
        let units: Vec<String> = patterns(Some(units.to_owned()));
        return (!units.is_empty()
            && units
                .iter()
                .all(|u| u.starts_with("ou-") || u.starts_with("r-")))
        .then_some(TargetAccounts::Units(units));
    }
    if let Some(tag) = raw.strip_prefix("tag:") {
        let (key, value) = tag.rsplit_once('=')?;
        return (!key.trim().is_empty()).then(|| TargetAccounts::Tagged {
            key: key.trim().to_owned(),
            value: value.trim().to_owned(),
        });
    }
    let list: Vec<String> = patterns(Some(raw.to_owned()));
    (!list.is_empty() && list.iter().all(|a| is_account_id(a)))
        .then_some(TargetAccounts::List(list))
}

/// `PHOENIX_REQUIRE_COPY`: which blast radius a copy of every required resource's backups
/// must leave. A region outage takes the region's vaults with it, and whoever controls the
/// account can delete its vaults; the default asks for another region, which the seeds' risk
/// matrix names ("AWS region outage: total loss").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CopyRequirement {
    None,
    #[default]
    Region,
    Account,
    RegionAndAccount,
}

impl CopyRequirement {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Region => "region",
            Self::Account => "account",
            Self::RegionAndAccount => "region-and-account",
        }
    }
}

impl Config {
    /// Reads the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads the process environment at a function's cold start; a missing or malformed
    /// value prints one line naming the variable and ends the process (exit code 2), which
    /// Lambda reports as a failed init.
    pub fn from_env_or_exit(function: &str) -> Self {
        Self::from_env().unwrap_or_else(|err| {
            eprintln!("{function}: configuration error: {err}");
            std::process::exit(2)
        })
    }

    /// Reads configuration through `lookup` (the environment in production, a map in tests).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        Self::read(lookup, true)
    }

    /// Reads the settings the checks use, for a caller that neither pages nor records
    /// findings (the `phoenix` command line): the delivery section may be absent.
    pub fn for_checks(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        Self::read(lookup, false)
    }

    fn read(lookup: impl Fn(&str) -> Option<String>, delivers: bool) -> Result<Self, ConfigError> {
        let get = |name: &str| {
            lookup(name)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        let delivery = Delivery::read(&get, delivers)?;

        let metric_namespace =
            get("PHOENIX_METRIC_NAMESPACE").unwrap_or_else(|| DEFAULT_NAMESPACE.to_owned());
        if metric_namespace.len() > 255 || metric_namespace.starts_with("AWS/") {
            return Err(ConfigError::Malformed {
                name: "PHOENIX_METRIC_NAMESPACE",
                value: metric_namespace,
                expected:
                    "a CloudWatch namespace of at most 255 characters, not starting with AWS/"
                        .to_owned(),
            });
        }

        let environment =
            get("PHOENIX_ENVIRONMENT").unwrap_or_else(|| DEFAULT_ENVIRONMENT.to_owned());
        if environment.len() > 255 || environment.contains(':') {
            return Err(ConfigError::Malformed {
                name: "PHOENIX_ENVIRONMENT",
                value: environment,
                expected: "a name of at most 255 characters without ':'".to_owned(),
            });
        }

        let remind_after_seconds = match get("PHOENIX_REMIND_AFTER_HOURS") {
            None => to_seconds(DEFAULT_REMIND_AFTER_HOURS),
            Some(raw) => match raw.parse::<u64>() {
                Ok(hours) if hours <= 24 * 366 => to_seconds(hours),
                _ => {
                    return Err(ConfigError::Malformed {
                        name: "PHOENIX_REMIND_AFTER_HOURS",
                        value: raw,
                        expected: "a whole number of hours from 0 (never remind) to 8784"
                            .to_owned(),
                    });
                }
            },
        };

        let required_resource_types = match get("PHOENIX_REQUIRED_RESOURCE_TYPES") {
            None => DEFAULT_REQUIRED_TYPES
                .iter()
                .map(|s| (*s).to_owned())
                .collect(),
            Some(raw) => raw
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect(),
        };

        let suppressions = match get("PHOENIX_SUPPRESSIONS") {
            None => Vec::new(),
            Some(raw) => serde_json::from_str::<Vec<SuppressionEntry>>(&raw)
                .map_err(|e| ConfigError::Malformed {
                    name: "PHOENIX_SUPPRESSIONS",
                    value: raw.clone(),
                    expected: format!(
                        "a JSON list of message patterns or {{\"message\", \"resource\"}} objects ({e})"
                    ),
                })?
                .into_iter()
                .map(|entry| match entry {
                    SuppressionEntry::Message(message) => Suppression {
                        message,
                        resource: None,
                    },
                    SuppressionEntry::Scoped { message, resource } => {
                        Suppression { message, resource }
                    }
                })
                .collect(),
        };

        let backup_grace_seconds = match get("PHOENIX_BACKUP_GRACE_HOURS") {
            None => to_seconds(DEFAULT_BACKUP_GRACE_HOURS),
            Some(raw) => match raw.parse::<u64>() {
                Ok(hours) if hours <= 24 * 7 => to_seconds(hours),
                _ => {
                    return Err(ConfigError::Malformed {
                        name: "PHOENIX_BACKUP_GRACE_HOURS",
                        value: raw,
                        expected: "a whole number of hours from 0 to 168".to_owned(),
                    });
                }
            },
        };

        let guard_prefix =
            get("PHOENIX_GUARD_PREFIX").unwrap_or_else(|| DEFAULT_GUARD_PREFIX.to_owned());
        let data_buckets = patterns(get("PHOENIX_DATA_BUCKETS"));
        let encryption_key_secrets = patterns(get("PHOENIX_ENCRYPTION_KEY_SECRETS"));
        let min_backup_retention_days = whole_number(
            &get,
            "PHOENIX_MIN_BACKUP_RETENTION_DAYS",
            DEFAULT_MIN_BACKUP_RETENTION_DAYS,
            1..=35,
            "days",
        )?;
        let max_backup_interval_seconds = to_seconds(whole_number(
            &get,
            "PHOENIX_MAX_BACKUP_INTERVAL_HOURS",
            DEFAULT_MAX_BACKUP_INTERVAL_HOURS,
            1..=24 * 366,
            "hours",
        )?);
        let min_version_retention_days = whole_number(
            &get,
            "PHOENIX_MIN_VERSION_RETENTION_DAYS",
            DEFAULT_MIN_VERSION_RETENTION_DAYS,
            1..=36_500,
            "days",
        )?;

        let state_buckets = patterns(get("PHOENIX_STATE_BUCKETS"));
        let key_resources = patterns(Some(
            get("PHOENIX_ENCRYPTION_KEY_RESOURCES")
                .unwrap_or_else(|| DEFAULT_KEY_RESOURCES.to_owned()),
        ));
        let deletion_quiet_seconds = whole_number(
            &get,
            "PHOENIX_DELETION_QUIET_MINUTES",
            DEFAULT_DELETION_QUIET_MINUTES,
            1..=7 * 24 * 60,
            "minutes",
        )
        .map(|minutes| i64::try_from(minutes * 60).unwrap_or(i64::MAX))?;

        let account_id = get("PHOENIX_ACCOUNT_ID");
        if let Some(id) = &account_id
            && (id.len() != 12 || !id.bytes().all(|b| b.is_ascii_digit()))
        {
            return Err(ConfigError::Malformed {
                name: "PHOENIX_ACCOUNT_ID",
                value: id.clone(),
                expected: "a 12-digit AWS account id".to_owned(),
            });
        }

        let report_bucket = get("PHOENIX_REPORT_BUCKET");
        let days = |n: u64| i64::try_from(n.saturating_mul(86_400)).unwrap_or(i64::MAX);
        let restore_drill_max_age_seconds = days(whole_number(
            &get,
            "PHOENIX_RESTORE_DRILL_DAYS",
            DEFAULT_RESTORE_DRILL_DAYS,
            1..=366,
            "days",
        )?);
        let recovery_time_target_seconds = whole_number(
            &get,
            "PHOENIX_RECOVERY_TIME_MINUTES",
            DEFAULT_RECOVERY_TIME_MINUTES,
            1..=7 * 24 * 60,
            "minutes",
        )
        .map(|minutes| i64::try_from(minutes * 60).unwrap_or(i64::MAX))?;
        let restore_size_tolerance_percent = whole_number(
            &get,
            "PHOENIX_RESTORE_SIZE_TOLERANCE_PERCENT",
            DEFAULT_RESTORE_SIZE_TOLERANCE_PERCENT,
            0..=100,
            "percent",
        )?;
        let require_copy = match get("PHOENIX_REQUIRE_COPY")
            .map(|v| v.trim().to_ascii_lowercase())
            .as_deref()
        {
            None => CopyRequirement::default(),
            Some("none") => CopyRequirement::None,
            Some("region") => CopyRequirement::Region,
            Some("account") => CopyRequirement::Account,
            Some("region-and-account") => CopyRequirement::RegionAndAccount,
            Some(_) => {
                return Err(ConfigError::Malformed {
                    name: "PHOENIX_REQUIRE_COPY",
                    value: get("PHOENIX_REQUIRE_COPY").unwrap_or_default(),
                    expected: "none, region, account or region-and-account".to_owned(),
                });
            }
        };
        let mut restore_validators = Vec::new();
        for entry in patterns(get("PHOENIX_RESTORE_VALIDATORS")) {
            match entry.split_once('=') {
                Some((rtype, function))
                    if !rtype.trim().is_empty() && !function.trim().is_empty() =>
                {
                    restore_validators.push((rtype.trim().to_owned(), function.trim().to_owned()));
                }
                _ => {
                    return Err(ConfigError::Malformed {
                        name: "PHOENIX_RESTORE_VALIDATORS",
                        value: entry,
                        expected: "Type=function pairs, e.g. EFS=zulip-restore-check,RDS=arn:aws:lambda:eu-west-1:123456789012:function:zitadel-row-count".to_owned(),
                    });
                }
            }
        }
        let heartbeat_max_age_seconds = to_seconds(whole_number(
            &get,
            "PHOENIX_HEARTBEAT_MAX_AGE_HOURS",
            DEFAULT_HEARTBEAT_MAX_AGE_HOURS,
            1..=24 * 31,
            "hours",
        )?);

        let organization = Organization::read(&get)?;

        let aws_region = get("AWS_REGION").or_else(|| get("AWS_DEFAULT_REGION"));

        Ok(Self {
            aws_region,
            delivery,
            metric_namespace,
            environment,
            remind_after_seconds,
            required_resource_types,
            backup_grace_seconds,
            suppressions,
            guard_prefix,
            data_buckets,
            encryption_key_secrets,
            min_backup_retention_days,
            max_backup_interval_seconds,
            min_version_retention_days,
            state_buckets,
            key_resources,
            deletion_quiet_seconds,
            account_id,
            report_bucket,
            restore_drill_max_age_seconds,
            recovery_time_target_seconds,
            restore_size_tolerance_percent,
            require_copy,
            restore_validators,
            heartbeat_max_age_seconds,
            organization,
        })
    }

    /// The region for events that name none (empty while none is known).
    pub fn region(&self) -> &str {
        self.aws_region.as_deref().unwrap_or_default()
    }

    /// The findings table (empty without a delivery section: the command line's reads).
    pub fn findings_table(&self) -> &str {
        self.delivery
            .as_ref()
            .map_or("", |d| d.findings_table.as_str())
    }

    /// Whether a bucket is named a data bucket by `PHOENIX_DATA_BUCKETS` (the
    /// `phoenix:data=true` tag is the other way; the caller reads it).
    pub fn is_configured_data_bucket(&self, bucket: &str) -> bool {
        self.data_buckets
            .iter()
            .any(|p| glob_match(p, bucket, false))
    }

    /// Whether a bucket is named a Terraform state bucket by `PHOENIX_STATE_BUCKETS` (the
    /// `phoenix:terraform-state=true` tag is the other way).
    pub fn is_configured_state_bucket(&self, bucket: &str) -> bool {
        self.state_buckets
            .iter()
            .any(|p| glob_match(p, bucket, false))
    }

    /// Whether a Terraform resource name (`master_key` in `random_password.master_key`) is
    /// named an encryption key by `PHOENIX_ENCRYPTION_KEY_RESOURCES`.
    pub fn is_key_resource_name(&self, name: &str) -> bool {
        self.key_resources.iter().any(|p| glob_match(p, name, true))
    }

    /// Whether a secret (by name or ARN) is named an encryption-key secret by
    /// `PHOENIX_ENCRYPTION_KEY_SECRETS`.
    pub fn is_configured_key_secret(&self, secret: &str) -> bool {
        self.encryption_key_secrets
            .iter()
            .any(|p| glob_match(p, secret, false))
    }

    /// Whether a rule or function name belongs to Phoenix Guard itself.
    pub fn is_guard_resource(&self, name: &str) -> bool {
        name.starts_with(&self.guard_prefix)
    }

    /// Whether losing backups of this AWS Backup resource type is critical.
    pub fn is_required_type(&self, resource_type: &str) -> bool {
        self.required_resource_types
            .iter()
            .any(|t| t.eq_ignore_ascii_case(resource_type))
    }

    /// Whether a "completed with issues" message on this resource has been accepted.
    pub fn is_suppressed(&self, resource_arn: &str, message: &str) -> bool {
        self.suppressions
            .iter()
            .any(|s| s.matches(resource_arn, message))
    }
}

/// A comma-separated list, blanks dropped.
fn patterns(raw: Option<String>) -> Vec<String> {
    raw.map(|raw| {
        raw.split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect()
    })
    .unwrap_or_default()
}

/// A whole number within `range`, or the default when unset.
fn whole_number(
    get: &impl Fn(&str) -> Option<String>,
    name: &'static str,
    default: u64,
    range: std::ops::RangeInclusive<u64>,
    unit: &str,
) -> Result<u64, ConfigError> {
    match get(name) {
        None => Ok(default),
        Some(raw) => match raw.parse::<u64>() {
            Ok(value) if range.contains(&value) => Ok(value),
            _ => Err(ConfigError::Malformed {
                name,
                value: raw,
                expected: format!(
                    "a whole number of {unit} from {} to {}",
                    range.start(),
                    range.end()
                ),
            }),
        },
    }
}

fn to_seconds(hours: u64) -> i64 {
    i64::try_from(hours.saturating_mul(3600)).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    const TOPIC: &str = "arn:aws:sns:eu-west-1:111122223333:phoenix-alerts";

    #[test]
    fn an_organization_is_named_by_its_accounts_regions_role_and_queues() {
        let org = |pairs: &[(&str, &str)]| {
            let mut all = vec![
                ("PHOENIX_ALERT_TOPIC_ARN", TOPIC),
                ("PHOENIX_FINDINGS_TABLE", "phoenix-findings"),
            ];
            all.extend_from_slice(pairs);
            config(&all).map(|c| c.organization)
        };
        let own = org(&[]).ok();
        assert_eq!(own.as_ref().map(Organization::spans_accounts), Some(false));
        assert_eq!(own.map(|o| o.canary_seconds), Some(15 * 60));
        let Ok(all) = org(&[
            ("PHOENIX_TARGET_ACCOUNTS", " Organization "),
            ("PHOENIX_TARGET_REGIONS", "eu-west-1, us-east-1"),
            ("PHOENIX_READER_ROLE", "PhoenixGuardReader"),
            ("PHOENIX_VALIDATOR_ROLE", "PhoenixGuardRestoreValidator"),
            ("PHOENIX_FINDINGS_ROLE", "PhoenixGuardFindings"),
            (
                "PHOENIX_SWEEP_QUEUES",
                "backup-freshness=https://sqs.eu-west-1.amazonaws.com/1/q",
            ),
            ("PHOENIX_CANARY_MINUTES", "5"),
        ]) else {
            panic!("a whole organization")
        };
        assert_eq!(all.accounts, TargetAccounts::Organization);
        assert_eq!(all.regions, ["eu-west-1", "us-east-1"]);
        assert_eq!(all.reader_role.as_deref(), Some("PhoenixGuardReader"));
        assert_eq!(
            all.validator_role.as_deref(),
            Some("PhoenixGuardRestoreValidator")
        );
        assert_eq!(all.findings_role.as_deref(), Some("PhoenixGuardFindings"));
        assert_eq!(all.sweep_queues.len(), 1);
        assert_eq!(all.canary_seconds, 300);
        assert_eq!(
            org(&[("PHOENIX_TARGET_ACCOUNTS", "ou:ou-ab12-cdef34gh")]).map(|o| o.accounts),
            Ok(TargetAccounts::Units(vec!["ou-ab12-cdef34gh".to_owned()]))
        );
        assert_eq!(
            org(&[("PHOENIX_TARGET_ACCOUNTS", "tag:phoenix:tier=prod")]).map(|o| o.accounts),
            Ok(TargetAccounts::Tagged {
                key: "phoenix:tier".to_owned(),
                value: "prod".to_owned()
            })
        );
        assert_eq!(
            org(&[("PHOENIX_TARGET_ACCOUNTS", "111111111111, 222222222222")]).map(|o| o.accounts),
            Ok(TargetAccounts::List(vec![
                "111111111111".to_owned(),
                "222222222222".to_owned()
            ]))
        );
        for (name, bad) in [
            ("PHOENIX_TARGET_ACCOUNTS", "1111"),
            ("PHOENIX_TARGET_ACCOUNTS", "ou:prod"),
            ("PHOENIX_TARGET_REGIONS", "Ireland"),
            ("PHOENIX_SWEEP_QUEUES", "backup-freshness"),
            ("PHOENIX_CANARY_MINUTES", "0"),
        ] {
            let err = org(&[(name, bad)])
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default();
            assert!(err.contains(name), "{name}={bad}: {err}");
        }
    }

    fn config(pairs: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        Config::from_lookup(|name| map.get(name).cloned())
    }

    #[test]
    fn defaults_apply_when_only_required_values_are_set() {
        let c = config(&[
            ("PHOENIX_ALERT_TOPIC_ARN", TOPIC),
            ("PHOENIX_FINDINGS_TABLE", "phoenix-findings"),
        ])
        .expect("valid");
        assert_eq!(c.metric_namespace, "PhoenixGuard");
        assert_eq!(c.environment, "default");
        assert_eq!(c.remind_after_seconds, 24 * 3600);
        assert_eq!(c.backup_grace_seconds, 3600);
        assert!(c.is_required_type("efs"));
        assert!(!c.is_required_type("EBS"));
    }

    #[test]
    fn missing_and_malformed_values_name_the_variable() {
        let err = config(&[("PHOENIX_FINDINGS_TABLE", "t-1")]).expect_err("no topic");
        assert!(
            err.to_string()
                .starts_with("PHOENIX_ALERT_TOPIC_ARN is not set")
        );

        let err = config(&[
            ("PHOENIX_ALERT_TOPIC_ARN", TOPIC),
            ("PHOENIX_FINDINGS_TABLE", " "),
        ])
        .expect_err("blank table");
        assert!(
            err.to_string()
                .starts_with("PHOENIX_FINDINGS_TABLE is not set")
        );

        let err = config(&[
            ("PHOENIX_ALERT_TOPIC_ARN", "phoenix-alerts"),
            ("PHOENIX_FINDINGS_TABLE", "t-1"),
        ])
        .expect_err("not an ARN");
        assert!(
            err.to_string()
                .starts_with("PHOENIX_ALERT_TOPIC_ARN is malformed")
        );

        let err = config(&[
            ("PHOENIX_ALERT_TOPIC_ARN", TOPIC),
            ("PHOENIX_FINDINGS_TABLE", "t-1"),
            ("PHOENIX_REMIND_AFTER_HOURS", "1.5"),
        ])
        .expect_err("fractional hours");
        assert!(
            err.to_string()
                .starts_with("PHOENIX_REMIND_AFTER_HOURS is malformed")
        );

        let err = config(&[
            ("PHOENIX_ALERT_TOPIC_ARN", TOPIC),
            ("PHOENIX_FINDINGS_TABLE", "t-1"),
            ("PHOENIX_BACKUP_GRACE_HOURS", "a week"),
        ])
        .expect_err("grace in words");
        assert!(
            err.to_string()
                .starts_with("PHOENIX_BACKUP_GRACE_HOURS is malformed")
        );
    }

    #[test]
    fn protection_settings_have_defaults_and_name_the_variable_when_malformed() {
        let c = config(&[
            ("PHOENIX_ALERT_TOPIC_ARN", TOPIC),
            ("PHOENIX_FINDINGS_TABLE", "t-1"),
            (
                "PHOENIX_DATA_BUCKETS",
                "cochlearis-*-uploads, legal-archive",
            ),
            ("PHOENIX_ENCRYPTION_KEY_SECRETS", "*zitadel-master-key*"),
        ])
        .expect("valid");
        assert_eq!(c.min_backup_retention_days, 7);
        assert_eq!(c.max_backup_interval_seconds, 24 * 3600);
        assert_eq!(c.min_version_retention_days, 30);
        assert!(c.is_configured_data_bucket("cochlearis-dev-uploads"));
        assert!(c.is_configured_data_bucket("legal-archive"));
        assert!(!c.is_configured_data_bucket("cochlearis-dev-logs"));
        assert!(c.is_configured_key_secret("cochlearis-dev-zitadel-master-key-Ab12"));
        assert!(c.is_guard_resource("phoenix-guard-backup-events"));
        assert!(!c.is_guard_resource("my-phoenix-guard"));
        assert!(c.is_key_resource_name("master_key"));
        assert!(c.is_key_resource_name("APP_KEY"));
        assert!(!c.is_key_resource_name("admin_password"));
        assert_eq!(c.deletion_quiet_seconds, 3600);
        assert!(!c.is_configured_state_bucket("cochlearis-tfstate"));

        let c = config(&[
            ("PHOENIX_ALERT_TOPIC_ARN", TOPIC),
            ("PHOENIX_FINDINGS_TABLE", "t-1"),
            ("PHOENIX_STATE_BUCKETS", "*-tfstate"),
            ("PHOENIX_ENCRYPTION_KEY_RESOURCES", "master_*,app_secret"),
            ("PHOENIX_DELETION_QUIET_MINUTES", "15"),
        ])
        .expect("valid");
        assert!(c.is_configured_state_bucket("cochlearis-tfstate"));
        assert!(c.is_key_resource_name("master_key"));
        assert!(!c.is_key_resource_name("encryption_key"));
        assert_eq!(c.deletion_quiet_seconds, 900);

        let err = config(&[
            ("PHOENIX_ALERT_TOPIC_ARN", TOPIC),
            ("PHOENIX_FINDINGS_TABLE", "t-1"),
            ("PHOENIX_ACCOUNT_ID", "1234"),
        ])
        .expect_err("short account");
        assert!(
            err.to_string()
                .starts_with("PHOENIX_ACCOUNT_ID is malformed")
        );

        let err = config(&[
            ("PHOENIX_ALERT_TOPIC_ARN", TOPIC),
            ("PHOENIX_FINDINGS_TABLE", "t-1"),
            ("PHOENIX_MIN_BACKUP_RETENTION_DAYS", "0"),
        ])
        .expect_err("zero days");
        assert!(
            err.to_string()
                .starts_with("PHOENIX_MIN_BACKUP_RETENTION_DAYS is malformed"),
            "{err}"
        );
    }

    #[test]
    fn suppressions_accept_bare_and_scoped_patterns() {
        let c = config(&[
            ("PHOENIX_ALERT_TOPIC_ARN", TOPIC),
            ("PHOENIX_FINDINGS_TABLE", "t-1"),
            (
                "PHOENIX_SUPPRESSIONS",
                r#"["*VSS*", {"message": "*skipped*", "resource": "arn:aws:elasticfilesystem:*:fs-0abc"}]"#,
            ),
        ])
        .expect("valid");
        assert!(c.is_suppressed("arn:aws:ec2:x", "Windows vss writer busy"));
        assert!(c.is_suppressed(
            "arn:aws:elasticfilesystem:eu-west-1:1:fs-0abc",
            "3 files SKIPPED"
        ));
        assert!(!c.is_suppressed(
            "arn:aws:elasticfilesystem:eu-west-1:1:fs-0def",
            "3 files skipped"
        ));

        let err = config(&[
            ("PHOENIX_ALERT_TOPIC_ARN", TOPIC),
            ("PHOENIX_FINDINGS_TABLE", "t-1"),
            ("PHOENIX_SUPPRESSIONS", "*VSS*"),
        ])
        .expect_err("not JSON");
        assert!(
            err.to_string()
                .starts_with("PHOENIX_SUPPRESSIONS is malformed")
        );
    }

    #[test]
    fn checks_alone_need_no_topic_or_table_but_functions_do() {
        assert!(config(&[]).is_err());
        let checks = Config::for_checks(|name| match name {
            "PHOENIX_RESTORE_DRILL_DAYS" => Some("14".to_owned()),
            _ => None,
        })
        .expect("checks need no delivery settings");
        assert_eq!(checks.restore_drill_max_age_seconds, 14 * 86_400);
        assert_eq!(checks.recovery_time_target_seconds, 15 * 60);
        assert_eq!(checks.heartbeat_max_age_seconds, 2 * 3600);
        assert_eq!(checks.report_bucket, None);
        assert_eq!(checks.delivery, None, "no placeholder topic or table");
        assert_eq!(checks.aws_region, None, "no placeholder region");
        assert_eq!(checks.region(), "");
        // Half a delivery section is a mistake, named as for a function.
        let half = Config::for_checks(|name| {
            (name == "PHOENIX_FINDINGS_TABLE").then(|| "findings".to_owned())
        });
        assert!(half.is_err_and(|e| {
            e.to_string()
                .starts_with("PHOENIX_ALERT_TOPIC_ARN is not set")
        }));
        let bad = Config::for_checks(|name| {
            (name == "PHOENIX_RECOVERY_TIME_MINUTES").then(|| "soon".to_owned())
        });
        assert!(bad.is_err_and(|e| e.to_string().contains("PHOENIX_RECOVERY_TIME_MINUTES")));
    }
}
