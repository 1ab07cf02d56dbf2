"""What a domain decision may use: the rejection it raises and the decider signature. Pure, no I/O."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from junction_common.envelope import CommandEnvelope, EventEnvelope, NewEvent

Decider = Callable[[CommandEnvelope, list[EventEnvelope]], list[NewEvent]]


@dataclass
class CommandRejected(Exception):
    """The domain refused the command; `code` is one of the API's error codes."""

    code: str
    message: str
    details: dict[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"

    def as_error(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, "details": self.details}


def rejecting(error: CommandRejected) -> Decider:
    """A decision that refuses with `error` (to record a rejection found before deciding)."""

    def decide(_: CommandEnvelope, __: list[EventEnvelope]) -> list[NewEvent]:
        raise error

    return decide
