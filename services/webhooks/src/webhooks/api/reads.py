"""What every webhooks read needs: the database, the cursor secret and the caller's workspace."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path

from junction_common.web.reads import PREFIX, Caller, Doc, Reads

__all__ = ["PREFIX", "Caller", "DeliveryId", "Doc", "EndpointId", "Reads"]
EndpointId = Annotated[str, Path(max_length=64, pattern=r"^wh_[A-Za-z0-9]+$")]
DeliveryId = Annotated[str, Path(max_length=64, pattern=r"^whd_[A-Za-z0-9]+$")]
