"""Standard Webhooks signatures: `v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">`.

A `whsec_` secret is base64 after its prefix (the form the standardwebhooks libraries expect); any other
secret (the workflow reference lets callers choose one) signs with its UTF-8 bytes.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os

PREFIX = "whsec_"


def secret_aad(workspace_id: str, endpoint_id: str) -> bytes:
    """What a sealed signing secret is bound to (vault AAD): sealed by the gateway, opened by the service."""
    return f"{workspace_id}:{endpoint_id}:signing".encode()


def new_secret() -> str:
    return PREFIX + base64.b64encode(os.urandom(24)).decode()


def key_bytes(secret: str) -> bytes:
    if secret.startswith(PREFIX):
        return base64.b64decode(secret[len(PREFIX):], validate=True)
    return secret.encode()


def secret_problem(secret: str) -> str | None:
    """Why a caller-chosen secret cannot sign, or None: a `whsec_` one must be base64 of 24 to 64 bytes."""
    if not secret.startswith(PREFIX):
        return None
    try:
        size = len(key_bytes(secret))
    except ValueError:
        return "a secret starting with whsec_ must be base64 after the prefix"
    return None if 24 <= size <= 64 else "a whsec_ secret must hold 24 to 64 bytes"


def preview(secret: str) -> str:
    """`whsec_abcd...wxyz` for generated secrets; for a caller's own secret only its last two characters."""
    if secret.startswith(PREFIX) and len(secret) >= len(PREFIX) + 32:
        body = secret[len(PREFIX):]
        return f"{PREFIX}{body[:4]}...{body[-4:]}"
    return f"...{secret[-2:]}" if len(secret) >= 16 else "..."


def sign(key: bytes, msg_id: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(key, f"{msg_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    return "v1," + base64.b64encode(mac).decode()


def signature_header(keys: list[bytes], msg_id: str, timestamp: int, body: bytes) -> str:
    """One signature per valid secret, space-separated (during rotation both verify)."""
    return " ".join(sign(key, msg_id, timestamp, body) for key in keys)
