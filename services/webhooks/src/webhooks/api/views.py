"""How the webhooks service's documents look through the public API: endpoints, deliveries, integration events
and event types.

Sealed secrets, leases and internal timestamps never leave the service; times are ISO 8601.
"""

from __future__ import annotations

import json
import time
from typing import Any

from junction_common.timefmt import from_epoch
from webhooks_contracts import declarations as wh

Doc = dict[str, Any]
_ENDPOINT_HIDDEN = {"_id", "_version", "workspace_id", "secret_sealed", "previous_secrets", "created_ts",
                    "catch_up_since", "status_changed_at"}
OPEN = wh.OPEN_DELIVERY_STATUSES


def _iso(ts: Any) -> str | None:
    return from_epoch(float(ts)) if isinstance(ts, int | float) and ts else None


def endpoint_view(doc: Doc) -> Doc:
    view = {k: v for k, v in doc.items() if k not in _ENDPOINT_HIDDEN}
    view["events"] = view.get("event_types") or []  # the workflow reference's name for the same list
    view["secret_rotation"] = {"previous_secrets_valid_until": [s["expires_at"] for s in
                                                                doc.get("previous_secrets") or []]}
    return view


def _attempt(a: Doc) -> Doc:
    return {"at": _iso(a.get("at")), "status_code": a.get("status_code"), "latency_ms": a.get("latency_ms"),
            "response_body": a.get("response_body"), "error": a.get("error")}


def delivery_view(doc: Doc, with_payload: bool = False) -> Doc:
    view = {
        "id": doc["_id"], "webhook_id": doc["webhook_id"], "event_id": doc["event_id"],
        "event_type": doc["event_type"], "status": doc["status"], "attempt_count": doc.get("attempt_count", 0),
        "attempts": [_attempt(a) for a in doc.get("attempts") or []], "last_status_code": doc.get("last_status_code"),
        "next_attempt_at": _iso(doc.get("next_attempt_at")) if doc["status"] in OPEN else None,
        "source": doc.get("source"), "retry_of": doc.get("retry_of"), "created_at": doc.get("created_at"),
        "updated_at": doc.get("updated_at"), "occurred_at": doc.get("occurred_at"),
    }
    if with_payload:
        view["payload"] = json.loads(doc["payload"])
    return view


def event_status(doc: Doc, now: float | None = None) -> str:
    """A delivery seen as an integration event: queued, processing, succeeded, failed or cancelled."""
    if doc["status"] in OPEN:
        return "processing" if float(doc.get("lease_until") or 0) > (now or time.time()) else "queued"
    return str(doc["status"])


def integration_event_view(doc: Doc, detail: bool = False) -> Doc:
    view: Doc = {
        "id": doc["_id"], "kind": "webhook.delivery", "direction": "outbound", "integrationId": doc["webhook_id"],
        "eventType": doc["event_type"], "eventId": doc["event_id"], "status": event_status(doc),
        "attempts": doc.get("attempt_count", 0), "createdAt": doc.get("created_at"),
        "updatedAt": doc.get("updated_at"), "lastAttemptAt": doc.get("last_attempt_at"),
        "nextAttemptAt": _iso(doc.get("next_attempt_at")) if doc["status"] in OPEN else None,
        "retryOf": doc.get("retry_of"), "retriedBy": doc.get("retried_by") or [],
        "error": doc.get("failed_reason") or doc.get("last_error"),
    }
    if detail:
        view["logs"] = [_log(doc, a) for a in doc.get("attempts") or []]
        view["payloadRef"] = {"eventId": doc["event_id"], "eventType": doc["event_type"],
                              "sizeBytes": len(doc["payload"].encode()), "contentType": "application/json"}
        view["payload"] = json.loads(doc["payload"])
    return view


def _log(doc: Doc, a: Doc) -> Doc:
    """One communication: the request as sent (signature redacted) and the response as received."""
    return {"at": _iso(a.get("at")),
            "request": {"method": "POST", "headers": {"webhook-id": doc["_id"], "webhook-signature": "[redacted]",
                                                      "content-type": "application/json"}},
            "response": {"status": a.get("status_code"), "body": a.get("response_body"),
                         "latencyMs": a.get("latency_ms")},
            "error": a.get("error")}


def type_view(doc: Doc) -> Doc:
    """A workspace's own event type (built-in ones come from the catalogue)."""
    return {"id": doc["id"], "key": doc["key"], "category": doc["category"], "description": doc.get("description"),
            "custom": True, "created_at": doc.get("created_at")}
