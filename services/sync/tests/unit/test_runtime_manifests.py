"""Low-code manifests built from provider YAML streams: auth, requests, pagination, incremental cursors."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from sync.runtime import declarative_manifest, source_ref

Json = dict[str, Any]


def provider(auth: Json | None = None, **stream: Any) -> Json:
    return {
        "type": "acme", "docs_url": "https://acme.example/docs", "api_base_url": "https://{subdomain}.acme.example",
        "api_path_prefix": "/api/v2", "headers": {"Acme-Account": "{subdomain}"},
        "auth": auth or {"kind": "api_key", "location": "header", "name": "Authorization",
                         "template": "Bearer {apiKey}",
                         "fields": [{"name": "subdomain", "label": "Subdomain", "secret": False},
                                    {"name": "apiKey", "label": "API key"}]},
        "streams": [{"name": "contacts", "path": "/contacts", "records_path": "data.items", **stream},
                    {"name": "deals", "path": "/deals"}],
    }


def only_stream(manifest: Json) -> Json:
    (stream,) = manifest["streams"]
    return stream


def test_a_manifest_is_a_declarative_source_checked_on_its_first_stream() -> None:
    manifest = declarative_manifest(provider())
    assert manifest["type"] == "DeclarativeSource" and manifest["version"]
    assert manifest["check"] == {"type": "CheckStream", "stream_names": ["contacts"]}
    assert [s["name"] for s in manifest["streams"]] == ["contacts", "deals"]
    assert [s["name"] for s in declarative_manifest(provider(), ["deals"])["streams"]] == ["deals"]
    with pytest.raises(ValueError):
        declarative_manifest(provider(), ["nothing"])


def test_requests_go_to_the_base_url_with_host_placeholders_prefix_and_headers_from_the_config() -> None:
    stream = only_stream(declarative_manifest(provider(), ["contacts"]))
    requester = stream["retriever"]["requester"]
    assert requester["url_base"] == "https://{{ config['subdomain'] }}.acme.example/api/v2"
    assert requester["path"] == "/contacts"
    assert requester["request_headers"] == {"Acme-Account": "{{ config['subdomain'] }}"}
    assert stream["retriever"]["record_selector"]["extractor"]["field_path"] == ["data", "items"]
    assert stream["primary_key"] == ["id"]
    handler = requester["error_handler"]
    assert handler["backoff_strategies"][0] == {"type": "WaitTimeFromHeader", "header": "Retry-After",
                                                "max_waiting_time_in_seconds": 300}


@pytest.mark.parametrize(("auth", "expected"), [
    ({"kind": "api_key", "location": "header", "name": "Authorization", "template": "Bearer {apiKey}"},
     {"type": "BearerAuthenticator", "api_token": "{{ config['apiKey'] }}"}),
    ({"kind": "api_key", "location": "header", "name": "X-Api-Key", "template": "{apiKey}"},
     {"type": "ApiKeyAuthenticator", "api_token": "{{ config['apiKey'] }}",
      "inject_into": {"type": "RequestOption", "inject_into": "header", "field_name": "X-Api-Key"}}),
    ({"kind": "api_key", "location": "query", "name": "key", "template": "{apiKey}"},
     {"type": "ApiKeyAuthenticator", "api_token": "{{ config['apiKey'] }}",
      "inject_into": {"type": "RequestOption", "inject_into": "request_parameter", "field_name": "key"}}),
    ({"kind": "api_key", "location": "basic", "template": "{apiKey}:"},
     {"type": "BasicHttpAuthenticator", "username": "{{ config['apiKey'] }}", "password": ""}),
    ({"kind": "basic"},
     {"type": "BasicHttpAuthenticator", "username": "{{ config['username'] }}",
      "password": "{{ config['password'] }}"}),
    ({"kind": "oauth2", "authorize_url": "https://a.example/auth", "token_url": "https://a.example/token"},
     {"type": "BearerAuthenticator", "api_token": "{{ config['access_token'] }}"}),
])
def test_each_auth_kind_becomes_its_authenticator(auth: Json, expected: Json) -> None:
    manifest = declarative_manifest({**provider(auth), "api_path_prefix": None, "headers": {}})
    assert manifest["streams"][0]["retriever"]["requester"]["authenticator"] == expected


def test_the_spec_asks_for_the_credential_fields_with_secrets_marked() -> None:
    spec = declarative_manifest(provider())["spec"]["connection_specification"]
    assert spec["properties"]["apiKey"]["airbyte_secret"] is True
    assert spec["properties"]["subdomain"]["airbyte_secret"] is False
    assert spec["required"] == ["subdomain", "apiKey"] and "start_date" in spec["properties"]
    oauth = {"kind": "oauth2", "authorize_url": "https://a.example/auth", "token_url": "https://a.example/token"}
    oauth_spec = declarative_manifest(provider(oauth))["spec"]["connection_specification"]
    assert oauth_spec["properties"]["access_token"]["airbyte_secret"] is True


def paginator(**pagination: Any) -> Json:
    stream = only_stream(declarative_manifest(provider(pagination=pagination), ["contacts"]))
    return stream["retriever"]["paginator"]  # type: ignore[no-any-return]


def test_page_and_offset_pagination_count_pages_and_send_the_size() -> None:
    page = paginator(style="page", page_size=25, size_param="per_page", start_from=0)
    assert page["pagination_strategy"] == {"type": "PageIncrement", "page_size": 25, "start_from_page": 0,
                                           "inject_on_first_request": True}
    assert page["page_token_option"]["field_name"] == "page"
    assert page["page_size_option"] == {"type": "RequestOption", "inject_into": "request_parameter",
                                        "field_name": "per_page"}
    offset = paginator(style="offset", param="skip")
    assert offset["pagination_strategy"]["type"] == "OffsetIncrement"
    assert offset["page_token_option"]["field_name"] == "skip" and "page_size_option" not in offset


def test_cursor_and_next_url_pagination_read_the_token_from_the_answer() -> None:
    cursor = paginator(style="cursor", token_path="meta.next")
    expression = "((response or {}).get('meta') or {}).get('next')"
    assert cursor["pagination_strategy"]["cursor_value"] == "{{ " + expression + " }}"
    assert cursor["pagination_strategy"]["stop_condition"] == "{{ not " + expression + " }}"
    assert cursor["page_token_option"]["field_name"] == "cursor"
    assert paginator(style="next_url", token_path="next")["page_token_option"] == {"type": "RequestPath"}


def test_link_header_pagination_follows_rel_next() -> None:
    link = paginator(style="link")
    assert link["pagination_strategy"]["cursor_value"] == "{{ headers['link']['next']['url'] }}"
    assert link["page_token_option"] == {"type": "RequestPath"}


def test_no_pagination_is_one_request() -> None:
    assert paginator(style="none") == {"type": "NoPagination"}
    stream = only_stream(declarative_manifest(provider(), ["deals"]))
    assert stream["retriever"]["paginator"] == {"type": "NoPagination"}


def test_a_cursor_field_makes_the_stream_incremental() -> None:
    asked = only_stream(declarative_manifest(provider(cursor_field="updated_at", incremental={
        "request_param": "since", "datetime_format": "%Y-%m-%d", "start_date": "2020-01-01"}), ["contacts"]))
    cursor = asked["incremental_sync"]
    assert cursor["cursor_field"] == "updated_at" and cursor["datetime_format"] == "%Y-%m-%d"
    assert cursor["start_time_option"]["field_name"] == "since"
    assert cursor["start_datetime"]["datetime"] == "{{ config.get('start_date') or '2020-01-01' }}"
    filtered = only_stream(declarative_manifest(provider(cursor_field="updated_at"), ["contacts"]))
    assert filtered["incremental_sync"]["is_client_side_incremental"] is True
    assert "incremental_sync" not in only_stream(declarative_manifest(provider(), ["deals"]))


def test_a_provider_source_can_be_a_pypi_package_or_a_manifest_file(tmp_path: Path) -> None:
    pypi = source_ref({**provider(), "source": {"pypi": "airbyte-source-faker", "version": "7.2.1"}})
    assert (pypi.kind, pypi.package, pypi.version) == ("pypi", "airbyte-source-faker", "7.2.1")
    (tmp_path / "acme.lowcode.yaml").write_text(yaml.safe_dump({"version": "6.0.0", "type": "DeclarativeSource"}))
    own = source_ref({**provider(), "source": {"manifest": "acme.lowcode.yaml"}}, base_dir=tmp_path)
    assert own.kind == "declarative" and own.manifest == {"version": "6.0.0", "type": "DeclarativeSource"}
    built = source_ref(provider(), ["deals"])
    assert built.manifest is not None and [s["name"] for s in built.manifest["streams"]] == ["deals"]


def test_regions_choose_the_base_url_by_the_configs_region() -> None:
    regional = {**provider(), "api_base_url": "https://api.acme.example", "api_path_prefix": "/v1",
                "regions": {"eu": "https://eu.acme.example/"}}
    url_base = declarative_manifest(regional)["streams"][0]["retriever"]["requester"]["url_base"]
    assert url_base == ("{{ {'eu': 'https://eu.acme.example/v1'}.get(config.get('region'), "
                        "'https://api.acme.example/v1') }}")
    placeholders = declarative_manifest({**regional, "api_base_url": "https://{subdomain}.acme.example"})
    assert placeholders["streams"][0]["retriever"]["requester"]["url_base"].startswith("https://{{ config[")


def test_a_step_cuts_an_incremental_read_into_checkpointed_windows() -> None:
    windowed = only_stream(declarative_manifest(provider(cursor_field="updated_at", incremental={
        "request_param": "since", "end_param": "until", "step": "P7D", "granularity": "PT1S"}), ["contacts"]))
    cursor = windowed["incremental_sync"]
    assert (cursor["step"], cursor["cursor_granularity"]) == ("P7D", "PT1S")
    assert cursor["end_time_option"] == {"type": "RequestOption", "inject_into": "request_parameter",
                                         "field_name": "until"}
