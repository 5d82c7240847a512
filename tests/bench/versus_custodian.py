"""`phoenix verify` and Cloud Custodian side by side, against one emulator.

Seeds the emulator through the AWS APIs (boto3): BUCKETS buckets, every third versioned,
and FILE_SYSTEMS EFS file systems, half of them in a backup plan with a completed recovery
point. Then, for ROUNDS rounds, alternating which goes first, runs

* `phoenix verify --format json` with every bench bucket a data bucket and EFS the required
  resource type (its checklist includes bucket versioning and retention, and EFS backups);
* `custodian run` with the equivalent policies: buckets whose versioning is not Enabled or
  that have no lifecycle rules, and EFS file systems without a completed AWS Backup
  recovery point,

timing each and counting the AWS API calls each made (the emulator counts requests per
operation). Prints per-round figures, the medians, the ratio, and calls per bucket and per
file system.

Run it through `tests/bench/versus-custodian`, which prepares both virtualenvs.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import boto3

ROOT = Path(__file__).resolve().parents[2]
REGION = "eu-west-1"
ACCOUNT = "123456789012"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/phoenix-backup"

POLICY = """\
policies:
  - name: data-buckets-without-versions
    resource: aws.s3
    filters:
      - or:
          - type: value
            key: Versioning.Status
            value: Enabled
            op: ne
          - type: value
            key: Lifecycle.Rules
            value: absent
  - name: efs-without-recovery-point
    resource: aws.efs
    filters:
      - not:
          - type: consecutive-aws-backups
            count: 1
            period: days
            status: COMPLETED
