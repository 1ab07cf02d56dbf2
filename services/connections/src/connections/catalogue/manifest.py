"""A provider manifest: everything Junction knows about one outside provider, declared in one YAML file.

Built-in manifests live in `catalogue/providers/<type>.yaml` (one file per provider, its file name is its
`type`); operators add a folder of their own (JUNCTION_PROVIDER_DIRS) and workspace admins register private
ones through the API. All go through this model: a manifest the model refuses is never loaded.
Facts come from each provider's own public documentation (`docs_url`).
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from jsonschema import Draft202012Validator, SchemaError
from pydantic import BaseModel, ConfigDict, Field, HttpUrl, model_validator

TYPE_PATTERN = r"^[a-z][a-z0-9_]{1,62}$"
CATEGORIES = (
    "CRM", "Accounting", "Project Management", "Scheduling", "Documents", "Meetings", "Support", "Messaging",
    "Registry", "Marketing", "Payments", "E-commerce", "Development", "Storage", "Productivity", "Analytics",
    "HR", "Communication", "Forms", "Social", "Advertising", "Sales", "Finance", "Security", "AI",
)
Category = Literal[CATEGORIES]  # type: ignore[valid-type]
HttpMethod = Literal["GET", "POST", "PUT", "PATCH", "DELETE"]
PLACEHOLDER = re.compile(r"\{(\w+)\}")
HEADER_NAME = r"^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,80}$"  # an HTTP token
# Headers neither a manifest nor a caller sets: the HTTP client's own, hop-by-hop ones and the credential's.
RESERVED_HEADERS = frozenset(
    "host authorization proxy-authorization cookie set-cookie content-length transfer-encoding connection keep-alive "
    "te trailer upgrade proxy-connection expect forwarded x-forwarded-for x-forwarded-host x-forwarded-proto "
    "x-real-ip x-http-method-override x-method-override".split())


def placeholders(template: str) -> set[str]:
    """The field names a template holds in braces (`{subdomain}`)."""
    return set(PLACEHOLDER.findall(template))


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
    HTTP basic credentials. `template` names credential fields in braces; with `location: basic` it is
    `username:password` (`{apiKey}:`, `api:{apiKey}`, `{userId}:{apiKey}`): the user is what precedes the first `:`."""

    kind: Literal["api_key"]
    location: Literal["header", "query", "basic"]
    name: str | None = Field(default=None, max_length=80)  # header or query parameter name
    template: str = Field(default="{apiKey}", max_length=200)  # e.g. "Bearer {apiKey}", "Token token={apiKey}"
    fields: tuple[CredentialField, ...] = (CredentialField(name="apiKey", label="API key"),)

    @model_validator(mode="after")
    def _named(self) -> ApiKeyAuth:
        if self.location != "basic" and not self.name:
            raise ValueError("a header or query key needs its `name`")
        if self.location == "basic" and ":" not in self.template:
            raise ValueError("a basic key's template is `username:password` (e.g. `{apiKey}:` for an empty password)")
        if self.location == "header" and self.name and self.name.lower() in RESERVED_HEADERS - {"authorization"}:
            raise ValueError(f"a key cannot travel in the {self.name} header")
        _known(self.template, self.fields, "template")
        return self


def _known(template: str, fields: tuple[CredentialField, ...], what: str) -> None:
    unknown = placeholders(template) - {f.name for f in fields}
    if unknown:
        raise ValueError(f"{what} names unknown fields {sorted(unknown)}")


class BasicAuth(Strict):
    """HTTP basic. `template` is `username:password` over `fields`; without it, `{username}:{password}` when both
    fields exist, else the first non-secret field is the user and the first secret one the password."""

    kind: Literal["basic"]
    fields: tuple[CredentialField, ...] = (CredentialField(name="username", label="Username", secret=False),
                                           CredentialField(name="password", label="Password"))
    template: str | None = Field(default=None, max_length=200)

    @model_validator(mode="after")
    def _pair(self) -> BasicAuth:
        template = self.credentials_template
        if ":" not in template:
            raise ValueError("basic auth's template is `username:password` over its fields")
        _known(template, self.fields, "template")
        return self

    @property
    def credentials_template(self) -> str:
        if self.template is not None:
            return self.template
        names = [f.name for f in self.fields]
        if "username" in names and "password" in names:
            return "{username}:{password}"
        user = next((f.name for f in self.fields if not f.secret), None)
        password = next((f.name for f in self.fields if f.secret), None)
        return f"{{{user}}}:{{{password}}}" if user and password else ""


