"""The delivery engine: fan-out of domain events into deliveries, attempts, retries and recovery.

Flow: the fan-out consumer (group `webhooks.fanout`, every service's event topics) turns each event into
one delivery per subscribed endpoint, inserted with a lease held by this process, and hands it to the
endpoint's lane at once (the Kafka offset is committed only after the inserts, so no event is lost). A
lane worker signs and sends it, then records the attempt. Failed attempts wait for their next time in the
delivery log; the sweeper leases due deliveries (retries, and any whose holder crashed) and hands them to
lanes again. A crash loses nothing: an unrecorded attempt is sent again after the lease expires, with the
same `webhook-id`, so receivers that deduplicate on it see each event once.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import Any

from junction_common.bus.consumer import Delivery, subscribe
from junction_common.envelope import CommandEnvelope, EventEnvelope
from junction_common.ids import new_ulid
from junction_common.logconfig import get_logger
from junction_common.service import ServiceRuntime
from junction_common.timefmt import from_epoch as iso
from junction_common.topics import declared_topics, ensure_topics
from junction_common.vault import Vault, parse_keys
from webhooks import topics
from webhooks.delivery.address_policy import AddressPolicy
from webhooks.delivery.endpoints import EndpointDirectory, Target, subscribed
from webhooks.delivery.lanes import Lanes
from webhooks.delivery.public_payload import public_payload
from webhooks.delivery.schedule import next_delay, retry_after_s
from webhooks.delivery.sender import AttemptResult, Sender
from webhooks.delivery.store import DeliveryStore, delivery_id, new_delivery
from webhooks.delivery.throttle import TokenBucket
from webhooks.settings import WebhooksSettings
from webhooks_contracts import declarations as wh

log = get_logger(__name__)
Doc = dict[str, Any]
SWEEP_BATCH = 500
HOUSEKEEPING_EVERY_S = 300.0
LANE_IDLE_S = 600.0
LANE_FULL = 200  # queued deliveries per endpoint beyond which the sweeper hands that endpoint no more
FAILING_RECHECK_S = 5.0  # how long a replica trusts its own memory of an endpoint's failure streak
MAX_ATTEMPTS_KEPT = 50  # the log keeps the latest attempts; attempt_count counts them all


def event_topics() -> list[str]:
    """Every domain event topic any service declares (`<service>.<aggregate>.events`)."""
    return sorted({t.name for t in declared_topics() if t.main and t.name.endswith(".events")})


def render(event: EventEnvelope) -> str:
    """The body receivers get: the public event payload (webhooks.delivery.public_payload), secrets never included."""
    return public_payload(event)


class DeliveryEngine:
    def __init__(self, runtime: ServiceRuntime) -> None:
        settings = runtime.settings
        assert isinstance(settings, WebhooksSettings)
        self.runtime, self.settings = runtime, settings
        self.policy = AddressPolicy.from_settings(settings.webhook_allow_networks, settings.webhook_require_https)
        self.vault = Vault(parse_keys(settings.vault_keys), settings.vault_active_key)
        self.store = DeliveryStore(runtime.db)
        self.directory = EndpointDirectory(runtime.db, self.vault)
        self.sender = Sender(self.policy, settings.webhook_timeout_s, settings.webhook_response_body_limit)
        self.schedule = settings.retry_schedule()
        self.lanes = Lanes(self._attempt)
        self.token = new_ulid()  # this process's lease token for the deliveries it creates
        self.health = runtime.db[wh.ENDPOINT_HEALTH]
        self._failing: dict[str, tuple[float, float]] = {}  # endpoint -> (failing since, read at)
        self._housekept = time.monotonic()
        # Deliveries cancelled lately (by any replica): a worker holding one drops it instead of sending.
        self._cancelled: dict[str, float] = {}
        self._cancels_read_at = time.time() - settings.webhook_lease_s
        self._healthy: set[str] = set()
        self._disabling: set[str] = set()
        self._sweeper: asyncio.Task[None] | None = None
        subscribe(runtime.broker, settings, event_topics(), topics.FANOUT, self.fan_out, retry_base=topics.FANOUT)

    # -- lifecycle -------------------------------------------------------------------------------------

    async def prepare(self) -> None:
        await ensure_topics(self.settings, [t for t in declared_topics() if t.name in set(event_topics())])
        await self.store.ensure_indexes()
        log.info("webhook_targets", policy=self.policy.describe(),
                 note="loopback targets are admitted (development default)" if self.policy.allow else "")

    async def start(self) -> None:
        self._sweeper = asyncio.create_task(self._sweep_forever())

    async def stop(self) -> None:
        if self._sweeper is not None:
            self._sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sweeper
        await self.lanes.stop()
        await self.store.drain()
        await self.sender.close()

    # -- fan-out ---------------------------------------------------------------------------------------

    async def fan_out(self, message: Delivery) -> None:
        event = EventEnvelope.from_bytes(message.value)
        occurred = event.occurred_at.timestamp()
        endpoints = await self.directory.for_workspace(event.workspace_id, occurred)
        matched = [e for e in endpoints if subscribed(e, event.type) and float(e.get("created_ts", 0)) <= occurred]
        if not matched:
            return
        payload, now = render(event), time.time()
        docs = [new_delivery(delivery=delivery_id(occurred, event.event_id, e["_id"]), workspace_id=event.workspace_id,
                             endpoint_id=e["_id"], event_id=event.event_id, event_type=event.type,
                             occurred_ts=occurred, payload=payload, now=now, lease_s=self.settings.webhook_lease_s,
                             lease_token=self.token if e.get("status") == "active" else None) for e in matched]
        inserted = await asyncio.gather(*(self.store.add(d) for d in docs))
        for doc, new in zip(docs, inserted, strict=True):
            if new and doc["lease_token"]:
                await self.submit_safely(doc)

    async def add_and_submit(self, doc: Doc) -> bool:
        """Insert a delivery made by a command (test event, retry) and send it at once if its endpoint is on."""
        target = await self.directory.target(doc["webhook_id"], *self._defaults())
        active = target is not None and target.status == "active"
        if active:
            doc.update(lease_token=self.token, lease_until=time.time() + self.settings.webhook_lease_s)
        new = await self.store.add(doc)
        if new and active:
            await self.submit(doc)
        return new

    async def submit_safely(self, doc: Doc) -> None:
        """Hand on one delivery; a failure here leaves it leased, so the sweeper takes it up again later."""
        try:
            await self.submit(doc)
        except Exception:
            log.exception("webhook_submit_failed", delivery_id=doc.get("_id"))

    async def submit(self, doc: Doc) -> None:
        target = await self.directory.target(doc["webhook_id"], *self._defaults())
        if target is None:
            return
        self.lanes.submit(target.endpoint_id, doc, target.concurrency, target.rate_per_s)

    def _defaults(self) -> tuple[float, int]:
        return self.settings.webhook_endpoint_rate_per_s, self.settings.webhook_endpoint_concurrency

    # -- attempts --------------------------------------------------------------------------------------

    async def _attempt(self, doc: Doc, bucket: TokenBucket) -> None:
        try:
            target = await self.directory.target(doc["webhook_id"], *self._defaults())
            if target is None or target.status == "deleted":
                await self.store.cancel({"_id": doc["_id"], "status": {"$in": ["pending", "retrying"]}}, time.time())
                return
            if target.status != "active":
                await self.store.record(doc["_id"], {"$set": {"lease_until": 0.0, "lease_token": None}})
                return
            if not await self._still_ours(doc):
                return
            await bucket.take()
            if target.key_error:  # counted as a failed attempt: retried on schedule, visible in the log
                result = AttemptResult(time.time(), 0.0, None, "", error=target.key_error)
            else:
                result = await self.sender.send(target.url, doc["_id"], doc["payload"].encode(), target.keys)
            await self.store.settle(doc["_id"], doc["lease_token"], self._outcome(doc, target, result))
            await self._after(target, result)
        except Exception:  # the lease expires and the sweeper tries again; the lane keeps going
            log.exception("webhook_attempt_crashed", delivery_id=doc.get("_id"))

    async def _still_ours(self, doc: Doc) -> bool:
        """Not cancelled meanwhile; and renew a lease that could expire during the attempt (the delivery
        waited long in its lane)."""
        if doc["_id"] in self._cancelled:
            return False
        now = time.time()
        if doc["lease_until"] - now >= self.settings.webhook_timeout_s + 5:
            return True
        until = now + self.settings.webhook_lease_s
        result = await self.store.deliveries.update_one(
            {"_id": doc["_id"], "lease_token": doc["lease_token"], "status": {"$in": ["pending", "retrying"]}},
            {"$set": {"lease_until": until}})
        doc["lease_until"] = until
        return result.modified_count == 1

    def _outcome(self, doc: Doc, target: Target, result: AttemptResult) -> Doc:
        now = time.time()
        made = int(doc.get("attempt_count", 0)) + 1
        # The schedule counts attempts since the delivery was last (re)queued by hand.
        in_round = int(doc.get("round_attempts") or 0) + 1
        fields: Doc = {"lease_until": 0.0, "lease_token": None, "updated_at": iso(now),
                       "last_attempt_at": iso(result.at), "last_status_code": result.status,
                       "last_error": result.error}
        if result.ok:
            fields.update(status="succeeded", next_attempt_at=None, succeeded_at=iso(now))
        elif result.status == 410:
            fields.update(status="failed", next_attempt_at=None, failed_reason="410 Gone: endpoint disabled")
        else:
            delay = next_delay(target.schedule or self.schedule, in_round, self.settings.webhook_jitter)
            asked = retry_after_s(result.retry_after, self.settings.webhook_max_retry_after_s) \
                if result.status in (429, 503) else None
            if delay is None:
                fields.update(status="failed", next_attempt_at=None, failed_reason="retry schedule exhausted")
            else:
                fields.update(status="retrying", next_attempt_at=now + (asked if asked is not None else delay))
        # Only the lease holder writes a delivery, so it replaces the whole document: cheaper than an
        # update on nx-27017 (which also stores `$push`ed documents as strings).
        attempts = [*doc.get("attempts", [])[-(MAX_ATTEMPTS_KEPT - 1):], result.as_log()]
        doc.update(fields, attempts=attempts, attempt_count=made, round_attempts=in_round)
        return {k: v for k, v in doc.items() if k != "_id"}

    async def _after(self, target: Target, result: AttemptResult) -> None:
        """Track each endpoint's failure streak; 410, or failing longer than allowed, disables it."""
        endpoint = target.endpoint_id
        if target.status == "active":
            self._disabling.discard(endpoint)  # re-enabled since (by its owner, perhaps through another replica)
        if result.ok:
            if endpoint in self._failing or endpoint not in self._healthy:
                self._failing.pop(endpoint, None)
                await self.health.update_one({"_id": endpoint}, {"$set": {"failing_since": None,
                                                                          "last_success_at": time.time()}},
                                             upsert=True)
                self._healthy.add(endpoint)
            return
        self._healthy.discard(endpoint)
        if result.status == 410:
            await self.disable(target, "the receiver answered 410 Gone")
            return
        known = self._failing.get(endpoint)
        if known is not None and time.monotonic() - known[1] < FAILING_RECHECK_S:
            since = known[0]
        else:
            found = await self.health.find_one({"_id": endpoint})
            since = float(found["failing_since"]) if found and found.get("failing_since") else time.time()
            self._failing[endpoint] = (since, time.monotonic())
            if not (found and found.get("failing_since")):
                await self.health.update_one({"_id": endpoint}, {"$set": {"failing_since": since}}, upsert=True)
        if time.time() - since >= self.settings.webhook_disable_after_s:
            await self.disable(target, f"failing continuously since {iso(since)}")

    async def disable(self, target: Target, reason: str) -> None:
        if target.endpoint_id in self._disabling:
            return
        self._disabling.add(target.endpoint_id)
        since = int(self._failing.get(target.endpoint_id, (time.time(), 0.0))[0])
        cmd = CommandEnvelope(command_id=f"cmd_disable_{target.endpoint_id}_{since}", type=wh.DISABLE_ENDPOINT,
                              aggregate_id=target.endpoint_id, workspace_id=target.workspace_id,
                              data={"reason": reason})
        try:
            await self.runtime.broker.publish(cmd.to_bytes(), self.settings.topic(wh.COMMANDS),
                                              key=target.endpoint_id.encode())
        except Exception:
            self._disabling.discard(target.endpoint_id)  # the next failed attempt tries again
            raise
        # The notification: a warning for operators and a `webhook_endpoint.disabled` event for subscribers.
        log.warning("webhook_endpoint_disabled", endpoint_id=target.endpoint_id, workspace_id=target.workspace_id,
                    reason=reason)
        self.directory.forget(target.endpoint_id)

    async def enabled(self, endpoint_id: str) -> None:
        """Re-enabled by its owner: the failure streak starts again from zero."""
        self._disabling.discard(endpoint_id)
        self._failing.pop(endpoint_id, None)
        self._healthy.discard(endpoint_id)
        await self.health.update_one({"_id": endpoint_id}, {"$set": {"failing_since": None}}, upsert=True)
        self.directory.forget(endpoint_id)

    # -- sweeper ---------------------------------------------------------------------------------------

    async def _sweep_forever(self) -> None:
        while True:
            try:
                claimed = await self.sweep()
                if claimed < SWEEP_BATCH:
                    await asyncio.sleep(self.settings.webhook_sweep_interval_s)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("webhook_sweep_failed")
                await asyncio.sleep(self.settings.webhook_sweep_interval_s * 4)

    async def sweep(self) -> int:
        """Lease every due delivery (retries, orphans of a crashed process) and hand it to its lane."""
        # Paused/disabled endpoints wait; an endpoint whose lane already holds plenty is not given more
        # (its queued deliveries keep their leases; the rest wait in the log until the lane drains).
        skip = await self.directory.inactive_ids() + self.lanes.full(LANE_FULL)
        await self._read_cancels()
        docs = await self.store.claim_due(time.time(), self.settings.webhook_lease_s, skip, SWEEP_BATCH)
        for doc in docs:
            await self.submit_safely(doc)
        if time.monotonic() - self._housekept > HOUSEKEEPING_EVERY_S:
            await self.housekeep()
        return len(docs)

    def cancelled(self, delivery: str) -> None:
        self._cancelled[delivery] = time.time()

    async def _read_cancels(self) -> None:
        now = time.time()
        for delivery in await self.store.cancelled_since(self._cancels_read_at - 1.0):
            self._cancelled.setdefault(delivery, now)
        self._cancels_read_at = now
        horizon = now - 2 * self.settings.webhook_lease_s  # nothing is held longer than a lease
        self._cancelled = {k: v for k, v in self._cancelled.items() if v > horizon}

    async def housekeep(self) -> None:
        """Forget idle lanes; delete finished deliveries older than the retention."""
        self._housekept = time.monotonic()
        self.lanes.prune(idle_s=LANE_IDLE_S)
        if self.settings.webhook_delivery_retention_s > 0:
            cutoff = time.time() - self.settings.webhook_delivery_retention_s
            await self.store.deliveries.delete_many(
                {"status": {"$in": ["succeeded", "failed", "cancelled"]}, "created_ts": {"$lt": cutoff}})
