"""Runs a step with an effect outside the flow, by node type, with the attempt's idempotency key
(`<execution>:<step>:<attempt>`): the output, or a StepError."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flows.actions.runner import ProviderActions
from flows.steps.crm import CrmSteps
from flows.steps.errors import StepError, status_kind
from flows.steps.http import HttpSteps
from flows.steps.peers import PeerSteps
from junction_common.web.envelope import ApiError


@dataclass(frozen=True)
class EffectCall:
    workspace_id: str
    execution_id: str
    key: str  # the step key
    attempt: int
    node_type: str
    input: dict[str, Any]  # the node's config, rendered

    @property
    def idempotency_key(self) -> str:
        return f"{self.execution_id}:{self.key}:{self.attempt}"


class Effects:
    def __init__(self, http: HttpSteps, crm: CrmSteps, peers: PeerSteps, actions: Callable[[], ProviderActions]
                 ) -> None:
        self.http, self.crm, self.peers, self.actions = http, crm, peers, actions

    async def _action(self, workspace_id: str, config: dict[str, Any], key: str) -> Any:
        """A provider action through the connections service's proxy, once per key (flows.actions)."""
        try:
            result = await self.actions().execute(workspace_id, str(config["provider"]), str(config["action"]),
                                                  dict(config.get("inputs") or {}), key)
        except ApiError as exc:
            kind = "config" if exc.code in ("VALIDATION_ERROR", "NOT_FOUND") else status_kind(exc.status)
            raise StepError(kind, exc.code, exc.message, {"details": exc.details}) from exc
        status = result.get("status")
        if isinstance(status, int) and status >= 400:
            raise StepError(status_kind(status), f"HTTP_{status}", f"the provider answered {status}",
                            {"output": result.get("output")})
        return result

    async def run(self, call: EffectCall) -> Any:
        config, key, ws = call.input, call.idempotency_key, call.workspace_id
        match call.node_type:
            case "http_request":
                return await self.http.request(config, key)
            case "crm_create" | "crm_update":
                return await self.crm.write(ws, config, call.node_type == "crm_update", key, call.execution_id)
            case "provider_action":
                return await self._action(ws, config, key)
            case "table_upsert":
                return await self.peers.table_upsert(ws, config, key)
            case "table_lookup":
                return await self.peers.table_lookup(ws, config, key)
            case "record.to_table":
                return await self.peers.table_upsert(ws, config, key, data=config.get("record"))
        raise StepError("config", "UNKNOWN_STEP", f"no runner for {call.node_type}")

    async def close(self) -> None:
        await self.http.close()
