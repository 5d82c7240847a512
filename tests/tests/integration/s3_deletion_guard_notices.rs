//! Every fixture, read as the function reads it; and no input, however broken, panics it.

use s3_deletion_guard::notice::{Change, Parsed, parse};
use serde_json::{Value, json};

fn fixture(name: &str) -> Value {
    let path = phoenix_tests::repo_root()
        .join("functions/s3-deletion-guard")
        .join(format!("fixtures/{name}.json"));
    serde_json::from_str(&std::fs::read_to_string(&path).expect("fixture")).expect("json")
}

fn fixtures() -> Vec<(String, Value)> {
    let dir = phoenix_tests::repo_root()
        .join("functions/s3-deletion-guard")
        .join("fixtures");
    let mut out: Vec<(String, Value)> = std::fs::read_dir(dir)
        .expect("fixtures")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .map(|p| {
            let name = p.file_stem().unwrap().to_string_lossy().into_owned();
            (name.clone(), fixture(&name))
        })
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

/// (fixture, change, bucket, key, version) for every fixture that holds one usable notice.
const TABLE: &[(&str, Change, &str, &str, Option<&str>)] = &[
    (
        "classic-delete-unversioned",
        Change::PermanentlyDeleted,
        "cochlearis-dev-zulip-uploads",
        "user_uploads/2/7a/Meeting notes (2026).pdf",
        None,
    ),
    (
        "classic-delete-version",
        Change::PermanentlyDeleted,
        "cochlearis-dev-zulip-uploads",
        "user_uploads/2/7a/photo.png",
        Some("3HL4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY"),
    ),
    (
        "classic-delete-marker",
        Change::DeleteMarkerCreated,
        "cochlearis-dev-zulip-uploads",
        "user_uploads/2/7a/photo.png",
        Some("null"),
    ),
    (
        "classic-lifecycle-expiration",
        Change::Expired,
        "cochlearis-dev-zulip-uploads",
        "user_uploads/old/report.txt",
        Some("Ri6bUcCcQ0Wh7QkZiO7qW1Yl8fmU2b1Z"),
    ),
    (
        "classic-lifecycle-marker",
        Change::ExpiredToDeleteMarker,
        "cochlearis-dev-zulip-uploads",
        "user_uploads/old/report.txt",
        None,
    ),
    (
        "classic-delete-irregular",
        Change::PermanentlyDeleted,
        "cochlearis-dev-zulip-uploads",
        "café/résumé final.docx",
        None,
    ),
    (
        "classic-sns-wrapped",
        Change::PermanentlyDeleted,
        "cochlearis-dev-bookstack-uploads",
        "bookstack/uploads/images/gallery/2026-11/diagram.png",
        None,
    ),
    (
        "classic-put-tfstate",
        Change::Created,
        "cochlearis-dev-tfstate",
        "env:/dev/cochlearis/terraform.tfstate",
        Some("UIORUnfndfiufdisojhr398493jfdkjFJjkndnqUifhnw89493jJFJ"),
    ),
    (
        "eventbridge-object-deleted-permanent",
        Change::PermanentlyDeleted,
        "cochlearis-dev-zulip-uploads",
        "user_uploads/2/7a/Meeting notes (2026).pdf",
        None,
    ),
    (
        "eventbridge-object-deleted-version",
        Change::PermanentlyDeleted,
        "cochlearis-dev-zulip-uploads",
        "user_uploads/2/7a/photo.png",
        Some("3HL4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY"),
    ),
    (
        "eventbridge-object-deleted-marker",
        Change::DeleteMarkerCreated,
        "cochlearis-dev-zulip-uploads",
        "user_uploads/2/7a/photo.png",
        Some("null"),
    ),
    (
        "eventbridge-lifecycle-expiration",
        Change::Expired,
        "cochlearis-dev-zulip-uploads",
        "user_uploads/old/report.txt",
        None,
    ),
    (
        "eventbridge-object-deleted-no-type",
        Change::DeletedUnknownKind,
        "cochlearis-dev-zulip-uploads",
        "user_uploads/x.bin",
        None,
    ),
    (
        "eventbridge-object-created-tfstate",
        Change::Created,
        "cochlearis-dev-tfstate",
        "env:/dev/cochlearis/terraform.tfstate",
        Some("UIORUnfndfiufdisojhr398493jfdkjFJjkndnqUifhnw89493jJFJ"),
    ),
];

#[test]
fn every_fixture_reads_as_the_table_says_and_every_fixture_is_in_it() {
    let mut covered = vec!["classic-test-event", "classic-restore-completed"];
    for (name, change, bucket, key, version) in TABLE {
        covered.push(name);
        let Ok(Parsed::Notices {
            notices, unusable, ..
        }) = parse(&fixture(name))
        else {
            panic!("{name} does not parse");
        };
        assert!(unusable.is_empty(), "{name}: {unusable:?}");
        assert_eq!(notices.len(), 1, "{name}");
        let n = &notices[0];
        assert_eq!(
            (
                n.change,
                n.bucket.as_str(),
                n.key.as_str(),
                n.version_id.as_deref()
            ),
            (*change, *bucket, *key, *version),
            "{name}"
        );
        assert!(n.time.is_some(), "{name}: the event's time");
    }
    assert_eq!(parse(&fixture("classic-test-event")), Ok(Parsed::TestEvent));
    let Ok(Parsed::Notices {
        notices, skipped, ..
    }) = parse(&fixture("classic-restore-completed"))
    else {
        panic!("restore");
    };
    assert_eq!(
        (notices.len(), skipped),
        (0, 1),
        "a restore is of no concern"
    );
    for (name, _) in fixtures() {
        assert!(
            covered.contains(&name.as_str()),
            "{name} is not in the table"
        );
    }
}

#[test]
fn classic_requester_and_eventbridge_requester_are_both_kept() {
    let Ok(Parsed::Notices { notices, .. }) = parse(&fixture("classic-delete-unversioned")) else {
        panic!()
    };
    assert_eq!(
        notices[0].requester.as_deref(),
        Some("AWS:AROA3EXAMPLE:terraform")
    );
    assert_eq!(notices[0].source_ip.as_deref(), Some("203.0.113.7"));
    assert_eq!(
        notices[0].account, None,
        "classic notifications name no account"
    );
    let Ok(Parsed::Notices { notices, .. }) =
        parse(&fixture("eventbridge-object-deleted-permanent"))
    else {
        panic!()
    };
    assert_eq!(notices[0].account.as_deref(), Some("123456789012"));
    assert_eq!(notices[0].requester.as_deref(), Some("123456789012"));
}

#[test]
fn a_record_without_a_key_is_unusable_but_its_neighbours_are_read() {
    let mut event = fixture("classic-delete-unversioned");
    let good = event["Records"][0].clone();
    let mut broken = good.clone();
    broken["s3"]["object"] = json!({});
    event["Records"] = json!([broken, good, {"eventName": {}}]);
    let Ok(Parsed::Notices {
        notices, unusable, ..
    }) = parse(&event)
    else {
        panic!()
    };
    assert_eq!(notices.len(), 1);
    assert_eq!(unusable.len(), 2, "{unusable:?}");
    assert!(
        parse(&json!({"detail-type": "Object Deleted", "source": "aws.s3", "detail": {}})).is_err()
    );
    assert!(parse(&json!("not an event")).is_err());
}

use crate::mutation;

#[test]
fn no_value_at_any_path_of_any_fixture_panics_the_reader() {
    let mut cases = 0;
    for (_, event) in fixtures() {
        for (path, mutated) in mutation::mutations(&event) {
            cases += 1;
            if let Ok(Parsed::Notices { notices, .. }) = parse(&mutated) {
                for n in notices {
                    assert!(!n.bucket.is_empty() && !n.key.is_empty(), "{path:?}");
                }
            }
        }
    }
    assert!(cases > 5_000, "{cases} cases");
}

#[test]
fn no_value_at_any_path_of_a_state_file_panics_the_state_reader() {
    let state = json!({"version": 4, "serial": 12, "lineage": "l", "resources": [
        {"module": "module.zulip", "mode": "managed", "type": "aws_efs_file_system", "name": "data",
         "instances": [{"index_key": 0, "attributes": {"id": "fs-1", "arn": "arn:aws:elasticfilesystem:eu-west-1:1:file-system/fs-1"}, "dependencies": ["module.zulip.aws_kms_key.k"]}]},
        {"mode": "managed", "type": "random_password", "name": "master_key", "instances": [{"attributes": {"result": "s3cr3t"}}]}
    ]});
    for (_, mutated) in mutation::mutations(&state) {
        let _ = phoenix_terraform::state::summarize_bytes(mutated.to_string().as_bytes());
    }
}

#[test]
fn the_printed_routes_cover_every_fixture_the_function_acts_on() {
    let printed = s3_deletion_guard::describe();
    let detail_types: Vec<&Value> = printed["rules"]
        .as_object()
        .unwrap()
        .values()
        .map(|rule| &rule["detail-type"][0])
        .collect();
    let state_events = printed["notifications"]["state_buckets"]["events"]
        .as_array()
        .unwrap();
    for (name, event) in fixtures() {
        if let Some(detail_type) = event.get("detail-type") {
            assert!(detail_types.contains(&detail_type), "{name} is not routed");
            continue;
        }
        let Ok(Parsed::Notices { notices, .. }) = parse(&event) else {
            continue;
        };
        for n in notices {
            let routed = state_events.iter().filter_map(Value::as_str).any(|e| {
                let family = e.trim_start_matches("s3:").trim_end_matches('*');
                n.event_name.starts_with(family)
            });
            assert!(routed, "{name}: {} is not routed", n.event_name);
        }
    }
}

/// Every remedy names the bucket (or the secret) it is about: nothing left to fill in.
#[test]
fn every_remedy_names_its_resource_and_leaves_nothing_to_fill_in() {
    use s3_deletion_guard::{
        BUCKET_UNVERSIONED, KEY_REGENERATED, PERMANENTLY_DELETED, STATE_UNREADABLE,
        STORE_DESTROYED, VERSIONING_SUSPENDED, VERSIONING_UNKNOWN, guidance,
    };
    let cases = [
        (
            PERMANENTLY_DELETED,
            "arn:aws:s3:::uploads",
            "--bucket uploads",
        ),
        (
            BUCKET_UNVERSIONED,
            "arn:aws:s3:::uploads",
            "--bucket uploads",
        ),
        (
            VERSIONING_SUSPENDED,
            "arn:aws:s3:::uploads",
            "--bucket uploads",
        ),
        (VERSIONING_UNKNOWN, "arn:aws:s3:::uploads", "uploads"),
        (
            STATE_UNREADABLE,
            "arn:aws:s3:::tfstate/env/app.tfstate",
            "--bucket tfstate",
        ),
        (
            STORE_DESTROYED,
            "arn:aws:elasticfilesystem:eu-west-1:1:file-system/fs-1",
            "--resource-arn arn:aws:elasticfilesystem:eu-west-1:1:file-system/fs-1",
        ),
        (
            KEY_REGENERATED,
            "arn:aws:secretsmanager:eu-west-1:1:secret:key-AbCdEf",
            "--secret-id arn:aws:secretsmanager:eu-west-1:1:secret:key-AbCdEf",
        ),
        (
            KEY_REGENERATED,
            "arn:aws:s3:::tfstate/app.tfstate#random_password.key",
            "--bucket tfstate",
        ),
    ];
    for (check, resource, names) in cases {
        let (impact, remedy) = guidance(check, resource, "eu-west-1");
        assert!(!impact.is_empty());
        assert!(remedy.contains(names), "{check}: {remedy}");
        assert!(
            !remedy.contains("<bucket>") && !remedy.contains("<key>"),
            "{check}: {remedy}"
        );
    }
}
