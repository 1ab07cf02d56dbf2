"""Calls to a provider's token and revocation endpoints: authorization code exchange, refresh, client
credentials (RFC 6749 sections 4.1.3, 6, 4.4) and revocation (RFC 7009).

Client authentication is the manifest's `token_auth`: `client_secret_post` (in the body) or
`client_secret_basic` (HTTP basic of the form-urlencoded id and secret, RFC 6749 section 2.3.1); the body is a
form, or JSON where the manifest's `token_request` says so. Revocation follows `revoke_url` (RFC 7009) or the
manifest's `revoke` (another method, the token in the path, a JSON body, HTTP basic). A refused
request is a typed `OAuthError` carrying the provider's error code; transport failures, timeouts, 5xx and
unreadable answers are `ProviderUnavailable`. No token, code, verifier or secret is ever logged or put into
an exception or a repr.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

import aiohttp

from connections.catalogue.manifest import OAuth2Auth, TokenRevocation
from connections.oauth.wire import (
    CREDENTIALS_INVALID,
    Answer,
    OAuthError,
    ProviderUnavailable,
    TokenRequestFailed,
    basic,
    host_of,
    refusal,
    send,
)
from junction_common.logconfig import get_logger

__all__ = ["CREDENTIALS_INVALID", "ClientCredentials", "OAuthError", "ProviderUnavailable", "TokenClient",
           "TokenRequestFailed", "Tokens", "parse_token_response"]

log = get_logger(__name__)


@dataclass(frozen=True)
class ClientCredentials:
    client_id: str
    client_secret: str | None = field(default=None, repr=False)  # None: a public client (PKCE only)


@dataclass(frozen=True)
class Tokens:
    """What a token endpoint granted; `expires_at` is absolute (UTC), None when the provider did not say."""

    access_token: str = field(repr=False)
    refresh_token: str | None = field(default=None, repr=False)
    expires_at: datetime | None = None
    scopes: tuple[str, ...] | None = None
    token_type: str = "Bearer"

    def expires_within(self, seconds: float, now: datetime | None = None) -> bool:
        """Whether the access token is (or is about to be) expired; a token without expiry never is."""
        if self.expires_at is None:
            return False
        return self.expires_at <= (now or datetime.now(UTC)) + timedelta(seconds=seconds)


class TokenClient:
    """One provider's token endpoints for one OAuth client, over a pooled aiohttp session the caller owns."""

    def __init__(self, http: aiohttp.ClientSession, auth: OAuth2Auth, client: ClientCredentials, *,
                 timeout_s: float = 10.0, clock: Callable[[], float] = time.time) -> None:
        self.http, self.auth, self.client, self._clock = http, auth, client, clock
        self.timeout = aiohttp.ClientTimeout(total=timeout_s)

    async def exchange_code(self, code: str, redirect_uri: str, code_verifier: str | None = None) -> Tokens:
        """Trade an authorization code for tokens; `redirect_uri` is the one sent to authorize."""
        if self.auth.pkce and not code_verifier:
            raise ValueError("this provider uses PKCE: pass the code_verifier")
        form = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri}
        if code_verifier:
            form["code_verifier"] = code_verifier
        return await self._grant(form, requested=None, previous_refresh=None)

    async def refresh(self, refresh_token: str, scopes: Sequence[str] | None = None) -> Tokens:
        """New tokens from a refresh token; the old refresh token is kept when the provider does not rotate."""
        form = {"grant_type": "refresh_token", "refresh_token": refresh_token}
        if scopes:
            form["scope"] = self.auth.scope_separator.join(scopes)
        return await self._grant(form, requested=scopes, previous_refresh=refresh_token)

    async def client_credentials(self, scopes: Sequence[str] | None = None) -> Tokens:
        """An app token for the client itself (no user); the manifest's default scopes unless given."""
        chosen = self.auth.default_scopes if scopes is None else tuple(scopes)
        form = {"grant_type": "client_credentials"}
        if chosen:
            form["scope"] = self.auth.scope_separator.join(chosen)
        return await self._grant(form, requested=chosen or None, previous_refresh=None)

    async def revoke(self, tokens: Tokens) -> None:
        """Revoke the connection's grant at the provider: its refresh token when it has one (RFC 7009 says
        that ends its access tokens too), else its access token; or the token the manifest's `revoke` names."""
        spec = self.auth.revoke
        if spec is not None:
            status, body = await revoke_as_declared(self, spec, tokens)
        elif self.auth.revoke_url is not None:
            token, hint = ((tokens.refresh_token, "refresh_token") if tokens.refresh_token
                           else (tokens.access_token, "access_token"))
            headers, form = self._client_auth({"token": token, "token_type_hint": hint})
            status, body = await send(self.http, "POST", str(self.auth.revoke_url), headers=headers, payload=form,
                                      body="form", timeout=self.timeout)
        else:
            raise ValueError("this provider has no revocation endpoint")
        if not 200 <= status < 300:
            raise refusal(status, body)
        log.info("oauth_token_revoked", host=host_of(str(self.auth.token_url)))

    async def _grant(self, form: dict[str, str], requested: Sequence[str] | None,
                     previous_refresh: str | None) -> Tokens:
        headers, payload = self._client_auth(form)
        status, body = await send(self.http, "POST", str(self.auth.token_url), headers=headers, payload=payload,
                                  body=self.auth.token_request, timeout=self.timeout)
        if not 200 <= status < 300:
            raise refusal(status, body)
        tokens = parse_token_response(body, now=self._clock(), requested=requested,
                                      separator=self.auth.scope_separator, previous_refresh=previous_refresh)
        log.info("oauth_tokens_granted", grant_type=form["grant_type"], host=host_of(str(self.auth.token_url)),
                 expires_at=tokens.expires_at.isoformat() if tokens.expires_at else None,
                 refresh_token_issued=tokens.refresh_token is not None)
        return tokens

    def _client_auth(self, payload: dict[str, str]) -> tuple[dict[str, str], dict[str, str]]:
        """Headers and body with the client's authentication in the place the manifest says."""
        if self.auth.token_auth == "client_secret_basic" and self.client.client_secret is not None:
            return {"Authorization": basic(self.client.client_id, self.client.client_secret)}, payload
        payload = {**payload, "client_id": self.client.client_id}
        if self.client.client_secret is not None:
            payload["client_secret"] = self.client.client_secret
        return {}, payload


