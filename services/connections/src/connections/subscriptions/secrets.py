"""Where a subscription's signing secret comes from, and opening it when a delivery arrives.

In order: the `signingSecret` the caller gave; one Junction generated for the registration (`{secret}` in the
manifest's registration body); one the provider returned (`secret_path`); the connection's credential field the
manifest names (`signing.secret_field`); the OAuth app's client secret (HubSpot, Intercom sign with it). The first
three are sealed with the subscription (bound to its workspace and id); the last two are read when needed.
"""

from __future__ import annotations

import json
from typing import Any

from connections.app.oauth_flow import OAuthFlow
from connections.app.operations import Connections
from connections.catalogue.manifest import Manifest, OAuth2Auth
from connections_contracts import connection as cx
from junction_common.vault import SealedSecret, Vault
from junction_common.web.envelope import ApiError
from junction_common.webhook_signing import secret_aad

Doc = dict[str, Any]
SEALED_SOURCES = ("given", "generated", "provider", "handshake")  # handshake: Asana's X-Hook-Secret
CLIENT_SECRET_FIELDS = ("clientSecret", "client_secret")


def aad(workspace_id: str, subscription_id: str) -> bytes:
    return f"provider_webhook_subscription:{workspace_id}:{subscription_id}".encode()


def seal(vault: Vault, workspace_id: str, subscription_id: str, secret: str) -> Doc:
    plaintext = json.dumps({"signing_secret": secret}).encode()
    return vault.seal(plaintext, aad(workspace_id, subscription_id)).to_dict()


def seal_forwarding(vault: Vault, workspace_id: str, subscription_id: str, secret: str) -> Doc:
    """The forwarding secret sealed as the webhooks service opens an endpoint's signing secret (same AAD shape)."""
    return vault.seal(secret.encode(), secret_aad(workspace_id, subscription_id)).to_dict()


def unsealed_source(manifest: Manifest, connection: Doc | None, opened: Doc | None) -> str | None:
    """Where a secret not given, generated or returned comes from at delivery time; None when nowhere."""
    assert manifest.webhooks is not None
    signing = manifest.webhooks.signing
    if signing.scheme == "none":
        return "none"
    if manifest.webhooks.handshake == "asana":  # the provider's first POST gives it (connections.inbound.handshakes)
        return "handshake"
    field = signing.secret_field
    if field and connection is not None and opened and opened.get(field):
        return "connection"
    if field in CLIENT_SECRET_FIELDS and isinstance(manifest.auth, OAuth2Auth):
        return "oauth_app"
    return None


class SigningSecrets:
    def __init__(self, connections: Connections, flow: OAuthFlow) -> None:
        self.connections, self.flow = connections, flow

    def opened_connection(self, doc: Doc | None) -> Doc | None:
        """The connection's opened credential fields, None when it holds none."""
        if doc is None or doc.get("status") == cx.DISCONNECTED or not doc.get("credentials_sealed"):
            return None
        return self.connections.open(doc)

    async def secret_of(self, subscription: Doc, manifest: Manifest) -> str | None:
        """The secret a delivery to `subscription` is verified with, None when there is none (any longer)."""
        source = (subscription.get("signing") or {}).get("secretSource")
        if source in SEALED_SOURCES and subscription.get("secret_sealed"):
            raw = self.connections.vault.open(SealedSecret.from_dict(subscription["secret_sealed"]),
                                              aad(subscription["workspace_id"], subscription["_id"]))
            return str(json.loads(raw)["signing_secret"])
        if source not in ("connection", "oauth_app") or manifest.webhooks is None:
            return None
        field = manifest.webhooks.signing.secret_field or ""
        opened = await self._connection_fields(subscription)
        if source == "connection":
            value = (opened or {}).get(field)
            return str(value) if value else None
        try:
            return self.flow.client_for(manifest, opened or {}).client_secret
        except ApiError:
            return None

    async def _connection_fields(self, subscription: Doc) -> Doc | None:
        connection_id = subscription.get("connection_id")
        if not connection_id:
            return None
        try:
            doc = await self.connections.find(subscription["workspace_id"], connection_id)
        except ApiError:
            return None
        return self.opened_connection(doc)
