"""Audit trail of sensitive operations (keys, members, secrets): who did what, when, from which request."""

from __future__ import annotations

from typing import Any

from gateway.deps import Resources
from junction_common.envelope import utcnow
from junction_common.identity import Principal
from junction_common.ids import new_id


async def record(res: Resources, principal: Principal, action: str, target: str, request_id: str,
                 details: dict[str, Any] | None = None) -> None:
    await res.gateway_db["audit_log"].insert_one({
        "_id": new_id("aud"),
        "workspace_id": principal.workspace_id,
        "actor": {"kind": "api_key", "id": principal.key_id, "role": principal.role},
        "action": action,
        "target": target,
        "request_id": request_id,
        "details": details or {},
        "at": utcnow(),
    })
