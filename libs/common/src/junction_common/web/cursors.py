"""Opaque, signed cursors: a client can hand one back but cannot forge or edit it."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

from junction_common.web.envelope import ApiError


def encode_cursor(position: dict[str, Any], secret: str) -> str:
    raw = json.dumps(position, separators=(",", ":"), sort_keys=True).encode()
    sig = hmac.new(secret.encode(), raw, hashlib.sha256).digest()[:16]
    return base64.urlsafe_b64encode(sig + raw).decode().rstrip("=")


def decode_cursor(cursor: str, secret: str) -> dict[str, Any]:
    """The position a cursor holds; a tampered or malformed cursor is a VALIDATION_ERROR."""
    try:
        blob = base64.b64decode(cursor + "=" * (-len(cursor) % 4), altchars=b"-_", validate=True)
        sig, raw = blob[:16], blob[16:]
        good = hmac.new(secret.encode(), raw, hashlib.sha256).digest()[:16]
        if not hmac.compare_digest(sig, good):
            raise ValueError("bad signature")
        position = json.loads(raw)
        if not isinstance(position, dict):
            raise ValueError("bad cursor")
        return position
    except (ValueError, TypeError) as exc:
        raise ApiError("VALIDATION_ERROR", "The cursor is invalid.",
                       [{"pointer": "/query/cursor", "message": "invalid or tampered cursor"}]) from exc
