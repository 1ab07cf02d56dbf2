"""Projection writer: only the next version applies; replay from scratch equals incremental application."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import pytest_asyncio

from junction_common.envelope import EventEnvelope
from junction_common.mongo import create_client
from junction_common.projections.runner import (
    APPLIED,
    DUPLICATE,
    Projection,
    ProjectionGapError,
    ProjectionWriter,
)
from junction_common.settings import JunctionSettings
from junction_common.testing.infra import drop_databases, isolated

pytestmark = pytest.mark.integration

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def counter_apply(doc, event):
    doc = dict(doc or {"total": 0, "history": []})
    doc["total"] += event.data["n"]
    doc["history"] = [*doc["history"], event.data["n"]]
    doc["updated_at"] = event.occurred_at.isoformat()
    return doc


PROJ = Projection(name="counters", service="test", topics=("test.counter.events",), collection="counters",
                  apply=counter_apply)


def ev(stream: str, version: int, n: int) -> EventEnvelope:
    return EventEnvelope(type="counter.added", stream_id=stream, version=version, workspace_id="wrk_1",
                         occurred_at=T0 + timedelta(seconds=version), command_id=f"c{version}",
                         correlation_id="r", causation_id=f"c{version}", data={"n": n})


@pytest_asyncio.fixture
async def db():
    settings = isolated(JunctionSettings)
    client = create_client(settings)
    yield client[settings.db_name("proj")]
    await client.close()
    await drop_databases(settings)


async def test_next_version_applies_duplicates_are_noops_gaps_fail(db):
    writer = ProjectionWriter(PROJ, db)
    assert await writer.handle(ev("a", 1, 5)) == APPLIED
    assert await writer.handle(ev("a", 2, 7)) == APPLIED
    assert await writer.handle(ev("a", 1, 5)) == DUPLICATE
    assert await writer.handle(ev("a", 2, 7)) == DUPLICATE
    with pytest.raises(ProjectionGapError):
        await writer.handle(ev("a", 4, 1))
    doc = await db["counters"].find_one({"_id": "a"})
    assert doc["total"] == 12 and doc["_version"] == 2


async def test_replay_from_scratch_is_identical_to_incremental(db):
    events = [ev(s, v, v * 3 + len(s)) for v in range(1, 6) for s in ("x", "yy", "zzz")]
    live = ProjectionWriter(PROJ, db)
    for e in events:
        await live.handle(e)
        await live.handle(e)  # every event delivered twice
    rebuilt = ProjectionWriter(PROJ, db, "counters_rebuilt")
    for e in events:
        await rebuilt.handle(e)
    a = await db["counters"].find().sort("_id", 1).to_list()
    b = await db["counters_rebuilt"].find().sort("_id", 1).to_list()
    assert a == b and len(a) == 3


async def test_position_is_recorded_and_only_moves_forward(db):
    writer = ProjectionWriter(PROJ, db)
    await writer.record_position("t", 0, 10)
    await writer.record_position("t", 0, 4)
    pos = await db["projection_positions"].find_one({"_id": "counters:t:0"})
    assert pos["offset"] == 10
