"""CMS and marketing resource contracts (workspace-api.txt, group CMS): sites, collections, campaigns, posts."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, ConfigDict, Field

from crm_contracts.common import (
    Body,
    Cents,
    Currency,
    CustomFields,
    Domain,
    Id,
    Key,
    Name,
    Text,
    Timestamp,
)
from junction_common.contracts.resources import Filter, LinkField, Operations, ResourceContract

FIELD_TYPES = ("string", "text", "markdown", "rich_text", "number", "integer", "boolean", "date", "datetime",
               "url", "email", "select", "reference", "asset", "json")
CAMPAIGN_STATUSES = ("draft", "scheduled", "active", "paused", "completed")
POST_STATUSES = ("draft", "scheduled", "published")
FieldKey = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[a-z][a-z0-9_]*$")]
Channel = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[a-z0-9][a-z0-9_-]*$")]
LowerDomain = Annotated[Domain, AfterValidator(str.lower)]  # domains compare case-insensitively


class SiteCreate(Body):
    key: Key
    name: Name
    primary_domain: LowerDomain | None = None
    description: Text | None = None


class CollectionField(Body):
    """One field of a collection's schema; entries are validated against these."""

    key: FieldKey
    type: Literal[FIELD_TYPES]  # type: ignore[valid-type]
    required: bool = False
    label: Name | None = None
    description: Text | None = None
    options: list[Annotated[str, Field(min_length=1, max_length=200)]] | None = Field(default=None, max_length=200)
    reference_collection_key: Key | None = None


class CollectionSchema(Body):
    fields: list[CollectionField] = Field(default_factory=list, max_length=200)


class CollectionCreate(Body):
    # `schema` would shadow a BaseModel attribute, so the field is `schema_` and always dumps as `schema`.
    model_config = ConfigDict(extra="forbid", serialize_by_alias=True)

    name: Name
    key: Key
    description: Text | None = None
    schema_: CollectionSchema = Field(default_factory=CollectionSchema, alias="schema")


class CampaignCreate(Body):
    key: Key
    name: Name
    channel: Channel | None = None
    status: Literal[CAMPAIGN_STATUSES] = "draft"  # type: ignore[valid-type]
    description: Text | None = None
    starts_at: Timestamp | None = None
    ends_at: Timestamp | None = None
    budget_cents: Cents | None = None
    currency: Currency | None = None


class PostCreate(Body):
    channel: Channel
    title: Name | None = None
    body: Text
    campaign_id: Id | None = None
    status: Literal[POST_STATUSES] = "draft"  # type: ignore[valid-type]
    scheduled_at: Timestamp | None = None
    url: str | None = Field(default=None, max_length=2048)


CMS_SITE = ResourceContract(
    name="cms_site", prefix="site", path="/v1/cms/sites", collection="cms_sites", create_model=SiteCreate,
    operations=Operations(list="listCmsSites", create="createCmsSite"), read_scope="cms:read",
    write_scope="cms:write", search_fields=("key", "name", "primary_domain"), tag="CMS")
CMS_COLLECTION = ResourceContract(
    name="cms_collection", prefix="col", path="/v1/cms/collections", collection="cms_collections",
    create_model=CollectionCreate, operations=Operations(create="createCmsCollection"), read_scope="cms:read",
    write_scope="cms:write", search_fields=("key", "name", "description"), tag="CMS")
MARKETING_CAMPAIGN = ResourceContract(
    name="marketing_campaign", prefix="camp", path="/v1/marketing/campaigns", collection="marketing_campaigns",
    create_model=CampaignCreate,
    operations=Operations(list="listMarketingCampaigns", create="createMarketingCampaign"),
    read_scope="cms:read", write_scope="cms:write",
    filters=(Filter("status", CAMPAIGN_STATUSES), Filter("channel")),
    search_fields=("key", "name", "description"), tag="CMS")
MARKETING_POST = ResourceContract(
    name="marketing_post", prefix="post", path="/v1/marketing/posts", collection="marketing_posts",
    create_model=PostCreate, operations=Operations(list="listMarketingPosts", create="createMarketingPost"),
    read_scope="cms:read", write_scope="cms:write",
    filters=(Filter("campaign_id"), Filter("channel"), Filter("status", POST_STATUSES)),
    search_fields=("title", "body"), links=(LinkField("/campaign_id", "marketing_campaign"),), tag="CMS")

ENTRY_STATUSES = ("draft", "review", "published", "archived")
CONTENT_TYPES = ("website_page", "landing_page", "blog_post", "article", "social_post", "email", "case_study",
                 "asset_brief", "other")
EntryFields = dict[Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,63}$")], object]


class EntryCreate(Body):
    collection_id: Id
    title: Name
    status: Literal["draft", "review", "published"] = "draft"
    content_type: Literal[CONTENT_TYPES] | None = None  # type: ignore[valid-type]
    site_id: Id | None = None
    campaign_id: Id | None = None
    fields: EntryFields = Field(default_factory=dict)
    custom_fields: CustomFields | None = None


class EntryUpdate(Body):
    title: Name | None = None
    status: Literal[ENTRY_STATUSES] | None = None  # type: ignore[valid-type]
    content_type: Literal[CONTENT_TYPES] | None = None  # type: ignore[valid-type]
    fields: EntryFields | None = None
    custom_fields: CustomFields | None = None


CMS_ENTRY = ResourceContract(
    name="cms_entry", prefix="ent", path="/v1/cms/entries", collection="cms_entries", create_model=EntryCreate,
    update_model=EntryUpdate, operations=Operations(list="listCmsEntries", create="createCmsEntry",
                                                    update="updateCmsEntry"),
    read_scope="cms:read", write_scope="cms:write",
    filters=(Filter("collection_id"), Filter("site_id"), Filter("campaign_id"), Filter("content_type", CONTENT_TYPES),
             Filter("status", ENTRY_STATUSES)),
    search_fields=("title", "search_text"), custom_fields=True, tag="CMS",
    links=(LinkField("/collection_id", "cms_collection"), LinkField("/site_id", "cms_site"),
           LinkField("/campaign_id", "marketing_campaign")))

CMS_RESOURCES: tuple[ResourceContract, ...] = (CMS_SITE, CMS_COLLECTION, MARKETING_CAMPAIGN, MARKETING_POST,
                                               CMS_ENTRY)
