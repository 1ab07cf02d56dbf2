"""The webhooks service's internal API: operations the gateway asks for synchronously.

Sealing a signing secret happens here, not at the edge: only the service that signs deliveries holds the
vault keys. The gateway sends the secret the caller chose (or that it generated to show once) and puts
the sealed form in the command.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path
from pydantic import BaseModel, ConfigDict, Field

from junction_common.identity import Principal
from junction_common.internal_api import caller
from junction_common.service import ServiceRuntime
from junction_common.vault import Vault, parse_keys
from junction_common.webhook_signing import secret_aad


class SealRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    secret: str = Field(min_length=8, max_length=256)


def internal_routers(runtime: ServiceRuntime) -> list[APIRouter]:
    settings = runtime.settings
    vault = Vault(parse_keys(settings.vault_keys), settings.vault_active_key)
    router = APIRouter()

    @router.post("/internal/v1/webhooks/{endpoint_id}/seal")
    async def seal_secret(
        endpoint_id: Annotated[str, Path(max_length=64, pattern=r"^wh_[A-Za-z0-9]+$")], body: SealRequest,
        principal: Annotated[Principal, Depends(caller)],
    ) -> dict[str, dict[str, str]]:
        """The secret sealed for this workspace's endpoint (bound to both by the vault's AAD)."""
        sealed = vault.seal(body.secret.encode(), secret_aad(principal.workspace_id, endpoint_id))
        return {"secret_sealed": sealed.to_dict()}

    return [router]
