"""Every topic the flows service owns, declared once."""

from flows_contracts import declarations as cx
from junction_common.topics import TopicSpec

TOPICS = [
    TopicSpec(cx.COMMANDS, partitions=3, retention_ms=7 * 86400000),
    TopicSpec(cx.WORKFLOW_EVENTS, partitions=3, retries=False),
    TopicSpec(cx.EXECUTION_EVENTS, partitions=3, retries=False),
    TopicSpec(cx.FORM_EVENTS, partitions=3, retries=False),
    TopicSpec(cx.FORM_SUBMISSION_EVENTS, partitions=3, retries=False),
    TopicSpec(cx.TRIGGER_EVENTS, partitions=3, retries=False),
]
