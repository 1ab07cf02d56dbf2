"""Starting an execution through FL-CORE's seam (flows.engine.starts): trigger sources fed by Kafka or the
schedule publish the `execution.start` command on flows.commands (keyed by workflow id, its command id derived
from the start's idempotency key, so the same firing starts one execution; a deleted flow's start is skipped by
the engine, never retried); the webhook trigger, answering its caller at once, starts in process. Either way the
execution id is `execution_id_for(key)`, known before the execution runs."""

from __future__ import annotations

import hashlib
from typing import Any

from flows.engine import starts as engine
from flows_contracts import declarations as decl
from flows_contracts import executions as ex
from junction_common.envelope import Actor, CommandEnvelope
from junction_common.logconfig import get_logger
from junction_common.service import ServiceRuntime
from junction_common.tracing import inject_headers

log = get_logger(__name__)
Doc = dict[str, Any]


def execution_id_for(key: str) -> str:
    """The execution a start of idempotency key `key` makes."""
    return engine.execution_id_for(key)


async def start_execution(runtime: ServiceRuntime, workspace_id: str, workflow_id: str, trigger_type: str,
                          data: Any, source: str, key: str) -> str:
    """Publish the start of `workflow_id` with this trigger data; the execution's id (known before it runs)."""
    start = ex.StartExecution(workflow_id=workflow_id, trigger=ex.Trigger(type=trigger_type, data=data),
                              source=source, idempotency_key=key)
    cmd = CommandEnvelope(command_id="cmd_start_" + hashlib.sha256(key.encode()).hexdigest()[:32], type=ex.START,
                          aggregate_id=workflow_id, workspace_id=workspace_id, actor=Actor(kind="trigger", id=source),
                          correlation_id=key[:200], data=start.model_dump(mode="json"))
    await runtime.broker.publish(cmd.to_bytes(), runtime.settings.topic(decl.COMMANDS), key=workflow_id.encode(),
                                 headers=inject_headers({"junction-type": cmd.type}))
    log.info("flow_trigger_fired", workflow_id=workflow_id, trigger=trigger_type, source=source,
             workspace_id=workspace_id)
    return execution_id_for(key)


async def start_now(runtime: ServiceRuntime, workspace_id: str, workflow_id: str, trigger_type: str, data: Any,
                    source: str, key: str) -> engine.Started:
    """Start in process (the webhook trigger): the execution's summary and graph; a deleted flow is NOT_FOUND."""
    started = await engine.start_run(
        runtime, workspace_id, workflow_id, trigger={"type": trigger_type, "data": data}, source=source,
        idempotency_key=key, actor=Actor(kind="trigger", id=source))
    log.info("flow_trigger_fired", workflow_id=workflow_id, trigger=trigger_type, source=source,
             workspace_id=workspace_id)
    return started
