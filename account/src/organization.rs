//! The targets of a sweep: which accounts (from AWS Organizations, or a list) in which regions.

use crate::clients::Target;
use crate::failure::Failure;
use aws_sdk_organizations::types::AccountStatus;
use futures_util::{StreamExt, TryStreamExt, stream};
use phoenix_shared::config::{Organization, TargetAccounts};
use std::collections::{BTreeSet, VecDeque};

/// How many account tag listings run at once.
const TAG_READS: usize = 8;

/// Every (account, region) the sweeps cover, sorted: the accounts `organization` selects
/// (the own account when it selects none), in its regions (the own region when it names none).
pub async fn targets(
    client: &aws_sdk_organizations::Client,
    organization: &Organization,
    own_account: &str,
    own_region: &str,
) -> Result<Vec<Target>, Failure> {
    let accounts = accounts(client, &organization.accounts, own_account).await?;
    let regions: Vec<String> = if organization.regions.is_empty() {
        vec![own_region.to_owned()]
    } else {
        organization.regions.clone()
    };
    Ok(accounts
        .iter()
        .flat_map(|account| {
            regions.iter().map(move |region| Target {
                account: Some(account.clone()),
                region: Some(region.clone()),
            })
        })
        .collect())
}

/// The accounts a selector names, sorted and once each; suspended and closing accounts are
/// left out.
pub async fn accounts(
    client: &aws_sdk_organizations::Client,
    selector: &TargetAccounts,
    own_account: &str,
) -> Result<BTreeSet<String>, Failure> {
    match selector {
        TargetAccounts::Own => Ok(BTreeSet::from([own_account.to_owned()])),
        TargetAccounts::List(list) => Ok(list.iter().cloned().collect()),
        TargetAccounts::Organization => active(client).await,
        TargetAccounts::Units(units) => under(client, units).await,
        TargetAccounts::Tagged { key, value } => {
            let all = active(client).await?;
            let tagged: Vec<Option<String>> = stream::iter(all)
                .map(|account| async move {
                    let mut has = false;
                    let mut pages = client
                        .list_tags_for_resource()
                        .resource_id(&account)
                        .into_paginator()
                        .send();
                    while let Some(page) = pages.next().await {
                        let page =
                            page.map_err(|e| Failure::of("organizations:ListTagsForResource", &e))?;
                        has |= page.tags().iter().any(|t| {
                            t.key() == key && phoenix_shared::tags::says(Some(t.value()), value)
                        });
                    }
                    Ok::<_, Failure>(has.then_some(account))
                })
                .buffer_unordered(TAG_READS)
                .try_collect()
                .await?;
            Ok(tagged.into_iter().flatten().collect())
        }
    }
}

/// The ids of the active accounts (suspended and closing ones are left out).
fn ids(accounts: &[aws_sdk_organizations::types::Account]) -> impl Iterator<Item = String> {
    accounts
        .iter()
        .filter(|a| a.status().is_none_or(|s| *s == AccountStatus::Active))
        .filter_map(|a| a.id().map(str::to_owned))
}

async fn active(client: &aws_sdk_organizations::Client) -> Result<BTreeSet<String>, Failure> {
    let mut found = BTreeSet::new();
    let mut pages = client.list_accounts().into_paginator().send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| Failure::of("organizations:ListAccounts", &e))?;
        found.extend(ids(page.accounts()));
    }
    Ok(found)
}

/// The active accounts under `units` (organizational units or the root), at any depth.
async fn under(
    client: &aws_sdk_organizations::Client,
    units: &[String],
) -> Result<BTreeSet<String>, Failure> {
    let mut found = BTreeSet::new();
    let mut queue: VecDeque<String> = units.iter().cloned().collect();
    let mut seen: BTreeSet<String> = BTreeSet::new();
    while let Some(parent) = queue.pop_front() {
        if !seen.insert(parent.clone()) {
            continue;
        }
        let mut pages = client
            .list_accounts_for_parent()
            .parent_id(&parent)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| Failure::of("organizations:ListAccountsForParent", &e))?;
            found.extend(ids(page.accounts()));
        }
        let mut pages = client
            .list_organizational_units_for_parent()
            .parent_id(&parent)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page
                .map_err(|e| Failure::of("organizations:ListOrganizationalUnitsForParent", &e))?;
            queue.extend(
                page.organizational_units()
                    .iter()
                    .filter_map(|u| u.id().map(str::to_owned)),
            );
        }
    }
    Ok(found)
}
