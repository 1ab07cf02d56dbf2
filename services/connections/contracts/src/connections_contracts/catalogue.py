"""The provider catalogue's public shapes, one set per reference that lists it, and the queries the edge validates.

Credential fields appear as definitions (name, label, whether secret and required), never with a value.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel


class ProviderListQuery(BaseModel):
    """listProviders: optionally only the providers of one category (`CRM`, `Accounting`, ...)."""

    model_config = ConfigDict(extra="forbid")

    category: str | None = Field(default=None, min_length=1, max_length=40)


class IntegrationSearchQuery(BaseModel):
    """searchIntegrations: `q` matches every term in a provider's type, name, description or categories."""

    model_config = ConfigDict(extra="forbid")

    q: str = Field(min_length=1, max_length=200)


class Public(BaseModel):
    """A public shape: camelCase on the wire, as the references write it."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, frozen=True)

    def wire(self) -> dict[str, Any]:
        return self.model_dump(mode="json", by_alias=True)


class CredentialFieldView(Public):
    name: str
    label: str
    secret: bool
    required: bool
    description: str | None = None


# connect-api.txt: /connect/v1/providers


class Capabilities(Public):
    streams: list[str]
    actions: list[str]
    triggers: list[str]
    webhook_events: list[str]
    proxy: bool = True


class ProviderSummary(Public):
    type: str
    name: str
    description: str
    categories: list[str]
    auth_type: str
    docs_url: str
    capabilities: Capabilities


class AuthView(Public):
    kind: str
    location: str | None = None  # api_key: header, query or basic
    parameter: str | None = None  # api_key: the header or query parameter name
    authorize_url: str | None = None
    token_url: str | None = None
    revoke_url: str | None = None
    scopes: list[str] = []
    pkce: bool = False
    refresh: bool | None = None


class TestRequestView(Public):
    method: str
    path: str
    expect_status: int


class RateLimitView(Public):
    requests: int
    per_seconds: float
    scope: str


class PaginationView(Public):
    """How a stream's pages follow each other (the manifest's `pagination`), for callers that page it themselves."""

    style: str
    page_size: int
    param: str | None = None
    size_param: str | None = None
    token_path: str | None = None
    start_from: int = 1


class StreamView(Public):
    name: str
    path: str
    primary_key: str
    cursor_field: str | None = None
    incremental: bool
    description: str | None = None
    records_path: str | None = None
    pagination: PaginationView | None = None


class ActionView(Public):
    name: str
    label: str
    method: str
    path: str
    input_schema: dict[str, Any]
    description: str | None = None


class TriggerView(Public):
    name: str
    label: str
    kind: str
    event: str | None = None
    stream: str | None = None


class WebhooksView(Public):
    events: list[str]
    signing: str
    signature_header: str | None = None
    subscribe: str


class ProviderDetail(ProviderSummary):
    api_base_url: str
    connector_type: str  # its type in pipelines-api.txt (`HUBSPOT`)
    connector_family: str | None = None  # the documented connector type it is one of (`CRM_PLATFORM`)
    auth: AuthView
    credentials: list[CredentialFieldView]
    test_request: TestRequestView | None = None
    rate_limit: RateLimitView | None = None
    streams: list[StreamView]
    actions: list[ActionView]
    triggers: list[TriggerView]
    webhooks: WebhooksView | None = None


# pipelines-api.txt: /api/pipelines/connector-types


class ConnectorType(Public):
    type: str  # what POST /api/pipelines/connections takes: the provider's type in capitals (`HUBSPOT`)
    name: str
    family: str | None = None  # the documented connector type it is one of (`CRM_PLATFORM`, `ACCOUNTING`)
    category: str
    categories: list[str]
    provider: str
    auth_type: str
    credentials: list[CredentialFieldView]


class ConnectorTypeList(Public):
    connector_types: list[ConnectorType]


# integrations-api.txt: /v1/integrations/available and /search


class AvailableIntegration(Public):
    service: str
    name: str
    description: str
    categories: list[str]
    auth_type: str
    docs_url: str
    settings_schema: dict[str, Any]
    sync_events: list[str]
