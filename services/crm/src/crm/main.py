"""crm service entry point: `junction-crm`."""

from __future__ import annotations

from crm import topics
from crm.api import internal_routers
from crm.app.conversion import convert_lead
from crm.app.payments import PAYMENT_CREATE, record_payment
from crm.app.routing import decider_for, topic_for
from crm.app.ticket_messages import CREATE_MESSAGE, add_ticket_message
from crm.app.workspace_setup import provision_workspace
from crm.bi.sweeper import BiExports
from crm.domain.lead import CONVERT
from crm.projections.contacts import PROJECTION as CONTACTS
from crm.projections.records import PROJECTIONS as RECORDS
from crm.settings import CrmSettings
from crm_contracts.event_upcasters import UPCASTERS
from junction_common.service import ServiceSpec, run
from junction_common.workspaces import PROVISION_WORKSPACE


def create_spec() -> ServiceSpec:
    return ServiceSpec(
        name="crm",
        topics=topics.TOPICS,
        command_topic=topics.COMMANDS,
        decider_for=decider_for,
        topic_for=topic_for,
        projections=[CONTACTS, *RECORDS],
        handlers={CONVERT: convert_lead, PAYMENT_CREATE: record_payment, CREATE_MESSAGE: add_ticket_message,
                  PROVISION_WORKSPACE: provision_workspace},
        components=[BiExports],
        internal_routers=internal_routers,
        upcasters=UPCASTERS,
    )


def main() -> None:
    run(create_spec(), CrmSettings())


if __name__ == "__main__":
    main()
