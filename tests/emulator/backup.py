"""AWS Backup operations moto does not serve, over the documented restJson1 protocol.

Served: CreateBackupSelection, ListBackupSelections, GetBackupSelection,
DeleteBackupSelection, StartBackupJob, DescribeBackupJob, ListBackupJobs (with its
filters), ListRecoveryPointsByResource, ListRecoveryPointsByBackupVault, DescribeRecoveryPoint, DeleteRecoveryPoint,
ListProtectedResources, DescribeProtectedResource, DescribeRegionSettings,
UpdateRegionSettings, Put/Get/DeleteBackupVaultAccessPolicy, CreateLogicallyAirGappedBackupVault, UpdateBackupPlan, StartRestoreJob,
DescribeRestoreJob, ListRestoreJobs (with its filters), StartCopyJob, DescribeCopyJob,
ListCopyJobs (with its filters), PutRestoreValidationResult,
Create/Get/List/Update/DeleteRestoreTestingPlan and the same for RestoreTestingSelection,
and DeleteBackupPlan's refusal while
selections remain (the rest of it is moto's). A vault's ``NumberOfRecoveryPoints`` (moto's
field) follows the recovery points kept here.

Plans and vaults stay moto's: a selection needs a live moto plan, a job a moto vault.

Behaviour that tests rely on, as AWS documents it:

* a job starts ``CREATED``; it reaches a final state only through the seeding endpoint
  (``POST /_phoenix/backup/jobs/<id>``), which can also move its dates into the past;
* a job that ends ``COMPLETED`` (or ``PARTIAL``) leaves a recovery point with that status;
  ``FAILED``, ``ABORTED`` and ``EXPIRED`` leave none;
* ``ListProtectedResources`` lists a resource only once a backup of it completed, with the
  newest completed point's creation time as ``LastBackupTime``;
* a restore job starts ``PENDING`` and reaches a final state through
  ``POST /_phoenix/backup/restore-jobs/<id>`` (``Status``, ``CreationDate``,
  ``CompletionDate``, ``StatusMessage``, ``CreatedResourceArn``); one that completes
  without a ``CreatedResourceArn`` as part of a restore test creates the restored resource in moto (a file system, a
  bucket, a table or a DB instance, see ``create_restored``);
* a copy job starts ``CREATED`` and ends through ``POST /_phoenix/backup/copy-jobs/<id>``;
  one that COMPLETES puts a recovery point of the resource in the destination vault, in the
  destination's own account and region (``ListCopyJobs`` sees the last 30 days);
* a restore testing plan runs when ``POST /_phoenix/backup/restore-testing/plans/<name>/run``
  says its schedule fired: a restore job per selected resource, created by the plan;
  ``PutRestoreValidationResult`` is accepted only for such a job once it has COMPLETED;
* ``ListBackupJobs`` sees only the last 30 days; list operations return items oldest first
  (AWS documents no order, so callers must not rely on one).
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import re
import threading
import uuid
from typing import Any, Callable
from urllib.parse import parse_qs

from moto.backup.models import backup_backends

DAY = dt.timedelta(days=1)
FINAL_WITHOUT_POINT = {"FAILED", "ABORTED", "EXPIRED"}
JOB_STATES = {
    "CREATED", "PENDING", "RUNNING", "ABORTING", "ABORTED", "COMPLETED", "FAILED", "EXPIRED", "PARTIAL",
}
GOOD_POINT_STATES = {"COMPLETED", "AVAILABLE"}
RESTORE_STATES = {"PENDING", "RUNNING", "COMPLETED", "ABORTED", "FAILED"}
COPY_STATES = {"CREATED", "RUNNING", "COMPLETED", "FAILED", "PARTIAL"}
VALIDATION_STATES = {"FAILED", "SUCCESSFUL", "TIMED_OUT", "VALIDATING"}
# Restore testing tags what it restores; its service-linked role deletes only what is tagged.
RESTORE_TEST_TAG = "awsbackup-restore-test"
ALGORITHMS = {"LATEST_WITHIN_WINDOW", "RANDOM_WITHIN_WINDOW"}
RESOURCE_TYPES = [
    "Aurora", "CloudFormation", "DocumentDB", "DynamoDB", "EBS", "EC2", "EFS", "FSx", "Neptune",
    "RDS", "Redshift", "S3", "SAP HANA on Amazon EC2", "Storage Gateway", "Timestream",
    "VirtualMachine",
]


def date_filters(query: dict) -> list[Callable[[dict], bool]]:
    """The ``createdAfter``/``createdBefore``/``completeAfter``/``completeBefore`` filters of
    ListBackupJobs and ListRestoreJobs."""
    filters: list[Callable[[dict], bool]] = []
    for name, field, before in (
        ("createdAfter", "CreationDate", False),
        ("createdBefore", "CreationDate", True),
        ("completeAfter", "CompletionDate", False),
        ("completeBefore", "CompletionDate", True),
    ):
        if name in query:
            bound = parse_time(query[name], name)
            if before:
                filters.append(lambda j, f=field, b=bound: j[f] is not None and j[f] < b)
            else:
                filters.append(lambda j, f=field, b=bound: j[f] is not None and j[f] > b)
    return filters


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def not_found(message: str) -> ApiError:
    return ApiError(400, "ResourceNotFoundException", message)


def invalid(message: str) -> ApiError:
    return ApiError(400, "InvalidParameterValueException", message)


def missing(name: str) -> ApiError:
    return ApiError(400, "MissingParameterValueException", f"{name} is required")


def now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def epoch(value: dt.datetime | None) -> float | None:
    return None if value is None else value.timestamp()


def parse_time(value: Any, name: str) -> dt.datetime:
    """ISO 8601 (query strings, seeding) or epoch seconds (JSON bodies)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return dt.datetime.fromtimestamp(value, dt.timezone.utc)
    if isinstance(value, str):
        try:
            parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            try:
                return dt.datetime.fromtimestamp(float(value), dt.timezone.utc)
            except ValueError:
                raise invalid(f"{name}: not a timestamp: {value!r}") from None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.timezone.utc)
    raise invalid(f"{name}: not a timestamp: {value!r}")


def resource_type_of(arn: str) -> str:
    parts = arn.split(":", 5)
    service = parts[2] if len(parts) > 2 else ""
    rest = parts[5] if len(parts) > 5 else ""
    if service == "elasticfilesystem":
        return "EFS"
    if service == "rds":
        return "Aurora" if rest.startswith("cluster:") else "RDS"
    if service == "dynamodb":
        return "DynamoDB"
    if service == "ec2":
        return "EBS" if rest.startswith("volume/") else "EC2"
    if service == "s3":
        return "S3"
    if service == "fsx":
        return "FSx"
    return service


def resource_name_of(arn: str) -> str:
    tail = arn.split(":", 5)[-1]
    return re.split(r"[/:]", tail)[-1]


def page(items: list, query: dict, limit: int = 1000) -> tuple[list, str | None]:
    raw = query.get("maxResults")
    size = limit
    if raw is not None:
        try:
            size = int(raw)
        except ValueError:
            raise invalid(f"maxResults: {raw!r} is not a number") from None
        if not 1 <= size <= limit:
            raise invalid(f"maxResults must be between 1 and {limit}")
    token = query.get("nextToken")
    start = 0
    if token:
        try:
            start = int(base64.urlsafe_b64decode(token.encode()).decode())
        except Exception:
            raise invalid("nextToken is not valid") from None
    chunk = items[start:start + size]
    following = start + size
    next_token = base64.urlsafe_b64encode(str(following).encode()).decode() if following < len(items) else None
    return chunk, next_token


def points_page(points: list, query: dict, view) -> dict:
    """One page of `RecoveryPoints`: each point as `view` shows it, dates as epoch seconds,
    absent fields left out, and the `NextToken` of the next page."""
    chunk, token = page(points, query)
    out: dict = {
        "RecoveryPoints": [
            {
                key: (epoch(value) if isinstance(value, dt.datetime) else value)
                for key, value in view(p).items()
                if value is not None
            }
            for p in chunk
        ]
    }
    if token:
        out["NextToken"] = token
    return out


