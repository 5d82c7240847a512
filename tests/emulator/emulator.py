"""Phoenix Guard's local AWS emulator: moto's server, extended where moto lacks what the
Rust SDK speaks.

Extensions (each follows the documented AWS API; state lives in moto's own backends, so a
value written through one protocol reads back through the other):

* CloudWatch over Smithy RPC v2 CBOR. The Rust SDK sends
  ``POST /service/GraniteServiceVersion20100801/operation/<Operation>`` with
  ``smithy-protocol: rpc-v2-cbor``; moto only serves the query protocol. Served here:
  ``PutMetricData``, ``GetMetricData``, ``ListMetrics``; gzip-compressed bodies (the
  SDK compresses ``PutMetricData`` requests above 10 KiB) are accepted.
* AWS Backup selections, jobs, recovery points, protected resources and region settings
  (restJson1), see ``backup.py``.
* AWS Security Hub findings: import (only into the caller's own account and default
  product), update, read back, see ``securityhub.py``.
* S3 ``GetBucketVersioning`` answered with the documented ``<VersioningConfiguration>`` root
  (moto's own answer uses another root element, which the Rust SDK rejects).
* DynamoDB requests served one at a time: DynamoDB applies each item write atomically
  (a conditional ``UpdateItem`` with ``ADD`` never loses a concurrent increment); moto's
  threaded server reads and writes items without a lock, so concurrent writers could.

Not AWS, under ``/_phoenix/`` (no signature needed):

* ``POST /_phoenix/backup/jobs/<id>`` with ``{"State", "CreationDate", "CompletionDate",
  "StatusMessage", ...}``: moves a backup job (and its recovery point) to a state and time;
* ``POST /_phoenix/backup/restore-jobs/<id>`` with ``{"Status", "CreationDate",
  "CompletionDate", ...}``: the same for a restore job;
* ``POST /_phoenix/backup/copy-jobs/<id>`` with ``{"State", "CreationDate", "CompletionDate",
  "StatusMessage"}``: the same for a copy job (a COMPLETED one lands in its destination);
* ``POST /_phoenix/backup/restore-testing/plans/<name>/run`` with ``{"Account",
  "Region"}``: the plan's schedule fires (answers ``{"RestoreJobIds"}``);
* ``POST /_phoenix/lambda/answers`` with ``{"Account", "FunctionName", "Payload",
  "FunctionError"?}``: that function answers ``Invoke`` with that payload (moto would run
  it in Docker, which is not here); ``GET /_phoenix/lambda/invocations?account=&function=``
  lists the payloads it was invoked with;
* ``POST /_phoenix/faults`` with ``{"Service", "Operation", "ResourceArn"?, "Status"?,
  "Code"?, "Message"?, "Kind"?, "DelaySeconds"?, "Times"?, "Account"?}``: later calls of
  that operation (naming that resource, made by that account, when given) misbehave;
  answers ``{"Id"}``. ``Kind`` is
  ``error`` (the default: that AWS error, in the service's own error shape), ``delay``
  (the answer comes after ``DelaySeconds``: a slow AWS, for the SDK's timeouts) or
  ``drop`` (the connection is closed without an answer). ``Times`` limits the fault to
  that many calls; ``DELETE /_phoenix/faults/<id>`` lifts it;
* ``POST /_phoenix/events/schedules/fire`` with ``{"Account", "Region", "Time"?}``: every
  enabled scheduled rule there emits its ``Scheduled Event`` now (moto runs no schedules);
  answers ``{"Fired": [rule names]}``. A rule's event bus targets receive the event itself,
  across accounts only as the target bus's policy allows (``events.py``);
* ``GET /_phoenix/stats``: requests served per ``service.Operation`` (``?account=<id>``:
  only that account's requests); ``DELETE`` resets.

Run it with ``tests/emulator/serve PORT [--tls-cert FILE --tls-key FILE]``. Port 0 picks a
free port; the first line on stdout is always ``listening on http://127.0.0.1:<port>``
(``https://`` with a certificate, for measuring TLS handshakes).
"""

from __future__ import annotations

import argparse
import collections
import datetime as dt
import gzip
import io
import json
import math
import os
import re
import socket
import sys
import threading
import time
from typing import Any, Callable, Iterable
from urllib.parse import parse_qs, unquote

