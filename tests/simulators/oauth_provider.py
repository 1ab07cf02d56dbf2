"""An OAuth 2.0 authorization server for tests (RFC 6749, RFC 7636, RFC 7009), a real HTTP server.

`GET /oauth/authorize` stands for the user's consent: it answers 302 to the registered redirect URI with a
code bound to the client, redirect URI, scope and PKCE challenge (or with `error=`), never to an unregistered
URI. `POST /oauth/token` takes authorization_code (PKCE checked), refresh_token (rotated) and
client_credentials, with client_secret_post or client_secret_basic, in a form or JSON. `POST /oauth/revoke`
(RFC 7009) or `DELETE /oauth/tokens/{token}` (HubSpot's way) revokes an access or refresh token. `GET /me`
and `GET /contacts` are protected resources answering 401 to an expired token.
Counters (`refreshes`, `revokes`, ...) and knobs (`token_lifetime_s`, `fail_next_refresh`,
`refresh_delay_s`) are plain attributes.
"""

from __future__ import annotations

import asyncio
import base64
import secrets
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote_plus, urlencode

from aiohttp import web

from connections.oauth.pkce import matches
from junction_common.testing.infra import free_port
from tests.aiohttp_runner import serving
from tests.simulators.manifests import base_manifest, write_manifest

REDIRECT_URI = "https://app.junction.test/api/pipelines/oauth/callback"
Json = dict[str, Any]
Handler = Callable[[web.Request], Awaitable[web.Response]]


@dataclass
class Grant:
    client_id: str
    redirect_uri: str
    scope: str
    challenge: str | None
    expires_at: float


@dataclass
class AccessToken:
    client_id: str
    scope: str
    expires_at: float
    refresh_token: str | None


@dataclass
class OAuthProvider:
    url: str
    client_id: str = "sim-client"
    client_secret: str = field(default_factory=lambda: "sim-secret-" + secrets.token_urlsafe(16))
    redirect_uris: set[str] = field(default_factory=lambda: {REDIRECT_URI})
    token_auth: str = "any"  # "client_secret_post", "client_secret_basic", or "any" to accept both
    require_pkce: bool = True
    token_lifetime_s: float = 3600.0
    rotate_refresh_tokens: bool = True
    fail_next_refresh: str | None = None  # answer the next refresh with this OAuth error (e.g. invalid_grant)
    refresh_delay_s: float = 0.0  # how long a refresh takes, to widen races in tests
    exchanges: int = 0
    refreshes: int = 0  # refresh requests received, failed ones included
    client_credentials_grants: int = 0
    revokes: int = 0
    auth_methods: list[str] = field(default_factory=list)  # client authentication used, per token request
    content_types: list[str] = field(default_factory=list)  # the body's type, per token request
    codes: dict[str, Grant] = field(default_factory=dict)
    access: dict[str, AccessToken] = field(default_factory=dict)
    refresh: dict[str, tuple[str, str]] = field(default_factory=dict)  # refresh token -> (client id, scope)

    @property
    def authorize_url(self) -> str:
        return f"{self.url}/oauth/authorize"

    @property
    def token_url(self) -> str:
        return f"{self.url}/oauth/token"

    @property
    def revoke_url(self) -> str:
        return f"{self.url}/oauth/revoke"

    def expire_access_tokens(self) -> None:
        """Every access token issued so far is expired from now on (refresh tokens stay good)."""
        for token in self.access.values():
            token.expires_at = 0.0

    def manifest(self, type_: str = "sim_oauth", *, pkce: bool = True, token_auth: str = "client_secret_post",
                 token_request: str = "form", revoke_in_path: bool = False,
                 scopes: tuple[str, ...] = ("contacts.read", "profile")) -> Json:
        """`revoke_in_path`: revoke as HubSpot does (DELETE of the refresh token's URL), else RFC 7009."""
        auth: Json = {"kind": "oauth2", "authorize_url": self.authorize_url, "token_url": self.token_url,
                      "default_scopes": list(scopes), "pkce": pkce, "token_auth": token_auth,
                      "token_request": token_request, "extra_authorize_params": {"access_type": "offline"}}
        if revoke_in_path:
            auth["revoke"] = {"method": "DELETE", "url": f"{self.url}/oauth/tokens/{{token}}",
                              "token": "refresh_token"}
        else:
            auth["revoke_url"] = self.revoke_url
        return base_manifest(type_, "Simulated OAuth Provider", self.url, auth, "CRM")

    def write_manifest(self, folder: Path, type_: str = "sim_oauth", **options: Any) -> Path:
        """Write an operator-folder manifest pointing at this server."""
        return write_manifest(folder, self.manifest(type_, **options))

    def issue(self, client_id: str, scope: str, with_refresh: bool) -> Json:
        access = "sim-at-" + secrets.token_urlsafe(24)
        refresh = "sim-rt-" + secrets.token_urlsafe(24) if with_refresh else None
        self.access[access] = AccessToken(client_id, scope, time.time() + self.token_lifetime_s, refresh)
        body: Json = {"access_token": access, "token_type": "Bearer", "expires_in": int(self.token_lifetime_s),
                      "scope": scope}
        if refresh:
            self.refresh[refresh] = (client_id, scope)
            body["refresh_token"] = refresh
        return body

    def bearer(self, request: web.Request) -> AccessToken | None:
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        found = self.access.get(token) if scheme.lower() == "bearer" else None
        return found if found is not None and found.expires_at > time.time() else None


