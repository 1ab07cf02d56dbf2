"""Provider URL-verification handshakes on a subscription's incoming URL (the token in the path is the credential,
as for deliveries; the manifest's `webhooks.handshake` says which):

- `meta` (Meta Lead Ads, WhatsApp Business): `GET ?hub.mode=subscribe&hub.verify_token=...&hub.challenge=...`
  answered with the challenge (text) when the verify token is the subscription's `config.verifyToken`, else 403;
- `dropbox`: `GET ?challenge=...` echoed as text with `X-Content-Type-Options: nosniff`;
- `asana`: the first `POST` carries `X-Hook-Secret` (and no signature): the secret is kept sealed with the
  subscription (`provider_webhook_subscription.secret_received`) and echoed in the same header; Asana signs every
  later delivery with it (`X-Hook-Signature`). A second handshake is answered only with the secret already kept.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from dataclasses import dataclass, field

from connections.app.operations import Call
from connections.inbound.receiver import Receiver, unauthorized
from connections.subscriptions.secrets import seal
from connections_contracts import provider_webhooks as pw
from junction_common.envelope import Actor
from junction_common.identity import Principal
from junction_common.logconfig import get_logger
from junction_common.web.envelope import ApiError

log = get_logger(__name__)
MAX_CHALLENGE_CHARS = 1000
VERIFY_TOKEN = "verifyToken"  # the subscription's config value Meta's dashboard is given


@dataclass(frozen=True)
class Answer:
    """The handshake's answer: a status, a text body and headers."""

    status: int
    text: str = ""
    headers: dict[str, str] = field(default_factory=dict)


def _same(given: str, expected: str) -> bool:
    return bool(expected) and hmac.compare_digest(given.encode(), expected.encode())


def challenge_answer(kind: str | None, query: Mapping[str, str], verify_token: str) -> Answer:
    """Pure: the answer to a GET handshake of kind `kind` (404 for a provider that makes none)."""
    if kind == "meta":
        ok = query.get("hub.mode") == "subscribe" and _same(query.get("hub.verify_token", ""), verify_token)
        challenge = query.get("hub.challenge", "")
        if not ok or not challenge or len(challenge) > MAX_CHALLENGE_CHARS:
            return Answer(403, "verification refused")
        return Answer(200, challenge)
    if kind == "dropbox":
        challenge = query.get("challenge", "")
        if not challenge or len(challenge) > MAX_CHALLENGE_CHARS:
            return Answer(400, "no challenge")
        return Answer(200, challenge, {"X-Content-Type-Options": "nosniff"})
    return Answer(404, "this provider makes no GET handshake")


class Handshakes:
    def __init__(self, receiver: Receiver) -> None:
        self.receiver = receiver

    async def challenge(self, provider_type: str, token: str, query: Mapping[str, str]) -> Answer:
        """A GET on the incoming URL: the manifest's handshake answered (401 for an unknown token)."""
        doc = await self.receiver.subscription(provider_type, token)
        manifest = await self.receiver.manifest_of(doc, provider_type)
        hooks = manifest.webhooks
        assert hooks is not None
        answer = challenge_answer(hooks.handshake, query, str((doc.get("config") or {}).get(VERIFY_TOKEN) or ""))
        log.info("provider_webhook_handshake", provider=provider_type, subscription_id=doc["_id"],
                 kind=hooks.handshake, status=answer.status)
        return answer

    async def hook_secret(self, request_id: str, provider_type: str, token: str, secret: str) -> Answer | None:
        """Asana's X-Hook-Secret: kept (once) and echoed; None when the provider makes no such handshake."""
        doc = await self.receiver.subscription(provider_type, token)
        manifest = await self.receiver.manifest_of(doc, provider_type)
        if manifest.webhooks is None or manifest.webhooks.handshake != "asana":
            return None
        if not 0 < len(secret) <= 4096:
            raise unauthorized("bad_handshake")
        kept = await self.receiver.signing.secret_of(doc, manifest)
        if kept is None and (doc.get("signing") or {}).get("secretSource") == "handshake":
            await self._keep(request_id, doc, secret)
        elif kept is None or not _same(secret, kept):
            log.info("provider_webhook_handshake_refused", provider=provider_type, subscription_id=doc["_id"])
            raise unauthorized("bad_handshake")
        log.info("provider_webhook_handshake", provider=provider_type, subscription_id=doc["_id"], kind="asana",
                 status=200)
        return Answer(200, "", {"X-Hook-Secret": secret})

    async def _keep(self, request_id: str, doc: dict[str, object], secret: str) -> None:
        workspace_id, subscription_id = str(doc["workspace_id"]), str(doc["_id"])
        subscriptions = self.receiver.subscriptions
        principal = Principal(workspace_id=workspace_id, key_id="provider_webhook", role="SERVICE",
                              scopes=frozenset())
        call = Call(principal, request_id, Actor(kind="provider_webhook", id=subscription_id))
        sealed = seal(subscriptions.connections.vault, workspace_id, subscription_id, secret)
        try:
            await subscriptions.run(call, pw.HANDSHAKE, subscription_id, {"secret_sealed": sealed})
        except ApiError as exc:
            raise unauthorized("bad_handshake") if exc.code == "CONFLICT" else exc from None