import cbor2
from backup import ApiError, BackupService, read_json, read_query
from securityhub import SecurityHubService
import events as eventbridge
from moto.cloudwatch.models import cloudwatch_backends
from moto.core import DEFAULT_ACCOUNT_ID
from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import make_server

CLOUDWATCH_PREFIX = "/service/GraniteServiceVersion20100801/operation/"
ERROR_NAMESPACE = "com.amazonaws.cloudwatch#"
CREDENTIAL_SCOPE = re.compile(r"Credential=([^/,\s]+)/\d{8}/([a-z0-9-]+)/([a-z0-9-]+)/")

WsgiApp = Callable[[dict, Callable], Iterable[bytes]]


class CborError(Exception):
    """An error answered in the RPC v2 CBOR error shape."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def naive_utc(value: Any) -> dt.datetime:
    """moto stores naive UTC datetimes; CBOR timestamps (tag 1) decode as aware ones."""
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.timezone.utc).replace(tzinfo=None)
        return value
    if isinstance(value, (int, float)) and math.isfinite(value):
        return dt.datetime.fromtimestamp(value, dt.timezone.utc).replace(tzinfo=None)
    raise CborError(400, "InvalidParameterValue", f"not a timestamp: {value!r}")


def aware(value: dt.datetime) -> dt.datetime:
    return value.replace(tzinfo=dt.timezone.utc) if value.tzinfo is None else value


def account_and_region(environ: dict) -> tuple[str, str]:
    """The account moto would use for this request, and the region of its signature."""
    auth = environ.get("HTTP_AUTHORIZATION", "")
    match = CREDENTIAL_SCOPE.search(auth)
    region = match.group(2) if match else "us-east-1"
    account = environ.get("HTTP_X_MOTO_ACCOUNT_ID")
    if not account and match:
        from moto.iam.models import get_account_id_from

        account = get_account_id_from(match.group(1))
    return account or DEFAULT_ACCOUNT_ID, region


def put_metric_data(backend: Any, body: dict) -> dict:
    namespace = body.get("Namespace")
    if not namespace:
        raise CborError(400, "MissingParameter", "The parameter Namespace is required.")
    data = body.get("MetricData") or []
    if len(data) > 1000:
        raise CborError(
            400,
            "InvalidParameterValue",
            "The collection MetricData must not have a size greater than 1000.",
        )
    converted = []
    for datum in data:
        datum = dict(datum)
        if "Timestamp" in datum:
            datum["Timestamp"] = naive_utc(datum["Timestamp"])
        for key in ("Value",):
            if key in datum and not math.isfinite(float(datum[key])):
                raise CborError(
                    400, "InvalidParameterValue", f"The value {datum[key]} for parameter {key} is invalid."
                )
        if len(datum.get("Dimensions") or []) > 30:
            raise CborError(
                400, "InvalidParameterValue", "A metric may have at most 30 dimensions."
            )
        converted.append(datum)
    backend.put_metric_data(namespace, converted)
    return {}


def get_metric_data(backend: Any, body: dict) -> dict:
    queries = body.get("MetricDataQueries") or []
    for query in queries:
        if "MetricStat" not in query and "Expression" not in query:
            raise CborError(
                400, "ValidationError", "Each query needs a MetricStat or an Expression."
            )
    results = backend.get_metric_data(
        queries=queries,
        start_time=naive_utc(body.get("StartTime")),
        end_time=naive_utc(body.get("EndTime")),
        scan_by=body.get("ScanBy") or "TimestampDescending",
    )
    return {
        "MetricDataResults": [
            {
                "Id": r["id"],
                "Label": r["label"],
                "Timestamps": [aware(t) for t in r["timestamps"]],
                "Values": [float(v) for v in r["values"]],
                "StatusCode": r["status_code"],
            }
            for r in results
        ],
        "Messages": [],
    }


def list_metrics(backend: Any, body: dict) -> dict:
    token, metrics = backend.list_metrics(
        body.get("NextToken"),
        body.get("Namespace"),
        body.get("MetricName"),
        body.get("Dimensions") or [],
    )
    out: dict = {
        "Metrics": [
            {
                "Namespace": m.namespace,
                "MetricName": m.name,
                "Dimensions": [{"Name": d.name, "Value": d.value} for d in m.dimensions],
            }
            for m in metrics
        ]
    }
    if token:
        out["NextToken"] = token
    return out


CLOUDWATCH_OPERATIONS = {
    "PutMetricData": put_metric_data,
    "GetMetricData": get_metric_data,
    "ListMetrics": list_metrics,
}


class PhoenixEmulator:
    """WSGI middleware: serves the extensions, hands everything else to moto."""

    def __init__(self, moto_app: WsgiApp) -> None:
        self.moto_app = moto_app
        self.backup = BackupService()
        self.securityhub = SecurityHubService()
        self.lock = threading.Lock()
        self.dynamodb_lock = threading.Lock()
        self.stats: collections.Counter = collections.Counter()
        self.account_stats: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
        self.faults: dict[str, dict] = {}
        # Lambda functions that answer Invoke (moto would run them in Docker): (account,
        # name) -> answer, and the payloads each received.
        self.lambda_answers: dict[tuple[str, str], dict] = {}
        self.lambda_invocations: dict[tuple[str, str], list] = collections.defaultdict(list)

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path.startswith("/_phoenix/"):
            return self.control(environ, start_response, path)
        raw = read_body(environ)
        service = service_of(environ)
        if path.startswith(CLOUDWATCH_PREFIX):
            operation = path[len(CLOUDWATCH_PREFIX):]
            self.count("monitoring", operation, environ)
            fault = self.fault_for("monitoring", operation, environ, raw)
            if fault and fault["Kind"] == "error":
                return self.cbor_response(start_response, f"{fault['Status']} Error",
                                          {"__type": ERROR_NAMESPACE + fault["Code"], "message": fault["Message"]})
            if fault and not misbehave(fault, environ):
                return []
            return self.cloudwatch_cbor(environ, start_response, operation, raw)
        method = environ.get("REQUEST_METHOD", "GET")
        route = self.backup.match(method, path) if service == "backup" else None
        findings_operation = self.securityhub.match(method, path) if service == "securityhub" else None
        operation = route[0] if route else findings_operation or operation_of(environ, raw, path)
        self.count(service, operation, environ)
        fault = self.fault_for(service, operation, environ, raw)
        if fault and fault["Kind"] == "error":
            return error_response(start_response, environ, raw, fault["Status"], fault["Code"], fault["Message"])
        if fault and not misbehave(fault, environ):
            return []
        if route:
            _, handler, params = route
            account, region = account_and_region(environ)
            params = {k: unquote(v) for k, v in params.items()}
            try:
                result = self.backup.handle(handler, params, read_query(environ), read_json(raw), account, region)
            except ApiError as err:
                return rest_json_error(start_response, err.status, err.code, err.message)
            if result is not None:
                return json_response(start_response, "200 OK", result)
        if findings_operation:
            account, region = account_and_region(environ)
            try:
                result = self.securityhub.handle(findings_operation, read_json(raw) or {}, account, region)
            except ApiError as err:
                return rest_json_error(start_response, err.status, err.code, err.message)
            return json_response(start_response, "200 OK", result)
        invoked = INVOKE_PATH.fullmatch(path) if service == "lambda" and method == "POST" else None
        if invoked:
            account, _ = account_and_region(environ)
            name = unquote(invoked.group("function")).rsplit(":function:", 1)[-1].split(":")[0]
            answer = self.lambda_answers.get((account, name))
            if answer is not None:
                try:
                    payload = json.loads(raw) if raw else None
                except ValueError:
                    payload = raw.decode("utf-8", "replace")
                with self.lock:
                    self.lambda_invocations[(account, name)].append(payload)
                headers = [("X-Amz-Executed-Version", "$LATEST")]
                if answer.get("FunctionError"):
                    headers.append(("X-Amz-Function-Error", answer["FunctionError"]))
                return json_response(start_response, "200 OK", answer.get("Payload"), headers)
        if service == "sts" and operation == "AssumeRole":
            refusal = assume_role_refusal(environ, raw)
            if refusal:
                return error_response(start_response, environ, raw, 403, "AccessDenied", refusal)
        if service == "s3" and method == "GET" and "versioning" in parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True):
            return self.s3_versioning(environ, start_response)
        if service == "dynamodb":
            with self.dynamodb_lock:
                return list(self.moto_app(environ, start_response))
        return self.moto_app(environ, start_response)

    def s3_versioning(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        """GetBucketVersioning as S3 documents it: moto names the root element
        ``GetBucketVersioningResponse``; S3 answers ``<VersioningConfiguration>``, which is what
        the Rust SDK's parser requires."""
        captured: dict = {}

        def capture(status: str, headers: list, exc_info: Any = None) -> Callable:
            captured["status"], captured["headers"] = status, headers
            return lambda data: None

        body = b"".join(self.moto_app(environ, capture))
        body = body.replace(b"GetBucketVersioningResponse", b"VersioningConfiguration")
        headers = [(k, v) for k, v in captured["headers"] if k.lower() != "content-length"]
        start_response(captured["status"], headers + [("Content-Length", str(len(body)))])
        return [body]

    def count(self, service: str, operation: str, environ: dict) -> None:
        account, _ = account_and_region(environ)
        with self.lock:
            self.stats[f"{service}.{operation}"] += 1
            self.account_stats[account][f"{service}.{operation}"] += 1

    def fault_for(self, service: str, operation: str, environ: dict, raw: bytes) -> dict | None:
        with self.lock:
            faults = list(self.faults.values())
        if not faults:
            return None
        # A query-protocol body (STS, SQS, IAM) names the resource URL-encoded.
        haystack = unquote(environ.get("PATH_INFO", "") + "?" + environ.get("QUERY_STRING", "")
                           + raw.decode("utf-8", "replace"))
        for fault in faults:
            if fault["Service"] != service or fault["Operation"] != operation:
                continue
            if fault.get("ResourceArn") and fault["ResourceArn"] not in haystack:
                continue
            if fault.get("Account") and fault["Account"] != account_and_region(environ)[0]:
                continue
            with self.lock:
                if fault["Times"] is not None:
                    if fault["Times"] <= 0:
                        continue
                    fault["Times"] -= 1
            return fault
        return None

    def control(self, environ: dict, start_response: Callable, path: str) -> list[bytes]:
        method = environ.get("REQUEST_METHOD", "GET")
        try:
            body = read_json(read_body(environ))
            if path == "/_phoenix/stats" and method == "GET":
                account = parse_qs(environ.get("QUERY_STRING", "")).get("account", [None])[0]
                with self.lock:
                    calls = dict(self.account_stats.get(account, {}) if account else self.stats)
                return json_response(start_response, "200 OK", {"Calls": calls})
            if path == "/_phoenix/stats" and method == "DELETE":
                with self.lock:
                    self.stats.clear()
                    self.account_stats.clear()
                return json_response(start_response, "200 OK", {})
            if path == "/_phoenix/faults" and method == "POST":
                for name in ("Service", "Operation"):
                    if not body.get(name):
                        raise ApiError(400, "MissingParameterValueException", f"{name} is required")
                fault = {
                    "Service": body["Service"],
                    "Operation": body["Operation"],
                    "ResourceArn": body.get("ResourceArn"),
                    "Status": int(body.get("Status") or 403),
                    "Code": body.get("Code") or "AccessDeniedException",
                    "Message": body.get("Message") or "User is not authorized to perform this operation",
                    "Kind": body.get("Kind") or "error",
                    "DelaySeconds": float(body.get("DelaySeconds") or 0),
                    "Times": int(body["Times"]) if body.get("Times") is not None else None,
                    "Account": body.get("Account"),
                }
                if fault["Kind"] not in ("error", "delay", "drop"):
                    raise ApiError(400, "InvalidParameterValueException", "Kind is error, delay or drop")
                fault_id = f"fault-{len(self.faults) + 1}-{time.monotonic_ns()}"
                with self.lock:
                    self.faults[fault_id] = fault
                return json_response(start_response, "200 OK", {"Id": fault_id})
            if path.startswith("/_phoenix/faults/") and method == "DELETE":
                with self.lock:
                    self.faults.pop(path.rsplit("/", 1)[-1], None)
                return json_response(start_response, "200 OK", {})
            if path == "/_phoenix/lambda/answers" and method == "POST":
                for name in ("Account", "FunctionName"):
                    if not body.get(name):
                        raise ApiError(400, "MissingParameterValueException", f"{name} is required")
                with self.lock:
                    self.lambda_answers[(body["Account"], body["FunctionName"])] = {
                        "Payload": body.get("Payload"), "FunctionError": body.get("FunctionError")}
                return json_response(start_response, "200 OK", {})
            if path == "/_phoenix/lambda/invocations" and method == "GET":
                query = parse_qs(environ.get("QUERY_STRING", ""))
                key = (query.get("account", [""])[0], query.get("function", [""])[0])
                with self.lock:
                    received = list(self.lambda_invocations.get(key, []))
                return json_response(start_response, "200 OK", {"Payloads": received})
            if path == "/_phoenix/events/schedules/fire" and method == "POST":
                account, region = body.get("Account"), body.get("Region")
                if not account or not region:
                    raise ApiError(400, "MissingParameterValueException", "Account and Region are required")
                time_now = body.get("Time") or dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
                return json_response(start_response, "200 OK",
                                     {"Fired": eventbridge.fire_schedules(account, region, time_now)})
            run = re.fullmatch(r"/_phoenix/backup/restore-testing/plans/([^/]+)/run", path)
            if run and method == "POST":
                account, region = body.get("Account"), body.get("Region")
                if not account or not region:
                    raise ApiError(400, "MissingParameterValueException", "Account and Region are required")
                return json_response(start_response, "200 OK",
                                     self.backup.run_testing_plan(account, region, unquote(run.group(1))))
            if path.startswith("/_phoenix/backup/copy-jobs/") and method == "POST":
                job_id = unquote(path.rsplit("/", 1)[-1])
                return json_response(start_response, "200 OK", self.backup.seed_copy_job(job_id, body))
            if path.startswith("/_phoenix/backup/restore-jobs/") and method == "POST":
                job_id = unquote(path.rsplit("/", 1)[-1])
                return json_response(start_response, "200 OK", self.backup.seed_restore_job(job_id, body))
            if path.startswith("/_phoenix/backup/jobs/") and method == "POST":
                job_id = unquote(path.rsplit("/", 1)[-1])
                return json_response(start_response, "200 OK", self.backup.seed_job(job_id, body))
            raise ApiError(404, "UnknownOperationException", f"{method} {path} is not an emulator control endpoint")
        except ApiError as err:
            return rest_json_error(start_response, err.status, err.code, err.message)

    def cloudwatch_cbor(self, environ: dict, start_response: Callable, operation: str, raw: bytes) -> list[bytes]:
        try:
            if environ.get("HTTP_SMITHY_PROTOCOL", "") != "rpc-v2-cbor":
                raise CborError(400, "InvalidParameterValue", "missing header smithy-protocol: rpc-v2-cbor")
            handler = CLOUDWATCH_OPERATIONS.get(operation)
            if handler is None:
                raise CborError(404, "UnknownOperationException", f"{operation} is not served by the emulator")
            if "gzip" in environ.get("HTTP_CONTENT_ENCODING", "").lower():
                # The SDK compresses PutMetricData bodies above 10 KiB (request compression).
                raw = gzip.decompress(raw)
            body = cbor2.loads(raw) if raw else {}
            if not isinstance(body, dict):
                raise CborError(400, "SerializationException", "the request body is not a CBOR map")
            account, region = account_and_region(environ)
            result = handler(cloudwatch_backends[account][region], body)
            status, payload = "200 OK", result
        except CborError as err:
            status = f"{err.status} Error"
            payload = {"__type": ERROR_NAMESPACE + err.code, "message": err.message}
        except Exception as err:  # moto's own validation errors carry a code and a message
            code = getattr(err, "code", None) or getattr(err, "error_type", None) or "InternalFailure"
            message = getattr(err, "message", None) or getattr(err, "description", None) or str(err)
            http = getattr(err, "status_code", None) or getattr(err, "code_status", None) or 400
            if not isinstance(http, int):
                http = 400
            status = f"{http} Error"
            payload = {"__type": ERROR_NAMESPACE + str(code), "message": str(message)}
        return self.cbor_response(start_response, status, payload)

    @staticmethod
    def cbor_response(start_response: Callable, status: str, payload: dict) -> list[bytes]:
        encoded = cbor2.dumps(payload, datetime_as_timestamp=True, timezone=dt.timezone.utc)
        start_response(
            status,
            [
                ("Content-Type", "application/cbor"),
                ("smithy-protocol", "rpc-v2-cbor"),
                ("Content-Length", str(len(encoded))),
            ],
        )
        return [encoded]


