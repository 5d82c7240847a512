"""Tests of the Terraform module in infra/, without providers (none can be downloaded here).

- The pure part of the module (modules/catalog: functions, event rules, IAM policies) is
  evaluated by Terraform itself (`terraform apply` of a root module that only calls it), so
  the tests read the very values the module deploys.
- The rest of the module is parsed as HCL (bc-python-hcl2, pinned in requirements.txt) and
  checked for the wiring that those values must go through.
- Each EventBridge pattern is loaded into the AWS emulator as a rule with an SQS target, and
  the functions' fixtures (and near-misses made from them) are sent through it.
- The AWS calls each function's code makes are read from the code and compared with
  functions/<name>/aws-calls.txt, and that list with the function's role.

Run by tests/infra/check (in `make test`), which sets up the virtualenv and the emulator.
"""

import copy
import functools
import json
import os
import re
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

import boto3
import hcl2

ROOT = Path(__file__).resolve().parents[2]
MODULE = ROOT / "infra" / "modules" / "phoenix-guard"
CATALOG = MODULE / "modules" / "catalog"
EXAMPLE = ROOT / "infra" / "examples" / "complete"
TARGET = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
ENDPOINT = os.environ.get("PHOENIX_EMULATOR")

ACCOUNT = "123456789012"
REGION = "eu-west-1"
DATA_BUCKETS = ["cochlearis-dev-zulip-uploads", "cochlearis-dev-bookstack-uploads", "cochlearis-dev-*-media"]
STATE_BUCKETS = ["cochlearis-dev-tfstate"]
STATE_KEY = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/state"

# IAM service prefixes of the SDK crates (the crate name is not always the prefix).
IAM_PREFIX = {
    "aws-sdk-backup": "backup",
    "aws-sdk-cloudtrail": "cloudtrail",
    "aws-sdk-cloudwatch": "cloudwatch",
    "aws-sdk-dynamodb": "dynamodb",
    "aws-sdk-efs": "elasticfilesystem",
    "aws-sdk-eventbridge": "events",
    "aws-sdk-kms": "kms",
    "aws-sdk-lambda": "lambda",
    "aws-sdk-organizations": "organizations",
    "aws-sdk-rds": "rds",
    "aws-sdk-resourcegroupstagging": "tag",
    "aws-sdk-s3": "s3",
    "aws-sdk-secretsmanager": "secretsmanager",
    "aws-sdk-securityhub": "securityhub",
    "aws-sdk-sns": "sns",
    "aws-sdk-sqs": "sqs",
    "aws-sdk-sts": "sts",
}
# What the Lambda platform needs of every role, beyond the function's own calls: its logs,
# and the dead-letter queue, which the guard's key encrypts.
PLATFORM_ACTIONS = {"logs:CreateLogStream", "logs:PutLogEvents", "sqs:SendMessage", "kms:Decrypt",
                    "kms:GenerateDataKey"}
XRAY_ACTIONS = {"xray:PutTraceSegments", "xray:PutTelemetryRecords"}


def function_crates():
    return sorted(
        p.parent.parent.name for p in (ROOT / "functions").glob("*/src/main.rs")
    )


