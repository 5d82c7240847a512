"""EventBridge between accounts, as AWS documents it and moto does not model it.

* A rule whose target is an event bus (in this or another account or region) forwards the
  event itself: its ``account``, ``region``, ``time``, ``id`` and ``resources`` are kept
  (moto sends a new event from the target's account, which would name the wrong account).
  A bus in another account accepts it only when its resource policy allows
  ``events:PutEvents`` to the sender: a principal of ``*`` or naming the sender's account,
  and, with an ``aws:PrincipalOrgID`` condition, only when the sender belongs to that
  organization (AWS Organizations in the emulator). A refused or missing bus drops the
  event, as EventBridge does once its retries are spent.
* An SQS queue target without an input transformer receives the whole event, ``account``
  included and its time in ISO 8601, as AWS delivers it (moto's default template leaves
  ``account`` out).
* ``fire_schedules(account, region, time)`` is time passing for scheduled rules: every
  enabled rule with a schedule in that account and region emits its ``Scheduled Event`` to
  its event bus and SQS queue targets (moto runs no schedules).
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import uuid
from typing import Any

from moto.events import models as events_models
from moto.utilities.arns import parse_arn

_ORIGINAL_SEND = events_models.Rule.send_to_targets


def _bus_allows(bus: Any, sender: str) -> bool:
    """Whether a bus's resource policy lets account ``sender`` put events on it."""
    if bus.account_id == sender:
        return True
    raw = bus.policy
    if not raw:
        return False
    for statement in json.loads(raw).get("Statement", []):
        actions = statement.get("Action", [])
        actions = actions if isinstance(actions, list) else [actions]
        if statement.get("Effect") != "Allow" or not any(a in ("events:PutEvents", "events:*", "*") for a in actions):
            continue
        principal = statement.get("Principal", {})
        named = principal.get("AWS", []) if isinstance(principal, dict) else [principal]
        named = named if isinstance(named, list) else [named]
        if not any(p in ("*", sender, f"arn:aws:iam::{sender}:root") for p in named):
            continue
        condition = statement.get("Condition", {})
        org_ids = []
        for test in condition.values():
            value = test.get("aws:PrincipalOrgID") if isinstance(test, dict) else None
            if value:
                org_ids += value if isinstance(value, list) else [value]
        if not org_ids or _organization_of(sender) in org_ids:
            return True
    return False


def _organization_of(account: str) -> str | None:
    """The id of the organization ``account`` belongs to, if any (moto keeps an organization
    in its management account's backend)."""
    from moto.organizations.models import organizations_backends

    for backend in organizations_backends.values():
        for partition_backend in backend.values():
            org = getattr(partition_backend, "org", None)
            if org is None:
                continue
            if account == org.master_account_id or any(a.id == account for a in partition_backend.accounts):
                return org.id
    return None


def _forward(rule: Any, target: dict, event: dict) -> None:
    arn = parse_arn(target["Arn"])
    backend = events_models.events_backends[arn.account][arn.region]
    bus = backend.event_buses.get(arn.resource_id)
    if bus is None or not _bus_allows(bus, rule.account_id):
        return
    for receiving in list(bus.rules.values()):
        if receiving.state == "ENABLED":
            receiving.send_to_targets(copy.deepcopy(event))


def _is_bus(target: dict) -> bool:
    arn = parse_arn(target["Arn"])
    return arn.service == "events" and arn.resource_type == "event-bus"


def _as_delivered(event: dict) -> dict:
    """The event as EventBridge hands it to a target: every field (moto's default template
    leaves out ``account``); moto's queue delivery writes the time (epoch seconds inside
    moto) in ISO 8601."""
    return {k: v for k, v in event.items() if k != "ingestion-time"}


def _is_plain_queue(target: dict) -> bool:
    return parse_arn(target["Arn"]).service == "sqs" and not target.get("InputTransformer") and not target.get("Input")


def send_to_targets(self: Any, original_event: dict, transform_input: bool = True) -> None:
    if not self.event_pattern.matches_event(original_event):
        return
    for target in self.targets:
        if _is_bus(target):
            _forward(self, target, original_event)
        elif _is_plain_queue(target):
            group = target.get("SqsParameters", {}).get("MessageGroupId")
            self._send_to_sqs_queue(parse_arn(target["Arn"]).resource_id, _as_delivered(original_event), group)
    others = [t for t in self.targets if not _is_bus(t) and not _is_plain_queue(t)]
    if not others:
        return
    kept = self.targets
    self.targets = others
    try:
        _ORIGINAL_SEND(self, original_event, transform_input)
    finally:
        self.targets = kept


def install() -> None:
    events_models.Rule.send_to_targets = send_to_targets


def fire_schedules(account: str, region: str, time: str) -> list[str]:
    """Every enabled scheduled rule of the account and region emits its event now; returns
    the rules that fired."""
    backend = events_models.events_backends[account][region]
    when = dt.datetime.fromisoformat(time.replace("Z", "+00:00"))
    epoch = (when if when.tzinfo else when.replace(tzinfo=dt.timezone.utc)).timestamp()
    fired = []
    for bus in list(backend.event_buses.values()):
        for rule in list(bus.rules.values()):
            if not rule.scheduled_expression or rule.state != "ENABLED":
                continue
            event = {
                "version": "0",
                "id": str(uuid.uuid4()),
                "detail-type": "Scheduled Event",
                "source": "aws.events",
                "account": account,
                # Epoch seconds, as moto keeps an event's time.
                "time": epoch,
                "region": region,
                "resources": [rule.arn],
                "detail": {},
                # moto's own field for EventBridge's input transformers.
                "ingestion-time": epoch,
            }
            for target in rule.targets:
                if _is_bus(target):
                    _forward(rule, target, event)
                elif _is_plain_queue(target):
                    rule._send_to_sqs_queue(parse_arn(target["Arn"]).resource_id, _as_delivered(event), None)
            fired.append(rule.name)
    return fired
