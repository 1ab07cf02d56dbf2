"""The inbound webhook token itself (what app.webhook_tokens issues, opens and resolves): 32 random bytes,
base64url (format 2), held as its SHA-256, its first four characters and a vault-sealed copy bound to the
workspace and the connection."""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass
from typing import Any

from junction_common.vault import SealedSecret, Vault

Doc = dict[str, Any]
CURRENT_FORMAT = 2
TOKEN_BYTES = 32


def new_token() -> str:
    """A fresh token in the current format: 256 random bits, URL-safe."""
    return base64.urlsafe_b64encode(secrets.token_bytes(TOKEN_BYTES)).rstrip(b"=").decode()


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def token_prefix(token: str) -> str:
    return token[:4] + "..."


def _aad(workspace_id: str, connection_id: str) -> bytes:
    return f"webhook_token:{workspace_id}:{connection_id}".encode()


@dataclass(frozen=True)
class Issued:
    """A token just made: the plain token (for the one answer that shows it) and how it is held (for events)."""

    plain: str
    held: Doc


def issue_token(vault: Vault, workspace_id: str, connection_id: str) -> Issued:
    plain = new_token()
    sealed = vault.seal(plain.encode(), _aad(workspace_id, connection_id)).to_dict()
    return Issued(plain, {"hash": token_hash(plain), "format": CURRENT_FORMAT, "prefix": token_prefix(plain),
                          "sealed": sealed})


def open_token(vault: Vault, doc: Doc) -> str:
    """The plain token of a connection's read-model document."""
    sealed = SealedSecret.from_dict(doc["webhook_token_sealed"])
    return vault.open(sealed, _aad(doc["workspace_id"], doc["_id"])).decode()
