//! An organization of three accounts in two regions, watched from the central account:
//! the dispatcher lists the accounts (AWS Organizations) and queues one sweep per (account,
//! region); `backup-freshness` and `readiness-audit` take the batches from SQS and reach
//! each member through its reader role (STS AssumeRole, which the emulator refuses as AWS
//! does when the role is missing). What the platform team sees: one page per finding, named
//! by the member's account and region; an unreachable member is `check-unknown`, never a
//! pass; the roll-up ranks the least ready target first; a member whose canary stops pages.

use phoenix_account::reach::Reach;
use phoenix_shared::Timestamp;
use phoenix_shared::config::TargetAccounts;
use phoenix_shared::runtime::Invocation;
use phoenix_tests::World;
use phoenix_tests::account::{create_bucket, create_efs, in_region, s3_client};
use phoenix_tests::organization::{
    READER_ROLE, canary_event, create_organization, create_queue, create_reader_role, drain, sdk_in,
};
use serde_json::{Value, json};

const REGIONS: [&str; 2] = ["eu-west-1", "us-east-1"];

struct Org {
    central: World,
    member_a: String,
    member_b: String,
    sdk_a: aws_config::SdkConfig,
    freshness_queue: String,
    audit_queue: String,
    reports: String,
}

/// Central account `central` (the organization's management account, with a reader role
/// for its other regions), member A with its reader role, member B without one (never
/// deployed, or its role deleted).
async fn organization(label: &str, central: &str) -> Org {
    let mut world = World::in_account(label, central).await;
    let members = create_organization(&world.sdk, &["prod", "staging"]).await;
    let (member_a, member_b) = (members[0].clone(), members[1].clone());
    let sdk_a = sdk_in(&member_a).await;
    create_reader_role(&sdk_a, central).await;
    // The central account runs a member part too, for its other regions.
    create_reader_role(&world.sdk, central).await;
    let freshness_queue = create_queue(&world.sdk, &format!("freshness-{}", world.name)).await;
    let audit_queue = create_queue(&world.sdk, &format!("audit-{}", world.name)).await;
    let reports = format!("phoenix-reports-{central}");
    create_bucket(&world.sdk, &reports, &[], true).await;
    let config = &mut world.config;
    config.report_bucket = Some(reports.clone());
    config.organization.accounts = TargetAccounts::Organization;
    config.organization.regions = REGIONS.iter().map(|r| (*r).to_owned()).collect();
    config.organization.reader_role = Some(READER_ROLE.to_owned());
    config.organization.sweep_queues = vec![
        ("backup-freshness".to_owned(), freshness_queue.clone()),
        ("readiness-audit".to_owned(), audit_queue.clone()),
    ];
    Org {
        central: world,
        member_a,
        member_b,
        sdk_a,
        freshness_queue,
        audit_queue,
        reports,
    }
}

impl Org {
    fn invocation(&self, payload: Value, id: &str, now: Timestamp) -> Invocation {
        Invocation {
            payload,
            id: id.to_owned(),
            account: self.central.account.clone(),
            now,
        }
    }

    fn dispatcher(&self) -> sweep_dispatcher::Clients {
        sweep_dispatcher::Clients::current(&self.central.sdk)
    }

    async fn dispatch(&self, sweep: &str, now: Timestamp) -> Value {
        sweep_dispatcher::handle(
            &self.central.guard(),
            &self.dispatcher(),
            &json!({"sweep": sweep, "time": now.to_string()}),
            &self.central.account,
            &format!("dispatch-{sweep}-{now}"),
            now,
        )
        .await
        .expect("the dispatch delivers")
    }

    async fn canary(&self, account: &str, region: &str, now: Timestamp) {
        sweep_dispatcher::handle(
            &self.central.guard(),
            &self.dispatcher(),
            &canary_event(account, region, &now.to_string()),
            &self.central.account,
            &format!("canary-{account}-{region}-{now}"),
            now,
        )
        .await
        .expect("the canary is counted");
    }

    /// Every member part's canary, a few minutes ago.
    async fn all_canaries(&self, now: Timestamp) {
        for account in [&self.central.account, &self.member_a, &self.member_b] {
            for region in REGIONS {
                if account == &self.central.account && region == "eu-west-1" {
                    continue;
                }
                self.canary(account, region, now.plus_seconds(-300)).await;
            }
        }
    }

    fn key(&self, account: &str, region: &str, check: &str, resource: &str) -> String {
        format!("phoenix:{account}:{region}:{check}:{resource}")
    }
}

