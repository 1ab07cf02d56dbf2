"""`junction keys rotate` for the connections service: every sealed secret of every live connection (its
credentials and its inbound webhook token's sealed copy) re-wrapped under the vault's active key.

No downtime: the operator first adds the new key to JUNCTION_VAULT_KEYS and makes it active (every replica
restarted with both keys: old ciphertexts still open, new ones are sealed under the new key), then rotates, then
removes the old key. Re-wrapping keeps each secret's ciphertext and replaces only its wrapped data key; the
change is the event `connection.credentials_rotated` (so a replayed projection ends with the new wrapping), and
the decision applies it only if the secret is still the one read (a credential changed meanwhile is already
sealed under the active key). Older events keep the old wrapping: once the old key is gone nothing reads them.
"""

from __future__ import annotations

from typing import Any

from connections.app.operations import Call, Connections
from connections_contracts import connection as cx
from junction_common.envelope import Actor
from junction_common.logconfig import get_logger
from junction_common.vault import SealedSecret, VaultError
from junction_common.web.envelope import ApiError
from junction_common.web.peers import service_principal

log = get_logger(__name__)
Doc = dict[str, Any]
SEALED_FIELDS = ("credentials_sealed", "webhook_token_sealed")


class KeyRotation:
    def __init__(self, connections: Connections) -> None:
        self.connections = connections

    def rewrapped(self, doc: Doc) -> Doc:
        """The connection's sealed secrets not under the active key, re-wrapped under it."""
        vault = self.connections.vault
        return {name: vault.rewrap(SealedSecret.from_dict(doc[name])).to_dict() for name in SEALED_FIELDS
                if doc.get(name) and doc[name].get("kid") != vault.active_kid}

    async def rotate(self, request_id: str) -> Doc:
        """Every live connection of every workspace: how many were re-wrapped, already current, or failed."""
        rotated, current, failed = 0, 0, []
        for doc in await self.connections.db.find({}).to_list():  # read first: the loop rewrites them
            if doc.get("deleted"):
                continue
            try:
                data = self.rewrapped(doc)
                if not data:
                    current += 1
                    continue
                call = Call(service_principal(doc["workspace_id"], "keys"), f"{request_id}.rotate",
                            Actor(kind="system", id="keys_rotate"))
                await self.connections.run(call, cx.ROTATE_KEYS, doc["_id"], data)
                rotated += 1
            except (VaultError, ApiError) as exc:
                log.warning("key_rotation_failed", connection_id=doc["_id"], error=type(exc).__name__)
                failed.append(doc["_id"])
        log.info("key_rotation_done", active_key=self.connections.vault.active_kid, rotated=rotated,
                 current=current, failed=len(failed))
        return {"active_key": self.connections.vault.active_kid, "rotated": rotated, "current": current,
                "failed": failed}
