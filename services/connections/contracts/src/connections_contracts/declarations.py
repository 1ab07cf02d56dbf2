"""The connections service's name, topics and the documented paths it owns."""

from __future__ import annotations

SERVICE = "connections"
COMMANDS = "connections.commands"
CONNECTION_EVENTS = "connections.connection.events"
TENANT_INTEGRATION_EVENTS = "connections.tenant_integration.events"
TENANT_INTEGRATION_INBOUND_EVENTS = "connections.tenant_integration_inbound.events"  # pushed with inbound keys
CUSTOM_PROVIDER_EVENTS = "connections.custom_provider.events"
SUBSCRIPTION_EVENTS = "connections.provider_webhook_subscription.events"
PROVIDER_WEBHOOK_EVENTS = "connections.provider_webhook.events"  # accepted deliveries, for sync and flows

# Base paths of the references this service answers (see ../shared/DESIGN.md, "Where each seed's operations live").
CONNECT_BASE = "/connect/v1"
PIPELINES_BASE = "/api/pipelines"
INTEGRATIONS_BASE = "/v1/integrations"
