"""`POST /internal/runtime/keys/rotate` (`junction keys rotate`): every live webhook trigger's sealed HMAC secret
re-wrapped under the vault's active key.

Only a SERVICE principal of workspace `*` (the CLI's call) is served. Re-wrapping keeps the secret's ciphertext and
replaces only its wrapped data key, so the secret a sender signs with is unchanged. The change is the event
`flow_trigger.keys_rotated`, decided against the trigger's events: a secret that is no longer the one read is left
as it is. Answer `{"service", "active_key", "rotated", "current", "failed", "kinds": {"webhook_triggers": ...}}`.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response

from flows.forms.commands import run_command
from flows_contracts import declarations as decl
from flows_contracts import triggers as tx
from junction_common.identity import Principal
from junction_common.ids import new_ulid
from junction_common.internal_api import caller
from junction_common.logconfig import get_logger
from junction_common.service import ServiceRuntime
from junction_common.vault import SealedSecret, Vault, VaultError, parse_keys
from junction_common.web.envelope import ApiError, request_id_of
from junction_common.web.peers import SERVICE_ROLE, service_principal

log = get_logger(__name__)
Doc = dict[str, Any]
ANY_WORKSPACE = "*"
Caller = Annotated[Principal, Depends(caller)]


class TriggerKeyRotation:
    def __init__(self, runtime: ServiceRuntime) -> None:
        settings = runtime.settings
        self.runtime = runtime
        self.vault = Vault(parse_keys(settings.vault_keys), settings.vault_active_key)

    async def rotate(self, request_id: str) -> Doc:
        """Every live webhook trigger with a secret: how many were re-wrapped, already current, or failed."""
        run_id, rotated, current, failed = f"{request_id}.rotate.{new_ulid()}", 0, 0, []
        for doc in await self.runtime.db[tx.TRIGGERS].find({"status": "active"}).to_list():
            held = doc.get("secret_sealed")
            if not held:
                continue
            if held.get("kid") == self.vault.active_kid:
                current += 1
                continue
            try:
                data = {"secret_sealed": self.vault.rewrap(SealedSecret.from_dict(held)).to_dict()}
                await run_command(self.runtime, service_principal(doc["workspace_id"], "keys"), run_id,
                                  tx.ROTATE_TRIGGER_KEYS, doc["_id"], data, tx.TRIGGERS)
                rotated += 1
            except (VaultError, ApiError) as exc:
                log.warning("key_rotation_failed", trigger_id=doc["_id"], error=type(exc).__name__)
                failed.append(doc["_id"])
        log.info("key_rotation_done", active_key=self.vault.active_kid, rotated=rotated, current=current,
                 failed=len(failed))
        tally = {"rotated": rotated, "current": current, "failed": failed}
        return {"active_key": self.vault.active_kid, **tally, "kinds": {"webhook_triggers": tally}}


def router(runtime: ServiceRuntime) -> APIRouter:
    api = APIRouter(prefix="/internal/runtime")
    rotation = TriggerKeyRotation(runtime)

    @api.post("/keys/rotate")
    async def rotate_keys(request: Request, principal: Caller) -> Response:
        """Re-wrap every webhook trigger's sealed secret under the active vault key."""
        if principal.role != SERVICE_ROLE or principal.workspace_id != ANY_WORKSPACE:
            log.warning("runtime_route_refused", role=principal.role, key_id=principal.key_id)
            return JSONResponse({"error": "FORBIDDEN"}, status_code=403)
        summary = await rotation.rotate(request_id_of(request) or "keys")
        return JSONResponse({"service": decl.SERVICE, **summary})

    return api
