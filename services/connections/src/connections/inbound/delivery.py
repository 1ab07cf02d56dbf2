"""What a provider's delivery says about itself: its body as JSON, its delivery id (for dedup) and its event type.

Where the manifest does not say (`webhooks.delivery_id`, `webhooks.event_type`: `header:<name>` or
`body:<dot.path>`), the providers' usual places are tried in order.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl

MAX_ID_CHARS = 200
# The delivery id headers providers send (GitHub, Linear, Standard Webhooks, Zendesk, Atlassian, Shopify, Svix).
ID_HEADERS = ("x-github-delivery", "linear-delivery", "webhook-id", "x-zendesk-webhook-invocation-id",
              "x-atlassian-webhook-identifier", "x-shopify-webhook-id", "svix-id")
ID_FIELDS_BY_SCHEME = {"stripe": ("id",), "slack": ("event_id",)}
ID_FIELDS = ("event_id", "eventId", "webhook_event_id")
EVENT_HEADERS = ("x-github-event", "x-shopify-topic", "x-event-type", "x-gitlab-event")
EVENT_FIELDS = ("event_type", "eventType", "event.type", "event", "type", "topic", "action")


def parsed_body(body: bytes, content_type: str) -> Any:
    """The body as JSON: parsed JSON, a form as an object, other text as `{"text": ...}`, nothing as None."""
    if not body:
        return None
    text = body.decode("utf-8", errors="replace")
    if "form-urlencoded" in content_type.lower():
        return dict(parse_qsl(text, keep_blank_values=True))
    try:
        return json.loads(text)
    except ValueError:
        return {"text": text}


def _at(body: Any, path: str) -> str | None:
    value = body
    for part in path.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return None
        value = value[part]
    return str(value)[:MAX_ID_CHARS] if isinstance(value, str | int) and value != "" else None


def _declared(where: str, headers: Mapping[str, str], body: Any) -> str | None:
    kind, _, name = where.partition(":")
    if kind == "header":
        return headers.get(name.lower(), "").strip()[:MAX_ID_CHARS] or None
    return _at(body, name)


def delivery_id(declared: str | None, scheme: str, headers: Mapping[str, str], body: Any) -> str | None:
    """The provider's id of this delivery, or None when it gives none (then each delivery is recorded)."""
    if declared:
        return _declared(declared, headers, body)
    found = next((headers[h].strip()[:MAX_ID_CHARS] for h in ID_HEADERS if headers.get(h, "").strip()), None)
    fields = ID_FIELDS_BY_SCHEME.get(scheme, ()) + ID_FIELDS
    return found or next((v for v in (_at(body, f) for f in fields) if v), None)


def event_type(declared: str | None, headers: Mapping[str, str], body: Any) -> str | None:
    """The delivery's event type (`invitee.created`, `push`), or None when it names none."""
    if declared:
        return _declared(declared, headers, body)
    found = next((headers[h].strip()[:MAX_ID_CHARS] for h in EVENT_HEADERS if headers.get(h, "").strip()), None)
    if found:
        return found
    if isinstance(body, Mapping) and body.get("type") == "event_callback":  # Slack's Events API envelope
        return _at(body, "event.type")
    return next((v for v in (_at(body, f) for f in EVENT_FIELDS) if v), None)
