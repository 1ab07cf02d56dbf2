"""CMS sites and collections, marketing campaigns and posts, analytics event and property definitions through
the gateway: unique keys, names and domains, schema checks, links, filters and search."""

from __future__ import annotations

import pytest

from tests.api import call, ids

pytestmark = pytest.mark.integration


def assert_refused(status, body, pointer):
    assert status == 422 and body["error"]["code"] == "VALIDATION_ERROR", body
    assert body["error"]["details"]["pointer"] == pointer, body


async def test_sites_unique_key_and_domain(gateway, crm_service, workspace, http):
    _, key = workspace
    url = f"{gateway.url}/v1/cms/sites"
    status, body = await call(http, "POST", url, key, {"key": "slab5_com", "name": "slab5.com",
                                                       "primary_domain": "slab5.com"})
    assert status == 201 and body["data"]["id"].startswith("site_") and body["data"]["key"] == "slab5_com", body
    site = body["data"]["id"]
    status, body = await call(http, "POST", url, key, {"key": "slab5_com", "name": "Other",
                                                       "primary_domain": "other.com"})
    assert_refused(status, body, "/key")
    status, body = await call(http, "POST", url, key, {"key": "mirror", "name": "Mirror",
                                                       "primary_domain": "SLAB5.com"})
    assert_refused(status, body, "/primary_domain")
    status, body = await call(http, "POST", url, key, {"key": "docs", "name": "Docs site",
                                                       "primary_domain": "Docs.Slab5.com"})
    assert status == 201 and body["data"]["primary_domain"] == "docs.slab5.com"
    docs = body["data"]["id"]
    assert await ids(http, url, key) == sorted([site, docs])
    assert await ids(http, f"{url}?query=docs", key) == [docs]


async def test_collections_schema(gateway, crm_service, workspace, http):
    _, key = workspace
    url = f"{gateway.url}/v1/cms/collections"
    seed = {"name": "Blog Posts", "key": "blog_posts", "schema": {"fields": [
        {"key": "title", "type": "string", "required": True},
        {"key": "slug", "type": "string", "required": True},
        {"key": "body", "type": "markdown", "required": True}]}}
    status, body = await call(http, "POST", url, key, seed)
    assert status == 201 and body["data"]["id"].startswith("col_"), body
    assert body["data"]["key"] == "blog_posts" and body["data"]["name"] == "Blog Posts"
    assert body["data"]["schema"] == seed["schema"]
    status, body = await call(http, "POST", url, key, {**seed, "name": "Again"})
    assert_refused(status, body, "/key")
    typed = {"name": "Authors", "key": "authors", "schema": {"fields": [
        {"key": "name", "type": "string", "required": True}, {"key": "born", "type": "date"},
        {"key": "posts", "type": "number"}, {"key": "active", "type": "boolean"},
        {"key": "team", "type": "select", "options": ["core", "guest"]},
        {"key": "mentor", "type": "reference", "reference_collection_key": "authors"}]}}
    status, body = await call(http, "POST", url, key, typed)
    assert status == 201, body
    status, body = await call(http, "POST", url, key, {"name": "Bad", "key": "bad", "schema": {"fields": [
        {"key": "x", "type": "spreadsheet"}]}})
    assert status == 422 and body["error"]["code"] == "VALIDATION_ERROR"
    status, body = await call(http, "POST", url, key, {"name": "Dup", "key": "dup", "schema": {"fields": [
        {"key": "title", "type": "string"}, {"key": "title", "type": "markdown"}]}})
    assert_refused(status, body, "/schema/fields/1/key")
    status, body = await call(http, "POST", url, key, {"name": "Sel", "key": "sel", "schema": {"fields": [
        {"key": "kind", "type": "select"}]}})
    assert_refused(status, body, "/schema/fields/0/options")