class TokenRevocation(Strict):
    """What `revoke_url` (a form POST of `token`) cannot say: another method, `{token}` in the path (HubSpot), a JSON
    body, the app's `{client_id}` in the path and its credentials as HTTP basic (GitHub)."""

    method: Literal["POST", "DELETE"] = "POST"
    url: str = Field(pattern=r"^https?://[^/{}@?#]+/[^?#]*$", max_length=300)
    token: Literal["access_token", "refresh_token"] = "access_token"  # which token is revoked
    body: Literal["none", "form", "json"] = "none"  # how the token travels when the path does not hold it
    body_param: str = Field(default="token", pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,40}$")
    client_auth: Literal["none", "basic"] = "none"

    @model_validator(mode="after")
    def _token(self) -> TokenRevocation:
        if placeholders(self.url) - {"token", "client_id"}:
            raise ValueError("a revocation URL holds only {token} and {client_id}")
        if ("{token}" in self.url) == (self.body != "none"):
            raise ValueError("the token travels either in the URL's path ({token}) or in a `body`")
        return self


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
    token_prefix: str = Field(default="Bearer", pattern=r"^[A-Za-z0-9._~+/-]{0,40}$")  # `Authorization: <prefix> <t>`
    token_request: Literal["form", "json"] = "form"  # the token endpoint's body
    revoke: TokenRevocation | None = None  # instead of `revoke_url`, when that is not a form POST of `token`

    @model_validator(mode="after")
    def _grant(self) -> OAuth2Auth:
        if self.kind == "oauth2" and self.authorize_url is None:
            raise ValueError("the authorization code grant needs `authorize_url`")
        if self.revoke is not None and self.revoke_url is not None:
            raise ValueError("a provider revokes with `revoke_url` or `revoke`, not both")
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


QUERY_PARAM = r"^[A-Za-z_][A-Za-z0-9_.\[\]-]{0,60}$"


class Pagination(Strict):
    """How a stream's pages follow each other (the sync service builds an Airbyte paginator from it):
    `page` (a page number in `param`, default `page`, from `start_from`), `offset` (an offset in `param`, default
    `offset`), `cursor` (the answer's `token_path` dot path holds the next token, sent back in `param`, default
    `cursor`; the last page has none), `next_url` (the answer's `token_path` holds the next page's full URL),
    `link` (the `Link: <url>; rel="next"` header), `none` (one request). `size_param` carries `page_size`."""

    style: Literal["none", "page", "offset", "cursor", "next_url", "link"]
    page_size: int = Field(default=100, ge=1, le=10_000)
    param: str | None = Field(default=None, pattern=QUERY_PARAM)
    size_param: str | None = Field(default=None, pattern=QUERY_PARAM)
    token_path: str | None = Field(default=None, max_length=120)
    start_from: int = Field(default=1, ge=0)

    @model_validator(mode="after")
    def _token(self) -> Pagination:
        if (self.style in ("cursor", "next_url")) != (self.token_path is not None):
            raise ValueError("`cursor` and `next_url` pagination name the answer's `token_path`, other styles none")
        return self


ISO_DURATION = r"^P(\d+[YMWD])*(T(\d+[HMS])+)?$"  # P1D, PT30M, P1DT12H


class Incremental(Strict):
    """How a stream's `cursor_field` is read and asked for: its values' strftime format, the query parameter that
    carries the lower bound (none: the records are filtered after fetching), and the first run's lower bound.
    With `step` (an ISO-8601 duration) a read is cut into windows of that length, the upper bound sent in
    `end_param` (inclusive, to `granularity`), and the cursor is checkpointed after each window."""

    datetime_format: str = Field(default="%Y-%m-%dT%H:%M:%SZ", max_length=60)
    request_param: str | None = Field(default=None, pattern=QUERY_PARAM)
    start_date: str = Field(default="1970-01-01T00:00:00Z", max_length=40)
    step: str | None = Field(default=None, pattern=ISO_DURATION)
    end_param: str | None = Field(default=None, pattern=QUERY_PARAM)
    granularity: str = Field(default="PT1S", pattern=ISO_DURATION)

    @model_validator(mode="after")
    def _windows(self) -> Incremental:
        if (self.step is None) != (self.end_param is None) or (self.step and self.request_param is None):
            raise ValueError("windows need `step`, `end_param` and `request_param` together")
        if "P" in (self.step, self.granularity):
            raise ValueError("a duration holds at least one amount (P1D, PT1S)")
        return self


