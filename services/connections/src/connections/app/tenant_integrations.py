"""The synchronous operations on tenant integrations, run inside the service: settings validated against the
provider's settings schema, the secret ones (`writeOnly` in it) sealed here, the inbound key made here, shown once
and kept only as its SHA-256. Every change is a command run through this service's own executor.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from datetime import UTC, datetime
from typing import Any

from connections.app.commands import run_command
from connections.app.operations import Call, Connections
from connections.app.provider_test import Outcome
from connections.app.settings_schema import SettingsSchema
from connections.catalogue.manifest import Manifest, OAuth2Auth
from connections_contracts import connection as conn
from connections_contracts import tenant_integrations as ti
from junction_common.envelope import Actor
from junction_common.identity import Principal
from junction_common.ids import new_ulid
from junction_common.vault import SealedSecret
from junction_common.web.envelope import ApiError

Doc = dict[str, Any]
KEY_PREFIX = "jik_"


def new_key() -> str:
    """An inbound API key: 256 random bits, recognisable by its prefix."""
    return KEY_PREFIX + secrets.token_urlsafe(32)


def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def key_preview(key: str) -> str:
    return f"…{key[-4:]}"


def _now() -> str:
    return datetime.now(UTC).isoformat()


def _syncs(items: list[ti.Synchronization]) -> list[Doc]:
    """One entry per event type (the last given wins), in the order first given."""
    by_type = {s.eventType: s.enabled for s in items}
    return [{"event_type": t, "enabled": enabled} for t, enabled in by_type.items()]


class TenantIntegrations:
    """A workspace's tenant integrations: validate, seal, decide and append, answer once readable."""

    def __init__(self, connections: Connections) -> None:
        self.connections = connections
        self.runtime = connections.runtime
        self.vault = connections.vault

    @property
    def db(self) -> Any:
        return self.runtime.db[ti.COLLECTION]

    async def find(self, workspace_id: str, integration_id: str) -> Doc:
        doc = await self.db.find_one({"_id": integration_id, "workspace_id": workspace_id})
        if doc is None or doc.get("deleted"):
            raise ApiError("NOT_FOUND", "The integration could not be found.", {"id": integration_id})
        return dict(doc)

    async def page(self, workspace_id: str, query: ti.IntegrationListQuery) -> tuple[list[Doc], int]:
        """The workspace's live integrations, oldest first, one page of them, and how many there are."""
        filt: Doc = {"workspace_id": workspace_id, "deleted": False}
        if query.service is not None:
            filt["service"] = query.service
        if query.enabled is not None:
            filt["enabled"] = query.enabled
        total = await self.db.count_documents(filt)
        cursor = self.db.find(filt).sort([("created_ts", 1), ("_id", 1)])
        docs = await cursor.skip((query.page - 1) * query.limit).limit(query.limit).to_list()
        return [dict(d) for d in docs], total

    async def create(self, call: Call, manifest: Manifest, body: ti.IntegrationCreate) -> tuple[Doc, str]:
        """A new integration and its inbound key (the only time the key is shown, besides regenerate-key)."""
        schema = SettingsSchema.of(manifest)
        settings = schema.validated(body.settings)
        integration_id = ti.ID_PREFIX + new_ulid()
        key = new_key()
        plain, secret = schema.split(settings)
        record = {"service": manifest.type, "name": body.name or manifest.name, "enabled": body.enabled,
                  "settings": plain, "secret_settings": sorted(secret),
                  "synchronizations": _syncs(body.synchronizations), "key_preview": key_preview(key),
                  "key_regenerated_at": None}
        data = {"record": record, "key_hash": key_hash(key),
                "settings_sealed": self._seal(call.workspace_id, integration_id, secret) if secret else None}
        return await self._run(call, ti.CREATE, integration_id, data), key

    async def update(self, call: Call, doc: Doc, manifest: Manifest, body: ti.IntegrationUpdate) -> Doc:
        changes: Doc = {k: v for k, v in (("name", body.name), ("enabled", body.enabled)) if v is not None}
        if body.synchronizations is not None:
            changes["synchronizations"] = _syncs(body.synchronizations)
        data: Doc = {"changes": changes}
        if body.settings is not None:
            schema, sealed = SettingsSchema.of(manifest), self.open(doc)
            merged = {k: v for k, v in {**(doc.get("settings") or {}), **sealed, **body.settings}.items()
                      if v is not None}
            plain, secret = schema.split(schema.validated(merged))
            changes.update(settings=plain, secret_settings=sorted(secret))
            if secret != sealed:  # sealed even when empty: a removed secret is erased
                data["settings_sealed"] = self._seal(call.workspace_id, doc["_id"], secret)
        return await self._run(call, ti.UPDATE, doc["_id"], data)

    async def regenerate_key(self, call: Call, doc: Doc) -> tuple[Doc, str]:
        """A new inbound key; the previous one is refused as soon as this answers."""
        key = new_key()
        data = {"key_hash": key_hash(key), "key_preview": key_preview(key), "at": _now()}
        return await self._run(call, ti.REGENERATE_KEY, doc["_id"], data), key

    async def test(self, call: Call, doc: Doc, manifest: Manifest) -> Doc:
        """Its settings against the provider's test request (an OAuth provider: its latest connection's status)."""
        outcome = await self._outcome(call.workspace_id, doc, manifest)
        data = {"status": outcome.status, "error": outcome.error, "at": _now()}
        return await self._run(call, ti.RECORD_TEST, doc["_id"], data)

    async def delete(self, call: Call, doc: Doc) -> Doc:
        return await self._run(call, ti.DELETE, doc["_id"], {})

    async def by_key(self, key: str) -> Doc | None:
        """The live integration whose inbound key this is, found by its hash (no key is ever compared)."""
        doc = await self.db.find_one({"key_hash": key_hash(key), "deleted": False})
        return dict(doc) if doc is not None else None

    async def receive(self, key: str, body: ti.InboundEvent, request_id: str) -> str:
        """An event pushed with an inbound key: recorded once for its integration, if enabled and synchronized."""
        doc = await self.by_key(key)
        if doc is None:
            raise ApiError("UNAUTHORIZED", "The integration key is not valid.")
        if not doc.get("enabled"):
            raise ApiError("VALIDATION_ERROR", "The integration is disabled.", {"id": doc["_id"]})
        synchronized = {s["event_type"] for s in doc.get("synchronizations") or [] if s.get("enabled")}
        if body.eventType not in synchronized:
            raise ApiError("VALIDATION_ERROR", "The integration does not synchronize that event type.",
                           {"pointer": "/eventType", "eventType": body.eventType})
        principal = Principal(workspace_id=doc["workspace_id"], key_id="integration_key", role="SERVICE",
                              scopes=frozenset())
        call = Call(principal, request_id, Actor(kind="integration_key", id=doc["_id"]))
        source = f"{doc['_id']}:{body.id}".encode()
        delivery_id = "inb_" + (hashlib.sha256(source).hexdigest()[:32] if body.id else new_ulid())
        data = {"integration_id": doc["_id"], "service": doc["service"], "event_type": body.eventType,
                "source_id": body.id, "data": body.data}
        await run_command(self.runtime, call, ti.RECEIVE_INBOUND, delivery_id, data, None)
        return delivery_id

    async def _outcome(self, workspace_id: str, doc: Doc, manifest: Manifest) -> Outcome:
        if isinstance(manifest.auth, OAuth2Auth):
            return await self._connection_outcome(workspace_id, manifest)
        settings = {k: str(v) for k, v in {**(doc.get("settings") or {}), **self.open(doc)}.items()}
        return await self.connections.test(manifest, settings)

    async def _connection_outcome(self, workspace_id: str, manifest: Manifest) -> Outcome:
        """An OAuth provider's integration is as good as the workspace's latest connection of it."""
        latest = await self.connections.of_provider(workspace_id, manifest.type)
        if latest is None:
            return Outcome(conn.ERROR, f"No {manifest.type} connection: authorize one first.")
        if latest.get("status") == conn.CONNECTED:
            return Outcome(conn.CONNECTED)
        return Outcome(conn.ERROR, latest.get("last_error") or f"The {manifest.type} connection is {latest['status']}.")

    def _seal(self, workspace_id: str, integration_id: str, secret: Doc) -> Doc:
        plaintext = json.dumps(secret, separators=(",", ":"), sort_keys=True).encode()
        return self.vault.seal(plaintext, _aad(workspace_id, integration_id)).to_dict()

    def open(self, doc: Doc) -> Doc:
        """Its secret settings, opened (for a test or a merge; never answered)."""
        sealed = doc.get("settings_sealed")
        if not sealed:
            return {}
        opened: Doc = json.loads(self.vault.open(SealedSecret.from_dict(sealed), _aad(doc["workspace_id"], doc["_id"])))
        return opened

    async def _run(self, call: Call, command: str, integration_id: str, data: Doc) -> Doc:
        doc = await run_command(self.runtime, call, command, integration_id, data, ti.COLLECTION)
        return doc if doc is not None else await self.find(call.workspace_id, integration_id)


def _aad(workspace_id: str, integration_id: str) -> bytes:
    return f"tenant_integration:{workspace_id}:{integration_id}".encode()
