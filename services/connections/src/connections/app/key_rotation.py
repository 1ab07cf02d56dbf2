"""`junction keys rotate` for the connections service: every sealed secret it holds re-wrapped under the vault's
active key: each live connection's credentials and inbound webhook token's sealed copy, each live tenant
integration's secret (`writeOnly`) settings, and each live provider webhook subscription's signing and
forwarding secrets. Custom providers hold no secret; an OAuth authorization's state and PKCE verifier are held
in the pending connection's sealed credentials, so they are rotated with them.

No downtime: the operator first adds the new key to JUNCTION_VAULT_KEYS and makes it active (every replica
restarted with both keys: old ciphertexts still open, new ones are sealed under the new key), then rotates, then
removes the old key. Re-wrapping keeps each secret's ciphertext and replaces only its wrapped data key; the
change is an event of the secret's own aggregate (`connection.credentials_rotated`,
`tenant_integration.keys_rotated`, `provider_webhook_subscription.keys_rotated`), so a replayed projection ends
with the new wrapping, and each decision applies it only if the secret is still the one read (a secret changed
meanwhile is already sealed under the active key). Older events keep the old wrapping: once the old key is gone
nothing reads them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from connections.app.commands import run_command
from connections.app.operations import Call, Connections
from connections_contracts import connection as cx
from connections_contracts import provider_webhooks as pw
from connections_contracts import tenant_integrations as ti
from junction_common.envelope import Actor
from junction_common.ids import new_ulid
from junction_common.logconfig import get_logger
from junction_common.vault import SealedSecret, VaultError
from junction_common.web.envelope import ApiError
from junction_common.web.peers import service_principal

log = get_logger(__name__)
Doc = dict[str, Any]
SEALED_FIELDS = ("credentials_sealed", "webhook_token_sealed")  # a connection's


@dataclass(frozen=True)
class SealedKind:
    """One aggregate holding sealed secrets: its read model, its rotation command and its sealed fields."""

    name: str
    collection: str
    command: str
    fields: tuple[str, ...]
    live: Callable[[Doc], bool]


KINDS = (
    SealedKind("connections", cx.COLLECTION, cx.ROTATE_KEYS, SEALED_FIELDS, lambda d: not d.get("deleted")),
    SealedKind("tenant_integrations", ti.COLLECTION, ti.ROTATE_KEYS, ("settings_sealed",),
               lambda d: not d.get("deleted")),
    SealedKind("provider_webhook_subscriptions", pw.SUBSCRIPTIONS, pw.ROTATE_KEYS, pw.SEALED_FIELDS,
               lambda d: d.get("status") != pw.DELETED),
)


@dataclass
class Tally:
    rotated: int = 0
    current: int = 0
    failed: list[str] = field(default_factory=list)

    def summary(self) -> Doc:
        return {"rotated": self.rotated, "current": self.current, "failed": self.failed}


class KeyRotation:
    def __init__(self, connections: Connections) -> None:
        self.connections = connections

    def rewrapped(self, doc: Doc, fields: tuple[str, ...] = SEALED_FIELDS) -> Doc:
        """The document's sealed secrets not under the active key, re-wrapped under it."""
        vault = self.connections.vault
        return {name: vault.rewrap(SealedSecret.from_dict(doc[name])).to_dict() for name in fields
                if doc.get(name) and doc[name].get("kid") != vault.active_kid}

    async def rotate(self, request_id: str) -> Doc:
        """Every live holder of a secret in every workspace: how many were re-wrapped, already current, or failed
        (in all, and by kind)."""
        run_id = f"{request_id}.rotate.{new_ulid()}"  # a later rotation (another key) is never taken for a repeat
        kinds = {kind.name: await self._rotate_kind(kind, run_id) for kind in KINDS}
        failed = [i for t in kinds.values() for i in t.failed]
        totals: Doc = {"rotated": sum(t.rotated for t in kinds.values()),
                       "current": sum(t.current for t in kinds.values()), "failed": failed}
        log.info("key_rotation_done", active_key=self.connections.vault.active_kid, rotated=totals["rotated"],
                 current=totals["current"], failed=len(failed))
        return {"active_key": self.connections.vault.active_kid, **totals,
                "kinds": {name: tally.summary() for name, tally in kinds.items()}}

    async def _rotate_kind(self, kind: SealedKind, run_id: str) -> Tally:
        tally = Tally()
        runtime = self.connections.runtime
        for doc in await runtime.db[kind.collection].find({}).to_list():  # read first: the loop rewrites them
            if not kind.live(doc):
                continue
            try:
                data = self.rewrapped(doc, kind.fields)
                if not data:
                    tally.current += 1
                    continue
                call = Call(service_principal(doc["workspace_id"], "keys"), run_id,
                            Actor(kind="system", id="keys_rotate"))
                await run_command(runtime, call, kind.command, doc["_id"], data, kind.collection)
                tally.rotated += 1
            except (VaultError, ApiError) as exc:
                log.warning("key_rotation_failed", kind=kind.name, id=doc["_id"], error=type(exc).__name__)
                tally.failed.append(doc["_id"])
        return tally
