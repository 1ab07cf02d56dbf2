"""Event and command envelopes: the fields every message on the bus carries."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from junction_common.ids import new_ulid


def utcnow() -> datetime:
    return datetime.now(UTC)


class Actor(BaseModel):
    """Who caused a message: an API key, a user, or the system itself."""

    model_config = ConfigDict(frozen=True)

    kind: str = "system"
    id: str = "system"


class EventEnvelope(BaseModel):
    """One immutable fact in a stream; `version` is its position in the stream (from 1)."""

    model_config = ConfigDict(frozen=True)

    event_id: str = Field(default_factory=lambda: "evt_" + new_ulid())
    type: str
    schema_version: int = 1
    stream_id: str
    version: int
    workspace_id: str
    occurred_at: datetime
    command_id: str
    correlation_id: str
    causation_id: str
    actor: Actor = Actor()
    data: dict[str, Any] = Field(default_factory=dict)

    def to_bytes(self) -> bytes:
        return self.model_dump_json().encode()

    @classmethod
    def from_bytes(cls, raw: bytes | str) -> EventEnvelope:
        return cls.model_validate(json.loads(raw))


class CommandEnvelope(BaseModel):
    """A request to change one aggregate, as published by the gateway to `<svc>.commands`."""

    model_config = ConfigDict(frozen=True)

    command_id: str = Field(default_factory=lambda: "cmd_" + new_ulid())
    type: str
    aggregate_id: str
    workspace_id: str
    actor: Actor = Actor()
    request_id: str = ""
    correlation_id: str = ""
    causation_id: str = ""
    traceparent: str | None = None
    issued_at: datetime = Field(default_factory=utcnow)
    data: dict[str, Any] = Field(default_factory=dict)

    def to_bytes(self) -> bytes:
        return self.model_dump_json().encode()

    @classmethod
    def from_bytes(cls, raw: bytes | str) -> CommandEnvelope:
        return cls.model_validate(json.loads(raw))

    def correlation(self) -> str:
        return self.correlation_id or self.request_id or self.command_id

    def derive(self, suffix: str, type: str, aggregate_id: str, data: dict[str, Any]) -> CommandEnvelope:
        """A step of this command on another aggregate; its id derives from ours, so a retry repeats nothing."""
        return CommandEnvelope(command_id=f"{self.command_id}.{suffix}", type=type, aggregate_id=aggregate_id,
                               workspace_id=self.workspace_id, actor=self.actor, request_id=self.request_id,
                               correlation_id=self.correlation(), causation_id=self.command_id,
                               traceparent=self.traceparent, data=data)


class NewEvent(BaseModel):
    """An event a decision produced, before the store gives it a version and an envelope."""

    model_config = ConfigDict(frozen=True)

    type: str
    data: dict[str, Any]
    schema_version: int = 1


def stamp(
    cmd: CommandEnvelope, new: list[NewEvent], stream_id: str, base_version: int, at: datetime
) -> list[EventEnvelope]:
    """Give each new event its envelope: version after `base_version`, ids from the command."""
    return [
        EventEnvelope(
            type=e.type,
            schema_version=e.schema_version,
            stream_id=stream_id,
            version=base_version + i + 1,
            workspace_id=cmd.workspace_id,
            occurred_at=at,
            command_id=cmd.command_id,
            correlation_id=cmd.correlation(),
            causation_id=cmd.command_id,
            actor=cmd.actor,
            data=e.data,
        )
        for i, e in enumerate(new)
    ]