"""


def control(endpoint: str, method: str, path: str, body: dict | None = None) -> dict:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(endpoint + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request) as answer:
        raw = answer.read()
    return json.loads(raw) if raw else {}


def seed(endpoint: str, buckets: int, file_systems: int) -> None:
    kw = {"endpoint_url": endpoint, "region_name": REGION}
    s3 = boto3.client("s3", **kw)
    efs = boto3.client("efs", **kw)
    backup = boto3.client("backup", **kw)
    for n in range(buckets):
        name = f"bench-{n:04d}"
        s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": REGION})
        if n % 3 == 0:
            s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    arns = []
    for n in range(file_systems):
        fs = efs.create_file_system(CreationToken=f"bench-{n}", Tags=[{"Key": "Name", "Value": f"bench-{n}"}])
        arns.append(fs["FileSystemArn"])
    backup.create_backup_vault(BackupVaultName="bench-vault")
    plan = backup.create_backup_plan(BackupPlan={
        "BackupPlanName": "bench-daily",
        "Rules": [{"RuleName": "daily", "TargetBackupVaultName": "bench-vault",
                   "ScheduleExpression": "cron(0 3 * * ? *)", "StartWindowMinutes": 60}],
    })
    covered = arns[: file_systems // 2]
    backup.create_backup_selection(BackupPlanId=plan["BackupPlanId"], BackupSelection={
        "SelectionName": "bench-efs", "IamRoleArn": ROLE, "Resources": covered,
    })
    created = time.time() - 25 * 3600
    for arn in covered:
        job = backup.start_backup_job(BackupVaultName="bench-vault", ResourceArn=arn, IamRoleArn=ROLE)
        control(endpoint, "POST", f"/_phoenix/backup/jobs/{job['BackupJobId']}",
                {"State": "COMPLETED", "CreationDate": created, "CompletionDate": created + 600})


def calls(endpoint: str) -> dict[str, int]:
    return control(endpoint, "GET", "/_phoenix/stats")["Calls"]


def run_phoenix(binary: Path, endpoint: str) -> tuple[float, dict[str, int], dict]:
    env = dict(os.environ, AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing",
               PHOENIX_DATA_BUCKETS="bench-*", PHOENIX_REQUIRED_RESOURCE_TYPES="EFS",
               PHOENIX_ACCOUNT_ID=ACCOUNT)
    control(endpoint, "DELETE", "/_phoenix/stats")
    started = time.perf_counter()
    done = subprocess.run([str(binary), "verify", "--format", "json", "--endpoint-url", endpoint,
                           "--region", REGION], env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if done.returncode not in (0, 1):
        sys.exit(f"phoenix failed ({done.returncode}): {done.stderr}")
    return elapsed, calls(endpoint), json.loads(done.stdout)


def run_custodian(custodian: Path, endpoint: str, policy: Path, out: Path) -> tuple[float, dict[str, int], dict]:
    env = dict(os.environ, AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing",
               AWS_ENDPOINT_URL=endpoint, AWS_DEFAULT_REGION=REGION)
    control(endpoint, "DELETE", "/_phoenix/stats")
    started = time.perf_counter()
    done = subprocess.run([str(custodian), "run", "--cache-period", "0", "-s", str(out),
                           "--region", REGION, str(policy)], env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        sys.exit(f"custodian failed ({done.returncode}): {done.stderr[-2000:]}")
    found = {}
    for name in ("data-buckets-without-versions", "efs-without-recovery-point"):
        resources = out / name / "resources.json"
        found[name] = len(json.loads(resources.read_text())) if resources.exists() else None
    return elapsed, calls(endpoint), found


def per(counts: dict[str, int], prefixes: tuple[str, ...]) -> int:
    return sum(n for op, n in counts.items() if op.startswith(prefixes))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--endpoint", required=True)
    parser.add_argument("--phoenix", required=True, type=Path)
    parser.add_argument("--custodian", required=True, type=Path)
    parser.add_argument("--buckets", type=int, default=300)
    parser.add_argument("--file-systems", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    # The emulator's credentials, for the seeding and both tools.
    os.environ.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing")

    started = time.perf_counter()
    seed(args.endpoint, args.buckets, args.file_systems)
    print(f"seeded {args.buckets} buckets ({(args.buckets + 2) // 3} versioned) and "
          f"{args.file_systems} EFS file systems ({args.file_systems // 2} backed up) "
          f"in {time.perf_counter() - started:.1f} s")

    work = Path(tempfile.mkdtemp(prefix="phoenix-vs-c7n-"))
    policy = work / "policy.yml"
    policy.write_text(POLICY)
    phoenix_times, custodian_times = [], []
    phoenix_calls: dict[str, int] = {}
    custodian_calls: dict[str, int] = {}
    for n in range(args.rounds):
        order = ["phoenix", "custodian"] if n % 2 == 0 else ["custodian", "phoenix"]
        line = []
        for tool in order:
            if tool == "phoenix":
                seconds, phoenix_calls, report = run_phoenix(args.phoenix, args.endpoint)
                phoenix_times.append(seconds)
                failing = sum(1 for i in report["items"] if i["status"] != "pass"
                              and i["check"] in ("bucket-unversioned", "resource-unprotected"))
                line.append(f"phoenix {seconds:6.2f} s ({failing} unversioned buckets or unprotected EFS)")
            else:
                seconds, custodian_calls, found = run_custodian(args.custodian, args.endpoint, policy,
                                                                 work / f"out-{n}")
                custodian_times.append(seconds)
                line.append(f"custodian {seconds:6.2f} s (matched {found})")
        print(f"round {n + 1}: " + "; ".join(line))

    p, c = statistics.median(phoenix_times), statistics.median(custodian_times)
    print(f"\nmedian wall time: phoenix verify {p:.2f} s, custodian run {c:.2f} s: "
          f"phoenix is {c / p:.1f}x faster (target: at least 5x)")
    for tool, counts in (("phoenix verify", phoenix_calls), ("custodian run", custodian_calls)):
        bucket_calls = per(counts, ("s3.", "tagging."))
        efs_calls = per(counts, ("elasticfilesystem.", "backup."))
        print(f"{tool}: {sum(counts.values())} AWS calls in all; "
              f"{bucket_calls / args.buckets:.2f} per bucket (S3 and tagging), "
              f"{efs_calls / args.file_systems:.2f} per file system (EFS and AWS Backup)")
        top = sorted(counts.items(), key=lambda kv: -kv[1])[:8]
        print("   " + ", ".join(f"{op} {n}" for op, n in top))


if __name__ == "__main__":
    main()
