"""Airbyte low-code manifests built from a provider YAML's simple `streams:` (connections' catalogue), and the
SourceRef a provider's streams run on.

Each stream becomes a DeclarativeStream: an HttpRequester on the provider's `api_base_url` (+ `api_path_prefix`,
host placeholders and header values filled from the config) with the provider's auth (API key in a header or
query parameter, `Bearer`, HTTP basic; OAuth providers get `Bearer {access_token}`, the token the sync service
puts in the config), a RecordSelector on `records_path`, retries on 429 (honouring Retry-After) and 5xx, a
paginator from the stream's `pagination:` and, with a `cursor_field`, a DatetimeBasedCursor per `incremental:`.

Pagination styles (`pagination: {style: ...}` on a stream; no `pagination` means one request):
- `page`: page numbers in `param` (default `page`) from `start_from` (default 1); stops on a short page.
- `offset`: offsets in `param` (default `offset`), stepping by `page_size`; stops on a short page.
- `cursor`: the answer's `token_path` (a dot path, e.g. `meta.next_cursor`) holds the next token, sent back in
  `param` (default `cursor`); stops when it is empty.
- `next_url`: the answer's `token_path` holds the next page's full URL; stops when it is empty.
- `link`: the `Link: <url>; rel="next"` header holds the next page's URL; stops when there is none.
`size_param` (e.g. `per_page`, `limit`) sends `page_size`; without it the API's own page size must be
`page_size`, since a shorter page ends `page` and `offset` pagination.

Incremental (`incremental:` on a stream with a `cursor_field`): cursor values in `datetime_format` (strftime,
default ISO-8601 `%Y-%m-%dT%H:%M:%SZ`); `request_param` sends the lower bound (inclusive: the next run asks
from the last cursor value again, so rows sharing it come twice and the destination de-duplicates by primary
key); without it the records are filtered after fetching. The first run starts at config `start_date`, else
the stream's `start_date`. With `step` (an ISO-8601 duration) and `end_param`, a read is cut into windows of
`step` from the start to now, each asked with both bounds (inclusive, to `granularity`) and checkpointed by a
STATE message when read: a long first sync resumes from its last window, not from the start.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from sync.runtime.refs import SourceRef

MANIFEST_VERSION = "6.48.0"
PLACEHOLDER = re.compile(r"\{(\w+)\}")
DEFAULT_PARAM = {"page": "page", "offset": "offset", "cursor": "cursor"}
RETRY_AFTER_MAX_S = 300
Json = dict[str, Any]


def source_ref(provider: Json, streams: Sequence[str] | None = None, base_dir: Path | None = None) -> SourceRef:
    """The source a provider's streams run on: its `source:` (a PyPI package, or a low-code manifest file in
    `base_dir`), else a manifest built from its `streams:`."""
    source = provider.get("source") or {}
    if source.get("pypi"):
        return SourceRef(kind="pypi", package=source["pypi"], version=source.get("version"))
    if source.get("manifest"):
        if base_dir is None:
            raise ValueError(f"{provider['type']}'s manifest file {source['manifest']} needs the folder it sits in")
        return SourceRef(kind="declarative", manifest=yaml.safe_load((base_dir / source["manifest"]).read_text()))
    return SourceRef(kind="declarative", manifest=declarative_manifest(provider, streams))


def declarative_manifest(provider: Json, streams: Sequence[str] | None = None) -> Json:
    """A DeclarativeSource manifest for the provider's `streams` (all when None), checked on the first."""
    chosen = [s for s in provider.get("streams", []) if streams is None or s["name"] in streams]
    if not chosen:
        raise ValueError(f"{provider.get('type')} has no stream among {list(streams or [])}")
    requester = _requester(provider)
    return {
        "version": MANIFEST_VERSION,
        "type": "DeclarativeSource",
        "check": {"type": "CheckStream", "stream_names": [chosen[0]["name"]]},
        "streams": [_stream(stream, requester) for stream in chosen],
        "spec": {"type": "Spec", "connection_specification": _connection_spec(provider),
                 **({"documentation_url": str(provider["docs_url"])} if provider.get("docs_url") else {})},
    }


def _jinja(template: str) -> str:
    """A manifest template (`Bearer {apiKey}`) as an Airbyte interpolation over the config."""
    return PLACEHOLDER.sub(lambda m: "{{ config['" + m.group(1) + "'] }}", template)


