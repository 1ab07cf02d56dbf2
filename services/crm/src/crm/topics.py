"""Every topic the crm service owns, declared once."""

from crm_contracts.crm import CRM_RESOURCES
from junction_common.topics import TopicSpec

COMMANDS = "crm.commands"
CONTACT_EVENTS = "crm.contact.events"
PROJECTIONS = "crm.projections"

TOPICS = [
    TopicSpec(COMMANDS, partitions=3, retention_ms=7 * 86400000),
    TopicSpec(CONTACT_EVENTS, partitions=3, retries=False),
    *(TopicSpec(c.events_topic, partitions=3, retries=False) for c in CRM_RESOURCES),
    # Retry and DLQ topics shared by every CRM projection (consumer group `crm.projections`).
    TopicSpec(PROJECTIONS, partitions=3, main=False, retention_ms=7 * 86400000),
]
