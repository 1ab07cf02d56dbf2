"""Trigger subscription aggregate (`trg_...`): what starts one flow.

Invariants:
- A subscription is created once, for one flow, of one kind, with the configuration its kind needs: a poll names
  its provider and trigger and polls at most once a second; an event trigger names a Junction event type; a cron
  trigger has a valid cron expression (five fields, or six with seconds first); a form trigger names its form; a
  webhook's `responseHeaders` (set on its 202 answer) are at most 20 one-line headers.
  The service checks what only it can know (the flow exists, the provider has that poll trigger) before the command.
- A webhook subscription's token is kept only as its hash, its secret only vault-sealed.
- A deleted subscription starts nothing; deleting it again changes nothing.
- An update changes a live subscription's configuration (checked as on create), its connection, its sealed webhook
  secret or its token hash; its kind, flow and source stay. An update changing nothing records nothing.
- A key rotation re-wraps only the sealed secret it read (the same ciphertext under another key): if the secret
  is not that one any more, or the subscription is deleted, it records nothing.
"""

from __future__ import annotations

import re
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import croniter

from flows_contracts import triggers as tx
from junction_common.decisions import CommandRejected
from junction_common.envelope import CommandEnvelope, EventEnvelope, NewEvent

Doc = dict[str, Any]
EVENT_TYPE = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$")
HEADER_NAME = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]{1,64}")


def _zone(name: Any) -> bool:
    try:
        return isinstance(name, str) and ZoneInfo(name) is not None
    except (ZoneInfoNotFoundError, ValueError):
        return False


def _valid_cron(expression: Any) -> bool:
    if not isinstance(expression, str) or len(expression.split()) not in (5, 6):
        return False
    return bool(croniter.is_valid(expression, second_at_beginning=len(expression.split()) == 6))


def config_errors(kind: str, config: Doc) -> list[Doc]:
    """What the kind's configuration lacks or gets wrong, as `{field, message}`."""
    if kind == "poll":
        interval = config.get("intervalSeconds", tx.DEFAULT_POLL_INTERVAL_S)
        if not isinstance(interval, int) or isinstance(interval, bool) or interval < tx.MIN_POLL_INTERVAL_S:
            return [{"field": "config.intervalSeconds", "message": "must be a whole number of seconds, at least 1"}]
        return _paging_errors(config)
    if kind == "event" and not EVENT_TYPE.match(str(config.get("eventType", ""))):
        return [{"field": "config.eventType", "message": "must name a Junction event type, e.g. contact.created"}]
    if kind == "cron":
        expression = config.get("cron")
        if not _valid_cron(expression):
            return [{"field": "config.cron", "message": "must be a five-field cron expression, e.g. */5 * * * *, "
                                                        "or six fields with seconds first, e.g. */10 * * * * *"}]
        if "timezone" in config and not _zone(config["timezone"]):
            return [{"field": "config.timezone", "message": "must be an IANA time zone, e.g. Europe/Paris"}]
    if kind == "form" and not (isinstance(config.get("formId"), str) and config["formId"]):
        return [{"field": "config.formId", "message": "must name the form whose submissions start the flow"}]
    if kind == "webhook" and "secret" in config:
        return [{"field": "config.secret", "message": "is sealed before it is stored: it never reaches here"}]
    if kind == "webhook" and not _header_map(config.get("responseHeaders", {})):
        return [{"field": "config.responseHeaders", "message": "must map at most 20 header names to one-line "
                                                               "strings, e.g. {\"X-Received-By\": \"junction\"}"}]
    return []


def _paging_errors(config: Doc) -> list[Doc]:
    """A poll's paging options: `maxPages` 1-100, `connectionId` and `recordsPath` strings, `pagination` with a
    known `style`."""
    pages = config.get("maxPages", 1)
    if not isinstance(pages, int) or isinstance(pages, bool) or not 1 <= pages <= tx.MAX_POLL_PAGES:
        return [{"field": "config.maxPages", "message": f"must be a whole number from 1 to {tx.MAX_POLL_PAGES}"}]
    for name in ("connectionId", "recordsPath"):
        if name in config and not (isinstance(config[name], str) and 0 < len(config[name]) <= 128):
            return [{"field": f"config.{name}", "message": "must be a non-empty string of at most 128 characters"}]
    paging = config.get("pagination", {"style": "none"})
    if not isinstance(paging, dict) or paging.get("style") not in tx.PAGINATION_STYLES:
        return [{"field": "config.pagination.style", "message": "must be one of " + ", ".join(tx.PAGINATION_STYLES)}]
    return []