def _url_base(provider: Json) -> str:
    """The base URL as an interpolation: host placeholders from the config, and with `regions` the config's
    `region` choosing among them (the default base for another or none)."""
    prefix = _jinja(provider.get("api_path_prefix") or "")
    base = _jinja(str(provider["api_base_url"]).rstrip("/")) + prefix
    regions = {name: str(url).rstrip("/") for name, url in (provider.get("regions") or {}).items()}
    if not regions or any(PLACEHOLDER.search(url) for url in regions.values()) or "{{" in base:
        return base
    choices = ", ".join(f"{name!r}: {url + prefix!r}" for name, url in sorted(regions.items()))
    return "{{ {" + choices + "}.get(config.get('region'), " + repr(base) + ") }}"


def _requester(provider: Json) -> Json:
    requester: Json = {
        "type": "HttpRequester",
        "url_base": _url_base(provider),
        "http_method": "GET",
        "authenticator": _authenticator(provider["auth"]),
        "error_handler": {
            "type": "DefaultErrorHandler",
            "max_retries": 5,
            "backoff_strategies": [
                {"type": "WaitTimeFromHeader", "header": "Retry-After", "max_waiting_time_in_seconds":
                    RETRY_AFTER_MAX_S},
                {"type": "ExponentialBackoffStrategy", "factor": 1},
            ],
        },
    }
    if provider.get("headers"):
        requester["request_headers"] = {name: _jinja(value) for name, value in provider["headers"].items()}
    return requester


def _authenticator(auth: Json) -> Json:
    kind = auth["kind"]
    if kind in ("oauth2", "oauth2_client_credentials"):
        return {"type": "BearerAuthenticator", "api_token": "{{ config['access_token'] }}"}
    if kind == "basic" or auth.get("location") == "basic":
        template = auth.get("template") or _basic_template(auth)
        user, _, password = template.partition(":")
        return {"type": "BasicHttpAuthenticator", "username": _jinja(user), "password": _jinja(password)}
    template = auth.get("template", "{apiKey}")
    if auth["location"] == "header" and auth["name"].lower() == "authorization" and template.startswith("Bearer "):
        return {"type": "BearerAuthenticator", "api_token": _jinja(template.removeprefix("Bearer "))}
    inject = "header" if auth["location"] == "header" else "request_parameter"
    return {"type": "ApiKeyAuthenticator", "api_token": _jinja(template),
            "inject_into": {"type": "RequestOption", "inject_into": inject, "field_name": auth["name"]}}


def _basic_template(auth: Json) -> str:
    fields = auth.get("fields") or [{"name": "username", "secret": False}, {"name": "password"}]
    names = [f["name"] for f in fields]
    if "username" in names and "password" in names:
        return "{username}:{password}"
    user = next((f["name"] for f in fields if not f.get("secret", True)), "")
    password = next((f["name"] for f in fields if f.get("secret", True)), "")
    return f"{{{user}}}:{{{password}}}"


def _connection_spec(provider: Json) -> Json:
    """The config a run needs: the provider's credential fields (secret ones marked), OAuth's access token and
    an optional `start_date` for the first incremental run."""
    auth = provider["auth"]
    fields = auth.get("fields")
    if fields is None:
        fields = [{"name": "apiKey"}] if auth["kind"] == "api_key" else [
            {"name": "username", "secret": False}, {"name": "password"}] if auth["kind"] == "basic" else []
    properties: Json = {f["name"]: {"type": "string", "title": f.get("label", f["name"]),
                                    "airbyte_secret": bool(f.get("secret", True))} for f in fields}
    required = [f["name"] for f in fields if f.get("required", True)]
    if auth["kind"].startswith("oauth2"):
        properties["access_token"] = {"type": "string", "title": "Access token", "airbyte_secret": True}
        required.append("access_token")
    properties["start_date"] = {"type": "string", "title": "Start date of the first incremental run"}
    return {"$schema": "http://json-schema.org/draft-07/schema#", "type": "object", "required": required,
            "properties": properties, "additionalProperties": True}


