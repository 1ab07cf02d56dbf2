"""What a service's internal read routes depend on: the caller's identity, and the service's read models with
the secret its cursors are signed with."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends
from pymongo.asynchronous.database import AsyncDatabase

from junction_common.identity import Principal
from junction_common.internal_api import caller
from junction_common.service import ServiceRuntime

Doc = dict[str, Any]
PREFIX = "/internal"  # every internal route sits below it, at the public path
Caller = Annotated[Principal, Depends(caller)]


@dataclass(frozen=True)
class Reads:
    db: AsyncDatabase[Doc]
    cursor_secret: str

    @classmethod
    def of(cls, runtime: ServiceRuntime) -> Reads:
        return cls(runtime.db, runtime.settings.signing_secret)