class Region:
    """AWS Backup state of one account in one region."""

    def __init__(self, account: str, region: str) -> None:
        self.account = account
        self.region = region
        self.selections: dict[str, dict[str, dict]] = {}
        self.jobs: dict[str, dict] = {}
        self.points: dict[str, dict] = {}
        self.protected: dict[str, dict] = {}
        self.opt_in = {t: True for t in RESOURCE_TYPES}
        self.management = {"DynamoDB": True, "EFS": True}
        self.idempotency: dict[str, tuple[dt.datetime, str]] = {}
        self.vault_policies: dict[str, str] = {}
        self.restores: dict[str, dict] = {}
        self.copies: dict[str, dict] = {}
        self.testing_plans: dict[str, dict] = {}
        self.testing_selections: dict[str, dict[str, dict]] = {}

    def moto(self) -> Any:
        return backup_backends[self.account][self.region]

    def live_plan(self, plan_id: str) -> Any:
        plan = self.moto().plans.get(plan_id)
        if plan is None or plan.deletion_date is not None:
            raise not_found(f"Backup plan {plan_id} not found")
        return plan

    def vault_arn(self, name: str) -> str:
        return f"arn:aws:backup:{self.region}:{self.account}:backup-vault:{name}"

    def live_vault(self, name: str) -> Any:
        vault = self.moto().vaults.get(name)
        if vault is None:
            raise not_found(f"Backup vault {name} not found")
        return vault

    def recount(self, vault_name: str) -> None:
        vault = self.moto().vaults.get(vault_name)
        if vault is not None:
            vault.num_of_recovery_points = sum(
                1 for p in self.points.values()
                if p["BackupVaultName"] == vault_name and p["Status"] in GOOD_POINT_STATES | {"PARTIAL"}
            )

    def refresh_protected(self, resource_arn: str) -> None:
        good = [
            p for p in self.points.values()
            if p["ResourceArn"] == resource_arn and p["Status"] in GOOD_POINT_STATES
        ]
        if not good:
            return  # a resource once protected stays listed, with its last backup time
        newest = max(good, key=lambda p: p["CreationDate"])
        self.protected[resource_arn] = {
            "ResourceArn": resource_arn,
            "ResourceType": newest["ResourceType"],
            "ResourceName": resource_name_of(resource_arn),
            "LastBackupTime": newest["CreationDate"],
            "LastBackupVaultArn": self.vault_arn(newest["BackupVaultName"]),
            "LastRecoveryPointArn": newest["RecoveryPointArn"],
        }


