"""Editing a trigger subscription (flow_trigger.update): checked as on create, recorded with the whole record after,
nothing recorded when nothing changes, refused once deleted; the read model takes the changes and moves
`since_ts` (nothing before an update fires under its config). Pure."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from flows.domain import trigger
from flows.projections.triggers import apply_trigger
from flows_contracts import triggers as tx
from junction_common.decisions import CommandRejected
from junction_common.envelope import CommandEnvelope, EventEnvelope, stamp

T0 = datetime(2026, 12, 1, tzinfo=UTC)
RECORD = {"flow_id": "wf_1", "kind": "cron", "config": {"cron": "0 0 1 1 *"}}


def changes(**given: Any) -> dict[str, Any]:
    return {"config": RECORD["config"], "connection_id": None, "has_secret": False, "token_hash": None,
            "secret_sealed": None, **given}


def created() -> list[EventEnvelope]:
    cmd = CommandEnvelope(type=tx.CREATE_TRIGGER, aggregate_id="trg_1", workspace_id="ws", data={"record": RECORD})
    return stamp(cmd, trigger.decide_create(cmd, []), "trg_1", 0, T0)


def update(history: list[EventEnvelope], minutes: int, **given: Any) -> list[EventEnvelope]:
    cmd = CommandEnvelope(type=tx.UPDATE_TRIGGER, aggregate_id="trg_1", workspace_id="ws",
                          data={"changes": changes(**given)})
    return stamp(cmd, trigger.decide_update(cmd, history), "trg_1", len(history), T0 + timedelta(minutes=minutes))


def test_an_update_records_the_record_after_and_the_read_model_moves_since() -> None:
    history = created()
    updated = update(history, 5, config={"cron": "*/5 * * * *", "timezone": "Europe/Paris"})
    assert [e.type for e in updated] == [tx.TRIGGER_UPDATED]
    assert updated[0].data["record"]["config"] == {"cron": "*/5 * * * *", "timezone": "Europe/Paris"}
    doc: dict[str, Any] | None = None
    for event in history + updated:
        doc = apply_trigger(doc, event)
    assert doc is not None and doc["config"]["cron"] == "*/5 * * * *" and doc["status"] == "active"
    assert doc["since_ts"] == (T0 + timedelta(minutes=5)).timestamp() > doc["created_ts"]
    assert update(history + updated, 6, config={"cron": "*/5 * * * *", "timezone": "Europe/Paris"}) == []


def test_an_update_is_checked_as_a_create_and_refused_once_deleted() -> None:
    history = created()
    with pytest.raises(CommandRejected) as refused:
        update(history, 1, config={"cron": "often"})
    assert refused.value.details["errors"][0]["field"] == "config.cron"
    delete = CommandEnvelope(type=tx.DELETE_TRIGGER, aggregate_id="trg_1", workspace_id="ws")
    history += stamp(delete, trigger.decide_delete(delete, history), "trg_1", 1, T0)
    with pytest.raises(CommandRejected, match="not found"):
        update(history, 2, config={"cron": "* * * * *"})


def test_poll_and_webhook_options_are_checked() -> None:
    assert trigger.config_errors("poll", {"maxPages": 0})[0]["field"] == "config.maxPages"
    assert trigger.config_errors("poll", {"pagination": {"style": "sideways"}})[0]["field"] == \
        "config.pagination.style"
    assert trigger.config_errors("poll", {"maxPages": 3, "pagination": {"style": "cursor"}, "connectionId": "c"}) == []
    assert trigger.config_errors("webhook", {"responseHeaders": {"X-Ok": "yes"}}) == []
    assert trigger.config_errors("webhook", {"responseHeaders": {"Bad Name": "x"}})
    assert trigger.config_errors("webhook", {"responseHeaders": {"X-Split": "a\r\nSet-Cookie: b"}})
