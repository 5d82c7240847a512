"""Cold start, memory and size of each function's release build, under a minimal Lambda
runtime API.

For each function in target/lambda/<name>/ (built by `make package`):
  * bootstrap.zip size and the unzipped binary size;
  * process start -> first GET .../invocation/next (the function is ready), median of N runs;
  * first event handled: time from handing out the event to its response;
  * peak RSS (VmHWM) after handling that one event.
Each event is a real one of the function's kind (a failed EFS backup, a versioning
suspension, a permanent deletion, EventBridge's scheduled event for the sweeps, the alert
topic's page for security-hub; see EVENTS),
and the function's AWS calls go to the local emulator, so the numbers include building SDK
clients and the first calls over HTTP.

The same figures for `hello-world` (tests/bench/hello-world: the runtime crate, tokio and
the log subscriber, built with the same profile and target, no SDK) are measured in the same
run, and every function's figure is also printed as a multiple of hello-world's.

With --tls the emulator speaks HTTPS (a throwaway certificate authority, trusted through
SSL_CERT_FILE), so the first event also pays for the TLS handshake and for seeding the
TLS library's random generator; tests/bench/jitter-entropy uses it to compare builds with
and without aws-lc's jitter entropy source.

Usage: tests/bench/cold-start [--runs N] [--tls] [--lambda-dir DIR] [function ...]
"""

from __future__ import annotations

import argparse
import http.server
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
import zipfile
from pathlib import Path

import boto3

ROOT = Path(__file__).resolve().parents[2]
TARGET = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
REGION = "eu-west-1"
EVENTS = {
    "backup-events": ROOT / "functions/backup-events/fixtures/backup-job-failed-efs.json",
    # Confirms by reading the bucket (GetBucketVersioning, GetBucketTagging), then pages.
    "protection-guard": ROOT / "functions/protection-guard/fixtures/s3-put-bucket-versioning-suspended.json",
    # Reads the bucket's tags and versioning, counts the deletion (two DynamoDB writes),
    # pages bucket-unversioned and data-permanently-deleted.
    "s3-deletion-guard": ROOT / "functions/s3-deletion-guard/fixtures/classic-delete-unversioned.json",
    # The scheduled sweeps: EventBridge's scheduled event. They read the whole (small)
    # emulated account; the audit also reads and stores its report.
    "backup-freshness": "scheduled",
    "readiness-audit": "scheduled",
    # A restore test of a 1 GiB EFS recovery point that came back whole: reads the job, the
    # recovery point and the restored file system, reports SUCCESSFUL, resolves (quietly).
    "restore-validator": "restore-test",
    # A member's canary reaching the central bus: counted (one PutMetricData), nothing else.
    "sweep-dispatcher": ROOT / "functions/sweep-dispatcher/fixtures/member-canary.json",
    # The alert topic handing it a page (a failed EFS backup): reads the finding Security Hub
    # holds (none), imports it (GetFindings, BatchImportFindings).
    "security-hub": ROOT / "functions/security-hub/fixtures/sns-alert-backup-job-failed-efs.json",
}
BASELINE = "hello-world"
SCHEDULED_EVENT = {
    "version": "0",
    "id": "00000000-0000-0000-0000-000000000000",
    "detail-type": "Scheduled Event",
    "source": "aws.events",
    "account": "123456789012",
    "time": "2026-11-24T00:05:00Z",
    "region": REGION,
    "resources": [f"arn:aws:events:{REGION}:123456789012:rule/phoenix-guard-bench-schedule"],
    "detail": {},
}


class Runtime(http.server.ThreadingHTTPServer):
    """Serves one event, then records the next `next` call and holds it."""

    def __init__(self, event: bytes) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.event = event
        self.nexts: list[float] = []
        self.response_at: float | None = None
        self.response_body = b""
        self.handed_at: float | None = None
        self.second_next = threading.Event()


class Handler(http.server.BaseHTTPRequestHandler):
    server: Runtime

    def log_message(self, *_args) -> None:  # quiet
        pass

    def do_GET(self) -> None:
        if not self.path.endswith("/invocation/next"):
            self.send_error(404)
            return
        now = time.perf_counter()
        self.server.nexts.append(now)
        if len(self.server.nexts) > 1:
            self.server.second_next.set()
            time.sleep(30)  # hold the function idle until it is killed
            return
        body = self.server.event
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Lambda-Runtime-Aws-Request-Id", str(uuid.uuid4()))
        self.send_header("Lambda-Runtime-Deadline-Ms", str(int(time.time() * 1000) + 30_000))
        self.send_header(
            "Lambda-Runtime-Invoked-Function-Arn",
            f"arn:aws:lambda:{REGION}:123456789012:function:bench",
        )
        self.send_header("Lambda-Runtime-Trace-Id", "Root=1-00000000-000000000000000000000000")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        self.server.handed_at = time.perf_counter()

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self.server.response_body = self.rfile.read(length)
        if "/response" in self.path or "/error" in self.path:
            self.server.response_at = time.perf_counter()
        self.send_response(202)
        self.send_header("Content-Length", "0")
        self.end_headers()