def _stream(stream: Json, requester: Json) -> Json:
    retriever: Json = {
        "type": "SimpleRetriever",
        "requester": {**requester, "path": stream["path"]},
        "record_selector": {"type": "RecordSelector", "extractor": {
            "type": "DpathExtractor", "field_path": (stream.get("records_path") or "").split(".")
            if stream.get("records_path") else []}},
        "paginator": _paginator(stream.get("pagination")),
    }
    primary_key = stream.get("primary_key", "id")
    built: Json = {"type": "DeclarativeStream", "name": stream["name"], "primary_key": [primary_key],
                   "retriever": retriever, "schema_loader": {"type": "InlineSchemaLoader",
                                                             "schema": _schema(primary_key, stream)}}
    if stream.get("cursor_field"):
        built["incremental_sync"] = _cursor(stream["cursor_field"], stream.get("incremental") or {})
    return built


def _schema(primary_key: str, stream: Json) -> Json:
    properties: Json = {primary_key: {"type": ["null", "string", "integer"]}}
    if stream.get("cursor_field"):
        properties[stream["cursor_field"]] = {"type": ["null", "string"]}
    return {"$schema": "http://json-schema.org/draft-07/schema#", "type": "object", "properties": properties,
            "additionalProperties": True}


def _paginator(pagination: Json | None) -> Json:
    style = (pagination or {}).get("style", "none")
    if pagination is None or style == "none":
        return {"type": "NoPagination"}
    size = int(pagination.get("page_size", 100))
    param = pagination.get("param") or DEFAULT_PARAM.get(style)
    if style == "page":
        strategy: Json = {"type": "PageIncrement", "page_size": size,
                          "start_from_page": int(pagination.get("start_from", 1)), "inject_on_first_request": True}
    elif style == "offset":
        strategy = {"type": "OffsetIncrement", "page_size": size, "inject_on_first_request": True}
    elif style in ("cursor", "next_url"):
        token = _answer_path(str(pagination["token_path"]))
        strategy = {"type": "CursorPagination", "page_size": size, "cursor_value": "{{ " + token + " }}",
                    "stop_condition": "{{ not " + token + " }}"}
    elif style == "link":
        strategy = {"type": "CursorPagination", "page_size": size,
                    "cursor_value": "{{ headers['link']['next']['url'] }}",
                    "stop_condition": "{{ 'next' not in headers['link'] }}"}
    else:
        raise ValueError(f"unknown pagination style {style!r}")
    paginator: Json = {"type": "DefaultPaginator", "pagination_strategy": strategy}
    if style in ("next_url", "link"):
        paginator["page_token_option"] = {"type": "RequestPath"}
    else:
        paginator["page_token_option"] = {"type": "RequestOption", "inject_into": "request_parameter",
                                          "field_name": param}
    if pagination.get("size_param"):
        paginator["page_size_option"] = {"type": "RequestOption", "inject_into": "request_parameter",
                                         "field_name": pagination["size_param"]}
    return paginator


def _answer_path(dot_path: str) -> str:
    """`meta.next` as a Jinja expression over the decoded answer that is empty, not an error, when absent."""
    expression = "response"
    for part in dot_path.split("."):
        expression = f"({expression} or {{}}).get('{part}')"
    return expression


def _cursor(cursor_field: str, incremental: Json) -> Json:
    fmt = incremental.get("datetime_format", "%Y-%m-%dT%H:%M:%SZ")
    start = incremental.get("start_date", "1970-01-01T00:00:00Z")
    cursor: Json = {
        "type": "DatetimeBasedCursor",
        "cursor_field": cursor_field,
        "datetime_format": fmt,
        "cursor_datetime_formats": [fmt],
        "start_datetime": {"type": "MinMaxDatetime", "datetime": "{{ config.get('start_date') or '" + start + "' }}",
                           "datetime_format": fmt},
    }
    if incremental.get("request_param"):
        cursor["start_time_option"] = {"type": "RequestOption", "inject_into": "request_parameter",
                                       "field_name": incremental["request_param"]}
    else:
        cursor["is_client_side_incremental"] = True
    if incremental.get("step"):  # windows, each checkpointed when read
        cursor.update(step=incremental["step"], cursor_granularity=incremental.get("granularity", "PT1S"),
                      end_time_option={"type": "RequestOption", "inject_into": "request_parameter",
                                       "field_name": incremental["end_param"]})
    return cursor