def terraform(args, cwd):
    env = dict(os.environ, TF_IN_AUTOMATION="1", TF_CLI_CONFIG_FILE=str(EMPTY_CLI_CONFIG))
    done = subprocess.run(
        ["terraform", *args, "-no-color"], cwd=cwd, env=env, capture_output=True, text=True
    )
    if done.returncode != 0:
        raise AssertionError(f"terraform {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


EMPTY_CLI_CONFIG = Path(tempfile.mkdtemp(prefix="phoenix-tf-")) / "terraformrc"
EMPTY_CLI_CONFIG.write_text("")


VALIDATOR = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:zulip-restore-check"


ORGANIZATION = {
    "reader_role_name": "PhoenixGuardReader",
    "validator_role_name": "PhoenixGuardRestoreValidator",
    "findings_role_name": "PhoenixGuardFindings",
    "sweep_queue_arns": {
        f: f"arn:aws:sqs:{REGION}:{ACCOUNT}:phoenix-guard-{f}-targets" for f in ("backup-freshness", "readiness-audit")
    },
}
# What organization mode adds to a sweep's role: reading members, and polling its queue.
SWEEP_CONSUMER_ACTIONS = {"sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:ReceiveMessage"}
ORGANIZATION_ONLY_ACTIONS = {"sts:AssumeRole"}


def evaluate_catalog(data_buckets, state_buckets, state_keys, xray, restore_testing=None, validators=(VALIDATOR,),
                     organization=ORGANIZATION, region=REGION, chat=None, security_hub=True):
    """The catalog's outputs for these inputs, computed by Terraform."""
    work = Path(tempfile.mkdtemp(prefix="phoenix-catalog-"))
    functions = function_crates()
    root = {
        "module": {
            "catalog": {
                "source": str(CATALOG),
                "partition": "aws",
                "region": region,
                "account_id": ACCOUNT,
                "metric_namespace": "PhoenixGuard",
                "resources": {
                    "findings_table_arn": f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/findings",
                    "alert_topic_arn": f"arn:aws:sns:{REGION}:{ACCOUNT}:alerts",
                    "guard_key_arn": f"arn:aws:kms:{REGION}:{ACCOUNT}:key/guard",
                    "dead_letter_queue_arn": f"arn:aws:sqs:{REGION}:{ACCOUNT}:dead-letters",
                    "report_bucket_name": "reports",
                    "chat_topic_arn": chat,
                    "log_group_arns": {
                        f: f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/aws/lambda/phoenix-guard-{f}"
                        for f in functions
                    },
                },
                "data_bucket_names": data_buckets,
                "state_bucket_names": state_buckets,
                "state_bucket_kms_key_arns": state_keys,
                "enable_xray": xray,
                "restore_testing": restore_testing,
                "restore_validator_function_arns": list(validators),
                "organization": organization,
                "security_hub": security_hub,
            }
        },
        "output": {"catalog": {"value": "${module.catalog}"}},
    }
    (work / "main.tf.json").write_text(json.dumps(root))
    terraform(["init", "-input=false", "-backend=false"], work)
    terraform(["apply", "-input=false", "-auto-approve"], work)
    return json.loads(terraform(["output", "-json", "catalog"], work))


CHAT_TOPIC = f"arn:aws:sns:{REGION}:{ACCOUNT}:phoenix-guard-chat"
CATALOG_OUT = evaluate_catalog(DATA_BUCKETS, STATE_BUCKETS, [STATE_KEY], xray=False, chat=CHAT_TOPIC)
SINGLE_ACCOUNT_OUT = evaluate_catalog(DATA_BUCKETS, STATE_BUCKETS, [STATE_KEY], xray=False, organization=None)
XRAY_CATALOG_OUT = evaluate_catalog(DATA_BUCKETS, STATE_BUCKETS, [STATE_KEY], xray=True)


def norm(value):
    """bc-python-hcl2 wraps every attribute value and nested block in a one-element list;
    unwrap that level so blocks read as written."""
    if isinstance(value, dict):
        return {
            k: norm(v[0] if isinstance(v, list) and len(v) == 1 else v) for k, v in value.items()
        }
    if isinstance(value, list):
        return [norm(v) for v in value]
    return value


def parse_hcl(path):
    with open(path) as f:
        return norm(hcl2.load(f))


def module_blocks(kind):
    """Every `kind` block (resource, variable, ...) of the module, by file."""
    found = {}
    for path in sorted(MODULE.glob("*.tf")):
        blocks = parse_hcl(path).get(kind, [])
        for block in blocks if isinstance(blocks, list) else [blocks]:
            found.setdefault(path.name, []).append(block)
    return found


def locals_of(filename):
    """The module's locals declared in one file, by name."""
    return {k: v for b in module_blocks("locals").get(filename, []) for k, v in b.items()}


def resources(rtype):
    out = {}
    for blocks in module_blocks("resource").values():
        for block in blocks:
            for t, named in block.items():
                if t == rtype:
                    out.update(named)
    return out


@functools.cache
def printed(function):
    """What the function's binary prints with --print-event-pattern (run once per function)."""
    binary = TARGET / "debug" / function
    done = subprocess.run([binary, "--print-event-pattern"], capture_output=True, text=True, env={})
    if done.returncode != 0:
        raise AssertionError(f"{binary} --print-event-pattern failed ({done.returncode}): {done.stderr}")
    return json.loads(done.stdout)


def fixtures(function):
    for path in sorted((ROOT / "functions" / function / "fixtures").glob("*.json")):
        yield path.name, json.loads(path.read_text())


def recorded_calls(function):
    """functions/<name>/aws-calls.txt: operation -> IAM actions (empty when not called)."""
    calls = {}
    for line in (ROOT / "functions" / function / "aws-calls.txt").read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        operation, *rest = line.split()
        if rest and rest[0] == "-":
            if len(rest) < 2:
                raise AssertionError(f"{function}: {operation} is marked not called without a reason")
            calls[operation] = set()
        else:
            calls[operation] = set(rest)
    return calls


class Catalog(unittest.TestCase):
    def test_restore_validator_may_invoke_exactly_the_teams_validators(self):
        statements = json.loads(CATALOG_OUT["policies"]["restore-validator"])["Statement"]
        invoke = [s for s in statements if "lambda:InvokeFunction" in s["Action"]]
        self.assertEqual([s["Resource"] for s in invoke], [[VALIDATOR]])
        none = evaluate_catalog(DATA_BUCKETS, STATE_BUCKETS, [STATE_KEY], xray=False, validators=())
        statements = json.loads(none["policies"]["restore-validator"])["Statement"]
        self.assertFalse([s for s in statements if "lambda:InvokeFunction" in s["Action"]],
                         "no validator, no invoke")

    def test_restore_testing_selects_each_testable_required_type_and_keeps_the_copy_for_validation(self):
        self.assertIsNone(CATALOG_OUT["restore_testing"], "off unless asked for")
        out = evaluate_catalog(DATA_BUCKETS, STATE_BUCKETS, [STATE_KEY], xray=False, restore_testing={
            "name": "phoenix-guard-dev-restore-tests",
            "schedule": "cron(0 5 1 * ? *)",
            "schedule_timezone": "Etc/UTC",
            "start_window_hours": 8,
            "selection_window_days": 30,
            "validation_window_hours": 4,
            "resource_types": ["EFS", "RDS", "Aurora", "DynamoDB", "VirtualMachine"],
            "protected_resource_arns": {"RDS": [f"arn:aws:rds:{REGION}:{ACCOUNT}:db:zitadel"]},
            "restore_metadata_overrides": {"RDS": {"dbinstanceclass": "db.t4g.micro"}},
        })["restore_testing"]
        self.assertEqual(out["plan_name"], "phoenix_guard_dev_restore_tests")
        self.assertRegex(out["plan_name"], r"^[A-Za-z0-9_]{1,50}$")
        self.assertEqual(out["recovery_point_selection"]["algorithm"], "LATEST_WITHIN_WINDOW")
        self.assertEqual(sorted(out["selections"]), ["Aurora", "DynamoDB", "EFS", "RDS"])
        self.assertEqual(out["untestable"], ["VirtualMachine"])
        for rtype, selection in out["selections"].items():
            with self.subTest(rtype=rtype):
                self.assertRegex(selection["name"], r"^[A-Za-z0-9_]{1,50}$")
                self.assertEqual(selection["protected_resource_type"], rtype)
                self.assertGreaterEqual(selection["validation_window_hours"], 1)
        self.assertEqual(out["selections"]["EFS"]["protected_resource_arns"], ["*"])
        self.assertEqual(out["selections"]["RDS"]["protected_resource_arns"], [f"arn:aws:rds:{REGION}:{ACCOUNT}:db:zitadel"])
        self.assertEqual(out["selections"]["RDS"]["restore_metadata_overrides"], {"dbinstanceclass": "db.t4g.micro"})
        # The module creates the plan and selections from exactly this output.
        plan = resources("aws_backup_restore_testing_plan")["this"]
        self.assertIn("local.restore_testing", plan["count"])
        selection = resources("aws_backup_restore_testing_selection")["this"]
        self.assertIn(": local.restore_testing.selections}", selection["for_each"])
        self.assertEqual(selection["validation_window_hours"], "${each.value.validation_window_hours}")

    def test_one_lambda_per_function_crate(self):
        self.assertEqual(sorted(CATALOG_OUT["functions"]), function_crates())
        lambdas = resources("aws_lambda_function")
        self.assertEqual(list(lambdas), ["function"], "one resource, one instance per function")
        self.assertEqual(lambdas["function"]["for_each"], "${local.functions}")
        locals_ = locals_of("lambda.tf")
        self.assertIn("module.catalog.functions", locals_["functions"])
        for name in function_crates():
            self.assertTrue((ROOT / "functions" / name / "aws-calls.txt").exists(), name)

    def test_lambdas_run_the_packages_as_al2023_bootstrap_with_json_logs(self):
        f = resources("aws_lambda_function")["function"]
        self.assertEqual(f["runtime"], "provided.al2023")
        self.assertEqual(f["handler"], "bootstrap")
        self.assertEqual(f["architectures"], ["${var.architecture}"])
        self.assertEqual(f["logging_config"]["log_format"], "JSON")
        self.assertIn("dead_letter_config", f)
        # A missing package, or one of the other architecture, is refused at plan time
        # (Create.test_a_missing_or_foreign_package_is_refused_at_plan_unless_switched_off).
        variables = {k: v for b in module_blocks("variable")["variables.tf"] for k, v in b.items()}
        self.assertEqual(variables["architecture"]["default"], "arm64")

    def test_the_committed_rules_are_what_the_functions_print(self):
        for path in sorted((CATALOG / "rules").glob("*.json")):
            function = path.stem
            self.assertEqual(
                json.loads(path.read_text()),
                printed(function),
                f"{path.relative_to(ROOT)} is stale: run `make event-rules`",
            )

    def test_every_handled_event_is_routed_and_no_rule_routes_anything_else(self):
        rules = CATALOG_OUT["event_rules"]
        # protection-guard: each row of its table of handled calls is named by exactly one
        # rule, and the rules name nothing else.
        table = printed("protection-guard")["events"]
        names = []
        for name, rule in rules.items():
            if rule["function"] != "protection-guard":
                continue
            pattern = json.loads(rule["pattern"])
            self.assertEqual(pattern["detail-type"], ["AWS API Call via CloudTrail"])
            for n in pattern["detail"]["eventName"]:
                names.append((pattern["source"][0], n if isinstance(n, str) else n["prefix"]))
        self.assertEqual(sorted(names), sorted((r["source"], r["eventName"]) for r in table))
        # Every routed function has rules, every scheduled one a schedule, the alert topic
        # invokes security-hub, and no rule routes to a function that does not exist.
        routed = {r["function"] for r in rules.values()}
        scheduled = {n for n, f in CATALOG_OUT["functions"].items() if f["scheduled"]}
        self.assertEqual(routed | scheduled | {"security-hub"}, set(function_crates()))
        self.assertNotIn("security-hub", routed | scheduled)
        # The dispatcher is both: its schedules dispatch the sweeps, its rule counts the
        # members' canaries.
        self.assertEqual(routed & scheduled, {"sweep-dispatcher"})
        triggers = locals_of("triggers.tf")
        # The sweeps' schedules run them, or in an organization the dispatcher for them
        # (s3-deletion-guard is routed and has a schedule of its own: it ends quiet bursts).
        self.assertEqual(set(triggers["sweep_schedules"]), scheduled - {"sweep-dispatcher"})
        self.assertIn("sweep-dispatcher", str(triggers["schedules"]))
        self.assertIn("s3-deletion-guard-schedule", str(triggers["schedules"]))

    def test_bucket_rules_follow_the_bucket_variables(self):
        rules = CATALOG_OUT["event_rules"]
        deletions = json.loads(rules["s3-deletion-guard-deletions"]["pattern"])
        self.assertEqual(
            deletions["detail"]["bucket"]["name"],
            ["cochlearis-dev-zulip-uploads", "cochlearis-dev-bookstack-uploads",
             {"wildcard": "cochlearis-dev-*-media"}, "cochlearis-dev-tfstate"],
        )
        writes = json.loads(rules["s3-deletion-guard-state-writes"]["pattern"])
        self.assertEqual(writes["detail"]["bucket"]["name"], ["cochlearis-dev-tfstate"])
        # S3 delivery to EventBridge can be switched on only for exact names.
        self.assertEqual(
            sorted(CATALOG_OUT["eventbridge_buckets"]),
            sorted(["cochlearis-dev-zulip-uploads", "cochlearis-dev-bookstack-uploads", "cochlearis-dev-tfstate"]),
        )
        # Without state buckets there is no state rule (a pattern cannot match an empty list);
        # without any bucket, no S3 rule and no S3 statement in the role.
        none = evaluate_catalog([], [], [], xray=False)
        self.assertNotIn("s3-deletion-guard-deletions", none["event_rules"])
        self.assertNotIn("s3-deletion-guard-state-writes", none["event_rules"])
        policy = json.loads(none["policies"]["s3-deletion-guard"])
        self.assertFalse([s for s in policy["Statement"] if any(a.startswith("s3:") for a in s["Action"])])
        only_data = evaluate_catalog(["uploads"], [], [], xray=False)
        self.assertIn("s3-deletion-guard-deletions", only_data["event_rules"])
        self.assertNotIn("s3-deletion-guard-state-writes", only_data["event_rules"])


def sdk_operations():
    """SDK crate -> {snake_case method: operation name}, from the SDK sources cargo uses."""
    # Only this machine's platform: a build downloads the crates of no other platform, and
    # --offline must not ask for them (a fresh CARGO_HOME has nothing else).
    host = subprocess.run(["rustc", "-vV"], capture_output=True, text=True, check=True).stdout
    host = re.search(r"^host: (\S+)$", host, re.M).group(1)
    meta = json.loads(
        subprocess.run(
            ["cargo", "metadata", "--format-version", "1", "--offline", "--filter-platform", host],
            cwd=ROOT, capture_output=True, text=True, check=True,
        ).stdout
    )
    ops = {}
    for package in meta["packages"]:
        if package["name"] not in IAM_PREFIX:
            continue
        directory = Path(package["manifest_path"]).parent / "src" / "operation"
        for module in directory.glob("*.rs"):
            found = re.search(r"pub struct (\w+);", module.read_text())
            if found:
                ops.setdefault(package["name"], {})[module.stem] = found.group(1)
    return ops, meta


def module_files(directory, module):
    """The files of a library's top-level module: `src/<m>.rs`, or `src/<m>/**/*.rs`."""
    single = directory / "src" / f"{module}.rs"
    return {single} if single.exists() else set((directory / "src" / module).glob("**/*.rs"))


def crate_sources(function, meta):
    """The Rust files whose AWS calls a function can make: its crate, phoenix-shared, the
    modules of the library crates it names (`phoenix_account::freshness`), and, within those
    libraries, the modules they name in turn (`crate::freshness` from `audit`)."""
    members = {p["name"]: Path(p["manifest_path"]).parent for p in meta["packages"] if p["source"] is None}
    own = members[function]
    files = set(own.glob("src/**/*.rs")) | set(members["phoenix-shared"].glob("src/**/*.rs"))
    text = "\n".join(f.read_text() for f in own.glob("src/**/*.rs"))
    for crate, directory in members.items():
        ident = crate.replace("-", "_")
        pending = set(re.findall(rf"\b{ident}::([a-z_]+)", text))
        if crate == function or not pending:
            continue
        files.add(directory / "src" / "lib.rs")
        seen = set()
        while pending:
            module = pending.pop()
            seen.add(module)
            for f in module_files(directory, module):
                files.add(f)
                code = f.read_text().split("#[cfg(test)]")[0]
                pending |= set(re.findall(r"\bcrate::([a-z_]+)", code)) - seen
    deps = set()
    for package in meta["packages"]:
        if package["name"] == function or package["name"] == "phoenix-shared" or any(
            str(f).startswith(str(Path(package["manifest_path"]).parent) + "/") for f in files
        ):
            deps |= {d["name"] for d in package["dependencies"] if d["name"] in IAM_PREFIX}
    return files, deps


class Permissions(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.ops, cls.meta = sdk_operations()

    def called(self, function):
        """IAM-prefixed operations the function's code calls: {name: candidates}."""
        files, deps = crate_sources(function, self.meta)
        calls = {}
        for path in files:
            code = path.read_text().split("#[cfg(test)]")[0]
            for method in set(re.findall(r"\.([a-z][a-z0-9_]*)\(", code)):
                candidates = {
                    f"{IAM_PREFIX[crate]}:{self.ops[crate][method]}"
                    for crate in deps
                    if method in self.ops.get(crate, {})
                }
                if candidates:
                    calls.setdefault(method, set()).update(candidates)
            # aws-config's assume-role credentials provider calls STS for the code.
            if "AssumeRoleProvider::builder" in code:
                calls.setdefault("AssumeRoleProvider", set()).add("sts:AssumeRole")
        return calls

    def test_every_aws_call_in_the_code_is_recorded_and_nothing_more(self):
        for function in function_crates():
            with self.subTest(function=function):
                recorded = recorded_calls(function)
                called = self.called(function)
                for method, candidates in called.items():
                    self.assertTrue(
                        candidates & set(recorded),
                        f"{function} calls {method} ({' or '.join(sorted(candidates))}); record it in functions/{function}/aws-calls.txt",
                    )
                reachable = set().union(*called.values())
                for operation in recorded:
                    self.assertIn(operation, reachable, f"{function}: {operation} is recorded but no code calls it")

    def test_the_account_library_only_reads(self):
        """`account` never writes: every AWS operation its code calls is a read."""
        directory = ROOT / "account"
        deps = {
            d["name"]
            for p in self.meta["packages"]
            if Path(p["manifest_path"]).parent == directory
            for d in p["dependencies"]
            if d["name"] in IAM_PREFIX
        }
        self.assertTrue(deps, "account uses the AWS SDK")
        called = set()
        for path in directory.glob("src/**/*.rs"):
            code = path.read_text().split("#[cfg(test)]")[0]
            for method in set(re.findall(r"\.([a-z][a-z0-9_]*)\(", code)):
                called |= {self.ops[c][method] for c in deps if method in self.ops.get(c, {})}
        self.assertTrue(called, "the scan finds account's calls")
        # AssumeRole obtains a member account's read-only credentials; it changes nothing.
        writes = sorted(
            op for op in called if not re.match(r"(Get|List|Describe|Head|Lookup)[A-Z]", op) and op != "AssumeRole"
        )
        self.assertEqual(writes, [], "account/ must only read")

    def test_decision_modules_name_no_sdk_type(self):
        """The modules that judge (pure, table-tested) take facts, not SDK responses: no
        `aws_sdk_*`, `aws_smithy_*` or `aws_config` path in them, so a verdict can be tested
        without a client and a reader can change without touching a rule."""
        decision_modules = [
            "account/src/copies.rs",
            "account/src/coverage.rs",
            "account/src/schedule.rs",
            "account/src/policy.rs",
            "account/src/freshness/assess.rs",
            "account/src/freshness/mod.rs",
            "account/src/gate/mod.rs",
            "account/src/audit/checklist.rs",
            "account/src/audit/report.rs",
            "functions/backup-events/src/lib.rs",
            "functions/protection-guard/src/call.rs",
            "functions/protection-guard/src/catalog.rs",
            "functions/protection-guard/src/rules.rs",
            "functions/s3-deletion-guard/src/notice.rs",
            "functions/restore-validator/src/judge.rs",
            "shared/src/checks.rs",
            "shared/src/tags.rs",
        ] + [str(p.relative_to(ROOT)) for p in (ROOT / "terraform").glob("src/**/*.rs")]
        for module in decision_modules:
            with self.subTest(module=module):
                code = (ROOT / module).read_text()
                self.assertEqual(re.findall(r"\baws_(?:sdk_\w+|smithy_\w+|config)\b", code), [], module)

    def test_each_role_grants_exactly_the_recorded_actions(self):
        for out, xray in [(CATALOG_OUT, False), (XRAY_CATALOG_OUT, True)]:
            for function in function_crates():
                with self.subTest(function=function, xray=xray):
                    policy = json.loads(out["policies"][function])
                    granted = {a for s in policy["Statement"] for a in s["Action"]}
                    needed = set().union(*recorded_calls(function).values()) | PLATFORM_ACTIONS
                    if function in ORGANIZATION["sweep_queue_arns"]:
                        needed |= SWEEP_CONSUMER_ACTIONS
                    if xray:
                        needed |= XRAY_ACTIONS
                    self.assertEqual(granted, needed)
                    for s in policy["Statement"]:
                        self.assertEqual(s["Effect"], "Allow")
                        self.assertTrue(s["Resource"], s["Sid"])
                        self.assertFalse([a for a in s["Action"] if "*" in a], s["Sid"])

    def test_security_hub_is_an_opt_in_function_the_alert_topic_invokes(self):
        off = evaluate_catalog(DATA_BUCKETS, STATE_BUCKETS, [STATE_KEY], xray=False, security_hub=False)
        self.assertNotIn("security-hub", off["functions"])
        self.assertIn("security-hub", CATALOG_OUT["functions"])
        # It imports into its own account's hub, and in an organization assumes only the
        # members' findings role; it neither pages nor keeps the ledger.
        policy = json.loads(CATALOG_OUT["policies"]["security-hub"])
        granted = {a for s in policy["Statement"] for a in s["Action"]}
        self.assertNotIn("sns:Publish", granted)
        self.assertNotIn("dynamodb:UpdateItem", granted)
        assume = [s["Resource"] for s in policy["Statement"] if "sts:AssumeRole" in s["Action"]]
        self.assertEqual(assume, [["arn:aws:iam::*:role/PhoenixGuardFindings"]])
        single = json.loads(SINGLE_ACCOUNT_OUT["policies"]["security-hub"])
        self.assertFalse([s for s in single["Statement"] if "sts:AssumeRole" in s["Action"]])
        subscription = resources("aws_sns_topic_subscription")["security_hub"]
        self.assertEqual(subscription["protocol"], "lambda")
        self.assertEqual(subscription["topic_arn"], "${local.alert_topic_arn}")
        self.assertEqual(subscription["count"], "${local.create_security_hub ? 1 : 0}")
        permission = resources("aws_lambda_permission")["security_hub"]
        self.assertEqual(permission["principal"], "sns.amazonaws.com")
        self.assertEqual(permission["source_arn"], "${local.alert_topic_arn}")
        self.assertIn("security_hub     = var.enable_security_hub", (MODULE / "main.tf").read_text())

    def test_one_account_needs_no_dispatcher_no_queue_and_no_role_in_other_accounts(self):
        single = SINGLE_ACCOUNT_OUT
        self.assertEqual(sorted(single["functions"]), [f for f in function_crates() if f != "sweep-dispatcher"])
        self.assertNotIn("sweep-dispatcher", json.dumps(single["event_rules"]))
        members = [*ORGANIZATION["sweep_queue_arns"], "protection-guard", "s3-deletion-guard", "restore-validator"]
        for function in members:
            with self.subTest(function=function):
                policy = json.loads(single["policies"][function])
                granted = {a for s in policy["Statement"] for a in s["Action"]}
                needed = set().union(*recorded_calls(function).values()) | PLATFORM_ACTIONS
                self.assertEqual(granted, needed - ORGANIZATION_ONLY_ACTIONS)
        # In an organization each may assume exactly one member role, in any account:
        # restore-validator the validator role, the others the reader role.
        for function in members:
            with self.subTest(assumes=function):
                policy = json.loads(CATALOG_OUT["policies"][function])
                assume = [s for s in policy["Statement"] if "sts:AssumeRole" in s["Action"]]
                role = "PhoenixGuardRestoreValidator" if function == "restore-validator" else "PhoenixGuardReader"
                self.assertEqual([s["Resource"] for s in assume], [[f"arn:aws:iam::*:role/{role}"]])
        # The central bus takes what members forward: the deletion rules name no bucket
        # (each member's rules chose its own), and the state rule keeps its suffix.
        central = {n: json.loads(r["pattern"]) for n, r in CATALOG_OUT["central_event_rules"].items()}
        self.assertEqual(set(central), set(CATALOG_OUT["event_rules"]))
        self.assertNotIn("detail", central["s3-deletion-guard-deletions"])
        self.assertEqual(central["s3-deletion-guard-state-writes"]["detail"],
                         {"object": {"key": [{"suffix": ".tfstate"}]}})
        self.assertIn("module.catalog.central_event_rules", (MODULE / "triggers.tf").read_text())

    def test_the_reader_role_only_reads_what_the_sweeps_and_the_confirmations_read(self):
        reader = json.loads(CATALOG_OUT["reader_policy"])
        granted = {a for s in reader["Statement"] for a in s["Action"]}
        swept = set()
        for function in [*ORGANIZATION["sweep_queue_arns"], "protection-guard", "s3-deletion-guard"]:
            swept |= set().union(*recorded_calls(function).values())
        self.assertLessEqual(granted, swept)
        writes = re.compile(r":(Put|Create|Update|Delete|Publish|Send|Start|Stop|Tag|Untag)")
        self.assertEqual([a for a in granted if writes.search(a)], [])
        for needed in ("backup:ListBackupJobs", "elasticfilesystem:DescribeFileSystems", "events:ListRules",
                       "s3:GetBucketTagging", "events:ListTargetsByRule", "s3:ListBucketVersions"):
            self.assertIn(needed, granted)
        # The validator role: restore-validator's reads, and its one write, the verdict.
        validator = json.loads(CATALOG_OUT["validator_policy"])
        granted = {a for s in validator["Statement"] for a in s["Action"]}
        self.assertLessEqual(granted, set().union(*recorded_calls("restore-validator").values()))
        self.assertEqual([a for a in granted if writes.search(a)], ["backup:PutRestoreValidationResult"])

    def test_every_paging_function_may_publish_to_the_chat_topic_only_when_there_is_one(self):
        for out, topics in [(CATALOG_OUT, [f"arn:aws:sns:{REGION}:{ACCOUNT}:alerts", CHAT_TOPIC]),
                            (SINGLE_ACCOUNT_OUT, [f"arn:aws:sns:{REGION}:{ACCOUNT}:alerts"])]:
            for function, policy in out["policies"].items():
                publish = [st for st in json.loads(policy)["Statement"] if st["Sid"] == "PublishAlerts"]
                # security-hub is what the alert topic invokes; it publishes nothing.
                expected = [] if function == "security-hub" else [topics]
                self.assertEqual([st["Resource"] for st in publish], expected, function)
        # The module wires its chat topic into the catalog and the functions' environment.
        self.assertIn("chat_topic_arn        = one(aws_sns_topic.chat[*].arn)", (MODULE / "main.tf").read_text())
        self.assertIn("PHOENIX_CHAT_TOPIC_ARN", (MODULE / "lambda.tf").read_text())

    def test_every_wildcard_resource_names_the_apis_that_require_it(self):
        source = (CATALOG / "policies.tf").read_text()
        statements = []
        for out in [CATALOG_OUT, XRAY_CATALOG_OUT]:
            for function in function_crates():
                statements += json.loads(out["policies"][function])["Statement"]
        seen = set()
        for s in statements:
            if s["Resource"] != ["*"] or s["Sid"] in seen:
                continue
            seen.add(s["Sid"])
            block = re.search(r"\{\s*((?:#[^\n]*\n\s*)+)Sid\s*=\s*\"" + s["Sid"] + '"', source)
            self.assertIsNotNone(block, f"statement {s['Sid']} has Resource * without a comment")
            for action in s["Action"]:
                api = action.split(":")[1]
                self.assertIn(api, block.group(1), f"{s['Sid']}: the comment does not name {api}")
            if s["Action"] == ["cloudwatch:PutMetricData"]:
                self.assertEqual(s["Condition"], {"StringEquals": {"cloudwatch:namespace": "PhoenixGuard"}})
        self.assertTrue({"WriteMetrics", "Trace", "ListTheAccount"} <= seen, seen)


MEMBER = ROOT / "infra" / "modules" / "phoenix-guard-member"


class Member(unittest.TestCase):
    """The member part: forwards what the functions handle, sends the canary the dispatcher
    waits for, and lets the central sweeps read, nothing more."""

    @classmethod
    def setUpClass(cls):
        main = parse_hcl(MEMBER / "main.tf")
        cls.resources = {}
        for block in main["resource"]:
            for rtype, named in block.items():
                cls.resources.setdefault(rtype, {}).update(named)
        cls.data = {}
        for block in main["data"]:
            for dtype, named in block.items():
                cls.data.setdefault(dtype, {}).update(named)
        cls.catalog = main["module"][0]["catalog"] if isinstance(main["module"], list) else main["module"]["catalog"]

    def test_the_canary_is_the_rule_the_dispatcher_listens_for(self):
        suffix = printed("sweep-dispatcher")["rules"]["member-canary"]["resources"][0]["suffix"]
        canary = self.resources["aws_cloudwatch_event_rule"]["canary"]
        self.assertTrue(canary["name"].endswith(suffix), canary["name"])
        self.assertIn("rate(", canary["schedule_expression"])
        for target in ("forward", "canary"):
            t = self.resources["aws_cloudwatch_event_target"][target]
            self.assertEqual(t["arn"], "${var.central_event_bus_arn}")
            self.assertEqual(t["role_arn"], "${aws_iam_role.forward[0].arn}")
        forward = self.data["aws_iam_policy_document"]["forward"]["statement"]
        self.assertEqual(forward["actions"], ["events:PutEvents"])
        self.assertEqual(forward["resources"], ["${var.central_event_bus_arn}"])

    def test_the_reader_role_trusts_only_the_central_sweeps_within_the_organization(self):
        trust = self.data["aws_iam_policy_document"]["reader_assume"]["statement"]
        self.assertEqual(trust["principals"]["identifiers"], "${var.central_reader_principal_arns}")
        self.assertEqual(trust["condition"]["variable"], "aws:PrincipalOrgID")
        self.assertEqual(trust["condition"]["values"], ["${var.organization_id}"])
        self.assertEqual(self.resources["aws_iam_role_policy"]["reader"]["policy"], "${module.catalog.reader_policy}")
        self.assertEqual(self.catalog["region"], "*")
        # The catalog as the member evaluates it: the reader reads every region of its own
        # account, and the member forwards every routed function's patterns.
        member = evaluate_catalog([], [], [], xray=False, organization=None, region="*")
        reader = json.loads(member["reader_policy"])
        arns = [r for st in reader["Statement"] for r in st["Resource"] if r != "*"]
        self.assertTrue(arns)
        for arn in arns:
            parts = arn.split(":")
            self.assertIn(parts[3], ("*", ""), arn)
            self.assertIn(parts[4], (ACCOUNT, ""), arn)
        routed = {r["function"] for r in member["event_rules"].values()}
        self.assertEqual(routed, {"backup-events", "protection-guard", "restore-validator"})
        with_buckets = evaluate_catalog(["*-uploads"], ["*-tfstate"], [], xray=False, organization=None, region="*")
        self.assertIn("s3-deletion-guard", {r["function"] for r in with_buckets["event_rules"].values()})
        # Forwarded: every pattern, each function acting on a member's event in the
        # member's account.
        forwarded = parse_hcl(MEMBER / "main.tf")["locals"]
        forwarded = forwarded[0] if isinstance(forwarded, list) else forwarded
        self.assertEqual(forwarded["forwarded"], "${local.create ? module.catalog.event_rules : {}}")

    def test_the_validator_role_trusts_only_the_central_validator_and_holds_its_policy(self):
        trust = self.data["aws_iam_policy_document"]["validator_assume"]["statement"]
        self.assertEqual(trust["principals"]["identifiers"], "${var.central_validator_principal_arns}")
        self.assertEqual(trust["condition"]["variable"], "aws:PrincipalOrgID")
        self.assertEqual(self.resources["aws_iam_role_policy"]["validator"]["policy"],
                         "${module.catalog.validator_policy}")
        self.assertEqual(self.resources["aws_iam_role"]["validator"]["count"],
                         "${local.create_validator_role ? 1 : 0}")
        # The central side names the member roles by the same defaults.
        variables = parse_hcl(MODULE / "variables.tf")["variable"]
        org = next(v["organization"] for v in variables if "organization" in v)
        member = {k: v for block in parse_hcl(MEMBER / "variables.tf")["variable"] for k, v in block.items()}
        for name in ("reader_role_name", "validator_role_name", "findings_role_name"):
            self.assertIn(f'"{member[name]["default"]}"', org["type"], name)

    def test_the_findings_role_trusts_only_the_central_security_hub_function_and_imports_only_its_own(self):
        trust = self.data["aws_iam_policy_document"]["findings_assume"]["statement"]
        self.assertEqual(trust["principals"]["identifiers"], "${var.central_findings_principal_arns}")
        self.assertEqual(trust["condition"]["variable"], "aws:PrincipalOrgID")
        self.assertEqual(self.resources["aws_iam_role_policy"]["findings"]["policy"],
                         "${module.catalog.findings_policy}")
        self.assertEqual(self.resources["aws_iam_role"]["findings"]["count"],
                         "${local.create_findings_role ? 1 : 0}")
        policy = json.loads(CATALOG_OUT["findings_policy"])
        by_action = {a: s["Resource"] for s in policy["Statement"] for a in s["Action"]}
        self.assertEqual(by_action, {
            "securityhub:BatchImportFindings": [f"arn:aws:securityhub:*:{ACCOUNT}:product/{ACCOUNT}/default"],
            "securityhub:BatchUpdateFindings": [f"arn:aws:securityhub:*:{ACCOUNT}:hub/default"],
            "securityhub:GetFindings": [f"arn:aws:securityhub:*:{ACCOUNT}:hub/default"],
        })


    def test_the_stackset_template_is_the_member_module_as_cloudformation(self):
        bus = f"arn:aws:events:{REGION}:{ACCOUNT}:event-bus/phoenix-guard-org-central"
        sweeps = [f"arn:aws:iam::{ACCOUNT}:role/phoenix-guard-org-backup-freshness"]
        validator = [f"arn:aws:iam::{ACCOUNT}:role/phoenix-guard-org-restore-validator"]
        importer = [f"arn:aws:iam::{ACCOUNT}:role/phoenix-guard-org-security-hub"]
        work = Path(tempfile.mkdtemp(prefix="phoenix-stackset-"))
        (work / "main.tf.json").write_text(json.dumps({
            "module": {"member": {
                # A relative path: an absolute one is a package the template's own
                # relative source to the catalog may not leave.
                "source": os.path.relpath(MEMBER / "modules" / "template", work),
                "central_event_bus_arn": bus,
                "central_reader_principal_arns": sweeps,
                "central_validator_principal_arns": validator,
                "central_findings_principal_arns": importer,
                "organization_id": "o-exampleorgid",
                "reader_region": REGION,
            }},
            "output": {"template": {"value": "${module.member.template_body}"}},
        }))
        terraform(["init", "-input=false", "-backend=false"], work)
        terraform(["apply", "-input=false", "-auto-approve"], work)
        template = json.loads(json.loads(terraform(["output", "-json", "template"], work)))
        resources = template["Resources"]
        suffix = printed("sweep-dispatcher")["rules"]["member-canary"]["resources"][0]["suffix"]
        canary = resources["Canary"]["Properties"]
        self.assertTrue(canary["Name"].endswith(suffix))
        self.assertEqual(canary["Targets"], [{"Arn": bus, "Id": "central", "RoleArn": {"Fn::GetAtt": ["ForwardRole", "Arn"]}}])
        # The reader role: once per account (its reader region), trusted by the central
        # sweeps within the organization, its policy the catalog's reads.
        reader = resources["ReaderRole"]
        self.assertEqual(reader["Condition"], "ReaderRegion")
        self.assertEqual(template["Conditions"]["ReaderRegion"], {"Fn::Equals": [{"Ref": "AWS::Region"}, REGION]})
        trust = reader["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]
        self.assertEqual(trust["Principal"], {"AWS": sweeps})
        self.assertEqual(trust["Condition"], {"StringEquals": {"aws:PrincipalOrgID": "o-exampleorgid"}})
        policy = reader["Properties"]["Policies"][0]["PolicyDocument"]
        granted = {a for st in policy["Statement"] for a in st["Action"]}
        writes = re.compile(r":(Put|Create|Update|Delete|Publish|Send|Start|Stop|Tag|Untag)")
        self.assertEqual([a for a in granted if writes.search(a)], [])
        # The same forwarded patterns as the Terraform member module.
        member = evaluate_catalog([], [], [], xray=False, organization=None, region="*")
        want = sorted(r["pattern"] for r in member["event_rules"].values())
        got = sorted(json.dumps(r["Properties"]["EventPattern"], separators=(",", ":"))
                     for k, r in resources.items() if k.startswith("Forward") and k != "ForwardRole")
        self.assertEqual([json.loads(p) for p in got], [json.loads(p) for p in want])
        for key, r in resources.items():
            if key.startswith("Forward") and key != "ForwardRole":
                self.assertEqual(r["Properties"]["Targets"], canary["Targets"], key)
        # The validator role: once per account too, trusted by the central validator only.
        role = resources["ValidatorRole"]
        self.assertEqual(role["Condition"], "ReaderRegion")
        trust = role["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]
        self.assertEqual(trust["Principal"], {"AWS": validator})
        actions = lambda doc: sorted(a for st in doc["Statement"] for a in st["Action"])  # noqa: E731
        self.assertEqual(actions(role["Properties"]["Policies"][0]["PolicyDocument"]),
                         actions(json.loads(member["validator_policy"])))
        # The findings role: trusted by the central security-hub function only, its policy
        # Security Hub's import, update and read of the account's own findings.
        role = resources["FindingsRole"]
        self.assertEqual(role["Condition"], "ReaderRegion")
        trust = role["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]
        self.assertEqual(trust["Principal"], {"AWS": importer})
        self.assertEqual(actions(role["Properties"]["Policies"][0]["PolicyDocument"]),
                         ["securityhub:BatchImportFindings", "securityhub:BatchUpdateFindings",
                          "securityhub:GetFindings"])


class Alarms(unittest.TestCase):
    def test_a_heartbeat_alarm_per_scheduled_function_treats_silence_as_breaching(self):
        alarm = resources("aws_cloudwatch_metric_alarm")["heartbeat"]
        self.assertIn("f.scheduled", alarm["for_each"])
        self.assertEqual(alarm["metric_name"], "Heartbeat")
        self.assertEqual(alarm["treat_missing_data"], "breaching")
        self.assertEqual(alarm["dimensions"]["Function"], "${each.key}")
        self.assertEqual(alarm["alarm_actions"], "${local.alarm_actions}")
        # The functions the audit expects heartbeats from are the scheduled ones.
        code = (ROOT / "account" / "src" / "audit" / "read.rs").read_text()
        listed = re.search(r"SCHEDULED_FUNCTIONS: \[&str; \d+\] =\s*\[([^\]]*)\]", code).group(1)
        scheduled = {n for n, f in CATALOG_OUT["functions"].items() if f["scheduled"]}
        self.assertEqual(set(re.findall(r'"([a-z-]+)"', listed)), scheduled)
        # ...and each of them writes the metric the alarm watches, with its Function.
        for function in scheduled:
            lib = (ROOT / "functions" / function / "src" / "lib.rs").read_text()
            self.assertTrue(
                re.search(r'"Heartbeat",\s*&\[\("Function", FUNCTION\)\]', lib),
                f"{function} writes no Heartbeat with its Function",
            )

    def test_the_alarmed_metrics_are_the_ones_the_code_writes(self):
        code = "\n".join(p.read_text() for p in ROOT.glob("functions/*/src/**/*.rs"))
        alarms = resources("aws_cloudwatch_metric_alarm")
        sweep = locals_of("alarms.tf")["sweep_alarms"]
        for metric in list(sweep) + ["PhoenixReadiness"]:
            # Written with no dimension but Environment, as the alarms read them.
            self.assertTrue(re.search(rf'"{metric}",\s*&\[\]', code), f"no code writes {metric}")
        self.assertTrue(re.search(r'"ProtectionViolations",\s*&\[\("Check"', code))
        query = alarms["protection_violations"]["metric_query"]["expression"]
        self.assertIn("SUM(ProtectionViolations)", query)
        self.assertIn("Check, Environment", query)
        self.assertEqual(alarms["dead_letters"]["metric_name"], "ApproximateNumberOfMessagesVisible")
        # Alarms about the guard page; alarms that count findings do not page a second time
        # for what each finding paged already (unless asked to).
        for name in ["heartbeat", "function_health", "dead_letters"]:
            self.assertEqual(alarms[name]["alarm_actions"], "${local.alarm_actions}", name)
        for name in ["sweep", "protection_violations", "readiness"]:
            self.assertEqual(alarms[name]["alarm_actions"], "${local.finding_alarm_actions}", name)
            self.assertEqual(alarms[name]["ok_actions"], "${local.finding_alarm_actions}", name)
        self.assertEqual(alarms["readiness"]["comparison_operator"], "LessThanThreshold")
        self.assertEqual(alarms["function_health"]["for_each"], "${local.function_health}")
        health = locals_of("alarms.tf")["function_health"]
        self.assertIn("'metric': 'Errors'", health)
        self.assertIn("'metric': 'Throttles'", health)
        self.assertIn("keys(local.functions)", health)


class References(unittest.TestCase):
    """What `terraform validate` would catch first, which cannot run without providers."""

    def test_every_reference_names_something_the_module_declares(self):
        for directory in [MODULE, CATALOG, EXAMPLE]:
            text = "\n".join(p.read_text() for p in sorted(directory.glob("*.tf")))
            code = re.sub(r"(?m)^\s*#.*$", "", text)
            declared = {
                "var": set(re.findall(r'^variable "(\w+)"', text, re.M)),
                "local": set(re.findall(r"^  (\w+)\s+=", "\n".join(re.findall(r"(?ms)^locals \{\n(.*?)^\}", text)), re.M)),
                "module": set(re.findall(r'^module "(\w+)"', text, re.M)),
                "data": set(re.findall(r'^data "(\w+)" "(\w+)"', text, re.M)),
                "resource": set(re.findall(r'^resource "(\w+)" "(\w+)"', text, re.M)),
            }
            with self.subTest(directory=directory.name):
                for kind in ["var", "local", "module"]:
                    used = set(re.findall(rf"\b{kind}\.(\w+)", code))
                    self.assertFalse(used - declared[kind], f"undeclared {kind}")
                used = set(re.findall(r"\bdata\.(\w+)\.(\w+)", code))
                self.assertFalse(used - declared["data"], "undeclared data sources")
                used = set(re.findall(r"(?<![\w.\"])(aws_\w+)\.(\w+)", code))
                self.assertFalse(used - declared["resource"], "undeclared resources")
                # A local defined in terms of itself is a cycle.
                locals_text = "\n".join(re.findall(r"(?ms)^locals \{\n(.*?)^\}", code))
                for name, body in re.findall(r"(?m)^  (\w+)\s+=\s*(.*)$", locals_text):
                    self.assertNotIn(f"local.{name}", body, f"local.{name} refers to itself")


def top_level_blocks(text):
    """(kind, labels, body) of every top-level block of a .tf file's text."""
    return [
        (m.group(1), tuple(re.findall(r'"([^"]+)"', m.group(2))), m.group(3))
        for m in re.finditer(r'(?ms)^(\w+)((?: "[^"]+")*) \{\n(.*?)^\}', text)
    ]


def expression_after(body, name):
    """The text of the top-level argument `name` of a block body (it may span lines), or None."""
    m = re.search(rf"(?m)^  {name}\s*=\s*", body)
    if not m:
        return None
    depth, i, quoted = 0, m.end(), False
    while i < len(body):
        c = body[i]
        if quoted:
            if c == "\\":
                i += 1
            elif c == '"':
                quoted = False
        elif c == '"':
            quoted = True
        elif c in "([{":
            depth += 1
        elif c in ")]}":
            depth -= 1
        elif c == "\n" and depth == 0:
            break
        i += 1
    return body[m.end():i].strip()


UNKNOWN = "(known only after apply)"


def evaluate_wiring(module, variables, plan_only=False):
    """Evaluates a module with Terraform and no provider: its locals, its catalog call, its
    outputs, each precondition for each instance, and every count and for_each, with each
    resource and data source standing in as a local with the instances its own count or
    for_each gives it (every attribute a string naming the block and the attribute).
    Terraform orders them as it would the real graph, so the instance counts are the ones a
    plan would have; only what is inside each block (its arguments) is not evaluated.
    Returns (instances by block, outputs, preconditions by block, position and instance,
    dangling); an output that is null is absent, as in `terraform output`. `dangling` lists each block
    with instances whose arguments read an instance ([0], ["key"]) another block does not
    have, which a plan would refuse. With plan_only, only plans (variables may hold UNKNOWN),
    raising if Terraform cannot: a count or for_each that depends on a value only apply
    knows."""
    blocks = [b for path in sorted(module.glob("*.tf")) for b in top_level_blocks(path.read_text())]
    code = re.sub(r"(?m)^\s*#.*$", "", "\n".join(body for _, _, body in blocks))
    attributes = sorted(set(re.findall(r"(?:\b[a-z_]\w*|\])\.([a-z_]\w*)", code)))

    def rewrite(text):
        text = re.sub(r"\bdata\.(aws_\w+)\.(\w+)\b", r"local.stub__data__\1__\2", text)
        return re.sub(r'(?<![\w."])(aws_\w+)\.(\w+)\b', r"local.stub__resource__\1__\2", text)

    out, stubs, instances, preconditions, mirrors, first_instance = [], [], [], [], [], {}
    for kind, labels, body in blocks:
        if kind in ("variable", "locals"):
            out.append(f"{kind} {' '.join(json.dumps(label) for label in labels)} {{\n{rewrite(body)}}}\n")
        elif kind == "module":
            body = re.sub(r'(?m)^  source\s*=\s*"(\.\.?/[^"]*)"',
                          lambda m: f'  source = "{(module / m.group(1)).resolve()}"', body)
            out.append(f'module "{labels[0]}" {{\n{rewrite(body)}}}\n')
        elif kind == "output":
            out.append(f'output "{labels[0]}" {{\n{rewrite(body)}}}\n')
        elif kind in ("resource", "data"):
            name = "__".join((kind, *labels))
            # Instances its arguments read by a literal index or key: [0], ["security-hub"].
            first_instance[name] = {
                (f"{'data' if data else 'resource'}__{t}__{n}", index)
                for data, t, n, index in re.findall(r'(?<![\w."])(data\.)?(aws_\w+)\.(\w+)\[(0|"[^"]+")\]', body)
            }
            attrs = "{ " + ", ".join(f'{a} = "stub:{".".join(labels)}.{a}"' for a in attributes) + " }"
            count, for_each = expression_after(body, "count"), expression_after(body, "for_each")
            if plan_only and (count or for_each):
                # A real count or for_each, which Terraform refuses when only apply knows it.
                meta = f"count = {rewrite(count)}" if count else f"for_each = {rewrite(for_each)}"
                mirrors.append(f'resource "terraform_data" "{name}" {{\n  {meta}\n}}\n')
            if count is not None:
                stubs.append(f"  stub__{name} = [for i in range({rewrite(count)}) : {attrs}]\n")
                instances.append(f'output "instances__{name}" {{\n  value = length(local.stub__{name})\n}}\n')
            elif for_each is not None:
                stubs.append(f"  stub__{name} = {{ for k, v in {rewrite(for_each)} : k => {attrs} }}\n")
                instances.append(f'output "instances__{name}" {{\n  value = length(local.stub__{name})\n}}\n')
                instances.append(f'output "keys__{name}" {{\n  value = keys(local.stub__{name})\n}}\n')
            else:
                stubs.append(f"  stub__{name} = {attrs}\n")
                instances.append(f'output "instances__{name}" {{\n  value = -1\n}}\n')
            # Each precondition, for each instance (a map by key, a list by index).
            for i, condition in enumerate(re.findall(r"(?m)^    precondition \{\n\s*condition\s*=\s*(.*?)$", body)):
                condition = rewrite(condition)
                if re.search(r"\bself\.", condition):
                    continue
                if for_each is not None:
                    condition = re.sub(r"\beach\.key\b", "k", re.sub(r"\beach\.value\b", "v", condition))
                    condition = f"{{ for k, v in {rewrite(for_each)} : k => {condition} }}"
                elif count is not None:
                    condition = f"[for i in range({rewrite(count)}) : {re.sub(r'count[.]index', 'i', condition)}]"
                preconditions.append(f'output "precondition__{name}__{i}" {{\n  value = {condition}\n}}\n')
    out.append("locals {\n" + "".join(stubs) + "}\n")
    work = Path(tempfile.mkdtemp(prefix="phoenix-wiring-"))
    (work / "guard").mkdir()
    (work / "guard" / "main.tf").write_text("\n".join(out + instances + preconditions + mirrors))
    # The root calls it, as a team's configuration would; UNKNOWN stands for a value that
    # only apply knows (an ARN of a resource created in the same configuration).
    arguments = "".join(
        f"  {k} = {json.dumps(v).replace(json.dumps(UNKNOWN), 'terraform_data.unknown.output')}\n"
        for k, v in variables.items()
    )
    (work / "main.tf").write_text(
        'resource "terraform_data" "unknown" {\n  input = "known only after apply"\n}\n'
        f'module "guard" {{\n  source = "./guard"\n{arguments}}}\n'
        'output "guard" {\n  value = module.guard\n}\n'
    )
    terraform(["init", "-input=false", "-backend=false"], work)
    if plan_only:
        terraform(["plan", "-input=false"], work)
        return None
    terraform(["apply", "-input=false", "-auto-approve"], work)
    values = {k: v for k, v in json.loads(terraform(["output", "-json", "guard"], work)).items() if v is not None}

    def part(prefix):
        return {k.removeprefix(prefix): v for k, v in values.items() if k.startswith(prefix)}

    outputs = {k: v for k, v in values.items() if not k.startswith(("instances__", "keys__", "precondition__"))}
    keys = part("keys__")
    counts = part("instances__")
    checks = {}
    for key, value in part("precondition__").items():
        items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else [(None, value)]
        checks.update({key if k is None else f"{key}[{k}]": holds for k, holds in items})
    dangling = sorted(
        (block, f"{read}[{index}]") for block, reads in first_instance.items() for read, index in reads
        if counts[block] != 0 and (counts[read] == 0 if index == "0" else json.loads(index) not in keys.get(read, []))
    )
    return counts, outputs, checks, dangling


def fake_artifacts(architecture="arm64", leave_out=()):
    """An artifacts_dir as `make package` writes it: <function>/bootstrap.zip and the
    architecture it was built for (the packages themselves are not read here)."""
    artifacts = Path(tempfile.mkdtemp(prefix="phoenix-artifacts-"))
    for function in function_crates():
        (artifacts / function).mkdir()
        (artifacts / function / "architecture").write_text(architecture + "\n")
        if function not in leave_out:
            (artifacts / function / "bootstrap.zip").write_bytes(b"")
    return str(artifacts)


TEAM = {
    "kms_key_arn": f"arn:aws:kms:{REGION}:{ACCOUNT}:key/team",
    "alert_topic_arn": f"arn:aws:sns:{REGION}:{ACCOUNT}:team-alerts",
    "alarm_topic_arn": f"arn:aws:sns:{REGION}:{ACCOUNT}:team-alarms",
    "report_bucket_name": "team-reports",
}
# What each create_* flag leaves out, and the output that then names the team's own.
BROUGHT = {
    "create_kms_key": ("kms_key_arn", "kms_key_arn", ["resource__aws_kms_key__guard", "resource__aws_kms_alias__guard",
                                                      "data__aws_iam_policy_document__guard_key"]),
    "create_alert_topic": ("alert_topic_arn", "alert_topic_arn", ["resource__aws_sns_topic__alerts"]),
    "create_alarm_topic": ("alarm_topic_arn", "alarm_topic_arn", ["resource__aws_sns_topic__alarms"]),
    "create_report_bucket": ("report_bucket_name", "report_bucket", [
        f"resource__aws_s3_bucket{part}__reports" for part in (
            "", "_versioning", "_server_side_encryption_configuration", "_public_access_block",
            "_ownership_controls", "_lifecycle_configuration", "_policy")
    ] + ["data__aws_iam_policy_document__reports"]),
}


class Create(unittest.TestCase):
    """The create flags, the terraform-aws-modules convention, evaluated by Terraform
    (evaluate_wiring): create = false makes nothing, reads nothing and outputs nothing;
    create_* = false leaves out exactly the part the team brings, and uses the team's."""

    EVERY_OPTION = {
        "data_bucket_names": DATA_BUCKETS[:2],
        "state_bucket_names": STATE_BUCKETS,
        "pagerduty_endpoint": "https://events.pagerduty.com/integration/x/enqueue",
        "alert_emails": ["platform@example.com"],
        "enable_chat": True,
        "enable_security_hub": True,
        "restore_testing": {"enabled": True},
        "organization": {"organization_id": "o-abcdefghij"},
    }

    @classmethod
    def setUpClass(cls):
        cls.required = {"environment": "dev", "artifacts_dir": fake_artifacts()}

    def every_option_but(self, variables):
        return {k: v for k, v in self.EVERY_OPTION.items() if k not in variables}

    def wiring(self, **variables):
        return evaluate_wiring(MODULE, dict(self.required, **variables))

    def test_switched_off_the_module_creates_reads_and_outputs_nothing(self):
        for name, variables in {"defaults": {}, "every option": self.EVERY_OPTION}.items():
            with self.subTest(variables=name):
                instances, outputs, _, _ = self.wiring(create=False, **variables)
                self.assertGreater(len(instances), 50)
                self.assertEqual({k: n for k, n in instances.items() if n != 0}, {})
                self.assertEqual({k: v for k, v in outputs.items() if v not in ([], {})}, {})

    def test_switched_on_every_block_has_its_instances_and_every_check_holds(self):
        instances, outputs, preconditions, dangling = self.wiring(**self.EVERY_OPTION)
        self.assertEqual(dangling, [])
        self.assertEqual({k: n for k, n in instances.items() if n < 0}, {}, "blocks with neither count nor for_each")
        functions = function_crates()
        for block, expected in {
            "data__aws_caller_identity__current": 1,
            "resource__aws_kms_key__guard": 1,
            "resource__aws_dynamodb_table__findings": 1,
            "resource__aws_sqs_queue__dead_letters": 1,
            "resource__aws_sns_topic__chat": 1,
            "resource__aws_cloudwatch_dashboard__guard": 1,
            "resource__aws_cloudwatch_event_bus__central": 1,
            "resource__aws_sns_topic_subscription__security_hub": 1,
            "resource__aws_backup_restore_testing_plan__this": 1,
            "resource__aws_lambda_function__function": len(functions),
            "resource__aws_cloudwatch_metric_alarm__function_health": 2 * len(functions),
            "resource__aws_sns_topic_subscription__pagerduty": 2,
            "resource__aws_sns_topic_subscription__email": 2,
            "resource__aws_sqs_queue__targets": 2,
        }.items():
            self.assertEqual(instances[block], expected, block)
        self.assertTrue(all(preconditions.values()), preconditions)
        self.assertEqual(outputs["kms_key_arn"], "stub:aws_kms_key.guard.arn")
        self.assertEqual(outputs["dashboard_name"], "stub:aws_cloudwatch_dashboard.guard.dashboard_name")
        self.assertEqual(outputs["findings_principal_arns"], ["stub:aws_iam_role.function.arn"])
        self.assertEqual(sorted(outputs["function_arns"]), functions)

    def test_each_create_flag_leaves_out_what_the_team_brings_and_uses_the_teams(self):
        made, made_outputs, _, dangling = self.wiring()
        self.assertEqual(dangling, [])
        for flag, (variable, output, blocks) in BROUGHT.items():
            with self.subTest(flag=flag):
                instances, outputs, preconditions, dangling = self.wiring(**{flag: False, variable: TEAM[variable]})
                self.assertEqual(dangling, [])
                for block in blocks:
                    self.assertGreater(made[block], 0, block)
                    self.assertEqual(instances[block], 0, block)
                self.assertTrue(made_outputs[output].startswith("stub:"), made_outputs[output])
                self.assertEqual(outputs[output], TEAM[variable])
                self.assertTrue(all(preconditions.values()), preconditions)
                # Only those blocks, and the policies of topics the module no longer owns.
                changed = {k for k in made if made[k] != instances[k]}
                self.assertLessEqual(changed - set(blocks), {"data__aws_iam_policy_document__topic",
                                                             "resource__aws_sns_topic_policy__topic"})
        _, outputs, _, dangling = self.wiring(create_dashboard=False)
        self.assertEqual(dangling, [])
        self.assertNotIn("dashboard_name", outputs)

    def test_an_arn_without_its_flag_or_a_flag_without_its_arn_is_refused_at_plan(self):
        for flag, (variable, _, _) in BROUGHT.items():
            for name, variables in {"the ARN alone": {variable: TEAM[variable]}, "the flag alone": {flag: False}}.items():
                with self.subTest(flag=flag, given=name):
                    _, _, preconditions, _ = self.wiring(**variables)
                    failing = [k for k, holds in preconditions.items() if not holds]
                    self.assertEqual(len(failing), 1, failing)
                    self.assertTrue(failing[0].startswith("resource__aws_dynamodb_table__findings"), failing)

    def test_a_missing_or_foreign_package_is_refused_at_plan_unless_switched_off(self):
        def failing(artifacts, **variables):
            _, _, preconditions, _ = evaluate_wiring(MODULE, dict(environment="dev", artifacts_dir=artifacts, **variables))
            return sorted(k for k, holds in preconditions.items() if not holds)

        lambdas = "resource__aws_lambda_function__function"
        self.assertEqual(failing(fake_artifacts(leave_out=["security-hub"]), enable_security_hub=True),
                         [f"{lambdas}__0[security-hub]"])
        self.assertEqual(failing(fake_artifacts("x86_64")), sorted(
            f"{lambdas}__1[{f}]" for f in function_crates() if f not in ("security-hub", "sweep-dispatcher")))
        self.assertEqual(failing(fake_artifacts("x86_64"), architecture="x86_64"), [])
        # Switched off, no package is needed at all.
        instances, _, _, _ = self.wiring(create=False, artifacts_dir="/nonexistent")
        self.assertEqual({k: n for k, n in instances.items() if n != 0}, {})

    def test_what_the_team_creates_in_the_same_configuration_plans_before_it_exists(self):
        """An ARN of a key, topic, bucket or role the team creates beside the guard is unknown
        at the first plan; before the create_* flags, the module counted on it being null,
        and Terraform refused the plan (Invalid count argument)."""
        brought = {flag: False for flag in BROUGHT}
        brought.update({variable: UNKNOWN for variable, _, _ in BROUGHT.values()})
        for name, variables in {
            "the team's key, topics and bucket": brought,
            "the team's restore role": {"restore_testing": {"enabled": True, "create_iam_role": False,
                                                            "iam_role_arn": UNKNOWN}},
            "validators and state keys": {"restore_validators": {"EFS": UNKNOWN},
                                          "state_bucket_kms_key_arns": [UNKNOWN]},
        }.items():
            with self.subTest(given=name):
                evaluate_wiring(MODULE, dict(self.required, **variables, **self.every_option_but(variables)),
                                plan_only=True)
        # A count that does depend on it is refused, so the check can fail.
        with self.assertRaisesRegex(AssertionError, "Invalid count argument"):
            evaluate_wiring(MODULE, dict(self.required, create_kms_key=UNKNOWN), plan_only=True)

    def test_restore_testing_restores_with_the_teams_role_when_told_to(self):
        role = f"arn:aws:iam::{ACCOUNT}:role/team-restores"
        blocks = ["resource__aws_iam_role__restore_testing", "resource__aws_iam_role_policy_attachment__restore_testing",
                  "data__aws_iam_policy_document__restore_testing_trust"]
        made, _, _, _ = self.wiring(restore_testing={"enabled": True})
        instances, _, _, dangling = self.wiring(restore_testing={"enabled": True, "create_iam_role": False,
                                                                 "iam_role_arn": role})
        self.assertEqual(dangling, [])
        self.assertEqual(instances["resource__aws_backup_restore_testing_plan__this"], 1)
        for block in blocks:
            self.assertGreater(made[block], 0, block)
            self.assertEqual(instances[block], 0, block)
        for given in ({"iam_role_arn": role}, {"create_iam_role": False}):
            with self.subTest(given=given), self.assertRaisesRegex(AssertionError, "restore_testing.iam_role_arn names"):
                self.wiring(restore_testing=dict(given, enabled=True))

    def test_what_the_team_may_bring_is_used_only_through_its_local(self):
        """A use of the module's own key, topic or bucket anywhere else would break once the
        team brings its own; only the part made for the module's own bucket (counted by it)
        may use the bucket."""
        blocks = [b for path in sorted(MODULE.glob("*.tf")) for b in top_level_blocks(path.read_text())]
        for resource, local in {"aws_kms_key.guard": "kms_key_arn", "aws_sns_topic.alerts": "alert_topic_arn",
                                "aws_sns_topic.alarms": "alarm_topic_arn", "aws_s3_bucket.reports": "report_bucket"}.items():
            with self.subTest(resource=resource):
                pattern = rf"\b{re.escape(resource)}\b(?!\))"
                in_locals = [line.split("=")[0].strip() for kind, _, body in blocks if kind == "locals"
                             for line in body.splitlines() if re.search(pattern, line)
                             # (Iterating what the module made, for its own topics' policies.)
                             and not re.search(rf"\bfor \w+ in {re.escape(resource)} :", line)]
                self.assertEqual(in_locals, [local])
                for kind, labels, body in blocks:
                    if kind != "locals" and re.search(pattern, body):
                        self.assertEqual(expression_after(body, "count"), f"length({resource})", labels)

    def test_the_member_module_too(self):
        central = {
            "central_event_bus_arn": f"arn:aws:events:{REGION}:{ACCOUNT}:event-bus/phoenix-guard-dev-central",
            "central_reader_principal_arns": [f"arn:aws:iam::{ACCOUNT}:role/phoenix-guard-dev-backup-freshness"],
            "central_validator_principal_arns": [f"arn:aws:iam::{ACCOUNT}:role/phoenix-guard-dev-restore-validator"],
            "central_findings_principal_arns": [f"arn:aws:iam::{ACCOUNT}:role/phoenix-guard-dev-security-hub"],
            "organization_id": "o-abcdefghij",
            "data_bucket_names": DATA_BUCKETS[:2],
        }
        instances, outputs, _, _ = evaluate_wiring(MEMBER, dict(central, create=False))
        self.assertGreater(len(instances), 15)
        self.assertEqual({k: n for k, n in instances.items() if n != 0}, {})
        self.assertEqual({k: v for k, v in outputs.items() if v not in ([], {})}, {})
        instances, outputs, _, dangling = evaluate_wiring(MEMBER, central)
        self.assertEqual(dangling, [])
        self.assertEqual({k: n for k, n in instances.items() if n < 0}, {})
        self.assertEqual(instances["resource__aws_iam_role__findings"], 1)
        self.assertEqual(outputs["findings_role_arn"], "stub:aws_iam_role.findings.arn")
        self.assertIn("stub:aws_cloudwatch_event_rule.canary.name", outputs["forwarding_rule_names"])
        instances, outputs, _, dangling = evaluate_wiring(MEMBER, dict(central, create_reader_role=False))
        self.assertEqual(dangling, [])
        for role in ("reader", "validator", "findings"):
            self.assertEqual(instances[f"resource__aws_iam_role__{role}"], 0, role)
        self.assertGreater(instances["resource__aws_cloudwatch_event_rule__forward"], 3)
        # Deployed with the central module in one configuration (examples/organization), the
        # member gets the central ARNs before they exist.
        evaluate_wiring(MEMBER, dict(central, **{
            k: [UNKNOWN] * len(v) if isinstance(v, list) else UNKNOWN
            for k, v in central.items() if k.startswith("central_")
        }), plan_only=True)


class Documentation(unittest.TestCase):
    def test_every_input_and_output_is_described_and_in_its_readmes_tables(self):
        for module in (MODULE, MEMBER):
            readme = (module / "README.md").read_text()

            def table(heading):
                section = readme.split(f"\n## {heading}\n", 1)[1].split("\n## ", 1)[0]
                return dict(re.findall(r"^\| `([a-z_]+)` \|(.*)\|$", section, re.M))

            names = set()
            for block in parse_hcl(module / "variables.tf")["variable"]:
                for name, v in block.items():
                    names.add(name)
                    self.assertIn("type", v, name)
                    self.assertTrue(v.get("description"), name)
            self.assertEqual(set(table("Variables")), names, f"{module.name}: the README's variables table")
            outputs = {}
            for block in parse_hcl(module / "outputs.tf")["output"]:
                for name, o in block.items():
                    self.assertTrue(o.get("description"), name)
                    outputs[name] = o["description"]
            rows = table("Outputs")
            self.assertEqual(set(rows), set(outputs), f"{module.name}: the README's outputs table")
            for name, description in outputs.items():
                self.assertEqual(rows[name].strip().replace("\\|", "|"), description, f"{module.name}: {name}")
        # An example's README lists its inputs.
        example = ROOT / "infra" / "examples" / "complete"
        readme = (example / "README.md").read_text()
        section = readme.split("\n## Inputs\n", 1)[1].split("\n## ", 1)[0]
        names = {n for block in parse_hcl(example / "variables.tf")["variable"] for n in block}
        self.assertEqual(set(re.findall(r"^\| `([a-z_]+)` \|", section, re.M)), names)

    def test_the_environment_the_module_sets_is_the_configuration_the_code_reads(self):
        config = (ROOT / "shared" / "src" / "config.rs").read_text()
        source = (MODULE / "lambda.tf").read_text()
        names = re.findall(r"^\s+(PHOENIX_[A-Z_]+)\s+=", source, re.M)
        self.assertGreater(len(names), 5)
        for name in names:
            self.assertIn(f'"{name}"', config, name)


@unittest.skipUnless(ENDPOINT, "needs the emulator (PHOENIX_EMULATOR); tests/infra/check starts it")
class Routing(unittest.TestCase):
    """Each rule, loaded into the emulator's EventBridge with an SQS target."""

    @classmethod
    def setUpClass(cls):
        session = boto3.session.Session(
            aws_access_key_id="testing", aws_secret_access_key="testing", region_name=REGION
        )
        cls.events = session.client("events", endpoint_url=ENDPOINT)
        cls.sqs = session.client("sqs", endpoint_url=ENDPOINT)
        cls.queues = {}
        for name, rule in CATALOG_OUT["event_rules"].items():
            rule_name = f"infra-test-{name}"
            queue = cls.sqs.create_queue(QueueName=rule_name)["QueueUrl"]
            arn = cls.sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
            cls.events.put_rule(Name=rule_name, EventPattern=rule["pattern"], State="ENABLED")
            cls.events.put_targets(Rule=rule_name, Targets=[{"Id": "queue", "Arn": arn}])
            cls.queues[name] = (rule["function"], queue)

    def deliver(self, event):
        """The rules an event reaches."""
        detail = event.get("detail", {})
        if isinstance(detail, str):
            detail = json.loads(detail)
        entry = {
            "Source": event["source"],
            "DetailType": event["detail-type"],
            "Detail": json.dumps(detail),
            "Resources": event.get("resources") or [],
        }
        result = self.events.put_events(Entries=[entry])
        self.assertEqual(result["FailedEntryCount"], 0, result)
        reached = []
        for name, (_, queue) in self.queues.items():
            messages = self.sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10).get("Messages", [])
            for m in messages:
                self.sqs.delete_message(QueueUrl=queue, ReceiptHandle=m["ReceiptHandle"])
            reached += [name] * len(messages)
        return reached

    def handled(self, function, event):
        """Whether the function acts on an event, by its own description of what it handles."""
        source, detail_type = event["source"], event["detail-type"]
        detail = event.get("detail")
        detail = json.loads(detail) if isinstance(detail, str) else detail
        if function == "backup-events":
            return (
                source == "aws.backup"
                and detail_type in printed(function)["rules"]["backup"]["detail-type"]
                and "restoreTestingPlanArn" not in detail
            )
        if function == "restore-validator":
            rule = printed(function)["rules"]["restore-tests"]
            return (
                source == "aws.backup"
                and detail_type in rule["detail-type"]
                and "restoreTestingPlanArn" in detail
                and detail.get("status") in rule["detail"]["status"]
            )
        if function == "sweep-dispatcher":
            suffix = printed(function)["rules"]["member-canary"]["resources"][0]["suffix"]
            return (
                source == "aws.events"
                and detail_type == "Scheduled Event"
                and any(r.endswith(suffix) for r in event.get("resources") or [])
            )
        if function == "protection-guard":
            name = re.sub(r"\d{8}(v\d+)?$", "", detail.get("eventName", ""))
            return detail_type == "AWS API Call via CloudTrail" and any(
                r["source"] == source and r["eventName"] == name for r in printed(function)["events"]
            )
        bucket = detail.get("bucket", {}).get("name", "")
        key = detail.get("object", {}).get("key", "")
        data = any(re.fullmatch(b.replace("*", ".*"), bucket) for b in DATA_BUCKETS)
        state = bucket in STATE_BUCKETS
        if detail_type == "Object Deleted":
            return source == "aws.s3" and (data or state)
        return source == "aws.s3" and detail_type == "Object Created" and state and key.endswith(".tfstate")

    def near_misses(self, event):
        """Events one step away from a routed one, which no rule may route."""
        detail = event.get("detail")
        detail = json.loads(detail) if isinstance(detail, str) else detail
        misses = []
        other = copy.deepcopy(event)
        other["source"] = event["source"] + "x"
        misses.append(("another source", other))
        other = copy.deepcopy(event)
        other["detail-type"] = event["detail-type"] + " Summary"
        misses.append(("another detail type", other))
        if "eventName" in detail:
            other = copy.deepcopy(event)
            other["detail"] = dict(detail, eventName="Get" + detail["eventName"])
            misses.append(("a read call", other))
        if event["detail-type"] == "Scheduled Event":
            other = copy.deepcopy(event)
            other["resources"] = [r.replace("-member-canary", "-backup-freshness-schedule") for r in event["resources"]]
            misses.append(("another schedule", other))
        if "restoreTestingPlanArn" in detail:
            other = copy.deepcopy(event)
            other["detail"] = {k: v for k, v in detail.items() if k != "restoreTestingPlanArn"}
            misses.append(("a plain restore", other))
        if "bucket" in detail:
            other = copy.deepcopy(event)
            other["detail"] = dict(detail, bucket={"name": "someone-elses-bucket"})
            misses.append(("another bucket", other))
            if event["detail-type"] == "Object Created":
                other = copy.deepcopy(event)
                other["detail"] = dict(detail, object=dict(detail["object"], key=detail["object"]["key"] + ".backup"))
                misses.append(("a state backup", other))
        return misses

    def test_each_rule_routes_its_functions_fixtures_and_rejects_near_misses(self):
        routed_functions = ["backup-events", "protection-guard", "s3-deletion-guard", "restore-validator", "sweep-dispatcher"]
        routed_rules = set()
        counts = {"fixtures": 0, "routed": 0, "near-misses": 0}
        for owner in routed_functions:
            for name, event in fixtures(owner):
                if "detail-type" not in event or not isinstance(event.get("detail"), (dict, str)):
                    continue  # not an EventBridge event (classic S3 notifications, rejects)
                with self.subTest(fixture=f"{owner}/{name}"):
                    reached = self.deliver(event)
                    expected = sorted(f for f in routed_functions if self.handled(f, event))
                    self.assertEqual(
                        sorted(self.queues[r][0] for r in reached),
                        expected,
                        f"{name} reached {reached}; the functions that act on it: {expected}",
                    )
                    routed_rules.update(reached)
                    counts["fixtures"] += 1
                    counts["routed"] += bool(expected)
                    if expected:
                        for why, miss in self.near_misses(event):
                            # A near miss reaches only the functions that act on it (a plain
                            # restore still reaches backup-events), usually none.
                            self.assertEqual(
                                sorted(self.queues[r][0] for r in self.deliver(miss)),
                                sorted(f for f in routed_functions if self.handled(f, miss)),
                                f"{name} with {why} is routed",
                            )
                            counts["near-misses"] += 1
        self.assertEqual(routed_rules, set(self.queues), "a rule no fixture exercises")
        print(
            f"\nrouting: {counts['fixtures']} EventBridge fixtures through {len(self.queues)} rules, "
            f"{counts['routed']} routed to the functions that act on them, the rest to none; "
            f"{counts['near-misses']} near-misses routed only to the functions that act on them (most to none)",
            file=sys.stderr,
        )


if __name__ == "__main__":
    unittest.main(verbosity=2)