def peak_rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def make_certificate(directory: Path) -> tuple[Path, Path, Path]:
    """A throwaway certificate authority and a certificate it signs for 127.0.0.1, for the
    emulator's HTTPS mode: (CA certificate, server certificate, server key)."""
    import datetime
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = datetime.datetime.now(datetime.timezone.utc)
    valid = (now - datetime.timedelta(hours=1), now + datetime.timedelta(days=1))

    def name(common: str) -> x509.Name:
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common)])

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (x509.CertificateBuilder().subject_name(name("phoenix bench CA")).issuer_name(name("phoenix bench CA"))
          .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
          .not_valid_before(valid[0]).not_valid_after(valid[1])
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
          .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                       content_commitment=False, key_encipherment=False, data_encipherment=False,
                                       key_agreement=False, encipher_only=False, decipher_only=False), critical=True)
          .sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (x509.CertificateBuilder().subject_name(name("127.0.0.1")).issuer_name(ca.subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(valid[0]).not_valid_after(valid[1])
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                                                        x509.DNSName("localhost")]), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .sign(ca_key, hashes.SHA256()))
    paths = (directory / "ca.pem", directory / "server.pem", directory / "server.key")
    paths[0].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths[1].write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    paths[2].write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return paths


def start_emulator(tls: tuple[Path, Path] | None = None) -> tuple[subprocess.Popen, str]:
    command = [str(ROOT / "tests/emulator/serve"), "0"]
    if tls:
        command += ["--tls-cert", str(tls[0]), "--tls-key", str(tls[1])]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    line = proc.stdout.readline().strip() if proc.stdout else ""
    if not line.startswith("listening on "):
        sys.exit(f"bench: the emulator did not start ({line!r})")
    return proc, line.removeprefix("listening on ")


def world(endpoint: str) -> dict[str, str]:
    session = boto3.session.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name=REGION)
    topic = session.client("sns", endpoint_url=endpoint).create_topic(Name="bench-alerts")["TopicArn"]
    session.client("dynamodb", endpoint_url=endpoint).create_table(
        TableName="bench-findings",
        AttributeDefinitions=[{"AttributeName": "dedup_key", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "dedup_key", "KeyType": "HASH"}],
        BillingMode="PAY_PER_REQUEST",
    )
    session.client("s3", endpoint_url=endpoint).create_bucket(
        Bucket="bench-reports", CreateBucketConfiguration={"LocationConstraint": REGION}
    )
    queue = session.client("sqs", endpoint_url=endpoint).create_queue(QueueName="bench-targets")["QueueUrl"]
    session.client("securityhub", endpoint_url=endpoint).enable_security_hub()
    return {
        "PHOENIX_ALERT_TOPIC_ARN": topic,
        "PHOENIX_FINDINGS_TABLE": "bench-findings",
        "PHOENIX_REPORT_BUCKET": "bench-reports",
        # The dispatcher's queue (the other functions ignore it).
        "PHOENIX_SWEEP_QUEUES": f"backup-freshness={queue}",
    }


