"""Table steps through the sync service's internal API (PeerClient, signed as a SERVICE principal of the
workspace): `record.to_table`, row upsert, row lookup."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from flows.steps.errors import StepError, status_kind
from junction_common.web.peers import PeerAnswer, PeerClient, PeerUnavailable


def _answer(answer: PeerAnswer, what: str) -> Any:
    if answer.ok:
        body = answer.body
        return body.get("data", body) if isinstance(body, dict) else body
    error = (answer.body or {}).get("error") if isinstance(answer.body, dict) else None
    error = error if isinstance(error, dict) else {}
    raise StepError(status_kind(answer.status), str(error.get("code") or f"HTTP_{answer.status}"),
                    str(error.get("message") or f"{what} answered {answer.status}"), {"status": answer.status})


class PeerSteps:
    def __init__(self, peers: PeerClient) -> None:
        self.peers = peers

    async def _call(self, method: str, service: str, path: str, workspace_id: str, what: str, key: str,
                    body: Any = None, params: dict[str, str] | None = None) -> Any:
        try:
            answer = await self.peers.call(method, service, path, workspace_id, body=body, params=params,
                                           request_id=f"req_{key}"[:120])
        except PeerUnavailable as exc:
            raise StepError("network", "SERVICE_UNAVAILABLE", str(exc)) from exc
        return _answer(answer, what)

    async def table_upsert(self, workspace_id: str, config: dict[str, Any], key: str, data: Any = None) -> Any:
        row: dict[str, Any] = {"data": data if data is not None else dict(config.get("data") or {})}
        if config.get("key"):
            row["keyColumns"] = [config["key"]]
        slug = quote(str(config["table"]), safe="")
        return await self._call("POST", "sync", f"/connect/v1/tables/{slug}/rows/upsert", workspace_id,
                                "the tables service", key, body=row)

    async def table_lookup(self, workspace_id: str, config: dict[str, Any], key: str) -> Any:
        slug = quote(str(config["table"]), safe="")
        return await self._call("GET", "sync", f"/connect/v1/tables/{slug}/rows/lookup", workspace_id,
                                "the tables service", key,
                                params={"column": str(config["column"]), "value": str(config["value"])})