class Stream(Strict):
    """A syncable collection (see the sync service): an Airbyte low-code stream by name."""

    name: str = Field(pattern=r"^[a-z][a-z0-9_]{0,62}$")
    path: str = Field(pattern=r"^/")
    # Other names a sync may ask for it by: a category's unified name (a CRM's `contacts`, `companies`, `deals`).
    aliases: tuple[Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,62}$")], ...] = ()
    primary_key: str = "id"
    cursor_field: str | None = None  # incremental when set
    records_path: str | None = None  # where the records sit in the answer (a dot path), root when None
    description: str | None = Field(default=None, max_length=300)
    pagination: Pagination | None = None  # none: a single request
    incremental: Incremental | None = None  # how `cursor_field` is read and asked for (defaults when None)


class SourceProgram(Strict):
    """Where a provider's streams really come from, instead of `streams` turned into a low-code manifest: a full
    Airbyte low-code manifest file beside this YAML (`manifest`), or a Python Airbyte source from PyPI (`pypi`,
    `airbyte-source-<name>`, pinned by `version`)."""

    manifest: str | None = Field(default=None, pattern=r"^[A-Za-z0-9_.-]{1,120}\.ya?ml$")
    pypi: str | None = Field(default=None, pattern=r"^airbyte-source-[a-z0-9][a-z0-9-]{0,80}$")
    version: str | None = Field(default=None, pattern=r"^[0-9][0-9A-Za-z.+-]{0,40}$")

    @model_validator(mode="after")
    def _one(self) -> SourceProgram:
        if (self.manifest is None) == (self.pypi is None):
            raise ValueError("a source is either a low-code `manifest` file or a `pypi` package")
        if self.version is not None and self.pypi is None:
            raise ValueError("`version` pins a `pypi` package")
        return self


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


class WebhookRegistration(Strict):
    """How a subscription is registered through the provider's API, with the connection's credential (the proxy's
    request building): `path` and `body` may name `{url}` (Junction's incoming URL), `{events}` (a list where it is
    the whole value), `{secret}` (a signing secret Junction generates) and non-secret credential fields; the answer
    gives the registration's id (`id_path`, a dot path) and, where the provider makes the secret, `secret_path`.
    Unregistered on delete with `delete_method` `delete_path` (`{id}`)."""

    method: Literal["POST", "PUT", "PATCH"] = "POST"
    path: str = Field(pattern=r"^/", max_length=300)
    encoding: Literal["json", "form"] = "json"
    body: dict[str, Any] = {}
    id_path: str = Field(default="id", pattern=r"^[A-Za-z0-9_]+(\.[A-Za-z0-9_]+)*$")
    secret_path: str | None = Field(default=None, pattern=r"^[A-Za-z0-9_]+(\.[A-Za-z0-9_]+)*$")
    delete_method: Literal["DELETE", "POST"] = "DELETE"
    delete_path: str = Field(pattern=r"^/.*\{id\}", max_length=300)


class Webhooks(Strict):
    events: tuple[str, ...] = Field(min_length=1)
    signing: WebhookSigning
    subscribe: Literal["api", "manual"] = "manual"  # registered through the provider's API, or by the user
    registration: WebhookRegistration | None = None  # how, for `subscribe: api` (without it: as manual)
    # Where a delivery says its id and event type (`header:<name>` or `body:<dot.path>`); defaults by scheme.
    delivery_id: str | None = Field(default=None, pattern=r"^(header|body):[A-Za-z0-9_.-]{1,100}$")
    event_type: str | None = Field(default=None, pattern=r"^(header|body):[A-Za-z0-9_.-]{1,100}$")
    # How the provider verifies the incoming URL (connections.inbound.handshakes): `meta` (GET hub.challenge with
    # the subscription's verify token), `dropbox` (GET ?challenge= echoed), `asana` (X-Hook-Secret echoed on the
    # first POST, the secret its deliveries are signed with from then on).
    handshake: Literal["meta", "dropbox", "asana"] | None = None


