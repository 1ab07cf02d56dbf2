"""Provider actions as a component of the flows service: the manifest's actions read from the connections service,
and each execution made once per idempotency key.

Once: the key's run is claimed in `provider_action_runs` (`_id` = the key) before the call; a key whose run
completed answers its recorded outcome without calling again; a claim left by a crash mid-call is called again
with the same `Idempotency-Key` header, so the provider (which sees that header on every attempt) can tell.
"""

from __future__ import annotations

import hashlib
import time
from typing import Any
from urllib.parse import quote

from pymongo.errors import DuplicateKeyError

from flows.actions.request import input_errors, proxy_body
from flows_contracts.actions import EXECUTIONS
from junction_common.logconfig import get_logger
from junction_common.service import ServiceRuntime
from junction_common.web.envelope import ApiError
from junction_common.web.peers import PeerClient, PeerUnavailable

log = get_logger(__name__)
Doc = dict[str, Any]
CONNECTIONS = "connections"
CONNECT = "/connect/v1"


class ProviderActions:
    """List and execute provider actions for a workspace, through the connections service."""

    def __init__(self, runtime: ServiceRuntime) -> None:
        self.runtime = runtime
        self.peers = PeerClient(runtime.settings, caller="flows")

    async def prepare(self) -> None:
        return None

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        await self.peers.close()

    async def provider(self, workspace_id: str, provider_type: str) -> Doc:
        """The provider's manifest view (connect-api's getProvider `data`); NOT_FOUND when unknown."""
        answer = await self._peer("GET", f"{CONNECT}/providers/{provider_type}", workspace_id)
        if answer.status == 404:
            raise ApiError("NOT_FOUND", "Provider not found.", {"providerType": provider_type})
        if not answer.ok or not isinstance(answer.body, dict):
            raise ApiError("SERVICE_UNAVAILABLE", "The provider catalogue could not be read.",
                           {"status": answer.status}, status=503)
        data: Doc = answer.body.get("data") or {}
        return data

    async def has_connection(self, workspace_id: str, connection_id: str) -> bool:
        """Whether the workspace holds this connection (the connections service answers for its own workspace)."""
        answer = await self._peer("GET", f"/api/pipelines/connections/{quote(connection_id, safe='')}", workspace_id)
        if answer.status >= 500:
            raise ApiError("SERVICE_UNAVAILABLE", "The connections service could not say.", {"status": answer.status},
                           status=503)
        return bool(answer.ok)

    async def actions(self, workspace_id: str, provider_type: str) -> list[Doc]:
        return list((await self.provider(workspace_id, provider_type)).get("actions") or [])

    async def action(self, workspace_id: str, provider_type: str, name: str) -> Doc:
        found = next((a for a in await self.actions(workspace_id, provider_type) if a.get("name") == name), None)
        if found is None:
            raise ApiError("NOT_FOUND", "The provider has no such action.",
                           {"providerType": provider_type, "actionName": name})
        return found

    async def execute(self, workspace_id: str, provider_type: str, name: str, inputs: Doc,
                      idempotency_key: str) -> Doc:
        """Check the inputs against the action's schema, then call the provider once for this key:
        `{action, providerType, status, output, idempotencyKey}` (`output` is the provider's answer body)."""
        action = await self.action(workspace_id, provider_type, name)
        errors = input_errors(action.get("inputSchema") or {"type": "object"}, inputs)
        if errors:
            raise ApiError("VALIDATION_ERROR", "The inputs do not match the action's input schema.",
                           {"errors": errors, "actionName": name})
        run_id = _run_id(workspace_id, idempotency_key)
        done = await self._claim(run_id, workspace_id, provider_type, name)
        if done is not None:
            return done
        answer = await self._peer("POST", f"{CONNECT}/proxy/{provider_type}", workspace_id,
                                  body=proxy_body(action, inputs, idempotency_key))
        result = _result(provider_type, name, idempotency_key, answer.status, answer.body)
        await self.runtime.db[EXECUTIONS].update_one(
            {"_id": run_id}, {"$set": {"state": "completed", "result": result, "completed_ts": time.time()}})
        log.info("provider_action_executed", provider=provider_type, action=name, status=result["status"],
                 workspace_id=workspace_id)
        return result

    async def proxy(self, workspace_id: str, provider_type: str, body: Doc) -> tuple[Any, Doc]:
        """The provider's answer body and safe headers to one proxied call (a refusal, or a provider error
        status, raised)."""
        answer = await self._peer("POST", f"{CONNECT}/proxy/{provider_type}", workspace_id, body=body)
        result = _result(provider_type, "", "", answer.status, answer.body)
        if not isinstance(result["status"], int) or result["status"] >= 400:
            raise ApiError("INTERNAL_ERROR", "The provider answered with an error.",
                           {"providerType": provider_type, "status": result["status"]}, status=502)
        headers = ((answer.body or {}).get("data") or {}).get("headers")
        return result["output"], headers if isinstance(headers, dict) else {}

    async def _claim(self, run_id: str, workspace_id: str, provider_type: str, name: str) -> Doc | None:
        """The recorded result of a completed run of this key, or None once this call holds the claim."""
        runs = self.runtime.db[EXECUTIONS]
        try:
            await runs.insert_one({"_id": run_id, "workspace_id": workspace_id, "provider_type": provider_type,
                                   "action": name, "state": "running", "claimed_ts": time.time()})
            return None
        except DuplicateKeyError:
            doc = await runs.find_one({"_id": run_id})
        if doc is not None and doc.get("state") == "completed":
            log.info("provider_action_repeated", provider=provider_type, action=name, workspace_id=workspace_id)
            result: Doc = doc["result"]
            return result
        return None

    async def _peer(self, method: str, path: str, workspace_id: str, body: Any = None) -> Any:
        try:
            return await self.peers.call(method, CONNECTIONS, path, workspace_id, body=body)
        except PeerUnavailable as exc:
            raise ApiError("SERVICE_UNAVAILABLE", "The connections service is unavailable.",
                           {"service": CONNECTIONS}, status=503) from exc


def _run_id(workspace_id: str, key: str) -> str:
    return "act_" + hashlib.sha256(f"{workspace_id}\n{key}".encode()).hexdigest()[:40]


def _result(provider_type: str, name: str, key: str, status: int, body: Any) -> Doc:
    """The proxy's answer as the action's outcome; a proxy refusal (no connection, rate limited) is raised."""
    if status >= 400 or not isinstance(body, dict) or not body.get("success"):
        error = (body or {}).get("error") if isinstance(body, dict) else None
        error = error or {"code": "INTERNAL_ERROR", "message": "The provider call failed.", "details": None}
        raise ApiError(error.get("code", "INTERNAL_ERROR"), error.get("message", ""), error.get("details"),
                       status=status if status >= 400 else 502)
    data = body.get("data") or {}
    return {"action": name, "providerType": provider_type, "status": data.get("status"),
            "output": data.get("body"), "idempotencyKey": key}