async def _body(request: web.Request) -> Any:
    """The request's parameters: a form (RFC 6749) or JSON (as Square's token endpoint takes them)."""
    if request.content_type == "application/json":
        return {k: str(v) for k, v in (await request.json()).items()}
    return await request.post()


def _revoke_token(sim: OAuthProvider, token: str) -> None:
    sim.revokes += 1
    if sim.refresh.pop(token, None) is not None:  # revoking a refresh token revokes its access tokens
        for access in [k for k, v in sim.access.items() if v.refresh_token == token]:
            del sim.access[access]
    sim.access.pop(token, None)


def _oauth_error(error: str, status: int = 400, **headers: str) -> web.Response:
    return web.json_response({"error": error, "error_description": f"simulated {error}"}, status=status,
                             headers={"Cache-Control": "no-store", **headers})


def _redirect(uri: str, **params: str) -> web.Response:
    return web.Response(status=302, headers={"Location": f"{uri}?{urlencode(params)}"})


def _client_of(sim: OAuthProvider, request: web.Request, form: Any) -> str | web.Response:
    """The authenticated client id, or the 401/400 answer (RFC 6749 sections 2.3.1 and 5.2)."""
    header = request.headers.get("Authorization", "")
    if header.startswith("Basic "):
        if "client_secret" in form:
            return _oauth_error("invalid_request")  # one authentication method per request
        try:
            raw = base64.b64decode(header[6:], validate=True).decode()
        except ValueError:
            return _oauth_error("invalid_client", 401)
        client_id, _, secret = (unquote_plus(part) for part in raw.partition(":"))
        method = "client_secret_basic"
    else:
        client_id, secret, method = form.get("client_id", ""), form.get("client_secret", ""), "client_secret_post"
    sim.auth_methods.append(method)
    allowed = sim.token_auth in ("any", method)
    if not allowed or client_id != sim.client_id or not secrets.compare_digest(secret, sim.client_secret):
        return _oauth_error("invalid_client", 401, **{"WWW-Authenticate": 'Basic realm="sim"'})
    return client_id


def _authorize(sim: OAuthProvider) -> Handler:
    async def handle(request: web.Request) -> web.Response:
        q = request.query
        if q.get("client_id") != sim.client_id or q.get("redirect_uri") not in sim.redirect_uris:
            return web.Response(status=400, text="unknown client or unregistered redirect_uri")
        uri, state = q["redirect_uri"], q.get("state", "")
        if q.get("response_type") != "code":
            return _redirect(uri, error="unsupported_response_type", state=state)
        challenge = q.get("code_challenge")
        if (sim.require_pkce and not challenge) or (challenge and q.get("code_challenge_method") != "S256"):
            return _redirect(uri, error="invalid_request", state=state)
        code = "sim-code-" + secrets.token_urlsafe(16)
        sim.codes[code] = Grant(sim.client_id, uri, q.get("scope", ""), challenge, time.time() + 60)
        return _redirect(uri, code=code, state=state)

    return handle


