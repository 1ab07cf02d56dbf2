"""Every topic the connections service owns, declared once."""

from connections_contracts import declarations as cx
from junction_common.topics import TopicSpec

TOPICS = [
    TopicSpec(cx.COMMANDS, partitions=3, retention_ms=7 * 86400000),
    TopicSpec(cx.CONNECTION_EVENTS, partitions=3, retries=False),
    TopicSpec(cx.TENANT_INTEGRATION_EVENTS, partitions=3, retries=False),
    TopicSpec(cx.TENANT_INTEGRATION_INBOUND_EVENTS, partitions=3, retries=False),
    TopicSpec(cx.CUSTOM_PROVIDER_EVENTS, partitions=3, retries=False),
    TopicSpec(cx.SUBSCRIPTION_EVENTS, partitions=3, retries=False),
    TopicSpec(cx.PROVIDER_WEBHOOK_EVENTS, partitions=3, retries=False),
]
