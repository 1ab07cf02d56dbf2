"""Every topic the flows service owns, declared once."""

from flows_contracts import declarations as cx
from junction_common.topics import TopicSpec

TRIGGER_REACTIONS = "flows.trigger_reactions"  # retry base of the event and form triggers' consumer

TOPICS = [
    TopicSpec(cx.COMMANDS, partitions=3, retention_ms=7 * 86400000),
    TopicSpec(cx.WORKFLOW_EVENTS, partitions=3, retries=False),
    TopicSpec(cx.EXECUTION_EVENTS, partitions=3, retries=False),
    TopicSpec(cx.FORM_EVENTS, partitions=3, retries=False),
    TopicSpec(cx.FORM_SUBMISSION_EVENTS, partitions=3, retries=False),
    TopicSpec(cx.TRIGGER_EVENTS, partitions=3, retries=False),
    # Retry and DLQ topics of the event and form triggers' consumer (it reads other services' event topics).
    TopicSpec(TRIGGER_REACTIONS, partitions=3, main=False, retention_ms=7 * 86400000),
]
