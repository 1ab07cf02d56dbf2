"""Cron triggers: each subscription's latest due slot (its cron expression, in its `timezone`, UTC by default)
starts its flow once across every replica (the slot is claimed: `cron:<trigger>:<slot>`). Slots before the
subscription was made (or its config last updated) never fire; while no replica runs, missed slots are not caught
up: the latest one fires when one is back. A replica dying between the claim and the start leaves the claim
unmarked: the next tick past the grace period starts it (the same key)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from croniter import croniter

from flows.triggers.claims import abandoned, claim, claimed, mark_started
from flows.triggers.starts import execution_id_for, start_execution
from junction_common.service import ServiceRuntime

Doc = dict[str, Any]


def has_seconds(expression: str) -> bool:
    """A six-field expression has a seconds field first (as n8n and Quartz write it): `*/10 * * * * *`."""
    return len(expression.split()) == 6


def due_slot(expression: str, now: datetime, since_ts: float) -> datetime | None:
    """The latest slot at or before `now` (in `now`'s time zone), unless it is before `since_ts` (the
    subscription's creation). Five fields have minute slots; six fields (seconds first) have second slots."""
    seconds = has_seconds(expression)
    current = now.replace(microsecond=0) if seconds else now.replace(second=0, microsecond=0)
    slot: datetime = croniter(expression, now, second_at_beginning=seconds).get_prev(datetime)
    if croniter.match(expression, current, second_at_beginning=seconds):
        slot = current
    return slot if slot.timestamp() >= since_ts else None


def since_of(trigger: Doc) -> float:
    """When the subscription's current configuration took effect (created, or last updated)."""
    return float(trigger.get("since_ts") or trigger.get("created_ts") or 0)


async def fire_due(runtime: ServiceRuntime, trigger: Doc, now: datetime) -> str | None:
    """Start the flow for the trigger's due slot if no replica has: the execution id, or None."""
    zone = ZoneInfo(str(trigger["config"].get("timezone") or "UTC"))
    slot = due_slot(trigger["config"]["cron"], now.astimezone(zone), since_of(trigger))
    if slot is None:
        return None
    key = f"cron:{trigger['_id']}:{slot.isoformat()}"
    if not await claim(runtime, key, trigger, execution_id=execution_id_for(key), started=False) and \
            not abandoned(await claimed(runtime, key), now.timestamp()):
        return None
    data = {"slot": slot.isoformat(), "cron": trigger["config"]["cron"]}
    started = await start_execution(runtime, trigger["workspace_id"], trigger["flow_id"], "cron", data,
                                    trigger["_id"], key)
    await mark_started(runtime, key)
    return started