async def test_campaigns_and_posts(gateway, crm_service, workspace, http):
    _, key = workspace
    base = gateway.url
    campaigns, posts = f"{base}/v1/marketing/campaigns", f"{base}/v1/marketing/posts"
    status, body = await call(http, "POST", campaigns, key, {"key": "slab5_beta_launch", "name": "Slab5 beta launch",
                                                             "channel": "website"})
    assert status == 201 and body["data"]["id"].startswith("camp_") and body["data"]["status"] == "draft", body
    beta = body["data"]["id"]
    status, body = await call(http, "POST", campaigns, key, {"key": "slab5_beta_launch", "name": "Again"})
    assert_refused(status, body, "/key")
    status, body = await call(http, "POST", campaigns, key, {"key": "spring", "name": "Spring promo",
                                                             "channel": "email", "status": "active",
                                                             "starts_at": "2024-03-01", "ends_at": "2024-05-31"})
    spring = body["data"]["id"]
    status, body = await call(http, "POST", campaigns, key, {"key": "late", "name": "Late", "starts_at": "2024-06-01",
                                                             "ends_at": "2024-05-01"})
    assert_refused(status, body, "/ends_at")
    assert await ids(http, f"{campaigns}?status=active", key) == [spring]
    assert await ids(http, f"{campaigns}?channel=website", key) == [beta]
    assert await ids(http, f"{campaigns}?query=beta", key) == [beta]
    status, _ = await call(http, "GET", f"{campaigns}?status=running", key)
    assert status == 422

    seed = {"channel": "linkedin", "title": "Beta launch", "body": "We are opening Slab5 private beta."}
    status, body = await call(http, "POST", posts, key, seed)
    assert status == 201 and body["data"]["id"].startswith("post_") and body["data"]["channel"] == "linkedin", body
    loose = body["data"]["id"]
    status, body = await call(http, "POST", posts, key, {**seed, "channel": "x", "campaign_id": beta,
                                                         "status": "scheduled", "scheduled_at": "2024-06-01T09:00Z"})
    assert status == 201, body
    linked = body["data"]["id"]
    status, body = await call(http, "POST", posts, key, {**seed, "campaign_id": "camp_gone"})
    assert_refused(status, body, "/campaign_id")
    status, body = await call(http, "POST", posts, key, {**seed, "status": "scheduled"})
    assert_refused(status, body, "/scheduled_at")
    assert await ids(http, f"{posts}?campaign_id={beta}", key) == [linked]
    assert await ids(http, f"{posts}?channel=linkedin", key) == [loose]
    assert await ids(http, f"{posts}?status=scheduled", key) == [linked]
    assert await ids(http, f"{posts}?query=private", key) == sorted([loose, linked])


async def test_analytics_event_and_property_definitions(gateway, crm_service, workspace, http):
    _, key = workspace
    base = gateway.url
    events, props = f"{base}/v1/analytics/events", f"{base}/v1/analytics/properties"
    seed = {"name": "first_contact_created", "description": "A workspace created its first CRM contact.",
            "owner": "growth", "properties": ["tenant_id", "workspace_id", "source"]}
    status, body = await call(http, "POST", events, key, seed)
    assert status == 201 and body["data"]["id"].startswith("evt_") and body["data"]["name"] == seed["name"], body
    first = body["data"]["id"]
    status, body = await call(http, "POST", events, key, {**seed, "owner": "other"})
    assert_refused(status, body, "/name")
    status, body = await call(http, "POST", events, key, {"name": "deal_won", "owner": "sales",
                                                          "description": "A deal reached its won stage."})
    won = body["data"]["id"]
    status, body = await call(http, "POST", events, key, {"name": "dup_props", "properties": ["a", "a"]})
    assert_refused(status, body, "/properties/1")
    assert await ids(http, f"{events}?owner=growth", key) == [first]
    assert await ids(http, f"{events}?query=won", key) == [won]
    assert await ids(http, f"{events}?query=first", key) == [first]

    prop = {"key": "workspace_id", "type": "string", "description": "Workspace identifier.", "required": True}
    status, body = await call(http, "POST", props, key, prop)
    assert status == 201 and body["data"]["id"].startswith("prop_"), body
    assert (body["data"]["key"], body["data"]["type"], body["data"]["required"]) == ("workspace_id", "string", True)
    status, body = await call(http, "POST", props, key, {"key": "source", "type": "string"})
    assert status == 201 and body["data"]["required"] is False
    status, body = await call(http, "POST", props, key, {**prop, "type": "number"})
    assert_refused(status, body, "/key")
    status, body = await call(http, "POST", props, key, {"key": "amount", "type": "money"})
    assert status == 422 and body["error"]["code"] == "VALIDATION_ERROR"
