"""Every topic the sync service owns, declared once."""

from junction_common.topics import TopicSpec
from sync_contracts import declarations as cx

# Consumed, not owned: the connections service's accepted provider webhook deliveries (they become records).
PROVIDER_WEBHOOK_EVENTS = "connections.provider_webhook.events"
WEBHOOK_RECORDS = "sync.webhook_records"  # retry base of the consumer keeping them as records

TOPICS = [
    TopicSpec(cx.COMMANDS, partitions=3, retention_ms=7 * 86400000),
    TopicSpec(cx.RUN_EVENTS, partitions=3, retries=False),
    TopicSpec(cx.TABLE_EVENTS, partitions=3, retries=False),
    TopicSpec(cx.RECORD_EVENTS, partitions=3, retries=False),
    TopicSpec(cx.CURSOR_EVENTS, partitions=3, retries=False),
    TopicSpec(cx.NOTIFICATION_EVENTS, partitions=3, retries=False),
]
# Retry and DLQ topics of the consumer of provider webhook deliveries (sync.records.webhooks).
TOPICS.append(TopicSpec(WEBHOOK_RECORDS, partitions=3, main=False, retention_ms=7 * 86400000))
