//! End to end: the real `backup-events` binary served by `cargo lambda watch` (Lambda's
//! runtime API), events sent with `cargo lambda invoke`, effects read from the emulator.

use phoenix_tests::{Emulator, World, repo_root};
use serde_json::Value;
use std::net::{TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

fn venv_path() -> String {
    let bin = repo_root().join(".venv/bin");
    format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    )
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port()
}

/// `cargo lambda watch` in its own process group, stopped with the whole group on drop.
struct Watch {
    child: Child,
    port: u16,
    log: PathBuf,
}

impl Watch {
    fn start(world: &World, endpoint: &str) -> Self {
        let port = free_port();
        let log = std::env::temp_dir().join(format!("phoenix-watch-{}.log", world.name));
        let mut command = Command::new("cargo");
        command
            .current_dir(repo_root())
            .env("PATH", venv_path())
            .args([
                "lambda",
                "watch",
                "--ignore-changes",
                "--invoke-address",
                "127.0.0.1",
            ])
            .args(["--invoke-port", &port.to_string()]);
        for (key, value) in world.lambda_env(endpoint) {
            command.args(["--env-var", &format!("{key}={value}")]);
        }
        let file = std::fs::File::create(&log).expect("log file");
        let child = command
            .stdout(Stdio::from(file.try_clone().expect("clone")))
            .stderr(Stdio::from(file))
            .process_group(0)
            .spawn()
            .expect("cargo lambda watch (run make test, which installs cargo-lambda into .venv)");
        let deadline = Instant::now() + Duration::from_secs(120);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "cargo lambda watch did not listen: {}",
                read(&log)
            );
            std::thread::sleep(Duration::from_millis(200));
        }
        Self { child, port, log }
    }

    /// `cargo lambda invoke backup-events --data-file FIXTURE`.
    fn invoke(&self, fixture: &str) -> Output {
        let data = repo_root()
            .join("functions/backup-events/fixtures")
            .join(fixture);
        Command::new("cargo")
            .current_dir(repo_root())
            .env("PATH", venv_path())
            .args([
                "lambda",
                "invoke",
                "backup-events",
                "--invoke-address",
                "127.0.0.1",
            ])
            .args([
                "--invoke-port",
                &self.port.to_string(),
                "--output-format",
                "json",
                "--data-file",
            ])
            .arg(&data)
            .output()
            .expect("cargo lambda invoke")
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        // The whole process group (watch and what it started). `--` matters: without it
        // procps kill may read the negative group id as an option.
        let group = format!("-{}", self.child.id());
        let _ = Command::new("kill")
            .args(["-s", "TERM", "--", &group])
            .status();
        let _ = self.child.wait();
    }
}

fn read(path: &PathBuf) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}

fn text(output: &Output) -> String {
    format!(
        "status {:?}\nstdout: {}\nstderr: {}",
        output.status.code(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_lambda_binary_pages_once_and_resolves_through_the_runtime_api() {
    let emulator = Emulator::shared();
    let world = World::new("e2e").await;
    let watch = Watch::start(&world, &emulator.endpoint);

    let first = watch.invoke("backup-job-failed-efs.json");
    assert!(
        first.status.success(),
        "{}\nwatch log:\n{}",
        text(&first),
        read(&watch.log)
    );
    let response: Value = serde_json::from_slice(&first.stdout).expect("JSON response");
    assert_eq!(response["observations"], 1, "{response}");
    let alerts = world.alerts().await;
    assert_eq!(alerts.len(), 1, "{alerts:#?}");
    assert_eq!(alerts[0].event_action(), "trigger");
    assert_eq!(alerts[0].severity(), "critical");
    let dedup = alerts[0].dedup_key().to_owned();

    let duplicate = watch.invoke("backup-job-failed-efs.json");
    assert!(duplicate.status.success(), "{}", text(&duplicate));
    assert!(
        world.alerts().await.is_empty(),
        "a duplicate delivery must not page"
    );

    let completed = watch.invoke("backup-job-completed-efs.json");
    assert!(completed.status.success(), "{}", text(&completed));
    let alerts = world.alerts().await;
    assert_eq!(alerts.len(), 1, "{alerts:#?}");
    assert_eq!(
        (alerts[0].event_action(), alerts[0].dedup_key()),
        ("resolve", dedup.as_str())
    );

    // An unusable event fails the invocation with a diagnostic naming why.
    let rejected = watch.invoke("rejected-no-detail-type.json");
    assert!(!rejected.status.success(), "{}", text(&rejected));
    let all = text(&rejected);
    assert!(all.contains("PhoenixGuard.EventRejected"), "{all}");
    assert!(all.contains("detail-type"), "{all}");
    assert_eq!(
        world
            .metric_sum("EventsRejected", &[("Function", "backup-events")])
            .await,
        Some(1.0)
    );
}

#[test]
fn a_missing_required_variable_stops_the_cold_start_with_one_line_naming_it() {
    let binary = std::env::var("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| repo_root().join("target"))
        .join("debug/backup-events");
    assert!(
        binary.exists(),
        "build the binaries first (make test does): {}",
        binary.display()
    );
    let output = Command::new(&binary)
        .env_clear()
        .env("PHOENIX_FINDINGS_TABLE", "findings")
        .env("AWS_LAMBDA_RUNTIME_API", "127.0.0.1:9")
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("PHOENIX_ALERT_TOPIC_ARN is not set"),
        "{stderr}"
    );
}
