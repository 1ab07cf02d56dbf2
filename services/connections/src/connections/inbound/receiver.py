"""A provider's delivery to a subscription's incoming URL (`POST /connect/v1/webhooks/:type/incoming/:token`, the
token is the credential): the subscription found by its id and the token's hash (compared in constant time), the
signature verified over the raw body with the manifest's scheme, then recorded once per provider delivery id as
`provider_webhook.received` on `connections.provider_webhook.events`. A refused delivery records nothing; one of the
manifest's event types the subscription did not ask for is acknowledged and not recorded.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from connections.catalogue.index import Catalogue
from connections.catalogue.manifest import Manifest
from connections.catalogue.workspace import WorkspaceCatalogue
from connections.inbound import delivery
from connections.inbound.signatures import Inbound, Signing, verify
from connections.subscriptions.secrets import SigningSecrets
from connections.subscriptions.service import Subscriptions, incoming_path, token_hash
from connections_contracts import provider_webhooks as pw
from junction_common.envelope import Actor, CommandEnvelope
from junction_common.identity import Principal
from junction_common.ids import new_ulid
from junction_common.logconfig import get_logger
from junction_common.store.outcomes import SUCCEEDED
from junction_common.web.envelope import ApiError

log = get_logger(__name__)
Doc = dict[str, Any]


@dataclass(frozen=True)
class Received:
    """What the provider is told: recorded (or seen before), with the ids it gave."""

    subscription_id: str
    delivery_id: str | None
    event_type: str | None
    duplicate: bool
    challenge: str | None = None  # Slack's url_verification: answered back
    ignored: bool = False  # an event of the provider's the subscription did not ask for: not recorded


def unauthorized(reason: str) -> ApiError:
    return ApiError("UNAUTHORIZED", "The delivery could not be authenticated.", {"reason": reason}, status=401)


def stream_of(subscription_id: str, delivery_id: str | None) -> str:
    """One stream per provider delivery id (a redelivery finds it written); a fresh one when there is no id."""
    if delivery_id is None:
        return "pwd_" + new_ulid()
    return "pwd_" + hashlib.sha256(f"{subscription_id}\n{delivery_id}".encode()).hexdigest()[:40]


def forwarding(subscription: Doc) -> Doc:
    """Where the webhooks service forwards the delivery and the sealed secret it signs with (when both are kept)."""
    if not subscription.get("url") or not subscription.get("forward_secret_sealed"):
        return {}
    return {"deliver_to": subscription["url"], "secret_sealed": subscription["forward_secret_sealed"]}


class Receiver:
    def __init__(self, catalogue: Catalogue, subscriptions: Subscriptions, signing: SigningSecrets) -> None:
        self.catalogue, self.subscriptions, self.signing = catalogue, subscriptions, signing

    async def subscription(self, provider_type: str, token: str) -> Doc:
        """The ACTIVE subscription this token opens; 401 otherwise (which part failed is not said)."""
        doc = await self.subscriptions.runtime.db[pw.SUBSCRIPTIONS].find_one({"_id": token.partition(".")[0]})
        stored = str((doc or {}).get("token_hash") or "")
        if not hmac.compare_digest(stored.encode(), token_hash(token).encode()) or doc is None \
                or doc.get("provider") != provider_type or doc.get("status") != pw.ACTIVE:
            raise unauthorized("unknown_token")
        return dict(doc)

    async def manifest_of(self, subscription: Doc, provider_type: str) -> Manifest:
        """The provider's manifest as the subscription's workspace sees it (custom providers included)."""
        if isinstance(self.catalogue, WorkspaceCatalogue):  # no caller: the subscription's workspace's providers
            await self.catalogue.bind(self.subscriptions.runtime.db, subscription["workspace_id"])
        manifest = self.catalogue.get(provider_type)
        if manifest is None or manifest.webhooks is None:
            raise unauthorized("unknown_provider")
        return manifest

    async def receive(self, request_id: str, provider_type: str, token: str, headers: Mapping[str, str],
                      body: bytes) -> Received:
        doc = await self.subscription(provider_type, token)
        manifest = await self.manifest_of(doc, provider_type)
        hooks = manifest.webhooks
        assert hooks is not None
        lowered = {k.lower(): v for k, v in headers.items()}
        url = self.subscriptions.public_base_url + incoming_path(provider_type, token)
        secret = await self.signing.secret_of(doc, manifest)
        reason = verify(Signing(hooks.signing.scheme, hooks.signing.header, secret),
                        Inbound("POST", url, lowered, body), time.time())
        if reason is not None:
            log.info("provider_webhook_refused", provider=provider_type, subscription_id=doc["_id"], reason=reason)
            raise unauthorized(reason)
        parsed = delivery.parsed_body(body, lowered.get("content-type", ""))
        delivery_id = delivery.delivery_id(hooks.delivery_id, hooks.signing.scheme, lowered, parsed)
        event_type = delivery.event_type(hooks.event_type, lowered, parsed)
        if isinstance(parsed, dict) and parsed.get("type") == "url_verification":
            return Received(doc["_id"], delivery_id, event_type, False, str(parsed.get("challenge", "")))
        if event_type in hooks.events and event_type not in doc.get("events", []):
            log.info("provider_webhook_ignored", provider=provider_type, subscription_id=doc["_id"],
                     event_type=event_type)
            return Received(doc["_id"], delivery_id, event_type, False, ignored=True)
        data = {"subscription_id": doc["_id"], "provider": provider_type, "event_type": event_type,
                "delivery_id": delivery_id, "body": parsed, **forwarding(doc)}
        duplicate = await self._record(request_id, doc, stream_of(doc["_id"], delivery_id), data)
        log.info("provider_webhook_received", provider=provider_type, subscription_id=doc["_id"],
                 event_type=event_type, delivery_id=delivery_id, duplicate=duplicate)
        return Received(doc["_id"], delivery_id, event_type, duplicate)

    async def _record(self, request_id: str, subscription: Doc, stream_id: str, data: Doc) -> bool:
        """Append the delivery's event unless its stream holds it already; whether it did (a duplicate)."""
        runtime = self.subscriptions.runtime
        seen, _ = await runtime.store.load(stream_id)
        if seen:
            return True
        principal = Principal(workspace_id=subscription["workspace_id"], key_id="provider_webhook", role="SERVICE",
                              scopes=frozenset())
        cmd = CommandEnvelope(command_id=f"cmd_{request_id}.{pw.RECEIVE}.{stream_id}", type=pw.RECEIVE,
                              aggregate_id=stream_id, workspace_id=principal.workspace_id,
                              actor=Actor(kind="provider_webhook", id=subscription["_id"]), request_id=request_id,
                              correlation_id=request_id, data=data)
        await runtime.executor.execute(cmd, await runtime.spec.decider_for(cmd, runtime.db))
        outcome = await runtime.outcomes.get(cmd.command_id, principal.workspace_id)
        if outcome is None or outcome["status"] != SUCCEEDED:
            raise ApiError("INTERNAL_ERROR", "The delivery was not recorded: send it again.", status=503)
        return False