async def revoke_as_declared(client: TokenClient, spec: TokenRevocation, tokens: Tokens) -> Answer:
    """A revocation the manifest's `revoke` describes (HubSpot's DELETE of the token's URL, GitHub's grant)."""
    token = tokens.refresh_token if spec.token == "refresh_token" else tokens.access_token
    if not token:
        raise ValueError(f"the provider revokes the {spec.token}, which this connection does not hold")
    url = spec.url.replace("{token}", quote(token, safe="")).replace("{client_id}", quote(client.client.client_id,
                                                                                            safe=""))
    headers = {}
    if spec.client_auth == "basic" and client.client.client_secret is not None:
        headers["Authorization"] = basic(client.client.client_id, client.client.client_secret)
    payload = {spec.body_param: token} if spec.body != "none" else None
    return await send(client.http, spec.method, url, headers=headers, payload=payload, body=spec.body,
                      timeout=client.timeout)


def parse_token_response(body: dict[str, Any], *, now: float, requested: Sequence[str] | None = None,
                         separator: str = " ", previous_refresh: str | None = None) -> Tokens:
    """A successful token response (RFC 6749 section 5.1) as Tokens, with expiry made absolute."""
    access = body.get("access_token")
    if not isinstance(access, str) or not access:
        raise ProviderUnavailable("the token response has no access_token")
    refresh = body.get("refresh_token")
    scope = body.get("scope")
    if isinstance(scope, str):
        scopes: tuple[str, ...] | None = tuple(s for s in scope.split(separator if separator.strip() else None) if s)
    else:  # omitted: the scopes requested were granted (section 5.1)
        scopes = tuple(requested) if requested else None
    return Tokens(access_token=access,
                  refresh_token=refresh if isinstance(refresh, str) and refresh else previous_refresh,
                  expires_at=_expiry(body.get("expires_in"), now), scopes=scopes,
                  token_type=str(body.get("token_type") or "Bearer"))


def _expiry(expires_in: Any, now: float) -> datetime | None:
    try:  # a number, or a numeric string as some providers send
        return datetime.fromtimestamp(now + max(float(expires_in), 0.0), UTC)
    except (TypeError, ValueError, OverflowError, OSError):  # absent, not a number, or absurd
        return None
