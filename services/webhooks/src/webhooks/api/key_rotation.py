"""`POST /internal/runtime/keys/rotate` (`junction keys rotate`): every live endpoint's sealed signing secrets (the
current one and the previous ones still valid), and every provider webhook forwarding target's sealed secret,
re-wrapped under the vault's active key.

Only a SERVICE principal of workspace `*` (the CLI's call) is served. Re-wrapping keeps each secret's ciphertext
and replaces only its wrapped data key, so the secret, and every signature a receiver checks, is unchanged. The
change is the event `webhook_endpoint.keys_rotated`, decided against the endpoint's events: a secret replaced
meanwhile (sealed under the active key already) is left as it is. A forwarding target is operational state (not
event-sourced): its secret is re-wrapped in place by a guarded update. Answer `{"service", "active_key",
"rotated", "current", "failed", "kinds": {"endpoints": {...}, "forward_targets": {...}}}`.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from junction_common.envelope import Actor, CommandEnvelope
from junction_common.ids import new_ulid
from junction_common.logconfig import get_logger
from junction_common.service import ServiceRuntime
from junction_common.store.outcomes import SUCCEEDED
from junction_common.vault import SealedSecret, Vault, VaultError, parse_keys
from junction_common.web.envelope import request_id_of
from junction_common.web.peers import SERVICE_ROLE
from webhooks.api.reads import PREFIX, Caller
from webhooks.provider_forwarding.targets import FORWARD_TARGETS
from webhooks_contracts import declarations as wh

log = get_logger(__name__)
Doc = dict[str, Any]
ANY_WORKSPACE = "*"
SETTLE_TIMEOUT_S = 10.0


class RotationFailed(Exception):
    """The re-wrap of one endpoint was not recorded."""


class EndpointKeyRotation:
    def __init__(self, runtime: ServiceRuntime) -> None:
        settings = runtime.settings
        self.runtime = runtime
        self.vault = Vault(parse_keys(settings.vault_keys), settings.vault_active_key)

    def _rewrap(self, sealed: Doc) -> Doc:
        return self.vault.rewrap(SealedSecret.from_dict(sealed)).to_dict()

    def rewrapped(self, doc: Doc) -> Doc:
        """The endpoint's sealed secrets not under the active key, re-wrapped under it."""
        active, data = self.vault.active_kid, Doc()
        if doc.get("secret_sealed") and doc["secret_sealed"].get("kid") != active:
            data["secret_sealed"] = self._rewrap(doc["secret_sealed"])
        previous = doc.get("previous_secrets") or []
        if any(s["secret_sealed"].get("kid") != active for s in previous):
            data["previous_secrets"] = [{**s, "secret_sealed": self._rewrap(s["secret_sealed"])} for s in previous]
        return data

    async def rotate(self, request_id: str) -> Doc:
        """Every live endpoint and forwarding target of every workspace: how many were re-wrapped, already
        current, or failed (in all, and by kind)."""
        run_id = f"{request_id}.rotate.{new_ulid()}"  # a later rotation (another key) is never taken for a repeat
        kinds = {"endpoints": await self._endpoints(run_id), "forward_targets": await self._targets()}
        failed = [i for tally in kinds.values() for i in tally["failed"]]
        totals: Doc = {"rotated": sum(t["rotated"] for t in kinds.values()),
                       "current": sum(t["current"] for t in kinds.values()), "failed": failed}
        log.info("key_rotation_done", active_key=self.vault.active_kid, rotated=totals["rotated"],
                 current=totals["current"], failed=len(failed))
        return {"active_key": self.vault.active_kid, **totals, "kinds": kinds}

    async def _endpoints(self, run_id: str) -> Doc:
        tally: Doc = {"rotated": 0, "current": 0, "failed": []}
        for doc in await self.runtime.db[wh.ENDPOINTS].find({"deleted": False}).to_list():
            try:
                data = self.rewrapped(doc)
                if not data:
                    tally["current"] += 1
                    continue
                await self._run(run_id, doc, data)
                tally["rotated"] += 1
            except (VaultError, RotationFailed) as exc:
                log.warning("key_rotation_failed", endpoint_id=doc["_id"], error=type(exc).__name__)
                tally["failed"].append(doc["_id"])
        return tally

    async def _targets(self) -> Doc:
        """Provider webhook forwarding targets (operational state, kept from the connections service's events):
        each secret re-wrapped in place, only if it is still the one read (a newer delivery may have replaced it)."""
        tally: Doc = {"rotated": 0, "current": 0, "failed": []}
        targets = self.runtime.db[FORWARD_TARGETS]
        for doc in await targets.find({"deleted": False}).to_list():
            held = doc.get("secret_sealed")
            if not held or held.get("kid") == self.vault.active_kid:
                tally["current"] += 1
                continue
            try:
                await targets.update_one({"_id": doc["_id"], "secret_sealed.kid": held["kid"],
                                          "secret_sealed.ciphertext": held["ciphertext"]},
                                         {"$set": {"secret_sealed": self._rewrap(held)}})
                tally["rotated"] += 1
            except VaultError as exc:
                log.warning("key_rotation_failed", target_id=doc["_id"], error=type(exc).__name__)
                tally["failed"].append(doc["_id"])
        return tally

    async def _run(self, run_id: str, doc: Doc, data: Doc) -> None:
        """Decide and append the re-wrap through this service's executor; return once the read model shows it."""
        runtime = self.runtime
        cmd = CommandEnvelope(command_id=f"cmd_{run_id}.{doc['_id']}", type=wh.ROTATE_KEYS, aggregate_id=doc["_id"],
                              workspace_id=doc["workspace_id"], actor=Actor(kind="system", id="keys_rotate"),
                              request_id=run_id, correlation_id=run_id, data=data)
        await runtime.executor.execute(cmd, await runtime.spec.decider_for(cmd, runtime.db))
        outcome = await runtime.outcomes.get(cmd.command_id, doc["workspace_id"])
        if outcome is None or outcome["status"] != SUCCEEDED:
            raise RotationFailed(str((outcome or {}).get("error")))
        await runtime.waits.readable(runtime.db.name, wh.ENDPOINTS, doc["_id"], outcome["version"], SETTLE_TIMEOUT_S)


def router(runtime: ServiceRuntime) -> APIRouter:
    api = APIRouter(prefix=PREFIX + "/runtime")
    rotation = EndpointKeyRotation(runtime)

    @api.post("/keys/rotate")
    async def rotate_keys(request: Request, principal: Caller) -> Response:
        """Re-wrap every endpoint's sealed secrets under the active vault key."""
        if principal.role != SERVICE_ROLE or principal.workspace_id != ANY_WORKSPACE:
            log.warning("runtime_route_refused", role=principal.role, key_id=principal.key_id)
            return JSONResponse({"error": "FORBIDDEN"}, status_code=403)
        summary = await rotation.rotate(request_id_of(request) or "keys")
        return JSONResponse({"service": wh.SERVICE, **summary})

    return api
