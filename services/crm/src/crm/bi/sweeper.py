"""The crm's BI exports at run time (a ServiceSpec component): the object store holding their CSV files, and the
sweeper that generates exports left pending (their generation was interrupted: a crm stopped mid-way, or the
gateway answered the create 202 and never asked) once they have been pending `bi_export_stale_s`."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import datetime, timedelta

from crm.bi import exports
from crm.bi.sync_tables import SyncTables
from crm.settings import CrmSettings
from crm_contracts.bi import BI_EXPORT
from junction_common.envelope import Actor, utcnow
from junction_common.ids import new_ulid
from junction_common.logconfig import get_logger
from junction_common.object_store import ObjectStore, open_object_store
from junction_common.service import ServiceRuntime
from junction_common.settings import JunctionSettings
from junction_common.timefmt import as_datetime
from junction_common.web.peers import PeerClient

log = get_logger("crm.bi.sweeper")
SWEEP_BATCH = 100


def crm_settings(settings: JunctionSettings) -> CrmSettings:
    """The crm's own settings (a runtime started with the base settings gets the crm's defaults on top)."""
    return settings if isinstance(settings, CrmSettings) else CrmSettings.model_validate(settings.model_dump())


class BiExports:
    """Owns the export files' store and the client of the sync service (sync table sources); sweeps stale pending
    exports every `bi_export_sweep_interval_s`."""

    def __init__(self, runtime: ServiceRuntime) -> None:
        self.runtime, self.settings = runtime, crm_settings(runtime.settings)
        self.objects: ObjectStore = open_object_store(self.settings)
        self.peers = PeerClient(runtime.settings, caller="crm")
        self.sync = SyncTables(self.peers)  # a sync table source's rows
        self._task: asyncio.Task[None] | None = None

    async def prepare(self) -> None:
        return None

    async def start(self) -> None:
        self._task = asyncio.create_task(self._loop())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
        await self.objects.close()
        await self.peers.close()

    async def _loop(self) -> None:
        while True:
            await asyncio.sleep(self.settings.bi_export_sweep_interval_s)
            try:
                swept = await self.sweep(utcnow())
            except Exception:  # the next round tries again
                log.exception("bi_exports_sweep_failed")
                continue
            if swept:
                log.info("bi_exports_swept", generated=swept)

    async def sweep(self, now: datetime) -> int:
        """Generate the exports pending since `bi_export_stale_s` before `now`; how many were."""
        before = now - timedelta(seconds=self.settings.bi_export_stale_s)
        coll = self.runtime.db[BI_EXPORT.collection]
        pending = await coll.find({"status": "pending", "archived": False}).sort("_id", 1).limit(SWEEP_BATCH).to_list()
        stale = [d for d in pending if (as_datetime(d.get("created_at")) or now) <= before]
        for doc in stale:
            await exports.finish(self.runtime, self.objects, doc, Actor(kind="system", id="crm"), f"req_{new_ulid()}",
                                 self.sync)
        return len(stale)