class Manifest(Strict):
    """One provider."""

    type: str = Field(pattern=TYPE_PATTERN)
    name: str = Field(min_length=1, max_length=80)
    description: str = Field(min_length=1, max_length=400)
    categories: tuple[Category, ...] = Field(min_length=1)
    docs_url: HttpUrl
    api_base_url: HttpUrl  # its host may hold `{field}`s naming non-secret credential fields (lowercase: hosts are)
    api_path_prefix: str | None = Field(default=None, pattern=r"^(/[A-Za-z0-9._~{}-]+)+$", max_length=200)
    regions: dict[Annotated[str, Field(pattern=r"^[a-z][a-z0-9_-]{0,30}$")], HttpUrl] = {}  # by the `region` field
    headers: dict[str, str] = {}  # sent with every call besides the credential; values may name fields in braces
    auth: Auth
    test: TestRequest | None = None
    rate_limit: RateLimit | None = None
    streams: tuple[Stream, ...] = ()
    actions: tuple[Action, ...] = ()
    triggers: tuple[Trigger, ...] = ()
    webhooks: Webhooks | None = None
    source: SourceProgram | None = None  # the sync service's source program, when not built from `streams`
    connector_type: str | None = Field(default=None, pattern=r"^[A-Z][A-Z_]{1,40}$")  # pipelines-api type
    # A tenant integration's settings (JSON Schema of an object; `writeOnly` properties are sealed, never shown);
    # without it, the credential fields are the settings (presenters.integrations.settings_schema).
    settings_schema: dict[str, Any] | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Manifest:
        streams = {s.name for s in self.streams}
        names = [name for s in self.streams for name in (s.name, *s.aliases)]
        if len(names) != len(set(names)):
            raise ValueError("each stream name and alias names one stream of the provider")
        for trigger in self.triggers:
            if trigger.stream is not None and trigger.stream not in streams:
                raise ValueError(f"trigger {trigger.name} polls unknown stream {trigger.stream}")
            if trigger.event is not None and (self.webhooks is None or trigger.event not in self.webhooks.events):
                raise ValueError(f"trigger {trigger.name} waits for {trigger.event}, not among the webhook events")
        return self

    @model_validator(mode="after")
    def _requests(self) -> Manifest:
        plain = {f.name for f in self.auth.fields if not f.secret}
        for name, url in (("api_base_url", self.api_base_url), *((f"regions.{r}", u) for r, u in self.regions.items())):
            _check_base(name, url, plain)
        if self.api_path_prefix is not None and placeholders(self.api_path_prefix) - plain:
            unknown = sorted(placeholders(self.api_path_prefix) - plain)
            raise ValueError(f"api_path_prefix names {unknown}, not non-secret credential fields")
        if self.regions and "region" not in plain:
            raise ValueError("a manifest with `regions` declares a non-secret `region` credential field")
        _check_headers(self.headers, self.auth)
        return self

    @model_validator(mode="after")
    def _settings_schema(self) -> Manifest:
        if self.settings_schema is not None:
            _check_settings_schema(self.settings_schema)
        return self

    @property
    def complete(self) -> bool:
        """Auth, a test request, two streams, two actions and a trigger."""
        return self.test is not None and len(self.streams) >= 2 and len(self.actions) >= 2 and bool(self.triggers)


def _check_base(name: str, url: HttpUrl, plain: set[str]) -> None:
    """A base URL's host may hold placeholders, each naming a non-secret field; its path none (the URL type
    percent-encodes braces there: path values go in `api_path_prefix`); no credentials, query or fragment."""
    if url.username or url.password or url.query or url.fragment:
        raise ValueError(f"{name} holds no user, password, query or fragment")
    if "%7B" in (url.path or "").upper():
        raise ValueError(f"{name}'s path holds a placeholder: put path values in `api_path_prefix`")
    unknown = placeholders(url.host or "") - plain
    if unknown:
        raise ValueError(f"{name}'s host names {sorted(unknown)}, not non-secret credential fields (hosts are "
                         "lowercased: name a lowercase field)")


def _check_headers(headers: dict[str, str], auth: ApiKeyAuth | BasicAuth | OAuth2Auth) -> None:
    known = {f.name for f in auth.fields} | ({"client_id"} if isinstance(auth, OAuth2Auth) else set())
    credential = auth.name.lower() if isinstance(auth, ApiKeyAuth) and auth.location == "header" and auth.name else ""
    for name, value in headers.items():
        if not re.fullmatch(HEADER_NAME, name) or name.lower() in RESERVED_HEADERS | {credential}:
            raise ValueError(f"headers: {name!r} is not a header a manifest sets")
        if not value or len(value) > 300 or any(c in value for c in "\r\n\0"):
            raise ValueError(f"headers: {name}'s value is empty, too long or spans lines")
        if placeholders(value) - known:
            raise ValueError(f"headers: {name} names unknown fields {sorted(placeholders(value) - known)}")


def _check_settings_schema(schema: dict[str, Any]) -> None:
    """A JSON Schema (2020-12) of an object."""
    if schema.get("type") != "object":
        raise ValueError("settings_schema is a JSON Schema of type object")
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as exc:
        raise ValueError(f"settings_schema is not a valid JSON Schema: {exc.message}") from None
