"""A step's failure, with the kind a retry policy names (timeout, network, http_5xx, http_4xx, http_429,
template, any)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class StepError(Exception):
    kind: str
    code: str
    message: str
    details: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "code": self.code, "message": self.message, "details": self.details}


def status_kind(status: int) -> str:
    """The kind of failure an HTTP status is."""
    return "http_429" if status == 429 else "http_5xx" if status >= 500 else "http_4xx"
