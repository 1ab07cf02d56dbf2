"""Every topic the crm service owns, declared once."""

from junction_common.contracts.crm import CRM_RESOURCES
from junction_common.topics import TopicSpec

COMMANDS = "crm.commands"
CONTACT_EVENTS = "crm.contact.events"

TOPICS = [
    TopicSpec(COMMANDS, partitions=3, retention_ms=7 * 86400000),
    TopicSpec(CONTACT_EVENTS, partitions=3),
    *(TopicSpec(c.events_topic, partitions=3) for c in CRM_RESOURCES),
]
