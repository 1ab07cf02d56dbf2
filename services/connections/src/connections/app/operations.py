"""The synchronous operations on connections, run inside the service (its internal API calls them): credentials
are sealed here, tested here, and every change is a command this service runs through its own executor (an id
derived from the request, so a repeat of one request repeats nothing). The answer waits until the projection
shows the change (a GET right after sees it).

Secrets stay in this module's locals: commands and events get the sealed form and a preview (`…abcd`).
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from connections.app.inbound_tokens import issue_token
from connections.app.provider_test import Outcome, ProviderTester
from connections.catalogue.facts import credential_fields
from connections.catalogue.manifest import Manifest
from connections_contracts import connection as cx
from junction_common.envelope import Actor, CommandEnvelope
from junction_common.identity import Principal
from junction_common.ids import new_ulid
from junction_common.service import ServiceRuntime
from junction_common.store.outcomes import SUCCEEDED
from junction_common.vault import SealedSecret, Vault, parse_keys
from junction_common.web.envelope import ApiError

Doc = dict[str, Any]
SETTLE_TIMEOUT_S = 10.0
# Told before a connection's credentials are erased (app.revoke): what the provider said, for the ending event.
Revoker = Callable[[Doc], Awaitable[Doc]]


def preview(credentials: dict[str, str], manifest: Manifest | None) -> str | None:
    """`…abcd`: the last four characters of the first secret field, for telling keys apart (none under 12)."""
    secret = {f.name for f in credential_fields(manifest) if f.secret} if manifest else set(credentials)
    value = next((v for k, v in credentials.items() if k in secret or not secret), "")
    return f"…{value[-4:]}" if len(value) >= 12 else None


@dataclass(frozen=True)
class Call:
    """Who asked, in which request (the command ids derive from it)."""

    principal: Principal
    request_id: str
    actor: Actor | None = None  # who acted, where it is not the principal's key (an OAuth callback's state)

    @property
    def workspace_id(self) -> str:
        return self.principal.workspace_id


class Connections:
    """Connections of a workspace: seal, test, decide and append, then answer once readable."""

    def __init__(self, runtime: ServiceRuntime) -> None:
        self.runtime = runtime
        self.vault = Vault(parse_keys(runtime.settings.vault_keys), runtime.settings.vault_active_key)
        self.revoker: Revoker | None = None  # set where the service is wired (app.revoke.ProviderRevoker)

    @property
    def db(self) -> Any:
        return self.runtime.db[cx.COLLECTION]

    async def find(self, workspace_id: str, connection_id: str) -> Doc:
        doc = await self.db.find_one({"_id": connection_id})
        if doc is None or doc.get("workspace_id") != workspace_id or doc.get("deleted"):
            raise ApiError("NOT_FOUND", "The connection could not be found.", {"id": connection_id})
        return dict(doc)

    async def of_provider(self, workspace_id: str, provider: str) -> Doc | None:
        """The workspace's latest live connection of `provider` (what connect-api's status reports)."""
        docs = [d async for d in self.db.find({"workspace_id": workspace_id})
                if d.get("provider") == provider and not d.get("deleted")]
        return max(docs, key=lambda d: d.get("created_ts", 0), default=None)

    async def test(self, manifest: Manifest | None, credentials: dict[str, str]) -> Outcome:
        if manifest is None:
            return Outcome(cx.CONNECTED)  # a bare credential: nothing to test it against
        return await self.runtime.component(ProviderTester).test(manifest, credentials)

    def _seal(self, workspace_id: str, connection_id: str, credentials: dict[str, Any]) -> Doc:
        plaintext = json.dumps(credentials, separators=(",", ":")).encode()
        return self.vault.seal(plaintext, _aad(workspace_id, connection_id)).to_dict()

    def open(self, doc: Doc) -> dict[str, Any]:
        sealed = doc.get("credentials_sealed")
        if not sealed:
            raise ApiError("VALIDATION_ERROR", "The connection holds no credentials: connect it again.",
                           {"status": doc.get("status")})
        raw = self.vault.open(SealedSecret.from_dict(sealed), _aad(doc["workspace_id"], doc["_id"]))
        opened: dict[str, Any] = json.loads(raw)
        return opened

    async def create(self, call: Call, manifest: Manifest | None, credentials: dict[str, str], record: Doc) -> Doc:
        """A new connection with these credentials, sealed, and their test's outcome."""
        connection_id = "conn_" + new_ulid()
        outcome = await self.test(manifest, credentials)
        record = {**record, "provider": manifest.type if manifest else None,
                  "auth_type": manifest.auth.kind if manifest else record.get("auth_type", "api_key"),
                  "credential_fields": sorted(credentials), "credential_preview": preview(credentials, manifest)}
        data = {"record": record, **_checked(outcome),
                "credentials_sealed": self._seal(call.workspace_id, connection_id, credentials),
                "webhook_token": issue_token(self.vault, call.workspace_id, connection_id).held}
        return await self.run(call, cx.CREATE, connection_id, data)

    async def create_pending(self, call: Call, connection_id: str, record: Doc, sealed_fields: dict[str, Any]) -> Doc:
        """A DISCONNECTED connection holding what its authorization needs (sealed): an OAuth flow's start."""
        data = {"record": {**record, "credential_fields": [], "credential_preview": None},
                "status": cx.DISCONNECTED, "last_error": None, "last_checked_at": None,
                "credentials_sealed": self._seal(call.workspace_id, connection_id, sealed_fields),
                "webhook_token": issue_token(self.vault, call.workspace_id, connection_id).held}
        return await self.run(call, cx.CREATE, connection_id, data)

    async def store_tokens(self, call: Call, doc: Doc, sealed_fields: dict[str, Any], field_names: list[str]) -> Doc:
        """CONNECTED with these (OAuth) credentials, sealed: the event carries only their ciphertext and names."""
        def data(connection_id: str) -> Doc:
            return {**_checked(Outcome(cx.CONNECTED)), "credential_fields": sorted(field_names),
                    "credential_preview": None,
                    "credentials_sealed": self._seal(call.workspace_id, connection_id, sealed_fields)}

        changed = await self.run(call, cx.RECONNECT, doc["_id"], data(doc["_id"]))
        await self._to_variants(call, changed, data)
        return changed

    async def replace(self, call: Call, doc: Doc, manifest: Manifest | None, credentials: dict[str, str]) -> Doc:
        outcome = await self.test(manifest, credentials)

        def data(connection_id: str) -> Doc:
            return {**_checked(outcome), "credential_fields": sorted(credentials),
                    "credential_preview": preview(credentials, manifest),
                    "credentials_sealed": self._seal(call.workspace_id, connection_id, credentials)}

        changed = await self.run(call, cx.RECONNECT, doc["_id"], data(doc["_id"]))
        await self._to_variants(call, changed, data)
        return changed

    async def _to_variants(self, call: Call, doc: Doc, data: Callable[[str], Doc]) -> None:
        """New credentials of a variant reach every live variant of its group (each holds its own sealed copy)."""
        group = doc.get("variant_group_id")
        if not group:
            return
        async for member in self.db.find({"variant_group_id": group}):
            if member["_id"] != doc["_id"] and member.get("workspace_id") == call.workspace_id \
                    and not member.get("deleted"):
                await self.run(call, cx.RECONNECT, member["_id"], data(member["_id"]))

    async def check(self, call: Call, doc: Doc, manifest: Manifest | None) -> Doc:
        """Test the saved credentials again and record what was found."""
        if doc.get("status") == cx.DISCONNECTED:
            raise ApiError("VALIDATION_ERROR", "The connection is disconnected: connect it with new credentials.",
                           {"status": cx.DISCONNECTED})
        outcome = await self.test(manifest, self.open(doc))
        return await self.run(call, cx.RECORD_CHECK, doc["_id"], _checked(outcome))

    async def update(self, call: Call, doc: Doc, settings: Doc) -> Doc:
        return await self.run(call, cx.UPDATE, doc["_id"], settings)

    async def disconnect(self, call: Call, doc: Doc) -> Doc:
        """DISCONNECTED, revoked at the provider where it can be (a failure is recorded, never blocking), the
        sealed credentials erased."""
        return await self.run(call, cx.DISCONNECT, doc["_id"], await self._revoked(doc))

    async def delete(self, call: Call, doc: Doc) -> Doc:
        return await self.run(call, cx.DELETE, doc["_id"], await self._revoked(doc))

    async def _revoked(self, doc: Doc) -> Doc:
        if self.revoker is None or not doc.get("credentials_sealed") or doc.get("status") == cx.DISCONNECTED:
            return {}
        return await self.revoker(doc)

    async def run(self, call: Call, command: str, connection_id: str, data: Doc) -> Doc:
        """Decide and append through this service's executor; the connection once the projection shows it."""
        cmd = CommandEnvelope(command_id=f"cmd_{call.request_id}.{command}.{connection_id}", type=command,
                              aggregate_id=connection_id, workspace_id=call.workspace_id,
                              actor=call.actor or Actor(kind="api_key", id=call.principal.key_id),
                              request_id=call.request_id,
                              correlation_id=call.request_id, data=data)
        runtime = self.runtime
        await runtime.executor.execute(cmd, await runtime.spec.decider_for(cmd, runtime.db))
        outcome = await runtime.outcomes.get(cmd.command_id, call.workspace_id)
        if outcome is None or outcome["status"] != SUCCEEDED:
            error = (outcome or {}).get("error") or {}
            raise ApiError(error.get("code", "INTERNAL_ERROR"), error.get("message", "The change was not recorded."),
                           error.get("details"))
        doc = await runtime.waits.readable(runtime.db.name, cx.COLLECTION, connection_id, outcome["version"],
                                           SETTLE_TIMEOUT_S)
        return dict(doc) if doc is not None else await self.find(call.workspace_id, connection_id)


def _aad(workspace_id: str, connection_id: str) -> bytes:
    return f"connection:{workspace_id}:{connection_id}".encode()


def _checked(outcome: Outcome) -> Doc:
    return {"status": outcome.status, "last_error": outcome.error,
            "last_checked_at": datetime.now(UTC).isoformat()}
