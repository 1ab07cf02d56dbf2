"""Every topic the sync service owns, declared once."""

from junction_common.topics import TopicSpec
from sync_contracts import declarations as cx

TOPICS = [
    TopicSpec(cx.COMMANDS, partitions=3, retention_ms=7 * 86400000),
    TopicSpec(cx.RUN_EVENTS, partitions=3, retries=False),
    TopicSpec(cx.TABLE_EVENTS, partitions=3, retries=False),
    TopicSpec(cx.RECORD_EVENTS, partitions=3, retries=False),
    TopicSpec(cx.CURSOR_EVENTS, partitions=3, retries=False),
    TopicSpec(cx.NOTIFICATION_EVENTS, partitions=3, retries=False),
]
