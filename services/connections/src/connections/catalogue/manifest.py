"""A provider manifest: everything Junction knows about one outside provider, declared in one YAML file.

Built-in manifests live in `catalogue/providers/<type>.yaml` (one file per provider, its file name is its
`type`); operators add a folder of their own (JUNCTION_PROVIDER_DIRS) and workspace admins register private
ones through the API. All go through this model: a manifest the model refuses is never loaded.
Facts come from each provider's own public documentation (`docs_url`).
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, HttpUrl, model_validator

TYPE_PATTERN = r"^[a-z][a-z0-9_]{1,62}$"
CATEGORIES = (
    "CRM", "Accounting", "Project Management", "Scheduling", "Documents", "Meetings", "Support", "Messaging",
    "Registry", "Marketing", "Payments", "E-commerce", "Development", "Storage", "Productivity", "Analytics",
    "HR", "Communication", "Forms", "Social", "Advertising", "Sales", "Finance", "Security", "AI",
)
Category = Literal[CATEGORIES]  # type: ignore[valid-type]
HttpMethod = Literal["GET", "POST", "PUT", "PATCH", "DELETE"]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CredentialField(Strict):
    """A field the user supplies when connecting (an API key, a subdomain, an account id)."""

    name: str = Field(pattern=r"^[a-zA-Z][a-zA-Z0-9_]{0,40}$")  # apiKey, apiSecret, subdomain, ...
    label: str = Field(min_length=1, max_length=80)
    secret: bool = True
    required: bool = True
    description: str | None = Field(default=None, max_length=300)


class ApiKeyAuth(Strict):
    """A key sent with every call: in a header (`Authorization: Bearer {apiKey}`), a query parameter, or as
    HTTP basic credentials. `template` names credential fields in braces."""

    kind: Literal["api_key"]
    location: Literal["header", "query", "basic"]
    name: str | None = Field(default=None, max_length=80)  # header or query parameter name
    template: str = Field(default="{apiKey}", max_length=200)  # e.g. "Bearer {apiKey}", "Token token={apiKey}"
    fields: tuple[CredentialField, ...] = (CredentialField(name="apiKey", label="API key"),)

    @model_validator(mode="after")
    def _named(self) -> ApiKeyAuth:
        if self.location != "basic" and not self.name:
            raise ValueError("a header or query key needs its `name`")
        unknown = set(re.findall(r"\{(\w+)\}", self.template)) - {f.name for f in self.fields}
        if unknown:
            raise ValueError(f"template names unknown fields {sorted(unknown)}")
        return self


class BasicAuth(Strict):
    kind: Literal["basic"]
    fields: tuple[CredentialField, ...] = (CredentialField(name="username", label="Username", secret=False),
                                           CredentialField(name="password", label="Password"))


class OAuth2Auth(Strict):
    """OAuth 2.0 authorization code (with PKCE when the provider supports it) or client credentials."""

    kind: Literal["oauth2", "oauth2_client_credentials"]
    authorize_url: HttpUrl | None = None  # required for the authorization code grant
    token_url: HttpUrl
    revoke_url: HttpUrl | None = None
    refresh: bool = True  # whether the provider issues refresh tokens
    default_scopes: tuple[str, ...] = ()
    scope_separator: str = " "
    pkce: bool = False
    token_auth: Literal["client_secret_post", "client_secret_basic"] = "client_secret_post"
    extra_authorize_params: dict[str, str] = {}
    fields: tuple[CredentialField, ...] = ()  # anything besides the tokens (e.g. an instance URL, a tenant id)

    @model_validator(mode="after")
    def _grant(self) -> OAuth2Auth:
        if self.kind == "oauth2" and self.authorize_url is None:
            raise ValueError("the authorization code grant needs `authorize_url`")
        return self


Auth = Annotated[ApiKeyAuth | BasicAuth | OAuth2Auth, Field(discriminator="kind")]


class TestRequest(Strict):
    """How a credential is proven: this request against the API base answers `expect_status`."""

    method: HttpMethod = "GET"
    path: str = Field(pattern=r"^/")
    expect_status: int = Field(default=200, ge=200, le=299)


class RateLimit(Strict):
    requests: int = Field(ge=1)
    per_seconds: float = Field(gt=0)
    scope: Literal["connection", "account", "app"] = "connection"


class Stream(Strict):
    """A syncable collection (see the sync service): an Airbyte low-code stream by name."""

    name: str = Field(pattern=r"^[a-z][a-z0-9_]{0,62}$")
    path: str = Field(pattern=r"^/")
    primary_key: str = "id"
    cursor_field: str | None = None  # incremental when set
    records_path: str | None = None  # where the records sit in the answer (a dot path), root when None
    description: str | None = Field(default=None, max_length=300)


class Action(Strict):
    """A call a flow can make: its request and the JSON Schema of its inputs."""

    name: str = Field(pattern=r"^[a-z][a-z0-9_]{0,62}$")
    label: str = Field(min_length=1, max_length=120)
    method: HttpMethod
    path: str = Field(pattern=r"^/")
    input_schema: dict[str, Any]
    description: str | None = Field(default=None, max_length=300)

    @model_validator(mode="after")
    def _schema(self) -> Action:
        if self.input_schema.get("type") != "object":
            raise ValueError("an action's input_schema is a JSON Schema of type object")
        return self


class Trigger(Strict):
    """What starts a flow: a provider webhook event, or polling a stream for new records."""

    name: str = Field(pattern=r"^[a-z][a-z0-9_.]{0,62}$")
    label: str = Field(min_length=1, max_length=120)
    kind: Literal["webhook", "poll"]
    event: str | None = None  # the provider's webhook event type (kind webhook)
    stream: str | None = None  # the stream polled (kind poll)

    @model_validator(mode="after")
    def _source(self) -> Trigger:
        if (self.kind == "webhook") != (self.event is not None) or (self.kind == "poll") != (self.stream is not None):
            raise ValueError("a webhook trigger names its `event`, a poll trigger its `stream`")
        return self


class WebhookSigning(Strict):
    """How the provider signs the webhooks it sends (verified on receipt)."""

    scheme: Literal["hmac_sha256", "hmac_sha1", "hmac_sha256_base64", "stripe", "standard_webhooks", "slack",
                    "github", "token", "jwt", "none"]
    header: str | None = None
    secret_field: str | None = None  # where the signing secret comes from (a credential field or app setting)


class Webhooks(Strict):
    events: tuple[str, ...] = Field(min_length=1)
    signing: WebhookSigning
    subscribe: Literal["api", "manual"] = "manual"  # registered through the provider's API, or by the user


class Manifest(Strict):
    """One provider."""

    type: str = Field(pattern=TYPE_PATTERN)
    name: str = Field(min_length=1, max_length=80)
    description: str = Field(min_length=1, max_length=400)
    categories: tuple[Category, ...] = Field(min_length=1)
    docs_url: HttpUrl
    api_base_url: HttpUrl
    auth: Auth
    test: TestRequest | None = None
    rate_limit: RateLimit | None = None
    streams: tuple[Stream, ...] = ()
    actions: tuple[Action, ...] = ()
    triggers: tuple[Trigger, ...] = ()
    webhooks: Webhooks | None = None
    connector_type: str | None = Field(default=None, pattern=r"^[A-Z][A-Z_]{1,40}$")  # pipelines-api type

    @model_validator(mode="after")
    def _consistent(self) -> Manifest:
        streams = {s.name for s in self.streams}
        for trigger in self.triggers:
            if trigger.stream is not None and trigger.stream not in streams:
                raise ValueError(f"trigger {trigger.name} polls unknown stream {trigger.stream}")
            if trigger.event is not None and (self.webhooks is None or trigger.event not in self.webhooks.events):
                raise ValueError(f"trigger {trigger.name} waits for {trigger.event}, not among the webhook events")
        return self

    @property
    def complete(self) -> bool:
        """Auth, a test request, two streams, two actions and a trigger."""
        return self.test is not None and len(self.streams) >= 2 and len(self.actions) >= 2 and bool(self.triggers)
