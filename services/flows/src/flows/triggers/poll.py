"""Poll triggers: the provider's poll trigger names a stream; each round (one per `intervalSeconds`, claimed so one
replica polls) reads the stream through the connections proxy, page after page as its pagination says
(flows.triggers.pages, up to `maxPages`), with the subscription's connection (`connectionId`, on the
subscription or in its config; default: the workspace's latest of the provider), and starts the flow once per new
item, new meaning its primary key (the stream's `primary_key`) was never seen by this subscription.

The first round is the baseline: the items already there are recorded as seen, not fired (`config.fireExisting`
true fires them). Every item a round does not fire is recorded in `flow_trigger_skips` with its reason
(`already_seen`, `baseline`, `no_id`), so re-publishing old items never re-fires them and one can see why. An item
claimed by a round that died before starting its execution is started by a later round (flows.triggers.claims).
"""

from __future__ import annotations

import time
from typing import Any

from flows.actions.runner import ProviderActions
from flows.triggers.claims import abandoned, claim, claimed, mark_started
from flows.triggers.pages import MAX_ITEMS, Paging, max_pages, records_of, with_query
from flows.triggers.starts import execution_id_for, start_execution
from flows_contracts import triggers as tx
from junction_common.logconfig import get_logger
from junction_common.service import ServiceRuntime

log = get_logger(__name__)
Doc = dict[str, Any]


def round_of(trigger: Doc, now: float) -> int:
    interval = int((trigger.get("config") or {}).get("intervalSeconds", tx.DEFAULT_POLL_INTERVAL_S))
    return int(now // max(interval, tx.MIN_POLL_INTERVAL_S))


class Poller:
    def __init__(self, runtime: ServiceRuntime) -> None:
        self.runtime = runtime

    async def poll_due(self, trigger: Doc, now: float) -> list[str]:
        """Poll the trigger if its round is due and no replica took it: the executions started."""
        if not await claim(self.runtime, f"poll:{trigger['_id']}:{round_of(trigger, now)}", trigger):
            return []
        try:
            return await self.poll(trigger, now)
        except Exception as exc:  # a provider or peer failure: the next round tries again
            log.warning("flow_poll_failed", trigger_id=trigger["_id"], error=type(exc).__name__, detail=str(exc))
            return []

    async def poll(self, trigger: Doc, now: float) -> list[str]:
        items = await self._read(trigger)
        baseline = not (trigger.get("config") or {}).get("fireExisting") and \
            await claim(self.runtime, f"baseline:{trigger['_id']}", trigger)
        started: list[str] = []
        for item, item_id in items:
            reason = await self._skip_reason(trigger, item_id, baseline)
            if reason is not None:
                await self._skipped(trigger, item_id, reason, now)
                continue
            key = f"poll:{trigger['_id']}:{item_id}"
            started.append(await start_execution(self.runtime, trigger["workspace_id"], trigger["flow_id"], "poll",
                                                 item, trigger["_id"], key))
            await mark_started(self.runtime, f"item:{trigger['_id']}:{item_id}")
        log.info("flow_polled", trigger_id=trigger["_id"], items=len(items), started=len(started),
                 baseline=baseline)
        return started

    async def _read(self, trigger: Doc) -> list[tuple[Doc, str | None]]:
        """The stream's records, page after page (at most `maxPages`, `MAX_ITEMS`), each with its id."""
        actions = self.runtime.component(ProviderActions)
        provider = await actions.provider(trigger["workspace_id"], trigger["provider_type"])
        spec = next(t for t in provider.get("triggers") or [] if t.get("name") == trigger["trigger_name"])
        stream = next(s for s in provider.get("streams") or [] if s.get("name") == spec.get("stream"))
        config = trigger.get("config") or {}
        paging = Paging.of(stream.get("pagination") or config.get("pagination"))
        records_path = stream.get("recordsPath") or config.get("recordsPath")
        connection_id = trigger.get("connection_id") or config.get("connectionId")
        path, query, records = str(stream["path"]), paging.first(), list[Doc]()
        for _ in range(max_pages(config)):
            call = {"method": "GET", "path": with_query(path, query),
                    **({"connectionId": connection_id} if connection_id else {})}
            body, headers = await actions.proxy(trigger["workspace_id"], trigger["provider_type"], call)
            page = records_of(body, stream["name"], records_path)
            records.extend(page)
            following = paging.next(query, body, headers, len(page), str(provider.get("apiBaseUrl") or ""))
            if following is None or len(records) >= MAX_ITEMS:
                break
            path, query = following[0] or path, following[1]
        key = stream.get("primaryKey") or "id"
        return [(r, str(r[key]) if r.get(key) not in (None, "") else None) for r in records[:MAX_ITEMS]]

    async def _skip_reason(self, trigger: Doc, item_id: str | None, baseline: bool) -> str | None:
        """None when the item fires now (its claim taken here), else why it does not."""
        if item_id is None:
            return "no_id"
        claim_id = f"item:{trigger['_id']}:{item_id}"
        key = f"poll:{trigger['_id']}:{item_id}"
        if await claim(self.runtime, claim_id, trigger, item_id=item_id, baseline=baseline,
                       execution_id=None if baseline else execution_id_for(key), started=baseline):
            return "baseline" if baseline else None
        first = await claimed(self.runtime, claim_id)
        if abandoned(first, time.time()):
            return None  # claimed by a round that died before starting it: started now, with the same key
        return "baseline" if first and first.get("baseline") and baseline else "already_seen"

    async def _skipped(self, trigger: Doc, item_id: str | None, reason: str, now: float) -> None:
        await self.runtime.db[tx.SKIPS].insert_one({
            "trigger_id": trigger["_id"], "workspace_id": trigger["workspace_id"], "flow_id": trigger["flow_id"],
            "item_id": item_id, "reason": reason, "skipped_ts": now, "skipped_at": time.strftime(
                "%Y-%m-%dT%H:%M:%SZ", time.gmtime(now))})
