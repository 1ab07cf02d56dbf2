"""The `executions` read model: one document per execution, its status, trigger, output, error, steps (one
entry per step key, its latest attempt) and logs, folded from the execution's events."""

from __future__ import annotations

from typing import Any

from flows_contracts import declarations as decl
from flows_contracts import executions as ex
from junction_common.envelope import EventEnvelope
from junction_common.projections.runner import Projection

Doc = dict[str, Any]
TERMINAL = {"execution.completed": ex.COMPLETED, "execution.failed": ex.FAILED, "execution.cancelled": ex.CANCELLED}


def _started(event: EventEnvelope, data: Doc) -> Doc:
    at = event.occurred_at
    return {"id": event.stream_id, "workspace_id": event.workspace_id, "workflow_id": data["workflow_id"],
            "workflow_name": data.get("workflow_name"), "version": data["version"], "draft": data.get("draft"),
            "test": data.get("test", False), "status": ex.RUNNING, "trigger": data.get("trigger"),
            "source": data.get("source"), "replay_of": data.get("replay_of"),
            "replay_from": data.get("replay_from"), "started_at": at.isoformat(), "started_ts": at.timestamp(),
            "completed_at": None, "duration_ms": None, "output": None, "response": None, "error": None,
            "failed_step": None, "steps": [], "logs": [_log(event, "info", None, "execution started")]}


def _log(event: EventEnvelope, level: str, step: str | None, message: str) -> Doc:
    return {"at": event.occurred_at.isoformat(), "level": level, "step": step, "message": message}


def _step(doc: Doc, event: EventEnvelope, data: Doc) -> None:
    at = event.occurred_at.isoformat()
    steps: list[Doc] = doc["steps"]
    entry = next((s for s in steps if s["step"] == data["step"]), None)
    if entry is None:
        entry = {"step": data["step"], "node_id": data["node_id"], "node_type": data["node_type"],
                 "status": "running", "attempt": data["attempt"], "input": None, "output": None, "error": None,
                 "started_at": at, "completed_at": None, "duration_ms": None, "recorded": False}
        steps.append(entry)
    entry["attempt"] = data["attempt"]
    if event.type == "step.started":
        entry.update(status="running" if data.get("wake_at") is None else "waiting", input=data.get("input"),
                     error=None, wake_at=data.get("wake_at"))
    elif event.type == "step.succeeded":
        entry.update(status="succeeded", output=data.get("output"), branch=data.get("branch"), completed_at=at,
                     duration_ms=data.get("duration_ms"), recorded=data.get("recorded", False), error=None)
        doc["logs"].append(_log(event, "info", data["step"], f"{data['node_type']} succeeded"))
    else:
        retrying = data.get("retry_at") is not None
        entry.update(status="retrying" if retrying else "failed", error=data.get("error"), completed_at=at,
                     duration_ms=data.get("duration_ms"), retry_at=data.get("retry_at"))
        message = (data.get("error") or {}).get("message", "failed")
        doc["logs"].append(_log(event, "warn" if retrying else "error", data["step"],
                                f"{data['node_type']} attempt {data['attempt']} failed: {message}"))


def apply_execution(doc: Doc | None, event: EventEnvelope) -> Doc:
    """Pure: the execution document after `event`; time comes from `occurred_at`. Copy on write: the parts that
    change are copied (not the whole document per event, nor the trigger data of execution.started), neither `doc`
    nor the event is changed."""
    data = event.data
    if event.type == "execution.started":
        return _started(event, data)  # shares the trigger data with the event: no later event changes it in place
    new = _writable(doc or {})
    if event.type.startswith("step."):
        _step(new, event, data)
    elif event.type in TERMINAL:
        status = TERMINAL[event.type]
        new.update(status=status, completed_at=event.occurred_at.isoformat(),
                   duration_ms=round((event.occurred_at.timestamp() - float(new.get("started_ts") or 0)) * 1000, 1),
                   output=data.get("output"), response=data.get("response"), error=data.get("error"),
                   failed_step=data.get("step"), completed_ts=event.occurred_at.timestamp())
        new["logs"].append(_log(event, "error" if status == ex.FAILED else "info", data.get("step"),
                                f"execution {status}"))
    return new


def _writable(doc: Doc) -> Doc:
    """A copy of `doc` whose top level, step entries and logs list may be changed without changing `doc`."""
    new = dict(doc)
    new["steps"] = [dict(s) for s in doc.get("steps") or []]
    new["logs"] = list(doc.get("logs") or [])
    return new


EXECUTIONS = Projection(name="flows.executions", service=decl.SERVICE, topics=(decl.EXECUTION_EVENTS,),
                        collection=ex.COLLECTION, apply=apply_execution,
                        indexes=((("workspace_id", 1),), (("workflow_id", 1),)), written_ahead=True)
