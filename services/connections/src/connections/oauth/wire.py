"""HTTP to a provider's token and revocation endpoints: one request, its answer decoded, failures typed.

Nothing here logs or raises with a URL path, a body or a header: a revocation URL may hold the token itself.
"""

from __future__ import annotations

import base64
import json
from typing import Any, Literal
from urllib.parse import parse_qsl, quote_plus, urlsplit

import aiohttp

from junction_common.logconfig import get_logger

log = get_logger(__name__)
MAX_BODY = 64 * 1024
# Errors meaning the grant or the client itself is no good: retrying cannot help, the connection is broken.
CREDENTIALS_INVALID = frozenset({"invalid_grant", "invalid_client", "unauthorized_client"})
Body = Literal["form", "json", "none"]
Answer = tuple[int, dict[str, Any]]


class TokenRequestFailed(Exception):
    """A token, refresh or revoke request did not succeed."""


class OAuthError(TokenRequestFailed):
    """The provider refused the request (RFC 6749 section 5.2, RFC 7009 section 2.2.1)."""

    def __init__(self, error: str, status: int, description: str | None = None) -> None:
        super().__init__(f"provider refused: {error} (HTTP {status})")
        self.error, self.status, self.description = error, status, description

    @property
    def credentials_invalid(self) -> bool:
        """The connection needs the user again (mark it ERROR), as opposed to a request Junction got wrong."""
        return self.error in CREDENTIALS_INVALID


class ProviderUnavailable(TokenRequestFailed):
    """No usable answer: connection failure, timeout, 5xx, or a body that is not a token response."""


def basic(client_id: str, secret: str) -> str:
    """HTTP basic of the form-urlencoded id and secret (RFC 6749 section 2.3.1)."""
    pair = f"{quote_plus(client_id)}:{quote_plus(secret)}".encode()
    return "Basic " + base64.b64encode(pair).decode("ascii")


def host_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


async def send(http: aiohttp.ClientSession, method: str, url: str, *, headers: dict[str, str],
               payload: dict[str, str] | None, body: Body, timeout: aiohttp.ClientTimeout) -> Answer:
    """One request; its status and decoded body, or ProviderUnavailable (unreachable, timeout, 5xx, too big)."""
    options: dict[str, Any] = {"data": payload} if body == "form" else {"json": payload} if body == "json" else {}
    try:
        async with http.request(method, url, headers={"Accept": "application/json", **headers}, timeout=timeout,
                                allow_redirects=False, **options) as resp:
            raw = await _read_capped(resp)
            status, content_type = resp.status, resp.content_type
    except (TimeoutError, aiohttp.ClientError) as exc:
        log.warning("oauth_provider_unreachable", host=host_of(url), error=type(exc).__name__)
        raise ProviderUnavailable(f"{host_of(url)} unreachable: {type(exc).__name__}") from None
    if status >= 500 or len(raw) > MAX_BODY:
        log.warning("oauth_provider_failed", host=host_of(url), status=status)
        raise ProviderUnavailable(f"{host_of(url)} answered HTTP {status}")
    return status, _decode(raw, content_type)


def refusal(status: int, body: dict[str, Any]) -> TokenRequestFailed:
    """The typed error of a 4xx (or other non-2xx) answer."""
    error = body.get("error")
    if not isinstance(error, str) or not error:
        return ProviderUnavailable(f"HTTP {status} without an OAuth error")
    description = body.get("error_description")
    text = description[:200] if isinstance(description, str) else None
    log.warning("oauth_request_refused", status=status, error=error[:64])
    return OAuthError(error[:64], status, text)


async def _read_capped(resp: aiohttp.ClientResponse) -> bytes:
    raw = bytearray()
    async for chunk in resp.content.iter_chunked(16 * 1024):
        raw += chunk
        if len(raw) > MAX_BODY:
            break
    return bytes(raw)


def _decode(raw: bytes, content_type: str) -> dict[str, Any]:
    """JSON as RFC 6749 requires, or the form encoding some providers still answer with."""
    text = raw.decode("utf-8", "replace")
    if "json" in content_type or text.lstrip().startswith("{"):
        try:
            decoded = json.loads(text)
        except ValueError:
            return {}
        return decoded if isinstance(decoded, dict) else {}
    return dict(parse_qsl(text)) if content_type in ("application/x-www-form-urlencoded", "text/plain") else {}
