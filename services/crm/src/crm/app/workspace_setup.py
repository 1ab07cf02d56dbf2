"""Setting a new workspace up (`workspace.provision`, sent when the workspace is created): the default sales
pipeline (crm.domain.pipeline), each stage created by its own command through the normal record path.

Every stage's id derives from the workspace id and its key, and every step's command id from the setup
command's: a redelivered setup repeats nothing, and a second setup command finds the stages there (its creates
are refused as existing and change nothing). A key the workspace already uses is refused the same way.
"""

from __future__ import annotations

from crm.app import records
from crm.domain import pipeline
from junction_common.envelope import CommandEnvelope, EventEnvelope, NewEvent
from junction_common.service import ServiceRuntime


def _set_up(_: CommandEnvelope, __: list[EventEnvelope]) -> list[NewEvent]:
    return []  # the setup itself is only recorded as done; its stages are their own streams


async def provision_workspace(runtime: ServiceRuntime, cmd: CommandEnvelope) -> None:
    """Handle `workspace.provision`: create the workspace's default deal stages, each once."""
    stages = records.BY_NAME["deal_stage"]
    for stage in pipeline.DEFAULT_STAGES:
        step = cmd.derive(f"stage.{stage.key}", stages.command("create"),
                          pipeline.stage_id(cmd.workspace_id, stage.key, stages.prefix), stage.data())
        context = await records.load_context(stages, step, runtime.db)
        await runtime.executor.execute(step, records.decider(stages, context))
    await runtime.executor.execute(cmd, _set_up)
