"""Every topic the webhooks service owns, declared once."""

from junction_common.topics import TopicSpec
from webhooks_contracts import declarations as wh

FANOUT = "webhooks.fanout"
PROJECTIONS = "webhooks.projections"
PROVIDER_FORWARDING = "webhooks.provider_forwarding"

TOPICS = [
    TopicSpec(wh.COMMANDS, partitions=3, retention_ms=7 * 86400000),
    TopicSpec(wh.ENDPOINT_EVENTS, partitions=3, retries=False),
    TopicSpec(wh.EVENT_TYPE_EVENTS, partitions=3, retries=False),
    # Retry and DLQ topics of the fan-out consumer (it reads every service's event topics).
    TopicSpec(FANOUT, partitions=3, main=False, retention_ms=7 * 86400000),
    TopicSpec(PROJECTIONS, partitions=3, main=False, retention_ms=7 * 86400000),
    TopicSpec(PROVIDER_FORWARDING, partitions=3, main=False, retention_ms=7 * 86400000),
]
