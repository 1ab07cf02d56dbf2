"""Starting an execution: the seam every trigger source uses.

In-process: `await start_execution(runtime, workspace_id, workflow_id, trigger={"type", "data"}, source=...,
idempotency_key=...)` returns the started execution's summary `{execution_id, status, started_at, version}`.
Across processes: publish on `flows.commands` a command of type `execution.start` (flows_contracts.executions:
`StartExecution` as its data, keyed by the workflow id); `on_start_command` handles it. The execution id derives
from the idempotency key (the command id when none is given), so a repeated start is one execution.

The execution runs the workflow's published version, or its draft when it was never published (`draft=True`
runs the draft in any case, as testFlow does); execution.started records the graph it runs and its version.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from flows.domain.workflow_graph import with_api_trigger
from flows.engine.engine import Engine
from flows_contracts import executions as ex
from flows_contracts.events import Definition, ExecutionStarted
from junction_common.envelope import Actor, CommandEnvelope
from junction_common.ids import new_id
from junction_common.logconfig import get_logger
from junction_common.service import ServiceRuntime
from junction_common.web.envelope import ApiError

Doc = dict[str, Any]
log = get_logger(__name__)


@dataclass(frozen=True)
class Started:
    """A started execution's summary and the graph it runs."""

    summary: Doc
    definition: Doc


def execution_id_for(key: str | None) -> str:
    """`exec_` + 26 hex digits of the key's SHA-256 (what trigger sources compute before the start runs)."""
    if key is None:
        return new_id(ex.PREFIX)
    return f"{ex.PREFIX}_{hashlib.sha256(key.encode()).hexdigest()[:26]}"


async def find_workflow(runtime: ServiceRuntime, workspace_id: str, workflow_id: str) -> Doc:
    """The workflow as its read model holds it now (concurrent starts share one read)."""
    doc = await runtime.component(Engine).workflows.submit(workflow_id)
    if doc is None or doc.get("workspace_id") != workspace_id or doc.get("deleted"):
        raise ApiError("NOT_FOUND", "The workflow could not be found.", {"id": workflow_id})
    return dict(doc)


def runnable(workflow: Doc, draft: bool) -> tuple[int, bool, Doc]:
    """(version, is a draft, graph) an execution of `workflow` runs."""
    published = workflow.get("published")
    if published and not draft:
        return int(published["version"]), False, dict(published["definition"])
    graph = {k: workflow.get(k) or ([] if k != "variables" else {}) for k in ("nodes", "edges", "variables")}
    return int(workflow.get("version") or 1), True, graph


async def start_execution(runtime: ServiceRuntime, workspace_id: str, workflow_id: str, *,
                          trigger: Doc | None = None, source: str = "api", idempotency_key: str | None = None,
                          actor: Actor | None = None, draft: bool = False, replay: Doc | None = None,
                          test: bool = False, graph: tuple[int, bool, Doc] | None = None,
                          execution_id: str | None = None) -> Doc:
    """Start (once per idempotency key) an execution of the workflow; its summary, answered at once."""
    started = await start_run(runtime, workspace_id, workflow_id, trigger=trigger, source=source,
                              idempotency_key=idempotency_key, actor=actor, draft=draft, replay=replay, test=test,
                              graph=graph, execution_id=execution_id)
    return started.summary


async def start_run(runtime: ServiceRuntime, workspace_id: str, workflow_id: str, *,
                    trigger: Doc | None = None, source: str = "api", idempotency_key: str | None = None,
                    actor: Actor | None = None, draft: bool = False, replay: Doc | None = None,
                    test: bool = False, graph: tuple[int, bool, Doc] | None = None,
                    execution_id: str | None = None) -> Started:
    """Start (once per idempotency key) an execution of the workflow: its summary and the graph it runs."""
    workflow = await find_workflow(runtime, workspace_id, workflow_id)
    version, is_draft, graph_run = graph or runnable(workflow, draft)
    definition = with_api_trigger(graph_run)
    execution_id = execution_id or execution_id_for(idempotency_key)
    started = ExecutionStarted(workflow_id=workflow_id, workflow_name=str(workflow.get("name") or ""),
                               version=version, draft=is_draft, definition=Definition.model_validate(definition),
                               trigger=dict(trigger or {"type": "manual", "data": {}}), source=source, test=test,
                               **(replay or {}))
    engine = runtime.component(Engine)
    await engine.start_execution(execution_id, workspace_id, started.model_dump(), actor or Actor())
    return Started({"execution_id": execution_id, "status": ex.RUNNING, "started_at": datetime.now(UTC).isoformat(),
                    "version": version}, definition)


async def on_start_command(runtime: ServiceRuntime, cmd: CommandEnvelope) -> None:
    """`execution.start` on flows.commands (a trigger source's start): one execution per command id or key."""
    data = ex.StartExecution.model_validate(cmd.data)
    try:
        await start_execution(runtime, cmd.workspace_id, data.workflow_id, trigger=data.trigger.model_dump(),
                              source=data.source, idempotency_key=data.idempotency_key or cmd.command_id,
                              actor=cmd.actor)
    except ApiError as exc:  # a deleted or unrunnable workflow: nothing to run, nothing to retry
        log.warning("execution_start_skipped", command_id=cmd.command_id, code=exc.code, message=exc.message)
