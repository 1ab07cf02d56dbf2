"""Junction's own signed, expiring URLs for uploading and downloading stored bytes (whatever the backend).

The signature is an HMAC over the action, workspace, object id and expiry; the URL is the only credential."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time

from junction_common.web.envelope import ApiError


def sign(secret: str, action: str, workspace_id: str, object_id: str, expires: int) -> str:
    message = f"{action}:{workspace_id}:{object_id}:{expires}".encode()
    return base64.urlsafe_b64encode(hmac.new(secret.encode(), message, hashlib.sha256).digest()).decode().rstrip("=")


def signed_query(secret: str, action: str, workspace_id: str, object_id: str, ttl_s: int) -> str:
    expires = int(time.time()) + ttl_s
    return f"ws={workspace_id}&expires={expires}&sig={sign(secret, action, workspace_id, object_id, expires)}"


def signed_url(base_url: str, path: str, secret: str, action: str, workspace_id: str, object_id: str,
               ttl_s: int) -> str:
    """`path` under the public base URL, signed for `action` on this object for `ttl_s` seconds."""
    query = signed_query(secret, action, workspace_id, object_id, ttl_s)
    return f"{base_url.rstrip('/')}{path}?{query}"


def verify(secret: str, action: str, workspace_id: str, object_id: str, expires: int, sig: str) -> None:
    """A forged or expired URL is refused (403, documented error shape)."""
    good = sign(secret, action, workspace_id, object_id, expires)
    if not hmac.compare_digest(good, sig):
        raise ApiError("FORBIDDEN", "The signed URL is invalid.")
    if expires < time.time():
        raise ApiError("FORBIDDEN", "The signed URL has expired.")
