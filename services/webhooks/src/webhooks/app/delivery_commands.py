"""Commands on the delivery log: test event, manual retry, bulk recovery, integration event retry/cancel,
and the delivery side of endpoint changes (catch-up on re-enable, cancel on delete).

Each is idempotent: ids derive from the command id or the original, so a redelivered command repeats
nothing; each records its outcome for the gateway.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from junction_common.decisions import CommandRejected
from junction_common.envelope import CommandEnvelope, utcnow
from junction_common.service import ServiceRuntime
from junction_common.store.outcomes import REJECTED, SUCCEEDED
from junction_common.timefmt import from_epoch as iso
from webhooks.app.routing import decider_for_policy
from webhooks.delivery.engine import DeliveryEngine
from webhooks.delivery.public_payload import webhook_test_payload
from webhooks.delivery.store import OPEN, delivery_id, new_delivery
from webhooks_contracts import declarations as wh
from webhooks_contracts.event_upcasters import UPCASTERS

Doc = dict[str, Any]


async def _done(runtime: ServiceRuntime, cmd: CommandEnvelope, resource_id: str) -> None:
    await runtime.outcomes.record(cmd.command_id, cmd.workspace_id, SUCCEEDED, utcnow(), resource_id=resource_id)


async def _reject(runtime: ServiceRuntime, cmd: CommandEnvelope, error: CommandRejected) -> None:
    await runtime.outcomes.record(cmd.command_id, cmd.workspace_id, REJECTED, utcnow(),
                                  resource_id=cmd.aggregate_id, error=error.as_error())


async def _endpoint(runtime: ServiceRuntime, cmd: CommandEnvelope, endpoint_id: str) -> Doc | None:
    return await runtime.db[wh.ENDPOINTS].find_one({"_id": endpoint_id, "workspace_id": cmd.workspace_id,
                                                    "deleted": False})


async def send_test(runtime: ServiceRuntime, cmd: CommandEnvelope) -> None:
    endpoint_id = cmd.data["webhook_id"]
    if await _endpoint(runtime, cmd, endpoint_id) is None:
        await _reject(runtime, cmd, CommandRejected("NOT_FOUND", "The webhook endpoint could not be found."))
        return
    now = time.time()
    delivery = delivery_id(cmd.issued_at.timestamp(), cmd.command_id, endpoint_id)
    event_id = "evt_" + delivery.split("_", 1)[1]
    payload = webhook_test_payload(event_id, cmd.workspace_id, endpoint_id, datetime.fromtimestamp(now, UTC))
    engine = runtime.component(DeliveryEngine)
    await engine.add_and_submit(new_delivery(
        delivery=delivery, workspace_id=cmd.workspace_id, endpoint_id=endpoint_id, event_id=event_id,
        event_type=wh.TEST_EVENT, occurred_ts=now, payload=payload, now=now, lease_s=0, lease_token=None,
        source="test"))
    await _done(runtime, cmd, delivery)


async def retry_delivery(runtime: ServiceRuntime, cmd: CommandEnvelope) -> None:
    """Send one delivery again now (same webhook-id), whatever its state, unless it is in flight."""
    engine = runtime.component(DeliveryEngine)
    doc = await engine.store.get(cmd.workspace_id, cmd.aggregate_id)
    if doc is None or doc["webhook_id"] != cmd.data.get("webhook_id", doc["webhook_id"]):
        await _reject(runtime, cmd, CommandRejected("NOT_FOUND", "The delivery could not be found."))
        return
    now = time.time()
    if not (doc["status"] in OPEN and float(doc.get("lease_until") or 0) > now):
        await engine.store.requeue({"_id": doc["_id"], "lease_until": {"$lt": now}}, now)
        claimed = await engine.store.claim_one(doc["_id"], now + 0.001, engine.settings.webhook_lease_s)
        if claimed is not None:
            await engine.submit(claimed)
    await _done(runtime, cmd, doc["_id"])


async def recover(runtime: ServiceRuntime, cmd: CommandEnvelope) -> None:
    """Resend every failed (or cancelled) delivery of an endpoint whose event happened since `since`."""
    endpoint_id = cmd.data["webhook_id"]
    if await _endpoint(runtime, cmd, endpoint_id) is None:
        await _reject(runtime, cmd, CommandRejected("NOT_FOUND", "The webhook endpoint could not be found."))
        return
    engine = runtime.component(DeliveryEngine)
    window: Doc = {"$gte": datetime.fromisoformat(cmd.data["since"]).timestamp()}
    if cmd.data.get("until"):
        window["$lte"] = datetime.fromisoformat(cmd.data["until"]).timestamp()
    statuses = cmd.data.get("statuses") or ["failed"]
    count = await engine.store.requeue({"workspace_id": cmd.workspace_id, "webhook_id": endpoint_id,
                                        "status": {"$in": statuses}, "occurred_ts": window}, time.time())
    await runtime.db["delivery_operations"].update_one(
        {"_id": cmd.command_id},
        {"$setOnInsert": {"id": cmd.command_id, "workspace_id": cmd.workspace_id, "webhook_id": endpoint_id,
                          "since": cmd.data["since"], "until": cmd.data.get("until"), "statuses": statuses,
                          "requeued": count, "created_at": iso(time.time())}}, upsert=True)
    await _done(runtime, cmd, cmd.command_id)


async def _integration_event(runtime: ServiceRuntime, cmd: CommandEnvelope) -> Doc | None:
    """The event the command names, or None after recording NOT_FOUND."""
    doc = await runtime.component(DeliveryEngine).store.get(cmd.workspace_id, cmd.aggregate_id)
    if doc is None:
        await _reject(runtime, cmd, CommandRejected("NOT_FOUND", "The integration event could not be found."))
    return doc


async def retry_event(runtime: ServiceRuntime, cmd: CommandEnvelope) -> None:
    """A new integration event linked to the original, queued at once; while it is open, it is the answer."""
    engine = runtime.component(DeliveryEngine)
    original = await _integration_event(runtime, cmd)
    if original is None:
        return
    if original["status"] in OPEN:
        await _reject(runtime, cmd, CommandRejected(
            "VALIDATION_ERROR", "The event is still queued or processing; cancel it first or wait.",
            {"status": original["status"]}))
        return
    earlier = original.get("retried_by") or []
    if earlier:
        last = await engine.store.get(cmd.workspace_id, earlier[-1])
        if last is not None and last["status"] in OPEN:
            await _done(runtime, cmd, last["_id"])
            return
    now = time.time()
    new_id = delivery_id(cmd.issued_at.timestamp(), original["_id"], "retry", str(len(earlier) + 1))
    doc = new_delivery(delivery=new_id, workspace_id=cmd.workspace_id, endpoint_id=original["webhook_id"],
                       event_id=original["event_id"], event_type=original["event_type"],
                       occurred_ts=float(original["occurred_ts"]), payload=original["payload"], now=now, lease_s=0,
                       lease_token=None, source="retry", retry_of=original["_id"])
    await engine.add_and_submit(doc)
    # Retries of one event are commands keyed by its id, so handled one at a time: set the whole list
    # (nx-27017 mishandles $addToSet on a missing field).
    await engine.store.deliveries.update_one({"_id": original["_id"]}, {"$set": {"retried_by": [*earlier, new_id]}})
    await _done(runtime, cmd, new_id)


async def cancel_event(runtime: ServiceRuntime, cmd: CommandEnvelope) -> None:
    engine = runtime.component(DeliveryEngine)
    doc = await _integration_event(runtime, cmd)
    if doc is None:
        return
    if doc["status"] in OPEN:
        await engine.store.cancel({"_id": doc["_id"], "status": {"$in": list(OPEN)}}, time.time())
        engine.cancelled(doc["_id"])
    elif doc["status"] != "cancelled":
        await _reject(runtime, cmd, CommandRejected(
            "VALIDATION_ERROR", f"Only a queued or processing event can be cancelled; this one {doc['status']}.",
            {"status": doc["status"]}))
        return
    await _done(runtime, cmd, doc["_id"])


async def change_endpoint(runtime: ServiceRuntime, cmd: CommandEnvelope) -> None:
    """The endpoint decision, then its effect on held deliveries (catch-up window, cancel on delete)."""
    engine = runtime.component(DeliveryEngine)
    decide = await decider_for_policy(engine.policy)(cmd, runtime.db)
    await runtime.executor.execute(cmd, decide)
    outcome = await runtime.outcomes.outcomes.find_one({"_id": cmd.command_id})
    if outcome is None or outcome["status"] != SUCCEEDED:
        return
    now = time.time()
    open_ones = {"workspace_id": cmd.workspace_id, "webhook_id": cmd.aggregate_id, "status": {"$in": list(OPEN)}}
    if cmd.type == wh.DELETE_ENDPOINT:
        await engine.store.cancel(open_ones, now)
    elif await _re_enabled(runtime, cmd):
        since = cmd.data.get("catch_up_since")
        if since:
            await engine.store.cancel({**open_ones, "occurred_ts": {"$lt": datetime.fromisoformat(since).timestamp()}},
                                      now)
        await engine.enabled(cmd.aggregate_id)
    engine.directory.forget(cmd.aggregate_id)


Handler = Callable[[ServiceRuntime, CommandEnvelope], Awaitable[None]]


def once(handler: Handler) -> Handler:
    """A command already answered is not handled again (a redelivered retry must not make a second retry)."""

    async def handle(runtime: ServiceRuntime, cmd: CommandEnvelope) -> None:
        if await runtime.outcomes.outcomes.find_one({"_id": cmd.command_id}, {"_id": 1}) is None:
            await handler(runtime, cmd)

    return handle


async def _re_enabled(runtime: ServiceRuntime, cmd: CommandEnvelope) -> bool:
    """Whether this command's own commit turned the endpoint back on (also right on a redelivery)."""
    if cmd.type != wh.UPDATE_ENDPOINT or cmd.data.get("status") != "active":
        return False
    commit = await runtime.store.find_commit(cmd.command_id)
    return commit is not None and any("catch_up_since" in UPCASTERS.upcast(e).data["changes"] for e in commit.events)


HANDLERS = {wh.SEND_TEST: once(send_test), wh.RETRY_DELIVERY: once(retry_delivery),
            wh.RECOVER_DELIVERIES: once(recover), wh.RETRY_EVENT: once(retry_event),
            wh.CANCEL_EVENT: once(cancel_event), wh.UPDATE_ENDPOINT: change_endpoint,
            wh.DELETE_ENDPOINT: change_endpoint, wh.ROTATE_SECRET: change_endpoint}
