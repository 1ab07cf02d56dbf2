"""Each reference's presenter maps a manifest to that reference's documented shape, field by field, and shows
credential fields as definitions only."""

from __future__ import annotations

from pathlib import Path

import pytest

from connections.catalogue.index import Catalogue
from connections.catalogue.loader import read_manifest
from connections.catalogue.manifest import Manifest
from connections.presenters.connect import provider_detail, provider_summary
from connections.presenters.integrations import available_integration
from connections.presenters.pipelines import connector_types

SAMPLES = Path(__file__).parents[1] / "fixtures" / "providers"


@pytest.fixture
def crm() -> Manifest:
    return read_manifest(SAMPLES / "junction_test_crm.yaml")


@pytest.fixture
def books() -> Manifest:
    return read_manifest(SAMPLES / "junction_test_books.yaml")


def test_connect_summary_is_metadata_and_capabilities(crm: Manifest) -> None:
    assert provider_summary(crm).wire() == {
        "type": "junction_test_crm", "name": "Junction Test CRM",
        "description": "A CRM for tests: contacts and deals behind an API key.", "categories": ["CRM", "Sales"],
        "authType": "api_key", "docsUrl": "https://developers.acme.example/docs",
        "capabilities": {"streams": ["contacts", "deals"], "actions": ["create_contact", "update_deal"],
                         "triggers": ["contact.created", "new_deal"],
                         "webhookEvents": ["contact.created", "deal.updated"], "proxy": True},
    }


def test_connect_detail_of_an_api_key_provider(crm: Manifest) -> None:
    detail = provider_detail(crm).wire()
    assert detail["connectorType"] == "JUNCTION_TEST_CRM" and detail["connectorFamily"] == "CRM_PLATFORM"
    assert detail["auth"] == {"kind": "api_key", "location": "header", "parameter": "Authorization",
                              "authorizeUrl": None, "tokenUrl": None, "revokeUrl": None, "scopes": [], "pkce": False,
                              "refresh": None}
    assert detail["credentials"] == [{"name": "apiKey", "label": "API key", "secret": True, "required": True,
                                      "description": None}]
    assert detail["testRequest"] == {"method": "GET", "path": "/me", "expectStatus": 200}
    assert detail["rateLimit"] == {"requests": 100, "perSeconds": 10.0, "scope": "connection"}
    assert detail["streams"][0] == {"name": "contacts", "path": "/contacts", "primaryKey": "id",
                                    "cursorField": "updated_at", "incremental": True, "description": None,
                                    "recordsPath": "data", "pagination": None}
    assert detail["actions"][0]["inputSchema"]["required"] == ["email"]
    assert detail["triggers"][1] == {"name": "new_deal", "label": "New deal", "kind": "poll", "event": None,
                                     "stream": "deals"}
    assert detail["webhooks"] == {"events": ["contact.created", "deal.updated"], "signing": "hmac_sha256",
                                  "signatureHeader": "X-Acme-Signature", "subscribe": "api"}


def test_connect_detail_of_an_oauth_provider(books: Manifest) -> None:
    detail = provider_detail(books).wire()
    assert detail["auth"]["authorizeUrl"] == "https://bookkeep.example/oauth/authorize"
    assert detail["auth"]["scopes"] == ["accounting.read"] and detail["auth"]["pkce"] is True
    assert [f["name"] for f in detail["credentials"]] == ["client_id", "client_secret", "tenantId"]
    assert detail["testRequest"] is None and detail["webhooks"] is None and detail["connectorFamily"] is None


def test_pipelines_connector_types_with_required_credentials(crm: Manifest, books: Manifest) -> None:
    listed = connector_types([crm, books]).wire()
    assert list(listed) == ["connectorTypes"]
    first, second = listed["connectorTypes"]
    assert (first["type"], first["provider"], first["family"], first["category"]) == (
        "JUNCTION_TEST_BOOKS", "junction_test_books", None, "Accounting")
    assert [c["name"] for c in first["credentials"]] == ["client_id", "client_secret", "tenantId"]
    assert (second["type"], second["name"], second["family"], second["category"], second["authType"]) == (
        "JUNCTION_TEST_CRM", "Junction Test CRM", "CRM_PLATFORM", "CRM", "api_key")
    assert second["credentials"] == [{"name": "apiKey", "label": "API key", "secret": True, "required": True,
                                      "description": None}]


def test_integrations_available_with_settings_schema_and_sync_events(crm: Manifest, books: Manifest) -> None:
    shown = available_integration(crm).wire()
    assert shown["service"] == "junction_test_crm" and shown["syncEvents"] == ["contact.created", "deal.updated"]
    assert shown["settingsSchema"] == {
        "type": "object", "properties": {"apiKey": {"type": "string", "title": "API key", "minLength": 1,
                                                    "writeOnly": True}},
        "required": ["apiKey"], "additionalProperties": False}
    schema = available_integration(books).wire()["settingsSchema"]
    assert schema["required"] == ["client_id", "client_secret", "tenantId"]
    assert "writeOnly" not in schema["properties"]["tenantId"]
    assert available_integration(books).wire()["syncEvents"] == []


def test_search_matches_every_term_best_match_first(crm: Manifest, books: Manifest) -> None:
    catalogue = Catalogue([crm, books])
    assert [m.type for m in catalogue.search("junction test")] == ["junction_test_books", "junction_test_crm"]
    assert [m.type for m in catalogue.search("Junction Test CRM")] == ["junction_test_crm"]
    assert [m.type for m in catalogue.search("accounting")] == ["junction_test_books"]
    assert catalogue.search("crm deals") == [crm] and catalogue.search("nothing-like-this") == []
    assert [m.type for m in catalogue.in_category("crm")] == ["junction_test_crm"]
