"""The `executions` read model: one document per execution, its status, trigger, output, error, steps (one
entry per step key, its latest attempt) and logs, folded from the execution's events.

Stored with its PACKED fields (trigger, steps, logs: large, nested, never queried inside) as JSON text: the
MongoDB server's cost per document written or read grows with the values it holds (nx-27017 copies and walks
every one), and these hold most of them. `packed` gives the stored form, `unpacked` the folded one back (a
document stored before, unpacked, as it is); the fold itself works on the unpacked form."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic_core import from_json, to_json

from flows_contracts import declarations as decl
from flows_contracts import executions as ex
from junction_common.envelope import EventEnvelope
from junction_common.projections.runner import Projection

Doc = dict[str, Any]
PACKED = ("trigger", "steps", "logs")  # kept as JSON text in the stored document
TERMINAL = {"execution.completed": ex.COMPLETED, "execution.failed": ex.FAILED, "execution.cancelled": ex.CANCELLED}


def _started(stream_id: str, workspace_id: str, at: datetime, data: Doc) -> Doc:
    return {"id": stream_id, "workspace_id": workspace_id, "workflow_id": data["workflow_id"],
            "workflow_name": data.get("workflow_name"), "version": data["version"], "draft": data.get("draft"),
            "test": data.get("test", False), "status": ex.RUNNING, "trigger": data.get("trigger"),
            "source": data.get("source"), "replay_of": data.get("replay_of"),
            "replay_from": data.get("replay_from"), "started_at": at.isoformat(), "started_ts": at.timestamp(),
            "completed_at": None, "duration_ms": None, "output": None, "response": None, "error": None,
            "failed_step": None, "steps": [], "logs": [_log(at, "info", None, "execution started")]}


def _log(at: datetime, level: str, step: str | None, message: str) -> Doc:
    return {"at": at.isoformat(), "level": level, "step": step, "message": message}


def _step(doc: Doc, event_type: str, occurred_at: datetime, data: Doc) -> None:
    at = occurred_at.isoformat()
    steps: list[Doc] = doc["steps"]
    entry = next((s for s in steps if s["step"] == data["step"]), None)
    if entry is None:
        entry = {"step": data["step"], "node_id": data["node_id"], "node_type": data["node_type"],
                 "status": "running", "attempt": data["attempt"], "input": None, "output": None, "error": None,
                 "started_at": at, "completed_at": None, "duration_ms": None, "recorded": False}
        steps.append(entry)
    entry["attempt"] = data["attempt"]
    if event_type == "step.started":
        entry.update(status="running" if data.get("wake_at") is None else "waiting", input=data.get("input"),
                     error=None, wake_at=data.get("wake_at"))
    elif event_type == "step.succeeded":
        entry.update(status="succeeded", output=data.get("output"), branch=data.get("branch"), completed_at=at,
                     duration_ms=data.get("duration_ms"), recorded=data.get("recorded", False), error=None)
        doc["logs"].append(_log(occurred_at, "info", data["step"], f"{data['node_type']} succeeded"))
    else:
        retrying = data.get("retry_at") is not None
        entry.update(status="retrying" if retrying else "failed", error=data.get("error"), completed_at=at,
                     duration_ms=data.get("duration_ms"), retry_at=data.get("retry_at"))
        message = (data.get("error") or {}).get("message", "failed")
        doc["logs"].append(_log(occurred_at, "warn" if retrying else "error", data["step"],
                                f"{data['node_type']} attempt {data['attempt']} failed: {message}"))


def apply_execution(doc: Doc | None, event: EventEnvelope) -> Doc:
    """Pure: the execution document after `event`; time comes from `occurred_at`. Copy on write: the parts that
    change are copied (not the whole document per event, nor the trigger data of execution.started), neither `doc`
    nor the event is changed."""
    return fold_execution(doc, event.type, event.data, event.occurred_at, event.stream_id, event.workspace_id)


def fold_execution(doc: Doc | None, event_type: str, data: Doc, at: datetime, stream_id: str, workspace_id: str
                   ) -> Doc:
    """`apply_execution` of an event given by its fields (the engine folds the events it stamps, with no envelope
    built for each)."""
    if event_type == "execution.started":
        return _started(stream_id, workspace_id, at, data)  # shares the trigger data: no later event changes it
    new = _writable(doc or {})
    if event_type.startswith("step."):
        _step(new, event_type, at, data)
    elif event_type in TERMINAL:
        status = TERMINAL[event_type]
        new.update(status=status, completed_at=at.isoformat(),
                   duration_ms=round((at.timestamp() - float(new.get("started_ts") or 0)) * 1000, 1),
                   output=data.get("output"), response=data.get("response"), error=data.get("error"),
                   failed_step=data.get("step"), completed_ts=at.timestamp())
        new["logs"].append(_log(at, "error" if status == ex.FAILED else "info", data.get("step"),
                                f"execution {status}"))
    return new


def _writable(doc: Doc) -> Doc:
    """A copy of `doc` whose top level, step entries and logs list may be changed without changing `doc`."""
    new = dict(doc)
    new["steps"] = [dict(s) for s in doc.get("steps") or []]
    new["logs"] = list(doc.get("logs") or [])
    return new


def packed(doc: Doc) -> Doc:
    """The stored form of a folded document: its PACKED fields as JSON text."""
    return {**doc, **{k: to_json(doc[k]).decode() for k in PACKED if k in doc and not isinstance(doc[k], str)}}


def unpacked(doc: Doc) -> Doc:
    """A stored document in its folded form: its PACKED fields (those read) as values again."""
    return {**doc, **{k: from_json(doc[k]) for k in PACKED if isinstance(doc.get(k), str)}}


def apply_stored_execution(doc: Doc | None, event: EventEnvelope) -> Doc:
    """`apply_execution` on the stored form (the projection consumer's catch-up, a rebuild)."""
    return packed(apply_execution(unpacked(doc) if doc is not None else None, event))


EXECUTIONS = Projection(name="flows.executions", service=decl.SERVICE, topics=(decl.EXECUTION_EVENTS,),
                        collection=ex.COLLECTION, apply=apply_stored_execution,
                        indexes=((("workspace_id", 1),), (("workflow_id", 1),)), written_ahead=True)