def _code_grant(sim: OAuthProvider, client_id: str, form: Any) -> web.Response:
    sim.exchanges += 1
    grant = sim.codes.pop(form.get("code", ""), None)  # single use
    if grant is None or grant.client_id != client_id or grant.expires_at < time.time():
        return _oauth_error("invalid_grant")
    if form.get("redirect_uri") != grant.redirect_uri:
        return _oauth_error("invalid_grant")
    if grant.challenge is not None and not matches(form.get("code_verifier", ""), grant.challenge):
        return _oauth_error("invalid_grant")
    return web.json_response(sim.issue(client_id, grant.scope, True), headers={"Cache-Control": "no-store"})


async def _refresh_grant(sim: OAuthProvider, client_id: str, form: Any) -> web.Response:
    sim.refreshes += 1
    if sim.refresh_delay_s:
        await asyncio.sleep(sim.refresh_delay_s)
    if sim.fail_next_refresh:
        error, sim.fail_next_refresh = sim.fail_next_refresh, None
        return _oauth_error(error)
    old = form.get("refresh_token", "")
    held = sim.refresh.get(old)
    if held is None or held[0] != client_id:
        return _oauth_error("invalid_grant")
    body = sim.issue(client_id, held[1], sim.rotate_refresh_tokens)
    if sim.rotate_refresh_tokens:
        del sim.refresh[old]  # the old refresh token is spent: a second use is invalid_grant
    return web.json_response(body, headers={"Cache-Control": "no-store"})


def _token(sim: OAuthProvider) -> Handler:
    async def handle(request: web.Request) -> web.Response:
        form = await _body(request)
        sim.content_types.append(request.content_type)
        client = _client_of(sim, request, form)
        if isinstance(client, web.Response):
            return client
        grant_type = form.get("grant_type")
        if grant_type == "authorization_code":
            return _code_grant(sim, client, form)
        if grant_type == "refresh_token":
            return await _refresh_grant(sim, client, form)
        if grant_type == "client_credentials":
            sim.client_credentials_grants += 1
            body = sim.issue(client, str(form.get("scope", "")), False)
            return web.json_response(body, headers={"Cache-Control": "no-store"})
        return _oauth_error("unsupported_grant_type")

    return handle


def _revoke(sim: OAuthProvider) -> Handler:
    async def handle(request: web.Request) -> web.Response:
        if request.method == "DELETE":  # HubSpot's way: the token in the path, no client authentication
            _revoke_token(sim, request.match_info["token"])
            return web.Response(status=204)
        form = await _body(request)
        client = _client_of(sim, request, form)
        if isinstance(client, web.Response):
            return client
        _revoke_token(sim, str(form.get("token", "")))
        return web.Response(status=200)  # RFC 7009 2.2: also for a token it does not know

    return handle


def _protected(sim: OAuthProvider) -> Handler:
    async def handle(request: web.Request) -> web.Response:
        token = sim.bearer(request)
        if token is None:
            return web.json_response({"error": "invalid_token"}, status=401,
                                     headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})
        if request.path == "/me":
            return web.json_response({"id": "sim-user-1", "client_id": token.client_id, "scope": token.scope})
        return web.json_response({"data": [{"id": "c1", "name": "Ada"}, {"id": "c2", "name": "Grace"}]})

    return handle


@asynccontextmanager
async def oauth_provider(**knobs: Any) -> AsyncIterator[OAuthProvider]:
    """Run the simulator on a free port for the duration of the block."""
    port = free_port()
    sim = OAuthProvider(f"http://127.0.0.1:{port}", **knobs)
    app = web.Application()
    app.router.add_get("/oauth/authorize", _authorize(sim))
    app.router.add_post("/oauth/token", _token(sim))
    app.router.add_post("/oauth/revoke", _revoke(sim))
    app.router.add_delete("/oauth/tokens/{token}", _revoke(sim))
    app.router.add_get("/me", _protected(sim))
    app.router.add_get("/contacts", _protected(sim))
    async with serving(app, port):
        yield sim
