"""Support resource contracts (workspace-api.txt, group Support): queues and tickets."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from crm_contracts.common import Body, CustomFields, Id, Key, Name, Text
from junction_common.contracts.resources import Filter, LinkField, Operations, ResourceContract

QUEUE_STATUSES = ("active", "paused", "archived")
TICKET_STATUSES = ("new", "open", "pending", "waiting_on_customer", "resolved", "closed")
TICKET_PRIORITIES = ("low", "normal", "high", "urgent")
TICKET_SOURCES = ("manual", "email", "chat", "phone", "web", "api", "mcp", "slack", "other")
# Links a ticket may carry (field -> the resource it names); each must name a record of this workspace.
TICKET_LINK_TARGETS = {"queue_id": "support_queue", "contact_id": "contact", "company_id": "company",
                       "deal_id": "deal", "lead_id": "lead", "invoice_id": "invoice"}
TICKET_LINKS = tuple(TICKET_LINK_TARGETS)
Minutes = Annotated[int, Field(ge=1, le=525600)]  # at most a year
Category = Annotated[str, Field(min_length=1, max_length=64)]


class SupportQueueCreate(Body):
    key: Key
    name: Name
    description: Text | None = None
    first_response_target_minutes: Minutes | None = None
    status: Literal["active", "paused"] = "active"
    custom_fields: CustomFields | None = None


class TicketCreate(Body):
    subject: Name
    description: Text | None = None
    status: Literal[TICKET_STATUSES] = "new"  # type: ignore[valid-type]
    priority: Literal[TICKET_PRIORITIES] = "normal"  # type: ignore[valid-type]
    source: Literal[TICKET_SOURCES] = "manual"  # type: ignore[valid-type]
    category: Category | None = None
    queue_id: Id | None = None
    assignee_id: str | None = Field(default=None, max_length=64)
    contact_id: Id | None = None
    company_id: Id | None = None
    deal_id: Id | None = None
    lead_id: Id | None = None
    invoice_id: Id | None = None
    custom_fields: CustomFields | None = None


class TicketUpdate(Body):
    subject: Name | None = None
    description: Text | None = None
    status: Literal[TICKET_STATUSES] | None = None  # type: ignore[valid-type]
    priority: Literal[TICKET_PRIORITIES] | None = None  # type: ignore[valid-type]
    source: Literal[TICKET_SOURCES] | None = None  # type: ignore[valid-type]
    category: Category | None = None
    queue_id: Id | None = None
    assignee_id: str | None = Field(default=None, max_length=64)
    contact_id: Id | None = None
    company_id: Id | None = None
    deal_id: Id | None = None
    lead_id: Id | None = None
    invoice_id: Id | None = None
    custom_fields: CustomFields | None = None


SUPPORT_QUEUE = ResourceContract(
    name="support_queue", prefix="queue", path="/v1/support/queues", collection="support_queues",
    create_model=SupportQueueCreate, operations=Operations(list="listSupportQueues", create="createSupportQueue"),
    read_scope="support:read", write_scope="support:write", filters=(Filter("status", QUEUE_STATUSES),),
    search_fields=("key", "name", "description"), custom_fields=True, tag="Support")
TICKET = ResourceContract(
    name="ticket", prefix="ticket", path="/v1/support/tickets", collection="tickets",
    create_model=TicketCreate, update_model=TicketUpdate,
    operations=Operations(list="listSupportTickets", create="createSupportTicket", update="updateSupportTicket"),
    read_scope="support:read", write_scope="support:write",
    filters=(Filter("status", TICKET_STATUSES), Filter("priority", TICKET_PRIORITIES),
             Filter("source", TICKET_SOURCES), Filter("category"), Filter("assignee_id"),
             *(Filter(link) for link in TICKET_LINKS)),
    search_fields=("subject", "description", "category"), custom_fields=True,
    links=tuple(LinkField(f"/{name}", target) for name, target in TICKET_LINK_TARGETS.items()), tag="Support")

MESSAGE_DIRECTIONS = ("inbound", "outbound")
MESSAGE_CHANNELS = ("email", "chat", "phone", "sms", "whatsapp", "web", "api", "other")


class TicketMessageCreate(Body):
    direction: Literal[MESSAGE_DIRECTIONS]  # type: ignore[valid-type]
    channel: Literal[MESSAGE_CHANNELS] = "email"  # type: ignore[valid-type]
    body: Text
    author_id: str | None = Field(default=None, max_length=64)
    custom_fields: CustomFields | None = None


class TicketCommentCreate(Body):
    body: Text
    pinned: bool = False
    author_id: str | None = Field(default=None, max_length=64)
    custom_fields: CustomFields | None = None


TICKET_MESSAGE = ResourceContract(
    name="ticket_message", prefix="msg", path="/v1/support/tickets/{ticket_id}/messages",
    collection="ticket_messages", create_model=TicketMessageCreate, parent_param="ticket_id", parent="ticket",
    operations=Operations(list="listSupportTicketMessages", create="addSupportTicketMessage"),
    read_scope="support:read", write_scope="support:write", search_fields=("body",), custom_fields=True,
    tag="Support")
TICKET_COMMENT = ResourceContract(
    name="ticket_comment", prefix="comment", path="/v1/support/tickets/{ticket_id}/comments",
    collection="ticket_comments", create_model=TicketCommentCreate, parent_param="ticket_id", parent="ticket",
    operations=Operations(list="listSupportTicketComments", create="addSupportTicketComment"),
    read_scope="support:read", write_scope="support:write", search_fields=("body",), custom_fields=True,
    tag="Support")

SUPPORT_RESOURCES: tuple[ResourceContract, ...] = (SUPPORT_QUEUE, TICKET, TICKET_MESSAGE, TICKET_COMMENT)
