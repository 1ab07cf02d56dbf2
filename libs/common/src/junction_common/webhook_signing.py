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


def new_secret() -> str:
    return PREFIX + base64.b64encode(os.urandom(24)).decode()


def key_bytes(secret: str) -> bytes:
    if secret.startswith(PREFIX):
        return base64.b64decode(secret[len(PREFIX):])
    return secret.encode()


def preview(secret: str) -> str:
    """`whsec_abcd...wxyz`: enough to tell secrets apart, never enough to use one."""
    body = secret[len(PREFIX):] if secret.startswith(PREFIX) else secret
    return f"{PREFIX}{body[:4]}...{body[-4:]}" if len(body) >= 12 else f"{PREFIX}..."


def sign(key: bytes, msg_id: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(key, f"{msg_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    return "v1," + base64.b64encode(mac).decode()


def signature_header(keys: list[bytes], msg_id: str, timestamp: int, body: bytes) -> str:
    """One signature per valid secret, space-separated (during rotation both verify)."""
    return " ".join(sign(key, msg_id, timestamp, body) for key in keys)
