"""Read models of the connections service."""

from connections.projections.connections import CONNECTIONS
from connections.projections.custom_providers import CUSTOM_PROVIDERS
from connections.projections.provider_webhooks import DELIVERIES, SUBSCRIPTIONS
from connections.projections.tenant_integrations import TENANT_INTEGRATIONS

PROJECTIONS = [CONNECTIONS]
PROJECTIONS += [SUBSCRIPTIONS, DELIVERIES]
PROJECTIONS += [TENANT_INTEGRATIONS, CUSTOM_PROVIDERS]
