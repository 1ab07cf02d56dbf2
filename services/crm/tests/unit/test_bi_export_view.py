"""An export's answer: a completed export carries a fresh signed download URL under the public base URL the gateway
passed on, only for keys that may read its source; the URL verifies for that export and workspace alone."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from crm.bi import exports
from junction_common.identity import Principal
from junction_common.object_store import signed_urls
from junction_common.web.envelope import ApiError

SECRET = "test-secret"
DOC = {"_id": "exp_1", "workspace_id": "wrk_1", "status": "completed", "source": "deals", "_version": 2}


def principal(*scopes: str) -> Principal:
    return Principal(workspace_id="wrk_1", key_id="key_1", role="ADMIN", scopes=frozenset(scopes), plan="business")


def test_a_completed_export_is_answered_with_a_signed_url_under_the_public_base() -> None:
    data = exports.view(DOC, "http://edge.example/", SECRET, principal("bi:read", "crm:read"))
    url = urlsplit(data["download_url"])
    assert (url.scheme, url.netloc, url.path) == ("http", "edge.example", "/v1/bi/exports/exp_1/download")
    query = {k: v[0] for k, v in parse_qs(url.query).items()}
    signed_urls.verify(SECRET, exports.ACTION, "wrk_1", "exp_1", int(query["expires"]), query["sig"])
    with pytest.raises(ApiError):
        signed_urls.verify(SECRET, exports.ACTION, "wrk_2", "exp_1", int(query["expires"]), query["sig"])
    assert data["download_expires_in"] == exports.URL_TTL_S and "_version" not in data


def test_no_url_without_the_source_scope_nor_before_completion() -> None:
    assert "download_url" not in exports.view(DOC, "http://edge.example/", SECRET, principal("bi:read"))
    pending = {**DOC, "status": "pending"}
    assert "download_url" not in exports.view(pending, "http://edge.example/", SECRET, principal("crm:read"))