def _header_map(headers: Any) -> bool:
    return isinstance(headers, dict) and len(headers) <= 20 and all(
        isinstance(k, str) and HEADER_NAME.fullmatch(k) and isinstance(v, str) and len(v) <= 1000
        and not any(c in v for c in "\r\n\0") for k, v in headers.items())


def decide_create(cmd: CommandEnvelope, history: list[EventEnvelope]) -> list[NewEvent]:
    """A subscription is created once, with a configuration fit for its kind."""
    if history:
        raise CommandRejected("VALIDATION_ERROR", "The trigger already exists.", {"id": cmd.aggregate_id})
    record = tx.TriggerRecord.model_validate(cmd.data["record"])
    errors = config_errors(record.kind, record.config)
    if errors:
        raise CommandRejected("VALIDATION_ERROR", "The trigger's configuration is not valid.", {"errors": errors})
    return [_event(tx.TRIGGER_CREATED, record=record.model_dump(mode="json"))]


def decide_delete(cmd: CommandEnvelope, history: list[EventEnvelope]) -> list[NewEvent]:
    """A deleted subscription stays deleted; deleting it again changes nothing."""
    if not history:
        raise CommandRejected("NOT_FOUND", "Trigger not found.", {"id": cmd.aggregate_id})
    record = dict(history[0].data["record"])
    if any(e.type == tx.TRIGGER_DELETED for e in history):
        return []
    changes = {"status": "deleted"}
    return [_event(tx.TRIGGER_DELETED, record={**record, **changes}, changes=changes)]


def decide_update(cmd: CommandEnvelope, history: list[EventEnvelope]) -> list[NewEvent]:
    """A live subscription takes the new configuration only if it is valid for its kind."""
    if not history or any(e.type == tx.TRIGGER_DELETED for e in history):
        raise CommandRejected("NOT_FOUND", "Trigger not found.", {"id": cmd.aggregate_id})
    held = dict(history[-1].data["record"])
    changes = tx.TriggerUpdatedChanges.model_validate(cmd.data["changes"]).model_dump(mode="json")
    record = tx.TriggerRecord.model_validate({**held, **changes}).model_dump(mode="json")
    errors = config_errors(record["kind"], record["config"])
    if errors:
        raise CommandRejected("VALIDATION_ERROR", "The trigger's configuration is not valid.", {"errors": errors})
    if record == tx.TriggerRecord.model_validate(held).model_dump(mode="json"):
        return []
    return [_event(tx.TRIGGER_UPDATED, record=record, changes=changes)]


def _event(event_type: str, **parts: Any) -> NewEvent:
    model = tx.EVENT_MODELS[event_type]
    data = model.model_validate(parts).model_dump(mode="json")
    return NewEvent(type=event_type, data=data, schema_version=model.schema_version)


def decide_rotate_keys(cmd: CommandEnvelope, history: list[EventEnvelope]) -> list[NewEvent]:
    """The re-wrapped secret replaces the one held only if it is the same secret under another key."""
    if not history or any(e.type == tx.TRIGGER_DELETED for e in history):
        return []
    record = dict(history[-1].data["record"])
    held, given = record.get("secret_sealed"), cmd.data.get("secret_sealed")
    if not (held and given and held["ciphertext"] == given["ciphertext"] and held["nonce"] == given["nonce"]
            and held["kid"] != given["kid"]):
        return []
    changes = {"secret_sealed": given}
    return [_event(tx.TRIGGER_KEYS_ROTATED, record={**record, **changes}, changes=changes)]


DECIDERS = {tx.CREATE_TRIGGER: decide_create, tx.DELETE_TRIGGER: decide_delete, tx.UPDATE_TRIGGER: decide_update,
            tx.ROTATE_TRIGGER_KEYS: decide_rotate_keys}
