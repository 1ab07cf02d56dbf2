"""The URL that sends a user to a provider's consent page (RFC 6749 section 4.1.1, RFC 7636 section 4.3)."""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from connections.catalogue.manifest import OAuth2Auth

# Parameters Junction sets itself; a manifest's extra_authorize_params cannot override them.
_OWN = frozenset({"response_type", "client_id", "redirect_uri", "scope", "state", "code_challenge",
                  "code_challenge_method"})


def authorize_url(auth: OAuth2Auth, *, client_id: str, redirect_uri: str, state: str,
                  scopes: Sequence[str] | None = None, code_challenge: str | None = None) -> str:
    """The provider's authorize URL with the request's parameters; a PKCE provider needs `code_challenge`."""
    if auth.kind != "oauth2" or auth.authorize_url is None:
        raise ValueError("only the authorization code grant has an authorize URL")
    if auth.pkce and not code_challenge:
        raise ValueError("this provider uses PKCE: pass the S256 code_challenge")
    chosen = auth.default_scopes if scopes is None else tuple(scopes)
    params: list[tuple[str, str]] = [(k, v) for k, v in auth.extra_authorize_params.items() if k not in _OWN]
    params += [("response_type", "code"), ("client_id", client_id), ("redirect_uri", redirect_uri)]
    if chosen:
        params.append(("scope", auth.scope_separator.join(chosen)))
    params.append(("state", state))
    if code_challenge:
        params += [("code_challenge", code_challenge), ("code_challenge_method", "S256")]
    base = urlsplit(str(auth.authorize_url))
    # A query already in the manifest's URL is kept (RFC 6749 section 3.1), minus anything we set.
    kept = [(k, v) for k, v in parse_qsl(base.query, keep_blank_values=True) if k not in _OWN]
    return urlunsplit(base._replace(query=urlencode(kept + params)))
