"""The event catalogue lists every declared resource's events once, each with a category and its payload's
version and JSON Schema."""

from crm_contracts.crm import CRM_RESOURCES
from webhooks_contracts.catalogue import event_catalogue
from webhooks_contracts.declarations import WEBHOOK_EVENT_TYPES


def test_every_resource_has_its_created_event_and_keys_are_unique():
    keys = [e.key for e in event_catalogue()]
    assert len(keys) == len(set(keys))
    for contract in CRM_RESOURCES:
        assert f"{contract.name}.created" in keys
        if contract.operations.update:
            assert f"{contract.name}.updated" in keys
    assert {"contact.created", "lead.converted"} <= set(keys)


def test_categories_follow_the_api_families():
    by_key = {e.key: e.category for e in event_catalogue()}
    assert by_key["contact.created"] == "crm" and by_key["deal.updated"] == "crm"
    assert all(e.category in {"crm", "support", "cms", "analytics", "accounting", "assets", "bi", "webhooks",
                              "connections", "sync", "flows"}
               for e in event_catalogue())


def test_every_crm_type_carries_its_payload_version_and_json_schema():
    crm = [e for e in event_catalogue() if e.category != "webhooks"]
    assert crm and all(e.schema_version is not None and e.schema is not None for e in crm)
    lead = next(e for e in crm if e.key == "lead.created")
    assert lead.schema_version >= 2 and "record" in lead.schema["properties"]


def test_every_built_in_type_has_a_schema_the_webhooks_ones_included():
    catalogue = event_catalogue()
    assert all(e.schema_version is not None and e.schema is not None for e in catalogue)
    webhooks = {e.key: e for e in catalogue if e.category == "webhooks"}
    assert set(webhooks) == {key for key, _ in WEBHOOK_EVENT_TYPES}
    assert all(e.schema_version == 2 for e in webhooks.values())
    assert "record" in webhooks["webhook_endpoint.updated"].schema["properties"]
