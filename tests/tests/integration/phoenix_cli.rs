//! The `phoenix` binary, run as a user runs it, against the emulator: exit status, the
//! JSON a CI job reads, the pre-destroy gate's list of what would be lost, `phoenix.toml`.

use phoenix_shared::Timestamp;
use phoenix_tests::account::{s3_client, scheduled_event};
use phoenix_tests::{Emulator, World, story};
use serde_json::{Value, json};
use std::path::PathBuf;
use std::process::{Command, Output};

/// `target/<profile>/phoenix`, next to this test's own executable's directory.
fn phoenix_binary() -> PathBuf {
    let exe = std::env::current_exe().expect("test executable");
    let dir = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("target dir");
    let binary = dir.join("phoenix");
    assert!(
        binary.exists(),
        "{} is missing: build it first (cargo build --workspace --bins; make test does)",
        binary.display()
    );
    binary
}

fn phoenix(world: &World, args: &[&str]) -> Output {
    let mut command = Command::new(phoenix_binary());
    command
        .args(args)
        .args([
            "--endpoint-url",
            &Emulator::shared().endpoint,
            "--region",
            "eu-west-1",
        ])
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("PHOENIX_ENVIRONMENT", &world.name)
        .env("PHOENIX_REQUIRE_COPY", world.config.require_copy.as_str())
        .current_dir(std::env::temp_dir());
    for (k, v) in world.credential_env() {
        command.env(k, v);
    }
    command.output().expect("run phoenix")
}

fn json_of(output: &Output) -> Value {
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}):\n{}\n{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    })
}

fn text_of(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn help_reads_well_and_mistakes_exit_2() {
    let help = Command::new(phoenix_binary())
        .arg("--help")
        .output()
        .unwrap();
    assert_eq!(help.status.code(), Some(0));
    let text = text_of(&help);
    for needle in [
        "phoenix verify --pre-destroy",
        "--min-score",
        "--format table|json",
        "phoenix.toml",
    ] {
        assert!(text.contains(needle), "help lacks {needle}:\n{text}");
    }
    let wrong = Command::new(phoenix_binary())
        .args(["verify", "--format", "yaml"])
        .output()
        .unwrap();
    assert_eq!(wrong.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&wrong.stderr).contains("--format must be table, json or html")
    );
}

