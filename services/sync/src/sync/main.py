"""sync service entry point: `junction-sync`."""

from __future__ import annotations

from junction_common.service import ServiceSpec, run
from sync import topics
from sync.api import internal_routers
from sync.app.heap import FrozenHeap
from sync.app.routing import decider_for, topic_for
from sync.app.runs_io import run_io
from sync.app.runs_worker import RunWorker
from sync.app.scheduler import Scheduler
from sync.projections import PROJECTIONS
from sync.records.webhooks import WebhookRecords
from sync.settings import SyncSettings
from sync.tables.writer import TableWriter
from sync_contracts import declarations as cx


def create_spec(settings: SyncSettings) -> ServiceSpec:
    """The service as it runs."""
    return ServiceSpec(
        name=cx.SERVICE,
        topics=topics.TOPICS,
        command_topic=cx.COMMANDS,
        decider_for=decider_for,
        topic_for=topic_for,
        projections=PROJECTIONS,
        internal_routers=internal_routers,
        components=[TableWriter, lambda runtime: RunWorker(runtime, run_io), Scheduler, WebhookRecords,
                    FrozenHeap],
    )


def main() -> None:
    settings = SyncSettings()
    run(create_spec(settings), settings)


if __name__ == "__main__":
    main()
