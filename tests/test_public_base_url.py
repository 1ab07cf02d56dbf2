"""URLs handed to users (webhook URLs, OAuth redirect URIs, flow hooks) point at the gateway `junction up` serves."""

from __future__ import annotations

import pytest

from connections.settings import ConnectionsSettings
from flows.settings import FlowsSettings


@pytest.fixture
def no_public_base_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("JUNCTION_PUBLIC_BASE_URL", raising=False)


@pytest.mark.usefixtures("no_public_base_url")
def test_every_service_defaults_to_the_gateway_of_junction_up() -> None:
    gateway = "http://127.0.0.1:8000"  # junction up: JUNCTION_GATEWAY_HOST / _PORT defaults
    assert ConnectionsSettings().public_base_url == gateway
    assert FlowsSettings().public_base_url == gateway


def test_the_operator_sets_it_once_for_every_service(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JUNCTION_PUBLIC_BASE_URL", "https://junction.example.com")
    assert ConnectionsSettings().public_base_url == FlowsSettings().public_base_url == "https://junction.example.com"
