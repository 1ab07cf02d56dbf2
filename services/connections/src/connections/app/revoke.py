"""Revocation at the provider when a connection is disconnected or deleted (connect-api: "Disconnects a provider
and revokes stored credentials").

- Only OAuth connections whose manifest declares a revocation (`auth.revoke_url` or `auth.revoke`) holding tokens
  are revoked; an API key has no revocation endpoint to call, so its credentials are only erased.
- A connection whose credentials other live variants of its group still use is not revoked (revoking would end
  theirs): `shared`.
- The outcome (`revoked`, `failed` with the provider's error code or `unavailable`, `shared`) goes into the
  ending event; a failure never blocks the disconnect: the secrets are erased all the same.
"""

from __future__ import annotations

from typing import Any

from connections.app.oauth_flow import OAuthFlow
from connections.app.operations import Connections
from connections.app.provider_test import ProviderTester
from connections.catalogue.index import Catalogue
from connections.catalogue.manifest import OAuth2Auth
from connections.oauth.tokens import OAuthError, TokenClient, TokenRequestFailed, Tokens
from junction_common.logconfig import get_logger
from junction_common.vault import VaultError
from junction_common.web.envelope import ApiError

log = get_logger(__name__)
Doc = dict[str, Any]


class ProviderRevoker:
    """`await revoker(doc)`: the provider told, and what it said, as the ending event's fields."""

    def __init__(self, catalogue: Catalogue, connections: Connections, flow: OAuthFlow, timeout_s: float) -> None:
        self.catalogue, self.connections, self.flow, self.timeout_s = catalogue, connections, flow, timeout_s

    async def __call__(self, doc: Doc) -> Doc:
        manifest = self.catalogue.get(doc["provider"]) if doc.get("provider") else None
        auth = manifest.auth if manifest is not None else None
        if manifest is None or not isinstance(auth, OAuth2Auth) or (auth.revoke is None and auth.revoke_url is None):
            return {}
        if await self._shared(doc):
            return {"provider_revoke": "shared"}
        try:
            opened = self.connections.open(doc)
        except (ApiError, VaultError):
            return {"provider_revoke": "failed", "provider_revoke_error": "unreadable"}
        if not opened.get("access_token"):
            return {}  # an authorization never completed: nothing was granted
        tokens = Tokens(access_token=str(opened["access_token"]), refresh_token=opened.get("refresh_token"))
        http = self.connections.runtime.component(ProviderTester).http
        try:
            client = self.flow.client_for(manifest, opened)
            await TokenClient(http, auth, client, timeout_s=self.timeout_s).revoke(tokens)
        except OAuthError as exc:
            return self._failed(doc, exc.error[:64])
        except (TokenRequestFailed, ApiError, ValueError) as exc:
            return self._failed(doc, "unavailable" if isinstance(exc, TokenRequestFailed) else "not_revocable")
        log.info("connection_revoked_at_provider", connection_id=doc["_id"], provider=manifest.type)
        return {"provider_revoke": "revoked"}

    def _failed(self, doc: Doc, error: str) -> Doc:
        log.warning("connection_revoke_failed", connection_id=doc["_id"], provider=doc.get("provider"), error=error)
        return {"provider_revoke": "failed", "provider_revoke_error": error}

    async def _shared(self, doc: Doc) -> bool:
        group = doc.get("variant_group_id")
        if not group:
            return False
        async for member in self.connections.db.find({"variant_group_id": group}):
            if member["_id"] != doc["_id"] and member.get("workspace_id") == doc["workspace_id"] \
                    and not member.get("deleted") and member.get("credentials_sealed"):
                return True
        return False
