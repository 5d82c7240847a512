"""AWS Security Hub findings as the API documents them, where moto's are a sketch.

moto stores whatever ``BatchImportFindings`` sends, from any account, and has no
``BatchUpdateFindings``. Served here (restJson1), with the hub's on/off state read from moto
(``EnableSecurityHub`` and ``DisableSecurityHub`` stay moto's):

* ``POST /findings/import`` (BatchImportFindings): at most 100 findings; the hub must be
  enabled in the caller's account and region (else ``InvalidAccessException``, 401). A
  finding is refused, in ``FailedFindings`` while the others are taken, when a required ASFF
  attribute is missing or when it belongs to another account or product than the caller's
  default product (``arn:<partition>:securityhub:<region>:<caller>:product/<caller>/default``):
  with that product ARN only the finding's own account may import it. Importing an existing
  finding (same ``Id`` and ``ProductArn``) updates it but keeps what customers own
  (``Workflow``, ``Note``, ``UserDefinedFields``, ``VerificationState``); a finding moved from
  ``ARCHIVED`` back to ``ACTIVE`` gets ``Workflow.Status`` ``NEW`` again.
* ``PATCH /findings/batchupdate`` (BatchUpdateFindings): ``Workflow``, ``Note``,
  ``VerificationState``, ``UserDefinedFields`` of the caller's findings; an unknown finding
  is in ``UnprocessedFindings``.
* ``POST /findings`` (GetFindings): the caller's findings, filtered by the string filters
  ``Id``, ``ProductArn``, ``AwsAccountId``, ``GeneratorId``, ``RecordState`` and
  ``WorkflowStatus`` (``EQUALS``), 100 a page.
"""

from __future__ import annotations

import datetime as dt
import threading
from typing import Any

from backup import ApiError

REQUIRED = ("AwsAccountId", "CreatedAt", "Description", "GeneratorId", "Id", "ProductArn",
            "Resources", "SchemaVersion", "Title", "UpdatedAt")
CUSTOMER_OWNED = ("Workflow", "Note", "UserDefinedFields", "VerificationState")
WORKFLOW_STATES = {"NEW", "NOTIFIED", "RESOLVED", "SUPPRESSED"}
FILTERS = {"Id": "Id", "ProductArn": "ProductArn", "AwsAccountId": "AwsAccountId",
           "GeneratorId": "GeneratorId", "RecordState": "RecordState"}


def partition(region: str) -> str:
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"


def default_product(account: str, region: str) -> str:
    return f"arn:{partition(region)}:securityhub:{region}:{account}:product/{account}/default"


