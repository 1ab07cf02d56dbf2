"""Sealing a signing secret: only the service that signs deliveries holds the vault keys.

The gateway sends the secret the caller chose (or that it generated to show once) and puts the sealed form
in the command.
"""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from junction_common.service import ServiceRuntime
from junction_common.vault import Vault, parse_keys
from junction_common.webhook_signing import secret_aad
from webhooks.api.reads import PREFIX, Caller, EndpointId


class SealRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    secret: str = Field(min_length=8, max_length=256)


def router(runtime: ServiceRuntime) -> APIRouter:
    settings = runtime.settings
    vault = Vault(parse_keys(settings.vault_keys), settings.vault_active_key)
    api = APIRouter(prefix=PREFIX)

    @api.post("/v1/webhooks/{endpoint_id}/seal")
    async def seal_secret(endpoint_id: EndpointId, body: SealRequest, principal: Caller) -> dict[str, dict[str, str]]:
        """The secret sealed for this workspace's endpoint (bound to both by the vault's AAD)."""
        sealed = vault.seal(body.secret.encode(), secret_aad(principal.workspace_id, endpoint_id))
        return {"secret_sealed": sealed.to_dict()}

    return api