def read_body(environ: dict) -> bytes:
    """Reads the request body once and puts it back for whoever handles the request."""
    if "phoenix.body" in environ:
        return environ["phoenix.body"]
    length = int(environ.get("CONTENT_LENGTH") or 0)
    raw = environ["wsgi.input"].read(length) if length else b""
    environ["wsgi.input"] = io.BytesIO(raw)
    environ["phoenix.body"] = raw
    return raw


def service_of(environ: dict) -> str:
    """The signing name in the request's credential scope (``backup``, ``dynamodb``, ...)."""
    match = CREDENTIAL_SCOPE.search(environ.get("HTTP_AUTHORIZATION", ""))
    return match.group(3) if match else "unknown"


def operation_of(environ: dict, raw: bytes, path: str) -> str:
    """The operation of a request moto serves: the JSON target, the query Action, or, for
    REST protocols, the method and the path's first segments."""
    target = environ.get("HTTP_X_AMZ_TARGET")
    if target:
        return target.rsplit(".", 1)[-1]
    action = parse_qs(environ.get("QUERY_STRING", "")).get("Action")
    if not action and "form-urlencoded" in environ.get("CONTENT_TYPE", ""):
        action = parse_qs(raw.decode("utf-8", "replace")).get("Action")
    if action:
        return action[0]
    method = environ.get("REQUEST_METHOD", "GET")
    service = service_of(environ)
    if service == "s3":
        return s3_operation(method, path, environ.get("QUERY_STRING", ""))
    if service == "backup":
        for verb, pattern, name in BACKUP_MOTO_OPERATIONS:
            if verb == method and pattern.match(path):
                return name
    if service == "lambda" and method == "POST" and INVOKE_PATH.fullmatch(path):
        return "Invoke"
    if service == "elasticfilesystem":
        named = EFS_OPERATIONS.get((method, re.sub(r"/fs-[^/]+", "/{id}", path.rstrip("/"))))
        if named:
            return named
    segments = [p for p in path.split("/") if p][:2]
    return method + " /" + "/".join(segments)


