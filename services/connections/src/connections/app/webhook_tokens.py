"""Inbound webhook tokens: one per connection, the credential of `POST /api/pipelines/webhook/:token` (the sync
service serves that trigger and asks this service whose token it is).

- A token is 32 random bytes, base64url (format 2). It is held as its SHA-256 (the lookup key: a 256-bit random
  token needs no slow or keyed hash, and a hash survives a rotation of the signing secret), its first four
  characters (`abc1...`, shown in lists) and a vault-sealed copy (bound to the workspace and the connection) that
  only the admin's reveal opens. Neither the plain token nor its hash is ever logged or shown by a view.
- Lookup is by hash on an index: the caller's token is never compared character by character with a stored one
  (no timing signal), and the final equality check is `hmac.compare_digest`.
- Legacy tokens: a connection made before tokens existed (format 0: none) or holding a token of an older format
  gets a current one at its next reveal (pipelines-api: "automatically upgraded ... No action is required").
"""

from __future__ import annotations

import hmac
from typing import Any

from connections.app.inbound_tokens import CURRENT_FORMAT, issue_token, open_token, token_hash, token_prefix
from connections.app.operations import Call, Connections
from connections_contracts import connection as cx
from connections_contracts.declarations import PIPELINES_BASE
from junction_common.logconfig import get_logger

log = get_logger(__name__)
Doc = dict[str, Any]
MAX_TOKEN_CHARS = 200


class WebhookTokens:
    """Reveal and resolve the inbound webhook tokens of the connections."""

    def __init__(self, connections: Connections, public_base_url: str) -> None:
        self.connections, self.public_base_url = connections, public_base_url.rstrip("/")

    def url(self, token: str) -> str:
        return f"{self.public_base_url}{PIPELINES_BASE}/webhook/{token}"

    async def resolve(self, token: str) -> Doc | None:
        """The live connection holding `token`, found by its hash; None for any other string."""
        if not isinstance(token, str) or not 0 < len(token) <= MAX_TOKEN_CHARS:
            return None
        wanted = token_hash(token)
        doc = await self.connections.db.find_one({"webhook_token_hash": wanted})
        if doc is None or doc.get("deleted") or not hmac.compare_digest(str(doc.get("webhook_token_hash")), wanted):
            return None
        return dict(doc)

    async def reveal(self, call: Call, doc: Doc) -> Doc:
        """The connection's webhook URL, audit-logged; a missing or older-format token is upgraded first."""
        upgraded = int(doc.get("webhook_token_format") or 0) < CURRENT_FORMAT or not doc.get("webhook_token_sealed")
        if upgraded:
            issued = issue_token(self.connections.vault, call.workspace_id, doc["_id"])
            doc = await self.connections.run(call, cx.ISSUE_WEBHOOK_TOKEN, doc["_id"], {"webhook_token": issued.held})
        await self.connections.run(call, cx.REVEAL_WEBHOOK_URL, doc["_id"], {"upgraded": upgraded})
        token = open_token(self.connections.vault, doc)
        log.info("webhook_url_revealed", connection_id=doc["_id"], upgraded=upgraded)
        url = self.url(token)
        return {"webhookUrl": url, "tokenPrefix": token_prefix(token), "curlExample": f"curl -X POST {url}"}