/// Shell completions are a script on standard output; a shell it does not know is a
/// usage error in one line.
#[test]
fn completions_for_each_shell_and_one_line_for_an_unknown_one() {
    for (shell, marker) in [
        ("bash", "complete -F _phoenix"),
        ("zsh", "#compdef phoenix"),
        ("fish", "complete -c phoenix"),
    ] {
        let out = Command::new(phoenix_binary())
            .args(["completions", shell])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{shell}");
        let script = text_of(&out);
        assert!(script.contains(marker), "{shell}: {script}");
        assert!(
            script.contains("pre-destroy"),
            "{shell} completes verify's flags"
        );
    }
    let wrong = Command::new(phoenix_binary())
        .args(["completions", "tcsh"])
        .output()
        .unwrap();
    assert_eq!(wrong.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&wrong.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("invalid value 'tcsh'"), "{stderr}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verify_gates_a_destroy_until_phase_one_is_done() {
    let account = "210000000003";
    let world = World::in_account("cli", account).await;
    let env = story::seed(&world.sdk, &format!("-{account}")).await;
    s3_client(&world.sdk)
        .put_object()
        .bucket(&env.zulip_uploads)
        .key("uploads/avatar.png")
        .body(b"0123456789".to_vec().into())
        .send()
        .await
        .unwrap();

    // Today: not ready, and a destroy would lose the EFS data and the uploads.
    let out = phoenix(&world, &["verify", "--format", "json"]);
    assert_eq!(out.status.code(), Some(1), "{}", text_of(&out));
    let doc = json_of(&out);
    assert_eq!(doc["ready"], false);
    assert!(doc["score"].as_u64().unwrap() < 50, "{doc:#}");
    let failing: Vec<&str> = doc["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["status"] != "pass")
        .map(|i| i["check"].as_str().unwrap())
        .collect();
    for check in [
        "resource-unprotected",
        "bucket-unversioned",
        "rds-deletion-protection-off",
        "heartbeat-missing",
    ] {
        assert!(failing.contains(&check), "{check} not failing: {failing:?}");
    }

    // The same report as one page, the exit code unchanged.
    let out = phoenix(&world, &["verify", "--format", "html"]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let page = text_of(&out);
    assert!(page.starts_with("<!DOCTYPE html>"), "{page}");
    assert!(
        page.contains(&format!(
            "<span id=\"score\" class=\"score bad\">{} / 100</span>",
            doc["score"]
        )),
        "{page}"
    );
    assert!(page.contains("<td class=\"check\"><code>bucket-unversioned</code></td>"));
    assert!(
        page.contains("1 audit(s) so far"),
        "no report bucket: this audit alone"
    );

    let out = phoenix(&world, &["verify", "--pre-destroy"]);
    assert_eq!(out.status.code(), Some(1));
    let table = text_of(&out);
    assert!(!table.contains('\x1b'), "no colour when piped:\n{table}");
    assert!(
        table.contains("terraform destroy now would lose"),
        "{table}"
    );
    assert!(
        table.contains(&format!("EFS {}: everything written since", env.efs_id)),
        "the EFS's 40-day-old manual backup is named:\n{table}"
    );
    assert!(
        table.contains(&format!(
            "S3 bucket {}: 1 object(s), 10 bytes: versioning was never enabled",
            env.zulip_uploads
        )),
        "{table}"
    );
    assert!(
        table.contains("fix: aws s3api put-bucket-versioning"),
        "{table}"
    );

    // phoenix.toml lowers the bar for a plain verify (not for the pre-destroy gate).
    let dir = std::env::temp_dir().join(format!("phoenix-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let toml = dir.join("phoenix.toml");
    std::fs::write(&toml, "min_score = 0\n").unwrap();
    let lenient = phoenix(&world, &["verify", "--config", toml.to_str().unwrap()]);
    assert_eq!(lenient.status.code(), Some(0), "{}", text_of(&lenient));

    // Phase 1, then the scheduled functions run once (their heartbeats).
    story::phase_one(&world.sdk, &env).await;
    let now = Timestamp::now();
    let mut event = scheduled_event(&now.to_string());
    event["account"] = json!(account);
    let clients = phoenix_account::freshness::collect::Clients::current(&world.sdk);
    backup_freshness::handle(&world.guard(), &clients, &event, "fresh", now)
        .await
        .unwrap();
    let reports = format!("phoenix-reports-{account}");
    phoenix_tests::account::create_bucket(&world.sdk, &reports, &[], true).await;
    let mut config = world.config.clone();
    config.report_bucket = Some(reports);
    let guard = phoenix_shared::Guard::new(config, &world.sdk);
    readiness_audit::handle(
        &guard,
        &phoenix_account::audit::read::Clients::current(&world.sdk),
        &event,
        "audit",
        now,
    )
    .await
    .unwrap();

    let out = phoenix(&world, &["verify", "--pre-destroy", "--format", "json"]);
    let doc = json_of(&out);
    assert_eq!(out.status.code(), Some(0), "{doc:#}");
    assert_eq!(doc["score"], 100);
    assert_eq!(doc["preDestroy"]["safe"], true);
    assert!(
        doc["preDestroy"]["notes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n
                .as_str()
                .unwrap()
                .starts_with("RDS cochlearis-dev-zitadel is exempt")),
        "exempt data stores are named, not counted as losses: {doc:#}"
    );

    // A recovery point older than --max-age fails the gate again.
    let strict = phoenix(&world, &["verify", "--pre-destroy", "--max-age", "10m"]);
    assert_eq!(strict.status.code(), Some(1));
    assert!(
        text_of(&strict).contains("allowed: 10m"),
        "{}",
        text_of(&strict)
    );
}

/// A plan whose changes are written the way `terraform show -json` writes them.
fn plan_file(dir: &std::path::Path, changes: Value) -> PathBuf {
    let plan = json!({
        "format_version": "1.2",
        "terraform_version": "1.11.4",
        "planned_values": {"root_module": {}},
        "resource_changes": changes,
        "configuration": {"root_module": {}}
    });
    let path = dir.join("plan.json");
    std::fs::write(&path, plan.to_string()).unwrap();
    path
}

fn destroy(address: &str, kind: &str, before: Value) -> Value {
    json!({
        "address": address,
        "mode": "managed",
        "type": kind,
        "name": address.rsplit('.').next().unwrap(),
        "change": {
            "actions": ["delete"],
            "before": before,
            "after": null,
            "after_unknown": {},
            "before_sensitive": {"master_password": true},
            "after_sensitive": false
        }
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_plan_names_what_a_destroy_would_lose_and_passes_once_it_is_recoverable() {
    use phoenix_tests::account::{
        backup_job_into, create_bucket, create_efs, create_vault, put_object,
    };
    let account = "210000000007";
    let world = World::in_account("plan", account).await;
    let (efs_arn, _) = create_efs(&world.sdk, &format!("plan-{account}"), &[]).await;
    let bucket = format!("plan-uploads-{account}");
    create_bucket(&world.sdk, &bucket, &[], false).await;
    put_object(&world.sdk, &bucket, "avatar.png", "0123456789").await;
    let empty = format!("plan-empty-{account}");
    create_bucket(&world.sdk, &empty, &[], false).await;
    create_vault(&world.sdk, "kept", None).await;
    // A fresh point of the file system, but in a vault the same plan destroys: it does not
    // count, and the vault, holding it, stops the apply.
    create_vault(&world.sdk, "doomed", None).await;
    backup_job_into(&world.sdk, "doomed", &efs_arn, "COMPLETED", 0.5, None).await;
    let dir = tempfile_dir(account);
    let plan = plan_file(
        &dir,
        json!([
            destroy(
                "module.app.aws_efs_file_system.uploads",
                "aws_efs_file_system",
                json!({"arn": efs_arn, "id": "fs-x"})
            ),
            destroy(
                "aws_s3_bucket.uploads",
                "aws_s3_bucket",
                json!({"bucket": bucket, "force_destroy": true})
            ),
            destroy(
                "aws_s3_bucket.empty",
                "aws_s3_bucket",
                json!({"bucket": empty})
            ),
            destroy(
                "aws_db_instance.zitadel",
                "aws_db_instance",
                json!({
                    "arn": format!("arn:aws:rds:eu-west-1:{account}:db:zitadel"),
                    "deletion_protection": true,
                    "master_password": "planted-db-password"
                })
            ),
            destroy("aws_instance.web", "aws_instance", json!({"id": "i-1"})),
            destroy(
                "aws_backup_vault.doomed",
                "aws_backup_vault",
                json!({"name": "doomed"})
            ),
        ]),
    );
    let plan_arg = plan.to_str().unwrap();

    let out = phoenix(&world, &["check-plan", plan_arg, "--format", "json"]);
    assert_eq!(out.status.code(), Some(1), "{}", text_of(&out));
    let doc = json_of(&out);
    assert_eq!(doc["safe"], false);
    let verdict = |address: &str| -> (String, String) {
        let change = doc["changes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["address"] == address)
            .unwrap_or_else(|| panic!("{address} not judged: {doc:#}"));
        (
            change["verdict"].as_str().unwrap().to_owned(),
            change["reason"].as_str().unwrap().to_owned(),
        )
    };
    assert_eq!(verdict("module.app.aws_efs_file_system.uploads").0, "lost");
    let (uploads, why) = verdict("aws_s3_bucket.uploads");
    assert_eq!(uploads, "lost");
    assert!(why.contains("1 object(s)"), "{why}");
    assert_eq!(verdict("aws_s3_bucket.empty").0, "harmless");
    assert_eq!(verdict("aws_db_instance.zitadel").0, "blocked");
    let (doomed, why) = verdict("aws_backup_vault.doomed");
    assert_eq!(doomed, "blocked", "{why}");
    assert!(why.contains("1 recovery point(s)"), "{why}");
    assert_eq!(doc["otherChanges"], 1, "the instance holds no data");
    assert!(
        !text_of(&out).contains("planted"),
        "no sensitive value is printed"
    );

    // A fresh recovery point of the file system in a vault the plan keeps, and one of the
    // bucket: the same plan passes, naming each restore source.
    backup_job_into(&world.sdk, "kept", &efs_arn, "COMPLETED", 1.0, None).await;
    backup_job_into(
        &world.sdk,
        "kept",
        &format!("arn:aws:s3:::{bucket}"),
        "COMPLETED",
        2.0,
        None,
    )
    .await;
    let out = phoenix(&world, &["check-plan", plan_arg, "--format", "markdown"]);
    let md = text_of(&out);
    assert_eq!(out.status.code(), Some(0), "{md}");
    assert!(md.contains("**Safe**: no data would be lost."), "{md}");
    assert!(
        md.contains(
            "| **recoverable** | `module.app.aws_efs_file_system.uploads` | delete | recovery point"
        ),
        "{md}"
    );
    assert!(md.contains("in vault kept"), "{md}");

    // A recovery point older than --max-age does not count.
    let out = phoenix(&world, &["check-plan", plan_arg, "--max-age", "30m"]);
    assert_eq!(out.status.code(), Some(1), "{}", text_of(&out));
    assert!(
        text_of(&out).contains("NOT SAFE: 2 would be lost"),
        "{}",
        text_of(&out)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_plan_names_the_recovery_points_a_destroyed_key_encrypts() {
    use phoenix_tests::account::{backup_job_into, create_efs, create_key, create_vault};
    let account = "210000000013";
    let world = World::in_account("plan-key", account).await;
    let key = create_key(&world.sdk, &[("Name", "dr")]).await;
    create_vault(&world.sdk, "dr", Some(&key)).await;
    let (efs_arn, _) = create_efs(&world.sdk, &format!("plan-key-{account}"), &[]).await;
    let dir = tempfile_dir(account);
    let key_id = key.rsplit('/').next().unwrap();
    let plan = plan_file(
        &dir,
        json!([destroy(
            "aws_kms_key.dr",
            "aws_kms_key",
            json!({"arn": key, "key_id": key_id, "deletion_window_in_days": 7})
        )]),
    );
    let plan_arg = plan.to_str().unwrap();

    // The vault is empty: nothing is lost with the key.
    let out = phoenix(&world, &["check-plan", plan_arg, "--format", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", text_of(&out));
    assert_eq!(json_of(&out)["changes"][0]["verdict"], "harmless");

    // A recovery point lands in the vault the key encrypts: the key's deletion loses it.
    backup_job_into(&world.sdk, "dr", &efs_arn, "COMPLETED", 1.0, None).await;
    let out = phoenix(&world, &["check-plan", plan_arg, "--format", "json"]);
    assert_eq!(out.status.code(), Some(1), "{}", text_of(&out));
    let change = &json_of(&out)["changes"][0];
    assert_eq!(change["verdict"], "lost", "{change:#}");
    let why = change["reason"].as_str().unwrap();
    assert!(
        why.contains("the 1 recovery point(s) in vault dr")
            && why.contains("7-day deletion window"),
        "{why}"
    );
}

#[test]
fn check_plan_refuses_what_is_not_a_plan_in_one_line() {
    let dir = tempfile_dir("not-a-plan");
    let cases: [(&str, &[u8], &str); 4] = [
        (
            "state.json",
            br#"{"version": 4, "serial": 1, "lineage": "l", "resources": []}"#,
            "a Terraform state, not a plan",
        ),
        (
            "cut.json",
            br#"{"format_version": "1.2", "resource_changes": [{"address": "#,
            "truncated",
        ),
        (
            "v2.json",
            br#"{"format_version": "2.0", "resource_changes": []}"#,
            "format_version 2.0 is not supported",
        ),
        (
            "garbage.bin",
            &[0x7f, b'E', b'L', b'F', 0, 1, 2],
            "not JSON",
        ),
    ];
    for (name, bytes, says) in cases {
        let path = dir.join(name);
        std::fs::write(&path, bytes).unwrap();
        let out = Command::new(phoenix_binary())
            .args([
                "check-plan",
                path.to_str().unwrap(),
                "--region",
                "eu-west-1",
            ])
            .env_remove("AWS_ENDPOINT_URL")
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{name}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(stderr.lines().count(), 1, "{name}: {stderr}");
        assert!(stderr.contains(says), "{name}: {stderr}");
        assert!(out.stdout.is_empty(), "{name}");
    }
    // 200 MB of a plan's changes that never ends: read through as it streams, then refused
    // as truncated, in one line.
    let huge = dir.join("huge.json");
    {
        use std::io::Write;
        let mut out = std::io::BufWriter::new(std::fs::File::create(&huge).unwrap());
        out.write_all(br#"{"format_version":"1.2","resource_changes":["#)
            .unwrap();
        let change = format!(
            r#"{{"address":"aws_iam_policy.p","mode":"managed","type":"aws_iam_policy","name":"p","change":{{"actions":["update"],"before":{{"policy":"{}"}},"after":{{}}}}}},"#,
            "x".repeat(4000)
        );
        let mut written = 0;
        while written < 200_000_000 {
            out.write_all(change.as_bytes()).unwrap();
            written += change.len();
        }
        out.flush().unwrap();
    }
    let out = Command::new(phoenix_binary())
        .args([
            "check-plan",
            huge.to_str().unwrap(),
            "--region",
            "eu-west-1",
        ])
        .env_remove("AWS_ENDPOINT_URL")
        .output()
        .unwrap();
    std::fs::remove_file(&huge).ok();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("the plan is truncated"), "{stderr}");

    let missing = Command::new(phoenix_binary())
        .args(["check-plan", "/no/such/plan.json", "--region", "eu-west-1"])
        .output()
        .unwrap();
    assert_eq!(missing.status.code(), Some(2));
}

/// A directory of this test's own under the system's temporary directory.
fn tempfile_dir(label: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("phoenix-cli-{label}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A backend's state file (version 4) holding a file system, an uploads bucket with
/// `force_destroy`, a database that takes a final snapshot, and a generated key.
fn state_file(efs_arn: &str, bucket: &str, account: &str) -> Value {
    let resource = |kind: &str, name: &str, attributes: Value| {
        json!({"mode": "managed", "type": kind, "name": name,
               "provider": "provider[\"registry.terraform.io/hashicorp/aws\"]",
               "instances": [{"schema_version": 0, "attributes": attributes,
                              "sensitive_attributes": []}]})
    };
    json!({
        "version": 4,
        "terraform_version": "1.11.4",
        "serial": 31,
        "lineage": "cochlearis-dev",
        "outputs": {},
        "resources": [
            resource("aws_efs_file_system", "uploads", json!({"arn": efs_arn, "id": "fs-x"})),
            resource("aws_s3_bucket", "uploads", json!({
                "arn": format!("arn:aws:s3:::{bucket}"), "bucket": bucket, "force_destroy": true})),
            resource("aws_db_instance", "zitadel", json!({
                "arn": format!("arn:aws:rds:eu-west-1:{account}:db:zitadel"),
                "identifier": "zitadel", "skip_final_snapshot": false,
                "final_snapshot_identifier": "zitadel-final", "deletion_protection": false,
                "password": "planted-db-password"})),
            resource("random_password", "admin_password", json!({
                "id": "none", "result": "planted-random-result"})),
            resource("aws_iam_role", "app", json!({"arn": "arn:aws:iam::1:role/app"})),
        ]
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verify_pre_destroy_judges_the_destroy_of_a_stack_from_its_state() {
    use phoenix_tests::account::{
        backup_job_into, create_bucket, create_efs, create_state_bucket, create_vault, put_object,
    };
    let account = "210000000011";
    let world = World::in_account("state-gate", account).await;
    let (efs_arn, _) = create_efs(&world.sdk, &format!("state-{account}"), &[]).await;
    let uploads = format!("state-uploads-{account}");
    create_bucket(&world.sdk, &uploads, &[], false).await;
    put_object(&world.sdk, &uploads, "avatar.png", "0123456789").await;
    let states = format!("state-tfstate-{account}");
    create_state_bucket(&world.sdk, &states).await;
    let key = "env:/dev/cochlearis/terraform.tfstate";
    let state = state_file(&efs_arn, &uploads, account).to_string();
    put_object(&world.sdk, &states, key, &state).await;
    let source = format!("s3://{states}/{key}");

    let out = phoenix(
        &world,
        &[
            "verify",
            "--pre-destroy",
            "--state",
            &source,
            "--format",
            "json",
        ],
    );
    assert_eq!(out.status.code(), Some(1), "{}", text_of(&out));
    let doc = json_of(&out);
    assert_eq!(doc["ready"], false);
    let gate = &doc["preDestroy"];
    assert_eq!(gate["state"], source.as_str());
    assert_eq!(gate["safe"], false, "{gate:#}");
    let verdict = |gate: &Value, address: &str| -> String {
        gate["changes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["address"] == address)
            .unwrap_or_else(|| panic!("{address} not judged: {gate:#}"))["verdict"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    assert_eq!(verdict(gate, "aws_efs_file_system.uploads"), "lost");
    assert_eq!(verdict(gate, "aws_s3_bucket.uploads"), "lost");
    assert_eq!(verdict(gate, "aws_db_instance.zitadel"), "recoverable");
    assert_eq!(gate["otherChanges"], 1, "the role holds no data");
    let everything = format!("{}{}", text_of(&out), String::from_utf8_lossy(&out.stderr));
    assert!(
        !everything.contains("planted"),
        "no secret value is printed"
    );

    // The same state as a local file, for people: the destroy's own table.
    let dir = tempfile_dir(account);
    let file = dir.join("terraform.tfstate.json");
    std::fs::write(&file, &state).unwrap();
    let out = phoenix(
        &world,
        &["verify", "--pre-destroy", "--state", file.to_str().unwrap()],
    );
    assert_eq!(out.status.code(), Some(1));
    let table = text_of(&out);
    assert!(
        table.contains(&format!(
            "terraform destroy of {}: 3 change(s) judged",
            file.display()
        )),
        "{table}"
    );
    assert!(table.contains("NOT SAFE: 2 would be lost"), "{table}");

    // Fresh recovery points of both stores in a vault the stack does not hold: the same
    // destroy loses nothing.
    create_vault(&world.sdk, "outside", None).await;
    backup_job_into(&world.sdk, "outside", &efs_arn, "COMPLETED", 1.0, None).await;
    let bucket_arn = format!("arn:aws:s3:::{uploads}");
    backup_job_into(&world.sdk, "outside", &bucket_arn, "COMPLETED", 1.0, None).await;
    let out = phoenix(
        &world,
        &[
            "verify",
            "--pre-destroy",
            "--state",
            &source,
            "--format",
            "json",
        ],
    );
    let gate = &json_of(&out)["preDestroy"];
    assert_eq!(gate["safe"], true, "{gate:#}");
    assert_eq!(verdict(gate, "aws_efs_file_system.uploads"), "recoverable");

    // What cannot be judged: a plan given as state (2), an object that is not there (1),
    // --state without --pre-destroy (2). Each says so in one line.
    let plan = plan_file(&dir, json!([]));
    let missing = format!("s3://{states}/missing.tfstate");
    let cases = [
        (
            vec!["verify", "--pre-destroy", "--state", plan.to_str().unwrap()],
            2,
            "this is a Terraform plan, not a state",
        ),
        (
            vec!["verify", "--pre-destroy", "--state", &missing],
            1,
            "the state could not be read",
        ),
        (
            vec!["verify", "--pre-destroy", "--state", "s3://nokey"],
            2,
            "neither a file nor s3://BUCKET/KEY",
        ),
        (vec!["verify", "--state", &source], 2, "--pre-destroy"),
    ];
    for (args, status, says) in cases {
        let out = phoenix(&world, &args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(status), "{args:?}: {stderr}");
        assert!(stderr.contains(says), "{args:?}: {stderr}");
        assert!(out.stdout.is_empty(), "{args:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verify_org_lists_every_target_the_least_ready_first_and_exits_by_the_weakest() {
    let world = World::in_account("cli-org", "330000000001").await;
    let bucket = "phoenix-reports-330000000001";
    phoenix_tests::account::create_bucket(&world.sdk, bucket, &[], true).await;
    let put = |account: &str, region: &str, doc: Value| {
        let key = format!(
            "{}{account}/{region}/latest.json",
            phoenix_account::rollup::prefix(&world.name)
        );
        let sdk = world.sdk.clone();
        async move {
            phoenix_tests::account::put_object(&sdk, bucket, &key, &doc.to_string()).await;
        }
    };
    let item = |status: &str, severity: &str, check: &str, name: &str, detail: &str| json!({"status": status, "severity": severity, "check": check, "name": name, "detail": detail});
    put("111111111111", "eu-west-1", json!({"account": "111111111111", "region": "eu-west-1",
        "score": 92, "evaluatedAt": "2026-11-30T10:35:00Z",
        "items": [item("fail", "warning", "copy-missing", "zulip-data", "no copy outside eu-west-1")]}))
    .await;
    put(
        "222222222222",
        "us-east-1",
        json!({"account": "222222222222", "region": "us-east-1",
        "score": 38, "evaluatedAt": "2026-11-30T10:35:00Z",
        "items": [item("fail", "critical", "resource-unprotected", "fs-0abc", "in no backup plan"),
                  item("pass", "critical", "bucket-unversioned", "uploads", "versioned")]}),
    )
    .await;

    let args = ["verify", "--org", "--report-bucket", bucket];
    let table = phoenix(&world, &args);
    assert_eq!(table.status.code(), Some(1), "{}", text_of(&table));
    let text = text_of(&table);
    assert!(
        text.starts_with("Phoenix readiness of the organization"),
        "{text}"
    );
    let weakest = text.find("222222222222").unwrap_or(usize::MAX);
    assert!(weakest < text.find("111111111111").unwrap_or(0), "{text}");
    assert!(
        text.contains("resource-unprotected fs-0abc: in no backup plan"),
        "{text}"
    );

    // The JSON a CI job reads; with the bar at 30 every target passes.
    let json = phoenix(
        &world,
        &[
            "verify",
            "--org",
            "--report-bucket",
            bucket,
            "--format",
            "json",
            "--min-score",
            "30",
        ],
    );
    assert_eq!(json.status.code(), Some(0), "{}", text_of(&json));
    let doc = json_of(&json);
    assert_eq!(doc["score"], 38);
    assert_eq!(doc["targets"][0]["account"], "222222222222");
    assert_eq!(doc["ready"], true);

    // --org without a bucket is a usage error, in one line.
    let usage = phoenix(&world, &["verify", "--org"]);
    assert_eq!(usage.status.code(), Some(2));
    let err = String::from_utf8_lossy(&usage.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("--report-bucket"), "{err}");
}
