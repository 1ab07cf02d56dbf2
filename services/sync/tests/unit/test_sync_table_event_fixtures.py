"""Stored version 1 table events (fixtures/sync_table_events_v1.json) still load with their payload models and
fold, in the aggregate and in the read model, to what they always gave."""

from __future__ import annotations

import json
from pathlib import Path

from junction_common.envelope import EventEnvelope
from sync.domain import table
from sync.projections.tables import apply_table
from sync_contracts import tables as tx

FIXTURE = json.loads((Path(__file__).parent / "fixtures" / "sync_table_events_v1.json").read_text())


def test_stored_v1_table_events_load_and_project_as_they_always_did() -> None:
    events = [EventEnvelope.model_validate(raw) for raw in FIXTURE["events"]]
    for event in events:
        assert event.schema_version == tx.EVENT_MODELS[event.type].schema_version == 1
        tx.EVENT_MODELS[event.type].model_validate(event.data)
    doc = None
    for event in events:
        doc = apply_table(doc, event)
    assert json.loads(json.dumps(doc)) == FIXTURE["document"]
    state = table.fold(events)
    assert state is not None and state.deleted and state.held is None
    assert state.types() == {"id": "integer", "score": "number", "email": "string"}
