"""Variant rules that need no I/O: sequential labels, a variant's config, its default name's base."""

from __future__ import annotations

from connections.api.connection_views import pipelines_view
from connections.app.variants import LABEL_SUFFIX, group_config, next_label


def test_labels_are_the_smallest_free_number() -> None:
    assert next_label(set()) == "1"
    assert next_label({"1", "EU"}) == "2"
    assert next_label({"1", "2", "4"}) == "3"


def test_a_variant_config_names_its_group_and_shares_tables_by_default() -> None:
    assert group_config(None, "vgrp_1") == {"variantGroupId": "vgrp_1", "createOwnTables": False}
    assert group_config({"region": "eu", "createOwnTables": True}, "vgrp_1")["createOwnTables"] is True
    assert group_config({"createOwnTables": True}, "vgrp_1", own_tables=False)["createOwnTables"] is False


def test_the_default_name_drops_the_source_label() -> None:
    assert LABEL_SUFFIX.sub("", "Production CRM (EU)") == "Production CRM"
    assert LABEL_SUFFIX.sub("", "Production CRM") == "Production CRM"


def test_the_view_keeps_the_group_in_a_variant_config() -> None:
    doc = {"_id": "conn_1", "config": {"createOwnTables": True}, "variant_group_id": "vgrp_1", "variant_label": "2"}
    view = pipelines_view(doc)
    assert view["config"] == {"createOwnTables": True, "variantGroupId": "vgrp_1"}
    assert (view["variantGroupId"], view["variantLabel"]) == ("vgrp_1", "2")
    assert pipelines_view({"_id": "conn_2", "config": {"a": 1}})["config"] == {"a": 1}
