"""Catalogued operations the sync service serves: the gateway forwards them with the catalogue's scope checks,
validating the body and query models named here first (see junction_common.contracts.operations).

Found by the gateway through the `junction.operations` entry points (this package's pyproject). An operation not
listed here answers 501 at the gateway.
"""

from __future__ import annotations

from junction_common.contracts.operations import Route, Served
from sync_contracts import records, runs, tables
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
    Served("getPipelineStreamStatus", SERVICE,
           route=Route("GET", "/api/pipelines/connections/{id}/streams",
                       "A connection's streams, each active or paused for a schema change", _RUNS_TAG,
                       ("pipelines:read",))),
    Served("listPipelineNotifications", SERVICE, query=runs.NotificationListQuery,
           route=Route("GET", "/api/pipelines/notifications", "List sync completion and failure notifications",
                       _RUNS_TAG, ("pipelines:read",))),
]
# Tables and records (connect-api.txt): synchronous operations of the internal API. importTableRows takes CSV or
# JSON, so its body goes on as it came (the service reads and reports it row by row).
SERVED += [
    Served("listTables", SERVICE),
    Served("createTable", SERVICE, body=tables.TableCreate),
    Served("getTable", SERVICE),
    Served("updateTable", SERVICE, body=tables.TableUpdate),
    Served("deleteTable", SERVICE),
    Served("listTableRows", SERVICE, query=tables.RowsQuery),
    Served("createTableRow", SERVICE, body=tables.RowBody),
    Served("upsertTableRow", SERVICE, body=tables.UpsertBody),
    Served("lookupTableRows", SERVICE, query=tables.LookupQuery),
    Served("updateTableRow", SERVICE, body=tables.RowBody),
    Served("deleteTableRow", SERVICE),
    Served("importTableRows", SERVICE),
    Served("exportTable", SERVICE, query=tables.ExportQuery),
    Served("approveTableSchemaChange", SERVICE,
           route=Route("POST", "/connect/v1/tables/{slug}/schema/approve",
                       "Approve a held schema change (the table's streams resume)", "Tables", ("tables.write",))),
    Served("listRecords", SERVICE, query=records.RecordsQuery),
    Served("getRecordsSummary", SERVICE),
    Served("getRecord", SERVICE),
    Served("deleteRecord", SERVICE),
    Served("replayRecord", SERVICE),
    Served("importRecords", SERVICE, body=records.RecordsImport),
]
