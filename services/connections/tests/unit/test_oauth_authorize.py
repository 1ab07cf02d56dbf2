"""The authorize URL of a manifest (RFC 6749 section 4.1.1, RFC 7636 section 4.3)."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from connections.catalogue.manifest import OAuth2Auth
from connections.oauth.authorize import authorize_url


def auth(**overrides: Any) -> OAuth2Auth:
    fields: dict[str, Any] = {"kind": "oauth2", "authorize_url": "https://books.example/oauth/authorize",
                              "token_url": "https://books.example/oauth/token",
                              "default_scopes": ["accounting.read", "offline_access"], **overrides}
    return OAuth2Auth.model_validate(fields)


def query(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query)


def test_the_code_request_with_pkce_and_extra_parameters() -> None:
    url = authorize_url(auth(pkce=True, extra_authorize_params={"access_type": "offline", "prompt": "consent"}),
                        client_id="client-1", redirect_uri="https://app.example/cb?x=1", state="st.ate",
                        code_challenge="E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM")
    assert url.startswith("https://books.example/oauth/authorize?")
    assert query(url) == {
        "access_type": ["offline"], "prompt": ["consent"], "response_type": ["code"], "client_id": ["client-1"],
        "redirect_uri": ["https://app.example/cb?x=1"], "scope": ["accounting.read offline_access"],
        "state": ["st.ate"], "code_challenge": ["E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"],
        "code_challenge_method": ["S256"]}


def test_scopes_joined_by_the_manifests_separator_or_as_asked() -> None:
    url = authorize_url(auth(scope_separator=","), client_id="c", redirect_uri="https://a/cb", state="s")
    assert query(url)["scope"] == ["accounting.read,offline_access"] and "code_challenge" not in query(url)
    assert query(authorize_url(auth(), client_id="c", redirect_uri="https://a/cb", state="s",
                               scopes=["one", "two"]))["scope"] == ["one two"]
    assert "scope" not in query(authorize_url(auth(), client_id="c", redirect_uri="https://a/cb", state="s",
                                              scopes=[]))


def test_a_manifest_cannot_override_the_requests_own_parameters() -> None:
    url = authorize_url(auth(authorize_url="https://books.example/authorize?tenant=common&state=evil",
                             extra_authorize_params={"redirect_uri": "https://evil.example", "audience": "api"}),
                        client_id="c", redirect_uri="https://a/cb", state="mine")
    q = query(url)
    assert q["state"] == ["mine"] and q["redirect_uri"] == ["https://a/cb"]
    assert q["tenant"] == ["common"] and q["audience"] == ["api"]


def test_pkce_providers_need_a_challenge_and_client_credentials_have_no_authorize_url() -> None:
    with pytest.raises(ValueError):
        authorize_url(auth(pkce=True), client_id="c", redirect_uri="https://a/cb", state="s")
    cc = OAuth2Auth.model_validate({"kind": "oauth2_client_credentials", "token_url": "https://b.example/token"})
    with pytest.raises(ValueError):
        authorize_url(cc, client_id="c", redirect_uri="https://a/cb", state="s")
