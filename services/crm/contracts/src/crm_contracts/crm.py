"""CRM resource contracts (workspace-api.txt): request shapes, filters, search fields, operation ids."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from crm_contracts.accounting import ACCOUNTING_RESOURCES
from crm_contracts.analytics import ANALYTICS_RESOURCES
from crm_contracts.assets import ASSET
from crm_contracts.bi import BI_RESOURCES
from crm_contracts.billing import BILLING_RESOURCES
from crm_contracts.cms import CMS_RESOURCES
from crm_contracts.common import Body as _Body
from crm_contracts.common import Cents, Currency, CustomFields, Id, Name, Text
from crm_contracts.support import SUPPORT_RESOURCES
from junction_common.contracts.resources import Filter, LinkField, Operations, ResourceContract

LEAD_STATUSES = ("new", "working", "qualified", "disqualified", "converted")
LEAD_SOURCES = ("manual", "website", "referral", "campaign", "import", "api", "mcp", "other")
TASK_STATUSES = ("open", "completed", "canceled")
ACTIVITY_TYPES = ("note", "call", "email", "meeting", "agent_action")
RELATED_TYPES = ("contact", "company", "lead", "deal", "ticket", "invoice", "task")
# A task or activity may still be about an archived record (a closed deal, an archived contact).
RELATED = LinkField("/related_resource_id", type_field="related_resource_type", live=False)
_EMAIL = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
CONTACT_SEARCH_FIELDS = ("name", "email", "company_name", "notes")


class ContactCreate(BaseModel):
    """Body of createContact."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={
        "examples": [{"name": "Jane Doe", "email": "jane@acme.com", "company_name": "Acme Corp"}]})

    name: str = Field(min_length=1, max_length=200)
    email: str | None = Field(default=None, max_length=320, pattern=_EMAIL)
    company_name: str | None = Field(default=None, max_length=200)
    company_id: str | None = Field(default=None, max_length=64, pattern=r"^com_[A-Za-z0-9]+$")
    phone: str | None = Field(default=None, max_length=50)
    notes: str | None = Field(default=None, max_length=10000)
    custom_fields: dict[str, str | int | float | bool | None] | None = None


# Contacts are not a declared resource (their routes and aggregate are hand-written); their one link.
CONTACT_LINKS = (LinkField("/company_id", "company"),)


class CompanyCreate(_Body):
    name: Name
    domain: str | None = Field(default=None, max_length=253, pattern=r"^[A-Za-z0-9.-]+\.[A-Za-z]{2,}$")
    website: str | None = Field(default=None, max_length=2048)
    notes: Text | None = None
    custom_fields: CustomFields | None = None


class LeadCreate(_Body):
    name: Name
    email: str | None = Field(default=None, max_length=320, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    company_name: Name | None = None
    source: Literal[LEAD_SOURCES] = "manual"  # type: ignore[valid-type]
    status: Literal["new", "working", "qualified"] = "new"
    notes: Text | None = None
    custom_fields: CustomFields | None = None


class DealStageCreate(_Body):
    key: str = Field(min_length=1, max_length=64, pattern=r"^[a-z0-9_-]+$")
    name: Name
    position: int = Field(ge=0, le=100000)
    probability: int | None = Field(default=None, ge=0, le=100)  # percent chance a deal here is won


class DealCreate(_Body):
    name: Name
    company_id: Id | None = None
    contact_id: Id | None = None
    stage: str = Field(min_length=1, max_length=64)
    amount_cents: Cents | None = None
    currency: Currency | None = None
    custom_fields: CustomFields | None = None


class DealUpdate(_Body):
    name: Name | None = None
    stage: str | None = Field(default=None, min_length=1, max_length=64)
    amount_cents: Cents | None = None
    currency: Currency | None = None
    company_id: Id | None = None
    contact_id: Id | None = None
    custom_fields: CustomFields | None = None


class TaskCreate(_Body):
    title: Name
    description: Text | None = None
    assignee_id: str | None = Field(default=None, max_length=64)
    due_at: str | None = Field(default=None, max_length=40)
    related_resource_type: Literal[RELATED_TYPES] | None = None  # type: ignore[valid-type]
    related_resource_id: Id | None = None


class TaskUpdate(_Body):
    title: Name | None = None
    status: Literal[TASK_STATUSES] | None = None  # type: ignore[valid-type]
    completed_note: Text | None = None
    assignee_id: str | None = Field(default=None, max_length=64)
    due_at: str | None = Field(default=None, max_length=40)


class ActivityCreate(_Body):
    type: Literal[ACTIVITY_TYPES]  # type: ignore[valid-type]
    summary: Name
    body: Text | None = None
    related_resource_type: Literal[RELATED_TYPES] | None = None  # type: ignore[valid-type]
    related_resource_id: Id | None = None


COMPANY = ResourceContract(
    name="company", prefix="com", path="/v1/companies", collection="companies", create_model=CompanyCreate,
    operations=Operations(list="listCompanies", create="createCompany"),
    search_fields=("name", "domain", "website", "notes"), custom_fields=True, tag="Companies")
LEAD = ResourceContract(
    name="lead", prefix="lead", path="/v1/leads", collection="leads", create_model=LeadCreate,
    operations=Operations(list="listLeads", create="createLead"),
    filters=(Filter("status", LEAD_STATUSES), Filter("source", LEAD_SOURCES)),
    search_fields=("name", "email", "company_name", "notes"), custom_fields=True, tag="Deals")
DEAL_STAGE = ResourceContract(
    name="deal_stage", prefix="stage", path="/v1/deal-stages", collection="deal_stages",
    create_model=DealStageCreate, operations=Operations(list="listDealStages", create="createDealStage"),
    search_fields=("key", "name"), tag="Deals")
DEAL = ResourceContract(
    name="deal", prefix="deal", path="/v1/deals", collection="deals", create_model=DealCreate,
    update_model=DealUpdate, operations=Operations(create="createDeal", update="updateDeal"),
    links=(LinkField("/company_id", "company"), LinkField("/contact_id", "contact")), tag="Deals")
TASK = ResourceContract(
    name="task", prefix="task", path="/v1/tasks", collection="tasks", create_model=TaskCreate,
    update_model=TaskUpdate, operations=Operations(list="listTasks", create="createTask", update="updateTask"),
    read_scope="tasks:read", write_scope="tasks:write",
    filters=(Filter("status", TASK_STATUSES), Filter("assignee_id")), defaults={"status": "open"}, links=(RELATED,),
    tag="Tasks")
ACTIVITY = ResourceContract(
    name="activity", prefix="act", path="/v1/activities", collection="activities", create_model=ActivityCreate,
    operations=Operations(list="listActivities", create="createActivity"),
    read_scope="activity:read", write_scope="activity:write",
    filters=(Filter("type", ACTIVITY_TYPES),), search_fields=("summary", "body"), links=(RELATED,), tag="Activities")

CRM_RESOURCES: tuple[ResourceContract, ...] = (
    COMPANY, LEAD, DEAL_STAGE, DEAL, TASK, ACTIVITY,
    *SUPPORT_RESOURCES, *ACCOUNTING_RESOURCES, *CMS_RESOURCES, *ANALYTICS_RESOURCES, *BILLING_RESOURCES, ASSET,
    *BI_RESOURCES)
