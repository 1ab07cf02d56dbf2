"""Catalogued operations the sync service serves: the gateway forwards them with the catalogue's scope checks,
validating the body and query models named here first (see junction_common.contracts.operations).

Found by the gateway through the `junction.operations` entry points (this package's pyproject). An operation not
listed here answers 501 at the gateway.
"""

from __future__ import annotations

from junction_common.contracts.operations import Route, Served
from sync_contracts import runs
from sync_contracts.declarations import SERVICE

SERVED: list[Served] = []
# Runs, cursors and schedules (pipelines-api.txt, integrations-api.txt): synchronous operations of the internal API,
# so a run's trigger answers with the run, and discover asks the source at once.
SERVED += [
    Served("discoverPipelineStreams", SERVICE),
    Served("triggerPipelineRun", SERVICE, body=runs.RunTrigger),
    Served("listPipelineRuns", SERVICE, query=runs.RunListQuery),
    Served("stopPipelineRun", SERVICE),
    Served("resetPipelineSyncCursor", SERVICE, body=runs.CursorReset),
    Served("runScheduledPipelineSyncs", SERVICE),
    Served("runAllPipelineConnections", SERVICE),
    Served("triggerPipelineWebhook", SERVICE),
    Served("triggerIntegrationSync", SERVICE),
]
_RUNS_TAG = "Sync Operations"
SERVED += [
    Served("listPipelineCursorHistory", SERVICE, query=runs.RunListQuery,
           route=Route("GET", "/api/pipelines/connections/{id}/cursors", "List a connection's sync cursor history",
                       _RUNS_TAG, ("pipelines:read",))),
    Served("restorePipelineSyncCursor", SERVICE, body=runs.CursorRestore,
           route=Route("POST", "/api/pipelines/connections/{id}/cursors/restore",
                       "Restore sync cursors to an earlier position", _RUNS_TAG, ("pipelines:write", "pipelines:admin"),
                       admin_only=True)),
    Served("refreshPipelineStream", SERVICE, body=runs.StreamRefresh,
           route=Route("POST", "/api/pipelines/connections/{id}/streams/{stream}/refresh",
                       "Full refresh or backfill of one stream", _RUNS_TAG, ("pipelines:write",))),
    Served("listPipelineNotifications", SERVICE, query=runs.NotificationListQuery,
           route=Route("GET", "/api/pipelines/notifications", "List sync completion and failure notifications",
                       _RUNS_TAG, ("pipelines:read",))),
]
