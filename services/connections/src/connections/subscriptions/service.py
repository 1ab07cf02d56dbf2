"""Provider webhook subscriptions of a workspace: made (registered at the provider through the proxy where the
manifest says how, else the incoming URL answered for the user to paste), listed, removed (unregistered at the
provider first). Every change is a command run through this service's executor; the answer waits until the read
model shows it.
"""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from connections.app import providers
from connections.app.operations import Call, Connections
from connections.app.proxy import Proxy, credential_of
from connections.catalogue.index import Catalogue
from connections.catalogue.manifest import Manifest
from connections.requests import RequestRefused
from connections.subscriptions import registration
from connections.subscriptions.secrets import SigningSecrets, seal, seal_forwarding, unsealed_source
from connections_contracts import connection as cx
from connections_contracts import provider_webhooks as pw
from connections_contracts.declarations import CONNECT_BASE
from junction_common.envelope import Actor, CommandEnvelope
from junction_common.ids import new_ulid
from junction_common.logconfig import get_logger
from junction_common.service import ServiceRuntime
from junction_common.store.outcomes import SUCCEEDED
from junction_common.web.envelope import ApiError
from junction_common.webhook_signing import new_secret

log = get_logger(__name__)
Doc = dict[str, Any]
SETTLE_TIMEOUT_S = 10.0


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def incoming_path(provider: str, token: str) -> str:
    return f"{CONNECT_BASE}/webhooks/{provider}/incoming/{token}"


