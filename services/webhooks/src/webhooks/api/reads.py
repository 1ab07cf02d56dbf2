"""What every webhooks read needs: the database, the cursor secret and the caller's workspace."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Path
from pymongo.asynchronous.database import AsyncDatabase

from junction_common.identity import Principal
from junction_common.internal_api import caller
from junction_common.service import ServiceRuntime

Doc = dict[str, Any]
PREFIX = "/internal"
Caller = Annotated[Principal, Depends(caller)]
EndpointId = Annotated[str, Path(max_length=64, pattern=r"^wh_[A-Za-z0-9]+$")]
DeliveryId = Annotated[str, Path(max_length=64, pattern=r"^whd_[A-Za-z0-9]+$")]


@dataclass(frozen=True)
class Reads:
    db: AsyncDatabase[Doc]
    cursor_secret: str

    @classmethod
    def of(cls, runtime: ServiceRuntime) -> Reads:
        return cls(runtime.db, runtime.settings.signing_secret)
