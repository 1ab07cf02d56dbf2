"""Forwarding provider webhook deliveries to their subscriber (a component of the webhooks service).

It consumes the connections service's topics as raw event envelopes (no connections contract is imported):
`provider_webhook.received` carrying `deliver_to` (the subscription's url) and `secret_sealed` (its forwarding
secret, sealed by the connections service under the same vault keys) keeps the subscription's target and adds one
delivery to the delivery log (id derived from the event and the subscription, so a redelivered event adds none);
the delivery engine sends it at once, signed (Standard Webhooks), and retries it on its schedule.
`provider_webhook_subscription.deleted` marks the target deleted: its deliveries still queued are cancelled.
"""

from __future__ import annotations

import time
from typing import Any

from junction_common.bus.consumer import Delivery, subscribe
from junction_common.envelope import EventEnvelope
from junction_common.logconfig import get_logger
from junction_common.service import ServiceRuntime
from junction_common.topics import declared_topics, ensure_topics
from webhooks import topics
from webhooks.delivery.engine import DeliveryEngine
from webhooks.delivery.store import delivery_id, new_delivery
from webhooks.provider_forwarding.payload import forwarded_payload
from webhooks.provider_forwarding.targets import FORWARD_TARGETS, target_of
from webhooks.settings import WebhooksSettings

log = get_logger(__name__)
Doc = dict[str, Any]
RECEIVED = "provider_webhook.received"
SUBSCRIPTION_DELETED = "provider_webhook_subscription.deleted"
SOURCE_TOPICS = ("connections.provider_webhook.events", "connections.provider_webhook_subscription.events")


class ProviderForwarding:
    def __init__(self, runtime: ServiceRuntime) -> None:
        settings = runtime.settings
        assert isinstance(settings, WebhooksSettings)
        self.runtime, self.settings = runtime, settings
        self.targets = runtime.db[FORWARD_TARGETS]
        subscribe(runtime.broker, settings, list(SOURCE_TOPICS), topics.PROVIDER_FORWARDING, self.handle,
                  retry_base=topics.PROVIDER_FORWARDING)

    async def prepare(self) -> None:
        await ensure_topics(self.settings, [t for t in declared_topics() if t.name in SOURCE_TOPICS])

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None

    async def handle(self, message: Delivery) -> None:
        event = EventEnvelope.from_bytes(message.value)
        if event.type == RECEIVED and event.data.get("deliver_to") and event.data.get("secret_sealed"):
            await self.forward(event)
        elif event.type == SUBSCRIPTION_DELETED:
            await self.targets.update_one({"_id": event.stream_id}, {"$set": {"deleted": True,
                                                                              "status": "deleted"}})

    async def forward(self, event: EventEnvelope) -> None:
        """Keep the target, then add the delivery and hand it to the engine (sent at once, retried on failure)."""
        data = event.data
        subscription_id = str(data["subscription_id"])
        target = target_of(subscription_id, event.workspace_id, str(data["deliver_to"]), data["secret_sealed"])
        existing = await self.targets.find_one({"_id": subscription_id}, {"deleted": 1})
        if existing is not None and existing.get("deleted"):
            log.info("provider_webhook_forward_skipped", subscription_id=subscription_id, reason="deleted")
            return
        await self.targets.replace_one({"_id": subscription_id}, target, upsert=True)
        occurred, now = event.occurred_at.timestamp(), time.time()
        doc = new_delivery(delivery=delivery_id(occurred, event.event_id, subscription_id),
                           workspace_id=event.workspace_id, endpoint_id=subscription_id, event_id=event.event_id,
                           event_type=event.type, occurred_ts=occurred, payload=forwarded_payload(event), now=now,
                           lease_s=self.settings.webhook_lease_s, lease_token=None, source="provider_webhook")
        new = await self.runtime.component(DeliveryEngine).add_and_submit(doc)
        log.info("provider_webhook_forward_queued", subscription_id=subscription_id, delivery_id=doc["_id"],
                 provider=data.get("provider"), duplicate=not new)
