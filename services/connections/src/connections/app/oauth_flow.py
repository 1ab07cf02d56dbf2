"""The OAuth 2.0 authorization code flow with PKCE (RFC 6749 section 4.1, RFC 7636), composed from connections.oauth.

- **authorize**: a DISCONNECTED connection is created holding, sealed by the vault (bound to the workspace and
  the connection), the PKCE verifier, the state it was issued with and the workspace's own OAuth client when the
  request brought one; the answer is the provider's authorize URL with a signed, expiring, single-use state.
- **callback** (the state is the credential, no caller identity) and **exchange** (the caller's workspace): the
  state is verified and spent, the verifier opened, the code exchanged, the tokens sealed and recorded through the
  service's executor (`connection.credentials_replaced`, ciphertext only), the connection CONNECTED.

A forged, tampered, expired, replayed or misbound state is refused before anything is read or changed. Nothing
here logs a token, code, verifier, client secret or state.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from connections.app.operations import Call, Connections
from connections.app.provider_test import ProviderTester
from connections.catalogue.index import Catalogue
from connections.catalogue.manifest import Manifest, OAuth2Auth
from connections.oauth.authorize import authorize_url
from connections.oauth.pkce import new_pkce
from connections.oauth.state import OAuthStates, StateClaims, StateRefused, StateSigner, state_key
from connections.oauth.tokens import ClientCredentials, OAuthError, ProviderUnavailable, TokenClient, Tokens
from connections.settings import ConnectionsSettings
from connections_contracts import connection as cx
from connections_contracts.declarations import PIPELINES_BASE
from junction_common.envelope import Actor
from junction_common.identity import Principal
from junction_common.ids import new_ulid
from junction_common.logconfig import get_logger
from junction_common.web.envelope import ApiError

log = get_logger(__name__)
Doc = dict[str, Any]
STATES_COLLECTION = "oauth_states_used"
TOKEN_FIELDS = ("access_token", "refresh_token", "expires_at", "scopes", "token_type")


def oauth_clients(settings: ConnectionsSettings) -> dict[str, ClientCredentials]:
    """The operator's OAuth apps per provider type (JUNCTION_OAUTH_CLIENTS); an unreadable value is refused at
    start with no part of it repeated."""
    raw = settings.oauth_clients.get_secret_value().strip()
    if not raw:
        return {}
    try:
        parsed = json.loads(raw)
        return {str(k): ClientCredentials(str(v["client_id"]), str(v["client_secret"]) if v.get("client_secret")
                                          else None) for k, v in parsed.items()}
    except (ValueError, TypeError, KeyError, AttributeError):
        raise ValueError("JUNCTION_OAUTH_CLIENTS is not a JSON object of {client_id, client_secret}") from None


def refused(exc: StateRefused) -> ApiError:
    return ApiError("OAUTH_STATE_INVALID", "The OAuth state is invalid, expired or already used: authorize again.",
                    {"reason": exc.reason}, status=400)


@dataclass(frozen=True)
class Authorization:
    authorize_url: str
    connection_id: str


class OAuthFlow:
    def __init__(self, catalogue: Catalogue, connections: Connections, settings: ConnectionsSettings) -> None:
        self.catalogue, self.connections, self.settings = catalogue, connections, settings
        self.clients = oauth_clients(settings)
        signer = StateSigner(state_key(settings.signing_secret), ttl_s=settings.oauth_state_ttl_s)
        self.states = OAuthStates(connections.runtime.db, signer, collection=STATES_COLLECTION)
        self._indexed = False

    # -- which provider, which client, which redirect URI

    def provider(self, connector: str, named: str | None = None) -> tuple[Manifest, OAuth2Auth]:
        """The provider `connector` names (its type or connector type), or the OAuth one of the family."""
        manifest = self.catalogue.get((named or connector).lower())
        if manifest is None:
            family = [m for m in self.catalogue.manifests if m.connector_type == connector.upper()
                      and isinstance(m.auth, OAuth2Auth) and m.auth.authorize_url is not None]
            manifest = min(family, key=lambda m: m.type, default=None)
        if manifest is None:
            raise ApiError("NOT_FOUND", "Unknown connector: see GET /api/pipelines/connector-types.",
                           {"connector": connector})
        auth = manifest.auth
        if not isinstance(auth, OAuth2Auth) or auth.authorize_url is None:
            raise ApiError("VALIDATION_ERROR", f"{manifest.type} is not connected through OAuth.",
                           {"pointer": "/connector", "provider": manifest.type, "auth_type": auth.kind})
        return manifest, auth

    def redirect_uri(self, connector: str) -> str:
        return f"{self.settings.public_base_url.rstrip('/')}{PIPELINES_BASE}/oauth/{connector}/callback"

    def client_for(self, manifest: Manifest, sealed: Doc) -> ClientCredentials:
        """The connection's OAuth client: the workspace's own (sealed with it), else the operator's."""
        return self._client(manifest, sealed)

    def _client(self, manifest: Manifest, sealed: Doc) -> ClientCredentials:
        if sealed.get("client_id"):
            return ClientCredentials(str(sealed["client_id"]), sealed.get("client_secret"))
        client = self.clients.get(manifest.type)
        if client is None:
            raise ApiError("VALIDATION_ERROR", f"No OAuth client is configured for {manifest.type}: pass client_id "
                           "and client_secret.", {"pointer": "/client_id", "provider": manifest.type})
        return client

    # -- the three steps

    async def authorize(self, call: Call, connector: str, body: cx.OAuthAuthorizeBody) -> Authorization:
        manifest, auth = self.provider(connector, body.provider)
        own = {"client_id": body.client_id, "client_secret": body.client_secret} if body.client_id else {}
        client = self._client(manifest, own)
        await self._ensure_indexes()
        connection_id = "conn_" + new_ulid()
        pkce = new_pkce() if auth.pkce else None
        redirect_uri = self.redirect_uri(connector)
        state, _ = self.states.issue(workspace_id=call.workspace_id, connection_id=connection_id,
                                     provider=manifest.type, redirect_uri=redirect_uri,
                                     verifier_ref=f"connection:{connection_id}" if pkce else None)
        record = {"name": body.connectionName or manifest.name, "connector_type": connector.upper(),
                  "origin": "pipelines", "provider": manifest.type, "auth_type": auth.kind}
        sealed = {**own, "oauth_state": state, "pkce_verifier": pkce.verifier if pkce else None}
        await self.connections.create_pending(call, connection_id, record, sealed)
        url = authorize_url(auth, client_id=client.client_id, redirect_uri=redirect_uri, state=state,
                            code_challenge=pkce.challenge if pkce else None)
        log.info("oauth_authorize_started", provider=manifest.type, connection_id=connection_id, pkce=bool(pkce))
        return Authorization(url, connection_id)

    async def callback(self, request_id: str, connector: str, query: cx.OAuthCallbackQuery) -> Doc:
        manifest, auth = self.provider(connector)
        claims = await self._verify(query.state, workspace_id=None, provider=manifest.type)
        principal = Principal(workspace_id=claims.workspace_id, key_id="oauth_state", role="MEMBER",
                              scopes=frozenset())
        call = Call(principal, request_id, Actor(kind="oauth_state", id=claims.connection_id))
        if query.error or not query.code:
            log.info("oauth_consent_refused", provider=manifest.type, error=(query.error or "no_code")[:64])
            raise ApiError("OAUTH_AUTHORIZATION_DENIED", "The provider did not grant the authorization.",
                           {"error": (query.error or "no_code")[:64]}, status=400)
        return await self._complete(call, manifest, auth, claims, query.code)

    async def exchange(self, call: Call, connector: str, body: cx.OAuthExchangeBody) -> Doc:
        manifest, auth = self.provider(connector)
        doc = await self.connections.find(call.workspace_id, body.connectionId)
        pending = self._pending(doc, manifest)
        state = body.state or pending.get("oauth_state")
        if not state:
            raise ApiError("VALIDATION_ERROR", "The connection is not waiting for an authorization code.",
                           {"pointer": "/connectionId"})
        claims = await self._verify(state, workspace_id=call.workspace_id, provider=manifest.type,
                                    connection_id=body.connectionId)
        return await self._complete(call, manifest, auth, claims, body.code)

    # -- the parts

    async def _verify(self, token: str, *, workspace_id: str | None, provider: str,
                      connection_id: str | None = None) -> StateClaims:
        if connection_id is not None:  # checked unspent first: a state of another connection is not used up
            try:
                unspent = self.states.signer.check(token, workspace_id=workspace_id, provider=provider)
            except StateRefused as exc:
                raise refused(exc) from None
            if unspent.connection_id != connection_id:
                raise ApiError("OAUTH_STATE_INVALID", "The OAuth state belongs to another connection.",
                               {"reason": "wrong_connection"}, status=400)
        try:
            return await self.states.verify(token, workspace_id=workspace_id, provider=provider)
        except StateRefused as exc:
            log.info("oauth_state_refused", provider=provider, reason=exc.reason)
            raise refused(exc) from None

    def _pending(self, doc: Doc, manifest: Manifest) -> Doc:
        if doc.get("provider") != manifest.type or doc.get("auth_type") != "oauth2":
            raise ApiError("VALIDATION_ERROR", "The connection is not an OAuth connection of this connector.",
                           {"pointer": "/connectionId"})
        if doc.get("status") != cx.DISCONNECTED or not doc.get("credentials_sealed"):
            raise ApiError("VALIDATION_ERROR", "The connection is not waiting for an authorization: authorize "
                           "again.", {"pointer": "/connectionId", "status": doc.get("status")})
        return self.connections.open(doc)

    async def _complete(self, call: Call, manifest: Manifest, auth: OAuth2Auth, claims: StateClaims,
                        code: str) -> Doc:
        doc = await self.connections.find(claims.workspace_id, claims.connection_id)
        pending = self._pending(doc, manifest)
        if claims.verifier_ref not in (None, f"connection:{doc['_id']}"):
            raise ApiError("OAUTH_STATE_INVALID", "The OAuth state does not match its connection.",
                           {"reason": "wrong_connection"}, status=400)
        verifier = pending.get("pkce_verifier") if claims.verifier_ref else None
        client = self._client(manifest, pending)
        http = self.connections.runtime.component(ProviderTester).http
        try:
            tokens = await TokenClient(http, auth, client, timeout_s=self.settings.provider_timeout_s).exchange_code(
                code, claims.redirect_uri, verifier)
        except OAuthError as exc:
            raise ApiError("OAUTH_EXCHANGE_FAILED", "The provider refused the authorization code.",
                           {"error": exc.error}, status=400) from None
        except ProviderUnavailable:
            raise ApiError("PROVIDER_UNAVAILABLE", "The provider could not be reached: try again.",
                           status=502) from None
        sealed = {**token_fields(tokens), **{k: pending[k] for k in ("client_id", "client_secret")
                                               if pending.get(k)}}
        names = ["accessToken"] + (["refreshToken"] if tokens.refresh_token else [])
        doc = await self.connections.store_tokens(call, doc, sealed, names)
        log.info("oauth_connected", provider=manifest.type, connection_id=doc["_id"])
        return doc

    async def _ensure_indexes(self) -> None:
        if not self._indexed:
            await self.states.ensure_indexes()
            self._indexed = True


def token_fields(tokens: Tokens) -> Doc:
    return {"access_token": tokens.access_token, "refresh_token": tokens.refresh_token,
            "expires_at": tokens.expires_at.isoformat() if tokens.expires_at else None,
            "scopes": list(tokens.scopes) if tokens.scopes is not None else None, "token_type": tokens.token_type}
