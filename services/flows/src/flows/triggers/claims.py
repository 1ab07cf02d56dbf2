"""Once-only claims (`flow_trigger_claims`, `_id` = what fired): the first replica to insert a claim does the work,
every other finds it taken. A cron slot, a poll round, a polled item and a poll subscription's baseline are each
claimed once.

A claim that starts an execution is marked `started` once the start is published; one left unmarked (its
replica died between the claim and the start) is started again by whoever finds it later: the start's key is the
claim's, so the execution is still one."""

from __future__ import annotations

import time
from typing import Any

from pymongo.errors import DuplicateKeyError

from flows_contracts import triggers as tx
from junction_common.service import ServiceRuntime

Doc = dict[str, Any]
ABANDONED_AFTER_S = 15.0  # longer than a start takes to publish


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


async def mark_started(runtime: ServiceRuntime, claim_id: str) -> None:
    await runtime.db[tx.CLAIMS].update_one({"_id": claim_id}, {"$set": {"started": True}})


def abandoned(doc: Doc | None, now: float) -> bool:
    """A claim meant to start an execution whose start was never marked, older than the grace period."""
    return (doc is not None and doc.get("started") is False
            and float(doc.get("claimed_ts", now)) < now - ABANDONED_AFTER_S)
