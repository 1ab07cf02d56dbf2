"""How executions and their steps are shown: snake_case under `/v1` (workflow-api), camelCase under
`/connect/v1` (connect-api), and the listing filters (status, from/to on the start time) both share."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flows.projections.executions import unpacked
from junction_common.web.envelope import ApiError

Doc = dict[str, Any]
LIST_FIELDS = {"steps": 0, "logs": 0, "trigger": 0}  # left out of listings (large)
VIEW = ("workflow_id", "workflow_name", "version", "status", "trigger", "source", "test", "replay_of",
        "replay_from", "started_at", "completed_at", "duration_ms", "output", "response", "error", "failed_step")
CAMEL = {"execution_id": "executionId",
         "workflow_id": "flowId", "workflow_name": "flowName", "replay_of": "replayOf", "replay_from": "replayFrom",
         "started_at": "startedAt", "completed_at": "completedAt", "duration_ms": "durationMs",
         "failed_step": "failedStep", "node_id": "nodeId", "node_type": "nodeType", "retry_at": "retryAt",
         "wake_at": "wakeAt"}
STEP = ("step", "node_id", "node_type", "status", "attempt", "input", "output", "branch", "error", "started_at",
        "completed_at", "duration_ms", "recorded", "retry_at", "wake_at")


def execution_view(stored: Doc, logs: bool = False) -> Doc:
    doc = unpacked(stored)
    view = {"id": doc["_id"], **{k: doc.get(k) for k in VIEW if k in doc}}
    if logs:
        view["logs"] = doc.get("logs") or []
        view["steps_count"] = len(doc.get("steps") or [])
    return view


def camel(view: Doc) -> Doc:
    return {CAMEL.get(k, k): v for k, v in view.items()}


def step_view(step: Doc) -> Doc:
    return camel({k: step.get(k) for k in STEP})


def _epoch(value: str | None, name: str) -> float | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    except ValueError as exc:
        raise ApiError("VALIDATION_ERROR", f"`{name}` is not an ISO 8601 time.", {"pointer": name}) from exc


def execution_filter(workspace_id: str, status: str | None, start: str | None, end: str | None,
                     workflow_id: str | None = None) -> Doc:
    """Executions of the workspace (of one workflow), by status, started between `from` and `to`."""
    filt: Doc = {"workspace_id": workspace_id}
    if workflow_id:
        filt["workflow_id"] = workflow_id
    if status:
        filt["status"] = status
    started: Doc = {}
    if (low := _epoch(start, "from")) is not None:
        started["$gte"] = low
    if (high := _epoch(end, "to")) is not None:
        started["$lte"] = high
    if started:
        filt["started_ts"] = started
    return filt