# Lambda's Invoke: POST /2015-03-31/functions/<name or ARN>/invocations.
INVOKE_PATH = re.compile(r"/2015-03-31/functions/(?P<function>[^/]+)/invocations/?")


# S3's REST operations by method, whether the path names an object, and the subresource in
# the query (the first that matches), as the S3 API reference names them.
S3_BUCKET_OPERATIONS = {
    ("GET", "versioning"): "GetBucketVersioning",
    ("PUT", "versioning"): "PutBucketVersioning",
    ("GET", "tagging"): "GetBucketTagging",
    ("PUT", "tagging"): "PutBucketTagging",
    ("GET", "lifecycle"): "GetBucketLifecycleConfiguration",
    ("PUT", "lifecycle"): "PutBucketLifecycleConfiguration",
    ("GET", "versions"): "ListObjectVersions",
    ("GET", "list-type"): "ListObjectsV2",
    ("GET", "policy"): "GetBucketPolicy",
    ("GET", "notification"): "GetBucketNotificationConfiguration",
    ("GET", "object-lock"): "GetObjectLockConfiguration",
    ("PUT", "object-lock"): "PutObjectLockConfiguration",
    ("POST", "delete"): "DeleteObjects",
}
S3_PLAIN_OPERATIONS = {
    ("GET", False): "ListObjects",
    ("PUT", False): "CreateBucket",
    ("DELETE", False): "DeleteBucket",
    ("HEAD", False): "HeadBucket",
    ("GET", True): "GetObject",
    ("PUT", True): "PutObject",
    ("DELETE", True): "DeleteObject",
    ("HEAD", True): "HeadObject",
}
# AWS Backup operations moto serves itself (the rest are backup.py's), by their API names.
BACKUP_MOTO_OPERATIONS = [
    ("GET", re.compile(r"/backup/plans/?$"), "ListBackupPlans"),
    ("PUT", re.compile(r"/backup/plans/?$"), "CreateBackupPlan"),
    ("GET", re.compile(r"/backup/plans/[^/]+/?$"), "GetBackupPlan"),
    ("DELETE", re.compile(r"/backup/plans/[^/]+/?$"), "DeleteBackupPlan"),
    ("GET", re.compile(r"/backup-vaults/?$"), "ListBackupVaults"),
    ("GET", re.compile(r"/backup-vaults/[^/]+/?$"), "DescribeBackupVault"),
    ("PUT", re.compile(r"/backup-vaults/[^/]+/?$"), "CreateBackupVault"),
    ("DELETE", re.compile(r"/backup-vaults/[^/]+/?$"), "DeleteBackupVault"),
    ("GET", re.compile(r"/tags/.+$"), "ListTags"),
    ("POST", re.compile(r"/tags/.+$"), "TagResource"),
]
EFS_OPERATIONS = {
    ("GET", "/2015-02-01/file-systems"): "DescribeFileSystems",
    ("POST", "/2015-02-01/file-systems"): "CreateFileSystem",
    ("GET", "/2015-02-01/file-systems/{id}/backup-policy"): "DescribeBackupPolicy",
    ("PUT", "/2015-02-01/file-systems/{id}/backup-policy"): "PutBackupPolicy",
}