def run_once(binary: Path, event: bytes, env: dict[str, str]) -> dict[str, float]:
    runtime = Runtime(event)
    threading.Thread(target=runtime.serve_forever, daemon=True).start()
    full_env = {
        "PATH": "/usr/bin:/bin",
        "AWS_LAMBDA_RUNTIME_API": f"127.0.0.1:{runtime.server_port}",
        "AWS_LAMBDA_FUNCTION_NAME": binary.parent.name,
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "128",
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_LOG_STREAM_NAME": "bench",
        "AWS_LAMBDA_LOG_GROUP_NAME": "bench",
        **env,
    }
    started = time.perf_counter()
    proc = subprocess.Popen([str(binary)], env=full_env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        if not runtime.second_next.wait(timeout=60):
            err = proc.stderr.read().decode() if proc.poll() is not None and proc.stderr else ""
            raise RuntimeError(f"{binary.parent.name} did not finish its first event: {err[-2000:]}")
        rss = peak_rss_kb(proc.pid)
    finally:
        proc.kill()
        proc.wait()
        runtime.shutdown()
        runtime.server_close()
    assert runtime.handed_at is not None and runtime.response_at is not None
    return {
        "ready_ms": (runtime.nexts[0] - started) * 1000,
        "first_event_ms": (runtime.response_at - runtime.handed_at) * 1000,
        "peak_rss_mb": rss / 1024,
        "response": runtime.response_body.decode(errors="replace"),
    }


def fresh_event(template: dict, run: int) -> bytes:
    """The event about a resource no earlier run has seen, so every run does the same work
    (claim, publish, commit) instead of later runs finding the finding already open."""
    event = json.loads(json.dumps(template))
    detail = event.get("detail")
    suffix = f"-bench{run}-{uuid.uuid4().hex[:6]}"
    if isinstance(detail, dict) and isinstance(detail.get("resourceArn"), str):
        detail["resourceArn"] = f"{detail['resourceArn']}{suffix}"
    params = detail.get("requestParameters") if isinstance(detail, dict) else None
    if isinstance(params, dict) and isinstance(params.get("bucketName"), str):
        params["bucketName"] = f"{params['bucketName']}{suffix}"
    for record in event.get("Records", []):
        if "s3" in record:
            record["s3"]["bucket"]["name"] = f"{record['s3']['bucket']['name']}{suffix}"
        if "Sns" in record:
            # An alert about a finding Security Hub does not hold yet: a new dedup key.
            alert = json.loads(record["Sns"]["Message"])
            alert["dedup_key"] = f"{alert['dedup_key']}{suffix}"
            record["Sns"]["Message"] = json.dumps(alert)
    if event.get("detail-type") == "Scheduled Event":
        # A schedule an hour later each run: the sweep evaluates at the trigger's time.
        event["time"] = f"2026-11-24T{run % 24:02d}:05:00Z"
    return json.dumps(event).encode()


def control(endpoint: str, path: str, body: dict) -> dict:
    """One of the emulator's /_phoenix/ seeding endpoints (over HTTPS with --tls, trusting the
    bench's own CA, as boto3 does through AWS_CA_BUNDLE)."""
    import ssl
    import urllib.request
    request = urllib.request.Request(endpoint + path, data=json.dumps(body).encode(), method="POST",
                                     headers={"content-type": "application/json"})
    context = ssl.create_default_context(cafile=os.environ.get("AWS_CA_BUNDLE"))
    with urllib.request.urlopen(request, context=context) as answer:
        return json.load(answer)


def restore_test_event(endpoint: str, run: int) -> bytes:
    """A completed restore test of a file system no earlier run has seen: its backup (1 GiB),
    the monthly plan's run and the restore, seeded through the APIs; the event AWS Backup
    emits for it."""
    session = boto3.session.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name=REGION)
    efs = session.client("efs", endpoint_url=endpoint)
    backup = session.client("backup", endpoint_url=endpoint)
    fs = efs.create_file_system(CreationToken=f"bench-restore-{run}-{uuid.uuid4().hex[:6]}")["FileSystemArn"]
    vault = f"bench-restore-{run}-{uuid.uuid4().hex[:6]}"
    backup.create_backup_vault(BackupVaultName=vault)
    job = backup.start_backup_job(BackupVaultName=vault, ResourceArn=fs, IamRoleArn="arn:aws:iam::123456789012:role/bench")
    control(endpoint, f"/_phoenix/backup/jobs/{job['BackupJobId']}", {"State": "COMPLETED", "BackupSizeInBytes": 1 << 30})
    plan = f"bench_restore_{run}_{uuid.uuid4().hex[:6]}"
    backup.create_restore_testing_plan(RestoreTestingPlan={
        "RestoreTestingPlanName": plan, "ScheduleExpression": "cron(0 5 1 * ? *)",
        "RecoveryPointSelection": {"Algorithm": "LATEST_WITHIN_WINDOW", "IncludeVaults": ["*"],
                                   "RecoveryPointTypes": ["SNAPSHOT"]}})
    backup.create_restore_testing_selection(RestoreTestingPlanName=plan, RestoreTestingSelection={
        "RestoreTestingSelectionName": "efs", "IamRoleArn": "arn:aws:iam::123456789012:role/bench",
        "ProtectedResourceType": "EFS", "ProtectedResourceArns": [fs], "ValidationWindowHours": 4})
    jobs = control(endpoint, f"/_phoenix/backup/restore-testing/plans/{plan}/run",
                   {"Account": "123456789012", "Region": REGION})["RestoreJobIds"]
    done = control(endpoint, f"/_phoenix/backup/restore-jobs/{jobs[0]}", {"Status": "COMPLETED"})
    detail = {
        "restoreJobId": jobs[0], "status": "COMPLETED", "resourceType": "EFS",
        "sourceResourceArn": fs, "createdResourceArn": done["CreatedResourceArn"],
        "recoveryPointArn": done["RecoveryPointArn"], "backupVaultArn": done["BackupVaultArn"],
        "restoreTestingPlanArn": done["CreatedBy"]["RestoreTestingPlanArn"],
    }
    return json.dumps({"version": "0", "id": str(uuid.uuid4()), "detail-type": "Restore Job State Change",
                       "source": "aws.backup", "account": "123456789012", "region": REGION,
                       "time": "2026-11-24T05:10:00Z", "resources": [], "detail": detail}).encode()