class BackupService:
    """Routes AWS Backup requests that moto cannot answer; ``None`` hands one to moto."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.regions: dict[tuple[str, str], Region] = {}
        self.job_index: dict[str, tuple[str, str]] = {}
        plan = r"/backup/plans/(?P<plan>[^/]+)"
        self.routes: list[tuple[str, re.Pattern, Callable]] = [
            ("PUT", re.compile(plan + r"/selections/?$"), self.create_selection),
            ("GET", re.compile(plan + r"/selections/?$"), self.list_selections),
            ("GET", re.compile(plan + r"/selections/(?P<selection>[^/]+)/?$"), self.get_selection),
            ("DELETE", re.compile(plan + r"/selections/(?P<selection>[^/]+)/?$"), self.delete_selection),
            ("DELETE", re.compile(plan + r"/?$"), self.delete_plan_guard),
            ("POST", re.compile(plan + r"/?$"), self.update_plan),
            ("PUT", re.compile(r"/backup-jobs/?$"), self.start_backup_job),
            ("GET", re.compile(r"/backup-jobs/?$"), self.list_backup_jobs),
            ("GET", re.compile(r"/backup-jobs/(?P<job>[^/]+)$"), self.describe_backup_job),
            ("GET", re.compile(r"/resources/?$"), self.list_protected_resources),
            ("GET", re.compile(r"/resources/(?P<arn>.+)/recovery-points/?$"), self.list_points_by_resource),
            ("GET", re.compile(r"/resources/(?P<arn>arn:.+)$"), self.describe_protected_resource),
            ("GET", re.compile(r"/backup-vaults/(?P<vault>[^/]+)/recovery-points/?$"), self.list_points_by_vault),
            ("GET", re.compile(r"/backup-vaults/(?P<vault>[^/]+)/recovery-points/(?P<point>.+)$"), self.describe_recovery_point),
            ("DELETE", re.compile(r"/backup-vaults/(?P<vault>[^/]+)/recovery-points/(?P<point>.+)$"), self.delete_recovery_point),
            ("PUT", re.compile(r"/backup-vaults/(?P<vault>[^/]+)/access-policy/?$"), self.put_vault_policy),
            ("GET", re.compile(r"/backup-vaults/(?P<vault>[^/]+)/access-policy/?$"), self.get_vault_policy),
            ("DELETE", re.compile(r"/backup-vaults/(?P<vault>[^/]+)/access-policy/?$"), self.delete_vault_policy),
            ("PUT", re.compile(r"/logically-air-gapped-backup-vaults/(?P<vault>[^/]+)/?$"), self.create_air_gapped_vault),
            ("PUT", re.compile(r"/copy-jobs/?$"), self.start_copy_job),
            ("GET", re.compile(r"/copy-jobs/?$"), self.list_copy_jobs),
            ("GET", re.compile(r"/copy-jobs/(?P<job>[^/]+)$"), self.describe_copy_job),
            ("PUT", re.compile(r"/restore-jobs/?$"), self.start_restore_job),
            ("GET", re.compile(r"/restore-jobs/?$"), self.list_restore_jobs),
            ("GET", re.compile(r"/restore-jobs/(?P<job>[^/]+)$"), self.describe_restore_job),
            ("PUT", re.compile(r"/restore-jobs/(?P<job>[^/]+)/validations/?$"), self.put_validation_result),
            ("PUT", re.compile(r"/restore-testing/plans/?$"), self.create_testing_plan),
            ("GET", re.compile(r"/restore-testing/plans/?$"), self.list_testing_plans),
            ("GET", re.compile(r"/restore-testing/plans/(?P<plan>[^/]+)/?$"), self.get_testing_plan),
            ("PUT", re.compile(r"/restore-testing/plans/(?P<plan>[^/]+)/?$"), self.update_testing_plan),
            ("DELETE", re.compile(r"/restore-testing/plans/(?P<plan>[^/]+)/?$"), self.delete_testing_plan),
            ("PUT", re.compile(r"/restore-testing/plans/(?P<plan>[^/]+)/selections/?$"), self.create_testing_selection),
            ("GET", re.compile(r"/restore-testing/plans/(?P<plan>[^/]+)/selections/?$"), self.list_testing_selections),
            ("GET", re.compile(r"/restore-testing/plans/(?P<plan>[^/]+)/selections/(?P<selection>[^/]+)/?$"), self.get_testing_selection),
            ("PUT", re.compile(r"/restore-testing/plans/(?P<plan>[^/]+)/selections/(?P<selection>[^/]+)/?$"), self.update_testing_selection),
            ("DELETE", re.compile(r"/restore-testing/plans/(?P<plan>[^/]+)/selections/(?P<selection>[^/]+)/?$"), self.delete_testing_selection),
            ("GET", re.compile(r"/account-settings/?$"), self.describe_region_settings),
            ("PUT", re.compile(r"/account-settings/?$"), self.update_region_settings),
        ]

    OPERATION_NAMES = {
        "create_selection": "CreateBackupSelection",
        "list_selections": "ListBackupSelections",
        "get_selection": "GetBackupSelection",
        "delete_selection": "DeleteBackupSelection",
        "delete_plan_guard": "DeleteBackupPlan",
        "update_plan": "UpdateBackupPlan",
        "start_backup_job": "StartBackupJob",
        "list_backup_jobs": "ListBackupJobs",
        "describe_backup_job": "DescribeBackupJob",
        "list_protected_resources": "ListProtectedResources",
        "list_points_by_resource": "ListRecoveryPointsByResource",
        "list_points_by_vault": "ListRecoveryPointsByBackupVault",
        "describe_protected_resource": "DescribeProtectedResource",
        "describe_recovery_point": "DescribeRecoveryPoint",
        "delete_recovery_point": "DeleteRecoveryPoint",
        "describe_region_settings": "DescribeRegionSettings",
        "update_region_settings": "UpdateRegionSettings",
        "put_vault_policy": "PutBackupVaultAccessPolicy",
        "get_vault_policy": "GetBackupVaultAccessPolicy",
        "delete_vault_policy": "DeleteBackupVaultAccessPolicy",
        "create_air_gapped_vault": "CreateLogicallyAirGappedBackupVault",
        "start_copy_job": "StartCopyJob",
        "list_copy_jobs": "ListCopyJobs",
        "describe_copy_job": "DescribeCopyJob",
        "start_restore_job": "StartRestoreJob",
        "list_restore_jobs": "ListRestoreJobs",
        "describe_restore_job": "DescribeRestoreJob",
        "put_validation_result": "PutRestoreValidationResult",
        "create_testing_plan": "CreateRestoreTestingPlan",
        "list_testing_plans": "ListRestoreTestingPlans",
        "get_testing_plan": "GetRestoreTestingPlan",
        "update_testing_plan": "UpdateRestoreTestingPlan",
        "delete_testing_plan": "DeleteRestoreTestingPlan",
        "create_testing_selection": "CreateRestoreTestingSelection",
        "list_testing_selections": "ListRestoreTestingSelections",
        "get_testing_selection": "GetRestoreTestingSelection",
        "update_testing_selection": "UpdateRestoreTestingSelection",
        "delete_testing_selection": "DeleteRestoreTestingSelection",
    }

    def region(self, account: str, region: str) -> Region:
        key = (account, region)
        if key not in self.regions:
            self.regions[key] = Region(account, region)
        return self.regions[key]

    def match(self, method: str, path: str) -> tuple[str, Callable, dict] | None:
        """The operation name, handler and path parameters for a request, if served here."""
        for verb, pattern, handler in self.routes:
            found = pattern.match(path) if verb == method else None
            if found:
                return self.OPERATION_NAMES[handler.__name__], handler, found.groupdict()
        return None

    def handle(self, handler: Callable, params: dict, query: dict, body: dict, account: str, region: str) -> dict | None:
        with self.lock:
            return handler(self.region(account, region), params, query, body)

    # --- selections -----------------------------------------------------------------

    def create_selection(self, r: Region, params: dict, query: dict, body: dict) -> dict:
        plan = r.live_plan(params["plan"])
        selection = body.get("BackupSelection")
        if not isinstance(selection, dict):
            raise missing("BackupSelection")
        for name in ("SelectionName", "IamRoleArn"):
            if not selection.get(name):
                raise missing(f"BackupSelection.{name}")
        if not re.fullmatch(r"[a-zA-Z0-9\-_.]{1,50}", selection["SelectionName"]):
            raise invalid("SelectionName must be 1-50 characters of letters, digits, - _ .")
        existing = r.selections.setdefault(plan.backup_plan_id, {})
        if any(s["BackupSelection"]["SelectionName"] == selection["SelectionName"] for s in existing.values()):
            raise ApiError(400, "AlreadyExistsException", "a selection with this name already exists in the plan")
        for key in ("Resources", "NotResources"):
            values = selection.get(key) or []
            if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
                raise invalid(f"{key} must be a list of ARNs")
        for tag in selection.get("ListOfTags") or []:
            if tag.get("ConditionType") != "STRINGEQUALS" or "ConditionKey" not in tag:
                raise invalid("ListOfTags entries need ConditionType STRINGEQUALS and a ConditionKey")
        conditions = selection.get("Conditions") or {}
        for operator in conditions:
            if operator not in {"StringEquals", "StringNotEquals", "StringLike", "StringNotLike"}:
                raise invalid(f"Conditions: unknown operator {operator}")
        selection_id = str(uuid.uuid4())
        created = now()
        existing[selection_id] = {
            "SelectionId": selection_id,
            "BackupPlanId": plan.backup_plan_id,
            "CreationDate": created,
            "CreatorRequestId": body.get("CreatorRequestId"),
            "BackupSelection": selection,
        }
        return {"SelectionId": selection_id, "BackupPlanId": plan.backup_plan_id, "CreationDate": epoch(created)}

    def list_selections(self, r: Region, params: dict, query: dict, body: dict) -> dict:
        plan = r.live_plan(params["plan"])
        items = list(r.selections.get(plan.backup_plan_id, {}).values())
        chunk, token = page(items, query)
        out: dict = {
            "BackupSelectionsList": [
                {
                    "SelectionId": s["SelectionId"],
                    "SelectionName": s["BackupSelection"]["SelectionName"],
                    "BackupPlanId": s["BackupPlanId"],
                    "CreationDate": epoch(s["CreationDate"]),
                    "CreatorRequestId": s["CreatorRequestId"],
                    "IamRoleArn": s["BackupSelection"]["IamRoleArn"],
                }
                for s in chunk
            ]
        }
        if token:
            out["NextToken"] = token
        return out

    def find_selection(self, r: Region, params: dict) -> dict:
        plan = r.live_plan(params["plan"])
        found = r.selections.get(plan.backup_plan_id, {}).get(params["selection"])
        if found is None:
            raise not_found(f"Backup selection {params['selection']} not found in plan {plan.backup_plan_id}")
        return found

    def get_selection(self, r: Region, params: dict, query: dict, body: dict) -> dict:
        s = self.find_selection(r, params)
        return {
            "BackupSelection": s["BackupSelection"],
            "SelectionId": s["SelectionId"],
            "BackupPlanId": s["BackupPlanId"],
            "CreationDate": epoch(s["CreationDate"]),
            "CreatorRequestId": s["CreatorRequestId"],
        }

    def delete_selection(self, r: Region, params: dict, query: dict, body: dict) -> dict:
        s = self.find_selection(r, params)
        del r.selections[s["BackupPlanId"]][s["SelectionId"]]
        return {}

    def update_plan(self, r: Region, params: dict, query: dict, body: dict) -> dict:
        """UpdateBackupPlan: a new version of the plan's document (its name stays; every rule
        gets moto's defaults and a new id, as CreateBackupPlan gives them)."""
        plan = r.live_plan(params["plan"])
        document = body.get("BackupPlan")
        if not isinstance(document, dict):
            raise missing("BackupPlan")
        rules = document.get("Rules")
        if not isinstance(rules, list) or not rules:
            raise missing("BackupPlan.Rules")
        for rule in rules:
            if not isinstance(rule, dict) or not rule.get("RuleName") or not rule.get("TargetBackupVaultName"):
                raise invalid("every rule needs a RuleName and a TargetBackupVaultName")
            rule.setdefault("ScheduleExpression", "cron(0 5 ? * * *)")
            rule.setdefault("StartWindowMinutes", 480)
            rule.setdefault("CompletionWindowMinutes", 10080)
            rule.setdefault("ScheduleExpressionTimezone", "Etc/UTC")
            rule["RuleId"] = str(uuid.uuid4())
        plan.backup_plan = dict(document, BackupPlanName=plan.backup_plan["BackupPlanName"])
        plan.version_id = uuid.uuid4().hex + uuid.uuid4().hex[:16]
        return {"BackupPlanId": plan.backup_plan_id, "BackupPlanArn": plan.backup_plan_arn,
                "CreationDate": plan.creation_date, "VersionId": plan.version_id}

    def delete_plan_guard(self, r: Region, params: dict, query: dict, body: dict) -> dict | None:
        if r.selections.get(params["plan"]):
            raise ApiError(400, "InvalidRequestException",
                           "a backup plan can be deleted only after its selections are deleted")
        return None  # moto deletes the plan itself

    # --- jobs and recovery points ---------------------------------------------------

    def start_backup_job(self, r: Region, params: dict, query: dict, body: dict) -> dict:
        for name in ("BackupVaultName", "ResourceArn", "IamRoleArn"):
            if not body.get(name):
                raise missing(name)
        vault = body["BackupVaultName"]
        if vault not in r.moto().vaults:
            raise not_found(f"Backup vault {vault} not found")
        token = body.get("IdempotencyToken")
        created = now()
        if token and token in r.idempotency:
            when, job_id = r.idempotency[token]
            if created - when < DAY:
                job = r.jobs[job_id]
                return {"BackupJobId": job_id, "RecoveryPointArn": job["RecoveryPointArn"],
                        "CreationDate": epoch(job["CreationDate"]), "IsParent": False}
        start_window = int(body.get("StartWindowMinutes") or 480)
        complete_window = int(body.get("CompleteWindowMinutes") or 10080)
        if start_window < 60:
            raise invalid("StartWindowMinutes must be at least 60")
        job_id = str(uuid.uuid4()).upper()
        point_arn = f"arn:aws:backup:{r.region}:{r.account}:recovery-point:{uuid.uuid4()}"
        resource = body["ResourceArn"]
        job = {
            "AccountId": r.account,
            "BackupJobId": job_id,
            "BackupVaultName": vault,
            "BackupVaultArn": r.vault_arn(vault),
            "RecoveryPointArn": point_arn,
            "ResourceArn": resource,
            "ResourceType": resource_type_of(resource),
            "ResourceName": resource_name_of(resource),
            "CreationDate": created,
            "InitiationDate": created,
            "CompletionDate": None,
            "State": "CREATED",
            "StatusMessage": None,
            "MessageCategory": None,
            "PercentDone": "0.0",
            "IamRoleArn": body["IamRoleArn"],
            "CreatedBy": {},
            "StartBy": created + dt.timedelta(minutes=start_window),
            "ExpectedCompletionDate": created + dt.timedelta(minutes=complete_window),
            "BackupType": "",
            "IsParent": False,
        }
        r.jobs[job_id] = job
        self.job_index[job_id] = (r.account, r.region)
        r.points[point_arn] = {
            "RecoveryPointArn": point_arn,
            "ResourceArn": resource,
            "ResourceType": job["ResourceType"],
            "CreationDate": created,
            "Status": "CREATING",
            "StatusMessage": None,
            "BackupVaultName": vault,
            "BackupSizeBytes": 0,
            "CreatedByBackup": True,
        }
        if token:
            r.idempotency[token] = (created, job_id)
        return {"BackupJobId": job_id, "RecoveryPointArn": point_arn,
                "CreationDate": epoch(created), "IsParent": False}

    @staticmethod
    def job_view(job: dict) -> dict:
        out = {}
        for key, value in job.items():
            if value is None:
                continue
            out[key] = epoch(value) if isinstance(value, dt.datetime) else value
        return out

    def describe_backup_job(self, r: Region, params: dict, query: dict, body: dict) -> dict:
        job = r.jobs.get(params["job"])
        if job is None:
            raise not_found(f"Backup job {params['job']} not found")
        return self.job_view(job)

    def list_backup_jobs(self, r: Region, params: dict, query: dict, body: dict) -> dict:
        horizon = now() - 30 * DAY
        jobs = [j for j in r.jobs.values() if j["CreationDate"] >= horizon]
        filters: list[Callable[[dict], bool]] = []
        if "resourceArn" in query:
            filters.append(lambda j: j["ResourceArn"] == query["resourceArn"])
        if "state" in query:
            if query["state"] not in JOB_STATES:
                raise invalid(f"state: {query['state']!r} is not a backup job state")
            filters.append(lambda j: j["State"] == query["state"])
        if "backupVaultName" in query:
            filters.append(lambda j: j["BackupVaultName"] == query["backupVaultName"])
        if "resourceType" in query:
            filters.append(lambda j: j["ResourceType"] == query["resourceType"])
        if "accountId" in query and query["accountId"] != "*":
            filters.append(lambda j: j["AccountId"] == query["accountId"])
        if "parentJobId" in query:
            filters.append(lambda j: False)
        if "messageCategory" in query and query["messageCategory"] not in ("ANY", "*"):
            category = query["messageCategory"]
            filters.append(lambda j: (j["MessageCategory"] or "") == category)
        filters.extend(date_filters(query))
        matching = [j for j in jobs if all(f(j) for f in filters)]
        matching.sort(key=lambda j: j["CreationDate"])
        chunk, token = page(matching, query)
        out: dict = {"BackupJobs": [self.job_view(j) for j in chunk]}
        if token:
            out["NextToken"] = token
        return out

    def list_points_by_resource(self, r: Region, params: dict, query: dict, body: dict) -> dict:
        arn = params["arn"]
        points = [p for p in r.points.values() if p["ResourceArn"] == arn]
        if query.get("managedByAWSBackupOnly", "false").lower() == "true":
            points = [p for p in points if p["CreatedByBackup"]]
        points.sort(key=lambda p: p["CreationDate"])
        return points_page(
            points,
            query,
            lambda p: {
                "RecoveryPointArn": p["RecoveryPointArn"],
                "CreationDate": p["CreationDate"],
                "Status": p["Status"],
                "StatusMessage": p["StatusMessage"],
                "BackupSizeBytes": p["BackupSizeBytes"],
                "BackupVaultName": p["BackupVaultName"],
                "ResourceName": resource_name_of(arn),
                "IsParent": False,
                "VaultType": "BACKUP_VAULT",
            },
        )

    def list_points_by_vault(self, r: Region, params: dict, query: dict, body: dict) -> dict:
        """The vault's recovery points, oldest first, filtered by `byResourceArn` and
        `byResourceType` as the API documents; an unknown vault is ResourceNotFound."""
        vault = params["vault"]
        if vault not in r.moto().vaults:
            raise not_found(f"Backup vault {vault} not found")
        points = [p for p in r.points.values() if p["BackupVaultName"] == vault]
        if "byResourceArn" in query:
            points = [p for p in points if p["ResourceArn"] == query["byResourceArn"]]
        if "byResourceType" in query:
            points = [p for p in points if p["ResourceType"] == query["byResourceType"]]
        points.sort(key=lambda p: p["CreationDate"])
        return points_page(points, query, lambda p: self.point_view(r, p))

    @staticmethod
    def point_view(r: Region, p: dict) -> dict:
        """A recovery point as the vault-side operations show it (Describe, ListByVault)."""
        return {
            "RecoveryPointArn": p["RecoveryPointArn"],
            "BackupVaultName": p["BackupVaultName"],
            "BackupVaultArn": r.vault_arn(p["BackupVaultName"]),
            "ResourceArn": p["ResourceArn"],
            "ResourceType": p["ResourceType"],
            "CreationDate": p["CreationDate"],
            "Status": p["Status"],
            "StatusMessage": p["StatusMessage"],
            "BackupSizeInBytes": p["BackupSizeBytes"],
        }

    def find_point(self, r: Region, params: dict) -> dict:
        point = r.points.get(params["point"])
        if point is None or point["BackupVaultName"] != params["vault"]:
            raise not_found(f"Recovery point {params['point']} not found in vault {params['vault']}")
        return point

    def describe_recovery_point(self, r: Region, params: dict, query: dict, body: dict) -> dict:
        p = self.find_point(r, params)
        view = {**self.point_view(r, p), "IsEncrypted": False, "VaultType": "BACKUP_VAULT"}
        return {k: (epoch(v) if isinstance(v, dt.datetime) else v) for k, v in view.items() if v is not None}

    def delete_recovery_point(self, r: Region, params: dict, query: dict, body: dict) -> dict:
        point = self.find_point(r, params)
        del r.points[point["RecoveryPointArn"]]
        r.refresh_protected(point["ResourceArn"])
        r.recount(point["BackupVaultName"])
        return {}

    @staticmethod
    def protected_view(p: dict) -> dict:
        return {k: (epoch(v) if isinstance(v, dt.datetime) else v) for k, v in p.items()}

    def list_protected_resources(self, r: Region, params: dict, query: dict, body: dict) -> dict:
        items = sorted(r.protected.values(), key=lambda p: p["LastBackupTime"])
        chunk, token = page(items, query)
        out: dict = {"Results": [self.protected_view(p) for p in chunk]}
        if token:
            out["NextToken"] = token
        return out

    def describe_protected_resource(self, r: Region, params: dict, query: dict, body: dict) -> dict:
        found = r.protected.get(params["arn"])
        if found is None:
            raise not_found(f"{params['arn']} has no recovery point")
        return self.protected_view(found)

    # --- vault access policies --------------------------------------------------------

    def put_vault_policy(self, r: Region, params: dict, query: dict, body: dict) -> dict:
        r.live_vault(params["vault"])
        policy = body.get("Policy")
        if not isinstance(policy, str) or not policy:
            raise missing("Policy")
        try:
            json.loads(policy)
        except ValueError:
            raise invalid("Policy is not a JSON policy document") from None
        r.vault_policies[params["vault"]] = policy
        return {}

    def get_vault_policy(self, r: Region, params: dict, query: dict, body: dict) -> dict:
        r.live_vault(params["vault"])
        policy = r.vault_policies.get(params["vault"])
        if policy is None:
            raise not_found(f"Backup vault {params['vault']} has no access policy")
        return {"BackupVaultName": params["vault"], "BackupVaultArn": r.vault_arn(params["vault"]),
                "Policy": policy}

    def delete_vault_policy(self, r: Region, params: dict, query: dict, body: dict) -> dict:
        r.live_vault(params["vault"])
        r.vault_policies.pop(params["vault"], None)
        return {}

    # --- restore jobs ---------------------------------------------------------------

    def start_restore_job(self, r: Region, params: dict, query: dict, body: dict) -> dict:
        for name in ("RecoveryPointArn", "Metadata"):
            if not body.get(name):
                raise missing(name)
        point = r.points.get(body["RecoveryPointArn"])
        if point is None or point["Status"] not in GOOD_POINT_STATES | {"PARTIAL"}:
            raise not_found(f"Recovery point {body['RecoveryPointArn']} not found")
        if not isinstance(body["Metadata"], dict):
            raise invalid("Metadata must be a map of strings")
        resource_type = body.get("ResourceType") or point["ResourceType"]
        if resource_type not in RESOURCE_TYPES:
            raise invalid(f"ResourceType: {resource_type!r} is not a resource type AWS Backup supports")
        job_id = str(uuid.uuid4()).upper()
        r.restores[job_id] = {
            "AccountId": r.account,
            "RestoreJobId": job_id,
            "RecoveryPointArn": point["RecoveryPointArn"],
            "RecoveryPointCreationDate": point["CreationDate"],
            "CreationDate": now(),
            "CompletionDate": None,
            "Status": "PENDING",
            "StatusMessage": None,
            "PercentDone": "0.0",
            "BackupSizeInBytes": point["BackupSizeBytes"],
            "IamRoleArn": body.get("IamRoleArn"),
            "CreatedResourceArn": None,
            "ResourceType": resource_type,
            "CreatedBy": {},
            "SourceResourceArn": point["ResourceArn"],
            "BackupVaultArn": r.vault_arn(point["BackupVaultName"]),
        }
        self.job_index[job_id] = (r.account, r.region)
        return {"RestoreJobId": job_id}

    def put_validation_result(self, r: Region, params: dict, query: dict, body: dict) -> dict:
        job = r.restores.get(params["job"])
        if job is None:
            raise not_found(f"Restore job {params['job']} not found")
        status = body.get("ValidationStatus")
        if not status:
            raise missing("ValidationStatus")
        if status not in VALIDATION_STATES:
            raise invalid(f"ValidationStatus: {status!r} is not a validation status")
        if not job["CreatedBy"].get("RestoreTestingPlanArn"):
            raise ApiError(400, "InvalidRequestException",
                           "validation results are accepted only for restore jobs of a restore testing plan")
        if job["Status"] != "COMPLETED":
            raise ApiError(400, "InvalidRequestException",
                           f"restore job {job['RestoreJobId']} is {job['Status']}, not COMPLETED")
        job["ValidationStatus"] = status
        job["ValidationStatusMessage"] = body.get("ValidationStatusMessage")
        return {}

    def describe_restore_job(self, r: Region, params: dict, query: dict, body: dict) -> dict:
        job = r.restores.get(params["job"])
        if job is None:
            raise not_found(f"Restore job {params['job']} not found")
        return self.job_view(job)

    def list_restore_jobs(self, r: Region, params: dict, query: dict, body: dict) -> dict:
        filters: list[Callable[[dict], bool]] = []
        if "status" in query:
            if query["status"] not in RESTORE_STATES:
                raise invalid(f"status: {query['status']!r} is not a restore job status")
            filters.append(lambda j: j["Status"] == query["status"])
        if "resourceType" in query:
            filters.append(lambda j: j["ResourceType"] == query["resourceType"])
        if "accountId" in query and query["accountId"] != "*":
            filters.append(lambda j: j["AccountId"] == query["accountId"])
        if "restoreTestingPlanArn" in query:
            plan = query["restoreTestingPlanArn"]
            filters.append(lambda j: j["CreatedBy"].get("RestoreTestingPlanArn") == plan)
        filters.extend(date_filters(query))
        matching = [j for j in r.restores.values() if all(f(j) for f in filters)]
        matching.sort(key=lambda j: j["CreationDate"])
        chunk, token = page(matching, query)
        out: dict = {"RestoreJobs": [self.job_view(j) for j in chunk]}
        if token:
            out["NextToken"] = token
        return out

    def create_air_gapped_vault(self, r: Region, params: dict, query: dict, body: dict) -> dict:
        """CreateLogicallyAirGappedBackupVault: a vault (moto's, so the vault operations see it)
        whose DescribeBackupVault says ``VaultType`` LOGICALLY_AIR_GAPPED_BACKUP_VAULT, locked
        in compliance mode with the retention bounds given."""
        for name in ("MinRetentionDays", "MaxRetentionDays"):
            if not isinstance(body.get(name), int):
                raise missing(name)
        name = params["vault"]
        vault = r.moto().create_backup_vault(name, body.get("BackupVaultTags") or {}, None,
                                             body.get("CreatorRequestId") or "")
        vault.vault_type = "LOGICALLY_AIR_GAPPED_BACKUP_VAULT"
        vault.vault_state = "AVAILABLE"
        vault.locked = True
        vault.min_retention_days = body["MinRetentionDays"]
        vault.max_retention_days = body["MaxRetentionDays"]
        return {"BackupVaultName": name, "BackupVaultArn": vault.backup_vault_arn,
                "CreationDate": vault.creation_date, "VaultState": "AVAILABLE"}

    # --- copy jobs ----------------------------------------------------------------------

    def start_copy_job(self, r: Region, params: dict, query: dict, body: dict) -> dict:
        for name in ("RecoveryPointArn", "SourceBackupVaultName", "DestinationBackupVaultArn", "IamRoleArn"):
            if not body.get(name):
                raise missing(name)
        r.live_vault(body["SourceBackupVaultName"])
        point = r.points.get(body["RecoveryPointArn"])
        if point is None or point["BackupVaultName"] != body["SourceBackupVaultName"]:
            raise not_found(f"Recovery point {body['RecoveryPointArn']} not found")
        if point["Status"] not in GOOD_POINT_STATES:
            raise ApiError(400, "InvalidRequestException", "only a completed recovery point can be copied")
        destination = body["DestinationBackupVaultArn"]
        found = re.fullmatch(r"arn:aws[a-z-]*:backup:([a-z0-9-]+):(\d{12}):backup-vault:([^:/]+)", destination)
        if not found:
            raise invalid(f"DestinationBackupVaultArn: {destination!r} is not a backup vault ARN")
        created = now()
        job_id = str(uuid.uuid4()).upper()
        r.copies[job_id] = {
            "AccountId": r.account,
            "CopyJobId": job_id,
            "SourceBackupVaultArn": r.vault_arn(point["BackupVaultName"]),
            "SourceRecoveryPointArn": point["RecoveryPointArn"],
            "DestinationBackupVaultArn": destination,
            "DestinationRecoveryPointArn": None,
            "ResourceArn": point["ResourceArn"],
            "ResourceType": point["ResourceType"],
            "ResourceName": resource_name_of(point["ResourceArn"]),
            "CreationDate": created,
            "CompletionDate": None,
            "State": "CREATED",
            "StatusMessage": None,
            "BackupSizeInBytes": point["BackupSizeBytes"],
            "IamRoleArn": body["IamRoleArn"],
            "CreatedBy": dict(body.get("CreatedBy") or {}),
            "IsParent": False,
        }
        self.job_index[job_id] = (r.account, r.region)
        return {"CopyJobId": job_id, "CreationDate": epoch(created), "IsParent": False}

    def describe_copy_job(self, r: Region, params: dict, query: dict, body: dict) -> dict:
        job = r.copies.get(params["job"])
        if job is None:
            raise not_found(f"Copy job {params['job']} not found")
        return {"CopyJob": self.job_view(job)}

    def list_copy_jobs(self, r: Region, params: dict, query: dict, body: dict) -> dict:
        horizon = now() - 30 * DAY
        jobs = [j for j in r.copies.values() if j["CreationDate"] >= horizon]
        filters: list[Callable[[dict], bool]] = []
        if "resourceArn" in query:
            filters.append(lambda j: j["ResourceArn"] == query["resourceArn"])
        if "state" in query:
            if query["state"] not in COPY_STATES:
                raise invalid(f"state: {query['state']!r} is not a copy job state")
            filters.append(lambda j: j["State"] == query["state"])
        if "resourceType" in query:
            filters.append(lambda j: j["ResourceType"] == query["resourceType"])
        if "destinationVaultArn" in query:
            filters.append(lambda j: j["DestinationBackupVaultArn"] == query["destinationVaultArn"])
        if "accountId" in query and query["accountId"] != "*":
            filters.append(lambda j: j["AccountId"] == query["accountId"])
        filters.extend(date_filters(query))
        matching = [j for j in jobs if all(f(j) for f in filters)]
        matching.sort(key=lambda j: j["CreationDate"])
        chunk, token = page(matching, query)
        out: dict = {"CopyJobs": [self.job_view(j) for j in chunk]}
        if token:
            out["NextToken"] = token
        return out

    # --- restore testing plans and selections ------------------------------------------

    def testing_plan_arn(self, r: Region, name: str) -> str:
        return f"arn:aws:backup:{r.region}:{r.account}:restore-testing-plan:{name}"

    def live_testing_plan(self, r: Region, name: str) -> dict:
        plan = r.testing_plans.get(name)
        if plan is None:
            raise not_found(f"Restore testing plan {name} not found")
        return plan

    @staticmethod
    def checked_plan_fields(plan: dict, partial: bool) -> None:
        if not partial:
            for name in ("RestoreTestingPlanName", "ScheduleExpression", "RecoveryPointSelection"):
                if not plan.get(name):
                    raise missing(f"RestoreTestingPlan.{name}")
        selection = plan.get("RecoveryPointSelection")
        if selection is not None:
            if not isinstance(selection, dict):
                raise invalid("RecoveryPointSelection must be an object")
            if not partial:
                for name in ("Algorithm", "IncludeVaults", "RecoveryPointTypes"):
                    if not selection.get(name):
                        raise missing(f"RecoveryPointSelection.{name}")
            if "Algorithm" in selection and selection["Algorithm"] not in ALGORITHMS:
                raise invalid(f"Algorithm: {selection['Algorithm']!r} is not LATEST_WITHIN_WINDOW or RANDOM_WITHIN_WINDOW")
            days = selection.get("SelectionWindowDays", 30)
            if not isinstance(days, int) or not 1 <= days <= 365:
                raise invalid("SelectionWindowDays must be from 1 to 365")

    def create_testing_plan(self, r: Region, params: dict, query: dict, body: dict) -> dict:
        plan = body.get("RestoreTestingPlan")
        if not isinstance(plan, dict):
            raise missing("RestoreTestingPlan")
        self.checked_plan_fields(plan, partial=False)
        name = plan["RestoreTestingPlanName"]
        if not re.fullmatch(r"[A-Za-z0-9_]{1,50}", name):
            raise invalid("RestoreTestingPlanName: letters, digits and underscores, at most 50")
        if name in r.testing_plans:
            raise ApiError(400, "AlreadyExistsException", f"Restore testing plan {name} already exists")
        created = now()
        r.testing_plans[name] = {
            "RestoreTestingPlanName": name,
            "RestoreTestingPlanArn": self.testing_plan_arn(r, name),
            "RecoveryPointSelection": dict(plan["RecoveryPointSelection"]),
            "ScheduleExpression": plan["ScheduleExpression"],
            "ScheduleExpressionTimezone": plan.get("ScheduleExpressionTimezone", "Etc/UTC"),
            "StartWindowHours": plan.get("StartWindowHours", 24),
            "CreationTime": created,
            "CreatorRequestId": body.get("CreatorRequestId"),
            "LastExecutionTime": None,
            "LastUpdateTime": created,
        }
        r.testing_selections[name] = {}
        return {"CreationTime": epoch(created), "RestoreTestingPlanArn": self.testing_plan_arn(r, name),
                "RestoreTestingPlanName": name}

    def get_testing_plan(self, r: Region, params: dict, query: dict, body: dict) -> dict:
        return {"RestoreTestingPlan": self.job_view(self.live_testing_plan(r, params["plan"]))}

    def list_testing_plans(self, r: Region, params: dict, query: dict, body: dict) -> dict:
        listed = sorted(r.testing_plans.values(), key=lambda p: p["CreationTime"])
        chunk, token = page(listed, query)
        keep = ("CreationTime", "LastExecutionTime", "LastUpdateTime", "RestoreTestingPlanArn",
                "RestoreTestingPlanName", "ScheduleExpression", "ScheduleExpressionTimezone", "StartWindowHours")
        out: dict = {"RestoreTestingPlans": [self.job_view({k: p[k] for k in keep}) for p in chunk]}
        if token:
            out["NextToken"] = token
        return out

    def update_testing_plan(self, r: Region, params: dict, query: dict, body: dict) -> dict:
        plan = self.live_testing_plan(r, params["plan"])
        update = body.get("RestoreTestingPlan")
        if not isinstance(update, dict):
            raise missing("RestoreTestingPlan")
        self.checked_plan_fields(update, partial=True)
        for name in ("ScheduleExpression", "ScheduleExpressionTimezone", "StartWindowHours"):
            if name in update:
                plan[name] = update[name]
        if "RecoveryPointSelection" in update:
            plan["RecoveryPointSelection"].update(update["RecoveryPointSelection"])
        plan["LastUpdateTime"] = now()
        return {"CreationTime": epoch(plan["CreationTime"]), "RestoreTestingPlanArn": plan["RestoreTestingPlanArn"],
                "RestoreTestingPlanName": plan["RestoreTestingPlanName"], "UpdateTime": epoch(plan["LastUpdateTime"])}

    def delete_testing_plan(self, r: Region, params: dict, query: dict, body: dict) -> dict:
        self.live_testing_plan(r, params["plan"])
        if r.testing_selections.get(params["plan"]):
            raise ApiError(400, "InvalidRequestException",
                           "a restore testing plan can be deleted only after its selections are deleted")
        r.testing_plans.pop(params["plan"])
        r.testing_selections.pop(params["plan"], None)
        return {"RestoreTestingPlanName": params["plan"]}

    def create_testing_selection(self, r: Region, params: dict, query: dict, body: dict) -> dict:
        plan = self.live_testing_plan(r, params["plan"])
        selection = body.get("RestoreTestingSelection")
        if not isinstance(selection, dict):
            raise missing("RestoreTestingSelection")
        for name in ("IamRoleArn", "ProtectedResourceType", "RestoreTestingSelectionName"):
            if not selection.get(name):
                raise missing(f"RestoreTestingSelection.{name}")
        if selection["ProtectedResourceType"] not in RESOURCE_TYPES:
            raise invalid(f"ProtectedResourceType: {selection['ProtectedResourceType']!r} is not a resource type AWS Backup supports")
        arns = selection.get("ProtectedResourceArns")
        conditions = selection.get("ProtectedResourceConditions")
        if bool(arns) == bool(conditions):
            raise invalid("exactly one of ProtectedResourceArns and ProtectedResourceConditions is required")
        hours = selection.get("ValidationWindowHours", 0)
        if not isinstance(hours, int) or not 0 <= hours <= 168:
            raise invalid("ValidationWindowHours must be from 0 to 168")
        name = selection["RestoreTestingSelectionName"]
        selections = r.testing_selections.setdefault(plan["RestoreTestingPlanName"], {})
        if name in selections:
            raise ApiError(400, "AlreadyExistsException", f"Restore testing selection {name} already exists")
        created = now()
        selections[name] = {
            "RestoreTestingPlanName": plan["RestoreTestingPlanName"],
            "RestoreTestingSelectionName": name,
            "IamRoleArn": selection["IamRoleArn"],
            "ProtectedResourceType": selection["ProtectedResourceType"],
            "ProtectedResourceArns": list(arns or []),
            "ProtectedResourceConditions": conditions,
            "RestoreMetadataOverrides": dict(selection.get("RestoreMetadataOverrides") or {}),
            "ValidationWindowHours": hours,
            "CreationTime": created,
            "CreatorRequestId": body.get("CreatorRequestId"),
        }
        return {"CreationTime": epoch(created), "RestoreTestingPlanArn": plan["RestoreTestingPlanArn"],
                "RestoreTestingPlanName": plan["RestoreTestingPlanName"], "RestoreTestingSelectionName": name}

    def live_testing_selection(self, r: Region, params: dict) -> dict:
        self.live_testing_plan(r, params["plan"])
        selection = r.testing_selections.get(params["plan"], {}).get(params["selection"])
        if selection is None:
            raise not_found(f"Restore testing selection {params['selection']} not found")
        return selection

    def get_testing_selection(self, r: Region, params: dict, query: dict, body: dict) -> dict:
        return {"RestoreTestingSelection": self.job_view(self.live_testing_selection(r, params))}

    def list_testing_selections(self, r: Region, params: dict, query: dict, body: dict) -> dict:
        self.live_testing_plan(r, params["plan"])
        listed = sorted(r.testing_selections.get(params["plan"], {}).values(), key=lambda s: s["CreationTime"])
        chunk, token = page(listed, query)
        keep = ("CreationTime", "IamRoleArn", "ProtectedResourceType", "RestoreTestingPlanName",
                "RestoreTestingSelectionName", "ValidationWindowHours")
        out: dict = {"RestoreTestingSelections": [self.job_view({k: s[k] for k in keep}) for s in chunk]}
        if token:
            out["NextToken"] = token
        return out

    def update_testing_selection(self, r: Region, params: dict, query: dict, body: dict) -> dict:
        selection = self.live_testing_selection(r, params)
        update = body.get("RestoreTestingSelection")
        if not isinstance(update, dict):
            raise missing("RestoreTestingSelection")
        for name in ("IamRoleArn", "ProtectedResourceArns", "ProtectedResourceConditions",
                     "RestoreMetadataOverrides", "ValidationWindowHours"):
            if name in update:
                selection[name] = update[name]
        selection["UpdateTime"] = now()
        return {"CreationTime": epoch(selection["CreationTime"]),
                "RestoreTestingPlanArn": self.testing_plan_arn(r, params["plan"]),
                "RestoreTestingPlanName": params["plan"], "RestoreTestingSelectionName": params["selection"],
                "UpdateTime": epoch(selection["UpdateTime"])}

    def delete_testing_selection(self, r: Region, params: dict, query: dict, body: dict) -> dict:
        self.live_testing_selection(r, params)
        r.testing_selections[params["plan"]].pop(params["selection"])
        return {}

    # --- region settings ------------------------------------------------------------

    def describe_region_settings(self, r: Region, params: dict, query: dict, body: dict) -> dict:
        return {
            "ResourceTypeOptInPreference": dict(r.opt_in),
            "ResourceTypeManagementPreference": dict(r.management),
        }

    def update_region_settings(self, r: Region, params: dict, query: dict, body: dict) -> dict:
        for name, target in (
            ("ResourceTypeOptInPreference", r.opt_in),
            ("ResourceTypeManagementPreference", r.management),
        ):
            prefs = body.get(name) or {}
            if not isinstance(prefs, dict):
                raise invalid(f"{name} must be a map of resource type to boolean")
            for resource_type, enabled in prefs.items():
                if not isinstance(enabled, bool):
                    raise invalid(f"{name}.{resource_type} must be a boolean")
                target[resource_type] = enabled
        return {}

    # --- seeding (not part of AWS: how tests say "the last backup was 31 hours ago") ---

    def seed_job(self, job_id: str, body: dict) -> dict:
        """``POST /_phoenix/backup/jobs/<id>``: set a job's state, dates and messages. The
        job's recovery point follows: created for COMPLETED/PARTIAL, gone for FAILED,
        ABORTED and EXPIRED, CREATING otherwise."""
        with self.lock:
            located = self.job_index.get(job_id)
            if located is None:
                raise not_found(f"Backup job {job_id} not found")
            r = self.region(*located)
            job = r.jobs[job_id]
            state = body.get("State", job["State"])
            if state not in JOB_STATES:
                raise invalid(f"State: {state!r} is not a backup job state")
            job["State"] = state
            for name in ("CreationDate", "CompletionDate", "StartBy", "ExpectedCompletionDate"):
                if name in body:
                    job[name] = None if body[name] is None else parse_time(body[name], name)
            if "CreationDate" in body and body["CreationDate"] is not None:
                job["InitiationDate"] = job["CreationDate"]
            for name in ("StatusMessage", "MessageCategory", "PercentDone", "BackupSizeInBytes"):
                if name in body:
                    job[name] = body[name]
            if "CreatedBy" in body:
                job["CreatedBy"] = dict(body["CreatedBy"] or {})
            if state in ("COMPLETED", "PARTIAL", "FAILED", "ABORTED", "EXPIRED") and job["CompletionDate"] is None:
                job["CompletionDate"] = now()
            if state == "COMPLETED":
                job["PercentDone"] = "100.0"
            point_arn = job["RecoveryPointArn"]
            if state in FINAL_WITHOUT_POINT:
                r.points.pop(point_arn, None)
            else:
                point = r.points.setdefault(point_arn, {
                    "RecoveryPointArn": point_arn,
                    "ResourceArn": job["ResourceArn"],
                    "ResourceType": job["ResourceType"],
                    "BackupVaultName": job["BackupVaultName"],
                    "BackupSizeBytes": 0,
                    "StatusMessage": None,
                    "CreatedByBackup": True,
                })
                point["CreationDate"] = job["CreationDate"]
                if "BackupSizeInBytes" in body:
                    point["BackupSizeBytes"] = int(body["BackupSizeInBytes"])
                point["Status"] = state if state in ("COMPLETED", "PARTIAL") else "CREATING"
                point["StatusMessage"] = job["StatusMessage"] if state == "PARTIAL" else None
            r.refresh_protected(job["ResourceArn"])
            r.recount(job["BackupVaultName"])
            return self.job_view(job)

    def run_testing_plan(self, account: str, region: str, name: str) -> dict:
        """``POST /_phoenix/backup/restore-testing/plans/<name>/run``: what the plan's schedule
        does when it fires. Each selection's resources (by ``ProtectedResourceArns``, ``*``
        for every protected resource of its type; conditions select every one of the type)
        get a restore job of their newest good recovery point within the selection window, in
        the included vaults, created by the plan (``CreatedBy.RestoreTestingPlanArn``)."""
        with self.lock:
            r = self.region(account, region)
            plan = self.live_testing_plan(r, name)
            choice = plan["RecoveryPointSelection"]
            since = now() - dt.timedelta(days=int(choice.get("SelectionWindowDays", 30)))
            vaults = choice.get("IncludeVaults") or ["*"]
            excluded = set(choice.get("ExcludeVaults") or [])
            started = []
            for selection in r.testing_selections.get(name, {}).values():
                wanted = selection["ProtectedResourceArns"]
                for resource in sorted(r.protected):
                    if r.protected[resource]["ResourceType"] != selection["ProtectedResourceType"]:
                        continue
                    if wanted and "*" not in wanted and resource not in wanted:
                        continue
                    points = [
                        p for p in r.points.values()
                        if p["ResourceArn"] == resource and p["Status"] in GOOD_POINT_STATES
                        and p["CreationDate"] >= since
                        and ("*" in vaults or r.vault_arn(p["BackupVaultName"]) in vaults)
                        and r.vault_arn(p["BackupVaultName"]) not in excluded
                    ]
                    if not points:
                        continue
                    newest = max(points, key=lambda p: p["CreationDate"])
                    started_job = self.start_restore_job(r, {}, {}, {
                        "RecoveryPointArn": newest["RecoveryPointArn"],
                        "Metadata": dict(selection["RestoreMetadataOverrides"]) or {"restore-test": "true"},
                        "IamRoleArn": selection["IamRoleArn"],
                    })
                    job = r.restores[started_job["RestoreJobId"]]
                    job["CreatedBy"] = {"RestoreTestingPlanArn": plan["RestoreTestingPlanArn"]}
                    started.append(job["RestoreJobId"])
            plan["LastExecutionTime"] = now()
            return {"RestoreJobIds": started}

    def create_restored(self, r: Region, job: dict, body: dict) -> str | None:
        """The resource a completed restore test creates, for the types moto models: a file
        system, a table, a bucket or a DB instance, named after the source and the job. Its
        contents follow the recovery point unless the seed says otherwise
        (``RestoredSizeBytes`` for a file system or bucket, ``RestoredItemCount`` for a
        table, ``RestoredEngineVersion`` / ``RestoredAllocatedStorage`` for a database): how
        a test says "the backup held nothing"."""
        short = job["RestoreJobId"].split("-")[0].lower()
        source = job.get("SourceResourceArn") or ""
        size = int(body.get("RestoredSizeBytes", job.get("BackupSizeInBytes") or 0))
        kind = job["ResourceType"]
        if kind == "EFS":
            from moto.efs.models import efs_backends
            fs = efs_backends[r.account][r.region].create_file_system(
                creation_token=f"restore-{job['RestoreJobId']}", performance_mode="generalPurpose",
                encrypted=False, kms_key_id=None, throughput_mode="bursting",
                provisioned_throughput_in_mibps=0, availability_zone_name=None, backup=False,
                tags=[{"Key": RESTORE_TEST_TAG, "Value": job["RestoreJobId"]}])
            fs._size_value = size
            return fs.file_system_arn
        if kind == "S3":
            from moto.s3.models import s3_backends
            backend = s3_backends[r.account]["aws"]
            name = f"{resource_name_of(source)[:40]}-restore-{short}".lower()
            backend.create_bucket(name, r.region)
            backend.put_bucket_tagging(name, {RESTORE_TEST_TAG: job["RestoreJobId"]})
            if size:
                backend.put_object(name, "restored/data.bin", b"\0" * size)
            return f"arn:aws:s3:::{name}"
        if kind == "DynamoDB":
            from moto.dynamodb.models import dynamodb_backends
            backend = dynamodb_backends[r.account][r.region]
            source_table = backend.tables.get(resource_name_of(source))
            name = f"{resource_name_of(source)}-restore-{short}"
            schema = source_table.schema if source_table else [{"AttributeName": "pk", "KeyType": "HASH"}]
            attrs = source_table.attr if source_table else [{"AttributeName": "pk", "AttributeType": "S"}]
            table = backend.create_table(
                name, schema=schema, throughput=None, attr=attrs, global_indexes=None, indexes=None,
                streams=None, billing_mode="PAY_PER_REQUEST", sse_specification=None,
                tags=[{"Key": RESTORE_TEST_TAG, "Value": job["RestoreJobId"]}],
                deletion_protection_enabled=False, warm_throughput=None)
            items = [i.to_json()["Attributes"] for i in source_table.all_items()] if source_table else []
            if "RestoredItemCount" in body:
                items = items[: int(body["RestoredItemCount"])]
            for item in items:
                backend.put_item(name, item)
            return table.table_arn
        if kind == "RDS":
            from moto.rds.models import rds_backends
            backend = rds_backends[r.account][r.region]
            source_db = backend.databases.get(resource_name_of(source))
            identifier = f"{resource_name_of(source)[:40]}-restore-{short}"
            db = backend.create_db_instance({
                "db_instance_identifier": identifier,
                "engine": source_db.engine if source_db else "postgres",
                "engine_version": body.get("RestoredEngineVersion",
                                           source_db.engine_version if source_db else "16.3"),
                "allocated_storage": int(body.get("RestoredAllocatedStorage",
                                                  source_db.allocated_storage if source_db else 20)),
                "db_instance_class": source_db.db_instance_class if source_db else "db.t3.micro",
                "tags": [{"Key": RESTORE_TEST_TAG, "Value": job["RestoreJobId"]}],
            })
            return db.db_instance_arn
        return None

    def advanced(self, kind: str, label: str, job_id: str, body: dict, field: str, states: set,
                 final: set, fields: tuple) -> tuple[Region, dict]:
        """A copy or restore job (``kind`` is the region's table of them) moved to the seed's
        ``field`` (State or Status), with its dates and ``fields`` as given; a job ending in a
        ``final`` state without a completion date completes now. Returns its region and job."""
        located = self.job_index.get(job_id)
        r = self.region(*located) if located else None
        job = getattr(r, kind).get(job_id) if r else None
        if job is None:
            raise not_found(f"{label} {job_id} not found")
        value = body.get(field, job[field])
        if value not in states:
            raise invalid(f"{field}: {value!r} is not a {label.lower()} {field.lower()}")
        job[field] = value
        for name in ("CreationDate", "CompletionDate"):
            if name in body:
                job[name] = None if body[name] is None else parse_time(body[name], name)
        for name in fields:
            if name in body:
                job[name] = body[name]
        if value in final and job["CompletionDate"] is None:
            job["CompletionDate"] = now()
        return r, job

    def seed_copy_job(self, job_id: str, body: dict) -> dict:
        """``POST /_phoenix/backup/copy-jobs/<id>``: set a copy job's state, dates and
        message. A COMPLETED copy leaves a recovery point of the resource in the destination
        vault, in the destination's own account and region."""
        with self.lock:
            _, job = self.advanced("copies", "Copy job", job_id, body, "State", COPY_STATES,
                                   {"COMPLETED", "FAILED", "PARTIAL"}, ("StatusMessage",))
            if job["State"] == "COMPLETED" and job["DestinationRecoveryPointArn"] is None:
                _, _, _, region, account, rest = job["DestinationBackupVaultArn"].split(":", 5)
                vault = rest.split(":", 1)[1]
                destination = self.region(account, region)
                point_arn = f"arn:aws:backup:{region}:{account}:recovery-point:{uuid.uuid4()}"
                destination.points[point_arn] = {
                    "RecoveryPointArn": point_arn,
                    "ResourceArn": job["ResourceArn"],
                    "ResourceType": job["ResourceType"],
                    "CreationDate": job["CompletionDate"],
                    "Status": "COMPLETED",
                    "StatusMessage": None,
                    "BackupVaultName": vault,
                    "BackupSizeBytes": job["BackupSizeInBytes"],
                    "CreatedByBackup": True,
                }
                job["DestinationRecoveryPointArn"] = point_arn
                destination.recount(vault)
            return self.job_view(job)

    def seed_restore_job(self, job_id: str, body: dict) -> dict:
        """``POST /_phoenix/backup/restore-jobs/<id>``: set a restore job's status, dates,
        message and created resource."""
        with self.lock:
            r, job = self.advanced("restores", "Restore job", job_id, body, "Status", RESTORE_STATES,
                                   {"COMPLETED", "ABORTED", "FAILED"},
                                   ("StatusMessage", "CreatedResourceArn"))
            if job["Status"] == "COMPLETED":
                job["PercentDone"] = "100.0"
                if job["CreatedResourceArn"] is None and job["CreatedBy"].get("RestoreTestingPlanArn"):
                    job["CreatedResourceArn"] = self.create_restored(r, job, body)
            return self.job_view(job)


def read_query(environ: dict) -> dict[str, str]:
    return {k: v[-1] for k, v in parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True).items()}


def read_json(raw: bytes) -> dict:
    if not raw:
        return {}
    try:
        body = json.loads(raw)
    except ValueError:
        raise ApiError(400, "SerializationException", "the request body is not JSON") from None
    if not isinstance(body, dict):
        raise ApiError(400, "SerializationException", "the request body is not a JSON object")
    return body