def s3_operation(method: str, path: str, query: str) -> str:
    """The S3 API operation of a path-style request (``/bucket[/key]?subresource``)."""
    parts = [p for p in path.split("/", 2) if p]
    if not parts:
        return "ListBuckets" if method == "GET" else f"{method} /"
    subresources = parse_qs(query, keep_blank_values=True)
    if len(parts) == 1:
        for (verb, sub), name in S3_BUCKET_OPERATIONS.items():
            if verb == method and sub in subresources:
                return name
    return S3_PLAIN_OPERATIONS.get((method, len(parts) > 1), f"{method} /{parts[0]}")


# The harness's own way into each account: like the OrganizationAccountAccessRole AWS
# Organizations creates in every account it creates, it exists without being made.
HARNESS_ROLE = "phoenix-tests"


def assume_role_refusal(environ: dict, raw: bytes) -> str | None:
    """Why STS refuses this AssumeRole (moto grants any): the role must exist in its account
    and its trust policy must allow the caller's account (as ``*``, the account id, its root
    or any principal ARN in it) to ``sts:AssumeRole``. Conditions (``aws:PrincipalOrgID``)
    are taken as met."""
    from moto.iam.models import iam_backends

    form = parse_qs(raw.decode("utf-8", "replace")) if raw else {}
    form.update(parse_qs(environ.get("QUERY_STRING", "")))
    role_arn = (form.get("RoleArn") or [""])[0]
    parts = role_arn.split(":", 5)
    if len(parts) != 6 or not parts[5].startswith("role/"):
        return None
    account, name = parts[4], parts[5].rsplit("/", 1)[-1]
    if name == HARNESS_ROLE:
        return None
    caller, _ = account_and_region(environ)
    denied = (f"User: arn:aws:sts::{caller}:assumed-role/caller is not authorized to perform: "
              f"sts:AssumeRole on resource: {role_arn}")
    role = next((r for r in iam_backends[account]["global"].roles.values() if r.name == name), None)
    if role is None:
        return denied
    policy = role.assume_role_policy_document
    document = json.loads(unquote(policy)) if isinstance(policy, str) else policy
    statements = document.get("Statement", [])
    for st in statements if isinstance(statements, list) else [statements]:
        actions = st.get("Action", [])
        actions = actions if isinstance(actions, list) else [actions]
        if st.get("Effect") != "Allow" or not any(a in ("sts:AssumeRole", "sts:*", "*") for a in actions):
            continue
        principal = st.get("Principal", {})
        named = principal.get("AWS", []) if isinstance(principal, dict) else [principal]
        named = named if isinstance(named, list) else [named]
        if any(p in ("*", caller, f"arn:aws:iam::{caller}:root") or p.startswith(f"arn:aws:iam::{caller}:")
               or p.startswith(f"arn:aws:sts::{caller}:") for p in named):
            return None
    return denied


