"""Once-only claims (`flow_trigger_claims`, `_id` = what fired): the first replica to insert a claim does the work,
every other finds it taken. A cron slot, a poll round, a polled item and a poll subscription's baseline are each
claimed once."""

from __future__ import annotations

import time
from typing import Any

from pymongo.errors import DuplicateKeyError

from flows_contracts import triggers as tx
from junction_common.service import ServiceRuntime

Doc = dict[str, Any]


async def claim(runtime: ServiceRuntime, claim_id: str, trigger: Doc, **fields: Any) -> bool:
    """Whether this call took `claim_id` (False: it was taken before)."""
    doc = {"_id": claim_id, "trigger_id": trigger["_id"], "workspace_id": trigger["workspace_id"],
           "claimed_ts": time.time(), **fields}
    try:
        await runtime.db[tx.CLAIMS].insert_one(doc)
    except DuplicateKeyError:
        return False
    return True


async def claimed(runtime: ServiceRuntime, claim_id: str) -> Doc | None:
    doc = await runtime.db[tx.CLAIMS].find_one({"_id": claim_id})
    return dict(doc) if doc is not None else None
