//! Copies outside the blast radius: whether a resource's backups also exist where one
//! region's outage, or one account's compromise, cannot reach them (pure).
//!
//! `PHOENIX_REQUIRE_COPY` says what is required of every resource of a required type:
//! `region` (the default: a copy in another region), `account` (in another account),
//! `region-and-account` (both, by one copy or two) or `none`. A requirement is met when a
//! rule of a covering backup plan copies to such a vault (`CopyActions`) and such a copy
//! completed within the resource's RPO (AWS Backup's copy jobs, which it lists for 30
//! days).

use crate::schedule::format_duration;
use phoenix_shared::Timestamp;
use phoenix_shared::config::CopyRequirement;
use std::collections::BTreeSet;

/// One copy job of a resource, as `ListCopyJobs` shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CopyJob {
    pub id: String,
    pub resource: String,
    pub destination_vault: String,
    pub state: String,
    pub created: Timestamp,
    pub completed: Option<Timestamp>,
    pub message: Option<String>,
}

/// What a resource's copies amount to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CopyVerdict {
    NotRequired,
    /// No covering rule copies where the requirement asks.
    Missing {
        reason: String,
    },
    /// A rule copies there, but no copy completed within the RPO.
    Stale {
        reason: String,
        last: Option<Timestamp>,
    },
    Fresh {
        last: Timestamp,
        destination: String,
    },
    Unknown {
        reason: String,
    },
}

impl CopyVerdict {
    /// The newest completed copy that counts, for `HoursSinceLastCopy`.
    pub fn last(&self) -> Option<Timestamp> {
        match self {
            Self::Fresh { last, .. } => Some(*last),
            Self::Stale { last, .. } => *last,
            _ => None,
        }
    }
}

/// The region and account of a backup vault ARN.
fn vault_place(arn: &str) -> Option<(&str, &str)> {
    let (_, service, region, account, _) = phoenix_shared::arn::split(arn)?;
    (service == "backup" && !region.is_empty() && !account.is_empty()).then_some((region, account))
}

/// The blast radii a requirement asks a copy to leave, by name.
fn dimensions(requirement: CopyRequirement) -> &'static [&'static str] {
    match requirement {
        CopyRequirement::None => &[],
        CopyRequirement::Region => &["region"],
        CopyRequirement::Account => &["account"],
        CopyRequirement::RegionAndAccount => &["region", "account"],
    }
}

/// Whether a copy to `destination` leaves the blast radius `dimension` names. A logically
/// air-gapped vault (`air_gapped`) leaves the account even in it: AWS holds its recovery
/// points, locked, and another account can restore them through a share.
fn leaves(
    dimension: &str,
    destination: &str,
    account: &str,
    region: &str,
    air_gapped: &BTreeSet<String>,
) -> bool {
    vault_place(destination).is_some_and(|(r, a)| match dimension {
        "region" => r != region,
        _ => a != account || air_gapped.contains(destination),
    })
}

/// Where a region's copies may go, as read: its account and region, and the vaults among
/// the copy destinations that are logically air-gapped.
#[derive(Debug, Clone, Copy)]
pub struct Place<'a> {
    pub account: &'a str,
    pub region: &'a str,
    pub air_gapped: &'a BTreeSet<String>,
}

