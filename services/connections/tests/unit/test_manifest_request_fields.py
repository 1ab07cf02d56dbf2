"""The manifest fields that say how a request to the provider is really made: headers, base URL placeholders, the
path prefix, regions, the OAuth token's prefix, token request body and revocation, and basic key templates."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import ValidationError

from connections.catalogue.loader import load_catalogue
from connections.catalogue.manifest import Manifest, OAuth2Auth

OAUTH = {"kind": "oauth2", "authorize_url": "https://auth.example.com/authorize",
         "token_url": "https://auth.example.com/token"}


def manifest(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "type": "acme", "name": "Acme", "description": "Acme.", "categories": ["CRM"],
        "docs_url": "https://acme.example/docs", "api_base_url": "https://api.acme.example/v1",
        "auth": {"kind": "api_key", "location": "header", "name": "X-Key",
                 "fields": [{"name": "apiKey", "label": "Key"},
                            {"name": "subdomain", "label": "Subdomain", "secret": False},
                            {"name": "accountId", "label": "Account", "secret": False}]},
    }
    return base | changes


def refused(data: dict[str, Any], words: str) -> None:
    with pytest.raises(ValidationError, match=words):
        Manifest.model_validate(data)


def test_an_existing_manifest_without_the_new_fields_keeps_its_defaults() -> None:
    m = Manifest.model_validate(manifest())
    assert (m.headers, m.api_path_prefix, m.regions) == ({}, None, {})
    oauth = Manifest.model_validate(manifest(auth=OAUTH)).auth
    assert isinstance(oauth, OAuth2Auth)
    assert (oauth.token_prefix, oauth.token_request, oauth.revoke) == ("Bearer", "form", None)


def test_headers_may_be_constant_or_name_declared_fields() -> None:
    m = Manifest.model_validate(manifest(headers={"Acme-Version": "2024-01-01", "Acme-Account": "{accountId}"}))
    assert m.headers["Acme-Account"] == "{accountId}"
    refused(manifest(headers={"Acme-Account": "{tenant}"}), "unknown fields")
    Manifest.model_validate(manifest(auth=OAUTH, headers={"x-api-key": "{client_id}"}))
    refused(manifest(headers={"x-api-key": "{client_id}"}), "unknown fields")  # an OAuth app's id only


@pytest.mark.parametrize("name", ["Host", "Authorization", "cookie", "Transfer-Encoding", "Connection", "X-Key",
                                  "Bad Header", "X-Forwarded-For"])
def test_a_manifest_sets_no_reserved_hop_by_hop_credential_or_malformed_header(name: str) -> None:
    refused(manifest(headers={name: "x"}), "not a header a manifest sets")


def test_a_header_value_spans_no_lines() -> None:
    refused(manifest(headers={"Acme-Version": "1\r\nHost: evil"}), "spans lines")


def test_base_url_placeholders_name_non_secret_fields_in_the_host_only() -> None:
    assert Manifest.model_validate(manifest(api_base_url="https://{subdomain}.acme.example/v1")).api_base_url
    refused(manifest(api_base_url="https://{apikey}.acme.example"), "not non-secret credential fields")
    refused(manifest(api_base_url="https://{accountId}.acme.example"), "lowercase")  # hosts are lowercased
    refused(manifest(api_base_url="https://api.acme.example/{accountId}"), "api_path_prefix")
    refused(manifest(api_base_url="https://user:pw@api.acme.example/"), "no user")
    refused(manifest(api_base_url="https://api.acme.example/?a=1"), "query")


def test_the_path_prefix_names_non_secret_fields() -> None:
    m = Manifest.model_validate(manifest(api_path_prefix="/stores/{accountId}/v3"))
    assert m.api_path_prefix == "/stores/{accountId}/v3"
    refused(manifest(api_path_prefix="/stores/{apiKey}"), "not non-secret")
    refused(manifest(api_path_prefix="stores"), "api_path_prefix")
    refused(manifest(api_path_prefix="/a/../b?x"), "api_path_prefix")


def test_regions_need_a_region_field_and_plain_names() -> None:
    fields = [{"name": "apiKey", "label": "Key"}, {"name": "region", "label": "Region", "secret": False,
                                                   "required": False}]
    auth = {"kind": "api_key", "location": "header", "name": "X-Key", "fields": fields}
    m = Manifest.model_validate(manifest(auth=auth, regions={"eu": "https://api.eu.acme.example/v1"}))
    assert str(m.regions["eu"]) == "https://api.eu.acme.example/v1"
    refused(manifest(regions={"eu": "https://api.eu.acme.example/v1"}), "region")
    refused(manifest(auth=auth, regions={"EU West": "https://api.eu.acme.example"}), "regions")


def test_oauth_token_prefix_and_json_token_requests() -> None:
    auth = Manifest.model_validate(manifest(auth=OAUTH | {"token_prefix": "Zoho-oauthtoken",
                                                          "token_request": "json"})).auth
    assert isinstance(auth, OAuth2Auth) and auth.token_prefix == "Zoho-oauthtoken" and auth.token_request == "json"
    refused(manifest(auth=OAUTH | {"token_prefix": "Bearer x"}), "token_prefix")
    refused(manifest(auth=OAUTH | {"token_request": "xml"}), "token_request")


def test_revocation_with_the_token_in_the_path_or_a_body() -> None:
    path = {"method": "DELETE", "url": "https://api.acme.example/tokens/{token}", "token": "refresh_token"}
    Manifest.model_validate(manifest(auth=OAUTH | {"revoke": path}))
    body = {"method": "DELETE", "url": "https://api.acme.example/apps/{client_id}/token", "body": "json",
            "body_param": "access_token", "client_auth": "basic"}
    Manifest.model_validate(manifest(auth=OAUTH | {"revoke": body}))
    refused(manifest(auth=OAUTH | {"revoke": body | {"body": "none"}}), "either in the URL")
    refused(manifest(auth=OAUTH | {"revoke": path | {"body": "form"}}), "either in the URL")
    refused(manifest(auth=OAUTH | {"revoke": path | {"url": "https://api.acme.example/{secret}"}}), "only")
    refused(manifest(auth=OAUTH | {"revoke": path | {"url": "https://{token}.acme.example/"}}), "url")
    refused(manifest(auth=OAUTH | {"revoke": path, "revoke_url": "https://api.acme.example/revoke"}), "not both")


def test_a_basic_key_template_is_username_colon_password() -> None:
    for template in ("{apiKey}:", ":{apiKey}", "api:{apiKey}", "{subdomain}:{apiKey}"):
        Manifest.model_validate(manifest(auth=manifest()["auth"] | {"location": "basic", "template": template}))
    refused(manifest(auth=manifest()["auth"] | {"location": "basic", "template": "{apiKey}"}), "username:password")


def test_basic_auth_reads_its_pair_from_a_template_or_its_fields() -> None:
    fields = [{"name": "subdomain", "label": "S", "secret": False}, {"name": "sid", "label": "SID", "secret": False},
              {"name": "token", "label": "Token"}]
    auth = Manifest.model_validate(manifest(auth={"kind": "basic", "fields": fields})).auth
    assert auth.credentials_template == "{subdomain}:{token}"
    explicit = Manifest.model_validate(manifest(auth={"kind": "basic", "fields": fields,
                                                      "template": "{sid}:{token}"})).auth
    assert explicit.credentials_template == "{sid}:{token}"
    refused(manifest(auth={"kind": "basic", "fields": fields, "template": "{sid}"}), "username:password")
    refused(manifest(auth={"kind": "basic", "fields": fields, "template": "{who}:{token}"}), "unknown fields")


def test_the_built_ins_hold_the_facts_their_descriptions_used_to() -> None:
    catalogue = load_catalogue()
    assert catalogue.get("notion").headers == {"Notion-Version": "2022-06-28"}
    assert catalogue.get("xero").headers == {"Xero-tenant-id": "{tenantId}"}
    assert "revision" in catalogue.get("klaviyo").headers
    assert catalogue.get("bigcommerce").api_path_prefix == "/stores/{storeHash}"
    assert catalogue.get("jira").api_path_prefix == "/ex/jira/{cloudId}"
    assert catalogue.get("zoho_crm").auth.token_prefix == "Zoho-oauthtoken"
    assert catalogue.get("podio").auth.token_prefix == "OAuth2"
    assert catalogue.get("square").auth.token_request == "json"
    assert catalogue.get("hubspot").auth.revoke.token == "refresh_token"
    assert "eu" in catalogue.get("mailgun").regions
    with_facts = [m.type for m in catalogue.manifests
                  if any(w in m.description for w in ("the model has no field", "Zoho-oauthtoken", "X-GitHub-Api"))]
    assert with_facts == []


def test_the_documented_request_fields_example_validates() -> None:
    text = (Path(__file__).parents[4] / "docs" / "connections.md").read_text(encoding="utf-8")
    full = yaml.safe_load(re.findall(r"```yaml\n(.*?)```", text, re.DOTALL)[0])
    fragment = yaml.safe_load(re.findall(r"```yml\n(.*?)```", text, re.DOTALL)[0])
    m = Manifest.model_validate(full | fragment)
    assert m.api_path_prefix == "/accounts/{accountId}" and "eu" in m.regions and m.headers["Acme-Account"]
