"""Which decision handles which command: the connection commands go to the connection aggregate; anything else
is refused with its type named, and nothing is appended."""

from __future__ import annotations

from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from connections.domain import (
    connection,
    custom_provider,
    provider_webhooks,
    tenant_integration,
    tenant_integration_inbound,
)
from connections_contracts import connection as cx
from connections_contracts import custom_providers as cp
from connections_contracts import declarations as decl
from connections_contracts import provider_webhooks as pw
from connections_contracts import tenant_integrations as ti
from junction_common.decisions import CommandRejected, Decider, rejecting
from junction_common.envelope import CommandEnvelope, EventEnvelope


async def decider_for(cmd: CommandEnvelope, db: AsyncDatabase[dict[str, Any]]) -> Decider:
    if cmd.type in cx.COMMANDS:
        return connection.decide
    if cmd.type == pw.RECEIVE:
        return provider_webhooks.decide_delivery
    if cmd.type in pw.COMMANDS or cmd.type == pw.HANDSHAKE:
        return provider_webhooks.decide_subscription
    if cmd.type in ti.COMMANDS:
        return tenant_integration.decide
    if cmd.type == ti.RECEIVE_INBOUND:
        return tenant_integration_inbound.decide
    if cmd.type in cp.COMMANDS:
        return custom_provider.decide
    return rejecting(CommandRejected("VALIDATION_ERROR", f"unknown command type {cmd.type}"))


def topic_for(event: EventEnvelope) -> str:
    if event.type.startswith(ti.AGGREGATE + "."):
        return decl.TENANT_INTEGRATION_EVENTS
    if event.type.startswith(ti.INBOUND_AGGREGATE + "."):
        return decl.TENANT_INTEGRATION_INBOUND_EVENTS
    if event.type.startswith(cp.AGGREGATE + "."):
        return decl.CUSTOM_PROVIDER_EVENTS
    if event.type.startswith("provider_webhook_subscription."):
        return decl.SUBSCRIPTION_EVENTS
    if event.type.startswith("provider_webhook."):
        return decl.PROVIDER_WEBHOOK_EVENTS
    return decl.CONNECTION_EVENTS
