"""The run's two seams, wired: sources through sync.runtime's ConnectorRuntime (a low-code manifest built by its
declarative_manifest, or a PyPI source) and tables through sync.tables' TableWriter component."""

from __future__ import annotations

from junction_common.service import ServiceRuntime
from sync.app.runs_execute import RunIO
from sync.runtime.manifests import declarative_manifest
from sync.runtime.runtime import ConnectorRuntime
from sync.settings import SyncSettings
from sync.tables.writer import TableWriter, table_target


def run_io(runtime: ServiceRuntime) -> RunIO:
    settings = runtime.settings
    own = settings if isinstance(settings, SyncSettings) else SyncSettings(**settings.model_dump())
    return RunIO(source=ConnectorRuntime(own), writer=runtime.component(TableWriter),
                 build_manifest=declarative_manifest, target=table_target)
