"""JUNCTION_OAUTH_CLIENTS: the operator's OAuth apps per provider, a secret setting never repeated in an error."""

from __future__ import annotations

import json

import pytest

from connections.app.oauth_flow import oauth_clients
from connections.settings import ConnectionsSettings


def test_the_operators_apps_are_read_per_provider() -> None:
    raw = json.dumps({"hubspot": {"client_id": "hs-id", "client_secret": "hs-secret-value"},
                      "public_app": {"client_id": "pub"}})
    settings = ConnectionsSettings(oauth_clients=raw)
    clients = oauth_clients(settings)
    assert clients["hubspot"].client_id == "hs-id" and clients["hubspot"].client_secret == "hs-secret-value"
    assert clients["public_app"].client_secret is None
    assert "hs-secret-value" not in repr(settings) + repr(clients)
    assert oauth_clients(ConnectionsSettings()) == {}


@pytest.mark.parametrize("raw", ["not json", '["a"]', '{"hubspot": {"client_secret": "only-secret-value"}}'])
def test_an_unreadable_value_is_refused_without_repeating_it(raw: str) -> None:
    with pytest.raises(ValueError) as caught:
        oauth_clients(ConnectionsSettings(oauth_clients=raw))
    assert "only-secret-value" not in str(caught.value) and raw not in str(caught.value)