class Subscriptions:
    def __init__(self, catalogue: Catalogue, connections: Connections, proxy: Proxy, signing: SigningSecrets,
                 public_base_url: str) -> None:
        self.catalogue, self.connections, self.proxy, self.signing = catalogue, connections, proxy, signing
        self.public_base_url = public_base_url.rstrip("/")

    @property
    def runtime(self) -> ServiceRuntime:
        return self.connections.runtime

    def webhooks_of(self, provider_type: str) -> Manifest:
        manifest = providers.provider_of(self.catalogue, provider_type)
        if manifest.webhooks is None:
            raise ApiError("VALIDATION_ERROR", f"{manifest.type} sends no webhooks.", {"type": manifest.type})
        return manifest

    async def subscribe(self, call: Call, provider_type: str, body: pw.SubscribeBody) -> Doc:
        """A subscription to `events` (all the provider's by default), with its incoming URL (shown this once)."""
        manifest = self.webhooks_of(provider_type)
        hooks = manifest.webhooks
        assert hooks is not None
        events = list(dict.fromkeys(body.events)) if body.events else list(hooks.events)
        unknown = sorted(set(events) - set(hooks.events))
        if unknown:
            raise ApiError("VALIDATION_ERROR", f"{manifest.type} sends no such events: {', '.join(unknown)}.",
                           {"pointer": "/events", "unknown": unknown, "known": list(hooks.events)})
        connection = await self._connection(call, manifest, body.connectionId)
        sub_id = "pws_" + new_ulid()
        token = f"{sub_id}.{secrets.token_urlsafe(32)}"
        url = self.public_base_url + incoming_path(manifest.type, token)
        mode: pw.Registration = "api" if hooks.subscribe == "api" and hooks.registration is not None else "manual"
        secret, source = body.signingSecret, "given" if body.signingSecret else None
        record: Doc = {"provider": manifest.type, "url": body.url, "events": events, "status": pw.ACTIVE,
                       "registration": mode,
                       "connection_id": connection["_id"] if connection else None, "token_hash": token_hash(token),
                       "config": self._config(manifest, body.config)}
        if mode == "api":
            secret, source, record["provider_webhook_id"] = await self._register(call, manifest, connection, url,
                                                                                 events, secret, source,
                                                                                 record["config"])
        if source is None:
            source = unsealed_source(manifest, connection, self.signing.opened_connection(connection))
        if source is None:
            if mode == "api":  # nothing can verify its deliveries: take the registration back
                await self._take_back(call, manifest, {**record, "_id": sub_id})
            raise ApiError("VALIDATION_ERROR", f"{manifest.type} signs its webhooks: give its signing secret in "
                           "signingSecret.", {"pointer": "/signingSecret", "scheme": hooks.signing.scheme})
        record["signing"] = {"scheme": hooks.signing.scheme, "header": hooks.signing.header, "secretSource": source}
        sealed = seal(self.connections.vault, call.workspace_id, sub_id, secret) if secret else None
        forwarding = new_secret()  # signs what the webhooks service forwards to `url` (shown this once)
        forward_sealed = seal_forwarding(self.connections.vault, call.workspace_id, sub_id, forwarding)
        try:
            doc = await self.run(call, pw.SUBSCRIBE, sub_id, {"record": record, "secret_sealed": sealed,
                                                              "forward_secret_sealed": forward_sealed})
        except ApiError:
            if mode == "api":  # not recorded: take the registration back
                await self._take_back(call, manifest, {**record, "_id": sub_id})
            raise
        log.info("provider_webhook_subscribed", provider=manifest.type, subscription_id=sub_id, registration=mode)
        return {**doc, "incoming_url": url, "forwarding_secret": forwarding}

    @staticmethod
    def _config(manifest: Manifest, given: dict[str, str] | None) -> dict[str, str]:
        """The caller's values; Meta's verify token (its GET handshake) made here when not given."""
        config = dict(given or {})
        if manifest.webhooks is not None and manifest.webhooks.handshake == "meta":
            config.setdefault("verifyToken", secrets.token_urlsafe(24))
        return config

    async def _connection(self, call: Call, manifest: Manifest, connection_id: str | None) -> Doc | None:
        if connection_id:
            doc = await self.connections.find(call.workspace_id, connection_id)
            if doc.get("provider") != manifest.type:
                raise ApiError("VALIDATION_ERROR", f"The connection is not a {manifest.type} connection.",
                               {"pointer": "/connectionId"})
            return doc
        return await self.connections.of_provider(call.workspace_id, manifest.type)

    async def _register(self, call: Call, manifest: Manifest, connection: Doc | None, url: str, events: list[str],
                        secret: str | None, source: str | None,
                        config: dict[str, str]) -> tuple[str | None, str | None, str]:
        if connection is None or connection.get("status") != cx.CONNECTED:
            raise ApiError("NOT_CONNECTED", f"Connect {manifest.type} first: the subscription is registered with "
                           "the connection's credential.", {"type": manifest.type}, status=409)
        assert manifest.webhooks is not None and manifest.webhooks.registration is not None
        if secret is None and "{secret}" in str(manifest.webhooks.registration.body):
            secret, source = "whsec_" + secrets.token_urlsafe(32), "generated"
        values = {**self._fields(manifest, connection), **config, "url": url, "events": events,
                  "secret": secret or ""}
        try:
            done = await registration.register(self.proxy, call, manifest, values)
        except RequestRefused as exc:
            raise ApiError("VALIDATION_ERROR", f"The registration cannot be made: {exc}", {"reason": exc.reason}) \
                from None
        if done.secret and source is None:
            secret, source = done.secret, "provider"
        return secret, source, done.provider_webhook_id

    def _fields(self, manifest: Manifest, connection: Doc) -> dict[str, Any]:
        """The connection's non-secret fields (a path's `{owner}`, `{subdomain}`), never a secret one."""
        opened = self.signing.opened_connection(connection) or {}
        return dict(credential_of(manifest, opened).fields)

    async def active(self, workspace_id: str, provider_type: str) -> list[Doc]:
        manifest = self.webhooks_of(provider_type)
        docs = [d async for d in self.runtime.db[pw.SUBSCRIPTIONS].find({"workspace_id": workspace_id})
                if d.get("provider") == manifest.type and d.get("status") == pw.ACTIVE]
        return sorted(docs, key=lambda d: d.get("created_ts", 0))

    async def find(self, workspace_id: str, provider_type: str, subscription_id: str) -> Doc:
        doc = await self.runtime.db[pw.SUBSCRIPTIONS].find_one({"_id": subscription_id})
        if (doc is None or doc.get("workspace_id") != workspace_id or doc.get("provider") != provider_type
                or doc.get("status") != pw.ACTIVE):
            raise ApiError("NOT_FOUND", "The subscription could not be found.", {"id": subscription_id})
        return dict(doc)

    async def delete(self, call: Call, provider_type: str, subscription_id: str) -> Doc:
        """Unregister at the provider (while the connection is connected), then mark it DELETED."""
        manifest = self.webhooks_of(provider_type)
        doc = await self.find(call.workspace_id, manifest.type, subscription_id)
        if doc.get("registration") == "api" and doc.get("provider_webhook_id"):
            await self._unregister(call, manifest, doc)
        return await self.run(call, pw.UNSUBSCRIBE, subscription_id, {})

    async def _take_back(self, call: Call, manifest: Manifest, doc: Doc) -> None:
        """Best effort: a registration whose subscription is not recorded is removed at the provider."""
        try:
            await self._unregister(call, manifest, doc)
        except ApiError as exc:
            log.warning("provider_webhook_take_back_failed", provider=manifest.type, code=exc.code,
                        provider_webhook_id=doc.get("provider_webhook_id"))

    async def _unregister(self, call: Call, manifest: Manifest, doc: Doc) -> None:
        try:
            connection = await self.connections.find(call.workspace_id, doc.get("connection_id") or "")
        except ApiError:
            connection = None
        if connection is None or connection.get("status") != cx.CONNECTED or manifest.webhooks is None \
                or manifest.webhooks.registration is None:
            log.info("provider_webhook_unregister_skipped", provider=manifest.type, subscription_id=doc["_id"])
            return
        values = {**self._fields(manifest, connection), **(doc.get("config") or {}), "id": doc["provider_webhook_id"]}
        try:
            await registration.unregister(self.proxy, call, manifest, values)
        except RequestRefused as exc:
            raise ApiError("VALIDATION_ERROR", f"The registration cannot be removed: {exc}",
                           {"reason": exc.reason}) from None

    async def run(self, call: Call, command: str, subscription_id: str, data: Doc) -> Doc:
        """Decide and append through the executor; the subscription once the read model shows it."""
        cmd = CommandEnvelope(command_id=f"cmd_{call.request_id}.{command}.{subscription_id}", type=command,
                              aggregate_id=subscription_id, workspace_id=call.workspace_id,
                              actor=call.actor or Actor(kind="api_key", id=call.principal.key_id),
                              request_id=call.request_id, correlation_id=call.request_id, data=data)
        runtime = self.runtime
        await runtime.executor.execute(cmd, await runtime.spec.decider_for(cmd, runtime.db))
        outcome = await runtime.outcomes.get(cmd.command_id, call.workspace_id)
        if outcome is None or outcome["status"] != SUCCEEDED:
            error = (outcome or {}).get("error") or {}
            raise ApiError(error.get("code", "INTERNAL_ERROR"), error.get("message", "The change was not recorded."),
                           error.get("details"))
        doc = await runtime.waits.readable(runtime.db.name, pw.SUBSCRIPTIONS, subscription_id, outcome["version"],
                                           SETTLE_TIMEOUT_S)
        if doc is None:
            raise ApiError("INTERNAL_ERROR", "The subscription was recorded but is not readable yet.",
                           {"id": subscription_id})
        return dict(doc)
