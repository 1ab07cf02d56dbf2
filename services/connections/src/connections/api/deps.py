"""What every internal route of this service depends on."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from junction_common.identity import Principal
from junction_common.internal_api import caller

PREFIX = "/internal"
Caller = Annotated[Principal, Depends(caller)]
