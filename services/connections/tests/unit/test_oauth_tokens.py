"""Token responses made into Tokens (RFC 6749 section 5.1) without a provider."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from connections.oauth.tokens import OAuthError, ProviderUnavailable, Tokens, parse_token_response

NOW = 1_700_000_000.0


def test_expires_in_becomes_an_absolute_expiry_and_scope_a_tuple() -> None:
    tokens = parse_token_response({"access_token": "AT-secret", "refresh_token": "RT-secret", "expires_in": "3600",
                                   "scope": "a b", "token_type": "bearer"}, now=NOW)
    assert tokens.expires_at == datetime.fromtimestamp(NOW + 3600, UTC)
    assert (tokens.refresh_token, tokens.scopes, tokens.token_type) == ("RT-secret", ("a", "b"), "bearer")
    assert "secret" not in repr(tokens)


def test_what_the_response_leaves_out() -> None:
    tokens = parse_token_response({"access_token": "at", "expires_in": None}, now=NOW, requested=["x"],
                                  previous_refresh="old-rt")
    assert (tokens.expires_at, tokens.scopes, tokens.refresh_token) == (None, ("x",), "old-rt")
    assert parse_token_response({"access_token": "at", "scope": "a,b"}, now=NOW, separator=",").scopes == ("a", "b")
    assert parse_token_response({"access_token": "at", "expires_in": 1e300}, now=NOW).expires_at is None


def test_a_response_without_an_access_token_is_unusable() -> None:
    with pytest.raises(ProviderUnavailable):
        parse_token_response({"token_type": "Bearer"}, now=NOW)


def test_expiry_margin() -> None:
    now = datetime.now(UTC)
    assert Tokens("at", expires_at=now + timedelta(seconds=30)).expires_within(60, now)
    assert not Tokens("at", expires_at=now + timedelta(seconds=90)).expires_within(60, now)
    assert not Tokens("at").expires_within(60, now)


def test_which_errors_mean_the_credentials_are_gone() -> None:
    assert OAuthError("invalid_grant", 400).credentials_invalid
    assert not OAuthError("invalid_scope", 400).credentials_invalid