def json_response(start_response: Callable, status: str, payload: dict, headers: list | None = None) -> list[bytes]:
    encoded = json.dumps(payload).encode()
    start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(encoded)))] + (headers or []))
    return [encoded]


def rest_json_error(start_response: Callable, status: int, code: str, message: str) -> list[bytes]:
    return json_response(start_response, f"{status} Error", {"Code": code, "Message": message, "message": message},
                         [("x-amzn-ErrorType", code)])


def error_response(start_response: Callable, environ: dict, raw: bytes, status: int, code: str, message: str) -> list[bytes]:
    """An injected fault, in the error shape of the request's protocol."""
    if environ.get("HTTP_X_AMZ_TARGET"):
        encoded = json.dumps({"__type": code, "message": message}).encode()
        start_response(f"{status} Error", [("Content-Type", "application/x-amz-json-1.0"),
                                           ("Content-Length", str(len(encoded)))])
        return [encoded]
    if "form-urlencoded" in environ.get("CONTENT_TYPE", "") or "Action=" in environ.get("QUERY_STRING", ""):
        xml = (f"<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code><Message>{message}</Message>"
               f"</Error><RequestId>phoenix-fault</RequestId></ErrorResponse>").encode()
        start_response(f"{status} Error", [("Content-Type", "text/xml"), ("Content-Length", str(len(xml)))])
        return [xml]
    if service_of(environ) == "s3":
        xml = (f"<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>{code}</Code><Message>{message}</Message>"
               f"<RequestId>phoenix-fault</RequestId></Error>").encode()
        start_response(f"{status} Error", [("Content-Type", "application/xml"), ("Content-Length", str(len(xml)))])
        return [xml]
    return rest_json_error(start_response, status, code, message)


