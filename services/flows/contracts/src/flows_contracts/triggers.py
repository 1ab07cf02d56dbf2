"""connect-api.txt, Flow triggers (`/connect/v1/flows/:flowId/triggers`): the body the edge validates, the trigger
subscription events, their collection.

A subscription says what starts a flow: `kind` is `webhook` (its own URL, optional HMAC secret), `poll` (a
provider's poll trigger on an interval, deduplicated by its stream's primary key), `event` (a Junction event such
as `contact.created`), `cron` (a schedule), `form` (a form's submissions) or `manual` (executeWorkflow only).
Shapes (version 1): `flow_trigger.created` carries `record` (the subscription without its id and timestamps; a
webhook's secret only vault-sealed in `secret_sealed`, its token only as `token_hash`); `flow_trigger.updated`
(config, connection, secret or token changed) and `flow_trigger.deleted` carry `record` (as it is after) and
`changes`.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic.alias_generators import to_camel

from junction_common.contracts.event_types import schemas_of

TRIGGERS = "flow_triggers"  # read model: one document per subscription
CLAIMS = "flow_trigger_claims"  # `_id` = what fired once (a cron slot, a polled item, an event): the dedup claim
SKIPS = "flow_trigger_skips"  # every item a poll did not fire, with its reason
CREATE_TRIGGER = "flow_trigger.create"
DELETE_TRIGGER = "flow_trigger.delete"
UPDATE_TRIGGER = "flow_trigger.update"
TRIGGER_UPDATED = "flow_trigger.updated"
TRIGGER_CREATED = "flow_trigger.created"
TRIGGER_DELETED = "flow_trigger.deleted"
ROTATE_TRIGGER_KEYS = "flow_trigger.rotate_keys"  # its sealed secret re-wrapped under the vault's active key
TRIGGER_KEYS_ROTATED = "flow_trigger.keys_rotated"

Kind = Literal["webhook", "poll", "event", "cron", "form", "manual"]
KINDS: tuple[str, ...] = ("webhook", "poll", "event", "cron", "form", "manual")
MIN_POLL_INTERVAL_S = 1
DEFAULT_POLL_INTERVAL_S = 300
MAX_POLL_PAGES = 100  # a poll round follows the stream's pagination up to `config.maxPages` (default 10) pages
PAGINATION_STYLES = ("none", "page", "offset", "cursor", "next_url", "link")
_CAMEL = ConfigDict(extra="forbid", alias_generator=to_camel, populate_by_name=True)


class TriggerCreate(BaseModel):
    """createFlowTrigger: `{providerType, triggerName, kind, connectionId, config}`; what `config` holds by kind:
    webhook `{secret?, responseHeaders?}`, poll `{intervalSeconds?, fireExisting?, maxPages?}`, event
    `{eventType}`, cron `{cron, timezone?}`, form `{formId}`."""

    model_config = _CAMEL
    kind: Kind
    provider_type: str | None = Field(default=None, min_length=1, max_length=64)
    trigger_name: str | None = Field(default=None, min_length=1, max_length=64)
    connection_id: str | None = Field(default=None, min_length=1, max_length=128)
    config: dict[str, Any] = Field(default_factory=dict, max_length=50)

    @model_validator(mode="after")
    def _by_kind(self) -> TriggerCreate:
        need = {"poll": ("provider_type", "trigger_name")}.get(self.kind, ())
        missing = [to_camel(name) for name in need if getattr(self, name) is None]
        if missing:
            raise ValueError(f"a {self.kind} trigger names its {' and '.join(missing)}")
        return self


class TriggerUpdate(BaseModel):
    """updateFlowTrigger (Junction's own): `config` keys to change (null removes one; a webhook's `secret` is
    rotated by a new value, removed by null), `connectionId` (null: the workspace's latest connection), and
    `rotateToken` (a webhook gets a new URL; otherwise its token stays)."""

    model_config = _CAMEL
    config: dict[str, Any] = Field(default_factory=dict, max_length=50)
    connection_id: str | None = Field(default=None, min_length=1, max_length=128)
    rotate_token: bool = False


class SkipsQuery(BaseModel):
    """listFlowTriggerSkips: how many of the latest skips."""

    model_config = ConfigDict(extra="forbid")
    limit: int = Field(default=50, ge=1, le=500)


class Payload(BaseModel):
    model_config = ConfigDict(extra="forbid")
    schema_version: ClassVar[int] = 1


class SealedSecret(BaseModel):
    """A webhook secret as one vault ciphertext: never shown."""

    model_config = ConfigDict(extra="forbid")
    kid: str
    wrapped_key: str
    nonce: str
    ciphertext: str


class TriggerRecord(BaseModel):
    """A subscription as the API shows it (camelCase on the wire), less its id and timestamps; internal fields
    (`token_hash`, `secret_sealed`) are never shown."""

    model_config = ConfigDict(extra="forbid")
    flow_id: str
    kind: Kind
    provider_type: str | None = None
    trigger_name: str | None = None
    connection_id: str | None = None
    config: dict[str, Any] = {}
    status: Literal["active", "deleted"] = "active"
    has_secret: bool = False
    # A provider's webhook trigger: the provider's event type it fires on (its manifest's `event`); None for
    # every event of the provider.
    provider_event: str | None = None
    token_hash: str | None = None
    secret_sealed: SealedSecret | None = None


class TriggerDeletedChanges(BaseModel):
    model_config = ConfigDict(extra="forbid")
    status: Literal["deleted"] = "deleted"


class TriggerUpdatedChanges(BaseModel):
    """What an update sets, each as its whole new value."""

    model_config = ConfigDict(extra="forbid")
    config: dict[str, Any]
    connection_id: str | None = None
    has_secret: bool = False
    token_hash: str | None = None
    secret_sealed: SealedSecret | None = None


class TriggerUpdated(Payload):
    """A subscription's configuration (connection, webhook secret or token) changed; what it fires from now on."""

    record: TriggerRecord
    changes: TriggerUpdatedChanges


class TriggerCreated(Payload):
    """A flow got a trigger subscription."""

    record: TriggerRecord


class TriggerDeleted(Payload):
    """A trigger subscription was removed: nothing starts the flow through it any more."""

    record: TriggerRecord
    changes: TriggerDeletedChanges


class TriggerKeysRotatedChanges(BaseModel):
    model_config = ConfigDict(extra="forbid")
    secret_sealed: SealedSecret


class TriggerKeysRotated(Payload):
    """Its sealed secret was re-wrapped under the vault's active key (`junction keys rotate`; the secret, and so
    the signatures it checks, are unchanged)."""

    record: TriggerRecord
    changes: TriggerKeysRotatedChanges


EVENT_MODELS: dict[str, type[Payload]] = {TRIGGER_CREATED: TriggerCreated, TRIGGER_DELETED: TriggerDeleted,
                                          TRIGGER_KEYS_ROTATED: TriggerKeysRotated, TRIGGER_UPDATED: TriggerUpdated}
INTERNAL_FIELDS = ("token_hash", "secret_sealed")


def json_schemas() -> list[dict[str, Any]]:
    return schemas_of(EVENT_MODELS)
