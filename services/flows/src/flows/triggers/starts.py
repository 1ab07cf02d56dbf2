"""Starting an execution: the `execution.start` command on flows.commands (FL-CORE's seam), keyed by workflow id,
its command id derived from the start's idempotency key (what fired it), so the same firing starts one execution."""

from __future__ import annotations

import hashlib
from typing import Any

from flows_contracts import declarations as decl
from junction_common.envelope import Actor, CommandEnvelope
from junction_common.logconfig import get_logger
from junction_common.service import ServiceRuntime
from junction_common.tracing import inject_headers

log = get_logger(__name__)
START = "execution.start"


def execution_id_for(key: str) -> str:
    """The execution a start of idempotency key `key` makes."""
    return "exec_" + hashlib.sha256(key.encode()).hexdigest()[:26]


async def start_execution(runtime: ServiceRuntime, workspace_id: str, workflow_id: str, trigger_type: str,
                          data: Any, source: str, key: str) -> str:
    """Publish the start of `workflow_id` with this trigger data; the execution's id (known before it runs)."""
    cmd = CommandEnvelope(command_id="cmd_start_" + hashlib.sha256(key.encode()).hexdigest()[:32], type=START,
                          aggregate_id=workflow_id, workspace_id=workspace_id, actor=Actor(kind="trigger", id=source),
                          correlation_id=key[:200],
                          data={"workflow_id": workflow_id, "trigger": {"type": trigger_type, "data": data},
                                "source": source, "idempotency_key": key})
    await runtime.broker.publish(cmd.to_bytes(), runtime.settings.topic(decl.COMMANDS), key=workflow_id.encode(),
                                 headers=inject_headers({"junction-type": cmd.type}))
    log.info("flow_trigger_fired", workflow_id=workflow_id, trigger=trigger_type, source=source,
             workspace_id=workspace_id)
    return execution_id_for(key)