def now() -> str:
    return dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class SecurityHubService:
    """Findings per (account, region), keyed by (ProductArn, Id)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.findings: dict[tuple[str, str], dict[tuple[str, str], dict]] = {}

    ROUTES = {
        ("POST", "/findings/import"): "BatchImportFindings",
        ("PATCH", "/findings/batchupdate"): "BatchUpdateFindings",
        ("POST", "/findings"): "GetFindings",
    }

    def match(self, method: str, path: str) -> str | None:
        return self.ROUTES.get((method, path.rstrip("/")))

    def handle(self, operation: str, body: dict, account: str, region: str) -> dict:
        self.require_hub(account, region)
        with self.lock:
            findings = self.findings.setdefault((account, region), {})
            if operation == "BatchImportFindings":
                return self.batch_import(findings, body, account, region)
            if operation == "BatchUpdateFindings":
                return self.batch_update(findings, body)
            return self.get_findings(findings, body)

    @staticmethod
    def require_hub(account: str, region: str) -> None:
        from moto.securityhub.models import securityhub_backends

        if not securityhub_backends[account][region].enabled:
            raise ApiError(401, "InvalidAccessException",
                           f"Account {account} is not subscribed to AWS Security Hub")

    @staticmethod
    def batch_import(findings: dict, body: dict, account: str, region: str) -> dict:
        batch = body.get("Findings")
        if not isinstance(batch, list) or not 1 <= len(batch) <= 100:
            raise ApiError(400, "InvalidInputException", "Findings must hold 1 to 100 findings")
        product = default_product(account, region)
        failed = []
        for finding in batch:
            problem = SecurityHubService.refusal(finding, account, product)
            if problem:
                failed.append({"Id": str(finding.get("Id", "")) if isinstance(finding, dict) else "",
                               "ErrorCode": problem[0], "ErrorMessage": problem[1]})
                continue
            key = (finding["ProductArn"], finding["Id"])
            stored = dict(finding)
            stored.setdefault("ProductName", "Default")
            stored.setdefault("CompanyName", "Personal")
            stored.setdefault("RecordState", "ACTIVE")
            stored["ProcessedAt"] = now()
            existing = findings.get(key)
            if existing is None:
                stored.setdefault("Workflow", {"Status": "NEW"})
                stored["WorkflowState"] = stored["Workflow"].get("Status", "NEW")
            else:
                for field in CUSTOMER_OWNED:
                    stored.pop(field, None)
                    if field in existing:
                        stored[field] = existing[field]
                if existing.get("RecordState") == "ARCHIVED" and stored["RecordState"] == "ACTIVE":
                    stored["Workflow"] = {"Status": "NEW"}
                stored["WorkflowState"] = stored.get("Workflow", {}).get("Status", "NEW")
                stored["CreatedAt"] = existing.get("CreatedAt", stored["CreatedAt"])
            findings[key] = stored
        return {"FailedCount": len(failed), "SuccessCount": len(batch) - len(failed),
                "FailedFindings": failed}

    @staticmethod
    def refusal(finding: Any, account: str, product: str) -> tuple[str, str] | None:
        if not isinstance(finding, dict):
            return "InvalidInput", "a finding must be an object"
        missing = [f for f in REQUIRED if not finding.get(f)]
        provider = finding.get("FindingProviderFields") or {}
        if not (finding.get("Severity") or provider.get("Severity")):
            missing.append("Severity")
        if not (finding.get("Types") or provider.get("Types")):
            missing.append("Types")
        if missing:
            return "InvalidInput", f"Finding is missing required attributes: {', '.join(missing)}"
        if not isinstance(finding["Resources"], list) or not 1 <= len(finding["Resources"]) <= 32:
            return "InvalidInput", "Finding must contain 1 to 32 resources"
        if finding["AwsAccountId"] != account or finding["ProductArn"] != product:
            return ("AccessDeniedException",
                    f"Account {account} may import findings only for itself with {product}")
        state = (finding.get("Workflow") or {}).get("Status")
        if state is not None and state not in WORKFLOW_STATES:
            return "InvalidInput", f"Workflow.Status {state} is not one of {sorted(WORKFLOW_STATES)}"
        return None

    @staticmethod
    def batch_update(findings: dict, body: dict) -> dict:
        identifiers = body.get("FindingIdentifiers")
        if not isinstance(identifiers, list) or not 1 <= len(identifiers) <= 100:
            raise ApiError(400, "InvalidInputException", "FindingIdentifiers must hold 1 to 100 identifiers")
        workflow = body.get("Workflow")
        if workflow is not None and workflow.get("Status") not in WORKFLOW_STATES:
            raise ApiError(400, "InvalidInputException", f"Workflow.Status must be one of {sorted(WORKFLOW_STATES)}")
        processed, unprocessed = [], []
        for identifier in identifiers:
            key = (identifier.get("ProductArn"), identifier.get("Id"))
            finding = findings.get(key)
            if finding is None:
                unprocessed.append({"FindingIdentifier": identifier, "ErrorCode": "FindingNotFound",
                                    "ErrorMessage": "Finding Not Found"})
                continue
            for field in CUSTOMER_OWNED:
                if field in body:
                    finding[field] = body[field]
            if workflow is not None:
                finding["WorkflowState"] = workflow["Status"]
            processed.append(identifier)
        return {"ProcessedFindings": processed, "UnprocessedFindings": unprocessed}

    @staticmethod
    def get_findings(findings: dict, body: dict) -> dict:
        filters = body.get("Filters") or {}

        def value(finding: dict, name: str) -> Any:
            if name == "WorkflowStatus":
                return (finding.get("Workflow") or {}).get("Status")
            return finding.get(FILTERS.get(name, name))

        def keep(finding: dict) -> bool:
            for name, conditions in filters.items():
                wanted = [c.get("Value") for c in conditions if c.get("Comparison", "EQUALS") == "EQUALS"]
                if wanted and value(finding, name) not in wanted:
                    return False
            return True

        matching = [f for f in findings.values() if keep(f)]
        start = int(body.get("NextToken") or 0)
        size = int(body.get("MaxResults") or 100)
        page = matching[start:start + size]
        token = str(start + size) if start + size < len(matching) else None
        return {"Findings": page, **({"NextToken": token} if token else {})}