fn failed_ids(response: &Value) -> Vec<String> {
    let mut ids: Vec<String> = response["batchItemFailures"]
        .as_array()
        .expect("a partial batch response")
        .iter()
        .map(|f| f["itemIdentifier"].as_str().unwrap_or_default().to_owned())
        .collect();
    ids.sort();
    ids
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sweep_of_the_organization_pages_each_member_by_name_and_an_unreachable_one_as_unknown() {
    let org = organization("org-sweep", "310000000001").await;
    let (a, b) = (org.member_a.clone(), org.member_b.clone());
    // Member A's Zulip file system in Ireland is in no backup plan.
    let (efs, _) = create_efs(
        &in_region(&org.sdk_a, "eu-west-1"),
        "zulip-a",
        &[("Name", "zulip-data")],
    )
    .await;
    let now = Timestamp::now();
    org.all_canaries(now).await;

    let dispatched = org.dispatch("backup-freshness", now).await;
    assert_eq!(dispatched["targets"], 6, "{dispatched}");
    assert_eq!(dispatched["messages"], 6, "{dispatched}");
    let batches = drain(&org.central.sdk, &org.freshness_queue).await;
    let bodies: Vec<Value> = batches
        .iter()
        .flat_map(|b| b["Records"].as_array().cloned().unwrap_or_default())
        .map(|r| serde_json::from_str(r["body"].as_str().unwrap_or_default()).unwrap())
        .collect();
    let mut targets: Vec<(String, String)> = bodies
        .iter()
        .map(|b| {
            (
                b["account"].as_str().unwrap().to_owned(),
                b["region"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    targets.sort();
    let mut expected: Vec<(String, String)> = [&org.central.account, &a, &b]
        .iter()
        .flat_map(|acc| {
            REGIONS
                .iter()
                .map(move |r| ((*acc).clone(), (*r).to_owned()))
        })
        .collect();
    expected.sort();
    assert_eq!(targets, expected, "one message per account and region");

    // STS answers for member B's role as AWS does for a role that is not there: refused.
    // One batch: every target swept, none returned to the queue.
    let reach = Reach::new(
        &org.central.sdk,
        Some(READER_ROLE.to_owned()),
        "phoenix-guard-backup-freshness",
    );
    let all: Vec<Value> = batches
        .iter()
        .flat_map(|b| b["Records"].as_array().cloned().unwrap_or_default())
        .collect();
    let response = backup_freshness::invoke(
        &org.central.guard(),
        &reach,
        org.invocation(json!({"Records": all}), "sweep-1", now),
    )
    .await
    .expect("a partial batch response");
    assert_eq!(failed_ids(&response), Vec::<String>::new(), "{response}");

    let alerts = org.central.alerts().await;
    let mut keys: Vec<&str> = alerts.iter().map(|a| a.dedup_key()).collect();
    keys.sort_unstable();
    let mut want = vec![
        org.key(&a, "eu-west-1", "resource-unprotected", &efs),
        org.key(&b, "eu-west-1", "check-unknown", &format!("account:{b}")),
        org.key(&b, "us-east-1", "check-unknown", &format!("account:{b}")),
    ];
    want.sort();
    assert_eq!(keys, want, "{alerts:#?}");
    let unknown = alerts
        .iter()
        .find(|x| x.check() == "check-unknown")
        .unwrap();
    let summary = unknown.body["payload"]["summary"]
        .as_str()
        .unwrap_or_default();
    assert!(
        summary.contains("sts:AssumeRole") && summary.contains(READER_ROLE),
        "{summary}"
    );
    assert_eq!(
        unknown.body["payload"]["custom_details"]["remedy"]
            .as_str()
            .map(|r| r.contains("phoenix-guard-member")),
        Some(true),
        "{:#}",
        unknown.body
    );

    // The next hour: the same findings page nobody twice.
    let later = now.plus_seconds(3600);
    org.all_canaries(later).await;
    org.dispatch("backup-freshness", later).await;
    for batch in drain(&org.central.sdk, &org.freshness_queue).await {
        let response = backup_freshness::invoke(
            &org.central.guard(),
            &reach,
            org.invocation(batch, "sweep-2", later),
        )
        .await
        .unwrap();
        assert_eq!(failed_ids(&response), Vec::<String>::new());
    }
    assert!(org.central.alerts().await.is_empty());

    // Member B deploys the member module: its unknowns resolve.
    let sdk_b = sdk_in(&b).await;
    create_reader_role(&sdk_b, &org.central.account).await;
    let third = later.plus_seconds(3600);
    org.all_canaries(third).await;
    org.dispatch("backup-freshness", third).await;
    for batch in drain(&org.central.sdk, &org.freshness_queue).await {
        backup_freshness::invoke(
            &org.central.guard(),
            &reach,
            org.invocation(batch, "sweep-3", third),
        )
        .await
        .unwrap();
    }
    let alerts = org.central.alerts().await;
    let resolved: Vec<(&str, &str)> = alerts
        .iter()
        .map(|x| (x.event_action(), x.dedup_key()))
        .collect();
    assert_eq!(resolved.len(), 2, "{resolved:?}");
    assert!(
        resolved
            .iter()
            .all(|(action, key)| *action == "resolve" && key.contains(&format!("account:{b}"))),
        "{resolved:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_target_that_fails_for_now_is_returned_to_the_queue_alone() {
    let org = organization("org-retry", "310000000002").await;
    let now = Timestamp::now();
    org.all_canaries(now).await;
    org.dispatch("backup-freshness", now).await;
    let batches = drain(&org.central.sdk, &org.freshness_queue).await;
    let records: Vec<Value> = batches
        .iter()
        .flat_map(|b| b["Records"].as_array().cloned().unwrap_or_default())
        .collect();
    let a_ids: Vec<String> = {
        let mut ids: Vec<String> = records
            .iter()
            .filter(|r| {
                r["body"]
                    .as_str()
                    .unwrap_or_default()
                    .contains(&org.member_a)
            })
            .map(|r| r["messageId"].as_str().unwrap().to_owned())
            .collect();
        ids.sort();
        ids
    };
    assert_eq!(a_ids.len(), 2);
    // STS throttles the central account's assume-role into member A.
    let fault = phoenix_tests::Emulator::shared().control(
        "POST",
        "/_phoenix/faults",
        &json!({
            "Service": "sts",
            "Operation": "AssumeRole",
            "ResourceArn": format!("arn:aws:iam::{}:role/{READER_ROLE}", org.member_a),
            "Kind": "error",
            "Status": 400,
            "Code": "Throttling",
            "Message": "Rate exceeded",
        }),
    );
    let reach = Reach::new(
        &org.central.sdk,
        Some(READER_ROLE.to_owned()),
        "phoenix-guard-backup-freshness",
    );
    let response = backup_freshness::invoke(
        &org.central.guard(),
        &reach,
        org.invocation(json!({"Records": records}), "sweep-1", now),
    )
    .await
    .unwrap();
    phoenix_tests::Emulator::shared().control(
        "DELETE",
        &format!("/_phoenix/faults/{}", fault["Id"].as_str().unwrap()),
        &json!({}),
    );
    assert_eq!(
        failed_ids(&response),
        a_ids,
        "only member A's targets, {response}"
    );
    // Nothing about A was paged as unknown: it is tried again, not given up on.
    let alerts = org.central.alerts().await;
    assert!(
        alerts
            .iter()
            .all(|x| !x.dedup_key().contains(&org.member_a)),
        "{alerts:#?}"
    );
    assert_eq!(
        org.central
            .metric_sum("TargetsFailed", &[("Function", "backup-freshness")])
            .await,
        Some(2.0)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_roll_up_ranks_the_least_ready_target_first_and_a_silent_member_pages_its_canary() {
    let org = organization("org-rollup", "310000000003").await;
    let (a, b) = (org.member_a.clone(), org.member_b.clone());
    create_efs(
        &in_region(&org.sdk_a, "us-east-1"),
        "zulip-a-us",
        &[("Name", "zulip-data")],
    )
    .await;
    let now = Timestamp::now();
    // Every member part's canary arrives, except member A's in us-east-1 (its forwarding
    // rules were deleted there) and member B's (never deployed).
    org.canary(&a, "eu-west-1", now.plus_seconds(-600)).await;
    org.canary(&org.central.account, "us-east-1", now.plus_seconds(-600))
        .await;

    let dispatched = org.dispatch("readiness-audit", now).await;
    assert_eq!(dispatched["canariesMissing"], 3, "{dispatched}");
    let alerts = org.central.alerts().await;
    let mut missing: Vec<&str> = alerts
        .iter()
        .filter(|x| x.check() == "member-canary-missing")
        .map(|x| x.dedup_key())
        .collect();
    missing.sort_unstable();
    let mut want = vec![
        org.key(
            &a,
            "us-east-1",
            "member-canary-missing",
            &format!("canary:{a}:us-east-1"),
        ),
        org.key(
            &b,
            "eu-west-1",
            "member-canary-missing",
            &format!("canary:{b}:eu-west-1"),
        ),
        org.key(
            &b,
            "us-east-1",
            "member-canary-missing",
            &format!("canary:{b}:us-east-1"),
        ),
    ];
    want.sort();
    assert_eq!(missing, want, "{alerts:#?}");

    let reach = Reach::new(
        &org.central.sdk,
        Some(READER_ROLE.to_owned()),
        "phoenix-guard-readiness-audit",
    );
    for batch in drain(&org.central.sdk, &org.audit_queue).await {
        let response = readiness_audit::invoke(
            &org.central.guard(),
            &reach,
            org.invocation(batch, "audit-1", now),
        )
        .await
        .expect("a partial batch response");
        assert_eq!(failed_ids(&response), Vec::<String>::new(), "{response}");
    }
    // Each target's score is its own metric, and its report its own object.
    let score = org
        .central
        .metric_stat(
            "PhoenixReadiness",
            &[("Account", &a), ("Region", "us-east-1")],
            "Minimum",
        )
        .await;
    assert!(score.is_some_and(|s| s < 100.0), "{score:?}");

    // The next dispatch of the audit writes the roll-up of this round: member B first
    // (unknown), then the member A region with the unprotected file system.
    org.dispatch("readiness-audit", now.plus_seconds(86_400))
        .await;
    let got = s3_client(&org.central.sdk)
        .get_object()
        .bucket(&org.reports)
        .key(format!("readiness/{}/organization.json", org.central.name))
        .send()
        .await
        .expect("the roll-up is stored");
    let rollup: Value =
        serde_json::from_slice(&got.body.collect().await.unwrap().into_bytes()).unwrap();
    let targets = rollup["targets"].as_array().unwrap();
    assert_eq!(targets.len(), 6, "{rollup:#}");
    assert_eq!(targets[0]["account"], json!(b));
    assert_eq!(targets[0]["reachable"], json!(false));
    let first_a = targets.iter().find(|t| t["account"] == json!(a)).unwrap();
    assert_eq!(first_a["region"], "us-east-1", "{rollup:#}");
    assert!(
        first_a["failing"].as_array().unwrap().iter().any(|f| f
            .as_str()
            .unwrap_or_default()
            .starts_with("resource-unprotected")),
        "{first_a:#}"
    );
    let scores: Vec<u64> = targets
        .iter()
        .map(|t| t["score"].as_u64().unwrap())
        .collect();
    assert!(scores.windows(2).all(|w| w[0] <= w[1]), "{scores:?}");

    // Member A restores its rules: its canary arrives and the page resolves.
    let back = now.plus_seconds(86_400 + 60);
    org.canary(&a, "us-east-1", back.plus_seconds(-30)).await;
    org.central.alerts().await;
    org.dispatch("backup-freshness", back).await;
    let alerts = org.central.alerts().await;
    let resolved: Vec<&str> = alerts
        .iter()
        .filter(|x| x.event_action() == "resolve")
        .map(|x| x.dedup_key())
        .collect();
    assert!(
        resolved.contains(
            &org.key(
                &a,
                "us-east-1",
                "member-canary-missing",
                &format!("canary:{a}:us-east-1")
            )
            .as_str()
        ),
        "{alerts:#?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_backup_forwarded_from_a_member_pages_once_named_by_that_account() {
    let world = World::in_account("org-event", "310000000004").await;
    let member = "310000000099";
    let mut event = phoenix_tests::backup_fixture("backup-job-failed-efs.json");
    event["account"] = json!(member);
    let now = Timestamp::now();
    for attempt in ["first", "redelivered"] {
        backup_events::handle(&world.guard(), &event, attempt, now)
            .await
            .expect("delivered");
    }
    let alert = world.only_alert().await;
    assert!(
        alert.dedup_key().starts_with(&format!("phoenix:{member}:")),
        "{}",
        alert.dedup_key()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn targets_are_the_accounts_an_ou_or_a_tag_selects_in_every_region() {
    use phoenix_shared::config::Organization;
    let central = "310000000005";
    let sdk = sdk_in(central).await;
    let members = create_organization(&sdk, &["prod", "staging", "sandbox"]).await;
    let org = aws_sdk_organizations::Client::new(&sdk);
    let root = org.list_roots().send().await.unwrap().roots()[0]
        .id()
        .unwrap()
        .to_owned();
    // prod in the Workloads OU, staging one level further down; sandbox stays at the root.
    let workloads = org
        .create_organizational_unit()
        .parent_id(&root)
        .name("Workloads")
        .send()
        .await
        .unwrap()
        .organizational_unit()
        .unwrap()
        .id()
        .unwrap()
        .to_owned();
    let nested = org
        .create_organizational_unit()
        .parent_id(&workloads)
        .name("Staging")
        .send()
        .await
        .unwrap()
        .organizational_unit()
        .unwrap()
        .id()
        .unwrap()
        .to_owned();
    for (account, unit) in [(&members[0], &workloads), (&members[1], &nested)] {
        org.move_account()
            .account_id(account)
            .source_parent_id(&root)
            .destination_parent_id(unit)
            .send()
            .await
            .unwrap();
    }
    org.tag_resource()
        .resource_id(&members[2])
        .tags(
            aws_sdk_organizations::types::Tag::builder()
                .key("phoenix:watch")
                .value("TRUE")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let clients = phoenix_account::Clients::current(&sdk);
    let targets = |accounts: TargetAccounts| {
        let organization = Organization {
            accounts,
            regions: REGIONS.iter().map(|r| (*r).to_owned()).collect(),
            ..Organization::default()
        };
        let clients = &clients;
        async move {
            phoenix_account::organization::targets(
                clients.organizations(),
                &organization,
                central,
                "eu-west-1",
            )
            .await
            .unwrap()
            .into_iter()
            .map(|t| (t.account.unwrap(), t.region.unwrap()))
            .collect::<Vec<_>>()
        }
    };
    let both = |account: &str| {
        REGIONS
            .iter()
            .map(|r| (account.to_owned(), (*r).to_owned()))
            .collect::<Vec<_>>()
    };
    let mut under = targets(TargetAccounts::Units(vec![workloads.clone()])).await;
    under.sort();
    let mut want = [both(&members[0]), both(&members[1])].concat();
    want.sort();
    assert_eq!(under, want, "an OU's accounts at any depth");
    assert_eq!(
        targets(TargetAccounts::Tagged {
            key: "phoenix:watch".to_owned(),
            value: "true".to_owned()
        })
        .await,
        both(&members[2]),
        "a tag's value read by the one rule (any case)"
    );
    assert_eq!(targets(TargetAccounts::Organization).await.len(), 8);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_member_call_is_confirmed_in_the_member_account_or_paged_on_its_facts_when_unreachable() {
    let org = organization("org-guard", "310000000006").await;
    let (a, b) = (org.member_a.clone(), org.member_b.clone());
    let bucket = "cochlearis-prod-zulip-uploads";
    // Member A's data bucket, its versioning suspended (as the forwarded call says).
    phoenix_tests::account::create_bucket(&org.sdk_a, bucket, &[("phoenix:data", "true")], true)
        .await;
    phoenix_tests::account::set_versioning(&org.sdk_a, bucket, false).await;
    let call = |account: &str| {
        let text = phoenix_tests::fixture(
            "protection-guard",
            "s3-put-bucket-versioning-suspended.json",
        )
        .to_string()
        .replace("123456789012", account)
        .replace("cochlearis-dev-zulip-uploads", bucket);
        serde_json::from_str::<Value>(&text).unwrap()
    };
    let reach = Reach::new(
        &org.central.sdk,
        Some(READER_ROLE.to_owned()),
        "phoenix-guard-protection-guard",
    );
    let now = Timestamp::now();
    let confirmed = protection_guard::invoke(
        &org.central.guard(),
        &reach,
        org.invocation(call(&a), "guard-a", now),
    )
    .await
    .expect("delivered");
    assert_eq!(confirmed.observations, 1, "{confirmed:?}");
    let alerts = org.central.alerts().await;
    assert_eq!(alerts.len(), 1, "{alerts:#?}");
    assert!(
        alerts[0]
            .dedup_key()
            .starts_with(&format!("phoenix:{a}:eu-west-1:s3-versioning-suspended:"))
    );
    let details = &alerts[0].body["finding"]["details"];
    assert!(
        !details.to_string().contains("reaching the call's account"),
        "read in member A: {details}"
    );

    // Member B has no reader role: the same call pages on its own facts, saying why.
    protection_guard::invoke(
        &org.central.guard(),
        &reach,
        org.invocation(call(&b), "guard-b", now),
    )
    .await
    .expect("delivered");
    let alerts = org.central.alerts().await;
    assert_eq!(alerts.len(), 1, "{alerts:#?}");
    assert!(
        alerts[0]
            .dedup_key()
            .starts_with(&format!("phoenix:{b}:eu-west-1:"))
    );
    assert!(
        alerts[0]
            .body
            .to_string()
            .contains("reaching the call's account failed"),
        "{:#}",
        alerts[0].body
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_members_credentials_are_kept_while_they_last_and_assumed_again_before_they_expire() {
    use std::time::{Duration, SystemTime};
    let central = "310000000007";
    let sdk = sdk_in(central).await;
    let member = create_organization(&sdk, &["prod"]).await.remove(0);
    create_reader_role(&sdk_in(&member).await, central).await;
    let reach = Reach::new(&sdk, Some(READER_ROLE.to_owned()), "phoenix-guard-test");
    let target = phoenix_account::Target {
        account: Some(member.clone()),
        region: Some("eu-west-1".to_owned()),
    };
    let assumed = || {
        phoenix_tests::Emulator::shared()
            .calls_in(central)
            .get("sts.AssumeRole")
            .copied()
            .unwrap_or(0)
    };
    let before = assumed();
    let now = SystemTime::now();
    let first = reach.clients(central, &target, now).await.unwrap();
    let again = reach
        .clients(central, &target, now + Duration::from_secs(40 * 60))
        .await
        .unwrap();
    assert_eq!(assumed() - before, 1, "kept while the credentials last");
    assert!(std::sync::Arc::ptr_eq(&first, &again));
    // The session lasts an hour; 15 minutes before it ends, the role is assumed again.
    let renewed = reach
        .clients(central, &target, now + Duration::from_secs(46 * 60))
        .await
        .unwrap();
    assert_eq!(assumed() - before, 2);
    assert!(!std::sync::Arc::ptr_eq(&first, &renewed));
    assert_eq!(reach.held(), 1, "one target, one set of clients");
    // What it reads is the member's: its file systems, not the central account's.
    let (efs, _) = create_efs(&sdk_in(&member).await, "kept-prod", &[]).await;
    let listed = renewed.efs().describe_file_systems().send().await.unwrap();
    assert!(
        listed
            .file_systems()
            .iter()
            .any(|f| f.file_system_arn() == Some(efs.as_str()))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deleted_member_rule_is_paged_through_its_missing_canary() {
    use aws_sdk_eventbridge::types::Target as RuleTarget;
    let mut org = organization("org-canary", "310000000008").await;
    org.central.config.organization.regions = vec!["eu-west-1".to_owned()];
    let (a, b) = (org.member_a.clone(), org.member_b.clone());
    let central_events = aws_sdk_eventbridge::Client::new(&org.central.sdk);
    let organization_id = aws_sdk_organizations::Client::new(&org.central.sdk)
        .describe_organization()
        .send()
        .await
        .unwrap()
        .organization()
        .unwrap()
        .id()
        .unwrap()
        .to_owned();
    // The central bus, open to the organization only, and the dispatcher's rule on it (its
    // own printed pattern), delivering to a queue that stands for the function.
    let bus = central_events
        .create_event_bus()
        .name("phoenix-guard-central")
        .send()
        .await
        .unwrap()
        .event_bus_arn()
        .unwrap()
        .to_owned();
    let policy = json!({"Version": "2012-10-17", "Statement": [{
        "Sid": "MembersForward", "Effect": "Allow", "Principal": "*",
        "Action": "events:PutEvents", "Resource": bus,
        "Condition": {"StringEquals": {"aws:PrincipalOrgID": organization_id}}}]});
    central_events
        .put_permission()
        .event_bus_name("phoenix-guard-central")
        .policy(policy.to_string())
        .send()
        .await
        .unwrap();
    let arrivals = create_queue(&org.central.sdk, &format!("canaries-{}", org.central.name)).await;
    let arrivals_arn = format!(
        "arn:aws:sqs:eu-west-1:{}:canaries-{}",
        org.central.account, org.central.name
    );
    let pattern = sweep_dispatcher::describe()["rules"]["member-canary"].to_string();
    central_events
        .put_rule()
        .name("phoenix-guard-central-sweep-dispatcher-member-canary")
        .event_bus_name("phoenix-guard-central")
        .event_pattern(pattern)
        .send()
        .await
        .unwrap();
    central_events
        .put_targets()
        .rule("phoenix-guard-central-sweep-dispatcher-member-canary")
        .event_bus_name("phoenix-guard-central")
        .targets(
            RuleTarget::builder()
                .id("dispatcher")
                .arn(&arrivals_arn)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    // Each member part's canary rule; and an account outside the organization that tries.
    let outsider = "310000000098";
    for account in [&a, &b, &outsider.to_owned()] {
        let events = aws_sdk_eventbridge::Client::new(&sdk_in(account).await);
        events
            .put_rule()
            .name("phoenix-guard-member-canary")
            .schedule_expression("rate(15 minutes)")
            .send()
            .await
            .unwrap();
        events
            .put_targets()
            .rule("phoenix-guard-member-canary")
            .targets(
                RuleTarget::builder()
                    .id("central")
                    .arn(&bus)
                    .role_arn(format!("arn:aws:iam::{account}:role/phoenix-guard-fwd"))
                    .build()
                    .unwrap(),
            )
            .send()
            .await
            .unwrap();
    }
    let emulator = phoenix_tests::Emulator::shared();
    let tick = |at: Timestamp| {
        for account in [&a, &b, &outsider.to_owned()] {
            emulator.control(
                "POST",
                "/_phoenix/events/schedules/fire",
                &json!({"Account": account, "Region": "eu-west-1", "Time": at.to_string()}),
            );
        }
    };
    // What reached the central bus's rule, handed to the dispatcher as Lambda would.
    let deliver = |at: Timestamp| {
        let org = &org;
        let arrivals = &arrivals;
        async move {
            let mut accounts = Vec::new();
            for batch in drain(&org.central.sdk, arrivals).await {
                for record in batch["Records"].as_array().unwrap() {
                    let event: Value =
                        serde_json::from_str(record["body"].as_str().unwrap()).unwrap();
                    accounts.push(event["account"].as_str().unwrap().to_owned());
                    org.canary(
                        event["account"].as_str().unwrap(),
                        event["region"].as_str().unwrap(),
                        at,
                    )
                    .await;
                }
            }
            accounts.sort();
            accounts
        }
    };

    let t0 = Timestamp::now();
    tick(t0);
    let mut both = vec![a.clone(), b.clone()];
    both.sort();
    assert_eq!(
        deliver(t0).await,
        both,
        "each member's canary arrives named by its own account; the outsider's is refused by the bus policy"
    );
    let first = org.dispatch("backup-freshness", t0.plus_seconds(60)).await;
    assert_eq!(first["canariesMissing"], 0, "{first}");

    // Someone deletes member A's rule; three quarters of an hour later only B's arrives.
    let a_events = aws_sdk_eventbridge::Client::new(&org.sdk_a);
    a_events
        .remove_targets()
        .rule("phoenix-guard-member-canary")
        .ids("central")
        .send()
        .await
        .unwrap();
    a_events
        .delete_rule()
        .name("phoenix-guard-member-canary")
        .send()
        .await
        .unwrap();
    org.central.alerts().await;
    let t1 = t0.plus_seconds(46 * 60);
    tick(t1);
    assert_eq!(deliver(t1).await, vec![b.clone()]);
    let second = org.dispatch("backup-freshness", t1.plus_seconds(60)).await;
    assert_eq!(second["canariesMissing"], 1, "{second}");
    let alerts = org.central.alerts().await;
    let missing: Vec<&str> = alerts
        .iter()
        .filter(|x| x.check() == "member-canary-missing")
        .map(|x| x.dedup_key())
        .collect();
    assert_eq!(
        missing,
        [org.key(
            &a,
            "eu-west-1",
            "member-canary-missing",
            &format!("canary:{a}:eu-west-1")
        )],
        "{alerts:#?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_members_permanent_deletion_is_judged_in_its_account_or_paged_with_it_unknown() {
    let mut org = organization("org-deletion", "310000000010").await;
    let (a, b) = (org.member_a.clone(), org.member_b.clone());
    // Member A's uploads, a data bucket by its tag and never versioned; member B's, named
    // a data bucket by configuration, in an account that has no reader role.
    let uploads_a = "org-deletion-prod-uploads";
    let uploads_b = "org-deletion-staging-uploads";
    create_bucket(&org.sdk_a, uploads_a, &[("phoenix:data", "true")], false).await;
    org.central.config.data_buckets = vec!["*-staging-uploads".to_owned()];
    let deleted = |account: &str, bucket: &str| {
        let text = phoenix_tests::fixture(
            "s3-deletion-guard",
            "eventbridge-object-deleted-permanent.json",
        )
        .to_string()
        .replace("123456789012", account)
        .replace("cochlearis-dev-zulip-uploads", bucket);
        serde_json::from_str::<Value>(&text).unwrap()
    };
    let clients = s3_deletion_guard::Clients::new(&org.central.sdk, &org.central.config);
    let now = Timestamp::now();
    for attempt in ["first", "redelivered"] {
        s3_deletion_guard::invoke(
            &org.central.guard(),
            &clients,
            org.invocation(deleted(&a, uploads_a), &format!("a-{attempt}"), now),
        )
        .await
        .expect("delivered");
    }
    let paged = |alerts: &[phoenix_tests::ReceivedAlert], account: &str| {
        let mut checks: Vec<String> = alerts
            .iter()
            .filter(|x| x.event_action() == "trigger")
            .filter(|x| {
                x.dedup_key()
                    .starts_with(&format!("phoenix:{account}:eu-west-1:"))
            })
            .map(|x| x.check().to_owned())
            .collect();
        checks.sort();
        checks
    };
    let alerts = org.central.alerts().await;
    assert_eq!(
        paged(&alerts, &a),
        ["bucket-unversioned", "data-permanently-deleted"],
        "read in member A, paged once: {alerts:#?}"
    );
    assert!(
        paged(&alerts, &org.central.account).is_empty(),
        "nothing is about the central account: {alerts:#?}"
    );

    s3_deletion_guard::invoke(
        &org.central.guard(),
        &clients,
        org.invocation(deleted(&b, uploads_b), "b-first", now),
    )
    .await
    .expect("delivered");
    let alerts = org.central.alerts().await;
    let about_b = paged(&alerts, &b);
    assert!(
        about_b.contains(&"check-unknown".to_owned())
            && about_b.contains(&"data-permanently-deleted".to_owned()),
        "member B: its account unknown, and the deletion in a configured data bucket paged anyway: {about_b:?}"
    );
    let unknown = alerts
        .iter()
        .find(|x| {
            x.dedup_key() == org.key(&b, "eu-west-1", "check-unknown", &format!("account:{b}"))
        })
        .expect("the account's check-unknown");
    assert!(
        unknown.body.to_string().contains("sts:AssumeRole"),
        "{:#}",
        unknown.body
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_members_restore_test_is_validated_and_reported_in_that_account() {
    use phoenix_tests::account::{
        create_vault, finish_restore, restore_event, restore_testing_plan, run_restore_tests,
        sized_backup,
    };
    use phoenix_tests::organization::{VALIDATOR_ROLE, create_validator_role};
    let mut org = organization("org-restore", "310000000011").await;
    let (a, b) = (org.member_a.clone(), org.member_b.clone());
    create_validator_role(&org.sdk_a, &org.central.account).await;
    org.central.config.organization.validator_role = Some(VALIDATOR_ROLE.to_owned());
    // Member A's monthly drill restores its file system (2 GiB in the recovery point).
    let (fs, _) = create_efs(&org.sdk_a, "org-restore-zulip", &[]).await;
    create_vault(&org.sdk_a, "drills", None).await;
    sized_backup(&org.sdk_a, "drills", &fs, 2 << 30, 20.0).await;
    restore_testing_plan(&org.sdk_a, "zulip_monthly", &["EFS"]).await;
    let jobs = run_restore_tests(&a, "zulip_monthly");
    finish_restore(&jobs[0], "COMPLETED", 7.5, json!({}));
    let event = restore_event(&org.sdk_a, &a, &jobs[0]).await;
    let accounts = restore_validator::Accounts::new(&org.central.sdk, &org.central.config);
    let now = Timestamp::now();
    let outcome = restore_validator::invoke(
        &org.central.guard(),
        &accounts,
        org.invocation(event.clone(), "validate-a", now),
    )
    .await
    .expect("validated");
    assert_eq!(
        outcome.validation.as_deref(),
        Some("SUCCESSFUL"),
        "{outcome:?}"
    );
    let described = aws_sdk_backup::Client::new(&org.sdk_a)
        .describe_restore_job()
        .restore_job_id(&jobs[0])
        .send()
        .await
        .expect("the job in member A");
    assert_eq!(
        described.validation_status().map(|s| s.as_str()),
        Some("SUCCESSFUL"),
        "AWS Backup in member A shows the verdict"
    );
    assert!(
        org.central.alerts().await.is_empty(),
        "a good restore pages nobody"
    );

    // Member B has no validator role: its completed test is unknown, paged under its name.
    let event_b: Value =
        serde_json::from_str(&event.to_string().replace(&a, &b)).expect("the same test in B");
    let outcome = restore_validator::invoke(
        &org.central.guard(),
        &accounts,
        org.invocation(event_b, "validate-b", now),
    )
    .await
    .expect("delivered");
    assert_eq!(
        outcome.validation, None,
        "nothing reported where nothing was read"
    );
    let alert = org.central.only_alert().await;
    assert_eq!(alert.check(), "restore-validation-unknown");
    assert!(
        alert
            .dedup_key()
            .starts_with(&format!("phoenix:{b}:eu-west-1:")),
        "{}",
        alert.dedup_key()
    );
    assert!(
        alert.body.to_string().contains(VALIDATOR_ROLE),
        "says which role was refused: {:#}",
        alert.body
    );
}
