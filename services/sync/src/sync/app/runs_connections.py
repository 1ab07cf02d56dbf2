"""The workspace's pipelines connections as the connections service knows them now (its read model is the
authority; this service's own copy follows its events a moment later)."""

from __future__ import annotations

from junction_common.logconfig import get_logger
from junction_common.web.peers import PeerClient, PeerUnavailable

log = get_logger(__name__)
PAGE = 200
MOST = 5_000  # a run-all reads at most this many ids from the connections service


async def listed(peers: PeerClient, workspace_id: str, request_id: str = "") -> list[str]:
    """The ids of the workspace's connections, from the connections service; none when it cannot be reached
    (then only what this service already knows is run)."""
    ids: list[str] = []
    while len(ids) < MOST:
        try:
            answer = await peers.call("GET", "connections", "/api/pipelines/connections", workspace_id,
                                      params={"limit": str(PAGE), "offset": str(len(ids))},
                                      request_id=request_id or None)
        except PeerUnavailable as exc:
            log.warning("connections_list_unavailable", workspace_id=workspace_id, error=str(exc))
            return ids
        if not answer.ok or not isinstance(answer.body, dict):
            log.warning("connections_list_refused", workspace_id=workspace_id, status=answer.status)
            return ids
        page = [str(c["id"]) for c in answer.body.get("connections") or [] if isinstance(c, dict) and "id" in c]
        ids += page
        if len(page) < PAGE or not (answer.body.get("pagination") or {}).get("hasMore"):
            return ids
    return ids
