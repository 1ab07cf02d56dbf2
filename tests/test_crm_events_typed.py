"""Every event the crm stores while records of every declared resource are created, changed and archived through
the API (and an invoice paid, a lead converted) matches its payload model (crm_contracts.events) and version."""

from __future__ import annotations

from typing import Any

import pytest

from crm_contracts.events import EVENT_MODELS, version_of
from junction_common.envelope import EventEnvelope
from tests.crm_records import BODIES, BY_NAME, PATHS, Need, Shared, shared  # noqa: F401 - `shared` is a fixture

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]
TEXT_FIELDS = ("name", "title", "summary", "subject", "description")


async def _change_and_archive(space: Any, resource: str, record_id: str, path: str) -> None:
    """PATCH a text field and DELETE the record, where the API offers those routes."""
    contract = BY_NAME.get(resource)
    fields = (contract.update_model or contract.create_model) if contract else None
    text = next((f for f in TEXT_FIELDS if fields and f in fields.model_fields), None)
    if text:
        await space.send("PATCH", f"{path}/{record_id}", {text: "Changed"})
    await space.send("DELETE", f"{path}/{record_id}")


async def _make(space: Any, resource: str) -> tuple[str, str]:
    """A new record of `resource` (under its parent, for a nested one) and its collection path."""
    contract, path = BY_NAME.get(resource), PATHS[resource]
    if contract and contract.parent_param and contract.parent:
        path = path.replace(f"{{{contract.parent_param}}}", await space.record(contract.parent))
    body = BODIES[resource]() or {"dataset_id": Need("bi_dataset")}
    return await space.create(resource, body, path), path


async def test_every_stored_event_matches_its_model(shared: Shared) -> None:  # noqa: F811
    space = shared.mine
    for resource in BODIES:
        if resource != "payment":
            await _change_and_archive(space, resource, *await _make(space, resource))
    invoice = await space.create("invoice", BODIES["invoice"]())
    await space.create("payment", {"invoice_id": invoice, "amount_cents": 100})
    lead = await space.create("lead", {"name": "Priya Shah", "email": "priya@example.com", "company_name": "Nova"})
    status, body = await space.send("POST", f"/v1/leads/{lead}/convert", {})
    assert status in (200, 201, 202), body
    seen: set[str] = set()
    async for commit in shared.crm.db["event_commits"].find({}):
        for raw in commit["events"]:
            event = EventEnvelope.model_validate(raw)
            assert event.type in EVENT_MODELS, event.type
            EVENT_MODELS[event.type].model_validate(event.data)
            assert event.schema_version == version_of(event.type), event.type
            seen.add(event.type)
    assert {f"{r}.created" for r in BODIES} <= seen
    assert {"invoice.payment_applied", "invoice.paid", "lead.converted", "task.updated", "deal.updated",
            "asset.archived"} <= seen