/// Judges one resource's copies: `copy_to` are the destination vaults of the rules that
/// cover it, `jobs` the region's copy jobs of the last 30 days (`Err` when they could not
/// be listed), `rpo_seconds` how old the newest copy may be.
pub fn judge(
    requirement: CopyRequirement,
    place: Place<'_>,
    resource: &str,
    copy_to: &[String],
    jobs: &Result<Vec<CopyJob>, String>,
    rpo_seconds: i64,
    at: Timestamp,
) -> CopyVerdict {
    let Place {
        account,
        region,
        air_gapped,
    } = place;
    let leaves = |d: &str, v: &str| leaves(d, v, account, region, air_gapped);
    let wanted = dimensions(requirement);
    if wanted.is_empty() {
        return CopyVerdict::NotRequired;
    }
    let lacking: Vec<&str> = wanted
        .iter()
        .copied()
        .filter(|d| !copy_to.iter().any(|v| leaves(d, v)))
        .collect();
    if !lacking.is_empty() {
        let elsewhere = if copy_to.is_empty() {
            "no rule of its backup plans copies its recovery points anywhere".to_owned()
        } else {
            format!("its plans copy only to {}", copy_to.join(", "))
        };
        return CopyVerdict::Missing {
            reason: format!(
                "no copy in another {} ({region}, account {account}): {elsewhere}",
                lacking.join(" or ")
            ),
        };
    }
    let jobs = match jobs {
        Ok(jobs) => jobs,
        Err(why) => {
            return CopyVerdict::Unknown {
                reason: format!("copy jobs could not be listed: {why}"),
            };
        }
    };
    let mine: Vec<&CopyJob> = jobs.iter().filter(|j| j.resource == resource).collect();
    let mut newest_per: Vec<(Timestamp, &str)> = Vec::new();
    for dimension in wanted {
        let best = mine
            .iter()
            .filter(|j| j.state == "COMPLETED" && leaves(dimension, &j.destination_vault))
            .filter_map(|j| j.completed.map(|c| (c, j.destination_vault.as_str())))
            .max_by_key(|(c, _)| *c);
        match best {
            Some((completed, vault)) if at.seconds_since(completed) <= rpo_seconds => {
                newest_per.push((completed, vault));
            }
            best => {
                let last = best.map(|(c, _)| c);
                let newest_job = mine
                    .iter()
                    .filter(|j| leaves(dimension, &j.destination_vault))
                    .max_by_key(|j| j.created);
                let why = match (last, newest_job) {
                    (_, Some(job)) if job.state != "COMPLETED" => format!(
                        "the newest copy job {} is {}{}",
                        job.id,
                        job.state,
                        job.message
                            .as_deref()
                            .map(|m| format!(": {m}"))
                            .unwrap_or_default()
                    ),
                    (Some(_), _) => "no copy job since".to_owned(),
                    (None, None) => {
                        "no copy job in the last 30 days (all AWS Backup lists)".to_owned()
                    }
                    (None, Some(_)) => "no copy job completed".to_owned(),
                };
                let age = last.map_or_else(
                    || "none completed".to_owned(),
                    |l| {
                        format!(
                            "the newest completed {} ago",
                            format_duration(at.seconds_since(l))
                        )
                    },
                );
                return CopyVerdict::Stale {
                    reason: format!(
                        "no copy in another {dimension} within its RPO of {} ({age}); {why}",
                        format_duration(rpo_seconds)
                    ),
                    last,
                };
            }
        }
    }
    // Every dimension has a fresh copy: the oldest of them is how fresh the requirement is.
    let (last, destination) = newest_per
        .iter()
        .min_by_key(|(c, _)| *c)
        .map(|(c, v)| (*c, (*v).to_owned()))
        .unwrap_or((at, String::new()));
    CopyVerdict::Fresh { last, destination }
}

#[cfg(test)]
mod tests {
    use super::*;

    const AT: Timestamp = Timestamp::from_epoch_seconds(1_800_000_000);
    const HOUR: i64 = 3600;
    const EFS: &str = "arn:aws:elasticfilesystem:eu-west-1:123456789012:file-system/fs-1";
    const DR: &str = "arn:aws:backup:eu-central-1:123456789012:backup-vault:dr";
    const BUNKER: &str = "arn:aws:backup:eu-west-1:999999999999:backup-vault:bunker";
    const LOCAL: &str = "arn:aws:backup:eu-west-1:123456789012:backup-vault:other";

    fn job(destination: &str, state: &str, hours_ago: i64) -> CopyJob {
        CopyJob {
            id: format!("copy-{hours_ago}"),
            resource: EFS.to_owned(),
            destination_vault: destination.to_owned(),
            state: state.to_owned(),
            created: AT.plus_seconds(-hours_ago * HOUR - 600),
            completed: (state != "RUNNING").then(|| AT.plus_seconds(-hours_ago * HOUR)),
            message: (state == "FAILED")
                .then(|| "Access denied to the destination vault".to_owned()),
        }
    }

