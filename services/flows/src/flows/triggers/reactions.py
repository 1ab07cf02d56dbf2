"""Event and form triggers: a component consuming every other service's event topics (and the flows service's
form submissions) that starts the flows subscribed to each event.

- An `event` subscription (`config.eventType`, e.g. `contact.created`) gets the event's public payload
  `{id, type, timestamp, workspace_id, data}` as trigger data (junction_common.contracts.public_events).
- A `form` subscription (`config.formId`) gets the submission `{id, form_id, data, created_at}`.
- A provider's `webhook` subscription (`providerType`, and `triggerName` for one event type) fires on the
  connections service's `provider_webhook.received` (a delivery whose signature verified, recorded once) of that
  provider and event type, with `{body, provider, event_type, delivery_id}` (the body as the provider sent it).
Only subscriptions of the event's workspace, created (or last updated) before the event happened, fire (a replayed
topic never fires a subscription made later). A start's key is the event id and the subscription id, so a
redelivered event starts each flow once. The flows service's own execution and workflow events trigger nothing (no
loops); a deleted workflow's subscriptions are deleted (`workflow.deleted`), so nothing polls or fires for it any
more.
"""

from __future__ import annotations

from typing import Any

from flows.topics import TRIGGER_REACTIONS
from flows.triggers.starts import start_execution
from flows_contracts import declarations as decl
from flows_contracts import forms as fx
from flows_contracts import triggers as tx
from junction_common.bus.consumer import Delivery, subscribe
from junction_common.contracts.public_events import public_event
from junction_common.envelope import CommandEnvelope, EventEnvelope
from junction_common.logconfig import get_logger
from junction_common.service import ServiceRuntime
from junction_common.topics import declared_topics, ensure_topics

log = get_logger(__name__)
Doc = dict[str, Any]
PROVIDER_WEBHOOK = "provider_webhook.received"
GROUP = TRIGGER_REACTIONS  # its consumer group, and the retry base of its retry and DLQ topics
OWN_TOPICS = frozenset({decl.EXECUTION_EVENTS, decl.FORM_EVENTS, decl.TRIGGER_EVENTS})
FLOW_DELETED = "workflow.deleted"


def source_topics() -> list[str]:
    """Every service's event topic but the flows service's own (form submissions and workflows excepted)."""
    return sorted({t.name for t in declared_topics() if t.main and t.name.endswith(".events")} - OWN_TOPICS)


def fires(subscription: Doc, event: EventEnvelope) -> bool:
    """Whether `subscription` starts its flow on `event`."""
    if subscription.get("status") != "active" or subscription.get("workspace_id") != event.workspace_id:
        return False
    if float(subscription.get("since_ts") or subscription.get("created_ts") or 0) > event.occurred_at.timestamp():
        return False
    config = subscription.get("config") or {}
    if subscription.get("kind") == "form":
        return event.type == fx.FORM_SUBMITTED and config.get("formId") == event.data["record"]["form_id"]
    if subscription.get("kind") == "webhook":
        wanted = subscription.get("provider_event")
        return (event.type == PROVIDER_WEBHOOK and bool(subscription.get("provider_type"))
                and event.data.get("provider") == subscription.get("provider_type")
                and (wanted is None or event.data.get("event_type") == wanted))
    return subscription.get("kind") == "event" and config.get("eventType") == event.type


def kind_of(event: EventEnvelope) -> str:
    """The subscriptions an event may fire: form submissions, provider webhooks, else Junction events."""
    return {fx.FORM_SUBMITTED: "form", PROVIDER_WEBHOOK: "webhook"}.get(event.type, "event")


def trigger_data(subscription: Doc, event: EventEnvelope) -> Doc:
    if subscription["kind"] == "webhook":
        return {"body": event.data.get("body"), "provider": event.data.get("provider"),
                "event_type": event.data.get("event_type"), "delivery_id": event.data.get("delivery_id")}
    if subscription["kind"] == "form":
        record = event.data["record"]
        return {"id": event.stream_id, "form_id": record["form_id"], "data": record["data"],
                "created_at": event.occurred_at.isoformat()}
    return public_event(event)


class TriggerReactions:
    """Starts the flows subscribed to each event, once per event and subscription."""

    def __init__(self, runtime: ServiceRuntime) -> None:
        self.runtime = runtime
        subscribe(runtime.broker, runtime.settings, source_topics(), GROUP, self.on_event, retry_base=GROUP)

    async def prepare(self) -> None:
        wanted = set(source_topics())
        await ensure_topics(self.runtime.settings, [t for t in declared_topics() if t.name in wanted])

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None

    async def on_event(self, message: Delivery) -> None:
        event = EventEnvelope.from_bytes(message.value)
        if event.type.startswith("workflow."):
            if event.type == FLOW_DELETED:
                await self.flow_deleted(event)
            return
        kind = kind_of(event)
        found = self.runtime.db[tx.TRIGGERS].find({"workspace_id": event.workspace_id})
        subscriptions = [d async for d in found if d.get("kind") == kind and fires(d, event)]
        for sub in subscriptions:
            await start_execution(self.runtime, event.workspace_id, sub["flow_id"], kind,
                                  trigger_data(sub, event), sub["_id"], f"{kind}:{sub['_id']}:{event.event_id}")

    async def flow_deleted(self, event: EventEnvelope) -> None:
        """Delete every live subscription of the deleted flow (a command per subscription, ids from the event)."""
        found = self.runtime.db[tx.TRIGGERS].find({"flow_id": event.stream_id})
        for sub in [d async for d in found if d.get("status") == "active"
                    and d.get("workspace_id") == event.workspace_id]:
            cmd = CommandEnvelope(command_id=f"cmd_{event.event_id}.{tx.DELETE_TRIGGER}.{sub['_id']}",
                                  type=tx.DELETE_TRIGGER, aggregate_id=sub["_id"], workspace_id=event.workspace_id,
                                  correlation_id=event.correlation_id, causation_id=event.event_id)
            await self.runtime.executor.execute(cmd, await self.runtime.spec.decider_for(cmd, self.runtime.db))
            log.info("flow_trigger_deleted_with_flow", trigger_id=sub["_id"], workflow_id=event.stream_id,
                     workspace_id=event.workspace_id)