def misbehave(fault: dict, environ: dict) -> bool:
    """Carries out a ``delay`` fault (and returns True: the request is answered late) or a
    ``drop`` fault (the connection is closed, and the request never answered)."""
    if fault["Kind"] == "delay":
        time.sleep(fault["DelaySeconds"])
        return True
    sock = environ.get("werkzeug.socket")
    if sock is not None:
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        sock.close()
    # werkzeug treats a ConnectionError from the application as a client that went away.
    raise ConnectionResetError("phoenix fault: connection dropped")


def exit_with_parent() -> None:
    """Stops the emulator when the process that started it is gone (a test binary keeps
    its emulator in a static whose destructor never runs)."""
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(0)

    threading.Thread(target=watch, daemon=True).start()


# The moto services the project calls. moto builds a service's application on its first
# request, under a lock every other request waits on (the file system one takes most of a
# second on a warm machine, seconds on a cold, loaded one): built before the server answers,
# no request waits for another service's first.
WARM_SERVICES = ("backup", "cloudtrail", "cloudwatch", "dynamodb", "efs", "events", "iam", "kms",
                 "lambda", "organizations", "rds", "resourcegroupstaggingapi", "s3", "secretsmanager",
                 "securityhub", "sns", "sqs", "sts")


def warm(moto_app: DomainDispatcherApplication) -> None:
    for service in WARM_SERVICES:
        moto_app.app_instances[service] = create_backend_app(service)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--tls-cert", help="serve HTTPS with this PEM certificate")
    parser.add_argument("--tls-key", help="the certificate's PEM private key")
    args = parser.parse_args()
    eventbridge.install()
    moto_app = DomainDispatcherApplication(create_backend_app)
    warm(moto_app)
    app = PhoenixEmulator(moto_app)
    tls = (args.tls_cert, args.tls_key) if args.tls_cert else None
    server = make_server(args.host, args.port, app, threaded=True, request_handler=MotoRequestHandler,
                         ssl_context=tls)
    exit_with_parent()
    scheme = "https" if tls else "http"
    print(f"listening on {scheme}://{args.host}:{server.server_port}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    sys.exit(0)


if __name__ == "__main__":
    main()