    fn place(air_gapped: &BTreeSet<String>) -> Place<'_> {
        Place {
            account: "123456789012",
            region: "eu-west-1",
            air_gapped,
        }
    }

    #[test]
    fn a_logically_air_gapped_vault_in_the_account_counts_as_outside_it() {
        let bunker = "arn:aws:backup:eu-west-1:123456789012:backup-vault:bunker".to_owned();
        let gapped = BTreeSet::from([bunker.clone()]);
        let jobs = Ok(vec![job(&bunker, "COMPLETED", 2)]);
        let judged = |req, gapped: &BTreeSet<String>| {
            let copy_to = std::slice::from_ref(&bunker);
            judge(req, place(gapped), EFS, copy_to, &jobs, 25 * HOUR, AT)
        };
        let none = BTreeSet::new();
        assert!(matches!(
            judged(CopyRequirement::Account, &gapped),
            CopyVerdict::Fresh { .. }
        ));
        assert!(matches!(
            judged(CopyRequirement::Account, &none),
            CopyVerdict::Missing { .. }
        ));
        assert!(
            matches!(
                judged(CopyRequirement::Region, &gapped),
                CopyVerdict::Missing { .. }
            ),
            "still in the region"
        );
    }

    fn verdict(req: CopyRequirement, copy_to: &[&str], jobs: Vec<CopyJob>) -> CopyVerdict {
        let copy_to: Vec<String> = copy_to.iter().map(|s| (*s).to_owned()).collect();
        let none = BTreeSet::new();
        judge(req, place(&none), EFS, &copy_to, &Ok(jobs), 25 * HOUR, AT)
    }

    #[test]
    fn a_copy_rule_must_leave_the_region_or_account_the_requirement_names() {
        use CopyRequirement::*;
        assert_eq!(verdict(None, &[], vec![]), CopyVerdict::NotRequired);
        assert_eq!(
            verdict(Region, &[], vec![]),
            CopyVerdict::Missing {
                reason: "no copy in another region (eu-west-1, account 123456789012): no rule of its backup plans copies its recovery points anywhere".to_owned()
            }
        );
        assert!(
            matches!(verdict(Region, &[LOCAL], vec![]), CopyVerdict::Missing { reason } if reason.contains("copy only to arn:aws:backup:eu-west-1:123456789012:backup-vault:other"))
        );
        assert!(
            matches!(
                verdict(Region, &[BUNKER], vec![]),
                CopyVerdict::Missing { .. }
            ),
            "another account, same region"
        );
        assert!(matches!(
            verdict(Account, &[BUNKER], vec![job(BUNKER, "COMPLETED", 2)]),
            CopyVerdict::Fresh { .. }
        ));
        assert!(
            matches!(verdict(RegionAndAccount, &[DR], vec![]), CopyVerdict::Missing { reason } if reason.starts_with("no copy in another account"))
        );
        assert!(matches!(
            verdict(RegionAndAccount, &[DR, BUNKER], vec![job(DR, "COMPLETED", 3), job(BUNKER, "COMPLETED", 1)]),
            CopyVerdict::Fresh { last, destination } if last == AT.plus_seconds(-3 * HOUR) && destination == DR
        ));
    }

    #[test]
    fn a_copy_older_than_the_rpo_is_stale_and_says_why() {
        use CopyRequirement::Region;
        assert!(matches!(
            verdict(Region, &[DR], vec![job(DR, "COMPLETED", 2)]),
            CopyVerdict::Fresh { .. }
        ));
        let stale = verdict(
            Region,
            &[DR],
            vec![job(DR, "COMPLETED", 30), job(DR, "FAILED", 5)],
        );
        assert_eq!(
            stale,
            CopyVerdict::Stale {
                reason: "no copy in another region within its RPO of 25h (the newest completed 30h ago); the newest copy job copy-5 is FAILED: Access denied to the destination vault".to_owned(),
                last: Some(AT.plus_seconds(-30 * HOUR)),
            }
        );
        assert!(
            matches!(verdict(Region, &[DR], vec![]), CopyVerdict::Stale { reason, last: None } if reason.contains("no copy job in the last 30 days"))
        );
        // A copy to a vault in the same region does not count, whatever its age.
        assert!(matches!(
            verdict(Region, &[DR, LOCAL], vec![job(LOCAL, "COMPLETED", 1)]),
            CopyVerdict::Stale { .. }
        ));
        let none = BTreeSet::new();
        let unknown = judge(
            CopyRequirement::Region,
            place(&none),
            EFS,
            &[DR.to_owned()],
            &Err("AccessDenied".to_owned()),
            25 * HOUR,
            AT,
        );
        assert!(matches!(unknown, CopyVerdict::Unknown { .. }));
    }
}
