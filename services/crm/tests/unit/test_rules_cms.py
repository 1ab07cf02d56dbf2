"""CMS and marketing rules on given facts: unique site keys and domains, consistent collection schemas,
ordered campaign dates, scheduled posts with a time, posts on live campaigns."""

from __future__ import annotations

from typing import Any

import pytest

from crm.domain import rules
from junction_common.decisions import CommandRejected
from junction_common.envelope import Actor, CommandEnvelope


def command(type_: str, **data: Any) -> CommandEnvelope:
    return CommandEnvelope(type=type_, aggregate_id="x_1", workspace_id="wrk_1",
                           actor=Actor(kind="api_key", id="key_1"), request_id="req_1", data=data)


def rejection(resource: str, cmd: CommandEnvelope, context: dict[str, Any] | None = None) -> dict[str, Any]:
    with pytest.raises(CommandRejected) as caught:
        rules.check(resource, cmd, None, context or {})
    assert caught.value.code == "VALIDATION_ERROR"
    return dict(caught.value.details or {})


SITE = command("cms_site.create", key="slab5_com", name="slab5.com", primary_domain="slab5.com")


def test_site_key_and_domain_are_each_unique() -> None:
    rules.check("cms_site", SITE, None, {"taken": {}})
    assert rejection("cms_site", SITE, {"taken": {"key": {"slab5_com"}}}) == {"pointer": "/key",
                                                                             "key": "slab5_com"}
    details = rejection("cms_site", SITE, {"taken": {"primary_domain": {"slab5.com"}}})
    assert details == {"pointer": "/primary_domain", "primary_domain": "slab5.com"}


def test_site_without_domain_only_needs_a_free_key() -> None:
    rules.check("cms_site", command("cms_site.create", key="k", name="n"), None, {"taken": {}})


def collection(*fields: dict[str, Any]) -> CommandEnvelope:
    return command("cms_collection.create", name="Blog Posts", key="blog_posts", schema={"fields": list(fields)})


def test_documented_collection_passes() -> None:
    cmd = collection({"key": "title", "type": "string", "required": True},
                     {"key": "slug", "type": "string", "required": True},
                     {"key": "body", "type": "markdown", "required": True},
                     {"key": "kind", "type": "select", "options": ["news", "guide"]},
                     {"key": "author", "type": "reference", "reference_collection_key": "authors"})
    rules.check("cms_collection", cmd, None, {"taken": {}})
    rules.check("cms_collection", command("cms_collection.create", name="Empty", key="empty"), None, {})


def test_collection_key_is_unique() -> None:
    cmd = collection({"key": "title", "type": "string"})
    assert rejection("cms_collection", cmd, {"taken": {"key": {"blog_posts"}}})["pointer"] == "/key"


@pytest.mark.parametrize(("fields", "pointer"), [
    ([{"key": "title", "type": "string"}, {"key": "title", "type": "markdown"}], "/schema/fields/1/key"),
    ([{"key": "kind", "type": "select"}], "/schema/fields/0/options"),
    ([{"key": "n", "type": "number"}, {"key": "title", "type": "string", "options": ["a"]}],
     "/schema/fields/1/options"),
    ([{"key": "title", "type": "string", "reference_collection_key": "authors"}],
     "/schema/fields/0/reference_collection_key"),
])
def test_inconsistent_schema_is_refused_with_a_pointer(fields: list[dict[str, Any]], pointer: str) -> None:
    assert rejection("cms_collection", collection(*fields))["pointer"] == pointer


def test_campaign_key_unique_and_dates_ordered() -> None:
    ok = command("marketing_campaign.create", key="beta", name="Beta", starts_at="2024-05-01",
                 ends_at="2024-05-31T12:00:00Z")
    rules.check("marketing_campaign", ok, None, {"taken": {}})
    assert rejection("marketing_campaign", ok, {"taken": {"key": {"beta"}}})["pointer"] == "/key"
    backwards = command("marketing_campaign.create", key="b", name="B", starts_at="2024-06-01T00:00:00+02:00",
                        ends_at="2024-05-31")
    assert rejection("marketing_campaign", backwards)["pointer"] == "/ends_at"


def test_scheduled_post_needs_a_time_and_a_live_campaign() -> None:
    post = {"channel": "linkedin", "body": "We are opening Slab5 private beta."}
    rules.check("marketing_post", command("marketing_post.create", **post), None, {})
    scheduled = command("marketing_post.create", **post, status="scheduled")
    assert rejection("marketing_post", scheduled)["pointer"] == "/scheduled_at"
    rules.check("marketing_post", command("marketing_post.create", **post, status="scheduled",
                                          scheduled_at="2024-06-01T09:00:00Z"), None, {})
    linked = command("marketing_post.create", **post, campaign_id="camp_gone")
    assert [link.target for link in rules.links_of("marketing_post", linked.data)] == ["marketing_campaign"]
    missing = [{"pointer": "/campaign_id", "id": "camp_gone"}]
    assert rejection("marketing_post", linked, {"missing_links": missing})["pointer"] == "/campaign_id"
