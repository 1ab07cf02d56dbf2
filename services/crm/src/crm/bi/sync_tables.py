"""A sync table as a BI source: its columns and rows, asked of the sync service's internal API (its JSON export)
as a service principal of the caller's workspace; the crm never reads the sync service's database."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from junction_common.web.envelope import ApiError
from junction_common.web.peers import PeerClient, PeerUnavailable

Doc = dict[str, Any]
SYNC = "sync"


@dataclass(frozen=True)
class SyncTable:
    columns: list[Doc]  # [{"name", "type"}]
    rows: list[Doc]


class SyncTables:
    def __init__(self, peers: PeerClient) -> None:
        self.peers = peers

    async def read(self, workspace_id: str, slug: str, scan_limit: int) -> SyncTable:
        """The table's columns and rows; NOT_FOUND when the workspace has no such table, more rows than
        `scan_limit` a VALIDATION_ERROR."""
        try:
            answer = await self.peers.call("GET", SYNC, f"/connect/v1/tables/{slug}/export", workspace_id,
                                           params={"format": "json"})
        except PeerUnavailable as exc:
            raise ApiError("SERVICE_UNAVAILABLE", "The sync service could not be reached.",
                           {"dependency": SYNC}) from exc
        if answer.status == 404:
            raise ApiError("NOT_FOUND", "The sync table could not be found.", {"source": f"sync.{slug}"})
        if not answer.ok or not isinstance(answer.body, dict):
            raise ApiError("SERVICE_UNAVAILABLE", "The sync service did not give the table.",
                           {"dependency": SYNC, "status": answer.status})
        data = answer.body["data"]
        if len(data["rows"]) > scan_limit:
            raise ApiError("VALIDATION_ERROR", f"More than {scan_limit} rows in the sync table.",
                           {"pointer": "/source", "scan_limit": scan_limit})
        return SyncTable(list(data["columns"]), list(data["rows"]))
