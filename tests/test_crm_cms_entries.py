"""CMS entries are validated against their collection's schema, listed by filters and found by full text."""

from __future__ import annotations

import pytest

from tests.api import call

pytestmark = pytest.mark.integration

SCHEMA = {"fields": [{"key": "slug", "type": "string", "required": True},
                     {"key": "body", "type": "markdown", "required": True},
                     {"key": "reading_minutes", "type": "integer"},
                     {"key": "tone", "type": "select", "options": ["formal", "casual"]}]}


async def test_entries_follow_their_schema_and_are_searchable(gateway, crm_service, workspace, http):
    _, key = workspace
    base = f"{gateway.url}/v1/cms"
    status, col = await call(http, "POST", f"{base}/collections", key,
                             {"name": "Blog Posts", "key": "blog_posts", "schema": SCHEMA})
    assert status == 201, col
    col_id = col["data"]["id"]
    entry = {"collection_id": col_id, "title": "AI follow-up workflows", "status": "draft",
             "fields": {"slug": "ai-follow-up-workflows", "body": "Draft content about pipelines"}}
    status, body = await call(http, "POST", f"{base}/entries", key, entry)
    assert status == 201, body
    entry_id = body["data"]["id"]
    assert "search_text" not in body["data"]
    refusals = [
        ({**entry, "fields": {"slug": "x"}}, "/fields/body"),  # required field missing
        ({**entry, "fields": {**entry["fields"], "colour": "red"}}, "/fields/colour"),  # unknown field
        ({**entry, "fields": {**entry["fields"], "reading_minutes": "five"}}, "/fields/reading_minutes"),
        ({**entry, "fields": {**entry["fields"], "tone": "angry"}}, "/fields/tone"),
        ({**entry, "collection_id": "col_missing"}, "/collection_id"),
    ]
    for bad, pointer in refusals:
        status, body = await call(http, "POST", f"{base}/entries", key, bad)
        assert status == 422 and body["error"]["details"]["pointer"] == pointer, (pointer, body)
    status, body = await call(http, "PATCH", f"{base}/entries/{entry_id}", key,
                              {"status": "review", "fields": {"body": "Updated draft content", "tone": "casual"}})
    assert status == 200 and body["data"]["status"] == "review"
    assert body["data"]["fields"] == {"slug": "ai-follow-up-workflows", "body": "Updated draft content",
                                      "tone": "casual"}  # PATCH merges fields
    status, body = await call(http, "PATCH", f"{base}/entries/{entry_id}", key, {"fields": {"tone": "angry"}})
    assert status == 422
    _, listed = await call(http, "GET", f"{base}/entries?status=review&collection_id={col_id}", key)
    assert [e["id"] for e in listed["data"]] == [entry_id]
    _, found = await call(http, "GET", f"{base}/entries/search?query=updated%20draft", key)
    assert [e["id"] for e in found["data"]] == [entry_id]
    _, found = await call(http, "GET", f"{base}/entries/search?query=followup-nothing", key)
    assert found["data"] == []