def create_buckets(event: bytes, endpoint: str) -> None:
    """The buckets a classic S3 notification names, so the guard reads real ones."""
    s3 = boto3.client("s3", endpoint_url=endpoint, region_name=REGION,
                      aws_access_key_id="testing", aws_secret_access_key="testing")
    for record in json.loads(event).get("Records", []):
        if "s3" not in record:
            continue
        s3.create_bucket(Bucket=record["s3"]["bucket"]["name"],
                         CreateBucketConfiguration={"LocationConstraint": REGION})


def main() -> None:
    parser = argparse.ArgumentParser(description="cold start, memory and size per function")
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--tls", action="store_true",
                        help="serve the emulator over HTTPS (a throwaway CA in SSL_CERT_FILE), so that the "
                             "first event pays for a TLS handshake as in AWS")
    parser.add_argument("--lambda-dir", type=Path, default=TARGET / "lambda",
                        help="where the <function>/bootstrap.zip builds are (default: target/lambda)")
    parser.add_argument("functions", nargs="*", default=sorted(EVENTS))
    args = parser.parse_args()

    unknown = [f for f in args.functions if f not in EVENTS]
    if unknown:
        sys.exit(f"bench: no such function: {', '.join(unknown)} (choose from {', '.join(sorted(EVENTS))})")
    certificates = tempfile.TemporaryDirectory()
    tls_env: dict[str, str] = {}
    tls = None
    if args.tls:
        ca, cert, key = make_certificate(Path(certificates.name))
        tls = (cert, key)
        # The functions' TLS stack reads its roots from SSL_CERT_FILE; boto3 from AWS_CA_BUNDLE.
        tls_env = {"SSL_CERT_FILE": str(ca)}
        os.environ["AWS_CA_BUNDLE"] = str(ca)
    emulator, endpoint = start_emulator(tls)
    try:
        env = {
            **tls_env,
            "AWS_ENDPOINT_URL": endpoint,
            "AWS_REGION": REGION,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "PHOENIX_ENVIRONMENT": "bench",
            "PHOENIX_ACCOUNT_ID": "123456789012",
            "PHOENIX_DATA_BUCKETS": "*-uploads-bench*",
            **world(endpoint),
        }
        print(f"{'function':<17} {'zip MB':>7} {'binary MB':>9} {'ready ms (median/min/max)':>27} "
              f"{'1st event ms':>12} {'peak RSS MB':>11}   {'x hello-world: zip / binary / ready / RSS'}")
        floor: dict[str, float] = {}
        for name in [BASELINE, *args.functions]:
            zip_path = args.lambda_dir / name / "bootstrap.zip"
            if not zip_path.exists():
                sys.exit(f"bench: {zip_path} is missing: run tests/bench/cold-start (it builds them) or `make package`")
            with tempfile.TemporaryDirectory() as tmp:
                with zipfile.ZipFile(zip_path) as archive:
                    archive.extract("bootstrap", tmp)
                binary = Path(tmp) / "bootstrap"
                binary.chmod(0o755)
                source = EVENTS.get(name, "scheduled")
                template = (SCHEDULED_EVENT if source == "scheduled"
                            else {} if source == "restore-test" else json.loads(source.read_text()))
                runs = []
                for i in range(args.runs):
                    event = restore_test_event(endpoint, i) if source == "restore-test" else fresh_event(template, i)
                    create_buckets(event, endpoint)
                    runs.append(run_once(binary, event, env))
                binary_mb = binary.stat().st_size / 1e6
            ready = [r["ready_ms"] for r in runs]
            first = statistics.median(r["first_event_ms"] for r in runs)
            rss = max(r["peak_rss_mb"] for r in runs)
            figures = {"zip": zip_path.stat().st_size / 1e6, "binary": binary_mb,
                       "ready": statistics.median(ready), "rss": rss}
            if name == BASELINE:
                floor = figures
                ratios = "(the floor)"
            else:
                ratios = " / ".join(f"{figures[k] / floor[k]:.2f}" for k in ("zip", "binary", "ready", "rss"))
            print(
                f"{name:<17} {figures['zip']:>7.2f} {binary_mb:>9.2f} "
                f"{statistics.median(ready):>11.1f} / {min(ready):>5.1f} / {max(ready):>5.1f} "
                f"{first:>12.1f} {rss:>11.1f}   {ratios}"
            )
            if name != BASELINE:
                print(f"  last response: {runs[-1]['response'][:200]}")
        print(f"({args.runs} runs each; ready = process start to the first runtime-API `next` request; "
              f"AWS over {'HTTPS' if args.tls else 'plain HTTP'}; builds in {args.lambda_dir})")
    finally:
        emulator.kill()
        certificates.cleanup()


if __name__ == "__main__":
    main()
