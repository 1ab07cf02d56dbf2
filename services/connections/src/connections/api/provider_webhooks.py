"""connect-api.txt, provider webhook subscriptions (create, list, delete) in the `/connect/v1` envelope, and
Junction's own incoming URL providers deliver to (`POST /connect/v1/webhooks/:type/incoming/:token`: no caller
identity, the token is the credential; the raw body and the provider's headers arrive as sent, for its signature).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.responses import Response

from connections.api.deps import PREFIX, Caller
from connections.app.oauth_flow import OAuthFlow
from connections.app.operations import Call, Connections
from connections.app.proxy import Proxy
from connections.catalogue.index import Catalogue
from connections.inbound.handshakes import Handshakes
from connections.inbound.receiver import Receiver
from connections.settings import ConnectionsSettings
from connections.subscriptions.secrets import SigningSecrets
from connections.subscriptions.service import Subscriptions
from connections_contracts.declarations import CONNECT_BASE
from connections_contracts.provider_webhooks import SubscribeBody
from junction_common.web.envelope import ApiError, json_response, ok_body, request_id_of

ProviderType = Annotated[str, Path(max_length=64)]
SubscriptionId = Annotated[str, Path(max_length=64)]
Token = Annotated[str, Path(max_length=200)]  # any other token is simply unknown (401)
MAX_BODY_BYTES = 1024 * 1024


def subscription_view(doc: dict[str, Any]) -> dict[str, Any]:
    """A subscription as the API shows it: never its secret or its token's hash (the incoming URL only once)."""
    view = {"id": doc.get("id") or doc.get("_id"), "provider": doc.get("provider"), "url": doc.get("url"),
            "events": doc.get("events", []), "status": doc.get("status"), "registration": doc.get("registration"),
            "connectionId": doc.get("connection_id"), "providerWebhookId": doc.get("provider_webhook_id"),
            "signing": doc.get("signing", {}), "config": _config_view(doc), "createdAt": doc.get("created_at"),
            "updatedAt": doc.get("updated_at")}
    if doc.get("incoming_url"):
        view["incomingUrl"] = doc["incoming_url"]
    if doc.get("forwarding_secret"):  # what deliveries forwarded to `url` are signed with (Standard Webhooks)
        view["forwardingSecret"] = doc["forwarding_secret"]
    return view


def _config_view(doc: dict[str, Any]) -> dict[str, Any]:
    """The config; Meta's verify token only in the answer that made it (with the incoming URL)."""
    config = dict(doc.get("config") or {})
    if "verifyToken" in config and not doc.get("incoming_url"):
        config["verifyToken"] = "..."
    return config


def build(catalogue: Catalogue, connections: Connections, flow: OAuthFlow, settings: ConnectionsSettings) -> APIRouter:
    """The routes with their parts: registrations go through a provider proxy of their own."""
    signing = SigningSecrets(connections, flow)
    subscriptions = Subscriptions(catalogue, connections, Proxy(catalogue, connections, flow, settings), signing,
                                  settings.public_base_url)
    receiver = Receiver(catalogue, subscriptions, signing)
    return router(subscriptions, receiver, Handshakes(receiver))


def router(subscriptions: Subscriptions, receiver: Receiver, handshakes: Handshakes) -> APIRouter:
    api = APIRouter(prefix=PREFIX + CONNECT_BASE + "/webhooks")

    @api.post("/{type}/subscribe")
    async def create_subscription(type: ProviderType, body: SubscribeBody, request: Request,
                                  principal: Caller) -> Response:
        """Subscribe to a provider's webhook events: registered at the provider where it can be, else the
        incoming URL to paste into the provider's console (`incomingUrl`, shown this once)."""
        call = Call(principal, request_id_of(request))
        doc = await subscriptions.subscribe(call, type, body)
        # The answer holds the incoming URL's token and the forwarding secret, shown this once: never cached.
        return json_response(ok_body(subscription_view(doc), call.request_id), 201, {"Cache-Control": "no-store"})

    @api.get("/{type}/subscriptions")
    async def list_subscriptions(type: ProviderType, request: Request, principal: Caller) -> Response:
        """The workspace's active subscriptions of a provider, oldest first."""
        docs = await subscriptions.active(principal.workspace_id, type)
        return json_response(ok_body([subscription_view(d) for d in docs], request_id_of(request),
                                     {"total": len(docs)}))

    @api.delete("/{type}/subscriptions/{id}")
    async def delete_subscription(type: ProviderType, id: SubscriptionId, request: Request,
                                  principal: Caller) -> Response:
        """Remove a subscription (unregistered at the provider first, where it was registered there)."""
        call = Call(principal, request_id_of(request))
        doc = await subscriptions.delete(call, type, id)
        return json_response(ok_body({**subscription_view(doc), "deleted": True}, call.request_id))

    @api.post("/{type}/incoming/{token}")
    async def incoming(type: ProviderType, token: Token, request: Request) -> Response:
        """A provider's delivery: verified, then recorded once (202); a bad signature is refused (401)."""
        body = await request.body()
        if len(body) > MAX_BODY_BYTES:
            raise ApiError("PAYLOAD_TOO_LARGE", "The delivery is larger than Junction accepts.",
                           {"limit_bytes": MAX_BODY_BYTES}, status=413)
        request_id = request_id_of(request)
        hook_secret = request.headers.get("x-hook-secret")
        answered = await handshakes.hook_secret(request_id, type, token, hook_secret) if hook_secret else None
        if answered is not None:
            return Response(answered.text, answered.status, answered.headers, media_type="text/plain")
        received = await receiver.receive(request_id, type, token, dict(request.headers), body)
        if received.challenge is not None:
            return json_response({"challenge": received.challenge})
        data = {"received": True, "duplicate": received.duplicate, "ignored": received.ignored,
                "subscriptionId": received.subscription_id, "deliveryId": received.delivery_id,
                "eventType": received.event_type}
        return json_response(ok_body(data, request_id), 202)

    @api.get("/{type}/incoming/{token}")
    async def incoming_challenge(type: ProviderType, token: Token, request: Request) -> Response:
        """A provider verifying the URL (Meta's hub.challenge, Dropbox's challenge), answered as text."""
        answer = await handshakes.challenge(type, token, dict(request.query_params))
        return Response(answer.text, answer.status, answer.headers, media_type="text/plain")

    return api

