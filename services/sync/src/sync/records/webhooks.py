"""Inbound provider webhooks become records: a component consuming the connections service's accepted deliveries
(`provider_webhook.received`, read as raw event envelopes: no other service's contract is imported) and keeping
each as a record of source `webhook` (resource type: the provider's event type), with its `record.ingested`
event. A delivery is one record (keyed by the provider's delivery id, else the event id): a redelivered event
is kept once and announced once."""

from __future__ import annotations

from typing import Any

from junction_common.bus.consumer import Delivery, subscribe
from junction_common.envelope import Actor, EventEnvelope, utcnow
from junction_common.logconfig import get_logger
from junction_common.service import ServiceRuntime
from junction_common.topics import declared_topics, ensure_topics
from sync import topics
from sync.records.docs import record_doc, record_id, record_view
from sync.records.store import RecordStore

log = get_logger(__name__)
Doc = dict[str, Any]
RECEIVED = "provider_webhook.received"


def webhook_record(event: EventEnvelope, at: str) -> Doc:
    """The record a delivery makes (its body as the data; a body that is not an object under `value`)."""
    data = event.data
    provider = str(data.get("provider") or "unknown")
    key = str(data.get("delivery_id") or event.event_id)
    body = data.get("body")
    raw = body if isinstance(body, dict) else {"value": body}
    doc = record_doc(event.workspace_id, record_id(event.workspace_id, f"webhook:{provider}", key), raw, at,
                     resource_type=str(data.get("event_type") or "webhook"), provider=provider, source="webhook",
                     key=key)
    return {**doc, "event_id": event.event_id, "subscription_id": data.get("subscription_id")}


class WebhookRecords:
    """Keeps each accepted provider webhook delivery as a record."""

    def __init__(self, runtime: ServiceRuntime) -> None:
        self.runtime = runtime
        self.store = RecordStore(runtime)
        subscribe(runtime.broker, runtime.settings, topics.PROVIDER_WEBHOOK_EVENTS, topics.WEBHOOK_RECORDS,
                  self.on_event, retry_base=topics.WEBHOOK_RECORDS)

    async def prepare(self) -> None:
        """The connections topic exists before this consumer starts (the connections service may start later)."""
        await ensure_topics(self.runtime.settings,
                            [t for t in declared_topics() if t.name == topics.PROVIDER_WEBHOOK_EVENTS])

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None

    async def on_event(self, message: Delivery) -> None:
        event = EventEnvelope.from_bytes(message.value)
        if event.type != RECEIVED:
            return
        doc = webhook_record(event, utcnow().isoformat())
        kept = await self.store.get(event.workspace_id, doc["_id"])
        if kept is not None and kept.get("event_id") == event.event_id:
            return  # this delivery was kept and announced already
        # Announced before it is kept: a crash between the two announces it again, never not at all.
        await self.store.emit(event.workspace_id, "record.ingested", [{"record": record_view(doc)}],
                              event.correlation_id, Actor(kind="system", id="sync"))
        await self.store.put([doc])
        log.info("webhook_record_kept", record_id=doc["_id"], provider=doc["provider"])
